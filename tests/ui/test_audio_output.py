"""The QAudioSink output without a sound server (the CI case): it says so and swallows frames.

Playback on a real (null) sink is covered end to end by test_e2e_audio.py.
"""

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from cxone_desktop.ui.audio_output import NO_OUTPUT_TEXT, QtPlayoutSink


def test_no_device_means_a_plain_message_and_no_growth(qtbot: QtBot) -> None:
    sink = QtPlayoutSink()
    assert not sink.available
    assert sink.status == NO_OUTPUT_TEXT
    frames = np.ones((5, 160), dtype=np.int16)
    for _ in range(100):
        sink.write(frames)
    assert sink.pending_bytes == 0
    assert sink.dropped_bytes == 100 * 5 * 320


def test_volume_and_mute_are_kept_without_a_device(qtbot: QtBot) -> None:
    sink = QtPlayoutSink()
    sink.set_volume(0.3)
    sink.set_muted(True)
    assert sink.volume == 0.3 and sink.muted
    sink.set_volume(7)
    assert sink.volume == 1.0


def test_a_device_that_takes_8_khz_gets_the_call_as_it_is(qtbot: QtBot) -> None:
    from PySide6.QtMultimedia import QAudioDevice

    from cxone_desktop.ui.output_format import FrameConverter, choose_format

    asked: list[int] = []

    def mono_refused(device: QAudioDevice, fmt) -> bool:
        asked.append(fmt.channelCount())
        return fmt.channelCount() == 2

    fmt = choose_format(QAudioDevice(), 8000, mono_refused)
    assert (fmt.sampleRate(), fmt.channelCount(), asked) == (8000, 2, [1, 2])
    conv = FrameConverter(fmt)
    frames = np.arange(-160, 160, 2, dtype=np.int16).reshape(1, 160)
    out = np.frombuffer(conv.convert(frames), "<i2")
    np.testing.assert_array_equal(out, np.repeat(frames.reshape(-1), 2))  # both ears, untouched


def test_a_refusing_device_gets_its_own_rate_channels_and_sample_type(qtbot: QtBot) -> None:
    from cxone_desktop.ui.output_format import FrameConverter, call_format

    fmt = call_format(48000, 2)
    fmt.setSampleFormat(fmt.SampleFormat.Float)
    conv = FrameConverter(fmt)
    assert conv.bytes_per_frame == 8 and conv.bytes_per_ms == 384.0
    t = np.arange(8000) / 8000
    tone = (16000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    out = np.concatenate(
        [np.frombuffer(conv.convert(tone[i : i + 160]), "<f4") for i in range(0, 8000, 160)]
    ).reshape(-1, 2)
    assert out.shape == (48000, 2) and np.array_equal(out[:, 0], out[:, 1])
    steady = out[2400:, 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(steady * np.hanning(len(steady))))
    assert np.argmax(spectrum) * 48000 / len(steady) == pytest.approx(1000, abs=2)
    assert np.max(np.abs(steady)) == pytest.approx(16000 / 32768, rel=0.01)

    u8 = call_format(8000, 1)
    u8.setSampleFormat(u8.SampleFormat.UInt8)
    raw = np.frombuffer(FrameConverter(u8).convert(np.array([-32768, 0, 32767], np.int16)), "u1")
    assert list(raw) == [1, 128, 255]


def test_after_a_stall_only_linux_refuses_to_open_a_sink_again(qtbot: QtBot) -> None:
    for reopen, expected in ((False, "sentinel"), (True, NO_OUTPUT_TEXT)):
        sink = QtPlayoutSink(reopen_after_stall=reopen)
        sink._stalled = True  # the sound server went away under a playing sink
        sink._status = "sentinel"
        sink.set_device(None)  # what a device change (a Citrix reconnect) leads to
        assert sink.status == expected
