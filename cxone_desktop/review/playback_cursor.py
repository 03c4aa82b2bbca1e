"""Which frames of a recording to play next: straight on, round an A–B loop, past silences.

The player asks for up to n frames at a time and gets back file ranges; a log of
what was handed out turns "frames the sound card has played" back into a file
position, so the playhead shows what is heard, not what was queued.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass
class PlaybackCursor:
    """Not thread-safe; owned by the player."""

    total_frames: int
    frame: int = 0
    loop: tuple[int, int] | None = None
    #: Silent stretches (frame ranges) to jump over; the jump keeps `lead_frames` of each.
    silences: list[tuple[int, int]] = field(default_factory=list)
    lead_frames: int = 0
    _log_at: list[int] = field(default_factory=list)  # frames handed out before each segment
    _log_start: list[int] = field(default_factory=list)  # file frame each segment starts at
    _handed: int = 0

    @property
    def finished(self) -> bool:
        return self.loop is None and self.frame >= self.total_frames

    def seek(self, frame: int) -> None:
        """Continue from `frame`; the log restarts (the sink is reset with it)."""
        self.frame = min(max(0, int(frame)), self.total_frames)
        self._log_at.clear()
        self._log_start.clear()
        self._handed = 0

    def set_loop(self, a: int | None, b: int | None) -> None:
        if a is None or b is None:
            self.loop = None
            return
        lo, hi = sorted((int(a), int(b)))
        lo, hi = max(0, lo), min(hi, self.total_frames)
        self.loop = (lo, hi) if hi - lo >= 2 else None

    def take(self, n: int) -> list[tuple[int, int]]:
        """Up to `n` frames as [start, stop) file ranges, in playing order."""
        out: list[tuple[int, int]] = []
        want = int(n)
        guard = 0
        while want > 0 and guard < 64:
            guard += 1
            self._jump()
            stop = self.total_frames if self.loop is None else self.loop[1]
            stop = min(stop, self._next_silence_start(), self.frame + want)
            if stop <= self.frame:
                if self.loop is not None and self.frame >= self.loop[1]:
                    self.frame = self.loop[0]
                    continue
                break
            out.append((self.frame, stop))
            self._log_at.append(self._handed)
            self._log_start.append(self.frame)
            self._handed += stop - self.frame
            want -= stop - self.frame
            self.frame = stop
        return out

    def position(self, played_frames: int) -> int:
        """The file frame being heard after `played_frames` of what was handed out."""
        if not self._log_at:
            return self.frame
        played = min(max(0, int(played_frames)), self._handed)
        i = max(0, bisect.bisect_right(self._log_at, played) - 1)
        return self._log_start[i] + (played - self._log_at[i])

    def _jump(self) -> None:
        if self.loop is not None and not (self.loop[0] <= self.frame < self.loop[1]):
            self.frame = self.loop[0]
        for lo, hi in self.silences:
            if lo <= self.frame < hi - self.lead_frames:
                target = hi - self.lead_frames
                if self.loop is not None and target >= self.loop[1]:
                    self.frame = self.loop[0]  # the rest of the loop is silence
                else:
                    self.frame = target
                return
            if lo > self.frame:
                return

    def _next_silence_start(self) -> int:
        """Where the next skippable silence begins (beyond `frame`), or the end."""
        i = bisect.bisect_right([s[0] for s in self.silences], self.frame)
        for lo, hi in self.silences[i:]:
            if hi - lo > self.lead_frames:
                return lo
        return self.total_frames
