"""Turns any PCM or float WAV into what a CXone voice stream carries: 8 kHz mono int16.

The RIFF reader is our own (`core.riff`, shared with the recorder) because the stdlib
`wave` module of Python 3.11 rejects WAVE_FORMAT_EXTENSIBLE (what sox writes for 24-bit
and multichannel files) and IEEE float. Channels are averaged; the rate is converted by
band-limited interpolation: each output sample is a Kaiser-windowed sinc (beta 8.6, 12
zero crossings each side) centred on its exact input position, with the cutoff at 95 % of
the lower Nyquist frequency so downsampling does not alias. That is the sinc method of
resampy / libsamplerate, in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, Encoding
from cxone_desktop.core.codecs import decode
from cxone_desktop.core.riff import (
    UNKNOWN_SIZE,
    WAVE_FORMAT_ALAW,
    WAVE_FORMAT_IEEE_FLOAT,
    WAVE_FORMAT_MULAW,
    WAVE_FORMAT_PCM,
    RiffError,
    iter_chunks,
    parse_fmt,
)
from cxone_desktop.errors import InputError

WIRE_RATE_HZ = DEFAULT_FORMAT.rate_hz

#: Call recordings often come as G.711.
_G711: dict[int, Encoding] = {WAVE_FORMAT_ALAW: "alaw", WAVE_FORMAT_MULAW: "mulaw"}
_KAISER_BETA = 8.6
_ZERO_CROSSINGS = 12
_CUTOFF = 0.95
_CHUNK = 4096


@dataclass(frozen=True)
class WavInfo:
    """What the file's fmt chunk said."""

    rate_hz: int
    channels: int
    sample_width: int
    is_float: bool
    g711: Encoding | None = None  # "mulaw" / "alaw": one byte a sample, decoded by core.codecs


def load_call_audio(path: Path) -> npt.NDArray[np.int16]:
    """The WAV at `path` as 8 kHz mono int16 samples; InputError("audio", …) if unusable."""
    info, samples = read_wav(path)
    mono = samples.mean(axis=1) if info.channels > 1 else samples[:, 0]
    wire = resample(mono, info.rate_hz, WIRE_RATE_HZ)
    return np.clip(np.round(wire * 32768.0), -32768, 32767).astype(np.int16)


def read_wav(path: Path) -> tuple[WavInfo, npt.NDArray[np.float64]]:
    """Samples as float64 in [-1, 1), shaped (frames, channels)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("audio", f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InputError("audio", f"{path} is not a WAV file")
    info: WavInfo | None = None
    payload: bytes | None = None
    for chunk in iter_chunks(data):
        body = data[chunk.body : chunk.body + chunk.size]
        if chunk.id == b"fmt ":
            info = _parse_fmt(body, path)
        elif chunk.id == b"data":
            # A writer that died before fixing the header leaves size 0 or 0xFFFFFFFF.
            payload = body if chunk.size not in (0, UNKNOWN_SIZE) else data[chunk.body :]
            break
    if info is None or payload is None:
        raise InputError("audio", f"{path} has no fmt or data chunk")
    return info, _decode(payload, info)


def _parse_fmt(body: bytes, path: Path) -> WavInfo:
    try:
        fmt = parse_fmt(body)
    except RiffError:
        raise InputError("audio", f"{path} has a truncated fmt chunk") from None
    tag, channels, rate = fmt.tag, fmt.channels, fmt.rate_hz
    if channels < 1 or rate < 1:
        raise InputError("audio", f"{path}: the fmt chunk says {channels} channels at {rate} Hz")
    if tag in _G711:
        return WavInfo(rate_hz=rate, channels=channels, sample_width=1, is_float=False,
                       g711=_G711[tag])  # fmt: skip
    if tag not in (WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT):
        raise InputError(
            "audio", f"{path}: only PCM, float or G.711 WAV is supported (format {tag:#x})"
        )
    width = fmt.block_align // channels if fmt.block_align else (fmt.bits + 7) // 8
    is_float = tag == WAVE_FORMAT_IEEE_FLOAT
    if (is_float and width not in (4, 8)) or (not is_float and width not in (1, 2, 3, 4)):
        raise InputError("audio", f"{path}: unsupported sample width {width} bytes")
    return WavInfo(rate_hz=rate, channels=channels, sample_width=width, is_float=is_float)


def _decode(payload: bytes, info: WavInfo) -> npt.NDArray[np.float64]:
    frame_bytes = info.sample_width * info.channels
    payload = payload[: len(payload) - len(payload) % frame_bytes]
    width = info.sample_width
    raw = np.frombuffer(payload, dtype=np.uint8)
    values: npt.NDArray[np.float64]
    if info.g711 is not None:
        values = decode(payload, info.g711) / 32768.0
    elif info.is_float:
        values = np.frombuffer(payload, dtype="<f4" if width == 4 else "<f8").astype(np.float64)
    elif width == 1:
        values = (raw.astype(np.float64) - 128.0) / 128.0
    elif width == 2:
        values = np.frombuffer(payload, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 3:
        triples = raw.reshape(-1, 3).astype(np.int32)
        ints = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        ints = np.where(ints & 0x800000, ints - (1 << 24), ints)
        values = ints.astype(np.float64) / float(1 << 23)
    else:
        values = np.frombuffer(payload, dtype="<i4").astype(np.float64) / float(1 << 31)
    return values.reshape(-1, info.channels)


def resample(samples: npt.NDArray[np.float64], from_hz: int, to_hz: int) -> npt.NDArray[np.float64]:
    """Band-limited rate conversion of a 1-D signal (see the module docstring)."""
    if from_hz == to_hz or samples.size == 0:
        return samples.astype(np.float64, copy=True)
    ratio = to_hz / from_hz
    cutoff = _CUTOFF * min(1.0, ratio)  # in cycles per input sample, times 2
    half_width = int(np.ceil(_ZERO_CROSSINGS / cutoff))
    n_out = int(np.floor(samples.size * ratio))
    padded = np.concatenate([np.zeros(half_width), samples, np.zeros(half_width + 1)])
    offsets = np.arange(-half_width + 1, half_width + 1)
    out = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, _CHUNK):
        positions = np.arange(start, min(start + _CHUNK, n_out)) / ratio
        base = np.floor(positions).astype(np.int64)
        taps = base[:, None] + offsets[None, :]
        distance = positions[:, None] - taps
        weights = cutoff * np.sinc(cutoff * distance) * _kaiser(distance / half_width)
        out[start : start + positions.size] = np.sum(weights * padded[taps + half_width], axis=1)
    return out


def _kaiser(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The Kaiser window as a continuous function on [-1, 1], zero outside."""
    inside = np.clip(1.0 - x * x, 0.0, None)
    window: npt.NDArray[np.float64] = np.i0(_KAISER_BETA * np.sqrt(inside)) / np.i0(_KAISER_BETA)
    return np.where(np.abs(x) <= 1.0, window, 0.0)
