"""A trace's losses decoded in hindsight: found in number, near where they were, alike on every
replay, and spread where timing cannot tell (synthetic heavy-tailed traces, not the simulator's
models, and the trace recorded from the live simulator)."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.arrival_trace import ArrivalTrace, lost_frame_offsets, parse_arrival_trace
from cxone_desktop.core.trace_losses import decoded_lost_offsets, frame_timings

from .playout_drive import FIXTURES
from .test_arrival_trace import FRAME_BYTES, RATE, lossless_traces, near, synthetic_trace


def decoded(trace: ArrivalTrace) -> list[int]:
    return decoded_lost_offsets(
        trace, RATE, FRAME_BYTES, lost_frame_offsets(trace, RATE, FRAME_BYTES)
    )


def lossy(
    per_message: tuple[int, int], sent_at: str, seed: int = 9
) -> tuple[ArrivalTrace, list[int]]:
    rng = np.random.default_rng(seed)
    lost = {int(s) for s in rng.choice(range(60, 1400), 60, replace=False)}
    return synthetic_trace(30, lost, per_message=per_message, sent_at=sent_at, seed=seed)


def test_each_frame_is_timed_by_the_message_that_completed_it() -> None:
    # 320 bytes a frame: messages of 480, 160 and 640 bytes complete frames 0; 1; 2 and 3.
    trace = ArrivalTrace((1.0, 1.02, 1.05), (480, 160, 640))
    timings = frame_timings(trace, FRAME_BYTES)
    assert timings.done_s.tolist() == [1.0, 1.02, 1.05, 1.05]
    assert timings.before.tolist() == [0, 0, 0, 1]
    assert timings.after.tolist() == [0, 0, 1, 0]


def test_a_trace_without_losses_decodes_to_none_whatever_its_jitter_or_stalls() -> None:
    for trace in lossless_traces():
        assert decoded(trace) == []
        assert trace.losses is not None and trace.losses.offsets == ()


@pytest.mark.parametrize(
    ("per_message", "sent_at", "reach"),
    [((1, 1), "first", 2), ((1, 4), "first", 5), ((5, 10), "last", 5)],
    ids=["one frame a message", "batching", "held back"],
)
def test_losses_are_found_in_number_and_near_where_they_were(
    per_message: tuple[int, int], sent_at: str, reach: int
) -> None:
    trace, truth = lossy(per_message, sent_at)
    found = decoded(trace)
    assert abs(len(found) - len(truth)) <= 1
    assert found == sorted(found)
    assert near(found, truth, reach) >= 0.9 * len(found)
    assert trace.losses is not None and list(trace.losses.offsets) == found


@pytest.mark.parametrize("per_message", [(1, 1), (1, 3)], ids=["one frame", "batching"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_losses_in_the_first_second_are_found_too(per_message: tuple[int, int], seed: int) -> None:
    """The first guess takes its level from the first settled second and so cannot see
    losses in it; the decode weighs those frames as any others."""
    trace, truth = synthetic_trace(30, {10, 25, 40}, per_message=per_message, seed=seed)
    assert lost_frame_offsets(trace, RATE, FRAME_BYTES) == []
    found = decoded(trace)
    assert len(found) == 3 and near(found, truth, 5) >= 2


def test_a_trace_decodes_alike_every_time() -> None:
    """A replay must reproduce the network: the draw is seeded by the trace."""
    trace, _ = lossy((1, 4), "first")
    again = ArrivalTrace(trace.times_s, trace.sizes)
    assert decoded(trace) == decoded(again)


def test_the_draw_moves_lone_losses_a_little_and_keeps_their_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where timing leaves a loss's place open, the replay draws it (the most likely path
    alone made replays easier than the calls: see the module's figures)."""
    from cxone_desktop.core import trace_losses

    trace, truth = lossy((5, 10), "last")
    drawn = decoded(trace)
    reach = trace_losses.MOVE_FRAMES
    monkeypatch.setattr(trace_losses, "MOVE_FRAMES", 0)
    likeliest = decoded(trace)
    assert len(drawn) == len(likeliest)
    moved = [abs(a - b) // FRAME_BYTES for a, b in zip(drawn, likeliest, strict=True)]
    assert max(moved) <= reach and sum(m > 0 for m in moved) >= 5
    assert near(drawn, truth, 5) >= 0.9 * len(drawn)


def test_the_recorded_lossy_trace_loses_what_its_bytes_fall_short_by() -> None:
    trace = parse_arrival_trace((FIXTURES / "arrivals-batching-lossy.csv").read_text())
    short = (RATE * trace.duration_s - trace.total_bytes) / FRAME_BYTES
    assert abs(len(decoded(trace)) - short) <= 2


def test_a_trace_too_short_to_fit_a_clock_keeps_the_first_guess() -> None:
    trace = ArrivalTrace(tuple(k * 0.02 for k in range(50)), (FRAME_BYTES,) * 50)
    assert decoded_lost_offsets(trace, RATE, FRAME_BYTES, [3200]) == [3200]
