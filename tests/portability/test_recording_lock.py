"""The recording lock across processes: a live recording is never repaired, a dead one is."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

from .conftest import ROOT, windows_like_env
from .lines import LineReader

RECORDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np
    from cxone_desktop.session.recorder import SessionRecorder

    rec = SessionRecorder(Path(sys.argv[1]), "live")
    print(rec.folder, flush=True)
    frame = np.full(160, 99, dtype=np.int16)
    n = 0
    while True:
        rec.write_raw(frame)
        n += 1
        if n % 50 == 0:
            rec.flush()
            print("second", n // 50, flush=True)
        time.sleep(0.02)
    """
)


def repair(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cxone_desktop", "repair", *args],
                          env=windows_like_env(), cwd=ROOT, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_a_second_process_leaves_a_live_recording_alone_and_repairs_a_dead_one(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-c", RECORDER, str(out)], env=windows_like_env(),
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert child.stdout is not None
    lines = LineReader(child.stdout)
    try:
        folder = Path(lines.wait_for(lambda s: s.strip() != "").strip())
        lines.wait_for(lambda s: s.startswith("second"))

        scan = repair(str(out))
        assert scan.returncode == 0 and "no interrupted sessions" in scan.stdout, scan.stdout
        named = repair(str(folder))
        assert named.returncode == 1 and "still recording" in named.stdout, named.stdout
        assert (folder / ".recording").exists() and not (folder / "summary.json").exists()
    finally:
        child.kill()  # kill -9: no finalize; the OS drops the lock
        child.wait(timeout=10)

    fixed = repair(str(out))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert str(folder) in fixed.stdout and "removed .recording" in fixed.stdout
    assert json.loads((folder / "summary.json").read_text())["finished_cleanly"] is False
    with wave.open(str(folder / "raw.wav")) as w:
        assert w.getnframes() >= 8000  # at least the second that was flushed
