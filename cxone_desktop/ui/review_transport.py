"""The review player's controls: play, time, speed, what to show and hear, loop, skip, per party.

Only widgets and signals; the review window wires them to the player and the
timeline. Buttons take no keyboard focus so Space and the arrows stay the
window's shortcuts. Two rows — how it plays (play, time, speed, loop, skip) and what
is shown and heard (recording, per-party volume) — so a stereo call's controls fit
a 1024-pixel-wide screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.review.session_reader import PARTIES, PROCESSED, RAW
from cxone_desktop.review.speed_log import SPEEDS
from cxone_desktop.ui.annotation_panel import clock_range

VIEW_CHOICES = (("Processed (what was heard)", PROCESSED), ("Raw (as received)", RAW),
                ("Both, side by side", "both"))  # fmt: skip


class ReviewTransport(QWidget):
    play_toggled = Signal()
    speed_chosen = Signal(float)
    view_chosen = Signal(str)
    track_chosen = Signal(str)
    loop_toggled = Signal(bool)
    skip_changed = Signal(object)  # minimum silence in seconds, or None
    party_gain_changed = Signal(int, float)
    party_muted = Signal(int, bool)

    def __init__(self, tracks: list[str], stereo: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = QPushButton("▶ Play")
        self.play_button.setObjectName("play_button")
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.play_toggled)
        self.time_label = QLabel("0:00.0")
        self.time_label.setObjectName("time_label")
        self.time_label.setMinimumWidth(140)
        self.speed = QComboBox()
        self.speed.setObjectName("speed_choice")
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed.setToolTip("Playback speed, pitch kept (< slower, > faster)")
        self.speed.setAccessibleName("Playback speed")
        for value in SPEEDS:
            self.speed.addItem(f"{value:g}×", value)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(
            lambda _i: self.speed_chosen.emit(float(self.speed.currentData()))
        )
        self.view = QComboBox()
        self.view.setObjectName("view_choice")
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for text, value in VIEW_CHOICES:
            if (value == "both" and len(tracks) < 2) or value not in ("both", *tracks):
                continue
            self.view.addItem(text, value)
        self.view.currentIndexChanged.connect(
            lambda _i: self.view_chosen.emit(self.view.currentData())
        )
        self.track = QComboBox()
        self.track.setObjectName("play_choice")
        self.track.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for name in tracks:
            self.track.addItem(f"Play {name}.wav", name)
        self.track.currentIndexChanged.connect(
            lambda _i: self.track_chosen.emit(self.track.currentData())
        )
        self.loop = QCheckBox("Loop selection")
        self.loop.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.loop.setToolTip("A–B loop over the selection (Shift+drag, or [ and ] at the playhead)")
        self.loop.toggled.connect(self.loop_toggled)
        self.skip = QCheckBox("Skip silences over")
        self.skip.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.skip_s = QDoubleSpinBox()
        self.skip_s.setRange(0.5, 60.0)
        self.skip_s.setValue(2.0)
        self.skip_s.setSuffix(" s")
        self.skip_s.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.skip.toggled.connect(self._skip_changed)
        self.skip_s.valueChanged.connect(self._skip_changed)
        self.status = QLabel("")
        self.status.setObjectName("player_status")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color:#64748b")
        self.status.hide()
        speed_label = QLabel("Speed")
        play_row = QHBoxLayout()
        for w in (self.play_button, self.time_label, speed_label, self.speed, self.loop,
                  self.skip, self.skip_s):  # fmt: skip
            play_row.addWidget(w)
        play_row.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.view)
        row.addWidget(self.track)
        self.volumes: list[QSlider] = []
        self.mutes: list[QCheckBox] = []
        parties = PARTIES if stereo else ("volume",)
        for ch, name in enumerate(parties):
            label = QLabel(name)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setObjectName(f"volume_{name}")
            slider.setRange(0, 200)
            slider.setValue(100)
            slider.setMaximumWidth(110)
            slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            slider.setToolTip(f"{name}: 0–200 %")
            slider.valueChanged.connect(lambda v, c=ch: self.party_gain_changed.emit(c, v / 100))
            mute = QCheckBox("mute")
            mute.setObjectName(f"mute_{name}")
            mute.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            mute.toggled.connect(lambda m, c=ch: self.party_muted.emit(c, m))
            row.addWidget(label)
            row.addWidget(slider)
            row.addWidget(mute)
            self.volumes.append(slider)
            self.mutes.append(mute)
        row.addStretch(1)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addLayout(play_row)
        col.addLayout(row)
        col.addWidget(self.status)

    def show_status(self, text: str) -> None:
        """The player's word on where its sound goes (hidden while there is none)."""
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def show_time(self, t: float, duration: float) -> None:
        self.time_label.setText(f"{clock_range(t, None)} / {clock_range(duration, None)}")

    def show_speed(self, speed: float) -> None:
        """Follow the player (the keys change its speed too) without echoing it back."""
        index = self.speed.findData(speed)
        if index >= 0 and index != self.speed.currentIndex():
            self.speed.blockSignals(True)
            self.speed.setCurrentIndex(index)
            self.speed.blockSignals(False)

    def show_playing(self, playing: bool) -> None:
        self.play_button.setText("⏸ Pause" if playing else "▶ Play")

    def _skip_changed(self, *_: object) -> None:
        self.skip_changed.emit(self.skip_s.value() if self.skip.isChecked() else None)
