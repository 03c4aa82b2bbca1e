"""Marks on the timeline come out where the fixture's call had them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxone_desktop.review.session_reader import open_session
from cxone_desktop.review.timeline import build_marks, marks_between
from tests.review import session_fixture as fx
from tests.review.session_fixture import build_session


def by_kind(folder: Path) -> dict[str, list[tuple[float, float, int]]]:
    out: dict[str, list[tuple[float, float, int]]] = {}
    for m in build_marks(open_session(folder)):
        out.setdefault(m.kind, []).append((round(m.start_s, 3), round(m.end_s, 3), m.count))
    return out


@pytest.mark.parametrize("gaps_in", ["summary", "events"])
def test_marks_with_recorded_gaps(tmp_path: Path, gaps_in: str) -> None:
    marks = by_kind(build_session(tmp_path, stereo=True, gaps_in=gaps_in))
    assert marks["lost"] == [(2.003, 3.003, 2), (3.003, 4.003, 5)]
    # Concealment on hold is the playout clock filling silence: not marked. In the outage it is.
    assert marks["concealed"] == [
        (2.003, 3.003, 3),
        (3.003, 4.003, 5),
        (10.003, 11.003, 50),
        (11.003, 12.003, 50),
    ]
    assert marks["outage"] == [(10.0, 12.0, 0)]
    assert marks["hold"] == [(18.0, 21.0, 0)]
    assert [m[0] for m in marks["reconnect"]] == [12.0, 21.0]
    assert marks["stall"] == [(15.0, 15.8, 0)]
    assert marks["dsp"] == [(fx.DSP_AT, fx.DSP_AT, 0)]
    assert marks["degraded"] == [(9.003, 12.003, 0)]
    assert marks["talk_over"] == [(6.003, 7.003, 0)]
    assert [m[0] for m in marks["error"]] == [10.001]
    assert "cue" not in marks  # the gap records say it better


def test_marks_without_gap_records_come_from_states_and_cues(tmp_path: Path) -> None:
    marks = by_kind(build_session(tmp_path, gaps_in="none", cues=True))
    assert marks["outage"] == [(10.002, 12.0, 0)]
    assert marks["hold"] == [(18.001, 21.0, 0)]
    assert [(m[0], m[1]) for m in marks["cue"]] == [(10.0, 12.0), (18.0, 21.0)]
    assert "talk_over" not in marks  # a mono call has no such column


def test_marks_between() -> None:
    from cxone_desktop.review.timeline import Mark

    marks = [Mark("hold", 1, 3, ""), Mark("dsp", 5, 5, ""), Mark("lost", 7, 8, "", 1)]
    assert [m.kind for m in marks_between(marks, 2.5, 5.0)] == ["hold", "dsp"]
