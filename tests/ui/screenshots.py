"""Screenshots of the window at the screen sizes agents have, for a person to look at.

    xvfb-run -a -s "-screen 0 1366x768x24" python -m tests.ui.screenshots OUT_DIR

writes `{1366x768,1024x600}-{light,dark}-{streaming,idle}.png`: a call streaming on a
FakeSession with an error banner and the gain slider focused, and the idle form with
its advanced options open and a field message. `test_window_sizes.py` checks the same
layouts automatically (no clipping, no overlap); these are for the eye.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

SIZES = ((1366, 768), (1024, 600))


async def _shoot(out: Path, width: int, height: int, scheme: str) -> list[Path]:
    from cxone_desktop.errors import ServiceUnavailable
    from cxone_desktop.ui.main_window import MainWindow

    from .fake_session import FakeSession
    from .helpers import GOOD, until

    tmp = Path(tempfile.mkdtemp(prefix="cxone-shots-"))
    fakes: list[FakeSession] = []

    def factory(config, sink):  # type: ignore[no-untyped-def]
        fake = FakeSession(config, sink, seconds=120)
        fakes.append(fake)
        return fake

    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    shots = []
    window = MainWindow(
        settings=settings, out_dir=tmp / "rec", session_factory=factory, remember_settings=False
    )
    window.setGeometry(0, 0, width, height)
    window.show()
    window.activateWindow()
    window.fill(GOOD)
    window.connect_call()
    await until(lambda: window.metrics.redraws >= 2, timeout=10)
    fakes[0].report(
        ServiceUnavailable(
            "acmee.niceincontact.com does not resolve (DNS), so the token endpoint "
            "cannot be reached.",
            remedy="Check the tenant name or base URL for typos, and your network or VPN.",
        )
    )
    window.controls.gain_slider.setFocus()
    await asyncio.sleep(0.3)
    shots.append(out / f"{width}x{height}-{scheme}-streaming.png")
    window.grab().save(str(shots[-1]))
    await window.controller.stop()

    window.form.call_id.clear()
    window.form.show_all_messages()
    window.form.advanced_toggle.setChecked(True)
    window.form.location.setFocus()
    await asyncio.sleep(0.3)
    shots.append(out / f"{width}x{height}-{scheme}-idle.png")
    window.grab().save(str(shots[-1]))
    window.close()
    return shots


async def _main(out: Path) -> None:
    from cxone_desktop.ui.theme import dark_palette

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette()
    for scheme in ("light", "dark"):
        app.setPalette(dark_palette() if scheme == "dark" else light)
        for width, height in SIZES:
            for shot in await _shoot(out, width, height, scheme):
                print(shot)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from cxone_desktop.ui.event_loop import AppEventLoop

    app = QApplication([])
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_main(out))
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
