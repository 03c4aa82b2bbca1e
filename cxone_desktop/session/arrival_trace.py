"""`arrivals.csv` in the session folder: when each message arrived and how big it was.

The session calls `record(arrival_s, size)` once per binary message, with the
same monotonic time it stamps the message with. The format is
`core.arrival_trace`'s (header `time_s,bytes`, one line per message), so
`simulate --arrival-trace` and `benchmarks/quality.py --trace` replay it. Lines
are buffered and written at most `flush_every_s` apart (and on `flush`/`close`),
so a message costs no system call and a crash loses at most about a second.
Like every session file it is created 0600. A failed write is reported once
(as `RecordingError`) and the trace stops; streaming is never interrupted.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from pathlib import Path

from cxone_desktop import errors
from cxone_desktop.core.arrival_trace import TRACE_HEADER, format_trace_line
from cxone_desktop.private_files import describe_os_error, open_private

ARRIVALS_CSV = "arrivals.csv"


class ArrivalTraceWriter:
    """Appends one line per message to `<folder>/arrivals.csv`."""

    def __init__(
        self,
        folder: Path,
        *,
        flush_every_s: float = 1.0,
        on_error: Callable[[errors.RecordingError], None] | None = None,
    ) -> None:
        self.path = folder / ARRIVALS_CSV
        self._flush_every_s = flush_every_s
        self._on_error = on_error
        self._pending: list[str] = []
        self._last_flush_s: float | None = None
        self.messages = 0
        self.error: errors.RecordingError | None = None
        try:
            self._file: io.TextIOWrapper | None = os.fdopen(
                open_private(self.path), "w", encoding="utf-8", newline=""
            )
            self._file.write(TRACE_HEADER + "\n")
            self._file.flush()
        except OSError as exc:
            raise errors.RecordingError(
                f"Cannot create {self.path}: {describe_os_error(exc)}"
            ) from exc

    def record(self, arrival_s: float, size: int) -> None:
        """One message of `size` bytes arrived at `arrival_s` (monotonic seconds)."""
        if self._file is None:
            return
        self._pending.append(format_trace_line(arrival_s, size))
        self.messages += 1
        if self._last_flush_s is None:
            self._last_flush_s = arrival_s
        elif arrival_s - self._last_flush_s >= self._flush_every_s:
            self.flush()
            self._last_flush_s = arrival_s

    def flush(self) -> None:
        """Write what is buffered."""
        if self._file is None or not self._pending:
            return
        try:
            self._file.write("".join(self._pending))
            self._file.flush()
        except OSError as exc:
            self._fail(exc)
        self._pending.clear()

    def close(self) -> None:
        """Flush and close; safe to call twice."""
        self.flush()
        f, self._file = self._file, None
        if f is not None:
            try:
                f.close()
            except OSError as exc:
                self._report(exc)

    def _fail(self, exc: OSError) -> None:
        f, self._file = self._file, None
        if f is not None:
            with contextlib.suppress(OSError, ValueError):
                os.close(f.fileno())
        self._report(exc)

    def _report(self, exc: OSError) -> None:
        error = errors.RecordingError(
            f"Cannot write {self.path}: {describe_os_error(exc)}; the arrival trace stops here "
            "(the call and its recording go on)"
        )
        if self.error is None:
            self.error = error
            if self._on_error is not None:
                self._on_error(error)
