"""UI tests run offscreen, inside a qasync loop so asyncio tasks and Qt timers share one thread."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# In-process tests never reach a sound server, so "no audio output" is the deterministic case;
# real playback is tested in a child process against a private null sink (test_e2e_audio.py).
os.environ["PULSE_SERVER"] = "unix:/nonexistent/cxone-desktop-tests"

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication

from cxone_desktop.ui.event_loop import AppEventLoop


def _qt_event_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # as the app does: closing a window must not stop the loop
    return AppEventLoop(app)


def pytest_asyncio_loop_factories(config: object, item: object) -> dict[str, object]:
    """Every async test here runs on a qasync loop: asyncio tasks and Qt timers share a thread."""
    return {"qt": _qt_event_loop}


@pytest.fixture(autouse=True)
def _finalize_leftovers_now() -> Iterator[None]:
    """Each test's leftovers (widgets deleted later, a closed loop's transports and never-run
    coroutines) are finalized at its own teardown, not at a random point inside a later
    test's Qt event loop: one fresh-clone run crashed (SIGSEGV) in qasync's run_forever near
    the end of the suite, after warnings of coroutines from earlier tests collected there."""
    yield
    if QApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[QSettings]:
    """QSettings in a throwaway INI file, never the user's."""
    s = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield s
    s.sync()


@pytest.fixture
def memory_keyring() -> Iterator[dict[tuple[str, str], str]]:
    """Install an in-memory keyring backend for the test; yields its store."""
    import keyring
    from keyring.backend import KeyringBackend

    store: dict[tuple[str, str], str] = {}

    class _Backend(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(_Backend())
    try:
        yield store
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def make_window(qtbot, settings: QSettings, tmp_path: Path, no_keyring: None):
    """Build the real window on FakeSessions; yields `build(**fake_kwargs) -> (window, fakes)`."""
    from cxone_desktop.ui.main_window import MainWindow

    from .fake_session import FakeSession
    from .helpers import GOOD

    created: list[FakeSession] = []

    def build(**fake_kwargs):
        def factory(config, sink):
            s = FakeSession(config, sink, **fake_kwargs)
            created.append(s)
            return s

        window = MainWindow(settings=settings, out_dir=tmp_path / "rec", session_factory=factory)
        qtbot.addWidget(window)
        window.fill(GOOD)
        return window, created

    return build
