"""End to end: the running app read over AT-SPI, as Orca reads it on Linux.

`gui --demo --autoconnect` runs under Xvfb inside its own D-Bus session with the
accessibility bus up (at-spi-bus-launcher) and Qt's bridge on. A probe in Debian's
Python (pyatspi is a Debian package, `python3-pyatspi`) listens for announcements,
starts the app, and once Streaming is announced walks its accessible tree. Nothing of
ours is in between: this is what a screen reader gets.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PROBE = Path(__file__).with_name("atspi_probe.py")
SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
#: Roles a user operates; list items, table cells and menu items are named by their text.
CONTROL_ROLES = {"push button", "toggle button", "check box", "radio button", "text",
                 "password text", "entry", "slider", "spin button", "combo box", "list",
                 "tree", "tree table", "table"}  # fmt: skip
#: AT-SPI's politeness values in an announcement's detail1.
POLITE, ASSERTIVE = 1, 2


def _need() -> None:
    missing = [t for t in ("xvfb-run", "dbus-run-session") if shutil.which(t) is None]
    missing += [p for p in (BUS_LAUNCHER, SYSTEM_PYTHON) if not Path(p).exists()]
    ok = subprocess.run([SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True)
    if missing or ok.returncode != 0:
        pytest.fail(
            f"the AT-SPI rig is missing ({', '.join(missing) or 'python3-pyatspi'}): "
            "`bash packaging/quickstart.sh test` installs at-spi2-core python3-pyatspi dbus-x11"
        )


def test_a_screen_reader_finds_every_control_named_and_hears_streaming(tmp_path: Path) -> None:
    _need()
    script = tmp_path / "session.sh"
    app = [sys.executable, "-m", "cxone_desktop", "gui", "--demo", "--autoconnect",
           "--quit-after", "60"]  # fmt: skip
    script.write_text(
        "set -e\n"
        f"{BUS_LAUNCHER} --launch-immediately &\n"
        f"exec {SYSTEM_PYTHON} {PROBE} cxone-desktop 45 -- {' '.join(app)}\n"
    )
    env = {
        **os.environ,
        "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
        "QT_QPA_PLATFORM": "xcb",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path),
        "PULSE_SERVER": "unix:/nonexistent/cxone-desktop-tests",  # no sound card needed here
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    env.pop("DISPLAY", None)
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24",
         "dbus-run-session", "--", "bash", str(script)],
        env=env, capture_output=True, text=True, timeout=150,
    )  # fmt: skip
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no probe result (exit {done.returncode}): {done.stderr[-2000:]}"
    result = json.loads(lines[-1])
    assert result["app_found"], done.stderr[-2000:]

    controls = [c for c in result["controls"] if c["role"] in CONTROL_ROLES]
    assert len(controls) >= 25, [c["role"] for c in controls]
    unnamed = [c for c in controls if not c["name"].strip() and not c["labelled_by"]]
    assert unnamed == []
    by_name = {c["name"]: c for c in controls}
    # The four the issue found without a name, and the values in units.
    for name in ("Tenant or base URL", "Client ID", "Client secret", "Call ID"):
        assert name in by_name, sorted(by_name)
    assert by_name["Client secret"]["role"] == "password text"
    assert by_name["Gain"]["description"] == "+1.6 dB (×1.20)"
    assert by_name["Noise gate threshold"]["description"] == "200 (-44.3 dBFS)"

    heard = result["announcements"]
    streaming = [a for a in heard if a["text"].startswith("Streaming")]
    assert streaming, heard
    assert streaming[0]["politeness"] == POLITE
    assert heard[0]["text"].startswith("Connecting")
    assert result["app_exit"] == 0  # SIGTERM closed it cleanly (files finalized)
