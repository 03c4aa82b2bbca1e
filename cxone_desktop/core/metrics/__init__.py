"""Network health of one stream, measured against the 20 ms media clock.

One small class per estimator (`bitrate_window`, `media_clock`, `judged_latency`,
`interarrival_jitter`), composed by `StreamMetrics`; `MetricsSnapshot` is what the
rest of the app reads.
"""

from cxone_desktop.core.metrics.snapshot import PER_SECOND_COLUMNS, MetricsSnapshot
from cxone_desktop.core.metrics.stream_metrics import CHART_INTERVAL_S, StreamMetrics

__all__ = ["CHART_INTERVAL_S", "PER_SECOND_COLUMNS", "MetricsSnapshot", "StreamMetrics"]
