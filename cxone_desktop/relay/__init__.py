"""`cxone-desktop relay`: the server real platforms push call audio into (NICE CXone, Genesys
AudioHook, Twilio Media Streams), serving it to the app and `record` on the app's own wire.

Importing this package imports neither aiohttp nor redis; `RelayServer` loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxone_desktop.relay.server import RelayServer

__all__ = ["RelayServer"]


def __getattr__(name: str) -> Any:
    if name == "RelayServer":
        from cxone_desktop.relay.server import RelayServer

        return RelayServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
