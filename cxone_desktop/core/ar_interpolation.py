"""Fills a short gap from both sides with the samples a linear predictor finds most likely.

Least-squares autoregressive interpolation (Janssen, Veldhuis & Vries, 1986,
"Adaptive interpolation of discrete-time signals that can be modeled as
autoregressive processes"): fit one predictor to the samples on both sides of
the gap, then choose the missing samples so that every prediction the gap
takes part in (inside it, and the first `order` samples after it) errs as
little as possible. Where the pitch-period bridge of `concealment` repeats
whole periods and fades one side into the other, this follows the waveform's
short-term shape into the far side's first samples; the two err differently,
and their average conceals a 20 ms loss in its true slot better than either
(PESQ at 5 % loss, training seeds: 3.74 / 3.83 → 3.87 / 3.96 on the two
benchmark calls; 3.99 → 4.04 on recorded human voice).
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]

#: Ridge added to the predictor's normal equations, relative to their mean diagonal (keeps
#: the fit stable on tones and near-silence), and absolutely (digital silence).
_RELATIVE_RIDGE = 1e-3
_ABSOLUTE_RIDGE = 1e-3


def interpolate(before: npt.ArrayLike, after: npt.ArrayLike, n: int, order: int) -> Float | None:
    """The `n` samples between `before` and `after` (the samples on each side the predictor is
    fitted on), or None when a side has no more than `order` samples."""
    a = np.asarray(before, dtype=np.float64).reshape(-1)
    b = np.asarray(after, dtype=np.float64).reshape(-1)
    if n <= 0 or a.shape[0] <= order or b.shape[0] <= order:
        return None
    # The predictor, fitted to both sides at once (covariance method): row t holds x[t-order..t].
    windows = np.lib.stride_tricks.sliding_window_view
    rows = np.concatenate([windows(side, order + 1) for side in (a, b)])
    past, target = rows[:, -2::-1], rows[:, -1]
    gram = past.T @ past
    ridge = _RELATIVE_RIDGE * float(np.trace(gram)) / order + _ABSOLUTE_RIDGE
    predictor = np.linalg.solve(gram + ridge * np.eye(order), past.T @ target)
    error_filter = np.concatenate(([1.0], -predictor))  # e[t] = Σ error_filter[k]·x[t−k]
    # The prediction errors the gap touches, with the gap zeroed: error t (from the gap's first
    # sample on) moves with missing sample j by error_filter[t − j]. Least squares over them
    # all: the normal equations' matrix is the error filter's autocorrelation at |i − j|
    # (every error a missing sample moves is counted), a symmetric Toeplitz matrix.
    x = np.concatenate((a[-order:], np.zeros(n), b[:order]))
    known = np.convolve(x, error_filter, "valid")  # n + order errors
    autocorrelation = np.correlate(error_filter, error_filter, "full")[order:]
    normal = np.concatenate((autocorrelation, [0.0]))[_band(n, order)]
    result: Float = np.linalg.solve(normal, -np.correlate(known, error_filter, "valid"))
    return result


@functools.lru_cache(maxsize=8)
def _band(n: int, order: int) -> npt.NDArray[np.intp]:
    """|i − j| for an n × n matrix, capped at order + 1 (where the autocorrelation is 0)."""
    distance = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    band: npt.NDArray[np.intp] = np.minimum(distance, order + 1)
    band.flags.writeable = False
    return band
