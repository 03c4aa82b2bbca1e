"""Plays a call's frames into one stream connection on the call's media clock.

Every frame is scheduled against the call's start, `t0 + due(k)`, never by
sleeping after a send, so late wake-ups and slow sends cannot accumulate into
drift. The network model (loss, message cutting, jitter, spikes, drift, or a
recorded trace) comes from the pure `ArrivalSchedule`, per connection; the
hold, the end of the call and the abrupt drop are decided by the shared
`CallTimeline` and the connection's own age. The socket is behind `StreamSink`
so tests drive an hour of media with a fake clock and no network.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from cxone_desktop.simulator.arrival_schedule import ArrivalSchedule
from cxone_desktop.simulator.clock import Clock
from cxone_desktop.simulator.config import Impairments
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
        self._rng_seed = rng_seed
        self._schedule: ArrivalSchedule | None = None
        self.bytes_sent = 0

    @property
    def frames_sent(self) -> int:
        return self._schedule.frames_sent if self._schedule is not None else 0

    @property
    def frames_lost(self) -> int:
        return self._schedule.lost_frames if self._schedule is not None else 0

    async def run(self, sink: StreamSink) -> PumpOutcome:
        timeline = self._media.timeline
        started = self._joined_at if self._joined_at is not None else self._clock.now()
        joined_elapsed = started - self._t0
        drop_at = started + self._imp.drop_after_s if self._imp.drop_after_s is not None else None
        first = timeline.live_frame(joined_elapsed)
        hold_frame, hold_start = timeline.hold_frame, timeline.hold_start_s
        boundary: tuple[float, bool] | None  # (elapsed time, is it the hold?) after the last frame
        if hold_frame is not None and hold_start is not None and joined_elapsed < hold_start:
            stop: int | None = hold_frame
            boundary = (hold_start, True)
        elif not timeline.loop:
            stop, boundary = timeline.frame_count, (timeline.end_s, False)
        else:
            stop, boundary = None, None
        self._schedule = ArrivalSchedule(self._frames(first, stop), self._imp, seed=self._rng_seed)
        try:
            for message in self._schedule:
                at = self._t0 + message.send_s
                if drop_at is not None and at >= drop_at:
                    return await self._drop(sink, drop_at)
                await self._clock.sleep_until(at)
                if sink.closed:
                    return PumpOutcome.CLIENT_GONE
                await sink.send_bytes(message.data)
                self.bytes_sent += len(message.data)
            assert boundary is not None  # a looping call without a hold never runs out
            at = self._t0 + boundary[0]
            if drop_at is not None and at >= drop_at:
                return await self._drop(sink, drop_at)
            return await self._finish(sink, at, boundary[1])
        except ConnectionError:
            return PumpOutcome.CLIENT_GONE

    def _frames(self, first: int, stop: int | None) -> Iterator[tuple[float, bytes]]:
        """(due time on the media clock, payload) of every frame this connection carries."""
        frames = self._media.frames
        timeline = self._media.timeline
        indices = range(first, stop) if stop is not None else itertools.count(first)
        for k in indices:
            yield timeline.due_s(k), frames[k % len(frames)]

    async def _drop(self, sink: StreamSink, at: float) -> PumpOutcome:
        await self._clock.sleep_until(at)
        sink.abort()
        return PumpOutcome.DROPPED

    async def _finish(self, sink: StreamSink, at: float, hold: bool) -> PumpOutcome:
        """Announce the hold or the end and close with 1000 (every byte has been sent)."""
        await self._clock.sleep_until(at)
        if sink.closed:
            return PumpOutcome.CLIENT_GONE
        if hold:
            await sink.send_event({"event": "call.hold"})
            await sink.close(1000, HOLD_REASON)
            return PumpOutcome.HOLD
        await sink.send_event({"event": "call.ended"})
        await sink.close(1000, "call ended")
        return PumpOutcome.ENDED
