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
    """Shows the level of the last played frame; `set_level` repaints only when a pixel
    would change (a party's meter is ~35 pixels for 60 dB: most 0.5 dB steps change none)."""

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
        self._painted: tuple[int, int, int] | None = None  # what the last paint drew

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
        self._level_db = level
        self._peak_db = max(level, self._peak_db - PEAK_FALL_DB_PER_TICK)
        if self._drawn() != self._painted:
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        self._painted = self._drawn()
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        rect = self._trough()
        p.fillRect(rect, _TROUGH)
        frac = (self._level_db - FLOOR_DBFS) / -FLOOR_DBFS
        if frac > 0:
            colour = (_GREEN, _AMBER, _RED)[_band(self._level_db)]
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

    def _trough(self) -> QRectF:
        return QRectF(self.rect()).adjusted(2, 2, -2, -2)

    def _drawn(self) -> tuple[int, int, int]:
        """What a paint would draw, in whole pixels: the bar's height, the peak's row and
        the bar's colour."""
        rect = self._trough()
        frac = max(0.0, (self._level_db - FLOOR_DBFS) / -FLOOR_DBFS)
        peak_frac = max(0.0, (self._peak_db - FLOOR_DBFS) / -FLOOR_DBFS)
        peak_row = int(rect.bottom() - rect.height() * peak_frac) if peak_frac > 0 else -1
        return round(rect.height() * frac), peak_row, _band(self._level_db)


def _band(level_dbfs: float) -> int:
    """The bar's colour: 0 green, 1 amber (from -12 dBFS), 2 red (from -3 dBFS)."""
    return 0 if level_dbfs < -12 else 1 if level_dbfs < -3 else 2


def level_text(level_dbfs: float) -> str:
    """`-23 dBFS`, or `silent` at the meter's floor."""
    if not math.isfinite(level_dbfs) or level_dbfs <= FLOOR_DBFS:
        return "silent"
    return f"{level_dbfs:.0f} dBFS"
