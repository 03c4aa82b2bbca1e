"""The real window, the real session and the real simulator, all on one qasync loop."""

from __future__ import annotations

import asyncio
import json
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.simulator.config import SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator
from cxone_desktop.ui.connect_model import ConnectValues
from cxone_desktop.ui.main_window import MainWindow

from .helpers import until


@pytest.fixture
async def simulator() -> AsyncIterator[CXoneSimulator]:
    sim = CXoneSimulator(SimulatorConfig(loop=True))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def window(qtbot: QtBot, settings: QSettings, tmp_path: Path, no_keyring: None) -> MainWindow:
    w = MainWindow(settings=settings, out_dir=tmp_path / "rec")
    qtbot.addWidget(w)
    w.show()
    return w


def values_for(sim: CXoneSimulator, **over: str) -> ConnectValues:
    v = ConnectValues(
        location=sim.base_url,
        client_id=sim.config.client_id,
        client_secret=sim.config.client_secret,
        call_id=sim.config.call_ids[0],
    )
    return ConnectValues(**{**v.__dict__, **over})


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2)))


async def test_stream_adjust_export_and_disconnect(
    window: MainWindow, simulator: CXoneSimulator, tmp_path: Path
) -> None:
    window.fill(values_for(simulator))
    window.controls.threshold_slider.setValue(0)  # gate off: the ratio below is the gain
    assert window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    session = window.controller.live
    await until(lambda: len(session.processed_wave) >= 8000 * 1.5)
    ratio_before = rms(session.processed_wave.data(8000)) / rms(session.raw_wave.data(8000))
    assert ratio_before == pytest.approx(1.2, rel=0.15)
    assert np.abs(window.waveform.displayed()).max() > 0.05

    window.controls.gain_slider.setValue(-200)  # −20 dB
    start = session.processed_wave.total_written
    await until(lambda: session.processed_wave.total_written - start >= 8000 * 1.2)
    ratio_after = rms(session.processed_wave.data(8000)) / rms(session.raw_wave.data(8000))
    assert ratio_after == pytest.approx(0.1, rel=0.2)

    await until(lambda: window.metrics.redraws >= 1, timeout=3)
    assert window.metrics.curve_data("packets_per_s")[-1] > 40

    window.disconnect_call()
    await until(lambda: window.state_panel.current_state is CallState.TERMINATED)
    await until(lambda: not window.controller.running)
    window.exporter.ask_folder = lambda: tmp_path / "export"
    window.export_action.trigger()
    dest = tmp_path / "export" / window.controller.folder.name
    assert {p.name for p in dest.iterdir()} >= {
        "raw.wav",
        "processed.wav",
        "metrics.csv",
        "summary.json",
        "events.jsonl",
    }
    summary = json.loads((dest / "summary.json").read_text())
    assert summary["outcome"] == "stopped"
    assert simulator.config.client_secret not in (dest / "summary.json").read_text()


async def test_export_during_the_call_holds_everything_up_to_now(
    window: MainWindow, simulator: CXoneSimulator, tmp_path: Path
) -> None:
    window.fill(values_for(simulator))
    assert window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    session = window.controller.live
    await until(lambda: session.pipeline.metrics.total_bytes >= 8000 * 2 * 1.5)
    window.exporter.ask_folder = lambda: tmp_path / "live"
    window.export_action.trigger()
    received = session.pipeline.metrics.total_bytes  # nothing streams between export and here
    dest = tmp_path / "live" / window.controller.folder.name
    with wave.open(str(dest / "raw.wav")) as w:
        assert w.getnframes() * 2 == received  # flushed first: not a second behind
    summary = json.loads((dest / "summary.json").read_text())
    assert summary["outcome"] == "in_progress" and summary["total_bytes"] == received
    assert {"total_packets", "dropped_packets", "avg_latency_ms", "effective_bitrate"} <= set(
        summary
    )
    assert not (window.controller.folder / "summary.json").exists()  # the session's own: at the end
    window.disconnect_call()
    await until(lambda: not window.controller.running)


async def test_wrong_secret_shows_401_advice(window: MainWindow, simulator: CXoneSimulator) -> None:
    window.fill(values_for(simulator, client_secret="wrong-secret"))
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.TERMINATED)
    assert "401" in window.banner.title_label.text()
    assert "agent:voice:stream" in window.banner.remedy_label.text()
    await until(lambda: window.form.connect_button.isEnabled())


async def test_close_while_streaming_finalizes_the_session(
    window: MainWindow, simulator: CXoneSimulator
) -> None:
    window.fill(values_for(simulator))
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    folder = window.controller.folder
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.close()
    await asyncio.wait_for(closed.wait(), 8)
    summary = json.loads((folder / "summary.json").read_text())
    assert [h["state"] for h in summary["state_history"]][-2:] == ["DISCONNECTING", "TERMINATED"]


async def test_rate_limit_is_shown_then_cleared_once_streaming(window: MainWindow) -> None:
    sim = CXoneSimulator(SimulatorConfig(rate_limit=1))
    await sim.start()
    try:
        seen: list[str] = []
        window.controller.event_received.connect(
            lambda e: seen.append(window.banner.title_label.text())
        )
        window.fill(values_for(sim))
        window.connect_call()
        await until(lambda: window.state_panel.current_state is CallState.STREAMING, timeout=8)
        assert any("429" in t and "retrying in" in t for t in seen), seen
        assert not window.banner.isVisible(), window.banner.title_label.text()
        await window.controller.stop()
    finally:
        await sim.stop()


async def test_a_dropped_connection_reconnects_and_says_so(window: MainWindow) -> None:
    from cxone_desktop.simulator.config import Impairments

    sim = CXoneSimulator(SimulatorConfig(loop=True, impairments=Impairments(drop_after_s=1.0)))
    await sim.start()
    try:
        window.fill(values_for(sim))
        window.connect_call()
        await until(lambda: window.state_panel.current_state is CallState.RECONNECTING, timeout=6)
        assert "1006" in window.banner.title_label.text()
        assert "reconnecting" in window.banner.title_label.text()
        await until(lambda: window.state_panel.current_state is CallState.STREAMING, timeout=8)
        assert not window.banner.isVisible()
        rows = [
            window.state_panel.history.topLevelItem(i).text(1)
            for i in range(window.state_panel.history.topLevelItemCount())
        ]
        assert "Streaming → Reconnecting" in rows and "Reconnecting → Streaming" in rows
        await window.controller.stop()
    finally:
        await sim.stop()


async def test_a_recording_that_cannot_be_written_stays_on_screen_while_streaming(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, no_keyring: None, simulator: CXoneSimulator
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    window = MainWindow(settings=settings, out_dir=blocker / "rec")
    qtbot.addWidget(window)
    window.show()
    window.fill(values_for(simulator))
    assert window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    await until(lambda: window.controller.live.pipeline.metrics.total_bytes > 8000)
    # Streaming goes on, and the banner still says why nothing is recorded, with the OS reason.
    assert window.banner.isVisible()
    title = window.banner.title_label.text()
    assert "recording cannot be written" in title and "Not a directory" in title, title
    await window.controller.stop()


async def test_logoff_finalizes_the_files_before_the_handler_returns(
    window: MainWindow, simulator: CXoneSimulator
) -> None:
    """commitDataRequest: Windows may end the process (and a VDI its profile) right after."""
    from PySide6.QtCore import QTimer

    window.fill(values_for(simulator))
    window.form.picker.start()  # as the app does: the live calls are listed while idle
    assert window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)
    folder = window.controller.folder
    await until(lambda: (folder / "raw.wav").stat().st_size > 16_000)
    seen: list[tuple[bool, bool, bool]] = []

    def logoff() -> None:  # what the commitDataRequest slot does, from a Qt event
        final = window.stopper.finalize_now()
        seen.append((final, (folder / "summary.json").exists(), (folder / ".recording").exists()))

    QTimer.singleShot(0, logoff)
    await until(lambda: bool(seen), timeout=10)
    assert seen == [(True, True, False)]
    # The call ended on the way out: the picker neither asks for the live calls now nor polls.
    assert not window.form.picker.asking and not window.form.picker.timer.isActive()
    window.form.picker.refresh()
    assert not window.form.picker.asking
    # The session manager called the logoff off, and the user went on: the next call's end
    # (as the controller says it) brings the list back.
    window.controller.busy_changed.emit(True)
    window.controller.busy_changed.emit(False)
    assert window.form.picker.timer.isActive()
    await until(lambda: not window.form.picker.asking, timeout=10)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["finished_cleanly"] is True and summary["outcome"] == "stopped"
    assert window.state_panel.current_state is CallState.TERMINATED
