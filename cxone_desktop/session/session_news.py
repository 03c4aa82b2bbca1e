"""Where a session's news goes: events.jsonl (when recording) and the observers.

One place for "something happened", so the pipeline, the call logic and the
state machine report the same way, and an observer bug never stops a call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.core.state_machine import Transition
from cxone_desktop.errors import CXoneError
from cxone_desktop.session.error_tally import ErrorTally, worth_writing
from cxone_desktop.session.observer import SessionObserver
from cxone_desktop.session.recorder import SessionRecorder
from cxone_desktop.session.summary import transition_record

log = logging.getLogger(__name__)


class SessionNews:
    """Fans events, errors, transitions and metrics out to events.jsonl and observers."""

    def __init__(self) -> None:
        self.observers: list[SessionObserver] = []
        #: Set once the session folder exists; None while not recording.
        self.recorder: SessionRecorder | None = None
        #: Every error so far, repeats collapsed (summary.json's `errors`).
        self.tally = ErrorTally()

    def event(self, kind: str, **fields: Any) -> None:
        if self.recorder is not None:
            self.recorder.event(kind, **fields)
        event = {"kind": kind, **fields}
        self._tell(lambda o: o.on_event(event))

    @property
    def errors(self) -> list[str]:
        """Every distinct error so far as "Type: message", with "(×N)" when repeated."""
        return self.tally.lines()

    def error(self, err: CXoneError) -> None:
        name = type(err).__name__
        count = self.tally.add(name, err.message)
        if worth_writing(count):  # the 1st, 2nd, 4th…: a storm leaves a short trail
            log.info("%s: %s", name, err.message)
            if self.recorder is not None:
                said = {"count": count} if count > 1 else {}
                self.recorder.event("error", type=name, message=err.message, **said)
        self._tell(lambda o: o.on_error(err))

    def transition(self, t: Transition) -> None:
        log.info(
            "call state %s → %s (%s)", t.previous and t.previous.value, t.state.value, t.reason
        )
        if self.recorder is not None:
            record = transition_record(t)
            del record["wall_time"], record["monotonic_s"]  # the event line has its own time
            self.recorder.event("state", **record)
        self._tell(lambda o: o.on_state(t))

    def metrics(self, snap: MetricsSnapshot) -> None:
        self._tell(lambda o: o.on_metrics(snap))

    def _tell(self, call: Callable[[SessionObserver], None]) -> None:
        for obs in list(self.observers):
            try:
                call(obs)
            except Exception:  # an observer bug must not kill the call
                log.exception("session observer %s failed", type(obs).__name__)
