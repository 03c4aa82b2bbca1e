"""Speed 0.5×–2× for the review player: WSOLA keeps the pitch and scales the duration, in the
blocks the player feeds it; the SpeedLog turns what was played back into recording time."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.time_stretch import WsolaStretcher, wsola
from cxone_desktop.review.playback_cursor import PlaybackCursor
from cxone_desktop.review.speed_log import SPEEDS, SpeedLog

RATE = 8000


def tone(hz: float, seconds: float, rate: int = RATE, amplitude: float = 8000) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def dominant_hz(x: np.ndarray, rate: int = RATE) -> float:
    """The strongest frequency, refined between bins (parabolic peak of the log spectrum)."""
    spec = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x)))) + 1e-9
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2])
    k_fine = k + 0.5 * (a - c) / (a - 2 * b + c)
    return float(k_fine * rate / len(x))


def fundamental_hz(x: np.ndarray, rate: int = RATE, lo_hz: float = 60, hi_hz: float = 400) -> float:
    """Pitch by autocorrelation (what a listener hears as the voice's pitch)."""
    x = x.astype(np.float64) - x.mean()
    ac = np.correlate(x, x, mode="full")[len(x) - 1 :]
    lo, hi = int(rate / hi_hz), int(rate / lo_hz)
    return rate / (lo + int(np.argmax(ac[lo:hi])))


@pytest.mark.parametrize("speed", [s for s in SPEEDS if s != 1.0])
def test_each_offered_speed_scales_the_duration_and_keeps_a_tones_pitch(speed: float) -> None:
    x = tone(440.0, 3.0)
    y = wsola(x, speed, RATE)
    assert len(y) == round(len(x) / speed)
    assert dominant_hz(y[800:-800]) == pytest.approx(440.0, abs=2.0)
    # no dropout or doubling of level where segments join
    rms = np.sqrt(np.mean(y[800:-800].astype(np.float64) ** 2))
    assert rms == pytest.approx(8000 / np.sqrt(2), rel=0.05)


@pytest.mark.parametrize("speed", [0.5, 2.0])
def test_a_voice_like_pulse_train_keeps_its_fundamental(speed: float) -> None:
    """A 130 Hz voice: its harmonics, not one sine, so WSOLA must splice whole periods."""
    t = np.arange(2 * RATE) / RATE
    voice = sum(np.sin(2 * np.pi * 130 * k * t) / k for k in range(1, 20))
    x = (3000 * voice).astype(np.int16)
    y = wsola(x, speed, RATE)
    assert fundamental_hz(y[800:4800]) == pytest.approx(130.0, rel=0.03)
    # what naive resampling would do instead: the pitch moves with the speed
    resampled = x[::2] if speed == 2.0 else np.repeat(x, 2)
    assert fundamental_hz(resampled[800:4800]) != pytest.approx(130.0, rel=0.2)


def test_stereo_in_player_sized_blocks_with_a_speed_change_midway() -> None:
    """What the player does: 15 ms blocks, 1.5× then 0.75×; the parties stay apart."""
    left, right = tone(300.0, 4.0), tone(1200.0, 4.0)
    x = np.stack([left, right], axis=1)
    stretcher = WsolaStretcher(RATE, channels=2)
    out = []
    block = 120
    for i in range(0, len(x), block):
        speed = 1.5 if i < len(x) // 2 else 0.75
        out.append(stretcher.process(x[i : i + block], speed))
    out.append(stretcher.flush())
    y = np.concatenate(out)
    half = len(x) // 2
    # Within the stretcher's ~30 ms lag: the input it holds when the speed changes is
    # owed at the old speed but laid down at the new one.
    assert len(y) == pytest.approx(half / 1.5 + half / 0.75, abs=0.03 * RATE)
    assert dominant_hz(y[400:8000, 0]) == pytest.approx(300.0, abs=2.0)
    assert dominant_hz(y[400:8000, 1]) == pytest.approx(1200.0, abs=2.0)
    assert dominant_hz(y[-9000:-400, 1]) == pytest.approx(1200.0, abs=2.0)


def test_the_speed_log_maps_played_frames_back_to_the_recording() -> None:
    log = SpeedLog()
    log.add(8000, 1.0)  # 1 s at 1×
    log.add(4000, 2.0)  # then 0.5 s of output carrying 1 s of audio
    log.add(0, 0.5)  # nothing written: no run
    log.add(8000, 0.5)  # then 1 s of output carrying 0.5 s
    assert log.input_frames(0) == 0
    assert log.input_frames(8000) == 8000
    assert log.input_frames(10_000) == 8000 + 2 * 2000
    assert log.input_frames(12_000 + 4000) == 16_000 + 2000
    assert log.input_frames(10**9) == 16_000 + 4000  # never past what was written
    log.clear()
    assert log.input_frames(5000) == 0


def test_at_double_speed_the_playhead_runs_through_the_recording_twice_as_fast() -> None:
    """Cursor (file ranges) → stretcher → log, as the player chains them: after N output
    frames the position is ≈ 2N into the file, and it stays in step with the audio heard."""
    signal = (np.arange(80_000) % 8000 < 4000).astype(np.int16) * tone(500.0, 10.0)
    cursor = PlaybackCursor(len(signal))
    cursor.seek(8000)  # start 1 s in
    stretcher, log = WsolaStretcher(RATE), SpeedLog()
    heard = []
    for _ in range(40):
        for lo, hi in cursor.take(2 * 160):
            out = stretcher.process(signal[lo:hi], 2.0)
            log.add(len(out), 2.0)
            heard.append(out)
    played = log.written_frames
    position = cursor.position(log.input_frames(played))
    assert position == pytest.approx(8000 + 2 * played, abs=2)
    # the last output frames are the audio at that position (a tone burst, or silence)
    y = np.concatenate(heard)
    burst_at_position = signal[position - 400 : position].std() > 1000
    assert (y[-200:].std() > 1000) == burst_at_position


def test_back_at_1x_the_stretcher_passes_the_audio_through_unchanged() -> None:
    """Why the player keeps it in the chain after a change back to 1× (flushing it would
    fade out its last 10 ms): once settled at 1× its output is the input, shifted."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(4 * RATE) * 3000).astype(np.int16)  # nothing periodic to slip on
    stretcher = WsolaStretcher(RATE)
    out = [
        stretcher.process(x[i : i + 120], 1.5 if i < RATE else 1.0) for i in range(0, len(x), 120)
    ]
    y = np.concatenate(out)
    tail = y[-RATE:].astype(np.int64)  # the last second, all at 1×
    # where in the input that second comes from: the best match over the stretcher's lag
    shifts = range(len(x) - RATE - 400, len(x) - RATE + 1)
    best = max(shifts, key=lambda s: int(np.dot(tail, x[s : s + RATE].astype(np.int64))))
    assert np.array_equal(tail, x[best : best + RATE])
