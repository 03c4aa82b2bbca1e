"""A PNG encoder (zlib + struct) and a perceptual colour map, for images in the HTML report.

Enough PNG for one job: 8-bit RGB, no interlace, filter 0 on every row. That
keeps the report free of Qt and matplotlib, so it renders on a headless server.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

#: Anchors of a dark-blue → teal → yellow map (close to viridis), evenly spaced.
_ANCHORS = np.array(
    [
        (13, 8, 135),
        (84, 2, 163),
        (139, 10, 165),
        (185, 50, 137),
        (219, 92, 104),
        (244, 136, 73),
        (254, 188, 43),
        (240, 249, 33),
    ],
    dtype=np.float64,
)


def colour_map(values: npt.ArrayLike, lo: float, hi: float) -> npt.NDArray[np.uint8]:
    """RGB for each value, `lo` (darkest) to `hi` (brightest); shape (..., 3)."""
    v = np.clip((np.asarray(values, dtype=np.float64) - lo) / max(hi - lo, 1e-9), 0.0, 1.0)
    pos = v * (len(_ANCHORS) - 1)
    i = np.minimum(pos.astype(np.int64), len(_ANCHORS) - 2)
    frac = (pos - i)[..., None]
    rgb = _ANCHORS[i] * (1.0 - frac) + _ANCHORS[i + 1] * frac
    return np.asarray(np.round(rgb), dtype=np.uint8)


def encode_png(rgb: npt.NDArray[np.uint8]) -> bytes:
    """PNG bytes of an (height, width, 3) uint8 image."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected (h, w, 3) uint8, got {rgb.shape} {rgb.dtype}")
    height, width = int(rgb.shape[0]), int(rgb.shape[1])
    if height == 0 or width == 0:
        raise ValueError("an image needs at least one pixel")
    rows = np.empty((height, 1 + width * 3), dtype=np.uint8)
    rows[:, 0] = 0  # filter type: none
    rows[:, 1:] = rgb.reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
