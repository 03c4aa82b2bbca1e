"""A session WAV opened for review: PCM16 samples memory-mapped, plus its cue labels.

Memory-mapping means an hour-long call opens in microseconds and pages in only
what is drawn or played. RIFF and RF64 (`ds64`) are both read. The header of a
recording cut short (or still growing) may declare less audio than the file
holds; when nothing follows the data chunk the file's length wins. `cue ` points
with `LIST/adtl` labels (`labl`, and `ltxt` for a region's length) are read too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cxone_desktop.errors import SessionReadError

_PCM = 1
_EXTENSIBLE = 0xFFFE
_UNKNOWN_32 = 0xFFFF_FFFF


@dataclass(frozen=True)
class CueLabel:
    """A labelled point (or region, when `length_frames` > 0) in a WAV file."""

    position_frames: int
    label: str
    length_frames: int = 0


@dataclass
class WavAudio:
    """`samples` is (frames, channels) int16, read-only; channel 0 is the agent on stereo."""

    path: Path
    rate_hz: int
    channels: int
    samples: npt.NDArray[np.int16]
    cues: list[CueLabel] = field(default_factory=list)
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
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[8:12] != b"WAVE" or head[:4] not in (b"RIFF", b"RF64"):
                raise SessionReadError(f"{path} is not a WAV file (no RIFF/WAVE header)")
            rf64 = head[:4] == b"RF64"
            chunks = _walk_chunks(f, size)
    except OSError as exc:
        raise SessionReadError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    fmt = chunks.get(b"fmt ")
    if fmt is None or b"data" not in chunks.offsets:
        raise SessionReadError(f"{path} has no fmt or data chunk; it may be cut short")
    tag, channels, rate_hz, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack_from("<H", fmt, 24)[0]
    if tag != _PCM or bits != 16 or channels < 1 or block_align != 2 * channels or rate_hz <= 0:
        raise SessionReadError(
            f"{path}: {bits}-bit format {tag} with {channels} channel(s) is not a session "
            "recording (16-bit PCM expected)"
        )
    offset = chunks.offsets[b"data"]
    declared = chunks.sizes[b"data"]
    if rf64 and declared == _UNKNOWN_32 and chunks.ds64_data is not None:
        declared = chunks.ds64_data
    available = size - offset
    # Nothing after the data chunk: the file's length wins (a growing or unrepaired file).
    data_bytes = available if chunks.data_is_last else min(declared, available)
    frames = max(0, data_bytes) // block_align
    samples: npt.NDArray[np.int16]
    if frames == 0:
        samples = np.zeros((0, channels), dtype=np.int16)
    else:
        samples = np.memmap(path, dtype="<i2", mode="r", offset=offset, shape=(frames, channels))
    cues = _labels(chunks)
    return WavAudio(path, rate_hz, channels, samples, cues, rf64)


@dataclass
class _Chunks:
    offsets: dict[bytes, int] = field(default_factory=dict)
    sizes: dict[bytes, int] = field(default_factory=dict)
    bodies: dict[bytes, bytes] = field(default_factory=dict)
    lists: list[bytes] = field(default_factory=list)
    ds64_data: int | None = None
    data_is_last: bool = True

    def get(self, tag: bytes) -> bytes | None:
        return self.bodies.get(tag)


#: Small chunks read whole; the data chunk is only located.
_READ_WHOLE = (b"fmt ", b"cue ", b"ds64")


def _walk_chunks(f: object, size: int) -> _Chunks:
    read = f.read  # type: ignore[attr-defined]
    seek = f.seek  # type: ignore[attr-defined]
    out = _Chunks()
    pos = 12
    while pos + 8 <= size:
        seek(pos)
        header = read(8)
        if len(header) < 8:
            break
        tag, length = header[:4], struct.unpack("<I", header[4:])[0]
        if not _is_chunk_id(tag):
            break  # garbage after the last chunk
        body_at = pos + 8
        if tag == b"data":
            out.offsets[tag] = body_at
            out.sizes[tag] = length
            if length == _UNKNOWN_32 and out.ds64_data is not None:
                length = out.ds64_data
            nxt = body_at + length + (length & 1)
            if nxt + 8 > size or length == _UNKNOWN_32:
                out.data_is_last = True
                break
            seek(nxt)
            peek = read(4)
            out.data_is_last = not _is_chunk_id(peek)
            if out.data_is_last:
                break
            pos = nxt
            continue
        if tag in _READ_WHOLE or tag == b"LIST":
            body = read(min(length, 1 << 20))
            if tag == b"LIST":
                out.lists.append(body)
            else:
                out.bodies[tag] = body
            if tag == b"ds64" and len(body) >= 16:
                out.ds64_data = struct.unpack_from("<Q", body, 8)[0]
        out.offsets.setdefault(tag, body_at)
        pos = body_at + length + (length & 1)
    return out


def _is_chunk_id(tag: bytes) -> bool:
    return len(tag) == 4 and all(32 <= c < 127 for c in tag) and tag[:1] != b" "


def _labels(chunks: _Chunks) -> list[CueLabel]:
    """Cue points joined to their `labl` text and `ltxt` length (by cue ID)."""
    cue = chunks.get(b"cue ")
    if not cue or len(cue) < 4:
        return []
    count = min(struct.unpack_from("<I", cue)[0], (len(cue) - 4) // 24)
    points: dict[int, int] = {}
    for i in range(count):
        cue_id, _pos, _chunk, _cs, _bs, offset = struct.unpack_from("<II4sIII", cue, 4 + 24 * i)
        points[cue_id] = offset
    texts: dict[int, str] = {}
    lengths: dict[int, int] = {}
    for body in chunks.lists:
        if body[:4] != b"adtl":
            continue
        pos = 4
        while pos + 8 <= len(body):
            tag, length = body[pos : pos + 4], struct.unpack_from("<I", body, pos + 4)[0]
            sub = body[pos + 8 : pos + 8 + length]
            if tag in (b"labl", b"note") and len(sub) >= 4:
                cue_id = struct.unpack_from("<I", sub)[0]
                text = sub[4:].split(b"\0", 1)[0].decode("utf-8", "replace")
                if tag == b"labl" or cue_id not in texts:
                    texts[cue_id] = text
            elif tag == b"ltxt" and len(sub) >= 8:
                cue_id, frames = struct.unpack_from("<II", sub)
                lengths[cue_id] = frames
            pos += 8 + length + (length & 1)
    return sorted(
        (CueLabel(points[i], texts.get(i, ""), lengths.get(i, 0)) for i in points),
        key=lambda c: c.position_frames,
    )
