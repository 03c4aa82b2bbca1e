"""How to move the playout delay toward its target without it being heard.

NetEq's accelerate and preemptive expand, in our terms: in a quiet stretch the
whole difference is made up at once (quiet frames cut, or concealment frames
added, then one splice for the rest); in sound only one splice of whole pitch
periods, and only where the waveform repeats well, after waiting a while for
a quiet moment (`playout_policy.patience`). Pure: it plans, the buffer acts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.playout_policy import MIN_SPLICE_SIMILARITY, URGENT_S
from cxone_desktop.core.time_stretch import lengthen, shorten

#: The most one splice in sound may change, and how much longer than the patience a
#: correction waits for a waveform that repeats well before it splices anyway.
MAX_SPLICE_S = 0.020
FORCE_AFTER = 2.0


@dataclass(frozen=True)
class Correction:
    """What to play for the next frames (all samples interleaved)."""

    cut_frames: int  # quiet frames dropped first (shrink)
    fill_frames: int  # concealment frames played first (stretch)
    used_frames: int  # frames `samples` is made of
    samples: npt.NDArray[np.int16]  # the next `used_frames` frames, spliced (or as they are)
    delta: int  # samples per channel the splice removed (< 0) or added (> 0); 0: none fitted

    @property
    def changed(self) -> bool:
        return self.delta != 0 or self.cut_frames > 0 or self.fill_frames > 0


def plan_correction(
    frames: npt.NDArray[np.int16],
    quiet: int,
    *,
    shrink: bool,
    excess_s: float,
    waited_s: float,
    patience_s: float,
    rate_hz: int,
    channels: int,
) -> Correction | None:
    """A correction using the next contiguous `frames` (rows), the first `quiet` of them quiet;
    None: not now (in sound, and not yet waited long enough)."""
    per_channel = frames.shape[1] // channels
    budget = round(abs(excess_s) * rate_hz)
    cut = fill = 0
    if quiet and shrink:
        cut = min(quiet - 1, budget // per_channel)
        budget -= cut * per_channel
    elif quiet:
        fill = budget // per_channel
        budget -= fill * per_channel
    else:
        if abs(excess_s) < URGENT_S and waited_s < patience_s:
            return None
        budget = min(budget, round(MAX_SPLICE_S * rate_hz))
    used = min(2, frames.shape[0] - cut)
    chunk = frames[cut : cut + used].reshape(-1, channels)
    result = (shorten if shrink else lengthen)(chunk, rate_hz, most=budget)
    forced = waited_s >= FORCE_AFTER * patience_s
    fits = result.delta != 0 and (
        bool(quiet) or forced or result.similarity >= MIN_SPLICE_SIMILARITY
    )
    samples = result.samples if fits else chunk
    return Correction(cut, fill, used, np.asarray(samples).reshape(-1), result.delta if fits else 0)
