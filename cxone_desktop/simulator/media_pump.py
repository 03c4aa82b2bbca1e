"""Plays a call's frames into one stream connection on the call's media clock.

Every frame is scheduled against the call's start, `t0 + due(k)`, never by
sleeping after a send, so late wake-ups and slow sends cannot accumulate into
drift. Loss, fragmentation and jitter are applied here, per connection; the
hold, the end of the call and the abrupt drop are decided by the shared
`CallTimeline` and the connection's own age. The socket is behind `StreamSink`
so tests drive an hour of media with a fake clock and no network.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cxone_desktop.simulator.clock import Clock
from cxone_desktop.simulator.config import Impairments
from cxone_desktop.simulator.fragmenter import Fragmenter
from cxone_desktop.simulator.frame_loss import FrameLoss
from cxone_desktop.simulator.timeline import CallTimeline

HOLD_REASON = "hold"


class StreamSink(Protocol):
    """One client connection, as the pump sees it."""

    @property
    def closed(self) -> bool: ...

    async def send_bytes(self, data: bytes) -> None: ...

    async def send_event(self, event: dict[str, object]) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...

    def abort(self) -> None: ...


class PumpOutcome(enum.Enum):
    ENDED = "ended"  # sent call.ended, closed 1000
    HOLD = "hold"  # sent call.hold, closed 1000 "hold"
    DROPPED = "dropped"  # aborted the TCP connection on purpose (drop_after_s)
    CLIENT_GONE = "client_gone"  # the client closed or the socket failed


@dataclass(frozen=True)
class CallMedia:
    """A call's encoded audio, cut into equal frames, and its timeline."""

    frames: Sequence[bytes]
    timeline: CallTimeline
    encoding: str


class MediaPump:
    """Streams one connection from the live position until end, hold, drop or hang-up.

    `joined_at` is when the handshake was accepted (default: when `run` starts):
    the live position and the drop timer count from it, so the server's own
    latency between accepting and pumping costs the listener no audio.
    """

    def __init__(
        self,
        media: CallMedia,
        impairments: Impairments,
        clock: Clock,
        *,
        call_t0: float,
        joined_at: float | None = None,
        rng_seed: str | None = None,
    ) -> None:
        self._media = media
        self._imp = impairments
        self._clock = clock
        self._t0 = call_t0
        self._joined_at = joined_at
        frame_bytes = len(media.frames[0])
        self._fragmenter = Fragmenter(impairments.fragment, frame_bytes, _rng(rng_seed, "frag"))
        self._loss = FrameLoss(
            impairments.loss,
            impairments.burst_loss,
            impairments.burst_frames,
            _rng(rng_seed, "loss"),
        )
        self._jitter_rng = _rng(rng_seed, "jitter")
        self._last_send_at = float("-inf")
        self.frames_sent = 0
        self.bytes_sent = 0

    @property
    def frames_lost(self) -> int:
        return self._loss.lost

    async def run(self, sink: StreamSink) -> PumpOutcome:
        timeline = self._media.timeline
        frames = self._media.frames
        started = self._joined_at if self._joined_at is not None else self._clock.now()
        joined_elapsed = started - self._t0
        drop_at = started + self._imp.drop_after_s if self._imp.drop_after_s is not None else None
        hold_frame = timeline.hold_frame
        hold_start = timeline.hold_start_s
        frame = timeline.live_frame(joined_elapsed)
        try:
            while True:
                boundary: str | None = None
                if hold_frame == frame and hold_start is not None and joined_elapsed < hold_start:
                    boundary, next_at = HOLD_REASON, self._t0 + hold_start
                elif not timeline.loop and frame >= timeline.frame_count:
                    boundary, next_at = "end", self._t0 + timeline.end_s
                else:
                    next_at = self._t0 + timeline.due_s(frame)
                if drop_at is not None and next_at >= drop_at:
                    await self._clock.sleep_until(drop_at)
                    sink.abort()
                    return PumpOutcome.DROPPED
                if boundary is not None:
                    return await self._finish(sink, next_at, boundary == HOLD_REASON)
                await self._clock.sleep_until(next_at)
                if sink.closed:
                    return PumpOutcome.CLIENT_GONE
                payload = frames[frame % len(frames)]
                frame += 1
                if self._loss.lose():
                    continue
                self.frames_sent += 1
                for message in self._fragmenter.push(payload):
                    await self._send(sink, message, next_at)
        except ConnectionError:
            return PumpOutcome.CLIENT_GONE

    async def _send(self, sink: StreamSink, message: bytes, due: float) -> None:
        at = due
        if self._imp.jitter_ms > 0:
            # Later than due by up to jitter_ms, never before the previous send: order is kept.
            at = max(
                self._last_send_at, due + self._jitter_rng.uniform(0, self._imp.jitter_ms) / 1e3
            )
            await self._clock.sleep_until(at)
        self._last_send_at = at
        await sink.send_bytes(message)
        self.bytes_sent += len(message)

    async def _finish(self, sink: StreamSink, at: float, hold: bool) -> PumpOutcome:
        """Flush held-back bytes, then announce the hold or the end and close with 1000."""
        await self._clock.sleep_until(at)
        if sink.closed:
            return PumpOutcome.CLIENT_GONE
        rest = self._fragmenter.flush()
        if rest:
            await self._send(sink, rest, at)
        if hold:
            await sink.send_event({"event": "call.hold"})
            await sink.close(1000, HOLD_REASON)
            return PumpOutcome.HOLD
        await sink.send_event({"event": "call.ended"})
        await sink.close(1000, "call ended")
        return PumpOutcome.ENDED


def _rng(seed: str | None, stream: str) -> random.Random:
    """An independent generator per impairment, so enabling one leaves the others' draws alone."""
    return random.Random(f"{seed}/{stream}") if seed is not None else random.Random()
