"""STFT: a tone lands in its bin at its level; silence at the floor; the picture is bounded."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.spectrogram import stft_db

RATE = 8000


def tone(hz: float, seconds: float, amplitude: float = 32767.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def test_a_full_scale_tone_peaks_at_its_frequency_near_0_db() -> None:
    spec = stft_db(tone(1000.0, 1.0), RATE)
    peak_bins = spec.db.argmax(axis=1)
    assert np.all(np.abs(spec.freqs_hz[peak_bins] - 1000.0) <= RATE / 256)
    assert float(spec.db.max()) == pytest.approx(0.0, abs=1.0)
    half = tone(1000.0, 1.0, 32767.0 / 2)
    assert float(stft_db(half, RATE).db.max()) == pytest.approx(-6.0, abs=1.0)


def test_silence_sits_at_the_floor_and_frequencies_stop_at_max_hz() -> None:
    spec = stft_db(np.zeros(RATE, np.int16), RATE, floor_db=-90.0, max_hz=3000.0)
    assert np.all(spec.db == pytest.approx(-90.0))
    assert spec.freqs_hz.max() <= 3000.0


def test_frames_hop_and_times() -> None:
    x = tone(440.0, 2.0)
    spec = stft_db(x, RATE, window=256, hop=80, start_s=10.0)
    assert spec.shape[0] == 1 + (x.size - 256) // 80
    assert spec.times_s[0] == pytest.approx(10.0 + 128 / RATE)
    assert np.all(np.diff(spec.times_s) == pytest.approx(80 / RATE))


def test_max_columns_caps_the_work_for_long_calls() -> None:
    x = tone(440.0, 60.0)
    spec = stft_db(x, RATE, max_columns=500)
    assert spec.shape[0] == 500
    assert spec.times_s[-1] == pytest.approx((x.size - 128) / RATE, abs=1e-6)


def test_short_or_bad_input() -> None:
    assert stft_db(np.zeros(10, np.int16), RATE).shape[0] == 0
    with pytest.raises(ValueError):
        stft_db(np.zeros((10, 2), np.int16), RATE)
