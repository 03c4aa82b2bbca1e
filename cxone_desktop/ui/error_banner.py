"""A banner across the top of the window: what went wrong and what to do, in plain words.

Its colours come from the palette it is drawn in (a tint of the severity's accent
behind the platform's text colour; palette roles only under high contrast), and a
glyph and the accessible name say the severity, so it is not told by colour alone.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.ui.error_text import Notice
from cxone_desktop.ui.theme import banner_colours, css, high_contrast

#: (glyph, word) per severity: the banner's first characters and its accessible name.
SEVERITY_WORDS = {"error": ("✖", "Error"), "warning": ("⚠", "Warning"), "info": ("ℹ", "Note")}


class ErrorBanner(QFrame):
    """Hidden until `show_notice`; the user dismisses it (button or Escape), or its cause ends."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error_banner")
        self.setAccessibleName("Message")
        self.glyph_label = QLabel()
        self.glyph_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.glyph_label.setAccessibleName("Severity")
        self.title_label = QLabel()
        self.title_label.setObjectName("banner_title")
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.remedy_label = QLabel()
        self.remedy_label.setObjectName("banner_remedy")
        self.remedy_label.setWordWrap(True)
        self.remedy_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setObjectName("banner_dismiss")
        self.dismiss_button.setAccessibleName("Dismiss message")
        self.dismiss_button.setToolTip("Dismiss this message (Esc)")
        self.dismiss_button.clicked.connect(self.clear)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.remedy_label)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.glyph_label)
        row.addLayout(text, 1)
        row.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        self.severity = ""
        self.transient = False
        self._restyling = False
        self.hide()

    def show_notice(self, notice: Notice) -> None:
        self.severity = notice.severity
        self.transient = notice.transient
        glyph, word = SEVERITY_WORDS.get(notice.severity, SEVERITY_WORDS["error"])
        self.glyph_label.setText(glyph)
        self.title_label.setText(notice.title)
        self.remedy_label.setText(notice.remedy)
        self.remedy_label.setVisible(bool(notice.remedy))
        self.setAccessibleName(word)
        self.setAccessibleDescription(f"{notice.title} {notice.remedy}".strip())
        self._restyle()
        self.show()

    def clear(self) -> None:
        self.severity = ""
        self.transient = False
        self.title_label.clear()
        self.remedy_label.clear()
        self.setAccessibleName("Message")
        self.setAccessibleDescription("")
        self.hide()

    def clear_transient(self) -> bool:
        """Hide a notice about a passing condition (a retry, a drop); True if one was shown."""
        if self.severity and self.transient:
            self.clear()
            return True
        return False

    def keep(self) -> None:
        """The condition is now the outcome (the call failed on it): no longer clear it."""
        self.transient = False

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if not self._restyling and event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.StyleChange,
        ):
            self._restyle()  # the platform's colour scheme or contrast setting changed

    def _restyle(self) -> None:
        if not self.severity:
            return
        # The surroundings' palette: our own is the style sheet's once it is set.
        parent = self.parentWidget()
        palette = parent.palette() if parent is not None else QApplication.palette()
        background, border, text = banner_colours(palette, self.severity, contrast=high_contrast())
        sheet = (
            f"#error_banner{{background:{css(background)};border:1px solid {css(border)};"
            f"border-left:4px solid {css(border)};}}"
            f"#error_banner QLabel{{color:{css(text)};background:transparent;border:none;}}"
        )
        if sheet != self.styleSheet():
            self._restyling = True
            try:
                self.setStyleSheet(sheet)
            finally:
                self._restyling = False
