"""What the UI (or the `record` command) hears from a session, on the session's thread."""

from __future__ import annotations

from typing import Any

from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.core.state_machine import Transition
from cxone_desktop.errors import CXoneError

#: One events.jsonl record as observers see it: `{"kind": …, …fields}`.
SessionEvent = dict[str, Any]


class SessionObserver:
    """Subclass and override what you need; every method does nothing by default.

    Called on the session's event-loop thread (under qasync, the Qt thread), so an
    observer may touch widgets. An observer that raises is logged and skipped.
    """

    def on_state(self, transition: Transition) -> None:
        """The call's state machine moved."""

    def on_error(self, error: CXoneError) -> None:
        """Something went wrong; the session says whether it carries on by what follows."""

    def on_event(self, event: SessionEvent) -> None:
        """A line written to events.jsonl (retries, control messages, slider changes…)."""

    def on_metrics(self, snapshot: MetricsSnapshot) -> None:
        """Once a second: the stream's figures."""
