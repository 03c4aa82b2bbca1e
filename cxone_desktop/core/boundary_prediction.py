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
        forward = self._one_way(a, b)
        backward = self._one_way(b[::-1], a[::-1])
        if forward is None or backward is None:
            return None
        return forward + backward

    def _one_way(self, history: Float, following: Float) -> float | None:
        if history.shape[0] < self._fit or following.shape[0] < _PAST_SAMPLES:
            return None
        fitted = history[-self._fit :]
        x = fitted * self._window
        r = np.correlate(np.concatenate([x, self._pad]), x, "valid")  # lags 0..ORDER
        if r[0] <= 0.0:
            return None
        r[0] *= 1.0 + _WHITE_NOISE
        try:
            coefficients = np.linalg.solve(r[self._lags], -r[1:])
        except np.linalg.LinAlgError:
            return None
        inverse = np.concatenate(([1.0], coefficients))
        signal = np.concatenate([fitted, following[:_PAST_SAMPLES]])
        residual = np.convolve(signal, inverse, "valid")  # from sample ORDER of `fitted` on
        inside, past = residual[:-_PAST_SAMPLES], residual[-_PAST_SAMPLES:]
        power_in = float(inside @ inside) / inside.shape[0]
        power_past = float(past @ past) / _PAST_SAMPLES
        return float(np.log((power_past + _FLOOR_POWER) / (power_in + _FLOOR_POWER)))
