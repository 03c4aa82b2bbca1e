"""What the slot decoder knows of each received frame: when it came, and its place in a message.

The stream has no sequence numbers, so a frame's arrival is the evidence of its
slot; how much, depends on the sender (`Anchoring`): a batching sender's
arrival speaks for the first frame of a message, a held-back sender's for the
last, a one-frame sender's for the frame itself.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]
Int64 = npt.NDArray[np.int64]


class Anchoring(enum.Enum):
    """Which frame of a message its arrival time speaks for.

    A sender that sends when a message's first frame is due (batching ahead)
    makes `arrival + (frames before) × frame` tight; one that sends when the last
    is due (large frames, re-sliced streams) makes `arrival − (frames after) ×
    frame` tight; with one frame a message both are the arrival itself.
    """

    COMPLETION = "completion"
    FIRST = "first"
    LAST = "last"


@dataclass(frozen=True)
class FrameTiming:
    """What the decoder knows of one received frame."""

    done_s: float  # when its last byte arrived
    began_s: float  # when a message beginning inside it arrived (nan: none did, or unknown)
    gap_log_odds: float  # waveform evidence of a gap before it (0: none)
    before: int = 0  # frames its message completed before it
    after: int = 0  # ... and after it
    #: Completed with (or right behind) the frame before it: held up behind it, its arrival
    #: bounds its own delay rather than measuring it (TCP keeps order).
    bunched: bool = False


@dataclass(frozen=True)
class FrameTimings:
    """What the decoder knows of a run of received frames, one array entry per frame (the
    hindsight decode and the queue hand these over without a `FrameTiming` per frame)."""

    done_s: Float
    began_s: Float
    gap_log_odds: Float
    before: Int64
    after: Int64
    bunched: npt.NDArray[np.bool_] | None = None  # see `FrameTiming.bunched`; None: unknown

    @staticmethod
    def of(frames: Sequence[FrameTiming]) -> FrameTimings:
        return FrameTimings(
            np.array([f.done_s for f in frames], dtype=np.float64),
            np.array([f.began_s for f in frames], dtype=np.float64),
            np.array([f.gap_log_odds for f in frames], dtype=np.float64),
            np.array([f.before for f in frames], dtype=np.int64),
            np.array([f.after for f in frames], dtype=np.int64),
            np.array([f.bunched for f in frames], dtype=np.bool_),
        )

    def __len__(self) -> int:
        return int(self.done_s.shape[0])

    def window(self, start: int, stop: int) -> FrameTimings:
        """Frames start..stop − 1, as views."""
        part = slice(start, stop)
        return FrameTimings(
            self.done_s[part],
            self.began_s[part],
            self.gap_log_odds[part],
            self.before[part],
            self.after[part],
            None if self.bunched is None else self.bunched[part],
        )

    def anchored_s(self, anchoring: Anchoring, frame_s: float) -> Float:
        """Each arrival time as evidence for its frame's own due time."""
        if anchoring is Anchoring.FIRST:
            first: Float = self.done_s + self.before * frame_s
            return first
        if anchoring is Anchoring.LAST:
            last: Float = self.done_s - self.after * frame_s
            return last
        return self.done_s

    def speaks(self, anchoring: Anchoring, *, last_only: bool = False) -> npt.NDArray[np.bool_]:
        """Whether its message's arrival is evidence of each frame's own due time: the frame
        the sender sent it for. The others a batching sender sent ahead of theirs by however
        many slots lie between, lost ones included, so counting them too would weigh the
        same arrival several times, and against a loss inside a message. (A large-frame
        sender's frames held back for the last one are all kept: there, weighing the last
        alone doubled the time-scale changes at 5 % loss on training seeds under low delay;
        `last_only` weighs the last alone, as quality mode does: its look-ahead leaves the
        waveform time to place a loss inside a message.)"""
        if anchoring is Anchoring.FIRST:
            first: npt.NDArray[np.bool_] = self.before == 0
            return first
        if anchoring is Anchoring.LAST and last_only:
            last: npt.NDArray[np.bool_] = self.after == 0
            return last
        return np.ones(len(self), dtype=np.bool_)
