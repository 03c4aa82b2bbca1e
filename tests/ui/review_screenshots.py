"""Screenshots of the review window on a recorded session, for a person to look at.

    xvfb-run -a -s "-screen 0 1366x900x24" python -m tests.ui.review_screenshots FOLDER OUT_DIR

Works on a copy of FOLDER (nothing is written into it): two notes, an evaluation
partly answered (one answer stamped and commented), a selection looped at 1.25×, the
playhead inside it. Writes `review-{1280x800,1024x640}-{light,dark}.png`; the README's
`resources/review-window.png` is the 1280×800 light one of a demo call recorded with
loss, a dropped connection and a hold (`simulate --audio resources/demo-call-stereo.wav
--loss 0.02 --burst-loss 0.01 --burst-frames 4 --jitter-ms 20 --drop-after 12
--hold-at 26 --hold-for 4 --seed 7`, then `record`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QElapsedTimer
from PySide6.QtWidgets import QApplication

SIZES = ((1280, 800), (1024, 640))


def _settle(ms: int = 400) -> None:
    timer = QElapsedTimer()
    timer.start()
    while timer.elapsed() < ms:
        QCoreApplication.processEvents()


def _shoot(folder: Path, out: Path, width: int, height: int, scheme: str) -> Path:
    from cxone_desktop.review.review_data import load_review
    from cxone_desktop.ui.review_player import ReviewPlayer
    from cxone_desktop.ui.review_window import ReviewWindow

    copy = Path(tempfile.mkdtemp(prefix="review-shot-")) / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("annotations.json",
                                                                 "evaluation-*.json"))  # fmt: skip
    window = ReviewWindow(load_review(copy), player=ReviewPlayer(use_device=False))
    window.setGeometry(0, 0, width, height)
    window.show()
    window.activateWindow()
    notes = iter([("Greeting before the customer spoke", "greeting"),
                  ("Customer repeats the account number", "audio problem")])  # fmt: skip
    window.notes.ask_note = lambda where, text="", category="": next(notes)  # type: ignore[method-assign]
    duration = window.timeline.duration
    window.seek(0.15 * duration)
    window.add_note()
    a, b = 0.55 * duration, 0.68 * duration
    window.timeline.set_selection(a, b)
    window.add_note()
    window.transport.loop.setChecked(True)
    window.transport.speed.setCurrentIndex(window.transport.speed.findData(1.25))
    panel = window.evaluation
    index = panel.form_picker.findText("Customer service call")
    panel.form_picker.setCurrentIndex(index)
    panel.form_picker.activated.emit(index)
    panel.analyst.setText("ana")
    panel.set_answer("greeting", 2.0, comment="name and company")
    panel.set_answer("verification", "N/A")
    panel.set_answer("listened", 5.0)
    panel.set_answer("restated", 3.0)
    panel.set_answer("correct_answer", 10.0)
    window.seek(a + 0.3 * (b - a))
    panel.stamp("hold_etiquette")
    panel.set_answer("hold_etiquette", 0.0, comment="no warning before the hold")
    window.tabs.setCurrentWidget(panel)
    window.timeline.set_view(0.1 * duration, 0.9 * duration)
    _settle()
    path = out / f"review-{width}x{height}-{scheme}.png"
    window.grab().save(str(path))
    window.close()
    return path


def main() -> int:
    folder = Path(sys.argv[1])
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    from cxone_desktop.ui.theme import dark_palette

    light = app.palette()
    for scheme in ("light", "dark"):
        app.setPalette(dark_palette() if scheme == "dark" else light)
        for width, height in SIZES:
            print(_shoot(folder, out, width, height, scheme))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
