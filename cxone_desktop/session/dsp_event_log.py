"""The "dsp" event in events.jsonl: one for a slider drag, not one per step.

A drag sends a new DspSettings every few milliseconds; logging each would bury the
call's other events. The settings as they stand are logged at most every
DSP_EVENT_INTERVAL_S, and the final value always (`flush` at the end of the call).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from cxone_desktop.core.dsp import DspSettings

#: A slider drag is logged to events.jsonl at most this often (its final value always).
DSP_EVENT_INTERVAL_S = 0.25


class DspEventLog:
    """Throttles "dsp" events; times are passed in (session seconds)."""

    def __init__(self, emit: Callable[..., None], settings: DspSettings) -> None:
        self._emit = emit
        self._settings = settings
        self._customer: DspSettings | None = None
        self._due = False
        self._logged_at_s = -math.inf

    def changed(self, settings: DspSettings, customer: DspSettings | None, now_s: float) -> None:
        """New settings (`customer` None: linked to the agent's); logged now if it is time."""
        self._settings, self._customer = settings, customer
        self._due = True
        self.tick(now_s)

    def tick(self, now_s: float) -> None:
        """Log what changed once the interval since the last line has passed."""
        if self._due and now_s - self._logged_at_s >= DSP_EVENT_INTERVAL_S:
            self._log(now_s)

    def flush(self, now_s: float) -> None:
        """The call is over: log the last change, whenever the last line was."""
        if self._due:
            self._log(now_s)

    def _log(self, now_s: float) -> None:
        self._due = False
        self._logged_at_s = now_s
        s = self._settings
        fields: dict[str, Any] = {
            "gain": s.gain,
            "noise_threshold": s.noise_threshold,
            "gate_mode": s.gate_mode,
            "bypass": s.bypass,
        }
        c = self._customer
        if c is not None and c != s:  # unlinked: the customer's own gain and gate
            fields["customer"] = {
                "gain": c.gain,
                "noise_threshold": c.noise_threshold,
                "gate_mode": c.gate_mode,
            }
        self._emit("dsp", **fields)
