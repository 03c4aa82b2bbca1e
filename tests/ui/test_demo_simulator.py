"""`gui --demo`'s simulator runs in a process of its own and never outlives the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cxone_desktop.ui.demo import DemoSimulator, DemoSimulatorFailed


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


async def test_the_demo_simulator_serves_its_call_and_stops_when_asked() -> None:
    sim = await DemoSimulator.start()
    try:
        values = sim.values
        assert values.location.startswith("http://127.0.0.1:")
        assert (values.client_id, values.call_id) == ("demo-client", "demo-call")
        async with httpx.AsyncClient() as http:
            token = await http.post(
                f"{values.location}/oauth2/token",
                json={"grant_type": "client_credentials", "client_id": values.client_id,
                      "client_secret": values.client_secret},
            )  # fmt: skip
        assert token.status_code == 200 and token.json()["access_token"]
        assert sim.running
    finally:
        code = await sim.stop()
    assert code == 0 and not sim.running
    # Its pipes are closed too (an open one warned "unclosed file" at the app's exit).
    pipes = (sim._process.stdin, sim._process.stdout, sim._stderr)
    assert all(pipe is not None and pipe.closed for pipe in pipes)


async def test_a_simulator_that_cannot_start_says_why() -> None:
    with pytest.raises(DemoSimulatorFailed) as ei:
        await DemoSimulator.start("--audio", "/nonexistent/call.wav")
    assert "call.wav" in ei.value.message or "exited" in ei.value.message


def test_killing_the_app_takes_the_demo_simulator_with_it(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "PULSE_SERVER": "unix:/nonexistent/cxone-desktop-tests"}  # fmt: skip
    app = subprocess.Popen([sys.executable, "-m", "cxone_desktop", "gui", "--demo"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        children: list[int] = []
        while time.monotonic() < deadline and not children:
            children = [c for c in _children(app.pid) if _alive(c)]
            time.sleep(0.1)
        assert children, "the app started no simulator process"
        app.send_signal(signal.SIGKILL)  # no chance to clean up
        app.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.1)
        assert not any(_alive(c) for c in children), "the simulator outlived the app"
    finally:
        if app.poll() is None:
            app.kill()
