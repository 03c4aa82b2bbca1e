"""export_session: valid copies of a session, even one still recording."""

from __future__ import annotations

import json
import stat
import wave
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop import errors
from cxone_desktop.session.export import export_session
from cxone_desktop.session.recorder import SessionRecorder

START = datetime(2026, 11, 24, 10, 11, 12, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def tone(n: int, start: int = 0) -> np.ndarray:
    return ((np.arange(start, start + n) * 11) % 4000 - 2000).astype(np.int16)


def samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_export_of_a_running_session_gives_valid_files(tmp_path: Path) -> None:
    clock = FakeClock()
    rec = SessionRecorder(tmp_path / "rec", "c1", started_utc=START, clock=clock)
    rec.write_raw(tone(8000))
    rec.write_processed(tone(4000))
    rec.write_metrics({"packets": 50}, state="STREAMING", elapsed_s=1.0)
    rec.event("state", state="STREAMING")
    rec.flush()
    # what a copy taken mid-flush sees: audio on disk beyond the header's sizes, half a
    # sample, and a half-written event line
    with (rec.folder / "raw.wav").open("ab") as f:
        f.write(tone(800, 8000).tobytes() + b"\x01")
    with (rec.folder / "events.jsonl").open("a") as f:
        f.write('{"t": "2026-')

    dest = tmp_path / "export"
    written = export_session(rec.folder, dest)
    assert sorted(p.name for p in written) == [
        "events.jsonl",
        "metrics.csv",
        "processed.wav",
        "raw.wav",
    ]  # no summary.json yet
    np.testing.assert_array_equal(samples(dest / "raw.wav"), tone(8800))
    np.testing.assert_array_equal(samples(dest / "processed.wav"), tone(4000))
    assert [json.loads(x)["kind"] for x in (dest / "events.jsonl").read_text().splitlines()] == [
        "state"
    ]
    assert len((dest / "metrics.csv").read_text().splitlines()) == 2
    assert mode(dest) == 0o700
    assert all(mode(p) == 0o600 for p in written)
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in written)

    # the source was not touched: the recording carries on and finishes normally
    assert (rec.folder / "raw.wav").stat().st_size == 80 + 17600 + 1
    rec.write_processed(tone(4000, 4000))
    folder = rec.finalize({"outcome": "ended"})
    assert len(samples(folder / "processed.wav")) == 8000


def test_export_of_a_finished_session_includes_the_summary(tmp_path: Path) -> None:
    rec = SessionRecorder(tmp_path / "rec", "c1", started_utc=START)
    rec.write_raw(tone(800))
    rec.write_processed(tone(800))
    folder = rec.finalize({"outcome": "ended"})
    written = export_session(folder, tmp_path / "x")
    assert (tmp_path / "x" / "summary.json") in written
    assert json.loads((tmp_path / "x" / "summary.json").read_text())["outcome"] == "ended"
    for name in ("raw.wav", "processed.wav", "summary.json"):
        assert (tmp_path / "x" / name).read_bytes() == (folder / name).read_bytes()


def test_export_only_what_was_asked_and_replace_old_copies_with_private_ones(
    tmp_path: Path,
) -> None:
    rec = SessionRecorder(tmp_path / "rec", "c1", started_utc=START)
    rec.write_processed(tone(800))
    folder = rec.finalize({})
    dest = tmp_path / "x"
    dest.mkdir()
    (dest / "processed.wav").write_bytes(b"old")
    (dest / "processed.wav").chmod(0o644)
    written = export_session(folder, dest, raw=False, metrics=False)
    assert written == [dest / "processed.wav"]
    assert mode(dest / "processed.wav") == 0o600
    assert len(samples(dest / "processed.wav")) == 800
    assert sorted(p.name for p in dest.iterdir()) == ["processed.wav"]


def test_export_of_something_that_is_not_a_session_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(errors.RecordingError, match="not a session folder"):
        export_session(tmp_path, tmp_path / "x")


def test_export_to_an_unwritable_place_names_it(tmp_path: Path) -> None:
    rec = SessionRecorder(tmp_path / "rec", "c1", started_utc=START)
    folder = rec.finalize({})
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(errors.RecordingError) as info:
        export_session(folder, blocker / "sub")
    assert str(blocker / "sub") in info.value.message


def test_export_onto_the_session_itself_is_refused(tmp_path: Path) -> None:
    rec = SessionRecorder(tmp_path / "rec", "c1", started_utc=START)
    rec.write_raw(tone(800))
    with pytest.raises(errors.RecordingError, match="onto itself"):
        export_session(rec.folder, rec.folder)
    assert len(samples(rec.finalize({}) / "raw.wav")) == 800
