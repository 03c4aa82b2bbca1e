"""MediaPump on a fake clock: pacing without drift, loss, jitter, hold, end, drop."""

from __future__ import annotations

import random

import pytest

from cxone_desktop.simulator.config import Impairments
from cxone_desktop.simulator.media_pump import CallMedia, MediaPump, PumpOutcome
from cxone_desktop.simulator.timeline import FRAME_S, CallTimeline

FRAME = 320
T0 = 5_000.0


class SloppyClock:
    """Wakes up to 4 ms late from every sleep, like a loaded event loop."""

    def __init__(self, seed: int = 0, oversleep_s: float = 0.004) -> None:
        self.t = T0
        self._rng = random.Random(seed)
        self._oversleep_s = oversleep_s

    def now(self) -> float:
        return self.t

    async def sleep_until(self, deadline: float) -> None:
        self.t = max(self.t, deadline) + self._rng.uniform(0, self._oversleep_s)


class RecordingSink:
    """Records (time, bytes) per send; each send costs up to 1 ms of clock time."""

    def __init__(self, clock: SloppyClock, send_cost_s: float = 0.001) -> None:
        self.clock = clock
        self.sends: list[tuple[float, bytes]] = []
        self.events: list[dict[str, object]] = []
        self.close_args: tuple[int, str] | None = None
        self.aborted_at: float | None = None
        self.closed = False
        self._rng = random.Random(1)
        self._cost = send_cost_s

    async def send_bytes(self, data: bytes) -> None:
        self.sends.append((self.clock.t, data))
        self.clock.t += self._rng.uniform(0, self._cost)

    async def send_event(self, event: dict[str, object]) -> None:
        self.events.append(event)

    async def close(self, code: int, reason: str) -> None:
        self.close_args = (code, reason)
        self.closed = True

    def abort(self) -> None:
        self.aborted_at = self.clock.t
        self.closed = True

    @property
    def audio(self) -> bytes:
        return b"".join(data for _, data in self.sends)


def media(frames: int, *, loop: bool = False, hold_at_s: float | None = None) -> CallMedia:
    payloads = [k.to_bytes(4, "little") * (FRAME // 4) for k in range(frames)]
    timeline = CallTimeline(frame_count=frames, loop=loop, hold_at_s=hold_at_s, hold_for_s=1.0)
    return CallMedia(frames=payloads, timeline=timeline, encoding="pcm16")


def pump(m: CallMedia, clock: SloppyClock, seed: str = "s", **imp: object) -> MediaPump:
    return MediaPump(m, Impairments(**imp), clock, call_t0=T0, rng_seed=seed)  # type: ignore[arg-type]


async def test_an_hour_of_media_drifts_less_than_one_frame() -> None:
    clock = SloppyClock()
    sink = RecordingSink(clock)
    hour_s = 3600.0
    outcome = await pump(media(50, loop=True), clock, drop_after_s=hour_s).run(sink)

    assert outcome is PumpOutcome.DROPPED
    frames = round(hour_s / FRAME_S)
    assert len(sink.sends) == frames
    last_sent_at, _ = sink.sends[-1]
    drift = last_sent_at - (T0 + (frames - 1) * FRAME_S)
    assert 0 <= drift < 0.020
    # Every frame left within one frame time of its due time: lateness never accumulates.
    worst = max(t - (T0 + k * FRAME_S) for k, (t, _) in enumerate(sink.sends))
    assert worst < 0.020


async def test_the_call_ends_with_call_ended_and_close_1000_after_the_last_frame() -> None:
    clock = SloppyClock(oversleep_s=0.0)
    sink = RecordingSink(clock, send_cost_s=0.0)
    m = media(10)
    outcome = await pump(m, clock).run(sink)
    assert outcome is PumpOutcome.ENDED
    assert sink.audio == b"".join(m.frames)
    assert sink.events == [{"event": "call.ended"}]
    assert sink.close_args == (1000, "call ended")
    assert clock.t == pytest.approx(T0 + 10 * FRAME_S)


async def test_a_listener_joining_late_hears_only_the_live_rest() -> None:
    clock = SloppyClock(oversleep_s=0.0)
    clock.t = T0 + 0.1  # five frames already played to nobody
    sink = RecordingSink(clock, send_cost_s=0.0)
    m = media(10)
    await pump(m, clock).run(sink)
    assert sink.audio == b"".join(m.frames[5:])


async def test_lost_frames_are_skipped_while_the_clock_keeps_running() -> None:
    clock = SloppyClock(oversleep_s=0.0)
    sink = RecordingSink(clock, send_cost_s=0.0)
    m = media(500)
    p = pump(m, clock, seed="loss", loss=0.1, burst_loss=0.01, burst_frames=3)
    await p.run(sink)
    sent = [data for _, data in sink.sends]
    assert p.frames_lost == 500 - len(sent) and 40 < p.frames_lost < 120
    # What was sent is the source minus the lost frames, in order, each at its own due time.
    indices = [m.frames.index(data) for data in sent]
    assert indices == sorted(indices)
    assert all(
        t == pytest.approx(T0 + k * FRAME_S) for k, (t, _) in zip(indices, sink.sends, strict=True)
    )
    again = RecordingSink(SloppyClock(oversleep_s=0.0), send_cost_s=0.0)
    await pump(m, again.clock, seed="loss", loss=0.1, burst_loss=0.01, burst_frames=3).run(again)
    assert again.audio == sink.audio  # the seed reproduces the loss pattern


async def test_jitter_delays_sends_but_never_reorders_them() -> None:
    clock = SloppyClock(oversleep_s=0.0)
    sink = RecordingSink(clock, send_cost_s=0.0)
    m = media(200)
    await pump(m, clock, jitter_ms=60).run(sink)
    assert sink.audio == b"".join(m.frames)
    times = [t for t, _ in sink.sends]  # (order is pinned by the audio equality above)
    lateness = [t - (T0 + k * FRAME_S) for k, t in enumerate(times)]
    assert all(-1e-9 <= late <= 0.060 + 1e-9 for late in lateness)
    assert sum(late > 0.005 for late in lateness) > 100  # really jittered, not just on time


async def test_jitter_with_random_fragments_keeps_every_byte_in_order() -> None:
    clock = SloppyClock()
    sink = RecordingSink(clock)
    m = media(200)
    await pump(m, clock, fragment="random", jitter_ms=40).run(sink)
    assert sink.audio == b"".join(m.frames)


async def test_the_hold_announces_itself_and_closes_with_reason_hold() -> None:
    clock = SloppyClock(oversleep_s=0.0)
    sink = RecordingSink(clock, send_cost_s=0.0)
    m = media(50, hold_at_s=0.2)
    outcome = await pump(m, clock, fragment="random").run(sink)
    assert outcome is PumpOutcome.HOLD
    assert sink.audio == b"".join(m.frames[:10])  # held-back bytes are flushed first
    assert sink.events == [{"event": "call.hold"}]
    assert sink.close_args == (1000, "hold")
    # After the hold a new connection picks up at the frame the hold interrupted.
    clock.t = T0 + 0.2 + 1.0
    resumed = RecordingSink(clock, send_cost_s=0.0)
    assert await pump(m, clock).run(resumed) is PumpOutcome.ENDED
    assert resumed.audio == b"".join(m.frames[10:])


async def test_drop_after_aborts_without_a_close_frame() -> None:
    clock = SloppyClock(oversleep_s=0.0)
    sink = RecordingSink(clock, send_cost_s=0.0)
    outcome = await pump(media(100), clock, drop_after_s=0.5).run(sink)
    assert outcome is PumpOutcome.DROPPED
    assert sink.aborted_at == pytest.approx(T0 + 0.5)
    assert sink.close_args is None and not sink.events
    assert len(sink.sends) == 25


async def test_a_client_that_left_stops_the_pump() -> None:
    clock = SloppyClock(oversleep_s=0.0)
    sink = RecordingSink(clock, send_cost_s=0.0)
    sink.closed = True
    assert await pump(media(10), clock).run(sink) is PumpOutcome.CLIENT_GONE
    assert sink.sends == []
