"""The calls this relay ingests, by call ID; ended ones are kept a while so their state can be read.

With a bus, calls ingested by other instances are found through it (see redis_bus.py);
this registry only ever holds the local ones.
"""

from __future__ import annotations

import asyncio
import logging

from cxone_desktop.relay.call_summary import CallSummary, Platform
from cxone_desktop.relay.relay_call import AlignmentSweeper, CallPublisher, RelayCall
from cxone_desktop.relay.relay_metrics import RelayMetrics

log = logging.getLogger(__name__)


class CallRegistry:
    def __init__(
        self,
        metrics: RelayMetrics,
        *,
        align_wait_s: float,
        ended_retention_s: float,
        publisher: CallPublisher | None = None,
    ) -> None:
        self._metrics = metrics
        self._wait_s = align_wait_s
        self._retention_s = ended_retention_s
        self.publisher = publisher
        self._calls: dict[str, RelayCall] = {}
        self._forget_timers: dict[str, asyncio.TimerHandle] = {}
        self._sweeper: AlignmentSweeper | None = None

    def get(self, call_id: str) -> RelayCall | None:
        return self._calls.get(call_id)

    def open(self, call_id: str, platform: Platform) -> RelayCall:
        """The live call with this ID, or a new one (replacing an ended one)."""
        call = self._calls.get(call_id)
        if call is not None and not call.ended:
            if call.platform != platform:
                log.warning(
                    "call %s arrived from %s while live from %s; keeping the first",
                    call_id,
                    platform,
                    call.platform,
                )
            return call
        timer = self._forget_timers.pop(call_id, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        if self._sweeper is None:
            self._sweeper = AlignmentSweeper(loop)
        call = RelayCall(
            call_id,
            platform,
            metrics=self._metrics,
            wait_s=self._wait_s,
            loop=loop,
            sweeper=self._sweeper,
            publisher=self.publisher,
            on_ended=self._ended,
        )
        self._calls[call_id] = call
        if self.publisher is not None:
            self.publisher.publish_summary(call.summary)
        log.info("call %s (%s) started", call_id, platform)
        return call

    def summaries(self, *, live_only: bool = True) -> list[CallSummary]:
        return [c.summary for c in self._calls.values() if not (live_only and c.ended)]

    def calls(self) -> list[RelayCall]:
        return list(self._calls.values())

    def end_all(self, reason: str) -> None:
        for call in list(self._calls.values()):
            call.end(reason)

    def _ended(self, call: RelayCall) -> None:
        loop = asyncio.get_running_loop()
        self._forget_timers[call.call_id] = loop.call_later(
            self._retention_s, self._forget, call.call_id, call
        )

    def _forget(self, call_id: str, call: RelayCall) -> None:
        self._forget_timers.pop(call_id, None)
        if self._calls.get(call_id) is call:
            del self._calls[call_id]
            if self.publisher is not None:
                self.publisher.forget(call_id)
