"""Issue 17, findings 3 and 4, and `--duration`: streams and pollers that go quiet.

A server that answers pings and sends no audio kept `record` "streaming" forever;
dead-peer detection took 90–100 s against the promised 60; one bad call-state
response killed the poller silently, so a call ending only through REST was never
noticed; `--duration 4` took 74 s when the stream would not open.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from cxone_desktop.cxone.settings import StreamSettings
from cxone_desktop.cxone.voice_stream import StreamEnd
from cxone_desktop.errors import StreamNeverOpened
from cxone_desktop.session import call_link
from cxone_desktop.session.silence_watch import SilenceWatch, seconds_since_audio
from cxone_desktop.session.stream_session import StreamSession

from .tenant import HostileTenant, audio, audio_forever, call_states, events, run_record, summary


async def silent_but_alive(ws: web.WebSocketResponse, _request: web.Request) -> None:
    """call.started, one frame, then nothing; pings are answered (aiohttp autoping)."""
    await ws.send_str('{"event":"call.started"}')
    await ws.send_bytes(audio(1))
    await asyncio.sleep(3600)


async def test_a_silent_but_live_stream_is_said_and_reconnected(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    served = {"n": 0}

    async def stream(ws: web.WebSocketResponse, request: web.Request) -> None:
        served["n"] += 1
        if served["n"] == 1:
            await silent_but_alive(ws, request)
        else:
            await ws.send_bytes(audio(20))
            await ws.close(code=1000)

    tenant.stream = stream
    result = await StreamSession(tenant.config(tmp_path, silence_timeout_s=0.6)).run()
    assert result.outcome == "ended", result.errors
    assert result.reconnects == 1
    assert [e for e in result.errors if e.startswith("StreamSilent")] == [
        "StreamSilent: No audio for 0.6 s although the call is up; reconnecting."
    ]
    assert not any(e.startswith("StreamClosedAbnormally") for e in result.errors)
    closes = [e for e in events(result.folder) if e["kind"] == "closed"]
    assert closes[0]["reason"] == "no audio for 0.6 s" and closes[0]["normal"] is False


async def test_record_ends_a_silent_stream_with_exit_4_after_its_budget(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    """The issue's server: before, `record` streamed at 0 kbps forever."""
    tenant.stream = silent_but_alive
    rc, out, err = await run_record(
        tenant, tmp_path / "out", "--silence-timeout", "0.5", "--reconnect-budget", "1.5",
        timeout_s=60,
    )  # fmt: skip
    assert rc == 4, err[-2000:]
    doc = summary(Path(out.strip().splitlines()[-1]))
    assert any(e.startswith("StreamSilent") for e in doc["errors"])
    assert any(e.startswith("RetriesExhausted") for e in doc["errors"])


async def test_a_peer_that_stops_answering_pings_is_dead_within_its_deadline(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    """Audio keeps coming but pongs never do: keepalive, not silence, ends the connection."""
    served = {"n": 0}

    async def stream(ws: web.WebSocketResponse, request: web.Request) -> None:
        served["n"] += 1
        if served["n"] > 1:
            await ws.send_bytes(audio(10))
            await ws.close(code=1000)
            return
        i = 0
        while True:  # keeps sending; with autoping off nobody answers the client's pings
            await ws.send_bytes(audio(1, i))
            i += 160
            await asyncio.sleep(0.02)

    tenant.stream = stream
    tenant.autoping = False
    settings = StreamSettings(ping_interval_s=0.2, dead_after_s=0.8, close_timeout_s=0.2)
    config = tenant.config(tmp_path, stream=settings, silence_timeout_s=60)
    result = await asyncio.wait_for(StreamSession(config).run(), timeout=30)
    assert result.outcome == "ended", result.errors
    assert result.reconnects == 1
    closes = [e for e in events(result.folder) if e["kind"] == "closed"]
    assert closes[0]["code"] in (1011, None)  # keepalive ping timeout (or the abort after it)


async def test_the_keepalive_promise_reaches_the_socket(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    """Ping every 30 s; dead (and dropped) 60 s after the last sign of life."""
    tenant.stream = audio_forever
    session = StreamSession(tenant.config(tmp_path))
    task = asyncio.create_task(session.run())
    while session._link is None or session._link.stream is None:
        await asyncio.sleep(0.01)
    ws = session._link.stream._ws
    assert ws is not None
    assert ws.ping_interval == 30 and ws.close_timeout == 2
    assert ws.ping_interval + ws.ping_timeout + ws.close_timeout == 60
    await session.stop()
    await task


async def test_a_poller_that_raises_anything_is_reported_restarted_and_sees_the_end(
    tenant: HostileTenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(call_link, "CALL_STATE_RETRY_S", 0.2)
    tenant.stream = audio_forever  # only the call-state endpoint can end this call
    tenant.call_state = call_states("active", "active", "active", "ended")
    session = StreamSession(tenant.config(tmp_path, poll_interval_s=0.2))
    failures = iter([KeyError("surprise"), RuntimeError("library bug")])

    async def run() -> object:
        while session._link is None:
            await asyncio.sleep(0.005)
        poller = session._link._poller
        real_fetch = poller.fetch

        async def flaky_fetch(**kwargs: object) -> object:
            failure = None if kwargs else next(failures, None)  # the watcher's polls only
            if failure is not None:
                raise failure
            return await real_fetch(**kwargs)  # type: ignore[arg-type]

        poller.fetch = flaky_fetch  # type: ignore[method-assign]
        return None

    patcher = asyncio.create_task(run())
    result = await asyncio.wait_for(session.run(), timeout=60)
    await patcher
    assert result.outcome == "ended", result.errors
    said = [e for e in result.errors if e.startswith("CallStateError")]
    assert said and "poller failed (KeyError)" in said[0]
    assert any(e["kind"] == "call_state_restored" for e in events(result.folder))


async def test_duration_bounds_a_connect_that_never_completes(
    tenant: HostileTenant, tmp_path: Path
) -> None:
    async def never(request: web.Request) -> web.StreamResponse | None:
        await asyncio.sleep(3600)  # the handshake hangs (within the client's 10 s timeout)
        return None

    tenant.handshake = never
    result = await asyncio.wait_for(
        StreamSession(tenant.config(tmp_path, duration_s=1.0)).run(), timeout=30
    )
    assert result.outcome == "stream_failed"
    assert isinstance(result.error, StreamNeverOpened)
    assert "--duration 1 s" in result.error.message
    rc, _out, err = await run_record(tenant, tmp_path / "rec", "--duration", "2", timeout_s=30)
    assert rc == 4, err[-2000:]


def test_seconds_since_audio_counts_from_the_connection_when_it_brought_none() -> None:
    assert seconds_since_audio(None, opened_s=10.0, now_s=14.0) == 4.0
    assert seconds_since_audio(12.0, opened_s=10.0, now_s=14.0) == 2.0
    assert seconds_since_audio(8.0, opened_s=10.0, now_s=14.0) == 4.0  # an older connection's


def test_silence_while_on_hold_does_not_count_and_trips_once() -> None:
    watch = SilenceWatch(timeout_s=30)
    watch.opened(0.0)
    assert not watch.check(29.0, call_up=True)
    assert not watch.check(40.0, call_up=False)  # on hold: the clock restarts
    assert not watch.check(65.0, call_up=True)
    assert watch.check(70.0, call_up=True)
    assert not watch.check(80.0, call_up=True)  # said once per connection
    end = watch.end_of(StreamEnd(code=1000, reason=""))
    assert not end.normal and end.reason == "no audio for 30 s"
    watch.opened(81.0)
    assert watch.end_of(StreamEnd(code=1000, reason="")).normal


@pytest.mark.parametrize("timeout", [0.0, -1.0])
def test_a_silence_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError):
        SilenceWatch(timeout_s=timeout)
