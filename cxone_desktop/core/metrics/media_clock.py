"""The 20 ms media clock inferred from bytes, and the frames it proves lost.

The wire has no sequence numbers or timestamps: a byte at stream offset ``b``
belongs to frame ``b // frame_bytes``, and frame ``k`` is due at
``anchor + k * 20 ms``. The anchor is the first packet's arrival (its last
byte's frame), moved earlier whenever a packet arrives ahead of it (so the
first packet's own delay is not counted as latency forever).

Loss and delay look the same on such a wire until more data arrives: frames that
are due but missing are first counted as pending loss (beyond the jitter
allowance); if every packet for a whole second then stays at least a frame
late, those frames are committed as lost and the clock shifts past them.
"""

from __future__ import annotations

import math

#: How long packets must stay late before their missing frames are committed as lost.
LOSS_COMMIT_S = 1.0
_EPS = 1e-9


class MediaClock:
    """One epoch of the media clock (a connection, or the stretch between two holds).

    `end_epoch` folds the epoch's loss into the running total; the next packet then
    starts a new epoch. Not thread-safe.
    """

    __slots__ = (
        "_anchor_s",
        "_bytes",
        "_committed_lost",
        "_frame_bytes",
        "_frame_s",
        "_lost_base",
        "_window_min_s",
        "_window_start_s",
        "first_arrival_s",
    )

    def __init__(self, frame_bytes: int, frame_s: float) -> None:
        self._frame_bytes = frame_bytes
        self._frame_s = frame_s
        self._anchor_s: float | None = None
        #: Arrival of the epoch's first packet, or None before it.
        self.first_arrival_s: float | None = None
        self._bytes = 0
        self._committed_lost = 0
        self._lost_base = 0  # frames lost in earlier epochs
        self._window_start_s = 0.0
        self._window_min_s = math.inf

    def advance(self, nbytes: int) -> float:
        """Account `nbytes` more; the media time (s) of the frame their last byte belongs to."""
        self._bytes += nbytes
        return ((self._bytes - 1) // self._frame_bytes) * self._frame_s

    def start_epoch(self, arrival_s: float, media_s: float) -> None:
        """The epoch's first packet, ending at `media_s`, arrived at `arrival_s`: on time."""
        self._anchor_s = arrival_s - media_s
        self.first_arrival_s = arrival_s
        self._window_start_s = arrival_s
        self._window_min_s = math.inf

    def judge(self, arrival_s: float, media_s: float) -> float:
        """How late (s) this packet is against the clock before loss is taken out.

        Moves the anchor or takes back committed loss when the packet is early, and
        commits loss when a loss window closes with every packet a frame or more late.
        """
        anchor = self._anchor_s
        assert anchor is not None, "start_epoch first"
        f = self._frame_s
        late = arrival_s - anchor - media_s - self._committed_lost * f
        if late < 0.0:
            if late < -_EPS:
                self._unlose(-late)
            late = max(0.0, self._lateness(arrival_s, media_s))
        if arrival_s - self._window_start_s >= LOSS_COMMIT_S and self._close_window(arrival_s):
            late = max(0.0, self._lateness(arrival_s, media_s))
        if late < self._window_min_s:
            self._window_min_s = late
        return late + self._committed_lost * f

    def lost(self, now_s: float, allowance_s: float) -> int:
        """Frames due by `now_s` less `allowance_s` that did not arrive, all epochs."""
        return self._lost_base + self._lost_in_epoch(now_s, allowance_s)

    def end_epoch(self, last_arrival_s: float | None, allowance_s: float) -> None:
        """Keep the frames proven missing so far; the pause that follows is not loss."""
        if last_arrival_s is not None:
            self._lost_base += self._lost_in_epoch(last_arrival_s, allowance_s)
        self._anchor_s = None
        self.first_arrival_s = None
        self._bytes = 0
        self._committed_lost = 0

    def _lateness(self, arrival_s: float, media_s: float) -> float:
        assert self._anchor_s is not None
        return arrival_s - self._anchor_s - media_s - self._committed_lost * self._frame_s

    def _unlose(self, early_s: float) -> None:
        """A packet came early: frames thought lost arrived after all, or the anchor was late."""
        assert self._anchor_s is not None
        frames = min(self._committed_lost, math.ceil(early_s / self._frame_s - _EPS))
        self._committed_lost -= frames
        early_s -= frames * self._frame_s
        if early_s > 0:
            self._anchor_s -= early_s

    def _close_window(self, arrival_s: float) -> bool:
        """End a loss window; True when every packet in it stayed a frame late (loss committed)."""
        committed = False
        if self._window_min_s >= self._frame_s - _EPS:
            self._committed_lost += int(self._window_min_s / self._frame_s + _EPS)
            committed = True
        self._window_start_s = arrival_s
        self._window_min_s = math.inf
        return committed

    def _lost_in_epoch(self, now_s: float, allowance_s: float) -> int:
        if self._anchor_s is None:
            return 0
        f = self._frame_s
        due = math.floor((now_s - allowance_s - self._anchor_s) / f + _EPS) + 1
        accounted = self._bytes // self._frame_bytes + self._committed_lost
        return self._committed_lost + max(0, due - accounted)
