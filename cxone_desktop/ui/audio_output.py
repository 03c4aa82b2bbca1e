"""Plays processed frames through QtMultimedia: the session's PlayoutSink for the app.

Push mode: `write()` queues bytes in a bounded buffer and moves as much as the
QAudioSink will take (`bytesFree()`); while bytes are left over, a QTimer tops
up 30 ms after the last write (each write restarts it: writes come every 20 ms
while a call plays, so it fires only when they stop; a timer of its own beside
them woke the app ~25 more times a second). It stops when the buffer is empty,
so an idle app is idle.
With no output device (or no sound server) the sink says so and swallows
frames, so streaming, charts and recording carry on. A device that stops
taking audio (a sound server that died keeps the sink "active" with no error)
is reported after STALL_S. On Linux no sink is opened again in this process: Qt
6.11's PulseAudio backend does not reconnect, and a new sink then aborts the
process inside libpulse (seen with `pulseaudio --kill` and a restart). Elsewhere
(WASAPI, CoreAudio) the default output is reopened, so sound comes back after a
Citrix reconnect swaps the virtual device.

A device that refuses 8 kHz gets its own format (`output_format`). The device
buffer is `device_buffer_ms` (200 ms; more for VDI, where audio crosses the
network to the client: it costs as much delay).
Lives on the Qt thread, like the session under qasync.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QIODevice, QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices, QtAudio

from cxone_desktop import portable
from cxone_desktop.ui.output_format import FrameConverter, choose_format

log = logging.getLogger(__name__)

#: A sink that takes no audio for this long while we have some is reported as stalled.
STALL_S = 2.0
#: Device buffer for remote desktops (Citrix, VMware Horizon, RDP): audio crosses the network.
VDI_BUFFER_MS = 1000
#: Reopening a sink after its sound server went away aborts inside Qt 6.11's PulseAudio backend.
REOPEN_AFTER_STALL = not portable.IS_LINUX

STALLED_TEXT = (
    "The audio output '{name}' stopped taking audio: the sound server may have stopped. "
    "Restart the app to hear calls again; streaming and recording carry on."
)
REOPENING_TEXT = (
    "The audio output '{name}' stopped taking audio; reopening the default output. "
    "Streaming and recording carry on."
)
NO_OUTPUT_TEXT = (
    "No audio output: no sound device or sound server was found. "
    "Streaming, charts and recording carry on."
)


class QtPlayoutSink(QObject):
    """8 kHz Int16 playback (mono, or a two-party call's stereo) with volume, mute and
    device switching."""

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
        pump_interval_ms: int = 30,
        reopen_after_stall: bool = REOPEN_AFTER_STALL,
        format_supported: Callable[[QAudioDevice, QAudioFormat], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self._rate_hz = rate_hz
        self._max_buffer_ms = max_buffer_ms
        self._device_buffer_ms = device_buffer_ms
        self._reopen_after_stall = reopen_after_stall
        self._format_supported = format_supported
        self._source_channels = 1
        self._converter = FrameConverter(choose_format(QAudioDevice(), rate_hz, lambda d, f: True))
        self._max_buffer = 0
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
    def format(self) -> FrameConverter:
        """What the device is fed: its rate, channels and sample format."""
        return self._converter

    @property
    def device_buffer_ms(self) -> int:
        return self._device_buffer_ms

    def set_device_buffer_ms(self, buffer_ms: int) -> None:
        """Use a device buffer of `buffer_ms` (reopens the output); VDI_BUFFER_MS for VDI."""
        if buffer_ms != self._device_buffer_ms:
            self._device_buffer_ms = buffer_ms
            self.set_device(self._device if not self._device.isNull() else None)

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
    @property
    def source_channels(self) -> int:
        """What the call's frames carry: 1, or 2 (agent left, customer right)."""
        return self._source_channels

    def set_channels(self, channels: int) -> None:
        """The next frames are `channels` interleaved: reopens the output in that shape."""
        if channels == self._source_channels:
            return
        self._source_channels = channels
        self.set_device(self._device if not self._device.isNull() else None)

    def write(self, frames: np.ndarray) -> None:
        """Queue processed int16 frames (n, 160 × channels); the oldest bytes go when the
        buffer is full."""
        if self._sink is None:
            self._dropped_bytes += np.asarray(frames).size * 2
            return
        self._pending += self._converter.convert(frames)
        excess = len(self._pending) - self._max_buffer
        if excess > 0:
            align = self._converter.bytes_per_frame
            excess += -excess % align  # keep frame alignment
            del self._pending[:excess]
            self._dropped_bytes += excess
        self._pump()
        if self._pending:
            self._timer.start()  # top up only if no write comes first

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
        if self._stalled and not self._reopen_after_stall:
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
        fmt = choose_format(
            device, self._rate_hz, self._format_supported, channels=self._source_channels
        )
        converter = FrameConverter(fmt, self._rate_hz, self._source_channels)
        self._pending.clear()  # bytes queued for the old format mean nothing to the new one
        sink = QAudioSink(device, fmt, self)
        sink.setBufferSize(int(self._device_buffer_ms * converter.bytes_per_ms))
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
        self._converter = converter
        max_ms = max(self._max_buffer_ms, self._device_buffer_ms + 300)
        self._max_buffer = int(max_ms * converter.bytes_per_ms)
        if fmt.sampleRate() != self._rate_hz or fmt.channelCount() != self._source_channels:
            log.info("audio output %s plays at %d Hz, %d channel(s), %s", device.description(),
                     fmt.sampleRate(), fmt.channelCount(), fmt.sampleFormat().name)  # fmt: skip
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
        free -= free % self._converter.bytes_per_frame
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
            if self._reopen_after_stall:
                self._set_status(REOPENING_TEXT.format(name=name))
                self.set_device(None)  # not Linux: a new sink is safe, and may work again
                return
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
        if self._stalled and not self._reopen_after_stall:
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
