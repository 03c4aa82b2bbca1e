"""A frame around whichever control has keyboard focus, visible in every palette.

Styles draw focus faintly or not at all (Fusion marks a slider or a check box with a
hairline), and a style sheet that adds a border replaces the native look. This overlay
draws a 2-pixel frame just outside the focused control instead, masked to the frame so
it never covers the control, in the palette's highlight colour when that stands out
3:1 from the window (WCAG 2.1 1.4.11), else in the text colour.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPen, QRegion
from PySide6.QtWidgets import QApplication, QMenu, QMenuBar, QWidget

from cxone_desktop.ui.theme import focus_ring_colour

RING_PX = 2


class FocusRing(QWidget):
    """Follows focus inside `window`; `refresh()` re-places it (the window calls it per tick)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("focus_ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._window = window
        self._target: QWidget | None = None
        self._shown_rect = QRect()
        self.hide()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)

    @property
    def target(self) -> QWidget | None:
        """The control the ring is drawn around, if it is shown."""
        return self._target if self.isVisible() else None

    def refresh(self) -> None:
        """Place the ring around the focused control's visible part, or hide it."""
        target = self._target
        if target is not None and not shiboken6.isValid(target):
            target = self._target = None
        if target is None or not _shows_ring(target) or not target.isVisible():
            self._hide()
            return
        visible = target.visibleRegion().boundingRect()
        if visible.isEmpty():
            self._hide()
            return
        top_left = target.mapTo(self._window, visible.topLeft())
        rect = QRect(top_left, visible.size()).adjusted(
            -RING_PX - 1, -RING_PX - 1, RING_PX + 1, RING_PX + 1
        )
        if rect != self._shown_rect or not self.isVisible():
            self._shown_rect = rect
            self.setGeometry(rect)
            inner = QRect(0, 0, rect.width(), rect.height()).adjusted(
                RING_PX, RING_PX, -RING_PX, -RING_PX
            )
            self.setMask(QRegion(0, 0, rect.width(), rect.height()) - QRegion(inner))
            self.raise_()
            self.show()
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pen = QPen(focus_ring_colour(self._window.palette()), RING_PX)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        p.setPen(pen)
        half = RING_PX / 2
        p.drawRect(self.rect().toRectF().adjusted(half, half, -half, -half))
        p.end()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._target and event.type() in (
            QEvent.Type.Move,
            QEvent.Type.Resize,
            QEvent.Type.Hide,
            QEvent.Type.Show,
        ):
            self.refresh()
        return False

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._target is not None and shiboken6.isValid(self._target):
            self._target.removeEventFilter(self)
        inside = new is not None and new.window() is self._window
        self._target = new if inside else None
        if self._target is not None:
            self._target.installEventFilter(self)
        self.refresh()

    def _hide(self) -> None:
        if self.isVisible():
            self.hide()
        self._shown_rect = QRect()


def _shows_ring(widget: QWidget) -> bool:
    """Menus draw their own keyboard highlight."""
    return not isinstance(widget, QMenu | QMenuBar)
