"""`gui --demo`: the bundled CXone simulator on a free loopback port, and the form values for it."""

from __future__ import annotations

from typing import Any

from cxone_desktop.ui.connect_model import ConnectValues


async def start_demo_simulator() -> tuple[Any, ConnectValues]:
    """Start the simulator (demo recording, demo credentials) on this loop; values to connect."""
    from cxone_desktop.simulator.config import SimulatorConfig
    from cxone_desktop.simulator.server import CXoneSimulator

    sim = CXoneSimulator(SimulatorConfig(host="127.0.0.1", port=0))
    await sim.start()
    values = ConnectValues(
        location=sim.base_url,
        client_id=sim.config.client_id,
        client_secret=sim.config.client_secret,
        call_id=sim.config.call_ids[0],
    )
    return sim, values
