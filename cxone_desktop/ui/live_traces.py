"""The waveform's moving parts (the lanes and the talk strip), painted over the plot's data area.

The plot (pyqtgraph: axes, ticks, party names, grid) does not change while a call
plays; only the traces do, 20 times a second. As items of the plot's scene, each of
those frames repainted the scene under them: pyqtgraph's items answer Qt's per-item
questions (bounds, shape, paint) in Python, and that was most of the waveform's cost,
which was most of the app's display cost. So the traces live in an opaque widget laid
exactly over the plot's data area: its paint is a blit of the data area as the plot
last drew it (background and grid, re-rendered when the plot's geometry or range
changes) and then the traces, and the plot's scene is left alone.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPaintEvent, QPixmap, QShowEvent, QTransform
from PySide6.QtWidgets import QWidget

from cxone_desktop.ui.code_strip import CodeStrip
from cxone_desktop.ui.envelope_image import EnvelopeImage


class LiveTraces(QWidget):
    """Lanes and strip over `plot`'s view box; `update()` after changing either."""

    def __init__(self, plot: pg.PlotWidget, lanes: EnvelopeImage, strip: CodeStrip) -> None:
        super().__init__(plot.viewport())
        self.setObjectName("live_traces")
        # Part of the plot's picture: no focus, no mouse, no name of its own (the plot has it).
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # every pixel painted
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.lanes = lanes
        self.strip = strip
        self._plot = plot
        self._box = plot.getPlotItem().getViewBox()
        self._to_widget = QTransform()  # plot units → this widget's pixels
        self._backdrop = QPixmap()
        self._resync = QTimer(self)
        self._resync.setSingleShot(True)
        self._resync.setInterval(0)  # once the layout has settled
        self._resync.timeout.connect(self.sync)
        self._box.sigResized.connect(self._resync.start)
        self._box.sigTransformChanged.connect(self._resync.start)

    def resync_soon(self) -> None:
        """The plot changed in a way its signals do not say (ticks, colours)."""
        self._resync.start()

    def sync(self) -> None:
        """Lie over the view box's area again, and take its backdrop as the plot draws it."""
        view = self._plot
        area: QRect = view.mapFromScene(self._box.sceneBoundingRect()).boundingRect()
        area = area.intersected(view.viewport().rect())
        if area.isEmpty():
            self.hide()
            return
        self.setGeometry(area)
        to_viewport = self._box.childGroup.sceneTransform() * view.viewportTransform()
        self._to_widget = to_viewport * QTransform.fromTranslate(-area.x(), -area.y())
        dpr = self.devicePixelRatioF()
        backdrop = QPixmap(round(area.width() * dpr), round(area.height() * dpr))
        backdrop.setDevicePixelRatio(dpr)
        backdrop.fill(view.backgroundBrush().color())
        p = QPainter(backdrop)
        # The scene as the view shows it there: background, grid; the traces are not in it.
        view.render(p, QRectF(0, 0, area.width(), area.height()), area)
        p.end()
        self._backdrop = backdrop
        self.show()
        self.update()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._resync.start()  # another screen: the backdrop at its resolution
        return super().event(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._backdrop.isNull():
            self._resync.start()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.drawPixmap(0, 0, self._backdrop)
        p.setTransform(self._to_widget)
        self.lanes.paint(p)
        if self.strip.visible:
            self.strip.paint(p)
        p.end()
