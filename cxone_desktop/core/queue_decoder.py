"""The slots of the frames queued for playout, given what was played before them.

`slot_decoder` weighs the evidence; this decides what it is asked: the queue
(up to 25 frames; all of a stall's backlog when one is there), the earliest
slot the oldest frame may have (the one after the last frame played, or the
exact slot a concealed gap led up to), and two corrections the timing alone
gets wrong: frames held up come bunched together, so an oldest frame that
came alone is not that late; and nothing is a stall until enough arrivals
were seen to know what is usual.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.frame_queue import FrameQueue
from cxone_desktop.core.frame_timing import FrameTiming, FrameTimings
from cxone_desktop.core.sender_clock import SenderClock
from cxone_desktop.core.slot_decoder import LATE_SLOTS, LossPrior, decode_slots

Slots = npt.NDArray[np.int64]

#: Frames decoded (beyond them, more look-ahead changes nothing), and when a stall's backlog
#: is queued (all of it, to see how late it is).
DECODE_FRAMES = 25
BACKLOG_FRAMES = 75
#: Bounds on the loss rate and burst continuation the decoder assumes: a clean minute must
#: not make a loss unthinkable, nor a bad one certain.
LOSS_BOUNDS, BURST_BOUNDS = (0.003, 0.3), (0.05, 0.9)
#: Arrivals seen before a missing frame may be judged late rather than lost.
KNOWN_AFTER_FRAMES = 25


class QueueDecoder:
    """Decodes `queue` against `clock`; the buffer tells it what was played."""

    def __init__(self, queue: FrameQueue, clock: SenderClock, frame_s: float) -> None:
        self._queue = queue
        self._clock = clock
        self._frame_s = frame_s
        self._first_slot = 0  # the earliest slot the queue's head may have
        self._pinned = False  # the head's slot is exactly _first_slot (a bridge led to it)
        self._now_s: float | None = None
        #: Weigh the waveform's evidence of gaps (not when timing alone is sharp enough).
        self.waveform_needed = True

    def restart(self, slot: int) -> None:
        """A new timeline begins at `slot`."""
        self._first_slot, self._pinned = slot, False

    def played(self, slot: int) -> None:
        """A frame was played (or dropped) as `slot`: the next is later."""
        self._first_slot, self._pinned = slot + 1, False

    def pin(self, slot: int) -> None:
        """The head's slot is `slot` (a concealed gap or a rewind led up to it)."""
        self._first_slot, self._pinned = slot, True

    @property
    def pinned(self) -> bool:
        return self._pinned

    def decode(self, playing_slot: int, now_s: float | None = None) -> Slots | None:
        """Slots of the queued frames (None: nothing queued); `playing_slot` is due now, and
        nothing more arrived up to `now_s`."""
        self._now_s = now_s
        first = max(self._first_slot, playing_slot - LATE_SLOTS)
        slots = self._decode_from(first, DECODE_FRAMES)
        if slots is not None and playing_slot - slots[0] >= 3 and len(self._queue) > len(slots):
            # A stall's backlog: how late it is shows only when all of it is weighed together
            # (its newest frames cannot have been sent as early as a shorter wait implies).
            slots = self._decode_from(first, BACKLOG_FRAMES)
        if slots is not None and not self._pinned:
            back = playing_slot - int(slots[0])
            if back >= 2 and self.burst_frames() <= back:
                # Frames held up come bunched together; these did not, so the slots concealed
                # before them were lost after all and the oldest frame is not that late.
                slots = self._decode_from(playing_slot, DECODE_FRAMES)
        return slots

    def timing(self, j: int) -> FrameTiming:
        """What the decoder knows of queued frame j, for hindsight: the waveform's evidence
        before it even where its slot is pinned (a live decode need not weigh it there; a
        decode in hindsight, which places that gap again, must)."""
        before, after = self._queue.place_in_message(j)
        return FrameTiming(
            self._queue.done_s(j),
            self._queue.began_s(j),
            self._gap_log_odds(j + 1, skip_pinned=False)[j],
            before=before,
            after=after,
            bunched=self._queue.bunched_at(j),
        )

    def _timings(self, count: int) -> FrameTimings:
        """`timing(j)` of the first `count` queued frames, as arrays."""
        done, began, before, after = self._queue.arrivals(count)
        odds = np.array(self._gap_log_odds(count), dtype=np.float64)
        return FrameTimings(done, began, odds, before, after, self._queue.bunched(count))

    def _gap_log_odds(self, count: int, *, skip_pinned: bool = True) -> list[float]:
        """The waveform's evidence of a gap before each of the first `count` queued frames,
        where it is weighed: where timing is not sharp enough, or a frame came bunched with
        a neighbour (a backlog: timing cannot part them); never before a head whose slot is
        pinned, unless not `skip_pinned` (hindsight's record). (In Python: a live queue holds
        a few frames, and this runs twice a slot.)"""
        queue = self._queue
        if self.waveform_needed:
            weigh = [True] * count
        else:  # the frame after the last one counts too
            done = queue.arrivals(min(count + 1, len(queue)))[0].tolist()
            weigh = [False] * count
            half_frame_s = self._frame_s / 2
            for j in range(len(done) - 1):
                if done[j + 1] - done[j] < half_frame_s:  # frames j and j + 1 came bunched
                    weigh[j] = True
                    if j + 1 < count:
                        weigh[j + 1] = True
        if skip_pinned and self._pinned and count:
            weigh[0] = False
        return [queue.gap_log_odds(j) if weigh[j] else 0.0 for j in range(count)]

    def prior(self) -> LossPrior:
        """The loss rate hindsight saw (or the mode's assumption), within bounds."""
        return bounded_prior(self._clock.loss, self._clock.burst)

    def late_chance(self, delay_s: float) -> float:
        """Nothing queued: how likely the frame due is still to come rather than lost
        (0 until enough arrivals were seen to tell: until then a missing frame is lost)."""
        if self._clock.done.count < KNOWN_AFTER_FRAMES:
            return 0.0
        slow = self._clock.done.tail_mass(delay_s)
        lost = self._clock.loss
        return slow * (1 - lost) / max(1e-9, slow * (1 - lost) + lost)

    def outlier(self, slot: int) -> bool:
        """The oldest queued frame, as `slot`, came later than 99 % of arrivals do (a stall)."""
        late = self._queue.done_s(0) - self._clock.due_s(slot)
        return self._clock.done.tail_mass(late) < 0.01

    def burst_frames(self) -> int:
        """Queued frames completed within half a frame of the oldest one."""
        count = 0
        first = self._queue.done_s(0) if len(self._queue) else 0.0
        while count < len(self._queue) and self._queue.done_s(count) - first < self._frame_s / 2:
            count += 1
        return count

    def _decode_from(self, first: int, frames: int) -> Slots | None:
        count = min(len(self._queue), frames)
        if count == 0:
            return None
        return decode_slots(
            self._timings(count),
            self._clock.model,
            self.prior(),
            first_slot=self._first_slot if self._pinned else first,
            pin_first=self._pinned,
            now_s=self._now_s if count == len(self._queue) else None,
        )


def bounded_prior(p: float, q: float) -> LossPrior:
    """A loss rate `p` and burst continuation `q` as the decoder may assume them
    (`LOSS_BOUNDS`, `BURST_BOUNDS`)."""
    return LossPrior(
        min(max(p, LOSS_BOUNDS[0]), LOSS_BOUNDS[1]),
        min(max(q, BURST_BOUNDS[0]), BURST_BOUNDS[1]),
    )
