"""FrameLoss: seeded counts of independent and burst losses."""

from __future__ import annotations

import random

from cxone_desktop.simulator.frame_loss import FrameLoss

N = 20_000


def pattern(loss: float, burst: float, burst_frames: int = 5, seed: int = 42) -> list[bool]:
    model = FrameLoss(loss, burst, burst_frames, random.Random(seed))
    out = [model.lose() for _ in range(N)]
    assert model.lost == sum(out)
    return out


def runs(lost: list[bool]) -> list[int]:
    lengths: list[int] = []
    current = 0
    for gone in [*lost, False]:
        if gone:
            current += 1
        elif current:
            lengths.append(current)
            current = 0
    return lengths


def test_no_loss_configured_loses_nothing() -> None:
    assert not any(pattern(0.0, 0.0))


def test_independent_loss_count_matches_the_probability() -> None:
    lost = sum(pattern(0.1, 0.0))
    assert 0.09 * N < lost < 0.11 * N  # binomial sd is 0.2 % of N; 5 sd either way


def test_a_seed_reproduces_the_exact_pattern() -> None:
    assert pattern(0.05, 0.01, seed=7) == pattern(0.05, 0.01, seed=7)
    assert pattern(0.05, 0.01, seed=7) != pattern(0.05, 0.01, seed=8)


def test_bursts_lose_burst_frames_in_a_row() -> None:
    lost = pattern(0.0, 0.01, burst_frames=5)
    lengths = runs(lost)
    # A burst can start right after another ends, so runs are whole multiples of 5.
    assert lengths and all(n % 5 == 0 for n in lengths)
    bursts = sum(lengths) // 5
    expected = N / (1 / 0.01 + 5 - 1)  # one burst per (mean gap + burst) frames
    assert 0.8 * expected < bursts < 1.2 * expected


def test_bursts_and_independent_loss_combine() -> None:
    both = sum(pattern(0.05, 0.01, burst_frames=4))
    only_random = sum(pattern(0.05, 0.0))
    assert both > only_random + 0.02 * N
