import itertools

import pytest

from cxone_desktop.core.state_machine import ALLOWED, CallState, CallStateMachine, Transition
from cxone_desktop.errors import CXoneError, InvalidTransition

S = CallState
VALID = {
    (S.IDLE, S.CONNECTING),
    (S.CONNECTING, S.STREAMING),
    (S.CONNECTING, S.TERMINATED),
    (S.STREAMING, S.DISCONNECTING),
    (S.STREAMING, S.TERMINATED),
    (S.STREAMING, S.RECONNECTING),
    (S.RECONNECTING, S.STREAMING),
    (S.RECONNECTING, S.TERMINATED),
    (S.RECONNECTING, S.DISCONNECTING),
    (S.DISCONNECTING, S.TERMINATED),
}
# A shortest path from IDLE to each state, to put a machine there.
PATH = {
    S.IDLE: [],
    S.CONNECTING: [S.CONNECTING],
    S.STREAMING: [S.CONNECTING, S.STREAMING],
    S.RECONNECTING: [S.CONNECTING, S.STREAMING, S.RECONNECTING],
    S.DISCONNECTING: [S.CONNECTING, S.STREAMING, S.DISCONNECTING],
    S.TERMINATED: [S.CONNECTING, S.TERMINATED],
}


class FakeClock:
    def __init__(self) -> None:
        self.mono = 100.0
        self.wall = 1_700_000_000.0

    def monotonic(self) -> float:
        return self.mono

    def time(self) -> float:
        return self.wall


def machine_in(state: CallState, clock: FakeClock | None = None) -> CallStateMachine:
    clock = clock or FakeClock()
    m = CallStateMachine(monotonic=clock.monotonic, wall=clock.time)
    for step in PATH[state]:
        m.transition(step)
    return m


def test_state_values_are_their_names() -> None:
    assert [s.value for s in CallState] == [s.name for s in CallState]


def test_table_is_exactly_the_specified_one() -> None:
    assert {(a, b) for a, targets in ALLOWED.items() for b in targets} == VALID


@pytest.mark.parametrize(("src", "dst"), sorted(VALID, key=str))
def test_every_valid_transition_is_taken(src: CallState, dst: CallState) -> None:
    m = machine_in(src)
    assert m.can_transition(dst)
    t = m.transition(dst, "why")
    assert (t.previous, t.state, t.reason) == (src, dst, "why")
    assert m.state is dst


@pytest.mark.parametrize(
    ("src", "dst"),
    [p for p in itertools.product(CallState, CallState) if p not in VALID],
    ids=str,
)
def test_every_invalid_transition_is_refused_and_changes_nothing(
    src: CallState, dst: CallState
) -> None:
    m = machine_in(src)
    before = m.history
    seen: list[Transition] = []
    m.add_listener(seen.append)
    assert not m.can_transition(dst)
    with pytest.raises(InvalidTransition) as err:
        m.transition(dst)
    assert isinstance(err.value, CXoneError)
    assert src.value in str(err.value) and dst.value in str(err.value)
    assert m.state is src and m.history == before and seen == []


def test_history_is_timestamped_and_a_copy() -> None:
    clock = FakeClock()
    m = CallStateMachine(monotonic=clock.monotonic, wall=clock.time)
    clock.mono, clock.wall = 101.5, 1_700_000_001.5
    m.transition(S.CONNECTING, "call abc")
    clock.mono = 103.0
    m.transition(S.STREAMING)
    h = m.history
    assert [t.state for t in h] == [S.IDLE, S.CONNECTING, S.STREAMING]
    assert h[0].previous is None and h[0].monotonic_s == 100.0
    assert (h[1].monotonic_s, h[1].wall_time, h[1].reason) == (101.5, 1_700_000_001.5, "call abc")
    h.clear()
    assert len(m.history) == 3
    assert m.history[2].as_dict()["previous"] == "CONNECTING"


def test_time_in_state_uses_the_injected_clock() -> None:
    clock = FakeClock()
    m = machine_in(S.STREAMING, clock)
    clock.mono += 2.5
    assert m.time_in_state() == pytest.approx(2.5)
    m.transition(S.DISCONNECTING)
    assert m.time_in_state() == 0.0


def test_terminal() -> None:
    m = machine_in(S.DISCONNECTING)
    assert not m.terminal
    m.transition(S.TERMINATED)
    assert m.terminal
    assert not any(m.can_transition(s) for s in CallState)


def test_listeners_are_called_in_order_and_can_be_removed() -> None:
    m = machine_in(S.IDLE)
    calls: list[str] = []
    first = lambda t: calls.append(f"a:{t.state.value}")  # noqa: E731
    m.add_listener(first)
    m.add_listener(lambda t: calls.append(f"b:{t.state.value}"))
    m.transition(S.CONNECTING)
    m.remove_listener(first)
    m.remove_listener(first)  # unknown now: ignored
    m.transition(S.STREAMING)
    assert calls == ["a:CONNECTING", "b:CONNECTING", "b:STREAMING"]


def test_a_listener_may_transition_and_a_failing_one_is_isolated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    m = machine_in(S.CONNECTING)
    seen: list[CallState] = []

    def broken(t: Transition) -> None:
        raise RuntimeError("listener bug")

    def reconnect_on_streaming(t: Transition) -> None:
        seen.append(t.state)
        if t.state is S.STREAMING:
            m.transition(S.RECONNECTING, "socket dropped")  # re-entrant: no deadlock

    m.add_listener(broken)
    m.add_listener(reconnect_on_streaming)
    m.transition(S.STREAMING)
    assert m.state is S.RECONNECTING
    assert seen == [S.STREAMING, S.RECONNECTING]
    assert "listener failed" in caplog.text
