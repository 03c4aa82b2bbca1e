"""What happens to the call next, decided from facts alone: end, stop, wait or reconnect.

The session gathers the facts (the close, control events, the call-state endpoint,
the user's stop) and awaits; these functions only decide, so every branch is tested
without a socket.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.cxone.call_state import CallStatus
from cxone_desktop.cxone.control_event import ControlKind
from cxone_desktop.cxone.voice_stream import CloseKind, StreamEnd


@dataclass
class CallFacts:
    """What the session knows about the call besides its socket. Written only by the session."""

    #: Why the user (or `--duration`) stopped the call; None while nobody asked.
    stop_reason: str | None = None
    #: The server said the call is over (a control event or the call-state endpoint).
    ended: bool = False
    #: The server said the call went on hold since the current connection opened.
    on_hold: bool = False

    def note_control(self, kind: ControlKind) -> None:
        if kind is ControlKind.ENDED:
            self.ended = True
        elif kind is ControlKind.HOLD:
            self.on_hold = True
        elif kind is ControlKind.RESUMED:
            self.on_hold = False

    def note_status(self, status: CallStatus | None) -> None:
        if status == "ended":
            self.ended = True

    def note_connected(self) -> None:
        self.on_hold = False

    @property
    def needs_call_state(self) -> bool:
        """A close is ambiguous unless the user stopped or the server already said it ended."""
        return self.stop_reason is None and not self.ended


class NextStep(enum.Enum):
    STOP = "stop"  # the user asked: finalize as "stopped"
    END = "end"  # the call is over: finalize as "ended"
    RECONNECT = "reconnect"  # the call goes on: open a new connection
    WAIT = "wait"  # on hold: ask again later, spending no retry


@dataclass(frozen=True)
class Decision:
    step: NextStep
    why: str
    #: The close was abnormal (no close frame, or a code other than 1000/1001): report it.
    abnormal: bool = False
    #: The connection closed because the call went on hold (a pause, not lost audio).
    on_hold: bool = False


def after_close(facts: CallFacts, end: StreamEnd, status: CallStatus | None) -> Decision:
    """The socket closed (`end`); `status` is the call-state endpoint's word, if it answered."""
    if facts.stop_reason is not None:
        return Decision(NextStep.STOP, facts.stop_reason)
    if facts.ended or status == "ended":
        return Decision(NextStep.END, "call ended")
    on_hold = facts.on_hold or status == "on_hold"
    if on_hold:
        return Decision(NextStep.RECONNECT, "call on hold", abnormal=not end.normal, on_hold=True)
    if end.kind is CloseKind.NORMAL:  # 1000: the server finished the stream
        return Decision(NextStep.END, f"the server closed the stream ({end.shown_code})")
    if end.kind is CloseKind.GOING_AWAY:  # a restart or a proxy: the call may well go on
        return Decision(NextStep.RECONNECT, "the server is going away (1001)")
    why = f"connection dropped ({end.code or 'no close frame'})"
    return Decision(NextStep.RECONNECT, why, abnormal=True)


def before_attempt(facts: CallFacts, status: CallStatus | None) -> Decision:
    """Before each reconnect attempt: try now, wait out a hold, or give up on an ended call."""
    if facts.stop_reason is not None:
        return Decision(NextStep.STOP, facts.stop_reason)
    if facts.ended or status == "ended":
        return Decision(NextStep.END, "call ended")
    if status == "on_hold":
        return Decision(NextStep.WAIT, "call on hold")
    return Decision(NextStep.RECONNECT, "reconnecting")


def final_states(state: CallState, outcome: str) -> list[CallState]:
    """The transitions that end a session from `state`: a live stream is closed through
    DISCONNECTING (so is a reconnect the user stopped); a spent or ended reconnect has
    nothing to close and goes straight to TERMINATED."""
    steps: list[CallState] = []
    if state is CallState.STREAMING or (state is CallState.RECONNECTING and outcome == "stopped"):
        steps.append(CallState.DISCONNECTING)
    if state is not CallState.TERMINATED:
        steps.append(CallState.TERMINATED)
    return steps
