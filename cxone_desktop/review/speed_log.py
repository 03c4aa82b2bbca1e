"""What the sound card has played, turned back into how far into the audio that is, at any speed.

At speed s each output frame carries s input frames (WSOLA moves its analysis point
`hop × s` for every `hop` it lays down), so the input position of output frame k is
the sum of speed × frames over the runs of output before it. The player logs each run
it writes; `PlaybackCursor.position` then turns input frames into a file position.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

#: The speeds the player offers, slowest first (its keys step through them).
SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


@dataclass
class SpeedLog:
    """Runs of output at one speed each; cleared whenever the output is (seek, pause)."""

    _out_at: list[int] = field(default_factory=list)  # output frames before each run
    _in_at: list[float] = field(default_factory=list)  # input frames they carried
    _speeds: list[float] = field(default_factory=list)
    _out_total: int = 0
    _in_total: float = 0.0

    def add(self, out_frames: int, speed: float) -> None:
        """`out_frames` more were written, made from input played `speed` times as fast."""
        if out_frames <= 0:
            return
        if not self._speeds or self._speeds[-1] != speed:
            self._out_at.append(self._out_total)
            self._in_at.append(self._in_total)
            self._speeds.append(speed)
        self._out_total += out_frames
        self._in_total += out_frames * speed

    def input_frames(self, played_out: int) -> int:
        """Input frames behind the first `played_out` output frames (at most what was written)."""
        if not self._speeds:
            return 0
        played = min(max(0, int(played_out)), self._out_total)
        i = max(0, bisect.bisect_right(self._out_at, played) - 1)
        return round(self._in_at[i] + (played - self._out_at[i]) * self._speeds[i])

    @property
    def written_frames(self) -> int:
        return self._out_total

    def clear(self) -> None:
        self._out_at.clear()
        self._in_at.clear()
        self._speeds.clear()
        self._out_total = 0
        self._in_total = 0.0
