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
`gap_log_odds` weighs it with short-term prediction across the boundary
(`boundary_prediction`) and the level, through `gap_model` (trained on other
speech than the benchmarks'), into the log-odds the slot decoder adds to its
timing evidence. The model knows 8 kHz streams of 20 ms frames (the wire's);
on others the pitch phase speaks alone.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.boundary_prediction import BoundaryPredictor
from cxone_desktop.core.gap_model import GapModel

Float = npt.NDArray[np.float64]

#: Pitch periods searched (s): 2.5 ms (400 Hz) to 15 ms (66 Hz).
_PERIOD_MIN_S = 0.0025
_PERIOD_MAX_S = 0.015
#: Length of the stretch compared after the boundary, and of the pitch-search window.
_COMPARE_S = 0.010
_SEARCH_WINDOW_S = 0.020
#: Pitch drift allowed when matching a prediction: ± this much.
_SLACK_S = 0.000375
#: Where the pitch phase speaks alone: log-odds per unit of its evidence, at most
#: MAX_PHASE_LOG_ODDS either way (a discontinuity that is in the sound, a tone or a word
#: starting at full strength, a click, looks to the phase like a missing frame).
LOG_ODDS_PER_UNIT = 3.5
MAX_PHASE_LOG_ODDS = 5.0
#: The most the gap model may weigh one boundary, for a join and for a gap. Unlike the
#: phase it has learned sound that starts at full strength (telephone tones are in its
#: corpus), so it needs no tighter bound: held to the phase's 5, as before it knew them,
#: 100 ms of jitter with 5 % loss in quality mode scored 0.06 / 0.06 lower on training
#: seeds, and tones starting on a frame boundary were not taken for losses any less often
#: (`test_jitter_buffer`). Its output seldom comes near 12.
MAX_JOIN_LOG_ODDS = 8.0
MAX_GAP_LOG_ODDS = 12.0
#: Below this power (RMS 64 of 32767) on both sides of a boundary the pitch phase speaks
#: alone: in pauses the model's clues are line noise's, which varies from line to line.
QUIET_POWER = 64.0**2
#: The stream the gap model was trained on: 8 kHz, 20 ms frames.
MODEL_RATE_HZ, MODEL_FRAME_SAMPLES = 8000, 160
#: Frames after a boundary the clues use at most (the queue decoder gives up to 2).
_AFTER_FRAMES = 2
#: One model for every probe (it holds only its weights).
_MODEL = GapModel.trained()


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
        self._modelled = rate_hz == MODEL_RATE_HZ and frame_samples == MODEL_FRAME_SAMPLES

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
        """log P(waveform | a frame is missing) − log P(waveform | none is), clipped."""
        history = np.asarray(before, dtype=np.float64).reshape(-1)
        following = np.asarray(after, dtype=np.float64).reshape(-1)
        evidence = self.evidence(history, following)
        a, b = history[-self._frame :], following[: self._frame]
        loud = max(_power(a), _power(b)) >= QUIET_POWER
        clues = self.clues(history, following, evidence) if self._modelled and loud else None
        if clues is None:
            phase = LOG_ODDS_PER_UNIT * evidence
            return float(min(max(phase, -MAX_PHASE_LOG_ODDS), MAX_PHASE_LOG_ODDS))
        return float(min(max(_MODEL.log_odds(clues), -MAX_JOIN_LOG_ODDS), MAX_GAP_LOG_ODDS))

    def clues(
        self, before: npt.ArrayLike, after: npt.ArrayLike, evidence: float | None = None
    ) -> Float | None:
        """What the gap model weighs (`gap_model_weights.CLUES`): the pitch phase's
        `evidence`, the prediction's ratios, the louder side's level and how many frames
        after the boundary were seen (up to 2); None when a side is too short or digital
        silence for the prediction."""
        history = np.asarray(before, dtype=np.float64).reshape(-1)
        following = np.asarray(after, dtype=np.float64).reshape(-1)
        ratios = self._predictor.ratios(history, following)
        if ratios is None:
            return None
        if evidence is None:
            evidence = self.evidence(history, following)
        power = max(_power(history[-self._frame :]), _power(following[: self._frame]))
        # With one frame after the boundary (a short queue) the phase is tested forward
        # only: the model is told, having learned both.
        after_frames = min(following.shape[0] / self._frame, float(_AFTER_FRAMES))
        return np.concatenate(([evidence], ratios, [np.log(power + 1.0), after_frames]))

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


def _power(x: Float) -> float:
    """Mean square (0 for no samples)."""
    return float(x @ x) / max(1, len(x))


def _window_energies(x: Float, n: int) -> Float:
    """Sum of squares of every `n`-sample window of each row of `x` (a running sum; windows
    of digital silence come out exactly 0)."""
    total = np.empty((*x.shape[:-1], x.shape[-1] + 1))
    total[..., 0] = 0.0
    np.add.accumulate(x * x, axis=-1, out=total[..., 1:])  # np.cumsum, without its wrapper
    energies: Float = np.maximum(total[..., n:] - total[..., :-n], 0.0)
    return energies
