"""The spectrogram of a stretch of a recording, read straight from the memory map.

Only the analysed frames are read (at most `columns` × window samples), so the
cost follows the picture, not the length of the stretch: a whole hour and a
second cost the same. Stereo is mixed to mono first. Times are session seconds.
"""

from __future__ import annotations

import numpy as np

from cxone_desktop.core.spectrogram import Spectrogram, frames_db
from cxone_desktop.review.session_reader import AudioTrack

WINDOW = 256


def track_spectrogram(
    track: AudioTrack,
    start_s: float,
    end_s: float,
    columns: int,
    *,
    max_hz: float = 4000.0,
    floor_db: float = -100.0,
) -> Spectrogram:
    """Up to `columns` evenly spaced frames between two session times."""
    lo = track.frame_at(start_s)
    hi = track.frame_at(end_s)
    n = max(0, min(int(columns), (hi - lo - WINDOW) // 16 + 1))
    freqs = np.fft.rfftfreq(WINDOW, 1.0 / track.rate_hz).astype(np.float64)
    freqs = freqs[freqs <= max_hz + 1e-9]
    if n <= 0 or hi - lo < WINDOW:
        return Spectrogram(np.zeros(0), freqs, np.zeros((0, freqs.size), np.float32), floor_db)
    starts = np.linspace(lo, hi - WINDOW, n).round().astype(np.int64)
    idx = starts[:, None] + np.arange(WINDOW)[None, :]
    frames = np.asarray(track.wav.samples[idx], dtype=np.float32).mean(axis=2)
    freqs, db = frames_db(frames, track.rate_hz, max_hz=max_hz, floor_db=floor_db)
    centres = (starts + WINDOW / 2.0) / track.rate_hz
    return Spectrogram(track.time_map.to_session(centres), freqs, db, floor_db)
