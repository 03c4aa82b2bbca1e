"""The arrivals.csv format: round trip, what it tolerates, and what it refuses (with reasons)."""

from __future__ import annotations

import pytest

from cxone_desktop.core.arrival_trace import (
    TRACE_HEADER,
    ArrivalTrace,
    format_arrival_trace,
    parse_arrival_trace,
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
