"""Cut a byte stream whose message boundaries ignore frames into whole frames.

CXone sends 20 ms frames, but a WebSocket message may hold part of a frame,
several frames, or megabytes. A partial frame is normal operation, not an
error (the seed reported one on every partial frame): its bytes wait in a
carry smaller than one frame until the rest arrives.
"""

from __future__ import annotations

import sys

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.codecs import ALAW_DECODE, MULAW_DECODE, Buffer

_LE_INT16 = np.dtype("<i2")
_NATIVE_LE = sys.byteorder == "little"


class FrameReassembler:
    """Feed wire bytes in; get decoded whole frames out.

    Never loses, duplicates or reorders a byte under any split. Internal state
    is one preallocated frame-sized carry, whatever the message size. Not
    thread-safe: one stream, one feeder.
    """

    def __init__(self, fmt: AudioFormat = DEFAULT_FORMAT) -> None:
        self._fmt = fmt
        self._frame_bytes = fmt.frame_bytes
        self._frame_samples = fmt.frame_samples
        self._table: npt.NDArray[np.int16] | None = {
            "pcm16": None,
            "mulaw": MULAW_DECODE,
            "alaw": ALAW_DECODE,
        }[fmt.encoding]
        self._carry = bytearray(self._frame_bytes)
        self._carry_view = memoryview(self._carry)
        self._carry_len = 0
        self._total_bytes = 0
        self._total_frames = 0
        self._empty = np.empty((0, self._frame_samples), dtype=np.int16)
        self._empty.flags.writeable = False

    @property
    def format(self) -> AudioFormat:
        return self._fmt

    @property
    def carry_bytes(self) -> int:
        """Bytes of the frame in progress; always less than one frame."""
        return self._carry_len

    @property
    def total_bytes(self) -> int:
        """Bytes fed so far."""
        return self._total_bytes

    @property
    def total_frames(self) -> int:
        """Whole frames returned so far."""
        return self._total_frames

    def feed(self, data: Buffer) -> npt.NDArray[np.int16]:
        """Take one message; return the frames it completed, shape (n, frame_samples).

        `n` may be 0. The returned array is new and owned by the caller (the
        empty result is a shared read-only array).
        """
        raw = memoryview(data).cast("B")
        size = len(raw)
        self._total_bytes += size
        carry_len = self._carry_len
        frame_bytes = self._frame_bytes
        available = carry_len + size
        if available < frame_bytes:
            self._carry[carry_len:available] = raw
            self._carry_len = available
            return self._empty
        n = available // frame_bytes
        used = n * frame_bytes - carry_len  # bytes of `raw` that go into frames
        out = self._decode(raw, carry_len, used, n)
        rest = size - used
        self._carry[:rest] = raw[used:]
        self._carry_len = rest
        self._total_frames += n
        return out

    def _decode(self, raw: memoryview, carry_len: int, used: int, n: int) -> npt.NDArray[np.int16]:
        """Decode the carry plus raw[:used] straight into a new (n, frame_samples) array."""
        table = self._table
        if table is None:
            # A fresh bytearray becomes the array's memory: one copy of the bytes, no more.
            buf = bytearray(n * self._frame_bytes)
            if carry_len:
                buf[:carry_len] = self._carry_view[:carry_len]
            buf[carry_len:] = raw[:used]
            out = np.frombuffer(buf, dtype=_LE_INT16).reshape(n, self._frame_samples)
            return out if _NATIVE_LE else out.astype(np.int16)
        out16 = np.empty((n, self._frame_samples), dtype=np.int16)
        flat16 = out16.reshape(-1)
        if carry_len:
            np.take(table, np.frombuffer(self._carry, np.uint8, carry_len), out=flat16[:carry_len])
        np.take(table, np.frombuffer(raw, np.uint8, used), out=flat16[carry_len:])
        return out16

    def flush(self) -> bytes:
        """Return and clear the partial frame left at stream end (b"" if none).

        The caller reports it (e.g. StreamMetrics.record_partial): it is
        surfaced, never silently dropped.
        """
        partial = bytes(self._carry[: self._carry_len])
        self._carry_len = 0
        return partial
