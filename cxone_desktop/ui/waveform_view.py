"""The scrolling waveform of the last ~5 s, as a min/max envelope, beside a level meter.

The plot (axes, grid, party names) is created once and, while a call plays, left
alone; `refresh` gives the traces laid over its data area (`LiveTraces`) a new envelope
(a [min, max] pair for each of 1,000 columns), so a tick costs the same whatever the
sample rate. The envelope is kept up to date column by column from the session's
sample ring (`ScrollingEnvelope`), not recomputed from all of it, and painted as one
image at the screen's resolution (`EnvelopeImage`). Samples are int16-scaled floats;
shown as full scale ±1.

A two-party call (`set_parties(2)`) is drawn as two lanes, agent above and customer
below (their names are the left axis' two ticks, painted once), with the talk strip
between them and, beside each lane, the party's level meter and its mute (M) and solo
(S) buttons (what you hear only: the recording keeps both parties). One envelope of
800 columns per lane, in the party's colour (the strip's too).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.core.listen_mode import PartyAudibility
from cxone_desktop.core.talk_state import TalkTotals
from cxone_desktop.session.pipeline import WAVE_SECONDS
from cxone_desktop.ui.code_strip import CodeStrip
from cxone_desktop.ui.envelope import SampleHistory, ScrollingEnvelope
from cxone_desktop.ui.envelope_image import EnvelopeImage
from cxone_desktop.ui.level_meter import LevelMeter
from cxone_desktop.ui.live_traces import LiveTraces
from cxone_desktop.ui.talk_strip import COLOURS as TALK_COLOURS
from cxone_desktop.ui.talk_strip import TalkStrip

COLUMNS = 1000
#: Each of two lanes gets fewer columns: the plot is no wider and each lane half as tall;
#: 800 is still more than a column a pixel in a 1280-wide window (fewer leave gaps).
LANE_COLUMNS = 800
FULL_SCALE = 32768.0
PROCESSED_TITLE = "Waveform, last 5 s — what you hear"
RAW_TITLE = "Waveform, last 5 s — as received (raw)"
PROCESSED_DESCRIPTION = (
    "The last 5 seconds of what you hear, after the jitter buffer, gain and noise gate; "
    "the output level beside it says how loud"
)
RAW_DESCRIPTION = "The last 5 seconds of the audio as received, before any processing"
PARTIES_DESCRIPTION = (
    " Two lanes: the agent above, the customer below, with who talks between them."
)
#: Lane centres (full scale ±1 each) and the talk strip's half height, in plot units.
AGENT_Y, CUSTOMER_Y, STRIP_HALF = 1.22, -1.22, 0.14
ONE_LANE_TICKS = [[(-1.0, "-1"), (0.0, "0"), (1.0, "1")]]
AGENT_COLOUR = "#38bdf8"  # the one-lane colour too
CUSTOMER_COLOUR = "#facc15"
TWO_LANE_TICKS = [[(AGENT_Y, "Agent"), (CUSTOMER_Y, "Customer")]]
_TWO_LANE_CENTRES = np.array([[AGENT_Y], [CUSTOMER_Y]], dtype=np.float32)


class WaveformView(QWidget):
    """Processed (or raw, by choice) waveform and the output level."""

    #: Per-party mute and solo changed (PartyAudibility).
    audibility_changed = Signal(object)

    def __init__(self, rate_hz: int = 8000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rate_hz = rate_hz
        self._window = int(WAVE_SECONDS * rate_hz) // COLUMNS * COLUMNS
        self._envelope = ScrollingEnvelope(self._window, COLUMNS, 1)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("waveform_plot")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        # A picture, not a control: no Tab stop; named and described for screen readers.
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot.viewport().setFocusPolicy(Qt.FocusPolicy.NoFocus)  # it proxies to the view
        self.plot.setAccessibleName("Waveform")
        self.plot.setAccessibleDescription(PROCESSED_DESCRIPTION)
        # Enough for the ±1 ticks and the axis in this font; the layout gives the rest.
        self.plot.setMinimumHeight(self.fontMetrics().height() * 6)
        item = self.plot.getPlotItem()
        item.setXRange(-WAVE_SECONDS, 0.0, padding=0)
        item.setYRange(-1.08, 1.08, padding=0)
        item.disableAutoRange()
        item.showGrid(x=True, y=False, alpha=0.2)
        # No "seconds" axis title: the heading says it, and small screens need the line.
        item.getAxis("left").setTicks(ONE_LANE_TICKS)
        self.lanes = EnvelopeImage((AGENT_COLOUR, CUSTOMER_COLOUR), [_lane_bounds(0.0)])
        flat = np.zeros((1, 2 * COLUMNS), dtype=np.float32)  # until audio comes
        self.lanes.set_columns(-WAVE_SECONDS, self._envelope.column_samples / rate_hz, flat)
        strip = CodeStrip(
            QRectF(-WAVE_SECONDS, -STRIP_HALF, WAVE_SECONDS, 2 * STRIP_HALF),
            round(WAVE_SECONDS / 0.02),
            TALK_COLOURS,
        )
        self.traces = LiveTraces(self.plot, self.lanes, strip)
        self._item = item
        self._parties = 1
        self.talk = TalkStrip(self.traces)
        self.level_meter = LevelMeter()
        self.agent_meter = LevelMeter(name="Agent level", tooltip="Level of the agent (dBFS)")
        self.customer_meter = LevelMeter(
            name="Customer level", tooltip="Level of the customer (dBFS)"
        )
        self.mute_agent = _party_button("M", "Mute agent")
        self.solo_agent = _party_button("S", "Solo agent")
        self.mute_customer = _party_button("M", "Mute customer")
        self.solo_customer = _party_button("S", "Solo customer")
        self._party_buttons = (
            self.mute_agent, self.solo_agent, self.mute_customer, self.solo_customer,
        )  # fmt: skip
        for button in self._party_buttons:
            button.toggled.connect(lambda _on: self.audibility_changed.emit(self.audibility()))
        self._party_widgets = (self.agent_meter, self.customer_meter, *self._party_buttons)
        for widget in self._party_widgets:
            widget.setVisible(False)
        self.show_raw = QCheckBox("Show received (&raw) audio")
        self.show_raw.setToolTip(
            "Off: what you hear, after jitter buffer and DSP. On: as received."
        )
        self._title = QLabel(PROCESSED_TITLE)
        self.show_raw.toggled.connect(self._on_raw_toggled)
        head = QHBoxLayout()
        head.addWidget(self._title)
        head.addStretch(1)
        head.addWidget(self.show_raw)
        body = QHBoxLayout()
        body.addWidget(self.plot, 1)
        party_meters = QVBoxLayout()
        party_meters.setContentsMargins(0, 0, 0, 0)
        for mute, solo, meter in (
            (self.mute_agent, self.solo_agent, self.agent_meter),
            (self.mute_customer, self.solo_customer, self.customer_meter),
        ):
            strip = QHBoxLayout()
            strip.setSpacing(2)
            buttons = QVBoxLayout()
            buttons.setSpacing(2)
            buttons.addWidget(mute)
            buttons.addWidget(solo)
            buttons.addStretch(1)
            strip.addLayout(buttons)
            strip.addWidget(meter)
            party_meters.addLayout(strip)
        body.addLayout(party_meters)
        body.addWidget(self.level_meter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addLayout(body, 1)
        layout.addWidget(self.talk.label)

    @property
    def parties(self) -> int:
        return self._parties

    def set_parties(self, parties: int) -> None:
        """One lane (a mono call), or two (agent above, customer below) with the talk strip."""
        if parties == self._parties:
            return
        self._parties = parties
        two = parties == 2
        span = AGENT_Y + 1.08 if two else 1.08
        self._item.setYRange(-span, span, padding=0)
        self._item.getAxis("left").setTicks(TWO_LANE_TICKS if two else ONE_LANE_TICKS)
        for widget in self._party_widgets:
            widget.setVisible(two)
        centres = (AGENT_Y, CUSTOMER_Y) if two else (0.0,)
        self.lanes.set_bounds([_lane_bounds(c) for c in centres])
        self.talk.set_visible(two)
        self._describe()
        columns = LANE_COLUMNS if two else COLUMNS
        self._envelope = ScrollingEnvelope(self._window, columns, parties)
        flat = np.zeros((len(centres), 2 * columns), dtype=np.float32)  # until audio comes
        flat += np.array(centres, dtype=np.float32)[:, None]
        self.lanes.set_columns(-WAVE_SECONDS, self._envelope.column_samples / self._rate_hz, flat)
        self.traces.resync_soon()  # new ticks (the party names) and range

    def audibility(self) -> PartyAudibility:
        """Who is heard: the lanes' mute and solo buttons."""
        return PartyAudibility(
            agent_muted=self.mute_agent.isChecked(),
            customer_muted=self.mute_customer.isChecked(),
            agent_solo=self.solo_agent.isChecked(),
            customer_solo=self.solo_customer.isChecked(),
        )

    def refresh(
        self,
        history: SampleHistory,
        level_dbfs: float,
        party_levels_dbfs: tuple[float, float] | None = None,
    ) -> None:
        """One display tick: redraw the envelope of the newest samples in `history` (the
        ring `show_raw` picks; interleaved agent, customer when there are two lanes)."""
        envelope = self._envelope
        env = envelope.update(history)
        width_s = envelope.column_samples / self._rate_hz
        x0 = -envelope.columns * width_s - envelope.lag_samples / self._rate_hz
        shown = env * np.float32(1.0 / FULL_SCALE)
        if self._parties == 2:
            shown += _TWO_LANE_CENTRES
        self.lanes.set_columns(x0, width_s, shown)
        self.traces.update()
        self.level_meter.set_level(level_dbfs)
        if party_levels_dbfs is not None and self._parties == 2:
            self.agent_meter.set_level(party_levels_dbfs[0])
            self.customer_meter.set_level(party_levels_dbfs[1])

    def refresh_talk(self, codes: np.ndarray, written: int, totals: TalkTotals | None) -> None:
        """The talk strip and its figures (two lanes only)."""
        if self._parties == 2:
            self.talk.refresh(codes, written, totals)

    def displayed(self) -> np.ndarray:
        """The envelope currently drawn (full scale ±1), for tests and screenshots; with two
        lanes, the agent's then the customer's, each about its lane's centre."""
        shown = self.lanes.pairs()
        if self._parties != 2:
            return shown[0]
        return (shown - _TWO_LANE_CENTRES).reshape(-1)

    def _on_raw_toggled(self, raw: bool) -> None:
        self._title.setText(RAW_TITLE if raw else PROCESSED_TITLE)
        self._describe()

    def _describe(self) -> None:
        raw = self.show_raw.isChecked()
        text = RAW_DESCRIPTION if raw else PROCESSED_DESCRIPTION
        self.plot.setAccessibleDescription(
            text + (PARTIES_DESCRIPTION if self._parties == 2 else "")
        )


def _lane_bounds(centre: float) -> QRectF:
    """A lane: the last WAVE_SECONDS, full scale ±1 about `centre`."""
    return QRectF(-WAVE_SECONDS, centre - 1.0, WAVE_SECONDS, 2.0)


def _party_button(text: str, name: str) -> QToolButton:
    """A small checkable M or S beside a lane, named in full for screen readers."""
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    button.setObjectName(name.lower().replace(" ", "_"))
    button.setAccessibleName(name)
    what = "Hear only this party" if text == "S" else "Silence this party"
    button.setToolTip(f"{name}: {what} — what you hear only; the recording keeps both parties")
    return button
