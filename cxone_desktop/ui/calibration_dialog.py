"""Two evaluations of one call side by side (calibration): where the analysts differ."""

from __future__ import annotations

import math

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.review.evaluation import Evaluation, agreement, compare

_DIFFERS = QColor("#fee2e2")


class CalibrationDialog(QDialog):
    def __init__(self, a: Evaluation, b: Evaluation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Calibration — {a.form.title}")
        self.resize(820, 560)
        rows = compare(a, b)
        self.rows = rows
        share = agreement(rows)
        sa, sb = a.score().percent, b.score().percent
        self.summary = QLabel(
            f"{a.analyst}: {_pct(sa)} · {b.analyst}: {_pct(sb)} · "
            f"agree on {_pct(share)} of the questions both answered"
        )
        self.summary.setObjectName("calibration_summary")
        self.table = QTableWidget(len(rows), 4)
        self.table.setHorizontalHeaderLabels(["Question", a.analyst, b.analyst, ""])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        for i, r in enumerate(rows):
            cells = [r.text, _given(r.a), _given(r.b), "" if r.agree else "differs"]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not r.agree:
                    item.setBackground(QBrush(_DIFFERS))
                self.table.setItem(i, j, item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f} %"


def _given(value: float | str | None) -> str:
    if value == "":
        return "—"
    return "N/A" if value is None else f"{value:g}"
