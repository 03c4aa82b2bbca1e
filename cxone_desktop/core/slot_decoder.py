"""Which sender slot each frame belongs to: a Viterbi decode over slots near each frame's arrival.

The stream has no sequence numbers. Frames are received in order, so the
unknown is the slot of each: slots strictly increase, and a step of 1 + m
means m frames were lost. Frame j may only sit in a window of slots around
the one its arrival points at (`nominal`: up to `late_slots` before it, for
frames held up, and `early_slots` after it, for frames a batching sender sent
ahead), so the decode costs the same however many frames were lost before.
Three kinds of evidence weigh each path:

- timing: how likely each frame's arrival is if it belongs to that slot (the
  delay histograms; a frame may carry two observations: when it was completed,
  and when a message that began inside it arrived);
- loss: a gap of m ≥ 1 frames costs −log p − (m−1)·log q (p the loss rate,
  q the chance a loss goes on: bursts are cheaper per frame);
- waveform: the log-odds from `frame_continuity` that a frame is missing
  between two received frames.

The playout buffer decodes its queue whenever a slot is due (frame 0 no
earlier than the slot after the last one played), and the network estimate
decodes the last seconds of arrivals in hindsight to learn the sender's clock
and the delay histograms from a path that saw every frame around each one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]
Int64 = npt.NDArray[np.int64]
LogLikelihood = Callable[[Float], Float]

#: Slots a frame may belong to before the one its arrival points at (a 1.2 s hold-up: more
#: than any mode lets a backlog add), and after it (sent ahead by a batching sender).
LATE_SLOTS = 60
EARLY_SLOTS = 10
#: Weight of the waveform's log-odds against timing and the loss prior.
CONTINUITY_WEIGHT = 1.0


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

    def anchored_s(self, anchoring: Anchoring, frame_s: float) -> float:
        """The arrival time as evidence for this frame's own due time."""
        if anchoring is Anchoring.FIRST:
            return self.done_s + self.before * frame_s
        if anchoring is Anchoring.LAST:
            return self.done_s - self.after * frame_s
        return self.done_s

    def speaks(self, anchoring: Anchoring) -> bool:
        """Its message's arrival is evidence of this frame's own due time: the frame the
        sender sent it for. The others a batching sender sent ahead of theirs by however
        many slots lie between, lost ones included, so counting them too would weigh the
        same arrival several times, and against a loss inside a message. (A large-frame
        sender's frames held back for the last one are all kept: there, weighing the last
        alone doubled the time-scale changes at 5 % loss on training seeds.)"""
        if anchoring is Anchoring.FIRST:
            return self.before == 0
        return True


@dataclass(frozen=True)
class LossPrior:
    """Loss rate `p` and the chance `q` that a loss continues into the next frame."""

    p: float
    q: float


@dataclass(frozen=True)
class ArrivalModel:
    """The sender's clock and how arrivals scatter around it."""

    origin_s: float  # listener time at which slot 0 was due
    frame_s: float
    done_likelihood: LogLikelihood  # log density of (anchored arrival − due), s
    began_likelihood: LogLikelihood  # log density of (began − due), s
    anchoring: Anchoring = Anchoring.COMPLETION
    #: P(the frame after the last one queued comes later than offset s past its due time),
    #: per offset; None: unknown (then the frames not yet here say nothing).
    done_survival: Callable[[Float], Float] | None = None


def decode_slots(
    frames: Sequence[FrameTiming],
    model: ArrivalModel,
    prior: LossPrior,
    *,
    first_slot: int | None = None,
    pin_first: bool = False,
    now_s: float | None = None,
) -> Int64:
    """The most likely slot of each frame. Frame 0 is no earlier than `first_slot` (exactly it
    with `pin_first`); None leaves it free. `now_s`: nothing arrived after the last frame up
    to then, which is evidence too (see `_unseen_cost`)."""
    n = len(frames)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    width = LATE_SLOTS + EARLY_SLOTS + 1
    offsets = np.arange(width, dtype=np.int64)
    keep = -np.log1p(-prior.p)
    start = -np.log(prior.p)
    go_on = -np.log(prior.q)
    lows = _windows(frames, model, first_slot, pin_first)
    emission = _emissions(frames, model, lows[:, None] + offsets[None, :])
    # Back-pointers are worked out only along the chosen path, at the end: per frame, kept
    # are whether each candidate came after losses and the costs the best earlier slot is
    # found among (frame 0 has none).
    jumped: list[npt.NDArray[np.bool_]] = [np.zeros(0, dtype=np.bool_)]
    earlier: list[Float] = [np.zeros(0)]
    low = int(lows[0])
    slots = low + offsets
    cost = emission[0]
    if first_slot is not None:
        # Frames lost between the last one played and this one cost as any other loss.
        lost = slots - first_slot
        half = 0.5 * CONTINUITY_WEIGHT * frames[0].gap_log_odds
        cost = cost + np.where(lost == 0, keep + half, start + (lost - 1) * go_on - half)
    if pin_first:
        cost = np.where(offsets == 0, cost, np.inf)
    # Lows strictly increase, so the candidates of frame j are those of frame j − 1 shifted
    # by `step` ≥ 1: the transitions are slices, not gathers (this loop runs 500 times on
    # every hindsight decode).
    inf_row = np.full(width, np.inf)
    offsets_go_on = offsets * go_on
    last = width - 1
    for j in range(1, n):
        prev_low, prev_cost = low, cost
        low = int(lows[j])
        step = low - prev_low
        half = 0.5 * CONTINUITY_WEIGHT * frames[j].gap_log_odds
        # Adjacent: the previous frame had slot s − 1, candidate k + step − 1 before.
        stay = inf_row.copy()
        if step - 1 < width:
            stay[: width - step + 1] = prev_cost[step - 1 :] + (keep + half)
        # After m ≥ 1 lost: any previous slot s' ≤ s − 2, via a running minimum.
        shifted = prev_cost - (prev_low + offsets) * go_on
        running = np.minimum.accumulate(shifted)
        first = max(0, 2 - step)  # candidates with some s' ≤ s − 2 in the window
        reach = np.minimum(offsets[first:] + (step - 2), last)
        jump = inf_row.copy()
        jump[first:] = running[reach] + (start - half + (low - 2) * go_on) + offsets_go_on[first:]
        jumped.append(jump < stay)
        earlier.append(shifted)
        cost = np.minimum(jump, stay) + emission[j]
    if now_s is not None and model.done_survival is not None:
        cost = cost + _unseen_cost(low + offsets, model, prior, now_s)
    result = np.zeros(n, dtype=np.int64)
    slot = int(lows[n - 1] + int(np.argmin(cost)))
    for j in range(n - 1, -1, -1):
        result[j] = slot
        if j:
            k = slot - int(lows[j])
            if jumped[j][k]:  # after losses: the best slot at most s − 2 (its last, on a tie)
                reach_k = min(k + int(lows[j] - lows[j - 1]) - 2, last)
                before = earlier[j][reach_k::-1]
                slot = int(lows[j - 1]) + reach_k - int(np.argmin(before))
            else:
                slot -= 1
    return result


def _unseen_cost(last_slots: Int64, model: ArrivalModel, prior: LossPrior, now_s: float) -> Float:
    """Cost of the next frame not having come by `now_s`, if the last one has slot s: it was
    lost, or it is later than its due time allows. Without it a path that puts a loss past
    the frames queued pays nothing for it, so losses are guessed late: the frames after
    one are played a slot early (a 20 ms jump) and the gap is concealed later in sound."""
    assert model.done_survival is not None
    due = model.origin_s + (last_slots + 1).astype(np.float64) * model.frame_s
    survive = model.done_survival(now_s - due)
    cost: Float = -np.log(prior.p + (1.0 - prior.p) * survive)
    return cost


def _windows(
    frames: Sequence[FrameTiming], model: ArrivalModel, first_slot: int | None, pin_first: bool
) -> Int64:
    """The lowest candidate slot of each frame: `LATE_SLOTS` before where its arrival points,
    and always above the previous frame's."""
    arrivals = np.array([f.anchored_s(model.anchoring, model.frame_s) for f in frames])
    nominal = np.floor((arrivals - model.origin_s) / model.frame_s + 0.5).astype(np.int64)
    lows = nominal - LATE_SLOTS
    if first_slot is not None:
        lows[0] = first_slot if pin_first else max(int(lows[0]), first_slot)
    # Each at least one above the one before: lows[j] − j never falls.
    steps = np.arange(len(lows), dtype=np.int64)
    raised: Int64 = np.maximum.accumulate(lows - steps) + steps
    return raised


def _emissions(frames: Sequence[FrameTiming], model: ArrivalModel, slots: Int64) -> Float:
    """Cost (−log likelihood) of each frame's arrival for each of its candidate slots."""
    due = model.origin_s + slots.astype(np.float64) * model.frame_s
    arrivals = np.array([f.anchored_s(model.anchoring, model.frame_s) for f in frames])
    cost = -model.done_likelihood((arrivals[:, None] - due).reshape(-1)).reshape(due.shape)
    if model.anchoring is not Anchoring.COMPLETION:
        silent = np.array([not f.speaks(model.anchoring) for f in frames])
        cost[silent] = 0.0
    began = np.array([f.began_s for f in frames])
    known = ~np.isnan(began)
    if np.any(known):
        offsets = (began[known][:, None] - due[known]).reshape(-1)
        cost[known] -= model.began_likelihood(offsets).reshape(-1, due.shape[1])
    return cost
