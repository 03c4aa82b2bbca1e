"""The pure arrival schedule, model by model: sizes, send times, loss, stalls, drift, traces.

Frames are numbered payloads so where every byte went can be checked."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cxone_desktop.core.arrival_trace import ArrivalTrace
from cxone_desktop.simulator.arrival_schedule import ArrivalSchedule, ScheduledMessage
from cxone_desktop.simulator.config import Impairments

FRAME = 320
F = 0.020


def frames(count: int) -> list[tuple[float, bytes]]:
    return [(k * F, k.to_bytes(4, "little") * (FRAME // 4)) for k in range(count)]


def plan(
    count: int, seed: str = "s", **imp: object
) -> tuple[list[ScheduledMessage], ArrivalSchedule]:
    schedule = ArrivalSchedule(frames(count), Impairments(**imp), seed=seed, keep_lost=True)  # type: ignore[arg-type]
    return list(schedule), schedule


def frame_of_byte(stream: bytes, offset: int) -> int:
    start = offset - offset % FRAME
    return int.from_bytes(stream[start : start + 4], "little")


def test_the_default_sends_each_frame_when_it_is_due() -> None:
    messages, schedule = plan(50)
    assert [m.send_s for m in messages] == pytest.approx([k * F for k in range(50)])
    assert b"".join(m.data for m in messages) == b"".join(p for _, p in frames(50))
    assert schedule.frames_sent == 50 and schedule.lost_frames == 0


def test_a_batching_sender_sends_when_the_first_frame_in_a_message_is_due() -> None:
    messages, _ = plan(500, batch_frames=3)
    stream = b"".join(m.data for m in messages)
    assert stream == b"".join(p for _, p in frames(500))
    offset = 0
    for m in messages:
        assert 1 <= len(m.data) <= 3 * FRAME
        assert m.send_s == pytest.approx(frame_of_byte(stream, offset) * F)
        offset += len(m.data)
    # So the frames a message completes arrive early: up to two frames (40 ms) before due.
    early = []
    offset = 0
    for m in messages:
        offset += len(m.data)
        last_complete = offset // FRAME - 1
        early.append(last_complete * F - m.send_s)
    assert max(early) == pytest.approx(2 * F, abs=1e-9)


def test_large_frames_send_100_to_200ms_when_all_of_it_is_due() -> None:
    messages, _ = plan(600, large_frames_ms=(100, 200), loss=0.05)
    sizes = {len(m.data) // FRAME for m in messages[:-1]}
    assert sizes <= set(range(1, 11)) and max(sizes) == 10 and 5 in sizes
    gaps = np.diff([m.send_s for m in messages])
    assert gaps.min() >= 0.1 - 1e-9 and gaps.max() <= 0.2 + 1e-9  # the cadence, losses or not
    for m in messages:  # sent when the last slot of the window is due
        last = frame_of_byte(m.data, len(m.data) - 1)
        assert m.send_s >= last * F - 1e-9


def test_jitter_delays_messages_without_reordering() -> None:
    messages, _ = plan(300, jitter_ms=40)
    late = [m.send_s - k * F for k, m in enumerate(messages)]
    assert min(late) >= 0 and max(late) <= 0.040 + 1e-9
    assert all(b.send_s >= a.send_s for a, b in itertools.pairwise(messages))


def test_a_stall_holds_everything_then_delivers_the_backlog_at_once() -> None:
    messages, schedule = plan(1000, spike_every_s=5, spike_ms=(200, 500))
    assert len(schedule.stalls) >= 3
    for start, end in schedule.stalls[:3]:
        assert 0.2 - 1e-9 <= end - start <= 0.5 + 1e-9
        held = [m for k, m in enumerate(messages) if start <= k * F < end]
        assert held and all(m.send_s == pytest.approx(end) for m in held)
        after = [m for k, m in enumerate(messages) if k * F >= end]
        assert after[0].send_s == pytest.approx(round(end / F + 0.5 - 1e-9) * F, abs=F)


def test_gilbert_elliott_loses_in_bursts_beside_independent_loss() -> None:
    _, bursty = plan(20_000, seed="ge", ge_enter=0.01, ge_leave=0.25)
    _, single = plan(20_000, seed="ge", loss=0.038)
    for schedule in (bursty, single):
        assert 0.03 * 20_000 < schedule.lost_frames < 0.05 * 20_000

    def mean_burst(lost: list[int]) -> float:
        """Mean length of runs of consecutive lost frames."""
        starts = 1 + int(np.count_nonzero(np.diff(lost) != 1))
        return len(lost) / starts

    assert mean_burst(bursty.lost_indices) > 3.0 > 1.2 > mean_burst(single.lost_indices)
    _, both = plan(20_000, seed="ge", ge_enter=0.01, ge_leave=0.25, loss=0.038)
    assert both.lost_frames > bursty.lost_frames  # combinable: the two add up


def test_a_fast_sender_clock_sends_more_often() -> None:
    messages, _ = plan(1000, drift_ppm=1000)
    assert messages[-1].send_s == pytest.approx(999 * F / 1.001)


def test_the_same_seed_gives_the_same_network() -> None:
    imp = {"batch_frames": 3, "jitter_ms": 40, "loss": 0.05, "spike_every_s": 3.0}
    first, _ = plan(400, seed="x", **imp)
    again, _ = plan(400, seed="x", **imp)
    other, _ = plan(400, seed="y", **imp)
    assert first == again and first != other


def test_a_trace_replays_its_times_and_sizes_over_any_audio_and_repeats() -> None:
    trace = ArrivalTrace((500.0, 500.05, 500.06), (100, 900, 600))
    messages, _ = plan(20, arrival_trace=trace)
    assert [len(m.data) for m in messages[:6]] == [100, 900, 600] * 2
    period = 0.06 + 0.03  # the trace's span plus its mean gap
    assert [m.send_s for m in messages[:6]] == pytest.approx(
        [0.0, 0.05, 0.06, period, period + 0.05, period + 0.06]
    )
    assert b"".join(m.data for m in messages) == b"".join(p for _, p in frames(20))


def lags(messages: list[ScheduledMessage]) -> list[float]:
    """Per message: when it left minus when the frame of its first byte was due (s)."""
    stream = b"".join(m.data for m in messages)
    out, offset = [], 0
    for m in messages:
        if m.data:
            out.append(m.send_s - frame_of_byte(stream, offset) * F)
        offset += len(m.data)
    return out


def test_a_lossy_trace_replays_its_losses_so_the_audio_keeps_its_pace() -> None:
    """Replayed byte for byte, a call that lost 4 % of its frames comes back as a sender 4 %
    slow, its audio 1.2 s behind after 30 s; the replay leaves out as many frames as the
    timing says were lost, near where they were."""
    original, sender = plan(1500, seed="t", batch_frames=4, jitter_ms=25, loss=0.04)
    trace = ArrivalTrace(
        tuple(100 + m.send_s for m in original), tuple(len(m.data) for m in original)
    )
    replayed, replay = plan(1500, arrival_trace=trace)
    assert [len(m.data) for m in replayed] == [len(m.data) for m in original][: len(replayed)]
    assert sender.lost_frames - 4 <= replay.lost_frames <= sender.lost_frames
    assert len(replay.lost_indices) == replay.lost_frames
    then, now = lags(original), lags(replayed)
    assert max(then) - min(then) < 0.1  # 25 ms of jitter, messages up to 4 frames ahead
    assert max(now) - min(now) < 0.15  # not 1.2 s: the audio keeps its pace to the end


def test_a_short_lossy_trace_keeps_the_pace_lap_after_lap() -> None:
    original, _ = plan(500, seed="u", jitter_ms=30, loss=0.05)  # 10 s
    trace = ArrivalTrace(tuple(m.send_s for m in original), tuple(len(m.data) for m in original))
    replayed, replay = plan(2000, arrival_trace=trace)  # 40 s: four laps
    now = lags(replayed)
    # Within a lap the first and last second's losses are unseen (~100 ms at 5 %); each lap
    # starts by leaving out what the one before fell short by. Byte for byte: 2 s behind.
    assert max(now) - min(now) < 0.2
    assert 0.03 * 2000 <= replay.lost_frames <= 0.07 * 2000


def test_a_stereo_calls_trace_replays_over_mono_audio_at_the_same_pace() -> None:
    """A two-party call's trace (640-byte frames, 32 kB/s) over the mono demo: the same
    messages at the same times, each with half the bytes, its losses left out as frames."""
    stereo = [(k * F, bytes(640)) for k in range(1500)]
    sender = ArrivalSchedule(stereo, Impairments(jitter_ms=20, loss=0.04), seed="w")
    original = list(sender)
    trace = ArrivalTrace(tuple(m.send_s for m in original), tuple(len(m.data) for m in original))
    replayed, replay = plan(1500, arrival_trace=trace)
    lap = replayed[: len(original)]  # (the frames the replay left out leave some for a 2nd lap)
    then = [m.send_s - original[0].send_s for m in original]
    assert [m.send_s - lap[0].send_s for m in lap] == pytest.approx(then)
    assert sum(len(m.data) for m in lap) * 2 == sum(len(m.data) for m in original)
    assert sender.lost_frames - 4 <= replay.lost_frames <= sender.lost_frames
    now = lags(replayed)
    assert max(now) - min(now) < 0.1
