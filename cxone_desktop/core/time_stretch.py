"""Time-scale modification with the pitch kept: WSOLA, and single pitch-period splices.

WSOLA (Verhelst & Roelands 1993) rebuilds the signal from overlapping 20 ms
Hann-windowed segments taken every `hop × speed` input samples and laid down
every `hop` output samples; each segment is moved by up to ±10 ms so that it
continues the previous one's waveform best (highest normalized correlation),
which keeps the pitch and avoids phasing. `wsola` does a whole buffer and
`WsolaStretcher` the same in blocks (the review player's 0.5×–2×).

The playout buffer needs something smaller: make one stretch of audio a little
shorter or longer without touching its first and last samples, so that it
still joins what was played before and what comes after. `shorten` removes and
`lengthen` repeats a whole pitch period (or several, within a budget) with one
cross-faded splice, as NetEq's accelerate and preemptive expand do.

Samples are int16, shape (n,) mono or (n, channels); the similarity search runs
on the channels' mean and every channel gets the same cut, so stereo stays in
step. Speed > 1 is faster (shorter).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Int16 = npt.NDArray[np.int16]
Float = npt.NDArray[np.float64]

#: WSOLA segment length and the most a segment may move to match the last one.
_SEGMENT_S = 0.020
_TOLERANCE_S = 0.010
#: Speeds accepted; beyond these speech is no longer intelligible anyway.
MIN_SPEED = 0.25
MAX_SPEED = 4.0
#: Pitch periods searched by the splices: 2.5 ms (400 Hz) to 15 ms (66 Hz).
_PERIOD_MIN_S = 0.0025
_PERIOD_MAX_S = 0.015
#: Correlation window of the splice search.
_MATCH_S = 0.010


def _as_2d(samples: npt.ArrayLike) -> tuple[Float, bool]:
    """(float samples shaped (n, channels), whether the input was mono 1-D)."""
    x = np.asarray(samples)
    if x.ndim == 1:
        return x.astype(np.float64).reshape(-1, 1), True
    if x.ndim == 2 and x.shape[1] >= 1:
        return x.astype(np.float64), False
    raise ValueError(f"expected samples shaped (n,) or (n, channels), got {x.shape}")


def _to_int16(x: Float, mono: bool) -> Int16:
    out = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    return out.reshape(-1) if mono else out


def _check_speed(speed: float) -> None:
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed!r}")


def _best_offset(reference: Float, region: Float, lags: int) -> int:
    """Offset in [0, lags] where `region[offset : offset + len(reference)]` best matches
    `reference` (normalized cross-correlation); 0 when the region is silent."""
    n = reference.shape[0]
    if lags <= 0:
        return 0
    dots = np.correlate(region[: n + lags], reference, mode="valid")
    energy = np.convolve(np.square(region[: n + lags]), np.ones(n), mode="valid")
    score = dots / np.sqrt(np.maximum(energy, 1e-9))
    return int(np.argmax(score))


class WsolaStretcher:
    """Streaming WSOLA: `process` blocks at any speed, `flush` at the end.

    The output of a whole stream equals `wsola` of the whole input at that speed,
    whatever the block sizes; the speed may change from block to block. Output
    lags input by about 30 ms (the segment plus the search), which `flush` returns.
    """

    def __init__(self, rate_hz: int, channels: int = 1) -> None:
        if rate_hz < 1000:
            raise ValueError(f"rate_hz must be at least 1000, got {rate_hz!r}")
        if channels < 1:
            raise ValueError(f"channels must be at least 1, got {channels!r}")
        self._channels = channels
        self._rate_hz = rate_hz
        half = max(8, round(rate_hz * _SEGMENT_S / 2))
        self._hop = half  # synthesis hop: half a segment (Hann windows sum to one)
        self._seg = 2 * half
        self._tol = max(1, round(rate_hz * _TOLERANCE_S))
        n = np.arange(self._seg)
        self._window: Float = 0.5 - 0.5 * np.cos(2 * np.pi * n / self._seg)  # periodic Hann
        self._reset()

    def _reset(self) -> None:
        channels = self._channels
        self._buf: Float = np.zeros((0, channels), dtype=np.float64)
        self._pos = 0.0  # where the next segment nominally starts, in _buf
        self._prev = 0  # where the last segment started, in _buf
        self._tail: Float | None = None  # second half of the last windowed segment
        self._owed = 0.0  # output samples due for the input taken so far
        self._emitted = 0
        self._speed = 1.0
        self._mono_in: bool | None = None

    def process(self, block: npt.ArrayLike, speed: float) -> Int16:
        """Take `block` (the stretcher's channels), return the output it completes."""
        _check_speed(speed)
        x, mono = self._take(block)
        self._buf = np.concatenate([self._buf, x])
        self._owed += x.shape[0] / speed
        self._speed = speed
        return _to_int16(self._run(speed, final=False), mono)

    def flush(self) -> Int16:
        """The rest of the output; the stretcher is then ready for a new stream."""
        mono = bool(self._mono_in) if self._mono_in is not None else self._channels == 1
        owed = round(self._owed) - self._emitted
        speed = self._speed
        steps = max(0, owed) // self._hop + 2
        pad = round(steps * self._hop * speed) + self._seg + 2 * self._tol
        real = self._buf.shape[0]
        self._buf = np.concatenate([self._buf, np.zeros((pad, self._channels))])
        out = self._run(speed, final=True, real_end=real)[: max(0, owed)]
        self._reset()
        return _to_int16(out, mono)

    def _take(self, block: npt.ArrayLike) -> tuple[Float, bool]:
        x, mono = _as_2d(block)
        if x.shape[1] != self._channels:
            raise ValueError(f"expected {self._channels} channel(s), got {x.shape[1]}")
        if self._mono_in is None:
            self._mono_in = mono
        return x, mono

    def _run(self, speed: float, *, final: bool, real_end: int | None = None) -> Float:
        hop, seg, tol = self._hop, self._seg, self._tol
        pieces: list[Float] = []
        target = round(self._owed)
        while True:
            if final and self._emitted + sum(p.shape[0] for p in pieces) >= target:
                break
            start = round(self._pos)
            if self._tail is None:
                need = start + seg
            else:
                need = max(start + tol + seg, self._prev + hop + seg)
            if need > self._buf.shape[0]:
                break
            if self._tail is None:
                chosen = start
                segment = self._buf[chosen : chosen + seg]
                # A virtual segment before the first one: the stream starts at full level.
                tail = segment[:hop] * self._window[hop:, None]
            else:
                low = max(0, start - tol)
                lags = start + tol - low
                if real_end is not None:
                    lags = max(0, min(lags, real_end - seg - low))
                natural = self._buf[self._prev + hop : self._prev + hop + seg].mean(axis=1)
                region = self._buf[low : low + seg + lags].mean(axis=1)
                chosen = low + _best_offset(natural, region, lags)
                segment = self._buf[chosen : chosen + seg]
                tail = self._tail
            windowed = segment * self._window[:, None]
            pieces.append(tail + windowed[:hop])
            self._tail = windowed[hop:]
            self._prev = chosen
            self._pos += hop * speed
        self._discard()
        out = np.concatenate(pieces) if pieces else np.zeros((0, self._channels))
        self._emitted += out.shape[0]
        return out

    def _discard(self) -> None:
        """Drop input no later segment can reach."""
        keep_from = min(round(self._pos) - self._tol, self._prev + self._hop)
        cut = max(0, keep_from)
        if cut:
            self._buf = self._buf[cut:]
            self._pos -= cut
            self._prev -= cut


def wsola(samples: npt.ArrayLike, speed: float, rate_hz: int) -> Int16:
    """The whole of `samples` played `speed` times as fast, pitch kept; length round(n / speed)."""
    _check_speed(speed)
    x, mono = _as_2d(samples)
    if speed == 1.0:
        return _to_int16(x, mono)
    stretcher = WsolaStretcher(rate_hz, x.shape[1])
    body = stretcher.process(x, speed)
    rest = stretcher.flush()
    out = np.concatenate([body.reshape(-1, x.shape[1]), rest.reshape(-1, x.shape[1])])
    return out.reshape(-1) if mono else out


@dataclass(frozen=True)
class Splice:
    """The result of `shorten` or `lengthen`: the new samples, the length change (samples,
    negative when shortened) and how alike the two spliced periods were (-1..1)."""

    samples: Int16
    delta: int
    similarity: float


def _period_search(x: Float, rate_hz: int, longest: int) -> tuple[int, float]:
    """The lag in [2.5 ms, `longest`] at which x repeats best, and that similarity (-1..1)."""
    mono = x.mean(axis=1)
    match = max(8, round(rate_hz * _MATCH_S))
    shortest = max(2, round(rate_hz * _PERIOD_MIN_S))
    longest = min(longest, mono.shape[0] - match)
    if longest < shortest:
        return 0, 0.0
    head = mono[:match]
    windows = np.lib.stride_tricks.sliding_window_view(mono[shortest : longest + match], match)
    dots = windows @ head
    energy = np.einsum("ij,ij->i", windows, windows) * float(head @ head)
    score = np.where(energy > 0, dots / np.sqrt(np.maximum(energy, 1e-9)), 0.0)
    best = int(np.argmax(score))
    return shortest + best, float(score[best])


def _splice_length(x: Float, rate_hz: int, most: int) -> tuple[int, float]:
    """(samples to cut or repeat: whole periods within `most` and half the input, similarity)."""
    room = min(most, x.shape[0] // 2)
    lag, similarity = _period_search(x, rate_hz, min(room, round(rate_hz * _PERIOD_MAX_S)))
    if lag <= 0:
        return 0, 0.0
    return lag * max(1, room // lag), similarity


def shorten(samples: npt.ArrayLike, rate_hz: int, *, most: int) -> Splice:
    """Remove whole pitch periods (at most `most` samples and half the input) with one
    cross-fade; the result starts and ends as the input did. `delta` is 0 when none fits."""
    x, mono = _as_2d(samples)
    cut, similarity = _splice_length(x, rate_hz, most)
    if cut <= 0:
        return Splice(_to_int16(x, mono), 0, 0.0)
    ramp = ((np.arange(cut, dtype=np.float64) + 0.5) / cut)[:, None]
    blend = x[:cut] * (1.0 - ramp) + x[cut : 2 * cut] * ramp
    return Splice(_to_int16(np.concatenate([blend, x[2 * cut :]]), mono), -cut, similarity)


def lengthen(samples: npt.ArrayLike, rate_hz: int, *, most: int) -> Splice:
    """Repeat whole pitch periods (at most `most` samples and half the input) with one
    cross-fade; the result starts and ends as the input did. `delta` is 0 when none fits."""
    x, mono = _as_2d(samples)
    add, similarity = _splice_length(x, rate_hz, most)
    if add <= 0:
        return Splice(_to_int16(x, mono), 0, 0.0)
    ramp = ((np.arange(add, dtype=np.float64) + 0.5) / add)[:, None]
    # x[:add], then a blend from x[add:2add] back into x[:add] (which x[add:] continues).
    blend = x[add : 2 * add] * (1.0 - ramp) + x[:add] * ramp
    out = np.concatenate([x[:add], blend, x[add:]])
    return Splice(_to_int16(out, mono), add, similarity)
