import pytest
from pytestqt.qtbot import QtBot

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.ui.controls_panel import ControlsPanel, threshold_dbfs_text


def test_defaults_are_the_seeds(qtbot: QtBot) -> None:
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    s = panel.dsp_settings()
    assert s.gain == 1.2  # exact, although the slider sits on +1.6 dB
    assert (s.noise_threshold, s.gate_mode) == (200, "seed")
    assert panel.gain_label.text() == "+1.6 dB (×1.20)"
    assert panel.threshold_label.text() == "200 (-44.3 dBFS)"


def test_gain_slider_spans_minus_to_plus_20_db(qtbot: QtBot) -> None:
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.dsp_changed) as sig:
        panel.gain_slider.setValue(panel.gain_slider.maximum())
    assert sig.args[0].gain == pytest.approx(10.0)
    panel.gain_slider.setValue(panel.gain_slider.minimum())
    assert panel.dsp_settings().gain == pytest.approx(0.1)
    assert panel.gain_label.text().startswith("-20.0 dB")


def test_threshold_slider_reports_dbfs_and_emits_settings(qtbot: QtBot) -> None:
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    assert panel.threshold_slider.maximum() == 3000
    with qtbot.waitSignal(panel.dsp_changed) as sig:
        panel.threshold_slider.setValue(0)
    assert sig.args[0].noise_threshold == 0
    assert panel.threshold_label.text() == "0 (gate off)"
    assert threshold_dbfs_text(3000) == "3000 (-20.8 dBFS)"


def test_gate_mode_and_playback_controls_emit(qtbot: QtBot) -> None:
    panel = ControlsPanel(DspSettings(gain=2.0))
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.dsp_changed) as sig:
        panel.gate_mode.setCurrentText("smooth")
    assert sig.args[0].gate_mode == "smooth" and sig.args[0].gain == 2.0
    with qtbot.waitSignal(panel.volume_changed) as vol:
        panel.volume_slider.setValue(25)
    assert vol.args == [0.25]
    assert panel.volume_label.text() == "25 %"
    with qtbot.waitSignal(panel.mute_toggled) as mute:
        panel.mute.setChecked(True)
    assert mute.args == [True]


def test_device_picker_says_when_there_is_no_output(qtbot: QtBot) -> None:
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    panel.set_devices([], None)
    assert panel.device.currentText() == "No audio output"
    assert not panel.device.isEnabled()


def test_bypass_plays_what_was_received_and_the_sliders_say_they_are_not_in_effect(
    qtbot: QtBot,
) -> None:
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    assert not panel.bypass.isChecked() and not panel.dsp_settings().bypass
    panel.gain_slider.setValue(60)
    with qtbot.waitSignal(panel.dsp_changed) as sig:
        panel.bypass.setChecked(True)
    s = sig.args[0]
    assert s.bypass and s.effective_gain == 1.0 and not s.gate_active
    assert s.noise_threshold == 200 and s.gain == pytest.approx(1.995, abs=0.01)  # kept
    assert not panel.gain_slider.isEnabled() and not panel.threshold_slider.isEnabled()
    assert not panel.gate_mode.isEnabled()
    assert panel.gain_label.text() == "0 dB (bypassed)"
    assert panel.threshold_label.text() == "off (bypassed)"
    panel.bypass.setChecked(False)
    assert panel.gain_slider.isEnabled()
    assert panel.gain_label.text() == "+6.0 dB (×2.00)"
    assert panel.threshold_label.text() == "200 (-44.3 dBFS)"
