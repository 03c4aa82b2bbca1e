"""Does the waveform run on smoothly across a frame boundary? Short-term linear prediction says.

Speech is predictable from its last few samples (a vocal tract is a slow
filter): a 12th-order linear predictor fitted to the 20 ms before a boundary
leaves a residual far below the signal. Across a true join the first samples
after the boundary are predicted as well as those before it; across a missing
frame they come from 20 ms later and the prediction fails: the residual jumps
by the predictor's gain (often 10-30 dB in voiced speech). Unlike the pitch
phase `frame_continuity` tests, this does not go blind when the pitch period
divides the frame, which for a lot of voices it nearly does.

`surprise` is the log ratio of the residual's power just past the boundary to
its power before it, forward and backward (the predictor fitted on the frames
after, run back across the boundary), summed: about 0 across a join, large
across a gap in voiced speech, noisy in noise and unvoiced sounds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]

#: Predictor order (8 kHz speech: 10-12 poles), the stretch it is fitted on (s), and how
#: many samples past the boundary are predicted.
ORDER = 12
_FIT_S = 0.020
_PAST_SAMPLES = 8
#: Regularization of the fit (relative white noise, as speech codecs add).
_WHITE_NOISE = 1e-4
#: Residual power (int16 units²) added to both sides of the ratio: digital silence says nothing.
_FLOOR_POWER = 1.0


class BoundaryPredictor:
    """Computes `surprise` for one stream's rate (mono samples)."""

    def __init__(self, rate_hz: int) -> None:
        self._fit = max(4 * ORDER, round(rate_hz * _FIT_S))
        self._window: Float = np.hanning(self._fit)
        self._pad: Float = np.zeros(ORDER)
        self._lags = np.abs(np.subtract.outer(np.arange(ORDER), np.arange(ORDER)))

    def surprise(self, before: npt.ArrayLike, after: npt.ArrayLike) -> float | None:
        """Residual power past the boundary over before it, as a log, both ways summed;
        None when there are too few samples on a side, or nothing but silence."""
        a = np.asarray(before, dtype=np.float64).reshape(-1)
        b = np.asarray(after, dtype=np.float64).reshape(-1)
        # Forward (fitted before the boundary) and backward (fitted after it, run back).
        ways = ((a, b), (b[::-1], a[::-1]))
        fits = [self._autocorrelation(history, following) for history, following in ways]
        if fits[0] is None or fits[1] is None:
            return None
        # Both predictors in one call: LAPACK solves each system on its own, as one call
        # each would (bit for bit), and the wrapper's Python runs once (every frame).
        r = np.array(fits)
        try:
            coefficients = np.linalg.solve(r[:, self._lags], -r[:, 1:, None])
        except np.linalg.LinAlgError:
            return None
        forward, backward = (
            self._residual_ratio(history[-self._fit :], following, c[:, 0])
            for (history, following), c in zip(ways, coefficients, strict=True)
        )
        return forward + backward

    def _autocorrelation(self, history: Float, following: Float) -> Float | None:
        """Lags 0..ORDER of the windowed stretch before the boundary (white noise added);
        None when too short a side or silence leaves nothing to fit."""
        if history.shape[0] < self._fit or following.shape[0] < _PAST_SAMPLES:
            return None
        x = history[-self._fit :] * self._window
        r = np.correlate(np.concatenate([x, self._pad]), x, "valid")  # lags 0..ORDER
        if r[0] <= 0.0:
            return None
        r[0] *= 1.0 + _WHITE_NOISE
        return r

    def _residual_ratio(self, fitted: Float, following: Float, coefficients: Float) -> float:
        """log of the residual power past the boundary over that before it."""
        inverse = np.concatenate(([1.0], coefficients))
        signal = np.concatenate([fitted, following[:_PAST_SAMPLES]])
        residual = np.convolve(signal, inverse, "valid")  # from sample ORDER of `fitted` on
        inside, past = residual[:-_PAST_SAMPLES], residual[-_PAST_SAMPLES:]
        power_in = float(inside @ inside) / inside.shape[0]
        power_past = float(past @ past) / _PAST_SAMPLES
        return float(np.log((power_past + _FLOOR_POWER) / (power_in + _FLOOR_POWER)))
