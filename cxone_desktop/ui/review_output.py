"""Where the review player's audio goes: a QAudioSink in push mode, or a clock when there is none.

Both answer the same four questions (how much room, take this, how much was played,
start over), so the player never asks which one it has.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QIODevice, QObject
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QtAudio


class ClockOutput:
    """Plays nowhere at real speed: keeps the playhead honest when there is no sound card."""

    def __init__(self, rate_hz: int, buffer_frames: int, clock: Callable[[], float]) -> None:
        self._rate = rate_hz
        self._buffer = buffer_frames
        self._clock = clock
        self._written = 0
        self._started = clock()
        self._paused_at: float | None = None

    def free_frames(self) -> int:
        return max(0, self._buffer - (self._written - self.played_frames()))

    def write(self, data: bytes, frames: int) -> None:
        self._written += frames

    def played_frames(self) -> int:
        now = self._paused_at if self._paused_at is not None else self._clock()
        return min(self._written, int((now - self._started) * self._rate))

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self._clock()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._started += self._clock() - self._paused_at
            self._paused_at = None

    def restart(self) -> None:
        self._written = 0
        self._started = self._clock()
        if self._paused_at is not None:
            self._paused_at = self._started

    def close(self) -> None:
        pass


class SinkOutput:
    """A QAudioSink in push mode; raises RuntimeError (with Qt's reason) if it cannot open.

    What the sink cannot take yet (the stretcher's last few ms, written on top of a full
    queue) waits here and goes first next time, so nothing is dropped.
    """

    def __init__(
        self, device: QAudioDevice, rate_hz: int, channels: int, buffer_ms: int, parent: QObject
    ) -> None:
        fmt = QAudioFormat()
        fmt.setSampleRate(rate_hz)
        fmt.setChannelCount(channels)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        self._frame_bytes = 2 * channels
        self._rate = rate_hz
        self._sink = QAudioSink(device, fmt, parent)
        self._sink.setBufferSize(buffer_ms * rate_hz // 1000 * self._frame_bytes)
        self._io: QIODevice | None = None
        self._base_us = 0
        self._pending = bytearray()
        self.restart()

    def free_frames(self) -> int:
        self._push()
        room = max(0, self._sink.bytesFree()) - len(self._pending)
        return max(0, room) // self._frame_bytes

    def write(self, data: bytes, frames: int) -> None:
        self._pending += data
        self._push()

    def _push(self) -> None:
        if self._io is None or not self._pending:
            return
        room = max(0, self._sink.bytesFree()) // self._frame_bytes * self._frame_bytes
        if room:
            taken = self._io.write(bytes(self._pending[:room]))
            if taken > 0:
                del self._pending[:taken]

    def played_frames(self) -> int:
        return max(0, self._sink.processedUSecs() - self._base_us) * self._rate // 1_000_000

    def pause(self) -> None:
        self._sink.suspend()

    def resume(self) -> None:
        self._sink.resume()

    def restart(self) -> None:
        self._pending.clear()
        self._sink.stop()
        self._io = self._sink.start()
        if self._io is None or self._sink.error() != QtAudio.Error.NoError:
            err = self._sink.error()
            self._sink.deleteLater()
            raise RuntimeError(str(err).rsplit(".", 1)[-1])
        self._base_us = self._sink.processedUSecs()

    def close(self) -> None:
        self._sink.stop()
        self._sink.deleteLater()
