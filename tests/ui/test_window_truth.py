"""The window says only what is true: banners that clear with their cause, an honest status bar."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.errors import ServiceUnavailable, StreamClosedAbnormally
from cxone_desktop.ui.theme import focus_ring_colour

from .helpers import until

UNREACHABLE = ServiceUnavailable(
    "127.0.0.1:9 did not answer in time (the audio stream).",
    remedy="Check the network, a VPN or proxy, or try again; the server may be down.",
)


async def test_a_not_reachable_banner_clears_when_streaming_again(make_window) -> None:
    window, fakes = make_window()
    window.show()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    fake = fakes[0]
    fake.drop_and_reconnect(reconnected=False)
    fake.report(UNREACHABLE)
    assert window.banner.isVisible()
    assert "127.0.0.1:9 did not answer" in window.banner.title_label.text()
    assert "VPN" in window.banner.remedy_label.text()
    fake.state_machine.transition(CallState.STREAMING, "reconnected (#1)")
    assert not window.banner.isVisible()
    await window.controller.stop()


async def test_a_not_reachable_banner_clears_when_the_user_disconnects(make_window) -> None:
    window, fakes = make_window()
    window.show()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    fakes[0].drop_and_reconnect(reconnected=False)
    fakes[0].report(UNREACHABLE)
    assert window.banner.isVisible()
    window.disconnect_call()
    await until(lambda: not window.controller.running)
    assert not window.banner.isVisible()


async def test_the_error_a_call_failed_on_stays_after_it_ended(make_window) -> None:
    window, _ = make_window(fail_with=UNREACHABLE)
    window.show()
    window.connect_call()
    await until(lambda: not window.controller.running)
    assert window.banner.isVisible()
    assert "did not answer" in window.banner.title_label.text()
    assert not window.banner.transient


async def test_a_lasting_warning_is_not_hidden_by_a_reconnect(make_window) -> None:
    from cxone_desktop.errors import RecordingError

    window, fakes = make_window()
    window.show()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    fakes[0].report(RecordingError("Cannot write raw.wav: No space left on device (ENOSPC)"))
    fakes[0].drop_and_reconnect()
    assert "No space left" in window.banner.title_label.text()
    assert window.banner.isVisible()
    assert window.folder_label.text().startswith("Not recording")
    await window.controller.stop()


async def test_escape_closes_the_banner(make_window, qtbot: QtBot) -> None:
    window, fakes = make_window()
    window.show()
    assert QTest.qWaitForWindowActive(window, 2000)
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    fakes[0].report(StreamClosedAbnormally("dropped", code=1006))
    assert window.banner.isVisible()
    window.controls.gain_slider.setFocus()
    QTest.keyClick(window.controls.gain_slider, Qt.Key.Key_Escape)
    assert not window.banner.isVisible()
    assert window.controls.gain_slider.hasFocus()
    await window.controller.stop()


async def test_the_status_bar_says_recording_only_while_it_records(make_window, tmp_path) -> None:
    window, _ = make_window(seconds=60)
    window.show()
    assert window.folder_label.text() == ""
    window.connect_call()
    await until(lambda: window.controller.folder is not None)
    folder = window.controller.folder
    assert window.folder_label.text() == f"Recording in {folder}"
    window.disconnect_call()
    await until(lambda: not window.controller.running)
    assert window.folder_label.text() == f"Last recording: {folder}"
    assert "Recording in" not in window.folder_label.text()
    # A session folder that is gone (a failed connect the session cleaned up) is not named.
    shutil.rmtree(folder)
    window._show_folder()
    assert window.folder_label.text() == ""
    assert not window.export_action.isEnabled()


def test_the_call_menu_opens_with_alt_c_and_mnemonics_do_not_clash(make_window) -> None:
    window, _ = make_window()
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Call" in titles
    keys = [QKeySequence.mnemonic(t).toString() for t in titles]
    assert "Alt+C" in keys and len(set(keys)) == len(keys)


async def test_the_focused_control_has_a_visible_ring(make_window) -> None:
    window, _ = make_window()
    window.resize(1280, 800)  # every control in view (the offscreen screen is 800 px high)
    window.show()
    assert QTest.qWaitForWindowActive(window, 2000)
    for control in (window.controls.gain_slider, window.form.client_id, window.controls.mute):
        control.setFocus()
        await until(lambda c=control: window.focus_ring.target is c)
        ring = window.focus_ring.geometry()
        inner = control.rect().translated(control.mapTo(window, control.rect().topLeft()))
        assert ring.contains(inner) and ring != inner
        # Drawn outside the control: its own pixels are left alone.
        assert not window.focus_ring.mask().contains(inner.center() - window.focus_ring.pos())
        image = window.grab().toImage()
        edge = window.focus_ring.geometry().topLeft()
        seen = image.pixelColor(edge.x() + ring.width() // 2, edge.y())
        assert seen == focus_ring_colour(window.palette()), (seen.name(), control)


async def test_a_dead_stream_shows_no_audio_at_once_not_green_streaming(make_window) -> None:
    window, fakes = make_window()
    window.show()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    fake = fakes[0]
    seen: list[dict] = []
    window.controller.event_received.connect(seen.append)
    fake.pause_audio()
    await until(lambda: window.state_panel.stalled, timeout=5)
    stall = next(e for e in seen if e["kind"] == "stall")
    assert stall["silent_s"] >= 1.0  # the session's rule, as the fake applies it
    assert window.state_panel.chip_text(CallState.STREAMING) == "⚠ No audio"
    assert window.windowTitle().endswith("No audio")
    await until(lambda: window.state_panel.time_in_state_text() == "No audio for 2 s", timeout=5)
    history = [
        window.state_panel.history.topLevelItem(i).text(1)
        for i in range(window.state_panel.history.topLevelItemCount())
    ]
    assert "No audio" in history
    fake.resume_audio()
    await until(lambda: not window.state_panel.stalled, timeout=5)
    assert window.state_panel.chip_text(CallState.STREAMING) == "▶ Streaming"
    assert window.windowTitle().endswith("Streaming")
    await until(lambda: any(e["kind"] == "gap" for e in seen))
    await window.controller.stop()


async def test_a_stall_ends_when_the_call_leaves_streaming(make_window) -> None:
    window, fakes = make_window()
    window.show()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    fakes[0].emit("stall", silent_s=1.0)
    assert window.state_panel.stalled
    fakes[0].drop_and_reconnect(reconnected=False)
    assert not window.state_panel.stalled
    assert window.windowTitle().endswith("Reconnecting")
    await window.controller.stop()


async def test_once_the_display_is_gone_the_call_stops_without_touching_the_title(
    make_window,
) -> None:
    # Setting the native title after the X server died crashed the process (Xlib) before
    # the call had stopped; the state still changes, the title is left as it was.
    window, _ = make_window()
    window.show()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    assert window.windowTitle().endswith("Streaming")
    window.display_lost()
    await window.controller.stop()
    assert window.state_panel.current_state is CallState.TERMINATED
    assert window.windowTitle().endswith("Streaming")
