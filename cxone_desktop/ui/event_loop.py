"""The app's asyncio loop on the Qt event loop (qasync), with a cheap `call_soon`.

qasync runs every `call_soon` through a Qt timer of its own (startTimer(0), a timer
event, killTimer). asyncio calls it several times per WebSocket message (the read,
the future, the task step), so at 50 messages a second that bookkeeping cost more
than the audio path itself. Here callbacks due now wait in one ready queue that a
single zero-delay timer drains, as asyncio's own loops do; timed callbacks
(`call_later`) still use qasync's timers. Callbacks run in the order they were
scheduled, and those scheduled while draining run on the next pass, so Qt events
(painting, input) still interleave with a busy asyncio.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import qasync


class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync.QEventLoop whose ready callbacks share one Qt timer per loop pass."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ready_handles: collections.deque[asyncio.Handle] = collections.deque()
        self._drain_scheduled = False

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        if delay > 0:
            return super()._add_callback(handle, delay)  # type: ignore[no-any-return]
        self._ready_handles.append(handle)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            super()._add_callback(asyncio.Handle(self._drain, (), self), 0)
        return handle

    def _drain(self) -> None:
        """Run the callbacks that were ready when this pass began."""
        self._drain_scheduled = False
        ready = self._ready_handles
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle.cancelled():
                handle._run()
