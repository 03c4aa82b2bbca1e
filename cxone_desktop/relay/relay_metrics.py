"""Prometheus metrics of one relay process (`GET /metrics`), in their own registry so several
relays in one process (tests) never share counters.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


class _PerFrameCounts(Collector):
    """Counters bumped for every frame, kept as plain numbers and read at scrape time: a
    prometheus_client Counter takes a lock per increment, which costs more than the frame."""

    def __init__(self) -> None:
        self.frames_in: defaultdict[str, float] = defaultdict(float)
        self.frames_out = 0
        self.latency_counts = [0] * (len(LATENCY_BUCKETS_S) + 1)
        self.latency_sum_s = 0.0

    def collect(self) -> Iterator[Metric]:
        frames_in = CounterMetricFamily(
            "relay_frames_in", "20 ms frames ingested, per perspective", labels=["platform"]
        )
        for platform, count in sorted(self.frames_in.items()):
            frames_in.add_metric([platform], count)
        yield frames_in
        yield CounterMetricFamily(
            "relay_frames_out", "20 ms frames sent to listeners", value=self.frames_out
        )
        cumulative, buckets = 0, []
        for bound, count in zip(LATENCY_BUCKETS_S, self.latency_counts, strict=False):
            cumulative += count
            buckets.append((str(bound), cumulative))
        buckets.append(("+Inf", cumulative + self.latency_counts[-1]))
        yield HistogramMetricFamily(
            "relay_ingest_to_listener_seconds",
            "From ingest of the frame that completed a chunk to its write to a listener",
            buckets=buckets,
            sum_value=self.latency_sum_s,
        )


class RelayMetrics:
    """Counters the ingest, fan-out and auth code bump; rendered in the text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.calls = Gauge(
            "relay_calls", "Live calls (active or on hold)", ["platform"], registry=r
        )
        self.listeners = Gauge("relay_listeners", "Connected listeners", registry=r)
        self._per_frame = _PerFrameCounts()
        r.register(self._per_frame)
        self.dropped = Counter(
            "relay_listener_dropped_frames",
            "Frames dropped because a listener was slow, per client",
            ["client"],
            registry=r,
        )
        self.listener_dropped = Gauge(
            "relay_listener_dropped_frames_now",
            "Frames dropped for each connected listener so far",
            ["listener"],
            registry=r,
        )
        self.auth_failures = Counter(
            "relay_auth_failures",
            "Refused authentications, per platform (or 'listener')",
            ["platform"],
            registry=r,
        )
        self.late_samples = Counter(
            "relay_late_samples", "Samples dropped because their perspective was late", registry=r
        )
        self.concealed_samples = Counter(
            "relay_concealed_samples",
            "Samples a platform never sent, concealed in their place (holes and stalls)",
            ["platform"],
            registry=r,
        )

    def count_in(self, platform: str, frames: float) -> None:
        self._per_frame.frames_in[platform] += frames

    def count_out(self, frames: int, latency_s: float) -> None:
        """`frames` written to a listener `latency_s` after the ingest that released them."""
        counts = self._per_frame
        counts.frames_out += frames
        counts.latency_counts[bisect_left(LATENCY_BUCKETS_S, latency_s)] += 1
        counts.latency_sum_s += latency_s

    def render(self) -> bytes:
        return generate_latest(self.registry)
