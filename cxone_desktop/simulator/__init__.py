"""A CXone stand-in on one port: OAuth token endpoint, voice-stream WebSocket, call-state REST.

Demo mode, the tests and the benchmarks all run against it. Importing this
package does not import aiohttp; `CXoneSimulator` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxone_desktop.simulator.config import Impairments, SimulatorConfig

if TYPE_CHECKING:
    from cxone_desktop.simulator.server import CXoneSimulator

__all__ = ["CXoneSimulator", "Impairments", "SimulatorConfig"]


def __getattr__(name: str) -> Any:
    if name == "CXoneSimulator":
        from cxone_desktop.simulator.server import CXoneSimulator

        return CXoneSimulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
