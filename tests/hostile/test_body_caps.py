"""Issue 17, finding 5: bodies and messages with no size limit.

A 50 MB call-state body took the client to 342 MB; a 5 MB token body was accepted;
every 1 MiB control message went whole to events.jsonl and stderr. Token and
call-state bodies are streamed and refused past 64 KiB (also when compressed, also
when dribbled); control messages past 64 KiB are not parsed; event lines are capped.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import pytest
from aiohttp import web

from cxone_desktop.cxone import capped_http
from cxone_desktop.cxone.bounded_json import MAX_DOCUMENT_BYTES
from cxone_desktop.errors import CallStateInvalid, TokenResponseInvalid
from cxone_desktop.session.event_budget import MAX_EVENT_LINE_BYTES
from cxone_desktop.session.stream_session import StreamSession

from .tenant import HostileTenant, audio, audio_forever, call_states, events, run_record, summary

MB = 1 << 20


class Firehose:
    """Streams `total` bytes of a JSON-looking body in chunks; counts what it got out."""

    def __init__(self, total: int, *, declare_length: bool, prefix: bytes = b'{"state":"') -> None:
        self.total = total
        self.declare_length = declare_length
        self.prefix = prefix
        self.written = 0
        self.finished = False

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        if self.declare_length:
            resp.content_length = self.total
        await resp.prepare(request)
        chunk = b"a" * 65536
        try:
            await resp.write(self.prefix)
            self.written = len(self.prefix)
            while self.written < self.total:
                piece = chunk[: self.total - self.written]
                await resp.write(piece)
                self.written += len(piece)
            self.finished = True
        except (ConnectionError, RuntimeError):
            pass  # the client hung up: what we wanted
        return resp


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
async def test_a_5_mb_token_body_is_refused(
    tenant: HostileTenant, tmp_path: Path, declare_length: bool
) -> None:
    hose = Firehose(5 * MB, declare_length=declare_length, prefix=b'{"access_token":"')
    tenant.token = hose
    result = await StreamSession(tenant.config(tmp_path)).run()
    assert result.outcome == "auth_failed"
    assert isinstance(result.error, TokenResponseInvalid)
    assert f"{MAX_DOCUMENT_BYTES} bytes" in result.error.message
    assert not hose.finished  # the client stopped reading: it never held 5 MB


async def test_a_50_mb_call_state_body_is_refused_while_the_stream_goes_on(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    hose = Firehose(50 * MB, declare_length=False)
    served = {"n": 0}

    async def answer(request: web.Request) -> web.StreamResponse:
        served["n"] += 1
        if served["n"] <= 2:
            return await hose(request)
        return await call_states("ended")(request)

    tenant.call_state = answer
    tenant.stream = audio_forever
    result = await StreamSession(tenant.config(tmp_path)).run()
    assert result.outcome == "ended", result.errors
    assert any(e.startswith("CallStateInvalid") and "bytes" in e for e in result.errors)
    assert not hose.finished and hose.written < 50 * MB


async def test_a_gzip_bomb_call_state_is_refused(tenant: HostileTenant, tmp_path: Path) -> None:
    bomb = gzip.compress(b'{"state":"' + b"a" * (20 * MB) + b'"}')  # ~20 KB on the wire
    assert len(bomb) < MAX_DOCUMENT_BYTES

    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
        )

    tenant.call_state = answer
    config = tenant.config(tmp_path)
    from cxone_desktop.cxone.call_state import CallStatePoller
    from cxone_desktop.cxone.token_provider import TokenProvider

    tokens = TokenProvider(config.endpoints, config.credentials)
    poller = CallStatePoller(config.endpoints, config.call_id, tokens)
    try:
        with pytest.raises(CallStateInvalid, match="larger than"):
            await poller.fetch()
    finally:
        await poller.aclose()
        await tokens.aclose()


async def test_an_honest_gzip_answer_is_read(tenant: HostileTenant, tmp_path: Path) -> None:
    """We ask for no compression, but a server that compresses a small answer anyway works."""

    async def answer(request: web.Request) -> web.StreamResponse:
        body = gzip.compress(json.dumps({"state": "on_hold"}).encode())
        return web.Response(
            body=body, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
        )

    tenant.call_state = answer
    config = tenant.config(tmp_path)
    from cxone_desktop.cxone.call_state import CallStatePoller
    from cxone_desktop.cxone.token_provider import TokenProvider

    tokens = TokenProvider(config.endpoints, config.credentials)
    poller = CallStatePoller(config.endpoints, config.call_id, tokens)
    try:
        assert (await poller.fetch()).status == "on_hold"
    finally:
        await poller.aclose()
        await tokens.aclose()


async def test_a_dribbled_token_body_times_out_instead_of_waiting_for_days(
    tenant: HostileTenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capped_http, "REQUEST_DEADLINE_S", 1.0)

    async def dribble(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        try:
            for _ in range(600):  # a byte every 0.2 s: each read is quick, the whole is not
                await resp.write(b" ")
                await asyncio.sleep(0.2)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    tenant.token = dribble
    result = await StreamSession(tenant.config(tmp_path)).run()
    assert result.outcome == "stream_failed"  # unreachable after retries, not a hang
    assert result.error is not None and "did not answer in time" in result.error.message


async def test_megabyte_control_messages_are_not_copied_to_events_or_stderr(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    # Under websockets' 1 MiB message limit (past it the socket closes 1009: the storm
    # tests), far over the 64 KiB control-message cap.
    big = json.dumps({"event": "call.note", "blob": "x" * 900_000})
    medium = json.dumps({"event": "call.note", "blob": "y" * 60_000})  # under it: parsed

    async def behave(ws: web.WebSocketResponse, _request: web.Request) -> None:
        await ws.send_bytes(audio(5))
        for _ in range(20):
            await ws.send_str(big)
            await ws.send_str(medium)
        await ws.send_bytes(audio(5, 800))
        await ws.close(code=1000)

    tenant.stream = behave
    rc, out, err = await run_record(tenant, tmp_path / "out")
    assert rc == 0, err[-2000:]
    folder = Path(out.strip().splitlines()[-1])
    lines = (folder / "events.jsonl").read_bytes().splitlines()
    assert max(len(line) for line in lines) <= MAX_EVENT_LINE_BYTES
    notes = [e for e in events(folder) if e["kind"] == "control"]
    assert len(notes) == 20 and all(e.get("truncated") for e in notes)
    assert "…[cut:" in notes[0]["message"]
    unparsable = [e for e in events(folder) if e["kind"] == "control_unparsable"]
    assert [e["count"] for e in unparsable] == [1, 2, 4, 8, 16]  # a trail, not a copy of each
    assert len(err) < 100_000, "stderr is not a copy of the messages"
    assert summary(folder)["files"]["events.jsonl"]["events_truncated"] == 20


async def test_a_flood_of_small_control_messages_leaves_a_trail_not_a_copy(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    async def behave(ws: web.WebSocketResponse, _request: web.Request) -> None:
        await ws.send_bytes(audio(5))
        for i in range(3000):
            await ws.send_str(json.dumps({"event": "call.tick", "i": i}))
        await ws.send_bytes(audio(5, 800))
        await ws.close(code=1000)

    tenant.stream = behave
    rc, out, err = await run_record(tenant, tmp_path / "out")
    assert rc == 0, err[-2000:]
    printed = [line for line in err.splitlines() if line.startswith("[control]")]
    assert 10 <= len(printed) <= 14  # the 1st, 2nd, 4th … 2048th: with their counts
    assert '"count": 2048' in printed[-1]
    folder = Path(out.strip().splitlines()[-1])
    assert events(folder)[-1]["kind"] == "state"  # how the call ended is there
