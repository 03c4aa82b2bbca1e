"""Each platform's push simulator → relay → the real `record` command, bit-exact after μ-law.

The relay offers every call's parties apart, so `record` asks for them (`?channels=2`):
raw.wav is 2-channel, agent left and customer right, each party exactly as pushed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.relay.server import RelayServer
from cxone_desktop.serving.tls import make_throwaway_certificate, server_ssl_context
from cxone_desktop.simulator.push.pacing import HoldPlan
from cxone_desktop.simulator.push.push_command import call_id_of, make_push
from cxone_desktop.simulator.push.twilio_pusher import TwilioPush
from cxone_desktop.simulator.push.two_party_audio import TwoPartyAudio

from .support import PUSH_ENV, QA, relay_config, synthetic_call, until

PY = [sys.executable, "-m", "cxone_desktop"]


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 8000 and w.getsampwidth() == 2
        return w.getnchannels(), np.frombuffer(w.readframes(w.getnframes()), "<i2")


async def record_through_relay(
    relay: RelayServer,
    platform: str,
    tmp_path: Path,
    *,
    hold: HoldPlan | None = None,
    ssl_context=None,
    ca_file: Path | None = None,
    seconds: float = 2.46,
    record_args: tuple[str, ...] = (),
    loss: float = 0.0,
) -> tuple[Path, TwoPartyAudio, str]:
    """Push one call, record it with `record`; (session folder, the pushed call, stderr)."""
    audio = synthetic_call(seconds)
    push = make_push(
        platform,
        f"{relay.ws_base_url}/ingest/{platform}",
        audio,
        PUSH_ENV,
        hold=hold,
        ssl_context=ssl_context,
        loss=loss,
        seed=5,
    )
    push.gate = gate = asyncio.Event()
    call_id = call_id_of(push)
    pushing = asyncio.create_task(push.run())
    await until(lambda: relay.registry.get(call_id) is not None, what="the call to open")
    opened = relay.registry.get(call_id)
    assert opened is not None
    await until(lambda: opened.summary.channels == 2, what="both parties to join")
    out = tmp_path / "out"
    extra = ["--ca-file", str(ca_file)] if ca_file else []
    proc = await asyncio.create_subprocess_exec(
        *PY,
        "record",
        "--base-url",
        relay.base_url,
        "--client-id",
        QA[0],
        "--call-id",
        call_id,
        "--out",
        str(out),
        "--poll-interval",
        "0.5",
        *extra,
        *record_args,
        env={**os.environ, "CXONE_CLIENT_SECRET": QA[1]},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    call = relay.registry.get(call_id)
    assert call is not None
    try:
        await until(lambda: len(call.fanout.listeners) == 1, 60, "record to connect")
    except AssertionError:
        proc.kill()
        raise
    gate.set()
    await asyncio.wait_for(pushing, 60)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()
    folder = Path(stdout.decode().strip().splitlines()[-1])
    if isinstance(push, TwilioPush):
        LOST[folder] = push.lost
    return folder, audio, stderr.decode()


#: What each Twilio push left out, by the session folder that recorded it.
LOST: dict[Path, list[tuple[str, int]]] = {}


def assert_both_parties_exact(folder: Path, audio: TwoPartyAudio) -> None:
    channels, raw = read_wav(folder / "raw.wav")
    assert channels == 2
    assert raw.size == 2 * audio.samples
    assert np.array_equal(raw[0::2], audio.expected("agent"))
    assert np.array_equal(raw[1::2], audio.expected("customer"))


@pytest.mark.parametrize("platform", ["audiohook", "cxone", "twilio"])
async def test_record_gets_both_pushed_parties_bit_exact(platform: str, tmp_path: Path) -> None:
    async with RelayServer(relay_config()) as relay:
        folder, audio, _ = await record_through_relay(relay, platform, tmp_path)
    assert_both_parties_exact(folder, audio)
    channels, processed = read_wav(folder / "processed.wav")
    assert channels == 2  # the default mode, mixed: the mix on both sides
    assert np.array_equal(processed[0::2], processed[1::2]) and processed.any()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["parties"] == 2 and set(summary["talk"]) >= {"talk_over_s", "longest_silence_s"}


async def test_twilio_media_lost_upstream_is_concealed_in_its_slot_by_the_relay(
    tmp_path: Path,
) -> None:
    async with RelayServer(relay_config()) as relay:
        folder, audio, _ = await record_through_relay(relay, "twilio", tmp_path, loss=0.08)
        concealed = relay.metrics.registry.get_sample_value(
            "relay_concealed_samples_total", {"platform": "twilio"}
        )
    lost = LOST[folder]
    assert concealed == 160 * len(lost)  # operators see it in /metrics
    assert len(lost) >= 8  # of 2 × 123 messages
    channels, raw = read_wav(folder / "raw.wav")
    assert channels == 2 and raw.size == 2 * audio.samples  # nothing shifted, nothing short
    checked = 0
    for channel, track, role in ((0, "outbound", "agent"), (1, "inbound", "customer")):
        got = raw[channel::2].reshape(-1, 160).astype(float)
        truth = audio.expected(role).reshape(-1, 160).astype(float)
        holes = {index for t, index in lost if t == track}
        for k in range(len(truth)):
            if k not in holes:
                assert np.array_equal(got[k], truth[k]), (role, k)  # as pushed, bit-exact
            elif truth[k].any() and k > 0 and truth[k - 1].any():
                # In sounding audio the hole is filled (the relay used to leave silence) at
                # about the loudness around it.
                rms, around = np.sqrt(np.mean(got[k] ** 2)), np.sqrt(np.mean(truth[k] ** 2))
                assert 0.3 * around < rms < 1.5 * around, (role, k, rms, around)
                checked += 1
    assert checked >= 3


async def test_record_channels_both_keeps_the_parties_apart_in_processed_wav(
    tmp_path: Path,
) -> None:
    async with RelayServer(relay_config()) as relay:
        folder, audio, _ = await record_through_relay(
            relay, "cxone", tmp_path, record_args=("--channels", "both", "--gain", "1",
                                                   "--noise-threshold", "0"),
        )  # fmt: skip
    assert_both_parties_exact(folder, audio)
    _, processed = read_wav(folder / "processed.wav")
    frames = processed.reshape(-1, 320)
    played = frames[frames.any(axis=1)]
    agent = {f.tobytes() for f in audio.expected("agent").reshape(-1, 160)}
    customer = {f.tobytes() for f in audio.expected("customer").reshape(-1, 160)}
    sounding = (audio.expected("agent") | audio.expected("customer")).reshape(-1, 160).any(axis=1)
    assert len(played) >= sounding.sum() - 3  # every sounding frame played (bar a shrink)
    exact = [
        np.ascontiguousarray(f[0::2]).tobytes() in agent
        and np.ascontiguousarray(f[1::2]).tobytes() in customer
        for f in played
    ]
    # Each side is exactly its party; only the end may differ: the buffer conceals (fading
    # out) the few slots between the last frame and the close that says the call ended.
    n_exact = exact.index(False) if False in exact else len(exact)
    assert not any(exact[n_exact:]) and len(exact) - n_exact <= 5, exact


@pytest.mark.parametrize("platform", ["audiohook", "cxone"])
async def test_a_hold_keeps_the_recording_whole(platform: str, tmp_path: Path) -> None:
    config = relay_config(
        cxone=relay_config().cxone.__class__(
            auth_header=relay_config().cxone.auth_header, hold_grace_s=3.0
        )
    )
    async with RelayServer(config) as relay:
        folder, audio, _ = await record_through_relay(
            relay, platform, tmp_path, hold=HoldPlan(at_s=1.0, for_s=1.0)
        )
    assert_both_parties_exact(folder, audio)


@pytest.mark.parametrize("platform", ["audiohook", "cxone"])
async def test_tls_with_a_throwaway_ca(platform: str, tmp_path: Path) -> None:
    made = make_throwaway_certificate(["127.0.0.1"], tmp_path / "tls")
    import ssl

    client_ctx = ssl.create_default_context(cafile=str(made.ca_path))
    relay = RelayServer(
        relay_config(), ssl_context=server_ssl_context(made.cert_path, made.key_path)
    )
    async with relay:
        assert relay.base_url.startswith("https://")
        folder, audio, _ = await record_through_relay(
            relay, platform, tmp_path, ssl_context=client_ctx, ca_file=made.ca_path
        )
    assert_both_parties_exact(folder, audio)
