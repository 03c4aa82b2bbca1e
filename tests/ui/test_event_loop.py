"""The app's loop: ready callbacks share one Qt timer pass, in order, without starving Qt."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from cxone_desktop.ui.event_loop import AppEventLoop


@contextlib.contextmanager
def _socket_pair(loop: asyncio.AbstractEventLoop) -> Iterator[tuple[socket.socket, socket.socket]]:
    """(ours, non-blocking, and theirs); ours' reader, if any, is removed afterwards."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    try:
        yield ours, theirs
    finally:
        loop.remove_reader(ours.fileno())
        ours.close()
        theirs.close()


async def test_ready_callbacks_run_in_order_and_cancelled_ones_do_not() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, AppEventLoop)
    ran: list[int] = []
    done = asyncio.Event()
    handles = [loop.call_soon(ran.append, k) for k in range(5)]
    handles[2].cancel()
    loop.call_soon(done.set)
    await asyncio.wait_for(done.wait(), 5)
    assert ran == [0, 1, 3, 4]


async def test_callbacks_scheduled_while_draining_wait_for_the_next_pass() -> None:
    """A callback that keeps rescheduling itself must still let Qt timers fire."""
    loop = asyncio.get_running_loop()
    spins = 0
    qt_fired = asyncio.Event()

    def spin() -> None:
        nonlocal spins
        spins += 1
        if not qt_fired.is_set():
            loop.call_soon(spin)

    QTimer.singleShot(20, qt_fired.set)
    loop.call_soon(spin)
    await asyncio.wait_for(qt_fired.wait(), 5)
    assert spins > 1  # it kept going, and the Qt timer still got its turn


async def test_tasks_timeouts_and_exceptions_behave_as_in_asyncio() -> None:
    errors: list[dict] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    try:
        loop.call_soon(lambda: 1 / 0)
        results = await asyncio.gather(*(asyncio.sleep(0.01 * k, result=k) for k in range(3)))
        assert results == [0, 1, 2]
        with_timeout = asyncio.wait_for(asyncio.sleep(5), 0.05)
        try:
            await with_timeout
        except TimeoutError:
            pass
        else:
            raise AssertionError("wait_for did not time out")
    finally:
        loop.set_exception_handler(previous)
    assert errors and isinstance(errors[0].get("exception"), ZeroDivisionError)


async def test_what_a_timer_readies_runs_before_the_next_qt_event() -> None:
    """The playout loop's wake-up (a sleep ends: its future, then the task step) costs
    one Qt event, not one per step of the chain."""
    loop = asyncio.get_running_loop()
    order: list[str] = []
    done = asyncio.Event()

    def timed() -> None:
        order.append("timed")
        QTimer.singleShot(0, lambda: (order.append("qt"), done.set()))
        loop.call_soon(first)

    def first() -> None:
        order.append("first")
        loop.call_soon(second)

    def second() -> None:
        order.append("second")

    loop.call_later(0.01, timed)
    await asyncio.wait_for(done.wait(), 5)
    assert order == ["timed", "first", "second", "qt"]


async def test_what_a_socket_read_readies_runs_before_the_next_qt_event() -> None:
    """A WebSocket message (the read, then the task waiting for it) costs one Qt event."""
    loop = asyncio.get_running_loop()
    order: list[str] = []
    done = asyncio.Event()
    with _socket_pair(loop) as (ours, theirs):

        def on_readable() -> None:
            ours.recv(16)
            order.append("read")
            QTimer.singleShot(0, lambda: (order.append("qt"), done.set()))
            loop.call_soon(order.append, "task step")

        loop.add_reader(ours.fileno(), on_readable)
        theirs.send(b"x")
        await asyncio.wait_for(done.wait(), 5)
    assert order == ["read", "task step", "qt"]


async def test_a_reader_is_called_while_data_is_left_and_not_after_it_is_removed() -> None:
    """The socket's notifier stays armed around its callback: what a callback leaves
    unread calls it again, and a reader removed from within its callback is not called."""
    loop = asyncio.get_running_loop()
    read: list[bytes] = []
    done = asyncio.Event()
    with _socket_pair(loop) as (ours, theirs):

        def one_byte_at_a_time() -> None:
            read.append(ours.recv(1))
            if len(read) == 3:
                loop.remove_reader(ours.fileno())
                QTimer.singleShot(50, done.set)  # time for a stray call to show

        loop.add_reader(ours.fileno(), one_byte_at_a_time)
        theirs.send(b"abcd")
        await asyncio.wait_for(done.wait(), 5)
    assert read == [b"a", b"b", b"c"]


async def test_coroutine_functions_are_refused_as_callbacks_in_debug_mode() -> None:
    loop = asyncio.get_running_loop()

    async def coroutine_function() -> None:
        pass

    loop.set_debug(True)
    try:
        for schedule in (loop.call_soon, lambda f: loop.call_later(0.01, f)):
            try:
                schedule(coroutine_function)
            except TypeError:
                pass
            else:
                raise AssertionError("a coroutine function was scheduled as a callback")
    finally:
        loop.set_debug(False)


def test_outside_the_loops_run_callbacks_wait_for_the_next_run() -> None:
    """Qt delivers events outside the loop's run too (qasync's last pass after a run; Qt
    ending a run under a pending task when the display goes away). A task stepped then
    finds no running loop and fails; its timers and sockets must wait for the next run."""
    app = QApplication.instance() or QApplication([])
    loop = AppEventLoop(app)
    ran: list[object] = []
    try:
        with _socket_pair(loop) as (ours, theirs):

            async def steps() -> None:
                await asyncio.sleep(0)
                ran.append(asyncio.get_running_loop())
                await asyncio.sleep(0.01)
                ran.append(asyncio.get_running_loop())

            read = asyncio.Event()
            loop.add_reader(ours.fileno(), lambda: (ours.recv(16), read.set()))
            task = loop.create_task(steps())
            theirs.send(b"x")
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            assert ran == [] and not task.done() and not read.is_set()

            async def both() -> None:
                await asyncio.wait_for(asyncio.gather(task, read.wait()), 5)

            loop.run_until_complete(both())
        assert ran == [loop, loop]
    finally:
        loop.close()
