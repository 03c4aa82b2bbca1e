"""The narrow door through which widgets read a live call: rings, level, chart rows, state.

The window reads it on a 20 fps timer (Friture's pattern); the session writes the
rings as audio flows. The real session and the UI tests' fake both satisfy it, and
mypy checks both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.listen_mode import ListenMode, PartyAudibility
from cxone_desktop.core.ring_buffer import RecordRing, RingBuffer
from cxone_desktop.core.state_machine import CallState, CallStateMachine
from cxone_desktop.core.talk_state import TalkTotals
from cxone_desktop.session.observer import SessionObserver
from cxone_desktop.session.pipeline import Pipeline
from cxone_desktop.session.session_result import SessionResult


class LiveView(Protocol):
    """What a live call shows: the last seconds of audio, the level, the chart rows, the state."""

    @property
    def raw_wave(self) -> RingBuffer:
        """The last seconds of received audio (float32 samples; interleaved agent, customer
        when `parties` is 2)."""
        ...

    @property
    def processed_wave(self) -> RingBuffer:
        """The last seconds of played audio (float32 samples; with two parties, each party
        after its gain and gate, interleaved agent, customer)."""
        ...

    @property
    def parties(self) -> int:
        """2 once the call streams its parties apart, else 1."""
        ...

    @property
    def party_levels_dbfs(self) -> tuple[float, float]:
        """Agent's and customer's last played frame, dBFS (-inf when silent or one party)."""
        ...

    @property
    def talk_ring(self) -> RingBuffer | None:
        """Who talked in each recent 20 ms frame (0 nobody, 1 agent, 2 customer, 3 both)."""
        ...

    @property
    def talk_totals(self) -> TalkTotals | None:
        """Talk share, talk-over and the longest silence so far (two parties only)."""
        ...

    @property
    def listen_mode(self) -> ListenMode: ...

    @property
    def level_dbfs(self) -> float:
        """Level of the last played frame, dBFS (-inf when silent)."""
        ...

    @property
    def chart_rows(self) -> RecordRing:
        """Metrics rows for the live charts (PER_SECOND_COLUMNS, 2 a second)."""
        ...

    @property
    def state(self) -> CallState: ...


class LiveSession(LiveView, Protocol):
    """A call the window can start, steer and stop (the real session, or a test's fake)."""

    @property
    def folder(self) -> Path | None:
        """The session folder once the recorder created it."""
        ...

    def add_observer(self, observer: SessionObserver) -> None: ...

    def set_dsp(self, settings: DspSettings, customer: DspSettings | None = None) -> None:
        """From the next frame; `customer` gives the customer its own gain and gate."""
        ...

    def set_listen_mode(self, mode: ListenMode) -> None: ...

    def set_audible(self, audible: PartyAudibility) -> None: ...

    async def run(self) -> SessionResult:
        """Until the call ends, the user stops, or it fails; never raises for call errors."""
        ...

    async def stop(self) -> None: ...

    def checkpoint(self) -> dict[str, Any]:
        """Files pushed to disk now; the summary so far (for a live export)."""
        ...


class PipelineView:
    """The LiveView face and the listening controls of a call whose audio path is a
    `Pipeline` and whose state is a `CallStateMachine`: the real session's. Not thread-safe.
    """

    pipeline: Pipeline
    state_machine: CallStateMachine
    _clock: Callable[[], float]

    @property
    def raw_wave(self) -> RingBuffer:
        return self.pipeline.raw_wave

    @property
    def processed_wave(self) -> RingBuffer:
        return self.pipeline.processed_wave

    @property
    def level_dbfs(self) -> float:
        return self.pipeline.level_dbfs

    @property
    def chart_rows(self) -> RecordRing:
        return self.pipeline.chart_rows

    @property
    def state(self) -> CallState:
        return self.state_machine.state

    @property
    def dsp_settings(self) -> DspSettings:
        return self.pipeline.dsp_settings

    @property
    def parties(self) -> int:
        """2 once the call streams its parties apart (agent left, customer right), else 1."""
        return 2 if self.pipeline.parties is not None else 1

    @property
    def party_levels_dbfs(self) -> tuple[float, float]:
        return self.pipeline.party_levels_dbfs

    @property
    def talk_ring(self) -> RingBuffer | None:
        return self.pipeline.parties.talk_ring if self.pipeline.parties is not None else None

    @property
    def talk_totals(self) -> TalkTotals | None:
        return self.pipeline.talk_totals

    @property
    def listen_mode(self) -> ListenMode:
        return self.pipeline.listen_mode

    def set_dsp(self, settings: DspSettings, customer: DspSettings | None = None) -> None:
        """Takes effect on the next 20 ms frame; `customer` unlinks the customer's settings."""
        self.pipeline.set_dsp(settings, self._clock(), customer)

    def set_listen_mode(self, mode: ListenMode) -> None:
        """Mixed, both, agent or customer, from the next frame: no reconnect."""
        self.pipeline.set_listen_mode(mode)

    def set_audible(self, audible: PartyAudibility) -> None:
        """Per-party mute and solo on the sound device; the recording keeps both."""
        self.pipeline.set_audible(audible)
