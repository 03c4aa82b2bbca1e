"""Whole calls through the real session against the simulator over real sockets."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.state_machine import CallState
from cxone_desktop.cxone.settings import Credentials
from cxone_desktop.errors import HandshakeRejected, InvalidCredentials
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.observer import SessionObserver
from cxone_desktop.session.stream_session import StreamSession
from cxone_desktop.simulator.config import Impairments

from .conftest import CALL_ID, session_config

PASSTHROUGH = DspSettings(gain=1.0, noise_threshold=0, gate_mode="off")


def wav_bytes(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        return w.readframes(w.getnframes())


def states(session: StreamSession) -> list[CallState]:
    return [t.state for t in session.state_machine.history]


@pytest.mark.parametrize("fragment", ["random", "tiny", "merged", "aligned"])
async def test_raw_wav_holds_exactly_the_bytes_the_server_sent(start_simulator, tmp_path, fragment):
    async with start_simulator(Impairments(fragment=fragment, seed=3)) as sim:
        session = StreamSession(session_config(sim, tmp_path, dsp=PASSTHROUGH))
        result = await session.run()
        sent = sim.sent_audio(CALL_ID)
    assert result.outcome == "ended", result.errors
    assert len(sent) > 20000
    assert wav_bytes(result.folder / "raw.wav") == sent
    assert states(session) == [
        CallState.IDLE,
        CallState.CONNECTING,
        CallState.STREAMING,
        CallState.DISCONNECTING,
        CallState.TERMINATED,
    ]


async def test_processed_wav_is_the_played_audio_with_gain_applied(start_simulator, tmp_path):
    async with start_simulator() as sim:
        session = StreamSession(
            session_config(
                sim, tmp_path, dsp=DspSettings(gain=0.5, noise_threshold=0, gate_mode="off")
            )
        )
        result = await session.run()
        sent = np.frombuffer(sim.sent_audio(CALL_ID), np.int16)
    played = np.frombuffer(wav_bytes(result.folder / "processed.wav"), np.int16)
    # Every received frame was played once (no loss on loopback), halved.
    assert len(played) == len(sent)
    assert np.abs(played.astype(int) - (sent.astype(int) // 2)).max() <= 1
    assert result.snapshot.concealed_frames == 0


async def test_wrong_secret_fails_fast_with_a_401_message(start_simulator, tmp_path):
    async with start_simulator() as sim:
        config = session_config(
            sim, tmp_path / "out", credentials=Credentials(sim.config.client_id, "wrong")
        )
        result = await StreamSession(config).run()
    assert result.outcome == "auth_failed"
    assert isinstance(result.error, InvalidCredentials)
    assert "401" in result.error.message
    assert "agent:voice:stream" in result.error.message + result.error.remedy
    # Nothing was heard: no session folder is left to clean up by hand.
    assert result.folder is None and list((tmp_path / "out").iterdir()) == []


async def test_token_without_stream_scope_is_refused_with_the_scope_message(
    start_simulator, tmp_path
):
    async with start_simulator(granted_scopes=("interaction:view",)) as sim:
        result = await StreamSession(session_config(sim, tmp_path)).run()
    assert result.outcome == "auth_failed"
    assert isinstance(result.error, HandshakeRejected) and result.error.status == 403
    assert "agent:voice:stream" in result.error.message


async def test_abrupt_drop_reconnects_while_the_call_is_active_and_keeps_recording(
    start_simulator, tmp_path
):
    async with start_simulator(Impairments(drop_after_s=0.5, seed=1)) as sim:
        session = StreamSession(session_config(sim, tmp_path))
        result = await session.run()
        sent = sim.sent_audio(CALL_ID)
        connections = sim.connections(CALL_ID)
    assert result.outcome == "ended", result.errors
    assert connections >= 2 and result.reconnects == connections - 1
    seq = states(session)
    assert CallState.RECONNECTING in seq
    assert seq[seq.index(CallState.RECONNECTING) + 1] is CallState.STREAMING
    assert seq[-1] is CallState.TERMINATED
    # Both connections' audio is in one raw.wav, in order (a partial frame at a drop is kept too).
    assert wav_bytes(result.folder / "raw.wav") == sent
    summary = json.loads((result.folder / "summary.json").read_text())
    assert summary["reconnects"] == result.reconnects
    assert any("closed abnormally" in e for e in summary["errors"])


async def test_token_expiring_mid_call_is_refreshed_for_the_reconnect(start_simulator, tmp_path):
    async with start_simulator(Impairments(drop_after_s=1.0, seed=2), token_ttl_s=0.8) as sim:
        result = await StreamSession(session_config(sim, tmp_path)).run()
        requests = sim.token_requests
    assert result.outcome == "ended", result.errors
    assert result.reconnects >= 1
    assert requests >= 2  # the first token had expired by the reconnect


async def test_rate_limited_token_endpoint_is_retried_after_retry_after(start_simulator, tmp_path):
    events: list[dict] = []

    class Collect(SessionObserver):
        def on_event(self, event: dict) -> None:
            events.append(event)

    async with start_simulator(rate_limit=1) as sim:
        session = StreamSession(session_config(sim, tmp_path))
        session.add_observer(Collect())
        result = await session.run()
    assert result.outcome == "ended", result.errors
    retries = [e for e in events if e["kind"] == "retry"]
    assert retries and retries[0]["delay_s"] >= 1.0  # Retry-After: 1 honoured


async def test_hold_closes_the_socket_and_the_session_resumes_after_it(start_simulator, tmp_path):
    async with start_simulator(Impairments(hold_at_s=0.4, hold_for_s=0.8, seed=1)) as sim:
        session = StreamSession(session_config(sim, tmp_path, poll_interval_s=0.3))
        result = await session.run()
    assert result.outcome == "ended", result.errors
    assert result.reconnects >= 1
    reasons = [t.reason for t in session.state_machine.history]
    assert any("hold" in r for r in reasons)
    # 0.8 s on hold is a pause, not 40 lost frames.
    assert result.snapshot.lost_frames <= 2


async def until(condition, timeout_s: float = 20.0) -> None:
    """Wait for `condition()`, failing the test if it does not come within `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.01)


async def start_streaming(sim, tmp_path, **overrides) -> tuple[StreamSession, asyncio.Task[Any]]:
    """A session running as a task, returned once it is STREAMING (fails if it never is)."""
    session = StreamSession(session_config(sim, tmp_path, **overrides))
    task = asyncio.create_task(session.run())
    await until(lambda: session.state_machine.state is CallState.STREAMING or task.done())
    assert session.state_machine.state is CallState.STREAMING, task.result()
    return session, task


async def test_stop_while_streaming_finalizes_the_recording(start_simulator, tmp_path):
    async with start_simulator(loop=True) as sim:
        session, task = await start_streaming(sim, tmp_path)
        await until(lambda: session.raw_wave.total_written >= 4000)
        await session.stop()
        result = await task
    assert result.outcome == "stopped"
    assert states(session)[-2:] == [CallState.DISCONNECTING, CallState.TERMINATED]
    assert (result.folder / "summary.json").exists()
    assert not (result.folder / ".recording").exists()
    assert len(wav_bytes(result.folder / "raw.wav")) > 4000


async def test_slider_change_reaches_the_next_frames(start_simulator, tmp_path):
    async with start_simulator(loop=True) as sim:
        session, task = await start_streaming(sim, tmp_path, dsp=PASSTHROUGH)
        played = session.processed_wave
        await until(lambda: played.total_written >= 1600)
        loud = np.abs(played.data()[-1600:]).max()
        session.set_dsp(DspSettings(gain=0.1, noise_threshold=0, gate_mode="off"))
        mark = played.total_written
        await until(lambda: played.total_written >= mark + 3200)  # 0.4 s more played
        quiet = np.abs(played.data()[-1600:]).max()
        for step in range(1, 51):  # a drag: fifty slider steps (coalescing: test_pipeline)
            session.set_dsp(DspSettings(gain=step / 100, noise_threshold=0, gate_mode="off"))
        await session.stop()
        await task
    assert loud > 1000
    assert quiet < loud * 0.2
    events = [json.loads(line) for line in (session.folder / "events.jsonl").open()]
    gains = [e["gain"] for e in events if e["kind"] == "dsp"]
    assert gains[0] == 0.1 and gains[-1] == 0.5  # the first change at once, the final value last


async def test_no_secret_or_token_reaches_logs_or_the_session_folder(
    start_simulator, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    async with start_simulator(Impairments(drop_after_s=0.5, seed=4)) as sim:
        result = await StreamSession(session_config(sim, tmp_path)).run()
        tokens = list(sim._tokens._tokens)  # every token the simulator issued
        secret = sim.config.client_secret
    assert tokens
    blobs = [caplog.text, repr(result)]
    blobs += [p.read_bytes().decode("latin-1") for p in result.folder.iterdir()]
    for blob in blobs:
        assert secret not in blob
        for token in tokens:
            assert token not in blob


async def test_tls_with_a_private_ca_streams_and_refuses_without_it(start_simulator, tmp_path):
    from cxone_desktop.cxone.settings import TlsSettings
    from cxone_desktop.errors import TlsVerificationFailed
    from cxone_desktop.simulator.tls import make_throwaway_certificate, server_ssl_context

    cert = make_throwaway_certificate(["127.0.0.1"], tmp_path / "tls")
    context = server_ssl_context(cert.cert_path, cert.key_path)
    async with start_simulator(ssl_context=context) as sim:
        assert sim.base_url.startswith("https://")
        trusted = await StreamSession(
            session_config(sim, tmp_path / "a", tls=TlsSettings(ca_file=str(cert.ca_path)))
        ).run()
        untrusted = await StreamSession(session_config(sim, tmp_path / "b")).run()
        sent = sim.sent_audio(CALL_ID)
    assert trusted.outcome == "ended", trusted.errors
    assert wav_bytes(trusted.folder / "raw.wav") == sent
    assert untrusted.outcome != "ended"
    assert isinstance(untrusted.error, TlsVerificationFailed)


async def test_mulaw_stream_is_decoded_into_raw_wav(start_simulator, tmp_path):
    from cxone_desktop.core.codecs import decode_mulaw

    async with start_simulator(Impairments(fragment="random", seed=5), encoding="mulaw") as sim:
        session = StreamSession(session_config(sim, tmp_path, encoding="mulaw", dsp=PASSTHROUGH))
        result = await session.run()
        sent = sim.sent_audio(CALL_ID)
    assert result.outcome == "ended", result.errors
    assert wav_bytes(result.folder / "raw.wav") == decode_mulaw(sent).tobytes()
    played = np.frombuffer(wav_bytes(result.folder / "processed.wav"), np.int16)
    # Every frame sent is played; bursty 1–1000-byte messages may cost concealed (stretched)
    # or shortened frames, and the buffer counts each: the lengths differ by no more.
    jitter = session.pipeline.jitter
    changed = jitter.concealed_frames + jitter.shrink_dropped_frames + 5
    assert abs(len(played) - len(sent)) <= changed * 160  # μ-law: one byte a sample


async def test_token_endpoint_throttling_past_the_retries_is_a_stream_failure_not_bad_credentials(
    start_simulator, tmp_path
):
    from cxone_desktop.cxone.settings import RetryPolicy
    from cxone_desktop.errors import RateLimited

    async with start_simulator(rate_limit=100) as sim:
        retry = RetryPolicy(max_attempts=2, base_delay_s=0.05, max_delay_s=0.3, max_total_s=10)
        result = await StreamSession(session_config(sim, tmp_path, retry=retry)).run()
    assert result.outcome == "stream_failed"  # `record` exits 4, not 3 ("authentication failed")
    assert isinstance(result.error, RateLimited)


async def test_cancelling_the_session_task_finalizes_it_as_stopped(start_simulator, tmp_path):
    async with start_simulator(loop=True) as sim:
        session, task = await start_streaming(sim, tmp_path)
        await until(lambda: session.raw_wave.total_written >= 1600)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    summary = json.loads((session.folder / "summary.json").read_text())
    assert summary["outcome"] == "stopped"
    assert states(session)[-1] is CallState.TERMINATED
    assert not (session.folder / ".recording").exists()


async def test_session_files_hold_every_transition_and_plain_settings(start_simulator, tmp_path):
    async with start_simulator() as sim:
        result = await StreamSession(session_config(sim, tmp_path, duration_s=1.3)).run()
    folder = result.folder
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    seen = [e["state"] for e in events if e["kind"] == "state"]
    summary = json.loads((folder / "summary.json").read_text())
    history = [h["state"] for h in summary["state_history"] if h["previous"] is not None]
    assert seen == history  # every transition, CONNECTING included
    assert seen[0] == "CONNECTING" and seen[-1] == "TERMINATED"
    assert events[-1]["reason"].startswith("--duration 1.3 s")  # not "stopped by the user"
    header = (folder / "metrics.csv").read_text().splitlines()[0].split(",")
    assert len(header) == len(set(header)) and header[:3] == ["wall_time", "elapsed_s", "state"]
    assert summary["settings"]["token_in"] == "query"  # a setting's name, not a secret


async def test_a_failing_call_state_endpoint_is_reported_once_and_the_call_streams_on(
    start_simulator, tmp_path
):
    from cxone_desktop.cxone.endpoints import Endpoints

    async with start_simulator() as sim:
        broken = Endpoints.from_input(base_url=sim.base_url, call_state_path="/v9/{interactionId}")
        config = session_config(sim, tmp_path, endpoints=broken, poll_interval_s=0.2)
        result = await StreamSession(config).run()
        sent = sim.sent_audio(CALL_ID)
    assert result.outcome == "ended"  # the stream's call.ended and close 1000 still end it
    assert wav_bytes(result.folder / "raw.wav") == sent
    call_state_errors = [e for e in result.errors if e.startswith("CallStateError")]
    assert len(call_state_errors) == 1, result.errors  # once, not every 0.2 s


async def test_a_drop_mid_frame_never_shifts_raw_wav_and_the_gaps_line_up(tmp_path):
    """Against a server that is not ours: raw.wav holds each connection's whole frames."""
    from cxone_desktop.session.wav_file import read_file_cues

    from .mid_frame_server import FRAME_BYTES, MidFrameServer

    rng = np.random.default_rng(12)
    streams = [rng.integers(-3000, 3000, 8000 * 1).astype("<i2").tobytes() for _ in range(3)]
    server = MidFrameServer(streams, cut_bytes=79)
    await server.start()
    try:
        from cxone_desktop.cxone.endpoints import Endpoints
        from cxone_desktop.cxone.settings import RetryPolicy

        config = SessionConfig(
            endpoints=Endpoints.from_input(base_url=server.base_url),
            call_id="mid-frame",
            credentials=Credentials("id", "secret"),
            retry=RetryPolicy(max_attempts=4, base_delay_s=0.05, max_delay_s=0.2),
            out_dir=tmp_path,
            poll_interval_s=0.5,
            dsp=PASSTHROUGH,
        )
        result = await StreamSession(config).run()
    finally:
        await server.stop()
    assert result.outcome == "ended", result.errors
    assert result.reconnects == 2
    whole = b"".join(s[: len(s) // FRAME_BYTES * FRAME_BYTES] for s in server.sent)
    assert wav_bytes(result.folder / "raw.wav") == whole  # nothing glued across a drop
    events = [json.loads(line) for line in (result.folder / "events.jsonl").open()]
    partials = [e for e in events if e["kind"] == "partial_frame"]
    assert [e["bytes"] for e in partials] == [79, 79] and all(e["discarded"] for e in partials)
    summary = json.loads((result.folder / "summary.json").read_text())
    gaps = summary["gaps"]
    assert [g["kind"] for g in gaps] == ["outage", "outage"]
    assert gaps[0]["raw_position_s"] == pytest.approx(len(server.sent[0]) // 320 * 0.02)
    for name in ("raw.wav", "processed.wav"):
        cues = read_file_cues(result.folder / name)
        assert sum(c.label.startswith("connection lost") for c in cues) == 2, cues
        with wave.open(str(result.folder / name)) as w:
            frames = w.getnframes()  # `wave` still reads it with the cues after the data
        assert all(c.frame <= frames for c in cues)
    # One session clock: a gap starts (last audio) just before its socket's `closed` event.
    closes = [e["elapsed_s"] for e in events if e["kind"] == "closed"]
    for gap, closed_at in zip(gaps, closes, strict=True):
        assert gap["elapsed_s"] <= closed_at <= gap["elapsed_s"] + 0.5
    raw_cues = [c.frame for c in read_file_cues(result.folder / "raw.wav")]  # starts only
    assert raw_cues == [round(g["raw_position_s"] * 8000) for g in gaps]
    assert summary["dropped_packets"] >= 0 and summary["metrics"]["gap_ms"] > 0
    quality = summary["mos_estimate"]
    assert 1.0 <= quality["mos"] <= 4.5 and "G.107" in quality["mapping"]


async def test_a_saved_arrival_trace_replays_the_same_network(start_simulator, tmp_path):
    """What a QA analyst hands to support: arrivals.csv from a bad call, replayed exactly."""
    from cxone_desktop.core.arrival_trace import parse_arrival_trace

    bad = Impairments(fragment="random", jitter_ms=30, seed=8)
    async with start_simulator(bad) as sim:
        first = await StreamSession(
            session_config(sim, tmp_path / "a", save_trace=True, playout_mode="quality")
        ).run()
    assert first.outcome == "ended", first.errors
    recorded = parse_arrival_trace((first.folder / "arrivals.csv").read_text())
    summary = json.loads((first.folder / "summary.json").read_text())
    assert summary["settings"]["playout_mode"] == "quality"
    assert (
        len(recorded) == summary["total_packets"] and recorded.total_bytes == summary["total_bytes"]
    )
    assert stat.S_IMODE((first.folder / "arrivals.csv").stat().st_mode) == 0o600

    async with start_simulator(Impairments(arrival_trace=recorded)) as sim:
        second = await StreamSession(session_config(sim, tmp_path / "b", save_trace=True)).run()
    assert second.outcome == "ended", second.errors
    replayed = parse_arrival_trace((second.folder / "arrivals.csv").read_text())
    assert replayed.sizes == recorded.sizes  # the same messages, in the same sizes
    gaps_then = np.diff(recorded.times_s)
    gaps_now = np.diff(replayed.times_s)
    assert np.median(np.abs(gaps_now - gaps_then)) < 0.005  # and the same timing
