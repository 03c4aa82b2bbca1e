"""SessionRecorder: the session folder's layout, modes, rows, events, summary and failures."""

from __future__ import annotations

import csv
import errno
import json
import os
import stat
import wave
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop import __version__, errors
from cxone_desktop.redaction import redact
from cxone_desktop.session.recorder import SessionRecorder
from cxone_desktop.session.recording_lock import MARKER
from cxone_desktop.session.session_format import sanitize_call_id

START = datetime(2026, 11, 24, 10, 11, 12, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(tmp_path: Path, **kw: object) -> tuple[SessionRecorder, FakeClock]:
    clock = FakeClock()
    rec = SessionRecorder(tmp_path, "call-42", started_utc=START, clock=clock, **kw)  # type: ignore[arg-type]
    return rec, clock


def frames(n: int, start: int = 0) -> np.ndarray:
    return ((np.arange(start, start + n * 160) % 2000) - 1000).astype(np.int16).reshape(n, 160)


def wav_samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def fill_disk(fd: int) -> None:
    """Point `fd` at /dev/full: every later write fails with ENOSPC, as on a full disk."""
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, fd)
    os.close(full)


needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


def test_folder_is_named_for_call_and_utc_start_and_never_reused(tmp_path: Path) -> None:
    first, _ = make(tmp_path)
    second, _ = make(tmp_path)
    third, _ = make(tmp_path)
    assert first.folder == tmp_path / "call-42-20261124T101112Z"
    assert second.folder.name == "call-42-20261124T101112Z-2"
    assert third.folder.name == "call-42-20261124T101112Z-3"
    for rec in (first, second, third):
        rec.finalize({})


def test_call_id_is_made_safe_for_the_file_system(tmp_path: Path) -> None:
    assert sanitize_call_id("../../etc/passwd") == "etc_passwd"
    assert sanitize_call_id("a b:c*d") == "a_b_c_d"
    assert sanitize_call_id("...") == "call"
    assert len(sanitize_call_id("x" * 500)) == 64
    rec = SessionRecorder(tmp_path, "../evil/..", started_utc=START)
    assert rec.folder.parent == tmp_path
    rec.finalize({})


def test_folder_is_0700_and_every_file_0600(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # even a permissive umask must not widen them
    try:
        rec, _ = make(tmp_path)
        rec.write_raw(frames(1))
        rec.event("hello")
        created = {p.name: mode(p) for p in rec.folder.iterdir()}
        folder = rec.finalize({"outcome": "ended"})
        after = {p.name: mode(p) for p in folder.iterdir()}
    finally:
        os.umask(old_umask)
    assert mode(folder) == 0o700
    assert created == dict.fromkeys(
        [".recording", "raw.wav", "processed.wav", "metrics.csv", "events.jsonl"], 0o600
    )
    assert after == dict.fromkeys(
        ["raw.wav", "processed.wav", "metrics.csv", "events.jsonl", "summary.json"], 0o600
    )


def test_marker_names_this_process_while_recording_and_goes_at_finalize(tmp_path: Path) -> None:
    rec, _ = make(tmp_path)
    marker = json.loads((rec.folder / MARKER).read_text())
    assert marker["pid"] == os.getpid()
    assert marker["started_utc"] == "2026-11-24T10:11:12.000Z"
    rec.finalize({})
    assert not (rec.folder / MARKER).exists()


def test_raw_and_processed_hold_exactly_what_was_given(tmp_path: Path) -> None:
    rec, clock = make(tmp_path)
    raw = frames(50).tobytes()
    for i in range(0, len(raw), 700):  # arbitrary message sizes, bytes in
        rec.write_raw(raw[i : i + 700])
    for i in range(40):
        rec.write_processed(frames(1, i * 160))
        clock.now += 0.02
    folder = rec.finalize({})
    assert wav_samples(folder / "raw.wav").tobytes() == raw
    np.testing.assert_array_equal(wav_samples(folder / "processed.wav"), frames(40).reshape(-1))


def test_metrics_csv_has_one_row_per_call_with_wall_time_state_and_columns(
    tmp_path: Path,
) -> None:
    rec, clock = make(tmp_path, metric_columns=("packets", "jitter_ms", "stalled"))
    for second in range(3):
        clock.now = 100.0 + second + 1
        row = {"packets": 50 * (second + 1), "jitter_ms": 1.5 + second, "stalled": second == 2}
        rec.write_metrics({**row, "ignored": 7}, state="STREAMING", elapsed_s=second + 1.0)
    rec.write_metrics({"jitter_ms": float("nan")}, state="TERMINATED", elapsed_s=4.0)
    folder = rec.finalize({})
    with (folder / "metrics.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["wall_time", "elapsed_s", "state", "packets", "jitter_ms", "stalled"]
    assert rows[1] == ["2026-11-24T10:11:13.000Z", "1.0", "STREAMING", "50", "1.5", "false"]
    assert rows[3] == ["2026-11-24T10:11:15.000Z", "3.0", "STREAMING", "150", "3.5", "true"]
    assert rows[4] == ["2026-11-24T10:11:15.000Z", "4.0", "TERMINATED", "", "", ""]
    assert len(rows) == 5


def test_metric_columns_default_to_the_first_rows_keys(tmp_path: Path) -> None:
    rec, _ = make(tmp_path)
    rec.write_metrics({"b": 1, "a": 2}, state="STREAMING", elapsed_s=1.0)
    rec.write_metrics({"a": 3, "c": 4}, state="STREAMING", elapsed_s=2.0)
    folder = rec.finalize({})
    lines = (folder / "metrics.csv").read_text().splitlines()
    assert lines[0] == "wall_time,elapsed_s,state,b,a"
    assert lines[2].endswith(",STREAMING,,3")


def test_events_are_one_flushed_json_object_a_line(tmp_path: Path) -> None:
    rec, clock = make(tmp_path)
    rec.event("state", state="CONNECTING", previous=None)
    clock.now += 1.25
    rec.event("gap", frames=3, at=START, kind_note="x", t="clash")
    # flushed per event: readable before finalize
    lines = (rec.folder / "events.jsonl").read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first == {
        "t": "2026-11-24T10:11:12.000Z",
        "elapsed_s": 0.0,
        "kind": "state",
        "state": "CONNECTING",
        "previous": None,
    }
    assert second["t"] == "2026-11-24T10:11:13.250Z"
    assert second["elapsed_s"] == 1.25
    assert second["frames"] == 3 and second["t_"] == "clash"
    assert second["at"] == "2026-11-24T10:11:12.000Z"
    rec.finalize({})


def test_secrets_are_redacted_from_events_and_summary(tmp_path: Path) -> None:
    rec, _ = make(tmp_path)
    rec.event(
        "settings",
        access_token="abc.def",
        settings={"client_secret": "s3cret", "Password": "pw", "tenant": "demo"},
        url="wss://h/agent/voice/1/stream?access_token=abc.def&x=1",
        header="Authorization: Bearer abc.def",
    )
    folder = rec.finalize({"auth": {"token": "abc.def", "style": "json"}})
    text = (folder / "events.jsonl").read_text() + (folder / "summary.json").read_text()
    assert "abc.def" not in text and "s3cret" not in text and '"pw"' not in text
    event = json.loads((folder / "events.jsonl").read_text())
    assert event["access_token"] == "***"
    assert event["settings"] == {"client_secret": "***", "Password": "***", "tenant": "demo"}
    assert event["url"] == "wss://h/agent/voice/1/stream?access_token=***&x=1"
    assert redact(["Bearer xyz"]) == ["Bearer ***"]


def test_summary_adds_version_folder_files_and_clean_finish(tmp_path: Path) -> None:
    rec, _ = make(tmp_path)
    rec.write_raw(frames(50))  # 1 s
    rec.write_processed(frames(25))
    rec.write_metrics({"packets": 50}, state="STREAMING", elapsed_s=1.0)
    rec.event("x")
    folder = rec.finalize({"outcome": "ended", "errors": ["kept"], "duration_s": 1.0})
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["outcome"] == "ended" and summary["errors"] == ["kept"]
    assert summary["app_version"] == __version__
    assert summary["folder"] == str(folder)
    assert summary["finished_cleanly"] is True
    assert summary["recording_errors"] == []
    files = summary["files"]
    assert files["raw.wav"]["bytes"] == 80 + 16000
    assert files["raw.wav"]["duration_s"] == 1.0
    assert files["processed.wav"]["duration_s"] == 0.5
    assert files["metrics.csv"]["rows"] == 1
    assert files["events.jsonl"]["events"] == 1


def test_finalize_is_idempotent_and_later_writes_are_ignored(tmp_path: Path) -> None:
    rec, _ = make(tmp_path)
    folder = rec.finalize({})
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    rec.write_raw(frames(1))
    rec.write_processed(frames(1))
    rec.write_metrics({"a": 1}, state="x", elapsed_s=1.0)
    rec.event("late")
    rec.flush()
    assert rec.finalize({"other": 1}) == folder
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_disk_full_on_raw_tells_the_owner_once_and_streaming_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[errors.RecordingError] = []
    rec, clock = make(tmp_path, on_error=reported.append)
    rec.write_raw(frames(50))
    rec.flush()
    real_write = os.write
    raw_fd = rec.raw._fd

    def write(fd: int, data: bytes) -> int:
        if fd == raw_fd:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    for i in range(100):  # two seconds more of streaming
        clock.now += 0.02
        rec.write_raw(frames(1))
        rec.write_processed(frames(1, i * 160))
    assert len(reported) == 1, "told at once, and only once"
    assert isinstance(reported[0], errors.RecordingError)
    assert "raw.wav" in reported[0].message and "ENOSPC" in reported[0].message
    assert rec.failed and rec.errors == [reported[0].message]
    rec.event("still", ok=True)
    folder = rec.finalize({})
    assert len(wav_samples(folder / "raw.wav")) == 50 * 160  # what was written stays readable
    assert len(wav_samples(folder / "processed.wav")) == 100 * 160
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["recording_errors"] == rec.errors
    assert summary["files"]["raw.wav"]["dropped_bytes"] == 100 * 320


@needs_dev_full
def test_events_on_a_full_disk_fail_once_and_other_files_carry_on(tmp_path: Path) -> None:
    reported: list[errors.RecordingError] = []
    rec, _ = make(tmp_path, on_error=reported.append)
    rec.event("before")
    fill_disk(rec._events._file.fileno())  # type: ignore[union-attr]
    rec.event("lost", n=1)
    rec.event("lost", n=2)
    rec.write_metrics({"a": 1}, state="STREAMING", elapsed_s=1.0)
    rec.write_raw(frames(5))
    assert [e.message for e in reported] == rec.errors
    assert len(reported) == 1 and "events.jsonl" in reported[0].message
    folder = rec.finalize({})
    assert [json.loads(x)["kind"] for x in (folder / "events.jsonl").read_text().splitlines()] == [
        "before"
    ]
    assert len((folder / "metrics.csv").read_text().splitlines()) == 2
    assert len(wav_samples(folder / "raw.wav")) == 5 * 160


def test_a_failing_error_handler_does_not_stop_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def handler(exc: errors.RecordingError) -> None:
        raise RuntimeError("UI gone")

    rec, clock = make(tmp_path, on_error=handler)
    real_write = os.write
    fd = rec.processed._fd

    def write(f: int, data: bytes) -> int:
        if f == fd:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_write(f, data)

    monkeypatch.setattr(os, "write", write)
    clock.now += 5
    rec.write_processed(frames(1))
    rec.write_processed(frames(1))
    assert rec.failed and "EROFS" in rec.errors[0]
    rec.finalize({})


def test_cannot_create_the_folder_raises_recording_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(errors.RecordingError) as info:
        SessionRecorder(not_a_dir, "c1", started_utc=START)
    assert str(not_a_dir) in info.value.message


def test_a_recordings_folder_it_creates_is_private_too(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        rec, _ = make(tmp_path / "new" / "recordings")
        rec.finalize({"outcome": "ended"})
    finally:
        os.umask(old_umask)
    assert mode(tmp_path / "new" / "recordings") == 0o700  # others cannot list call IDs
