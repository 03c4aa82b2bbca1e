"""The wait between tries: Retry-After as given, else capped exponential full jitter."""

from __future__ import annotations

import math
import random

from cxone_desktop.core.backoff_delay import backoff_delay


def test_retry_after_wins_as_given_and_never_below_zero() -> None:
    rng = random.Random(1)
    assert backoff_delay(3, 7.5, base_s=0.5, max_s=2.0, rng=rng) == 7.5  # beyond max_s too
    assert backoff_delay(1, -3.0, base_s=0.5, max_s=2.0, rng=rng) == 0.0
    assert rng.random() == random.Random(1).random()  # no draw was spent on them


def test_draws_span_zero_to_the_doubling_cap() -> None:
    rng = random.Random(7)
    for attempt, cap in ((1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (5, 2.0), (400, 2.0)):
        draws = [backoff_delay(attempt, None, base_s=0.25, max_s=2.0, rng=rng) for _ in range(400)]
        assert all(0.0 <= d <= cap for d in draws)
        assert max(draws) > 0.9 * cap and min(draws) < 0.1 * cap  # full jitter: all of it
    # A non-finite Retry-After is no answer: the backoff applies.
    nan_delay = backoff_delay(1, math.nan, base_s=0.25, max_s=2.0, rng=random.Random(3))
    assert nan_delay == random.Random(3).uniform(0.0, 0.25)
