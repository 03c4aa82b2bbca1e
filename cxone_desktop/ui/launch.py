"""`cxone-desktop gui`: one QApplication, one qasync loop, the window, maybe the simulator.

The simulator (with `--demo`) and the session run as asyncio tasks on the
same qasync loop as the widgets. SIGINT/SIGTERM close the window the same way
the close button does: stop the call, finalize files, exit 0. So does losing the
display (the X server dies, the desktop session ends under the app): Qt ends its
event loop then, and the call is stopped on a loop run again without a screen.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxone_desktop.errors import CXoneError

if TYPE_CHECKING:
    from cxone_desktop.ui.demo import DemoSimulator

NO_DISPLAY_TEXT = """\
No display found: the desktop app needs a screen (DISPLAY / WAYLAND_DISPLAY is not set).
  - On a desktop: run it from a terminal inside your desktop session.
  - On a machine without a screen: give it a virtual one with Xvfb, e.g.
        apt-get install xvfb xauth
        xvfb-run -a cxone-desktop gui --demo
  - To record a call without any window: cxone-desktop record --help"""
DISPLAY_LOST_TEXT = (
    "The display went away (the X server or the desktop session ended): stopping the call "
    "and finalizing its files"
)
#: How long the call may take to stop after the display went away (its files are final
#: well within this; then the process ends anyway).
DISPLAY_LOST_CLOSE_S = 20.0
APP_ORGANIZATION = "CXone Voice Desktop"
APP_NAME = "cxone-desktop"

log = logging.getLogger(__name__)


def has_display(
    env: dict[str, str] | os._Environ[str] = os.environ, platform: str = sys.platform
) -> bool:
    """False only on Linux/BSD with no X11/Wayland display and no QT_QPA_PLATFORM chosen."""
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return True
    return any(env.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run_gui(args: argparse.Namespace) -> int:
    """Open the app; returns the process exit code (2 when there is no display)."""
    if not has_display():
        print(NO_DISPLAY_TEXT, file=sys.stderr)
        return 2
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # Qt Multimedia's backend chatter (pipewire probing, FFmpeg banner) means nothing to
        # a listener; the controls panel says plainly whether there is an audio output.
        os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")
    from PySide6.QtWidgets import QApplication

    from cxone_desktop.ui.event_loop import AppEventLoop

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    assert isinstance(app, QApplication)
    app.setOrganizationName(APP_ORGANIZATION)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("CXone Voice Desktop")
    app.setDesktopFileName(APP_NAME)
    app.setQuitOnLastWindowClosed(False)  # we quit after the session has stopped
    if app.platformName() == "xcb":
        # Else an Xlib call after the X server died may exit(1) before the call has stopped.
        from cxone_desktop import portable

        native = app.nativeInterface()
        portable.survive_x11_connection_loss(int(native.display()) if native else 0)
    _set_icon(app)
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    windows: list[Any] = []
    main = loop.create_task(_main(args, windows.append))
    try:
        try:
            return int(loop.run_until_complete(main))
        except RuntimeError:
            if main.done():
                raise
        log.warning(DISPLAY_LOST_TEXT)
        return _close_without_display(loop, main, windows)
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def _close_without_display(
    loop: asyncio.AbstractEventLoop, main: asyncio.Task[int], windows: list[Any]
) -> int:
    """Qt ended its event loop under a running app (its display is gone): close the window as
    the close button does (the call stops, its files are finalized, the simulator ends) on
    the loop run again, which works without a screen; Qt may end that run too, so again."""
    for window in windows:
        with contextlib.suppress(RuntimeError):  # its C++ side may be gone already
            window.display_lost()
            window.close()
    deadline = time.monotonic() + DISPLAY_LOST_CLOSE_S
    while not main.done() and (left := deadline - time.monotonic()) > 0:
        with contextlib.suppress(RuntimeError):  # "stopped before Future completed"
            loop.run_until_complete(asyncio.wait([main], timeout=left))
    if not main.done():
        log.error("the call did not stop within %.0f s of losing the display", DISPLAY_LOST_CLOSE_S)
        main.cancel()
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):
            loop.run_until_complete(main)
        return 1
    return int(main.result())


async def _main(args: argparse.Namespace, opened: Callable[[Any], object]) -> int:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from cxone_desktop.ui.connect_model import values_from_environment
    from cxone_desktop.ui.main_window import MainWindow

    loop = asyncio.get_running_loop()
    closed = asyncio.Event()
    out_dir = Path(args.out).expanduser() if getattr(args, "out", None) else None
    window = MainWindow(settings=QSettings(), remember_settings=not args.demo, out_dir=out_dir)
    window.closed.connect(closed.set)
    opened(window)
    # Logoff / shutdown: finalize the files now; the process may not get another chance.
    app = QApplication.instance()
    if app is not None:
        app.commitDataRequest.connect(lambda _manager: window.stopper.finalize_now())
    if not args.demo:
        window.form.load_settings()
        window.fill(values_from_environment(_apply_args(window.form.values(), args)))
    window.show()
    window.folders.recover_interrupted()
    _install_signal_handlers(loop, window)

    simulator: DemoSimulator | None = None
    if args.demo:
        from cxone_desktop.ui.demo import DemoSimulator
        from cxone_desktop.ui.error_text import describe_error

        try:
            simulator = await DemoSimulator.start()
        except CXoneError as exc:
            log.error("%s", exc.message)
            window.show_notice(describe_error(exc))
        else:
            window.fill(_apply_args(simulator.values, args, keep_location=True))
    window.form.picker.start()  # the live calls, where the server lists them
    review = getattr(args, "open", None) or getattr(args, "session", None)
    if review:
        window.folders.open_review(Path(review).expanduser())
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    if args.autoconnect:
        window.connect_call()
    await closed.wait()
    await window.form.picker.aclose()
    if simulator is not None:
        await simulator.stop()
    window.deleteLater()
    return 0


def _apply_args(base: Any, args: argparse.Namespace, *, keep_location: bool = False) -> Any:
    """Command-line values win over remembered ones."""
    from dataclasses import replace

    changes: dict[str, Any] = {}
    if not keep_location:
        if getattr(args, "base_url", None):
            changes["location"] = args.base_url
        elif getattr(args, "tenant", None):
            changes["location"] = args.tenant
        if getattr(args, "client_id", None):
            changes["client_id"] = args.client_id
        if getattr(args, "call_id", None):
            changes["call_id"] = args.call_id
    for arg, key in (
        ("auth_style", "auth_style"),
        ("token_in", "token_in"),
        ("encoding", "encoding"),
        ("poll_interval", "poll_interval_s"),
        ("ca_file", "ca_file"),
        ("scope", "scope"),
    ):
        value = getattr(args, arg, None)
        if value is not None:
            changes[key] = value
    if getattr(args, "insecure", False):
        changes["verify_tls"] = False
    return replace(base, **changes)


def _install_signal_handlers(loop: asyncio.AbstractEventLoop, window: Any) -> None:
    """SIGINT/SIGTERM (and Ctrl+Break, console close) → close the window, stopping the call."""
    from cxone_desktop import portable

    def request_close() -> None:
        log.info("signal received: closing")
        window.close()

    handlers = portable.InterruptHandlers(loop, request_close).install()
    window._interrupt_handlers = handlers  # keeps Windows' console callback alive
    if not handlers.native:
        # A Python handler (Windows) runs at the next bytecode; a light timer makes sure
        # Python gets control while Qt waits in C++.
        _keep_python_awake(window)


def _keep_python_awake(window: Any) -> None:
    from PySide6.QtCore import QTimer

    if getattr(window, "_signal_poll", None) is None:
        timer = QTimer(window)
        timer.setInterval(200)
        timer.timeout.connect(lambda: None)
        timer.start()
        window._signal_poll = timer


def _set_icon(app: Any) -> None:
    from PySide6.QtGui import QIcon

    from cxone_desktop.assets import resource_path

    icon = QIcon()
    for name in (
        "cxone-desktop.svg",
        *(f"cxone-desktop-{n}.png" for n in (16, 32, 48, 64, 128, 256)),
    ):
        try:
            icon.addFile(str(resource_path(f"icons/{name}")))
        except FileNotFoundError:
            continue
    if not icon.isNull():
        app.setWindowIcon(icon)
