"""Files the review writes into a session folder: private (0600) and atomic.

Kept here rather than borrowed from `session/`: the review reads folders on its
own (core, stdlib and numpy only), so a report renders where no session code runs.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path


def write_private_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (temp file, fsync, rename), created 0600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def utc_now_iso() -> str:
    """`2026-11-24T10:11:12.345Z`, as every file in a session folder spells wall time."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
