"""Playout on a steady frame clock for a stream that carries no sequence numbers or timestamps.

Frames arrive in order (TCP) but late, in bursts, or not at all (lost upstream
while the sender's clock runs on). The sender's clock is steady and the network
only ever adds delay, so every received frame is given the *sender slot* it was
most plausibly sent in: frame k of slot s arrived at `a = T0 + s·F + d` with
0 ≤ d ≤ D, where T0 (the *envelope*) is the lowest `a − s·F` seen lately and D
the spread of those values (the jitter). A frame that comes later than D
allows for the slot after its predecessor's proves frames were lost before it;
the loss is placed, among the frames still queued, at the widest gap in the
arrivals. A frame that comes earlier than the envelope allows proves an earlier
guess of loss wrong: the guess is undone while its frames are still queued; once
the slot has been concealed, the frame that came too late for it is dropped.

Slot s plays at `T0 + s·F + target`: the target covers the jitter plus a
frame of look-ahead, so a late frame is never mistaken for a lost one and a
loss is usually found before its slot is due. A slot known lost is concealed
in its place; a slot whose frame may still come (the target has not caught up
with the jitter yet) is concealed *without* advancing the sender slot, which
stretches the delay. When the playout runs ahead of or behind the target
(the target changed, clock drift, a wrong guess already played), the buffer
stretches or shrinks by one frame in a quiet moment, or skips a lost slot
for free. The target grows at once and shrinks slowly, never below
`target_delay_ms`.
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

#: Played frames remembered for the envelope and the jitter estimate: 3 s.
_HISTORY_FRAMES = 150
#: Arrival-time noise allowed beyond the measured envelope and jitter.
_TOLERANCE_S = 0.003
#: Target beyond the measured jitter, in frames: time to see a loss before its slot is due.
_LOOKAHEAD_FRAMES = 3.0
#: Playout this far (in frames) from the target is corrected (stretch, shrink or skip).
_CORRECT_FRAMES = 0.75
#: The target shrinks by at most one frame per this many played frames (2 s).
_SHRINK_EVERY = 100
#: Frames quieter than this fraction of the recent peak level may be dropped or stretched.
_QUIET_FRACTION = 0.1
#: Frames below this RMS are quiet whatever the level.
_QUIET_RMS = 64.0
#: For this many slots after the start, corrections do not wait for a quiet frame (1 s).
_SETTLE_FRAMES = 50
#: How long a correction may wait for a quiet frame before a loud one is used.
_MAX_WAIT_S = 3.0


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
        self._slots = np.zeros(self._capacity, dtype=np.int64)
        self._rms = np.zeros(self._capacity, dtype=np.float64)
        self._head = 0
        self._count = 0

        # Offsets a − s·F of played frames: the envelope is their minimum, the jitter their spread.
        self._offsets = np.zeros(_HISTORY_FRAMES, dtype=np.float64)
        self._offset_count = 0
        self._offset_pos = 0
        self._envelope_s = 0.0
        self._jitter_s = 0.0

        self._anchored = False
        self._next_due_s = 0.0  # playout time of the next slot
        self._next_slot = 0  # sender slot to play next
        self._last_slot = -1  # sender slot of the newest received frame
        self._last_arrival_s = 0.0  # arrival of the newest received frame
        self._played_arrival_s = 0.0  # arrival of the last frame played
        self._recent_losses = 0  # slots concealed as lost lately (a late frame may prove wrong)
        self._since_loss = 0

        self._target_s = self._base_s
        self._since_shrink = 0
        self._waiting_since: float | None = None
        self._peak_rms = 0.0
        self._last_delay_s = 0.0

        self._played = 0
        self._concealed = 0
        self._late_dropped = 0
        self._shrink_dropped = 0

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
    def next_due_s(self) -> float | None:
        """When the next slot is due for playout; None before the first frame (or after drain)."""
        return self._next_due_s if self._anchored else None

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
        """Received frames discarded because they came too late for their slot."""
        return self._late_dropped

    @property
    def shrink_dropped_frames(self) -> int:
        """Frames that came in time but were skipped (quietly) to bring the delay back down."""
        return self._shrink_dropped

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
        if n > self._capacity:  # far beyond max delay: the oldest can never be in time
            self._late_dropped += n - self._capacity
            block = block[-self._capacity :]
            n = self._capacity
        overflow = self._count + n - self._capacity
        if overflow > 0:
            self._head += overflow
            self._count -= overflow
            self._late_dropped += overflow
        if self._head + self._count + n > self._capacity:
            self._compact()
        levels = np.sqrt(np.mean(np.square(block, dtype=np.float64), axis=1))
        self._peak_rms = max(float(levels.max()), self._peak_rms)
        if not self._anchored:
            self._anchor(block, levels, arrival_s)
            return
        for k in range(n):
            self._append(block[k], float(levels[k]), arrival_s)
        self._last_arrival_s = arrival_s

    def pull(self, now_s: float) -> PlayoutBatch:
        """Every slot due by `now_s`, in order; a slot with no frame for it is concealed."""
        if not self._anchored or now_s + 1e-9 < self._next_due_s:
            return self._empty
        n = int(np.floor((now_s - self._next_due_s) / self._frame_s + 1e-9)) + 1
        out = np.empty((n, self._samples), dtype=np.int16)
        concealed = np.zeros(n, dtype=np.bool_)
        for i in range(n):
            concealed[i] = self._play_slot(self._next_due_s, out[i])
            self._next_due_s += self._frame_s
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
            self._next_slot = int(self._slots[self._head]) + 1
            self._emit_head(out[i])
        self._played += n
        return PlayoutBatch(out, np.zeros(n, dtype=np.bool_))

    def reset(self) -> None:
        """After a reconnect: the next push re-anchors the playout clock. Counters are kept,
        and so are queued frames (they play first)."""
        self._anchored = False
        self._waiting_since = None

    # -- arrivals ----------------------------------------------------------------------------

    def _anchor(
        self, block: npt.NDArray[np.int16], levels: npt.NDArray[np.float64], t: float
    ) -> None:
        """First frames (or the first after a reset): a new sender timeline."""
        f = self._frame_s
        n = block.shape[0]
        first = max(self._next_slot, self._last_slot + 1)
        if self._count:
            first = int(self._slots[self._head + self._count - 1]) + 1
        end = self._head + self._count
        self._frames[end : end + n] = block
        self._arrivals[end : end + n] = t
        self._slots[end : end + n] = np.arange(first, first + n)
        self._rms[end : end + n] = levels
        self._count += n
        self._last_slot = first + n - 1
        self._last_arrival_s = t
        self._offset_count = 0
        self._offset_pos = 0
        # The newest frame of this arrival is taken to be on time.
        self._envelope_s = t - self._last_slot * f
        self._jitter_s = (n - 1) * f  # n frames together: the first was held (n - 1) frames
        self._recent_losses = 0
        self._retarget()
        start = int(self._slots[self._head]) if self._count > n else first
        self._next_slot = start
        self._next_due_s = self._envelope_s + start * f + self._target_s
        self._anchored = True

    def _append(self, frame: npt.NDArray[np.int16], level: float, t: float) -> None:
        """Give a received frame its sender slot, revising the guesses about frames queued."""
        f = self._frame_s
        self._refresh_envelope()
        slot = self._last_slot + 1
        latest = self._envelope_s + self._jitter_s + _TOLERANCE_S  # latest plausible offset
        offset = t - slot * f
        if offset > latest:
            # Later than the jitter allows: frames were lost before this one, as many as fit
            # without putting it earlier than the sender could have sent it (the rest is jitter).
            lost = min(
                int(np.ceil((offset - latest) / f - 1e-9)),
                int(np.floor((offset - self._envelope_s + _TOLERANCE_S) / f)),
            )
            if lost > 0:
                self._place_loss(lost, t)
                slot += lost
        elif offset < self._envelope_s - 0.5 * f:
            # Earlier than the sender could have sent it: a loss guessed before was wrong.
            slot -= self._undo_losses(offset)
        end = self._head + self._count
        self._frames[end] = frame
        self._arrivals[end] = t
        self._slots[end] = slot
        self._rms[end] = level
        self._count += 1
        self._last_slot = slot

    def _place_loss(self, lost: int, t: float) -> None:
        """Put `lost` missing slots at the widest arrival gap they can go in among queued frames."""
        f = self._frame_s
        h, c = self._head, self._count
        floor = self._envelope_s - _TOLERANCE_S
        best_gap = t - self._last_arrival_s  # just before the new frame
        best = c
        for j in range(c - 1, -1, -1):
            i = h + j
            if self._arrivals[i] - (self._slots[i] + lost) * f < floor:
                break  # this frame cannot have been sent that late
            prev = self._arrivals[i - 1] if j > 0 else self._played_arrival_s
            if j == 0 and self._played == 0:
                break
            gap = self._arrivals[i] - prev
            if gap > best_gap + 1e-6:
                best_gap, best = gap, j
        if best < c:
            self._slots[h + best : h + c] += lost

    def _undo_losses(self, offset: float) -> int:
        """Take back guessed losses so an early frame fits; returns how many slots it moves down."""
        f = self._frame_s
        h, c = self._head, self._count
        moved = 0
        while offset + moved * f < self._envelope_s - 0.5 * f:
            # The newest guessed gap still queued: between queued frames, or before the head.
            j = c - 1
            while j > 0 and self._slots[h + j] - self._slots[h + j - 1] <= 1:
                j -= 1
            if c and j == 0 and self._slots[h] <= self._next_slot:
                j = -1
            if c and j >= 0:
                self._slots[h + j : h + c] -= 1
            elif self._recent_losses > 0:
                # The slot was already concealed: the oldest queued frame came too late for it
                # and is dropped when its turn comes (the delay must not creep up).
                self._recent_losses -= 1
                if c:
                    self._slots[h : h + c] -= 1
            else:
                break  # no guess to take back: the envelope itself was too high
            moved += 1
        return moved

    def _refresh_envelope(self) -> None:
        """Envelope and jitter from the played frames' offsets and the queued frames'; retarget."""
        f = self._frame_s
        h, c = self._head, self._count
        hist = self._offsets[: self._offset_count]
        lo, hi = np.inf, -np.inf
        if hist.size:
            lo, hi = float(hist.min()), float(hist.max())
        if c:
            queued = self._arrivals[h : h + c] - self._slots[h : h + c] * f
            lo, hi = min(lo, float(queued.min())), max(hi, float(queued.max()))
        if np.isfinite(lo):
            self._envelope_s = lo
            self._jitter_s = hi - lo
        self._retarget()

    def _retarget(self) -> None:
        """Cover the jitter (plus look-ahead once it exceeds a frame): grow now, shrink slowly."""
        f = self._frame_s
        if self._adaptive:
            # Look-ahead matters only once a frame a slot late often passes for one on time.
            needed = self._jitter_s + _TOLERANCE_S
            if self._jitter_s > f + _TOLERANCE_S:
                needed += _LOOKAHEAD_FRAMES * f
            needed = min(self._max_s, max(self._base_s, self._min_s, needed))
            if needed > self._target_s:
                self._target_s = needed
                self._since_shrink = 0
            elif needed < self._target_s - f and self._since_shrink >= _SHRINK_EVERY:
                self._target_s = max(needed, self._target_s - f)
                self._since_shrink = 0

    # -- playout -----------------------------------------------------------------------------

    def _play_slot(self, due_s: float, into: npt.NDArray[np.int16]) -> bool:
        """Fill `into` for the playout slot due at `due_s`; True when it was concealed."""
        f = self._frame_s
        self._since_shrink += 1
        self._since_loss += 1
        if self._since_loss >= _HISTORY_FRAMES:
            self._recent_losses = 0
        while True:
            h = self._head
            while self._count and self._slots[self._head] < self._next_slot:
                self._drop_head()  # its slot was concealed before it came
                h = self._head
            # > 0: frames wait longer than the target; < 0: shorter.
            drift = due_s - self._envelope_s - self._next_slot * f - self._target_s
            if abs(drift) <= _CORRECT_FRAMES * f:
                self._waiting_since = None
            if self._count and self._slots[h] > self._next_slot:
                # The frame for this slot was lost.
                self._note_loss()
                self._next_slot += 1
                if drift > _CORRECT_FRAMES * f and self._adaptive:
                    continue  # behind: skipping a lost slot costs nothing
                self._conceal(into)
                return True
            if self._count:
                if drift > _CORRECT_FRAMES * f and self._may_correct(due_s, drift, h):
                    self._shrink_dropped += 1
                    self._pop_head()
                    self._next_slot += 1
                    continue
                if drift < -_CORRECT_FRAMES * f and (
                    self._may_correct(due_s, -drift, h) or due_s - self._arrivals[h] < _TOLERANCE_S
                ):
                    self._conceal(into)  # stretch: the frame waits one slot more
                    return True
                self._last_delay_s = due_s - self._arrivals[h]
                self._emit_head(into)
                return False
            # Nothing queued: lost if it would have come by now, else late (stretch).
            if due_s > self._envelope_s + self._next_slot * f + self._jitter_s + _TOLERANCE_S:
                self._next_slot += 1
                self._note_loss()
            self._conceal(into)
            return True

    def _note_loss(self) -> None:
        self._recent_losses += 1
        self._since_loss = 0

    def _may_correct(self, due_s: float, amount: float, h: int) -> bool:
        """Stretch or shrink on a quiet frame; a loud one only when far off or after a long wait."""
        if self._waiting_since is None:
            self._waiting_since = due_s
        quiet = self._rms[h] <= max(_QUIET_RMS, _QUIET_FRACTION * self._peak_rms)
        urgent = (
            self._played < _SETTLE_FRAMES  # still learning the network: settle at once
            or amount > self._target_s + self._frame_s
            or due_s - self._waiting_since >= _MAX_WAIT_S
        )
        if quiet or urgent:
            self._waiting_since = None
            return True
        return False

    def _conceal(self, into: npt.NDArray[np.int16]) -> None:
        self._concealed += 1
        if self._concealer is None:
            into[:] = 0
        else:
            into[:] = self._concealer.conceal()

    def _emit_head(self, into: npt.NDArray[np.int16]) -> None:
        h = self._head
        self._offsets[self._offset_pos] = self._arrivals[h] - self._slots[h] * self._frame_s
        self._offset_pos = (self._offset_pos + 1) % _HISTORY_FRAMES
        self._offset_count = min(self._offset_count + 1, _HISTORY_FRAMES)
        self._played_arrival_s = float(self._arrivals[h])
        self._next_slot = int(self._slots[h]) + 1
        self._peak_rms *= 0.995  # forget a loud passage over a few seconds
        if self._concealer is None:
            into[:] = self._frames[h]
        else:
            into[:] = self._concealer.good(self._frames[h])
        self._pop_head()

    def _drop_head(self) -> None:
        self._late_dropped += 1
        self._pop_head()

    def _pop_head(self) -> None:
        self._head += 1
        self._count -= 1
        if self._count == 0:
            self._head = 0

    def _compact(self) -> None:
        h, c = self._head, self._count
        self._frames[:c] = self._frames[h : h + c]
        self._arrivals[:c] = self._arrivals[h : h + c]
        self._slots[:c] = self._slots[h : h + c]
        self._rms[:c] = self._rms[h : h + c]
        self._head = 0
