"""One operation's retry budget, and reading a server's Retry-After."""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from cxone_desktop.cxone.settings import RetryPolicy
from cxone_desktop.cxone.unreachable import describe_unreachable
from cxone_desktop.errors import RateLimited, ServiceUnavailable, TlsVerificationFailed

log = logging.getLogger(__name__)

OnRetry = Callable[[Exception, float], None]


class Backoff:
    """Counts failures of one operation and sleeps between attempts per a RetryPolicy.

    `wait()` returns False once the attempts or the total time are spent, or at once for
    an untrusted certificate (no retry helps); the caller then raises its typed error.
    Each retry is logged as "retrying {what} in N s" and `on_retry(error, delay_s)` runs
    before the sleep so the UI can say "retry in N s".
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        what: str,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]],
        rng: random.Random,
        on_retry: OnRetry | None = None,
    ) -> None:
        self._policy = policy
        self._what = what
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._on_retry = on_retry
        self._start = clock()
        self.failures = 0

    async def wait(self, error: Exception, retry_after_s: float | None = None) -> bool:
        """Record a failure; sleep and return True if another attempt is allowed."""
        if isinstance(error, TlsVerificationFailed):
            return False
        self.failures += 1
        if self.failures >= self._policy.max_attempts:
            return False
        delay = self._policy.delay(self.failures, retry_after_s, self._rng)
        if self._clock() - self._start + delay > self._policy.max_total_s:
            return False
        log.info("retrying %s in %.1f s", self._what, delay)
        if self._on_retry is not None:
            self._on_retry(error, delay)
        await self._sleep(delay)
        return True


def is_transient(status: int) -> bool:
    """Statuses worth another attempt after a backoff: throttling and server errors."""
    return status == 429 or status >= 500


def unreachable_error(
    exc: BaseException, what: str, where: str
) -> TlsVerificationFailed | ServiceUnavailable:
    """The typed error for a request to `what` at `where` that got no HTTP answer.

    `where` must be safe to show (no token in it). A failed certificate check is
    final; anything else (refused, reset, timed out) is worth a retry.
    """
    return describe_unreachable(exc, what, where)


def transient_error(
    what: str, status: int, retry_after_s: float | None
) -> RateLimited | ServiceUnavailable:
    """The typed error for a 429 or 5xx from `what` ("The token endpoint", …)."""
    if status == 429:
        return RateLimited(f"{what} is rate limiting requests (429).", retry_after_s=retry_after_s)
    return ServiceUnavailable(f"{what} failed ({status}).")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent or bad."""
    if value is None:
        return None
    v = value.strip()
    if not v:
        return None
    try:
        seconds = float(v)
    except ValueError:
        try:
            when = parsedate_to_datetime(v)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
