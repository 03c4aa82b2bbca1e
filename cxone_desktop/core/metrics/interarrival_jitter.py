"""RFC 3550 interarrival jitter against the 20 ms media clock, with upstream loss taken out."""

from __future__ import annotations


class InterarrivalJitter:
    """RFC 3550's ``J += (|D| - J) / 16``, where a D that may be loss waits for one more packet.

    The wire has no sender timestamps: a lost frame makes the next packet look a frame
    late (D ≈ +20 ms), as a delay spike would. The packet after tells them apart: a
    spike is followed by an early one (D ≤ -half a frame), a loss is not. So a D
    within a quarter frame of a whole number of frames waits for one more packet.
    Not thread-safe.
    """

    __slots__ = ("_frame_s", "_held_d", "jitter_s")

    def __init__(self, frame_s: float) -> None:
        self._frame_s = frame_s
        self._held_d: float | None = None
        self.jitter_s = 0.0

    def add(self, d: float) -> None:
        """One packet's D: its interarrival minus its media-clock advance, in seconds."""
        f = self._frame_s
        held = self._held_d
        if held is None:
            if d < 0.75 * f:  # cannot be loss: plain RFC 3550 (the usual case)
                self.jitter_s += (abs(d) - self.jitter_s) / 16.0
                return
        else:
            self._held_d = None
            if d > -f / 2:  # no catching up: those frames never came
                held -= round(held / f) * f
            self.jitter_s += (abs(held) - self.jitter_s) / 16.0
        frames = round(d / f)
        if frames >= 1 and abs(d - frames * f) <= f / 4:
            self._held_d = d
            return
        self.jitter_s += (abs(d) - self.jitter_s) / 16.0

    def forget_held(self) -> None:
        """A new media-clock epoch: a D waiting for its next packet will not get one."""
        self._held_d = None
