import asyncio

from PySide6.QtCore import QTimer


async def test_async_tests_run_on_the_qt_loop() -> None:
    fired = asyncio.Event()
    QTimer.singleShot(10, fired.set)
    await asyncio.wait_for(fired.wait(), 2.0)
