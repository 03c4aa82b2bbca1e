"""Decode and encode the wire encodings: 16-bit LE PCM and G.711 μ-law / A-law.

G.711 goes through 256-entry decode tables and 65536-entry encode tables built
once at import, so a frame converts with one numpy lookup. The tables are
bit-exact with ITU-T G.711 as implemented by the CCITT/Sun reference code that
Python's `audioop` uses (`ulaw2lin`, `lin2ulaw`, `alaw2lin`, `lin2alaw` at width 2).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import Encoding

Buffer = bytes | bytearray | memoryview
Int16Array = npt.NDArray[np.int16]

# Segment end points of the reference encoders (14-bit μ-law, 13-bit A-law input).
_SEG_UEND: Final = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], np.int32)
_SEG_AEND: Final = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF], np.int32)
_ULAW_BIAS: Final = 0x84


def _build_mulaw_decode() -> Int16Array:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + _ULAW_BIAS) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, _ULAW_BIAS - t, t - _ULAW_BIAS).astype(np.int16)


def _build_alaw_decode() -> Int16Array:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


def _all_int16() -> npt.NDArray[np.int32]:
    """Every int16 value, indexed by its uint16 bit pattern."""
    return np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)


def _build_mulaw_encode() -> npt.NDArray[np.uint8]:
    pcm = _all_int16() >> 2  # the reference encoder takes 14-bit input
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), 32635) + (_ULAW_BIAS >> 2)
    seg = np.searchsorted(_SEG_UEND, mag, side="left")
    code = (seg << 4) | ((mag >> np.minimum(seg + 1, 31)) & 0x0F)
    code = np.where(seg >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


def _build_alaw_encode() -> npt.NDArray[np.uint8]:
    pcm = _all_int16() >> 3  # the reference encoder takes 13-bit input
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = np.searchsorted(_SEG_AEND, mag, side="left")
    shift = np.where(seg < 2, 1, seg)
    code = (seg << 4) | ((mag >> shift) & 0x0F)
    code = np.where(seg >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


MULAW_DECODE: Final[Int16Array] = _build_mulaw_decode()
ALAW_DECODE: Final[Int16Array] = _build_alaw_decode()
MULAW_ENCODE: Final[npt.NDArray[np.uint8]] = _build_mulaw_encode()
ALAW_ENCODE: Final[npt.NDArray[np.uint8]] = _build_alaw_encode()
for _table in (MULAW_DECODE, ALAW_DECODE, MULAW_ENCODE, ALAW_ENCODE):
    _table.flags.writeable = False

_LE_INT16: Final = np.dtype("<i2")


def _bytes_view(data: Buffer) -> npt.NDArray[np.uint8]:
    return np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)


def decode_pcm16le(data: Buffer) -> Int16Array:
    """16-bit little-endian PCM bytes → a new native int16 array.

    Raises ValueError on an odd byte count: half a sample is never valid here.
    """
    raw = memoryview(data).cast("B")
    if len(raw) % 2:
        raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(raw)}")
    return np.frombuffer(raw, dtype=_LE_INT16).astype(np.int16)


def decode_mulaw(data: Buffer) -> Int16Array:
    """G.711 μ-law bytes → a new int16 array (one sample per byte)."""
    return MULAW_DECODE[_bytes_view(data)]


def decode_alaw(data: Buffer) -> Int16Array:
    """G.711 A-law bytes → a new int16 array (one sample per byte)."""
    return ALAW_DECODE[_bytes_view(data)]


def decode(data: Buffer, encoding: Encoding) -> Int16Array:
    """Wire bytes in `encoding` → a new 1-D int16 array."""
    if encoding == "pcm16":
        return decode_pcm16le(data)
    if encoding == "mulaw":
        return decode_mulaw(data)
    if encoding == "alaw":
        return decode_alaw(data)
    raise ValueError(f"unknown encoding {encoding!r}")


def _as_int16(samples: npt.ArrayLike) -> Int16Array:
    """Integers as int16, saturating wider types; floats are refused (scale them first)."""
    arr = np.asarray(samples)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"expected integer samples, got dtype {arr.dtype}")
    if arr.dtype != np.int16:
        arr = np.clip(arr, -32768, 32767)
    return arr.astype(np.int16, copy=False)


def encode_pcm16le(samples: npt.ArrayLike) -> bytes:
    """int16 samples → 16-bit little-endian PCM bytes."""
    return _as_int16(samples).astype(_LE_INT16, copy=False).tobytes()


def encode_mulaw(samples: npt.ArrayLike) -> bytes:
    """int16 samples → G.711 μ-law bytes."""
    return MULAW_ENCODE[_as_int16(samples).reshape(-1).view(np.uint16)].tobytes()


def encode_alaw(samples: npt.ArrayLike) -> bytes:
    """int16 samples → G.711 A-law bytes."""
    return ALAW_ENCODE[_as_int16(samples).reshape(-1).view(np.uint16)].tobytes()


def encode(samples: npt.ArrayLike, encoding: Encoding) -> bytes:
    """int16 samples → wire bytes in `encoding`."""
    if encoding == "pcm16":
        return encode_pcm16le(samples)
    if encoding == "mulaw":
        return encode_mulaw(samples)
    if encoding == "alaw":
        return encode_alaw(samples)
    raise ValueError(f"unknown encoding {encoding!r}")
