"""What the window tests share: good form values and a way to wait on the Qt loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from cxone_desktop.ui.connect_model import ConnectValues

GOOD = ConnectValues(location="acme", client_id="cid", client_secret="s3cr3t", call_id="c1")


async def until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the Qt loop run until `predicate()` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
