"""The arrivals.csv format: round trip, what it tolerates, and what it refuses (with reasons)."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.arrival_trace import (
    TRACE_HEADER,
    ArrivalTrace,
    format_arrival_trace,
    lost_frame_offsets,
    parse_arrival_trace,
    stream_bytes_per_s,
)
from cxone_desktop.errors import InputError

from .playout_drive import FIXTURES


def test_a_trace_survives_formatting_and_parsing() -> None:
    trace = ArrivalTrace((8412.0312504, 8412.05, 8412.05), (320, 1000, 0))
    text = format_arrival_trace(trace)
    assert text.splitlines()[0] == TRACE_HEADER
    again = parse_arrival_trace(text)
    assert again.sizes == trace.sizes
    assert again.times_s == pytest.approx(trace.times_s, abs=1e-6)
    assert again.duration_s == pytest.approx(0.0187496, abs=1e-6)
    assert again.total_bytes == 1320


def test_notes_blank_lines_and_spaces_are_tolerated() -> None:
    text = "# from a bad call\n\ntime_s, bytes\n1.5,320\n  # a note\n1.52,640\n"
    assert parse_arrival_trace(text).sizes == (320, 640)


def test_a_trace_recorded_by_the_session_writer_parses() -> None:
    trace = parse_arrival_trace((FIXTURES / "arrivals-batching-lossy.csv").read_text())
    assert len(trace) > 100 and trace.duration_s > 10.0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("when,size\n1,2\n", "header"),
        ("time_s,bytes\n", "no messages"),
        ("time_s,bytes\n1.0\n", "line 2"),
        ("time_s,bytes\n1.0,abc\n", "whole byte count"),
        ("time_s,bytes\n1.0,-5\n", "negative"),
        ("time_s,bytes\n2.0,5\n1.0,5\n", "backwards"),
        ("time_s,bytes\nnan,5\n", "finite"),
    ],
)
def test_bad_traces_are_refused_naming_the_problem(text: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_arrival_trace(text, name="arrival-trace")
    assert says in caught.value.message and caught.value.field == "arrival-trace"


# -- losses read back from the timing ------------------------------------------------------------

FRAME_BYTES, RATE = 320, 16000


def synthetic_trace(
    seconds: float,
    lost: set[int],
    *,
    seed: int = 1,
    per_message: tuple[int, int] = (1, 1),
    sent_at: str = "first",
    stall: tuple[float, float] | None = None,
) -> tuple[ArrivalTrace, list[int]]:
    """A sender's frames, `lost` ones never sent, cut into messages of `per_message` frames,
    each sent when its first (or last) frame is due, delayed by a heavy-tailed draw (not the
    simulator's uniform one) and kept in order. Returns the trace and the true loss offsets
    (bytes received before each lost frame)."""
    rng = np.random.default_rng(seed)
    slots = [s for s in range(int(seconds / 0.02)) if s not in lost]
    truth = [(s - i) * FRAME_BYTES for i, s in enumerate(sorted(lost))]
    times, sizes = [], []
    i, last = 0, 0.0
    while i < len(slots):
        count = int(rng.integers(per_message[0], per_message[1] + 1))
        group = slots[i : i + count]
        due = (group[0] if sent_at == "first" else group[-1]) * 0.02
        arrival = max(last, 7.0 + due + min(0.12, float(rng.exponential(0.012))))
        if stall is not None and stall[0] <= arrival < stall[0] + stall[1]:
            arrival = stall[0] + stall[1]
        times.append(arrival)
        sizes.append(len(group) * FRAME_BYTES)
        last, i = arrival, i + count
    return ArrivalTrace(tuple(times), tuple(sizes)), truth


def near(found: list[int], truth: list[int], frames: int) -> int:
    """How many found offsets lie within `frames` frames of a true one."""
    return sum(min(abs(f - t) for t in truth) <= frames * FRAME_BYTES for f in found)


def lossless_traces() -> list[ArrivalTrace]:
    """Traces of senders that lost nothing: one frame a message, batching, held back, and
    one through a 600 ms stall (then the backlog)."""
    return [
        synthetic_trace(30, set())[0],
        synthetic_trace(30, set(), per_message=(1, 3), seed=2)[0],
        synthetic_trace(30, set(), per_message=(5, 10), sent_at="last", seed=3)[0],
        synthetic_trace(30, set(), stall=(12.0, 0.6), seed=4)[0],
    ]


def test_a_trace_without_losses_has_none_whatever_its_jitter_or_stalls() -> None:
    for trace in lossless_traces():
        assert stream_bytes_per_s(trace) == RATE
        assert lost_frame_offsets(trace, RATE, FRAME_BYTES) == []


@pytest.mark.parametrize(
    ("per_message", "sent_at", "reach"),
    [((1, 1), "first", 2), ((1, 4), "first", 3), ((5, 10), "last", 5)],
    ids=["one frame a message", "batching", "held back"],
)
def test_losses_are_found_in_number_and_near_where_they_were(
    per_message: tuple[int, int], sent_at: str, reach: int
) -> None:
    rng = np.random.default_rng(9)
    slots = range(60, 1400)  # not in the first second (it sets the level) nor the last
    lost = {int(s) for s in rng.choice(slots, 60, replace=False)}
    trace, truth = synthetic_trace(30, lost, per_message=per_message, sent_at=sent_at)
    assert stream_bytes_per_s(trace) == RATE  # 4 % lost still reads as a 16 kB/s stream
    found = lost_frame_offsets(trace, RATE, FRAME_BYTES)
    assert abs(len(found) - len(truth)) <= 1
    assert found == sorted(found)
    # Near a true loss: timing cannot say where inside a message, nor exactly between
    # two messages when neither came on time.
    assert near(found, truth, reach) >= 0.9 * len(found)


def test_a_trace_too_short_to_judge_or_of_another_stream_rate() -> None:
    short, _ = synthetic_trace(4, {100})
    assert lost_frame_offsets(short, RATE, FRAME_BYTES) == [] and stream_bytes_per_s(short) is None
    stereo = ArrivalTrace(tuple(k * 0.02 for k in range(1000)), (640,) * 1000)
    assert stream_bytes_per_s(stereo) == 32000


def test_a_short_recorded_trace_of_a_held_back_sender_reads_at_its_rate_and_lost_nothing() -> None:
    """The fixture came from the live simulator (100-200 ms messages, each sent when its last
    frame is due, 12 s, nothing lost): its first message's bytes came before its first
    arrival, and counting them read the stream 1.7 % fast, as stereo, half its frames lost."""
    trace = parse_arrival_trace((FIXTURES / "arrivals-large-frames.csv").read_text())
    assert stream_bytes_per_s(trace) == RATE
    assert trace.losses is not None and trace.losses.offsets == ()


def test_the_recorded_lossy_trace_keeps_pace_once_its_losses_are_left_out() -> None:
    """The fixture came from the live simulator (3 % loss, batching, a sender 0.07 % fast):
    its bytes fall short of its time by about its losses, which are found."""
    trace = parse_arrival_trace((FIXTURES / "arrivals-batching-lossy.csv").read_text())
    found = lost_frame_offsets(trace, RATE, FRAME_BYTES)
    short = (RATE * trace.duration_s - trace.total_bytes) / FRAME_BYTES
    assert 0.02 * trace.duration_s * 50 <= len(found) <= short + 1
    assert short - len(found) <= 4  # the first second's losses set the level, unseen
