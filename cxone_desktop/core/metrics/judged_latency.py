"""The seed's latency average, with each sample judged on the packets after it."""

from __future__ import annotations

import collections
import math

#: How long after a packet its lateness is judged (delay, or frames lost before it).
LATENCY_LAG_S = 0.2
#: Smoothing of the seed's latency average: avg = (1 - a) * avg + a * sample.
LATENCY_EMA = 0.1
_EPS = 1e-9


class JudgedLatency:
    """``avg = 0.9 * avg + 0.1 * sample`` (the seed's), in ms, where loss is not latency.

    A lost frame shifts every later packet a frame "late", as a delay would. The
    packets that follow tell them apart: delay passes (a later packet is on time
    again), loss does not. So a sample a frame or more late waits LATENCY_LAG_S and
    loses the whole frames that it and every packet since stayed late; samples after
    it queue behind it, to keep the average's order. Not thread-safe.
    """

    __slots__ = ("_avg_ms", "_frame_s", "_mins", "_pending")

    def __init__(self, frame_s: float) -> None:
        self._frame_s = frame_s
        self._avg_ms = 0.0
        #: Samples waiting for judgment: (arrival, lateness in s).
        self._pending: collections.deque[tuple[float, float]] = collections.deque()
        #: Increasing minima of `_pending` (mins[0] is the least), for O(1) judgment.
        self._mins: collections.deque[float] = collections.deque()

    def add(self, arrival_s: float, late_s: float) -> None:
        pending = self._pending
        if not pending and late_s < self._frame_s - _EPS:  # the usual case: nothing to judge
            self._avg_ms += LATENCY_EMA * (late_s * 1000.0 - self._avg_ms)
            return
        mins = self._mins
        pending.append((arrival_s, late_s))
        while mins and mins[-1] > late_s:
            mins.pop()
        mins.append(late_s)
        cutoff = arrival_s - LATENCY_LAG_S
        avg = self._avg_ms
        while pending and pending[0][0] <= cutoff:
            late = pending.popleft()[1]
            floor = mins[0]
            if floor == late:
                mins.popleft()
            avg = _judged_ema(avg, late, floor, self._frame_s)
        self._avg_ms = avg

    def average_ms(self) -> float:
        """The average with the queued samples in, each judged on the packets after it."""
        pending = self._pending
        if not pending:
            return self._avg_ms
        floors: list[float] = []
        least = math.inf
        for _, late in reversed(pending):
            least = min(least, late)
            floors.append(least)
        avg = self._avg_ms
        for (_, late), floor in zip(pending, reversed(floors), strict=True):
            avg = _judged_ema(avg, late, floor, self._frame_s)
        return avg

    def settle(self) -> None:
        """Judge every queued sample now (a new media-clock epoch starts)."""
        self._avg_ms = self.average_ms()
        self._pending.clear()
        self._mins.clear()


def _judged_ema(avg_ms: float, late_s: float, floor_s: float, frame_s: float) -> float:
    """The seed's average after one sample, less the whole frames that stayed late after it."""
    if floor_s >= frame_s - _EPS:
        late_s -= math.floor(floor_s / frame_s + _EPS) * frame_s
    return avg_ms + LATENCY_EMA * (max(0.0, late_s) * 1000.0 - avg_ms)
