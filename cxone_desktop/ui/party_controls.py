"""What the listener chooses about a two-party call: what to hear, and whose processing
the sliders set ("Parties": linked, the agent's, or the customer's).

"Hear" is the listening mode (Mixed; Both: agent left, customer right; one party alone),
switched locally, mid-call, with no reconnect. A call the server sends as one mixed
channel leaves Mixed only: the other modes and per-party processing are disabled and
their tooltip says why. (Per-party mute and solo sit beside each waveform lane.) The
widgets are laid out by `ControlsPanel`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from cxone_desktop.core.listen_mode import LISTEN_MODES, ListenMode

MODE_TEXT: dict[ListenMode, str] = {
    "mixed": "Mixed",
    "both": "Both: agent left, customer right",
    "agent": "Agent only",
    "customer": "Customer only",
}
TARGETS: tuple[tuple[str, str | None], ...] = (
    ("Linked", None),
    ("Agent", "agent"),
    ("Customer", "customer"),
)
ONE_CHANNEL_TEXT = (
    "This call comes as one mixed channel: the server does not keep its parties apart, "
    "so only Mixed can be heard."
)
HEAR_TIP = "What you hear; switching needs no reconnect, and the recording keeps both parties"
TARGET_TIP = (
    "Whose gain and gate the sliders set. Linked: both parties alike. Agent or Customer: "
    "that party alone"
)


class PartyControls(QObject):
    """Hear and Parties (whose gain and gate the sliders set); owns no audio."""

    listen_mode_changed = Signal(str)  # ListenMode
    #: Whose settings the sliders show and set: None both (linked), "agent", "customer".
    target_changed = Signal(object)

    def __init__(self, mode: ListenMode, parent: QWidget) -> None:
        super().__init__(parent)
        self._preferred: ListenMode = mode
        self.hear = QComboBox()
        self.hear.setObjectName("listen_mode")
        for key in LISTEN_MODES:
            self.hear.addItem(MODE_TEXT[key], key)
        self.hear.setCurrentIndex(self.hear.findData(mode))
        self.hear.setToolTip(HEAR_TIP)
        self.target = QComboBox()
        self.target.setObjectName("processing_for")
        for text, key in TARGETS:
            self.target.addItem(text, key)
        self.target.setToolTip(TARGET_TIP)
        for combo, name in ((self.hear, "Hear"), (self.target, "Parties")):
            # As wide as the layout gives (small screens), not as the longest choice.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(6)
            combo.setAccessibleName(name)
            combo.view().setAccessibleName(f"{name} choices")
        self.hear_label = QLabel("&Hear")
        self.hear_label.setBuddy(self.hear)
        self.target_label = QLabel("&Parties")
        self.target_label.setBuddy(self.target)
        self.hear.currentIndexChanged.connect(self._on_hear)
        self.target.currentIndexChanged.connect(
            lambda i: self.target_changed.emit(self.target.itemData(i))
        )

    def listen_mode(self) -> ListenMode:
        mode: ListenMode = self.hear.currentData()
        return mode

    @property
    def preferred_mode(self) -> ListenMode:
        """The mode the listener chose last (kept while a one-channel call forces Mixed)."""
        return self._preferred

    def target_party(self) -> str | None:
        key: str | None = self.target.currentData()
        return key

    def set_parties(self, parties: int | None) -> None:
        """1: one mixed channel (Mixed only); 2 or None (not known yet): every choice."""
        one = parties == 1
        model = self.hear.model()
        assert isinstance(model, QStandardItemModel)
        for row in range(model.rowCount()):
            item = model.item(row)
            apart = self.hear.itemData(row) != "mixed"
            item.setEnabled(not (one and apart))
            item.setToolTip(ONE_CHANNEL_TEXT if one and apart else "")
        self.hear.blockSignals(True)
        try:
            shown = "mixed" if one else self._preferred
            self.hear.setCurrentIndex(self.hear.findData(shown))
        finally:
            self.hear.blockSignals(False)
        self.hear.setToolTip(ONE_CHANNEL_TEXT if one else HEAR_TIP)
        self.target.setEnabled(not one)
        self.target.setToolTip(ONE_CHANNEL_TEXT if one else TARGET_TIP)
        if one and self.target.currentIndex() != 0:
            self.target.setCurrentIndex(0)  # linked: one channel has one setting

    def _on_hear(self, index: int) -> None:
        mode: ListenMode = self.hear.itemData(index)
        self._preferred = mode
        self.listen_mode_changed.emit(mode)
