"""Media-clock pacing for the push simulators: frame k leaves at t0 + k × frame length.

Scheduling against an absolute start keeps a long call from drifting; a hold adds
its length to the schedule. `gate` lets a test hold the first frame back until a
listener is connected.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

#: websockets logs request headers (the platform credentials) at DEBUG: not from here.
WIRE_LOG = logging.getLogger("cxone_desktop.simulator.push.wire")
WIRE_LOG.setLevel(logging.INFO)


@dataclass(frozen=True)
class HoldPlan:
    """Hold at media position `at_s` for `for_s` seconds of wall time (None: never)."""

    at_s: float | None = None
    for_s: float = 3.0

    def due(self, position_s: float, held: bool) -> bool:
        return self.at_s is not None and not held and position_s >= self.at_s


class MediaClock:
    def __init__(self, frame_s: float) -> None:
        self.frame_s = frame_s
        self._t0: float | None = None
        self._shift = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()

    def add_pause(self, seconds: float) -> None:
        self._shift += seconds

    async def wait_for(self, frame_index: int) -> None:
        if self._t0 is None:
            self.start()
        assert self._t0 is not None
        deadline = self._t0 + self._shift + frame_index * self.frame_s
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
