"""The `arrivals.csv` format: when each WebSocket message arrived and how many bytes it held.

A trace is what the network did to a call, without the audio: replaying it over
any audio (`simulate --arrival-trace`, `benchmarks/quality.py --trace`) puts the
player through the same arrival pattern again. The file is UTF-8 CSV:

    time_s,bytes
    8412.031250,320
    8412.049870,1000

one line per binary message, in arrival order. `time_s` is the receiver's
monotonic clock in seconds (only differences matter: the first line is the
origin); `bytes` is the message's payload size as received on the wire
(0 is allowed: an empty message). Times never go backwards. Blank lines and
lines starting with `#` are ignored, so a trace can carry notes.

A trace holds no sequence numbers, so frames the sender lost show only as
bytes missing for their time: replayed byte for byte, a call that lost 5 % of
its frames would come back as a sender 5 % slow. `lost_frame_offsets` reads the
losses back from the timing, and `trace_losses` decodes them from there as the
playout buffer would in hindsight (`ArrivalTrace.losses`), so a replay can leave
as many frames out, where the timing allows them to have been.
"""

from __future__ import annotations

import functools
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from cxone_desktop.core.audio_format import DEFAULT_FORMAT
from cxone_desktop.core.trace_losses import decoded_lost_offsets
from cxone_desktop.errors import InputError

#: The header line every trace starts with.
TRACE_HEADER = "time_s,bytes"
#: Decimals written for the time column: microseconds.
_TIME_DECIMALS = 6
#: Byte rates a call's stream has (μ-law mono; PCM16 mono or μ-law stereo; PCM16 stereo).
STREAM_BYTES_PER_S = (8000, 16000, 32000)
#: How far ahead of each message losses are judged (s): long enough that some message in it
#: came with next to no delay whatever the network (a stall shorter than this is no loss).
LOSS_WINDOW_S = 3.0
#: Near the end the window shrinks to this (s), so the last seconds' losses still count.
LOSS_TAIL_S = 1.0
#: How far below a loss's new level (in frames) a message must be to have come before it:
#: the level is a minimum of arrivals, itself a few ms off.
_LEVEL_TOLERANCE = 0.25
#: The stretch at the start that sets no baseline (s): a server may send what it buffered
#: before the call was joined faster than real time.
SETTLE_S = 1.0


@dataclass(frozen=True)
class ArrivalTrace:
    """Arrival times (s, non-decreasing) and message sizes (bytes), one entry per message."""

    times_s: tuple[float, ...]
    sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.times_s) != len(self.sizes):
            raise ValueError("a trace needs one size per time")

    def __len__(self) -> int:
        return len(self.times_s)

    @property
    def duration_s(self) -> float:
        """From the first arrival to the last."""
        return self.times_s[-1] - self.times_s[0] if self.times_s else 0.0

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes)

    @functools.cached_property
    def losses(self) -> StreamLosses | None:
        """The stream's byte rate and the frames its sender lost, as the timing says (worked
        out once: the simulator asks on start and on every connection); None when the trace
        is too short, or of no call's rate."""
        rate = stream_bytes_per_s(self)
        if rate is None:
            return None
        frame_bytes = round(rate * DEFAULT_FORMAT.frame_duration_s)
        first_guess = lost_frame_offsets(self, rate, frame_bytes)
        offsets = tuple(decoded_lost_offsets(self, rate, frame_bytes, first_guess))
        return StreamLosses(rate, frame_bytes, offsets)


@dataclass(frozen=True)
class StreamLosses:
    """A trace's stream rate (bytes/s), frame size (bytes) and `lost_frame_offsets`."""

    bytes_per_s: int
    frame_bytes: int
    offsets: tuple[int, ...]


def format_trace_line(time_s: float, size: int) -> str:
    """One data line (with its newline) for a message of `size` bytes that arrived at `time_s`."""
    return f"{time_s:.{_TIME_DECIMALS}f},{size}\n"


def format_arrival_trace(trace: ArrivalTrace) -> str:
    """The whole file: header, then one line per message."""
    lines = [TRACE_HEADER + "\n"]
    lines += [format_trace_line(t, n) for t, n in zip(trace.times_s, trace.sizes, strict=True)]
    return "".join(lines)


def parse_arrival_trace(text: str | Iterable[str], *, name: str = "arrival trace") -> ArrivalTrace:
    """Read an `arrivals.csv`; a malformed line raises InputError naming the line and the fix."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    times: list[float] = []
    sizes: list[int] = []
    header_seen = False
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not header_seen:
            if line.replace(" ", "") != TRACE_HEADER:
                raise InputError(
                    name,
                    f"line {number} must be the header '{TRACE_HEADER}' (an arrivals.csv that "
                    "`record --save-trace` wrote)",
                )
            header_seen = True
            continue
        fields = line.split(",")
        if len(fields) != 2:
            raise InputError(name, f"line {number}: expected 'time_s,bytes', got {line[:60]!r}")
        try:
            time_s = float(fields[0])
            size = int(fields[1])
        except ValueError:
            raise InputError(
                name, f"line {number}: expected a time in seconds and a whole byte count"
            ) from None
        if not math.isfinite(time_s):
            raise InputError(name, f"line {number}: the time must be a finite number")
        if size < 0:
            raise InputError(name, f"line {number}: a byte count cannot be negative")
        if times and time_s < times[-1]:
            raise InputError(
                name, f"line {number}: time goes backwards ({time_s:g} after {times[-1]:g} s)"
            )
        times.append(time_s)
        sizes.append(size)
    if not header_seen:
        raise InputError(name, f"the file is empty; it must start with '{TRACE_HEADER}'")
    if not times:
        raise InputError(name, "the trace holds no messages")
    return ArrivalTrace(tuple(times), tuple(sizes))


def stream_bytes_per_s(trace: ArrivalTrace) -> int | None:
    """The stream's byte rate the trace was recorded at: the lowest of `STREAM_BYTES_PER_S`
    its bytes reach (losses only lower the measured rate; a sender's clock may run ~0.1 %
    fast), or None when it is too short to say. One message's bytes are left out: a sender
    that holds a message until all of it is due sent the first one's before the trace
    begins, and a batching one the last one's ahead of time (200 ms of a 12 s trace would
    read 1.7 % fast)."""
    if trace.duration_s < 2 * LOSS_WINDOW_S:
        return None
    within = trace.total_bytes - max(trace.sizes[0], trace.sizes[-1])
    measured = within / trace.duration_s
    for rate in STREAM_BYTES_PER_S:
        if measured <= rate * 1.01:
            return rate
    return None


def lost_frame_offsets(trace: ArrivalTrace, bytes_per_s: float, frame_bytes: int) -> list[int]:
    """Where the frames the sender lost were: for each, the offset (bytes received before it,
    a whole number of frames) in the stream as received. Read from the timing alone.

    Each message is weighed against the sender's clock at a frame edge of its
    bytes: the frame its first byte is in, for a sender that sends a message when
    that frame is due (batching), or the frame its last byte is in, for one that
    holds a message until all of it is due; whichever keeps the arrivals tighter.
    Then R·t − edge (R the stream's byte rate) is the message's network delay
    plus the bytes lost before it. Within `LOSS_WINDOW_S` some message comes with
    next to no delay, so the least of it over the window ahead of each message
    rises only by losses (a frame's worth each, counted from the level of the
    first settled second). A loss lies after the last message still below its
    new level and before the next one: it is put halfway between their frames,
    at a frame edge. A sender's clock slower than ours shows as losses too
    (−0.1 %: a frame every 20 s), a faster one hides as many.
    """
    n = len(trace)
    times = trace.times_s
    if n == 0 or bytes_per_s <= 0 or frame_bytes <= 0 or trace.duration_s < 2 * LOSS_WINDOW_S:
        return []
    t0 = times[0]
    ends: list[int] = []
    total = 0
    for size in trace.sizes:
        total += size
        ends.append(total)
    starts = [end - size for end, size in zip(ends, trace.sizes, strict=True)]
    # The frame edges each kind of sender sends at, and the slack of each message against them.
    first_frames = [start - start % frame_bytes for start in starts]
    last_frames = [-(-end // frame_bytes) * frame_bytes for end in ends]
    best: tuple[float, list[float], list[float], bool] | None = None
    for edges, by_first in ((first_frames, True), (last_frames, False)):
        slack = [bytes_per_s * (t - t0) - edge for t, edge in zip(times, edges, strict=True)]
        least = _least_ahead(times, slack)
        spread = sorted(a - b for a, b in zip(slack, least, strict=True))[n // 2]
        if best is None or spread < best[0]:
            best = (spread, slack, least, by_first)
    assert best is not None
    _, slack, least, by_first = best
    settled = next((k for k in range(n) if times[k] >= t0 + SETTLE_S), 0)
    base = least[settled] + _level_phase(least[settled:], least[settled], frame_bytes)
    offsets: list[int] = []
    for k in range(settled + 1, n):
        level = math.floor((least[k] - base) / frame_bytes + 0.5)
        while len(offsets) < level:
            new_level = base + (len(offsets) + 1) * frame_bytes
            # The last message still below the new level came before the loss.
            before = k - 1
            m = k
            while m < n and times[m] <= times[k] + LOSS_WINDOW_S:
                if slack[m] < new_level - _LEVEL_TOLERANCE * frame_bytes:
                    before = m
                m += 1
            after = min(before + 1, n - 1)
            if by_first:  # between the first frames of the two messages
                low, high = first_frames[before] + frame_bytes, first_frames[after]
            else:  # between the last frames of the two messages
                low, high = last_frames[before], last_frames[after] - frame_bytes
            middle = (low + max(low, high)) // 2
            offset = middle - middle % frame_bytes
            offsets.append(max(offset, offsets[-1] if offsets else 0))
    return offsets


def _level_phase(least: list[float], base: float, frame_bytes: int) -> float:
    """How far (bytes) the levels the least slack keeps sit from whole frames over `base`:
    the circular mean of the remainders. One settled minimum alone is a few ms off; every
    level after it, in the mean, is not."""
    if not least:
        return 0.0
    angles = [2 * math.pi * ((value - base) / frame_bytes) for value in least]
    phase = math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles)))
    return phase / (2 * math.pi) * frame_bytes


def _least_ahead(times: tuple[float, ...], slack: list[float]) -> list[float]:
    """The least slack from each message's time on over `LOSS_WINDOW_S` (shrinking to
    `LOSS_TAIL_S` at the end), by a monotonic deque from the last message back."""
    n = len(times)
    end = times[-1]
    least: list[float] = [0.0] * n
    window: deque[int] = deque()  # indices, latest first; their slack rises front to back
    j = n - 1
    for k in range(n - 1, -1, -1):
        start = min(times[k], end - LOSS_TAIL_S)
        while j >= 0 and times[j] >= start:
            while window and slack[window[-1]] >= slack[j]:
                window.pop()
            window.append(j)
            j -= 1
        while times[window[0]] > start + LOSS_WINDOW_S:
            window.popleft()
        least[k] = slack[window[0]]
    return least
