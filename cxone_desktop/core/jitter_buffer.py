"""Playout on a steady frame clock for a stream that carries no sequence numbers or timestamps.

Frames arrive in order (TCP) but late, in bursts, or not at all (lost upstream
while the sender's clock runs on). The buffer plays one frame per 20 ms slot of
its own clock, driven only by the times passed in. It infers where frames went
missing from arrival times: each queued frame has a *slack*, the time between its
arrival and the slot it is queued for, and the freshest frame's slack (the *lead*)
should sit at the target delay. If the lead falls a frame short, the frames ahead
belong one slot later: a frame was lost (or the network slowed), so the slot is
concealed. If the lead runs a frame over (late frames after a concealment, a burst,
or a target that has shrunk), a frame is dropped, a quiet one when there is one.
An empty queue at a due slot is an underrun: concealed. Frames delivered together grow the
target at once to cover the burst.

The target follows the spread of recent slacks: it grows at once and shrinks slowly,
never below `target_delay_ms` (a steady stream keeps the delay it was given).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.concealment import LossConcealer
from cxone_desktop.errors import InputError

Concealment = Literal["plc", "zero"]

#: Slacks remembered for the jitter estimate: 3 s of frames.
_HISTORY_FRAMES = 150
#: Recompute the needed delay every this many played frames.
_ADAPT_EVERY = 10
#: Quantile of "how far below target" a frame arrived that the target must cover.
_COVER_QUANTILE = 0.98
#: Shrink speed of the target, as a fraction of a frame per played frame (0.5 % ≈ 5 ms/s).
_SHRINK_PER_FRAME = 0.005
#: Frames quieter than this fraction of the recent peak level may be dropped first.
_QUIET_FRACTION = 0.1
#: Frames below this RMS are quiet whatever the level.
_QUIET_RMS = 64.0
#: Arrival spacings remembered for the loss-detection tolerance.
_SPACING_FRAMES = 50
#: Loss-detection tolerance per unit of arrival irregularity (75th percentile of spacing error).
_ALLOWANCE_SCALE = 2.0
#: How long a surplus may wait for a quiet frame before a loud one is dropped.
_MAX_DROP_WAIT_S = 3.0


@dataclass(frozen=True)
class PlayoutBatch:
    """Frames due for playout, in order; `concealed[i]` says frame i was synthesized."""

    frames: npt.NDArray[np.int16]  # (n, frame_samples)
    concealed: npt.NDArray[np.bool_]  # (n,)

    def __len__(self) -> int:
        return int(self.frames.shape[0])


class JitterBuffer:
    """Adaptive playout buffer with loss concealment, driven by explicit timestamps (seconds).

    `push` queues whole frames with their arrival time; `pull(now_s)` returns every
    slot of the 20 ms playout clock due by `now_s`. The clock starts at the first
    arrival plus the target delay. Not thread-safe: call it from one place.
    """

    def __init__(
        self,
        fmt: AudioFormat = DEFAULT_FORMAT,
        *,
        target_delay_ms: float = 40.0,
        min_delay_ms: float = 20.0,
        max_delay_ms: float = 200.0,
        adaptive: bool = True,
        concealment: Concealment = "plc",
    ) -> None:
        if not 0.0 <= min_delay_ms <= max_delay_ms:
            raise InputError("jitter buffer delay", "the minimum must be between 0 and the maximum")
        if not min_delay_ms <= target_delay_ms <= max_delay_ms:
            raise InputError(
                "jitter buffer delay",
                f"the target must lie between {min_delay_ms:g} and {max_delay_ms:g} ms",
            )
        if concealment not in ("plc", "zero"):
            raise InputError("concealment", "choose 'plc' or 'zero'")
        self._fmt = fmt
        self._samples = fmt.frame_samples
        self._frame_s = fmt.frame_duration_s
        self._base_s = target_delay_ms / 1000.0
        self._min_s = min_delay_ms / 1000.0
        self._max_s = max_delay_ms / 1000.0
        self._adaptive = adaptive
        self._concealer = LossConcealer(fmt) if concealment == "plc" else None

        # Queue: a linear buffer compacted when it reaches the end (no per-frame allocation).
        self._capacity = 2 * int(np.ceil(self._max_s / self._frame_s)) + 64
        self._frames = np.zeros((self._capacity, self._samples), dtype=np.int16)
        self._arrivals = np.zeros(self._capacity, dtype=np.float64)
        self._rms = np.zeros(self._capacity, dtype=np.float64)
        self._slot_offsets = np.arange(self._capacity, dtype=np.float64) * self._frame_s
        self._head = 0
        self._count = 0

        self._anchored = False
        self._t0 = 0.0  # due time of slot 0
        self._next_slot = 0
        self._target_s = self._base_s
        self._surplus_since: float | None = None
        self._peak_rms = 0.0
        self._last_delay_s = 0.0

        self._last_arrival: float | None = None
        self._spacing_error = np.zeros(_SPACING_FRAMES, dtype=np.float64)
        self._spacing_count = 0
        self._spacing_pos = 0
        self._allowance_s = 0.0

        self._below_target = np.zeros(_HISTORY_FRAMES, dtype=np.float64)
        self._below_count = 0
        self._below_pos = 0
        self._since_adapt = 0

        self._played = 0
        self._concealed = 0
        self._late_dropped = 0

        self._empty = PlayoutBatch(
            np.zeros((0, self._samples), dtype=np.int16), np.zeros(0, dtype=np.bool_)
        )
        self._empty.frames.flags.writeable = False
        self._empty.concealed.flags.writeable = False

    # -- public face -------------------------------------------------------------------------

    @property
    def depth_ms(self) -> float:
        """Audio queued and not yet played, in ms."""
        return self._count * self._frame_s * 1000.0

    @property
    def target_ms(self) -> float:
        """The playout delay the buffer currently aims for, in ms."""
        return self._target_s * 1000.0

    @property
    def delay_ms(self) -> float:
        """How long the last played received frame waited between arrival and playout, in ms."""
        return self._last_delay_s * 1000.0

    @property
    def played_frames(self) -> int:
        """Frames handed out for playout, concealed ones included."""
        return self._played

    @property
    def concealed_frames(self) -> int:
        """Slots filled by concealment (or zeros) because no frame was there for them."""
        return self._concealed

    @property
    def late_dropped_frames(self) -> int:
        """Received frames discarded to bring the delay back to target."""
        return self._late_dropped

    def push(self, frames: npt.ArrayLike, arrival_s: float) -> None:
        """Queue whole frames, shape (n, frame_samples) int16, that arrived at `arrival_s`."""
        block = np.asarray(frames)
        if block.ndim == 1 and block.shape[0] == self._samples:
            block = block.reshape(1, self._samples)
        if block.ndim != 2 or block.shape[1] != self._samples:
            raise ValueError(f"expected frames of shape (n, {self._samples}), got {block.shape}")
        n = block.shape[0]
        if n == 0:
            return
        if not self._anchored:
            # The newest frame of this arrival gets exactly the target delay.
            newest_slot = self._next_slot + self._count + n - 1
            self._t0 = arrival_s + self._target_s - newest_slot * self._frame_s
            self._anchored = True
        overflow = self._count + n - self._capacity
        if overflow > 0:  # a burst far beyond max delay: the oldest frames can never be in time
            drop_old = min(overflow, self._count)
            self._head += drop_old
            self._count -= drop_old
            self._late_dropped += drop_old
            if n > self._capacity:
                self._late_dropped += n - self._capacity
                block = block[-self._capacity :]
                n = self._capacity
        if self._head + self._count + n > self._capacity:
            self._compact()
        end = self._head + self._count
        self._frames[end : end + n] = block
        self._arrivals[end : end + n] = arrival_s
        levels = np.sqrt(np.mean(np.square(block, dtype=np.float64), axis=1))
        self._rms[end : end + n] = levels
        self._peak_rms = max(float(levels.max()), self._peak_rms)
        self._count += n
        self._note_spacing(arrival_s, n)
        if self._adaptive and n > 1:
            # The first of n frames delivered together was held at least (n - 1) frames: cover
            # that, plus the frame of margin the slack rule keeps.
            self._target_s = min(self._max_s, max(self._target_s, n * self._frame_s))

    def pull(self, now_s: float) -> PlayoutBatch:
        """Every slot due by `now_s`, in order; a slot with no frame for it is concealed."""
        if not self._anchored:
            return self._empty
        last_due = int(np.floor((now_s - self._t0) / self._frame_s + 1e-9))
        n = last_due - self._next_slot + 1
        if n <= 0:
            return self._empty
        out = np.empty((n, self._samples), dtype=np.int16)
        concealed = np.zeros(n, dtype=np.bool_)
        for i in range(n):
            due_s = self._t0 + self._next_slot * self._frame_s
            if self._take(due_s, out[i]):
                concealed[i] = False
            else:
                concealed[i] = True
                self._fill_concealed(out[i])
            self._next_slot += 1
            self._played += 1
        return PlayoutBatch(out, concealed)

    def drain(self) -> PlayoutBatch:
        """At stream end: everything still queued, without concealment; the clock stops."""
        n = self._count
        self._anchored = False
        if n == 0:
            return self._empty
        out = np.empty((n, self._samples), dtype=np.int16)
        for i in range(n):
            out[i] = self._play_head()
        self._played += n
        self._next_slot += n
        return PlayoutBatch(out, np.zeros(n, dtype=np.bool_))

    def reset(self) -> None:
        """After a reconnect: the next push re-anchors the playout clock. Counters are kept,
        and so are queued frames (they play first)."""
        self._anchored = False
        self._surplus_since = None

    # -- one slot ----------------------------------------------------------------------------

    def _take(self, due_s: float, into: npt.NDArray[np.int16]) -> bool:
        """Fill `into` with the frame for this slot; False when the slot must be concealed."""
        f = self._frame_s
        while self._count:
            h, c = self._head, self._count
            slacks = self._slot_offsets[:c] - self._arrivals[h : h + c]
            freshest = int(np.argmax(slacks))
            lead = due_s + float(slacks[freshest])
            excess = lead - self._target_s
            if excess < -0.5 * f - self._allowance_s:
                # The frames queued are a slot behind: the one for this slot never came.
                self._surplus_since = None
                return False
            if excess > 0.75 * f and self._drop_one(due_s, excess, freshest):
                continue
            self._last_delay_s = due_s - self._arrivals[h]
            self._record_slack(due_s - self._arrivals[h])
            into[:] = self._play_head()
            return True
        return False

    def _note_spacing(self, arrival_s: float, n: int) -> None:
        """Track how irregular arrivals are; on a jittery network one late lead proves no loss."""
        if self._last_arrival is not None:
            # n frames arriving together after a pause: the first came late, the rest early.
            error = abs(arrival_s - self._last_arrival - self._frame_s)
            self._spacing_error[self._spacing_pos] = error
            self._spacing_pos = (self._spacing_pos + 1) % _SPACING_FRAMES
            self._spacing_count = min(self._spacing_count + 1, _SPACING_FRAMES)
            for _ in range(min(n - 1, _SPACING_FRAMES)):
                self._spacing_error[self._spacing_pos] = self._frame_s
                self._spacing_pos = (self._spacing_pos + 1) % _SPACING_FRAMES
                self._spacing_count = min(self._spacing_count + 1, _SPACING_FRAMES)
            if self._spacing_pos % 5 == 0:
                history = self._spacing_error[: self._spacing_count]
                self._allowance_s = _ALLOWANCE_SCALE * float(np.quantile(history, 0.75))
        self._last_arrival = arrival_s

    def _drop_one(self, due_s: float, excess: float, freshest: int) -> bool:
        """Drop a queued frame to cut the surplus; prefers quiet frames, waits a while for one."""
        h = self._head
        # Only frames up to the freshest one shorten its wait.
        levels = self._rms[h : h + freshest + 1]
        pick = int(np.argmin(levels))
        quiet = levels[pick] <= max(_QUIET_RMS, _QUIET_FRACTION * self._peak_rms)
        if self._surplus_since is None:
            self._surplus_since = due_s
        # A loud frame lost costs more than a little extra delay: only a doubled delay or a long
        # wait for a pause forces one out.
        urgent = excess > self._target_s or due_s - self._surplus_since >= _MAX_DROP_WAIT_S
        if not (quiet or urgent):
            return False
        self._remove(pick)
        self._late_dropped += 1
        self._surplus_since = None
        return True

    def _fill_concealed(self, into: npt.NDArray[np.int16]) -> None:
        self._concealed += 1
        if self._concealer is None:
            into[:] = 0
        else:
            into[:] = self._concealer.conceal()

    def _play_head(self) -> npt.NDArray[np.int16]:
        frame: npt.NDArray[np.int16] = self._frames[self._head]
        self._head += 1
        self._count -= 1
        if self._count == 0:
            self._head = 0
        self._peak_rms *= 0.995  # forget a loud passage over a few seconds
        if self._concealer is None:
            return frame.copy()
        return self._concealer.good(frame)

    # -- queue and adaptation ----------------------------------------------------------------

    def _remove(self, index: int) -> None:
        h = self._head
        if index == 0:
            self._head += 1
        else:
            # Shift the frames before it up one place (fewer moves than shifting the tail).
            self._frames[h + 1 : h + index + 1] = self._frames[h : h + index].copy()
            self._arrivals[h + 1 : h + index + 1] = self._arrivals[h : h + index].copy()
            self._rms[h + 1 : h + index + 1] = self._rms[h : h + index].copy()
            self._head += 1
        self._count -= 1
        if self._count == 0:
            self._head = 0

    def _compact(self) -> None:
        h, c = self._head, self._count
        self._frames[:c] = self._frames[h : h + c]
        self._arrivals[:c] = self._arrivals[h : h + c]
        self._rms[:c] = self._rms[h : h + c]
        self._head = 0

    def _record_slack(self, slack_s: float) -> None:
        self._below_target[self._below_pos] = self._target_s - slack_s
        self._below_pos = (self._below_pos + 1) % _HISTORY_FRAMES
        self._below_count = min(self._below_count + 1, _HISTORY_FRAMES)
        self._since_adapt += 1
        if self._adaptive and self._since_adapt >= _ADAPT_EVERY:
            self._since_adapt = 0
            self._adapt()

    def _adapt(self) -> None:
        f = self._frame_s
        history = self._below_target[: self._below_count]
        worst = float(np.quantile(history, _COVER_QUANTILE))
        needed = min(self._max_s, max(self._base_s, self._min_s, worst + f))
        if needed > self._target_s:
            self._target_s = needed
        else:
            step = _SHRINK_PER_FRAME * f * _ADAPT_EVERY
            self._target_s = max(needed, self._target_s - step)
