"""End to end: `gui --demo --autoconnect` plays the demo call into a PulseAudio null sink.

A private PulseAudio (null sink "rig") runs for this test only; parec records
the sink's monitor while the real app process streams from its embedded
simulator. The capture must be loud and must match the demo recording in order.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.assets import resource_path

pytestmark = pytest.mark.e2e
RATE_HZ = 8000
WINDOW = RATE_HZ // 2  # 0.5 s


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: `bash packaging/quickstart.sh test` installs the rig")
    return path


@pytest.fixture
def null_sink(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio with one null sink; yields the environment that reaches it."""
    pulseaudio = _need("pulseaudio")
    _need("parec")
    run = tmp_path / "pa"
    run.mkdir(mode=0o700)
    socket = run / "native"
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(run),
        "PULSE_RUNTIME_PATH": str(run),
        "HOME": str(run),
    }
    proc = subprocess.Popen(
        [
            pulseaudio,
            "--daemonize=no",
            "--exit-idle-time=-1",
            "-n",
            "--use-pid-file=no",
            "--disable-shm=yes",
            "--load=module-null-sink sink_name=rig",
            f"--load=module-native-protocol-unix socket={socket} auth-anonymous=1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client_env = {**env, "PULSE_SERVER": f"unix:{socket}"}
    try:
        deadline = time.monotonic() + 10
        while True:
            ok = subprocess.run(["pactl", "info"], env=client_env, capture_output=True, text=True)
            if ok.returncode == 0 and "Default Sink: rig" in ok.stdout:
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError("PulseAudio did not start: " + ok.stderr)
            time.sleep(0.1)
        yield client_env
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def _best_match(source: np.ndarray, window: np.ndarray) -> tuple[int, float]:
    """Where in `source` the window fits best, and the normalized correlation there."""
    n = len(window)
    dots = np.correlate(source, window, mode="valid")
    energy = np.sqrt(np.convolve(source * source, np.ones(n), mode="valid"))
    r = dots / np.maximum(energy * np.linalg.norm(window), 1e-9)
    k = int(np.argmax(r))
    return k, float(r[k])


def _stereo_demo() -> tuple[np.ndarray, np.ndarray]:
    """The demo call's agent (left) and customer (right) tracks, 8 kHz."""
    with wave.open(str(resource_path("demo-call-stereo.wav"))) as w:
        assert (w.getframerate(), w.getnchannels()) == (RATE_HZ, 2)
        both = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return both[0::2], both[1::2]


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-9))


def test_each_party_is_heard_on_its_own_side_of_the_sound_card(
    null_sink: dict[str, str], tmp_path: Path
) -> None:
    """`gui --demo` streams the stereo demo call; "Both" puts the agent left, the customer
    right. The capture's sides are matched against the source's, and crossed."""
    env = {
        **null_sink,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    capture = tmp_path / "capture.raw"
    with capture.open("wb") as out:
        parec = subprocess.Popen(
            ["parec", "--device=rig.monitor", f"--rate={RATE_HZ}", "--channels=2",
             "--format=s16le", "--raw"],
            env=null_sink,
            stdout=out,
        )  # fmt: skip
        try:
            app = subprocess.run(
                [sys.executable, "-m", "cxone_desktop", "gui", "--demo", "--autoconnect",
                 "--quit-after", "11"],
                env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
        finally:
            parec.terminate()
            parec.wait(5)
    assert app.returncode == 0, app.stderr[-2000:]
    assert "Null Output" not in app.stderr  # no "cannot open the audio output"
    # No slot failed along the way (PySide6 prints those errors and carries on).
    assert "Error" not in app.stderr and "Traceback" not in app.stderr, app.stderr[-2000:]

    heard = np.fromfile(capture, dtype="<i2").astype(np.float64)
    left, right = heard[0::2], heard[1::2]
    agent, customer = _stereo_demo()
    rms = float(np.sqrt(np.mean(heard * heard)))
    assert rms > 300, f"the sink stayed (nearly) silent: RMS {rms:.0f}"

    # Where the capture sits in the call: the best-matching of the left's five loudest
    # half-seconds (on a busy machine the playout may stretch inside any one of them).
    energy = np.convolve(left * left, np.ones(WINDOW), mode="valid")
    starts: list[int] = []
    for start in np.argsort(energy)[::-1]:
        if all(abs(int(start) - s) >= WINDOW for s in starts):
            starts.append(int(start))
        if len(starts) == 5:
            break
    matches = [(_best_match(agent, left[s : s + WINDOW]), s) for s in starts]
    (position, r), start = max(matches, key=lambda m: m[0][1])
    assert r > 0.8, f"the left side does not sound like the agent (r = {r:.2f})"
    offset = start - position  # capture index = source index + offset, give or take playout
    for side, own, other, who in ((left, agent, customer, "agent"),
                                  (right, customer, agent, "customer")):  # fmt: skip
        owns, crosses = _side_matches(side, own, other, offset)
        assert len(owns) >= 4, f"less than 2 s of the {who} was heard on its side"
        assert float(np.median(owns)) > 0.8, (who, owns)  # its own party, in order
        assert max(crosses) < 0.35, (who, crosses)  # never the other party


def _side_matches(
    side: np.ndarray, own: np.ndarray, other: np.ndarray, offset: int
) -> tuple[list[float], list[float]]:
    """For each loud 0.5 s of one side of the capture: how well it matches its own party's
    track near where the call should be (±0.25 s, the playout may shift by a few frames),
    and how well the other party's track there. The offset follows the matches."""
    owns, crosses = [], []
    reach = RATE_HZ // 4
    for start in range(0, len(side) - WINDOW, WINDOW):
        window = side[start : start + WINDOW]
        if np.sqrt(np.mean(window * window)) < 300:
            continue  # silence on this side: the other party's turn, or a pause
        lo = start - offset - reach
        if lo < 0 or lo + 2 * reach + WINDOW > len(own):
            continue
        at, r = _best_match(own[lo : lo + 2 * reach + WINDOW], window)
        _, cross = _best_match(other[lo : lo + 2 * reach + WINDOW], window)
        owns.append(r)
        crosses.append(cross)
        if r > 0.8:
            offset = start - (lo + at)
    return owns, crosses


def test_a_sound_server_that_dies_mid_call_costs_the_sound_not_the_call(
    null_sink: dict[str, str], tmp_path: Path
) -> None:
    """No crash (Qt 6.11 aborts if a sink is reopened then), a plain warning, a whole recording."""
    out = tmp_path / "rec"
    env = {**null_sink, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    app = subprocess.Popen(
        [sys.executable, "-m", "cxone_desktop", "gui", "--demo", "--autoconnect",
         "--quit-after", "10", "--out", str(out)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(4.0)
    subprocess.run(["pactl", "exit"], env=null_sink, check=True)  # the server goes away
    killed_at = 4.0
    _, err = app.communicate(timeout=60)
    assert app.returncode == 0, err[-2000:]
    assert "took no audio" in err, err[-2000:]
    (folder,) = out.iterdir()
    with wave.open(str(folder / "raw.wav")) as w:
        recorded_s = w.getnframes() / w.getframerate()
    assert recorded_s > killed_at + 3.0  # streaming and recording went on without sound


TONE_PLAYER = """
import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cxone_desktop.ui.audio_output import QtPlayoutSink

app = QApplication([])
sink = QtPlayoutSink(format_supported=lambda device, fmt: False)  # a device refusing 8 kHz
f = sink.format
print("FORMAT", f.rate_hz, f.channels, f.sample_format.name, sink.available, flush=True)
t = np.arange(8000 * 3) / 8000
frames = (12000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16).reshape(-1, 160)
sent = [0]

def feed():
    if sent[0] == len(frames):
        if sink.pending_bytes == 0:
            QTimer.singleShot(400, app.quit)  # let the device buffer play out
            timer.stop()
        return
    sink.write(frames[sent[0] : sent[0] + 1])
    sent[0] += 1

def start():  # once the sound server has set the stream up, 300 ms ahead as a jitter buffer
    sink.write(frames[:15])
    sent[0] = 15
    timer.start(20)

timer = QTimer()
timer.timeout.connect(feed)
QTimer.singleShot(1000, start)
app.exec()
"""


def test_a_device_that_refuses_8_khz_plays_the_call_at_its_own_rate(
    null_sink: dict[str, str], tmp_path: Path
) -> None:
    capture = tmp_path / "capture.raw"
    with capture.open("wb") as out:
        parec = subprocess.Popen(["parec", "--device=rig.monitor", f"--rate={RATE_HZ}",
                                  "--channels=1", "--format=s16le", "--raw"],
                                 env=null_sink, stdout=out)  # fmt: skip
        try:
            player = subprocess.run([sys.executable, "-c", TONE_PLAYER], capture_output=True,
                                    text=True, timeout=60,
                                    env={**null_sink, "QT_QPA_PLATFORM": "offscreen"})  # fmt: skip
        finally:
            parec.terminate()
            parec.wait(5)
    assert player.returncode == 0, player.stderr[-2000:]
    _, rate, _channels, sample_format, available = player.stdout.split()[:5]
    assert int(rate) != RATE_HZ and available == "True", player.stdout
    heard = np.fromfile(capture, dtype="<i2").astype(np.float64)
    loud = heard[np.abs(heard) > 0]
    heard_s = len(loud) / RATE_HZ
    # The null sink's own start-up and drain latency cost the 8 kHz path as much here.
    assert heard_s > 1.5, f"heard {heard_s:.1f} s of 3 ({rate} Hz {sample_format})"
    spectrum = np.abs(np.fft.rfft(loud * np.hanning(len(loud))))
    assert np.argmax(spectrum) * RATE_HZ / len(loud) == pytest.approx(1000, abs=5)
    assert float(np.sqrt(np.mean(loud * loud))) > 0.5 * 12000 / np.sqrt(2)  # at full level
