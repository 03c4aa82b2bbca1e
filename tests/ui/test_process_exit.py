"""The real app process: clean exit (PySide6 6.12 + qasync + pyqtgraph aborted with rc 134),
SIGTERM handled like the close button, and a plain message when there is no display."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from cxone_desktop.ui.launch import DISPLAY_LOST_TEXT, NO_DISPLAY_TEXT


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path / "home"),  # recordings default to ~/Documents
        "PULSE_SERVER": "unix:/nonexistent/cxone-desktop-tests",
    }
    env.update(extra)
    return env


def _session_folder(tmp_path: Path) -> Path | None:
    found = list((tmp_path / "home" / "Documents").glob("*/recordings/demo-call-*"))
    return found[0] if found else None


def _wait_for_audio(proc: subprocess.Popen[str], tmp_path: Path) -> Path:
    """The app's session folder, once half a second of audio is in its processed.wav."""
    deadline = time.monotonic() + 20
    while (
        (folder := _session_folder(tmp_path)) is None
        or not (folder / "processed.wav").exists()
        or (folder / "processed.wav").stat().st_size < 44 + 320 * 25
    ):
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the app never started streaming"
        time.sleep(0.1)
    return folder


def test_demo_autoconnect_quit_after_exits_0_with_files_finalized(tmp_path: Path) -> None:
    app = subprocess.run(
        [
            sys.executable,
            "-m",
            "cxone_desktop",
            "gui",
            "--demo",
            "--autoconnect",
            "--quit-after",
            "4",
        ],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert app.returncode == 0, app.stderr[-3000:]
    assert "Fatal Python error" not in app.stderr
    folder = _session_folder(tmp_path)
    assert folder is not None
    summary = json.loads((folder / "summary.json").read_text())
    states = [h["state"] for h in summary["state_history"]]
    assert states[-2:] == ["DISCONNECTING", "TERMINATED"]
    assert "STREAMING" in states
    assert (folder / "processed.wav").stat().st_size > 44 + 320 * 50  # > 1 s of audio


def test_sigterm_stops_the_call_and_exits_0(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cxone_desktop",
            "gui",
            "--demo",
            "--autoconnect",
            "--quit-after",
            "30",
        ],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        folder = _wait_for_audio(proc, tmp_path)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-3000:]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["outcome"] == "stopped"
    assert summary["state_history"][-1]["state"] == "TERMINATED"


def test_without_a_display_it_says_what_to_do_and_exits_2(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in _env(tmp_path).items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    app = subprocess.run(
        [sys.executable, "-m", "cxone_desktop", "gui", "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert app.returncode == 2
    assert NO_DISPLAY_TEXT in app.stderr
    assert "qt.qpa" not in app.stderr  # no Qt plugin error: we never started Qt


@contextlib.contextmanager
def _xvfb() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A private Xvfb (the process, and its DISPLAY), killed afterwards if still running."""
    xvfb = shutil.which("Xvfb")
    assert xvfb is not None, "Xvfb is needed (the README's test command installs it)"
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as displayfd:
            display = displayfd.readline().strip()  # its number, once it accepts clients
        assert display, "Xvfb did not start"
        yield server, f":{display}"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)


def test_losing_the_display_stops_the_call_and_exits_0(tmp_path: Path) -> None:
    """The X server dies under a streaming app (a desktop session ends, a VNC server is
    killed): Qt ends its event loop; the call still stops and its files are finalized."""
    app = None
    with _xvfb() as (server, display):
        env = {k: v for k, v in _env(tmp_path).items() if k != "QT_QPA_PLATFORM"}
        env["DISPLAY"] = display
        app = subprocess.Popen(
            [sys.executable, "-m", "cxone_desktop", "gui", "--demo", "--autoconnect",
             "--quit-after", "60"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            _wait_for_audio(app, tmp_path)
            server.terminate()
            server.wait(10)
            _, stderr = app.communicate(timeout=30)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait(10)
    assert app.returncode == 0, stderr[-3000:]
    assert DISPLAY_LOST_TEXT in stderr
    assert "Traceback" not in stderr, stderr[-3000:]
    folder = _session_folder(tmp_path)
    assert folder is not None
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["outcome"] == "stopped"
    assert [h["state"] for h in summary["state_history"]][-2:] == ["DISCONNECTING", "TERMINATED"]


_XLIB_AFTER_THE_BREAK = """
import ctypes, sys
from PySide6.QtWidgets import QApplication
from cxone_desktop import portable
app = QApplication([])
display = app.nativeInterface().display()
if sys.argv[1] == "ours":
    assert portable.survive_x11_connection_loss(display)
print("ready", flush=True)
sys.stdin.readline()  # the X server is gone now
xlib = ctypes.CDLL("libX11.so.6")
xlib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
xlib.XSync(display, 0)  # a round trip on the broken connection
print("survived", flush=True)
"""


def test_an_xlib_call_after_the_display_broke_does_not_exit_the_process(tmp_path: Path) -> None:
    """Whether Qt makes an Xlib call after the X server died is a race (one CI run in
    several): Xlib's I/O error handler (Qt's ends in Xlib's default) then calls exit(1)
    before the call is stopped. With the app's handlers the call fails and returns."""
    for handlers, survives in (("default", False), ("ours", True)):
        with _xvfb() as (server, display):
            env = {k: v for k, v in _env(tmp_path).items() if k != "QT_QPA_PLATFORM"}
            env["DISPLAY"] = display
            child = subprocess.Popen(
                [sys.executable, "-c", _XLIB_AFTER_THE_BREAK, handlers],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                assert child.stdout is not None and child.stdin is not None
                assert child.stdout.readline().strip() == "ready", child.communicate()[1]
                server.terminate()
                server.wait(10)
                out, err = child.communicate("go\n", timeout=30)
            finally:
                if child.poll() is None:
                    child.kill()
                    child.wait(10)
        assert ("survived" in out) is survives, (handlers, out, err[-2000:])
        if not survives:
            assert child.returncode == 1 and "fatal IO error" in err  # what the app hit
