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
QUIET_POWER = 64.0**2


class ContinuityProbe:
    """Computes the evidence for one stream's rate and frame length (mono samples)."""

    def __init__(self, rate_hz: int, frame_samples: int) -> None:
        self._frame = frame_samples
        self._pmin = max(2, round(rate_hz * _PERIOD_MIN_S))
        self._pmax = max(self._pmin + 1, round(rate_hz * _PERIOD_MAX_S))
        self._compare = max(8, round(rate_hz * _COMPARE_S))
        self._window = max(16, round(rate_hz * _SEARCH_WINDOW_S))
        self._slack = max(1, round(rate_hz * _SLACK_S))
        # Sample m of the continuation (m − slack from the boundary, as far as the matches
        # reach) comes from history[(m − slack) mod period − period]: the slack samples before
        # the boundary themselves (slack < any period), then the last period over and over.
        reach = self._frame + self._compare + 2 * self._slack
        self._from_boundary = np.arange(reach, dtype=np.intp) - self._slack
        self._predictor = BoundaryPredictor(rate_hz)

    @property
    def context_samples(self) -> int:
        """Samples wanted on each side of a boundary for full strength."""
        return self._window + self._pmax

    def evidence(self, before: npt.ArrayLike, after: npt.ArrayLike) -> float:
        """> 0 when `after` looks like it started one frame later than `before` ended."""
        a = np.asarray(before, dtype=np.float64).reshape(-1)
        b = np.asarray(after, dtype=np.float64).reshape(-1)
        # Forward from the frames before, backward from the frames after; both directions go
        # through numpy together when their stretches are the same length (this runs for
        # every frame received, so fewer, wider calls).
        ways = ((a, b), (b[::-1], a[::-1]))
        shapes = [self._shape(history, following) for history, following in ways]
        values = [0.0, 0.0]
        for group in ([0, 1],) if shapes[0] == shapes[1] else ([0], [1]):
            shape = shapes[group[0]]
            if shape is None:
                continue
            window, compare = shape
            periods = self._pitches([ways[d][0] for d in group], window)
            live = [(d, period) for d, period in zip(group, periods, strict=True) if period]
            if live:
                gains = self._matches([(ways[d], period) for d, period in live], compare)
                for (d, _), gain in zip(live, gains, strict=True):
                    values[d] = gain
        return values[0] + values[1]

    def gap_log_odds(self, before: npt.ArrayLike, after: npt.ArrayLike) -> float:
        """log P(evidence | a frame is missing) − log P(evidence | none is), clipped."""
        history = np.asarray(before, dtype=np.float64).reshape(-1)
        following = np.asarray(after, dtype=np.float64).reshape(-1)
        value = LOG_ODDS_PER_UNIT * self.evidence(history, following)
        phase = float(min(max(value, -MAX_LOG_ODDS), MAX_LOG_ODDS))
        a, b = history[-self._frame :], following[: self._frame]
        if max(float(a @ a) / max(1, a.shape[0]), float(b @ b) / max(1, b.shape[0])) < QUIET_POWER:
            return phase  # no speech on either side to predict (and it runs for every frame)
        surprise = self._predictor.surprise(history, following)
        if surprise is None:  # too little on a side, or silence: the phase alone
            return phase
        s = min(max(surprise, _SURPRISE_RANGE[0]), _SURPRISE_RANGE[1])
        value = _BIAS + _SURPRISE * s + _HINGE * max(s - 2.0, 0.0) + _PHASE * phase
        return min(max(value, -MAX_LOG_ODDS), MAX_LOG_ODDS)

    def _shape(self, history: Float, following: Float) -> tuple[int, int] | None:
        """(pitch-search window, samples compared) one way, or None: too little to tell."""
        window = min(self._window, history.shape[0] - self._pmax)
        compare = min(self._compare, following.shape[0])
        if window < self._compare or compare < self._compare // 2:
            return None
        return window, compare

    def _pitches(self, histories: list[Float], window: int) -> list[int]:
        """Per history, the best repeating lag of its last `window` samples, preferring a
        sub-multiple within 10 % of the best (octave errors); 0 when nothing is periodic."""
        targets = [history[-window:] for history in histories]
        spans = [history[-(window + self._pmax) : -self._pmin] for history in histories]
        # Every lag at once, longest first (span[i:] starts pmax − i samples back), in C.
        pairs = zip(spans, targets, strict=True)
        dots = np.array([np.correlate(span, target, "valid") for span, target in pairs])[:, ::-1]
        target_energy = np.array([float(target @ target) for target in targets])
        energy = _window_energies(np.array(spans), window)[:, ::-1] * target_energy[:, None]
        positive = energy > 0
        score = np.where(positive, dots / np.sqrt(np.maximum(energy, 1e-9)), -1.0)
        periods = []
        for row, periodic, best in zip(
            score,
            np.logical_or.reduce(positive, axis=1).tolist(),
            score.argmax(axis=1).tolist(),
            strict=True,
        ):
            lag = self._pmin + best if periodic else 0
            for divisor in (3, 2) if periodic else ():
                shorter = round(lag / divisor)
                if shorter >= self._pmin and row[shorter - self._pmin] > 0.9 * row[best]:
                    lag = shorter
                    break
            periods.append(lag)
        return periods

    def _matches(self, ways: list[tuple[tuple[Float, Float], int]], compare: int) -> list[float]:
        """Per (history, following) and period: the match of `following`'s start with the
        periodic continuation of `history` at a frame's distance minus at no distance (the
        best normalized correlation near each, within the slack)."""
        span = compare + 2 * self._slack
        regions: list[Float] = []
        targets: list[Float] = []
        target_energy: list[float] = []
        for (history, following), period in ways:
            # The last period repeated, starting one sample early so a slack of -1 is possible
            # at offset 0: history[-slack:] then history[-period:] over and over.
            continuation = history[self._continuation(period)]
            target = following[:compare]
            energy = float(target @ target)
            for offset in (0, self._frame):  # index 0 is `slack` samples before the boundary
                regions.append(continuation[offset : offset + span])
                targets.append(target)
                target_energy.append(energy)
        pairs = zip(regions, targets, strict=True)
        dots = np.array([np.correlate(region, target, "valid") for region, target in pairs])
        energy = _window_energies(np.array(regions), compare) * np.array(target_energy)[:, None]
        score = np.where(energy > 0, dots / np.sqrt(np.maximum(energy, 1e-9)), 0.0)
        best = np.maximum.reduce(score, axis=1).tolist()  # (ndarray.max: through Python)
        return [on - at_once for at_once, on in zip(best[::2], best[1::2], strict=True)]

    def _continuation(self, period: int) -> npt.NDArray[np.intp]:
        """Indices (from the history's end) of the continuation for `period`."""
        index: npt.NDArray[np.intp] = self._from_boundary % period - period
        return index


def _window_energies(x: Float, n: int) -> Float:
    """Sum of squares of every `n`-sample window of each row of `x` (a running sum; windows
    of digital silence come out exactly 0)."""
    total = np.empty((*x.shape[:-1], x.shape[-1] + 1))
    total[..., 0] = 0.0
    np.add.accumulate(x * x, axis=-1, out=total[..., 1:])  # np.cumsum, without its wrapper
    energies: Float = np.maximum(total[..., n:] - total[..., :-n], 0.0)
    return energies
