"""When each WebSocket message of a simulated call leaves, and what bytes it carries.

Pure and seeded: the live simulator (`MediaPump`) sleeps until each message's
time and sends it; the offline benchmark feeds the same messages straight into
the pure playout buffer, so a network model means the same thing in both. Every
time here is seconds on the call's media clock (frame k of an unheld call is
due at k × 20 ms). The rules, in the order they apply:

1. Drift: the sender's clock runs `drift_ppm` fast (> 0) or slow, so frame k
   is due at origin + (due − origin) / (1 + ppm·1e-6) on the listener's clock.
2. Loss: a frame is never sent if the independent draw, a fixed burst or the
   Gilbert–Elliott channel loses it; the media clock runs on.
3. Framing: the bytes of the frames sent are cut into messages —
   `fragment` sizes leave when their last byte's frame is due (today's
   simulator); a batching sender (`batch_frames` N) cuts 1..N frames' bytes
   anywhere and sends each message when the frame holding its first byte is due
   (the rest arrives early); large frames send `large_frames_ms` of sender slots
   (lost ones just missing) when the last slot is due.
4. Jitter: each message waits a further uniform 0..`jitter_ms`, never
   overtaking the one before (TCP keeps order).
5. Spikes: stall k covers [k·S, k·S + d_k) with d_k uniform in `spike_ms`;
   whatever would leave inside it leaves at its end, all at once.

A trace replaces all five: message i leaves at origin + (t_i − t_0), carrying
the next `bytes_i` bytes of the audio; a trace shorter than the audio repeats.
The frames the recorded sender lost (`ArrivalTrace.losses` decodes them from
the timing) are left out of the audio where the timing allows them to have been.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cxone_desktop.core.arrival_trace import ArrivalTrace
from cxone_desktop.simulator.config import FRAME_MS, Impairments
from cxone_desktop.simulator.fragmenter import Fragmenter
from cxone_desktop.simulator.frame_loss import FrameLoss

FRAME_S = FRAME_MS / 1000.0


@dataclass(frozen=True)
class ScheduledMessage:
    """One message: when it leaves (s, media clock) and its payload."""

    send_s: float
    data: bytes


class GilbertElliott:
    """Two-state burst loss: good→bad with `enter`, bad→good with `leave`, per frame.

    In the bad state a frame is lost with probability `bad_loss`; the good state
    loses nothing (independent loss is drawn apart, beside it).
    """

    def __init__(self, enter: float, leave: float, bad_loss: float, rng: random.Random) -> None:
        self._enter = enter
        self._leave = leave
        self._bad_loss = bad_loss
        self._rng = rng
        self._bad = False
        self.lost = 0

    def lose(self) -> bool:
        """True when this frame is lost; then moves the channel on by one frame."""
        if self._enter <= 0:
            return False
        lost = self._bad and self._rng.random() < self._bad_loss
        if self._bad:
            self._bad = self._rng.random() >= self._leave
        else:
            self._bad = self._rng.random() < self._enter
        self.lost += lost
        return lost


class ArrivalSchedule:
    """Messages for one connection from its frames `(due_s, payload)`, in order.

    Iterate it once. `lost_frames` counts frames never sent; with `keep_lost`,
    `lost_indices` lists their positions in `frames` (for offline oracles).
    """

    def __init__(
        self,
        frames: Iterable[tuple[float, bytes]],
        impairments: Impairments,
        *,
        seed: str | None = None,
        keep_lost: bool = False,
    ) -> None:
        self._frames = frames
        self._imp = impairments
        self._seed = seed
        self._keep_lost = keep_lost
        self.lost_indices: list[int] = []
        self.stalls: list[tuple[float, float]] = []  # (start, end) of each stall so far
        self.frames_sent = 0
        self._replay_lost = 0  # frames a replayed trace's sender lost, left out of the audio
        self._loss = FrameLoss(
            impairments.loss, impairments.burst_loss, impairments.burst_frames, self._rng("loss")
        )
        self._ge = GilbertElliott(
            impairments.ge_enter, impairments.ge_leave, impairments.ge_bad_loss, self._rng("ge")
        )

    @property
    def lost_frames(self) -> int:
        return self._loss.lost + self._ge.lost + self._replay_lost

    def __iter__(self) -> Iterator[ScheduledMessage]:
        if self._imp.arrival_trace is not None:
            return self._replay()
        return self._stall(self._jitter(self._cut(self._sent(self._drifted()))))

    # -- the stages --------------------------------------------------------------------------

    def _rng(self, stream: str) -> random.Random:
        """An independent generator per stage, so enabling one leaves the others' draws alone."""
        seed = self._seed
        return random.Random(f"{seed}/{stream}") if seed is not None else random.Random()

    def _drifted(self) -> Iterator[tuple[float, bytes]]:
        scale = 1.0 / (1.0 + self._imp.drift_ppm * 1e-6)
        origin: float | None = None
        for due, payload in self._frames:
            if origin is None:
                origin = due
            yield origin + (due - origin) * scale, payload

    def _sent(self, frames: Iterable[tuple[float, bytes]]) -> Iterator[tuple[float, bytes | None]]:
        """Every slot in order; the payload is None for a frame that was lost."""
        for index, (due, payload) in enumerate(frames):
            lost = self._loss.lose()
            lost = self._ge.lose() or lost  # draw both, so each channel's pattern is its own
            if lost:
                if self._keep_lost:
                    self.lost_indices.append(index)
                yield due, None
                continue
            self.frames_sent += 1
            yield due, payload

    def _cut(self, slots: Iterable[tuple[float, bytes | None]]) -> Iterator[tuple[float, bytes]]:
        """(time the message is ready, payload) per message."""
        imp = self._imp
        if imp.batch_frames > 0:
            yield from self._batches(slots, imp.batch_frames)
        elif imp.large_frames_ms is not None:
            yield from self._large(slots, imp.large_frames_ms)
        else:
            yield from self._fragments(slots)

    def _fragments(
        self, slots: Iterable[tuple[float, bytes | None]]
    ) -> Iterator[tuple[float, bytes]]:
        fragmenter: Fragmenter | None = None
        due = 0.0
        for due, payload in slots:
            if payload is None:
                continue
            if fragmenter is None:
                fragmenter = Fragmenter(self._imp.fragment, len(payload), self._rng("frag"))
            for message in fragmenter.push(payload):
                yield due, message
        rest = fragmenter.flush() if fragmenter is not None else b""
        if rest:
            yield due, rest

    def _batches(
        self, slots: Iterable[tuple[float, bytes | None]], max_frames: int
    ) -> Iterator[tuple[float, bytes]]:
        """1..N frames' bytes per message, sent when the frame of its first byte is due."""
        rng = self._rng("batch")
        pending = bytearray()
        owners: list[tuple[int, float]] = []  # (end offset in pending, due) per frame held
        size = 0
        for due, payload in slots:
            if payload is None:
                continue
            if not size:
                size = rng.randint(1, max_frames * len(payload))
            pending += payload
            owners.append((len(pending), due))
            while len(pending) >= size:
                yield owners[0][1], bytes(pending[:size])
                del pending[:size]
                owners = [(end - size, d) for end, d in owners if end > size]
                size = rng.randint(1, max_frames * len(payload))
        if pending:
            yield owners[0][1], bytes(pending)

    def _large(
        self, slots: Iterable[tuple[float, bytes | None]], cadence_ms: tuple[int, int]
    ) -> Iterator[tuple[float, bytes]]:
        """A message per window of sender slots, sent when the window's last slot is due."""
        rng = self._rng("large")
        low, high = cadence_ms[0] // FRAME_MS, cadence_ms[1] // FRAME_MS
        window = rng.randint(low, high)
        parts: list[bytes] = []
        taken = 0
        due = 0.0
        for due, payload in slots:
            if payload is not None:
                parts.append(payload)
            taken += 1
            if taken == window:
                if parts:
                    yield due, b"".join(parts)
                parts, taken = [], 0
                window = rng.randint(low, high)
        if parts:
            yield due, b"".join(parts)

    def _jitter(self, messages: Iterable[tuple[float, bytes]]) -> Iterator[tuple[float, bytes]]:
        jitter_s = self._imp.jitter_ms / 1000.0
        if jitter_s <= 0:
            yield from messages
            return
        rng = self._rng("jitter")
        last = float("-inf")
        for ready, data in messages:
            last = max(last, ready + rng.uniform(0.0, jitter_s))
            yield last, data

    def _stall(self, messages: Iterable[tuple[float, bytes]]) -> Iterator[ScheduledMessage]:
        every = self._imp.spike_every_s
        if every is None:
            for at, data in messages:
                yield ScheduledMessage(at, data)
            return
        rng = self._rng("spikes")
        low, high = (ms / 1000.0 for ms in self._imp.spike_ms)
        k = 1
        end = every + rng.uniform(low, high)
        self.stalls.append((every, end))
        for at, data in messages:
            while at >= end:
                k += 1
                end = k * every + rng.uniform(low, high)
                self.stalls.append((k * every, end))
            start = k * every
            yield ScheduledMessage(end if at >= start else at, data)

    def _replay(self) -> Iterator[ScheduledMessage]:
        """The trace's sizes and times over the audio's bytes, repeating the trace if short;
        frames the recorded sender lost (the timing says how many, and about where) are left
        out, so the audio keeps the pace it had instead of falling behind by the losses."""
        trace = self._imp.arrival_trace
        assert trace is not None
        times = trace.times_s
        gap = trace.duration_s / (len(times) - 1) if len(times) > 1 else FRAME_S
        period = trace.duration_s + gap
        frames = iter(self._frames)
        first = next(frames, None)
        if first is None:
            return
        frame_bytes = len(first[1])
        sizes, skips = self._replayed(trace, frame_bytes, period)
        skip = next(skips, None)
        origin, pending = first[0], bytearray(first[1])
        self.frames_sent = 1
        index = 0  # of the last frame taken from the audio
        received = frame_bytes  # bytes of audio taken into messages so far
        exhausted = False
        lap = 0
        while True:
            for t, size in zip(times, sizes, strict=True):
                while len(pending) < size and not exhausted:
                    item = next(frames, None)
                    index += 1
                    if item is None:
                        exhausted = True
                    elif skip is not None and skip <= received:
                        skip = next(skips, None)
                        self._replay_lost += 1
                        if self._keep_lost:
                            self.lost_indices.append(index)
                    else:
                        pending += item[1]
                        received += len(item[1])
                        self.frames_sent += 1
                if exhausted and not pending:
                    return
                data = bytes(pending[:size])
                del pending[:size]
                yield ScheduledMessage(origin + lap * period + (t - times[0]), data)
            lap += 1

    @staticmethod
    def _replayed(
        trace: ArrivalTrace, frame_bytes: int, period: float
    ) -> tuple[list[int], Iterator[int]]:
        """The message sizes to replay, and where to leave a frame out (audio bytes taken
        before it), lap after lap: the trace's losses, and at each later lap's start the
        frames its bytes fell short of a lap's time by. A trace of another byte rate than
        this audio's (a two-party call's stereo over mono audio, say) is scaled to it, so
        it replays the same time in messages, not the same bytes twice as fast."""
        losses = trace.losses
        if losses is None:  # too short to tell, or no call's rate: byte for byte
            return list(trace.sizes), iter(())
        audio_rate = round(frame_bytes / FRAME_S)
        scale = audio_rate / losses.bytes_per_s
        sizes, before = [], 0
        for end in itertools.accumulate(trace.sizes):
            scaled = round(end * scale)
            sizes.append(scaled - before)
            before = scaled
        offsets = [offset // losses.frame_bytes * frame_bytes for offset in losses.offsets]
        short = max(0, round((audio_rate * period - before) / frame_bytes) - len(offsets))
        return sizes, ArrivalSchedule._skip_offsets(offsets, before, short)

    @staticmethod
    def _skip_offsets(offsets: list[int], lap_bytes: int, short: int) -> Iterator[int]:
        """`offsets` lap after lap, `lap_bytes` apart, with `short` more at each later lap's
        start (nothing at all when there is nothing to leave out)."""
        if not offsets and not short:
            return
        lap = 0
        while True:
            start = lap * lap_bytes
            yield from [start] * (short if lap else 0)
            yield from (start + offset for offset in offsets)
            lap += 1
