"""Waveform evidence of a missing frame: positive across a gap in voiced speech, negative
across a true join, nothing in silence."""

from __future__ import annotations

import numpy as np

from cxone_desktop.core.frame_continuity import (
    MAX_GAP_LOG_ODDS,
    MAX_JOIN_LOG_ODDS,
    ContinuityProbe,
    _window_energies,
)

from .playout_drive import demo_frames
from .test_concealment import vowel

PROBE = ContinuityProbe(8000, 160)


def test_a_gap_in_a_vowel_shows_and_a_true_join_does_not() -> None:
    frames = vowel(12).reshape(-1, 160)
    before = frames[3:5].reshape(-1)
    join = PROBE.gap_log_odds(before, frames[5:7].reshape(-1))
    gap = PROBE.gap_log_odds(before, frames[6:8].reshape(-1))
    assert join < -1.0
    assert gap > 1.0
    assert join >= -MAX_JOIN_LOG_ODDS and gap <= MAX_GAP_LOG_ODDS


def test_silence_says_nothing() -> None:
    quiet = np.zeros(480, np.int16)
    assert PROBE.gap_log_odds(quiet[:320], quiet[320:]) == 0.0


def test_on_recorded_speech_gaps_score_higher_than_joins_most_of_the_time() -> None:
    frames = demo_frames(20.0).astype(float)
    joins, gaps = [], []
    for k in range(2, len(frames) - 4, 3):
        before = frames[k - 2 : k].reshape(-1)
        joins.append(PROBE.evidence(before, frames[k : k + 2].reshape(-1)))
        gaps.append(PROBE.evidence(before, frames[k + 1 : k + 3].reshape(-1)))
    pairs = [g > j for g, j in zip(gaps, joins, strict=True) if g != j]
    assert np.mean(pairs) > 0.7  # a clue, not a proof: timing is weighed with it


def test_the_pitch_search_scores_every_lag_as_the_direct_sums_do() -> None:
    """The lag search runs in C (a correlation and running sums of squares); checked against
    the plain per-lag sums, with a stretch of digital silence whose energy must stay 0."""
    rng = np.random.default_rng(5)
    history = np.concatenate([rng.normal(0, 3000, 200), np.zeros(260)])
    window, pmin, pmax = 160, 20, 120
    span = history[-(window + pmax) : -pmin]
    target = history[-window:]
    lags = np.arange(pmin, pmax + 1)
    direct = np.array([span[pmax - lag : pmax - lag + window] for lag in lags])
    direct_energy = (direct * direct).sum(axis=1)
    fast = _window_energies(span, window)[::-1]
    assert np.allclose(fast, direct_energy, rtol=1e-9, atol=1e-3)
    assert fast[0] == 0.0 and fast[-1] > 0  # the shortest lag sees only silence, the longest noise
    assert np.allclose(np.correlate(span, target, "valid")[::-1], direct @ target)
