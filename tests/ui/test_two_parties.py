"""The window on a two-party call: two lanes, the talk strip and figures, meters, what to hear,
mute and solo, per-party processing; Mixed only for a one-channel call; the call picker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QStandardItemModel
from pytestqt.qtbot import QtBot

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.session.call_list_feed import CallList, ListedCall
from cxone_desktop.simulator.config import SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator
from cxone_desktop.ui.call_picker import describe_call
from cxone_desktop.ui.connect_model import ConnectValues
from cxone_desktop.ui.main_window import MainWindow
from cxone_desktop.ui.party_controls import ONE_CHANNEL_TEXT

from .helpers import until


def hear_enabled(window: MainWindow) -> dict[str, bool]:
    combo = window.controls.parties.hear
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    return {combo.itemData(i): model.item(i).isEnabled() for i in range(combo.count())}


async def streaming(window: MainWindow) -> None:
    window.connect_call()
    await until(lambda: window.state_panel.current_state is CallState.STREAMING)


async def test_two_lanes_the_talk_strip_and_a_meter_per_party(make_window) -> None:
    window, fakes = make_window(parties=2, seconds=30)
    window.show()
    await streaming(window)
    await until(lambda: fakes[0].talk_totals is not None and fakes[0].talk_totals.customer_s > 0,
                timeout=8)  # fmt: skip
    wave = window.waveform
    assert wave.parties == 2 and wave.lanes.lanes == 2 and wave.talk.image.visible
    assert wave.agent_meter.isVisible() and wave.mute_customer.isVisible()
    await until(lambda: "Talk share: agent" in wave.talk.label.text())
    await until(lambda: wave.customer_meter.level_dbfs > -40 or wave.agent_meter.level_dbfs > -40)
    drawn = wave.displayed()
    assert drawn.size == 3200 and np.abs(drawn).max() <= 1.0  # two lanes of 800 columns
    assert "agent above" in wave.plot.accessibleDescription()
    assert window.playout.source_channels == 2  # the sound device is fed stereo
    await window.controller.stop()


async def test_hear_mute_and_solo_reach_the_device_not_the_recording(make_window) -> None:
    window, fakes = make_window(parties=2, seconds=30)
    await streaming(window)
    fake = fakes[0]
    window.controls.threshold_slider.setValue(0)  # no gate: even the line noise is played
    parties = window.controls.parties
    parties.hear.setCurrentIndex(parties.hear.findData("agent"))
    assert fake.modes[-1] == "agent" and fake.listen_mode == "agent"
    window.waveform.mute_agent.setChecked(True)
    assert fake.audibility[-1].agent_muted
    n = len(fake.heard_frames)
    await until(lambda: len(fake.heard_frames) > n + 10)
    heard = np.concatenate(fake.heard_frames[n + 2 :])
    played = np.concatenate(fake.processed_frames[n + 2 :])
    assert not heard.any()  # agent only, agent muted: silence on the device
    assert played.any()  # …while what is recorded still carries the agent
    window.waveform.solo_customer.setChecked(True)  # a solo: only the customer is heard
    assert fake.audibility[-1].customer and not fake.audibility[-1].agent
    window.waveform.solo_agent.setChecked(True)  # two solos: both, the agent's mute aside
    assert fake.audibility[-1].agent and fake.audibility[-1].customer
    await window.controller.stop()


async def test_the_sliders_set_one_party_when_told_and_both_when_linked(make_window) -> None:
    window, fakes = make_window(parties=2, seconds=30)
    await streaming(window)
    fake = fakes[0]
    controls = window.controls
    parties = controls.parties
    parties.target.setCurrentIndex(parties.target.findData("customer"))
    controls.gain_slider.setValue(-60)  # −6 dB for the customer alone
    assert fake.customer_dsp_changes[-1] is not None
    assert fake.customer_dsp_changes[-1].gain == pytest.approx(0.501, abs=0.001)
    assert fake.dsp_changes[-1].gain == pytest.approx(1.2)  # the agent keeps the default
    parties.target.setCurrentIndex(parties.target.findData("agent"))
    assert controls.gain_slider.value() == 16  # the agent's +1.6 dB shown again
    parties.target.setCurrentIndex(parties.target.findData(None))  # linked: both take it
    assert fake.customer_dsp_changes[-1] is None
    await window.controller.stop()


async def test_a_one_channel_call_leaves_mixed_only_and_says_why(make_window) -> None:
    window, _ = make_window(parties=1, seconds=30)
    assert all(hear_enabled(window).values())  # before the call says: every mode
    await streaming(window)
    parties = window.controls.parties
    await until(lambda: not hear_enabled(window)["both"])
    assert hear_enabled(window) == {"mixed": True, "both": False, "agent": False,
                                    "customer": False}  # fmt: skip
    assert parties.listen_mode() == "mixed" and parties.hear.toolTip() == ONE_CHANNEL_TEXT
    assert not parties.target.isEnabled()
    assert window.waveform.parties == 1 and window.waveform.lanes.lanes == 1
    await window.controller.stop()
    await until(lambda: all(hear_enabled(window).values()))
    assert parties.listen_mode() == "both"  # the listener's choice comes back


def listed(call_id: str, two_party: bool) -> ListedCall:
    apart = ("agent", "customer") if two_party else ()
    return ListedCall(call_id, "audiohook", "active", 83.0, "Dana", "+4930123",
                      2 if two_party else 1, apart)  # fmt: skip


async def test_picking_a_call_fills_the_id_and_tells_the_session(make_window) -> None:
    window, fakes = make_window(parties=2, seconds=5)
    form = window.form
    picker = form.picker
    assert not picker.isVisible()
    window.show()
    picker.show_calls(CallList(calls=(listed("mono-1", False), listed("two-2", True)),
                               available=True))  # fmt: skip
    assert picker.isVisible() and picker.combo.count() == 3
    assert picker.combo.itemText(2) == describe_call(listed("two-2", True))
    assert "Dana ↔ +4930123 · audiohook · active · 1:23 · two parties" in picker.combo.itemText(2)
    picker.combo.activated.emit(1)  # the mono call
    assert form.call_id.text() == "mono-1"
    assert not hear_enabled(window)["both"]  # Mixed only, said before connecting
    form.call_id.setText("two-2")  # typing a listed ID is as good as picking it
    assert hear_enabled(window)["both"] and picker.combo.currentData() == "two-2"
    window.connect_call()
    await until(lambda: fakes and fakes[0].state is CallState.STREAMING)
    assert fakes[0].config.two_party is True and fakes[0].config.channels == "both"
    await window.controller.stop()
    form.call_id.setText("typed-3")  # not listed: the session asks the server
    window.connect_call()
    await until(lambda: len(fakes) == 2)
    assert fakes[1].config.two_party is None
    await window.controller.stop()
    picker.show_calls(CallList(available=False))  # a server without a list: hidden
    assert not picker.isVisible()


@pytest.fixture
async def two_party_simulator():
    sim = CXoneSimulator(SimulatorConfig(two_party=True, loop=True, call_ids=("call-a", "call-b")))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def test_the_real_session_on_a_two_party_simulator_picked_from_its_list(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, no_keyring: None, two_party_simulator
) -> None:
    sim = two_party_simulator
    window = MainWindow(settings=settings, out_dir=tmp_path / "rec")
    qtbot.addWidget(window)
    window.show()
    window.fill(ConnectValues(location=sim.base_url, client_id="demo-client",
                              client_secret="demo-secret"))  # fmt: skip
    picker = window.form.picker
    await picker.refresh_now()
    assert picker.isVisible() and picker.combo.count() == 3
    qtbot.keyClick(picker.combo, Qt.Key.Key_Down)  # choose from the keyboard
    picker.combo.activated.emit(picker.combo.currentIndex())
    assert window.form.call_id.text() == "call-a"
    window.connect_call()
    await until(lambda: window.waveform.parties == 2, timeout=10)
    await until(lambda: window.waveform.talk.label.text().startswith("Talk share"), timeout=10)
    folder = window.controller.folder
    await window.controller.stop()
    import wave

    with wave.open(str(folder / "raw.wav")) as w:
        assert w.getnchannels() == 2
    await picker.aclose()
