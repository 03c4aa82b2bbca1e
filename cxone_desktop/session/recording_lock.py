"""The `.recording` marker: a session folder is being recorded while its marker is locked.

The recorder creates the marker, takes an exclusive lock on it (`portable.lock_file`:
`flock` on POSIX, a byte-range lock on Windows) and holds it until the files are final.
The OS drops the lock when the process ends, however it ends (kill -9, a crash, a power
cut), so "is anyone still recording this folder?" is answered by trying the lock, the
same way on every OS: no pids, no `/proc`, no `os.kill(pid, 0)` (which on Windows
terminates the process it was meant to probe).

The marker's JSON (pid, host, start time) is for people and for repair's summary. A
marker written on another host is left alone: not every network share carries locks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxone_desktop import portable
from cxone_desktop.private_files import unlink_file
from cxone_desktop.session.session_format import dumps

log = logging.getLogger(__name__)

MARKER = ".recording"
#: A fresh marker's lock is taken at once; a prober may hold it for a moment.
_LOCK_ATTEMPTS = 20
_LOCK_PAUSE_S = 0.005


def process_identity() -> dict[str, Any]:
    """What the marker says about the recording process (for people; the lock decides)."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


class RecordingLock:
    """Creates `folder/.recording`, locks it and writes `info` into it; `release` ends it.

    Raises OSError if the marker cannot be created. A file system without locks (some
    network shares) is logged and tolerated: the recording goes on, and repair treats
    the folder as "cannot tell" rather than as abandoned.
    """

    def __init__(self, folder: Path, info: Mapping[str, Any]) -> None:
        self.path = Path(folder) / MARKER
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        self._fd: int | None = os.open(self.path, flags, 0o600)
        try:
            self.locked = self._lock(self._fd)
            data = (dumps({**info, "locked": self.locked}) + "\n").encode("utf-8")
            portable.pwrite(self._fd, data, 0)
        except BaseException:
            self.release(remove=True)
            raise

    @staticmethod
    def _lock(fd: int) -> bool:
        for _ in range(_LOCK_ATTEMPTS):
            try:
                if portable.lock_file(fd):
                    return True
            except OSError as exc:
                log.warning("cannot lock the recording marker (%s); recording without it", exc)
                return False
            time.sleep(_LOCK_PAUSE_S)  # a prober holds it for a moment
        return False

    def release(self, *, remove: bool = False) -> None:
        """Drop the lock (closing the file does it) and, with `remove`, the marker. Idempotent.

        Raises OSError if the marker cannot be removed.
        """
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        if remove:
            unlink_file(self.path)


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker's contents; {} if unreadable or empty, None if there is none."""
    try:
        text = (Path(folder) / MARKER).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def recording_is_live(folder: Path) -> bool | None:
    """True if a process is recording `folder` now, False if none is, None if we cannot tell.

    None: the marker was written on another host, is still empty (a recorder between
    creating and writing it), or the file system has no locks.
    """
    marker = read_marker(folder)
    if marker is None:
        return False
    host = marker.get("host")
    if isinstance(host, str) and host != socket.gethostname():
        return None
    if not marker or marker.get("locked") is False:
        return None  # still empty, or recorded where files cannot be locked
    try:
        fd = os.open(Path(folder) / MARKER, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return False  # finalized while we looked
    except OSError:
        return None
    try:
        try:
            free = portable.lock_file(fd)
        except OSError:
            return None
        if free:
            with contextlib.suppress(OSError):
                portable.unlock_file(fd)
        return not free
    finally:
        os.close(fd)
