"""Min/max envelope: as many points as the plot has pixel columns, not one per sample."""

from __future__ import annotations

import numpy as np


def minmax_envelope(samples: np.ndarray, window: int, columns: int) -> np.ndarray:
    """Interleaved [min0, max0, min1, max1, …] of the last `window` samples in `columns` bins.

    Fewer samples than `window` are padded with silence on the left, so a fresh
    call scrolls in from the right. `window` must be a multiple of `columns`.
    Drawn with pyqtgraph's `connect="pairs"`, each pair is one vertical stroke.
    """
    if window % columns:
        raise ValueError(f"window {window} is not a multiple of columns {columns}")
    tail = np.asarray(samples, dtype=np.float32)[-window:]
    if len(tail) < window:
        padded = np.zeros(window, dtype=np.float32)
        padded[window - len(tail) :] = tail
        tail = padded
    bins = tail.reshape(columns, window // columns)
    out = np.empty((columns, 2), dtype=np.float32)
    np.min(bins, axis=1, out=out[:, 0])
    np.max(bins, axis=1, out=out[:, 1])
    return out.reshape(-1)


def envelope_x(seconds: float, columns: int) -> np.ndarray:
    """x positions (seconds before now, −seconds … 0) matching `minmax_envelope`'s pairs."""
    centres = np.linspace(-seconds, 0.0, columns, dtype=np.float32)
    return np.repeat(centres, 2)
