"""Review window speed on a one-hour call: time to first paint (≤ 2 s) and scroll/zoom (≥ 30 fps).

A one-hour stereo session folder (the test fixture's timeline, stretched: loss,
an outage, a hold, 3,600 metrics rows; 2 × 115 MB of WAV) is written first, then
a child process opens it in the real ReviewWindow — under Xvfb (the real xcb
painting path) when it is installed, else offscreen — and reports:
- first paint: from "open this folder" to the timeline's first paint event
  (reading the folder, marks, E-model series, envelope pyramid, building the plots);
- scroll: the view (60 s wide) moved by 5 % a frame, each frame redrawn at once;
- zoom: the view swept from the whole hour down to 1 s and back, one step a frame.
It runs twice: warm (the folder was just written, so its pages are in the OS cache),
then cold (every file of the folder flushed and dropped from the page cache with
`portable.drop_cached_pages`, i.e. posix_fadvise DONTNEED, just before the child
starts: the first open of a call the machine has not read since boot). Where the OS has
no such call the cold run is left out and says so; where `fincore` exists the bytes still
cached after the drop are reported. Prints human lines, then a JSON object as the last line.

    .venv/bin/python benchmarks/review.py [--minutes 60] [--platform xcb|offscreen]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gui_cpu import _xvfb  # the same private Xvfb as the CPU benchmark

ROOT = Path(__file__).resolve().parents[1]

TARGET_FIRST_PAINT_S = 2.0
TARGET_FPS = 30.0

CHILD = textwrap.dedent(
    """
    import json, sys, time
    t_start = time.perf_counter()
    from pathlib import Path
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from cxone_desktop.review.review_data import load_review
    from cxone_desktop.ui.review_player import ReviewPlayer
    from cxone_desktop.ui.review_window import ReviewWindow
    t_imported = time.perf_counter()

    class FirstPaint(QObject):
        at = None
        def eventFilter(self, obj, ev):
            if ev.type() == QEvent.Type.Paint and self.at is None:
                self.at = time.perf_counter()
            return False

    t0 = time.perf_counter()
    data = load_review(Path(sys.argv[1]))
    t_loaded = time.perf_counter()
    w = ReviewWindow(data, player=ReviewPlayer(use_device=False))
    watcher = FirstPaint()
    w.timeline.viewport().installEventFilter(watcher)
    w.resize(1280, 800)
    w.show()
    while watcher.at is None and time.perf_counter() - t0 < 30:
        app.processEvents()
    first_paint = watcher.at - t0

    def frame(t0_s, t1_s):
        # One frame: the new range, what depends on it (envelopes, spectrogram), the pixels.
        w.timeline.set_view(t0_s, t1_s)
        w.timeline._refresh_timer.stop()
        w.timeline.refresh()
        w.timeline.viewport().repaint()

    duration = w.timeline.duration
    frame(600.0, 660.0)
    n = 150
    start = time.perf_counter()
    for i in range(n):
        a = 600.0 + i * 3.0
        frame(a, a + 60.0)
    scroll_fps = n / (time.perf_counter() - start)
    widths = [duration / (1.25 ** k) for k in range(40) if duration / (1.25 ** k) >= 1.0]
    sweep = widths + widths[::-1]
    start = time.perf_counter()
    for width in sweep:
        c = 1800.0
        frame(c - width / 2, c + width / 2)
    zoom_fps = len(sweep) / (time.perf_counter() - start)
    print(json.dumps({
        "first_paint_s": round(first_paint, 3),
        "load_s": round(t_loaded - t0, 3),
        "imports_s": round(t_imported - t_start, 3),
        "scroll_fps": round(scroll_fps, 1),
        "zoom_fps": round(zoom_fps, 1),
        "zoom_steps": len(sweep),
        "marks": len(data.marks),
        "metrics_rows": data.recording.metrics.rows,
        "platform": app.platformName(),
    }))
    w.close()
    """
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--platform", choices=["xcb", "offscreen"], default=None)
    args = parser.parse_args()
    from cxone_desktop import portable
    from tests.review.session_fixture import build_session

    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="review-bench-") as tmp:
        began = time.monotonic()
        folder = build_session(Path(tmp), seconds=args.minutes * 60.0, stereo=True)
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"wrote a {args.minutes:g}-minute stereo session ({size_mb:.0f} MB) in "
              f"{time.monotonic() - began:.1f} s")  # fmt: skip
        use_x = args.platform != "offscreen" and shutil.which("Xvfb") is not None
        with _xvfb() if use_x else _nothing() as display:
            env = {**os.environ, "PULSE_SERVER": "unix:/nonexistent"}
            if display:
                env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
            else:
                env["QT_QPA_PLATFORM"] = "offscreen"
            for cache in ("warm", "cold"):
                extra: dict[str, Any] = {}
                if cache == "cold":
                    files = sorted(p for p in folder.iterdir() if p.is_file())
                    if not all(portable.drop_cached_pages(p) for p in files):
                        print("cold: this OS cannot drop a file's cached pages; left out")
                        break
                    extra["cached_after_drop_bytes"] = _cached_bytes(files)
                run = subprocess.run(
                    [sys.executable, "-c", CHILD, str(folder)],
                    env=env, capture_output=True, text=True, timeout=600, cwd=ROOT,
                )  # fmt: skip
                if run.returncode != 0:
                    print(run.stderr[-3000:], file=sys.stderr)
                    return 1
                runs[cache] = {**json.loads(run.stdout.strip().splitlines()[-1]), **extra}
    for cache, r in runs.items():
        print(
            f"{cache}: first paint {r['first_paint_s']:.2f} s (of which reading the folder "
            f"{r['load_s']:.2f} s); scroll {r['scroll_fps']:.0f} fps; zoom "
            f"{r['zoom_fps']:.0f} fps ({r['platform']})"
        )
    result: dict[str, Any] = {**runs["warm"], "minutes": args.minutes, "size_mb": round(size_mb)}
    result["cold"] = runs.get("cold")
    result["targets_met"] = {
        f"{name}_{cache}": ok
        for cache, r in runs.items()
        for name, ok in (
            ("first_paint_le_2s", r["first_paint_s"] <= TARGET_FIRST_PAINT_S),
            ("scroll_ge_30fps", r["scroll_fps"] >= TARGET_FPS),
            ("zoom_ge_30fps", r["zoom_fps"] >= TARGET_FPS),
        )
    }
    print(json.dumps(result))
    return 0


def _cached_bytes(files: list[Path]) -> int | None:
    """Bytes of `files` in the page cache (util-linux `fincore`), None without it."""
    if shutil.which("fincore") is None:
        return None
    out = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", *map(str, files)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        return sum(int(line.split()[0]) for line in out.stdout.splitlines() if line.strip())
    except (ValueError, IndexError):
        return None


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    sys.exit(main())
