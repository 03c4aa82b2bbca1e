"""InterruptHandlers: Ctrl+C reaches the loop with or without loop signal handlers."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import pytest

from cxone_desktop.portable import InterruptHandlers


async def _interrupt_self_and_wait(handlers: InterruptHandlers, got: asyncio.Event) -> None:
    handlers.install()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.wait_for(got.wait(), 10)
    finally:
        handlers.uninstall()


async def test_ctrl_c_uses_the_loop_handlers_where_they_exist() -> None:
    got = asyncio.Event()
    handlers = InterruptHandlers(asyncio.get_running_loop(), got.set)
    await _interrupt_self_and_wait(handlers, got)
    assert handlers.native


async def test_ctrl_c_falls_back_to_a_python_handler_without_them(windows_like: None) -> None:
    before = signal.getsignal(signal.SIGINT)
    got = asyncio.Event()
    handlers = InterruptHandlers(asyncio.get_running_loop(), got.set)
    await _interrupt_self_and_wait(handlers, got)
    assert not handlers.native
    assert signal.getsignal(signal.SIGINT) is before  # uninstall put the old one back


async def test_console_close_asks_the_loop_and_waits_until_files_are_final() -> None:
    """What Windows' console control handler runs on its own thread (ctrl type 2 = close)."""
    loop = asyncio.get_running_loop()
    asked = asyncio.Event()
    handlers = InterruptHandlers(loop, asked.set, close_grace_s=10)
    answer: list[bool] = []
    thread = threading.Thread(target=lambda: answer.append(handlers.console_event(2)))
    thread.start()
    await asyncio.wait_for(asked.wait(), 10)
    assert thread.is_alive()  # Windows would end the process once the handler returns
    handlers.finished()
    await asyncio.to_thread(thread.join, 10)
    assert answer == [True]


@pytest.mark.parametrize("ctrl_type", [0, 1])
def test_ctrl_c_and_ctrl_break_are_left_to_the_signal_handlers(ctrl_type: int) -> None:
    loop = asyncio.new_event_loop()
    try:
        called: list[int] = []
        handlers = InterruptHandlers(loop, lambda: called.append(1), close_grace_s=0)
        assert handlers.console_event(ctrl_type) is False
        loop.run_until_complete(asyncio.sleep(0))
        assert called == []
    finally:
        loop.close()
