"""A session WAV opened for review: PCM16 samples memory-mapped, plus its cue labels.

Memory-mapping means an hour-long call opens in microseconds and pages in only
what is drawn or played. The chunks are `core.riff`'s to read (RIFF and RF64,
`cue ` points with `labl` text and `ltxt` region lengths); this module only
decides how much of the file is audio: the header of a recording cut short (or
still growing) may declare less than the file holds, and then the file's length
wins unless what follows the declared audio is whole metadata chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.riff import (
    WAVE_FORMAT_PCM,
    Cue,
    RiffError,
    WavLayout,
    read_cues,
    read_layout,
    tiles_exactly,
)
from cxone_desktop.errors import SessionReadError
from cxone_desktop.private_files import describe_os_error

#: Header bytes read first; more (up to _MAX_HEADER_BYTES) when other chunks precede `data`.
_HEAD_BYTES = 64 * 1024
_MAX_HEADER_BYTES = 4 << 20
#: Chunks after the audio longer than this are taken for audio a crash left behind.
_MAX_TRAILER_BYTES = 1 << 20


@dataclass
class WavAudio:
    """`samples` is (frames, channels) int16, read-only; channel 0 is the agent on stereo."""

    path: Path
    rate_hz: int
    channels: int
    samples: npt.NDArray[np.int16]
    cues: list[Cue] = field(default_factory=list)
    rf64: bool = False

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate_hz if self.rate_hz else 0.0

    def channel(self, index: int) -> npt.NDArray[np.int16]:
        """One channel as a (frames,) view (no copy)."""
        return self.samples[:, index]

    def mono(self, start: int = 0, stop: int | None = None) -> npt.NDArray[np.float32]:
        """Frames [start, stop) mixed to one channel (the mean), as float32."""
        part = self.samples[start:stop]
        if self.channels == 1:
            return part[:, 0].astype(np.float32)
        return np.asarray(part.astype(np.float32).mean(axis=1), dtype=np.float32)


def open_wav(path: Path) -> WavAudio:
    """Open a PCM16 WAV for review. Raises SessionReadError naming the file and the problem."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            size = path.stat().st_size
            layout, head = _layout(f, size, path)
            audio_bytes, trailer = _audio_extent(f, layout, size)
    except OSError as exc:
        raise SessionReadError(f"Cannot read {path}: {describe_os_error(exc)}") from exc
    fmt = layout.fmt
    pcm16 = fmt.tag == WAVE_FORMAT_PCM and fmt.bits == 16 and fmt.block_align == 2 * fmt.channels
    if not pcm16 or fmt.channels < 1 or fmt.rate_hz <= 0:
        raise SessionReadError(
            f"{path}: {fmt.bits}-bit format {fmt.tag} with {fmt.channels} channel(s) is not a "
            "session recording (16-bit PCM expected)"
        )
    frames = audio_bytes // layout.block_align
    samples: npt.NDArray[np.int16]
    if frames == 0:
        samples = np.zeros((0, fmt.channels), dtype=np.int16)
    else:
        samples = np.memmap(
            path, dtype="<i2", mode="r", offset=layout.data_offset, shape=(frames, fmt.channels)
        )
    # Cue chunks are after the audio (where we write them) or, from some editors, before it.
    found = read_cues(head[: layout.data_offset], 12) + read_cues(trailer)
    ordered = sorted(set(found), key=lambda c: (c.frame, c.label))
    return WavAudio(path, fmt.rate_hz, fmt.channels, samples, ordered, layout.rf64)


def _layout(f: BinaryIO, size: int, path: Path) -> tuple[WavLayout, bytes]:
    """The header parsed, and the bytes read for it (a longer read if chunks precede `data`)."""
    want = _HEAD_BYTES
    while True:
        f.seek(0)
        head = f.read(min(want, size))
        try:
            return read_layout(head), head
        except RiffError as exc:
            if len(head) < 12 or head[8:12] != b"WAVE" or head[:4] not in (b"RIFF", b"RF64"):
                raise SessionReadError(f"{path} is not a WAV file (no RIFF/WAVE header)") from exc
            if len(head) >= size or want >= _MAX_HEADER_BYTES:
                raise SessionReadError(
                    f"{path} has no fmt or data chunk ({exc}); it may be cut short"
                ) from exc
            want *= 4


def _audio_extent(f: BinaryIO, layout: WavLayout, size: int) -> tuple[int, bytes]:
    """(bytes of audio, the metadata chunks after it).

    The declared size is kept only when whole known chunks follow it to the end of the
    file (cue points written on close); otherwise everything after the header is audio.
    """
    available = max(0, size - layout.data_offset)
    declared = layout.declared_data_bytes
    if declared is None or declared >= available:
        return min(available, declared if declared is not None else available), b""
    start = layout.data_offset + declared + (declared & 1)
    if 0 < size - start <= _MAX_TRAILER_BYTES:
        f.seek(start)
        trailer = f.read(size - start)
        if tiles_exactly(trailer):
            return declared, trailer
    return available - available % layout.block_align, b""
