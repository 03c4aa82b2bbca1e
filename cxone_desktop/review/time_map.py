"""Where a moment of the call lies in each recording: session seconds ↔ file seconds.

The review's time axis is session time (`elapsed_s` in metrics.csv and
events.jsonl). processed.wav runs on the playout clock, so it follows session
time from when playout began; raw.wav holds only what arrived, so it stands
still through an outage or a hold. A map is a set of anchors joined by straight
lines, extended at one second per second beyond the first and last.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TimeMap:
    """Monotone piecewise-linear map; `session_s` strictly increasing, `file_s` non-decreasing."""

    session_s: Floats
    file_s: Floats

    @classmethod
    def offset(cls, session_at_file_zero: float) -> TimeMap:
        """file time = session time − offset (a recording that never stood still)."""
        return cls(np.array([session_at_file_zero]), np.array([0.0]))

    @classmethod
    def from_anchors(cls, anchors: Iterable[tuple[float, float]]) -> TimeMap:
        """Anchors (session_s, file_s) in any order; file positions never go backwards."""
        pairs = sorted((float(s), float(f)) for s, f in anchors)
        if not pairs:
            return cls.offset(0.0)
        s = np.array([p[0] for p in pairs])
        f = np.maximum.accumulate(np.array([p[1] for p in pairs]))
        keep = np.concatenate(([True], np.diff(s) > 1e-9))  # first anchor wins at a tie
        return cls(s[keep], f[keep])

    def to_file(self, session_s: npt.ArrayLike) -> Floats:
        """File seconds for session seconds (inside an outage: where the file stands still)."""
        return _interp(np.asarray(session_s, dtype=np.float64), self.session_s, self.file_s)

    def to_session(self, file_s: npt.ArrayLike) -> Floats:
        """Session seconds for file seconds; audio after a standstill maps past the gap."""
        x = np.atleast_1d(np.asarray(file_s, dtype=np.float64))
        f, s = self.file_s, self.session_s
        i = np.searchsorted(f, x, side="right") - 1  # the last anchor at or before x
        out = np.empty_like(x)
        before = i < 0
        out[before] = s[0] + (x[before] - f[0])
        last = i >= len(f) - 1
        out[last] = s[-1] + (x[last] - f[-1])
        mid = ~(before | last)
        j = i[mid]
        span_f = f[j + 1] - f[j]  # > 0: side="right" skips flat stretches
        slope = (s[j + 1] - s[j]) / span_f
        out[mid] = s[j] + (x[mid] - f[j]) * slope
        return out


def _interp(x: Floats, xp: Floats, fp: Floats) -> Floats:
    """np.interp with slope-1 extension on both sides."""
    y = np.interp(x, xp, fp)
    below, above = x < xp[0], x > xp[-1]
    if below.any():
        y[below] = fp[0] + (x[below] - xp[0])
    if above.any():
        y[above] = fp[-1] + (x[above] - xp[-1])
    return y
