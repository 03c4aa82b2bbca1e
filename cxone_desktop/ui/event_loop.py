"""The app's asyncio loop on the Qt event loop (qasync), with a cheap `call_soon`.

qasync runs every `call_soon` through a Qt timer of its own (startTimer(0), a timer
event, killTimer). asyncio calls it several times per WebSocket message (the read,
the future, the task step), so at 50 messages a second that bookkeeping cost more
than the audio path itself. Here callbacks due now wait in one ready queue, as in
asyncio's own loops, and run at the end of the Qt event that made them ready: a timed
callback (the playout loop's sleep ends: its future, then the task step), a socket
becoming readable (the read, then the task waiting for the message), or otherwise a pass
of a single zero-delay timer. Up to `READY_ROUNDS` rounds of newly ready callbacks run in
one go; what a round makes ready beyond that waits for the next pass, so Qt events
(painting, input) still interleave with a busy asyncio. Callbacks run in the order they
were scheduled. (A callback that opened a modal dialog's nested event loop would leave
what plain Qt slots schedule meanwhile to the next timer or socket event in it; none
does: dialogs open from Qt slots.)

Asyncio's callbacks run only while this loop runs. Qt can deliver their events outside
it: qasync processes events once more after its run ends, and when the display goes
away Qt ends the run under a pending task. A coroutine stepped then finds no running
loop and fails (the call then crashed instead of stopping); its timer or socket stays
armed and fires again once the loop runs again.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import qasync
from PySide6.QtCore import QTimerEvent

#: Rounds of newly ready callbacks run after one Qt event (a timer readies a future,
#: which readies a task step, which may ready another) before Qt gets its turn.
READY_ROUNDS = 3


class AppEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync.QEventLoop whose ready callbacks run after the Qt event that readied them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ready_handles: collections.deque[asyncio.Handle] = collections.deque()
        self._pass_scheduled = False  # a zero-delay timer will run the ready queue
        self._dispatching = False  # inside a timer event: the ready queue runs after it
        self._timer.deleteLater()
        self._timer = _ReadyRunningTimer(self)

    def call_later(
        self, delay: float, callback: Any, *args: Any, context: Any = None
    ) -> asyncio.Handle:
        """As qasync's, without its check on every call that `callback` is not a coroutine
        function (asyncio's own loops check only in debug mode): through `call_soon`, a few
        times per WebSocket message and per playout slot, it was 2-3 % of the app's busy
        time in a profile of the live app."""
        if self.get_debug():
            return super().call_later(delay, callback, *args, context=context)  # type: ignore[no-any-return]
        return self._add_callback(asyncio.Handle(callback, args, self, context=context), delay)

    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> asyncio.Handle:
        return self.call_later(0, callback, *args, context=context)

    def call_at(
        self, when: float, callback: Any, *args: Any, context: Any = None
    ) -> asyncio.Handle:
        return self.call_later(when - self.time(), callback, *args, context=context)

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        if delay > 0:
            return super()._add_callback(handle, delay)  # type: ignore[no-any-return]
        self._ready_handles.append(handle)
        if not self._dispatching:
            self._schedule_pass()
        return handle

    def _schedule_pass(self) -> None:
        if not self._pass_scheduled:
            self._pass_scheduled = True
            super()._add_callback(asyncio.Handle(self._pass_began, (), self), 0)

    def _pass_began(self) -> None:
        self._pass_scheduled = False

    def _QEventLoop__on_notifier_ready(
        self, notifiers: dict[int, Any], notifier: Any, fd: int, callback: Any, args: Any
    ) -> None:
        """A socket is ready: run its callback, and what that readies, now. (qasync defers
        the callback with `call_soon` and disables the notifier until it has run; each
        toggle wakes the Qt loop once more through its event fd. Here the callback runs
        within this event, so the notifier stays as it is. qasync's private name: if it
        changes, qasync's own handling takes over.)"""
        if notifiers.get(fd) is not notifier:
            notifier.setEnabled(False)  # stale (qasync disconnects those it replaces)
            return
        if not self._running_now():
            return  # still readable: it fires again when the loop runs
        handle = asyncio.Handle(_run_if_current, (notifiers, notifier, fd, callback, args), self)
        self._ready_handles.append(handle)  # after what is ready already, as qasync has it
        self._after_event()

    def _running_now(self) -> bool:
        """Inside `run_forever`: asyncio sees this loop running (not merely Qt's)."""
        return asyncio._get_running_loop() is self

    def _after_event(self) -> None:
        """Run what the event made ready, a few rounds deep; the rest on the next pass."""
        ready = self._ready_handles
        if not self._running_now():
            if ready:
                self._schedule_pass()
            return
        self._dispatching = True
        try:
            for _ in range(READY_ROUNDS):
                if not ready:
                    return
                for _ in range(len(ready)):
                    handle = ready.popleft()
                    if not handle.cancelled():
                        handle._run()
        finally:
            self._dispatching = False
            if ready:
                self._schedule_pass()


def _run_if_current(
    notifiers: dict[int, Any], notifier: Any, fd: int, callback: Any, args: Any
) -> None:
    """A socket's callback, unless a callback run before it removed or replaced its reader."""
    if notifiers.get(fd) is notifier:
        callback(*args)


class _ReadyRunningTimer(qasync._SimpleTimer):  # type: ignore[misc]
    """qasync's timer, which also runs the loop's ready callbacks after each timer event."""

    def __init__(self, loop: AppEventLoop) -> None:
        super().__init__()
        self._loop = loop

    def timerEvent(self, event: QTimerEvent) -> None:
        loop = self._loop
        if not loop._running_now():
            return  # the timer stays armed: its callback runs when the loop runs again
        loop._dispatching = True
        try:
            super().timerEvent(event)
        finally:
            loop._dispatching = False
        loop._after_event()
