"""The playout's per-slot shortcuts against the general code they stand for, bit for bit.

Each shortcut (a few frames decoded with Python floats, the waveform-evidence rule on
lists, the frames before the queue's head kept unmixed, a stereo frame played out of a gap
in one go) must be the same arithmetic in the same order as the general path: these
compare the two on random inputs, exactly, not within a tolerance. One skips the decode
where its answer is proven (a clean network's queue, one frame after another): wherever
it is taken, the full decode must give the same slots.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from cxone_desktop.core import slot_decoder
from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.concealment import Concealer
from cxone_desktop.core.delay_histogram import DelayHistogram
from cxone_desktop.core.frame_continuity import ContinuityProbe
from cxone_desktop.core.frame_queue import FrameQueue
from cxone_desktop.core.frame_timing import FrameTiming, FrameTimings
from cxone_desktop.core.queue_decoder import QueueDecoder
from cxone_desktop.core.sender_clock import SenderClock, tightest_anchoring
from cxone_desktop.core.slot_decoder import (
    FEW_FRAMES,
    ArrivalModel,
    LossPrior,
    _windows,
    _windows_few,
    decode_slots,
)

from .test_concealment import vowel

F = 0.020
PROOF = slot_decoder._consecutive_proven


def random_model(rng: random.Random) -> ArrivalModel:
    done, began = DelayHistogram(), DelayHistogram(prior_spread_s=0.015)
    done.replace(np.random.default_rng(rng.randrange(1000)).gamma(2.0, 0.01, 300) - 0.01)
    began.replace(np.random.default_rng(rng.randrange(1000)).uniform(-0.015, 0.0, 100))
    return ArrivalModel(
        rng.uniform(-5.0, 5.0),  # an origin that is not a whole number of frames
        F * (1 + rng.uniform(-0.001, 0.001)),
        done,
        began,
        unseen=done,
    )


def random_frames(rng: random.Random, count: int, model: ArrivalModel) -> list[FrameTiming]:
    slot, last, frames = rng.randint(0, 5000), 0.0, []
    for _ in range(count):
        slot += 1 if rng.random() > 0.2 else rng.randint(2, 4)
        due = model.origin_s + slot * model.frame_s
        last = max(last, due + rng.uniform(-0.01, 0.06))
        began = last - rng.uniform(0, 0.02) if rng.random() < 0.3 else float("nan")
        odds = rng.uniform(-5, 5) if rng.random() < 0.3 else 0.0
        frames.append(FrameTiming(last, began, odds))
    return frames


@pytest.mark.parametrize("seed", range(40))
def test_a_few_frames_windows_are_those_of_the_array_form(seed: int) -> None:
    rng = random.Random(seed)
    model = random_model(rng)
    frames = random_frames(rng, rng.randint(1, FEW_FRAMES), model)
    arrivals = FrameTimings.of(frames).done_s
    nominal = int(np.floor((arrivals[0] - model.origin_s) / model.frame_s + 0.5))
    first = rng.choice([None, nominal - rng.randint(-3, 80)])
    pin = first is not None and rng.random() < 0.3
    expected = _windows(arrivals, model, first, pin).tolist()
    assert _windows_few(arrivals.tolist(), model, first, pin) == expected


@pytest.mark.parametrize("seed", range(40))
def test_a_few_frames_decode_as_the_general_path_decodes_them(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    model = random_model(rng)
    frames = random_frames(rng, rng.randint(1, FEW_FRAMES), model)
    prior = LossPrior(rng.uniform(0.003, 0.3), rng.uniform(0.05, 0.9))
    nominal = round((frames[0].done_s - model.origin_s) / model.frame_s)
    first = rng.choice([None, nominal - rng.randint(0, 5)])
    pin = first is not None and rng.random() < 0.3
    now = frames[-1].done_s + rng.uniform(0, 0.05) if rng.random() < 0.7 else None
    kwargs = {"first_slot": first, "pin_first": pin, "now_s": now}
    few = decode_slots(frames, model, prior, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(slot_decoder, "FEW_FRAMES", 0)
    general = decode_slots(frames, model, prior, **kwargs)  # type: ignore[arg-type]
    assert few.tolist() == general.tolist()


def decode_both_ways(
    monkeypatch: pytest.MonkeyPatch,
    frames: list[FrameTiming],
    model: ArrivalModel,
    prior: LossPrior,
    first: int,
    pin: bool,
    now: float,
) -> bool:
    """Decode with the consecutive-path proof and without it: the same slots, and one after
    another wherever the proof was taken. Returns whether it was."""
    taken = []

    def spy(*args: object) -> bool:
        taken.append(PROOF(*args))  # type: ignore[arg-type]
        return taken[-1]

    kwargs = {"first_slot": first, "pin_first": pin, "now_s": now}
    monkeypatch.setattr(slot_decoder, "_consecutive_proven", spy)
    shown = decode_slots(frames, model, prior, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(slot_decoder, "_consecutive_proven", lambda *a: False)
    full = decode_slots(frames, model, prior, **kwargs)  # type: ignore[arg-type]
    assert shown.tolist() == full.tolist()
    if taken[-1]:
        assert full.tolist() == list(range(first, first + len(frames)))
    return taken[-1]


@pytest.mark.parametrize("seed", range(12))
def test_a_queue_shown_consecutive_decodes_so_and_the_proof_holds_on_clean_networks(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut that skips the decode when the frames one after another are provably
    its answer: wherever it is taken the full decode agrees, and on a steady network (a few
    ms of scatter, the odd loss) it is taken for most queues, else it would save nothing."""
    rng = random.Random(1000 + seed)
    done = DelayHistogram()
    jitter = rng.uniform(0.002, 0.012)
    done.replace(np.random.default_rng(seed).uniform(0.0, jitter, 500))
    began = DelayHistogram(prior_spread_s=0.015)
    model = ArrivalModel(rng.uniform(-5.0, 5.0), F, done, began, unseen=done)
    proofs: list[bool] = []
    clean = []
    for _ in range(80):
        first = rng.randint(0, 5000)
        slot, frames, steady = first - 1, [], rng.random() < 0.5
        for _ in range(rng.randint(1, 4)):
            slot += 1 if steady or rng.random() > 0.1 else 2
            arrival = model.origin_s + slot * F + rng.uniform(0.0, jitter)
            odds = rng.uniform(-3, 3) if not steady and rng.random() < 0.3 else 0.0
            frames.append(FrameTiming(arrival, float("nan"), odds))
        p = 0.003 if steady else rng.choice([0.003, 0.01, 0.05, 0.2])
        prior = LossPrior(p, rng.uniform(0.05, 0.9))
        now = frames[-1].done_s + rng.uniform(0, 0.01 if steady else 0.04)
        pin = rng.random() < 0.2
        proofs.append(decode_both_ways(monkeypatch, frames, model, prior, first, pin, now))
        if steady:
            clean.append(proofs[-1])
    assert sum(clean) >= 0.9 * len(clean)  # a clean network's queues skip the decode
    assert not all(proofs)  # and the rest are decoded


@pytest.mark.parametrize("seed", range(12))
def test_the_proof_holds_where_frames_weighed_by_their_own_delay_came_held_up(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With each message's own delay weighed (`ArrivalModel.own_delay`), a frame held up behind
    another counts as a bound, which a later slot only makes less likely: the proof leaves
    it out, and must still agree with the full decode wherever it is taken."""
    rng = random.Random(2000 + seed)
    jitter = rng.uniform(0.004, 0.1)
    own = DelayHistogram()
    own.replace(np.random.default_rng(seed).uniform(0.0, jitter, 500))
    origin = rng.uniform(-5.0, 5.0)
    model = ArrivalModel(origin, F, own, DelayHistogram(), unseen=own, own_delay=own)
    proofs = []
    for _ in range(80):
        first = rng.randint(0, 5000)
        slot, frames, last = first - 1, [], -np.inf
        for _ in range(rng.randint(1, 6)):
            slot += 1 if rng.random() > 0.1 else 2
            arrival = max(last, model.origin_s + slot * F + rng.uniform(0.0, jitter))
            held = frames != [] and arrival - last < 0.001
            frames.append(FrameTiming(arrival, float("nan"), 0.0, bunched=held))
            last = arrival
        prior = LossPrior(rng.choice([0.003, 0.01, 0.05, 0.2]), rng.uniform(0.05, 0.9))
        now = frames[-1].done_s + rng.uniform(0, 0.04)
        pin = rng.random() < 0.2
        proofs.append(decode_both_ways(monkeypatch, frames, model, prior, first, pin, now))
    assert any(proofs) and not all(proofs)


@pytest.mark.parametrize("seed", range(10))
def test_a_histograms_single_values_are_its_arrays(seed: int) -> None:
    """The proof above reads one offset at a time; the decode reads arrays of them."""
    rng = np.random.default_rng(seed)
    histogram = DelayHistogram()
    if seed:  # (an empty one too: the prior alone, survival one half)
        histogram.replace(rng.gamma(2.0, 0.01 * seed, 200) - 0.01)
    offsets = np.concatenate([rng.uniform(-0.5, 1.5, 200), [-0.3, 0.0, 1.2, 1.2 + 1e-9, 3.0]])
    singles = [histogram.log_likelihood_at(x) for x in offsets.tolist()]
    assert singles == histogram.log_likelihood(offsets).tolist()
    assert [histogram.survival_at(x) for x in offsets.tolist()] == (
        histogram.survival(offsets).tolist()
    )
    assert histogram.peak_log_likelihood() == max(
        histogram.log_likelihood(np.linspace(-0.3, 1.2, 20001)).tolist()
    )


def reference_weighed(queue: FrameQueue, count: int, frame_s: float, pinned: bool) -> list[bool]:
    """The waveform-evidence rule as arrays (as it was written before it moved to lists)."""
    done = queue.arrivals(min(count + 1, len(queue)))[0]
    bunched = np.diff(done) < frame_s / 2
    weigh = np.zeros(count, dtype=np.bool_)
    weigh[1:] = bunched[: count - 1]
    weigh[: bunched.shape[0]] |= bunched
    if pinned and count:
        weigh[0] = False
    return [bool(w) for w in weigh]


@pytest.mark.parametrize("seed", range(20))
def test_the_waveform_is_weighed_where_the_array_rule_weighs_it(seed: int) -> None:
    rng = random.Random(seed)
    audio = vowel(12)
    queue = FrameQueue(160, 1, 8000)
    clock = SenderClock(F)
    decoder = QueueDecoder(queue, clock, F)
    decoder.waveform_needed = False
    t = 10.0
    for k in range(rng.randint(2, 10)):
        t += rng.choice([0.0, 0.002, 0.02, 0.02, 0.035])  # some bunched, some not
        queue.append(audio[k * 160 : (k + 1) * 160], t, float("nan"), 100.0)
    if rng.random() < 0.5:
        queue.pop()
    if rng.random() < 0.5:
        decoder.pin(3)
    count = rng.randint(1, len(queue))
    weighed = reference_weighed(queue, count, F, decoder.pinned)
    expected = [queue.gap_log_odds(j) if w else 0.0 for j, w in enumerate(weighed)]
    assert decoder._gap_log_odds(count) == expected
    assert any(weighed) or not any(expected)


def test_what_hindsight_records_of_a_pinned_head_keeps_the_waveforms_evidence() -> None:
    """A head pinned after a concealed gap: the live decode has placed that gap and skips the
    evidence; the timing kept for hindsight (which places every gap again) must carry it.
    Without it hindsight saw no waveform evidence at exactly the gaps played, merged nearby
    single losses into bursts and taught the decoder that losses come in bursts."""
    audio = vowel(8)
    queue = FrameQueue(160, 1, 8000)
    decoder = QueueDecoder(queue, SenderClock(F), F)
    for k in (0, 1, 2, 4, 5, 6):  # frame 3 missing
        queue.append(audio[k * 160 : (k + 1) * 160], 10.0 + k * F, float("nan"), 100.0)
    for _ in range(3):
        queue.pop()
    decoder.pin(4)
    evidence = queue.gap_log_odds(0)
    assert evidence > 2.0  # a frame cut out of a vowel
    assert decoder._gap_log_odds(1) == [0.0]  # the live decode: placed already
    assert decoder.timing(0).gap_log_odds == evidence


@pytest.mark.parametrize("channels", [1, 2])
def test_the_frames_before_the_head_are_the_last_two_popped_mixed_to_mono(channels: int) -> None:
    rng = np.random.default_rng(channels)
    mono = vowel(8)
    frames = np.stack([mono + k * rng.normal(0, 50, mono.shape[0]) for k in range(channels)])
    interleaved = np.rint(frames.T).astype(np.int16).reshape(-1, 160 * channels)
    queue = FrameQueue(160 * channels, channels, 8000)
    probe = ContinuityProbe(8000, 160)
    for k in range(6):
        queue.append(interleaved[k], 1.0 + k * F, float("nan"), 100.0)
    for popped in range(1, 4):
        queue.pop()
        kept = interleaved[max(0, popped - 2) : popped].reshape(-1, channels)
        before = np.add.reduce(kept.astype(np.float64), axis=1) / channels
        head = interleaved[popped : popped + 2].reshape(-1, channels)
        after = np.add.reduce(head.astype(np.float64), axis=1) / channels
        assert queue.gap_log_odds(0) == probe.gap_log_odds(before, after)


def test_a_stereo_frame_out_of_a_gap_plays_as_each_channel_plays_it() -> None:
    rng = np.random.default_rng(5)
    fmt = AudioFormat(channels=2)
    fast, per_channel = Concealer(fmt), Concealer(fmt)
    left, right = vowel(30, 118.0), vowel(30, 201.0) * 0.5
    stream = np.rint(np.stack([left, right], axis=1)).astype(np.int16).reshape(-1, 320)
    for k, frame in enumerate(stream):
        if rng.random() < 0.2:  # a gap now and then, so playing out of one is covered too
            assert np.array_equal(fast.conceal(), per_channel.conceal())
            continue
        played = fast.play(frame)
        expected = per_channel._each(lambda c, x: c.play(x), frame)
        assert played.dtype == np.int16 and np.array_equal(played, expected), k
    for a, b in zip(fast._mono, per_channel._mono, strict=True):
        assert np.array_equal(a._history, b._history)


def reference_tightest(timings: FrameTimings, slots: np.ndarray) -> object:
    """`tightest_anchoring` as the loop over every anchoring alone computes it."""
    from cxone_desktop.core.frame_timing import Anchoring
    from cxone_desktop.core.sender_clock import TIE_S

    best, best_spread = Anchoring.COMPLETION, np.inf
    for anchoring in (Anchoring.COMPLETION, Anchoring.FIRST, Anchoring.LAST):
        offsets = timings.anchored_s(anchoring, F) - slots * F
        low, high = np.quantile(offsets, [0.05, 0.95])
        if float(high - low) < best_spread - TIE_S:
            best, best_spread = anchoring, float(high - low)
    return best


@pytest.mark.parametrize("seed", range(10))
def test_the_tightest_anchoring_of_one_frame_messages_is_what_the_loop_finds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    slots = np.cumsum(rng.integers(1, 3, 200))
    done = 5.0 + slots * F + rng.gamma(2.0, 0.005, 200)
    zeros = np.zeros(200, dtype=np.int64)
    timings = FrameTimings(done, np.full(200, np.nan), np.zeros(200), zeros, zeros)
    assert tightest_anchoring(timings, slots, F) is reference_tightest(timings, slots)


def ratios_reference(before: np.ndarray, after: np.ndarray) -> np.ndarray | None:
    """`BoundaryPredictor.ratios` the plain way: each ratio with a fit and solve of its own
    (the order-12 and order-4 predictors each fitted anew, every span its own residual)."""
    from cxone_desktop.core import boundary_prediction as bp

    fit = 160
    if before.shape[0] < fit or after.shape[0] < fit:
        return None

    def predictor(stretch: np.ndarray, order: int) -> np.ndarray | None:
        x = stretch * np.hanning(fit)
        r = np.array([x[: fit - k] @ x[k:] for k in range(order + 1)])
        if r[0] <= 0.0:
            return None
        r[0] *= 1.0 + bp._WHITE_NOISE
        toeplitz = r[np.abs(np.subtract.outer(np.arange(order), np.arange(order)))]
        return np.concatenate(([1.0], np.linalg.solve(toeplitz, -r[1:])))

    def log_ratio(numerator: np.ndarray, denominator: np.ndarray) -> float:
        return float(np.log((np.mean(numerator**2) + 1.0) / (np.mean(denominator**2) + 1.0)))

    def past(fitted: np.ndarray, following: np.ndarray, h: int) -> float | None:
        c = predictor(fitted, bp.ORDER)
        if c is None:
            return None
        residual = np.convolve(np.concatenate([fitted, following[:h]]), c, "valid")
        return log_ratio(residual[-h:], residual[:-h])

    def into(near: np.ndarray, far: np.ndarray, k: int, order: int) -> float | None:
        c = predictor(far[:fit], order)
        if c is None:
            return None
        residual = np.convolve(np.concatenate([near[-order:], far[:96]]), c, "valid")
        return log_ratio(residual[:k], residual[16:96])

    ra, rb = before[::-1], after[::-1]
    values = [
        *(past(before[-fit:], after, h) for h in bp.PAST_SAMPLES),
        *(past(after[:fit][::-1], ra, h) for h in bp.PAST_SAMPLES),
        *(into(before, after, k, bp.ORDER) for k in bp.INTO_SAMPLES),
        *(into(rb, ra, k, bp.ORDER) for k in bp.INTO_SAMPLES),
        into(before, after, 8, bp.SHORT_ORDER),
        into(rb, ra, 8, bp.SHORT_ORDER),
    ]
    if any(v is None for v in values):
        return None
    return np.array(values, dtype=np.float64)


@pytest.mark.parametrize("seed", range(30))
def test_both_sides_predictors_solved_at_once_give_what_each_solved_alone_gives(seed: int) -> None:
    from cxone_desktop.core.boundary_prediction import BoundaryPredictor

    rng = np.random.default_rng(seed)
    predictor = BoundaryPredictor(8000)
    voice = vowel(6, float(rng.uniform(90, 250))) * rng.uniform(0.05, 2.0)
    signal = voice + rng.normal(0, rng.uniform(1, 300), voice.shape[0])
    cut = int(rng.integers(1, 4)) * 160 + int(rng.integers(0, 2)) * 160  # a gap, or none
    before, after = signal[:320], signal[cut + 320 : cut + 320 + int(rng.integers(150, 320))]
    if seed % 10 == 0:
        after = np.zeros_like(after)  # silence on a side: nothing to fit
    expected = ratios_reference(before, after)
    got = predictor.ratios(before, after)
    if expected is None:
        assert got is None
    else:
        assert got is not None and np.allclose(got, expected, rtol=1e-9, atol=1e-9)
