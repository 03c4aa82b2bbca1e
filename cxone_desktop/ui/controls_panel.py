"""Gain, noise gate, bypass, mute, volume and output device: what the listener adjusts mid-call.

DSP changes leave as `dsp_changed(DspSettings)` on every slider step; the
session applies them on its next 20 ms frame (`party_dsp_settings()` says each
party's: the sliders set both, linked, or the party "Processing for" names). Playback
controls leave as their own signals for the audio output; a two-party call's choices
(what to hear, mute and solo per party) are `PartyControls`'.

Each slider's accessible description is its value in the units its label shows
("+1.6 dB (×1.20)", not the slider's 16), and a change made from the keyboard is
offered for announcement (`value_spoken`) once the keys rest.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QSlider,
    QWidget,
)

from cxone_desktop.core.dsp import DspSettings, db_to_gain, gain_to_db
from cxone_desktop.core.listen_mode import ListenMode
from cxone_desktop.ui.party_controls import PartyControls

GAIN_DB_MIN, GAIN_DB_MAX = -20.0, 20.0
GAIN_STEPS_PER_DB = 10
THRESHOLD_MAX = 3000
GATE_MODES = ("seed", "smooth", "off")
#: A slider moved from the keyboard is announced once the keys have rested this long.
SPEAK_AFTER_MS = 400
BYPASSED_GAIN_TEXT = "0 dB (bypassed)"
BYPASSED_GATE_TEXT = "off (bypassed)"


def threshold_dbfs_text(threshold: int) -> str:
    """`200 (−44.3 dBFS)`; `0 (gate off)`."""
    if threshold <= 0:
        return "0 (gate off)"
    return f"{threshold} ({20 * math.log10(threshold / 32768):.1f} dBFS)"


def gain_text(gain_db: float) -> str:
    if not math.isfinite(gain_db):
        return "silent (×0)"
    return f"{gain_db:+.1f} dB (×{db_to_gain(gain_db):.2f})"


class ControlsPanel(QGroupBox):
    """Sliders and pickers; owns no audio and no session."""

    dsp_changed = Signal(object)  # DspSettings
    volume_changed = Signal(float)  # 0…1
    mute_toggled = Signal(bool)
    device_chosen = Signal(object)  # QAudioDevice
    #: "Gain +2.0 dB (×1.26)": a slider moved from the keyboard, for the screen reader.
    value_spoken = Signal(str)

    def __init__(
        self,
        dsp: DspSettings | None = None,
        parent: QWidget | None = None,
        *,
        listen_mode: ListenMode = "both",
    ) -> None:
        super().__init__("Playback and processing", parent)
        dsp = dsp or DspSettings()
        self._base = dsp
        #: Each party's settings; equal while linked.
        self._party_dsp: dict[str, DspSettings] = {"agent": dsp, "customer": dsp}
        self.parties = PartyControls(listen_mode, self)
        # The exact gain (1.2 by default), until the slider moves to a 0.1 dB step.
        self._gain = dsp.gain

        self.gain_slider = QSlider(Qt.Orientation.Horizontal)
        self.gain_slider.setObjectName("gain_slider")
        self.gain_slider.setRange(
            int(GAIN_DB_MIN * GAIN_STEPS_PER_DB), int(GAIN_DB_MAX * GAIN_STEPS_PER_DB)
        )
        self.gain_slider.setValue(_gain_to_steps(dsp.gain))
        self.gain_slider.setToolTip("Gain applied to the call audio (dB)")
        self.gain_label = QLabel()

        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setObjectName("threshold_slider")
        self.threshold_slider.setRange(0, THRESHOLD_MAX)
        self.threshold_slider.setSingleStep(10)
        self.threshold_slider.setPageStep(100)
        self.threshold_slider.setValue(min(THRESHOLD_MAX, dsp.noise_threshold))
        self.threshold_slider.setToolTip(
            "Noise gate threshold (int16 amplitude after gain); samples quieter are silenced"
        )
        self.threshold_label = QLabel()

        self.gate_mode = QComboBox()
        self.gate_mode.addItems(GATE_MODES)
        self.gate_mode.setCurrentText(dsp.gate_mode)
        self.gate_mode.setToolTip(
            "seed: zero each quiet sample (as the original tool); smooth: an envelope gate "
            "with hold and release; off: gain only"
        )

        self.bypass = QCheckBox("Bypass processing")
        self.bypass.setObjectName("bypass_processing")
        self.bypass.setChecked(dsp.bypass)
        self.bypass.setToolTip(
            "Play and record what was received, unchanged: gain 0 dB, gate off (QA "
            "listening). The sliders keep their values for when you switch it off."
        )

        self.mute = QCheckBox("Mute")
        self.mute.setToolTip("Mute playback (Ctrl+M); recording carries on")
        self.volume_slider = QSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setObjectName("volume_slider")
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(100)
        self.volume_label = QLabel()

        self.device = QComboBox()
        self.device.setObjectName("output_device")
        self.device.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.device.setMinimumContentsLength(16)
        self.output_status = QLabel()
        self.output_status.setObjectName("output_status")
        self.output_status.setWordWrap(True)

        self.bypass.setText("&Bypass processing")
        self.mute.setText("M&ute")
        names = (
            (self.gain_slider, "&Gain", "Gain"),
            (self.threshold_slider, "&Noise gate", "Noise gate threshold"),
            (self.gate_mode, "Gate &mode", "Gate mode"),
            (self.volume_slider, "&Volume", "Volume"),
            (self.device, "&Output", "Output device"),
        )
        labels = {}
        for widget, text, name in names:
            widget.setAccessibleName(name)
            if isinstance(widget, QComboBox):
                widget.view().setAccessibleName(f"{name} choices")  # its pop-up list
            labels[widget] = QLabel(text)
            labels[widget].setBuddy(widget)  # Alt+letter focuses the control
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(4, 1)
        grid.addWidget(labels[self.gain_slider], 0, 0)
        grid.addWidget(self.gain_slider, 0, 1)
        grid.addWidget(self.gain_label, 0, 2)
        grid.addWidget(labels[self.threshold_slider], 1, 0)
        grid.addWidget(self.threshold_slider, 1, 1)
        grid.addWidget(self.threshold_label, 1, 2)
        grid.addWidget(labels[self.gate_mode], 2, 0)
        grid.addWidget(self.gate_mode, 2, 1)
        grid.addWidget(self.bypass, 2, 2)
        grid.addWidget(labels[self.volume_slider], 0, 3)
        grid.addWidget(self.volume_slider, 0, 4)
        grid.addWidget(self.volume_label, 0, 5)
        grid.addWidget(labels[self.device], 1, 3)
        grid.addWidget(self.device, 1, 4, 1, 2)
        parties = self.parties
        grid.addWidget(parties.hear_label, 2, 3)
        grid.addWidget(parties.hear, 2, 4)
        grid.addWidget(self.mute, 2, 5)
        grid.addWidget(self.output_status, 3, 0, 1, 3)
        grid.addWidget(parties.target_label, 3, 3)
        grid.addWidget(parties.target, 3, 4, 1, 2)
        # Value labels as wide as their widest text in this font: nothing jumps or clips.
        fm = self.fontMetrics()
        for label, widest in (
            (self.gain_label, (gain_text(-20.0), gain_text(20.0), BYPASSED_GAIN_TEXT)),
            (self.threshold_label, (threshold_dbfs_text(3000), BYPASSED_GATE_TEXT)),
            (self.volume_label, ("100 %",)),
        ):
            label.setMinimumWidth(max(fm.horizontalAdvance(t) for t in widest) + 4)

        self._spoken: QSlider | None = None
        self._speak_timer = QTimer(self)
        self._speak_timer.setSingleShot(True)
        self._speak_timer.setInterval(SPEAK_AFTER_MS)
        self._speak_timer.timeout.connect(self._speak)
        for slider in (self.gain_slider, self.threshold_slider, self.volume_slider):
            slider.valueChanged.connect(lambda _v, s=slider: self._maybe_speak(s))
        self.gain_slider.valueChanged.connect(self._on_gain_moved)
        self.threshold_slider.valueChanged.connect(self._on_dsp_input)
        self.gate_mode.currentTextChanged.connect(self._on_dsp_input)
        self.bypass.toggled.connect(self._on_dsp_input)
        self.volume_slider.valueChanged.connect(self._on_volume)
        self.mute.toggled.connect(self.mute_toggled)
        self.device.activated.connect(self._on_device_activated)
        parties.target_changed.connect(self._on_target)
        self._refresh_labels()

    def dsp_settings(self) -> DspSettings:
        """What the sliders say now."""
        return self._base.with_changes(
            gain=self._gain,
            noise_threshold=int(self.threshold_slider.value()),
            gate_mode=self.gate_mode.currentText(),
            bypass=self.bypass.isChecked(),
        )

    def party_dsp_settings(self) -> tuple[DspSettings, DspSettings | None]:
        """(agent's, customer's) settings; the customer's is None while they are the same."""
        agent, customer = self._party_dsp["agent"], self._party_dsp["customer"]
        return agent, (None if customer == agent else customer)

    def set_devices(self, devices: list[QAudioDevice], current: QAudioDevice | None) -> None:
        """Refill the picker (devices come and go) without emitting `device_chosen`."""
        self.device.blockSignals(True)
        try:
            self.device.clear()
            if not devices:
                self.device.addItem("No audio output", None)
                self.device.setEnabled(False)
                return
            self.device.setEnabled(True)
            for dev in devices:
                self.device.addItem(dev.description(), dev)
            if current is not None and not current.isNull():
                for i, dev in enumerate(devices):
                    if dev.id() == current.id():
                        self.device.setCurrentIndex(i)
                        break
        finally:
            self.device.blockSignals(False)

    def set_output_status(self, text: str) -> None:
        self.output_status.setText(text)
        self.output_status.setToolTip(text)

    def _on_gain_moved(self, steps: int) -> None:
        self._gain = db_to_gain(steps / GAIN_STEPS_PER_DB)
        self._on_dsp_input()

    def _on_dsp_input(self, *_: object) -> None:
        self._refresh_labels()
        shown = self.dsp_settings()
        target = self.parties.target_party()
        for party in ("agent", "customer"):
            if target in (None, party):
                self._party_dsp[party] = shown
            else:  # bypass is for the whole call, whoever the sliders set
                self._party_dsp[party] = self._party_dsp[party].with_changes(bypass=shown.bypass)
        self.dsp_changed.emit(shown)

    def _on_target(self, target: str | None) -> None:
        """Show the chosen party's settings; back to linked, both take what is shown."""
        if target is None:
            self._on_dsp_input()
            return
        s = self._party_dsp[target]
        widgets = (self.gain_slider, self.threshold_slider, self.gate_mode)
        for w in widgets:
            w.blockSignals(True)
        try:
            self._gain = s.gain
            self.gain_slider.setValue(_gain_to_steps(s.gain))
            self.threshold_slider.setValue(min(THRESHOLD_MAX, s.noise_threshold))
            self.gate_mode.setCurrentText(s.gate_mode)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._refresh_labels()

    def _on_volume(self, value: int) -> None:
        self._refresh_labels()
        self.volume_changed.emit(value / 100.0)

    def _on_device_activated(self, index: int) -> None:
        dev = self.device.itemData(index)
        if isinstance(dev, QAudioDevice):
            self.device_chosen.emit(dev)

    def _refresh_labels(self) -> None:
        bypassed = self.bypass.isChecked()
        for w in (self.gain_slider, self.threshold_slider, self.gate_mode):
            w.setEnabled(not bypassed)  # greyed: not in effect; values kept for later
        gain_db = gain_to_db(self._gain) if self._gain > 0 else -math.inf
        threshold = self.threshold_slider.value()
        if bypassed:
            self.gain_label.setText(BYPASSED_GAIN_TEXT)
            self.threshold_label.setText(BYPASSED_GATE_TEXT)
        else:
            self.gain_label.setText(gain_text(gain_db))
            self.threshold_label.setText(threshold_dbfs_text(threshold))
        self.volume_label.setText(f"{self.volume_slider.value()} %")
        for slider, label in (
            (self.gain_slider, self.gain_label),
            (self.threshold_slider, self.threshold_label),
            (self.volume_slider, self.volume_label),
        ):
            if slider.accessibleDescription() != label.text():
                slider.setAccessibleDescription(label.text())

    def _maybe_speak(self, slider: QSlider) -> None:
        if slider.hasFocus():  # the mouse user sees the label; the keyboard user hears it
            self._spoken = slider
            self._speak_timer.start()

    def _speak(self) -> None:
        slider = self._spoken
        if slider is not None:
            self.value_spoken.emit(f"{slider.accessibleName()} {slider.accessibleDescription()}")
        self.volume_label.setText(f"{self.volume_slider.value()} %")


def _gain_to_steps(gain: float) -> int:
    db = gain_to_db(gain) if gain > 0 else GAIN_DB_MIN
    return round(min(GAIN_DB_MAX, max(GAIN_DB_MIN, db)) * GAIN_STEPS_PER_DB)
