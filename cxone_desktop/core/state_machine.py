"""The call's lifecycle as a transition table, with timestamped history.

    IDLE → CONNECTING → STREAMING → DISCONNECTING → TERMINATED
    CONNECTING → TERMINATED;  STREAMING → TERMINATED
    STREAMING → RECONNECTING → STREAMING | DISCONNECTING | TERMINATED

Clocks are injected so tests and replays control time.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cxone_desktop.errors import InvalidTransition

log = logging.getLogger(__name__)


class CallState(enum.Enum):
    IDLE = "IDLE"
    CONNECTING = "CONNECTING"
    STREAMING = "STREAMING"
    RECONNECTING = "RECONNECTING"
    DISCONNECTING = "DISCONNECTING"
    TERMINATED = "TERMINATED"


ALLOWED: Mapping[CallState, frozenset[CallState]] = MappingProxyType(
    {
        CallState.IDLE: frozenset({CallState.CONNECTING}),
        CallState.CONNECTING: frozenset({CallState.STREAMING, CallState.TERMINATED}),
        CallState.STREAMING: frozenset(
            {CallState.DISCONNECTING, CallState.TERMINATED, CallState.RECONNECTING}
        ),
        CallState.RECONNECTING: frozenset(
            {CallState.STREAMING, CallState.TERMINATED, CallState.DISCONNECTING}
        ),
        CallState.DISCONNECTING: frozenset({CallState.TERMINATED}),
        CallState.TERMINATED: frozenset(),
    }
)


@dataclass(frozen=True)
class Transition:
    """One entry of the history: entering `state` from `previous` (None for the initial IDLE)."""

    previous: CallState | None
    state: CallState
    monotonic_s: float
    wall_time: float
    reason: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for summaries and event logs."""
        return {
            "previous": None if self.previous is None else self.previous.value,
            "state": self.state.value,
            "monotonic_s": self.monotonic_s,
            "wall_time": self.wall_time,
            "reason": self.reason,
        }


Listener = Callable[[Transition], None]


class CallStateMachine:
    """Holds the call state; refuses transitions outside the table.

    Not thread-safe (the session drives it from one event loop). Listeners run after
    the history is updated, so a listener may itself call `transition`. A listener
    that raises is logged and skipped.
    """

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        first = Transition(None, CallState.IDLE, monotonic(), wall(), "created")
        self._history: list[Transition] = [first]
        self._listeners: list[Listener] = []

    @property
    def state(self) -> CallState:
        return self._history[-1].state

    @property
    def history(self) -> list[Transition]:
        """Every transition so far, oldest first (a copy)."""
        return list(self._history)

    @property
    def terminal(self) -> bool:
        return self.state is CallState.TERMINATED

    def can_transition(self, to: CallState) -> bool:
        return to in ALLOWED[self.state]

    def transition(self, to: CallState, reason: str = "") -> Transition:
        """Enter `to`, record it and tell listeners; raise InvalidTransition (changing nothing)."""
        current = self._history[-1].state
        if to not in ALLOWED[current]:
            raise InvalidTransition(
                f"The call cannot go from {current.value} to {to.value}"
                + (f" ({reason})" if reason else "")
            )
        entry = Transition(current, to, self._monotonic(), self._wall(), reason)
        self._history.append(entry)
        listeners = tuple(self._listeners)
        for listener in listeners:
            try:
                listener(entry)
            except Exception:
                log.exception("call state listener failed on %s", to.value)
        return entry

    def add_listener(self, cb: Listener) -> None:
        self._listeners.append(cb)

    def remove_listener(self, cb: Listener) -> None:
        """Forget `cb`; unknown listeners are ignored."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(cb)

    def time_in_state(self) -> float:
        """Seconds since the current state was entered (by the injected monotonic clock)."""
        return self._monotonic() - self._history[-1].monotonic_s
