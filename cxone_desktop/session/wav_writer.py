"""A WAV file written as audio arrives, readable at every moment, even after `kill -9`.

Layout: every file starts with the same 80-byte header (`core.riff.wav_header`):
`RIFF`/`WAVE`, a 28-byte `JUNK` chunk, a 16-byte PCM `fmt ` chunk, then the `data` chunk,
which runs to the end of the file while the file grows. Audio goes to the OS and the
header sizes are patched at least every `header_interval_s` (checked by `write()` against
an injected clock: no threads), so a killed process loses at most about that much audio
and the file still opens with Python's `wave`, `sox` and any player.

Past the 4 GiB RIFF limit the file becomes RF64 (EBU Tech 3306): `RIFF` is renamed `RF64`,
the reserved `JUNK` chunk becomes the `ds64` chunk holding the 64-bit sizes, and the
32-bit size fields are set to 0xFFFFFFFF. One file per stream, however long the call
(about 74 h of 8 kHz mono at the limit); `sox` reads it, Python's `wave` does not. The
limit is a parameter so tests can cross it with a few kilobytes.

Data survives a killed process (it is in the OS page cache), not a power cut: nothing is
fsynced while streaming.

Cue points (`add_cue`) are written after the `data` chunk when the file is closed, so the
data chunk still runs to the end of the file for as long as it grows.
`wav_file.fix_wav_sizes()` rewrites the sizes of a file from its length (repair, export).
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cxone_desktop import errors, portable
from cxone_desktop.core.riff import (
    HEADER_BYTES,
    RIFF_LIMIT_BYTES,
    Cue,
    cue_chunks,
    needs_rf64,
    wav_header,
)
from cxone_desktop.private_files import describe_os_error

__all__ = ["HEADER_BYTES", "RIFF_LIMIT_BYTES", "AudioData", "WavWriter", "describe_os_error"]

#: Buffered audio is handed to the OS once it grows past this, whatever the clock says.
_MAX_BUFFER_BYTES = 64 * 1024

AudioData = bytes | bytearray | memoryview | np.ndarray


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
        self._header_state: tuple[int, int] | None = None  # (data, trailer) the header declares
        self._cues: list[Cue] = []
        self._trailer_bytes = 0  # cue chunks after the data, once closed
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
            self._header_state = (0, 0)
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

    def set_channels(self, channels: int) -> None:
        """Change the channel count while no audio has been written: a stream's shape is
        known only once the server has said what it sends, after the file was created."""
        if channels == self.channels or self.failed:
            return
        if channels <= 0 or self.bytes_written or self.closed:
            raise ValueError(f"cannot make {self.path.name} {channels}-channel now")
        self.channels = channels
        self.block_align = self.sample_width * channels
        try:
            portable.pwrite(self._fd, self._make_header(0), 0)
        except OSError as exc:
            raise self._fail("write the header of", exc) from exc

    def add_cue(self, sample_frame: int, label: str) -> None:
        """Mark `sample_frame` (from the start of the file) with `label`, written on close.

        Cues land after the `data` chunk as a `cue ` chunk plus `LIST`/`adtl` labels, the
        layout Audacity and Audition read. Dropped once the writer is closed or failed.
        Raises ValueError for a frame outside 0…2³²−1.
        """
        if not 0 <= sample_frame <= 0xFFFF_FFFF:
            raise ValueError(f"cue frame {sample_frame} is outside the 32-bit range")
        if not (self.closed or self.failed):
            self._cues.append(Cue(int(sample_frame), str(label)))

    @property
    def cues(self) -> list[Cue]:
        """The cue points added so far."""
        return list(self._cues)

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
        """Flush, drop a trailing part-frame, append the cues, write the final header, close.

        Idempotent.
        """
        if self.closed:
            return
        try:
            if not self.failed:
                self.flush()
                whole = self._whole_frames(self._disk_bytes)
                if whole != self._disk_bytes:
                    os.ftruncate(self._fd, HEADER_BYTES + whole)
                    os.lseek(self._fd, HEADER_BYTES + whole, os.SEEK_SET)
                    self.dropped_bytes += self._disk_bytes - whole
                    self._disk_bytes = self.bytes_written = whole
                if whole & 1:
                    self._write_all(b"\0", audio=False)  # RIFF pads odd chunks
                self._write_cues(whole)
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
        return wav_header(
            rf64=self.rf64,
            data_bytes=data_bytes,
            rate_hz=self.rate_hz,
            sample_width=self.sample_width,
            channels=self.channels,
            trailer_bytes=self._trailer_bytes,
        )

    def _write_cues(self, data_bytes: int) -> None:
        trailer = cue_chunks(self._cues)
        if not trailer:
            return
        end = HEADER_BYTES + data_bytes + (data_bytes & 1)
        try:
            self._write_all(trailer, audio=False)
        except OSError:
            with contextlib.suppress(OSError):  # leave no half cue list after the audio
                os.ftruncate(self._fd, end)
            raise
        self._trailer_bytes = len(trailer)
        self._patch_header(data_bytes)

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
        state = (data_bytes, self._trailer_bytes)
        if state == self._header_state:
            return
        if not self.rf64 and needs_rf64(
            HEADER_BYTES, data_bytes, self._trailer_bytes, self.riff_limit_bytes
        ):
            self.rf64 = True
        portable.pwrite(self._fd, self._make_header(data_bytes), 0)
        self._header_state = state

    def _fail(self, action: str, exc: OSError) -> errors.RecordingError:
        """Enter the failed state: keep what is on disk valid, build the one error."""
        self.failed = True
        self.dropped_bytes += self.bytes_written - self._disk_bytes
        self.bytes_written = self._disk_bytes
        self.frames_written = self.bytes_written // self.block_align
        self._buffer.clear()
        if self._header_state is not None:
            # rewriting header bytes needs no new disk space, so this usually works
            with contextlib.suppress(OSError):
                self._patch_header(self._whole_frames(self._disk_bytes))
        return errors.RecordingError(
            f"Cannot {action} recording {self.path}: {describe_os_error(exc)}"
        )

    def _close_fd(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
