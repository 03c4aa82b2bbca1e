"""Two-party calls through the real session and the simulator over real sockets: both parties
bit-exact in a 2-channel raw.wav, processed.wav as the listening mode put it, per-party gain,
talk-over and silences found where the constructed call has them, a mode switch mid-call."""

from __future__ import annotations

import asyncio
import csv
import json
import wave
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.listen_mode import PartyAudibility
from cxone_desktop.core.two_party_playout import PARTY_COLUMNS
from cxone_desktop.session.stream_session import StreamSession
from cxone_desktop.simulator.config import Impairments

from .conftest import CALL_ID, session_config
from .two_party_call import expected_talk, write_two_party_wav

PASSTHROUGH = DspSettings(gain=1.0, noise_threshold=0, gate_mode="off")


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getsampwidth()) == (8000, 2)
        return w.getnchannels(), np.frombuffer(w.readframes(w.getnframes()), "<i2")


def events(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]


@pytest.fixture
def two_party_wav(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    path = tmp_path / "two-party.wav"
    agent, customer = write_two_party_wav(path)
    return path, agent, customer


async def test_both_parties_are_recorded_bit_exact_and_the_talk_is_counted(
    start_simulator, tmp_path, two_party_wav
):
    path, agent, customer = two_party_wav
    async with start_simulator(
        Impairments(fragment="random", seed=4), audio_path=path, two_party=True
    ) as sim:
        session = StreamSession(session_config(sim, tmp_path, dsp=PASSTHROUGH, channels="both"))
        result = await session.run()
        sent = np.frombuffer(sim.sent_audio(CALL_ID), "<i2")
    assert result.outcome == "ended", result.errors
    folder = result.folder
    channels, raw = read_wav(folder / "raw.wav")
    assert channels == 2
    assert np.array_equal(raw, sent)  # exactly what the server sent, whole frames
    assert np.array_equal(raw[0::2], agent) and np.array_equal(raw[1::2], customer)
    channels, processed = read_wav(folder / "processed.wav")
    assert channels == 2
    # "both" at 0 dB plays what was received, in order; the jitter buffer may add a silent
    # frame or drop a quiet one (random message sizes arrive in bursts), never change one.
    frames = processed.reshape(-1, 320)
    played = frames[frames.any(axis=1)]
    received = raw.reshape(-1, 320)
    j = 0
    for frame in played:
        while j < len(received) and not np.array_equal(received[j], frame):
            j += 1
        assert j < len(received), "a played frame is not a received one, or out of order"
        j += 1
    assert len(received) - len(played) <= 5 and len(frames) - len(played) <= 5

    summary = json.loads((folder / "summary.json").read_text())
    talk, expected = summary["talk"], expected_talk()
    frame = 0.02 + 1e-9
    assert talk["agent_talk_s"] == pytest.approx(expected.agent_s, abs=2 * frame)
    assert talk["customer_talk_s"] == pytest.approx(expected.customer_s, abs=2 * frame)
    assert talk["talk_over_s"] == pytest.approx(expected.talk_over_s, abs=2 * frame)
    assert talk["longest_silence_s"] == pytest.approx(expected.longest_silence_s, abs=2 * frame)
    assert talk["agent_talk_share"] == pytest.approx(3.0 / 5.3, abs=0.02)
    assert summary["parties"] == 2 and summary["files"]["raw.wav"]["channels"] == 2
    assert any(e["kind"] == "parties" and e["parties"] == 2 for e in events(folder))

    with (folder / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert rows and set(PARTY_COLUMNS) <= set(rows[0])
    over = [float(r["talk_over"]) for r in rows]
    assert all(0.0 <= v <= 1.0 for v in over)
    # The first second (from the session's start) holds no talk-over; seconds 2-3 do.
    assert over[0] == 0.0 and max(over) > 0.3
    assert all(float(r["agent_level_dbfs"]) > -120 for r in rows)


async def test_mixed_puts_the_mix_on_both_sides_and_a_switch_needs_no_reconnect(
    start_simulator, tmp_path, two_party_wav
):
    path, agent, customer = two_party_wav
    async with start_simulator(audio_path=path, two_party=True) as sim:
        session = StreamSession(session_config(sim, tmp_path, dsp=PASSTHROUGH, channels="mixed"))
        task = asyncio.create_task(session.run())
        while session.pipeline.processed_wave.total_written < 8000 * 2 * 2:  # 2 s played
            await asyncio.sleep(0.02)
        session.set_listen_mode("customer")
        session.set_audible(PartyAudibility(customer_muted=True))  # the device only
        result = await task
        connections = sim.connections(CALL_ID)
    assert result.outcome == "ended" and connections == 1
    _, processed = read_wav(result.folder / "processed.wav")
    left, right = processed[0::2], processed[1::2]
    assert np.array_equal(left, right)
    mix = np.clip(agent.astype(np.int32) + customer, -32768, 32767).astype(np.int16)
    # Each played frame is the mix's, then (from the switch on) the customer's own, never the
    # customer muted: mute reaches the sound device only. The jitter buffer may add silence.
    mixes = {f.tobytes() for f in mix.reshape(-1, 160)}
    customers = {f.tobytes() for f in customer.reshape(-1, 160)}
    kinds = [
        "mix" if f.tobytes() in mixes else "customer" if f.tobytes() in customers else
        "silence" if not f.any() else "other"
        for f in left.reshape(-1, 160)
    ]  # fmt: skip
    heard = [k for k in kinds if k != "silence"]
    assert "other" not in heard
    switch = heard.index("customer")
    assert 90 <= switch <= 160 and set(heard[switch:]) == {"customer"}
    assert heard.count("mix") + heard.count("customer") >= 280
    modes = [e for e in events(result.folder) if e["kind"] == "listen_mode"]
    assert [m["mode"] for m in modes] == ["customer"]


async def test_each_party_has_its_own_gain_when_unlinked(start_simulator, tmp_path, two_party_wav):
    path, agent, customer = two_party_wav
    half = PASSTHROUGH.with_changes(gain=0.5)
    async with start_simulator(audio_path=path, two_party=True) as sim:
        config = session_config(sim, tmp_path, dsp=PASSTHROUGH, customer_dsp=half, channels="both")
        session = StreamSession(config)
        task = asyncio.create_task(session.run())
        while session.pipeline.processed_wave.total_written < 8000 * 2:  # 0.5 s played
            await asyncio.sleep(0.02)
        session.set_dsp(PASSTHROUGH)  # linked again, mid-call
        result = await task
    _, processed = read_wav(result.folder / "processed.wav")
    agent_frames = {f.tobytes() for f in agent.reshape(-1, 160)}
    halved = (customer.astype(np.float64) * 0.5).astype(np.int16)
    halved_frames = {f.tobytes() for f in halved.reshape(-1, 160)}
    customer_frames = {f.tobytes() for f in customer.reshape(-1, 160)}
    left = [f for f in processed[0::2].reshape(-1, 160) if f.any()]
    right = [f.tobytes() for f in processed[1::2].reshape(-1, 160) if f.any()]
    assert all(f.tobytes() in agent_frames for f in left)  # the agent's gain stayed 0 dB
    first_full = next(i for i, f in enumerate(right) if f not in halved_frames)
    assert first_full >= 20  # halved for the first 0.5 s at least, then as received
    assert all(f in customer_frames for f in right[first_full:])
    summary = json.loads((result.folder / "summary.json").read_text())
    assert summary["settings"]["customer_dsp"] == {
        "gain": 0.5, "noise_threshold": 0, "gate_mode": "off",
    }  # fmt: skip
    relinked = [e for e in events(result.folder) if e["kind"] == "dsp"]
    assert relinked and "customer" not in relinked[-1]


async def test_a_one_party_server_gives_the_mono_mix_whatever_mode_was_asked(
    start_simulator, tmp_path
):
    async with start_simulator() as sim:  # no --two-party: the call state says channels 1
        session = StreamSession(session_config(sim, tmp_path, channels="both"))
        result = await session.run()
        sent = sim.sent_audio(CALL_ID)
    assert result.outcome == "ended", result.errors
    channels, raw = read_wav(result.folder / "raw.wav")
    assert channels == 1 and raw.tobytes() == sent
    assert read_wav(result.folder / "processed.wav")[0] == 1
    summary = json.loads((result.folder / "summary.json").read_text())
    assert summary["parties"] == 1 and "talk" not in summary
    with (result.folder / "metrics.csv").open() as f:
        assert "talk_over" not in next(csv.reader(f))


async def test_asked_for_the_mix_the_session_takes_the_mix(
    start_simulator, tmp_path, two_party_wav
):
    path, agent, customer = two_party_wav
    async with start_simulator(audio_path=path, two_party=True) as sim:
        result = await StreamSession(
            session_config(sim, tmp_path, dsp=PASSTHROUGH, two_party=False)
        ).run()
    channels, raw = read_wav(result.folder / "raw.wav")
    assert channels == 1
    assert np.array_equal(raw, np.clip(agent.astype(np.int32) + customer, -32768, 32767))
