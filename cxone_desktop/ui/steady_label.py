"""A label for text that changes while a call streams, without relaying out the window.

QLabel.setText asks the parent layout to recompute unless the label's size is fixed;
a clock or a figures line changing a few times a second then makes the whole window
lay out and repaint each time. This label keeps a fixed size, wide enough for the
longest text it is told to expect, and recomputes it when the font changes (the
platform's text size setting).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QWidget


class SteadyLabel(QLabel):
    """A QLabel sized once for `widest` (a sample of the longest text it will show)."""

    def __init__(self, text: str, widest: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._widest = widest
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        width = metrics.horizontalAdvance(self._widest) + margins.left() + margins.right() + 4
        height = metrics.height() + margins.top() + margins.bottom() + 2
        self.setFixedSize(width, height)
