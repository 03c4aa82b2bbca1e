"""Drive a JitterBuffer with explicit message times, as the session would, and record it all.

No clocks, no sockets: every push and pull happens at a time the test chose.
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.jitter_buffer import JitterBuffer
from cxone_desktop.core.reassembler import FrameReassembler

N = 160
F = 0.020
TICK_S = 0.010
DEMO_CALL = Path(__file__).resolve().parents[2] / "resources" / "demo-call.wav"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def demo_frames(seconds: float, offset_s: float = 0.0) -> npt.NDArray[np.int16]:
    """Frames of the demo call (speech with pauses), shape (n, 160)."""
    with wave.open(str(DEMO_CALL), "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)
    start = round(offset_s * 8000) // N * N
    count = round(seconds / F)
    out: npt.NDArray[np.int16] = x[start : start + count * N].reshape(count, N)
    return out


def noise_frames(count: int, seed: int = 0) -> npt.NDArray[np.int16]:
    """Distinct loud frames (every frame identifiable)."""
    rng = np.random.default_rng(seed)
    t = np.arange(count * N) / 8000
    x = 6000 * np.sin(2 * np.pi * 190 * t) + rng.normal(0, 2000, count * N)
    return x.astype(np.int16).reshape(count, N)


@dataclass
class Played:
    """What the buffer handed out, and how it got there."""

    frames: npt.NDArray[np.int16]  # (n, 160)
    concealed: npt.NDArray[np.bool_]
    waits_ms: npt.NDArray[np.float64]
    # (time s, playout delay ms, target ms, time-scale changes so far) at every pull
    trace: list[tuple[float, float, float, int]] = field(default_factory=list)

    def at(self, t: float) -> tuple[float, float, float, int]:
        return min(self.trace, key=lambda row: abs(row[0] - t))

    def changes_between(self, start_s: float, end_s: float) -> int:
        return self.at(end_s)[3] - self.at(start_s)[3]


def messages_of_frames(
    sends: Sequence[tuple[float, Sequence[int]]], frames: npt.NDArray[np.int16]
) -> list[tuple[float, bytes]]:
    """(time, frame indices) per message → (time, payload bytes)."""
    return [(t, b"".join(frames[i].tobytes() for i in idx)) for t, idx in sends]


def drive(
    jb: JitterBuffer,
    messages: Sequence[tuple[float, bytes]],
    *,
    until_s: float | None = None,
    with_sizes: bool = True,
    drain: bool = True,
    fmt: AudioFormat = DEFAULT_FORMAT,
) -> Played:
    """Push every message at its time (whole frames via a reassembler), pull every 10 ms until
    the last message (or `until_s`), then drain as the session does when the call ends."""
    reassembler = FrameReassembler(fmt)
    out: list[npt.NDArray[np.int16]] = []
    flags: list[npt.NDArray[np.bool_]] = []
    waits: list[npt.NDArray[np.float64]] = []
    trace: list[tuple[float, float, float, int]] = []
    end = until_s if until_s is not None else messages[-1][0]
    k = 0
    step = 0
    start = messages[0][0]
    while True:
        now = start + step * TICK_S
        if now > end + 1e-9:
            break
        step += 1
        while k < len(messages) and messages[k][0] <= now + 1e-9:
            t, data = messages[k]
            frames = reassembler.feed(data)
            if with_sizes:
                jb.push(frames, t, message_bytes=len(data))
            elif len(frames):
                jb.push(frames, t)
            k += 1
        batch = jb.pull(now)
        out.append(batch.frames)
        flags.append(batch.concealed)
        waits.append(jb.take_waits_ms())
        trace.append((now - start, jb.playout_delay_ms, jb.target_ms, jb.time_scale_changes))
    for t, data in messages[k:]:  # the last ones, after the last pull
        frames = reassembler.feed(data)
        if with_sizes:
            jb.push(frames, t, message_bytes=len(data))
        elif len(frames):
            jb.push(frames, t)
    if drain:
        rest = jb.drain()
        out.append(rest.frames)
        flags.append(rest.concealed)
    return Played(
        np.concatenate(out).reshape(-1, fmt.frame_samples),
        np.concatenate(flags),
        np.concatenate(waits),
        trace,
    )


def match_slots(
    played: npt.NDArray[np.int16], source: npt.NDArray[np.int16]
) -> npt.NDArray[np.int64]:
    """For each played frame, the index of the identical source frame (-1: none)."""
    index = {frame.tobytes(): i for i, frame in enumerate(source)}
    return np.array([index.get(frame.tobytes(), -1) for frame in played], dtype=np.int64)


def find_frames(
    played: npt.NDArray[np.int16], source: npt.NDArray[np.int16]
) -> npt.NDArray[np.int64]:
    """Where each source frame starts in the played audio, in samples, wherever it landed
    (after a splice frames no longer line up with output frames); -1: not played verbatim."""
    stream = played.astype("<i2").tobytes()
    out = np.full(len(source), -1, dtype=np.int64)
    start = 0
    for i, frame in enumerate(source):
        needle = frame.astype("<i2").tobytes()
        at = stream.find(needle, start)
        while at >= 0 and at % 2:
            at = stream.find(needle, at + 1)
        if at >= 0:
            out[i] = at // 2
            start = at + len(needle)
    return out
