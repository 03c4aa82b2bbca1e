"""Test helpers: test audio, tokens, and a listener that records what a stream delivered."""

from __future__ import annotations

import asyncio
import json
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import websockets
from websockets.asyncio.client import ClientConnection

from cxone_desktop.simulator import SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

CALL = "demo-call"


def noise_samples(frames: int, seed: int = 0) -> npt.NDArray[np.int16]:
    """Seeded noise whole 20 ms frames long: no two frames alike, so order errors show."""
    rng = np.random.default_rng(seed)
    return rng.integers(-12000, 12000, size=frames * 160, dtype=np.int16)


def write_wav(
    path: Path, samples: npt.NDArray[np.int16], rate_hz: int = 8000, channels: int = 1
) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


async def fetch_token(sim: CXoneSimulator, **extra: str) -> str:
    async with httpx.AsyncClient(verify=False) as client:
        response = await client.post(
            f"{sim.base_url}/oauth2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": sim.config.client_id,
                "client_secret": sim.config.client_secret,
                **extra,
            },
        )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def stream_url(sim: CXoneSimulator, token: str | None = None, call_id: str = CALL) -> str:
    url = sim.base_url.replace("http", "ws", 1) + f"/agent/voice/{call_id}/stream"
    return url if token is None else f"{url}?access_token={token}"


@dataclass
class Heard:
    """Everything one stream connection delivered."""

    audio: bytearray = field(default_factory=bytearray)
    sizes: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # monotonic arrival of each binary message
    events: list[dict[str, object]] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""


async def listen(url: str, *, timeout_s: float = 10.0, **connect_kwargs: object) -> Heard:
    """Connect, read until the server closes, and report what arrived and how it ended."""
    heard = Heard()
    async with asyncio.timeout(timeout_s):
        async with websockets.connect(url, max_size=None, **connect_kwargs) as ws:  # type: ignore[arg-type]
            await _read_all(ws, heard)
            heard.close_code = ws.close_code
            heard.close_reason = ws.close_reason or ""
    return heard


async def _read_all(ws: ClientConnection, heard: Heard) -> None:
    try:
        async for message in ws:
            if isinstance(message, str):
                heard.events.append(json.loads(message))
            else:
                heard.times.append(time.monotonic())
                heard.audio += message
                heard.sizes.append(len(message))
    except websockets.ConnectionClosedError:
        pass  # close_code tells the test how it ended


def config(audio: Path, **kwargs: object) -> SimulatorConfig:
    return SimulatorConfig(audio_path=audio, **kwargs)  # type: ignore[arg-type]
