"""Fixtures for driving whole calls: short source recordings and a simulator on loopback."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import Credentials, RetryPolicy
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.simulator.config import Impairments, SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

CALL_ID = "call-42"


def write_voice_like_wav(path: Path, seconds: float, *, seed: int = 1) -> np.ndarray:
    """A deterministic, speech-like signal (harmonics under a syllable envelope) as 8 kHz int16."""
    rate = 8000
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(seed)
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 0.5
    signal = 6000 * voice * envelope + rng.normal(0, 30, t.size)
    samples = np.clip(signal, -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return samples


@pytest.fixture
def source_wav(tmp_path: Path) -> Path:
    path = tmp_path / "source.wav"
    write_voice_like_wav(path, 1.6)
    return path


@pytest.fixture
def start_simulator(source_wav: Path) -> Callable[..., Any]:
    """`async with start_simulator(**config) as sim:` — a CXone simulator on a free port."""

    @asynccontextmanager
    async def start(
        impairments: Impairments | None = None, **overrides: Any
    ) -> AsyncIterator[CXoneSimulator]:
        config = SimulatorConfig(
            call_ids=(CALL_ID,),
            audio_path=overrides.pop("audio_path", source_wav),
            impairments=impairments or Impairments(seed=7),
            **overrides,
        )
        sim = CXoneSimulator(config)
        await sim.start()
        try:
            yield sim
        finally:
            await sim.stop()

    return start


def session_config(sim: CXoneSimulator, out_dir: Path, **overrides: Any) -> SessionConfig:
    """A session aimed at `sim` with fast retries so failure paths end in seconds."""
    values: dict[str, Any] = {
        "endpoints": Endpoints.from_input(base_url=sim.base_url),
        "call_id": CALL_ID,
        "credentials": Credentials(sim.config.client_id, sim.config.client_secret),
        "retry": RetryPolicy(max_attempts=4, base_delay_s=0.05, max_delay_s=0.3, max_total_s=10),
        "out_dir": out_dir,
        "poll_interval_s": 0.5,
    }
    values.update(overrides)
    return SessionConfig(**values)
