"""Network health of one stream: small estimators behind one face.

`BitrateWindow` (bitrate and packet rate over the last second), `MediaClock`
(loss against the 20 ms media clock), `JudgedLatency` (the seed's latency
average, loss taken out), `InterarrivalJitter` (RFC 3550) and `LossWindow`
(loss over 5 s). Lost frames show up as neither latency nor jitter. What only
the session knows (time spent streaming, gaps with no audio, whether the call is
interrupted) is handed in with `set_call_time`. All times are passed in; nothing
here reads a clock.
"""

from __future__ import annotations

import math

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.metrics.bitrate_window import BitrateWindow
from cxone_desktop.core.metrics.interarrival_jitter import InterarrivalJitter
from cxone_desktop.core.metrics.judged_latency import JudgedLatency
from cxone_desktop.core.metrics.loss_window import LossWindow
from cxone_desktop.core.metrics.media_clock import MediaClock
from cxone_desktop.core.metrics.snapshot import PER_SECOND_COLUMNS, MetricsSnapshot
from cxone_desktop.core.ring_buffer import RecordRing

#: The degraded flag clears only once the bitrate is back above this multiple of the floor.
DEGRADED_CLEAR_RATIO = 1.2
#: Live charts get a row this often (metrics.csv one a second).
CHART_INTERVAL_S = 0.5
#: A frame counts as missing once it is this many jitter estimates late (and at least a frame).
JITTER_ALLOWANCE_FACTOR = 4.0
#: Above this share of frames lost over LOSS_WINDOW_S the stream counts as degraded.
DEGRADED_LOSS_PERCENT = 3.0
_EPS = 1e-9


class StreamMetrics:
    """Counts packets and bytes and derives latency, jitter, bitrate and loss.

    Not thread-safe: the session feeds it and reads it on one thread. `tick` gives a
    snapshot once a second (for metrics.csv) and appends a row to `chart_rows` every
    CHART_INTERVAL_S (for live charts).
    """

    def __init__(
        self,
        fmt: AudioFormat = DEFAULT_FORMAT,
        *,
        degraded_below_kbps: float = 12.0,
        chart_seconds: float = 60.0,
    ) -> None:
        if degraded_below_kbps < 0:
            raise ValueError(f"degraded_below_kbps must be >= 0, got {degraded_below_kbps}")
        if chart_seconds <= 0:
            raise ValueError("chart_seconds must be positive")
        self._fmt = fmt
        self._frame_s = frame_s = fmt.frame_duration_s
        self._degraded_below = degraded_below_kbps
        self._degraded_clear = degraded_below_kbps * DEGRADED_CLEAR_RATIO
        #: A row every CHART_INTERVAL_S over the last `chart_seconds`, for live charts.
        self.chart_rows = RecordRing(
            max(1, math.ceil(chart_seconds / CHART_INTERVAL_S)), PER_SECOND_COLUMNS
        )
        self._bitrate = BitrateWindow(frame_s)
        self._clock = MediaClock(fmt.frame_bytes, frame_s)
        self._latency = JudgedLatency(frame_s)
        self._jitter = InterarrivalJitter(frame_s)
        self._loss = LossWindow()
        self._start_s: float | None = None
        self._seconds_done = 0
        self._chart_ticks_done = 0
        self._next_tick_s = -math.inf  # `tick` does nothing before this
        self._last_arrival_s: float | None = None  # None until an epoch's first packet
        self._last_media_s = 0.0
        self._low_bitrate = False
        self._streaming_s = 0.0
        self._gap_ms = 0.0
        self._interrupted = False
        self.total_packets = 0
        self.total_bytes = 0
        self.frames = 0
        self.partial_bytes = 0
        self.concealed_frames = 0
        self.late_frames = 0
        self.buffer_depth_ms = 0.0
        self.buffer_target_ms = 0.0
        self.time_scale_changes = 0

    @property
    def format(self) -> AudioFormat:
        return self._fmt

    @property
    def jitter_ms(self) -> float:
        return self._jitter.jitter_s * 1000.0

    def start(self, now_s: float) -> None:
        """Set the origin of `elapsed_s` and `tick`; else the first packet or tick sets it."""
        self._start_s = now_s
        self._seconds_done = 0
        self._chart_ticks_done = 0
        self._next_tick_s = -math.inf

    def record_packet(self, nbytes: int, arrival_s: float) -> None:
        """Account one WebSocket message of `nbytes` that arrived at `arrival_s`."""
        if nbytes < 0:
            raise ValueError(f"nbytes must be >= 0, got {nbytes}")
        if self._start_s is None:
            self._start_s = arrival_s
        self.total_packets += 1
        self.total_bytes += nbytes
        self._bitrate.add(nbytes, arrival_s)
        if nbytes == 0:
            return
        clock = self._clock
        media_s = clock.advance(nbytes)
        last = self._last_arrival_s
        if last is None:
            clock.start_epoch(arrival_s, media_s)
        else:
            self._jitter.add(arrival_s - last - (media_s - self._last_media_s))
        self._latency.add(arrival_s, clock.judge(arrival_s, media_s))
        self._last_arrival_s = arrival_s
        self._last_media_s = media_s

    def record_frames(self, n: int) -> None:
        """Whole frames the reassembler produced."""
        self.frames += n

    def record_partial(self, nbytes: int) -> None:
        """Bytes of a partial frame left over when a connection ended."""
        self.partial_bytes += nbytes

    def record_concealed(self, n: int) -> None:
        self.concealed_frames += n

    def record_late(self, n: int) -> None:
        """Frames the jitter buffer dropped because they came after their slot."""
        self.late_frames += n

    def set_buffer(self, depth_ms: float, target_ms: float, time_scale_changes: int = 0) -> None:
        self.buffer_depth_ms = depth_ms
        self.buffer_target_ms = target_ms
        self.time_scale_changes = time_scale_changes

    def set_call_time(self, *, streaming_s: float, gap_ms: float, interrupted: bool) -> None:
        """What the session knows: seconds spent streaming, ms with no audio while the call was
        up, and whether it is interrupted now (reconnecting or stalled: degraded at once)."""
        self._streaming_s = streaming_s
        self._gap_ms = gap_ms
        self._interrupted = interrupted

    def reanchor(self) -> None:
        """Restart the media clock at the next packet (after a reconnect, a hold or at the end).

        Frames proven missing so far stay counted; the pause itself is not loss.
        """
        self._clock.end_epoch(self._last_arrival_s, self._allowance_s())
        self._latency.settle()
        self._jitter.forget_held()
        self._last_arrival_s = None

    def _allowance_s(self) -> float:
        """How late a frame may be before it counts as missing."""
        return max(
            self._frame_s,
            JITTER_ALLOWANCE_FACTOR * self._jitter.jitter_s,
            self.buffer_target_ms / 1000.0,
        )

    def snapshot(self, now_s: float) -> MetricsSnapshot:
        """The figures as of `now_s` (advances the degraded flag's hysteresis)."""
        if self._start_s is None:
            self._start_s = now_s
        first = self._clock.first_arrival_s
        bitrate, packets_per_s = self._bitrate.rates(now_s, first)
        if first is not None and now_s - first >= 1.0:
            if bitrate < self._degraded_below:
                self._low_bitrate = True
            elif bitrate > self._degraded_clear:
                self._low_bitrate = False
        lost = self._clock.lost(now_s, self._allowance_s())
        self._loss.add(now_s, lost, self.frames)
        loss_percent = self._loss.percent()
        degraded = self._interrupted or self._low_bitrate or loss_percent > DEGRADED_LOSS_PERCENT
        gap_frames = round(self._gap_ms / 1000.0 / self._frame_s)
        streaming_s = self._streaming_s
        return MetricsSnapshot(
            elapsed_s=now_s - self._start_s,
            total_packets=self.total_packets,
            dropped_packets=lost + gap_frames,
            total_bytes=self.total_bytes,
            avg_latency_ms=self._latency.average_ms(),
            effective_bitrate=self.total_bytes * 8 / streaming_s / 1000.0 if streaming_s else 0.0,
            bitrate_kbps=bitrate,
            jitter_ms=self.jitter_ms,
            packets_per_s=packets_per_s,
            frames=self.frames,
            partial_bytes=self.partial_bytes,
            lost_frames=lost,
            gap_ms=self._gap_ms,
            loss_5s_percent=loss_percent,
            concealed_frames=self.concealed_frames,
            late_frames=self.late_frames,
            buffer_depth_ms=self.buffer_depth_ms,
            buffer_target_ms=self.buffer_target_ms,
            time_scale_changes=self.time_scale_changes,
            degraded=degraded,
        )

    def tick(self, now_s: float) -> MetricsSnapshot | None:
        """A snapshot once per whole second since start (None between seconds).

        Called on every playout tick (every 10 ms): between chart rows it returns at
        once. A late tick yields one row, not a backlog. Every CHART_INTERVAL_S a row
        also goes to `chart_rows`.
        """
        if now_s < self._next_tick_s:
            return None
        if self._start_s is None:
            self._start_s = now_s
        since = now_s - self._start_s
        chart_ticks = math.floor(since / CHART_INTERVAL_S + _EPS)
        if chart_ticks <= self._chart_ticks_done:
            return None
        self._chart_ticks_done = chart_ticks
        self._next_tick_s = self._start_s + (chart_ticks + 1 - _EPS) * CHART_INTERVAL_S
        snap = self.snapshot(now_s)
        self.chart_rows.append_row(snap.as_row())
        seconds = math.floor(since + _EPS)
        if seconds <= self._seconds_done:
            return None
        self._seconds_done = seconds
        return snap
