"""Network health over the last ~60 s: one small plot per metric, two points a second.

Reads the session's per-second RecordRing; redraws only when a new row has
arrived (`total_written` moved), so most display ticks cost nothing here.

For screen readers the charts are one named picture (not a Tab stop) whose
description holds the latest value of all six figures, updated once a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.core.ring_buffer import RecordRing
from cxone_desktop.ui.steady_label import SteadyLabel
from cxone_desktop.ui.theme import ALERT_FILL, CHIP_TEXT

HISTORY_S = 60
X_COLUMN = "elapsed_s"
NO_DATA_TEXT = "No data yet"
X_TICKS = [(float(-s), str(-s)) for s in range(HISTORY_S - 10, 0, -10)]


@dataclass(frozen=True)
class MetricPlot:
    title: str  # `{name}` fields show a curve's name in its colour
    unit: str
    columns: tuple[tuple[str, str, str], ...]  # (column, legend name, colour)
    y_top: float  # the y range starts at 0..y_top and grows in 1-2-5 steps when needed


METRIC_PLOTS: tuple[MetricPlot, ...] = (
    MetricPlot("Bitrate", "kbps", (("bitrate_kbps", "bitrate", "#38bdf8"),), 200.0),
    MetricPlot("Jitter", "ms", (("jitter_ms", "jitter", "#f59e0b"),), 20.0),
    MetricPlot("Packets", "/s", (("packets_per_s", "packets/s", "#a78bfa"),), 100.0),
    MetricPlot(
        "{lost} / {concealed} frames",
        "total",
        (("lost_frames", "lost", "#ef4444"), ("concealed_frames", "concealed", "#fb923c")),
        10.0,
    ),
    MetricPlot("Average latency", "ms", (("avg_latency_ms", "latency", "#22c55e"),), 50.0),
    MetricPlot(
        "Buffer {depth} / {target}",
        "ms",
        (("buffer_depth_ms", "depth", "#14b8a6"), ("buffer_target_ms", "target", "#64748b")),
        100.0,
    ),
)


class MetricsView(QWidget):
    """Six plots in one graphics scene, plus the "network degraded" flag."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.degraded_label = QLabel("⚠ Network degraded")
        self.degraded_label.setObjectName("degraded_flag")
        self.degraded_label.setAccessibleName("Network degraded")
        self.degraded_label.setStyleSheet(
            f"background:{ALERT_FILL};color:{CHIP_TEXT};font-weight:bold;"
            "border-radius:4px;padding:2px 8px;"
        )
        self.degraded_label.setToolTip(
            "Loss, jitter or lateness is high enough to be heard; see the plots below"
        )
        self.degraded_label.hide()
        self.summary = SteadyLabel(
            NO_DATA_TEXT, "1000.0 kbps · jitter 1000.0 ms · 1000 pkt/s · buffer 1000 ms"
        )
        self.summary.setObjectName("metrics_summary")
        head = QHBoxLayout()
        head.addWidget(QLabel("Network — last 60 s"))
        head.addWidget(self.degraded_label)
        head.addStretch(1)
        head.addWidget(self.summary)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("metrics_plots")
        self.graphics.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.graphics.viewport().setFocusPolicy(Qt.FocusPolicy.NoFocus)  # it proxies to the view
        self.graphics.setAccessibleName("Network charts, last 60 s")
        self.graphics.setAccessibleDescription(NO_DATA_TEXT)
        self._described_second = -1
        self.graphics.ci.setSpacing(2)
        fm = self.fontMetrics()
        # Two rows of plots with readable ticks (below ~4 lines a plot, tick labels overlap).
        self.graphics.setMinimumHeight(fm.height() * 12)
        title_pt = max(7.0, QApplication.font().pointSizeF() * 0.95)
        axis_px = fm.horizontalAdvance("1000") + fm.averageCharWidth() * 2
        self.curves: dict[str, pg.PlotCurveItem] = {}
        self.plots: list[pg.PlotItem] = []
        self._y_tops: list[float] = [spec.y_top for spec in METRIC_PLOTS]
        self._title_pt = 9.0
        #: The playout mode the buffer chart names ("low-delay" or "quality").
        self.playout_mode = "low-delay"
        for i, spec in enumerate(METRIC_PLOTS):
            plot = self.graphics.addPlot(row=i // 3, col=i % 3)
            plot.setTitle(_title_html(spec), size=f"{title_pt:.1f}pt")
            self._title_pt = title_pt
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(x=True, y=False, alpha=0.15)  # a y grid hides set tick labels
            plot.setXRange(-HISTORY_S, 0, padding=0)
            plot.disableAutoRange()
            _set_y_top(plot, spec.y_top)
            # Seconds-ago labels once, under the bottom row: the top row's would cost a text
            # line of height that small screens (1024×600) do not have.
            plot.getAxis("bottom").setStyle(tickLength=-4, showValues=i // 3 == 1)
            # The same seconds-ago ticks (and grid) under every plot: left to itself, the
            # axis picks 20 s steps for one plot and 10 s for its neighbours.
            plot.getAxis("bottom").setTicks([X_TICKS, []])
            left_axis = plot.getAxis("left")
            left_axis.setWidth(axis_px)
            for name in ("left", "bottom"):
                # Axes (and the grid they draw) change only with a new y top: paint them into
                # a pixmap once, not on every redraw (at four a second that was ~1 % of a core).
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            for j, (column, _name, colour) in enumerate(spec.columns):
                # A bare PlotCurveItem: PlotDataItem's bookkeeping cost more than the drawing.
                curve = pg.PlotCurveItem(pen=pg.mkPen(colour, width=1.5), connect="finite")
                plot.addItem(curve)
                curve.setZValue(len(spec.columns) - j)  # the first named (e.g. lost) on top
                self.curves[column] = curve
            self.plots.append(plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.graphics, 1)
        self._seen_rows = -1
        self.redraws = 0

    def refresh(self, rows: RecordRing) -> bool:
        """Redraw the last HISTORY_S of `rows` (the metrics' chart ring) if it has a new row.

        True when it redrew.
        """
        per_second = rows  # any row rate: x is the elapsed_s column
        total = per_second.total_written
        if total == self._seen_rows:
            return False
        self._seen_rows = total
        if X_COLUMN not in per_second.columns:
            return False
        x = per_second.column(X_COLUMN)
        if x.size == 0:
            for curve in self.curves.values():
                curve.setData([], [])
            return True
        # Time axis: seconds before the newest row, so the right edge is "now".
        rel = x - x[-1]
        shown = rel > -HISTORY_S
        rel = rel[shown]
        for i, spec in enumerate(METRIC_PLOTS):
            peak = 0.0
            for column, _name, _colour in spec.columns:
                if column not in per_second.columns:
                    continue
                y = per_second.column(column)[shown]
                self.curves[column].setData(rel, y, connect="finite")
                finite = y[np.isfinite(y)]
                if finite.size:
                    peak = max(peak, float(finite.max()))
            top = nice_top(peak * 1.1, spec.y_top)
            if top != self._y_tops[i]:
                self._y_tops[i] = top
                _set_y_top(self.plots[i], top)
        latest = per_second.latest() or {}
        self.summary.setText(_summary(latest))
        second = int(x[-1])
        if second != self._described_second:
            self._described_second = second
            self.graphics.setAccessibleDescription(six_figures(latest))
        self.redraws += 1
        return True

    def set_degraded(self, degraded: bool) -> None:
        if degraded != self.degraded_label.isVisibleTo(self):
            self.degraded_label.setVisible(degraded)

    def clear(self) -> None:
        self._seen_rows = -1
        for curve in self.curves.values():
            curve.setData([], [])
        self.summary.setText(NO_DATA_TEXT)
        self.graphics.setAccessibleDescription(NO_DATA_TEXT)
        self._described_second = -1
        self.degraded_label.hide()
        for i, spec in enumerate(METRIC_PLOTS):
            self._y_tops[i] = spec.y_top
            self.plots[i].setYRange(0, spec.y_top, padding=0.02)

    def set_playout_mode(self, mode: str) -> None:
        """Name the jitter buffer's mode in its chart's title ("low delay" or "quality")."""
        spec = METRIC_PLOTS[-1]
        words = {"low-delay": "low delay", "quality": "best quality"}.get(mode, mode)
        self.plots[-1].setTitle(f"{_title_html(spec)}, {words}", size=f"{self._title_pt:.1f}pt")
        self.playout_mode = mode

    def curve_data(self, column: str) -> np.ndarray:
        """The y values drawn for `column` (for tests)."""
        _, y = self.curves[column].getData()
        return np.asarray(y if y is not None else [], dtype=float)


def _title_html(spec: MetricPlot) -> str:
    """The title, with each curve's name (a `{name}` field) in the curve's colour."""
    names = {
        name: f'<span style="color:{colour}">{name}</span>' for _c, name, colour in spec.columns
    }
    return f"{spec.title.format(**names)} ({spec.unit})"


def nice_top(value: float, floor: float) -> float:
    """The smallest 1-2-5 × 10^k that is ≥ value, and never below `floor`."""
    if not np.isfinite(value) or value <= floor:
        return floor
    exp = 10.0 ** np.floor(np.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * exp >= value:
            return float(step * exp)
    return float(10.0 * exp)


def _val(row: dict[str, float], key: str, fmt: str) -> str:
    v = row.get(key)
    return format(v, fmt) if v is not None and np.isfinite(v) else "–"


def six_figures(row: dict[str, float]) -> str:
    """The latest value of every chart, in words (the charts' accessible description)."""

    def val(key: str, fmt: str) -> str:
        return _val(row, key, fmt)

    return (
        f"Bitrate {val('bitrate_kbps', '.1f')} kbps. Jitter {val('jitter_ms', '.1f')} ms. "
        f"Packets {val('packets_per_s', '.0f')} per second. "
        f"Lost {val('lost_frames', '.0f')} and concealed {val('concealed_frames', '.0f')} "
        f"frames in all. Latency {val('avg_latency_ms', '.1f')} ms on average. "
        f"Jitter buffer {val('buffer_depth_ms', '.0f')} ms, "
        f"target {val('buffer_target_ms', '.0f')} ms."
    )


def _summary(row: dict[str, float]) -> str:
    def val(key: str, fmt: str) -> str:
        return _val(row, key, fmt)

    return (
        f"{val('bitrate_kbps', '.1f')} kbps · jitter {val('jitter_ms', '.1f')} ms · "
        f"{val('packets_per_s', '.0f')} pkt/s · buffer {val('buffer_depth_ms', '.0f')} ms"
    )


def _set_y_top(plot: pg.PlotItem, top: float) -> None:
    """0…top, with a little room below 0 so a flat zero curve is not hidden by the axis.

    Labelled at 0 and the top only (a line at the middle): two labels never overlap, even
    in the 40-pixel-high plots a 1024×600 screen leaves.
    """
    plot.setYRange(-0.04 * top, top * 1.02, padding=0)
    plot.getAxis("left").setTicks([[(0.0, "0"), (top, f"{top:g}")], [(top / 2, "")]])
