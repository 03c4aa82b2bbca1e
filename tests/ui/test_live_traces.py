"""The traces over the waveform plot: where the plot's own axis says, after a resize too."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cxone_desktop.core.ring_buffer import RingBuffer
from cxone_desktop.ui.waveform_view import AGENT_COLOUR, CUSTOMER_COLOUR, WaveformView

RATE_HZ = 8000


def _call(burst_s: tuple[float, float]) -> RingBuffer:
    """5 s of a two-party call (interleaved): silence, but the agent talks loudly from
    burst_s[0] to burst_s[1] seconds before now."""
    samples = 5 * RATE_HZ
    agent = np.zeros(samples, dtype=np.float32)
    start, stop = (samples - round(s * RATE_HZ) for s in burst_s)
    agent[start:stop] = 20000.0 * np.sign(np.sin(np.arange(stop - start) * 0.7))
    ring = RingBuffer(2 * samples, np.float32)
    ring.extend(np.stack([agent, np.zeros(samples, dtype=np.float32)], axis=1).reshape(-1))
    return ring


def _loud_columns(view: WaveformView, colour: str) -> np.ndarray:
    """x (in the plot widget's pixels) of the columns where `colour` spans over 5 rows."""
    QApplication.processEvents()
    image = view.plot.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    bits = np.frombuffer(image.constBits(), dtype=np.uint32)
    rgb = bits.reshape(image.height(), image.width()) & 0xFFFFFF
    lit = rgb == (QColor(colour).rgb() & 0xFFFFFF)
    return np.flatnonzero(lit.sum(axis=0) > 5) / image.devicePixelRatio()


def _box_area(view: WaveformView) -> QRect:
    """The plot's data area (its view box) within the plot's viewport."""
    box = view.plot.getPlotItem().getViewBox()
    area = view.plot.mapFromScene(box.sceneBoundingRect()).boundingRect()
    return area.intersected(view.plot.viewport().rect())


def _plot_x(view: WaveformView, seconds: float) -> float:
    """Where the plot's bottom axis puts `seconds` (0 is now), in the plot widget's pixels."""
    box = view.plot.getPlotItem().getViewBox()
    return float(view.plot.mapFromScene(box.mapViewToScene(QPointF(seconds, 0.0))).x())


def test_a_burst_is_drawn_where_the_axis_puts_its_time_before_and_after_a_resize(
    qtbot: QtBot,
) -> None:
    view = WaveformView(RATE_HZ)
    qtbot.addWidget(view)
    view.resize(700, 260)
    view.show()
    qtbot.waitExposed(view)
    view.set_parties(2)
    ring = _call((2.0, 1.0))  # the agent talks from 2 s ago to 1 s ago
    view.refresh(ring, -10.0, (-10.0, -60.0))
    for width in (700, 1000):
        view.resize(width, 260)
        # The overlay follows the plot's new layout on a later pass: until it lies over the
        # view box again.
        qtbot.waitUntil(lambda: view.traces.geometry() == _box_area(view))
        view.refresh(ring, -10.0, (-10.0, -60.0))
        loud = _loud_columns(view, AGENT_COLOUR)
        assert loud.size > 0.1 * (_plot_x(view, -1.0) - _plot_x(view, -2.0))
        # Within a pixel (and a 20 ms envelope column) of where the axis says.
        assert abs(loud.min() - _plot_x(view, -2.0)) <= 3
        assert abs(loud.max() - _plot_x(view, -1.0)) <= 3
        assert _loud_columns(view, CUSTOMER_COLOUR).size == 0  # the customer was silent
