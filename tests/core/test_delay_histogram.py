"""The delay histogram learned from frames kept in order: frames held up behind another
count as bounds on their own delay (reverse Kaplan–Meier), not as delays."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.delay_histogram import DelayHistogram

F = 0.020


def in_order(delays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lateness of one-frame messages each delayed by `delays` and kept in order (TCP), and
    which came held up behind the one before."""
    arrivals = np.maximum.accumulate(np.arange(len(delays)) * F + delays)
    held = np.concatenate([[False], np.diff(arrivals) < 0.001])
    return arrivals - np.arange(len(delays)) * F, held


@pytest.mark.parametrize("seed", range(3))
def test_the_delays_messages_had_are_recovered_from_what_order_made_of_them(seed: int) -> None:
    rng = np.random.default_rng(seed)
    low, high = rng.uniform(-0.05, 0.0), rng.uniform(0.08, 0.15)
    late, held = in_order(rng.uniform(low, high, 3000))
    assert 0.2 < held.mean() < 0.7  # a real share of frames came held up
    learned, plain = DelayHistogram(), DelayHistogram()
    learned.replace_censored(late, held)
    plain.replace(late)
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        truth = low + q * (high - low)
        assert learned.quantile(q) == pytest.approx(truth, abs=0.005)
    # The lateness itself says each frame was later than it was sent: the low quantiles most.
    assert plain.quantile(0.1) - (low + 0.1 * (high - low)) > 0.01


def test_with_nothing_held_up_it_is_the_plain_histogram() -> None:
    late = np.random.default_rng(5).gamma(2.0, 0.01, 500)
    learned, plain = DelayHistogram(), DelayHistogram()
    learned.replace_censored(late, np.zeros(500, dtype=np.bool_))
    plain.replace(late)
    offsets = np.linspace(-0.02, 0.1, 61)
    assert np.allclose(learned.log_likelihood(offsets), plain.log_likelihood(offsets))
    assert learned.quantile(0.5) == plain.quantile(0.5)


def test_the_cumulative_rises_from_nothing_to_all_of_it() -> None:
    hist = DelayHistogram()
    hist.replace(np.random.default_rng(1).uniform(0.0, 0.1, 2000))
    offsets = np.array([-0.2, 0.0, 0.05, 0.1, 0.3])
    cumulative = np.exp(hist.log_cumulative(offsets))
    assert cumulative[0] < 0.01 and cumulative[-1] == pytest.approx(1.0, abs=1e-3)
    assert cumulative[2] == pytest.approx(0.5, abs=0.05)
    assert np.all(np.diff(cumulative) >= 0)
