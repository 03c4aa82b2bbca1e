"""Carrying out what `playout_policy.decide` chose for a slot, and what was played as which slot.

The policy decides; this does it, on the queue of received frames and the
output: play a frame, conceal a lost slot (bridged to the frames after it),
drop a late frame, rewind over a stall's backlog, shorten or lengthen the next
frames (`delay_correction`). Each received frame that leaves the queue is
recorded with the slot it was played as (or dropped from), so the sender
clock and the slot decoder learn from what the playout committed to, and the
counters the session shows are kept here.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.delay_correction import plan_correction
from cxone_desktop.core.frame_queue import FrameQueue
from cxone_desktop.core.frame_timing import FrameTiming
from cxone_desktop.core.playout_output import PlayoutOutput
from cxone_desktop.core.playout_policy import MIN_REWIND_SLOTS, SlotAction, SlotView, patience
from cxone_desktop.core.queue_decoder import QueueDecoder
from cxone_desktop.core.sender_clock import SenderClock

Slots = npt.NDArray[np.int64]

#: Waits kept for `take_waits` between two calls (a minute of frames).
_WAITS_KEPT = 3000
#: A gap is bridged into at most this many of the contiguous frames queued after it.
BRIDGE_FRAMES = 3
#: Frames quieter than this fraction of the recent peak (or this RMS) are "quiet".
_QUIET_FRACTION = 0.1
_QUIET_RMS = 64.0
#: A bunch of frames that came this many frames later than this quantile of arrivals (as
#: `MIN_REWIND_SLOTS` for a rewind) is a stall's backlog: a frame or two later than usual is
#: a loss misjudged or jitter, which the histograms must keep.
_USUAL_QUANTILE = 0.99
_USUAL_KNOWN_FRAMES = 100


class SlotActions:
    """The playout's hands: acts on `queue` and `out`, tells `clock` and `decoder`."""

    def __init__(
        self,
        fmt: AudioFormat,
        queue: FrameQueue,
        out: PlayoutOutput,
        clock: SenderClock,
        decoder: QueueDecoder,
    ) -> None:
        self._fmt = fmt
        self._samples = fmt.frame_samples
        self._frame_s = fmt.frame_duration_s
        self._queue = queue
        self._out = out
        self._clock = clock
        self._decoder = decoder
        self.slot = 0  # the sender slot the next consumed frame should have
        self.last_played_slot: int | None = None
        self._backlog_until_s = -math.inf  # frames completed by then came in a stall's backlog
        self._discontinuous = False  # the next frame played does not follow the last one
        self._ran_dry = False  # the last slot had nothing queued to play (a stall begins so)
        self._peak_level = 0.0
        self.losses_seen = 0
        self.last_delay_s = 0.0
        self.target_s = 0.0  # the playout delay aimed for (the buffer keeps it up to date)
        self._waits: list[float] = []
        self.concealed = 0
        self.late_dropped = 0
        self.shrunk_samples = 0
        self.changes = 0

    # -- bookkeeping -------------------------------------------------------------------------

    def new_timeline(self) -> None:
        """A new timeline begins (call start, reconnect): nothing played on it yet."""
        self.last_played_slot = None
        self._backlog_until_s = -math.inf

    def heard(self, level: float) -> None:
        """The highest RMS level of frames that arrived (quiet is relative to the loudest
        lately)."""
        self._peak_level = max(self._peak_level, level)

    def quiet(self, j: int) -> bool:
        """Queued frame j is quiet enough to shorten or lengthen unheard."""
        return self._queue.level(j) <= max(_QUIET_RMS, _QUIET_FRACTION * self._peak_level)

    def take_waits(self) -> list[float]:
        """How long each received frame played since the last call waited (s)."""
        waits, self._waits = self._waits, []
        return waits

    def play_queued(self) -> None:
        """Everything still queued, as it is (stream end, reconnect)."""
        while len(self._queue):
            frame, _, _ = self._queue.pop()
            self._out.play(frame, discontinuous=self._discontinuous)
            self._discontinuous = False

    # -- the actions -------------------------------------------------------------------------

    def act(self, action: SlotAction, slots: Slots | None, view: SlotView, due_s: float) -> None:
        """Carry out `action` for the slot due at `due_s` (`slots`: the queue decoded)."""
        dry = action is SlotAction.WAIT
        if action is SlotAction.PLAY:
            self._play(due_s)
        elif action is SlotAction.CONCEAL:
            dry = self._conceal(slots)
        elif action is SlotAction.WAIT:
            self._out.conceal()
            self.concealed += 1
            self.changes += 1
        elif action is SlotAction.SKIP_LOST:
            self.slot += 1
            self._discontinuous = True
            self.changes += 1
        elif action is SlotAction.DROP_LATE:
            assert slots is not None
            self._drop_late(int(slots[0]))
        elif action is SlotAction.REWIND:
            assert slots is not None
            self._rewind(slots, view.rewind_room_s)
        elif not self._splice(action, slots, view.excess_s, view.waited_s, due_s):
            self._play(due_s)
        self._ran_dry = dry

    def _take_head(self) -> tuple[npt.NDArray[np.int16], FrameTiming]:
        timing = self._decoder.timing(0)
        frame, _, _ = self._queue.pop()
        return frame, timing

    def _play(self, due_s: float) -> None:
        start_s = due_s + self._out.queued_s
        self._note_backlog()
        frame, timing = self._take_head()
        self._out.play(frame, discontinuous=self._discontinuous)
        self._discontinuous = False
        self._commit(timing, start_s)

    def _note_backlog(self) -> None:
        """A stall shorter than the delay: its backlog comes bunched and far later than
        usual, yet in time to play. Its frames say how long the stall was, not how arrivals
        scatter, so they are left out of the histograms (as a rewound backlog is): learned,
        they would raise the target for good after every stall."""
        done_s = self._queue.done_s(0)
        if done_s <= self._backlog_until_s or self._clock.done.count < _USUAL_KNOWN_FRAMES:
            return  # (until the usual is known, everything is "far later than usual")
        if self._decoder.burst_frames() < MIN_REWIND_SLOTS:
            return
        late_s = done_s - self._clock.due_s(self.slot)
        usual_s = self._clock.done.quantile(_USUAL_QUANTILE)
        # Later than the target: not a backlog the delay absorbed, but frames the playout
        # cannot hold as a rule (e.g. 200 ms frames under a 120 ms ceiling the caller set),
        # which the histograms must see.
        if MIN_REWIND_SLOTS * self._frame_s <= late_s - usual_s and late_s <= self.target_s:
            self._backlog_until_s = done_s + self._frame_s
            # The bunch's first frames may have come later than the target (the stall
            # outlasted the delay): played or dropped already, they were in it too.
            self._clock.backlog_since(done_s - self._frame_s / 2)

    def _conceal(self, slots: Slots | None) -> bool:
        """Conceal the slots missing before the head. True when only this slot was concealed
        for want of frames: nothing queued, or perhaps a stall's backlog beginning to come."""
        missing = 1 if slots is None else int(slots[0]) - self.slot
        if slots is None or (
            self._ran_dry and missing >= MIN_REWIND_SLOTS and self._decoder.outlier(self.slot)
        ):
            # Past the queue running dry, a run of losses read from a frame as late as a
            # stall's backlog for this slot may be that backlog's first frame: this slot
            # alone, and a look again at the next, when more of it is here. (Bridged at
            # once, a backlog taken for 9 lost frames jumped the playout ahead and left the
            # target raised.)
            self._out.conceal()
            self.slot += 1
            self.concealed += 1
            return True
        follow = 1
        while follow < min(len(slots), BRIDGE_FRAMES) and slots[follow] == slots[0] + follow:
            follow += 1
        self._out.bridge(self._queue.frames(0, follow).reshape(-1), missing)
        self.slot += missing
        self.concealed += missing
        self._decoder.pin(self.slot)
        self._discontinuous = False
        return False

    def _drop_late(self, slot: int) -> None:
        _, timing = self._take_head()
        self.late_dropped += 1
        self._clock.record(timing, slot, backlog=timing.done_s <= self._backlog_until_s)
        self._decoder.played(slot)
        self._discontinuous = True

    def _rewind(self, slots: Slots, room_s: float) -> None:
        """Undo the loss guesses a stall's backlog proves wrong: play it from its first slot on,
        as far back as the delay may grow; the oldest frames beyond that are dropped (a backlog
        comes in order, so they are the first ones queued)."""
        back = self.slot - int(slots[0])
        allowed = max(1, min(back, int(room_s / self._frame_s)))
        for k in range(min(back - allowed, len(self._queue) - 1)):
            _, timing = self._take_head()
            self._clock.record(timing, int(slots[0]) + k, backlog=True)
            self.late_dropped += 1
        # The backlog: everything completed within a frame of the first late frame.
        self._backlog_until_s = self._queue.done_s(0) + self._frame_s
        self.slot -= allowed
        self._decoder.pin(self.slot)
        self.changes += 1

    def _splice(
        self,
        action: SlotAction,
        slots: Slots | None,
        excess: float,
        waited: float,
        due_s: float,
    ) -> bool:
        """Carry out a shrink or stretch (`delay_correction`); False: not now, play plainly."""
        if slots is None:
            return False
        contiguous = 1
        while contiguous < len(slots) and slots[contiguous] == slots[0] + contiguous:
            contiguous += 1
        quiet = 0
        while quiet < contiguous and self.quiet(quiet):
            quiet += 1
        plan = plan_correction(
            self._queue.frames(0, contiguous),
            quiet,
            shrink=action is SlotAction.SHRINK,
            excess_s=excess,
            waited_s=waited,
            patience_s=patience(SlotView(None, excess)),
            rate_hz=self._fmt.rate_hz,
            channels=self._fmt.channels,
        )
        if plan is None:
            return False
        for _ in range(plan.cut_frames):
            _, timing = self._take_head()
            self._commit(timing, due_s, played=False)
        for _ in range(plan.fill_frames):
            self._out.conceal()
        start_s = due_s + self._out.queued_s
        self._out.play(plan.samples, discontinuous=self._discontinuous)
        self._discontinuous = False
        for _ in range(plan.used_frames):
            _, timing = self._take_head()
            self._commit(timing, start_s)
        self.shrunk_samples += (plan.cut_frames * self._samples) + max(
            0, -plan.delta * self._fmt.channels
        )
        if plan.changed:
            self.changes += 1
        return True

    def _commit(self, timing: FrameTiming, start_s: float, *, played: bool = True) -> None:
        """A received frame was played (or cut, quiet) as `slot`: remember it, move on."""
        slot = self.slot
        if self.last_played_slot is not None:
            self.losses_seen += max(0, slot - self.last_played_slot - 1)
        self._clock.record(timing, slot, backlog=timing.done_s <= self._backlog_until_s)
        self.last_played_slot = slot
        if played:
            self.last_delay_s = start_s - timing.done_s
            if len(self._waits) < _WAITS_KEPT:
                self._waits.append(self.last_delay_s)
        self._peak_level *= 0.995  # forget a loud passage over a few seconds
        self.slot = slot + 1
        self._decoder.played(slot)
