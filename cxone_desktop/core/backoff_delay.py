"""The wait before a retry: a server's Retry-After, else exponential backoff with full jitter.

Shared by one request's retries (`cxone.settings.RetryPolicy`) and a call's reconnects
(`session.reconnect_budget`): the two budgets differ (attempts and total time for one
operation; an outage's time across connections), the wait between tries does not.
"""

from __future__ import annotations

import math
import random


def backoff_delay(
    attempt: int,
    retry_after_s: float | None,
    *,
    base_s: float,
    max_s: float,
    rng: random.Random,
) -> float:
    """Seconds to wait after the `attempt`-th failure (1-based).

    A server's Retry-After wins as given (retrying sooner would only be refused again).
    Otherwise a uniform draw in [0, min(max_s, base_s · 2^(attempt−1))]: full jitter, so
    clients dropped together do not come back together.
    """
    if retry_after_s is not None and math.isfinite(retry_after_s):
        return max(0.0, retry_after_s)
    exp = min(attempt - 1, 62)
    cap = min(max_s, base_s * 2.0**exp)
    return rng.uniform(0.0, cap)
