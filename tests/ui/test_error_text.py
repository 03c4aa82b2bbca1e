from cxone_desktop.errors import (
    AudioOutputError,
    CallAlreadyEnded,
    CallNotFound,
    HandshakeRejected,
    InvalidCredentials,
    MissingScope,
    RateLimited,
    StreamClosedAbnormally,
    StreamTokenRejected,
)
from cxone_desktop.ui.error_text import describe_error, describe_event


def test_401_points_at_credentials_and_scope() -> None:
    n = describe_error(InvalidCredentials("token endpoint answered 401"))
    assert "401" in n.title
    assert "client ID and secret" in n.remedy
    assert "agent:voice:stream" in n.remedy


def test_403_names_scope_and_agent_bound_call() -> None:
    n = describe_error(MissingScope("403"))
    assert "403" in n.title
    assert "agent:voice:stream" in n.remedy
    assert "agent" in n.remedy and "connected" in n.remedy


def test_a_refused_token_at_the_stream_gets_the_credentials_advice() -> None:
    n = describe_error(StreamTokenRejected("refused", status=403))
    assert "403" in n.title and "agent:voice:stream" in n.remedy


def test_other_stream_refusals_show_the_servers_words_not_credentials_advice() -> None:
    n = describe_error(
        HandshakeRejected("The audio stream refused call c-9 (403). The server said: busy",
                          status=403, reason="busy", remedy="Do what it says.")
    )  # fmt: skip
    assert "c-9" in n.title and "busy" in n.title and "secret" not in n.remedy
    unknown = describe_error(CallNotFound("The server does not know call c-9 (404).", status=404))
    assert "c-9" in unknown.title and "call ID" in unknown.remedy and unknown.severity == "error"
    ended = describe_error(CallAlreadyEnded("Call c-9 has ended.", status=403))
    assert ended.severity == "info"


def test_429_says_when_it_retries() -> None:
    n = describe_error(RateLimited("429", retry_after_s=7))
    assert "429" in n.title and "7 s" in n.title
    assert n.severity == "warning"


def test_1006_says_reconnecting() -> None:
    n = describe_error(StreamClosedAbnormally("dropped", code=1006))
    assert "1006" in n.title and "reconnecting" in n.title


def test_no_audio_device_says_streaming_carries_on() -> None:
    n = describe_error(AudioOutputError("no device"))
    assert "No audio output" in n.title
    assert "carry on" in n.remedy


def test_events_worth_a_history_line() -> None:
    assert describe_event({"kind": "retry", "error": "RateLimited", "delay_s": 1.0}) == (
        "Retry",
        "after RateLimited in 1.0 s",
    )
    assert (
        "attempt 2" in describe_event({"kind": "reconnect_wait", "attempt": 2, "delay_s": 0.5})[1]
    )
    assert describe_event({"kind": "call_state", "status": "on_hold"}) == ("Call", "on_hold")
    assert describe_event({"kind": "closed", "code": 1006, "reason": ""}) == ("Closed", "1006")
    assert describe_event({"kind": "control", "name": "call.ended", "message": {}}) == (
        "Control",
        "call.ended",
    )
    assert describe_event({"kind": "dsp", "gain": 1.0}) is None


def test_a_silent_stream_is_a_passing_warning() -> None:
    from cxone_desktop.errors import StreamSilent

    n = describe_error(StreamSilent("No audio for 30 s although the call is up; reconnecting."))
    assert n.transient and n.severity == "warning" and "reconnecting" in n.title
