"""The review timeline: overview, waveform lanes, spectrogram, marks and metrics on one axis.

Every plot below the overview is x-linked to the spectrogram's view box, so one
zoom or scroll moves them all; the overview shows the whole call with the
visible stretch as a draggable region. Waveform lanes draw a min/max envelope of
as many columns as they have pixels (from the envelope pyramid), and the samples
themselves once a pixel holds less than one; the spectrogram is recomputed for
the visible stretch. Both happen once per view change, never per frame. The metrics
charts at the bottom are `review_metric_charts`'.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from cxone_desktop.review.annotations import Annotation
from cxone_desktop.review.lane_envelope import lane_envelope
from cxone_desktop.review.review_data import ReviewData
from cxone_desktop.review.session_reader import PARTIES, PROCESSED, RAW, AudioTrack
from cxone_desktop.review.timeline import MARK_STYLES
from cxone_desktop.review.track_spectrogram import track_spectrogram
from cxone_desktop.ui.review_metric_charts import add_metric_charts
from cxone_desktop.ui.review_plots import (
    AXIS_W,
    NOTE_COLOUR,
    RIGHT_W,
    ClockAxis,
    LaneEvents,
    LaneViewBox,
    SpanItem,
    band_item,
    cache_static_axes,
    marks_items,
)

MODES = (PROCESSED, RAW, "both")


class ReviewTimeline(pg.GraphicsLayoutWidget):
    seek_requested = Signal(float)
    selection_changed = Signal(object)  # (a_s, b_s) or None

    def __init__(self, data: ReviewData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_timeline")
        self.data = data
        rec = data.recording
        self.duration = max(rec.duration_s, 1.0)
        self.mode = PROCESSED if PROCESSED in rec.tracks else RAW
        self.events = LaneEvents(self)
        self.events.clicked.connect(self.seek_requested)
        self.events.selected.connect(lambda a, b: self.set_selection(a, b))
        self.ci.setSpacing(0)
        self.refreshes = 0
        self._playhead_lines: list[pg.InfiniteLine] = []
        self._regions: list[pg.LinearRegionItem] = []
        self._selection: tuple[float, float] | None = None
        self._syncing = False
        self._lanes: list[tuple[AudioTrack, str, int, pg.PlotCurveItem, pg.PlotItem]] = []
        self._note_items: list[pg.GraphicsObject] = []
        self._lane_decor: list[tuple[pg.InfiniteLine, pg.LinearRegionItem]] = []

        self.overview = self._overview()
        self.lanes_layout = self.ci.addLayout(row=1, col=0)
        self.lanes_layout.setContentsMargins(0, 0, 0, 0)
        self.lanes_layout.setSpacing(0)
        self.spectrogram_plot, self.spectrogram = self._spectrogram_plot()
        self.master = self.spectrogram_plot.getViewBox()
        self.marks_plot = self._marks_plot()
        self.metric_plots = self._metric_plots()
        self.set_mode(self.mode)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self.master.sigXRangeChanged.connect(lambda *_: self._refresh_timer.start())
        self.master.setLimits(xMin=-1.0, xMax=self.duration + 1.0, minXRange=0.002)
        self.set_view(0.0, self.duration)

    # ---- public face -----------------------------------------------------------------------
    def view_range(self) -> tuple[float, float]:
        lo, hi = self.master.viewRange()[0]
        return float(lo), float(hi)

    def set_view(self, t0: float, t1: float) -> None:
        self.master.setXRange(t0, t1, padding=0)

    def zoom(self, factor: float, centre: float | None = None) -> None:
        lo, hi = self.view_range()
        c = (lo + hi) / 2 if centre is None else centre
        half = max((hi - lo) * factor / 2, 0.001)
        self.set_view(c - half, c + half)

    def set_mode(self, mode: str) -> None:
        """Which recordings the lanes show: processed, raw, or both (side by side)."""
        rec = self.data.recording
        if mode not in MODES or (mode != "both" and mode not in rec.tracks):
            mode = PROCESSED if PROCESSED in rec.tracks else RAW
        self.mode = mode
        for line, region in self._lane_decor:
            self._playhead_lines.remove(line)
            self._regions.remove(region)
        self._lane_decor.clear()
        self.lanes_layout.clear()
        self._lanes.clear()
        names = [PROCESSED, RAW] if mode == "both" else [mode]
        row = 0
        for name in names:
            track = rec.tracks.get(name)
            if track is None:
                continue
            for ch in range(track.channels):
                label = PARTIES[ch] if track.channels == 2 and ch < 2 else "audio"
                if mode == "both" or name == RAW:
                    label = f"{label} ({name})"
                plot = self._lane_plot(label)
                self.lanes_layout.addItem(plot, row=row, col=0)
                curve = pg.PlotCurveItem(pen=pg.mkPen("#0284c7", width=1), skipFiniteCheck=True)
                plot.addItem(curve)
                self._lanes.append((track, name, ch, curve, plot))
                row += 1
        self.refresh()

    def set_playhead(self, t: float) -> None:
        for line in self._playhead_lines:
            line.setValue(t)

    @property
    def selection(self) -> tuple[float, float] | None:
        return self._selection

    def set_selection(self, a: float | None, b: float | None = None) -> None:
        """Select [a, b] (session seconds) on every lane; None clears it."""
        if a is None or b is None or abs(b - a) < 1e-3:
            self._selection = None
        else:
            self._selection = (max(0.0, min(a, b)), min(self.duration, max(a, b)))
        self._syncing = True
        try:
            for region in self._regions:
                region.setVisible(self._selection is not None)
                if self._selection is not None:
                    region.setRegion(self._selection)
        finally:
            self._syncing = False
        self.selection_changed.emit(self._selection)

    def set_notes(self, notes: Sequence[Annotation]) -> None:
        """Show the analyst's notes in the marks lane's last row."""
        for item in self._note_items:
            self.marks_plot.removeItem(item)
        self._note_items = []
        if notes:
            row = self._notes_row
            spans = [(n.start_s, n.end_s, row - 0.4, row + 0.4) for n in notes]
            item = SpanItem(spans, pg.mkColor(NOTE_COLOUR), outline=True)
            self.marks_plot.addItem(item)
            self._note_items.append(item)

    def lane_data(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """What lane `index` draws (x session seconds, y full scale ±1), for tests."""
        x, y = self._lanes[index][3].getData()
        return np.asarray(x if x is not None else []), np.asarray(y if y is not None else [])

    @property
    def lane_names(self) -> list[str]:
        return [str(p.getAxis("left").labelText) for *_, p in self._lanes]

    # ---- drawing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw what depends on the visible stretch: lanes, spectrogram, overview region."""
        t0, t1 = self.view_range()
        width = max(100, int(self.master.width() or 1000))
        for track, name, ch, curve, _plot in self._lanes:
            x, y, connect = lane_envelope(track, self.data.pyramid(name), ch, t0, t1, width)
            # one drawLines call for the envelope's strokes is far cheaper than a path
            curve.setSegmentedLineMode("on" if connect == "pairs" else "off")
            curve.setData(x, y, connect=connect, skipFiniteCheck=True)
        self._draw_spectrogram(t0, t1, width)
        self._syncing = True
        try:
            self.overview_region.setRegion((t0, t1))
        finally:
            self._syncing = False
        self.refreshes += 1

    def _draw_spectrogram(self, t0: float, t1: float, width: int) -> None:
        track = self.data.recording.tracks.get(PROCESSED if self.mode != RAW else RAW)
        if track is None:
            track = next(iter(self.data.recording.tracks.values()))
        a, b = max(t0, track.start_s), min(t1, track.end_s)
        spec = track_spectrogram(track, a, b, max(16, width // 3))
        if spec.shape[0] < 2:
            self.spectrogram.clear()
            return
        self.spectrogram.setImage(spec.db, autoLevels=False, levels=(-90.0, -10.0))
        span = float(spec.times_s[-1] - spec.times_s[0])
        step = span / (spec.shape[0] - 1)
        top = float(spec.freqs_hz[-1])
        self.spectrogram.setRect(QRectF(float(spec.times_s[0]) - step / 2, 0.0, span + step, top))

    # ---- building --------------------------------------------------------------------------
    def _plot(self, label: str, *, bottom: bool = False, lane: bool = True) -> pg.PlotItem:
        axes = {"bottom": ClockAxis("bottom")}
        vb = LaneViewBox(self.events) if lane else pg.ViewBox(enableMenu=False)
        plot = pg.PlotItem(viewBox=vb, axisItems=axes)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.showAxis("bottom", bottom)
        plot.getAxis("left").setWidth(AXIS_W)
        plot.setLabel("left", label)
        # Every plot keeps a right axis of the same width, so their x axes line up.
        plot.showAxis("right")
        plot.getAxis("right").setWidth(RIGHT_W)
        plot.getAxis("right").setStyle(showValues=False)
        plot.showGrid(x=True, y=False, alpha=0.15)
        cache_static_axes(plot)
        return plot

    def _add_common(
        self, plot: pg.PlotItem, y0: float, y1: float
    ) -> tuple[pg.InfiniteLine, pg.LinearRegionItem]:
        """Bands, playhead and selection region; y fixed to [y0, y1]; x linked to the master."""
        plot.setYRange(y0, y1, padding=0)
        plot.getViewBox().enableAutoRange(x=False, y=False)
        for item in band_item(self.data.marks, y0, y1):
            plot.addItem(item)
        line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#dc2626", width=1.5))
        line.setZValue(50)
        plot.addItem(line, ignoreBounds=True)
        self._playhead_lines.append(line)
        region = pg.LinearRegionItem(brush=pg.mkBrush(37, 99, 235, 40))
        region.setVisible(False)
        region.setZValue(40)
        region.sigRegionChanged.connect(self._region_moved)
        plot.addItem(region, ignoreBounds=True)
        self._regions.append(region)
        if hasattr(self, "master") and plot.getViewBox() is not self.master:
            plot.setXLink(self.spectrogram_plot)
        return line, region

    def _lane_plot(self, label: str) -> pg.PlotItem:
        plot = self._plot(label)
        plot.setMinimumHeight(60)
        # ±1 (full scale) are the lane's edges: labelled there they would run into the
        # neighbouring lanes' labels
        plot.getAxis("left").setTicks([[(0.0, "0")]])
        self._lane_decor.append(self._add_common(plot, -1.05, 1.05))
        return plot

    def _overview(self) -> pg.PlotItem:
        events = LaneEvents(self)
        plot = pg.PlotItem(viewBox=LaneViewBox(events), axisItems={"bottom": ClockAxis("bottom")})
        events.clicked.connect(self._overview_clicked)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.getViewBox().setMouseEnabled(x=False, y=False)
        plot.getAxis("left").setWidth(AXIS_W)
        plot.setLabel("left", "whole call")
        plot.setMinimumHeight(60)
        plot.setMaximumHeight(80)
        plot.setXRange(0, self.duration, padding=0.0)
        plot.setYRange(-1.05, 1.05, padding=0)
        plot.getAxis("left").setTicks([[(0.0, "0")]])
        rec = self.data.recording
        name = PROCESSED if PROCESSED in rec.tracks else RAW
        track = rec.tracks[name]
        columns = 1500
        pyramid = self.data.pyramid(name)
        lo = np.full(columns, np.inf)
        hi = np.full(columns, -np.inf)
        for ch in range(track.channels):
            a, b = pyramid.envelope(0, track.wav.frames, columns, ch)
            lo, hi = np.fmin(lo, a), np.fmax(hi, b)
        centres = (np.arange(columns) + 0.5) * track.wav.frames / columns / track.rate_hz
        x = np.repeat(track.time_map.to_session(centres), 2)
        y = np.empty(columns * 2)
        y[0::2], y[1::2] = lo / 32768.0, hi / 32768.0
        ok = np.isfinite(y)
        plot.addItem(pg.PlotCurveItem(x[ok], y[ok], connect="pairs", pen=pg.mkPen("#64748b")))
        for item in band_item(self.data.marks, -1.05, 1.05):
            plot.addItem(item)
        self.overview_region = pg.LinearRegionItem((0, self.duration), brush=(2, 132, 199, 50))
        self.overview_region.sigRegionChangeFinished.connect(self._overview_dragged)
        plot.addItem(self.overview_region)
        line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#dc2626", width=1.5))
        plot.addItem(line, ignoreBounds=True)
        self._playhead_lines.append(line)
        self.ci.addItem(plot, row=0, col=0)
        return plot

    def _spectrogram_plot(self) -> tuple[pg.PlotItem, pg.ImageItem]:
        plot = self._plot("kHz")
        plot.setMinimumHeight(80)
        image = pg.ImageItem(axisOrder="col-major")
        image.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256))
        plot.addItem(image)
        top = 4000.0
        plot.getAxis("left").setTicks([[(k * 1000.0, f"{k}") for k in range(1, 4)]])
        self._add_common(plot, 0.0, top)
        self.ci.addItem(plot, row=2, col=0)
        return plot, image

    def _marks_plot(self) -> pg.PlotItem:
        plot = self._plot("")
        kinds = [k for k in MARK_STYLES if any(m.kind == k for m in self.data.marks)]
        items, ticks = marks_items(self.data.marks, kinds)
        self._notes_row = -len(kinds)
        ticks.append((self._notes_row, "notes"))
        for item in items:
            plot.addItem(item)
        axis = plot.getAxis("left")
        axis.setTicks([ticks])
        small = QFont()
        small.setPointSize(7)
        axis.setStyle(tickFont=small)
        plot.setMinimumHeight(11 * len(ticks) + 8)
        self._add_common(plot, self._notes_row - 0.6, 0.6)
        self.marks_plot_kinds = kinds
        self.ci.addItem(plot, row=3, col=0)
        return plot

    def _metric_plots(self) -> list[pg.PlotItem]:
        layout = self.ci.addLayout(row=4, col=0)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        return add_metric_charts(layout, self.data, new_plot=self._plot, fix_y=self._add_common)

    # ---- reactions -------------------------------------------------------------------------
    def _region_moved(self, region: pg.LinearRegionItem) -> None:
        if self._syncing:
            return
        a, b = region.getRegion()
        self.set_selection(float(a), float(b))

    def _overview_dragged(self) -> None:
        if self._syncing:
            return
        a, b = self.overview_region.getRegion()
        self.set_view(float(a), float(b))

    def _overview_clicked(self, t: float) -> None:
        lo, hi = self.view_range()
        half = (hi - lo) / 2
        self.set_view(t - half, t + half)
        self.seek_requested.emit(t)
