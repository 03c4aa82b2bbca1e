"""The lane's envelope as painted: every pixel column spans exactly its columns' min..max."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QTransform

from cxone_desktop.ui.envelope_image import EnvelopeImage

COLOUR = "#38bdf8"
WIDTH_PX, HEIGHT_PX = 100, 41  # the lane: x -5…0 s, y -1…1


def _render(item: EnvelopeImage, height_px: int, zero_row: float) -> np.ndarray:
    """RGB of each pixel (rows, cols) of `item` painted on black: x -5…0 s → 0…100 px,
    20 px a unit of y, y = 0 at `zero_row` (y up)."""
    image = QImage(WIDTH_PX, height_px, QImage.Format.Format_RGB32)
    image.fill(QColor("black"))
    p = QPainter(image)
    p.setTransform(QTransform(WIDTH_PX / 5.0, 0, 0, -20.0, WIDTH_PX, zero_row))
    item.paint(p)
    p.end()
    bits = np.frombuffer(image.constBits(), dtype=np.uint32)
    return bits.reshape(height_px, WIDTH_PX) & 0xFFFFFF


def _paint(columns: np.ndarray, *, x0: float = -5.0) -> np.ndarray:
    """Paint [min, max] columns spanning -5…0 s; which pixels took the colour, (rows, cols)."""
    item = EnvelopeImage([COLOUR], [QRectF(-5.0, -1.0, 5.0, 2.0)])
    item.set_columns(x0, 5.0 / (columns.shape[0]), columns.astype(np.float32).reshape(1, -1))
    rgb = _render(item, HEIGHT_PX, 20.0)  # y 1…-1 → rows 0…40 (row 20 is y = 0)
    return rgb == (QColor(COLOUR).rgb() & 0xFFFFFF)


def _rows(lit: np.ndarray, col: int) -> list[int]:
    return np.flatnonzero(lit[:, col]).tolist()


def test_each_pixel_column_spans_min_to_max_and_silence_is_one_row() -> None:
    columns = np.zeros((100, 2))
    columns[10] = (-0.5, 0.5)  # rows 10…30
    columns[50] = (0.0, 1.0)  # rows 0…20
    lit = _paint(columns)
    assert _rows(lit, 10) == list(range(10, 31))
    assert _rows(lit, 50) == list(range(0, 21))
    assert _rows(lit, 0) == [20]  # silence: the centre line
    assert lit.any(axis=0).all()  # every pixel column drawn


def test_more_columns_than_pixels_keep_each_spike() -> None:
    columns = np.zeros((400, 2))  # four columns a pixel
    columns[41] = (0.0, 1.0)  # pixel column 10, second of its four
    columns[243] = (-1.0, 0.0)  # pixel column 60, last of its four
    lit = _paint(columns)
    assert _rows(lit, 10) == list(range(0, 21))
    assert _rows(lit, 60) == list(range(20, 41))
    assert _rows(lit, 11) == [20]


def test_fewer_columns_than_pixels_leave_no_gaps() -> None:
    columns = np.tile([-0.5, 0.5], (25, 1))  # four pixels a column
    lit = _paint(columns)
    assert all(_rows(lit, c) == list(range(10, 31)) for c in range(WIDTH_PX))


def test_columns_shifted_left_by_the_lag_are_drawn_there() -> None:
    columns = np.zeros((100, 2))
    columns[99] = (0.0, 1.0)  # the newest column
    lit = _paint(columns, x0=-5.0 - 0.1)  # everything 0.1 s (2 px) to the left
    assert _rows(lit, 97) == list(range(0, 21))
    assert not lit[:, 98:].any()  # nothing past the newest column


def test_a_high_dpi_screen_gets_its_own_pixels() -> None:
    """At 2 device pixels a logical one, the image is painted at the device's resolution:
    a spike one logical pixel wide is two device pixels wide, its span twice as tall."""
    columns = np.zeros((100, 2))
    columns[10] = (-0.5, 0.5)
    item = EnvelopeImage([COLOUR], [QRectF(-5.0, -1.0, 5.0, 2.0)])
    item.set_columns(-5.0, 0.05, columns.astype(np.float32).reshape(1, -1))
    image = QImage(2 * WIDTH_PX, 2 * HEIGHT_PX, QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(2.0)
    image.fill(QColor("black"))
    p = QPainter(image)
    p.setTransform(QTransform(WIDTH_PX / 5.0, 0, 0, -20.0, WIDTH_PX, 20.0))  # logical pixels
    item.paint(p)
    p.end()
    rgb = np.frombuffer(image.constBits(), dtype=np.uint32).reshape(2 * HEIGHT_PX, 2 * WIDTH_PX)
    lit = (rgb & 0xFFFFFF) == (QColor(COLOUR).rgb() & 0xFFFFFF)
    assert np.flatnonzero(lit[:, 20]).tolist() == list(range(20, 61))
    assert np.flatnonzero(lit[:, 21]).tolist() == list(range(20, 61))
    assert np.flatnonzero(lit[:, 22]).tolist() == [40]  # silence: the centre line, one row


def test_two_lanes_each_in_its_colour_within_its_bounds() -> None:
    """Agent above (y 1.22 ± 1), customer below (y -1.22 ± 1), one item: each lane's spans in
    its own colour and rows, a silent lane a single row at its centre."""
    customer_colour = "#facc15"
    item = EnvelopeImage(
        [COLOUR, customer_colour],
        [QRectF(-5.0, 0.22, 5.0, 2.0), QRectF(-5.0, -2.22, 5.0, 2.0)],
    )
    agent = np.zeros((100, 2)) + 1.22
    agent[10] = (1.22 - 0.5, 1.22 + 0.5)  # a span in the agent's lane only
    customer = np.zeros((100, 2)) - 1.22
    customer[30] = (-1.22 - 1.0, -1.22)  # the lower half of the customer's lane
    pairs = np.stack([agent.reshape(-1), customer.reshape(-1)]).astype(np.float32)
    item.set_columns(-5.0, 0.05, pairs)
    rgb = _render(item, 100, 50.0)  # y 2.5 … -2.5: y = 2.5 - row / 20
    agent_lit = rgb == (QColor(COLOUR).rgb() & 0xFFFFFF)
    customer_lit = rgb == (QColor(customer_colour).rgb() & 0xFFFFFF)
    # Agent centre 1.22 is row 25.6 → 25; its span ±0.5 covers rows 15…35.
    assert _rows(agent_lit, 10) == list(range(15, 36))
    assert _rows(agent_lit, 30) == [25] and _rows(agent_lit, 60) == [25]
    # Customer centre -1.22 is row 74.4 → 74; its span down to -2.22 reaches row 94.
    assert _rows(customer_lit, 30) == list(range(74, 95))
    assert _rows(customer_lit, 10) == [74] and _rows(customer_lit, 60) == [74]
    assert not (agent_lit[50:].any() or customer_lit[:50].any())  # each within its own lane
