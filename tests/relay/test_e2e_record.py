"""Each platform's push simulator → relay → the real `record` command, bit-exact after μ-law."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.relay.server import RelayServer
from cxone_desktop.serving.tls import make_throwaway_certificate, server_ssl_context
from cxone_desktop.simulator.push.pacing import HoldPlan
from cxone_desktop.simulator.push.push_command import call_id_of, make_push

from .support import PUSH_ENV, QA, read_wav_pcm16, relay_config, synthetic_call, until

PY = [sys.executable, "-m", "cxone_desktop"]


async def record_through_relay(
    relay: RelayServer,
    platform: str,
    tmp_path: Path,
    *,
    hold: HoldPlan | None = None,
    ssl_context=None,
    ca_file: Path | None = None,
    seconds: float = 2.46,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Push one call, record it with `record`; (recorded raw, expected mix, record's stdout)."""
    audio = synthetic_call(seconds)
    push = make_push(
        platform,
        f"{relay.ws_base_url}/ingest/{platform}",
        audio,
        PUSH_ENV,
        hold=hold,
        ssl_context=ssl_context,
    )
    push.gate = gate = asyncio.Event()
    call_id = call_id_of(push)
    pushing = asyncio.create_task(push.run())
    await until(lambda: relay.registry.get(call_id) is not None, what="the call to open")
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
    return read_wav_pcm16(folder / "raw.wav"), audio.expected("mixed"), stderr.decode()


@pytest.mark.parametrize("platform", ["audiohook", "cxone", "twilio"])
async def test_record_gets_the_pushed_call_bit_exact(platform: str, tmp_path: Path) -> None:
    async with RelayServer(relay_config()) as relay:
        raw, expected, _ = await record_through_relay(relay, platform, tmp_path)
    assert raw.size == expected.size
    assert np.array_equal(raw, expected)


@pytest.mark.parametrize("platform", ["audiohook", "cxone"])
async def test_a_hold_keeps_the_recording_whole(platform: str, tmp_path: Path) -> None:
    config = relay_config(
        cxone=relay_config().cxone.__class__(
            auth_header=relay_config().cxone.auth_header, hold_grace_s=3.0
        )
    )
    async with RelayServer(config) as relay:
        raw, expected, _ = await record_through_relay(
            relay, platform, tmp_path, hold=HoldPlan(at_s=1.0, for_s=1.0)
        )
    assert np.array_equal(raw, expected)


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
        raw, expected, _ = await record_through_relay(
            relay, platform, tmp_path, ssl_context=client_ctx, ca_file=made.ca_path
        )
    assert np.array_equal(raw, expected)
