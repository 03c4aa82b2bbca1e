"""PolyphaseResampler: flat telephone passband, images and aliases 60 dB down, streaming-exact."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.resampler import PolyphaseResampler


def tone_fit(y: np.ndarray, f_hz: float, rate_hz: int) -> tuple[float, float]:
    """(gain in dB of the tone at f, everything else in dB relative to it), steady part only."""
    n = len(y)
    seg = y[n // 4 : 3 * n // 4]
    t = np.arange(n)[n // 4 : 3 * n // 4] / rate_hz
    basis = np.column_stack([np.sin(2 * np.pi * f_hz * t), np.cos(2 * np.pi * f_hz * t)])
    coef, *_ = np.linalg.lstsq(basis, seg, rcond=None)
    amplitude = float(np.hypot(*coef))
    rest = seg - basis @ coef
    rest_db = 20 * np.log10(np.sqrt(np.mean(rest**2)) / (amplitude / np.sqrt(2)))
    return 20 * np.log10(amplitude), float(rest_db)


@pytest.mark.parametrize("to_hz", [48000, 44100, 16000, 22050])
@pytest.mark.parametrize("f_hz", [300, 1000, 2500, 3400])
def test_telephone_band_passes_flat_and_its_images_are_60_db_down(to_hz: int, f_hz: int) -> None:
    x = np.sin(2 * np.pi * f_hz * np.arange(16000) / 8000)
    y = PolyphaseResampler(8000, to_hz).process(x)
    assert len(y) == 2 * to_hz  # two seconds in, two seconds out
    gain_db, rest_db = tone_fit(y, f_hz, to_hz)
    assert abs(gain_db) < 0.05
    assert rest_db < -60  # images at 8000 ± f, 16000 ± f…, and any distortion


def test_the_image_of_a_tone_is_where_the_filter_takes_it_out() -> None:
    f = 3000
    y = PolyphaseResampler(8000, 48000).process(np.sin(2 * np.pi * f * np.arange(48000) / 8000))
    spectrum = np.abs(np.fft.rfft(y[4800:] * np.hanning(len(y) - 4800)))
    hz = np.fft.rfftfreq(len(y) - 4800, 1 / 48000)
    peak = spectrum[np.argmin(abs(hz - f))]
    for image in (8000 - f, 8000 + f, 16000 - f):
        assert 20 * np.log10(spectrum[np.argmin(abs(hz - image))] / peak) < -60


def test_downsampling_keeps_the_band_and_refuses_to_alias() -> None:
    rate = 48000
    t = np.arange(rate) / rate
    r = PolyphaseResampler(rate, 8000)
    gain_db, _ = tone_fit(r.process(np.sin(2 * np.pi * 1000 * t)), 1000, 8000)
    assert abs(gain_db) < 0.05
    r.reset()
    aliased = r.process(np.sin(2 * np.pi * 6000 * t))  # would fold to 2 kHz
    assert 20 * np.log10(np.sqrt(np.mean(aliased[2000:] ** 2)) / np.sqrt(0.5)) < -60


def test_any_block_sizes_give_the_whole_signal_result() -> None:
    x = np.random.default_rng(1).normal(size=9001)
    whole = PolyphaseResampler(8000, 44100).process(x)
    r = PolyphaseResampler(8000, 44100)
    sizes = np.random.default_rng(2).integers(0, 400, 200)
    parts, i = [], 0
    for size in sizes:
        parts.append(r.process(x[i : i + size]))
        i += int(size)
    parts.append(r.process(x[i:]))
    np.testing.assert_allclose(np.concatenate(parts), whole, rtol=0, atol=1e-12)


def test_the_delay_is_what_it_says() -> None:
    r = PolyphaseResampler(8000, 48000)
    impulse = np.zeros(400)
    impulse[100] = 1.0
    y = r.process(impulse)
    assert np.argmax(y) / 48000 - 100 / 8000 == pytest.approx(r.delay_s, abs=1 / 48000)
    assert r.delay_s < 0.005


@pytest.mark.parametrize(("a", "b", "taps"), [(0, 8000, 48), (8000, -1, 48), (8000, 48000, 1)])
def test_impossible_conversions_are_refused(a: int, b: int, taps: int) -> None:
    with pytest.raises(ValueError):
        PolyphaseResampler(a, b, taps=taps)
