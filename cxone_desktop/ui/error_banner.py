"""A banner across the top of the window: what went wrong and what to do, in plain words."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from cxone_desktop.ui.error_text import Notice

_STYLES = {
    "error": "background:#fde2e1;border:1px solid #dc2626;color:#7f1d1d;",
    "warning": "background:#fef3c7;border:1px solid #d97706;color:#78350f;",
    "info": "background:#dbeafe;border:1px solid #2563eb;color:#1e3a8a;",
}


class ErrorBanner(QFrame):
    """Hidden until `show_notice`; the user dismisses it, or the next connect clears it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error_banner")
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-weight:bold;border:none;background:transparent;")
        self.title_label.setWordWrap(True)
        self.remedy_label = QLabel()
        self.remedy_label.setStyleSheet("border:none;background:transparent;")
        self.remedy_label.setWordWrap(True)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.clear)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.remedy_label)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addLayout(text, 1)
        row.addWidget(dismiss)
        self.severity = ""
        self.transient = False
        self.hide()

    def show_notice(self, notice: Notice) -> None:
        self.severity = notice.severity
        self.transient = notice.transient
        self.setStyleSheet(f"#error_banner{{{_STYLES.get(notice.severity, _STYLES['error'])}}}")
        self.title_label.setText(notice.title)
        self.remedy_label.setText(notice.remedy)
        self.remedy_label.setVisible(bool(notice.remedy))
        self.show()

    def clear(self) -> None:
        self.severity = ""
        self.transient = False
        self.title_label.clear()
        self.remedy_label.clear()
        self.hide()
