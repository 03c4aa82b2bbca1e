"""Stretches where nobody speaks, for "skip silences longer than N s" in playback.

Read from the envelope pyramid's finest level (one peak per 8 ms at 8 kHz), so
finding every silence of an hour-long call costs a pass over 450,000 numbers.
A stretch is silent when every channel's peak stays at or under the threshold.
"""

from __future__ import annotations

import numpy as np

from cxone_desktop.review.envelope_pyramid import BASE_BLOCK, EnvelopePyramid

#: Peak amplitude (int16) at or below which a block counts as silent: about −40 dBFS.
SILENCE_PEAK = 330


def silent_stretches(
    pyramid: EnvelopePyramid,
    rate_hz: int,
    *,
    min_s: float,
    peak: int = SILENCE_PEAK,
) -> list[tuple[int, int]]:
    """[start, stop) frame ranges of silence lasting at least `min_s` seconds."""
    if min_s <= 0 or pyramid.frames == 0:
        return []
    quiet = pyramid.block_peaks() <= peak
    padded = np.concatenate(([False], quiet, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    min_blocks = int(np.ceil(min_s * rate_hz / BASE_BLOCK))
    out = []
    for lo, hi in zip(edges[::2], edges[1::2], strict=True):
        if hi - lo >= min_blocks:
            out.append((int(lo) * BASE_BLOCK, min(int(hi) * BASE_BLOCK, pyramid.frames)))
    return out


def skip_target(
    stretches: list[tuple[int, int]], frame: int, *, lead_frames: int = 0
) -> int | None:
    """Where playback at `frame` should jump to, if it is inside a silence; else None.

    `lead_frames` keeps a little of the silence before speech resumes (so words are
    not clipped); the jump lands `lead_frames` before the stretch ends.
    """
    for lo, hi in stretches:
        if lo <= frame < hi - lead_frames:
            return max(frame, hi - lead_frames)
        if lo > frame:
            break
    return None
