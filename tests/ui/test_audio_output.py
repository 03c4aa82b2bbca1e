"""The QAudioSink output without a sound server (the CI case): it says so and swallows frames.

Playback on a real (null) sink is covered end to end by test_e2e_audio.py.
"""

import numpy as np
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
