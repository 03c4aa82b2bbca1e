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


def test_a_stall_shows_at_once_instead_of_streaming_and_counts_up(qtbot: QtBot) -> None:
    from cxone_desktop.ui.theme import STALL_FILL, STATE_FILLS

    panel = CallStatePanel()
    qtbot.addWidget(panel)
    clock = [50.0]
    sm = CallStateMachine(monotonic=lambda: clock[0], wall=time.time)
    sm.add_listener(panel.show_transition)
    sm.transition(CallState.CONNECTING, "")
    sm.transition(CallState.STREAMING, "audio stream open")
    chip = panel._chips[CallState.STREAMING]
    assert panel.chip_text(CallState.STREAMING) == "▶ Streaming"
    assert STATE_FILLS[CallState.STREAMING] in chip.styleSheet()
    panel.show_stall(1.0, now_monotonic_s=60.0)
    assert panel.stalled
    assert panel.chip_text(CallState.STREAMING) == "⚠ No audio"
    assert STALL_FILL in chip.styleSheet() and STATE_FILLS[CallState.STREAMING] not in (
        chip.styleSheet()
    )
    assert chip.accessibleName() == "Streaming, no audio (current)"
    assert panel.time_in_state_text() == "No audio for 1 s"
    panel.refresh_clock(62.2)
    assert panel.time_in_state_text() == "No audio for 3 s"
    panel.clear_stall(now_monotonic_s=63.0)
    assert panel.chip_text(CallState.STREAMING) == "▶ Streaming"
    assert panel.time_in_state_text() == "Streaming for 13 s"


def test_leaving_streaming_ends_the_stall(qtbot: QtBot) -> None:
    panel = CallStatePanel()
    qtbot.addWidget(panel)
    sm = CallStateMachine()
    sm.add_listener(panel.show_transition)
    sm.transition(CallState.CONNECTING, "")
    panel.show_stall(1.0, time.monotonic())
    assert not panel.stalled  # only a call that is up can stall
    sm.transition(CallState.STREAMING, "")
    panel.show_stall(1.0, time.monotonic())
    sm.transition(CallState.RECONNECTING, "abnormal close")
    assert not panel.stalled
    assert panel.chip_text(CallState.STREAMING) == "Streaming"
    assert panel.chip_text(CallState.RECONNECTING) == "▶ Reconnecting"
