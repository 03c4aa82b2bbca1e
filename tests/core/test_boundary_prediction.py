"""Short-term prediction across a frame boundary: a join is predicted as well as what came
before it, a missing frame is not; it sees gaps the pitch phase cannot, and silence says
nothing."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.boundary_prediction import RATIO_NAMES, BoundaryPredictor
from cxone_desktop.core.frame_continuity import ContinuityProbe

from .playout_drive import demo_frames
from .test_concealment import vowel

PREDICTOR = BoundaryPredictor(8000)
PROBE = ContinuityProbe(8000, 160)


def ratio(values: np.ndarray | None, name: str) -> float:
    assert values is not None
    return float(values[RATIO_NAMES.index(name)])


def test_on_recorded_speech_gaps_surprise_more_than_joins_where_the_phase_is_wrong_too() -> None:
    frames = demo_frames(20.0).astype(float)
    level = np.sqrt(np.mean(frames**2, axis=1))
    past, into, phase_wrong = [], [], []
    for k in range(2, len(frames) - 4, 3):
        if level[k - 1 : k + 3].min() < 0.1 * level.max():
            continue  # speech on both sides: in pauses neither clue says anything
        before = frames[k - 2 : k].reshape(-1)
        join = PREDICTOR.ratios(before, frames[k : k + 2].reshape(-1))
        gap = PREDICTOR.ratios(before, frames[k + 1 : k + 3].reshape(-1))
        both_ways = ("past_forward_8", "past_backward_8")
        past_gap, past_join = (sum(ratio(r, n) for n in both_ways) for r in (gap, join))
        into_ways = ("into_after_8", "into_before_8")
        into.append(sum(ratio(gap, n) for n in into_ways) > sum(ratio(join, n) for n in into_ways))
        past.append(past_gap > past_join)
        if PROBE.evidence(before, frames[k + 1 : k + 3]) <= PROBE.evidence(
            before, frames[k : k + 2]
        ):
            phase_wrong.append(past_gap > past_join)
    assert len(past) > 100
    assert np.mean(past) > 0.9  # the pitch phase alone: about 0.7 (test_frame_continuity)
    assert np.mean(into) > 0.85
    assert len(phase_wrong) >= 5
    assert np.mean(phase_wrong) > 0.75  # where the phase is wrong, the prediction mostly is not


@pytest.mark.parametrize("f0", [95.0, 118.0, 160.0, 210.0])
def test_a_missing_frame_in_a_vowel_raises_each_way_of_predicting_across_it(f0: float) -> None:
    voice = vowel(8, f0).astype(float)
    before = voice[:320]
    join, gap = PREDICTOR.ratios(before, voice[320:640]), PREDICTOR.ratios(before, voice[480:800])
    for name in ("past_forward_8", "past_backward_8", "into_after_8", "into_before_8"):
        assert ratio(gap, name) > ratio(join, name) + 1.0, name


def test_silence_and_too_short_a_side_say_nothing() -> None:
    speech = vowel(4).astype(float)
    assert PREDICTOR.ratios(np.zeros(320), np.zeros(320)) is None
    assert PREDICTOR.ratios(speech[:320], np.zeros(320)) is None
    assert PREDICTOR.ratios(speech[:100], speech[100:420]) is None
    assert PREDICTOR.ratios(speech[:320], speech[320:400]) is None
    assert PROBE.gap_log_odds(np.zeros(320), np.zeros(320)) == 0.0
