"""repair: find sessions whose recorder died and make their files whole again."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import wave
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.core.riff import HEADER_BYTES
from cxone_desktop.session.recorder import SessionRecorder
from cxone_desktop.session.recording_lock import MARKER, recording_is_live
from cxone_desktop.session.repair import find_interrupted, repair_folder, run_repair

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 24, 10, 11, 12, tzinfo=UTC)


def samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def set_marker(folder: Path, **changes: object) -> None:
    marker = json.loads((folder / MARKER).read_text())
    marker.update(changes)
    (folder / MARKER).write_text(json.dumps(marker))


def crashed_session(out: Path, *, seconds: int = 2) -> tuple[Path, np.ndarray]:
    """A session folder as a crash leaves it: stale headers, half a sample, half a line."""
    rec = SessionRecorder(out, "c1", started_utc=START)
    audio = ((np.arange(seconds * 8000) * 7) % 3000 - 1500).astype(np.int16)
    rec.write_raw(audio)
    rec.write_processed(audio)
    rec.write_metrics({"packets": 50}, state="STREAMING", elapsed_s=1.0)
    rec.event("state", state="STREAMING")
    rec.raw.close()
    rec.processed.close()
    rec._metrics.close()
    rec._events.close()
    folder = rec.folder
    for name in ("raw.wav", "processed.wav"):
        with (folder / name).open("r+b") as f:
            f.seek(4)
            f.write(struct.pack("<I", 0xDEAD))  # corrupt RIFF size
            f.seek(HEADER_BYTES - 4)
            f.write(struct.pack("<I", 8000))  # data size a stale 0.5 s
            f.seek(0, 2)
            f.write(b"\x01")  # half a sample
    with (folder / "events.jsonl").open("a") as f:
        f.write('{"t": "2026-11-24T10:11:1')
    rec.marker_lock.release()  # what the OS does when the recording process dies
    return folder, audio


def test_repair_restores_every_frame_and_marks_the_session_unclean(tmp_path: Path) -> None:
    folder, audio = crashed_session(tmp_path)
    assert find_interrupted(tmp_path) == [folder]
    report = repair_folder(folder)
    assert report.ok, report.problems
    assert report.wavs["raw.wav"]["duration_s"] == 2.0
    assert report.wavs["raw.wav"]["trimmed_bytes"] == 1
    for name in ("raw.wav", "processed.wav"):
        np.testing.assert_array_equal(samples(folder / name), audio)
    events = (folder / "events.jsonl").read_text().splitlines()
    assert [json.loads(e)["kind"] for e in events] == ["state"]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["finished_cleanly"] is False
    assert summary["started_utc"] == "2026-11-24T10:11:12.000Z"
    assert summary["files"]["raw.wav"]["duration_s"] == 2.0
    assert stat.S_IMODE((folder / "summary.json").stat().st_mode) == 0o600
    assert not (folder / MARKER).exists()
    assert find_interrupted(tmp_path) == []
    again = repair_folder(folder)
    assert again.ok and again.actions == []  # idempotent


def test_a_two_party_call_cut_short_gets_its_talk_figures_back(tmp_path: Path) -> None:
    folder, _ = crashed_session(tmp_path)
    # The per-second shares a two-party session writes; the last line was cut by the crash.
    (folder / "metrics.csv").write_text(
        "elapsed_s,agent_talking,customer_talking,talk_over\n"
        "1.0,0.5,0.0,0.0\n"
        "2.0,0.6,0.4,0.2\n"
        "3.0,0.0,1.0,0.0\n"
        "4.0,0.2,0.",
        encoding="utf-8",
    )
    repair_folder(folder)
    talk = json.loads((folder / "summary.json").read_text())["talk"]
    assert talk["agent_talk_s"] == 1.1 and talk["customer_talk_s"] == 1.4
    assert talk["agent_talk_share"] == round(1.1 / 2.5, 4)
    assert talk["talk_over_s"] == 0.2
    assert talk["longest_silence_s"] is None  # not recoverable from per-second rows


def test_a_one_party_call_cut_short_gets_no_talk_figures(tmp_path: Path) -> None:
    folder, _ = crashed_session(tmp_path)
    repair_folder(folder)
    assert "talk" not in json.loads((folder / "summary.json").read_text())


def test_repair_keeps_a_summary_that_was_already_written(tmp_path: Path) -> None:
    folder, _ = crashed_session(tmp_path)
    (folder / "summary.json").write_text('{"finished_cleanly": true}')  # died after writing it
    repair_folder(folder)
    assert json.loads((folder / "summary.json").read_text()) == {"finished_cleanly": True}
    assert not (folder / MARKER).exists()


def test_a_locked_marker_is_live_and_an_unlocked_one_is_interrupted(tmp_path: Path) -> None:
    live = SessionRecorder(tmp_path / "a", "live", started_utc=START)
    assert recording_is_live(live.folder) is True
    assert find_interrupted(tmp_path / "a") == []  # even from this process: a second open file

    gone = SessionRecorder(tmp_path / "b", "gone", started_utc=START)
    gone.marker_lock.release()  # the process died: the OS dropped its lock
    assert recording_is_live(gone.folder) is False
    assert find_interrupted(tmp_path / "b") == [gone.folder]

    elsewhere = SessionRecorder(tmp_path / "c", "elsewhere", started_utc=START)
    elsewhere.marker_lock.release()
    set_marker(elsewhere.folder, host="another-host")
    assert recording_is_live(elsewhere.folder) is None  # not every share carries locks
    assert find_interrupted(tmp_path / "c") == []

    clean = SessionRecorder(tmp_path / "d", "clean", started_utc=START)
    clean.finalize({})
    assert recording_is_live(clean.folder) is False
    assert find_interrupted(tmp_path / "d") == []
    for rec in (live, gone, elsewhere):
        rec.finalize({})


def test_an_empty_or_unlockable_marker_is_never_taken_for_abandoned(tmp_path: Path) -> None:
    rec = SessionRecorder(tmp_path, "x", started_utc=START)
    rec.marker_lock.release()
    (rec.folder / MARKER).write_text("")  # a recorder between creating and writing it
    assert recording_is_live(rec.folder) is None
    set_marker_text = json.dumps({"pid": 1, "locked": False})  # recorded on a lockless share
    (rec.folder / MARKER).write_text(set_marker_text)
    assert recording_is_live(rec.folder) is None
    assert find_interrupted(tmp_path) == []


def test_a_killed_recorder_is_found_and_repaired(tmp_path: Path) -> None:
    child = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        import numpy as np
        from cxone_desktop.session.recorder import SessionRecorder

        rec = SessionRecorder(Path(sys.argv[1]), "killed")
        print(rec.folder, flush=True)
        frame = np.full(160, 1234, dtype=np.int16)
        start, n = time.monotonic(), 0
        while True:
            rec.write_raw(frame)
            rec.write_processed(frame)
            n += 320
            print(n, flush=True)
            time.sleep(max(0.0, start + n / 16000 - time.monotonic()))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", child, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    folder = Path(proc.stdout.readline().strip())
    assert find_interrupted(tmp_path) == []  # alive: not ours to touch
    counter = 0
    for line in proc.stdout:
        counter = int(line)
        if counter >= 1.5 * 16000:
            break
    proc.send_signal(signal.SIGKILL)
    rest = proc.stdout.read().split()
    counter = int(rest[-1]) if rest else counter
    proc.wait()

    assert find_interrupted(tmp_path) == [folder]
    report = repair_folder(folder)
    assert report.ok
    got = samples(folder / "raw.wav")
    assert counter - int(1.2 * 16000) <= got.nbytes <= counter  # ≤ ~1 s lost (+ scheduling slack)
    assert np.all(got == 1234)
    assert json.loads((folder / "summary.json").read_text())["finished_cleanly"] is False


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_repair_turns_an_oversized_riff_into_rf64(tmp_path: Path) -> None:
    folder, audio = crashed_session(tmp_path, seconds=1)
    report = repair_folder(folder, riff_limit_bytes=10_000)
    assert report.wavs["raw.wav"]["format"] == "RF64"
    out = subprocess.run(
        ["sox", str(folder / "raw.wav"), "-t", "raw", "-"], capture_output=True, check=True
    )
    assert out.stdout == audio.tobytes()


def test_a_wav_that_died_before_its_header_becomes_an_empty_valid_file(tmp_path: Path) -> None:
    folder, _ = crashed_session(tmp_path)
    (folder / "processed.wav").write_bytes(b"RIF")
    report = repair_folder(folder)
    assert report.ok
    assert len(samples(folder / "processed.wav")) == 0


def test_run_repair_takes_out_dirs_and_session_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    first, _ = crashed_session(out)
    second, _ = crashed_session(out)
    live = SessionRecorder(tmp_path / "live", "live", started_utc=START)
    rc = run_repair(argparse.Namespace(folder=[str(out)]))
    lines = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert len(lines) == 2 and lines[0].startswith(str(first)) and lines[1].startswith(str(second))
    assert "raw.wav 2.0 s" in lines[0]

    rc = run_repair(argparse.Namespace(folder=[str(out)]))
    assert rc == 0 and "no interrupted sessions" in capsys.readouterr().out

    rc = run_repair(argparse.Namespace(folder=[str(live.folder), str(tmp_path / "nope")]))
    captured = capsys.readouterr()
    assert rc == 1
    assert "still recording" in captured.out and "not a folder" in captured.err
    assert (live.folder / MARKER).exists()
    live.finalize({})


def test_a_cp1252_console_gets_the_report_not_a_crash(tmp_path: Path) -> None:
    """stdout redirected on Windows is cp1252, which has no "→"."""
    folder, _ = crashed_session(tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "cxone_desktop", "repair", str(folder)],
                         env=env, capture_output=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr.decode("cp1252", "replace")
    text = run.stdout.decode("cp1252")
    assert "raw.wav header" in text and "?" in text  # the arrow, replaced
    assert b"Traceback" not in run.stderr


def test_recovery_at_start_skips_what_fails_and_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxone_desktop.session import repair

    first, _ = crashed_session(tmp_path / "a")
    second, _ = crashed_session(tmp_path / "b")
    real = repair.repair_folder

    def flaky(folder: Path, **kw: object) -> object:
        if folder == first:
            raise RuntimeError("unexpected")
        return real(folder, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(repair, "repair_folder", flaky)
    seen: list[str] = []
    got = repair.recover_interrupted(
        [tmp_path / "a", tmp_path / "missing", tmp_path / "b"], lambda r: seen.append(r.line())
    )
    assert got == [second] and len(seen) == 1 and str(second) in seen[0]
