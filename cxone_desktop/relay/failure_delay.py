"""Answer every refused authentication a constant time after it started.

How long a check takes can tell an attacker how close a guess came (a known key ID,
a right API key with a wrong signature …). The AudioHook reference server answers
failures after a fixed delay; we do that for every platform and for listeners.
Tests inject `sleep` and `clock`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class FailureDelay:
    def __init__(
        self,
        delay_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.delay_s = delay_s
        self._clock = clock
        self._sleep = sleep

    def start(self) -> float:
        return self._clock()

    async def wait(self, started: float) -> None:
        """Sleep until `delay_s` after `started` (at once if that has passed)."""
        remaining = started + self.delay_s - self._clock()
        if remaining > 0:
            await self._sleep(remaining)
