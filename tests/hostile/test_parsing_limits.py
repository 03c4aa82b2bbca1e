"""Issue 17, finding 1: documents nested to crash the parser or what walks it afterwards.

`[` × 100,000 (RecursionError inside json.loads) and a valid object 900 levels deep
(parses, then overflowed the recorder's redaction at ~330 levels) as a WebSocket text
message, a token body and a call-state body. Each is a protocol error with a clear
message, never a crash, and summary.json says "finished cleanly" only when it did.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from cxone_desktop.cxone.bounded_json import MAX_DEPTH, loads_bounded, nesting_depth
from cxone_desktop.errors import CallStateInvalid, ProtocolError, TokenResponseInvalid
from cxone_desktop.session.stream_session import StreamSession

from .tenant import (
    HostileTenant,
    audio,
    audio_forever,
    call_states,
    deep_array,
    deep_object,
    events,
    run_record,
    summary,
    text_reply,
    wav_bytes,
)

# 60,000 brackets: under the 64 KiB size cap, so the depth limit is what refuses it
# (the 100,000 is refused for its size, in the `record` test below).
DEEP_DOCUMENTS = [pytest.param(deep_array(60_000), id="60k-open-brackets"),
                  pytest.param(deep_object(), id="valid-900-deep")]  # fmt: skip


def controls_then_close(*texts: str) -> object:
    async def behave(ws: web.WebSocketResponse, _request: web.Request) -> None:
        await ws.send_bytes(audio(10))
        for text in texts:
            await ws.send_str(text)
        await ws.send_bytes(audio(10, 1600))
        await ws.close(code=1000)

    return behave


@pytest.mark.parametrize("doc", DEEP_DOCUMENTS)
async def test_a_deep_control_message_is_a_protocol_error_and_the_call_goes_on(
    tenant: HostileTenant, tmp_path: Path, doc: str
) -> None:
    tenant.stream = controls_then_close(doc, '{"event":"call.note","n":1}')  # type: ignore[assignment]
    result = await StreamSession(tenant.config(tmp_path)).run()
    assert result.outcome == "ended", result.errors
    assert wav_bytes(result.folder / "raw.wav") == audio(10) + audio(10, 1600)
    said = [e for e in events(result.folder) if e["kind"] == "control_unparsable"]
    assert len(said) == 1 and "nests" in said[0]["error"] and "deep" in said[0]["error"]
    assert any(e["kind"] == "control" and e["name"] == "call.note" for e in events(result.folder))
    doc_summary = summary(result.folder)
    assert doc_summary["finished_cleanly"] is True and doc_summary["outcome"] == "ended"


@pytest.mark.parametrize("doc", DEEP_DOCUMENTS)
async def test_a_deep_token_body_is_an_invalid_token_response(
    tenant: HostileTenant, tmp_path: Path, doc: str
) -> None:
    tenant.token = text_reply(doc)
    result = await StreamSession(tenant.config(tmp_path)).run()
    assert result.outcome == "auth_failed"
    assert isinstance(result.error, TokenResponseInvalid)
    assert isinstance(result.error, ProtocolError)
    assert "token endpoint" in result.error.message and "deep" in result.error.message
    assert result.folder is None  # it failed before the stream opened: no folder is left


@pytest.mark.parametrize("doc", DEEP_DOCUMENTS)
async def test_a_deep_call_state_body_is_reported_and_the_end_of_call_still_seen(
    tenant: HostileTenant, tmp_path: Path, doc: str
) -> None:
    """The stream never ends by itself: only the call-state endpoint can say "ended"."""
    bad = text_reply(doc)
    after = call_states("active", "active", "ended")
    answers = iter([bad, bad])

    async def answer(request: web.Request) -> web.StreamResponse:
        return await next(answers, after)(request)

    tenant.call_state = answer
    tenant.stream = audio_forever
    result = await StreamSession(tenant.config(tmp_path, poll_interval_s=0.2)).run()
    assert result.outcome == "ended", result.errors
    assert any("CallStateInvalid" in e and "deep" in e for e in result.errors)
    assert tenant.hits["call_state"] >= 3


async def test_an_internal_error_is_finalized_as_not_finished_cleanly(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    """A bug inside the session (here: the audio path raising) is no clean finish."""
    session = StreamSession(tenant.config(tmp_path))

    def broken_feed(data: bytes, arrival_s: float) -> None:
        raise RuntimeError("simulated bug in the audio path")

    session.pipeline.feed = broken_feed  # type: ignore[method-assign]
    result = await session.run()
    assert result.outcome == "failed"
    assert result.error is not None and "simulated bug" in result.error.message
    doc = summary(result.folder)
    assert doc["finished_cleanly"] is False and doc["outcome"] == "failed"
    assert any(e.startswith("InternalError") for e in doc["errors"])
    assert not (result.folder / ".recording").exists()


async def test_record_survives_deep_control_messages_and_prints_its_summary(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    """The issue's repro: rc 1 and no summary on stdout before."""
    tenant.stream = controls_then_close(deep_array(), deep_object())  # type: ignore[assignment]
    rc, out, err = await run_record(tenant, tmp_path / "out")
    assert rc == 0, err[-3000:]
    lines = out.strip().splitlines()
    assert json.loads(lines[-2])["outcome"] == "ended"
    folder = Path(lines[-1])
    assert summary(folder)["finished_cleanly"] is True
    assert "Traceback" not in err
    assert len(err) < 20_000  # the documents are not echoed to stderr


def test_depth_is_measured_outside_strings_and_escapes() -> None:
    assert nesting_depth('{"a": [1, {"b": "[[[\\"[{"}]}') == 3
    assert nesting_depth('"[[[["') == 0
    assert nesting_depth(deep_array(1000)) == 1000
    assert loads_bounded("[" * MAX_DEPTH + "]" * MAX_DEPTH, what="x") is not None
    with pytest.raises(ProtocolError, match="33 levels deep"):
        loads_bounded("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), what="x")


def test_size_is_checked_before_parsing() -> None:
    with pytest.raises(ProtocolError, match="more than the 100 bytes allowed"):
        loads_bounded(" " * 101, what="the doc", max_bytes=100)
    with pytest.raises(ProtocolError, match="more than the 100 bytes allowed"):
        loads_bounded("é" * 60, what="the doc", max_bytes=100)  # 120 bytes in UTF-8
    with pytest.raises(ProtocolError, match="not UTF-8"):
        loads_bounded(b"\xff{}", what="the doc")


def test_call_state_errors_are_typed_protocol_errors() -> None:
    assert issubclass(CallStateInvalid, ProtocolError)


def test_a_control_event_name_is_shown_bounded() -> None:
    from cxone_desktop.cxone.control_event import NAME_CHARS, ControlEvent, ControlKind

    event = ControlEvent.parse(json.dumps({"event": "e" * 50_000}))
    assert event.kind is ControlKind.OTHER
    assert event.name == "e" * NAME_CHARS
