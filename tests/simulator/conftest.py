"""Fixtures for the simulator tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .support import noise_samples, write_wav


@pytest.fixture
def call_wav(tmp_path: Path) -> Callable[..., tuple[Path, bytes]]:
    """Writes `frames` frames of noise; returns the path and its PCM16 bytes."""

    def make(frames: int = 25, seed: int = 0) -> tuple[Path, bytes]:
        samples = noise_samples(frames, seed)
        path = write_wav(tmp_path / f"call-{frames}-{seed}.wav", samples)
        return path, samples.astype("<i2").tobytes()

    return make
