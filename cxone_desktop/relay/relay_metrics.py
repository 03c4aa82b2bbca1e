"""Prometheus metrics of one relay process (`GET /metrics`), in their own registry so several
relays in one process (tests) never share counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


class RelayMetrics:
    """Counters the ingest, fan-out and auth code bump; rendered in the text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.calls = Gauge(
            "relay_calls", "Live calls (active or on hold)", ["platform"], registry=r
        )
        self.listeners = Gauge("relay_listeners", "Connected listeners", registry=r)
        self.frames_in = Counter(
            "relay_frames_in", "20 ms frames ingested, per perspective", ["platform"], registry=r
        )
        self.frames_out = Counter("relay_frames_out", "20 ms frames sent to listeners", registry=r)
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
        self.latency = Histogram(
            "relay_ingest_to_listener_seconds",
            "From ingest of the frame that completed a chunk to its send to a listener",
            buckets=LATENCY_BUCKETS_S,
            registry=r,
        )
        self.late_samples = Counter(
            "relay_late_samples", "Samples dropped because their perspective was late", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
