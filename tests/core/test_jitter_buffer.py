"""JitterBuffer on arrival schedules with explicit times: paced, batching, spikes, drift, large
frames and recorded traces. No clocks, no sockets."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from cxone_desktop.core.arrival_trace import parse_arrival_trace
from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.frame_continuity import ContinuityProbe
from cxone_desktop.core.jitter_buffer import JitterBuffer
from cxone_desktop.core.playout_batch import PlayoutBatch
from cxone_desktop.core.playout_policy import PlayoutMode
from cxone_desktop.errors import InputError
from cxone_desktop.simulator.arrival_schedule import ArrivalSchedule
from cxone_desktop.simulator.config import Impairments

from .playout_drive import (
    FIXTURES,
    F,
    N,
    demo_frames,
    drive,
    find_frames,
    messages_of_frames,
    noise_frames,
)

FRAME_BYTES = 2 * N


def paced(count: int, *, start: float = 100.0, period: float = F, skip: set[int] | None = None):
    return [(start + i * period, [i]) for i in range(count) if not skip or i not in skip]


def jittered(count: int, jitter_s: float, seed: int, skip: set[int] | None = None):
    """One frame a message, each up to `jitter_s` late, order kept (TCP)."""
    rng = random.Random(seed)
    out, last = [], 0.0
    for i in range(count):
        if skip and i in skip:
            continue
        last = max(last, 100.0 + i * F + rng.uniform(0, jitter_s))
        out.append((last, [i]))
    return out


def batching(source: np.ndarray, seed: int, *, most_frames: int = 3, delay_s: float = 0.04,
             lost: set[int] = frozenset()) -> list[tuple[float, bytes]]:  # fmt: skip
    """A batching sender: 1..N frames' bytes a message, split anywhere, sent when the frame of
    its first byte is due, plus up to `delay_s` on the way (order kept)."""
    rng = random.Random(seed)
    stream = bytearray()
    owner: list[int] = []  # which frame each byte belongs to
    for i, frame in enumerate(source):
        if i not in lost:
            stream += frame.tobytes()
            owner += [i] * FRAME_BYTES
    out, pos, last = [], 0, 0.0
    while pos < len(stream):
        size = rng.randint(1, most_frames * FRAME_BYTES)
        due = 100.0 + owner[pos] * F
        last = max(last, due + rng.uniform(0, delay_s))
        out.append((last, bytes(stream[pos : pos + size])))
        pos += size
    return out


# -- the steady cases ------------------------------------------------------------------------


def test_perfectly_paced_stream_comes_out_identical_with_constant_40ms_delay() -> None:
    frames = noise_frames(250)
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(paced(250), frames))
    assert np.array_equal(played.frames, frames)
    assert not played.concealed.any()
    assert jb.concealed_frames == 0 and jb.late_dropped_frames == 0
    assert jb.played_frames == 250
    assert played.waits_ms == pytest.approx([40.0] * len(played.waits_ms))
    assert len(played.waits_ms) >= 248  # (the last two come out of `drain`)
    assert jb.target_ms == pytest.approx(40.0)
    assert jb.time_scale_changes == 0


def test_each_frame_never_sent_is_concealed_in_its_place_and_the_rest_play_untouched() -> None:
    frames = noise_frames(300)
    lost = {50, 51, 52, 100, 200}
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(paced(300, skip=lost), frames))
    assert len(played.frames) == 300  # the output follows the media clock
    assert set(np.flatnonzero(played.concealed)) == lost
    assert jb.concealed_frames == len(lost) and jb.late_dropped_frames == 0
    kept = [i for i in range(300) if i not in lost]
    # The next frame was queued when each gap was due: the gap is bridged from both sides and
    # ends exactly where that frame begins, so every received frame plays bit-exact.
    assert np.array_equal(played.frames[kept], frames[kept])
    assert jb.time_scale_changes == 0


def test_zero_mode_fills_lost_slots_with_silence() -> None:
    frames = noise_frames(100)
    jb = JitterBuffer(concealment="zero")
    played = drive(jb, messages_of_frames(paced(100, skip={40}), frames))
    assert list(np.flatnonzero(played.concealed)) == [40]
    assert not played.frames[40].any()
    assert np.array_equal(played.frames[41], frames[41])


def test_a_bridged_gap_sounds_like_its_neighbours() -> None:
    frames = demo_frames(6.0, offset_s=2.0)
    loud = int(np.argmax(np.abs(frames.astype(float)).mean(axis=1)))
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(paced(len(frames), skip={loud}), frames))
    level = np.sqrt(np.mean(played.frames[loud].astype(float) ** 2))
    neighbours = np.sqrt(np.mean(frames[[loud - 1, loud + 1]].astype(float) ** 2))
    assert 0.3 * neighbours < level < 2.0 * neighbours


@pytest.mark.parametrize("seed", [3, 4])
def test_per_frame_jitter_keeps_one_delay_without_time_scale_changes(seed: int) -> None:
    frames = noise_frames(1500)  # 30 s
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(jittered(1500, 0.040, seed), frames))
    assert jb.concealed_frames <= 2 and jb.late_dropped_frames <= 2
    settled = [d for t, d, _, _ in played.trace if t > 3.0]
    assert max(settled) - min(settled) <= 25.0  # the delay holds (no swinging 40 → 100 → 40)
    assert played.changes_between(3.0, 30.0) <= 27.0 / 5  # at most one change per 5 s
    assert jb.target_ms <= 80.0


@pytest.mark.parametrize("seed", [5, 6])
def test_arrivals_within_half_a_frame_place_losses_by_timing_alone(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loss moves the frames after it a whole frame: arrivals scattered over less than half
    of one (a live app on a clean network scatters its own by 6-8 ms) say where it was, so
    the waveform's costly evidence is not worked out, and every loss is still in its place."""
    weighed = []
    original = ContinuityProbe.gap_log_odds

    def counted(self: ContinuityProbe, before: np.ndarray, after: np.ndarray) -> float:
        weighed.append(1)
        return original(self, before, after)

    monkeypatch.setattr(ContinuityProbe, "gap_log_odds", counted)
    frames = demo_frames(30.0)
    rng = random.Random(seed)
    lost = {i for i in range(40, 1500) if rng.random() < 0.05}
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(jittered(1500, 0.007, seed, skip=lost), frames))
    assert len(weighed) < 200  # while the scatter is being learned (every frame: ~1400)
    assert jb.concealed_frames == len(lost) and jb.late_dropped_frames == 0
    at = find_frames(played.frames, frames)
    kept = [i for i in range(len(frames)) if i not in lost and at[i] >= 0]
    assert len(kept) >= 0.95 * (len(frames) - len(lost))
    pairs = list(itertools.pairwise(kept))
    assert all(at[b] - at[a] == (b - a) * N for a, b in pairs)  # each gap exactly its length


# -- batching senders: early arrivals ---------------------------------------------------------


def test_a_batching_sender_sending_ahead_does_not_look_like_loss() -> None:
    """Six calls of 30 s: frames up to 40 ms early and up to 40 ms late. The clock estimate
    is not dragged down by the early ones, so frames are (almost never) taken for lost."""
    frames = demo_frames(30.0)
    concealed = changes = 0
    for seed in range(7, 13):
        jb = JitterBuffer()
        played = drive(jb, batching(frames, seed))
        assert jb.late_dropped_frames <= 2
        assert np.count_nonzero(find_frames(played.frames, frames) >= 0) >= 1500 - 30
        assert all(abs(d - g) <= 45.0 for t, d, g, _ in played.trace if t > 3.0)
        concealed += jb.concealed_frames
        changes += played.changes_between(3.0, 30.0)
    assert concealed <= 15  # of 9000 frames, none lost
    assert changes <= 6 * 27.0 / 5  # on average at most one time-scale change per 5 s


def test_a_batching_sender_with_loss_has_its_losses_found_near_their_place() -> None:
    frames = demo_frames(30.0)
    rng = random.Random(5)
    lost = {i for i in range(40, 1500) if rng.random() < 0.05}
    jb = JitterBuffer(mode="quality")
    played = drive(jb, batching(frames, 5, lost=lost))
    assert abs(jb.concealed_frames - len(lost)) <= 0.15 * len(lost)
    assert jb.late_dropped_frames <= 3
    # Neighbouring received frames land as far apart as they belong (a loss between them
    # concealed there, not a frame or two away): mostly.
    at = find_frames(played.frames, frames)
    kept = [i for i in range(len(frames)) if i not in lost and at[i] >= 0]
    pairs = list(itertools.pairwise(kept))
    right = sum(at[b] - at[a] == (b - a) * N for a, b in pairs)
    assert right / len(pairs) >= 0.85


def test_a_batching_sender_with_loss_in_low_delay_mode_conceals_what_was_lost_no_more() -> None:
    """The issue's server (≤ 3 frames a message, 0–40 ms, 5 % lost) in the default mode, six
    calls of 30 s. A loss guessed a frame off once must not make the sender's clock look
    fast or slow (then a phantom loss every few seconds agrees with it, and the playout
    keeps concealing frames that came and correcting the delay it thereby adds)."""
    frames = demo_frames(30.0)
    changes = 0
    for seed in range(1, 7):
        rng = random.Random(seed)
        lost = {i for i in range(40, 1500) if rng.random() < 0.05}
        jb = JitterBuffer()
        drive(jb, batching(frames, seed, lost=lost))
        assert abs(jb.concealed_frames - len(lost)) <= 5
        changes += jb.time_scale_changes
    assert changes <= 6 * 30 / 5  # on average at most one time-scale change per 5 s


def test_low_delay_on_100ms_of_jitter_without_loss_leaves_few_frames_too_late() -> None:
    """One-frame messages 0-100 ms on the way, nothing lost, ten calls under low delay (no
    look-ahead: no loss to see coming). The target covers the 99th percentile of lateness
    past the sender clock's estimate, and a little more: that estimate wanders a few ms, and
    at the percentile exactly 67 frames came too late over these calls (each concealed,
    then dropped), 48 in one of them."""
    frames = demo_frames(30.0)
    late = []
    for seed in range(1, 11):
        jb = JitterBuffer()
        drive(jb, messages_of_frames(jittered(1500, 0.1, seed), frames))
        late.append(jb.late_dropped_frames)
    assert sum(late) <= 30  # of 15,000 (17 with the margin)
    assert max(late) <= 10


def test_independent_losses_under_100ms_of_jitter_are_not_learned_as_bursts() -> None:
    """One-frame messages 0-100 ms on the way (timing says little of where a loss was), 5 %
    lost one at a time, eight calls in quality mode. Hindsight must place the gaps it
    played with the waveform's evidence, as the live decode did: placed by timing alone it
    merged nearby losses into bursts (learned continuation 0.34 on average against ~0.05),
    and a burst being cheap, live decodes then put two or three frames in one-frame gaps
    (concealed − lost 26 frames in all, up to 7 a call; 38 time-scale changes)."""
    frames = demo_frames(30.0)
    bursts, changes, miscounted = [], 0, 0
    for seed in range(1, 9):
        rng = random.Random(seed)
        lost = {i for i in range(40, 1500) if rng.random() < 0.05}
        jb = JitterBuffer(mode="quality")
        drive(jb, messages_of_frames(jittered(1500, 0.1, seed, skip=lost), frames))
        miscounted += abs(jb.concealed_frames - len(lost))
        bursts.append(jb._clock.burst)
        changes += jb.time_scale_changes
    assert miscounted <= 16  # of ~600 lost (8 to 11 with the fix, as the gap model varies)
    assert float(np.mean(bursts)) < 0.25
    assert changes <= 8 * 30 / 10  # one in 10 s


def _batched_line(sounds: list[tuple[float, float, np.ndarray]], seed: int) -> np.ndarray:
    """Frames of 12 s of quiet line noise with each (start s, length s, waveform of t) added."""
    rng = np.random.default_rng(seed)
    t = np.arange(8000 * 12) / 8000
    line = rng.normal(0, 25, t.size)
    for start, length, wave in sounds:
        i, j = int(start * 8000), int((start + length) * 8000)
        line[i:j] += wave[i:j]
    return np.clip(np.round(line), -32768, 32767).astype(np.int16).reshape(-1, N)


def _concealed_over_batched_calls(frames: np.ndarray) -> int:
    """Frames concealed over 8 calls of a batching sender (timing cannot part the frames of
    a message), nothing lost."""
    concealed = 0
    for seed in range(1, 9):
        jb = JitterBuffer()
        drive(jb, batching(frames, seed))
        concealed += jb.concealed_frames
    return concealed


#: Sound starts on a frame boundary (whole 100 ms steps), as a media server that makes tones
#: per packet starts them: the hardest case, the jump in the waveform exactly where a lost
#: frame would put one.
_STARTS = (0.5, 1.3, 2.5, 3.1, 4.0, 5.2, 6.0, 7.3, 8.4, 9.5, 10.6)


def test_tones_that_start_at_full_strength_are_not_taken_for_lost_frames() -> None:
    """Buzzing tones (five harmonics of 95-250 Hz, a kind the gap model was not trained on)
    that start and stop at full strength: a jump any waveform test takes for a missing
    frame, where only timing can say none is missing. The gap model trained on speech
    alone had these 8 calls conceal 13 frames with its gap odds capped at 5 (37 at 8);
    with telephone tones in its corpus, 6, capped at 5 or at 12 (`MAX_GAP_LOG_ODDS`); with
    every boundary's odds weighed 1.3× in the decode, 16."""
    t = np.arange(8000 * 12) / 8000
    pitches = (210, 120, 170, 95, 210, 140, 120, 250, 110, 180, 130)
    sounds = [
        (start, 0.6, 7000 * sum(np.sin(2 * np.pi * h * f0 * t) / h for h in range(1, 6)) / 2.3)
        for start, f0 in zip(_STARTS, pitches, strict=True)
    ]
    # At most one a call, where 22 starts and stops could each be one.
    assert _concealed_over_batched_calls(_batched_line(sounds, 1)) <= 8


def test_dtmf_digits_are_not_taken_for_lost_frames() -> None:
    """DTMF digits (a row and a column tone, 300 ms) keyed during a call, in the same
    batched stream: at their 176 starts and stops over 8 calls the gap model trained on
    speech alone had 17 frames concealed; with telephone tones in its corpus, 1."""
    t = np.arange(8000 * 12) / 8000
    rows, columns = (697, 770, 852, 941), (1209, 1336, 1477)
    sounds = [
        (
            start,
            0.3,
            6000 * (np.sin(2 * np.pi * rows[k % 4] * t) + np.sin(2 * np.pi * columns[k % 3] * t)),
        )
        for k, start in enumerate(_STARTS)
    ]
    assert _concealed_over_batched_calls(_batched_line(sounds, 2)) <= 3


def test_the_first_frames_of_a_call_play_even_when_timing_says_frames_before_them_were_lost() -> (
    None
):
    """The simulator's batching server (≤ 3 frames, 0–40 ms, 5 % lost), a seed whose first
    messages look as if frames before them were lost. Nothing played yet, nothing was ours
    to lose: skipping such slots while re-anchoring on the first frame never ended (the
    buffer raised "playout made no progress" in quality mode)."""
    frames = demo_frames(3.0)
    impairments = Impairments(batch_frames=3, jitter_ms=40, loss=0.05)
    plan = ArrivalSchedule(
        [(k * F, f.tobytes()) for k, f in enumerate(frames)], impairments, seed="6", keep_lost=True
    )
    jb = JitterBuffer(mode="quality")
    played = drive(jb, [(100.0 + m.send_s, m.data) for m in plan])
    assert len(played.frames) >= len(frames) - 5
    assert jb.concealed_frames <= len(plan.lost_indices) + 3


def test_message_sizes_that_skip_a_message_stop_being_used_without_harm() -> None:
    frames = noise_frames(500)
    messages = batching(frames, 9)
    jb = JitterBuffer()
    reassembled = drive(jb, messages, with_sizes=False)
    assert jb.late_dropped_frames == 0 and jb.concealed_frames <= 3
    assert np.count_nonzero(find_frames(reassembled.frames, frames) >= 0) >= 494


# -- spikes: a stall, then the backlog at once --------------------------------------------------


def test_a_stalls_backlog_undoes_the_loss_guesses_and_plays_late_then_catches_up() -> None:
    """The "undo a wrong loss guess" path (SlotAction.REWIND): while the path stalls, slots
    are concealed as if lost; the backlog proves them late, and is played, not dropped."""
    frames = demo_frames(24.0)
    sends = []
    for i in range(len(frames)):
        t = 100.0 + i * F
        if 108.0 <= t < 108.4:
            t = 108.4  # 400 ms stall at 8 s
        sends.append((t, [i]))
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(sends, frames))
    assert jb.late_dropped_frames == 0  # the backlog was played ...
    at = find_frames(played.frames, frames)
    level = np.sqrt(np.mean(frames.astype(float) ** 2, axis=1))
    loud_cut = [i for i in range(len(frames)) if at[i] < 0 and level[i] >= 0.1 * level.max()]
    assert len(loud_cut) <= 2 * jb.time_scale_changes  # ... quiet frames cut, a few spliced
    before = played.at(7.9)
    assert played.at(8.5)[1] >= before[1] + 300  # the delay grew at once ...
    back = [t for t, d, _, _ in played.trace if t > 8.4 and abs(d - before[2]) <= 20.0]
    assert back and back[0] <= 8.4 + 10.0  # ... and was back within 20 ms within 10 s
    assert all(abs(d - before[2]) <= 20.0 for t, d, _, _ in played.trace if t > back[0] + 1)
    assert played.at(23.0)[2] <= before[2] + 20.0  # the target did not learn the stall


@pytest.mark.parametrize(("seed", "stall_s"), [(2, 0.23), (7, 0.25), (9, 0.235), (9, 0.255)])
def test_a_stall_about_as_long_as_the_delay_leaves_neither_target_nor_delay_raised(
    seed: int, stall_s: float
) -> None:
    """Quality mode holds ~200 ms: most of a 230-250 ms stall's backlog comes bunched, far
    later than usual, yet in time to play. Learned as arrivals it raised the target for good
    (seed 7); and a loss misjudged right after the backlog left the delay a frame above its
    target, inside the usual band, for good (seed 2). Where the stall outlasts the delay
    (seed 9), the backlog's first frame, alone in the queue, was read as 9 frames lost
    before it: bridged at once, the playout jumped ahead and the target stayed 34 ms up.
    5 % of frames lost, 10 ms jitter."""
    frames = demo_frames(24.0)
    rng = random.Random(seed)
    sends, last = [], 0.0
    for i in range(len(frames)):
        if rng.random() < 0.05:
            continue
        t = 100.0 + i * F
        if 108.0 <= t < 108.0 + stall_s:
            t = 108.0 + stall_s
        last = max(last, t + rng.uniform(0, 0.010))
        sends.append((last, [i]))
    jb = JitterBuffer(mode="quality")
    played = drive(jb, messages_of_frames(sends, frames))
    before = played.at(7.9)[2]
    assert max(target for t, _, target, _ in played.trace if t > 12.0) <= before + 20.0
    assert all(abs(d - g) <= 20.0 for t, d, g, _ in played.trace if t > 12.0)


def test_a_stall_longer_than_the_mode_allows_adds_no_more_delay_than_it_allows() -> None:
    frames = demo_frames(20.0)
    sends = []
    for i in range(len(frames)):
        t = 100.0 + i * F
        sends.append((105.0 if 104.0 <= t < 105.0 else t, [i]))  # 1 s stall at 4 s
    jb = JitterBuffer()  # low delay: a backlog may add at most 0.4 s in all
    played = drive(jb, messages_of_frames(sends, frames))
    assert max(d for _, d, _, _ in played.trace) <= 400.0 + 25.0
    before = played.at(3.9)[2]
    assert all(abs(d - before) <= 20.0 for t, d, _, _ in played.trace if t > 15.0)


# -- clock drift --------------------------------------------------------------------------------


@pytest.mark.parametrize("ppm", [1000, -1000])
def test_a_sender_clock_off_by_a_tenth_of_a_percent_is_followed_smoothly(ppm: int) -> None:
    frames = demo_frames(40.0)
    period = F / (1 + ppm * 1e-6)
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(paced(len(frames), period=period), frames))
    assert jb.concealed_frames <= 2 and jb.late_dropped_frames <= 1
    settled = [d for t, d, g, _ in played.trace if t > 2.0]
    assert max(settled) - min(settled) <= 30.0  # the delay stays in a band
    # 40 s × 0.1 % = 40 ms to follow: a handful of quiet corrections, not a stream of them.
    assert 1 <= jb.time_scale_changes <= 8
    assert np.count_nonzero(find_frames(played.frames, frames) >= 0) >= len(frames) - 20


@pytest.mark.parametrize("rate_error", [0.005, -0.005])
def test_a_sender_clock_off_by_half_a_percent_keeps_the_delay_bounded(rate_error: float) -> None:
    frames = noise_frames(3000)  # 60 s, never quiet: corrections must go into sound
    period = F / (1 + rate_error)
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(paced(3000, period=period), frames))
    settled = [d for t, d, _, _ in played.trace if t > 2.0]
    assert max(settled) <= 100.0 and min(settled) >= -5.0
    assert jb.late_dropped_frames <= 30  # 15 frames of drift a second... only a few lost
    assert jb.concealed_frames <= 40


# -- large frames (Genesys AudioHook sends 200 ms) -----------------------------------------------


def large_frame_sends(
    count: int, per_message: int | tuple[int, int], seed: int, jitter_s: float = 0.01
):
    """Messages of `per_message` frames (or a random number within a range), each sent once
    its last frame is due (+ up to `jitter_s`)."""
    rng = random.Random(seed)
    out, last, first = [], 0.0, 0
    while first < count:
        size = per_message if isinstance(per_message, int) else rng.randint(*per_message)
        idx = list(range(first, min(count, first + size)))
        last = max(last, 100.0 + idx[-1] * F + rng.uniform(0, jitter_s))  # sent when all due
        out.append((last, idx))
        first += size
    return out


def test_200ms_frames_play_without_loss_in_quality_mode() -> None:
    frames = noise_frames(1500)
    jb = JitterBuffer(mode="quality")
    played = drive(jb, messages_of_frames(large_frame_sends(1500, 10, 1), frames))
    assert jb.target_ms >= 180.0  # the first 20 ms of each message waits 180 ms for its last
    assert jb.late_dropped_frames == 0 and jb.concealed_frames <= 3
    assert played.changes_between(5.0, 30.0) <= 25.0 / 5
    assert np.count_nonzero(find_frames(played.frames, frames) >= 0) >= 1490


def test_200ms_frames_in_low_delay_mode_stay_under_the_ceiling_without_thrashing() -> None:
    frames = noise_frames(1500)
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(large_frame_sends(1500, 10, 2), frames))
    assert jb.target_ms <= 120.0
    assert max(d for t, d, _, _ in played.trace if t > 5.0) <= 200.0
    assert played.changes_between(5.0, 30.0) <= 25.0 / 5  # late frames dropped, not chased


@pytest.mark.parametrize("seed", [1, 2])
def test_losses_inside_100_to_200ms_messages_are_found_in_their_place_in_quality_mode(
    seed: int,
) -> None:
    """A message of 100-200 ms says when its last frame was due; where inside it a frame is
    missing only the waveform can tell, and quality mode's look-ahead gives it the time."""
    frames = demo_frames(30.0)
    rng = random.Random(seed)
    lost = {i for i in range(40, 1500) if rng.random() < 0.05}
    sends = [(t, [i for i in idx if i not in lost]) for t, idx in
             large_frame_sends(1500, (5, 10), seed)]  # fmt: skip
    jb = JitterBuffer(mode="quality")
    played = drive(jb, messages_of_frames([(t, idx) for t, idx in sends if idx], frames))
    assert abs(jb.concealed_frames - len(lost)) <= 0.1 * len(lost)
    assert jb.late_dropped_frames == 0
    at = find_frames(played.frames, frames)
    kept = [i for i in range(len(frames)) if i not in lost and at[i] >= 0]
    pairs = list(itertools.pairwise(kept))
    right = sum(at[b] - at[a] == (b - a) * N for a, b in pairs)
    assert right / len(pairs) >= 0.95  # each message's timing alone for all its frames: 0.93


def test_100_to_200ms_frames_in_low_delay_mode_get_the_delay_a_message_needs() -> None:
    """Messages of 100-200 ms, each sent once its last frame is due: the first frame of a
    long one waits 180 ms for its last, so under low delay's usual 120 ms every long message
    would run dry before the next. Low delay then means as low as this sender allows: about
    the longest message's span, with every frame played and hardly a time-scale change."""
    frames = noise_frames(1500)
    jb = JitterBuffer()
    played = drive(jb, messages_of_frames(large_frame_sends(1500, (5, 10), 3), frames))
    assert 180.0 <= jb.target_ms <= 260.0
    assert jb.late_dropped_frames <= 5 and jb.concealed_frames <= 10  # while it learns…
    assert not played.concealed[150:].any()  # …and none after the first 3 s
    assert played.changes_between(5.0, 30.0) <= 25.0 / 5
    assert np.count_nonzero(find_frames(played.frames, frames) >= 0) >= 1490
    capped = JitterBuffer(max_delay_ms=120.0)  # a ceiling the caller sets holds regardless
    drive(capped, messages_of_frames(large_frame_sends(1500, (5, 10), 3), frames))
    assert capped.target_ms <= 120.0


# -- recorded traces ------------------------------------------------------------------------------


def replay(name: str, frames: np.ndarray) -> list[tuple[float, bytes]]:
    """The trace's messages carrying `frames` as the simulator replays it (`simulate
    --arrival-trace`): without the frames its timing says were lost, so that the waveform
    agrees with the timing, as on a real call."""
    trace = parse_arrival_trace((FIXTURES / name).read_text(encoding="utf-8"))
    due = [(k * F, frame.tobytes()) for k, frame in enumerate(frames)]
    plan = ArrivalSchedule(due, Impairments(arrival_trace=trace))
    return [(100.0 + m.send_s, m.data) for m in plan]


def test_a_recorded_batching_trace_with_loss_and_drift_plays_steadily() -> None:
    """arrivals.csv recorded from the live simulator over loopback sockets: batching up to 4
    frames, 30 ms jitter, 3 % loss (15 frames), sender clock 0.07 % fast, real event-loop
    timing; replayed over ten stretches of the demo call. Where the waveform's evidence of a
    loss misleads, a stretch's delay may step by a frame and back: within 40 ms on at least
    half the stretches, 60 ms on every one (before the gap model: 8 of 10 within 40 ms)."""
    ranges = []
    for offset_s in range(0, 30, 3):
        frames = demo_frames(12.0, offset_s=float(offset_s))
        jb = JitterBuffer()
        played = drive(jb, replay("arrivals-batching-lossy.csv", frames))
        assert 13 <= jb.concealed_frames <= 18  # the losses show up as concealment, no more
        assert jb.late_dropped_frames <= 3
        settled = [d for t, d, _, _ in played.trace if t > 2.0]
        ranges.append(max(settled) - min(settled))
        assert played.changes_between(2.0, 12.0) <= 10.0 / 5
    assert max(ranges) <= 60.0
    assert sum(r <= 40.0 for r in ranges) >= 5


def test_a_recorded_200ms_trace_plays_every_frame_in_quality_mode() -> None:
    frames = noise_frames(600)
    jb = JitterBuffer(mode="quality")
    played = drive(jb, replay("arrivals-large-frames.csv", frames))
    assert jb.late_dropped_frames == 0 and jb.concealed_frames <= 2
    assert np.count_nonzero(find_frames(played.frames, frames) >= 0) >= 594


# -- stereo -------------------------------------------------------------------------------------


def test_stereo_frames_are_concealed_per_channel() -> None:
    fmt = AudioFormat(channels=2)
    t = np.arange(100 * N) / 8000
    left = 8000 * np.sin(2 * np.pi * 150 * t)
    right = 3000 * np.sin(2 * np.pi * 230 * t)
    frames = np.stack([left, right], axis=1).astype(np.int16).reshape(100, 2 * N)
    jb = JitterBuffer(fmt)
    sends = [(100.0 + i * F, [i]) for i in range(100) if i != 50]
    played = drive(jb, [(t, frames[i[0]].tobytes()) for t, i in sends], fmt=fmt)
    gap = played.frames[50].reshape(N, 2).astype(float)
    want = frames[50].reshape(N, 2).astype(float)
    for channel in (0, 1):  # each channel continues its own tone, not a mix
        error = gap[:, channel] - want[:, channel]
        assert np.sqrt(np.mean(error**2)) < 0.3 * np.sqrt(np.mean(want[:, channel] ** 2))
    assert played.concealed[50] and not played.concealed[49] and not played.concealed[51]


# -- the public face ----------------------------------------------------------------------------


def test_modes_cap_the_target() -> None:
    assert JitterBuffer().mode is PlayoutMode.LOW_DELAY
    assert JitterBuffer(mode="quality").mode is PlayoutMode.QUALITY
    frames = noise_frames(1000)
    sends = jittered(1000, 0.3, 1)
    low, high = JitterBuffer(), JitterBuffer(mode="quality")
    drive(low, messages_of_frames(sends, frames))
    drive(high, messages_of_frames(sends, frames))
    assert low.target_ms <= 120.0 < high.target_ms <= 400.0


def test_drain_returns_what_is_left_and_reset_reanchors() -> None:
    frames = noise_frames(10)
    jb = JitterBuffer()
    jb.push(frames[:3], 0.0)
    tail = jb.drain()
    assert isinstance(tail, PlayoutBatch) and len(tail) == 3
    assert not tail.concealed.any()
    assert np.array_equal(tail.frames, frames[:3])
    assert len(jb.pull(10.0)) == 0  # clock stopped until the next push
    jb.reset()
    jb.push(frames[3:4], 20.0)
    due = 20.0 + jb.target_ms / 1000
    assert len(jb.pull(due - 0.001)) == 0
    batch = jb.pull(due)
    assert len(batch) == 1 and np.array_equal(batch.frames[0], frames[3])
    assert jb.played_frames == 4


def test_frames_queued_before_a_reconnect_play_first() -> None:
    frames = noise_frames(20)
    jb = JitterBuffer()
    jb.push(frames[:5], 0.0)
    jb.pull(0.04)  # frame 0 plays
    jb.reset()
    jb.push(frames[10:11], 5.0)
    out = np.concatenate([jb.pull(5.0 + k * F).frames for k in range(8)])
    assert np.array_equal(out[:4], frames[1:5])
    assert any(np.array_equal(f, frames[10]) for f in out)


def test_nothing_is_due_before_the_first_frame() -> None:
    assert len(JitterBuffer().pull(123.0)) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target_delay_ms": 10.0},
        {"target_delay_ms": 300.0},
        {"min_delay_ms": 50.0, "max_delay_ms": 40.0},
        {"concealment": "loud"},
        {"mode": "fast"},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        JitterBuffer(**kwargs)  # type: ignore[arg-type]


def test_wrong_frame_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        JitterBuffer().push(np.zeros((2, 100), np.int16), 0.0)


def test_a_push_is_seen_at_once_and_a_caller_reusing_its_array_changes_nothing_played() -> None:
    """Pushed frames are queued when the buffer is next asked (a pull, the depth, the next
    slot): every reader sees them as if queued at once, and the buffer keeps its own copy."""
    frames = demo_frames(6)
    jb = JitterBuffer()
    reused = np.empty((1, N), dtype=np.int16)
    assert jb.next_due_s is None
    for k in range(3):
        reused[0] = frames[k]  # the caller's buffer, reused message after message
        jb.push(reused, 100.0 + k * F, message_bytes=FRAME_BYTES)
    reused[:] = 0
    assert jb.next_due_s == pytest.approx(100.04)
    assert jb.depth_ms == pytest.approx(60.0)
    jb.push(frames[3:4], 100.06, message_bytes=FRAME_BYTES)
    assert jb.depth_ms == pytest.approx(80.0)
    out = jb.pull(100.04 + 2 * F)
    assert np.array_equal(out.frames, frames[:3])
    assert jb.depth_ms == pytest.approx(20.0)
