"""What a waveform lane draws for a stretch of session time: a min/max envelope, or samples.

One (min, max) pair per pixel column from the envelope pyramid, placed at the
column's session time (so raw audio shows its gaps), or, once a column holds
less than one sample, the samples themselves joined by a line.
"""

from __future__ import annotations

import numpy as np

from cxone_desktop.review.envelope_pyramid import EnvelopePyramid
from cxone_desktop.review.session_reader import AudioTrack


def lane_envelope(
    track: AudioTrack,
    pyramid: EnvelopePyramid,
    ch: int,
    t0: float,
    t1: float,
    columns: int,
) -> tuple[np.ndarray, np.ndarray, str]:
    """(x session seconds, y full scale ±1, pyqtgraph `connect` mode) for one channel."""

    rate = track.rate_hz
    f0, f1 = (float(v) * rate for v in track.time_map.to_file([t0, t1]))
    f0, f1 = max(0.0, f0), min(float(track.wav.frames), f1)
    if f1 - f0 < 1:
        return np.zeros(0), np.zeros(0), "pairs"
    if (f1 - f0) / columns < 1.0:  # less than a sample a pixel: draw the samples
        lo, hi = max(0, int(f0) - 1), min(track.wav.frames, int(np.ceil(f1)) + 1)
        frames = np.arange(lo, hi)
        x = track.time_map.to_session(frames / rate)
        y = track.wav.samples[lo:hi, ch].astype(np.float32) / 32768.0
        return x, y, "all"
    mins, maxs = pyramid.envelope(f0, f1, columns, ch)
    centres = f0 + (np.arange(columns) + 0.5) * (f1 - f0) / columns
    x = np.repeat(track.time_map.to_session(centres / rate), 2)
    y = np.empty(columns * 2, dtype=np.float32)
    y[0::2], y[1::2] = mins / 32768.0, maxs / 32768.0
    ok = np.repeat(np.isfinite(mins), 2)
    return x[ok], y[ok], "pairs"
