"""When each 20 ms frame of a simulated call is due, and what state the call is in.

Pure arithmetic on seconds elapsed since the call's media clock started (the
first stream connection), so every connection of a call, the call-state REST
endpoint and the tests agree without sharing a task. A hold pauses the media:
the frame that would have played at `hold_at_s` plays `hold_for_s` later, and
nothing is sent in between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

CallState = Literal["active", "on_hold", "ended"]

FRAME_S = 0.020
_EPS = 1e-9


@dataclass(frozen=True)
class CallTimeline:
    """Due times and states for a call of `frame_count` frames (looping if `loop`)."""

    frame_count: int
    loop: bool = False
    hold_at_s: float | None = None
    hold_for_s: float = 3.0

    def __post_init__(self) -> None:
        if self.frame_count < 1:
            raise ValueError("a call needs at least one frame of audio")

    @property
    def hold_frame(self) -> int | None:
        """The first frame played after the hold, or None when the call never holds."""
        if self.hold_at_s is None:
            return None
        frame = math.ceil(self.hold_at_s / FRAME_S - _EPS)
        if not self.loop and frame >= self.frame_count:
            return None  # the call ends first
        return frame

    @property
    def hold_start_s(self) -> float | None:
        frame = self.hold_frame
        return None if frame is None else frame * FRAME_S

    @property
    def hold_end_s(self) -> float | None:
        start = self.hold_start_s
        return None if start is None else start + self.hold_for_s

    @property
    def end_s(self) -> float:
        """Elapsed seconds at which the call ends (inf when looping)."""
        if self.loop:
            return math.inf
        return self.frame_count * FRAME_S + (
            self.hold_for_s if self.hold_frame is not None else 0.0
        )

    def due_s(self, frame: int) -> float:
        """Elapsed seconds at which `frame` (counted from the call's start, not modulo) is sent."""
        hold = self.hold_frame
        pause = self.hold_for_s if hold is not None and frame >= hold else 0.0
        return frame * FRAME_S + pause

    def live_frame(self, elapsed_s: float) -> int:
        """The first frame not yet due at `elapsed_s`: where a (re)connecting listener starts.

        Audio that played while nobody listened is gone, as in a live call.
        """
        frame = max(0, math.ceil(elapsed_s / FRAME_S - _EPS))
        hold = self.hold_frame
        if hold is not None and frame > hold:
            frame = max(hold, math.ceil((elapsed_s - self.hold_for_s) / FRAME_S - _EPS))
        return frame

    def state_at(self, elapsed_s: float) -> CallState:
        if elapsed_s >= self.end_s - _EPS:
            return "ended"
        start, end = self.hold_start_s, self.hold_end_s
        if start is not None and end is not None and start - _EPS <= elapsed_s < end - _EPS:
            return "on_hold"
        return "active"

    def media_position_s(self, elapsed_s: float) -> float:
        """How much of the audio has played by `elapsed_s` (holds excluded, capped at the end)."""
        position = max(0.0, elapsed_s)
        start = self.hold_start_s
        if start is not None and position > start:
            position = max(start, position - self.hold_for_s)
        if not self.loop:
            position = min(position, self.frame_count * FRAME_S)
        return position
