"""The pure playout buffer driven offline by a network model's arrival schedule.

No sockets and no real time: `ArrivalSchedule` says when each message of a
call arrives and what it carries, `FrameReassembler` cuts it into frames as
the session does, and the buffer is pulled every 10 ms (the session's tick) at
exactly those times. The same seed gives the same figures on any machine,
busy or idle. Also here: the two players ours is compared with, the same
concealment with every loss in its true slot, and how many losses ours put there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.concealment import LossConcealer
from cxone_desktop.core.jitter_buffer import JitterBuffer
from cxone_desktop.core.reassembler import FrameReassembler
from cxone_desktop.core.slot_actions import BRIDGE_FRAMES
from cxone_desktop.simulator.arrival_schedule import ArrivalSchedule, ScheduledMessage
from cxone_desktop.simulator.config import Impairments
from tests.core.playout_drive import find_frames

N = DEFAULT_FORMAT.frame_samples
F = DEFAULT_FORMAT.frame_duration_s
TICK_S = 0.010  # the session's playout tick
START_S = 1000.0  # listener clock at the call's start (any value; not 0, to catch offsets)
Int16 = npt.NDArray[np.int16]


@dataclass
class Run:
    """One call through the buffer: what it played and how."""

    output: Int16
    lost: list[int]
    waits_ms: npt.NDArray[np.float64]
    changes: int
    concealed: int
    late_dropped: int
    # (listener time − START_S, playout delay ms, target ms) at every pull
    delay_trace: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Network:
    """A call's messages under one model and seed, and the truth behind them."""

    messages: list[ScheduledMessage]
    lost: list[int]  # frames lost upstream (indices into the source's frames)
    stalls: list[tuple[float, float]]  # (start, end) of each delay spike, s from the call start


def schedule(
    source: Int16, impairments: Impairments, seed: int, *, fmt: AudioFormat = DEFAULT_FORMAT
) -> Network:
    """The messages of `source` (interleaved as `fmt` says) under `impairments` (seeded)."""
    n, f = fmt.frame_samples, fmt.frame_duration_s
    frames = [(k * f, source[k * n : (k + 1) * n].tobytes()) for k in range(len(source) // n)]
    plan = ArrivalSchedule(frames, impairments, seed=str(seed), keep_lost=True)
    messages = list(plan)
    return Network(messages, plan.lost_indices, plan.stalls)


def play_offline(
    network: Network,
    *,
    mode: str = "low-delay",
    concealment: str = "plc",
    target_delay_ms: float = 40.0,
    tail_s: float = 0.2,
    fmt: AudioFormat = DEFAULT_FORMAT,
) -> Run:
    """Feed the messages at their times, pull every tick; drain shortly after the last one."""
    messages = network.messages
    jb = JitterBuffer(
        fmt,
        mode=mode,
        target_delay_ms=target_delay_ms,
        concealment=concealment,  # type: ignore[arg-type]
    )
    reassembler = FrameReassembler(fmt)
    out: list[Int16] = []
    waits: list[npt.NDArray[np.float64]] = []
    trace: list[tuple[float, float, float]] = []
    end = START_S + messages[-1].send_s + tail_s
    k = 0
    step = 0
    while True:
        now = START_S + step * TICK_S
        if now > end:
            break
        step += 1
        while k < len(messages) and START_S + messages[k].send_s <= now + 1e-9:
            data = messages[k].data
            jb.push(reassembler.feed(data), START_S + messages[k].send_s, message_bytes=len(data))
            k += 1
        batch = jb.pull(now)
        if len(batch):
            out.append(batch.frames.reshape(-1))
        waits.append(jb.take_waits_ms())
        trace.append((now - START_S, jb.playout_delay_ms, jb.target_ms))
    rest = jb.drain()
    if len(rest):
        out.append(rest.frames.reshape(-1))
    waits.append(jb.take_waits_ms())
    return Run(
        output=np.concatenate(out) if out else np.zeros(0, np.int16),
        lost=network.lost,
        waits_ms=np.concatenate(waits),
        changes=jb.time_scale_changes,
        concealed=jb.concealed_frames,
        late_dropped=jb.late_dropped_frames,
        delay_trace=trace,
    )


def zero_oracle(source: Int16, lost: list[int]) -> Int16:
    """The source with exactly the lost frames zeroed in their true slots."""
    frames = source[: len(source) // N * N].reshape(-1, N).copy()
    frames[lost] = 0
    return frames.reshape(-1)


#: What to play, slot by slot: a source frame's index, or None for a slot concealed.
Plan = list[int | None]


def plc_oracle(source: Int16, lost: list[int]) -> Int16:
    """The source with exactly the lost frames concealed in their true slots by the buffer's
    own concealer, bridged into the frames after each gap as the buffer does when they are
    queued: what ours would score if it always knew where the losses were."""
    frames = source[: len(source) // N * N].reshape(-1, N)
    missing = set(lost)
    return render_plan(frames, [None if k in missing else k for k in range(len(frames))])


def render_plan(frames: Int16, plan: Plan) -> Int16:
    """`plan` played through the buffer's concealer: each run of concealed slots bridged into
    the (up to `BRIDGE_FRAMES`) frames played after it, as the buffer does when they are
    queued."""
    concealer = LossConcealer()
    out: list[Int16] = []
    k = 0
    while k < len(plan):
        index = plan[k]
        if index is not None:
            out.append(concealer.good(frames[index]))
            k += 1
            continue
        start = k
        while k < len(plan) and plan[k] is None:
            k += 1
        after: list[int] = []
        for entry in plan[k : k + BRIDGE_FRAMES]:
            if entry is None:
                break
            after.append(entry)
        future = frames[after].reshape(-1) if after else np.zeros(0, np.int16)
        out.append(concealer.bridge(future, k - start))
    return np.concatenate(out) if out else np.zeros(0, np.int16)


def losses_in_place(source: Int16, output: Int16, lost: list[int]) -> tuple[int, int]:
    """(in place, judged): of the runs of lost frames whose received neighbours both play
    unaltered in `output`, those with exactly the run's length of other audio between them
    (concealed in their true slots, not before or after, and the delay not changed there)."""
    frames = source[: len(source) // N * N].reshape(-1, N)
    at = find_frames(output, frames)
    # (Frames that are nearly all zero are left out: they could be anywhere.)
    audible = np.count_nonzero(frames, axis=1) >= N // 2
    where = {i: int(at[i]) for i in np.flatnonzero((at >= 0) & audible).tolist()}
    missing = set(lost)
    placed = judged = 0
    k = 0
    while k < len(frames):
        if k not in missing:
            k += 1
            continue
        start = k
        while k < len(frames) and k in missing:
            k += 1
        before, after = where.get(start - 1), where.get(k)
        if start > 0 and before is not None and after is not None:
            judged += 1
            placed += after - before == (k - start + 1) * N
    return placed, judged


def fixed_delay_player(messages: Sequence[ScheduledMessage], delay_s: float) -> Int16:
    """A plain player: frames in arrival order from first arrival + `delay_s`, one per 20 ms;
    silence when none is there; nothing dropped, nothing reordered."""
    reassembler = FrameReassembler(DEFAULT_FORMAT)
    arrivals: list[tuple[float, Int16]] = []
    for m in messages:
        for frame in reassembler.feed(m.data):
            arrivals.append((m.send_s, frame))
    if not arrivals:
        return np.zeros(0, np.int16)
    start = arrivals[0][0] + delay_s
    out: list[Int16] = []
    silence = np.zeros(N, np.int16)
    slot_s = start
    k = 0
    while k < len(arrivals):
        if arrivals[k][0] <= slot_s + 1e-9:
            out.append(arrivals[k][1])
            k += 1
        else:
            out.append(silence)
        slot_s += F
    return np.concatenate(out)


def spike_recovery_s(
    trace: list[tuple[float, float, float]],
    spikes: list[tuple[float, float]],
    *,
    within_ms: float,
    horizon_s: float,
) -> list[float]:
    """Per stall (start, end): seconds from its end until playout is back within `within_ms`
    of its target for good, that target being no higher than before the stall (+`within_ms`):
    the spike did not leave the delay, or the target, raised. inf if not by the next stall or
    the end; stalls followed by less than `horizon_s` are left out."""
    times = np.array([t for t, _, _ in trace])
    delay = np.array([d for _, d, _ in trace])
    target = np.array([g for _, _, g in trace])
    out: list[float] = []
    for i, (start, end) in enumerate(spikes):
        before = np.flatnonzero(times < start)
        horizon = min(spikes[i + 1][0] if i + 1 < len(spikes) else np.inf, times[-1])
        if before.size == 0 or horizon - end < horizon_s:
            continue
        ceiling = target[before[-1]] + within_ms
        after = np.flatnonzero((times >= end) & (times < horizon))
        settled = (np.abs(delay[after] - target[after]) <= within_ms) & (target[after] <= ceiling)
        unsettled = after[~settled]
        if unsettled.size == 0:
            out.append(0.0)
        elif unsettled[-1] == after[-1]:
            out.append(float("inf"))
        else:
            out.append(float(times[unsettled[-1] + 1] - end))
    return out
