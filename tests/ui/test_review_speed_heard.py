"""End to end: review playback at 2× and 0.5× heard on a PulseAudio null sink.

A child process opens the stereo fixture (agent 300 Hz bursts on the left, customer
1,200 Hz on the right, 1 s each in turn) in a real ReviewWindow, picks a speed with
the window's keys and plays to the end of the recording; parec records the sink's
monitor. What must be heard: the same two pitches (resampling would have moved them
by the speed), bursts `1 / speed` s long, and the loud part of the capture as long as
the loud part of the file played, divided by the speed. The playhead ends at the
recording's end and, midway, is where the recording's time says.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.review.wav_file import open_wav
from tests.review import session_fixture as fx
from tests.review.session_fixture import build_session
from tests.ui.test_e2e_audio import null_sink  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e
RATE = 8000
LOUD = 2000  # the bursts' RMS is ~5,600; the room noise under them ~60

PLAYER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from cxone_desktop.review.review_data import load_review
    from cxone_desktop.ui.review_window import ReviewWindow
    folder, start_s, key, presses = sys.argv[1:5]
    w = ReviewWindow(load_review(Path(folder)))
    w.show()
    w.activateWindow()
    QApplication.processEvents()
    for _ in range(int(presses)):  # the window's own shortcut, as a user presses it
        QTest.keyClick(w, key)
    print("SPEED", w.player.speed, w.transport.speed.currentText(), flush=True)
    w.seek(float(start_s))
    began = time.monotonic()
    w.toggle_play()
    def probe(name):
        print(name, round(time.monotonic() - began, 3), round(w.position_s, 3), flush=True)
    QTimer.singleShot(1500, lambda: probe("PROBE1"))  # once the sound server is playing
    QTimer.singleShot(2500, lambda: probe("PROBE2"))
    def finished(playing):
        if playing:
            return
        print("ENDED", round(time.monotonic() - began, 3), round(w.position_s, 3), flush=True)
        print("AUDIBLE", w.player.audible, flush=True)
        w.close()
        app.quit()
    w.player.playing_changed.connect(finished)
    QTimer.singleShot(30000, app.quit)  # a deadline, never reached when all is well
    app.exec()
    """
)


def _play(env: dict[str, str], folder: Path, tmp: Path, *, start_s: float, key: str,
          presses: int) -> tuple[np.ndarray, dict[str, list[float]]]:  # fmt: skip
    capture = tmp / f"capture-{key}.raw"
    with capture.open("wb") as out:
        parec = subprocess.Popen(
            ["parec", "--device=rig.monitor", f"--rate={RATE}", "--channels=2",
             "--format=s16le", "--raw"],
            env=env, stdout=out,
        )  # fmt: skip
        try:
            run = subprocess.run(
                [sys.executable, "-c", PLAYER, str(folder), str(start_s), key, str(presses)],
                env={**env, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp)},
                capture_output=True, text=True, timeout=90,
            )  # fmt: skip
        finally:
            parec.terminate()
            parec.wait(5)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    lines = {ln.split()[0]: ln.split()[1:] for ln in run.stdout.splitlines() if ln.strip()}
    assert "ENDED" in lines, run.stdout + run.stderr[-2000:]
    assert lines["AUDIBLE"] == ["True"], run.stdout
    figures = {k: [float(x) for x in v if _is_number(x)] for k, v in lines.items()}
    figures["SPEED_TEXT"] = [float(lines["SPEED"][1].rstrip("×"))]
    return np.fromfile(capture, dtype="<i2").reshape(-1, 2).astype(np.float64), figures


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _rms_blocks(x: np.ndarray, block: int = 80) -> np.ndarray:
    """RMS per 10 ms."""
    n = len(x) // block * block
    return np.sqrt((x[:n].reshape(-1, block) ** 2).mean(axis=1))


def _runs(loud: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], loud.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _dominant_hz(x: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / RATE)[int(np.argmax(spec))])


def _loud_span_s(x: np.ndarray) -> float:
    """Seconds from the first loud 10 ms to the end of the last."""
    loud = np.flatnonzero(_rms_blocks(x) > LOUD)
    return (loud[-1] + 1 - loud[0]) * 0.01 if loud.size else 0.0


@pytest.mark.parametrize(("speed", "key", "presses", "start_s"), [(2.0, ">", 4, 1.0),
                                                                   (0.5, "<", 2, 6.1)])  # fmt: skip
def test_speed_playback_is_heard_at_that_speed_with_the_pitch_kept(
    null_sink: dict[str, str],  # noqa: F811
    tmp_path: Path,
    speed: float,
    key: str,
    presses: int,
    start_s: float,
) -> None:
    folder = build_session(tmp_path, seconds=9.2, stereo=True, name="speed-20261124T101112Z")
    heard, fig = _play(null_sink, folder, tmp_path, start_s=start_s, key=key, presses=presses)
    assert fig["SPEED"][0] == speed == fig["SPEED_TEXT"][0]  # the keys moved it, the combo shows it
    # What was played, from the file: session start_s to the end, on processed.wav's clock.
    wav = open_wav(folder / "processed.wav")
    played = wav.samples[round((start_s - fx.PLAYOUT_AT) * RATE) :].astype(np.float64)
    for ch, hz in ((0, fx.AGENT_HZ), (1, fx.CUSTOMER_HZ)):
        got = heard[:, ch]
        loud = _rms_blocks(got) > LOUD
        runs = [(a, b) for a, b in _runs(loud) if b - a >= 10]
        assert len(runs) >= 2, (ch, runs)
        # the pitch is the recording's, not moved by the speed
        for a, b in runs:
            assert _dominant_hz(got[a * 80 : b * 80]) == pytest.approx(hz, abs=8), (ch, a, b)
        # whole bursts (not the first, which may start mid-burst) last 1 s / speed
        for a, b in runs[1:-1]:
            assert (b - a) * 0.01 == pytest.approx(1.0 / speed, abs=0.06), (ch, a, b)
        # the loud part lasts as long as the file's, divided by the speed
        expected = _loud_span_s(played[:, ch]) / speed
        assert _loud_span_s(got) == pytest.approx(expected, abs=0.08), ch
    # The playhead ends at the recording's end and meanwhile runs through the recording
    # `speed` seconds a second (it follows the sink, so the sound server's start-up lag is
    # left out by taking two readings).
    assert fig["ENDED"][1] == pytest.approx(fx.PLAYOUT_AT + wav.duration_s, abs=0.05)
    (w1, p1), (w2, p2) = fig["PROBE1"], fig["PROBE2"]
    assert (p2 - p1) / (w2 - w1) == pytest.approx(speed, rel=0.15)
