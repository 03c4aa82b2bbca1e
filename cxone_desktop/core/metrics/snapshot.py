"""The stream's figures at one instant, and the columns the per-second rows use."""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass
from typing import Any

PER_SECOND_COLUMNS: tuple[str, ...] = (
    "elapsed_s",
    "bitrate_kbps",
    "jitter_ms",
    "packets_per_s",
    "lost_frames",
    "gap_ms",
    "dropped_packets",
    "loss_5s_percent",
    "concealed_frames",
    "late_frames",
    "avg_latency_ms",
    "buffer_depth_ms",
    "buffer_target_ms",
    "time_scale_changes",
    "degraded",
    "total_packets",
    "total_bytes",
    "frames",
    "effective_bitrate",
)
_ROW_VALUES = operator.attrgetter(*PER_SECOND_COLUMNS)


@dataclass(frozen=True)
class MetricsSnapshot:
    """The stream's figures at one instant. Times in ms unless named `_s`; rates per second."""

    elapsed_s: float
    total_packets: int
    #: The seed's name: frames not received while the call was up (lost_frames + gaps).
    dropped_packets: int
    total_bytes: int
    avg_latency_ms: float
    effective_bitrate: float  # kbps: bytes * 8 / seconds spent streaming (the call's average)
    bitrate_kbps: float  # over the last second
    jitter_ms: float  # RFC 3550 interarrival jitter against the media clock
    packets_per_s: float
    frames: int
    partial_bytes: int
    lost_frames: int  # lost in the network within a connection, against the media clock
    gap_ms: float  # no audio at all while the call was up: outages and stalls (not holds)
    loss_5s_percent: float  # frames missing among those due over the last 5 s
    concealed_frames: int
    late_frames: int
    buffer_depth_ms: float
    buffer_target_ms: float
    time_scale_changes: int  # the playout buffer's shrinks, stretches, skips and rewinds so far
    degraded: bool

    def as_seed_dict(self) -> dict[str, Any]:
        """Exactly the seed's metrics keys."""
        return {
            "total_packets": self.total_packets,
            "dropped_packets": self.dropped_packets,
            "total_bytes": self.total_bytes,
            "avg_latency_ms": self.avg_latency_ms,
            "effective_bitrate": self.effective_bitrate,
        }

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def as_row(self) -> tuple[float, ...]:
        """The values of PER_SECOND_COLUMNS, in order (4 rows a second: kept cheap)."""
        return tuple(map(float, _ROW_VALUES(self)))
