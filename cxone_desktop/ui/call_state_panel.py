"""The call-state panel: all six states at once, the current one lit, and the history.

Time in the current state is redrawn by the window's display timer through
`refresh_clock`; transitions arrive from the controller as they happen. While the call
is up but no audio comes (the session's `stall` event), the lit chip says "No audio"
instead of a green "Streaming" and the clock counts the silence.

The current state is never told by colour alone: its chip has a glyph, bold text and
"(current)" in its accessible name. Colours come from `theme` (4.5:1 text contrast).
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.core.state_machine import CallState, Transition
from cxone_desktop.ui.steady_label import SteadyLabel
from cxone_desktop.ui.theme import STALL_FILL, STATE_FILLS, chip_colours, css, high_contrast

MAX_HISTORY_ROWS = 500
CURRENT_GLYPH = "▶"
STALL_GLYPH = "⚠"
STALL_TEXT = "No audio"


def _clock_text(wall_time: float) -> str:
    return datetime.fromtimestamp(wall_time).strftime("%H:%M:%S.%f")[:-3]


def _chip_width(chip: QLabel) -> int:
    """Room for the widest text a chip shows (lit: bold, with a glyph) and its padding."""
    bold = QFont(chip.font())
    bold.setBold(True)
    fm = QFontMetrics(bold)
    texts = [f"{CURRENT_GLYPH} {s.name.title()}" for s in CallState]
    texts.append(f"{STALL_GLYPH} {STALL_TEXT}")
    return max(fm.horizontalAdvance(t) for t in texts) + 2 * 6 + 2 * 1 + 4


def format_duration(seconds: float) -> str:
    """`4 s`, `3 min 05 s`, `1 h 02 min`: short, and changing at most once a second."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class CallStatePanel(QGroupBox):
    """Shows where the call is and how it got there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Call state", parent)
        self._chips: dict[CallState, QLabel] = {}
        grid = QGridLayout()
        grid.setSpacing(4)
        for i, state in enumerate(CallState):
            chip = QLabel(state.name.title())
            chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
            chip.setObjectName(f"state_{state.name.lower()}")
            chip.setMinimumHeight(chip.fontMetrics().height() + 8)
            chip.setMinimumWidth(_chip_width(chip))
            self._chips[state] = chip
            grid.addWidget(chip, i // 3, i % 3)
        self._time_label = SteadyLabel("", "Disconnecting for 10:00:00")
        self._time_label.setObjectName("time_in_state")
        self.history = QTreeWidget()
        self.history.setObjectName("state_history")
        self.history.setAccessibleName("Call history")
        self.history.setAccessibleDescription(
            "Every state change, retry, reconnect and message of this call, newest last"
        )
        self.history.setHeaderLabels(["Time", "State", "Reason"])
        self.history.setRootIsDecorated(False)
        self.history.setUniformRowHeights(True)
        self.history.setAlternatingRowColors(True)
        header = self.history.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self._time_label)
        layout.addWidget(self.history, 1)
        self._state = CallState.IDLE
        self._entered_monotonic_s = time.monotonic()
        self._stall_since_s: float | None = None
        self._shown_time_text = ""
        self._painting = False
        self._paint_chips()
        self.refresh_clock(self._entered_monotonic_s)

    @property
    def current_state(self) -> CallState:
        return self._state

    @property
    def stalled(self) -> bool:
        """The call is up but no audio comes."""
        return self._stall_since_s is not None

    def time_in_state_text(self) -> str:
        return self._time_label.text()

    def chip_text(self, state: CallState) -> str:
        return self._chips[state].text()

    def reset(self) -> None:
        """A new call: back to IDLE with an empty history."""
        self.history.clear()
        self._state = CallState.IDLE
        self._entered_monotonic_s = time.monotonic()
        self._stall_since_s = None
        self._paint_chips()

    def show_stall(self, silent_s: float, now_monotonic_s: float) -> None:
        """No audio for `silent_s` so far; the clock counts on from there."""
        if self._state is not CallState.STREAMING:
            return
        self._stall_since_s = now_monotonic_s - max(0.0, silent_s)
        self._paint_chips()
        self.refresh_clock(now_monotonic_s)

    def clear_stall(self, now_monotonic_s: float | None = None) -> None:
        if self._stall_since_s is None:
            return
        self._stall_since_s = None
        self._paint_chips()
        self.refresh_clock(time.monotonic() if now_monotonic_s is None else now_monotonic_s)

    def show_transition(self, t: Transition) -> None:
        self._state = t.state
        self._stall_since_s = None  # a new state: the session re-detects a stall
        self._entered_monotonic_s = t.monotonic_s
        previous = t.previous.name.title() if t.previous is not None else "—"
        self._append(t.wall_time, f"{previous} → {t.state.name.title()}", t.reason)
        self._paint_chips()
        self.refresh_clock(time.monotonic())

    def add_note(self, what: str, detail: str, wall_time: float | None = None) -> None:
        """An event that is not a transition (retry, reconnect wait, control message)."""
        self._append(time.time() if wall_time is None else wall_time, what, detail)

    def refresh_clock(self, now_monotonic_s: float) -> None:
        """Redraw "time in state" (or the silence); cheap when nothing visible changed."""
        if self._stall_since_s is not None:
            text = f"{STALL_TEXT} for {format_duration(now_monotonic_s - self._stall_since_s)}"
        else:
            text = (
                f"{self._state.name.title()} for "
                f"{format_duration(now_monotonic_s - self._entered_monotonic_s)}"
            )
        if text != self._shown_time_text:
            self._shown_time_text = text
            self._time_label.setText(text)

    def _append(self, wall_time: float, what: str, reason: str) -> None:
        item = QTreeWidgetItem([_clock_text(wall_time), what, reason])
        item.setToolTip(2, reason)
        self.history.addTopLevelItem(item)
        while self.history.topLevelItemCount() > MAX_HISTORY_ROWS:
            self.history.takeTopLevelItem(0)
        self.history.scrollToItem(item)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if not self._painting and event.type() == QEvent.Type.PaletteChange:
            self._paint_chips()  # the platform's colour scheme or contrast changed

    def _paint_chips(self) -> None:
        palette = self.palette()
        contrast = high_contrast()
        self._painting = True
        try:
            for state, chip in self._chips.items():
                name = state.name.title()
                current = state is self._state
                if current:
                    stalled = self.stalled
                    fill = STALL_FILL if stalled else STATE_FILLS[state]
                    background, text = chip_colours(palette, fill, contrast=contrast)
                    chip.setText(
                        f"{STALL_GLYPH} {STALL_TEXT}" if stalled else f"{CURRENT_GLYPH} {name}"
                    )
                    chip.setAccessibleName(
                        f"{name}, no audio (current)" if stalled else f"{name} (current)"
                    )
                    chip.setStyleSheet(
                        f"background:{css(background)};color:{css(text)};font-weight:bold;"
                        f"border:1px solid {css(text)};border-radius:4px;padding:2px 6px;"
                    )
                else:
                    chip.setText(name)
                    chip.setAccessibleName(name)
                    chip.setStyleSheet(
                        "background:transparent;color:palette(window-text);"
                        "border:1px solid palette(mid);border-radius:4px;padding:2px 6px;"
                    )
                chip.setProperty("current", current)
        finally:
            self._painting = False
