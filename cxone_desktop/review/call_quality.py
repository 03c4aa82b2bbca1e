"""The E-model applied to a recorded call: an R-factor and MOS per second and for the call.

Inputs per metrics row (one a second), over the time the call was playing
(holds and the time before the stream opened are left out):
- loss Ppl: frames the listener did not get as sent, i.e. the larger of the
  concealed and the lost frames (and an outage's length), over the frames due;
- burstiness BurstR: estimated from how the per-second loss counts spread
  (`e_model.burst_ratio_from_counts`); per second over a window of rows around it;
- delay: what we can see of the one-way delay: one 20 ms frame, the packets'
  lateness (`avg_latency_ms`) and the playout buffer (`buffer_depth_ms`).
The call's figure applies the E-model to the whole call's loss, burstiness and
mean delay (not an average of per-second MOS); the scoring itself is
`core.quality_rows.score_rows`, which the live session uses for summary.json too.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxone_desktop.core import e_model
from cxone_desktop.core.quality_rows import RowScores, score_rows
from cxone_desktop.review.session_reader import FRAME_S, SessionRecording
from cxone_desktop.review.timeline import Mark, overlap_s, row_starts

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CallQuality(RowScores):
    """The E-model's per-row series with each row's time, as the review draws them."""

    time_s: Floats

    @property
    def label(self) -> str:
        return f"{e_model.MAPPING_LABEL}; {self.codec.name}"

    @property
    def worst_mos(self) -> float:
        finite = self.mos[np.isfinite(self.mos)]
        return float(finite.min()) if finite.size else math.nan


def codec_for(rec: SessionRecording) -> e_model.CodecImpairment:
    """G.711 with PLC unless the session says it filled gaps with silence."""
    conceal = str(rec.settings.get("concealment", "plc")).lower()
    return (
        e_model.G711_NO_PLC if conceal in ("zero", "silence", "off", "none") else e_model.G711_PLC
    )


def call_quality(rec: SessionRecording, marks: list[Mark]) -> CallQuality | None:
    """The E-model figures of `rec`; None when metrics.csv has no rows to score."""
    table = rec.metrics
    if table.rows == 0:
        return None
    t = table.elapsed_s
    start = row_starts(t)
    excluded = [(m.start_s, m.end_s) for m in marks if m.kind == "hold"]
    streaming = [h for h in rec.state_history if h.get("state") == "STREAMING"]
    first = streaming[0].get("elapsed_s") if streaming else None
    if isinstance(first, int | float):
        excluded.append((-math.inf, float(first)))
    ended = [h.get("elapsed_s") for h in rec.state_history if h.get("state") == "DISCONNECTING"]
    if ended and isinstance(ended[0], int | float):
        excluded.append((float(ended[0]), math.inf))
    outages = [(m.start_s, m.end_s) for m in marks if m.kind == "outage"]
    dt = t - start
    held = np.array([overlap_s(a, b, excluded) for a, b in zip(start, t, strict=True)])
    out_s = np.array([overlap_s(a, b, outages) for a, b in zip(start, t, strict=True)])
    concealed = np.clip(table.deltas("concealed_frames") - held / FRAME_S, 0.0, None)
    loss = np.maximum.reduce([concealed, table.deltas("lost_frames"), out_s / FRAME_S])
    delay = (
        np.nan_to_num(table.column("buffer_depth_ms"))
        + np.nan_to_num(table.column("avg_latency_ms"))
        + FRAME_S * 1000.0
    )
    scores = score_rows(dt - held, loss, delay, frame_s=FRAME_S, codec=codec_for(rec))
    fields = {f.name: getattr(scores, f.name) for f in dataclasses.fields(scores)}
    return CallQuality(time_s=t.copy(), **fields)


def live_mos(summary: dict[str, object]) -> float | None:
    """The live session's own MOS from summary.json (`mos_estimate.mos`, or a bare number)."""
    value = summary.get("mos_estimate")
    if isinstance(value, dict):
        value = value.get("mos")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None
