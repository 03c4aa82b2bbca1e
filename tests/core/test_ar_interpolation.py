"""Least-squares AR interpolation of a gap from both sides."""

from __future__ import annotations

import numpy as np

from cxone_desktop.core.ar_interpolation import interpolate

from .test_concealment import snr_db


def ar2(count: int, seed: int) -> np.ndarray:
    """A resonance driven by white noise (a formant without a pitch)."""
    noise = np.random.default_rng(seed).normal(0, 1000, count)
    x = np.zeros(count)
    for i in range(count):
        x[i] = noise[i] + (1.6 * x[i - 1] - 0.9 * x[i - 2] if i > 1 else 0.0)
    return x


def test_a_dtmf_digit_comes_back_across_a_whole_frame() -> None:
    t = np.arange(640)
    digit = 6000 * np.sin(2 * np.pi * 697 * t / 8000 + 0.3)
    digit += 6000 * np.sin(2 * np.pi * 1209 * t / 8000 + 1.1)
    fill = interpolate(digit[:160], digit[320:480], 160, 40)
    assert fill is not None and fill.shape == (160,)
    assert snr_db(digit[160:320], fill) > 60.0  # two sinusoids are exactly predictable


def test_a_short_hole_in_a_resonance_follows_its_waveform() -> None:
    x = ar2(2000, seed=5)
    fill = interpolate(x[1000:1160], x[1176:1336], 16, 40)
    straight = np.linspace(x[1159], x[1176], 18)[1:-1]
    assert fill is not None
    assert snr_db(x[1160:1176], fill) > snr_db(x[1160:1176], straight) + 3.0


def test_digital_silence_stays_silent_and_short_sides_give_nothing() -> None:
    silent = interpolate(np.zeros(160), np.zeros(160), 160, 40)
    assert silent is not None and not silent.any()
    x = ar2(400, seed=1)
    assert interpolate(x[:40], x[200:360], 160, 40) is None  # no more than `order` before
    assert interpolate(x[:160], x[200:240], 160, 40) is None
    assert interpolate(x[:160], x[200:360], 0, 40) is None
