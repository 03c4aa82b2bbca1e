"""WSOLA and pitch-period splices: durations, pitch kept, joins without clicks, blocks = whole."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.time_stretch import WsolaStretcher, lengthen, shorten, wsola

from .playout_drive import demo_frames

RATE = 8000


def tone(seconds: float, hz: float, rate: int = RATE, level: float = 8000) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def dominant_hz(x: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(float) * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def median_f0(x: np.ndarray, rate: int = RATE) -> float:
    """Median pitch over voiced 40 ms windows (autocorrelation, 70–400 Hz)."""
    w = round(0.04 * rate)
    lo, hi = rate // 400, rate // 70
    f0s = []
    for start in range(0, len(x) - w - hi, w):
        seg = x[start : start + w + hi].astype(float)
        if np.sqrt(np.mean(seg**2)) < 500:
            continue
        ac = np.array([seg[:w] @ seg[lag : lag + w] for lag in range(lo, hi)])
        best = int(np.argmax(ac))
        if ac[best] > 0.6 * (seg[:w] @ seg[:w]):
            f0s.append(rate / (lo + best))
    return float(np.median(f0s))


def biggest_step(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x.astype(float))).max())


@pytest.mark.parametrize("speed", [0.5, 0.8, 1.25, 2.0])
def test_duration_follows_the_speed_and_a_tone_keeps_its_pitch(speed: float) -> None:
    source = tone(2.0, 220.0)
    out = wsola(source, speed, RATE)
    assert len(out) == round(len(source) / speed)
    assert dominant_hz(out) == pytest.approx(220.0, rel=0.02)
    # Joins are pitch-aligned: no step larger than the tone's own steepest one.
    assert biggest_step(out) <= 1.05 * biggest_step(source)


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_speech_keeps_its_pitch_at_half_and_double_speed(speed: float) -> None:
    speech = demo_frames(8.0, offset_s=1.0).reshape(-1)
    out = wsola(speech, speed, RATE)
    assert len(out) == round(len(speech) / speed)
    assert median_f0(out) == pytest.approx(median_f0(speech), rel=0.05)


def test_speed_one_returns_the_input_untouched() -> None:
    source = tone(0.5, 300.0)
    assert np.array_equal(wsola(source, 1.0, RATE), source)


def test_streaming_in_any_blocks_equals_the_whole_buffer() -> None:
    speech = demo_frames(3.0).reshape(-1)
    whole = wsola(speech, 1.5, RATE)
    stretcher = WsolaStretcher(RATE)
    rng = np.random.default_rng(1)
    parts, i = [], 0
    while i < len(speech):
        n = int(rng.integers(1, 900))
        parts.append(stretcher.process(speech[i : i + n], 1.5))
        i += n
    parts.append(stretcher.flush())
    assert np.array_equal(np.concatenate(parts), whole)


def test_the_speed_may_change_between_blocks() -> None:
    source = tone(2.0, 200.0)
    stretcher = WsolaStretcher(RATE)
    slow = stretcher.process(source[:8000], 0.5)
    fast = stretcher.process(source[8000:], 2.0)
    out = np.concatenate([slow, fast, stretcher.flush()])
    assert len(out) == pytest.approx(8000 / 0.5 + 8000 / 2.0, abs=2)
    assert biggest_step(out) <= 1.05 * biggest_step(source)


def test_stereo_channels_stay_in_step_at_another_rate() -> None:
    rate = 16000
    left, right = tone(1.0, 300.0, rate), tone(1.0, 450.0, rate, level=3000)
    out = wsola(np.stack([left, right], axis=1), 0.75, rate)
    assert out.shape == (round(rate / 0.75), 2)
    assert dominant_hz(out[:, 0], rate) == pytest.approx(300.0, rel=0.02)
    assert dominant_hz(out[:, 1], rate) == pytest.approx(450.0, rel=0.02)
    # The same cuts in both: their ratio of levels is unchanged.
    ratio = np.abs(out[:, 1].astype(float)).mean() / np.abs(out[:, 0].astype(float)).mean()
    assert ratio == pytest.approx(3000 / 8000, rel=0.05)


@pytest.mark.parametrize("speed", [0.1, 5.0, float("nan")])
def test_speeds_out_of_range_are_refused(speed: float) -> None:
    with pytest.raises(ValueError):
        wsola(tone(0.1, 200.0), speed, RATE)


@pytest.mark.parametrize("splice", [shorten, lengthen])
def test_a_splice_moves_by_whole_periods_and_keeps_both_ends(splice) -> None:  # type: ignore[no-untyped-def]
    source = tone(0.04, 250.0)  # 32-sample period, 320 samples
    result = splice(source, RATE, most=100)
    period = RATE / 250
    assert result.delta != 0 and abs(result.delta) % period == pytest.approx(0, abs=1)
    assert len(result.samples) == len(source) + result.delta
    assert result.similarity > 0.99
    assert np.array_equal(result.samples[-50:], source[-50:])  # the end joins what follows
    assert abs(int(result.samples[0]) - int(source[0])) <= biggest_step(source)
    assert biggest_step(result.samples) <= 1.05 * biggest_step(source)


def test_a_splice_with_no_room_changes_nothing() -> None:
    source = tone(0.004, 250.0)
    result = shorten(source, RATE, most=100)
    assert result.delta == 0 and np.array_equal(result.samples, source)
