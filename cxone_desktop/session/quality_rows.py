"""The call's seconds as the E-model scores them, collected as metrics rows are made."""

from __future__ import annotations

from typing import Any

from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.core.quality_rows import score_rows


class QualityRows:
    """One row a second of what `core.quality_rows.score_rows` needs, from the snapshots.

    Per second: the playing time (the second less any time on hold), the frames the
    listener did not get as sent (the larger of the concealed frames not caused by a
    hold, the frames lost in the network, and a gap's length while the call was up),
    and the visible one-way delay (a frame, the packets' lateness, the playout buffer).
    The same inputs the review reads back from metrics.csv.
    """

    def __init__(self, frame_s: float) -> None:
        self._frame_s = frame_s
        self._last: MetricsSnapshot | None = None
        self._last_hold_ms = 0.0
        self._active: list[float] = []
        self._loss: list[float] = []
        self._delay: list[float] = []

    def add(self, snap: MetricsSnapshot, *, hold_ms: float) -> None:
        prev = self._last
        dt = snap.elapsed_s - (prev.elapsed_s if prev is not None else snap.elapsed_s - 1.0)
        held_s = (hold_ms - self._last_hold_ms) / 1000.0
        f = self._frame_s

        def delta(name: str) -> float:
            now = float(getattr(snap, name))
            return now - (float(getattr(prev, name)) if prev is not None else 0.0)

        concealed = max(0.0, delta("concealed_frames") - held_s / f)
        gap_frames = delta("gap_ms") / 1000.0 / f
        self._active.append(max(0.0, dt - held_s))
        self._loss.append(max(concealed, delta("lost_frames"), gap_frames))
        self._delay.append(snap.buffer_depth_ms + snap.avg_latency_ms + f * 1000.0)
        self._last, self._last_hold_ms = snap, hold_ms

    def summary(self) -> dict[str, Any]:
        scores = score_rows(self._active, self._loss, self._delay, frame_s=self._frame_s)
        return scores.summary()
