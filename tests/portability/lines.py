"""Reading a child process's output line by line with a deadline (never a bare readline loop)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import IO


class LineReader:
    """Collects the lines of `stream` on a thread; `wait_for` returns once one matches."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, match: Callable[[str], bool], timeout_s: float = 20.0) -> str:
        """The first new line that matches; AssertionError at the deadline or at EOF."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching line before the deadline:\n" + self.text())
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("the stream ended without a matching line:\n" + self.text())
            self.lines.append(line)
            if match(line):
                return line

    def rest(self, timeout_s: float = 20.0) -> str:
        """Everything until EOF (the process has been told to end)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return self.text()

    def text(self) -> str:
        return "".join(self.lines)
