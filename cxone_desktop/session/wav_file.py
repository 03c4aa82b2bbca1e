"""WAV files on disk after the writer: sizes fixed from the file's length, cue points read back.

`fix_wav_sizes` is what `repair` and `export` run on a WAV a crash (or a copy taken while
recording) left with stale header sizes. While `WavWriter` writes, the `data` chunk runs
to the end of the file; once closed, cue chunks may follow it. The two are told apart by
whether the bytes after the declared data are whole chunks that end exactly at the end
of the file.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cxone_desktop import portable
from cxone_desktop.core.riff import (
    DS64_BODY_BYTES,
    RIFF_LIMIT_BYTES,
    UNKNOWN_SIZE,
    Cue,
    RiffError,
    WavLayout,
    check_pcm,
    cue_chunks,
    read_cues,
    read_layout,
    tiles_exactly,
)

__all__ = ["WavFix", "WavFormatError", "WavLayout", "fix_wav_sizes", "read_file_cues"]

#: The bytes `fix_wav_sizes` / `read_file_cues` parse for the header.
_HEAD_BYTES = 4096
#: Chunks after the audio longer than this are taken for audio a crash left behind.
_MAX_TRAILER_BYTES = 1 << 20

WavFormatError = RiffError


@dataclass(frozen=True)
class WavFix:
    """What `fix_wav_sizes` found and did."""

    declared_data_bytes: int
    data_bytes: int
    trimmed_bytes: int
    rf64: bool
    rate_hz: int
    block_align: int
    #: Bytes of chunks after the audio (cue points) kept or written.
    trailer_bytes: int = 0

    @property
    def changed(self) -> bool:
        return self.declared_data_bytes != self.data_bytes or self.trimmed_bytes > 0

    @property
    def duration_s(self) -> float:
        return self.data_bytes / self.block_align / self.rate_hz


def fix_wav_sizes(
    path: Path, *, riff_limit_bytes: int = RIFF_LIMIT_BYTES, cues: Sequence[Cue] | None = None
) -> WavFix:
    """Make the header sizes match the file's length, dropping a trailing part-frame.

    Chunks after the declared audio that end exactly at the end of the file (cue points
    written on close) are kept; anything else after the header is audio. `cues`, when
    given, replace whatever chunks followed the audio. A RIFF file that grew past
    `riff_limit_bytes` is turned into RF64 if it has the reserved `JUNK` chunk. Raises
    `WavFormatError` for files it cannot understand, `OSError` for I/O.
    """
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        layout = read_layout(portable.pread(fd, _HEAD_BYTES, 0))
        check_pcm(layout)
        declared = layout.declared_data_bytes
        trailer_at = _trailer_start(fd, layout, size)
        audio_end = size if trailer_at is None else layout.data_offset + (declared or 0)
        available = max(0, audio_end - layout.data_offset)
        data_bytes = available - available % layout.block_align
        trimmed = available - data_bytes
        data_end = layout.data_offset + data_bytes + (data_bytes & 1)
        if cues is not None:
            trailer = cue_chunks(cues)
            os.ftruncate(fd, layout.data_offset + data_bytes)
            if trailer:
                pad = b"\0" if data_bytes & 1 else b""
                portable.pwrite(fd, pad + trailer, layout.data_offset + data_bytes)
            trailer_bytes = len(trailer)
        elif trailer_at is None:
            if trimmed:
                os.ftruncate(fd, layout.data_offset + data_bytes)
            trailer_bytes = 0
        else:
            trailer_bytes = size - trailer_at
        riff_bytes = data_end - 8 + trailer_bytes
        if trailer_bytes == 0:
            riff_bytes = layout.data_offset - 8 + data_bytes  # no pad needed at the very end
        rf64 = layout.rf64 or riff_bytes > riff_limit_bytes
        if rf64:
            if layout.ds64_offset is None:
                raise WavFormatError("too large for RIFF and no room for a ds64 chunk")
            frames = data_bytes // layout.block_align
            portable.pwrite(fd, struct.pack("<4sI", b"RF64", UNKNOWN_SIZE), 0)
            portable.pwrite(
                fd,
                struct.pack("<4sIQQQ", b"ds64", DS64_BODY_BYTES, riff_bytes, data_bytes, frames),
                layout.ds64_offset,
            )
            portable.pwrite(fd, struct.pack("<I", UNKNOWN_SIZE), layout.data_offset - 4)
        else:
            portable.pwrite(fd, struct.pack("<I", riff_bytes), 4)
            portable.pwrite(fd, struct.pack("<I", data_bytes), layout.data_offset - 4)
        return WavFix(
            declared_data_bytes=declared if declared is not None else 0,
            data_bytes=data_bytes,
            trimmed_bytes=trimmed,
            rf64=rf64,
            rate_hz=layout.rate_hz,
            block_align=layout.block_align,
            trailer_bytes=trailer_bytes,
        )
    finally:
        os.close(fd)


def read_file_cues(path: Path) -> list[Cue]:
    """The labelled cue points of the WAV at `path` ([] when it has none).

    Raises `WavFormatError` for files that are not WAVE, `OSError` for I/O.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        layout = read_layout(portable.pread(fd, _HEAD_BYTES, 0))
        start = _trailer_start(fd, layout, size)
        if start is None:
            return []
        return read_cues(portable.pread(fd, size - start, start))
    finally:
        os.close(fd)


def _trailer_start(fd: int, layout: WavLayout, size: int) -> int | None:
    """Where whole chunks after the declared audio start, or None if there are none."""
    declared = layout.declared_data_bytes
    if declared is None:
        return None
    start = layout.data_offset + declared + (declared & 1)
    if not 0 < size - start <= _MAX_TRAILER_BYTES:
        return None
    return start if tiles_exactly(portable.pread(fd, size - start, start)) else None
