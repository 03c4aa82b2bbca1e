"""Recording, `record`, `simulate`, export and repair without what Windows lacks.

The mode (tests/portability/windows_like/sitecustomize.py for child processes, the
`windows_like` fixture in-process) deletes os.pwrite/os.pread and makes the event loop's
add_signal_handler raise NotImplementedError, as Windows' loops do.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.core.riff import Cue
from cxone_desktop.session.export import export_session
from cxone_desktop.session.recorder import SessionRecorder
from cxone_desktop.session.repair import repair_folder, trim_partial_line
from cxone_desktop.session.wav_file import fix_wav_sizes, read_file_cues
from cxone_desktop.session.wav_writer import WavWriter
from tests.session.conftest import write_voice_like_wav

from .conftest import ROOT, windows_like_env
from .lines import LineReader

PY = [sys.executable, "-m", "cxone_desktop"]


def samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def test_the_mode_really_takes_the_calls_away() -> None:
    probe = (
        "import asyncio, os\n"
        "assert not hasattr(os, 'pwrite') and not hasattr(os, 'pread')\n"
        "loop = asyncio.new_event_loop()\n"
        "try:\n"
        "    loop.add_signal_handler(2, print)\n"
        "except NotImplementedError:\n"
        "    print('no signal handlers', os.environ['CXONE_WINDOWS_LIKE'])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=windows_like_env(),
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.returncode == 0 and out.stdout.strip() == "no signal handlers 1", out.stderr


def test_the_session_file_tests_pass_in_the_mode() -> None:
    """The recorder, WAV writer, export and repair suites, whole, in a Windows-like child."""
    modules = ["test_wav_writer.py", "test_recorder.py", "test_export.py", "test_repair.py"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         *(f"tests/session/{m}" for m in modules)],
        cwd=ROOT, env=windows_like_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout


def test_a_recording_is_whole_with_cues_without_pwrite(windows_like: None, tmp_path: Path) -> None:
    assert not hasattr(os, "pwrite")
    clock = [0.0]
    path = tmp_path / "a.wav"
    audio = (np.arange(24_000) % 4000 - 2000).astype(np.int16)
    with WavWriter(path, clock=lambda: clock[0]) as w:
        for chunk in np.split(audio, 30):
            w.write(chunk)
            clock[0] += 0.1  # the header is patched in place every second
        w.add_cue(8000, "hold")
    np.testing.assert_array_equal(samples(path), audio)
    assert read_file_cues(path) == [Cue(8000, "hold")]
    assert not fix_wav_sizes(path).changed  # the cues after the audio are kept


def test_export_and_repair_of_a_live_session_without_pread(
    windows_like: None, tmp_path: Path
) -> None:
    rec = SessionRecorder(tmp_path / "out", "c1")
    audio = (np.arange(16_000) % 3000 - 1500).astype(np.int16)
    rec.write_raw(audio)
    rec.write_metrics({"packets": 50}, state="STREAMING", elapsed_s=1.0)
    rec.flush()
    copied = export_session(rec.folder, tmp_path / "copy", processed=False, live_summary={})
    assert {p.name for p in copied} == {"raw.wav", "metrics.csv", "events.jsonl", "summary.json"}
    np.testing.assert_array_equal(samples(tmp_path / "copy" / "raw.wav"), audio)

    with (rec.folder / "events.jsonl").open("a") as f:
        f.write('{"half a line')
    assert trim_partial_line(rec.folder / "events.jsonl") == len('{"half a line')
    rec.raw.close()
    rec.marker_lock.release()  # as if the process died
    report = repair_folder(rec.folder)
    assert report.ok, report.problems
    np.testing.assert_array_equal(samples(rec.folder / "raw.wav"), audio)


@pytest.fixture
def simulator(tmp_path: Path):
    """`simulate --loop` in a Windows-like child; yields its base URL, then stops it with Ctrl+C."""
    audio = tmp_path / "call.wav"
    write_voice_like_wav(audio, 1.5)
    proc = subprocess.Popen(
        [*PY, "simulate", "--port", "0", "--call-id", "c-1", "--audio", str(audio), "--loop"],
        env=windows_like_env(PYTHONUNBUFFERED="1"), cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    out = LineReader(proc.stdout)
    try:
        line = out.wait_for(lambda s: "listening on" in s)
        yield line.split("listening on", 1)[1].split()[0]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0, proc.stderr.read() if proc.stderr else ""
        assert "simulator stopped" in out.rest()


def test_record_and_simulate_finalize_on_ctrl_c_without_loop_signal_handlers(
    simulator: str, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [*PY, "record", "--base-url", simulator, "--client-id", "demo-client",
         "--call-id", "c-1", "--out", str(tmp_path / "out")],
        env=windows_like_env(CXONE_CLIENT_SECRET="demo-secret"), cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None and proc.stdout is not None
    err = LineReader(proc.stderr)
    err.wait_for(lambda s: "[state] STREAMING" in s)
    err.wait_for(lambda s: s.startswith("[metrics]"), timeout_s=30)  # a second has been recorded
    proc.send_signal(signal.SIGINT)
    out = proc.stdout.read()
    assert proc.wait(timeout=20) == 130, err.rest()
    assert "finalizing the recording" in err.rest()
    folder = Path(out.strip().splitlines()[-1])
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["finished_cleanly"] is True and summary["outcome"] == "stopped"
    assert not (folder / ".recording").exists()
    assert len(samples(folder / "processed.wav")) >= 4000
    assert len(samples(folder / "raw.wav")) * 2 == summary["total_bytes"]
