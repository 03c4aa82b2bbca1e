"""A WAV file written as audio arrives, readable at every moment, even after `kill -9`.

Layout: every file starts with the same 80-byte header: `RIFF`/`WAVE`, a 28-byte `JUNK`
chunk, a 16-byte PCM `fmt ` chunk, then the `data` chunk, which always runs to the end of
the file. Audio goes to the OS and the header sizes are patched at least every
`header_interval_s` (checked by `write()` against an injected clock: no threads), so a
killed process loses at most about that much audio and the file still opens with Python's
`wave`, `sox` and any player.

Past the 4 GiB RIFF limit the file becomes RF64 (EBU Tech 3306): `RIFF` is renamed `RF64`,
the reserved `JUNK` chunk becomes the `ds64` chunk holding the 64-bit sizes, and the 32-bit
size fields are set to 0xFFFFFFFF. One file per stream, however long the call (about 74 h
of 8 kHz mono at the limit); `sox` reads it, Python's `wave` does not. The limit is a
parameter so tests can cross it with a few kilobytes.

Data survives a killed process (it is in the OS page cache), not a power cut: nothing is
fsynced while streaming.

`fix_wav_sizes()` rewrites the sizes of a file from its length; `repair` and `export` use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cxone_desktop import errors

#: Largest size a RIFF size field can hold; beyond it the file turns RF64.
RIFF_LIMIT_BYTES = 0xFFFF_FFFF
#: Bytes before the audio in files this module writes.
HEADER_BYTES = 80
_DS64_BODY_BYTES = 28
_UNKNOWN_32 = 0xFFFF_FFFF
#: Buffered audio is handed to the OS once it grows past this, whatever the clock says.
_MAX_BUFFER_BYTES = 64 * 1024

AudioData = bytes | bytearray | memoryview | np.ndarray


def _header(
    *,
    rf64: bool,
    data_bytes: int,
    rate_hz: int,
    sample_width: int,
    channels: int,
) -> bytes:
    """The 80-byte header for `data_bytes` of audio (plus a pad byte if odd)."""
    block_align = sample_width * channels
    riff_bytes = HEADER_BYTES - 8 + data_bytes + (data_bytes & 1)
    if rf64:
        frames = data_bytes // block_align
        first = struct.pack("<4sI4s", b"RF64", _UNKNOWN_32, b"WAVE")
        second = struct.pack(
            "<4sIQQQI", b"ds64", _DS64_BODY_BYTES, riff_bytes, data_bytes, frames, 0
        )
        data_field = _UNKNOWN_32
    else:
        first = struct.pack("<4sI4s", b"RIFF", riff_bytes, b"WAVE")
        second = struct.pack("<4sI", b"JUNK", _DS64_BODY_BYTES) + bytes(_DS64_BODY_BYTES)
        data_field = data_bytes
    fmt = struct.pack(
        "<4sIHHIIHH",
        b"fmt ",
        16,
        1,  # WAVE_FORMAT_PCM
        channels,
        rate_hz,
        rate_hz * block_align,
        block_align,
        sample_width * 8,
    )
    data = struct.pack("<4sI", b"data", data_field)
    header = first + second + fmt + data
    assert len(header) == HEADER_BYTES
    return header


def wav_header(
    *, data_bytes: int, rate_hz: int = 8000, sample_width: int = 2, channels: int = 1
) -> bytes:
    """The RIFF header `WavWriter` starts a file with (RIFF sizes; see `fix_wav_sizes`)."""
    return _header(
        rf64=False,
        data_bytes=data_bytes,
        rate_hz=rate_hz,
        sample_width=sample_width,
        channels=channels,
    )


def _needs_rf64(data_bytes: int, riff_limit_bytes: int) -> bool:
    return HEADER_BYTES - 8 + data_bytes + (data_bytes & 1) > riff_limit_bytes


def describe_os_error(exc: OSError) -> str:
    """The OS reason for a user: "No space left on device (ENOSPC)"."""
    code = errno.errorcode.get(exc.errno, "") if exc.errno is not None else ""
    reason = exc.strerror or str(exc)
    return f"{reason} ({code})" if code else reason


class WavWriter:
    """Append PCM to a WAV file that stays valid while it grows.

    Not thread-safe: one owner calls `write`, `flush` and `close`. The first OS error
    (disk full, permission, read-only file system…) raises `errors.RecordingError` once;
    the writer is then `failed`: further audio is dropped and counted in `dropped_bytes`,
    nothing raises again, and the file keeps its last good header.
    """

    def __init__(
        self,
        path: Path,
        *,
        rate_hz: int = 8000,
        sample_width: int = 2,
        channels: int = 1,
        header_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        riff_limit_bytes: int = RIFF_LIMIT_BYTES,
    ) -> None:
        if rate_hz <= 0 or sample_width not in (1, 2, 3, 4) or channels <= 0:
            raise ValueError(
                f"unsupported WAV format: {rate_hz} Hz, {sample_width} bytes, {channels} ch"
            )
        self.path = Path(path)
        self.rate_hz = rate_hz
        self.sample_width = sample_width
        self.channels = channels
        self.block_align = sample_width * channels
        self.header_interval_s = header_interval_s
        self.riff_limit_bytes = riff_limit_bytes
        self._clock = clock
        #: Whole frames accepted (written or buffered).
        self.frames_written = 0
        #: Audio bytes accepted (written or buffered), including a trailing part-frame.
        self.bytes_written = 0
        #: Audio bytes dropped because the writer had failed or was closed.
        self.dropped_bytes = 0
        self.failed = False
        self.closed = False
        self.rf64 = False
        self._buffer = bytearray()
        self._disk_bytes = 0  # audio bytes the OS has accepted
        self._header_bytes = -1  # data size the header on disk declares
        self._last_flush = clock()
        try:
            self._fd = os.open(
                self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
            )
        except OSError as exc:
            self.failed = True
            self.closed = True
            raise errors.RecordingError(
                f"Cannot create recording {self.path}: {describe_os_error(exc)}"
            ) from exc
        try:
            self._write_all(self._make_header(0), audio=False)
            self._header_bytes = 0
        except OSError as exc:
            raise self._fail("write the header of", exc) from exc

    @property
    def duration_s(self) -> float:
        """Seconds of audio accepted so far."""
        return self.frames_written / self.rate_hz

    def write(self, data: AudioData) -> None:
        """Append audio; hands it to the OS and patches the header when the interval is up."""
        chunk = self._as_bytes(data)
        if self.failed or self.closed:
            self.dropped_bytes += len(chunk)
            return
        self._buffer += chunk
        self.bytes_written += len(chunk)
        self.frames_written = self.bytes_written // self.block_align
        if (
            len(self._buffer) >= _MAX_BUFFER_BYTES
            or self._clock() - self._last_flush >= self.header_interval_s
        ):
            self.flush()

    def flush(self) -> None:
        """Hand buffered audio to the OS and patch the header sizes to match."""
        if self.failed or self.closed:
            return
        self._last_flush = self._clock()
        try:
            if self._buffer:
                pending, self._buffer = self._buffer, bytearray()
                self._write_all(pending)
            self._patch_header(self._whole_frames(self._disk_bytes))
        except OSError as exc:
            raise self._fail("write", exc) from exc

    def close(self) -> None:
        """Flush, drop a trailing part-frame, write the final header, close. Idempotent."""
        if self.closed:
            return
        try:
            if not self.failed:
                self.flush()
                whole = self._whole_frames(self._disk_bytes)
                if whole != self._disk_bytes:
                    os.ftruncate(self._fd, HEADER_BYTES + whole)
                    self.dropped_bytes += self._disk_bytes - whole
                    self._disk_bytes = self.bytes_written = whole
                if whole & 1:
                    self._write_all(b"\0", audio=False)  # RIFF pads odd chunks
        except OSError as exc:
            raise self._fail("finish", exc) from exc
        finally:
            self.closed = True
            self._close_fd()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "failed" if self.failed else "closed" if self.closed else "open"
        return f"<WavWriter {self.path.name} {self.duration_s:.2f}s {state}>"

    # -- internals -------------------------------------------------------------

    def _as_bytes(self, data: AudioData) -> bytes | bytearray | memoryview:
        if isinstance(data, np.ndarray):
            kind = "u" if self.sample_width == 1 else "i"  # 8-bit WAV is unsigned
            if data.dtype.kind != kind or data.dtype.itemsize != self.sample_width:
                raise TypeError(
                    f"expected {self.sample_width}-byte '{kind}' samples, got {data.dtype}"
                )
            return np.ascontiguousarray(data, dtype=data.dtype.newbyteorder("<")).tobytes()
        if isinstance(data, memoryview):
            return data.cast("B") if data.format != "B" or data.ndim != 1 else data
        return data

    def _whole_frames(self, n_bytes: int) -> int:
        return n_bytes - n_bytes % self.block_align

    def _make_header(self, data_bytes: int) -> bytes:
        return _header(
            rf64=self.rf64,
            data_bytes=data_bytes,
            rate_hz=self.rate_hz,
            sample_width=self.sample_width,
            channels=self.channels,
        )

    def _write_all(self, data: bytes | bytearray | memoryview, *, audio: bool = True) -> None:
        """Append at the end of the file; counts audio bytes as the OS takes them."""
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            if n <= 0:  # os.write raises rather than return 0 on files; be safe anyway
                raise OSError(errno.EIO, "write returned 0")
            if audio:
                self._disk_bytes += n
            view = view[n:]

    def _patch_header(self, data_bytes: int) -> None:
        if data_bytes == self._header_bytes:
            return
        if not self.rf64 and _needs_rf64(data_bytes, self.riff_limit_bytes):
            self.rf64 = True
        os.pwrite(self._fd, self._make_header(data_bytes), 0)
        self._header_bytes = data_bytes

    def _fail(self, action: str, exc: OSError) -> errors.RecordingError:
        """Enter the failed state: keep what is on disk valid, build the one error."""
        self.failed = True
        self.dropped_bytes += self.bytes_written - self._disk_bytes
        self.bytes_written = self._disk_bytes
        self.frames_written = self.bytes_written // self.block_align
        self._buffer.clear()
        if self._header_bytes >= 0:
            # rewriting header bytes needs no new disk space, so this usually works
            with contextlib.suppress(OSError):
                self._patch_header(self._whole_frames(self._disk_bytes))
        return errors.RecordingError(
            f"Cannot {action} recording {self.path}: {describe_os_error(exc)}"
        )

    def _close_fd(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


# -- reading and fixing headers (repair, export) --------------------------------


@dataclass(frozen=True)
class WavLayout:
    """Where things are in a WAV file, as its header says."""

    rf64: bool
    rate_hz: int
    channels: int
    sample_width: int
    data_offset: int
    declared_data_bytes: int
    #: Offset of a `ds64` chunk (RF64) or of a 28-byte `JUNK` chunk that could become one.
    ds64_offset: int | None

    @property
    def block_align(self) -> int:
        return self.sample_width * self.channels


class WavFormatError(ValueError):
    """The bytes are not a PCM WAV file this module can read or fix."""


def read_layout(header: bytes) -> WavLayout:
    """Parse the chunks before `data` (pass at least the first few hundred bytes)."""
    if len(header) < 12 or header[8:12] != b"WAVE" or header[:4] not in (b"RIFF", b"RF64"):
        raise WavFormatError("not a RIFF/RF64 WAVE file")
    rf64 = header[:4] == b"RF64"
    pos = 12
    fmt: tuple[int, int, int, int] | None = None
    ds64_offset: int | None = None
    ds64_data: int | None = None
    while pos + 8 <= len(header):
        cid, size = struct.unpack_from("<4sI", header, pos)
        body = pos + 8
        if cid == b"fmt " and body + 16 <= len(header):
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", header, body)
            fmt = (tag, channels, rate, bits)
        elif cid == b"ds64" and body + 24 <= len(header):
            ds64_offset = pos
            ds64_data = struct.unpack_from("<Q", header, body + 8)[0]
        elif cid == b"JUNK" and size == _DS64_BODY_BYTES and ds64_offset is None:
            ds64_offset = pos
        elif cid == b"data":
            if fmt is None:
                raise WavFormatError("no fmt chunk before the data chunk")
            tag, channels, rate, bits = fmt
            if tag not in (1, 0xFFFE) or bits % 8 or not 1 <= bits // 8 <= 4 or channels < 1:
                raise WavFormatError(f"unsupported format tag {tag} / {bits} bits")
            declared = size
            if rf64 and size == _UNKNOWN_32 and ds64_data is not None:
                declared = ds64_data
            return WavLayout(rf64, rate, channels, bits // 8, body, declared, ds64_offset)
        if size == _UNKNOWN_32:
            break
        pos = body + size + (size & 1)
    raise WavFormatError("no data chunk in the header")


@dataclass(frozen=True)
class WavFix:
    """What `fix_wav_sizes` found and did."""

    declared_data_bytes: int
    data_bytes: int
    trimmed_bytes: int
    rf64: bool
    rate_hz: int
    block_align: int

    @property
    def changed(self) -> bool:
        return self.declared_data_bytes != self.data_bytes or self.trimmed_bytes > 0

    @property
    def duration_s(self) -> float:
        return self.data_bytes / self.block_align / self.rate_hz


def fix_wav_sizes(path: Path, *, riff_limit_bytes: int = RIFF_LIMIT_BYTES) -> WavFix:
    """Make the header sizes match the file's length, dropping a trailing part-frame.

    The `data` chunk must be the last chunk (true of every file `WavWriter` writes). A RIFF
    file that grew past `riff_limit_bytes` is turned into RF64 if it has the reserved
    `JUNK` chunk. Raises `WavFormatError` for files it cannot understand, `OSError` for I/O.
    """
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        layout = read_layout(os.pread(fd, 4096, 0))
        available = max(0, size - layout.data_offset)
        data_bytes = available - available % layout.block_align
        trimmed = available - data_bytes
        if trimmed:
            os.ftruncate(fd, layout.data_offset + data_bytes)
        riff_bytes = layout.data_offset - 8 + data_bytes
        rf64 = layout.rf64 or riff_bytes > riff_limit_bytes
        if rf64:
            if layout.ds64_offset is None:
                raise WavFormatError("too large for RIFF and no room for a ds64 chunk")
            frames = data_bytes // layout.block_align
            os.pwrite(fd, struct.pack("<4sI", b"RF64", _UNKNOWN_32), 0)
            os.pwrite(
                fd,
                struct.pack("<4sIQQQ", b"ds64", _DS64_BODY_BYTES, riff_bytes, data_bytes, frames),
                layout.ds64_offset,
            )
            os.pwrite(fd, struct.pack("<I", _UNKNOWN_32), layout.data_offset - 4)
        else:
            os.pwrite(fd, struct.pack("<I", riff_bytes), 4)
            os.pwrite(fd, struct.pack("<I", data_bytes), layout.data_offset - 4)
        return WavFix(
            declared_data_bytes=layout.declared_data_bytes,
            data_bytes=data_bytes,
            trimmed_bytes=trimmed,
            rf64=rf64,
            rate_hz=layout.rate_hz,
            block_align=layout.block_align,
        )
    finally:
        os.close(fd)
