"""A vertical level meter in dBFS with a falling peak marker; painted, not plotted.

For screen readers it is named "Output level" and its description says the level
in words ("-23 dBFS", "silent"), updated at most once a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DBFS = -60.0
PEAK_FALL_DB_PER_TICK = 0.5
#: The spoken level changes at most this often (a screen reader reads it on request).
DESCRIBE_INTERVAL_S = 1.0
#: Made once: three meters repaint up to 20 times a second each.
_TROUGH, _GREEN, _AMBER, _RED = (QColor(c) for c in ("#1f2937", "#22c55e", "#eab308", "#ef4444"))
_PEAK, _FRAME = QColor("white"), QColor("#9ca3af")


class LevelMeter(QWidget):
    """Shows the level of the last played frame; `set_level` repaints only on change."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        name: str = "Output level",
        tooltip: str = "Level of the audio being played (dBFS)",
    ) -> None:
        super().__init__(parent)
        self.setObjectName(
            "level_meter" if name == "Output level" else name.lower().replace(" ", "_")
        )
        self.setAccessibleName(name)
        self.setAccessibleDescription(level_text(FLOOR_DBFS))
        self._clock = clock
        self._described_at = -math.inf
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setToolTip(tooltip)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we paint every pixel
        self._level_db = FLOOR_DBFS
        self._peak_db = FLOOR_DBFS

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(line + line // 2, line * 8)

    @property
    def level_dbfs(self) -> float:
        return self._level_db

    def set_level(self, level_dbfs: float) -> None:
        level = level_dbfs if math.isfinite(level_dbfs) else FLOOR_DBFS
        level = min(0.0, max(FLOOR_DBFS, level))
        now = self._clock()
        if now - self._described_at >= DESCRIBE_INTERVAL_S:
            text = level_text(level)
            if text != self.accessibleDescription():
                self.setAccessibleDescription(text)
            self._described_at = now
        peak = max(level, self._peak_db - PEAK_FALL_DB_PER_TICK)
        # A repaint costs more than the eye can tell apart below ~0.5 dB.
        if abs(level - self._level_db) < 0.5 and abs(peak - self._peak_db) < 0.5:
            return
        self._level_db, self._peak_db = level, peak
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        p.fillRect(rect, _TROUGH)
        frac = (self._level_db - FLOOR_DBFS) / -FLOOR_DBFS
        if frac > 0:
            colour = _GREEN if self._level_db < -12 else _AMBER if self._level_db < -3 else _RED
            height = rect.height() * frac
            p.fillRect(QRectF(rect.left(), rect.bottom() - height, rect.width(), height), colour)
        peak_frac = (self._peak_db - FLOOR_DBFS) / -FLOOR_DBFS
        if peak_frac > 0:
            y = int(rect.bottom() - rect.height() * peak_frac)
            p.setPen(_PEAK)
            p.drawLine(int(rect.left()), y, int(rect.right()), y)
        p.setPen(_FRAME)
        p.drawRect(rect)
        p.end()


def level_text(level_dbfs: float) -> str:
    """`-23 dBFS`, or `silent` at the meter's floor."""
    if not math.isfinite(level_dbfs) or level_dbfs <= FLOOR_DBFS:
        return "silent"
    return f"{level_dbfs:.0f} dBFS"
