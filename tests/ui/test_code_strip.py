"""The talk strip as painted: each cell in its code's colour, at its place, newest at the right."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QTransform

from cxone_desktop.ui.code_strip import CodeStrip
from cxone_desktop.ui.talk_strip import COLOURS

WIDTH_PX, HEIGHT_PX = 200, 20  # the plot: x -5…0 s, y 1…-1 (y grows upwards, as a plot's)
BACKGROUND = QColor("black")


def _paint(codes: np.ndarray, cells: int = 50) -> np.ndarray:
    """Paint `codes` on a strip of `cells` across -5…0 s, y -0.5…0.5; RGB per pixel."""
    item = CodeStrip(QRectF(-5.0, -0.5, 5.0, 1.0), cells, COLOURS)
    item.set_codes(codes)
    image = QImage(WIDTH_PX, HEIGHT_PX, QImage.Format.Format_RGB32)
    image.fill(BACKGROUND)
    p = QPainter(image)
    p.setTransform(QTransform(WIDTH_PX / 5.0, 0, 0, -HEIGHT_PX / 2.0, WIDTH_PX, HEIGHT_PX / 2.0))
    item.paint(p)
    p.end()
    bits = np.frombuffer(image.constBits(), dtype=np.uint32).reshape(HEIGHT_PX, WIDTH_PX)
    return bits & 0xFFFFFF


def _rgb(colour: QColor) -> int:
    return colour.rgb() & 0xFFFFFF


def test_each_cell_takes_its_codes_colour_at_its_place() -> None:
    codes = np.arange(50) % 4  # silence, agent, customer, talk-over, silence, …
    rgb = _paint(codes)
    middle = rgb[HEIGHT_PX // 2]
    for cell in range(50):  # four pixels a cell
        expected = _rgb(COLOURS[cell % 4])
        assert set(middle[4 * cell : 4 * cell + 4].tolist()) == {expected}, cell
    # The strip spans y -0.5…0.5: rows 5…14 of the 20; outside it the background shows.
    assert (rgb[5:15] != _rgb(BACKGROUND)).all()
    assert (rgb[:5] == _rgb(BACKGROUND)).all() and (rgb[15:] == _rgb(BACKGROUND)).all()


def test_a_short_history_fills_from_the_right_and_the_rest_is_clear() -> None:
    rgb = _paint(np.array([1, 1, 2]))  # the last three cells: agent, agent, customer
    middle = rgb[HEIGHT_PX // 2]
    assert (middle[: 4 * 47] == _rgb(BACKGROUND)).all()
    assert set(middle[4 * 47 : 4 * 49].tolist()) == {_rgb(COLOURS[1])}
    assert set(middle[4 * 49 :].tolist()) == {_rgb(COLOURS[2])}


def test_a_long_history_shows_its_newest_cells_and_odd_codes_are_clipped() -> None:
    codes = np.concatenate([np.full(100, 3), np.full(49, 1), [7]])  # 150 codes, 50 cells
    item = CodeStrip(QRectF(-5.0, -0.5, 5.0, 1.0), 50, COLOURS)
    item.set_codes(codes)
    expected = [COLOURS[1].rgba()] * 49 + [COLOURS[3].rgba()]  # 7 clipped to talk-over
    assert item.pixels().tolist() == expected
    assert codes[-1] == 7  # the caller's codes are left alone
