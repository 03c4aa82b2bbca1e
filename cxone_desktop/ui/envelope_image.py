"""A waveform lane's min/max envelope, painted as one image at the screen's resolution.

Drawn as 800 vertical strokes (QPainter.drawLines), a lane cost ~0.3 ms a display frame,
most of the waveform's cost: the raster engine sets up each stroke and writes a vertical
line one memory row at a time. Here each pixel column of the lane takes the min and max
of the envelope columns under it (numpy), the pixels between them are set row by row
in one array, and Qt blits it: about a fifth of the cost, and no gaps between columns
when the plot is wider than the envelope has columns (a stroke a column left them). The item's
bounds are the lane's, fixed, so the plot never asks it for its data's bounds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

Float = npt.NDArray[np.float32]


class EnvelopeImage(pg.GraphicsObject):  # type: ignore[misc]
    """Columns of [min, max] (plot units) over x, painted in `colour` within `bounds`."""

    def __init__(self, colour: str, bounds: QRectF) -> None:
        super().__init__()
        argb = QColor(colour).rgba()  # opaque: premultiplied is the same
        self._pixel = np.uint32(argb)
        self._bounds = QRectF(bounds)
        self._x0 = 0.0  # left edge of the first column (plot units)
        self._width = 1.0  # of a column
        self._pairs: Float = np.zeros(0, dtype=np.float32)  # min0, max0, min1, max1, …

    def set_bounds(self, bounds: QRectF) -> None:
        """The lane moved (one lane or two)."""
        self.prepareGeometryChange()
        self._bounds = QRectF(bounds)
        self.update()

    def set_columns(self, x0: float, width: float, pairs: Float) -> None:
        """Column c spans x0 + c·width … x0 + (c + 1)·width and holds pairs[2c : 2c + 2]."""
        self._x0, self._width, self._pairs = x0, width, pairs
        self.update()

    def pairs(self) -> Float:
        """What is drawn: interleaved [min, max] per column, in plot units."""
        return self._pairs

    def boundingRect(self) -> QRectF:
        # A little taller than the lane: a full-scale peak's last row is painted too.
        margin = self._bounds.height() * 0.02
        return self._bounds.adjusted(0.0, -margin, 0.0, margin)

    def paint(self, p: QPainter, *_args: Any) -> None:
        pairs = self._pairs
        columns = pairs.shape[0] // 2
        if columns == 0:
            return
        t = p.transform()  # plot units → widget pixels: a scale and an offset
        sx, sy, ox, oy = t.m11(), t.m22(), t.dx(), t.dy()
        if sx <= 0 or sy == 0:
            return
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        b = self._bounds
        left = max(b.left(), self._x0)
        right = min(b.right(), self._x0 + columns * self._width)
        px_left = math.floor((left * sx + ox) * dpr)
        px_right = math.ceil((right * sx + ox) * dpr)
        y_edges = sorted(((b.top() * sy + oy) * dpr, (b.bottom() * sy + oy) * dpr))
        py_top, py_bottom = math.floor(y_edges[0]), math.ceil(y_edges[1])
        width, height = px_right - px_left, py_bottom - py_top + 1  # full scale ±1 included
        if width <= 0:
            return
        # The envelope columns under each pixel column (at least the one under its left edge).
        edges_x = ((np.arange(width + 1) + px_left) / dpr - ox) / sx
        under = np.floor((edges_x - self._x0) / self._width + 1e-6)  # 243.99… is 244
        starts = np.clip(under.astype(np.int64), 0, columns - 1)
        lows = np.minimum.reduceat(pairs[0::2], starts[:-1])
        highs = np.maximum.reduceat(pairs[1::2], starts[:-1])
        # Plot units → image rows (y grows downwards on screen); a flat line is one row.
        rows_a = (lows * sy + oy) * dpr - py_top
        rows_b = (highs * sy + oy) * dpr - py_top
        top = np.clip(np.floor(np.minimum(rows_a, rows_b)), 0, height - 1).astype(np.int16)
        bottom = np.clip(np.floor(np.maximum(rows_a, rows_b)), 0, height - 1).astype(np.int16)
        # Only the rows anything reaches (in silence, one), compared as int16: a few passes
        # over a few thousand bytes instead of float arrays the lane's full height.
        first, last = int(top.min()), int(bottom.max())
        rows = np.arange(first, last + 1, dtype=np.int16)[:, None]
        mask = rows >= top
        mask &= rows <= bottom
        pixels = mask.astype(np.uint32)
        pixels *= self._pixel
        height = last - first + 1
        image = QImage(
            pixels.data, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied
        )
        image.setDevicePixelRatio(dpr)  # it reads `pixels`, alive until drawn (copied) below
        p.save()
        p.resetTransform()
        p.drawImage(QPointF(px_left / dpr, (py_top + first) / dpr), image)
        p.restore()
