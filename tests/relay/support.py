"""Shared pieces of the relay tests: credentials, a relay config with every platform on, a
synthetic two-party call unlike the demo, and waiting on a condition with a deadline."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

from cxone_desktop.relay.client_rules import ClientRule
from cxone_desktop.relay.config import AudioHookSettings, CXoneSettings, RelayConfig, TwilioSettings
from cxone_desktop.simulator.push.two_party_audio import TwoPartyAudio

AH_KEY = "ah-key-7f3e"
AH_SECRET_B64 = base64.b64encode(bytes(range(7, 39))).decode()
CX_HEADER = ("X-Contact-Center-Auth", "cx-static-4c1d9a")
TW_TOKEN = "tw-auth-token-93b1"
QA = ("qa-team", "qa-secret-55e")
AGENT_CLIENT = ("agent-1002-desk", "agent-secret-0aa")
PUSH_ENV = {
    "RELAY_AUDIOHOOK_API_KEY": AH_KEY,
    "RELAY_AUDIOHOOK_CLIENT_SECRET": AH_SECRET_B64,
    "RELAY_CXONE_AUTH_HEADER": f"{CX_HEADER[0]}: {CX_HEADER[1]}",
    "RELAY_TWILIO_AUTH_TOKEN": TW_TOKEN,
}


def relay_config(**changes: object) -> RelayConfig:
    base = RelayConfig(
        audiohook=AudioHookSettings(AH_KEY, base64.b64decode(AH_SECRET_B64)),
        cxone=CXoneSettings(auth_header=CX_HEADER, hold_grace_s=0.5),
        twilio=TwilioSettings(auth_token=TW_TOKEN),
        clients=(
            ClientRule(*QA, all_calls=True),
            ClientRule(*AGENT_CLIENT, agent_ids=frozenset({"agent-1002"})),
        ),
        align_wait_ms=2000.0,  # generous: a loaded test machine must not fill frames with silence
        auth_failure_delay_s=0.0,
    )
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


def synthetic_call(seconds: float = 2.46, seed: int = 3) -> TwoPartyAudio:
    """Two parties unlike the demo: tones and noise bursts at different levels, overlapping."""
    rng = np.random.default_rng(seed)
    n = round(seconds * 8000)
    t = np.arange(n) / 8000
    agent = 9000 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * 0.7 * t) > 0)
    customer = rng.normal(0, 6000, n) * (np.sin(2 * np.pi * 0.5 * t + 1) > -0.2)
    return TwoPartyAudio.from_samples(
        np.clip(agent, -32768, 32767).astype(np.int16),
        np.clip(customer, -32768, 32767).astype(np.int16),
    )


async def until(condition: Callable[[], object], timeout_s: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.02)


async def token(base_url: str, client: tuple[str, str] = QA, **kw: object) -> str:
    async with httpx.AsyncClient(**kw) as http:  # type: ignore[arg-type]
        response = await http.post(
            f"{base_url}/oauth2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": client[0],
                "client_secret": client[1],
            },
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def read_wav_pcm16(path: Path) -> np.ndarray:
    import wave

    with wave.open(str(path)) as w:
        assert w.getframerate() == 8000 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)
