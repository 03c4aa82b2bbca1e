"""A request to stop the session (the user, a signal, `--duration`), which cuts short
whatever the session is waiting for: the call state, a connection, a reconnect's back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from cxone_desktop.session.call_decision import CallFacts

T = TypeVar("T")


class Stopped(Exception):
    """A wait was cut short by a stop request (the session finalizes as "stopped")."""


class StopRequest:
    """Records why the call was stopped (in `CallFacts`, for `call_decision`) and wakes waits."""

    def __init__(self, facts: CallFacts) -> None:
        self._facts = facts
        self._event = asyncio.Event()

    def request(self, reason: str) -> None:
        """Stop, for `reason`; the first reason given is the one the call keeps."""
        if self._facts.stop_reason is None:
            self._facts.stop_reason = reason
        self._event.set()

    async def until_stopped(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` unless a stop comes first (then it is cancelled and `Stopped` raised)."""
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(self._event.wait())
        try:
            done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise Stopped
