"""End to end: the review window's player heard on a PulseAudio null sink.

A child process opens the stereo fixture in a real ReviewWindow and plays it;
parec records the sink's monitor in stereo. The agent's 300 Hz bursts must come
out on the left, the customer's 1,200 Hz bursts on the right; muting the
customer must silence the right channel only. A second run plays while a live
call's sink (the main window's QtPlayoutSink) plays a 440 Hz tone: both are heard.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.review import session_fixture as fx
from tests.review.session_fixture import build_session
from tests.ui.test_e2e_audio import null_sink  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e
RATE = 8000

PLAYER = textwrap.dedent(
    """
    import sys, numpy as np
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from cxone_desktop.review.review_data import load_review
    from cxone_desktop.ui.review_window import ReviewWindow
    folder, start_s, seconds, mute_customer, live = sys.argv[1:6]
    w = ReviewWindow(load_review(Path(folder)))
    w.show()
    if mute_customer == "1":
        w.transport.mutes[1].setChecked(True)
    sink = None
    if live == "1":  # a live call playing at the same time, through the live window's sink
        from cxone_desktop.ui.audio_output import QtPlayoutSink
        sink = QtPlayoutSink()
        t = np.arange(160) / 8000.0
        tone = (6000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)[None, :]
        feed = QTimer(); feed.setInterval(20)
        feed.timeout.connect(lambda: sink.write(tone)); feed.start()
    w.seek(float(start_s))
    w.toggle_play()
    def done():
        print("STATUS", w.player.status, flush=True)
        print("AUDIBLE", w.player.audible, flush=True)
        print("POSITION", round(w.position_s, 2), flush=True)
        if sink is not None:
            print("LIVE", sink.status, flush=True)
            sink.close()
        w.close()
        app.quit()
    QTimer.singleShot(int(float(seconds) * 1000), done)
    app.exec()
    """
)


def _play(env: dict[str, str], folder: Path, tmp: Path, *, start_s: float, seconds: float,
          mute_customer: bool = False, live: bool = False) -> tuple[np.ndarray, str]:  # fmt: skip
    capture = tmp / f"capture-{int(mute_customer)}{int(live)}.raw"
    with capture.open("wb") as out:
        parec = subprocess.Popen(
            ["parec", "--device=rig.monitor", f"--rate={RATE}", "--channels=2",
             "--format=s16le", "--raw"],
            env=env, stdout=out,
        )  # fmt: skip
        try:
            run = subprocess.run(
                [sys.executable, "-c", PLAYER, str(folder), str(start_s), str(seconds),
                 "1" if mute_customer else "0", "1" if live else "0"],
                env={**env, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp)},
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
        finally:
            parec.terminate()
            parec.wait(5)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    return np.fromfile(capture, dtype="<i2").reshape(-1, 2).astype(np.float64), run.stdout


def _level_at(x: np.ndarray, hz: float) -> float:
    """Magnitude of `hz` in x (windowed DFT bin), relative to the strongest bin."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(spec[np.argmin(np.abs(freqs - hz))] / max(spec.max(), 1e-9))


def _loud(x: np.ndarray) -> np.ndarray:
    """The 100 ms blocks that carry sound."""
    blocks = x[: len(x) // 800 * 800].reshape(-1, 800)
    return blocks[np.sqrt((blocks**2).mean(axis=1)) > 500]


def test_review_playback_is_heard_agent_left_customer_right(
    null_sink: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = build_session(tmp_path, stereo=True, name="heard-20261124T101112Z")
    heard, out = _play(null_sink, folder, tmp_path, start_s=2.0, seconds=4.0)
    assert "AUDIBLE True" in out and "Review playback on:" in out, out
    left, right = heard[:, 0], heard[:, 1]
    agent, customer = _loud(left), _loud(right)
    assert len(agent) >= 8 and len(customer) >= 8, (len(agent), len(customer))
    assert all(_level_at(b, fx.AGENT_HZ) > 0.5 for b in agent)
    assert all(_level_at(b, fx.CUSTOMER_HZ) > 0.5 for b in customer)
    # the parties take turns: where the agent speaks the customer's side is quiet
    n = min(len(left), len(right)) // 800 * 800
    lb = np.sqrt((left[:n].reshape(-1, 800) ** 2).mean(axis=1))
    rb = np.sqrt((right[:n].reshape(-1, 800) ** 2).mean(axis=1))
    assert np.corrcoef(lb, rb)[0, 1] < 0
    # The playhead follows the sink's clock, not ours: never ahead of the 4 s played. An idle
    # null sink queues a new stream behind up to 2 s of its own latency (`pactl list
    # sink-inputs` showed "Sink Latency" 1.6 s falling to 0 while processedUSecs stayed 0; a
    # sound card's sink does not), so at least 1.5 s of movement is asked for.
    position = float(out.split("POSITION")[1].split()[0])
    assert 3.5 <= position <= 6.5, out


def test_muting_the_customer_silences_the_right_channel_only(
    null_sink: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = build_session(tmp_path, stereo=True, name="muted-20261124T101112Z")
    heard, _out = _play(null_sink, folder, tmp_path, start_s=2.0, seconds=3.0, mute_customer=True)
    assert len(_loud(heard[:, 0])) >= 6
    assert len(_loud(heard[:, 1])) == 0
    assert float(np.abs(heard[:, 1]).max()) < 50


def test_review_plays_while_a_live_call_plays(
    null_sink: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = build_session(tmp_path, stereo=True, name="both-20261124T101112Z")
    heard, out = _play(null_sink, folder, tmp_path, start_s=2.0, seconds=4.0, live=True)
    assert "AUDIBLE True" in out and "LIVE Playing on:" in out, out
    mono = heard.mean(axis=1)
    blocks = _loud(mono)
    assert len(blocks) >= 15
    # the live 440 Hz tone and the review's tones are both there
    spectrum = np.abs(np.fft.rfft(mono))
    freqs = np.fft.rfftfreq(len(mono), 1 / RATE)
    floor = float(np.median(spectrum[(freqs > 100) & (freqs < 3000)]))
    for hz in (440.0, fx.AGENT_HZ, fx.CUSTOMER_HZ):
        assert spectrum[np.abs(freqs - hz) < 5].max() > 30 * floor, hz
