"""Loss over the last few seconds: what share of the frames due went missing."""

from __future__ import annotations

import collections

#: The window the degraded rule looks at.
LOSS_WINDOW_S = 5.0


class LossWindow:
    """Samples of (time, frames lost so far, frames received so far). Not thread-safe."""

    __slots__ = ("_samples", "_window_s")

    def __init__(self, window_s: float = LOSS_WINDOW_S) -> None:
        self._window_s = window_s
        self._samples: collections.deque[tuple[float, int, int]] = collections.deque()

    def add(self, now_s: float, lost_total: int, received_total: int) -> None:
        samples = self._samples
        samples.append((now_s, lost_total, received_total))
        while len(samples) > 1 and samples[1][0] <= now_s - self._window_s:
            samples.popleft()

    def percent(self) -> float:
        """Lost / (lost + received) between the oldest and newest sample, in percent."""
        if len(self._samples) < 2:
            return 0.0
        _, lost0, got0 = self._samples[0]
        _, lost1, got1 = self._samples[-1]
        lost, got = lost1 - lost0, got1 - got0
        return 100.0 * lost / (lost + got) if lost + got > 0 else 0.0
