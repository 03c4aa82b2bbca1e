"""Network health of one stream, measured against the 20 ms media clock.

The wire has no sequence numbers or timestamps, so the media clock is inferred
from bytes: a byte at stream offset ``b`` belongs to frame ``b // frame_bytes``,
and frame ``k`` is due at ``anchor + k * 20 ms``. The anchor is the first
packet's arrival (its last byte's frame), moved earlier whenever a packet
arrives ahead of it (so the first packet's own delay is not counted as latency
forever). All times are passed in; nothing here reads a clock.

Loss and delay look the same on such a wire until more data arrives: frames
that are due but missing are first counted as pending loss (beyond the jitter
allowance); if every packet for a whole second then stays at least a frame
late, those frames are committed as lost and the media clock shifts past them.
The latency average and the RFC 3550 jitter make the same distinction packet by
packet, a moment later: a delay passes (later packets are on time again), a loss
does not, so lost frames show up as neither latency nor jitter.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import operator
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.ring_buffer import RecordRing

#: The degraded flag clears only once the bitrate is back above this multiple of the floor.
DEGRADED_CLEAR_RATIO = 1.2
#: Live charts get a row this often (metrics.csv one a second).
CHART_INTERVAL_S = 0.25
#: Sliding window of `bitrate_kbps` and `packets_per_s`.
WINDOW_S = 1.0
#: How long packets must stay late before their missing frames are committed as lost.
LOSS_COMMIT_S = 1.0
#: A frame counts as missing once it is this many jitter estimates late (and at least a frame).
JITTER_ALLOWANCE_FACTOR = 4.0
#: How long after a packet its lateness is judged (delay, or frames lost before it).
LATENCY_LAG_S = 0.2
#: Smoothing of the seed's latency average: avg = (1 - a) * avg + a * sample.
LATENCY_EMA = 0.1

PER_SECOND_COLUMNS: tuple[str, ...] = (
    "elapsed_s",
    "bitrate_kbps",
    "jitter_ms",
    "packets_per_s",
    "lost_frames",
    "concealed_frames",
    "late_frames",
    "avg_latency_ms",
    "buffer_depth_ms",
    "buffer_target_ms",
    "degraded",
    "total_packets",
    "total_bytes",
    "frames",
    "effective_bitrate",
)
_EPS = 1e-9
_ROW_VALUES = operator.attrgetter(*PER_SECOND_COLUMNS)


@dataclass(frozen=True)
class MetricsSnapshot:
    """The stream's figures at one instant. Times in ms unless named `_s`; rates per second."""

    elapsed_s: float
    total_packets: int
    dropped_packets: int  # the seed's name: frames lost against the media clock (= lost_frames)
    total_bytes: int
    avg_latency_ms: float
    effective_bitrate: float  # kbps, the seed's noisy per-packet bytes * 8 / interarrival
    bitrate_kbps: float  # over the last second
    jitter_ms: float  # RFC 3550 interarrival jitter against the media clock
    packets_per_s: float
    frames: int
    partial_bytes: int
    lost_frames: int
    concealed_frames: int
    late_frames: int
    buffer_depth_ms: float
    buffer_target_ms: float
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
        """The values of PER_SECOND_COLUMNS, in order."""
        return tuple(map(float, _ROW_VALUES(self)))  # 4 times a second: kept cheap


class StreamMetrics:
    """Counts packets and bytes and derives latency, jitter, bitrate and loss.

    Thread-safe: packet accounting, snapshots and ticks share one lock, so the
    UI may take snapshots from another thread; `per_second` is a ring it may
    read at any time (`chart` gives its last `chart_seconds` rows). The plain
    counters (`record_frames`, …) are meant for the feeding thread.

    `avg_latency_ms` is the seed's running average ``avg = 0.9 * avg + 0.1 * sample``
    where a sample is how late a packet's last byte arrived versus when the
    20 ms media clock says that byte's frame was due: 0 for a perfectly paced
    stream, positive when the network delays or bunches packets.
    """

    def __init__(
        self,
        fmt: AudioFormat = DEFAULT_FORMAT,
        *,
        degraded_below_kbps: float = 12.0,
        chart_seconds: float = 60.0,
        history_seconds: float = 3600 * 4,
    ) -> None:
        if degraded_below_kbps < 0:
            raise ValueError(f"degraded_below_kbps must be >= 0, got {degraded_below_kbps}")
        if chart_seconds <= 0 or history_seconds <= 0:
            raise ValueError("chart_seconds and history_seconds must be positive")
        self._fmt = fmt
        self._frame_bytes = fmt.frame_bytes
        self._frame_s = fmt.frame_duration_s
        self._degraded_below = degraded_below_kbps
        self._degraded_clear = degraded_below_kbps * DEGRADED_CLEAR_RATIO
        #: One row a second (see `tick`), for metrics.csv and summaries.
        self.per_second = RecordRing(max(1, math.ceil(history_seconds)), PER_SECOND_COLUMNS)
        #: A row every CHART_INTERVAL_S over the last `chart_seconds`, for live charts.
        self.chart_rows = RecordRing(
            max(1, math.ceil(chart_seconds / CHART_INTERVAL_S)), PER_SECOND_COLUMNS
        )
        self._lock = threading.Lock()
        self._start_s: float | None = None
        self._seconds_done = 0
        self._chart_ticks_done = 0
        self._next_tick_s = -math.inf  # `tick` does nothing before this
        # Totals.
        self.total_packets = 0
        self.total_bytes = 0
        self.frames = 0
        self.partial_bytes = 0
        self.concealed_frames = 0
        self.late_frames = 0
        self.buffer_depth_ms = 0.0
        self.buffer_target_ms = 0.0
        # Media clock of the current epoch (reset by `reanchor`).
        self._first_arrival: float | None = None
        self._anchor: float | None = None
        self._clock_bytes = 0
        self._committed_lost = 0
        self._lost_base = 0
        self._window_start = 0.0
        self._window_min = math.inf
        # Per-packet estimators.
        self._last_arrival: float | None = None
        self._last_media_s = 0.0
        self._jitter_s = 0.0
        self._held_d: float | None = None  # a D that may be loss; see _update_jitter
        self._avg_latency_ms = 0.0
        # Lateness samples waiting for judgment (arrival, lateness in s); see _add_latency.
        self._latency_pending: collections.deque[tuple[float, float]] = collections.deque()
        self._latency_mins: collections.deque[float] = collections.deque()
        self._effective_kbps = 0.0
        self._window: collections.deque[tuple[float, int]] = collections.deque()
        self._window_bytes = 0
        self._degraded = False

    @property
    def format(self) -> AudioFormat:
        return self._fmt

    def start(self, now_s: float) -> None:
        """Set the origin of `elapsed_s` and `tick`; else the first packet or tick sets it."""
        self._start_s = now_s
        self._seconds_done = 0
        self._chart_ticks_done = 0
        self._next_tick_s = -math.inf  # `tick` does nothing before this

    def record_packet(self, nbytes: int, arrival_s: float) -> None:
        """Account one WebSocket message of `nbytes` that arrived at `arrival_s`."""
        if nbytes < 0:
            raise ValueError(f"nbytes must be >= 0, got {nbytes}")
        with self._lock:
            self._record_packet(nbytes, arrival_s)

    def _record_packet(self, nbytes: int, arrival_s: float) -> None:
        if self._start_s is None:
            self._start_s = arrival_s
        self.total_packets += 1
        self.total_bytes += nbytes
        window = self._window
        window.append((arrival_s, nbytes))
        self._window_bytes += nbytes
        if window[0][0] <= arrival_s - WINDOW_S:
            self._prune_window(arrival_s)
        if nbytes == 0:
            return
        frame_s = self._frame_s
        self._clock_bytes += nbytes
        media_s = ((self._clock_bytes - 1) // self._frame_bytes) * frame_s
        last = self._last_arrival
        if self._anchor is None:
            self._anchor = arrival_s - media_s
            self._first_arrival = arrival_s
            self._window_start = arrival_s
            self._window_min = math.inf
        else:
            assert last is not None
            interarrival = arrival_s - last
            d = interarrival - (media_s - self._last_media_s)
            if self._held_d is None and d < 0.75 * frame_s:  # cannot be loss: plain RFC 3550
                self._jitter_s += (abs(d) - self._jitter_s) / 16.0
            else:
                self._update_jitter(d)
            if interarrival > 0:
                self._effective_kbps = nbytes * 8 / interarrival / 1000.0
        late = arrival_s - self._anchor - media_s - self._committed_lost * frame_s  # _lateness
        if late < 0.0:
            if late < -_EPS:
                self._unlose(-late)
            late = max(0.0, self._lateness(arrival_s, media_s))
        window_over = arrival_s - self._window_start >= LOSS_COMMIT_S
        if window_over and self._close_loss_window(arrival_s):
            late = max(0.0, self._lateness(arrival_s, media_s))
        if late < self._window_min:
            self._window_min = late
        self._add_latency(arrival_s, late + self._committed_lost * frame_s)
        self._last_arrival = arrival_s
        self._last_media_s = media_s

    def _add_latency(self, arrival_s: float, late_s: float) -> None:
        """Add one lateness sample to the seed's average, judged on the packets after it.

        A lost frame shifts every later packet a frame "late", as a delay would. The
        packets that follow tell them apart: delay passes (a later packet is on time
        again), loss does not. So a sample a frame or more late waits LATENCY_LAG_S and
        loses the whole frames that it and every packet since stayed late (`_settle`);
        samples after it queue behind it, to keep the average's order.
        """
        pending = self._latency_pending
        if not pending and late_s < self._frame_s - _EPS:  # the usual case: nothing to judge
            self._avg_latency_ms += LATENCY_EMA * (late_s * 1000.0 - self._avg_latency_ms)
            return
        mins = self._latency_mins  # increasing: mins[0] is the least of `pending`
        pending.append((arrival_s, late_s))
        while mins and mins[-1] > late_s:
            mins.pop()
        mins.append(late_s)
        cutoff = arrival_s - LATENCY_LAG_S
        avg = self._avg_latency_ms
        while pending and pending[0][0] <= cutoff:
            avg = self._settle(avg)
        self._avg_latency_ms = avg

    def _settle(self, avg_ms: float) -> float:
        """Fold the oldest queued sample into `avg_ms`."""
        late = self._latency_pending.popleft()[1]
        mins = self._latency_mins
        floor = mins[0]
        if floor == late:
            mins.popleft()
        return _judged_ema(avg_ms, late, floor, self._frame_s)

    def _settled_latency(self) -> float:
        """The average with the queued samples in, each judged on the packets after it."""
        pending = self._latency_pending
        floors: list[float] = []
        least = math.inf
        for _, late in reversed(pending):
            least = min(least, late)
            floors.append(least)
        avg = self._avg_latency_ms
        for (_, late), floor in zip(pending, reversed(floors), strict=True):
            avg = _judged_ema(avg, late, floor, self._frame_s)
        return avg

    def _update_jitter(self, d: float) -> None:
        """RFC 3550's ``J += (|D| - J) / 16``, with frames lost upstream taken out of D.

        The wire has no sender timestamps: a lost frame makes the next packet look a frame
        late (D ≈ +20 ms), as a delay spike would. The packet after tells them apart: a
        spike is followed by an early one (D ≤ -half a frame), a loss is not. So a D
        within a quarter frame of a whole number of frames waits for one more packet.
        """
        f = self._frame_s
        held = self._held_d
        if held is not None:
            self._held_d = None
            if d > -f / 2:  # no catching up: those frames never came
                held -= round(held / f) * f
            self._jitter_s += (abs(held) - self._jitter_s) / 16.0
        frames = round(d / f)
        if frames >= 1 and abs(d - frames * f) <= f / 4:
            self._held_d = d
            return
        self._jitter_s += (abs(d) - self._jitter_s) / 16.0

    def _lateness(self, arrival_s: float, media_s: float) -> float:
        """How far after its due time on the media clock a byte at `media_s` arrived."""
        assert self._anchor is not None
        return arrival_s - self._anchor - media_s - self._committed_lost * self._frame_s

    def _prune_window(self, now_s: float) -> None:
        """Forget packets that left the bitrate window."""
        window = self._window
        cutoff = now_s - WINDOW_S
        while window and window[0][0] <= cutoff:
            self._window_bytes -= window.popleft()[1]

    def _unlose(self, early_s: float) -> None:
        """A packet came early: frames thought lost arrived after all, or the anchor was late."""
        assert self._anchor is not None
        frames = min(self._committed_lost, math.ceil(early_s / self._frame_s - _EPS))
        self._committed_lost -= frames
        early_s -= frames * self._frame_s
        if early_s > 0:
            self._anchor -= early_s

    def _close_loss_window(self, arrival_s: float) -> bool:
        """End a loss window: if every packet in it stayed a frame or more late, commit the loss.

        Returns whether frames were committed (which shifts the media clock).
        """
        committed = False
        if self._window_min >= self._frame_s - _EPS:
            self._committed_lost += int(self._window_min / self._frame_s + _EPS)
            committed = True
        self._window_start = arrival_s
        self._window_min = math.inf
        return committed

    def record_frames(self, n: int) -> None:
        """Whole frames the reassembler produced."""
        self.frames += n

    def record_partial(self, nbytes: int) -> None:
        """Bytes of a partial frame left over at stream end."""
        self.partial_bytes += nbytes

    def record_concealed(self, n: int) -> None:
        self.concealed_frames += n

    def record_late(self, n: int) -> None:
        """Frames the jitter buffer dropped because they came after their slot."""
        self.late_frames += n

    def set_buffer(self, depth_ms: float, target_ms: float) -> None:
        self.buffer_depth_ms = depth_ms
        self.buffer_target_ms = target_ms

    def reanchor(self) -> None:
        """Restart the media clock at the next packet (after a reconnect, a hold or at stream end).

        Frames proven missing so far stay counted; the pause itself is not loss.
        """
        with self._lock:
            self._reanchor()

    def _reanchor(self) -> None:
        if self._anchor is not None and self._last_arrival is not None:
            self._lost_base += self._lost_in_epoch(self._last_arrival)
        self._avg_latency_ms = self._settled_latency()
        self._latency_pending.clear()
        self._latency_mins.clear()
        self._anchor = None
        self._first_arrival = None
        self._last_arrival = None
        self._held_d = None
        self._clock_bytes = 0
        self._committed_lost = 0

    @property
    def jitter_ms(self) -> float:
        return self._jitter_s * 1000.0

    def allowance_s(self) -> float:
        """How late a frame may be before it counts as missing."""
        return max(
            self._frame_s,
            JITTER_ALLOWANCE_FACTOR * self._jitter_s,
            self.buffer_target_ms / 1000.0,
        )

    def _lost_in_epoch(self, now_s: float) -> int:
        if self._anchor is None:
            return 0
        due = math.floor((now_s - self.allowance_s() - self._anchor) / self._frame_s + _EPS) + 1
        accounted = self._clock_bytes // self._frame_bytes + self._committed_lost
        return self._committed_lost + max(0, due - accounted)

    def lost_frames(self, now_s: float) -> int:
        """Frames due by `now_s` (less the allowance) by the media clock that did not arrive."""
        with self._lock:
            return self._lost_frames(now_s)

    def _lost_frames(self, now_s: float) -> int:
        return self._lost_base + self._lost_in_epoch(now_s)

    def snapshot(self, now_s: float) -> MetricsSnapshot:
        """The figures as of `now_s` (advances the degraded flag's hysteresis)."""
        with self._lock:
            return self._snapshot(now_s)

    def _snapshot(self, now_s: float) -> MetricsSnapshot:
        if self._start_s is None:
            self._start_s = now_s
        self._prune_window(now_s)
        first = self._first_arrival
        bitrate = packets_per_s = 0.0
        if self._window:
            # In the first second, divide by the time covered so far, not by a whole second.
            since_first = math.inf if first is None else max(now_s - first, 0.0)
            span = min(WINDOW_S, since_first + self._frame_s)
            bitrate = self._window_bytes * 8 / span / 1000.0
            packets_per_s = len(self._window) / span
        if first is not None and now_s - first >= WINDOW_S:
            if bitrate < self._degraded_below:
                self._degraded = True
            elif bitrate > self._degraded_clear:
                self._degraded = False
        lost = self._lost_frames(now_s)
        return MetricsSnapshot(
            elapsed_s=now_s - self._start_s,
            total_packets=self.total_packets,
            dropped_packets=lost,
            total_bytes=self.total_bytes,
            avg_latency_ms=self._settled_latency(),
            effective_bitrate=self._effective_kbps,
            bitrate_kbps=bitrate,
            jitter_ms=self.jitter_ms,
            packets_per_s=packets_per_s,
            frames=self.frames,
            partial_bytes=self.partial_bytes,
            lost_frames=lost,
            concealed_frames=self.concealed_frames,
            late_frames=self.late_frames,
            buffer_depth_ms=self.buffer_depth_ms,
            buffer_target_ms=self.buffer_target_ms,
            degraded=self._degraded,
        )

    def chart(self, column: str) -> npt.NDArray[np.float64]:
        """The last `chart_seconds` of one column at the chart rate, oldest first."""
        return self.chart_rows.column(column)

    def tick(self, now_s: float) -> MetricsSnapshot | None:
        """Once per whole second since start: a snapshot, also appended to `per_second`.

        Returns None between seconds. A late tick yields one row, not a backlog.
        Every CHART_INTERVAL_S a row also goes to `chart_rows`.
        """
        if now_s < self._next_tick_s:  # the usual case, once per message: no lock needed
            return None
        with self._lock:
            return self._tick(now_s)

    def _tick(self, now_s: float) -> MetricsSnapshot | None:
        if self._start_s is None:
            self._start_s = now_s
        since = now_s - self._start_s
        chart_ticks = math.floor(since / CHART_INTERVAL_S + _EPS)
        if chart_ticks <= self._chart_ticks_done:
            return None
        self._chart_ticks_done = chart_ticks
        self._next_tick_s = self._start_s + (chart_ticks + 1 - _EPS) * CHART_INTERVAL_S
        snap = self._snapshot(now_s)
        row = snap.as_row()
        self.chart_rows.append_row(row)
        seconds = math.floor(since + _EPS)
        if seconds <= self._seconds_done:
            return None
        self._seconds_done = seconds
        self.per_second.append_row(row)
        return snap


def _judged_ema(avg_ms: float, late_s: float, floor_s: float, frame_s: float) -> float:
    """The seed's average after one sample, less the whole frames that stayed late after it."""
    if floor_s >= frame_s - _EPS:
        late_s -= math.floor(floor_s / frame_s + _EPS) * frame_s
    return avg_ms + LATENCY_EMA * (max(0.0, late_s) * 1000.0 - avg_ms)
