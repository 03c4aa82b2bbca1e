"""Received frames waiting for their slot, with what their arrival said about them.

Per frame: the samples, when its last byte arrived (`done_s`) and how many
frames the same message completed before and after it, when a message that
began inside it arrived (`began_s`, nan when none did or message sizes are
unknown), its level, and the waveform evidence of a gap before it. That
evidence needs the frame after it too, so it is computed when asked for and
kept once the next frame is there. The two received frames before the queue's
head are remembered for the same reason.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.frame_continuity import ContinuityProbe

Int16 = npt.NDArray[np.int16]
Float = npt.NDArray[np.float64]
Int64 = npt.NDArray[np.int64]

#: A frame completed within this of the one before it came bunched behind it.
BUNCH_S = 0.001


class FrameQueue:
    """A linear buffer of frames, compacted when it reaches its end; grows if it must."""

    def __init__(self, frame_samples: int, channels: int, rate_hz: int) -> None:
        self._frame = frame_samples
        self._channels = channels
        self._probe = ContinuityProbe(rate_hz, frame_samples // channels)
        self._capacity = 64
        self._frames: Int16 = np.zeros((self._capacity, frame_samples), dtype=np.int16)
        self._done: Float = np.zeros(self._capacity)
        self._began: Float = np.zeros(self._capacity)
        self._odds: Float = np.zeros(self._capacity)
        self._odds_final = np.zeros(self._capacity, dtype=np.bool_)
        self._odds_known = np.zeros(self._capacity, dtype=np.bool_)  # as far as it can be yet
        self._level: Float = np.zeros(self._capacity)
        self._before_in_message = np.zeros(self._capacity, dtype=np.int64)
        self._after_in_message = np.zeros(self._capacity, dtype=np.int64)
        self._head = 0
        self._count = 0
        self._popped: list[Int16] = []  # the (up to two) received frames before the head
        self._popped_done_s = -np.inf  # when the frame before the head was completed

    def __len__(self) -> int:
        return self._count

    def frame(self, j: int) -> Int16:
        frame: Int16 = self._frames[self._head + j]
        return frame

    def done_s(self, j: int) -> float:
        return float(self._done[self._head + j])

    def began_s(self, j: int) -> float:
        return float(self._began[self._head + j])

    def level(self, j: int) -> float:
        return float(self._level[self._head + j])

    def place_in_message(self, j: int) -> tuple[int, int]:
        """(frames the same message completed before this one, after it)."""
        i = self._head + j
        return int(self._before_in_message[i]), int(self._after_in_message[i])

    def arrivals(self, count: int) -> tuple[Float, Float, Int64, Int64]:
        """done_s, began_s and the place in their message (frames before, after) of the first
        `count` frames, as views (valid until the queue next changes)."""
        window = slice(self._head, self._head + count)
        return (
            self._done[window],
            self._began[window],
            self._before_in_message[window],
            self._after_in_message[window],
        )

    def bunched(self, count: int) -> npt.NDArray[np.bool_]:
        """Whether each of the first `count` frames was completed within `BUNCH_S` of the
        frame before it (held up behind it: TCP keeps order)."""
        done = self._done[self._head : self._head + count]
        previous = np.empty(count)
        if count:
            previous[0] = self._popped_done_s
            previous[1:] = done[:-1]
        flags: npt.NDArray[np.bool_] = done - previous < BUNCH_S
        return flags

    def bunched_at(self, j: int) -> bool:
        """`bunched` of frame j alone."""
        i = self._head + j
        previous = float(self._done[i - 1]) if j else self._popped_done_s
        return float(self._done[i]) - previous < BUNCH_S

    def frames(self, start: int, stop: int) -> Int16:
        return self._frames[self._head + start : self._head + stop]

    def append(
        self,
        frame: Int16,
        done_s: float,
        began_s: float,
        level: float,
        place: tuple[int, int] = (0, 0),
    ) -> None:
        if self._head + self._count == self._capacity:
            self._make_room()
        i = self._head + self._count
        self._before_in_message[i], self._after_in_message[i] = place
        self._frames[i] = frame
        self._done[i] = done_s
        self._began[i] = began_s
        self._level[i] = level
        self._odds_final[i] = False
        self._odds_known[i] = False
        if self._count:
            self._odds_known[i - 1] = self._odds_final[i - 1]  # its next frame is here now
        self._count += 1

    def pop(self) -> tuple[Int16, float, float]:
        """Remove the head: (frame copy, read-only: it is also kept as what led up to the next
        head; done_s, began_s)."""
        i = self._head
        frame = self._frames[i].copy()
        frame.flags.writeable = False
        self._popped = [self._popped[-1], frame] if self._popped else [frame]
        self._popped_done_s = float(self._done[i])
        self._head += 1
        self._count -= 1
        if self._count == 0:
            self._head = 0
        return frame, float(self._done[i]), float(self._began[i])

    def forget_before(self) -> None:
        """The frames before the head no longer lead into it (a new timeline)."""
        self._popped = []
        self._popped_done_s = -np.inf

    def _before(self) -> Float:
        """Mono samples of the received frames before the head (worked out only when the
        waveform's evidence is: not on every pop)."""
        if not self._popped:
            return np.zeros(0)
        return self._mono(np.concatenate(self._popped))

    def gap_log_odds(self, j: int) -> float:
        """Waveform evidence that a frame is missing just before queued frame j."""
        i = self._head + j
        if self._odds_final[i] or self._odds_known[i]:
            return float(self._odds[i])
        if j > 0 and j + 1 >= self._count:
            return 0.0  # the newest frame: weighed once its successor is here (or it is next)
        if j == 0:
            before = self._before()
        else:
            start = max(0, j - 2)
            before = self._mono(self._frames[self._head + start : i].reshape(-1))
            if j < 2 and self._popped:
                before = np.concatenate([self._before(), before])
        if before.shape[0] == 0:
            return 0.0
        after_stop = min(self._count, j + 2)
        after = self._mono(self._frames[i : self._head + after_stop].reshape(-1))
        odds = self._probe.gap_log_odds(before, after)
        self._odds[i] = odds
        self._odds_known[i] = True
        self._odds_final[i] = after_stop == j + 2
        return odds

    def _mono(self, samples: npt.ArrayLike) -> Float:
        x = np.asarray(samples, dtype=np.float64).reshape(-1)
        if self._channels == 1:
            return x
        # The mean as ndarray.mean computes it (a sum, then a division by the count).
        mono: Float = np.add.reduce(x.reshape(-1, self._channels), axis=1) / self._channels
        return mono

    def _make_room(self) -> None:
        h, c = self._head, self._count
        if h > 0:
            arrays = (
                self._frames,
                self._done,
                self._began,
                self._odds,
                self._level,
                self._before_in_message,
                self._after_in_message,
            )
            for array in arrays:
                array[:c] = array[h : h + c]
            self._odds_final[:c] = self._odds_final[h : h + c]
            self._odds_known[:c] = self._odds_known[h : h + c]
            self._head = 0
            return
        self._capacity *= 2
        self._frames = np.concatenate([self._frames, np.zeros_like(self._frames)])
        self._done = np.concatenate([self._done, np.zeros_like(self._done)])
        self._began = np.concatenate([self._began, np.zeros_like(self._began)])
        self._odds = np.concatenate([self._odds, np.zeros_like(self._odds)])
        self._odds_final = np.concatenate([self._odds_final, np.zeros_like(self._odds_final)])
        self._odds_known = np.concatenate([self._odds_known, np.zeros_like(self._odds_known)])
        self._level = np.concatenate([self._level, np.zeros_like(self._level)])
        self._before_in_message = np.concatenate(
            [self._before_in_message, np.zeros_like(self._before_in_message)]
        )
        self._after_in_message = np.concatenate(
            [self._after_in_message, np.zeros_like(self._after_in_message)]
        )
