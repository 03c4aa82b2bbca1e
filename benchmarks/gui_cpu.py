"""CPU of the desktop app while it streams a call with sound and live charts.

Two runs, each measured the same way (the app is started with `--autoconnect`,
allowed to settle, then its CPU time, /proc/<pid>/stat utime + stime, is sampled
across a window of wall time):

- app alone (target ≤ 8 % of one core): the simulator runs in a process of its own
  that is not counted; the app's session, jitter buffer, DSP, recorder, QAudioSink
  output and live charts are. The call has two parties (`simulate --two-party`, as the
  demo): stereo on the wire and to the sound device, both waveform lanes, the talk strip;
- `gui --demo` in total (target ≤ 12 %): the app plus the demo simulator it starts
  (its child process), as a user running the demo pays for both.

Uses Xvfb (the real xcb painting path) when it is installed, else offscreen, and a
private PulseAudio null sink when PulseAudio is installed, so playback is part of
the cost. Prints human lines, then a JSON object as the last line.

    .venv/bin/python benchmarks/gui_cpu.py [--seconds 10] [--warmup 4] [--only app|demo]
                                           [--repeat N]  (the median of N windows)
                                           [--floor]  (gui_floor.py beside the app alone)

The same code measures 9 % one day and 19 % another on a shared virtual machine (a
host's other tenants make each of the app's ~150 wake-ups a second dearer), so a
change is judged against the code before it: `--against TREE` (a checkout of the
older commit, e.g. `git worktree add /tmp/before <commit>`) runs the app from TREE and
from this checkout side by side, both in the same windows (taken in turn, the same two
builds gave ratios from 0.76 to 0.91 within an hour), `--repeat` times, and prints the
ratio of the medians and of each window's pair.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_APP_PERCENT = 8.0
TARGET_DEMO_PERCENT = 12.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


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


def _median_window(
    args: argparse.Namespace, env: dict[str, str], app_args: list[str], *, count_children: bool
) -> dict[str, Any]:
    """`args.repeat` runs of this checkout's app, one after another (each started, given
    its warm-up, sampled over the window); the run with the median total (a window on a
    shared host can be a quarter dearer than the next one), with every window's total
    beside it."""
    runs = [_measure_side_by_side(args, env, app_args, [ROOT], count_children=count_children)[0]
            for _ in range(args.repeat)]  # fmt: skip
    median: dict[str, Any] = dict(sorted(runs, key=lambda r: r["total_percent"])[len(runs) // 2])
    median["windows_percent"] = [r["total_percent"] for r in runs]
    if any(r["exit_code"] != 0 for r in runs):
        median["exit_code"] = next(r["exit_code"] for r in runs if r["exit_code"] != 0)
    return median


def _quit_after(args: argparse.Namespace) -> float:
    """Seconds after which each process quits by itself: past its warm-up and window."""
    return float(args.warmup + args.seconds + 3)


def _app_command(args: argparse.Namespace, app_args: list[str]) -> list[str]:
    return [sys.executable, "-m", "cxone_desktop", "gui", *app_args, "--autoconnect",
            "--quit-after", str(_quit_after(args))]  # fmt: skip


def _floor_command(args: argparse.Namespace, app_args: list[str]) -> list[str]:
    """`gui_floor.py` for the same call (it takes the app's --base-url and --call-id)."""
    wanted = {"--base-url", "--call-id", "--client-id"}
    given = [v for k, v in zip(app_args[::2], app_args[1::2], strict=True) for v in (k, v)
             if k in wanted]  # fmt: skip
    floor = Path(__file__).resolve().parent / "gui_floor.py"
    return [sys.executable, str(floor), *given, "--quit-after", str(_quit_after(args))]


def _measure_side_by_side(
    args: argparse.Namespace,
    env: dict[str, str],
    app_args: list[str],
    trees: list[Path],
    *,
    count_children: bool,
    floor: bool = False,
) -> list[dict[str, float | int]]:
    """The app from each of `trees` (and `gui_floor.py` after them, with `floor`), all
    running at once over the same window (each with its own settings and recordings
    folder); the figures of each."""
    quit_after = _quit_after(args)
    launches = [(_app_command(args, app_args), tree) for tree in trees]
    if floor:
        launches.append((_floor_command(args, app_args), ROOT))
    apps = []
    for k, (command, tree) in enumerate(launches):
        own = {"XDG_DATA_HOME": f"{env['XDG_DATA_HOME']}/{k}",
               "XDG_CONFIG_HOME": f"{env['XDG_CONFIG_HOME']}/{k}"}  # fmt: skip
        apps.append(subprocess.Popen(
            command,
            env={**env, **own, "PYTHONPATH": str(tree)}, cwd=tree,  # `-m`: cwd first on the path
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        ))  # fmt: skip
    time.sleep(args.warmup)
    for app in apps:
        if app.poll() is not None:
            raise RuntimeError(app.stderr.read() if app.stderr else "the app exited early")
    children = [_children(app.pid) if count_children else [] for app in apps]
    startup_cpu = [_cpu_seconds(app.pid) for app in apps]
    kids0 = [sum(_cpu_seconds(c) for c in kids) for kids in children]
    t0 = time.monotonic()
    time.sleep(args.seconds)
    t1 = time.monotonic()
    app1 = [_cpu_seconds(app.pid) for app in apps]
    kids1 = [sum(_cpu_seconds(c) for c in kids) for kids in children]
    window = t1 - t0
    results: list[dict[str, float | int]] = []
    for k, app in enumerate(apps):
        _, stderr = app.communicate(timeout=quit_after + 30)
        if app.returncode != 0:
            print(stderr[-2000:], file=sys.stderr)
        own_s, kids_s = app1[k] - startup_cpu[k], kids1[k] - kids0[k]
        results.append({
            "app_percent": round(100.0 * own_s / window, 1),
            "children_percent": round(100.0 * kids_s / window, 1),
            "total_percent": round(100.0 * (own_s + kids_s) / window, 1),
            "children": len(children[k]),
            "window_s": round(window, 2),
            "startup_cpu_s": round(startup_cpu[k], 2),
            "exit_code": app.returncode,
        })  # fmt: skip
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    ap.add_argument(
        "--warmup", type=float, default=4.0, help="seconds after start before measuring"
    )
    ap.add_argument("--platform", choices=["auto", "xcb", "offscreen"], default="auto")
    ap.add_argument("--only", choices=["app", "demo"], default=None, help="run one of the two")
    ap.add_argument("--against", type=Path, default=None, help="checkout to compare the app with")
    ap.add_argument("--floor", action="store_true",
                    help="run gui_floor.py (the same wake-ups, none of our work) beside the "
                         "app alone")  # fmt: skip
    ap.add_argument("--repeat", type=int, default=None,
                    help="windows (one app run each), the median reported; default 1, 3 with "
                         "--against")  # fmt: skip
    args = ap.parse_args()
    if args.repeat is None:
        args.repeat = 3 if args.against is not None or args.floor else 1
    if args.against is not None or args.floor:
        args.only = "app"

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
        results: dict[str, dict[str, Any]] = {}
        if args.only in (None, "app"):
            sim = subprocess.Popen(
                [sys.executable, "-m", "cxone_desktop", "simulate", "--port", str(port), "--loop",
                 "--two-party"],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            stack.callback(lambda: (sim.terminate(), sim.wait(5)))
            deadline = time.monotonic() + 15
            while True:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), 0.2),
                ):
                    break
                if sim.poll() is not None or time.monotonic() > deadline:
                    print("the simulator did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            app_args = ["--base-url", f"http://127.0.0.1:{port}", "--client-id", "demo-client",
                        "--call-id", "demo-call"]  # fmt: skip
            if args.against is not None:
                return _compare(args, env, app_args)
            if args.floor:
                return _floor(args, env, app_args)
            results["app"] = _median_window(args, env, app_args, count_children=False)
        if args.only in (None, "demo"):
            results["demo"] = _median_window(args, env, ["--demo"], count_children=True)

    app_pct = results["app"]["app_percent"] if "app" in results else None
    demo_pct = results["demo"]["total_percent"] if "demo" in results else None
    ok = all(r["exit_code"] == 0 for r in results.values())
    ok = ok and (app_pct is None or app_pct <= TARGET_APP_PERCENT)
    ok = ok and (demo_pct is None or demo_pct <= TARGET_DEMO_PERCENT)
    print(f"platform: {qpa}; audio output: {audio}; window {args.seconds:.0f} s "
          f"after {args.warmup:.0f} s warm-up")  # fmt: skip
    if args.repeat > 1:
        print(
            f"median of {args.repeat} windows (one app run each); every window: "
            + "; ".join(f"{name} {r['windows_percent']}" for name, r in results.items())
        )
    if app_pct is not None:
        print(f"app alone, streaming with sound and charts: {app_pct:.1f} % of one core "
              f"(target ≤ {TARGET_APP_PERCENT:.0f} %)")  # fmt: skip
    if demo_pct is not None:
        d = results["demo"]
        print(
            f"gui --demo in total: {demo_pct:.1f} % (app {d['app_percent']:.1f} % + "
            f"simulator {d['children_percent']:.1f} %; target ≤ {TARGET_DEMO_PERCENT:.0f} %)"
        )
    print(
        json.dumps(
            {
                "benchmark": "gui_cpu",
                "app_percent_one_core": app_pct,
                "app_target_percent": TARGET_APP_PERCENT,
                "demo_total_percent_one_core": demo_pct,
                "demo_target_percent": TARGET_DEMO_PERCENT,
                "within_targets": ok,
                "runs": results,
                "platform": qpa,
                "audio_output": audio,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            }
        )
    )
    return 0 if ok else 1


def _compare(args: argparse.Namespace, env: dict[str, str], app_args: list[str]) -> int:
    """The app alone from `args.against` and from this checkout, side by side over the same
    windows (the host's load changes from minute to minute; at the same moment it weighs on
    both alike); the ratio of the medians, and of each window's pair."""
    runs: dict[str, list[float]] = {"against": [], "this": []}
    trees = {"against": args.against.resolve(), "this": ROOT}
    for _ in range(args.repeat):
        results = _measure_side_by_side(args, env, app_args, list(trees.values()),
                                        count_children=False)  # fmt: skip
        for (name, tree), result in zip(trees.items(), results, strict=True):
            if result["exit_code"] != 0:
                print(f"the app from {tree} exited {result['exit_code']}", file=sys.stderr)
                return 1
            runs[name].append(float(result["app_percent"]))
        print(f"against {runs['against'][-1]:.1f} %, this {runs['this'][-1]:.1f} % of one core "
              f"(side by side, {args.seconds:.0f} s)")  # fmt: skip
    before, after = statistics.median(runs["against"]), statistics.median(runs["this"])
    pairs = [t / a for t, a in zip(runs["this"], runs["against"], strict=True) if a > 0]
    print(f"app alone: {after:.1f} % against {before:.1f} % (median of {args.repeat} each); "
          f"ratio {after / before:.2f}; per window {min(pairs):.2f}-{max(pairs):.2f}")  # fmt: skip
    print(json.dumps({"benchmark": "gui_cpu", "compare": True, "side_by_side": True,
                      "against": str(args.against), "this_percent": runs["this"],
                      "against_percent": runs["against"],
                      "ratio_of_medians": round(after / before, 3),
                      "ratio_per_window": [round(r, 3) for r in pairs]}))  # fmt: skip
    return 0


def _floor(args: argparse.Namespace, env: dict[str, str], app_args: list[str]) -> int:
    """The app alone and `gui_floor.py` side by side over the same windows: what our work
    adds above the toolkit's price for the same wake-ups, on this host at this moment."""
    app: list[float] = []
    floor: list[float] = []
    for _ in range(args.repeat):
        ours, bare = _measure_side_by_side(args, env, app_args, [ROOT], count_children=False,
                                           floor=True)  # fmt: skip
        if ours["exit_code"] != 0 or bare["exit_code"] != 0:
            print(f"exit codes: app {ours['exit_code']}, floor {bare['exit_code']}",
                  file=sys.stderr)  # fmt: skip
            return 1
        app.append(float(ours["app_percent"]))
        floor.append(float(bare["app_percent"]))
        print(f"app {app[-1]:.1f} %, floor {floor[-1]:.1f} % of one core "
              f"(side by side, {args.seconds:.0f} s)")  # fmt: skip
    ours_pct, floor_pct = statistics.median(app), statistics.median(floor)
    above = statistics.median(a - f for a, f in zip(app, floor, strict=True))
    print(f"app alone {ours_pct:.1f} %, floor {floor_pct:.1f} % (median of {args.repeat} each); "
          f"our work {above:.1f} % of one core, the app {ours_pct / floor_pct:.2f}x the floor; "
          f"the target of {TARGET_APP_PERCENT:.0f} % leaves our work "
          f"{TARGET_APP_PERCENT - floor_pct:.1f} % here")  # fmt: skip
    print(json.dumps({"benchmark": "gui_cpu", "floor": True, "app_percent": app,
                      "floor_percent": floor, "app_median": ours_pct, "floor_median": floor_pct,
                      "work_above_floor_percent": round(above, 2),
                      "ratio_to_floor": round(ours_pct / floor_pct, 3)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
