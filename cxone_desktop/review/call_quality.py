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
mean delay (not an average of per-second MOS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxone_desktop.core import e_model
from cxone_desktop.review.session_reader import FRAME_S, SessionRecording
from cxone_desktop.review.timeline import Mark, overlap_s, row_starts

Floats = npt.NDArray[np.float64]
#: Rows around a second that its BurstR is estimated from.
BURST_WINDOW_ROWS = 15
#: A row needs this much playing time to be scored.
MIN_ACTIVE_S = 0.1


@dataclass(frozen=True)
class CallQuality:
    """Per-row series (NaN where a row is not scored) and the call's figures."""

    time_s: Floats
    loss_pct: Floats
    burst_ratio: Floats
    delay_ms: Floats
    r: Floats
    mos: Floats
    call: e_model.QualityEstimate
    codec: e_model.CodecImpairment
    scored_seconds: float

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
    active = np.clip(dt - held, 0.0, None)
    due = active / FRAME_S
    concealed = np.clip(table.deltas("concealed_frames") - held / FRAME_S, 0.0, None)
    loss = np.maximum.reduce([concealed, table.deltas("lost_frames"), out_s / FRAME_S])
    loss = np.minimum(loss, due)
    scored = active >= MIN_ACTIVE_S
    with np.errstate(invalid="ignore", divide="ignore"):
        loss_pct = np.where(scored, 100.0 * loss / np.maximum(due, 1e-9), np.nan)
    delay = (
        np.nan_to_num(table.column("buffer_depth_ms"))
        + np.nan_to_num(table.column("avg_latency_ms"))
        + FRAME_S * 1000.0
    )
    delay = np.where(scored, delay, np.nan)
    slots = round(1.0 / FRAME_S)
    full = scored & (due >= 0.9 * slots)
    counts = np.where(full, loss * slots / np.maximum(due, 1e-9), np.nan)
    burst = np.full(t.size, np.nan)
    half = BURST_WINDOW_ROWS // 2
    for i in np.flatnonzero(scored):
        window = counts[max(0, i - half) : i + half + 1]
        window = window[np.isfinite(window)]
        burst[i] = e_model.burst_ratio_from_counts(window, slots) if window.size else 1.0
    codec = codec_for(rec)
    r = np.full(t.size, np.nan)
    for i in np.flatnonzero(scored):
        r[i] = e_model.r_factor(loss_pct[i], burst[i], delay[i], codec)
    mos = np.array([e_model.mos_from_r(x) if math.isfinite(x) else math.nan for x in r])
    total_due = float(due[scored].sum())
    call_loss = 100.0 * float(loss[scored].sum()) / total_due if total_due > 0 else 0.0
    finite_counts = counts[np.isfinite(counts)]
    call_burst = e_model.burst_ratio_from_counts(finite_counts, slots)
    call_delay = float(np.nanmean(delay)) if scored.any() else FRAME_S * 1000.0
    call = e_model.estimate(call_loss, call_burst, call_delay, codec)
    return CallQuality(
        time_s=t.copy(),
        loss_pct=loss_pct,
        burst_ratio=burst,
        delay_ms=delay,
        r=r,
        mos=mos,
        call=call,
        codec=codec,
        scored_seconds=float(active[scored].sum()),
    )
