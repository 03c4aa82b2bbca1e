"""The slot decoder on hand-made arrivals: losses from timing, from the waveform, from both;
the sender's clock estimated in hindsight however the sender batches."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from cxone_desktop.core.delay_histogram import DelayHistogram
from cxone_desktop.core.frame_timing import Anchoring, FrameTiming, FrameTimings
from cxone_desktop.core.sender_clock import SenderClock
from cxone_desktop.core.slot_decoder import (
    CONTINUITY_WEIGHT,
    EARLY_SLOTS,
    LATE_SLOTS,
    ArrivalModel,
    LossPrior,
    _emissions,
    _windows,
    decode_slots,
)

F = 0.020
PRIOR = LossPrior(0.02, 0.2)


def model(spread_s: float = 0.010, anchoring: Anchoring = Anchoring.COMPLETION) -> ArrivalModel:
    rng = np.random.default_rng(0)
    done = DelayHistogram()
    done.replace(rng.uniform(-spread_s, spread_s, 2000))
    return ArrivalModel(0.0, F, done, DelayHistogram(), anchoring)


def timings(arrivals: list[float], odds: dict[int, float] | None = None) -> list[FrameTiming]:
    odds = odds or {}
    return [FrameTiming(t, float("nan"), odds.get(j, 0.0)) for j, t in enumerate(arrivals)]


def test_frames_on_time_get_consecutive_slots_and_a_missing_one_leaves_its_gap() -> None:
    slots = [0, 1, 2, 4, 5, 6, 7]
    got = decode_slots(timings([s * F for s in slots]), model(), PRIOR, first_slot=0)
    assert got.tolist() == slots


def test_where_timing_cannot_tell_the_waveform_does() -> None:
    # 40 ms of jitter: frames 3..5 fit slots 3..5 or 4..6; the waveform says the gap is at 4.
    arrivals = [0.0, 0.02, 0.04, 0.085, 0.09, 0.11, 0.14]
    loose = model(spread_s=0.030)
    at_four = decode_slots(timings(arrivals, {4: 4.0}), loose, PRIOR, first_slot=0)
    at_three = decode_slots(timings(arrivals, {3: 4.0}), loose, PRIOR, first_slot=0)
    assert at_four.tolist() == [0, 1, 2, 3, 5, 6, 7]
    assert at_three.tolist() == [0, 1, 2, 4, 5, 6, 7]


def test_a_frame_not_come_by_now_speaks_against_a_loss_put_past_the_queue() -> None:
    # Arrivals 0–40 ms late; slot 3 lost, and frames 4..7 came early enough to fit slots
    # 3..6 as well. The waveform leans (weakly) toward a gap before frame 3. Without the time
    # now, a path that puts the loss after the queue pays nothing for it and wins. 45 ms
    # after slot 7 was due, nothing more has come: on that path the next frame would be
    # later than any seen (or lost too), so the loss was where the waveform says.
    rng = np.random.default_rng(1)
    done = DelayHistogram()
    done.replace(rng.uniform(0.0, 0.040, 2000))
    late = ArrivalModel(0.0, F, done, DelayHistogram())
    seen = replace(late, unseen=done)
    truth = [0, 1, 2, 4, 5, 6, 7]
    lateness = [0.03, 0.025, 0.02, 0.01, 0.015, 0.005, 0.01]
    arrivals = [s * F + d for s, d in zip(truth, lateness, strict=True)]
    frames, prior = timings(arrivals, {3: 1.0}), LossPrior(0.05, 0.2)
    blind = decode_slots(frames, seen, prior, first_slot=0)
    at_now = decode_slots(frames, seen, prior, first_slot=0, now_s=7 * F + 0.045)
    assert blind.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert at_now.tolist() == truth


def test_frames_held_up_behind_another_bound_their_delay_so_a_loss_goes_where_it_was() -> None:
    # One-frame messages, each 0-100 ms on the way, kept in order (TCP): a frame that waited
    # for the one before arrives with it. Slot 8 was lost and the frames after it came quickly
    # until one 95 ms on the way shows the slots moved on by one. Weighed by lateness alone,
    # low lateness looks unlikely (order made most frames later than they were sent), so the
    # loss is put as late as it can be; weighed by each message's own delay, with held-up
    # frames counted as bounds, timing cannot tell and the waveform's lean decides.
    rng = np.random.default_rng(3)
    count = 3000
    arrivals = np.maximum.accumulate(np.arange(count) * F + rng.uniform(0, 0.1, count))
    lateness = arrivals - np.arange(count) * F
    held = np.concatenate([[False], np.diff(arrivals) < 0.001])
    plain, own = DelayHistogram(), DelayHistogram()
    plain.replace(lateness)
    own.replace_censored(lateness, held)
    truth = list(range(8)) + list(range(9, 20))
    delays = [0.05, 0.07, 0.09, 0.06, 0.04, 0.08, 0.06, 0.05]
    delays += [0.012, 0.022, 0.018, 0.008, 0.035, 0.015, 0.095, 0.076, 0.053, 0.033, 0.043]
    came = np.maximum.accumulate([s * F + d for s, d in zip(truth, delays, strict=True)])
    frames = [
        FrameTiming(
            float(t),
            float("nan"),
            2.0 if j == 8 else -2.0 if j else 0.0,  # the waveform leans toward a gap at 8
            bunched=bool(j and t - came[j - 1] < 0.001),
        )
        for j, t in enumerate(came)
    ]
    by_lateness = ArrivalModel(0.0, F, plain, DelayHistogram(), unseen=plain)
    by_own_delay = replace(by_lateness, unseen=own, own_delay=own)
    now = float(came[-1]) + 0.005
    prior = LossPrior(0.05, 0.2)
    misplaced = decode_slots(frames, by_lateness, prior, first_slot=0, now_s=now).tolist()
    placed = decode_slots(frames, by_own_delay, prior, first_slot=0, now_s=now).tolist()
    assert placed == truth
    assert misplaced != truth and misplaced[8] == 8  # the frames after the loss a slot early


def test_a_pinned_first_frame_keeps_its_slot_whatever_its_timing_says() -> None:
    free = decode_slots(timings([0.2, 0.22]), model(), PRIOR, first_slot=7)
    pinned = decode_slots(timings([0.2, 0.22]), model(), PRIOR, first_slot=7, pin_first=True)
    assert free[0] == 10 and pinned[0] == 7


def test_a_backlog_arriving_at_once_is_late_not_a_run_of_losses() -> None:
    # Frames 2..21 held up for 400 ms, then all at once (the newest one just due), then on.
    arrivals = [0.0, 0.02] + [0.42] * 20 + [0.44, 0.46]
    got = decode_slots(timings(arrivals), model(), PRIOR, first_slot=0)
    assert got.tolist() == list(range(24))


def batching_arrivals(seed: int, frames: int = 600, lost: float = 0.05):
    """Messages of 1..3 frames sent when their first frame is due, 0–40 ms on the way."""
    rng = random.Random(seed)
    kept = [k for k in range(frames) if rng.random() >= lost]
    out, k, last = [], 0, 0.0
    while k < len(kept):
        n = min(rng.randint(1, 3), len(kept) - k)
        last = max(last, 100.0 + kept[k] * F + rng.uniform(0, 0.04))
        out += [FrameTiming(last, float("nan"), 0.0, before=j, after=n - 1 - j) for j in range(n)]
        k += n
    return kept, out


@pytest.mark.parametrize("seed", [1, 2])
def test_hindsight_finds_a_batching_senders_clock_and_anchoring(seed: int) -> None:
    _, frames = batching_arrivals(seed)
    clock = SenderClock(F)
    clock.anchor(0, frames[0].done_s)
    for timing, slot in zip(frames, range(len(frames)), strict=True):
        clock.record(timing, slot)  # played without any loss found: the live numbering is off
    for _ in range(3):
        clock.refresh(LossPrior(0.05, 0.2))
    assert clock.anchoring is Anchoring.FIRST  # the arrival speaks for a message's first frame
    assert clock.frame_s == pytest.approx(F, rel=2e-3)
    assert 0.02 <= clock.loss <= 0.09
    # Frames sent ahead do not drag the clock: the typical frame is on time, not early.
    anchored = clock.anchored
    assert anchored.quantile(0.01) > -0.025
    assert anchored.quantile(0.99) < 0.030


def plain_viterbi(
    frames: list[FrameTiming], model: ArrivalModel, prior: LossPrior, first_slot: int | None
) -> list[int]:
    """The textbook decode, slot by slot in Python over the same candidate windows and
    emissions: what the vectorized recursion must find."""
    arrivals = FrameTimings.of(frames).anchored_s(model.anchoring, model.frame_s)
    lows = _windows(arrivals, model, first_slot, False)
    width = LATE_SLOTS + EARLY_SLOTS + 1
    began = np.array([f.began_s for f in frames])
    emission = _emissions(arrivals, began, model, lows[:, None] + np.arange(width)[None, :])
    keep, start, go_on = -np.log1p(-prior.p), -np.log(prior.p), -np.log(prior.q)

    def gap(lost: int, half: float) -> float:
        return float(keep + half if lost == 0 else start + (lost - 1) * go_on - half)

    halves = [0.5 * CONTINUITY_WEIGHT * f.gap_log_odds for f in frames]
    cost = {int(lows[0]) + k: float(emission[0][k]) for k in range(width)}
    if first_slot is not None:
        cost = {s: c + gap(s - first_slot, halves[0]) for s, c in cost.items()}
    back: list[dict[int, int]] = [{}]
    for j in range(1, len(frames)):
        new, came_from = {}, {}
        for k in range(width):
            s = int(lows[j]) + k
            options = [(c + gap(s - p - 1, halves[j]), p) for p, c in cost.items() if p < s]
            if options:
                best, came_from[s] = min(options)
                new[s] = best + float(emission[j][k])
        cost = new
        back.append(came_from)
    slot = min(cost, key=lambda s: cost[s])
    path = [slot]
    for j in range(len(frames) - 1, 0, -1):
        slot = back[j][slot]
        path.append(slot)
    return path[::-1]


@pytest.mark.parametrize("seed", range(6))
def test_the_recursion_finds_the_path_the_plain_decode_finds(seed: int) -> None:
    """Random arrivals, losses, early batches and waveform evidence: the vectorized Viterbi (and
    its back-pointers, kept only along the path) agrees with a slot-by-slot decode."""
    rng = random.Random(seed)
    slot, last, frames = 0, 0.0, []
    while len(frames) < 40:
        slot += 1 if rng.random() > 0.15 else rng.randint(2, 5)  # a loss now and then
        early = rng.choice([0, 0, 0, 1, 2]) * F  # a batching sender's frames sent ahead
        last = max(last, slot * F - early + rng.uniform(0, 0.03))
        began = last - rng.uniform(0, 0.01) if rng.random() < 0.3 else float("nan")
        frames.append(FrameTiming(last, began, rng.uniform(-3, 3) if rng.random() < 0.3 else 0.0))
    seen = model(spread_s=0.02)
    began_model = DelayHistogram(prior_spread_s=0.015)
    began_model.replace(np.random.default_rng(seed).uniform(-0.01, 0.0, 200))
    seen = replace(seen, began=began_model)
    prior = LossPrior(rng.uniform(0.01, 0.2), rng.uniform(0.1, 0.6))
    first = None if seed % 2 else 0
    got = decode_slots(frames, seen, prior, first_slot=first)
    assert got.tolist() == plain_viterbi(frames, seen, prior, first)


def test_frames_a_batching_sender_sent_ahead_do_not_argue_against_a_loss_among_them() -> None:
    """A message is sent when its first frame is due and carries the next frames with it,
    whatever was lost between: its arrival times its first frame only. Here slot 11 was
    lost inside a message that arrived 1 ms after slot 10 was due; counted as evidence for
    the second frame too, that arrival would put it 19 ms before slot 12 was due (earlier
    than any arrival) and outweigh the waveform's sign of a gap."""
    rng = np.random.default_rng(2)
    anchored = DelayHistogram()
    anchored.replace(rng.uniform(0.0, 0.04, 2000))  # sent on time, 0-40 ms on the way
    first = ArrivalModel(0.0, F, anchored, anchored, Anchoring.FIRST)
    nan = float("nan")
    frames = [
        FrameTiming(0.180, nan, 0.0),  # slot 8
        FrameTiming(0.190, nan, 0.0),  # slot 9
        FrameTiming(0.201, nan, 0.0, before=0, after=1),  # slot 10, and in the same message
        FrameTiming(0.201, nan, 3.0, before=1, after=0),  # slot 12: the waveform sees a gap
        FrameTiming(0.262, nan, 0.0),  # slot 13
        FrameTiming(0.300, nan, 0.0),  # slot 14
    ]
    got = decode_slots(frames, first, LossPrior(0.05, 0.2), first_slot=8)
    assert got.tolist() == [8, 9, 10, 12, 13, 14]
    timings = FrameTimings.of(frames)
    assert timings.speaks(Anchoring.FIRST).tolist() == [True, True, True, False, True, True]
    assert timings.speaks(Anchoring.COMPLETION).all()
