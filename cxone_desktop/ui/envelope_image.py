"""Waveform lanes' min/max envelopes, painted as images at the screen's resolution.

Painted by `LiveTraces` (over the plot's data area) with the painter's transform mapping
plot units to pixels.

Drawn as 800 vertical strokes (QPainter.drawLines), a lane cost ~0.3 ms a display frame,
most of the waveform's cost: the raster engine sets up each stroke and writes a vertical
line one memory row at a time. Here each pixel column of a lane takes the min and max
of the envelope columns under it (numpy), the pixels between them are set row by row
in one array, and Qt blits it: about a fifth of the cost, and no gaps between columns
when the plot is wider than the envelope has columns (a stroke a column left them). The
lanes of a two-party call share their x, so they are one painter and one set of numpy calls
(on this kind of machine each call after the 50 ms between frames costs several times what
it costs in a loop: two lanes in one pass cost little more than one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

Float = npt.NDArray[np.float32]


class EnvelopeImage:
    """Lanes of [min, max] columns (plot units) over a shared x; lane i is painted in
    `colours[i]` within its bounds (`set_bounds` says how many lanes are shown)."""

    def __init__(self, colours: Sequence[str], bounds: Sequence[QRectF]) -> None:
        # Opaque colours: premultiplied ARGB is the same.
        self._lut = np.array([QColor(c).rgba() for c in colours], dtype=np.uint32)
        self._bounds = [QRectF(b) for b in bounds]
        self._x0 = 0.0  # left edge of the first column (plot units)
        self._width = 1.0  # of a column
        self._pairs: Float = np.zeros((len(bounds), 0), dtype=np.float32)

    @property
    def lanes(self) -> int:
        return len(self._bounds)

    def set_bounds(self, bounds: Sequence[QRectF]) -> None:
        """The lanes shown and where (one lane, or two); at most as many as colours."""
        if len(bounds) > self._lut.shape[0]:
            raise ValueError(f"{len(bounds)} lanes, {self._lut.shape[0]} colours")
        self._bounds = [QRectF(b) for b in bounds]

    def set_columns(self, x0: float, width: float, pairs: Float) -> None:
        """Column c spans x0 + c·width … x0 + (c + 1)·width; lane i's [min, max] there is
        pairs[i, 2c : 2c + 2] (one row per lane)."""
        self._x0, self._width, self._pairs = x0, width, pairs

    def pairs(self) -> Float:
        """What is drawn: per lane, interleaved [min, max] per column, in plot units."""
        return self._pairs

    def paint(self, p: QPainter) -> None:
        """Paint with `p`'s transform taking plot units to pixels (a scale and an offset)."""
        lanes = len(self._bounds)
        pairs = self._pairs[:lanes]
        columns = pairs.shape[1] // 2
        if columns == 0 or pairs.shape[0] < lanes:
            return
        t = p.transform()  # plot units → widget pixels: a scale and an offset
        sx, sy, ox, oy = t.m11(), t.m22(), t.dx(), t.dy()
        if sx <= 0 or sy == 0:
            return
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        b = self._bounds[0]  # the lanes share their x
        left = max(b.left(), self._x0)
        right = min(b.right(), self._x0 + columns * self._width)
        px_left = math.floor((left * sx + ox) * dpr)
        px_right = math.ceil((right * sx + ox) * dpr)
        width = px_right - px_left
        if width <= 0:
            return
        # Each lane's rows on screen (full scale ±1 included): its top row and its last.
        tops, lowest = [], []
        for lane in self._bounds:
            y_edges = sorted(((lane.top() * sy + oy) * dpr, (lane.bottom() * sy + oy) * dpr))
            tops.append(math.floor(y_edges[0]))
            lowest.append(math.ceil(y_edges[1]) - tops[-1])
        # The envelope column under each pixel column's left edge (a pixel column spans
        # at least that one). In place: on this kind of machine a numpy call after the 50 ms
        # between frames costs several times what it costs in a loop, so calls are counted.
        under = np.arange(px_left, px_right, dtype=np.float64)
        under /= dpr
        under -= ox
        under /= sx
        under -= self._x0
        under /= self._width
        under += 1e-6  # 243.99… is 244
        np.maximum(under, 0.0, out=under)
        starts = under.astype(np.int64)  # ≥ 0: truncation is floor
        np.minimum(starts, columns - 1, out=starts)
        lows = np.minimum.reduceat(pairs[:, 0::2], starts, axis=1)
        highs = np.maximum.reduceat(pairs[:, 1::2], starts, axis=1)
        # Plot units → image rows (y grows downwards on screen: a lane's max is its top row
        # when the plot's y points up); a flat line is one row.
        offset = np.array([[oy * dpr - t] for t in tops])
        last_row = np.array(lowest, dtype=np.float64)[:, None]
        edge_rows = []
        for values in (highs, lows) if sy < 0 else (lows, highs):
            rows_f = values * (sy * dpr)
            rows_f += offset
            np.maximum(rows_f, 0.0, out=rows_f)
            np.minimum(rows_f, last_row, out=rows_f)
            edge_rows.append(rows_f.astype(np.int16))  # ≥ 0: truncation is floor
        top, bottom = edge_rows
        # Only the rows anything reaches (in silence, one), compared as int16: a few passes
        # over a few thousand bytes instead of float arrays the lane's full height.
        firsts, lasts = top.min(axis=1).tolist(), bottom.max(axis=1).tolist()
        p.save()
        p.resetTransform()
        for i in range(lanes):
            rows = np.arange(firsts[i], lasts[i] + 1, dtype=np.int16)[:, None]
            mask = rows >= top[i]
            mask &= rows <= bottom[i]
            pixels = mask.astype(np.uint32)
            pixels *= self._lut[i]
            image = QImage(
                pixels.data, width, rows.shape[0], 4 * width,
                QImage.Format.Format_ARGB32_Premultiplied,
            )  # fmt: skip
            image.setDevicePixelRatio(dpr)  # it reads `pixels`, alive until drawn (copied)
            p.drawImage(QPointF(px_left / dpr, (tops[i] + firsts[i]) / dpr), image)
        p.restore()
