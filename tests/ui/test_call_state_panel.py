import time

from pytestqt.qtbot import QtBot

from cxone_desktop.core.state_machine import CallState, CallStateMachine
from cxone_desktop.ui.call_state_panel import CallStatePanel, format_duration


def test_all_six_states_are_shown_and_the_current_one_is_lit(qtbot: QtBot) -> None:
    panel = CallStatePanel()
    qtbot.addWidget(panel)
    assert set(panel._chips) == set(CallState)
    sm = CallStateMachine()
    sm.add_listener(panel.show_transition)
    sm.transition(CallState.CONNECTING, "call c1")
    sm.transition(CallState.STREAMING, "audio stream open")
    assert panel.current_state is CallState.STREAMING
    assert panel._chips[CallState.STREAMING].property("current") is True
    assert panel._chips[CallState.CONNECTING].property("current") is False
    rows = [
        [panel.history.topLevelItem(i).text(c) for c in range(3)]
        for i in range(panel.history.topLevelItemCount())
    ]
    assert [r[1:] for r in rows] == [
        ["Idle → Connecting", "call c1"],
        ["Connecting → Streaming", "audio stream open"],
    ]
    assert all(len(r[0]) == len("12:34:56.789") for r in rows)


def test_time_in_state_counts_from_the_transition(qtbot: QtBot) -> None:
    panel = CallStatePanel()
    qtbot.addWidget(panel)
    clock = [100.0]
    sm = CallStateMachine(monotonic=lambda: clock[0], wall=time.time)
    sm.add_listener(panel.show_transition)
    sm.transition(CallState.CONNECTING, "")
    panel.refresh_clock(112.5)
    assert panel.time_in_state_text() == "Connecting for 12 s"


def test_notes_join_the_history_and_reset_clears_it(qtbot: QtBot) -> None:
    panel = CallStatePanel()
    qtbot.addWidget(panel)
    panel.add_note("Retry", "after RateLimited in 1.0 s")
    item = panel.history.topLevelItem(0)
    assert (item.text(1), item.text(2)) == ("Retry", "after RateLimited in 1.0 s")
    panel.reset()
    assert panel.history.topLevelItemCount() == 0
    assert panel.current_state is CallState.IDLE


def test_durations_stay_short() -> None:
    assert format_duration(4.94) == "4 s"
    assert format_duration(185) == "3 min 05 s"
    assert format_duration(3720) == "1 h 02 min"
