"""What one display tick draws of a live call: the waveform lanes, meters, talk strip, charts.

Reads the session's rings (`LiveView`) and redraws only what changed: the waveform when
samples were played, the charts when a metrics row came. It also tells the controls
once a call has said whether its parties come apart (Mixed only, or every mode).
"""

from __future__ import annotations

import numpy as np

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.session.live_view import LiveView
from cxone_desktop.ui.metrics_view import MetricsView
from cxone_desktop.ui.party_controls import PartyControls
from cxone_desktop.ui.waveform_view import WaveformView


class LiveDisplay:
    """The window's live parts, refreshed from a `LiveView` on the display timer."""

    def __init__(self, waveform: WaveformView, metrics: MetricsView, parties: PartyControls):
        self.waveform = waveform
        self.metrics = metrics
        self.parties = parties
        self._shown_wave: tuple[bool, int] | None = None
        self._shown_parties: int | None = None

    def new_call(self) -> None:
        """A call starts: everything is drawn afresh, and it will say its parties again."""
        self._shown_wave = None
        self._shown_parties = None

    def refresh(self, live: LiveView, *, running: bool) -> None:
        waveform = self.waveform
        parties = live.parties
        if parties != waveform.parties:
            waveform.set_parties(parties)
        if live.state is CallState.STREAMING and parties != self._shown_parties:
            self._shown_parties = parties  # the call has said whether its parties come apart
            self.parties.set_parties(parties)
        raw = waveform.show_raw.isChecked()
        ring = live.raw_wave if raw else live.processed_wave
        shown = (raw, ring.total_written)
        if shown != self._shown_wave:
            self._shown_wave = shown
            waveform.refresh(ring, live.level_dbfs, live.party_levels_dbfs)
            talk = live.talk_ring
            if talk is not None:
                waveform.refresh_talk(talk.data(), talk.total_written, live.talk_totals)
        elif not running:
            for meter in (waveform.level_meter, waveform.agent_meter, waveform.customer_meter):
                meter.set_level(-np.inf)
        self.metrics.refresh(live.chart_rows)
