"""The narrow door through which widgets read a live call: rings, level, chart rows, state.

The window reads it on a ~30 fps timer (Friture's pattern); the session writes the
rings as audio flows. The real session and the UI tests' fake both satisfy it, and
mypy checks both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.ring_buffer import RecordRing, RingBuffer
from cxone_desktop.core.state_machine import CallState
from cxone_desktop.session.observer import SessionObserver
from cxone_desktop.session.session_result import SessionResult


class LiveView(Protocol):
    """What a live call shows: the last seconds of audio, the level, the chart rows, the state."""

    @property
    def raw_wave(self) -> RingBuffer:
        """The last seconds of received audio (float32 samples)."""
        ...

    @property
    def processed_wave(self) -> RingBuffer:
        """The last seconds of played audio (float32 samples)."""
        ...

    @property
    def level_dbfs(self) -> float:
        """Level of the last played frame, dBFS (-inf when silent)."""
        ...

    @property
    def chart_rows(self) -> RecordRing:
        """Metrics rows for the live charts (PER_SECOND_COLUMNS, 4 a second)."""
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

    def set_dsp(self, settings: DspSettings) -> None: ...

    async def run(self) -> SessionResult:
        """Until the call ends, the user stops, or it fails; never raises for call errors."""
        ...

    async def stop(self) -> None: ...

    def checkpoint(self) -> dict[str, Any]:
        """Files pushed to disk now; the summary so far (for a live export)."""
        ...
