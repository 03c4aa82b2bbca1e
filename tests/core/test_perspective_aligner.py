"""Aligning perspectives: lockstep release, holes and stalls concealed in place, late data
dropped."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.perspective_aligner import FRAME_SAMPLES as F
from cxone_desktop.core.perspective_aligner import AlignedChunk, PerspectiveAligner


def frames(n: int, value: int) -> np.ndarray:
    return np.full(n * F, value, dtype=np.int16)


def ramp(start: int, n: int) -> np.ndarray:
    return (np.arange(start, start + n * F) % 30000).astype(np.int16)


def voiced(start: int, n: int) -> np.ndarray:
    """A vowel-like tone (125 Hz and two harmonics) from sample `start`, n frames long."""
    t = np.arange(start, start + n * F) / 8000
    harmonics = ((1, 6000), (2, 3000), (3, 1500))
    wave = sum(a * np.sin(2 * np.pi * 125 * k * t + k) for k, a in harmonics)
    return np.rint(wave).astype(np.int16)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    x, y = a.astype(float), b.astype(float)
    return float(x @ y / np.sqrt((x @ x) * (y @ y)))


def test_two_tracks_in_lockstep_release_only_when_both_have_the_frame() -> None:
    a = PerspectiveAligner(wait_s=0.1)
    a.join("agent")
    a.join("customer")
    a.write("agent", frames(1, 1), now=0.0)
    assert a.pop_ready(0.0) is None  # customer has not sent frame 0 yet
    assert a.next_deadline() == pytest.approx(0.1)
    a.write("customer", frames(1, 2), now=0.01)
    chunk = a.pop_ready(0.01)
    assert chunk is not None and chunk.position == 0 and not chunk.filled
    assert (chunk.samples["agent"] == 1).all() and (chunk.samples["customer"] == 2).all()
    assert a.next_deadline() is None


def test_a_stalled_track_is_concealed_then_silent_and_its_late_data_dropped_not_shifted() -> None:
    a = PerspectiveAligner(wait_s=0.1)
    a.join("agent")
    a.join("customer")
    a.write("agent", ramp(0, 8), now=0.0)
    a.write("customer", voiced(0, 3), now=0.0)
    first = a.pop_ready(0.0)
    assert first is not None and first.sample_count == 3 * F
    assert (first.samples["customer"] == voiced(0, 3)).all()  # nothing missing: as sent
    assert a.pop_ready(0.05) is None  # still waiting for the customer's frames 3-7
    late = a.pop_ready(0.1)
    assert late is not None and late.position == 3 * F and late.sample_count == 5 * F
    assert (late.samples["agent"] == ramp(3 * F, 5)).all()
    # The customer's stall is concealed where it is: the voice goes on, then fades out.
    fill = late.samples["customer"]
    assert late.filled == {"customer"}
    assert correlation(fill[:80], voiced(3 * F, 1)[:80]) > 0.9
    energy = [float(np.mean(fill[k : k + 80].astype(float) ** 2)) for k in range(0, 5 * F, 80)]
    assert energy[1] < energy[0] and energy[4] < energy[2] / 2
    assert not fill[6 * 80 :].any()  # silent after 60 ms
    # The customer's frames 3-7 arrive now (a backlog): dropped, and frame 8 lines up.
    a.write("customer", voiced(3 * F, 6), now=0.12)
    a.write("agent", voiced(8 * F, 1), now=0.12)
    aligned = a.pop_ready(0.12)
    assert aligned is not None and aligned.position == 8 * F and not aligned.filled
    customer, agent = aligned.samples["customer"], aligned.samples["agent"]
    assert customer[:40].any() and (customer[80:] == agent[80:]).all()  # faded in from silence
    assert a.late_samples == 5 * F and a.filled_frames == 5


def test_a_track_that_joins_late_starts_at_the_live_edge() -> None:
    a = PerspectiveAligner(wait_s=0.1)
    a.write("agent", frames(5, 7), now=0.0)
    chunk = a.pop_ready(0.0)
    assert chunk is not None and chunk.sample_count == 5 * F and chunk.samples.keys() == {"agent"}
    a.write("customer", frames(1, 9), now=0.1)  # joins at position 5F, not 0
    a.write("agent", frames(1, 7), now=0.1)
    chunk = a.pop_ready(0.1)
    assert chunk is not None and chunk.position == 5 * F and not chunk.filled
    assert (chunk.samples["customer"] == 9).all()


def test_a_hole_between_stamped_messages_is_bridged_in_place_and_overlaps_dropped() -> None:
    a = PerspectiveAligner(wait_s=0.1)
    a.write("customer", voiced(0, 4), now=0.0, at=0)
    a.write("customer", voiced(5 * F, 3), now=0.0, at=5 * F)  # frame 4 never came
    chunk = a.pop_ready(0.0)
    assert chunk is not None and chunk.sample_count == 8 * F and chunk.filled == frozenset()
    out, truth = chunk.samples["customer"], voiced(0, 8)
    assert (out[: 4 * F] == truth[: 4 * F]).all()
    assert (out[5 * F :] == truth[5 * F :]).all()  # the frames after the hole play as sent
    hole = out[4 * F : 5 * F].astype(float)
    error = hole - truth[4 * F : 5 * F]
    assert np.mean(error**2) < 0.1 * np.mean(hole**2)  # filled from both sides: close to it
    a.write("customer", frames(2, 5), now=0.0, at=7 * F)  # overlaps one released frame
    chunk = a.pop_ready(0.0)
    assert chunk is not None and chunk.position == 8 * F and (chunk.samples["customer"] == 5).all()
    assert a.late_samples == F


def test_holes_are_the_only_samples_changed_and_a_track_that_left_stays_silent() -> None:
    b = PerspectiveAligner(wait_s=0.1)
    truth = voiced(0, 50)
    for k in range(50):
        if k not in (10, 11, 30):  # three frames lost, two of them together
            b.write("agent", truth[k * F : (k + 1) * F], now=0.0, at=k * F)
    chunk = b.pop_ready(0.0)
    assert chunk is not None
    out = chunk.samples["agent"]
    kept = np.ones(50 * F, dtype=bool)
    kept[10 * F : 12 * F] = kept[30 * F : 31 * F] = False
    assert (out[kept] == truth[kept]).all()
    assert out[~kept].any() and np.abs(out[~kept]).max() <= 1.1 * np.abs(truth).max()
    # A party that left is silent after its last sample, not concealed.
    b.write("agent", truth[: 2 * F], now=0.1, at=50 * F)
    b.leave("agent")
    b.write("customer", frames(4, 3), now=0.1, at=50 * F)
    rest = b.pop_ready(0.1)
    assert rest is not None and rest.sample_count == 4 * F
    assert (rest.samples["agent"][: 2 * F] == truth[: 2 * F]).all()
    assert not rest.samples["agent"][2 * F :].any()


def test_leaving_unblocks_and_flush_returns_a_short_last_frame() -> None:
    a = PerspectiveAligner(wait_s=10.0)
    a.join("agent")
    a.join("customer")
    a.write("agent", np.arange(F + 50, dtype=np.int16), now=0.0)
    assert a.pop_ready(0.0) is None
    a.leave("customer")
    chunk = a.pop_ready(0.0)
    assert chunk is not None and chunk.sample_count == F and chunk.filled == frozenset()
    rest = a.flush()
    assert rest is not None and rest.sample_count == 50
    assert (rest.samples["agent"] == np.arange(F, F + 50)).all()
    assert a.flush() is None


def test_a_long_pause_on_a_counted_track_restarts_it_at_the_edge() -> None:
    a = PerspectiveAligner(wait_s=0.1, resync_s=0.2)
    a.join("agent")
    a.join("customer")
    a.write("agent", frames(20, 1), now=0.0)
    a.write("customer", frames(1, 2), now=0.0)
    assert a.pop_ready(1.0) is not None  # 19 customer frames filled with silence
    a.write("customer", frames(1, 2), now=1.0)  # resumes after a pause, 18 frames behind
    a.write("agent", frames(1, 1), now=1.0)
    chunk = a.pop_ready(1.0)
    assert chunk is not None and not chunk.filled
    resumed = chunk.samples["customer"]
    assert (resumed[80:] == 2).all() and resumed[0] < 2  # faded in over 10 ms from silence


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_holes_and_stalls_release_every_sent_sample_in_its_place(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = PerspectiveAligner(wait_s=0.05)
    n = 300
    truth = {"agent": voiced(0, n), "customer": voiced(37, n) // 2}
    sent = {name: np.zeros(n * F, dtype=bool) for name in truth}
    out = {name: np.zeros(n * F, dtype=np.int16) for name in truth}
    stall = {name: 0 for name in truth}

    def keep(chunk: AlignedChunk | None) -> None:
        if chunk is not None:
            for name, samples in chunk.samples.items():
                out[name][chunk.position : chunk.position + samples.size] = samples

    for k in range(n):
        now = k * 0.02
        for name, audio in truth.items():
            if stall[name] == 0 and rng.random() < 0.02:
                stall[name] = int(rng.integers(4, 9))  # held up 80-160 ms, then a backlog
            if stall[name]:
                stall[name] -= 1
                if stall[name]:
                    continue
                first = k - int(rng.integers(3, 8))  # the backlog: what is released is late
            else:
                first = k
            for j in range(first, k + 1):
                if rng.random() < 0.08 and j == k:
                    continue  # lost upstream: a hole
                if j * F >= a.edge:
                    sent[name][j * F : (j + 1) * F] = True
                a.write(name, audio[j * F : (j + 1) * F], now=now, at=j * F)
        keep(a.pop_ready(now))
    keep(a.flush())
    for name, audio in truth.items():
        got, mask = out[name], sent[name]
        # A hole can only be released before the audio after it came when a stall was
        # released: that audio fades in over at most 10 ms.
        fading = np.zeros_like(mask)
        starts = np.flatnonzero(mask[1:] & ~mask[:-1]) + 1
        for s in starts:
            fading[s : s + 80] = True
        assert (got[mask & ~fading] == audio[mask & ~fading]).all()
        holes = ~mask
        holes[:F] = False
        assert holes.sum() > 10 * F and got[holes].any()  # filled, not silent
        assert np.abs(got).max() <= 1.1 * np.abs(audio).max()
