"""The review window: one recorded call to see, hear, mark up, score and report.

Keys: Space play/pause, ←/→ 5 s back/forward, < and > slower and faster (0.5×–2×,
pitch kept), [ and ] set the loop's A and B at the playhead, L loop on/off, Esc
clear the selection, Ctrl+B add a note (at the playhead, or over the selection),
+ / − zoom, 0 the whole call. It has its own player and sink, so it works while a
live call plays in the main window.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.errors import ReviewError
from cxone_desktop.review.annotations import AnnotationStore
from cxone_desktop.review.call_quality import live_mos
from cxone_desktop.review.review_data import ReviewData, load_review
from cxone_desktop.review.session_reader import PROCESSED, RAW
from cxone_desktop.ui.annotation_panel import AnnotationPanel
from cxone_desktop.ui.error_banner import ErrorBanner
from cxone_desktop.ui.error_text import Notice
from cxone_desktop.ui.evaluation_panel import EvaluationPanel
from cxone_desktop.ui.review_player import ReviewPlayer
from cxone_desktop.ui.review_timeline import ReviewTimeline
from cxone_desktop.ui.review_transport import ReviewTransport

log = logging.getLogger(__name__)

SEEK_STEP_S = 5.0
TICK_MS = 33


class ReviewWindow(QMainWindow):
    def __init__(
        self,
        data: ReviewData,
        *,
        player: ReviewPlayer | None = None,
        opener: Callable[[Path], Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.data = data
        rec = data.recording
        self.setWindowTitle(f"Review — call {rec.call_id} ({rec.folder.name})")
        self.resize(1280, 860)
        self._opener = opener or open_review_window
        self._mark_a: float | None = None
        self._mark_b: float | None = None
        self.player = player or ReviewPlayer(self)
        self.banner = ErrorBanner()
        self.timeline = ReviewTimeline(data)
        tracks = [n for n in (PROCESSED, RAW) if n in rec.tracks]
        self.transport = ReviewTransport(tracks, rec.stereo)
        self.notes = AnnotationPanel(AnnotationStore(rec.folder, author=_analyst()))
        self.evaluation = EvaluationPanel(rec.folder, rec.call_id, lambda: self.position_s)
        self.info = QLabel(_info_html(data))
        self.info.setObjectName("call_info")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        tabs = QTabWidget()
        tabs.addTab(self.notes, "Notes")
        tabs.addTab(self.evaluation, "Evaluation")
        tabs.addTab(self.info, "Call")
        self.tabs = tabs
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.timeline)
        split.addWidget(tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([900, 380])
        central = QWidget()
        col = QVBoxLayout(central)
        col.setContentsMargins(8, 6, 8, 4)
        col.addWidget(self.banner)
        col.addWidget(self.transport)
        col.addWidget(split, 1)
        self.setCentralWidget(central)
        self._build_actions()
        self._wire()
        self.player.load(rec.tracks[tracks[0]], at_s=rec.tracks[tracks[0]].start_s)
        self.notes_changed(self.notes.store.items)
        for problem in rec.problems:
            self.banner.show_notice(Notice(problem, "", "warning"))
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        self.tick()
        self.timeline.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.timeline.setFocus()

    # ---- what tests and the main window use ------------------------------------------------
    @property
    def position_s(self) -> float:
        return self.player.position_s

    def seek(self, t: float) -> None:
        t = min(max(0.0, t), self.timeline.duration)
        self.player.seek(t)
        self.tick()

    def toggle_play(self) -> None:
        self.player.toggle()

    def step(self, seconds: float) -> None:
        self.seek(self.position_s + seconds)

    def add_note(self) -> None:
        sel = self.timeline.selection
        if sel is not None:
            self.notes.add_note(sel[0], sel[1])
        else:
            self.notes.add_note(self.position_s)

    def export_report(self) -> Path | None:
        from cxone_desktop.review.report_command import REPORT_HTML, write_report

        dest = self.ask_save_path(self.data.folder / REPORT_HTML)
        if dest is None:
            return None
        try:
            path = write_report(self.data.folder, dest)
        except ReviewError as exc:
            self.banner.show_notice(Notice(exc.message, exc.remedy))
            return None
        self.statusBar().showMessage(f"Report written to {path}", 8000)
        return path

    def open_session(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Open a recorded session", str(self.data.folder.parent)
        )
        if path:
            self._opener(Path(path))

    def ask_save_path(self, suggested: Path) -> Path | None:
        """Where to write the report (a dialog; tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Export report", str(suggested), "HTML (*.html)"
        )
        return Path(path) if path else None

    # ---- the display tick ------------------------------------------------------------------
    def tick(self) -> None:
        t = self.player.position_s
        self.timeline.set_playhead(t)
        self.transport.show_time(t, self.timeline.duration)
        if self.player.playing:
            lo, hi = self.timeline.view_range()
            if not lo <= t <= hi and hi - lo < self.timeline.duration:
                self.timeline.set_view(t - 0.05 * (hi - lo), t + 0.95 * (hi - lo))

    def notes_changed(self, notes: list[Any]) -> None:
        self.timeline.set_notes(notes)

    # ---- wiring ----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        def action(text: str, keys: str | None, slot: Any) -> QAction:
            act = QAction(text, self)
            if keys:
                act.setShortcut(QKeySequence(keys))
                act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.play_action = action("Play / pause", "Space", self.toggle_play)
        self.back_action = action("Back 5 s", "Left", lambda: self.step(-SEEK_STEP_S))
        self.forward_action = action("Forward 5 s", "Right", lambda: self.step(SEEK_STEP_S))
        self.slower_action = action("Slower", "<", lambda: self.player.step_speed(-1))
        self.faster_action = action("Faster", ">", lambda: self.player.step_speed(+1))
        self.normal_speed_action = action("Normal speed (1×)", None,
                                          lambda: self.player.set_speed(1.0))  # fmt: skip
        self.a_action = action("Loop start (A) at playhead", "[", lambda: self._set_ab(0))
        self.b_action = action("Loop end (B) at playhead", "]", lambda: self._set_ab(1))
        self.loop_action = action("Loop selection", "L", self.transport.loop.toggle)
        self.clear_action = action(
            "Clear selection", "Esc", lambda: self.timeline.set_selection(None)
        )
        self.note_action = action("Add note…", "Ctrl+B", self.add_note)
        self.zoom_in_action = action(
            "Zoom in", "+", lambda: self.timeline.zoom(0.5, self.position_s)
        )
        self.zoom_out_action = action("Zoom out", "-", lambda: self.timeline.zoom(2.0))
        self.whole_action = action(
            "Whole call", "0", lambda: self.timeline.set_view(0, self.timeline.duration)
        )
        self.open_action = action("&Open recorded session…", "Ctrl+O", self.open_session)
        self.report_action = action("Export &report…", "Ctrl+R", self.export_report)
        close = action("&Close", "Ctrl+W", self.close)
        file_menu = self.menuBar().addMenu("&File")
        for act in (self.open_action, self.report_action):
            file_menu.addAction(act)
        file_menu.addAction(
            "Export notes as Audacity labels…", lambda: self.notes.export("labels.txt")
        )
        file_menu.addAction("Export notes as CSV…", lambda: self.notes.export("notes.csv"))
        file_menu.addSeparator()
        file_menu.addAction(close)
        play_menu = self.menuBar().addMenu("&Play")
        for act in (self.play_action, self.back_action, self.forward_action, self.slower_action,
                    self.faster_action, self.normal_speed_action, self.a_action, self.b_action,
                    self.loop_action, self.clear_action):  # fmt: skip
            play_menu.addAction(act)
        view_menu = self.menuBar().addMenu("&View")
        for act in (self.zoom_in_action, self.zoom_out_action, self.whole_action):
            view_menu.addAction(act)
        self.menuBar().addMenu("&Notes").addAction(self.note_action)

    def _wire(self) -> None:
        t, p = self.transport, self.player
        t.play_toggled.connect(self.toggle_play)
        t.speed_chosen.connect(p.set_speed)
        p.speed_changed.connect(t.show_speed)
        t.view_chosen.connect(self.timeline.set_mode)
        t.track_chosen.connect(self._play_track)
        t.loop_toggled.connect(self._apply_loop)
        t.skip_changed.connect(self._apply_skip)
        t.party_gain_changed.connect(p.set_gain)
        t.party_muted.connect(p.set_muted)
        p.playing_changed.connect(t.show_playing)
        p.status_changed.connect(t.show_status)
        self.timeline.seek_requested.connect(self.seek)
        self.timeline.selection_changed.connect(lambda _sel: self._apply_loop())
        self.notes.seek_requested.connect(self.seek)
        self.notes.notes_changed.connect(self.notes_changed)
        self.notes.problem.connect(lambda a, b: self.banner.show_notice(Notice(a, b)))
        self.evaluation.problem.connect(lambda a, b: self.banner.show_notice(Notice(a, b)))
        self.evaluation.saved.connect(
            lambda path: self.statusBar().showMessage(f"Evaluation saved: {path.name}", 8000)
        )

    def _play_track(self, name: str) -> None:
        self.player.load(self.data.recording.tracks[name])
        self._apply_loop()
        self._apply_skip(self.transport.skip_s.value() if self.transport.skip.isChecked() else None)

    def _set_ab(self, which: int) -> None:
        """[ and ] mark the loop's ends at the playhead; the selection follows once both are set."""
        t = self.position_s
        sel = self.timeline.selection
        a, b = sel if sel is not None else (self._mark_a, self._mark_b)
        if which == 0:
            a = self._mark_a = t
        else:
            b = self._mark_b = t
        if a is not None and b is not None:
            self.timeline.set_selection(a, b)

    def _apply_loop(self, *_: object) -> None:
        sel = self.timeline.selection
        if self.transport.loop.isChecked() and sel is not None:
            self.player.set_loop(*sel)
        else:
            self.player.set_loop(None, None)

    def _apply_skip(self, min_s: object) -> None:
        track = self.player.track
        if track is None or not isinstance(min_s, int | float):
            self.player.set_skip_silences(None)
            return
        self.player.set_skip_silences(self.data.silences(track.name, float(min_s)))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._timer.stop()
        self.player.close()
        super().closeEvent(event)


_OPEN: set[ReviewWindow] = set()


def open_review_window(
    folder: Path,
    *,
    may_open_device: Callable[[], bool] = lambda: True,
    opener: Callable[[Path], Any] | None = None,
) -> ReviewWindow:
    """Open a session in a new review window (kept alive until closed). Raises ReviewError."""
    data = load_review(folder)
    window = ReviewWindow(data, opener=opener)
    window.player.set_may_open_device(may_open_device)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _OPEN.add(window)
    window.destroyed.connect(lambda *_: _OPEN.discard(window))
    window.show()
    return window


def _analyst() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _info_html(data: ReviewData) -> str:
    rec, q = data.recording, data.quality
    lines = [f"<b>Call {rec.call_id}</b>", f"Duration {rec.duration_s:.1f} s"]
    lines.append(f"Reconnects {rec.reconnects}; gaps {len(rec.gaps)}")
    if q is not None and not math.isnan(q.call.mos):
        c = q.call
        lines.append(
            f"<b>Estimated MOS {c.mos:.2f}</b> (R {c.r:.1f}) from {c.loss_pct:.2f} % loss, "
            f"burst ratio {c.burst_ratio:.2f}, {c.one_way_delay_ms:.0f} ms delay"
        )
        lines.append(f"<small>{q.label}</small>")
    live = live_mos(rec.summary)
    if live is not None:
        lines.append(f"Live session's estimate: MOS {live:.2f}")
    return "<br>".join(lines)
