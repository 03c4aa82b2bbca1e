"""Two-party audio shapes: the mono mix, agent-left/customer-right stereo, and de-interleaving.

The mix is a saturating sum, as a conference bridge does: each party keeps its own
level, and the sum clips rather than wraps when both shout at once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]


def mix(*parties: Int16Array) -> Int16Array:
    """Saturating sum of equal-length int16 tracks (one track comes back as a copy)."""
    if not parties:
        raise ValueError("mix needs at least one track")
    if len(parties) == 1:
        return parties[0].copy()
    total = parties[0].astype(np.int32)
    for track in parties[1:]:
        total += track
    np.maximum(total, -32768, out=total)  # ufuncs: np.clip costs more than the sum on 160 samples
    np.minimum(total, 32767, out=total)
    return total.astype(np.int16)


def interleave(left: Int16Array, right: Int16Array) -> Int16Array:
    """L R L R … from two equal-length tracks."""
    if left.size != right.size:
        raise ValueError(f"tracks differ in length: {left.size} vs {right.size}")
    out = np.empty(left.size * 2, dtype=np.int16)
    out[0::2] = left
    out[1::2] = right
    return out


def deinterleave(samples: Int16Array, channels: int) -> list[Int16Array]:
    """Split per-sample interleaved audio into `channels` tracks; a trailing partial sample set
    is an error (the caller decides whether that is a protocol violation)."""
    if channels < 1:
        raise ValueError("channels must be >= 1")
    if samples.size % channels:
        raise ValueError(f"{samples.size} samples do not split into {channels} channels")
    if channels == 1:
        return [samples]
    return [samples[i::channels].copy() for i in range(channels)]
