"""RIFF/RF64 WAVE files as bytes: chunks, the format, the 80-byte header we write, cue labels.

The one chunk walker of the app: the simulator's WAV loader, the WAV writer, repair,
export and the review read files through it. Pure: callers read the bytes.

Cue points are a `cue ` chunk (one 24-byte point per cue, `dwSampleOffset` in sample
frames) plus a `LIST` chunk of type `adtl` holding one `labl` sub-chunk per cue (its
ID, then the label, NUL-terminated, UTF-8) and, for a region, an `ltxt` sub-chunk (its
ID, then its length in sample frames; purpose `rgn `). We put both after the `data`
chunk, where Audacity and Adobe Audition look for them and where readers that stop at
`data` (Python's `wave`) never see them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

#: What a 32-bit size field holds when the real size is elsewhere (RF64's ds64) or unknown.
UNKNOWN_SIZE = 0xFFFF_FFFF
#: Largest size a RIFF size field can hold; beyond it a file must be RF64.
RIFF_LIMIT_BYTES = 0xFFFF_FFFF
#: Bytes before the audio in files `wav_header` starts.
HEADER_BYTES = 80
DS64_BODY_BYTES = 28

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_ALAW = 0x0006
WAVE_FORMAT_MULAW = 0x0007
WAVE_FORMAT_EXTENSIBLE = 0xFFFE

_CUE_POINT = struct.Struct("<II4sIII")
#: `ltxt`: cue ID, length in frames, purpose, country, language, dialect, code page.
_LABELLED_TEXT = struct.Struct("<II4sHHHH")


class RiffError(ValueError):
    """The bytes are not a WAVE file this module understands."""


@dataclass(frozen=True)
class Chunk:
    """One chunk: its four-character ID, where its 8-byte header is, its declared size."""

    id: bytes
    offset: int
    size: int

    @property
    def body(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        """Where the next chunk starts (bodies of odd size are padded to even)."""
        return self.body + self.size + (self.size & 1)


@dataclass(frozen=True)
class WavFormat:
    """What a `fmt ` chunk says; `tag` is the SubFormat's for WAVE_FORMAT_EXTENSIBLE."""

    tag: int
    channels: int
    rate_hz: int
    block_align: int
    bits: int


@dataclass(frozen=True)
class WavLayout:
    """Where things are in a WAVE file, as its header says."""

    rf64: bool
    fmt: WavFormat
    data_offset: int
    #: The data size the header declares (RF64: from ds64); None when it says "unknown".
    declared_data_bytes: int | None
    #: Offset of a `ds64` chunk (RF64) or of a 28-byte `JUNK` chunk that could become one.
    ds64_offset: int | None

    @property
    def rate_hz(self) -> int:
        return self.fmt.rate_hz

    @property
    def channels(self) -> int:
        return self.fmt.channels

    @property
    def sample_width(self) -> int:
        return self.fmt.bits // 8

    @property
    def block_align(self) -> int:
        return self.sample_width * self.fmt.channels


@dataclass(frozen=True)
class Cue:
    """A labelled point in a recording, `frame` sample frames from its start; a region
    when `length_frames` > 0."""

    frame: int
    label: str
    length_frames: int = 0


def iter_chunks(data: bytes, start: int = 12) -> Iterator[Chunk]:
    """The chunks in `data` from `start`, in order, until fewer than 8 bytes are left.

    A chunk may extend past the end of `data` (a file still growing, or only its head
    was read). After a chunk whose size is UNKNOWN_SIZE nothing more can be found.
    """
    pos = start
    while pos + 8 <= len(data):
        cid, size = struct.unpack_from("<4sI", data, pos)
        chunk = Chunk(cid, pos, size)
        yield chunk
        if size == UNKNOWN_SIZE:
            return
        pos = chunk.end


def parse_fmt(body: bytes) -> WavFormat:
    """A `fmt ` chunk's body; raises RiffError if it is too short to hold one."""
    if len(body) < 16:
        raise RiffError("truncated fmt chunk")
    tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
        (tag,) = struct.unpack_from("<H", body, 24)  # first two bytes of the SubFormat GUID
    return WavFormat(tag, channels, rate, block_align, bits)


def read_layout(header: bytes) -> WavLayout:
    """Parse the chunks up to `data` (pass at least the first few hundred bytes).

    Raises RiffError for anything but RIFF/RF64 WAVE with a `fmt ` before `data`.
    """
    if len(header) < 12 or header[8:12] != b"WAVE" or header[:4] not in (b"RIFF", b"RF64"):
        raise RiffError("not a RIFF/RF64 WAVE file")
    rf64 = header[:4] == b"RF64"
    fmt: WavFormat | None = None
    ds64_offset: int | None = None
    ds64_data: int | None = None
    for chunk in iter_chunks(header):
        if chunk.id == b"fmt ":
            fmt = parse_fmt(header[chunk.body : chunk.body + chunk.size])
        elif chunk.id == b"ds64" and chunk.body + 24 <= len(header):
            ds64_offset = chunk.offset
            ds64_data = struct.unpack_from("<Q", header, chunk.body + 8)[0]
        elif chunk.id == b"JUNK" and chunk.size == DS64_BODY_BYTES and ds64_offset is None:
            ds64_offset = chunk.offset
        elif chunk.id == b"data":
            if fmt is None:
                raise RiffError("no fmt chunk before the data chunk")
            declared: int | None = chunk.size
            if chunk.size == UNKNOWN_SIZE:
                declared = ds64_data if rf64 else None
            return WavLayout(rf64, fmt, chunk.body, declared, ds64_offset)
    raise RiffError("no data chunk in the header")


def check_pcm(layout: WavLayout) -> None:
    """Raises RiffError unless the layout is integer PCM of 1 to 4 bytes a sample."""
    fmt = layout.fmt
    pcm = fmt.tag in (WAVE_FORMAT_PCM, WAVE_FORMAT_EXTENSIBLE)
    if not pcm or fmt.bits % 8 or not 1 <= fmt.bits // 8 <= 4:
        raise RiffError(f"unsupported format tag {fmt.tag} / {fmt.bits} bits")
    if fmt.channels < 1:
        raise RiffError("the fmt chunk says 0 channels")


#: Chunks that writers put after the audio: cue points and labels, tags, broadcast info.
TRAILING_CHUNK_IDS = frozenset(
    {b"cue ", b"LIST", b"smpl", b"inst", b"id3 ", b"ID3 ", b"bext", b"iXML", b"_PMX",
     b"JUNK", b"PAD ", b"acid", b"cart", b"DISP", b"fact"}
)  # fmt: skip


def tiles_exactly(data: bytes) -> bool:
    """Whether `data` is a run of known metadata chunks ending exactly at its end.

    Tells chunks a writer appended after `data` (cue points) from audio a crash left
    beyond the declared data size: audio bytes would have to spell a known chunk ID and
    sizes that chain to the last byte.
    """
    end = 0
    for chunk in iter_chunks(data, 0):
        if chunk.id not in TRAILING_CHUNK_IDS or chunk.size == UNKNOWN_SIZE:
            return False
        end = chunk.end
        if end > len(data):
            return False
    return end == len(data) and len(data) > 0


# -- writing --------------------------------------------------------------------------------


def wav_header(
    *,
    data_bytes: int,
    rate_hz: int = 8000,
    sample_width: int = 2,
    channels: int = 1,
    rf64: bool = False,
    trailer_bytes: int = 0,
) -> bytes:
    """The 80-byte header for `data_bytes` of PCM followed by `trailer_bytes` of chunks.

    `RIFF`/`WAVE`, a 28-byte `JUNK` chunk (the room RF64's `ds64` takes), a 16-byte PCM
    `fmt `, the `data` chunk header. With `rf64` the 32-bit sizes say UNKNOWN_SIZE and the
    `ds64` chunk holds the real ones (EBU Tech 3306).
    """
    block_align = sample_width * channels
    riff_bytes = HEADER_BYTES - 8 + data_bytes + (data_bytes & 1) + trailer_bytes
    if rf64:
        frames = data_bytes // block_align
        first = struct.pack("<4sI4s", b"RF64", UNKNOWN_SIZE, b"WAVE")
        second = struct.pack(
            "<4sIQQQI", b"ds64", DS64_BODY_BYTES, riff_bytes, data_bytes, frames, 0
        )
        data_field = UNKNOWN_SIZE
    else:
        first = struct.pack("<4sI4s", b"RIFF", riff_bytes, b"WAVE")
        second = struct.pack("<4sI", b"JUNK", DS64_BODY_BYTES) + bytes(DS64_BODY_BYTES)
        data_field = data_bytes
    fmt = struct.pack(
        "<4sIHHIIHH",
        b"fmt ",
        16,
        WAVE_FORMAT_PCM,
        channels,
        rate_hz,
        rate_hz * block_align,
        block_align,
        sample_width * 8,
    )
    header = first + second + fmt + struct.pack("<4sI", b"data", data_field)
    assert len(header) == HEADER_BYTES
    return header


def needs_rf64(data_offset: int, data_bytes: int, trailer_bytes: int, limit: int) -> bool:
    """Whether the RIFF size of such a file would overflow `limit`."""
    return data_offset - 8 + data_bytes + (data_bytes & 1) + trailer_bytes > limit


def cue_chunks(cues: Sequence[Cue]) -> bytes:
    """A `cue ` chunk and a `LIST`/`adtl` chunk of `labl`s (and `ltxt`s for regions) for
    `cues` (b"" for none).

    Raises ValueError for a frame or length outside 0…2³²−1 (the fields are 32 bits).
    """
    if not cues:
        return b""
    ordered = sorted(cues, key=lambda c: c.frame)
    points = bytearray(struct.pack("<I", len(ordered)))
    labels = bytearray(b"adtl")
    for ident, cue in enumerate(ordered, start=1):
        if not 0 <= cue.frame <= 0xFFFF_FFFF:
            raise ValueError(f"cue frame {cue.frame} is outside the 32-bit range")
        if not 0 <= cue.length_frames <= 0xFFFF_FFFF:
            raise ValueError(f"cue length {cue.length_frames} is outside the 32-bit range")
        points += _CUE_POINT.pack(ident, cue.frame, b"data", 0, 0, cue.frame)
        text = cue.label.encode("utf-8") + b"\0"
        labels += _chunk(b"labl", struct.pack("<I", ident) + text)
        if cue.length_frames:
            region = _LABELLED_TEXT.pack(ident, cue.length_frames, b"rgn ", 0, 0, 0, 0)
            labels += _chunk(b"ltxt", region)
    return _chunk(b"cue ", bytes(points)) + _chunk(b"LIST", bytes(labels))


def read_cues(data: bytes, start: int = 0) -> list[Cue]:
    """The labelled cue points in the chunks of `data` from `start`, ordered by frame.

    A cue without a label gets "" (a `note` stands in for a missing `labl`); an `ltxt`
    gives its region's length; labels without a cue point are ignored; damaged chunks
    end the search quietly (a cue list is never worth failing a file for).
    """
    frames: dict[int, int] = {}
    labels: dict[int, str] = {}
    notes: dict[int, str] = {}
    lengths: dict[int, int] = {}
    for chunk in iter_chunks(data, start):
        body = data[chunk.body : chunk.body + chunk.size]
        if chunk.id == b"cue " and len(body) >= 4:
            (count,) = struct.unpack_from("<I", body)
            for i in range(min(count, (len(body) - 4) // _CUE_POINT.size)):
                ident, _, _, _, _, frame = _CUE_POINT.unpack_from(body, 4 + i * _CUE_POINT.size)
                frames[ident] = frame
        elif chunk.id == b"LIST" and body[:4] == b"adtl":
            for sub in iter_chunks(body, 4):
                if sub.size < 4 or sub.body + sub.size > len(body):
                    continue
                (ident,) = struct.unpack_from("<I", body, sub.body)
                if sub.id in (b"labl", b"note"):
                    text = body[sub.body + 4 : sub.body + sub.size].split(b"\0", 1)[0]
                    into = labels if sub.id == b"labl" else notes
                    into[ident] = text.decode("utf-8", errors="replace")
                elif sub.id == b"ltxt" and sub.size >= 8:
                    lengths[ident] = struct.unpack_from("<I", body, sub.body + 4)[0]
    cues = [
        Cue(frame, labels.get(ident, notes.get(ident, "")), lengths.get(ident, 0))
        for ident, frame in frames.items()
    ]
    return sorted(cues, key=lambda c: c.frame)


def _chunk(cid: bytes, body: bytes) -> bytes:
    return struct.pack("<4sI", cid, len(body)) + body + (b"\0" if len(body) & 1 else b"")
