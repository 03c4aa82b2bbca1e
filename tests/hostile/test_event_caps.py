"""Issue 17, findings 2 and 5: events.jsonl and the error list have bounds.

Each event line is capped (long fields cut, with a marker, the line still JSON);
the file is capped per session, what is dropped counted in its last line and in
summary.json; repeated errors are one entry with a count, and at most 50 distinct.
"""

from __future__ import annotations

import json
from pathlib import Path

from cxone_desktop.errors import StreamClosedAbnormally
from cxone_desktop.session.error_tally import ErrorTally, worth_writing
from cxone_desktop.session.event_budget import (
    ESSENTIAL_RESERVE_BYTES,
    FIELD_KEEP_CHARS,
    EventBudget,
    shorten_fields,
)
from cxone_desktop.session.recorder import SessionRecorder
from cxone_desktop.session.session_news import SessionNews


def test_a_long_line_keeps_its_time_kind_and_small_fields_and_marks_the_cut() -> None:
    budget = EventBudget(max_line_bytes=2000)
    record = {"t": "T", "elapsed_s": 1.5, "kind": "control", "name": "x", "message": "m" * 10_000}
    line = budget.admit(record)
    assert line is not None and len(line.encode()) <= 2001
    back = json.loads(line)
    assert back["t"] == "T" and back["kind"] == "control" and back["name"] == "x"
    assert back["truncated"] is True and back["message"].endswith("…[cut: 10002 bytes]")
    assert len(back["message"]) < FIELD_KEEP_CHARS + 30
    assert budget.truncated == 1


def test_many_medium_fields_fall_back_to_the_head_of_the_line() -> None:
    budget = EventBudget(max_line_bytes=1000)
    record = {"t": "T", "kind": "k", **{f"f{i}": "v" * 400 for i in range(10)}}
    back = json.loads(budget.admit(record) or "")
    assert back == {"t": "T", "kind": "k", "truncated": True, "fields": 10}


def test_short_records_are_untouched() -> None:
    assert shorten_fields({"kind": "x", "a": 1}, json.dumps) == {"kind": "x", "a": 1}


def test_a_full_file_drops_and_counts_and_says_so_last(tmp_path: Path) -> None:
    rec = SessionRecorder(tmp_path, "cap-call")
    rec.event_budget = EventBudget(max_line_bytes=500, max_file_bytes=5_000)
    for i in range(1_000):
        rec.event("noise", i=i, pad="p" * 100)
    rec.event("state", state="TERMINATED")  # how the call ended still gets in
    folder = rec.finalize({"outcome": "ended"})
    raw = (folder / "events.jsonl").read_bytes()
    assert len(raw) <= 5_000 + ESSENTIAL_RESERVE_BYTES
    lines = [json.loads(x) for x in raw.splitlines()]
    assert lines[-2]["kind"] == "state" and lines[-2]["state"] == "TERMINATED"
    assert sum(len(x) + 1 for x in raw.splitlines()[:-2]) <= 5_000
    last = lines[-1]
    assert last["kind"] == "events_dropped"
    assert last["count"] == 1_001 - (len(lines) - 1)
    assert last["by_kind"] == {"noise": last["count"]}
    files = json.loads((folder / "summary.json").read_text())["files"]["events.jsonl"]
    assert files["events_dropped"] == last["count"] and files["events"] == len(lines)


def test_the_essential_reserve_is_bounded_too() -> None:
    budget = EventBudget(max_line_bytes=200, max_file_bytes=1_000)
    admitted = sum(
        budget.admit({"kind": "state", "state": "RECONNECTING", "n": i}) is not None
        for i in range(100_000)
    )
    assert budget.written_bytes <= 1_000 + ESSENTIAL_RESERVE_BYTES
    assert admitted < 100_000 and budget.dropped["state"] == 100_000 - admitted


def test_repeated_errors_are_one_entry_with_a_count() -> None:
    tally = ErrorTally(max_entries=3)
    for _ in range(407):
        tally.add("StreamClosedAbnormally", "closed (1006)")
    tally.add("ServiceUnavailable", "503")
    for i in range(10):
        tally.add("CallStateError", f"different {i}")
    assert tally.lines() == [
        "StreamClosedAbnormally: closed (1006) (×407)",
        "ServiceUnavailable: 503",
        "CallStateError: different 0",
    ]
    assert tally.not_listed == 9


def test_a_storm_of_one_error_leaves_a_logarithmic_trail_in_events(tmp_path: Path) -> None:
    news = SessionNews()
    news.recorder = rec = SessionRecorder(tmp_path, "storm-call")
    told: list[str] = []

    class Listener:
        def on_error(self, err: Exception) -> None:
            told.append(str(err))

        def on_event(self, event: dict) -> None: ...
        def on_state(self, t: object) -> None: ...
        def on_metrics(self, s: object) -> None: ...

    news.observers.append(Listener())  # type: ignore[arg-type]
    for _ in range(1000):
        news.error(
            StreamClosedAbnormally("The audio stream closed abnormally (code 1006).", code=None)
        )
    folder = rec.finalize({"errors": news.errors})
    written = [json.loads(x) for x in (folder / "events.jsonl").read_text().splitlines()]
    counts = [e.get("count", 1) for e in written if e["kind"] == "error"]
    assert counts == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert len(told) == 1000  # observers (the window's banner) still hear each one
    assert news.errors == [
        "StreamClosedAbnormally: The audio stream closed abnormally (code 1006). (×1000)"
    ]
    assert [n for n in range(1, 20) if worth_writing(n)] == [1, 2, 4, 8, 16]
