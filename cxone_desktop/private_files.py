"""Files only the user may read: created 0600 in 0700 folders, replaced atomically.

Top level because both the recorder (`session/`) and the review (notes, evaluations,
reports) write into session folders, and the review may not import `session/`.

Call audio and call IDs are personal data. On POSIX the modes keep other local users
out; on Windows they mean nothing (the folder's ACL decides, which by default is the
user's own profile), so whether we may write somewhere is found out by writing, never by
`os.access`. Windows also refuses to replace a file another program holds open (a player
playing a WAV, Excel showing a CSV): `replace_file` retries for a moment, then says which
file and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from cxone_desktop import portable

#: How long `replace_file` keeps retrying a file another program holds open.
REPLACE_RETRY_S = 2.0
_REPLACE_PAUSE_S = 0.1


class FileInUseError(PermissionError):
    """A file could not be replaced because another program holds it open."""


def describe_os_error(exc: OSError) -> str:
    """The OS reason for a user: "No space left on device (ENOSPC)"."""
    if isinstance(exc, FileInUseError):
        return str(exc)
    code = errno.errorcode.get(exc.errno, "") if exc.errno is not None else ""
    reason = exc.strerror or str(exc)
    return f"{reason} ({code})" if code else reason


def open_private(path: Path, *, exclusive: bool = True) -> int:
    """Open `path` for writing, created 0600 (never widened by a later chmod)."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
    flags |= os.O_EXCL if exclusive else os.O_TRUNC
    return os.open(path, flags, 0o600)


def replace_file(
    src: Path,
    dst: Path,
    *,
    retry_s: float = REPLACE_RETRY_S,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """`os.replace`, retried while another program holds `dst` open (Windows).

    Raises FileInUseError naming `dst` when it stays held, other OSErrors as they come.
    """
    waited = 0.0
    while True:
        try:
            os.replace(src, dst)
            return
        except OSError as exc:
            if not portable.file_in_use(exc):
                raise
            if waited >= retry_s:
                raise FileInUseError(
                    errno.EACCES,
                    f"{dst} is open in another program (a media player or Excel?); "
                    "close it there and try again",
                ) from exc
        sleep(_REPLACE_PAUSE_S)
        waited += _REPLACE_PAUSE_S


def unlink_file(
    path: Path, *, retry_s: float = REPLACE_RETRY_S, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Delete `path` if it exists, retried like `replace_file` while another program reads it."""
    waited = 0.0
    while True:
        try:
            path.unlink(missing_ok=True)
            return
        except OSError as exc:
            if not portable.file_in_use(exc) or waited >= retry_s:
                raise
        sleep(_REPLACE_PAUSE_S)
        waited += _REPLACE_PAUSE_S


def write_private_file(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Write `text` to `path` atomically (temp file + rename), 0600, fsynced."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = open_private(tmp, exclusive=False)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        replace_file(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_writable(folder: Path) -> None:
    """Create `folder` (0700) if needed and prove we may write there by writing a file.

    Raises OSError with the OS's reason. `os.access` is not enough: it ignores Windows
    ACLs and read-only network shares.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    probe = folder / f".write-test-{uuid.uuid4().hex}"
    fd = open_private(probe)
    try:
        os.write(fd, b"ok")
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)


class TextLog:
    """A 0600 append-only text file flushed per line; counts its lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        self._file: io.TextIOWrapper | None = os.fdopen(
            open_private(path), "w", encoding="utf-8", newline=""
        )

    def write_line(self, line: str) -> None:
        if self._file is None:
            return
        self._file.write(line)
        self._file.flush()
        self.lines += 1

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        f, self._file = self._file, None
        if f is not None:
            f.close()

    def abandon(self) -> None:
        """Close after an error without trying to flush what the OS refused."""
        f, self._file = self._file, None
        if f is not None:
            try:
                f.close()
            except OSError:
                # the buffer could not be flushed; release the descriptor anyway
                with contextlib.suppress(OSError, ValueError):
                    os.close(f.fileno())


def file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
