"""Does the waveform run on smoothly across a frame boundary? Short-term linear prediction says.

Speech is predictable from its last few samples (a vocal tract is a slow
filter): a 12th-order linear predictor fitted to the 20 ms before a boundary
leaves a residual far below the signal. Across a true join the first samples
after the boundary are predicted as well as those before it; across a missing
frame they come from 20 ms later and the prediction fails: the residual jumps
by the predictor's gain (often 10-30 dB in voiced speech). Unlike the pitch
phase `frame_continuity` tests, this does not go blind when the pitch period
divides the frame, which for a lot of voices it nearly does.

`ratios` measures that jump two ways, each forward and backward:

- *past*: the side's predictor run on past the boundary, its residual there
  over its residual where it was fitted (4 to 32 samples past: how long the
  surprise lasts);
- *into*: the far side's own predictor run across the boundary from the near
  side's last samples: its first samples' residual over its residual further
  in (does the far side's own sound carry on from the near side?).

About 0 across a join, large across a gap in voiced speech, noisy in noise
and unvoiced sounds; `gap_model` weighs them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]

#: Predictor order (8 kHz speech: 10-12 poles), and a short one that sees only the local
#: slope (a step in the waveform, not its colour); the stretch each is fitted on (s).
ORDER = 12
SHORT_ORDER = 4
_FIT_S = 0.020
#: Samples past the boundary over which the *past* ratios are taken.
PAST_SAMPLES = (4, 8, 16, 32)
#: The *into* ratios: the first k samples across the boundary, against samples
#: [INTO_REFERENCE[0], INTO_REFERENCE[1]) of the same run.
INTO_SAMPLES = (4, 8, 12)
SHORT_INTO_SAMPLES = 8
INTO_REFERENCE = (16, 96)
#: Regularization of the fit (relative white noise, as speech codecs add).
_WHITE_NOISE = 1e-4
#: Residual power (int16 units²) added to both sides of a ratio: digital silence says nothing.
_FLOOR_POWER = 1.0
#: The ratios `ratios` returns, in order.
RATIO_NAMES = (
    *(f"past_forward_{h}" for h in PAST_SAMPLES),
    *(f"past_backward_{h}" for h in PAST_SAMPLES),
    *(f"into_after_{k}" for k in INTO_SAMPLES),
    *(f"into_before_{k}" for k in INTO_SAMPLES),
    f"into_after_{SHORT_INTO_SAMPLES}_short",
    f"into_before_{SHORT_INTO_SAMPLES}_short",
)


class BoundaryPredictor:
    """Computes `ratios` for one stream's rate (mono samples)."""

    def __init__(self, rate_hz: int) -> None:
        self._fit = max(4 * ORDER, round(rate_hz * _FIT_S), INTO_REFERENCE[1])
        self._window: Float = np.hanning(self._fit)
        self._pad: Float = np.zeros(ORDER)
        self._lags = np.abs(np.subtract.outer(np.arange(ORDER), np.arange(ORDER)))
        self._short_lags = self._lags[:SHORT_ORDER, :SHORT_ORDER]

    def ratios(self, before: npt.ArrayLike, after: npt.ArrayLike) -> Float | None:
        """The log residual-power ratios named in RATIO_NAMES; None when a side is shorter
        than the stretch a predictor is fitted on (20 ms) or digital silence."""
        a = np.asarray(before, dtype=np.float64).reshape(-1)
        b = np.asarray(after, dtype=np.float64).reshape(-1)
        if a.shape[0] < self._fit or b.shape[0] < self._fit:
            return None
        fitted_a, fitted_b = a[-self._fit :], b[: self._fit]
        r = np.array([self._autocorrelation(fitted_a), self._autocorrelation(fitted_b)])
        if r[0, 0] <= 0.0 or r[1, 0] <= 0.0:
            return None
        # A predictor fits a stretch and its time reversal alike (same autocorrelation, and a
        # symmetric window), so each side's serves forward and backward. Both sides' systems
        # in one call each: LAPACK solves them one by one, as separate calls would.
        try:
            long = np.linalg.solve(r[:, self._lags], -r[:, 1 : ORDER + 1, None])
            short = np.linalg.solve(r[:, self._short_lags], -r[:, 1 : SHORT_ORDER + 1, None])
        except np.linalg.LinAlgError:
            return None
        inverse_a, inverse_b = (np.concatenate(([1.0], c[:, 0])) for c in long)
        short_a, short_b = (np.concatenate(([1.0], c[:, 0])) for c in short)
        reversed_a, reversed_b = a[::-1], b[::-1]
        values = [
            *_past(fitted_a, b, inverse_a),
            *_past(fitted_b[::-1], reversed_a, inverse_b),
            *_into(a, b, inverse_b, INTO_SAMPLES),
            *_into(reversed_b, reversed_a, inverse_a, INTO_SAMPLES),
            *_into(a, b, short_b, (SHORT_INTO_SAMPLES,)),
            *_into(reversed_b, reversed_a, short_a, (SHORT_INTO_SAMPLES,)),
        ]
        return np.array(values)

    def _autocorrelation(self, fitted: Float) -> Float:
        """Lags 0..ORDER of the windowed stretch, white noise added."""
        x = fitted * self._window
        r = np.correlate(np.concatenate([x, self._pad]), x, "valid")
        r[0] *= 1.0 + _WHITE_NOISE
        return r


def _past(fitted: Float, following: Float, inverse: Float) -> list[float]:
    """Per PAST_SAMPLES h: log residual power over the first h samples past the fitted
    stretch over that inside it."""
    longest = PAST_SAMPLES[-1]
    signal = np.concatenate([fitted, following[:longest]])
    residual = np.convolve(signal, inverse, "valid")  # from sample ORDER of `fitted` on
    return _log_ratios(residual[-longest:], residual[:-longest], PAST_SAMPLES)


def _into(near: Float, far: Float, inverse: Float, counts: tuple[int, ...]) -> list[float]:
    """Per k in `counts`: the far side's predictor (`inverse`) run from the near side's
    last samples into the far side, log residual power over its first k samples there over
    that at INTO_REFERENCE."""
    order = inverse.shape[0] - 1
    start, stop = INTO_REFERENCE
    signal = np.concatenate([near[-order:], far[:stop]])
    residual = np.convolve(signal, inverse, "valid")  # residual[i] predicts far[i]
    return _log_ratios(residual, residual[start:stop], counts)


def _log_ratios(head: Float, reference: Float, counts: tuple[int, ...]) -> list[float]:
    """Per k in `counts`: log of the residual power over the first k samples of `head` over
    that over `reference` (each with the floor added)."""
    power_ref = float(reference @ reference) / reference.shape[0] + _FLOOR_POWER
    energy = np.cumsum(head[: max(counts)] ** 2)
    return [float(np.log((energy[k - 1] / k + _FLOOR_POWER) / power_ref)) for k in counts]
