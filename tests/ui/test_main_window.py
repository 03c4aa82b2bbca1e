"""The real window driven with a fake session: connect, states, sliders, charts, export, close."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.errors import InvalidCredentials
from cxone_desktop.ui.connect_model import ConnectValues
from cxone_desktop.ui.main_window import MainWindow

from .helpers import until


async def test_connect_streams_and_shows_the_state_history(make_window) -> None:
    window, _ = make_window()
    window.show()
    assert window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    assert window.form.disconnect_button.isEnabled()
    assert not window.form.connect_button.isEnabled()
    assert window.disconnect_action.isEnabled()
    await until(lambda: np.abs(window.waveform.displayed()).max() > 0.02)
    await until(lambda: window.metrics.redraws >= 1, timeout=3)
    assert window.metrics.curve_data("bitrate_kbps")[-1] == 128.0
    window.disconnect_call()
    await until(lambda: window.state_panel.current_state is CallState.TERMINATED)
    await until(lambda: not window.controller.running)
    states = [
        window.state_panel.history.topLevelItem(i).text(1)
        for i in range(window.state_panel.history.topLevelItemCount())
    ]
    assert states == [
        "Idle → Connecting",
        "Connecting → Streaming",
        "Streaming → Disconnecting",
        "Disconnecting → Terminated",
    ]
    assert window.form.connect_button.isEnabled()


async def test_sliders_change_the_processed_output_on_the_next_frames(make_window) -> None:
    window, sessions = make_window(amplitude=1000.0)
    window.controls.threshold_slider.setValue(0)
    window.connect_call()
    session = sessions[0]
    await until(lambda: len(session.processed_frames) >= 5)
    before = np.abs(session.processed_frames[-1]).max()
    assert before == pytest.approx(1200, abs=2)  # gain 1.2
    window.controls.gain_slider.setValue(-200)  # −20 dB
    n = len(session.processed_frames)
    await until(lambda: len(session.processed_frames) >= n + 2)
    assert np.abs(session.processed_frames[n + 1]).max() == pytest.approx(100, abs=2)
    # A gate threshold above the tone silences it.
    window.controls.gain_slider.setValue(0)
    window.controls.threshold_slider.setValue(1500)
    n = len(session.processed_frames)
    await until(lambda: len(session.processed_frames) >= n + 2)
    assert np.abs(session.processed_frames[n + 1]).max() == 0
    assert session.dsp_changes[-1].noise_threshold == 1500
    await window.controller.stop()


async def test_the_waveform_can_show_the_raw_stream(make_window) -> None:
    window, _sessions = make_window(amplitude=1000.0)
    window.controls.gain_slider.setValue(60)  # +6 dB → ~2×
    window.connect_call()
    await until(lambda: np.abs(window.waveform.displayed()).max() > 1900 / 32768)
    window.waveform.show_raw.setChecked(True)
    await until(lambda: np.abs(window.waveform.displayed()).max() < 1001 / 32768)
    assert np.abs(window.waveform.displayed()).max() > 900 / 32768
    await window.controller.stop()


async def test_an_auth_error_is_shown_with_its_remedy(make_window) -> None:
    window, _ = make_window(fail_with=InvalidCredentials("token endpoint answered 401"))
    window.show()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.TERMINATED)
    assert window.banner.isVisible()
    assert "401" in window.banner.title_label.text()
    assert "agent:voice:stream" in window.banner.remedy_label.text()
    assert "s3cr3t" not in window.banner.title_label.text() + window.banner.remedy_label.text()
    await until(lambda: window.form.connect_button.isEnabled())


async def test_degraded_network_is_flagged(make_window) -> None:
    window, _ = make_window(degraded_after_s=1)
    window.show()
    window.connect_call()
    await until(lambda: window.metrics.degraded_label.isVisible(), timeout=4)
    await window.controller.stop()
    assert not window.metrics.degraded_label.isVisible()


async def test_one_export_copies_everything_into_a_folder_named_after_the_session(
    make_window, tmp_path: Path, settings: QSettings
) -> None:
    window, _sessions = make_window(seconds=0.3)
    assert not window.export_action.isEnabled()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.TERMINATED)
    await until(lambda: window.export_action.isEnabled())
    folder = window.controller.folder
    # Files other tools (or later versions) put beside the recordings travel too.
    (folder / "arrivals.csv").write_text("seq,arrival_s\n1,0.02\n2,0.0")  # mid-line
    (folder / "marks.cue.json").write_text('{"cues": []}')
    (folder / ".recording").write_text("lock")  # never exported
    asked: list[str] = []
    window.exporter.ask_folder = lambda: asked.append("x") or tmp_path / "out"
    window.export_action.trigger()
    dest = tmp_path / "out" / folder.name  # one subfolder per session
    assert sorted(p.name for p in dest.iterdir()) == [
        "arrivals.csv",
        "events.jsonl",
        "marks.cue.json",
        "metrics.csv",
        "processed.wav",
        "raw.wav",
        "summary.json",
    ]
    with wave.open(str(dest / "processed.wav")) as w:
        assert w.getframerate() == 8000 and w.getnframes() >= 160
    assert (dest / "arrivals.csv").read_text() == "seq,arrival_s\n1,0.02\n"
    plain = (dest / "metrics.csv").read_bytes()
    assert plain.startswith(b"elapsed_s")
    assert "Exported 7 file(s)" in window.statusBar().currentMessage()
    # The Excel flavour: the same files, every CSV starting with a UTF-8 BOM.
    window.export_excel_action.trigger()
    assert (dest / "metrics.csv").read_bytes() == b"\xef\xbb\xbf" + plain
    assert (dest / "arrivals.csv").read_bytes().startswith(b"\xef\xbb\xbfseq,")
    # The folder chosen is offered next time, in this window and the next.
    assert window.exporter.last_folder() == tmp_path / "out"
    assert settings.value("export/last_folder") == str(tmp_path / "out")


async def test_a_failed_export_says_which_file_and_why(make_window, tmp_path: Path) -> None:
    window, _ = make_window(seconds=0.3)
    window.connect_call()
    await until(lambda: window.export_action.isEnabled() and not window.controller.running)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    window.exporter.ask_folder = lambda: blocker
    assert window.folders.export_session() == []
    assert not window.banner.isHidden()
    assert "not-a-folder" in window.banner.title_label.text()


async def test_cancelling_the_export_dialog_writes_nothing(make_window, tmp_path: Path) -> None:
    window, _ = make_window(seconds=0.3)
    window.connect_call()
    await until(lambda: window.export_action.isEnabled() and not window.controller.running)
    window.exporter.ask_folder = lambda: None
    before = sorted(tmp_path.rglob("*"))
    assert window.folders.export_session() == []
    assert sorted(tmp_path.rglob("*")) == before
    assert window.statusBar().currentMessage() == ""


async def test_closing_while_streaming_stops_the_session_first(make_window) -> None:
    window, sessions = make_window()
    window.show()
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.close()
    assert window.isVisible()  # still finishing the call
    await asyncio.wait_for(closed.wait(), 5)
    assert sessions[0].state_machine.state is CallState.TERMINATED
    assert not window.isVisible()


async def test_shortcuts(make_window, qtbot: QtBot) -> None:
    window, _sessions = make_window()
    window.show()
    assert window.connect_action.shortcut().toString() == "Ctrl+Return"
    assert window.disconnect_action.shortcut().toString() == "Ctrl+D"
    assert window.export_action.shortcut().toString() == "Ctrl+E"
    window.mute_action.trigger()
    assert window.controls.mute.isChecked() and window.playout.muted
    # The offscreen platform under pytest never makes a window active, so key presses would
    # not reach window shortcuts; trigger the actions the shortcuts are bound to.
    window.connect_action.trigger()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    assert not window.connect_action.isEnabled()
    window.disconnect_action.trigger()
    await until(lambda: window.state_panel.current_state is CallState.TERMINATED)
    window.mute_action.trigger()
    assert not window.controls.mute.isChecked() and not window.playout.muted


def test_invalid_form_does_not_connect(make_window) -> None:
    window, sessions = make_window()
    window.fill(ConnectValues(location="acme", client_id="cid", client_secret="", call_id="c1"))
    assert not window.connect_call()
    assert sessions == []
    assert window.form.message_for("client_secret")


async def test_recordings_folder_is_remembered_and_used_for_the_next_call(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, no_keyring: None
) -> None:
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    chosen = tmp_path / "chosen"
    window.folders.set_recordings_dir(chosen)
    assert settings.value("recordings/folder") == str(chosen)
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    assert again.folders.recordings_dir() == chosen
    # --out wins for one run without changing what is remembered.
    override = MainWindow(settings=settings, out_dir=tmp_path / "once")
    qtbot.addWidget(override)
    assert override.folders.recordings_dir() == tmp_path / "once"
    assert settings.value("recordings/folder") == str(chosen)


async def test_sessions_cut_short_by_a_crash_are_repaired_on_start(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, no_keyring: None
) -> None:
    import json
    import subprocess
    import sys

    out = tmp_path / "rec"
    # A recorder process that dies without finalizing (as kill -9 would leave it).
    script = (
        "import os, sys, numpy as np; from pathlib import Path;"
        "from cxone_desktop.session.recorder import SessionRecorder;"
        "r = SessionRecorder(Path(sys.argv[1]), 'crashed-call', header_interval_s=0);"
        "r.write_raw(np.zeros(8000, np.int16)); r.flush(); print(r.folder, flush=True); os._exit(9)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=30
    )
    crashed = Path(proc.stdout.strip())
    assert (crashed / ".recording").exists()

    window = MainWindow(settings=settings, out_dir=out)
    qtbot.addWidget(window)
    assert window.folders.recover_interrupted() == [crashed]
    assert "Recovered 1 recording" in window.banner.title_label.text()
    assert not (crashed / ".recording").exists()
    summary = json.loads((crashed / "summary.json").read_text())
    assert summary["finished_cleanly"] is False
    with wave.open(str(crashed / "raw.wav")) as w:
        assert w.getnframes() == 8000


async def test_a_repair_that_fails_never_stops_the_window_from_opening(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, no_keyring: None, monkeypatch
) -> None:
    from cxone_desktop.session import repair

    def broken(out_dir: Path) -> list[Path]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(repair, "find_interrupted", broken)
    window = MainWindow(settings=settings, out_dir=tmp_path / "rec")
    qtbot.addWidget(window)
    assert window.folders.recover_interrupted() == []
    window.show()
    assert window.isVisible()


def test_shortcuts_follow_the_platform(make_window) -> None:
    from PySide6.QtGui import QKeySequence

    from cxone_desktop.ui.main_window import mute_shortcut

    window, _ = make_window()
    assert window.quit_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Quit)
    assert window.mute_action.shortcut() == QKeySequence(mute_shortcut())
    assert mute_shortcut(macos=False) == "Ctrl+M"
    # On a Mac Qt reads Ctrl as Cmd, and Cmd+M is the system's Minimize.
    assert mute_shortcut(macos=True) not in ("Ctrl+M", "Meta+M")
    taken = {window.connect_action, window.disconnect_action, window.export_action}
    assert all(a.shortcut() != QKeySequence(mute_shortcut(macos=True)) for a in taken)


def test_the_vdi_buffer_is_a_remembered_setting(
    qtbot: QtBot, settings: QSettings, no_keyring: None
) -> None:
    from cxone_desktop.ui.audio_output import VDI_BUFFER_MS

    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    assert window.playout.device_buffer_ms == 200 and not window.vdi_buffer_action.isChecked()
    window.vdi_buffer_action.trigger()
    assert window.playout.device_buffer_ms == VDI_BUFFER_MS
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    assert again.vdi_buffer_action.isChecked() and again.playout.device_buffer_ms == VDI_BUFFER_MS


async def test_bypass_reaches_the_session_and_is_remembered(
    make_window, qtbot: QtBot, settings: QSettings, no_keyring: None
) -> None:
    window, sessions = make_window(amplitude=1000.0)
    window.controls.gain_slider.setValue(60)
    window.controls.threshold_slider.setValue(1500)  # would silence the tone
    window.controls.bypass.setChecked(True)
    window.connect_call()
    session = sessions[0]
    assert session.config.dsp.bypass
    assert session.config.public_settings()["bypass_processing"] is True
    await until(lambda: len(session.processed_frames) >= 5)
    peak = np.abs(session.processed_frames[-1]).max()
    assert 990 <= peak <= 1000  # as received: no gain, no gate
    window.controls.bypass.setChecked(False)  # mid-call: back to +6 dB and the gate
    n = len(session.processed_frames)
    await until(lambda: len(session.processed_frames) >= n + 2)
    assert np.abs(session.processed_frames[n + 1]).max() == pytest.approx(1995, abs=3)
    window.controls.bypass.setChecked(True)
    await window.controller.stop()
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    assert again.controls.bypass.isChecked() and again.controls.dsp_settings().bypass
    # The seed's defaults stay the defaults.
    fresh = MainWindow(
        settings=QSettings(settings.fileName() + ".other", QSettings.Format.IniFormat)
    )
    qtbot.addWidget(fresh)
    d = fresh.controls.dsp_settings()
    assert (d.bypass, d.gain, d.noise_threshold) == (False, 1.2, 200)


async def test_the_playout_mode_and_trace_reach_the_session_and_the_mode_is_shown(
    make_window,
) -> None:
    window, sessions = make_window()
    form = window.form
    assert form.advanced.playout_mode.currentData() == "low-delay"  # the default suits listening
    form.advanced.playout_mode.setCurrentIndex(form.advanced.playout_mode.findData("quality"))
    form.advanced.save_trace.setChecked(True)
    assert window.connect_call()
    await until(lambda: bool(sessions))
    config = sessions[0].config
    assert config.playout_mode == "quality" and config.save_trace
    assert config.public_settings()["playout_mode"] == "quality"
    assert "best quality" in window.metrics.plots[-1].titleLabel.text
    await window.controller.stop()
