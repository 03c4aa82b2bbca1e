"""The review timeline's charts under the marks: one per metric (`metric_specs`) and the
call's R / MOS, stacked without gaps.

The timeline gives each chart its plot (axes the width of every other plot's) and its
bands, playhead, selection and x link; what is drawn in it is decided here, once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QApplication, QGraphicsItem

from cxone_desktop.review.call_quality import CallQuality
from cxone_desktop.review.review_data import ReviewData
from cxone_desktop.review.timeline import row_starts
from cxone_desktop.ui.metrics_view import nice_top
from cxone_desktop.ui.review_plots import RIGHT_W, Series, metric_specs, r_for_mos

#: Room above a chart's top value, so its label sits inside the chart instead of over the
#: bottom label of the chart above (the plots are stacked without gaps).
HEADROOM = 0.25

#: `new_plot(label, bottom=…)`: a timeline plot, its bottom (time) axis shown or not.
NewPlot = Callable[..., pg.PlotItem]
#: `fix_y(plot, y0, y1)`: bands, playhead and selection; y fixed; x linked to the timeline.
FixY = Callable[[pg.PlotItem, float, float], object]


def add_metric_charts(
    layout: pg.GraphicsLayout, data: ReviewData, *, new_plot: NewPlot, fix_y: FixY
) -> list[pg.PlotItem]:
    """The charts, top to bottom in `layout`; the last shows the time axis. None without rows."""
    table = data.recording.metrics
    plots: list[pg.PlotItem] = []
    if table.rows == 0:
        return plots
    specs = metric_specs(data)
    for i, (label, series) in enumerate(specs):
        plot = _metric_chart(label, series, new_plot, fix_y)
        layout.addItem(plot, row=i, col=0)
        plots.append(plot)
    q = data.quality
    if q is not None:
        mid = (row_starts(table.elapsed_s) + table.elapsed_s) / 2
        plot = _quality_chart(mid, q, new_plot, fix_y)
        layout.addItem(plot, row=len(specs), col=0)
        plots.append(plot)
    else:
        plots[-1].showAxis("bottom", True)
    return plots


def _metric_chart(label: str, series: Series, new_plot: NewPlot, fix_y: FixY) -> pg.PlotItem:
    plot = new_plot(label, bottom=False)
    if len(series) > 1:
        # Curve names in their colours, painted once (a LegendItem repainted every
        # frame cost more than the curves).
        names = " ".join(f"<span style='color:{c}'>{n}</span>" for n, c, _x, _y in series)
        # A little smaller than the platform's text size, following its setting.
        key_pt = max(6.0, QApplication.font().pointSizeF() * 0.8)
        key = pg.LabelItem(names, size=f"{key_pt:.1f}pt")
        key.setParentItem(plot)
        key.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-RIGHT_W - 4, -4))
        key.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.setMinimumHeight(40)
    peak = max((float(np.nanmax(y)) for *_, y in series if np.isfinite(y).any()),
               default=1.0)  # fmt: skip
    lo = -60.0 if label == "dBFS" else 0.0
    top = 0.0 if label == "dBFS" else nice_top(peak * 1.1, 1.0)
    for _name, colour, x, y in series:
        # ≤ 1 point a pixel (min/max pairs keep the spikes): wide views of an hour
        # draw ~700 points a curve, not 3,600
        item = pg.PlotDataItem(x, y, pen=pg.mkPen(colour, width=1), autoDownsampleFactor=0.5)
        item.setClipToView(True)
        item.setDownsampling(auto=True, method="peak")
        plot.addItem(item)
    plot.getAxis("left").setTicks([[(top, f"{top:g}")]])
    fix_y(plot, lo, top + HEADROOM * (top - lo))
    return plot


def _quality_chart(mid: np.ndarray, q: CallQuality, new_plot: NewPlot, fix_y: FixY) -> pg.PlotItem:
    plot = new_plot("R / MOS", bottom=True)  # short: it stands beside a low chart
    plot.setMinimumHeight(64)
    item = pg.PlotDataItem(
        mid, q.r, pen=pg.mkPen("#7c3aed", width=1), connect="finite",
        autoDownsampleFactor=0.5,
    )  # fmt: skip
    # Only what is in view, at most a few points a pixel: an hour is 3,600 rows.
    item.setClipToView(True)
    item.setDownsampling(auto=True, method="peak")
    plot.addItem(item)
    right = plot.getAxis("right")
    right.setStyle(showValues=True)
    # MOS on the right; 2 and 4 only, as 3 sits too close to both in a low chart
    right.setTicks([[(r_for_mos(m), f"{m:g}") for m in (2, 4)]])
    plot.getAxis("left").setTicks([[(v, f"{v}") for v in (0, 50, 100)]])
    fix_y(plot, 0.0, 100.0 * (1 + HEADROOM))
    return plot
