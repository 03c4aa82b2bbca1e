"""Building blocks of the review timeline: a clock axis, a lane view box, bands and marks.

The lane view box zooms and pans in time only; a click asks for a seek and a
Shift+drag draws a selection, so the window decides what those mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPicture
from PySide6.QtWidgets import QGraphicsItem

from cxone_desktop.review.review_data import ReviewData
from cxone_desktop.review.timeline import MARK_STYLES, Mark, frame_counts, row_starts

#: Kinds drawn as bands behind the waveforms and charts (the rest only in the marks lane).
BAND_KINDS = ("outage", "hold", "stall", "degraded")
NOTE_COLOUR = "#0f766e"
#: Every timeline plot's left and right axis widths, so their x axes line up.
AXIS_W = 96
RIGHT_W = 34


class ClockAxis(pg.AxisItem):
    """Seconds as m:ss (with tenths or milliseconds when zoomed in)."""

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            sign = "-" if v < 0 else ""
            v = abs(v)
            m, s = divmod(v, 60.0)
            h, m = divmod(int(m), 60)
            head = f"{h}:{m:02d}:" if h else f"{m}:"
            if spacing >= 1.0:
                out.append(f"{sign}{head}{round(s):02d}")
            elif spacing >= 0.1:
                out.append(f"{sign}{head}{s:04.1f}")
            else:
                out.append(f"{sign}{head}{s:06.3f}")
        return out


class LaneEvents(QObject):
    """Signals shared by every lane view box of one timeline."""

    clicked = Signal(float)  # session seconds
    selected = Signal(float, float)


class LaneViewBox(pg.ViewBox):
    """Time-only zoom and pan; click → `events.clicked`, Shift+drag → `events.selected`."""

    def __init__(self, events: LaneEvents) -> None:
        super().__init__(enableMenu=False)
        self.events = events
        self.setMouseEnabled(x=True, y=False)
        self._drag_from: float | None = None

    def mouseClickEvent(self, ev: object) -> None:
        e = ev  # pyqtgraph's MouseClickEvent
        if e.button() == Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            e.accept()  # type: ignore[attr-defined]
            x = self.mapSceneToView(e.scenePos()).x()  # type: ignore[attr-defined]
            self.events.clicked.emit(float(x))
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        e = ev
        shift = bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)  # type: ignore[attr-defined]
        if shift and e.button() == Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            e.accept()  # type: ignore[attr-defined]
            x = float(self.mapSceneToView(e.scenePos()).x())  # type: ignore[attr-defined]
            if e.isStart():  # type: ignore[attr-defined]
                self._drag_from = float(
                    self.mapSceneToView(e.buttonDownScenePos()).x()  # type: ignore[attr-defined]
                )
            if self._drag_from is not None:
                self.events.selected.emit(min(self._drag_from, x), max(self._drag_from, x))
            if e.isFinish():  # type: ignore[attr-defined]
                self._drag_from = None
            return
        super().mouseDragEvent(ev, axis)


class SpanItem(pg.GraphicsObject):
    """Rectangles [x0, x1] × [y0, y1] drawn from one cached picture.

    pyqtgraph's BarGraphItem works out pixel padding for its bounds on every paint; with a
    dozen plots that dominated a redraw. Here the bounds are the data's and never change.
    Spans narrower than a pixel still show: their outline is a cosmetic (pixel-wide) pen.
    """

    def __init__(self, spans: Sequence[tuple[float, float, float, float]], colour: QColor,
                 *, outline: bool = False) -> None:  # fmt: skip
        super().__init__()
        self._picture = QPicture()
        painter = QPainter(self._picture)
        pen = QPen(QColor(colour.red(), colour.green(), colour.blue())) if outline else QPen()
        if outline:
            pen.setCosmetic(True)
            pen.setWidth(2)
        else:
            pen.setStyle(Qt.PenStyle.NoPen)
        painter.setPen(pen)
        painter.setBrush(QBrush(colour))
        for x0, x1, y0, y1 in spans:
            painter.drawRect(QRectF(x0, y0, max(x1 - x0, 0.0), y1 - y0))
        painter.end()
        xs = [v for s in spans for v in s[:2]] or [0.0]
        ys = [v for s in spans for v in s[2:]] or [0.0]
        self._bounds = QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))

    def paint(self, painter: QPainter, *_: object) -> None:
        self._picture.play(painter)

    def boundingRect(self) -> QRectF:
        return self._bounds


def band_item(marks: Sequence[Mark], y0: float, y1: float) -> list[SpanItem]:
    """Translucent bands for outages, holds, stalls and degraded stretches (one item a kind)."""
    items = []
    for kind in BAND_KINDS:
        spans = [(m.start_s, m.end_s, y0, y1) for m in marks if m.kind == kind and m.is_span]
        if not spans:
            continue
        colour = pg.mkColor(MARK_STYLES[kind][1])
        colour.setAlpha(38)
        item = SpanItem(spans, colour)
        item.setZValue(-10)
        items.append(item)
    return items


def marks_items(
    marks: Sequence[Mark], kinds: Sequence[str]
) -> tuple[list[pg.GraphicsObject], list[tuple[float, str]]]:
    """One item per kind, row i at y = −i; returns the items and the axis ticks."""
    items: list[pg.GraphicsObject] = []
    ticks: list[tuple[float, str]] = []
    for row, kind in enumerate(kinds):
        spans = [(m.start_s, m.end_s, -row - 0.4, -row + 0.4) for m in marks if m.kind == kind]
        if not spans:
            continue
        name, colour = MARK_STYLES[kind]
        items.append(SpanItem(spans, pg.mkColor(colour), outline=True))
        ticks.append((-row, name))
    return items, ticks


def cache_static_axes(plot: pg.PlotItem) -> None:
    """Left and right axes never change while scrolling in time: paint them once."""
    for name in ("left", "right"):
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def r_for_mos(mos: float) -> float:
    """The rating R whose Annex B MOS is `mos` (for the R chart's MOS axis)."""
    from cxone_desktop.core.e_model import mos_from_r

    lo, hi = 0.0, 100.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if mos_from_r(mid) < mos:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


Series = list[tuple[str, str, np.ndarray, np.ndarray]]  # (name, colour, x, y)


def metric_specs(data: ReviewData) -> list[tuple[str, Series]]:
    """The metrics charts under the timeline: (axis label, series) in drawing order."""
    rec = data.recording
    table = rec.metrics
    t = table.elapsed_s
    mid = (row_starts(t) + t) / 2
    holds = [(m.start_s, m.end_s) for m in data.marks if m.kind == "hold"]
    counts = frame_counts(rec, holds)
    colours = {"lost": "#ef4444", "concealed": "#fb923c"}
    specs: list[tuple[str, Series]] = [
        ("loss/s", [(k, colours[k], mid, v) for k, v in counts.items()]),
        ("ms", [
            ("jitter", "#f59e0b", t, table.column("jitter_ms")),
            ("latency", "#22c55e", t, table.column("avg_latency_ms")),
        ]),
        ("kbps", [("bitrate", "#38bdf8", t, table.column("bitrate_kbps"))]),
        ("buffer", [
            ("depth ms", "#14b8a6", t, table.column("buffer_depth_ms")),
            ("target ms", "#64748b", t, table.column("buffer_target_ms")),
        ]),
    ]  # fmt: skip
    if table.has("agent_level_dbfs"):
        specs.append(("dBFS", [
            ("agent", "#0284c7", t, table.column("agent_level_dbfs")),
            ("customer", "#db2777", t, table.column("customer_level_dbfs")),
        ]))  # fmt: skip
    return specs
