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
  and when a message that began inside it arrived). Where each message is one
  frame kept in order (TCP), a frame that came on its own measured its
  message's delay, and one that came held up behind the frame before only
  bounds it (P(delay ≤ what it shows)): weighing the lateness order made of
  such frames as delays put a loss followed by quick arrivals too late, after
  frames that then played a slot early;
- loss: a gap of m ≥ 1 frames costs −log p − (m−1)·log q (p the loss rate,
  q the chance a loss goes on: bursts are cheaper per frame);
- waveform: the log-odds from `frame_continuity` that a frame is missing
  between two received frames.

The playout buffer decodes its queue whenever a slot is due (frame 0 no
earlier than the slot after the last one played; where the frames one after
another provably win, as on a clean network, without the recursion), and the
network estimate decodes the last seconds of arrivals in hindsight to learn the
sender's clock and the delay histograms from a path that saw every frame around
each one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.delay_histogram import DelayHistogram
from cxone_desktop.core.frame_timing import Anchoring, FrameTiming, FrameTimings

Float = npt.NDArray[np.float64]
Int64 = npt.NDArray[np.int64]

#: Slots a frame may belong to before the one its arrival points at (a 1.2 s hold-up: more
#: than any mode lets a backlog add), and after it (sent ahead by a batching sender).
LATE_SLOTS = 60
EARLY_SLOTS = 10
#: Weight of the waveform's log-odds against timing and the loss prior: as they are, the
#: gap model being calibrated. (The former hand-fitted clue wanted 1.6× inside a held-back
#: message; the model at 1.6× there: 13.3 changes a minute on the second call against 8.9.)
CONTINUITY_WEIGHT = 1.0

_WIDTH = LATE_SLOTS + EARLY_SLOTS + 1  # candidate slots per frame
#: How much more likely the consecutive path must be shown to be (nats): rounding in the
#: full decode's sums is far below this, so it would pick the same path.
_PROOF_MARGIN = 1e-6
_OFFSETS = np.arange(_WIDTH, dtype=np.int64)
_OFFSETS.flags.writeable = False
#: Up to this many frames (a live queue: nearly always 2-4) a decode works out the windows in
#: Python floats: a few numpy calls on tiny arrays cost more than the same arithmetic.
FEW_FRAMES = 8
#: Per step ≥ 2 between two frames' lowest candidates, where each candidate's running minimum
#: is read: min(k + step − 2, last) (from step width + 1 on, the last one for all).
_REACHES = [np.minimum(_OFFSETS + (step - 2), _WIDTH - 1) for step in range(_WIDTH + 2)]


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
    done: DelayHistogram  # (anchored arrival − due), s: its log density weighs each frame
    began: DelayHistogram  # (began − due), s
    anchoring: Anchoring = Anchoring.COMPLETION
    #: Whose survival is P(the frame after the last one queued comes later than offset s past
    #: its due time); None: unknown (then the frames not yet here say nothing).
    unseen: DelayHistogram | None = None
    #: A held-back sender's message speaks for its last frame alone (`FrameTimings.speaks`).
    last_only: bool = False
    #: Each message's own delay (`SenderClock.own_delay`) where messages are frames kept in
    #: order: a frame that came on its own measured it, one held up behind another only
    #: bounds it. None: weigh every arrival by `done` (anchored) alone.
    own_delay: DelayHistogram | None = None


def decode_slots(
    frames: Sequence[FrameTiming] | FrameTimings,
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
    timings = frames if isinstance(frames, FrameTimings) else FrameTimings.of(frames)
    n = len(timings)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    width = _WIDTH
    offsets = _OFFSETS
    prices = _prices(prior.p, prior.q)
    keep, start, go_on, _, gap_after = prices
    arrivals = timings.anchored_s(model.anchoring, model.frame_s)
    if n <= FEW_FRAMES:
        low_list = _windows_few(arrivals.tolist(), model, first_slot, pin_first)
        if first_slot is not None and _consecutive_proven(
            timings, low_list, model, prior, first_slot, pin_first, now_s
        ):
            return np.arange(first_slot, first_slot + n, dtype=np.int64)
        lows = np.array(low_list, dtype=np.int64)
    else:
        lows = _windows(arrivals, model, first_slot, pin_first)
        low_list = lows.tolist()
    sent_ahead = (
        None
        if model.anchoring is Anchoring.COMPLETION
        else ~timings.speaks(model.anchoring, last_only=model.last_only)
    )
    emission = _emissions(
        arrivals,
        timings.began_s,
        model,
        lows[:, None] + offsets[None, :],
        sent_ahead,
        timings.bunched,
    )
    halves = (0.5 * CONTINUITY_WEIGHT * timings.gap_log_odds).tolist()
    low = low_list[0]
    cost = emission[0]
    if first_slot is not None:
        # Frames lost between the last one played and this one cost as any other loss.
        half = halves[0]
        if low == first_slot:  # as nearly always: then lost = offsets
            entry = gap_after - half
            entry[0] = keep + half
        else:
            lost = low + offsets - first_slot
            entry = np.where(lost == 0, keep + half, start + (lost - 1) * go_on - half)
        cost = cost + entry
    if pin_first:
        cost = np.where(offsets == 0, cost, np.inf)
    cost, jumped, earlier = _forward(cost, emission, low_list, halves, prices)
    low = low_list[n - 1]
    if now_s is not None and model.unseen is not None:
        cost = cost + _unseen_cost(offsets + (low + 1), model, prior, now_s)
    last = width - 1
    came_after_losses = jumped.tobytes()  # one byte per candidate, read without numpy calls
    path = [0] * n
    slot = low + int(cost.argmin())
    for j in range(n - 1, 0, -1):
        path[j] = slot
        k = slot - low_list[j]
        if came_after_losses[j * width + k]:  # the best slot at most s − 2 (its last, on a tie)
            reach_k = min(k + low_list[j] - low_list[j - 1] - 2, last)
            slot = low_list[j - 1] + reach_k - int(earlier[j, reach_k::-1].argmin())
        else:
            slot -= 1
    path[0] = slot
    return np.array(path, dtype=np.int64)


def _consecutive_proven(
    timings: FrameTimings,
    lows: list[int],
    model: ArrivalModel,
    prior: LossPrior,
    first_slot: int,
    pin_first: bool,
    now_s: float | None,
) -> bool:
    """Whether the frames in the slots from `first_slot` on, one after another, are the
    decode's answer, shown without the decode (a live queue on a clean network: 2-4 frames,
    each where its arrival points). In Python floats: a few frames.

    Those are the lowest slots each frame may have, so any other path has at least one
    gap, which costs `start − keep − 2·half` more than the step it replaces; moving frames
    later can lower each one's emission by at most its excess over the likelihood's peak,
    and the next frame's unseen cost by at most its value. When the cheapest gap outweighs
    all of that, no other path is as likely."""
    if model.anchoring is not Anchoring.COMPLETION:
        return False
    n = len(lows)
    for j in range(n):  # each frame's slot among its candidates
        if not lows[j] <= first_slot + j < lows[j] + _WIDTH:
            return False
    keep, start, _, _, _ = _prices(prior.p, prior.q)
    odds = timings.gap_log_odds.tolist()
    gaps = odds[1:] if pin_first else odds  # a pinned head has no gap before it
    margin = start - keep - CONTINUITY_WEIGHT * max(gaps) if gaps else math.inf
    origin_s, frame_s, began = model.origin_s, model.frame_s, model.began
    # A frame held up behind another (weighed by the chance its own delay was at most what
    # it shows) only gets less likely in a later slot: it can gain nothing.
    weigh, bunched = _arrival_weights(model, timings.bunched)
    held = [False] * n if bunched is None else bunched.tolist()
    peak = weigh.peak_log_likelihood()
    excess = 0.0
    arrivals = zip(timings.done_s.tolist(), timings.began_s.tolist(), strict=True)
    for j, (done_s, began_s) in enumerate(arrivals):
        due_s = origin_s + (first_slot + j) * frame_s
        if not held[j]:
            excess += peak - weigh.log_likelihood_at(done_s - due_s)
        if began_s == began_s:  # not nan: a message began inside this frame
            excess += began.peak_log_likelihood() - began.log_likelihood_at(began_s - due_s)
    if now_s is not None and model.unseen is not None:  # `_unseen_cost` of the next slot
        survive = model.unseen.survival_at(now_s - (origin_s + (first_slot + n) * frame_s))
        excess -= math.log(prior.p + (1.0 - prior.p) * survive)
    return margin - excess > _PROOF_MARGIN


@functools.lru_cache(maxsize=8)
def _prices(p: float, q: float) -> tuple[float, float, float, Float, Float]:
    """Costs of the loss prior (p, q changes twice a second at most): a frame kept, a gap
    started, a gap going on, the latter × each candidate's offset, and a gap of `offset`
    frames before a frame (start + (offset − 1) × go_on; offset 0 is no gap)."""
    # Python floats (the same doubles, and the same arithmetic on them): cheaper in the loop.
    keep = float(-np.log1p(-p))
    start = float(-np.log(p))
    go_on = float(-np.log(q))
    offsets_go_on = _OFFSETS * np.float64(go_on)
    offsets_go_on.flags.writeable = False
    gap_after: Float = start + (_OFFSETS - 1) * np.float64(go_on)
    gap_after.flags.writeable = False
    return keep, start, go_on, offsets_go_on, gap_after


def _forward(
    cost: Float,
    emission: Float,
    low_list: list[int],
    halves: list[float],
    prices: tuple[float, float, float, Float, Float],
) -> tuple[Float, npt.NDArray[np.bool_], Float]:
    """The Viterbi recursion from frame 0's `cost` on: the last frame's costs, and per frame
    whether each candidate came after losses and the costs the best earlier slot is found
    among (row 0 unused), so back-pointers are worked out only along the chosen path.

    Lows strictly increase, so the candidates of frame j are those of frame j − 1 shifted by
    `step` ≥ 1: the transitions are slices, not gathers. This runs 500 times on every
    hindsight decode, so each frame costs a handful of numpy calls into rows allocated once
    (the arithmetic, and its order, is that of the plain formulas in the comments)."""
    keep, start, go_on, offsets_go_on, _ = prices
    n, width = emission.shape
    if n == 1:
        return cost, np.zeros((n, width), dtype=np.bool_), np.empty((n, width))
    # Per frame, the cost of each candidate as adjacent (`stays`) and the better of that and
    # after losses (`bests`, before the frame's own emission): where the latter is lower, the
    # candidate came after losses, found for all frames at once at the end. (All rows in two
    # allocations: for the few frames of a live queue, each numpy call counts.)
    earlier, stays, bests = np.empty((3, n, width))
    stays[0] = bests[0] = 0.0
    tail_go_on = offsets_go_on[1:]
    base = low_list[0]
    # (slot × go_on) for every slot a frame may have, once: (prev_low + offsets) × go_on.
    slot_go_on = np.arange(base, low_list[-1] + width, dtype=np.int64) * go_on
    running, adjacent_jump, wide_jump, row_a, row_b = np.empty((5, width))  # jumps: step 1, ≥ 2
    adjacent_jump[0] = np.inf  # candidate 0 has no slot s − 2 in the window after step 1
    jump_tail, running_head = adjacent_jump[1:], running[:-1]
    rows = (row_a, row_b)
    # The ufuncs as locals: this loop is all calls into numpy. (Their output by keyword: by
    # position made this loop half as slow again, though not a ufunc call alone.)
    add, subtract, minimum = np.add, np.subtract, np.minimum
    running_minimum = np.minimum.accumulate
    prev_cost = cost
    frames = zip(
        low_list[:-1],
        low_list[1:],
        halves[1:],
        earlier[1:],
        stays[1:],
        bests[1:],
        emission[1:],
        strict=True,
    )
    for j, (prev_low, low, half, shifted, stay, best, emitted) in enumerate(frames, 1):
        step = low - prev_low
        stay_price = keep + half
        jump_price = start - half + (low - 2) * go_on
        # Adjacent: the previous frame had slot s − 1, candidate k + step − 1 before:
        # stay[k] = prev_cost[k + step − 1] + (keep + half), inf beyond the window.
        if step == 1:
            add(prev_cost, stay_price, out=stay)
        elif step - 1 < width:
            add(prev_cost[step - 1 :], stay_price, out=stay[: width - step + 1])
            stay[width - step + 1 :] = np.inf
        else:
            stay.fill(np.inf)
        # After m ≥ 1 lost: any previous slot s' ≤ s − 2, via a running minimum of
        # shifted = prev_cost − (prev_low + offsets) × go_on.
        at = prev_low - base
        subtract(prev_cost, slot_go_on[at : at + width], out=shifted)
        running_minimum(shifted, out=running)
        # jump[k] = running[min(k + step − 2, last)] + (start − half + (low − 2) × go_on)
        #           + k × go_on, for the candidates with some s' ≤ s − 2 in the window
        # (all but k = 0 when step is 1).
        if step == 1:
            jump = adjacent_jump
            add(running_head, jump_price, out=jump_tail)
            add(jump_tail, tail_go_on, out=jump_tail)
        else:
            jump = wide_jump
            running.take(_REACHES[min(step, width + 1)], out=jump)
            add(jump, jump_price, out=jump)
            add(jump, offsets_go_on, out=jump)
        # cost = min(jump, stay) + emission[j], into the row the previous cost is not in.
        minimum(jump, stay, out=best)
        cost = rows[j & 1]
        add(best, emitted, out=cost)
        prev_cost = cost
    jumped = bests < stays  # jump < stay exactly where min(jump, stay) < stay
    return cost, jumped, earlier


def _unseen_cost(next_slots: Int64, model: ArrivalModel, prior: LossPrior, now_s: float) -> Float:
    """Cost of the next frame not having come by `now_s`, if it has slot s + 1 (`next_slots`)
    after the last one's s: it was lost, or it is later than its due time allows. Without it
    a path that puts a loss past the frames queued pays nothing for it, so losses are guessed
    late: the frames after one are played a slot early (a 20 ms jump) and the gap is
    concealed later in sound."""
    assert model.unseen is not None
    # (The integer slots go to float64 inside the product, as astype would take them.)
    due = cast(Float, model.origin_s + next_slots * model.frame_s)
    survive = model.unseen.survival(now_s - due)
    cost: Float = -np.log(prior.p + (1.0 - prior.p) * survive)
    return cost


def _windows(
    arrivals: Float, model: ArrivalModel, first_slot: int | None, pin_first: bool
) -> Int64:
    """The lowest candidate slot of each frame (`arrivals`: anchored): `LATE_SLOTS` before
    where its arrival points, and always above the previous frame's."""
    nominal = np.floor((arrivals - model.origin_s) / model.frame_s + 0.5).astype(np.int64)
    lows = nominal - LATE_SLOTS
    if first_slot is not None:
        lows[0] = first_slot if pin_first else max(int(lows[0]), first_slot)
    # Each at least one above the one before: lows[j] − j never falls.
    steps = np.arange(len(lows), dtype=np.int64)
    raised: Int64 = np.maximum.accumulate(lows - steps) + steps
    return raised


def _windows_few(
    arrivals: list[float], model: ArrivalModel, first_slot: int | None, pin_first: bool
) -> list[int]:
    """`_windows` for a few frames, in Python: the same arithmetic on the same doubles (minus
    the origin, over the frame, plus a half, floored), and each low raised to one above the
    one before, as the running maximum of lows[j] − j does."""
    origin_s, frame_s = model.origin_s, model.frame_s
    lows = [math.floor((arrival - origin_s) / frame_s + 0.5) - LATE_SLOTS for arrival in arrivals]
    if first_slot is not None:
        lows[0] = first_slot if pin_first else max(lows[0], first_slot)
    for j in range(1, len(lows)):
        lows[j] = max(lows[j], lows[j - 1] + 1)
    return lows


def _arrival_weights(
    model: ArrivalModel, bunched: npt.NDArray[np.bool_] | None
) -> tuple[DelayHistogram, npt.NDArray[np.bool_] | None]:
    """The histogram a frame's arrival is weighed by, and which frames it bounds rather than
    measures (None: none): each message's own delay where it was learned and the frames say
    which came held up, else the anchored arrivals' `done`. (The decode and its shortcut
    proof must weigh alike.)"""
    if model.own_delay is not None and bunched is not None:
        return model.own_delay, bunched
    return model.done, None


def _emissions(
    arrivals: Float,
    began: Float,
    model: ArrivalModel,
    slots: Int64,
    sent_ahead: npt.NDArray[np.bool_] | None = None,
    bunched: npt.NDArray[np.bool_] | None = None,
) -> Float:
    """Cost (−log likelihood) of each frame's arrival (anchored, and when a message began in
    it: `began`, nan if none) for each of its candidate slots; frames `sent_ahead` of theirs
    (see `FrameTimings.speaks`) get no cost from the arrival."""
    # (The integer slots go to float64 inside the product, as astype would take them.)
    due = cast(Float, model.origin_s + slots * model.frame_s)
    late = arrivals[:, None] - due
    weigh, held_up = _arrival_weights(model, bunched)
    cost = -weigh.log_likelihood(late.reshape(-1)).reshape(due.shape)
    if held_up is not None and np.logical_or.reduce(held_up):  # behind the frame before
        held = late[held_up]
        cost[held_up] = -weigh.log_cumulative(held.reshape(-1)).reshape(held.shape)
    if sent_ahead is not None:
        cost[sent_ahead] = 0.0  # the message's arrival speaks for another frame
    unknown = np.isnan(began)
    # (Reductions as ufuncs: ndarray.all/any go through Python.)
    if not np.logical_or.reduce(unknown):  # the same arithmetic as below, without picking rows
        cost -= model.began.log_likelihood((began[:, None] - due).reshape(-1)).reshape(due.shape)
    elif not np.logical_and.reduce(unknown):
        known = ~unknown
        offsets = (began[known][:, None] - due[known]).reshape(-1)
        cost[known] -= model.began.log_likelihood(offsets).reshape(-1, due.shape[1])
    return cost
