"""Short-term prediction across a frame boundary: a join is predicted as well as what came
before it, a missing frame is not; it sees gaps the pitch phase cannot, and silence says
nothing."""

from __future__ import annotations

import numpy as np

from cxone_desktop.core.boundary_prediction import BoundaryPredictor
from cxone_desktop.core.frame_continuity import ContinuityProbe

from .playout_drive import demo_frames
from .test_concealment import vowel

PREDICTOR = BoundaryPredictor(8000)
PROBE = ContinuityProbe(8000, 160)


def test_on_recorded_speech_gaps_surprise_more_than_joins_where_the_phase_is_wrong_too() -> None:
    frames = demo_frames(20.0).astype(float)
    level = np.sqrt(np.mean(frames**2, axis=1))
    ranked, phase_wrong = [], []
    for k in range(2, len(frames) - 4, 3):
        if level[k - 1 : k + 3].min() < 0.1 * level.max():
            continue  # speech on both sides: in pauses neither clue says anything
        before = frames[k - 2 : k].reshape(-1)
        join, gap = frames[k : k + 2].reshape(-1), frames[k + 1 : k + 3].reshape(-1)
        join_surprise = PREDICTOR.surprise(before, join)
        gap_surprise = PREDICTOR.surprise(before, gap)
        assert join_surprise is not None and gap_surprise is not None
        ranked.append(gap_surprise > join_surprise)
        if PROBE.evidence(before, gap) <= PROBE.evidence(before, join):
            phase_wrong.append(gap_surprise > join_surprise)
    assert len(ranked) > 100
    assert np.mean(ranked) > 0.9  # the pitch phase alone: about 0.7 (test_frame_continuity)
    assert len(phase_wrong) >= 5
    assert np.mean(phase_wrong) > 0.75  # where the phase is wrong, the prediction mostly is not


def test_silence_and_too_short_a_side_say_nothing() -> None:
    speech = vowel(4).astype(float)
    assert PREDICTOR.surprise(np.zeros(320), np.zeros(320)) is None
    assert PREDICTOR.surprise(speech[:100], speech[100:420]) is None
    assert PROBE.gap_log_odds(np.zeros(320), np.zeros(320)) == 0.0
