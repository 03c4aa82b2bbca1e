"""The scrolling waveform of the last ~5 s, as a min/max envelope, beside a level meter.

The plot item is created once; `refresh` gives it a new envelope (2 points a
pixel column, ~2,000 in all) and fixed ranges, so a tick costs the same
whatever the sample rate. Samples are int16-scaled floats; shown as full scale ±1.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.session.pipeline import WAVE_SECONDS
from cxone_desktop.ui.envelope import envelope_x, minmax_envelope
from cxone_desktop.ui.level_meter import LevelMeter

COLUMNS = 1000
FULL_SCALE = 32768.0
PROCESSED_TITLE = "Waveform, last 5 s — what you hear"
RAW_TITLE = "Waveform, last 5 s — as received (raw)"
PROCESSED_DESCRIPTION = (
    "The last 5 seconds of what you hear, after the jitter buffer, gain and noise gate; "
    "the output level beside it says how loud"
)
RAW_DESCRIPTION = "The last 5 seconds of the audio as received, before any processing"


class WaveformView(QWidget):
    """Processed (or raw, by choice) waveform and the output level."""

    def __init__(self, rate_hz: int = 8000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._window = int(WAVE_SECONDS * rate_hz) // COLUMNS * COLUMNS
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("waveform_plot")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        # A picture, not a control: no Tab stop; named and described for screen readers.
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot.viewport().setFocusPolicy(Qt.FocusPolicy.NoFocus)  # it proxies to the view
        self.plot.setAccessibleName("Waveform")
        self.plot.setAccessibleDescription(PROCESSED_DESCRIPTION)
        # Enough for the ±1 ticks and the axis in this font; the layout gives the rest.
        self.plot.setMinimumHeight(self.fontMetrics().height() * 6)
        item = self.plot.getPlotItem()
        item.setXRange(-WAVE_SECONDS, 0.0, padding=0)
        item.setYRange(-1.08, 1.08, padding=0)
        item.disableAutoRange()
        item.showGrid(x=True, y=False, alpha=0.2)
        # No "seconds" axis title: the heading says it, and small screens need the line.
        item.getAxis("left").setTicks([[(-1.0, "-1"), (0.0, "0"), (1.0, "1")]])
        for name in ("left", "bottom"):
            # Static axes: paint them once into a pixmap, not on every 30 fps frame.
            item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._x = envelope_x(WAVE_SECONDS, COLUMNS)
        # A bare PlotCurveItem: PlotDataItem's bookkeeping costs more than the drawing here.
        self.curve = pg.PlotCurveItem(
            self._x,
            np.zeros_like(self._x),
            connect="pairs",
            pen=pg.mkPen("#38bdf8", width=1),
            skipFiniteCheck=True,
        )
        # One drawLines call for the 1,000 strokes is much cheaper than stroking a path.
        self.curve.setSegmentedLineMode("on")
        item.addItem(self.curve)
        self.level_meter = LevelMeter()
        self.show_raw = QCheckBox("Show received (&raw) audio")
        self.show_raw.setToolTip(
            "Off: what you hear, after jitter buffer and DSP. On: as received."
        )
        self._title = QLabel(PROCESSED_TITLE)
        self.show_raw.toggled.connect(self._on_raw_toggled)
        head = QHBoxLayout()
        head.addWidget(self._title)
        head.addStretch(1)
        head.addWidget(self.show_raw)
        body = QHBoxLayout()
        body.addWidget(self.plot, 1)
        body.addWidget(self.level_meter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addLayout(body, 1)
        self._last_y: np.ndarray | None = None

    def refresh(self, samples: np.ndarray, level_dbfs: float) -> None:
        """One display tick: redraw the envelope of `samples` (the stream `show_raw` picks)."""
        y = minmax_envelope(samples, self._window, COLUMNS)
        y *= 1.0 / FULL_SCALE
        if self._last_y is None or not np.array_equal(y, self._last_y):
            self.curve.setData(self._x, y, connect="pairs", skipFiniteCheck=True)
            self._last_y = y
        self.level_meter.set_level(level_dbfs)

    def displayed(self) -> np.ndarray:
        """The envelope currently drawn (full scale ±1), for tests and screenshots."""
        _, y = self.curve.getData()
        return np.asarray(y if y is not None else [], dtype=np.float32)

    def _on_raw_toggled(self, raw: bool) -> None:
        self._title.setText(RAW_TITLE if raw else PROCESSED_TITLE)
        self.plot.setAccessibleDescription(RAW_DESCRIPTION if raw else PROCESSED_DESCRIPTION)
        self._last_y = None
