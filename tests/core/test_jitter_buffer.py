"""JitterBuffer on synthetic arrival schedules: explicit times, no clocks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pytest

from cxone_desktop.core.jitter_buffer import JitterBuffer, PlayoutBatch
from cxone_desktop.errors import InputError

N = 160
F = 0.02


def speech_like(frames: int, seed: int = 0) -> np.ndarray:
    """Distinct, loud frames (every frame identifiable), shape (frames, 160)."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames * N) / 8000
    x = 8000 * np.sin(2 * np.pi * 180 * t) + rng.normal(0, 1500, frames * N)
    return x.astype(np.int16).reshape(frames, N)


def run(
    jb: JitterBuffer,
    frames: np.ndarray,
    arrivals: Iterable[tuple[float, list[int]]],
    *,
    slots: int,
    tick_s: float = 0.01,
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Push each (time, frame indices) and pull every tick until `slots` slots came out;
    returns output, concealed flags and the delay after each played frame."""
    events = sorted(arrivals, key=lambda e: e[0])
    out: list[np.ndarray] = []
    flags: list[np.ndarray] = []
    delays: list[float] = []
    k = 0
    step = 0
    while len(out) < slots:
        now = step * tick_s
        step += 1
        while k < len(events) and events[k][0] <= now + 1e-9:
            jb.push(frames[events[k][1]], events[k][0])
            k += 1
        batch = jb.pull(now)
        out.extend(batch.frames)
        flags.extend(batch.concealed)
        if len(batch) and not batch.concealed[-1]:
            delays.append(jb.delay_ms)
    return np.array(out[:slots]).reshape(-1, N), np.array(flags[:slots], dtype=bool), delays


def paced(indices: Iterable[int], *, start_s: float = 0.0, period_s: float = F):
    return [(start_s + i * period_s, [i]) for i in indices]


def test_perfectly_paced_stream_comes_out_identical_with_constant_40ms_delay() -> None:
    frames = speech_like(250)
    jb = JitterBuffer()
    out, flags, delays = run(jb, frames, paced(range(250)), slots=250)
    assert np.array_equal(out, frames)
    assert not flags.any()
    assert jb.concealed_frames == 0 and jb.late_dropped_frames == 0
    assert jb.played_frames == 250
    assert delays == pytest.approx([40.0] * 250)
    assert jb.target_ms == pytest.approx(40.0)


def test_frames_held_within_the_target_play_without_concealment() -> None:
    frames = speech_like(300)
    # Every pair held back and delivered together: the first of each pair is 20 ms late.
    arrivals = [((i + 1) * F, [i, i + 1]) for i in range(0, 300, 2)]
    jb = JitterBuffer()
    out, flags, _ = run(jb, frames, arrivals, slots=300)
    assert not flags.any()
    assert np.array_equal(out, frames)


def test_bigger_bursts_grow_the_target_then_play_cleanly() -> None:
    frames = speech_like(1000)
    # Five frames held and delivered at once: up to 80 ms late.
    arrivals = [((i + 4) * F, list(range(i, i + 5))) for i in range(0, 1000, 5)]
    jb = JitterBuffer()
    _out, flags, _ = run(jb, frames, arrivals, slots=1000)
    assert jb.target_ms >= 80.0
    # After the first second it has adapted: nothing concealed and nothing dropped since.
    assert not flags[100:].any()
    assert jb.late_dropped_frames == 0
    assert jb.concealed_frames <= 5


def test_each_frame_never_sent_is_concealed_once_in_its_place() -> None:
    frames = speech_like(300)
    lost = {50, 51, 52, 100, 200}
    jb = JitterBuffer()
    out, flags, delays = run(jb, frames, paced(i for i in range(300) if i not in lost), slots=300)
    assert len(out) == 300  # the output follows the media clock
    assert set(np.flatnonzero(flags)) == lost
    assert jb.concealed_frames == len(lost) and jb.late_dropped_frames == 0
    kept = [i for i in range(300) if i not in lost and i - 1 not in lost]
    assert np.array_equal(out[kept], frames[kept])  # frames after a gap are cross-faded in
    assert max(delays) == pytest.approx(40.0)


def test_zero_mode_fills_lost_slots_with_silence() -> None:
    frames = speech_like(100)
    jb = JitterBuffer(concealment="zero")
    out, flags, _ = run(jb, frames, paced(i for i in range(100) if i != 40), slots=100)
    assert list(np.flatnonzero(flags)) == [40]
    assert not out[40].any()
    assert np.array_equal(out[41], frames[41])


def test_plc_mode_fills_lost_slots_with_sound() -> None:
    frames = speech_like(100)
    jb = JitterBuffer()
    out, _, _ = run(jb, frames, paced(i for i in range(100) if i != 40), slots=100)
    assert np.sqrt(np.mean(out[40].astype(float) ** 2)) > 1000


@pytest.mark.parametrize("rate_error", [0.005, -0.005])
def test_clock_drift_keeps_the_delay_bounded(rate_error: float) -> None:
    frames = np.tile(speech_like(50), (100, 1))[:5000]  # 100 s
    period = F / (1 + rate_error)  # a fast sender sends more often
    jb = JitterBuffer()
    _out, _flags, delays = run(
        jb, frames, paced(range(5000), period_s=period), slots=int(5000 * period / F) - 2
    )
    assert max(delays) < 40.0 + 1.8 * 20.0
    assert min(delays) > 0.0
    drift_frames = abs(rate_error) * 5000  # 25 frames
    if rate_error > 0:  # surplus: dropped, never concealed
        assert jb.concealed_frames == 0 and jb.late_dropped_frames == 0  # all came in time
        assert jb.shrink_dropped_frames <= drift_frames + 2
    else:  # deficit: one concealment per frame of drift, no runaway underruns
        assert jb.late_dropped_frames == jb.shrink_dropped_frames == 0
        assert jb.concealed_frames <= drift_frames + 2
    assert jb.target_ms <= 60.0


def test_late_frames_after_concealment_are_dropped_back_to_target() -> None:
    frames = speech_like(400)
    arrivals = paced(range(100))
    # A 100 ms stall: frames 100..105 come late, one after another, after their slots passed.
    arrivals += [(105 * F + 0.001 * (i - 100), [i]) for i in range(100, 106)]
    arrivals += paced(range(106, 400))
    jb = JitterBuffer()
    _out, _flags, delays = run(jb, frames, arrivals, slots=390)
    assert jb.concealed_frames >= 1  # the stall outran the buffer
    assert jb.late_dropped_frames >= 1  # ... and the late frames did not stretch the delay
    assert delays[-1] <= jb.target_ms + 10.0
    assert jb.depth_ms <= jb.target_ms + 20.0


def test_drain_returns_what_is_left_and_reset_reanchors() -> None:
    frames = speech_like(10)
    jb = JitterBuffer()
    jb.push(frames[:3], 0.0)
    tail = jb.drain()
    assert isinstance(tail, PlayoutBatch) and len(tail) == 3
    assert not tail.concealed.any()
    assert np.array_equal(tail.frames, frames[:3])
    assert len(jb.pull(10.0)) == 0  # clock stopped until the next push
    jb.reset()
    jb.push(frames[3:4], 20.0)
    due = 20.0 + jb.target_ms / 1000
    assert len(jb.pull(due - 0.001)) == 0
    batch = jb.pull(due)
    assert len(batch) == 1 and np.array_equal(batch.frames[0], frames[3])
    assert jb.played_frames == 4


def test_nothing_is_due_before_the_first_frame() -> None:
    assert len(JitterBuffer().pull(123.0)) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target_delay_ms": 10.0},
        {"target_delay_ms": 300.0},
        {"min_delay_ms": 50.0, "max_delay_ms": 40.0},
        {"concealment": "loud"},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        JitterBuffer(**kwargs)  # type: ignore[arg-type]


def test_wrong_frame_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        JitterBuffer().push(np.zeros((2, 100), np.int16), 0.0)
