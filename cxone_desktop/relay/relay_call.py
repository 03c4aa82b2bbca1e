"""One call ingested by this relay: its state, its perspectives on one media clock, its listeners.

Ingest modules call `write` with decoded samples as the platform delivers them; a
chunk is released to listeners the moment every joined perspective has it (or a
missing one has been waited for long enough, see core/perspective_aligner.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.perspective_aligner import FRAME_SAMPLES, AlignedChunk, PerspectiveAligner
from cxone_desktop.relay.call_summary import CallStateName, CallSummary, Platform
from cxone_desktop.relay.fanout import FanOut
from cxone_desktop.relay.relay_metrics import RelayMetrics

log = logging.getLogger(__name__)


class CallPublisher(Protocol):
    """Where a local call's audio, events and state also go (the Redis bus)."""

    def publish_chunk(self, call_id: str, chunk: AlignedChunk) -> None: ...
    def publish_event(self, call_id: str, event: dict[str, object]) -> None: ...
    def publish_summary(self, summary: CallSummary) -> None: ...
    def forget(self, call_id: str) -> None: ...


class AlignmentSweeper:
    """Releases frames that waited too long for a missing perspective, for every call at once.

    One ticker instead of a timer per call per frame: with two CXone sockets a frame
    waits for its partner every 20 ms, and arming and cancelling a TimerHandle that
    often costs more than the frame itself. A late frame goes out within `tick_s`
    after its deadline.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, tick_s: float = 0.005) -> None:
        self._loop = loop
        self._tick_s = tick_s
        self._pending: set[RelayCall] = set()
        self._handle: asyncio.TimerHandle | None = None

    def want(self, call: RelayCall) -> None:
        self._pending.add(call)
        if self._handle is None:
            self._handle = self._loop.call_later(self._tick_s, self._tick)

    def drop(self, call: RelayCall) -> None:
        self._pending.discard(call)

    def _tick(self) -> None:
        self._handle = None
        for call in list(self._pending):
            call.release_due()
        if self._pending and self._handle is None:
            self._handle = self._loop.call_later(self._tick_s, self._tick)


class RelayCall:
    def __init__(
        self,
        call_id: str,
        platform: Platform,
        *,
        metrics: RelayMetrics,
        wait_s: float,
        loop: asyncio.AbstractEventLoop,
        sweeper: AlignmentSweeper | None = None,
        publisher: CallPublisher | None = None,
        on_ended: Callable[[RelayCall], None] | None = None,
    ) -> None:
        self.call_id = call_id
        self.platform: Platform = platform
        self.fanout = FanOut(loop.time)
        self._metrics = metrics
        self._loop = loop
        self._aligner = PerspectiveAligner(wait_s=wait_s)
        self._concealed = 0  # what the aligner had concealed at the last delivery
        self._sweeper = sweeper or AlignmentSweeper(loop)
        self._joined: set[str] = set()
        self._ended = False
        self._publisher = publisher
        self._on_ended = on_ended
        self.summary = CallSummary(
            call_id=call_id, platform=platform, state="active", started_at=datetime.now(UTC)
        )
        metrics.calls.labels(platform).inc()

    def __repr__(self) -> str:
        return f"RelayCall({self.call_id!r}, {self.platform}, {self.summary.state})"

    @property
    def state(self) -> CallStateName:
        return self.summary.state

    @property
    def ended(self) -> bool:
        return self._ended

    # ---- facts ----------------------------------------------------------------------------

    def set_party(self, role: str, **facts: str | None) -> None:
        """Record agent/customer facts (id, name, ani); empty values are left out."""
        clean = {k: v for k, v in facts.items() if v}
        if not clean:
            return
        parties = {k: dict(v) for k, v in self.summary.parties.items()}
        parties.setdefault(role, {}).update(clean)
        self._update(self.summary.with_state(self.summary.state, parties=parties))

    # ---- media ----------------------------------------------------------------------------

    def join(self, perspective: str) -> None:
        if perspective in self._joined:
            return
        self._joined.add(perspective)
        self._aligner.join(perspective)
        perspectives = tuple(sorted({*self.summary.perspectives, perspective}))
        if perspectives != self.summary.perspectives:
            self._update(self.summary.with_state(self.summary.state, perspectives=perspectives))
        self.event({"event": "perspective.joined", "perspective": perspective})

    def leave(self, perspective: str) -> None:
        if perspective not in self._joined:
            return
        self._joined.discard(perspective)
        self._aligner.leave(perspective)
        self.event({"event": "perspective.left", "perspective": perspective})
        self._release()

    def write(
        self, perspective: str, samples: npt.NDArray[np.int16], at: int | None = None
    ) -> None:
        if self._ended:
            return
        if perspective not in self._joined:
            self.join(perspective)
        now = self._loop.time()
        late = self._aligner.late_samples
        self._aligner.write(perspective, samples, now, at)
        if self._aligner.late_samples != late:
            self._metrics.late_samples.inc(self._aligner.late_samples - late)
        self._metrics.count_in(self.platform, samples.size / FRAME_SAMPLES)
        self._release(now)

    def _release(self, now: float | None = None) -> None:
        now = self._loop.time() if now is None else now
        chunk = self._aligner.pop_ready(now)  # everything due, in one chunk
        if chunk is not None:
            self._deliver(chunk, now)
        if self._aligner.next_deadline() is None or self.ended:
            self._sweeper.drop(self)
        else:
            self._sweeper.want(self)

    def release_due(self) -> None:
        """What waited long enough for a missing perspective goes out now (the sweeper calls)."""
        self._release()

    def _deliver(self, chunk: AlignedChunk, t_in: float) -> None:
        concealed = self._aligner.concealed_samples
        if concealed != self._concealed:
            self._metrics.concealed_samples.labels(self.platform).inc(concealed - self._concealed)
            self._concealed = concealed
        self.fanout.chunk(chunk, t_in)
        if self._publisher is not None:
            self._publisher.publish_chunk(self.call_id, chunk)

    # ---- state ----------------------------------------------------------------------------

    def event(self, event: dict[str, object]) -> None:
        full = {**event, "callId": self.call_id}
        self.fanout.event(full)
        if self._publisher is not None:
            self._publisher.publish_event(self.call_id, full)

    def hold(self) -> None:
        if self.summary.state == "active":
            self._update(self.summary.with_state("on_hold"))
            self.event({"event": "call.hold"})

    def resume(self) -> None:
        if self.summary.state == "on_hold":
            self._update(self.summary.with_state("active"))
            self.event({"event": "call.resumed"})

    def platform_error(self, message: str) -> None:
        self.event({"event": "platform.error", "message": message})

    def end(self, reason: str) -> None:
        if self.ended:
            return
        self._sweeper.drop(self)
        rest = self._aligner.flush()
        if rest is not None:
            self._deliver(rest, self._loop.time())
        self._ended = True
        self._update(
            self.summary.with_state("ended", ended_at=datetime.now(UTC), end_reason=reason)
        )
        self.event({"event": "call.ended", "reason": reason})
        self.fanout.close_all(1000, "call ended")
        self._metrics.calls.labels(self.platform).dec()
        log.info("call %s (%s) ended: %s", self.call_id, self.platform, reason)
        if self._on_ended is not None:
            self._on_ended(self)

    def _update(self, summary: CallSummary) -> None:
        self.summary = summary
        if self._publisher is not None:
            self._publisher.publish_summary(summary)
