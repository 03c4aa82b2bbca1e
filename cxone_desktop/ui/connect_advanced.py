"""The connect form's Advanced section: how the token is fetched and sent, TLS trust,
polling, the audio encoding, the playout mode, the network trace and the OAuth scope.

Hidden until its toggle opens it. Two of its fields (CA file, poll interval) are
validated with the rest of the form; the form gives them their label and message row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from cxone_desktop.session.config import POLL_INTERVAL_MAX_S, POLL_INTERVAL_MIN_S
from cxone_desktop.ui.connect_model import AUTH_STYLES, ENCODINGS, TOKEN_TRANSPORTS, ConnectValues

#: (mode, what the form calls it): the playout buffer's two modes.
PLAYOUT_MODES = (("low-delay", "Low delay (listening)"), ("quality", "Best quality (QA)"))

#: `row(name, field, shown)`: the label and the field with its message below (the form's).
ValidatedRow = Callable[[str, QWidget, QWidget], tuple[QLabel, QWidget]]


class AdvancedOptions(QWidget):
    """The advanced fields, laid out; reads and fills their part of `ConnectValues`."""

    #: A CA file was picked with Browse… (typed text reports itself through textEdited).
    ca_file_chosen = Signal()

    def __init__(self, validated_row: ValidatedRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auth_style = QComboBox()
        self.auth_style.addItems(AUTH_STYLES)
        self.auth_style.setToolTip("json: as the seed; form: RFC 6749 body; basic: HTTP Basic")
        self.token_in = QComboBox()
        self.token_in.addItems(TOKEN_TRANSPORTS)
        self.token_in.setToolTip("query: ?access_token=…; header: Authorization: Bearer")
        self.verify_tls = QCheckBox("Verify TLS certificates")
        self.verify_tls.setChecked(True)
        self.ca_file = QLineEdit(placeholderText="extra CA certificates (PEM), optional")
        browse = QPushButton("Browse…")
        browse.setAccessibleName("Browse for a CA file")
        browse.clicked.connect(self._browse_ca)
        self.poll_interval = QDoubleSpinBox()
        self.poll_interval.setRange(POLL_INTERVAL_MIN_S, POLL_INTERVAL_MAX_S)
        self.poll_interval.setDecimals(1)
        self.poll_interval.setSingleStep(0.5)
        self.poll_interval.setValue(2.0)
        self.poll_interval.setSuffix(" s")
        self.encoding = QComboBox()
        self.encoding.addItems(ENCODINGS)
        self.playout_mode = QComboBox()
        for mode, text in PLAYOUT_MODES:
            self.playout_mode.addItem(text, mode)
        self.playout_mode.setToolTip(
            "Low delay: the jitter buffer stays under 120 ms (listening), or as little over as a "
            "sender that sends 100-200 ms messages needs. Best quality: up to 400 ms and a "
            "longer look-ahead, for the cleanest processed.wav (QA review)."
        )
        self.save_trace = QCheckBox("Save a net&work trace (arrivals.csv)")
        self.save_trace.setToolTip(
            "Each message's arrival time and size, beside the recording: support can replay "
            "this network exactly (cxone-desktop simulate --arrival-trace)"
        )
        self.scope = QLineEdit(placeholderText="e.g. agent:voice:stream interaction:view")
        self.scope.setToolTip("OAuth scope to request; empty sends none, as the seed does")

        adv = QFormLayout(self)
        adv.setContentsMargins(12, 0, 0, 0)
        for combo, text in (
            (self.token_in, "Token sent as"),
            (self.auth_style, "Auth style"),
            (self.encoding, "Audio encoding"),
            (self.playout_mode, "Playout"),
        ):
            combo.setAccessibleName(text)
            combo.view().setAccessibleName(f"{text} choices")  # its pop-up list
        self.scope.setAccessibleName("OAuth scope")
        self.ca_file.setAccessibleName("CA file")
        self.poll_interval.setAccessibleName("Poll interval")
        adv.addRow(buddy("Token sent as", self.token_in), self.token_in)
        adv.addRow(buddy("Auth style", self.auth_style), self.auth_style)
        adv.addRow("", self.verify_tls)
        ca_row = QHBoxLayout()
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        ca_box = QWidget()
        ca_box.setLayout(ca_row)
        adv.addRow(*validated_row("ca_file", self.ca_file, ca_box))
        adv.addRow(*validated_row("poll_interval", self.poll_interval, self.poll_interval))
        adv.addRow(buddy("Audio encoding", self.encoding), self.encoding)
        adv.addRow(buddy("Playout", self.playout_mode), self.playout_mode)
        adv.addRow("", self.save_trace)
        adv.addRow(buddy("OAuth scope", self.scope), self.scope)

    def fill_values(self, v: ConnectValues) -> ConnectValues:
        """`v` with the advanced fields as they are in the section."""
        return replace(
            v,
            auth_style=self.auth_style.currentText(),
            scope=" ".join(self.scope.text().split()),
            token_in=self.token_in.currentText(),
            verify_tls=self.verify_tls.isChecked(),
            ca_file=self.ca_file.text().strip(),
            poll_interval_s=self.poll_interval.value(),
            encoding=self.encoding.currentText(),
            playout_mode=str(self.playout_mode.currentData()),
            save_trace=self.save_trace.isChecked(),
        )

    def set_values(self, v: ConnectValues) -> None:
        self.auth_style.setCurrentText(v.auth_style)
        self.scope.setText(v.scope)
        self.token_in.setCurrentText(v.token_in)
        self.verify_tls.setChecked(v.verify_tls)
        self.ca_file.setText(v.ca_file)
        self.poll_interval.setValue(v.poll_interval_s)
        self.encoding.setCurrentText(v.encoding)
        index = self.playout_mode.findData(v.playout_mode)
        self.playout_mode.setCurrentIndex(max(0, index))
        self.save_trace.setChecked(v.save_trace)

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA certificates (PEM)", "", "PEM files (*.pem *.crt);;All files (*)"
        )
        if path:
            self.ca_file.setText(path)
            self.ca_file_chosen.emit()


def buddy(text: str, field: QWidget) -> QLabel:
    """A label whose mnemonic focuses `field`, and which names it for screen readers."""
    label = QLabel(text)
    label.setBuddy(field)
    return label
