"""Lines up a call's perspectives (agent, customer, mixed) on one media clock, 20 ms at a time.

A platform may deliver the parties on separate sockets (CXone RX/TX), as separate
timestamped messages (Twilio inbound/outbound) or interleaved (AudioHook stereo).
Each track writes samples at its own media position: the next one by default, or an
explicit position when the platform stamps it. A frame is released when every joined
track has it; a track that stalls or joins late is filled once the frame has
waited `wait_s`, and its data for released positions is then dropped as late, so
it never shifts the others. What a joined track is missing (a stamped message that
never came, a stall) is concealed in its true place (`core/gap_filler.py`): fading
out over 60 ms where nothing follows yet, so a long stall is silence. Time comes in
as `now` arguments (seconds, any monotonic origin); nothing here reads a clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.gap_filler import GapFiller

FRAME_SAMPLES = 160  # 20 ms at 8 kHz
_NONE_FILLED: frozenset[str] = frozenset()
Int16Array = npt.NDArray[np.int16]
BoolArray = npt.NDArray[np.bool_]
_Buffer = TypeVar("_Buffer", Int16Array, BoolArray)


@dataclass(frozen=True)
class AlignedChunk:
    """Whole frames (or a final partial one) from `position`, one array per known track."""

    position: int
    samples: dict[str, Int16Array]
    filled: frozenset[str]  # joined tracks that had no data for some of it (concealed)

    @property
    def sample_count(self) -> int:
        return next(iter(self.samples.values())).size if self.samples else 0


class _Track:
    """Samples of one perspective for positions [edge, end), in a buffer consumed from the front,
    and which of them the platform sent (the rest are holes, concealed when released).

    While everything written so far is one run from the edge (the usual case) only its
    length is kept; a per-sample mask exists only while a hole is waiting in the buffer.
    """

    __slots__ = ("buf", "end", "filler", "got", "joined", "off", "sent")

    def __init__(self, end: int, rate_hz: int) -> None:
        self.buf: Int16Array = np.zeros(8 * FRAME_SAMPLES, dtype=np.int16)
        self.sent: BoolArray | None = None  # beside `buf`, while a hole waits in it
        self.got = 0  # without a mask: samples sent from the edge on, without a hole
        self.off = 0  # buffer index of the aligner's edge
        self.end = end  # position after this track's last sample (its media clock)
        self.joined = True
        self.filler = GapFiller(AudioFormat(rate_hz=rate_hz, channels=1))

    def put(self, index: int, samples: Int16Array) -> None:
        """Store at buffer-relative `index` (0 = edge); unwritten room stays a hole."""
        n = samples.size
        need = self.off + index + n
        if need > self.buf.size:
            size = max(self.buf.size, 2 * (need - self.off))
            self.buf = _moved(self.buf, self.off, size)
            if self.sent is not None:
                self.sent = _moved(self.sent, self.off, size)
            self.off = 0
        start = self.off + index
        self.buf[start : start + n] = samples
        if self.sent is None:
            if index <= self.got:
                self.got = max(self.got, index + n)
                return
            self.sent = np.zeros(self.buf.size, dtype=np.bool_)  # a hole opens before index
            self.sent[self.off : self.off + self.got] = True
        self.sent[start : start + n] = True

    def take(self, count: int) -> Int16Array:
        """The next `count` samples, holes concealed while the track is joined (a track that
        left is silent after its last sample, as it should be)."""
        off, stop = self.off, self.off + count
        out = self.buf[off:stop].copy()
        if out.size < count:
            out = np.concatenate([out, np.zeros(count - out.size, dtype=np.int16)])
        sent = self.sent
        if sent is None and count <= self.got and self.filler.idle:
            self.filler.played(out)  # nothing missing: as sent
            self.got -= count
        elif self.joined or not self.filler.idle:
            if sent is None:
                written = np.arange(count) < self.got
                ahead_written = np.arange(self.buf.size - stop) < self.got - count
                self.got = max(0, self.got - count)
            else:
                written = np.zeros(count, dtype=np.bool_)
                written[: max(0, sent.size - off)] = sent[off:stop]
                ahead_written = sent[stop:]
            out = self.filler.release(out, written, self.buf[stop:], ahead_written)
        else:
            self.got = max(0, self.got - count)
        self.buf[off:stop] = 0
        self.off = stop
        if sent is not None:
            sent[off:stop] = False
            live = np.flatnonzero(sent[stop:])
            if not live.size or live[-1] + 1 == live.size:  # no hole left: back to a length
                self.sent, self.got = None, int(live.size)
        if self.off * 2 >= self.buf.size:  # compact: amortized O(1) a sample
            self.buf = _moved(self.buf, self.off, self.buf.size)
            if self.sent is not None:
                self.sent = _moved(self.sent, self.off, self.buf.size)
            self.off = 0
        return out


def _moved(buf: _Buffer, off: int, size: int) -> _Buffer:
    """`buf[off:]` at the start of a fresh zeroed buffer of `size`."""
    out = np.zeros(size, dtype=buf.dtype)
    live = buf[off:]
    out[: live.size] = live
    return out


class PerspectiveAligner:
    """Per-call alignment of perspective tracks; see the module docstring.

    `resync_s`: a count-clocked write landing this far behind the released edge
    means the platform paused rather than fell behind, so the track restarts at
    the edge instead of having everything dropped as late.
    """

    def __init__(self, *, wait_s: float = 0.1, resync_s: float = 2.0, rate_hz: int = 8000) -> None:
        if wait_s < 0 or resync_s <= 0:
            raise ValueError("wait_s must be >= 0 and resync_s > 0")
        self.wait_s = wait_s
        self._resync = round(resync_s * rate_hz)
        self._rate = rate_hz
        self._tracks: dict[str, _Track] = {}
        self._edge = 0  # position of the next sample to release
        self._complete: deque[tuple[int, float]] = deque()  # (frame end, when first complete)
        self._noted_end = 0
        self._furthest_end = 0  # max(track.end): where the furthest track's data ends
        self.late_samples = 0  # written for positions already released
        self.filled_frames = 0  # frames released with a joined track missing

    # ---- tracks ---------------------------------------------------------------------------

    @property
    def edge(self) -> int:
        return self._edge

    @property
    def concealed_samples(self) -> int:
        """Samples released that a joined track never had, concealed (all tracks, so far)."""
        return sum(t.filler.concealed_samples for t in self._tracks.values())

    def tracks(self) -> tuple[str, ...]:
        return tuple(self._tracks)

    def joined(self) -> tuple[str, ...]:
        return tuple(name for name, t in self._tracks.items() if t.joined)

    def join(self, name: str) -> None:
        """A track (re)joins at the live edge: where the furthest data ends, never earlier."""
        track = self._tracks.get(name)
        if track is not None and track.joined:
            return
        live = max(self._edge, self._furthest_end)
        if track is None:
            self._tracks[name] = _Track(live, self._rate)
        else:
            track.joined, track.end = True, live

    def leave(self, name: str) -> None:
        """The track stops blocking releases; what it wrote is still released."""
        track = self._tracks.get(name)
        if track is not None:
            track.joined = False

    # ---- writing and releasing ------------------------------------------------------------

    def write(self, name: str, samples: Int16Array, now: float, at: int | None = None) -> None:
        """Add `samples` to track `name` (joining it if new) at `at`, else at its own clock."""
        track = self._tracks.get(name)
        if track is None or not track.joined:
            self.join(name)
            track = self._tracks[name]
        pos = track.end if at is None else at
        if at is None and self._edge - pos >= self._resync:
            pos = self._edge  # the platform paused: restart this track at the edge
        end = pos + samples.size
        if pos < self._edge:
            cut = min(self._edge - pos, samples.size)
            self.late_samples += cut
            samples = samples[cut:]
            pos = self._edge
        if samples.size:
            track.put(pos - self._edge, samples)
        track.end = max(track.end, end) if at is not None else end
        if track.end > self._furthest_end:
            self._furthest_end = track.end
            self._note_complete(now)

    def pop_ready(self, now: float) -> AlignedChunk | None:
        """Release every frame all joined tracks have, plus any that waited `wait_s` (all of
        them at once: a second call at the same `now` finds nothing)."""
        if not self._complete:
            return None  # no whole frame is waiting in any track
        frames = max(0, (self._ready_end() - self._edge) // FRAME_SAMPLES)
        overdue = 0
        for frame_end, since in self._complete:
            if now - since < self.wait_s:
                break
            overdue = (frame_end - self._edge) // FRAME_SAMPLES
        if max(frames, overdue) == 0:
            return None
        return self._release(max(frames, overdue) * FRAME_SAMPLES)

    def next_deadline(self) -> float | None:
        """When `pop_ready` will next release a frame that is waiting on a missing track."""
        if not self._complete:
            return None
        ready_end = self._ready_end()
        for frame_end, since in self._complete:
            if frame_end > ready_end:
                return since + self.wait_s
        return None

    def flush(self) -> AlignedChunk | None:
        """Everything written so far, the last frame possibly short (the call is over)."""
        count = self._furthest() - self._edge
        return self._release(count) if count > 0 else None

    # ---- internals ------------------------------------------------------------------------

    def _furthest(self) -> int:
        return self._furthest_end

    def _ready_end(self) -> int:
        """Where the joined track that is furthest behind ends (all data, if none is joined)."""
        ready = [t.end for t in self._tracks.values() if t.joined]
        return min(ready) if ready else self._furthest_end

    def _note_complete(self, now: float) -> None:
        whole = self._edge + (self._furthest() - self._edge) // FRAME_SAMPLES * FRAME_SAMPLES
        self._noted_end = max(self._noted_end, self._edge)
        while self._noted_end < whole:
            self._noted_end += FRAME_SAMPLES
            self._complete.append((self._noted_end, now))

    def _release(self, count: int) -> AlignedChunk:
        start = self._edge
        stop = start + count
        filled = _NONE_FILLED
        if self._ready_end() < stop:  # some joined track is missing part of this
            filled = frozenset(n for n, t in self._tracks.items() if t.joined and t.end < stop)
            self.filled_frames += -(-count // FRAME_SAMPLES)
        samples = {name: t.take(count) for name, t in self._tracks.items()}
        self._edge = stop  # a stalled track keeps its clock: what it sends for before stop is late
        while self._complete and self._complete[0][0] <= stop:
            self._complete.popleft()
        return AlignedChunk(position=start, samples=samples, filled=filled)
