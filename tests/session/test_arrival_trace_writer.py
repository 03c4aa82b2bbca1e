"""arrivals.csv in the session folder: one line per message, readable back, 0600, errors once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cxone_desktop.core.arrival_trace import parse_arrival_trace
from cxone_desktop.errors import RecordingError
from cxone_desktop.session.arrival_trace import ARRIVALS_CSV, ArrivalTraceWriter


def test_every_message_is_written_and_parses_back(tmp_path: Path) -> None:
    writer = ArrivalTraceWriter(tmp_path)
    sent = [(1000.0 + 0.02 * k, 1 + 37 * k % 1000) for k in range(120)]
    for t, n in sent:
        writer.record(t, n)
    writer.close()
    writer.close()  # twice is fine
    trace = parse_arrival_trace((tmp_path / ARRIVALS_CSV).read_text(encoding="utf-8"))
    assert trace.sizes == tuple(n for _, n in sent)
    assert trace.times_s == pytest.approx([t for t, _ in sent], abs=1e-6)
    assert writer.messages == 120 and writer.error is None


def test_lines_reach_the_file_within_a_second_of_message_time(tmp_path: Path) -> None:
    writer = ArrivalTraceWriter(tmp_path, flush_every_s=1.0)
    path = tmp_path / ARRIVALS_CSV
    for k in range(40):  # 0.78 s of messages: still buffered
        writer.record(50.0 + 0.02 * k, 320)
    assert path.read_text().count("\n") == 1  # the header only
    writer.record(51.2, 320)  # a second after the first: written out
    assert path.read_text().count("\n") == 42
    writer.flush()


def test_the_file_is_private_and_never_replaced(tmp_path: Path) -> None:
    ArrivalTraceWriter(tmp_path).close()
    assert stat.S_IMODE(os.stat(tmp_path / ARRIVALS_CSV).st_mode) == 0o600
    with pytest.raises(RecordingError) as caught:
        ArrivalTraceWriter(tmp_path)  # an existing trace is not overwritten
    assert ARRIVALS_CSV in caught.value.message


def test_a_failing_disk_is_reported_once_and_recording_stops(tmp_path: Path) -> None:
    errors: list[RecordingError] = []
    writer = ArrivalTraceWriter(tmp_path, on_error=errors.append)
    assert writer._file is not None
    os.close(writer._file.fileno())  # the descriptor goes bad under it, as on a lost disk
    writer.record(1.0, 320)
    writer.record(3.0, 320)  # a flush is due: it fails
    writer.record(5.0, 320)
    writer.close()
    assert len(errors) == 1 and writer.error is errors[0]
    assert "arrival trace stops" in errors[0].message
