import dataclasses

import numpy as np
import pytest

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.metrics import PER_SECOND_COLUMNS, MetricsSnapshot, StreamMetrics

FRAME = 0.02
T0 = 1000.0


def paced(m: StreamMetrics, frames: int, start: int = 0, nbytes: int = 320) -> float:
    """Frames start..start+frames-1 arriving exactly on the media clock; returns the last time."""
    t = T0
    for k in range(start, start + frames):
        t = T0 + k * FRAME
        m.record_packet(nbytes, t)
    return t


def test_perfectly_paced_stream_is_clean() -> None:
    m = StreamMetrics()
    last = paced(m, 150)
    m.set_call_time(streaming_s=3.0, gap_ms=0.0, interrupted=False)
    s = m.snapshot(last)
    assert s.total_packets == 150 and s.total_bytes == 150 * 320
    assert s.jitter_ms == pytest.approx(0, abs=1e-9)
    assert s.avg_latency_ms == pytest.approx(0, abs=1e-9)
    assert s.lost_frames == s.dropped_packets == 0
    assert s.bitrate_kbps == pytest.approx(128.0)
    assert s.packets_per_s == pytest.approx(50.0)
    assert s.effective_bitrate == pytest.approx(128.0)
    assert not s.degraded


def test_bitrate_in_the_first_second_is_not_diluted() -> None:
    m = StreamMetrics()
    last = paced(m, 10)
    assert m.snapshot(last).bitrate_kbps == pytest.approx(128.0)


def test_random_fragmentation_from_a_live_sender_is_clean() -> None:
    # A live sender sends a message once the frame holding its last byte exists.
    rng = np.random.default_rng(1)
    m = StreamMetrics()
    sent = 0
    while sent < 320 * 200:
        n = int(rng.integers(1, 1001))
        sent += n
        m.record_packet(n, T0 + ((sent - 1) // 320) * FRAME)
    s = m.snapshot(T0 + ((sent - 1) // 320) * FRAME)
    assert s.avg_latency_ms == pytest.approx(0, abs=1e-9)
    assert s.jitter_ms == pytest.approx(0, abs=1e-9)
    assert s.lost_frames == 0


def test_rfc3550_jitter_on_an_alternating_schedule() -> None:
    # Every other frame 6 ms late: |D| = 6 ms at every step, so J_n = 6 (1 - (15/16)^n).
    m = StreamMetrics()
    n = 40
    for k in range(n + 1):
        m.record_packet(320, T0 + k * FRAME + (0.006 if k % 2 else 0.0))
    assert m.snapshot(T0 + n * FRAME).jitter_ms == pytest.approx(6.0 * (1 - (15 / 16) ** n))


def test_rfc3550_jitter_on_a_single_delay_spike() -> None:
    # One packet 30 ms late: D = +30 ms then -30 ms, J = 30/16, then 30/16 + (30 - 30/16)/16.
    m = StreamMetrics()
    for k in range(10):
        m.record_packet(320, T0 + k * FRAME + (0.030 if k == 5 else 0.0))
    j1 = 30 / 16
    j2 = j1 + (30 - j1) / 16
    expected = j2 * (15 / 16) ** 3
    assert m.snapshot(T0 + 0.2).jitter_ms == pytest.approx(expected)


def test_latency_is_an_ema_of_lateness_against_the_media_clock() -> None:
    m = StreamMetrics()
    paced(m, 10)
    m.record_packet(320, T0 + 10 * FRAME + 0.050)  # 50 ms late...
    m.record_packet(320, T0 + 11 * FRAME + 0.030)  # ...30 ms late...
    m.record_packet(320, T0 + 12 * FRAME)  # ...and on time again: it was delay, not loss
    assert m.snapshot(T0 + 0.3).avg_latency_ms == pytest.approx(0.81 * 5.0 + 0.9 * 3.0)
    paced(m, 20, start=13)  # the average forgets it as on-time packets come (also when settled)
    assert m.snapshot(T0 + 33 * FRAME).avg_latency_ms == pytest.approx(
        (0.81 * 5.0 + 0.9 * 3.0) * 0.9**20
    )


def test_steady_random_loss_is_neither_latency_nor_jitter() -> None:
    """Without sender timestamps a lost frame looks like a frame of delay until later packets."""
    rng = np.random.default_rng(3)
    for loss in (0.05, 0.10):
        m = StreamMetrics()
        m.set_buffer(depth_ms=40, target_ms=40)
        sent = [k for k in range(1500) if k == 0 or rng.random() >= loss]
        for k in sent:
            m.record_packet(320, T0 + k * FRAME)
        s = m.snapshot(T0 + 1499 * FRAME)
        assert s.avg_latency_ms < 1.0, (loss, s.avg_latency_ms)
        assert s.jitter_ms < 0.5, (loss, s.jitter_ms)
        assert s.lost_frames == pytest.approx(1500 - len(sent), abs=3)


def test_loss_correction_leaves_real_network_jitter_measured() -> None:
    """Uniform 0-40 ms delays: RFC 3550 J tends to E|D| = 40/3 ms; the loss filter keeps it."""
    rng = np.random.default_rng(4)
    m = StreamMetrics()
    delays = rng.uniform(0, 0.040, 3000)
    for k, d in enumerate(delays):
        m.record_packet(320, T0 + k * FRAME + d)
    j = m.snapshot(T0 + 3000 * FRAME).jitter_ms
    assert 40 / 3 * 0.85 < j < 40 / 3 * 1.15, j


def test_a_late_first_packet_does_not_inflate_latency() -> None:
    m = StreamMetrics()
    m.record_packet(320, T0 + 0.080)  # the first frame was held up 80 ms
    for k in range(1, 100):
        m.record_packet(320, T0 + k * FRAME)
    s = m.snapshot(T0 + 99 * FRAME)
    assert s.avg_latency_ms < 0.01
    assert s.lost_frames == 0


def test_frames_never_sent_are_counted_lost_and_do_not_stay_as_latency() -> None:
    m = StreamMetrics()
    m.record_packet(320, T0)
    sent = 1
    for k in range(1, 250):
        if 50 <= k < 55:
            continue  # lost upstream: the sender's clock keeps running
        m.record_packet(320, T0 + k * FRAME)
        sent += 1
    now = T0 + 249 * FRAME
    s = m.snapshot(now)
    assert s.lost_frames == 5
    assert s.dropped_packets == 5
    assert s.total_packets == sent
    # Once committed as loss, the gap no longer counts as lateness.
    assert s.avg_latency_ms < 1.0


def test_a_burst_is_pending_loss_until_its_frames_arrive() -> None:
    m = StreamMetrics()
    paced(m, 50)
    # Frames 50..59 are held 200 ms by TCP, then all delivered at once.
    held_until = T0 + 60 * FRAME
    assert m.snapshot(held_until - 0.001).lost_frames > 0
    for _ in range(50, 61):
        m.record_packet(320, held_until)
    s = m.snapshot(held_until)
    assert s.lost_frames == 0
    assert s.avg_latency_ms > 10.0  # the held frames were late
    assert s.jitter_ms > 1.0


def test_missing_frames_wait_for_the_jitter_allowance() -> None:
    m = StreamMetrics()
    last = paced(m, 50)
    m.set_buffer(depth_ms=40, target_ms=100)
    assert m.snapshot(last + 0.09).lost_frames == 0  # within the 100 ms allowance
    assert m.snapshot(last + 0.15).lost_frames == 2  # frames 50 and 51 are now overdue


def test_reanchor_does_not_count_a_pause_as_loss() -> None:
    m = StreamMetrics()
    paced(m, 50)
    m.reanchor()  # e.g. the call was put on hold, the socket closed
    for k in range(500, 550):
        m.record_packet(320, T0 + k * FRAME)
    assert m.snapshot(T0 + 549 * FRAME).lost_frames == 0


def test_reanchor_keeps_loss_already_proven() -> None:
    m = StreamMetrics()
    for k in range(120):
        if k not in (30, 31, 32):
            m.record_packet(320, T0 + k * FRAME)
    m.reanchor()
    m.record_packet(320, T0 + 1000.0)
    assert m.snapshot(T0 + 1000.0).lost_frames == 3


def test_window_bitrate_tracks_the_last_second() -> None:
    m = StreamMetrics()
    paced(m, 100)  # 2 s at 128 kbps
    for k in range(100, 200):
        m.record_packet(160, T0 + k * FRAME)  # then half the bytes per frame
    m.set_call_time(streaming_s=4.0, gap_ms=0.0, interrupted=False)
    s = m.snapshot(T0 + 199 * FRAME)
    assert s.bitrate_kbps == pytest.approx(64.0)
    assert s.effective_bitrate == pytest.approx(96.0)  # the call's average: 48 kB in 4 s


def test_mulaw_bitrate() -> None:
    m = StreamMetrics(AudioFormat(encoding="mulaw"))
    last = paced(m, 100, nbytes=160)
    s = m.snapshot(last)
    assert s.bitrate_kbps == pytest.approx(64.0)
    assert s.lost_frames == 0 and s.avg_latency_ms == pytest.approx(0, abs=1e-9)


def test_degraded_flag_has_hysteresis() -> None:
    m = StreamMetrics()
    t = paced(m, 100)  # 2 s healthy
    assert not m.snapshot(t).degraded
    # 1.5 s at 6 kbps (32-byte messages).
    for _ in range(35):
        t += 32 * 8 / 6_000
        m.record_packet(32, t)
    s = m.snapshot(t)
    assert s.bitrate_kbps < 12.0 and s.degraded
    # 13 kbps: above the floor but below 1.2 × 12 = 14.4 → still degraded.
    for _ in range(200):
        t += 32 * 8 / 13_000
        m.record_packet(32, t)
        s = m.snapshot(t)
        assert s.degraded, s.bitrate_kbps
    # Healthy again: the bitrate rule clears at once, but the frames the slow stretch lost
    # keep it degraded (over 3 % lost in 5 s) until they leave the window.
    for k in range(1, 326):
        t += FRAME
        m.record_packet(320, t)
        s = m.snapshot(t)
        if k == 60:
            assert s.bitrate_kbps > 14.4 and s.loss_5s_percent > 3.0 and s.degraded
    assert s.loss_5s_percent <= 3.0 and not s.degraded


def test_effective_bitrate_is_bytes_over_streaming_seconds_not_per_packet() -> None:
    m = StreamMetrics()
    t = paced(m, 250, nbytes=320)  # 5 s at 128 kbps in 50 messages a second
    m.set_call_time(streaming_s=5.0, gap_ms=0.0, interrupted=False)
    assert m.snapshot(t).effective_bitrate == pytest.approx(128.0, rel=0.01)
    # Ten frames in one message after a pause: per-packet figures would read 521 kbps.
    m.record_packet(3200, t + 0.049)
    m.set_call_time(streaming_s=5.2, gap_ms=0.0, interrupted=False)
    assert m.snapshot(t + 0.2).effective_bitrate == pytest.approx(83200 * 8 / 5.2 / 1000)


def test_gaps_while_the_call_is_up_count_as_dropped_and_degrade() -> None:
    m = StreamMetrics()
    t = paced(m, 100)
    m.set_call_time(streaming_s=2.0, gap_ms=30_000.0, interrupted=True)
    s = m.snapshot(t)
    assert s.gap_ms == 30_000.0 and s.lost_frames == 0
    assert s.dropped_packets == 1500  # 30 s of 20 ms frames the listener never got
    assert s.degraded
    m.set_call_time(streaming_s=2.0, gap_ms=30_000.0, interrupted=False)
    assert not m.snapshot(t).degraded


def test_not_degraded_in_the_first_second_and_a_stall_degrades() -> None:
    m = StreamMetrics()
    m.record_packet(320, T0)
    assert not m.snapshot(T0 + 0.5).degraded  # too early to judge
    assert m.snapshot(T0 + 3.0).degraded  # nothing for 2 s


def test_snapshot_keys_and_seed_dict() -> None:
    m = StreamMetrics()
    paced(m, 3)
    m.record_frames(3)
    m.record_partial(7)
    m.record_concealed(2)
    m.record_late(1)
    m.set_buffer(40.0, 60.0)
    s = m.snapshot(T0 + 0.05)
    assert list(s.as_seed_dict()) == [
        "total_packets",
        "dropped_packets",
        "total_bytes",
        "avg_latency_ms",
        "effective_bitrate",
    ]
    d = s.as_dict()
    assert set(d) == {f.name for f in dataclasses.fields(MetricsSnapshot)}
    counts = (d["frames"], d["partial_bytes"], d["concealed_frames"], d["late_frames"])
    assert counts == (3, 7, 2, 1)
    assert (d["buffer_depth_ms"], d["buffer_target_ms"]) == (40.0, 60.0)
    assert set(PER_SECOND_COLUMNS) <= set(d)


def test_tick_emits_one_row_per_whole_second() -> None:
    m = StreamMetrics()
    m.start(T0)
    rows = []
    for k in range(200):  # 4 s of frames, ticking every frame
        t = T0 + k * FRAME
        m.record_packet(320, t)
        snap = m.tick(t)
        if snap is not None:
            rows.append(snap)
    assert [round(r.elapsed_s, 6) for r in rows] == [1.0, 2.0, 3.0]
    assert [r.bitrate_kbps for r in rows] == pytest.approx([128.0] * 3)
    assert [r.degraded for r in rows] == [False, False, False]
    # A late tick yields one row, not a backlog.
    assert m.tick(T0 + 9.5) is not None
    assert m.tick(T0 + 9.7) is None
    # Charts get a row every half second (7 in the 4 s, then the late one).
    chart = m.chart_rows.column("elapsed_s")
    assert len(chart) == 8 and chart[-1] == pytest.approx(9.5)
    assert np.diff(chart[:-1]) == pytest.approx([0.5] * 6, abs=0.011)
    assert m.chart_rows.column("bitrate_kbps")[2:7].tolist() == pytest.approx([128.0] * 5)


def test_invalid_input() -> None:
    with pytest.raises(ValueError):
        StreamMetrics().record_packet(-1, T0)
    with pytest.raises(ValueError):
        StreamMetrics(chart_seconds=0)
    with pytest.raises(ValueError):
        StreamMetrics(degraded_below_kbps=-1)
