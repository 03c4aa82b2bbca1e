"""A row of coloured cells, one per code, across a fixed rect of a plot: the talk strip.

Painted by `LiveTraces` (over the plot's data area) with the painter's transform mapping
plot units to pixels. Drawn 20 times a second, so it is one small image (a pixel a
cell, colours looked up in one numpy take) that the painter scales onto the rect.
pyqtgraph's `ImageItem` did the same through its level and lookup-table machinery: its
paint cost 88 µs a frame in the live app, this one's 14 µs.
Scaling is nearest-neighbour (no smoothing), so cells keep hard edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

Pixels = npt.NDArray[np.uint32]


class CodeStrip:
    """`cells` cells across `rect` (plot units); code c is painted in `colours[c]`.

    Codes outside 0 … len(colours) − 1 are clipped into it. Cells with no code yet (the
    strip fills from the right) are transparent.
    """

    def __init__(self, rect: QRectF, cells: int, colours: Sequence[QColor]) -> None:
        self.visible = True
        self._rect = QRectF(rect)
        self._cells = cells
        # ARGB32, premultiplied: opaque colours are unchanged by it.
        self._lut: Pixels = np.array([c.rgba() for c in colours], dtype=np.uint32)
        self._pixels: Pixels = np.zeros(cells, dtype=np.uint32)
        self._image = self._wrap(self._pixels)

    def set_codes(self, codes: npt.NDArray[np.integer[Any]]) -> None:
        """Show the last `cells` of `codes`, the newest at the right."""
        tail = np.array(codes[-self._cells :], dtype=np.intp)  # a copy: clipped in place
        pixels = np.zeros(self._cells, dtype=np.uint32)
        if tail.size:
            np.maximum(tail, 0, out=tail)  # ufuncs: np.clip's wrappers cost more than its work
            np.minimum(tail, self._lut.shape[0] - 1, out=tail)
            pixels[self._cells - tail.size :] = self._lut[tail]
        self._pixels = pixels  # the image reads this memory
        self._image = self._wrap(pixels)

    def pixels(self) -> Pixels:
        """The cells as drawn (ARGB32), oldest first (for tests)."""
        return self._pixels

    def paint(self, p: QPainter) -> None:
        """Paint with `p`'s transform taking plot units to pixels."""
        p.drawImage(self._rect, self._image)

    @staticmethod
    def _wrap(pixels: Pixels) -> QImage:
        width = pixels.shape[0]
        return QImage(pixels.data, width, 1, 4 * width, QImage.Format.Format_ARGB32_Premultiplied)
