"""Aligning perspectives: lockstep release, silence for a stalled track, late data dropped."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.perspective_aligner import FRAME_SAMPLES as F
from cxone_desktop.core.perspective_aligner import PerspectiveAligner


def frames(n: int, value: int) -> np.ndarray:
    return np.full(n * F, value, dtype=np.int16)


def ramp(start: int, n: int) -> np.ndarray:
    return (np.arange(start, start + n * F) % 30000).astype(np.int16)


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


def test_a_stalled_track_is_filled_with_silence_and_its_late_data_dropped_not_shifted() -> None:
    a = PerspectiveAligner(wait_s=0.1)
    a.join("agent")
    a.join("customer")
    a.write("agent", ramp(0, 3), now=0.0)
    a.write("customer", ramp(0, 1), now=0.0)
    first = a.pop_ready(0.0)
    assert first is not None and first.sample_count == F
    assert a.pop_ready(0.05) is None  # still waiting for the customer's frames 1 and 2
    late = a.pop_ready(0.1)
    assert late is not None and late.position == F and late.sample_count == 2 * F
    assert late.filled == {"customer"} and not late.samples["customer"].any()
    assert (late.samples["agent"] == ramp(F, 2)).all()
    # The customer's frames 1-2 arrive now (a backlog): dropped, and frame 3 lines up.
    a.write("customer", ramp(F, 3), now=0.12)
    a.write("agent", ramp(3 * F, 1), now=0.12)
    aligned = a.pop_ready(0.12)
    assert aligned is not None and aligned.position == 3 * F and not aligned.filled
    assert (aligned.samples["customer"] == aligned.samples["agent"]).all()
    assert a.late_samples == 2 * F and a.filled_frames == 2


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


def test_explicit_positions_fill_gaps_and_drop_overlaps() -> None:
    a = PerspectiveAligner(wait_s=0.1)
    a.write("customer", frames(1, 3), now=0.0, at=0)
    a.write("customer", frames(1, 4), now=0.0, at=2 * F)  # frame 1 never came
    chunk = a.pop_ready(0.0)
    assert chunk is not None and chunk.sample_count == 3 * F
    assert (chunk.samples["customer"][F : 2 * F] == 0).all()
    a.write("customer", frames(2, 5), now=0.0, at=2 * F)  # overlaps one released frame
    chunk = a.pop_ready(0.0)
    assert chunk is not None and chunk.position == 3 * F and (chunk.samples["customer"] == 5).all()
    assert a.late_samples == F


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
    assert chunk is not None and not chunk.filled and (chunk.samples["customer"] == 2).all()
