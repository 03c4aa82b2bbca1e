"""The window on the screens agents have: 1366×768 and 1024×600 (laptops, VDI sessions).

Nothing clipped (every control at least its minimum size, every label as wide as its
text), nothing overlapping, charts tall enough for their tick labels, and when the window
is smaller than that, it scrolls instead of squashing. Screenshots at both sizes, taken
under Xvfb and checked by eye, are described in the README ("Small screens").
"""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QRect
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollBar,
    QWidget,
)

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.errors import ServiceUnavailable

from .helpers import until

CONTROLS = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QLabel)


def _shown_controls(window: QWidget) -> list[QWidget]:
    found = []
    for w in window.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or not w.isVisible() or w.window() is not window:
            continue
        if isinstance(w, QLabel) and not w.text():
            continue
        if isinstance(w.parent(), QComboBox | QAbstractSpinBox) or isinstance(w, QScrollBar):
            continue  # a control's own parts, the scroll area's bars
        found.append(w)
    return found


def _rect_in(window: QWidget, w: QWidget) -> QRect:
    """The part of `w` that is on screen (not scrolled away), in window coordinates."""
    shown = w.visibleRegion().boundingRect()
    return QRect(w.mapTo(window, shown.topLeft()), shown.size())


def _name(w: QWidget) -> str:
    text = w.text() if isinstance(w, QLabel | QAbstractButton) else ""
    return f"{type(w).__name__} {w.objectName()!r} {text!r}"


def _problems(window: QWidget) -> list[str]:
    problems = []
    controls = _shown_controls(window)
    for w in controls:
        name = _name(w)
        need = w.minimumSizeHint()
        if w.width() < need.width() or w.height() < need.height():
            problems.append(
                f"{name}: {w.width()}×{w.height()} < minimum {need.width()}×{need.height()}"
            )
        if isinstance(w, QLabel) and not w.wordWrap() and "<" not in w.text():
            shown = w.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
            text_w = w.fontMetrics().horizontalAdvance(shown)
            if w.contentsRect().width() < text_w:
                problems.append(
                    f"label {w.text()!r} clipped: {w.contentsRect().width()} < {text_w}"
                )
    rects = [(w, _rect_in(window, w)) for w in controls]
    for i, (a, ra) in enumerate(rects):
        for b, rb in rects[i + 1 :]:
            if a.isAncestorOf(b) or b.isAncestorOf(a):
                continue
            overlap = ra.intersected(rb)
            if overlap.width() > 1 and overlap.height() > 1:
                problems.append(f"{_name(a)} overlaps {_name(b)}")
    return problems


async def _streaming_with_a_banner(make_window, width: int, height: int, parties: int = 1):
    window, fakes = make_window(seconds=60, parties=parties)
    window.resize(width, height)
    window.show()
    assert QTest.qWaitForWindowExposed(window, 2000)
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    fakes[0].report(
        ServiceUnavailable(
            "acmee.niceincontact.com does not resolve (DNS), so the token endpoint "
            "cannot be reached.",
            remedy="Check the tenant name or base URL for typos, and your network or VPN.",
        )
    )
    await until(lambda: window.metrics.redraws >= 1, timeout=4)
    if parties == 2:  # two lanes, the talk strip and figures, the party meters and buttons
        await until(lambda: window.waveform.talk.label.text() != "", timeout=4)
    return window


@pytest.mark.parametrize("parties", [1, 2])
@pytest.mark.parametrize("size", [(1366, 768), (1024, 600)])
async def test_everything_fits_without_clipping_or_overlap(make_window, size, parties) -> None:
    window = await _streaming_with_a_banner(make_window, *size, parties=parties)
    assert window.size().width() == size[0] and window.size().height() == size[1]
    problems = _problems(window)
    assert problems == [], "\n".join(problems)
    scroll = window.layout_parts.scroll
    assert not scroll.verticalScrollBar().isVisible(), "needs scrolling at this size"
    assert not scroll.horizontalScrollBar().isVisible()
    line = window.fontMetrics().height()
    for plot in window.metrics.plots:  # room for the 0 and top tick labels apart
        assert plot.vb.height() >= 2.5 * line, plot.vb.height()
    assert window.waveform.plot.height() >= 4 * line
    await window.controller.stop()


async def test_a_window_smaller_than_that_scrolls_instead_of_squashing(make_window) -> None:
    window = await _streaming_with_a_banner(make_window, 900, 480)
    window.form.advanced_toggle.setChecked(True)  # seven more rows on the left
    content = window.layout_parts.scroll.widget()
    await until(lambda: content.height() >= content.minimumSizeHint().height() > 600)
    await asyncio.sleep(0.1)  # the layouts inside settle
    assert window.layout_parts.scroll.verticalScrollBar().isVisible()
    problems = _problems(window)
    assert problems == [], "\n".join(problems)
    await window.controller.stop()


def test_the_window_opens_no_larger_than_the_screen_has_room_for(make_window) -> None:
    window, _ = make_window()
    room = window.screen().availableGeometry()
    assert window.width() <= room.width() and window.height() <= room.height()
    assert window.width() >= min(1280, room.width()) - 1  # as large as fits, up to 1280×800
