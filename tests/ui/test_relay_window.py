"""The app through the relay: a platform pushes a call, the window's picker lists it, the real
session streams its two parties apart, and raw.wav holds each exactly as pushed (after μ-law)."""

from __future__ import annotations

import asyncio
import json
import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from cxone_desktop.core.state_machine import CallState
from cxone_desktop.relay.server import RelayServer
from cxone_desktop.simulator.push.push_command import call_id_of, make_push
from cxone_desktop.ui.connect_model import ConnectValues
from cxone_desktop.ui.main_window import MainWindow

from ..relay.support import PUSH_ENV, QA, relay_config, synthetic_call
from .helpers import until


@pytest.mark.parametrize("platform", ["cxone", "audiohook"])
async def test_a_pushed_call_is_picked_heard_apart_and_recorded_bit_exact(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, no_keyring: None, platform: str
) -> None:
    audio = synthetic_call(2.46)
    async with RelayServer(relay_config()) as relay:
        push = make_push(platform, f"{relay.ws_base_url}/ingest/{platform}", audio, PUSH_ENV)
        push.gate = gate = asyncio.Event()
        call_id = call_id_of(push)
        pushing = asyncio.create_task(push.run())
        window = MainWindow(settings=settings, out_dir=tmp_path / "rec")
        qtbot.addWidget(window)
        window.show()
        window.fill(ConnectValues(location=relay.base_url, client_id=QA[0],
                                  client_secret=QA[1]))  # fmt: skip
        picker = window.form.picker
        try:
            await until(lambda: relay.registry.get(call_id) is not None, timeout=20)
            call = relay.registry.get(call_id)
            await until(lambda: call.summary.channels == 2, timeout=20)
            await picker.refresh_now()
            index = picker.combo.findData(call_id)
            assert index > 0 and "two parties" in picker.combo.itemText(index)
            picker.combo.setCurrentIndex(index)
            picker.combo.activated.emit(index)
            assert window.form.call_id.text() == call_id
            assert window.connect_call()
            await until(lambda: window.state_panel.current_state is CallState.STREAMING, 20)
            await until(lambda: len(call.fanout.listeners) == 1, timeout=20)
            gate.set()  # the platform starts talking once the app listens
            await asyncio.wait_for(pushing, 60)
            await until(lambda: not window.controller.running, timeout=30)  # call.ended
        finally:
            gate.set()
            await picker.aclose()
    assert window.waveform.parties == 2
    folder = window.controller.folder
    with wave.open(str(folder / "raw.wav")) as w:
        assert w.getnchannels() == 2
        raw = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert np.array_equal(raw[0::2], audio.expected("agent"))
    assert np.array_equal(raw[1::2], audio.expected("customer"))
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["parties"] == 2 and summary["settings"]["two_party"] is True
    assert summary["listen_mode"] == "both"
