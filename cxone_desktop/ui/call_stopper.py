"""Stopping the window's call: on Disconnect, on closing the window, and at logoff.

Closing the window while a call runs stops the session first (DISCONNECTING →
TERMINATED, files finalized), then really closes. At logoff there is no time for that
round trip, so `finalize_now` blocks until the files are final.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop

from cxone_desktop.ui.controller import SessionController

log = logging.getLogger(__name__)


class CallStopper:
    """Stops the controller's call in the background, and holds a close until it has."""

    def __init__(
        self, controller: SessionController, *, close_window: Callable[[], object]
    ) -> None:
        self._controller = controller
        self._close_window = close_window
        #: A stop on the way out is under way: no new call may start.
        self.closing = False
        self._close_allowed = False
        self._tasks: set[asyncio.Future[None]] = set()

    def stop(self) -> None:
        """Disconnect: stop the call, if one runs, without waiting for it."""
        if self._controller.running:
            self._background(self._controller.stop())

    def may_close(self) -> bool:
        """The window may close now: no call runs, or the one that ran has been stopped."""
        return self._close_allowed or not self._controller.running

    def stop_then_close(self) -> bool:
        """A close had to wait: stop the call, then close the window again (True if this
        started it, False if it was already on its way)."""
        if self.closing:
            return False
        self.closing = True
        self._background(self._shutdown())
        return True

    def finalize_now(self, timeout_s: float = 4.0) -> bool:
        """Stop the call and finalize its files before returning: the desktop session ends.

        At logoff (QGuiApplication.commitDataRequest) Windows and X11 session managers
        give an app a few seconds, then end it, and a VDI's non-persistent profile may go
        with it. The files are pushed to disk first (a kill right after loses nothing
        received so far), then this runs the event loop until the session's files are
        final or `timeout_s` passes. True when they are final. Call it from a Qt slot, not
        from inside an asyncio task.
        """
        if not self._controller.running:
            return True
        try:
            self._controller.checkpoint()
        except Exception:
            log.exception("pushing the recording to disk failed")
        self.closing = True
        self._background(self._controller.stop())
        deadline = time.monotonic() + timeout_s
        while self._controller.running and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        self.closing = False
        return not self._controller.running

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` on the loop, holding a reference until done (asyncio keeps weak ones)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _shutdown(self) -> None:
        try:
            await self._controller.stop()
        except Exception:
            log.exception("stopping the session failed")
        finally:
            self._close_allowed = True
            with contextlib.suppress(RuntimeError):  # the C++ side may already be gone
                self._close_window()
