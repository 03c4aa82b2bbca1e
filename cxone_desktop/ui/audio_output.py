"""Plays processed frames through QtMultimedia: the session's PlayoutSink for the app.

Push mode: `write()` queues bytes in a bounded buffer and moves as much as the
QAudioSink will take (`bytesFree()`); while bytes are left over, a 10 ms QTimer
keeps topping up (it stops when the buffer is empty, so an idle app is idle).
With no output device (or no sound server) the sink says so and swallows
frames, so streaming, charts and recording carry on. A device that stops
taking audio (a sound server that died keeps the sink "active" with no error)
is reported after STALL_S, and no sink is opened again in this process: Qt
6.11's PulseAudio backend does not reconnect, and a new sink then aborts the
process inside libpulse (seen with `pulseaudio --kill` and a restart).
Lives on the Qt thread, like the session under qasync.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QIODevice, QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices, QtAudio

log = logging.getLogger(__name__)

#: A sink that takes no audio for this long while we have some is reported as stalled.
STALL_S = 2.0

STALLED_TEXT = (
    "The audio output '{name}' stopped taking audio: the sound server may have stopped. "
    "Restart the app to hear calls again; streaming and recording carry on."
)
NO_OUTPUT_TEXT = (
    "No audio output: no sound device or sound server was found. "
    "Streaming, charts and recording carry on."
)


class QtPlayoutSink(QObject):
    """8 kHz Int16 mono playback with volume, mute and device switching."""

    #: Plain-words description of where the audio goes (or that it goes nowhere).
    status_changed = Signal(str)
    #: The list of output devices changed (a headset plugged in or removed).
    devices_changed = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        rate_hz: int = 8000,
        max_buffer_ms: int = 500,
        device_buffer_ms: int = 200,
        pump_interval_ms: int = 10,
    ) -> None:
        super().__init__(parent)
        self._rate_hz = rate_hz
        self._bytes_per_ms = rate_hz * 2 // 1000
        self._max_buffer = max_buffer_ms * self._bytes_per_ms
        self._device_buffer = device_buffer_ms * self._bytes_per_ms
        self._pending = bytearray()
        self._dropped_bytes = 0
        self._written_bytes = 0
        self._volume = 1.0
        self._muted = False
        self._sink: QAudioSink | None = None
        self._io: QIODevice | None = None
        self._device = QAudioDevice()
        self._status = ""
        self._progress_at = time.monotonic()  # when the sink last took or played audio
        self._played_usecs = 0
        self._stalled = False  # the sink stopped taking audio; see _pump
        self._media = QMediaDevices(self)
        self._media.audioOutputsChanged.connect(self._on_outputs_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(pump_interval_ms)
        self._timer.timeout.connect(self._pump)
        self.set_device(None)

    # ---- what the UI reads -----------------------------------------------------------------
    @property
    def available(self) -> bool:
        """True when there is an output device to play on."""
        return self._sink is not None

    @property
    def status(self) -> str:
        return self._status

    @property
    def device(self) -> QAudioDevice:
        return self._device

    @property
    def pending_bytes(self) -> int:
        return len(self._pending)

    @property
    def dropped_bytes(self) -> int:
        """Bytes thrown away because the buffer was full (or there was no device)."""
        return self._dropped_bytes

    @property
    def written_bytes(self) -> int:
        """Bytes handed to the audio device so far."""
        return self._written_bytes

    @property
    def stalled(self) -> bool:
        """The device stopped taking audio: opening any other sink now could abort Qt."""
        return self._stalled

    @staticmethod
    def devices() -> list[QAudioDevice]:
        return list(QMediaDevices.audioOutputs())

    # ---- PlayoutSink -----------------------------------------------------------------------
    def write(self, frames: np.ndarray) -> None:
        """Queue processed int16 frames (n, 160); the oldest bytes go when the buffer is full."""
        data = np.ascontiguousarray(frames, dtype="<i2").tobytes()
        if self._sink is None:
            self._dropped_bytes += len(data)
            return
        self._pending += data
        excess = len(self._pending) - self._max_buffer
        if excess > 0:
            excess += excess % 2  # keep sample alignment
            del self._pending[:excess]
            self._dropped_bytes += excess
        self._pump()

    # ---- controls --------------------------------------------------------------------------
    def set_volume(self, volume: float) -> None:
        """Linear volume 0…1."""
        self._volume = min(1.0, max(0.0, volume))
        self._apply_volume()

    @property
    def volume(self) -> float:
        return self._volume

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        self._apply_volume()

    @property
    def muted(self) -> bool:
        return self._muted

    def set_device(self, device: QAudioDevice | None) -> None:
        """Play on `device`; None (or a null device) means the system default."""
        if self._stalled:
            return  # the sound server went away under us; see the module docstring
        if device is None or device.isNull():
            device = QMediaDevices.defaultAudioOutput()
            if device.isNull():
                outputs = QMediaDevices.audioOutputs()
                device = outputs[0] if outputs else QAudioDevice()
        self._close_sink()
        self._device = device
        if device.isNull():
            self._set_status(NO_OUTPUT_TEXT)
            return
        fmt = QAudioFormat()
        fmt.setSampleRate(self._rate_hz)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        sink = QAudioSink(device, fmt, self)
        sink.setBufferSize(self._device_buffer)
        io = sink.start()
        if io is None or sink.error() != QtAudio.Error.NoError:
            log.warning("cannot open audio output %s: %s", device.description(), sink.error())
            sink.deleteLater()
            self._set_status(
                f"Cannot open the audio output '{device.description()}'. "
                "Streaming and recording carry on; pick another output."
            )
            return
        # Failure is checked on each pump, not through `stateChanged`: PySide6 6.11 cannot
        # convert its QtAudio.State argument and raises TypeError in the slot call.
        self._sink, self._io = sink, io
        self._progress_at = time.monotonic()
        self._played_usecs = 0
        self._stalled = False
        self._apply_volume()
        self._pump()
        self._set_status(f"Playing on: {device.description()}")

    def close(self) -> None:
        """Stop playback and release the device."""
        self._close_sink()
        self._pending.clear()

    # ---- internals -------------------------------------------------------------------------
    def _pump(self) -> None:
        if self._sink is None or self._io is None:
            return
        if self._sink_failed():
            return
        now = time.monotonic()
        played = self._sink.processedUSecs()
        if played != self._played_usecs:
            self._played_usecs = played
            self._progress_at = now
            if self._stalled:
                self._stalled = False
                self._set_status(f"Playing on: {self._device.description()}")
        free = self._sink.bytesFree()
        free -= free % 2
        if free > 0 and self._pending:
            written = self._io.write(bytes(self._pending[:free]))
            if written > 0:
                del self._pending[:written]
                self._written_bytes += written
                self._progress_at = now
        elif self._pending and now - self._progress_at > STALL_S and not self._stalled:
            self._stalled = True
            name = self._device.description()
            log.warning("audio output %s took no audio for %.0f s", name, STALL_S)
            self._set_status(STALLED_TEXT.format(name=name))
        if self._pending and not self._timer.isActive():
            self._timer.start()
        elif not self._pending and self._timer.isActive():
            self._timer.stop()

    def _apply_volume(self) -> None:
        if self._sink is not None:
            self._sink.setVolume(0.0 if self._muted else self._volume)

    def _close_sink(self) -> None:
        self._timer.stop()
        if self._sink is not None:
            self._sink.stop()
            self._sink.deleteLater()
        self._sink = None
        self._io = None

    def _sink_failed(self) -> bool:
        """True (and the default output reopened) when the device died under the sink."""
        sink = self._sink
        if sink is None or sink.state() != QtAudio.State.StoppedState:
            return False
        if sink.error() not in (QtAudio.Error.OpenError, QtAudio.Error.FatalError):
            return False
        # The device vanished under us (unplugged, sound server restarted).
        log.warning("audio output %s failed: %s", self._device.description(), sink.error())
        self.set_device(None)
        return True

    def _on_outputs_changed(self) -> None:
        ids = {bytes(d.id().data()) for d in QMediaDevices.audioOutputs()}
        current = bytes(self._device.id().data()) if not self._device.isNull() else None
        broken = self._sink is not None and self._sink.error() != QtAudio.Error.NoError
        if self._stalled:
            pass  # opening a sink now could abort the process (see the module docstring)
        elif current is None or current not in ids or broken:
            # Our device went away (or we had none and one appeared): follow the default.
            log.info("audio outputs changed (%d now); following the default", len(ids))
            self.set_device(None)
        self.devices_changed.emit()

    def _set_status(self, text: str) -> None:
        if text != self._status:
            self._status = text
            self.status_changed.emit(text)
