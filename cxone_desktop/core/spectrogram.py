"""Short-time Fourier magnitude in dB, 0 Hz to a top frequency, for views and reports.

A Hann window of `window` samples every `hop` samples; the magnitude is in dB
relative to a full-scale int16 sine (so a full-scale tone reads ≈ 0 dB and
silence sits at `floor_db`). Columns can be capped (`max_columns`): a long call
is then sampled at evenly spaced frames rather than every `hop`, so the cost is
bounded by the picture, not the call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Spectrogram:
    """`db[i, j]`: level of frequency `freqs_hz[j]` in the frame centred at `times_s[i]`."""

    times_s: npt.NDArray[np.float64]
    freqs_hz: npt.NDArray[np.float64]
    db: npt.NDArray[np.float32]
    floor_db: float

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.db.shape[0]), int(self.db.shape[1]))


def stft_db(
    samples: npt.ArrayLike,
    rate_hz: int,
    *,
    window: int = 256,
    hop: int = 80,
    max_hz: float = 4000.0,
    max_columns: int | None = None,
    floor_db: float = -100.0,
    start_s: float = 0.0,
) -> Spectrogram:
    """The spectrogram of mono `samples` (int16 scale); `start_s` offsets the times.

    With `max_columns`, at most that many frames are analysed, evenly spaced.
    """
    if rate_hz <= 0 or window < 8 or hop < 1:
        raise ValueError("rate_hz, window and hop must be positive (window ≥ 8)")
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples, got shape {x.shape}")
    n_frames = 0 if x.size < window else 1 + (x.size - window) // hop
    starts = np.arange(n_frames, dtype=np.int64) * hop
    if max_columns is not None and n_frames > max_columns > 0:
        starts = np.linspace(0, x.size - window, max_columns).round().astype(np.int64)
    freqs = np.fft.rfftfreq(window, 1.0 / rate_hz)
    freqs = freqs[freqs <= max_hz + 1e-9]
    if starts.size == 0:
        return Spectrogram(
            np.zeros(0), freqs.astype(np.float64), np.zeros((0, freqs.size), np.float32), floor_db
        )
    db = np.empty((starts.size, freqs.size), dtype=np.float32)
    block = 4096
    for lo in range(0, starts.size, block):
        idx = starts[lo : lo + block, None] + np.arange(window)[None, :]
        db[lo : lo + block] = frames_db(x[idx], rate_hz, max_hz=max_hz, floor_db=floor_db)[1]
    times = start_s + (starts + window / 2.0) / rate_hz
    return Spectrogram(times.astype(np.float64), freqs.astype(np.float64), db, floor_db)


def frames_db(
    frames: npt.ArrayLike, rate_hz: int, *, max_hz: float = 4000.0, floor_db: float = -100.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32]]:
    """(frequencies, dB) of each row of `frames` (n, window): for callers that cut frames
    themselves (e.g. straight from a memory-mapped hour-long file)."""
    f = np.asarray(frames, dtype=np.float32)
    window = f.shape[1]
    hann = np.hanning(window).astype(np.float32)
    freqs = np.fft.rfftfreq(window, 1.0 / rate_hz)
    keep = freqs <= max_hz + 1e-9
    # A full-scale sine of amplitude A gives a peak |X| = A·Σw/2; that is 0 dB.
    ref = FULL_SCALE * float(hann.sum()) / 2.0
    mag = np.abs(np.fft.rfft(f * hann, axis=1))[:, keep]
    db = 20.0 * np.log10(np.maximum(mag / ref, 10.0 ** (floor_db / 20.0)))
    return freqs[keep].astype(np.float64), db.astype(np.float32)
