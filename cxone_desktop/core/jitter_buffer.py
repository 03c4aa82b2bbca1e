"""Playout on a steady frame clock for a stream that carries no sequence numbers or timestamps.

Frames arrive in order (TCP) but early, late, in bursts, or not at all (lost
upstream while the sender's clock runs on). The buffer keeps four estimates
and acts on them once per 20 ms slot:

- the sender's clock (`SenderClock`: the median offset of played frames, so
  batching senders that send ahead cannot drag it);
- how arrivals scatter around it (`DelayHistogram`s: when a frame was
  completed, and when a message that began in it arrived);
- which slot each queued frame belongs to (`slot_decoder`: timing, loss rate
  and the waveform's continuity, weighed together over everything queued);
- the delay to aim for (`TargetDelay`: a quantile of the arrivals, per mode).

`playout_policy.decide` turns these into one `SlotAction` per slot: play the
frame, conceal a lost slot (from both sides when the next frame is already
here), skip a lost slot when behind, drop a frame whose slot was concealed,
rewind over the slots a stall's backlog belongs to (a loss guess undone),
or play a frame shortened/lengthened by whole pitch periods to move the delay
toward its target (NetEq's accelerate / preemptive expand). Those changes wait
for a quiet or periodic frame, so they go unheard. `SlotActions` carries the
action out and keeps what was played as which slot.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.frame_queue import FrameQueue
from cxone_desktop.core.frame_timing import Anchoring
from cxone_desktop.core.message_sizes import MessageSizes
from cxone_desktop.core.playout_batch import PlayoutBatch
from cxone_desktop.core.playout_output import Concealment, PlayoutOutput
from cxone_desktop.core.playout_policy import (
    MODE_SETTINGS,
    RECOVERY_DEADBAND_S,
    RECOVERY_HOLD_S,
    PlayoutMode,
    SlotAction,
    SlotView,
    TargetDelay,
    decide,
    steady_deadband,
)
from cxone_desktop.core.queue_decoder import BACKLOG_FRAMES, DECODE_FRAMES, QueueDecoder
from cxone_desktop.core.sender_clock import SenderClock
from cxone_desktop.core.slot_actions import SlotActions
from cxone_desktop.errors import InputError

#: Slots between two hindsight refreshes of the sender clock and histograms (0.5 s).
_REFRESH_SLOTS = 25
#: ... and while the first seconds of a timeline are learned (every 0.1 s until 100 frames).
_REFRESH_SLOTS_EARLY = 5
_SETTLED_FRAMES = 100
#: Losses seen before the target makes room to see where the next ones are.
_LOSSES_BEFORE_LOOKAHEAD = 3
#: Arrivals seen before the target follows them (until then it is the floor).
_TARGET_AFTER_FRAMES = 25
#: Arrivals scattering less than this (s; a live call on a clean network: 6-8 ms) place
#: losses by timing alone (a loss moves the frames after it a frame): the waveform's evidence,
#: the costliest part of an arrival, is not worked out (no decision changed up to 12 ms).
_TIMING_ALONE_S = 0.010
#: The share of arrivals the target covers for a sender that holds frames until its message
#: is complete (where the mode lets the ceiling rise for it).
_HELD_BACK_QUANTILE = 0.998


class JitterBuffer:
    """Adaptive playout buffer with loss concealment, driven by explicit timestamps (seconds).

    `push` queues whole frames with their arrival time (and, ideally, the size of
    every message: pass `message_bytes` for each one, even when it completed no
    frame); `pull(now_s)` returns every slot of the 20 ms playout clock due by
    `now_s`. The clock starts at the first arrival plus the target delay. Not
    thread-safe: call it from one place.
    """

    def __init__(
        self,
        fmt: AudioFormat = DEFAULT_FORMAT,
        *,
        target_delay_ms: float = 40.0,
        mode: str | PlayoutMode = PlayoutMode.LOW_DELAY,
        min_delay_ms: float = 20.0,
        max_delay_ms: float | None = None,
        concealment: Concealment = "plc",
    ) -> None:
        self._mode = PlayoutMode.parse(mode)
        settings = MODE_SETTINGS[self._mode]
        ceiling_ms = settings.max_target_s * 1000 if max_delay_ms is None else max_delay_ms
        if not 0.0 <= min_delay_ms <= ceiling_ms:
            raise InputError("jitter buffer delay", "the minimum must be between 0 and the maximum")
        if not min_delay_ms <= target_delay_ms <= ceiling_ms:
            raise InputError(
                "jitter buffer delay",
                f"the target must lie between {min_delay_ms:g} and {ceiling_ms:g} ms",
            )
        if concealment not in ("plc", "zero"):
            raise InputError("concealment", "choose 'plc' or 'zero'")
        if max_delay_ms is not None:  # the caller's ceiling, whatever the sender
            settings = replace(
                settings, max_target_s=max_delay_ms / 1000, held_back_max_target_s=None
            )
        self._settings = settings
        self._fmt = fmt
        self._samples = fmt.frame_samples
        self._frame_s = fmt.frame_duration_s
        self._rate = fmt.rate_hz
        self._concealment: Concealment = concealment
        self._queue = FrameQueue(fmt.frame_samples, fmt.channels, fmt.rate_hz)
        self._out = PlayoutOutput(fmt, concealment)
        self._clock = SenderClock(
            self._frame_s, loss=settings.initial_loss, last_only=settings.held_back_last_only
        )
        self._since_refresh = 0
        self._decoder = QueueDecoder(self._queue, self._clock, self._frame_s)
        self._target = TargetDelay(settings, floor_s=target_delay_ms / 1000.0)

        self._anchored = False
        self._next_due_s = 0.0  # when the next output frame is due
        self._now_s = 0.0  # the time of the last pull: nothing more had arrived by then
        self._act = SlotActions(fmt, self._queue, self._out, self._clock, self._decoder)
        self._waiting_since: float | None = None
        self._late_streak = 0
        self._recovering = False  # after a stall, until playout is back on target
        self._recover_until_s = 0.0  # ... and not before then
        self._scatter_s = 0.0  # how widely one-frame messages' arrivals scatter (s)

        self._sizes = MessageSizes(fmt.frame_bytes)
        #: Pushed and not yet queued: (frames, arrival, message size) per message.
        self._arrived: list[tuple[npt.NDArray[np.int16], float, int | None]] = []

        self._played = 0

        self._empty = PlayoutBatch(
            np.zeros((0, self._samples), dtype=np.int16), np.zeros(0, dtype=np.bool_)
        )
        self._empty.frames.flags.writeable = False
        self._empty.concealed.flags.writeable = False

    # -- public face -------------------------------------------------------------------------

    @property
    def mode(self) -> PlayoutMode:
        """ "low-delay" (listening) or "quality" (recording for review)."""
        return self._mode

    @property
    def depth_ms(self) -> float:
        """Audio queued and not yet played, in ms."""
        self._take_arrivals()
        return (len(self._queue) * self._frame_s + self._out.queued_s) * 1000.0

    @property
    def next_due_s(self) -> float | None:
        """When the next slot is due for playout; None before the first frame (or after drain)."""
        self._take_arrivals()
        return self._next_due_s if self._anchored else None

    @property
    def target_ms(self) -> float:
        """The playout delay the buffer currently aims for, in ms (past the sender's clock)."""
        return self._target.target_s * 1000.0

    @property
    def delay_ms(self) -> float:
        """How long the last played received frame waited between arrival and playout, in ms."""
        return self._act.last_delay_s * 1000.0

    @property
    def played_frames(self) -> int:
        """Frames handed out for playout, concealed ones included."""
        return self._played

    @property
    def concealed_frames(self) -> int:
        """Slots filled by concealment (or zeros) because no frame was there for them."""
        return self._act.concealed

    @property
    def late_dropped_frames(self) -> int:
        """Received frames discarded because they came too late for their slot."""
        return self._act.late_dropped

    @property
    def shrink_dropped_frames(self) -> int:
        """Frames' worth of audio that came in time but was cut (quietly) to lower the delay."""
        return self._act.shrunk_samples // self._samples

    @property
    def playout_delay_ms(self) -> float:
        """How far behind the sender's clock playout runs now, in ms (what the target aims at)."""
        self._take_arrivals()
        if not self._anchored:
            return 0.0
        return self._playout_delay(self._next_due_s) * 1000.0

    def take_waits_ms(self) -> npt.NDArray[np.float64]:
        """How long each received frame played since the last call waited (arrival to playout)."""
        return np.array(self._act.take_waits(), dtype=np.float64) * 1000.0

    @property
    def time_scale_changes(self) -> int:
        """Times the playout delay was changed on purpose: shrink, stretch, skip or rewind."""
        return self._act.changes

    def push(
        self, frames: npt.ArrayLike, arrival_s: float, *, message_bytes: int | None = None
    ) -> None:
        """Queue whole frames, shape (n, frame_samples) int16, that arrived at `arrival_s`.

        `message_bytes`: the size on the wire of the message that completed them.
        """
        block = np.asarray(frames)
        if block.ndim == 1 and block.shape[0] == self._samples:
            block = block.reshape(1, self._samples)
        if block.size == 0:
            block = block.reshape(0, self._samples)
        if block.ndim != 2 or block.shape[1] != self._samples:
            raise ValueError(f"expected frames of shape (n, {self._samples}), got {block.shape}")
        # Queued when the buffer is next asked (a pull, or a reading a push changes): the live
        # app pushes and pulls at different moments, each paying to bring code back into the
        # caches, and queueing costs less among the pull's own work. Nothing else changes the
        # buffer in between, so the result is the same. (A copy: the caller may reuse its array.)
        self._arrived.append((block.copy() if block.size else block, arrival_s, message_bytes))

    def _take_arrivals(self) -> None:
        """Queue what was pushed since the buffer was last asked, in order."""
        if not self._arrived:
            return
        arrived, self._arrived = self._arrived, []
        for block, arrival_s, message_bytes in arrived:
            self._queue_frames(block, arrival_s, message_bytes)

    def _queue_frames(
        self, block: npt.NDArray[np.int16], arrival_s: float, message_bytes: int | None
    ) -> None:
        """What a push did at once before: learn the message's size, anchor a new timeline,
        queue each frame with its level."""
        began = self._sizes.began_times(block.shape[0], arrival_s, message_bytes)
        if block.shape[0] == 0:
            return
        if not self._anchored:
            self._anchor(arrival_s)
        n = block.shape[0]
        # The mean as np.mean computes it (a sum, then a division by the count), without its
        # Python wrapper: this runs for every message.
        squares = np.add.reduce(np.square(block, dtype=np.float64), axis=1)
        levels: list[float] = np.sqrt(squares / self._samples).tolist()
        self._act.heard(max(levels))
        for k in range(n):
            place = (k, n - 1 - k)
            self._queue.append(block[k], arrival_s, began[k], levels[k], place)

    def pull(self, now_s: float) -> PlayoutBatch:
        """Every slot due by `now_s`, in order; a slot with no frame for it is concealed."""
        self._take_arrivals()
        if not self._anchored or now_s + 1e-9 < self._next_due_s:
            return self._empty
        self._now_s = now_s
        n = math.floor((now_s - self._next_due_s) / self._frame_s + 1e-9) + 1
        out = np.empty((n, self._samples), dtype=np.int16)
        concealed = np.zeros(n, dtype=np.bool_)
        for i in range(n):
            steps = 0
            while self._out.queued_samples < self._samples:
                self._step(self._next_due_s)
                steps += 1
                if steps > 4 * BACKLOG_FRAMES:  # pragma: no cover - a bug, not a network
                    raise RuntimeError("playout made no progress")
            concealed[i] = self._out.take_frame_into(out[i])
            self._next_due_s += self._frame_s
        self._played += n
        return PlayoutBatch(out, concealed)

    def drain(self) -> PlayoutBatch:
        """At stream end: everything still queued, without concealment; the clock stops."""
        self._take_arrivals()
        self._act.play_queued()
        rest = self._out.take_rest()
        self._anchored = False
        if not rest:
            return self._empty
        self._played += len(rest)
        return PlayoutBatch(np.stack(rest), np.zeros(len(rest), dtype=np.bool_))

    def reset(self) -> None:
        """After a reconnect: the next push re-anchors the playout clock. Counters and what
        the buffer learned of the network are kept; queued frames play first."""
        self._take_arrivals()
        self._act.play_queued()
        self._queue.forget_before()
        self._anchored = False
        self._waiting_since = None
        self._sizes.restart()

    # -- arrivals ----------------------------------------------------------------------------

    def _anchor(self, arrival_s: float) -> None:
        """First frames of a timeline (call start or after a reset): taken to be on time."""
        self._clock.anchor(self._act.slot, arrival_s)
        self._decoder.restart(self._act.slot)
        self._act.new_timeline()
        target = self._target.target_s
        self._next_due_s = max(arrival_s, arrival_s + target - self._out.queued_s)
        self._anchored = True

    def _reanchor(self) -> None:
        """Before the first frame of a timeline plays: the median of what is queued (taken
        as contiguous) says more about the sender's clock than the first arrival alone."""
        count = min(len(self._queue), DECODE_FRAMES)
        slot = self._act.slot
        offsets = [self._queue.done_s(j) - (slot + j) * self._frame_s for j in range(count)]
        self._clock.anchor(0, float(np.median(offsets)))

    # -- one step of playout -----------------------------------------------------------------

    def _step(self, due_s: float) -> None:
        """Decide and carry out one action for the slot due at `due_s`."""
        self._since_refresh += 1
        learning = self._clock.done.count < _SETTLED_FRAMES
        if self._since_refresh >= (_REFRESH_SLOTS_EARLY if learning else _REFRESH_SLOTS):
            self._clock.refresh(self._decoder.prior())
            self._since_refresh = 0
        targeting = self._clock.done.count >= _TARGET_AFTER_FRAMES  # arrivals set the target
        if targeting:
            held_back = self._clock.anchoring is Anchoring.LAST  # sent when its last is done
            ceiling = self._settings.held_back_max_target_s if held_back else None
            self._target.ceiling_s = ceiling or self._settings.max_target_s
            # A held-back sender's frames are late by their place in a message, not by chance:
            # the target covers the longest messages (else each one runs dry).
            covered = max(self._settings.quantile, _HELD_BACK_QUANTILE if ceiling else 0.0)
            quantile = self._clock.done.quantile(covered)
            if self._settings.expect_loss:
                lossy = 1.0
            elif self._act.losses_seen >= _LOSSES_BEFORE_LOOKAHEAD:
                lossy = self._clock.loss
            else:
                lossy = 0.0
            evidence = self._clock.anchored  # how far the decoder's timing evidence scatters
            spread = evidence.quantile(self._settings.quantile) - evidence.quantile(0.01)
            # (One-frame messages: their own scatter; a message's frames scatter by design.)
            self._scatter_s = spread if self._clock.anchoring is Anchoring.COMPLETION else 0.0
            self._target.update(quantile, lossy, due_s, spread, self._scatter_s)
            # A loss moves the frames after it a whole frame; when one-frame messages scatter
            # far less than that, timing alone tells where it was.
            self._decoder.waveform_needed = (
                spread > _TIMING_ALONE_S or self._clock.anchoring is not Anchoring.COMPLETION
            )
        if self._act.last_played_slot is None and len(self._queue) and not self._decoder.pinned:
            self._reanchor()
        slot = self._act.slot
        slots = self._decoder.decode(slot, max(self._now_s, due_s))
        if slots is not None and self._act.last_played_slot is None and slots[0] > slot:
            # Nothing played on this timeline yet: its first frame starts the numbering (no
            # frame before it was ours to lose; skipping "lost" slots here, each re-anchored
            # as the first, never ended).
            slots = slots - (int(slots[0]) - slot)
        head_offset = None if slots is None else int(slots[0]) - slot
        excess = self._playout_delay(due_s) - self._target.target_s
        if (
            self._recovering
            and abs(excess) <= RECOVERY_DEADBAND_S
            and due_s >= self._recover_until_s
        ):
            self._recovering = False
        deadband = RECOVERY_DEADBAND_S if self._recovering else steady_deadband(self._scatter_s)
        if abs(excess) <= deadband:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = due_s
        delay = self._playout_delay(due_s)
        view = SlotView(
            head_offset=head_offset,
            excess_s=excess,
            frame_s=self._frame_s,
            head_quiet=bool(len(self._queue)) and self._act.quiet(0),
            waited_s=0.0 if self._waiting_since is None else due_s - self._waiting_since,
            rewind_room_s=self._settings.max_delay_s - delay,
            late_chance=self._decoder.late_chance(delay) if slots is None else 0.0,
            late_streak=self._late_streak,
            deadband_s=deadband,
            learning=not targeting,
            late_outlier=slots is not None
            and head_offset is not None
            and head_offset < 0
            and self._decoder.outlier(int(slots[0])),
        )
        action = decide(view)
        if action is SlotAction.DROP_LATE:
            self._late_streak += 1
        elif action is not SlotAction.CONCEAL:
            self._late_streak = 0  # a frame came in time (or the delay was changed)
        changes = self._act.changes
        self._act.target_s = self._target.target_s
        self._act.act(action, slots, view, due_s)
        if action is SlotAction.REWIND:
            self._recovering = True
            if view.late_outlier and self._target.target_s < self._target.ceiling_s:
                # A stall; at its ceiling the mode cannot hold the network as a rule (200 ms
                # frames under a 120 ms ceiling the caller set rewind again and again): a
                # tighter band would only add corrections there.
                self._recover_until_s = due_s + RECOVERY_HOLD_S
        elif action in (SlotAction.SHRINK, SlotAction.STRETCH) and self._act.changes != changes:
            self._waiting_since = None

    def _playout_delay(self, due_s: float) -> float:
        """How far behind the sender's clock the next consumed frame will play (s)."""
        return due_s + self._out.queued_s - self._clock.due_s(self._act.slot)
