"""The time source the simulator paces media by; injectable so tests can fake an hour."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds, and a way to wait until a point on that scale."""

    def now(self) -> float: ...

    async def sleep_until(self, deadline: float) -> None: ...


class MonotonicClock:
    """The real clock: `time.monotonic` and `asyncio.sleep`."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep_until(self, deadline: float) -> None:
        # Always yield once, even when late, so a busy stream cannot starve the loop.
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
