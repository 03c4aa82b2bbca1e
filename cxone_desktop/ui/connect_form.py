"""The connect form: where the call is, who we are, and the advanced transport options.

The Advanced section (`AdvancedOptions`) is a widget of its own, opened by a toggle here.

Validation rules live in `connect_model`; this widget shows a message under
each bad field and enables Connect only when there are none. Non-secret fields
are remembered in QSettings; the secret only in the system keyring, on request.

For screen readers every field has a name (its label is its buddy, with a mnemonic),
a field's error message is its accessible description while shown, and a refused
Connect moves focus to the first field that needs attention.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.session.call_list_feed import ListedCall
from cxone_desktop.ui.call_picker import CallPicker
from cxone_desktop.ui.connect_advanced import AdvancedOptions, buddy
from cxone_desktop.ui.connect_model import FORM_FIELDS, ConnectValues, directory_source, validate
from cxone_desktop.ui.connect_settings import load_values, save_values
from cxone_desktop.ui.secret_store import SecretStore
from cxone_desktop.ui.theme import css, error_text_colour

#: Each field's label (a mnemonic: Alt+letter focuses the field) and accessible name.
FIELD_LABELS = {
    "location": ("&Tenant or base URL", "Tenant or base URL"),
    "client_id": ("Client &ID", "Client ID"),
    "client_secret": ("Client &secret", "Client secret"),
    "call_id": ("Ca&ll ID", "Call ID"),
    "ca_file": ("CA file", "CA file"),
    "poll_interval": ("Poll interval", "Poll interval"),
}


class ConnectForm(QGroupBox):
    """Emits `connect_requested` / `disconnect_requested`; the window does the rest."""

    connect_requested = Signal()
    #: Connect was pressed with fields that need attention (their messages are shown).
    connect_refused = Signal()
    disconnect_requested = Signal()
    #: The call ID now names a call the picker listed (ListedCall), or no listed call (None).
    listed_call_changed = Signal(object)

    def __init__(
        self,
        settings: QSettings,
        secrets: SecretStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Connection", parent)
        self._settings = settings
        self._secrets = secrets
        self._busy = False
        self._touched: set[str] = set()
        self._messages: dict[str, QLabel] = {}

        self.location = QLineEdit(placeholderText="acme  or  https://host:port")
        self.location.setToolTip(
            "Your CXone tenant name (…niceincontact.com), or a full base URL such as "
            "http://127.0.0.1:8080 for a simulator"
        )
        self.client_id = QLineEdit(placeholderText="OAuth client ID")
        self.client_secret = QLineEdit(placeholderText="OAuth client secret")
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.call_id = QLineEdit(placeholderText="interaction ID")

        self.remember_secret = QCheckBox("Remember secret in system &keyring")
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        if not secrets.available():
            self.remember_secret.setEnabled(False)
            self.keyring_note.setText(secrets.unavailable_reason())
        else:
            self.keyring_note.hide()

        self.connect_button = QPushButton("Connect")
        self.connect_button.setDefault(True)
        self.connect_button.setToolTip("Connect (Ctrl+Return)")
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.setToolTip("Disconnect (Ctrl+D)")
        self.disconnect_button.setEnabled(False)
        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.disconnect_button.clicked.connect(self.disconnect_requested)

        self.fields: dict[str, QWidget] = {
            "location": self.location,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "call_id": self.call_id,
        }
        main = QFormLayout()
        main.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name in ("location", "client_id", "client_secret", "call_id"):
            main.addRow(self._label(name), self._with_message(name, self.fields[name]))
        # The live calls, where the server lists them (the relay, the simulator).
        self.picker = CallPicker(lambda: directory_source(self.values()))
        main.addRow(buddy("Liv&e calls", self.picker.combo), self.picker)
        main.setRowVisible(self.picker, False)
        self.picker.available_changed.connect(lambda shown: main.setRowVisible(self.picker, shown))
        self.picker.picked.connect(self._on_picked)
        self.picker.refreshed.connect(lambda: self._on_call_id_changed(self.call_id.text()))
        self.call_id.textChanged.connect(self._on_call_id_changed)

        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("&Advanced")
        self.advanced_toggle.setAccessibleName("Advanced options")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced = AdvancedOptions(self._validated_row)
        self.advanced.ca_file_chosen.connect(lambda: self._touch_and_revalidate("ca_file"))
        self.advanced.setVisible(False)
        self.advanced_toggle.toggled.connect(self._on_advanced_toggled)

        buttons = QHBoxLayout()
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.disconnect_button)

        layout = QVBoxLayout(self)
        layout.addLayout(main)
        layout.addWidget(self.advanced_toggle)
        layout.addWidget(self.advanced)
        layout.addWidget(self.remember_secret)
        layout.addWidget(self.keyring_note)
        layout.addLayout(buttons)

        for name, edit in (
            ("location", self.location),
            ("client_id", self.client_id),
            ("client_secret", self.client_secret),
            ("call_id", self.call_id),
            ("ca_file", self.advanced.ca_file),
        ):
            edit.textEdited.connect(lambda _t, n=name: self._touch(n))
            edit.textChanged.connect(self.revalidate)
        self.advanced.poll_interval.valueChanged.connect(self.revalidate)
        self.revalidate()

    # ---- values ----------------------------------------------------------------------------
    def values(self) -> ConnectValues:
        return self.advanced.fill_values(
            ConnectValues(
                location=self.location.text().strip(),
                client_id=self.client_id.text().strip(),
                client_secret=self.client_secret.text(),
                call_id=self.call_id.text().strip(),
            )
        )

    def set_values(self, v: ConnectValues) -> None:
        self.location.setText(v.location)
        self.client_id.setText(v.client_id)
        self.client_secret.setText(v.client_secret)
        self.call_id.setText(v.call_id)
        self.advanced.set_values(v)
        self.revalidate()

    def listed_call(self) -> ListedCall | None:
        """What the picker's last list said about the call ID in the field, if it listed it."""
        return self.picker.call(self.call_id.text().strip())

    def errors(self) -> dict[str, str]:
        return validate(self.values())

    def message_for(self, field: str) -> str:
        """The message shown under `field` ('' when none is shown)."""
        label = self._messages[field]
        return label.text() if not label.isHidden() else ""

    def is_valid(self) -> bool:
        return not self.errors()

    def show_all_messages(self) -> None:
        """After a failed attempt (or a demo fill), show every message, touched or not."""
        self._touched.update(FORM_FIELDS)
        self.revalidate()

    # ---- persistence -----------------------------------------------------------------------
    def load_settings(self) -> None:
        """Fill from QSettings, and the secret from the keyring when it was remembered."""
        v, remember = load_values(self._settings)
        if remember and self._secrets.available():
            secret = self._secrets.load(v.client_id)
            if secret:
                v = replace(v, client_secret=secret)
            self.remember_secret.setChecked(True)
        self.set_values(v)

    def save_settings(self) -> None:
        """Remember the non-secret fields; the secret goes to the keyring only if ticked."""
        v = self.values()
        remember = self.remember_secret.isChecked()
        save_values(self._settings, v, remember_secret=remember)
        if remember:
            self._secrets.save(v.client_id, v.client_secret)
        else:
            self._secrets.forget(v.client_id)

    # ---- state -----------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        """While a call runs the fields are locked, Connect is off and Disconnect is on."""
        self._busy = busy
        for w in (
            self.location,
            self.client_id,
            self.client_secret,
            self.call_id,
            self.advanced,
            self.remember_secret,
        ):
            w.setEnabled(not busy and (w is not self.remember_secret or self._secrets.available()))
        self.picker.set_idle(not busy)
        self.disconnect_button.setEnabled(busy)
        self.revalidate()

    def revalidate(self) -> None:
        errors = self.errors()
        for name, label in self._messages.items():
            text = errors.get(name, "") if name in self._touched else ""
            if text != label.text() or label.isHidden() == bool(text):
                label.setText(text)
                label.setVisible(bool(text))
                # The message is the field's description while shown: a screen reader reads
                # it with the field's name (WCAG 3.3.1), not as a stray label somewhere.
                self.fields[name].setAccessibleDescription(text)
        self.connect_button.setEnabled(not self._busy and not errors)

    def focus_first_invalid(self) -> str | None:
        """Move keyboard focus to the first field with a message; its name, or None."""
        errors = self.errors()
        for name in FORM_FIELDS:
            if name in errors:
                if name in ("ca_file", "poll_interval") and not self.advanced_toggle.isChecked():
                    self.advanced_toggle.setChecked(True)
                self.fields[name].setFocus(Qt.FocusReason.OtherFocusReason)
                return name
        return None

    def first_error_text(self) -> str:
        """`Client secret: Enter the OAuth client secret.` for the first invalid field."""
        errors = self.errors()
        for name in FORM_FIELDS:
            if name in errors:
                return f"{FIELD_LABELS[name][1]}: {errors[name]}"
        return ""

    # ---- internals -------------------------------------------------------------------------
    def _with_message(self, name: str, widget: QWidget) -> QWidget:
        msg = QLabel()
        msg.setObjectName(f"message_{name}")
        msg.setWordWrap(True)
        self._colour_message(msg)
        msg.hide()
        self._messages[name] = msg
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(1)
        col.addWidget(widget)
        col.addWidget(msg)
        return box

    def _label(self, name: str) -> QLabel:
        text, accessible = FIELD_LABELS[name]
        field = self.fields[name]
        field.setAccessibleName(accessible)
        return buddy(text, field)

    def _validated_row(self, name: str, field: QWidget, shown: QWidget) -> tuple[QLabel, QWidget]:
        """An advanced field joins the validated ones: its label, and `shown` (the field or a
        box holding it) over its message."""
        self.fields[name] = field
        return self._label(name), self._with_message(name, shown)

    def _colour_message(self, msg: QLabel) -> None:
        colour = error_text_colour(self.palette())
        msg.setStyleSheet(f"color:{css(colour)};")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for msg in self._messages.values():  # red that reads on the new background
                self._colour_message(msg)

    def _touch(self, name: str) -> None:
        self._touched.add(name)

    def _touch_and_revalidate(self, name: str) -> None:
        self._touch(name)
        self.revalidate()

    def _on_connect_clicked(self) -> None:
        if self.is_valid() and not self._busy:
            self.connect_requested.emit()
        else:
            self.show_all_messages()
            self.connect_refused.emit()

    def _on_picked(self, call: ListedCall) -> None:
        self.call_id.setText(call.call_id)
        self._touch_and_revalidate("call_id")

    def _on_call_id_changed(self, text: str) -> None:
        listed = self.picker.call(text.strip())
        self.picker.select(text.strip())
        self.listed_call_changed.emit(listed)

    def _on_advanced_toggled(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
