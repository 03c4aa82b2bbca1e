"""Every branch of what happens to the call after a close, without a socket."""

from __future__ import annotations

import pytest

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.cxone.control_event import ControlKind
from cxone_desktop.cxone.voice_stream import StreamEnd
from cxone_desktop.session.call_decision import (
    CallFacts,
    NextStep,
    after_close,
    before_attempt,
    final_states,
)

DROP = StreamEnd(code=None, reason="")
NORMAL = StreamEnd(code=1000, reason="bye")
GOING_AWAY = StreamEnd(code=1001, reason="restart")
POLICY = StreamEnd(code=1008, reason="policy")


def test_a_stop_wins_over_everything() -> None:
    facts = CallFacts(stop_reason="--duration 5 s reached", ended=True, on_hold=True)
    decision = after_close(facts, DROP, "ended")
    assert decision.step is NextStep.STOP and decision.why == "--duration 5 s reached"


@pytest.mark.parametrize("end", [DROP, NORMAL, POLICY])
def test_an_ended_call_ends_whatever_the_close(end: StreamEnd) -> None:
    facts = CallFacts()
    facts.note_control(ControlKind.ENDED)
    assert after_close(facts, end, None).step is NextStep.END
    assert after_close(CallFacts(), end, "ended").step is NextStep.END


@pytest.mark.parametrize("end", [NORMAL, GOING_AWAY])
def test_a_normal_close_on_hold_reconnects_after_the_hold(end: StreamEnd) -> None:
    held = CallFacts()
    held.note_control(ControlKind.HOLD)
    decision = after_close(held, end, "active")
    assert decision.step is NextStep.RECONNECT and decision.why == "call on hold"
    assert decision.on_hold and not decision.abnormal
    assert after_close(CallFacts(), end, "on_hold").on_hold


def test_1000_ends_the_call_but_1001_going_away_does_not_unless_the_call_ended() -> None:
    assert after_close(CallFacts(), NORMAL, "active").step is NextStep.END
    going = after_close(CallFacts(), GOING_AWAY, "active")
    assert going.step is NextStep.RECONNECT and not going.abnormal and "1001" in going.why
    assert after_close(CallFacts(), GOING_AWAY, None).step is NextStep.RECONNECT
    assert after_close(CallFacts(), GOING_AWAY, "ended").step is NextStep.END


@pytest.mark.parametrize(("end", "status"), [(DROP, "active"), (DROP, None), (POLICY, "unknown")])
def test_an_abnormal_close_of_a_live_call_reconnects_and_is_reported(end, status) -> None:
    decision = after_close(CallFacts(), end, status)
    assert decision.step is NextStep.RECONNECT and decision.abnormal
    assert "connection dropped" in decision.why


def test_resume_and_a_new_connection_clear_the_hold() -> None:
    facts = CallFacts()
    facts.note_control(ControlKind.HOLD)
    facts.note_control(ControlKind.RESUMED)
    assert after_close(facts, NORMAL, "active").step is NextStep.END
    facts.note_control(ControlKind.HOLD)
    facts.note_connected()
    assert not facts.on_hold


def test_the_call_state_is_needed_only_while_the_close_is_ambiguous() -> None:
    assert CallFacts().needs_call_state
    assert not CallFacts(stop_reason="user").needs_call_state
    ended = CallFacts()
    ended.note_status("ended")
    assert not ended.needs_call_state


@pytest.mark.parametrize(
    ("status", "step"),
    [("active", NextStep.RECONNECT), (None, NextStep.RECONNECT), ("unknown", NextStep.RECONNECT),
     ("on_hold", NextStep.WAIT), ("ended", NextStep.END)],
)  # fmt: skip
def test_before_each_attempt_hold_waits_and_an_ended_call_gives_up(status, step) -> None:
    assert before_attempt(CallFacts(), status).step is step
    assert before_attempt(CallFacts(stop_reason="user"), status).step is NextStep.STOP


@pytest.mark.parametrize(
    ("state", "outcome", "steps"),
    [
        (CallState.STREAMING, "ended", [CallState.DISCONNECTING, CallState.TERMINATED]),
        (CallState.STREAMING, "failed", [CallState.DISCONNECTING, CallState.TERMINATED]),
        (CallState.RECONNECTING, "stopped", [CallState.DISCONNECTING, CallState.TERMINATED]),
        (CallState.RECONNECTING, "stream_failed", [CallState.TERMINATED]),
        (CallState.CONNECTING, "auth_failed", [CallState.TERMINATED]),
        (CallState.TERMINATED, "ended", []),
    ],
)
def test_a_session_ends_through_disconnecting_only_when_there_is_a_stream_to_close(
    state: CallState, outcome: str, steps: list[CallState]
) -> None:
    assert final_states(state, outcome) == steps
