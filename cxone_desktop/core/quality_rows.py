"""The E-model over a call's per-second rows: R and MOS per second and for the call.

The live session (for summary.json's `mos_estimate`) and the review (for its chart
and report) both score a call with this, from the same per-second inputs:
- `active_s`: seconds of the row in which the call was playing (holds left out);
- `loss_frames`: frames the listener did not get as sent in that row (the caller
  decides: the larger of concealed, lost and an outage's length);
- `delay_ms`: what can be seen of the one-way delay (a frame, the packets' lateness,
  the playout buffer).
Burstiness (BurstR) comes from how the per-second loss counts spread. The call's
figure applies the E-model to the whole call's loss, burstiness and mean delay, not
an average of per-second MOS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cxone_desktop.core import e_model

Floats = npt.NDArray[np.float64]
#: Rows around a second that its BurstR is estimated from.
BURST_WINDOW_ROWS = 15
#: A row needs this much playing time to be scored.
MIN_ACTIVE_S = 0.1


@dataclass(frozen=True)
class RowScores:
    """Per-row series (NaN where a row is not scored) and the call's figures."""

    loss_pct: Floats
    burst_ratio: Floats
    delay_ms: Floats
    r: Floats
    mos: Floats
    call: e_model.QualityEstimate
    codec: e_model.CodecImpairment
    scored_seconds: float

    def summary(self) -> dict[str, Any]:
        """summary.json's `mos_estimate`: the call's figures and the mapping used."""
        c = self.call
        return {
            "mos": round(c.mos, 2),
            "r_factor": round(c.r, 1),
            "loss_percent": round(c.loss_pct, 2),
            "burst_ratio": round(c.burst_ratio, 2),
            "one_way_delay_ms": round(c.one_way_delay_ms, 1),
            "scored_seconds": round(self.scored_seconds, 1),
            "mapping": f"{e_model.MAPPING_LABEL}; {self.codec.name}",
        }


def score_rows(
    active_s: npt.ArrayLike,
    loss_frames: npt.ArrayLike,
    delay_ms: npt.ArrayLike,
    *,
    frame_s: float = 0.02,
    codec: e_model.CodecImpairment = e_model.G711_PLC,
) -> RowScores:
    """Score each row and the call; rows with under MIN_ACTIVE_S of playing are not scored."""
    active = np.clip(np.asarray(active_s, dtype=np.float64), 0.0, None)
    due = active / frame_s
    loss = np.minimum(np.clip(np.asarray(loss_frames, dtype=np.float64), 0.0, None), due)
    scored = active >= MIN_ACTIVE_S
    with np.errstate(invalid="ignore", divide="ignore"):
        loss_pct = np.where(scored, 100.0 * loss / np.maximum(due, 1e-9), np.nan)
    delay = np.where(scored, np.asarray(delay_ms, dtype=np.float64), np.nan)
    slots = round(1.0 / frame_s)
    full = scored & (due >= 0.9 * slots)
    counts = np.where(full, loss * slots / np.maximum(due, 1e-9), np.nan)
    burst = np.full(active.size, np.nan)
    half = BURST_WINDOW_ROWS // 2
    for i in np.flatnonzero(scored):
        window = counts[max(0, i - half) : i + half + 1]
        window = window[np.isfinite(window)]
        burst[i] = e_model.burst_ratio_from_counts(window, slots) if window.size else 1.0
    r = np.full(active.size, np.nan)
    for i in np.flatnonzero(scored):
        r[i] = e_model.r_factor(loss_pct[i], burst[i], delay[i], codec)
    mos = np.array([e_model.mos_from_r(x) if math.isfinite(x) else math.nan for x in r])
    total_due = float(due[scored].sum())
    call_loss = 100.0 * float(loss[scored].sum()) / total_due if total_due > 0 else 0.0
    call_burst = e_model.burst_ratio_from_counts(counts[np.isfinite(counts)], slots)
    call_delay = float(np.nanmean(delay)) if scored.any() else frame_s * 1000.0
    return RowScores(
        loss_pct=loss_pct,
        burst_ratio=burst,
        delay_ms=delay,
        r=r,
        mos=mos,
        call=e_model.estimate(call_loss, call_burst, call_delay, codec),
        codec=codec,
        scored_seconds=float(active[scored].sum()),
    )
