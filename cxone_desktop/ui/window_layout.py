"""How the window's parts are laid out, so they fit 1024×600 and 1366×768 screens.

Connect form and call state on the left, sound and network on the right, the banner
across the top. Minimum sizes follow the platform font (a larger text size grows
them), and everything below the banner sits in a scroll area: on a screen too small for
the minimums (the advanced options open at 1024×600, or a large font) it scrolls instead
of being squashed until charts overlap and labels clip.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QVBoxLayout, QWidget

#: Width of the left column in average characters of the platform font.
LEFT_COLUMN_CHARS = 46


@dataclass
class WindowLayout:
    central: QWidget
    scroll: QScrollArea
    splitter: QSplitter
    left: QWidget
    right: QWidget


class _Column(QWidget):
    """A column whose minimum height counts its wrapped text at its current width.

    Qt's minimum sizes ignore height-for-width: a wrapped label that needs three lines at
    this width would take them from its neighbours, squashing them below their minimum
    when the scroll area gives the column no more than its minimum height.
    """

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        layout = self.layout()
        if layout is None or not layout.hasHeightForWidth():
            return hint
        width = max(self.width(), self.minimumWidth(), hint.width())
        return QSize(hint.width(), max(hint.height(), layout.totalMinimumHeightForWidth(width)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # the minimum height depends on the width


def build_layout(
    *,
    banner: QWidget,
    form: QWidget,
    state_panel: QWidget,
    waveform: QWidget,
    metrics: QWidget,
    controls: QWidget,
) -> WindowLayout:
    left = _Column()
    left.setObjectName("left_column")
    left_col = QVBoxLayout(left)
    left_col.setContentsMargins(0, 0, 0, 0)
    left_col.addWidget(form)
    left_col.addWidget(state_panel, 1)
    # Wide enough for the widest state chip ("▶ Disconnecting", bold) and the form's labels.
    left.setMinimumWidth(
        max(
            left.minimumSizeHint().width(),
            left.fontMetrics().averageCharWidth() * LEFT_COLUMN_CHARS,
        )
    )

    right = _Column()
    right.setObjectName("right_column")
    right_col = QVBoxLayout(right)
    right_col.setContentsMargins(0, 0, 0, 0)
    right_col.addWidget(waveform, 2)
    right_col.addWidget(metrics, 5)
    right_col.addWidget(controls)

    split = QSplitter(Qt.Orientation.Horizontal)
    split.setObjectName("main_splitter")
    split.addWidget(left)
    split.addWidget(right)
    split.setStretchFactor(0, 0)
    split.setStretchFactor(1, 1)
    split.setChildrenCollapsible(False)
    split.setSizes([left.minimumWidth(), 4 * left.minimumWidth()])

    # The splitter (no layout, so no height-for-width) is sized to the viewport, never
    # below its minimum: the area scrolls only when the window is smaller than that.
    scroll = QScrollArea()
    scroll.setObjectName("main_scroll")
    scroll.setWidget(split)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a Tab stop: its content is

    central = QWidget()
    col = QVBoxLayout(central)
    col.setContentsMargins(8, 6, 8, 4)
    col.addWidget(banner)
    col.addWidget(scroll, 1)
    return WindowLayout(central, scroll, split, left, right)
