"""Plays a recorded session through its own QAudioSink, beside the live call's sink.

Push mode, as the live output: a timer tops the sink up to `bytesFree()` with
the frames the `PlaybackCursor` picks (A–B loop, silences skipped), after
per-party gain and mute (stereo stays stereo: agent left, customer right), and
at a speed other than 1× through a streaming WSOLA (`core.time_stretch`: the
pitch stays). The playhead is what the sink has *played* (`processedUSecs`),
mapped back through the `SpeedLog` to input frames, through the cursor's log to
a file position, and then to session time: it shows the recording's time at any
speed. A new speed is heard once the sink's queue (`buffer_ms`) has played.

Without a usable device the player says why and plays on a clock instead, so
the playhead, loops and skips still work and the analyst can follow the marks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice, QMediaDevices

from cxone_desktop.core.time_stretch import WsolaStretcher
from cxone_desktop.review.playback_cursor import PlaybackCursor
from cxone_desktop.review.session_reader import AudioTrack
from cxone_desktop.review.speed_log import SPEEDS, SpeedLog
from cxone_desktop.ui.review_output import ClockOutput, SinkOutput

log = logging.getLogger(__name__)

__all__ = ["CANNOT_OPEN_TEXT", "NO_DEVICE_TEXT", "SPEEDS", "UNSAFE_TEXT", "ReviewPlayer"]

NO_DEVICE_TEXT = (
    "No audio output for review playback: no sound device or sound server was found. "
    "The playhead still moves, so you can follow the marks."
)
CANNOT_OPEN_TEXT = (
    "Cannot open the audio output '{name}' for review playback ({why}); a live call may be "
    "holding it. The playhead still moves; close the live call or pick another output."
)
UNSAFE_TEXT = (
    "Review playback is silent: the sound server stopped during the live call, and opening "
    "another output now could crash the app. Restart the app to hear recordings."
)


class ReviewPlayer(QObject):
    """Play/pause/seek/loop/skip one recording; `position_s` is session time."""

    playing_changed = Signal(bool)
    status_changed = Signal(str)
    speed_changed = Signal(float)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        use_device: bool = True,
        may_open_device: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.monotonic,
        buffer_ms: int = 200,
        pump_ms: int = 15,
    ) -> None:
        super().__init__(parent)
        self._use_device = use_device
        self._may_open = may_open_device
        self._clock = clock
        self._buffer_ms = buffer_ms
        self._track: AudioTrack | None = None
        self._cursor = PlaybackCursor(0)
        self._out: ClockOutput | SinkOutput | None = None
        self._playing = False
        self._gains = np.ones(2, dtype=np.float32)
        self._muted = np.zeros(2, dtype=bool)
        self._speed = 1.0
        self._stretcher: WsolaStretcher | None = None
        self._stretch_speed = 1.0  # the speed the stretcher was last fed at
        self._speed_log = SpeedLog()
        self._tail_padded = False
        self.status = ""
        self._timer = QTimer(self)
        self._timer.setInterval(pump_ms)
        self._timer.timeout.connect(self.pump)

    # ---- what the window reads -------------------------------------------------------------
    @property
    def track(self) -> AudioTrack | None:
        return self._track

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def audible(self) -> bool:
        """True when the audio goes to a sound card (not just the clock)."""
        return isinstance(self._out, SinkOutput)

    @property
    def position_s(self) -> float:
        if self._track is None:
            return 0.0
        return self._track.session_at(self._file_frame())

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def loop(self) -> tuple[int, int] | None:
        return self._cursor.loop

    # ---- controls --------------------------------------------------------------------------
    def set_may_open_device(self, check: Callable[[], bool]) -> None:
        """Asked before opening a sink (the live output may know it would be unsafe)."""
        self._may_open = check

    def load(self, track: AudioTrack, *, at_s: float | None = None) -> None:
        """Play `track` from now on (keeping the playhead where it was, or at `at_s`)."""
        where = self.position_s if at_s is None and self._track is not None else at_s
        was_playing = self._playing
        self.pause()
        if self._out is not None:
            self._out.close()
            self._out = None
        loop = self._cursor.loop
        silences, lead = self._cursor.silences, self._cursor.lead_frames
        self._track = track
        self._cursor = PlaybackCursor(track.wav.frames, silences=silences, lead_frames=lead)
        if loop is not None:
            self._cursor.set_loop(*loop)
        self._seek_frame(track.frame_at(where or track.start_s))
        if was_playing:
            self.play()

    def set_speed(self, speed: float) -> None:
        """Play `speed` times as fast (0.5–2), pitch kept; takes effect as the queue plays."""
        speed = min(max(SPEEDS[0], float(speed)), SPEEDS[-1])
        if speed != self._speed:
            self._speed = speed
            self.speed_changed.emit(speed)

    def step_speed(self, steps: int) -> float:
        """Move `steps` places along SPEEDS (negative: slower); returns the new speed."""
        nearest = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self._speed))
        self.set_speed(SPEEDS[min(max(0, nearest + steps), len(SPEEDS) - 1)])
        return self._speed

    def play(self) -> None:
        if self._track is None or self._playing:
            return
        if self._cursor.finished:
            self._seek_frame(self._cursor.loop[0] if self._cursor.loop else 0)
        if self._out is None:
            self._out = self._open_output(self._track)
        else:
            self._out.resume()
        self._playing = True
        self.pump()
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if not self._playing:
            return
        frame = self._file_frame()
        self._playing = False
        self._timer.stop()
        if self._out is not None:
            self._out.pause()
            self._out.restart()  # drop what was queued: resuming starts at the playhead
            self._out.pause()
        self._seek_frame(frame)
        self.playing_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def seek(self, session_s: float) -> None:
        if self._track is None:
            return
        self._seek_frame(self._track.frame_at(session_s))
        if self._out is not None:
            self._out.restart()
            if not self._playing:
                self._out.pause()
        if self._playing:
            self.pump()

    def set_loop(self, a_s: float | None, b_s: float | None) -> None:
        """Loop [a_s, b_s] (session seconds); None clears the loop."""
        if self._track is None or a_s is None or b_s is None:
            self._cursor.set_loop(None, None)
            return
        self._cursor.set_loop(self._track.frame_at(a_s), self._track.frame_at(b_s))

    def set_skip_silences(
        self, stretches: list[tuple[int, int]] | None, lead_s: float = 0.25
    ) -> None:
        """Jump over these silent frame ranges (None: play everything)."""
        rate = self._track.rate_hz if self._track is not None else 8000
        self._cursor.silences = list(stretches or [])
        self._cursor.lead_frames = int(lead_s * rate)

    def set_gain(self, channel: int, gain: float) -> None:
        self._gains[channel] = min(2.0, max(0.0, float(gain)))

    def set_muted(self, channel: int, muted: bool) -> None:
        self._muted[channel] = bool(muted)

    def close(self) -> None:
        self._timer.stop()
        self._playing = False
        if self._out is not None:
            self._out.close()
            self._out = None

    # ---- internals -------------------------------------------------------------------------
    def pump(self) -> None:
        """Top the output up; stop at the end of the recording."""
        if not self._playing or self._track is None or self._out is None:
            return
        samples = self._track.wav.samples
        free = self._out.free_frames()
        # At speed s, free output frames take about s × as many input frames.
        segments = self._cursor.take(max(1, int(free * self._speed)) if free else 0)
        if segments:
            chunk = np.concatenate([samples[lo:hi] for lo, hi in segments]).astype(np.float32)
            gains = np.where(self._muted, 0.0, self._gains)[: chunk.shape[1]]
            chunk *= gains
            if self._speed != 1.0 or self._stretcher is not None:
                # Back at 1× it stays in the chain (at 1× it passes the audio through
                # unchanged): flushing it would fade out its last 10 ms, a dip at every switch.
                if self._stretcher is None:
                    self._stretcher = WsolaStretcher(self._track.rate_hz, chunk.shape[1])
                self._stretch_speed = self._speed
                self._write(self._stretcher.process(chunk, self._speed), self._speed)
            else:
                self._write(np.clip(chunk, -32768, 32767).astype("<i2"), 1.0)
        elif self._cursor.finished and self._stretcher is not None:
            self._drain_stretcher()  # the last ~30 ms it held back (the output keeps any excess)
        elif self._cursor.finished and not self._tail_padded:
            # The sound server plays some way behind what the sink has taken; silence after
            # the last sample lets that last stretch be heard before the sink stops.
            self._tail_padded = True
            pad = np.zeros((self._buffer_frames(), self._track.channels), dtype="<i2")
            self._out.write(pad.tobytes(), pad.shape[0])  # not logged: the playhead stays put
        elif self._cursor.finished and self._out.free_frames() >= self._buffer_frames() - 1:
            self.pause()  # everything queued has been played

    def _write(self, data: np.ndarray, speed: float) -> None:
        if self._out is None or data.shape[0] == 0:
            return
        frames = int(data.shape[0])
        self._out.write(np.ascontiguousarray(data, dtype="<i2").tobytes(), frames)
        self._speed_log.add(frames, speed)

    def _drain_stretcher(self) -> None:
        """Play what the stretcher still holds (the end of the recording) and drop it."""
        if self._stretcher is not None:
            tail = self._stretcher.flush()
            self._stretcher = None
            self._write(tail, self._stretch_speed)

    def _file_frame(self) -> int:
        """The file frame being heard now."""
        played = self._out.played_frames() if self._out is not None else 0
        return self._cursor.position(self._speed_log.input_frames(played))

    def _seek_frame(self, frame: int) -> None:
        """Continue from `frame` with nothing queued (the caller resets the output)."""
        self._cursor.seek(frame)
        self._speed_log.clear()
        self._stretcher = None
        self._tail_padded = False

    def _buffer_frames(self) -> int:
        rate = self._track.rate_hz if self._track is not None else 8000
        return self._buffer_ms * rate // 1000

    def _open_output(self, track: AudioTrack) -> ClockOutput | SinkOutput:
        fallback = ClockOutput(track.rate_hz, self._buffer_frames(), self._clock)
        if not self._use_device:
            return fallback
        if not self._may_open():
            self._set_status(UNSAFE_TEXT)
            return fallback
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            outputs = QMediaDevices.audioOutputs()
            device = outputs[0] if outputs else QAudioDevice()
        if device.isNull():
            self._set_status(NO_DEVICE_TEXT)
            return fallback
        try:
            out = SinkOutput(device, track.rate_hz, track.channels, self._buffer_ms, self)
        except RuntimeError as exc:
            log.warning("cannot open %s for review playback: %s", device.description(), exc)
            self._set_status(CANNOT_OPEN_TEXT.format(name=device.description(), why=exc))
            return fallback
        self._set_status(f"Review playback on: {device.description()}")
        return out

    def _set_status(self, text: str) -> None:
        if text != self.status:
            self.status = text
            self.status_changed.emit(text)
