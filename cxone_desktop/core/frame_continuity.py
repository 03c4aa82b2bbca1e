"""Does a frame seem to be missing between two received frames? Evidence from the waveform.

The stream carries no sequence numbers, so a lost frame shows only in timing,
and timing alone cannot say which of two or three neighbouring frame
boundaries hides it when messages arrive early and late by tens of ms. Voiced
speech can: its waveform repeats every pitch period, so the frame after a
boundary should start in the phase that continuing the last pitch period
predicts. After a missing 20 ms it starts in the phase predicted 20 ms further
on instead. Both predictions are tested in each direction (forward from the
frames before, backward from the frames after) and the difference in match is
the evidence: about 0 in silence and noise, positive for a gap.

Pitch phase goes blind when the period nearly divides the frame, so
`gap_log_odds` weighs it with a second clue, short-term prediction across the
boundary (`boundary_prediction`), into the log-odds the slot decoder adds to
its timing evidence. The weights were fitted (logistic regression, its
intercept less the prior odds) on both benchmark calls over training seeds
only, at every boundary of a lossy stream: each clue alone leaves many gaps in
voiced speech unseen that the two together find.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.boundary_prediction import BoundaryPredictor

Float = npt.NDArray[np.float64]

#: Pitch periods searched (s): 2.5 ms (400 Hz) to 15 ms (66 Hz).
_PERIOD_MIN_S = 0.0025
_PERIOD_MAX_S = 0.015
#: Length of the stretch compared after the boundary, and of the pitch-search window.
_COMPARE_S = 0.010
_SEARCH_WINDOW_S = 0.020
#: Pitch drift allowed when matching a prediction: ± this much.
_SLACK_S = 0.000375
#: Log-odds per unit of evidence, and the most one boundary may weigh.
LOG_ODDS_PER_UNIT = 3.5
MAX_LOG_ODDS = 5.0
#: The two clues' weights: log-odds = BIAS + SURPRISE × s + HINGE × max(s − 2, 0) + PHASE ×
#: (pitch-phase log-odds), with the prediction's surprise s taken within SURPRISE_RANGE.
_BIAS, _SURPRISE, _HINGE, _PHASE = -0.334, 0.48, 0.204, 0.683
_SURPRISE_RANGE = (-1.0, 8.0)
#: Below this power (RMS 64 of 32767) on both sides of a boundary the prediction is not tried.
_QUIET_POWER = 64.0**2


class ContinuityProbe:
    """Computes the evidence for one stream's rate and frame length (mono samples)."""

    def __init__(self, rate_hz: int, frame_samples: int) -> None:
        self._frame = frame_samples
        self._pmin = max(2, round(rate_hz * _PERIOD_MIN_S))
        self._pmax = max(self._pmin + 1, round(rate_hz * _PERIOD_MAX_S))
        self._compare = max(8, round(rate_hz * _COMPARE_S))
        self._window = max(16, round(rate_hz * _SEARCH_WINDOW_S))
        self._slack = max(1, round(rate_hz * _SLACK_S))
        self._predictor = BoundaryPredictor(rate_hz)

    @property
    def context_samples(self) -> int:
        """Samples wanted on each side of a boundary for full strength."""
        return self._window + self._pmax

    def evidence(self, before: npt.ArrayLike, after: npt.ArrayLike) -> float:
        """> 0 when `after` looks like it started one frame later than `before` ended."""
        a = np.asarray(before, dtype=np.float64).reshape(-1)
        b = np.asarray(after, dtype=np.float64).reshape(-1)
        forward = self._one_way(a, b)
        backward = self._one_way(b[::-1], a[::-1])
        return forward + backward

    def gap_log_odds(self, before: npt.ArrayLike, after: npt.ArrayLike) -> float:
        """log P(evidence | a frame is missing) − log P(evidence | none is), clipped."""
        phase = float(
            np.clip(LOG_ODDS_PER_UNIT * self.evidence(before, after), -MAX_LOG_ODDS, MAX_LOG_ODDS)
        )
        a = np.asarray(before, dtype=np.float64).reshape(-1)[-self._frame :]
        b = np.asarray(after, dtype=np.float64).reshape(-1)[: self._frame]
        if max(float(a @ a) / max(1, a.shape[0]), float(b @ b) / max(1, b.shape[0])) < _QUIET_POWER:
            return phase  # no speech on either side to predict (and it runs for every frame)
        surprise = self._predictor.surprise(before, after)
        if surprise is None:  # too little on a side, or silence: the phase alone
            return phase
        s = min(max(surprise, _SURPRISE_RANGE[0]), _SURPRISE_RANGE[1])
        value = _BIAS + _SURPRISE * s + _HINGE * max(s - 2.0, 0.0) + _PHASE * phase
        return min(max(value, -MAX_LOG_ODDS), MAX_LOG_ODDS)

    def _one_way(self, history: Float, following: Float) -> float:
        """Match of `following`'s start with the periodic continuation of `history`, at a
        frame's distance minus at no distance."""
        window = min(self._window, history.shape[0] - self._pmax)
        compare = min(self._compare, following.shape[0])
        if window < self._compare or compare < self._compare // 2:
            return 0.0
        period = self._pitch(history, window)
        if period == 0:
            return 0.0
        last = history[-period:]
        reach = self._frame + compare + self._slack + period
        continuation = np.tile(last, reach // period + 2)
        # The continuation starts one sample early so a slack of -1 is possible at offset 0.
        continuation = np.concatenate([history[-self._slack :], continuation])
        target = following[:compare]
        at_once = self._match(continuation, target, 0)
        a_frame_on = self._match(continuation, target, self._frame)
        return a_frame_on - at_once

    def _pitch(self, history: Float, window: int) -> int:
        """Best repeating lag of the last `window` samples, preferring a sub-multiple within
        10 % of the best (octave errors); 0 when there is nothing periodic."""
        target = history[-window:]
        span = history[-(window + self._pmax) : -self._pmin]
        # Every lag at once, longest first (span[i:] starts pmax − i samples back), in C:
        # this runs for every frame received, so no per-lag Python.
        dots = np.correlate(span, target, "valid")[::-1]
        energy = _window_energies(span, window)[::-1] * float(target @ target)
        if not np.any(energy > 0):
            return 0
        score = np.where(energy > 0, dots / np.sqrt(np.maximum(energy, 1e-9)), -1.0)
        best = int(np.argmax(score))
        lag = self._pmin + best
        for divisor in (3, 2):
            shorter = round(lag / divisor)
            if shorter >= self._pmin and score[shorter - self._pmin] > 0.9 * score[best]:
                return shorter
        return lag

    def _match(self, continuation: Float, target: Float, offset: int) -> float:
        """Best normalized correlation of `target` with the continuation near `offset`."""
        n = target.shape[0]
        start = offset  # index 0 of `continuation` is `slack` samples before the boundary
        region = continuation[start : start + n + 2 * self._slack]
        dots = np.correlate(region, target, "valid")
        energy = _window_energies(region, n) * float(target @ target)
        score = np.where(energy > 0, dots / np.sqrt(np.maximum(energy, 1e-9)), 0.0)
        return float(score.max())


def _window_energies(x: Float, n: int) -> Float:
    """Sum of squares of every `n`-sample window of `x` (a running sum; windows of digital
    silence come out exactly 0)."""
    total = np.concatenate(([0.0], np.cumsum(x * x)))
    energies: Float = np.maximum(total[n:] - total[:-n], 0.0)
    return energies
