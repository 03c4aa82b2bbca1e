"""CPU of the desktop app while it streams a call with live charts (target ≤ 15 % of one core).

The simulator runs in its own process so only the app is measured: session,
jitter buffer, DSP, recorder, QAudioSink output and the 30 fps charts. The app
is started with `--autoconnect`, allowed to settle, then its CPU time
(/proc/<pid>/stat utime + stime) is sampled across a window of wall time.
Uses Xvfb (the real xcb painting path) when it is installed, else offscreen,
and a private PulseAudio null sink when PulseAudio is installed, so playback
is part of the cost.
Prints human lines, then a JSON object as the last line.

    .venv/bin/python benchmarks/gui_cpu.py [--seconds 10] [--warmup 4] [--platform xcb|offscreen]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_PERCENT = 15.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _xvfb() -> Iterator[str | None]:
    """A private Xvfb display, or None when Xvfb is not installed."""
    exe = shutil.which("Xvfb")
    if exe is None:
        yield None
        return
    for n in range(90, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(
        [exe, f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        yield f":{n}"
    finally:
        proc.terminate()
        proc.wait(5)


@contextlib.contextmanager
def _null_sink(run_dir: Path) -> Iterator[str | None]:
    """A private PulseAudio with a null sink; yields its PULSE_SERVER, or None without one."""
    exe = shutil.which("pulseaudio")
    if exe is None:
        yield None
        return
    run_dir.mkdir(mode=0o700, parents=True)
    sock = run_dir / "native"
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(run_dir),
        "PULSE_RUNTIME_PATH": str(run_dir),
        "HOME": str(run_dir),
    }
    proc = subprocess.Popen(
        [
            exe,
            "--daemonize=no",
            "--exit-idle-time=-1",
            "-n",
            "--use-pid-file=no",
            "--disable-shm=yes",
            "--load=module-null-sink sink_name=bench",
            f"--load=module-native-protocol-unix socket={sock} auth-anonymous=1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                yield None
                return
            time.sleep(0.05)
        yield f"unix:{sock}"
    finally:
        proc.terminate()
        proc.wait(5)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    ap.add_argument(
        "--warmup", type=float, default=4.0, help="seconds after start before measuring"
    )
    ap.add_argument("--platform", choices=["auto", "xcb", "offscreen"], default="auto")
    args = ap.parse_args()

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="gui-cpu-") as tmp, contextlib.ExitStack() as stack:
        env = {
            **os.environ,
            "XDG_DATA_HOME": f"{tmp}/data",
            "XDG_CONFIG_HOME": f"{tmp}/config",
            "CXONE_CLIENT_SECRET": "demo-secret",
            "PYTHONPATH": str(ROOT),
        }
        display = None
        if args.platform in ("auto", "xcb"):
            display = stack.enter_context(_xvfb())
            if display is None and args.platform == "xcb":
                print("Xvfb is not installed", file=sys.stderr)
                return 2
        pulse = stack.enter_context(_null_sink(Path(tmp) / "pa"))
        if pulse is not None:
            env["PULSE_SERVER"] = pulse
        audio = "PulseAudio null sink" if pulse is not None else "none (no PulseAudio)"
        if display is not None:
            env["DISPLAY"] = display
            env.pop("QT_QPA_PLATFORM", None)
            qpa = "xcb (Xvfb)"
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
            qpa = "offscreen"
        sim = subprocess.Popen(
            [sys.executable, "-m", "cxone_desktop", "simulate", "--port", str(port), "--loop"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(lambda: (sim.terminate(), sim.wait(5)))
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if sim.poll() is not None or time.monotonic() > deadline:
                print("the simulator did not start", file=sys.stderr)
                return 1
            time.sleep(0.05)

        quit_after = args.warmup + args.seconds + 3
        app = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cxone_desktop",
                "gui",
                "--base-url",
                f"http://127.0.0.1:{port}",
                "--client-id",
                "demo-client",
                "--call-id",
                "demo-call",
                "--autoconnect",
                "--quit-after",
                str(quit_after),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        started = time.monotonic()
        time.sleep(args.warmup)
        if app.poll() is not None:
            print(app.stderr.read() if app.stderr else "", file=sys.stderr)
            return 1
        startup_cpu = _cpu_seconds(app.pid)
        t0, c0 = time.monotonic(), startup_cpu
        time.sleep(args.seconds)
        t1, c1 = time.monotonic(), _cpu_seconds(app.pid)
        _, stderr = app.communicate(timeout=quit_after + 30)
        wall_total = time.monotonic() - started

    percent = 100.0 * (c1 - c0) / (t1 - t0)
    ok = app.returncode == 0 and percent <= TARGET_PERCENT
    print(f"platform: {qpa}; audio output: {audio}")
    print(f"window {t1 - t0:.1f} s after {args.warmup:.0f} s warm-up")
    print(f"start-up CPU (imports, window, connect): {startup_cpu:.2f} s")
    print(f"streaming with charts: {percent:.1f} % of one core (target ≤ {TARGET_PERCENT:.0f} %)")
    print(f"app exit code {app.returncode} after {wall_total:.1f} s")
    if app.returncode != 0:
        print(stderr[-2000:], file=sys.stderr)
    print(
        json.dumps(
            {
                "benchmark": "gui_cpu",
                "cpu_percent_one_core": round(percent, 1),
                "target_percent": TARGET_PERCENT,
                "within_target": percent <= TARGET_PERCENT,
                "window_s": round(t1 - t0, 2),
                "startup_cpu_s": round(startup_cpu, 2),
                "platform": qpa,
                "audio_output": audio,
                "exit_code": app.returncode,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
