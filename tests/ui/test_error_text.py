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
        "in 1.0 s: too many requests (429)",
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


def _every_error_class() -> list[type]:
    import cxone_desktop.errors as errors

    found: list[type] = []
    todo = [errors.CXoneError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__ == "cxone_desktop.errors"]


def _instance(cls: type, message: str):
    from cxone_desktop.errors import InputError

    if issubclass(cls, InputError):
        return cls("tenant", message)
    if issubclass(cls, HandshakeRejected):
        return cls(message, status=403)
    if issubclass(cls, StreamClosedAbnormally):
        return cls(message, code=1006)
    return cls(message)


def test_no_banner_ever_shows_an_exception_class_name() -> None:
    classes = _every_error_class()
    assert len(classes) >= 15
    for cls in classes:
        for message in ("", "acmee.niceincontact.com does not resolve (DNS)."):
            n = describe_error(_instance(cls, message))
            shown = f"{n.title} {n.remedy}"
            assert n.title, cls
            for other in classes:
                assert other.__name__ not in shown, (cls, shown)


def test_an_unreachable_server_shows_what_was_tried_and_clears_when_it_passes() -> None:
    from cxone_desktop.errors import ServiceUnavailable

    err = ServiceUnavailable(
        "acmee.niceincontact.com does not resolve (DNS), so the token endpoint cannot be reached.",
        remedy="Check the tenant name or base URL for typos, and your network or VPN.",
    )
    n = describe_error(err)
    assert "acmee.niceincontact.com does not resolve" in n.title
    assert "tenant name" in n.remedy
    assert n.transient  # streaming again, or a disconnect, clears it


def test_retry_progress_says_the_servers_problem_not_the_class() -> None:
    from cxone_desktop.ui.error_text import describe_progress

    said = "Nothing is listening at 127.0.0.1:9: the connection to the token endpoint was refused."
    n = describe_progress(
        {"kind": "retry", "error": "ServiceUnavailable", "message": said, "delay_s": 2.0}
    )
    assert n is not None and said in n.title and "2 s" in n.title
    assert "ServiceUnavailable" not in n.title + n.remedy
    bare = describe_progress({"kind": "retry", "error": "ConnectTimeout", "delay_s": 1})
    assert bare is not None and "ConnectTimeout" not in bare.title
    line = describe_event({"kind": "retry", "error": "ConnectTimeout", "delay_s": 1})
    assert line is not None and "ConnectTimeout" not in line[1]


def test_stalls_and_gaps_get_history_lines() -> None:
    assert describe_event({"kind": "stall", "silent_s": 1.0}) == (
        "No audio",
        "nothing received for 1.0 s",
    )
    assert describe_event({"kind": "stall_cleared", "silent_s": 4.25}) == (
        "Audio back",
        "after 4.2 s without audio",
    )
    gap = describe_event(
        {"kind": "gap", "gap_kind": "outage", "duration_s": 30.0,
         "raw_position_s": 37.0, "processed_position_s": 67.5}
    )  # fmt: skip
    assert gap == ("Gap", "outage of 30.0 s: at 0:37.0 in raw.wav, 1:07.5 in processed.wav")


def test_a_silent_stream_is_a_passing_warning() -> None:
    from cxone_desktop.errors import StreamSilent

    n = describe_error(StreamSilent("No audio for 30 s although the call is up; reconnecting."))
    assert n.transient and n.severity == "warning" and "reconnecting" in n.title
