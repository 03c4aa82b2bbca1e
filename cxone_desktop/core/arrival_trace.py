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
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from cxone_desktop.errors import InputError

#: The header line every trace starts with.
TRACE_HEADER = "time_s,bytes"
#: Decimals written for the time column: microseconds.
_TIME_DECIMALS = 6


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
