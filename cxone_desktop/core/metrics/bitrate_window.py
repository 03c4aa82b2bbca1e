"""Bitrate and packet rate over a sliding window."""

from __future__ import annotations

import collections
import math

#: Length of the sliding window, in seconds.
WINDOW_S = 1.0


class BitrateWindow:
    """Bytes and packets that arrived in the last WINDOW_S. Not thread-safe."""

    __slots__ = ("_bytes", "_frame_s", "_packets")

    def __init__(self, frame_s: float) -> None:
        self._frame_s = frame_s
        self._packets: collections.deque[tuple[float, int]] = collections.deque()
        self._bytes = 0

    def add(self, nbytes: int, arrival_s: float) -> None:
        packets = self._packets
        packets.append((arrival_s, nbytes))
        self._bytes += nbytes
        if packets[0][0] <= arrival_s - WINDOW_S:
            self._prune(arrival_s)

    def rates(self, now_s: float, first_arrival_s: float | None) -> tuple[float, float]:
        """(kbps, packets per second) over the window ending at `now_s`.

        In the stream's first second the window holds less than a second of audio, so
        the rates divide by the time covered since `first_arrival_s` (plus a frame).
        """
        self._prune(now_s)
        if not self._packets:
            return 0.0, 0.0
        since_first = math.inf if first_arrival_s is None else max(now_s - first_arrival_s, 0.0)
        span = min(WINDOW_S, since_first + self._frame_s)
        return self._bytes * 8 / span / 1000.0, len(self._packets) / span

    def _prune(self, now_s: float) -> None:
        packets = self._packets
        cutoff = now_s - WINDOW_S
        while packets and packets[0][0] <= cutoff:
            self._bytes -= packets.popleft()[1]
