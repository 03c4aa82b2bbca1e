"""Where the sender's frame clock falls on the listener's clock, and how arrivals scatter round it.

Frame s of the sender is due at `origin_s + s × frame_s` on our clock. Earlier
versions took the origin from the earliest arrivals (the network only adds
delay), which breaks as soon as a sender batches: frames sent ahead of their
time pull that envelope down, every later frame then looks late, and losses
are guessed where there are none.

Here both the origin and the delay histograms come from hindsight: twice a
second the last 10 s of arrivals are decoded again (`slot_decoder`, every frame
seen with all its neighbours, as no live decision can), and the origin is the
median of `arrival − slot × frame_s` along that path: half the frames arrive
earlier, half later, whatever the sender does, so batching cannot drag it and
a stall's backlog (left out) cannot move it. Live decisions that were wrong do
not feed back into the estimate: the origin is re-expressed in the numbering
the playout has committed to (so the frames to come continue from the last one
played), and the histograms are rebuilt from the hindsight path. A median over
5 s follows a sender clock ±0.1 % off with under 3 ms of lag.

Where messages are single frames kept in order, a frame held up behind a slow
one arrives with it: its lateness is the other's, not its own delay. `own_delay`
learns each message's own delay from the path as reverse Kaplan–Meier does
(a held-up frame's lateness is an upper bound on its delay), so the decoder
does not take the lateness order made for how messages travel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.delay_histogram import DelayHistogram
from cxone_desktop.core.frame_timing import Anchoring, FrameTiming, FrameTimings
from cxone_desktop.core.slot_decoder import ArrivalModel, Float, Int64, LossPrior, decode_slots

#: Frames decoded in hindsight (10 s), and the most recent of them the origin is taken from.
HISTORY_FRAMES = 500
ORIGIN_FRAMES = 250
#: The rate is taken from stretches of this many frames (1 s), once there are a few; and the
#: most it may be off (1 %).
STRETCH_FRAMES = 50
MIN_STRETCHES = 4
MAX_DRIFT = 0.01
#: How far off real senders' clocks run (±0.1 %: one standard deviation of the prior the
#: fitted rate is shrunk toward 0 with).
DRIFT_PRIOR = 0.001
#: An anchoring must scatter this much less than completion times to be chosen.
TIE_S = 0.002
#: Frames whose played slots tie the hindsight numbering to the one the playout goes on in.
ALIGN_FRAMES = 15


class _Past:
    """The last `HISTORY_FRAMES` frames that left the queue, field by field in arrays (a
    refresh reads them whole): written on, and moved back to the start when the end is
    reached, so the frames kept are always one contiguous, ordered stretch."""

    def __init__(self) -> None:
        size = 2 * HISTORY_FRAMES
        self.done_s = np.zeros(size)
        self.began_s = np.zeros(size)
        self.gap_log_odds = np.zeros(size)
        self.before = np.zeros(size, dtype=np.int64)
        self.after = np.zeros(size, dtype=np.int64)
        self.slot = np.zeros(size, dtype=np.int64)  # the slot it was played as (or dropped from)
        self.backlog = np.zeros(size, dtype=np.bool_)  # came in a stall's backlog
        self.bunched = np.zeros(size, dtype=np.bool_)
        self._stop = 0  # one past the newest
        self._count = 0

    def clear(self) -> None:
        self._stop = self._count = 0

    def append(self, timing: FrameTiming, slot: int, backlog: bool) -> None:
        if self._stop == self.done_s.shape[0]:
            keep = HISTORY_FRAMES - 1
            for array in self._arrays():
                array[:keep] = array[self._stop - keep : self._stop]
            self._stop = keep
        i = self._stop
        self.done_s[i] = timing.done_s
        self.began_s[i] = timing.began_s
        self.gap_log_odds[i] = timing.gap_log_odds
        self.before[i] = timing.before
        self.after[i] = timing.after
        self.slot[i] = slot
        self.backlog[i] = backlog
        self.bunched[i] = timing.bunched
        self._stop += 1
        self._count = min(self._count + 1, HISTORY_FRAMES)

    def mark_backlog(self, since_s: float) -> None:
        """The frames kept that completed at `since_s` or later came in a stall's backlog."""
        window = slice(self._stop - self._count, self._stop)
        self.backlog[window] |= self.done_s[window] >= since_s

    def everyday(self) -> tuple[FrameTimings, Int64]:
        """The frames kept that were not in a stall's backlog, oldest first, and their slots."""
        window = slice(self._stop - self._count, self._stop)
        usual = ~self.backlog[window]
        timings = FrameTimings(
            self.done_s[window][usual],
            self.began_s[window][usual],
            self.gap_log_odds[window][usual],
            self.before[window][usual],
            self.after[window][usual],
            self.bunched[window][usual],
        )
        return timings, self.slot[window][usual]

    def _arrays(self) -> tuple[npt.NDArray[Any], ...]:
        return (
            self.done_s,
            self.began_s,
            self.gap_log_odds,
            self.before,
            self.after,
            self.slot,
            self.backlog,
            self.bunched,
        )


class SenderClock:
    """The sender-clock origin and the arrival histograms, refreshed from hindsight."""

    def __init__(self, frame_s: float, *, loss: float = 0.02, last_only: bool = False) -> None:
        self._nominal_s = frame_s
        self._last_only = last_only  # a held-back sender's message speaks for its last frame
        self._frame_s = frame_s
        self._origin_s = 0.0
        self._past = _Past()
        self.done = DelayHistogram()  # completion − due: what the target must cover
        self.anchored = DelayHistogram()  # anchored arrival − due: the decoder's evidence
        self.began = DelayHistogram(prior_spread_s=0.015)
        #: Each one-frame message's own delay, frames held up behind another counted as
        #: bounds (reverse Kaplan–Meier): what the decoder weighs where frames are kept
        #: in order.
        self.own_delay = DelayHistogram()
        self._anchoring = Anchoring.COMPLETION
        self._model: ArrivalModel | None = None  # built once per clock estimate
        self.loss = loss  # per frame, as the hindsight path shows it (until then: assumed)
        self.burst = 0.2  # chance a lost frame is followed by another lost one

    @property
    def origin_s(self) -> float:
        """Listener time at which the sender's slot 0 was due."""
        return self._origin_s

    @property
    def frame_s(self) -> float:
        """The sender's frame period on the listener's clock (drift included)."""
        return self._frame_s

    def due_s(self, slot: float) -> float:
        return self._origin_s + slot * self._frame_s

    @property
    def model(self) -> ArrivalModel:
        if self._model is None:
            self._model = self._build_model()
        return self._model

    def _build_model(self) -> ArrivalModel:
        # One-frame messages kept in order: each frame's arrival is weighed by its message's
        # own delay, as hindsight learned it (`slot_decoder`), and so is the next one's.
        learned = self._anchoring is Anchoring.COMPLETION and self.own_delay.count > 0
        own = self.own_delay if learned else None
        unseen = self.done if own is None else own
        return ArrivalModel(
            self._origin_s,
            self._frame_s,
            self.anchored,
            self.began,
            self._anchoring,
            # The frame after the last one queued opens a message; a sender that sends a
            # message when its first frame is due completes that one on its anchored time.
            self.anchored if self._anchoring is Anchoring.FIRST else unseen,
            self._last_only,
            own,
        )

    @property
    def anchoring(self) -> Anchoring:
        """Which frame of a message its arrival speaks for, as this sender behaves."""
        return self._anchoring

    def anchor(self, slot: int, arrival_s: float) -> None:
        """Start a new timeline: the frame of `slot` arrived on time at `arrival_s`."""
        self._origin_s = arrival_s - slot * self._frame_s
        self._model = None
        self._past.clear()

    def record(self, timing: FrameTiming, slot: int, *, backlog: bool = False) -> None:
        """A received frame left the queue as `slot` (played, or dropped as late)."""
        self._past.append(timing, slot, backlog)

    def backlog_since(self, since_s: float) -> None:
        """The frames recorded that completed at `since_s` or later were a stall's backlog
        (it was seen only at a later frame of the same bunch): left out of hindsight."""
        self._past.mark_backlog(since_s)

    def refresh(self, prior: LossPrior) -> None:
        """Decode the recorded frames again and re-estimate the clock and the histograms."""
        timings, played = self._past.everyday()
        if len(timings) < 8:
            return
        slots = decode_slots(timings, self.model, prior)
        anchoring = tightest_anchoring(timings, slots, self._nominal_s)
        anchored = timings.anchored_s(anchoring, self._nominal_s)
        origin, period = self._fit(slots, anchored)
        due = origin + slots * period
        # In the numbering already played, as it stands now: the most common difference
        # between played and hindsight slots among the last frames (hindsight is least sure
        # of the newest ones, so one frame alone could be off).
        recent = played[-ALIGN_FRAMES:] - slots[-ALIGN_FRAMES:]
        values, counts = np.unique(recent, return_counts=True)
        shift = int(values[np.argmax(counts)])
        late = timings.done_s - due
        usual = usual_lateness(late, self._nominal_s)
        # The decoder's evidence is the arrival of the frame a message was sent for; the
        # others in it were sent ahead of theirs by however many slots, losses included.
        speaks = timings.speaks(anchoring, last_only=self._last_only) & usual
        self.anchored.replace((anchored - due)[speaks if np.any(speaks) else usual])
        self.done.replace(late[usual])
        if timings.bunched is not None and anchoring is Anchoring.COMPLETION:
            chosen = speaks if np.any(speaks) else usual
            self.own_delay.replace_censored((anchored - due)[chosen], timings.bunched[chosen])
        began = timings.began_s
        known = ~np.isnan(began)
        if np.any(known):
            self.began.replace(began[known] - due[known])
        self._origin_s = origin - shift * period
        self._frame_s = period
        self._anchoring = anchoring
        self._model = None
        self._learn_losses(slots)

    def _learn_losses(self, slots: Int64) -> None:
        """Loss rate and burst continuation along the hindsight path (the live decisions,
        wrong ones included, would teach the decoder its own mistakes)."""
        learned = losses_along(slots)
        if learned is not None:
            self.loss, self.burst = learned

    def _fit(self, slots: Int64, arrivals: Float) -> tuple[float, float]:
        """(origin, frame period) of the sender's clock along a decoded path: the rate from how
        `arrival − slot × nominal` moves between consecutive stretches of the path, the
        level from the median of the last frames' residuals.

        A line fitted through the whole path would take every slot the path got wrong (a
        loss put one frame off, a phantom loss) as drift: one such step in 10 s reads as
        0.2 %, and a path decoded with a wrong rate gains a step every few seconds that
        agrees with it, so the error locks in. A sender's drift moves every stretch a
        little; a step moves one pair of stretches a whole frame: the median of the
        stretch-to-stretch rates keeps the first and leaves out the second, and is shrunk
        toward 0 (senders are within ±0.1 %) by how much those rates disagree."""
        nominal = self._nominal_s
        offsets = arrivals - slots * nominal
        slope = 0.0
        count = len(slots) // STRETCH_FRAMES
        if count >= MIN_STRETCHES:
            cut = len(slots) - count * STRETCH_FRAMES  # the oldest frames left over
            x = slots[cut:].astype(np.float64).reshape(count, STRETCH_FRAMES)
            y = offsets[cut:].reshape(count, STRETCH_FRAMES)
            centre_x, centre_y = np.median(x, axis=1), np.median(y, axis=1)
            rates = np.diff(centre_y) / np.maximum(np.diff(centre_x), 1.0)
            rate = float(np.median(rates))
            spread = 1.4826 * float(np.median(np.abs(rates - rate)))
            error_var = spread**2 * np.pi / 2 / len(rates)  # of a median of len(rates)
            prior_var = (DRIFT_PRIOR * nominal) ** 2
            slope = rate * prior_var / (prior_var + error_var)
            slope = float(np.clip(slope, -MAX_DRIFT * nominal, MAX_DRIFT * nominal))
        period = nominal + slope
        residual = arrivals - slots * period
        return float(np.median(residual[-ORIGIN_FRAMES:])), period


def usual_lateness(late: Float, nominal_s: float) -> npt.NDArray[np.bool_]:
    """Which of these lateness values (s, along a decoded path) are the network's usual.
    Frames held up by a stall are far out on their own; they must not raise the target
    (the playout rewinds over them instead) nor teach the decoder that such waits are
    usual. Anything past the median by four times the usual spread (+2 frames) is out."""
    middle, high = np.quantile(late, [0.5, 0.9])
    usual: npt.NDArray[np.bool_] = late <= middle + 4 * (high - middle) + 2 * nominal_s
    return usual


def losses_along(slots: Int64) -> tuple[float, float] | None:
    """(loss rate, share of lost frames followed by another) along a decoded path; None for
    a path under 50 slots. A little prior (one loss in 200 frames) keeps a clean stretch
    from making loss unthinkable."""
    steps = np.diff(slots) - 1  # frames lost between neighbours
    span = int(slots[-1] - slots[0]) + 1
    if span < 50:
        return None
    lost = int(steps.sum())
    bursts = int(np.count_nonzero(steps > 0))
    return (lost + 0.5) / (span + 100), (lost - bursts + 1) / (lost + 2)


def tightest_anchoring(timings: FrameTimings, slots: Int64, nominal_s: float) -> Anchoring:
    """The anchoring whose offsets along the path scatter least (completion on a tie)."""
    best, best_spread = Anchoring.COMPLETION, np.inf
    if not (np.logical_or.reduce(timings.before) or np.logical_or.reduce(timings.after)):
        # One frame a message: every anchoring is the completion time itself (+ 0 frames),
        # so the others scatter exactly as much, never less.
        return best
    for anchoring in (Anchoring.COMPLETION, Anchoring.FIRST, Anchoring.LAST):
        stat = timings.anchored_s(anchoring, nominal_s)
        offsets = stat - slots * nominal_s
        low, high = np.quantile(offsets, [0.05, 0.95])
        spread = float(high - low)
        if spread < best_spread - TIE_S:
            best, best_spread = anchoring, spread
    return best
