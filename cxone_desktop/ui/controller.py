"""The one bridge between widgets and the streaming session.

The session is an asyncio task on the qasync loop (the Qt thread); it calls
this object as an observer, and this object re-emits Qt signals. Widgets never
touch the session's coroutines: they call `start`, `stop` and `set_dsp` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.listen_mode import ListenMode, PartyAudibility
from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.core.state_machine import CallState, Transition
from cxone_desktop.errors import CXoneError, ServiceUnavailable
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.live_view import LiveSession, LiveView
from cxone_desktop.session.observer import SessionEvent, SessionObserver
from cxone_desktop.session.playout_sink import PlayoutSink
from cxone_desktop.session.session_result import SessionResult

log = logging.getLogger(__name__)

#: Builds a session; tests pass a fake.
SessionFactory = Callable[[SessionConfig, PlayoutSink | None], LiveSession]


def _real_session(config: SessionConfig, playout_sink: PlayoutSink | None) -> LiveSession:
    from cxone_desktop.session.stream_session import StreamSession

    return StreamSession(config, playout_sink=playout_sink)


class _Relay(SessionObserver):
    """The session's observer calls, re-emitted as the controller's signals."""

    def __init__(self, controller: SessionController) -> None:
        self._c = controller

    def on_state(self, transition: Transition) -> None:
        self._c.state_changed.emit(transition)

    def on_error(self, error: CXoneError) -> None:
        self._c.error_raised.emit(error)

    def on_event(self, event: SessionEvent) -> None:
        self._c.event_received.emit(event)

    def on_metrics(self, snapshot: MetricsSnapshot) -> None:
        self._c.metrics_updated.emit(snapshot)


class SessionController(QObject):
    """Owns the current session task; turns its callbacks into signals."""

    state_changed = Signal(object)  # Transition
    error_raised = Signal(object)  # CXoneError
    event_received = Signal(object)  # SessionEvent
    metrics_updated = Signal(object)  # MetricsSnapshot, once a second
    session_finished = Signal(object)  # SessionResult, or None if run() crashed
    busy_changed = Signal(bool)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        playout_sink: PlayoutSink | None = None,
        session_factory: SessionFactory | None = None,
    ) -> None:
        super().__init__(parent)
        self._factory = session_factory or _real_session
        self._playout_sink = playout_sink
        self._session: LiveSession | None = None
        self._task: asyncio.Task[None] | None = None

    # ---- what widgets read -----------------------------------------------------------------
    @property
    def live(self) -> LiveView | None:
        """The current call's view, or the last one's after it finished (its rings stay)."""
        return self._session

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def folder(self) -> Path | None:
        """The current or last session folder, once the recorder created it."""
        return self._session.folder if self._session is not None else None

    def checkpoint(self) -> dict[str, Any] | None:
        """While a call runs: its files pushed to disk and its summary so far, for an export."""
        if self._session is None or not self.running:
            return None
        return self._session.checkpoint()

    # ---- actions ---------------------------------------------------------------------------
    def start(self, config: SessionConfig) -> None:
        """Start a session for `config` as a task on the running loop."""
        if self.running:
            raise RuntimeError("a session is already running; stop it first")
        session = self._factory(config, self._playout_sink)
        session.add_observer(_Relay(self))
        self._session = session
        self._task = asyncio.ensure_future(self._run(session))
        self.busy_changed.emit(True)

    async def stop(self, timeout_s: float = 8.0) -> None:
        """Ask the session to stop and wait for its files to be finalized (bounded)."""
        task, session = self._task, self._session
        if task is None or task.done() or session is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(session.stop()), timeout_s)
        except TimeoutError:
            log.warning("session did not stop within %.0f s; cancelling it", timeout_s)
            task.cancel()
        except Exception:
            log.exception("session.stop failed")
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(task), timeout_s)

    def set_dsp(self, settings: DspSettings, customer: DspSettings | None = None) -> None:
        """Gain and gate (the customer's own when given) from the next frame."""
        if self._session is not None and self.running:
            self._session.set_dsp(settings, customer)

    def set_listen_mode(self, mode: ListenMode) -> None:
        """What is heard of a two-party call, from the next frame: no reconnect."""
        if self._session is not None and self.running:
            self._session.set_listen_mode(mode)

    def set_audible(self, audible: PartyAudibility) -> None:
        """Per-party mute and solo, on the sound device only."""
        if self._session is not None and self.running:
            self._session.set_audible(audible)

    # ---- internals -------------------------------------------------------------------------
    async def _run(self, session: LiveSession) -> None:
        result: SessionResult | None = None
        try:
            result = await session.run()
        except asyncio.CancelledError:
            log.warning("session task cancelled")
        except Exception as exc:  # run() should never raise; say so rather than die quietly
            log.exception("session crashed")
            self.error_raised.emit(
                ServiceUnavailable(
                    f"The session stopped unexpectedly ({type(exc).__name__}).",
                    remedy="Connect again; if it keeps happening, run with --log-level DEBUG.",
                )
            )
        finally:
            if session.state not in (CallState.TERMINATED, CallState.IDLE):
                log.warning("session left in %s", session.state)
            self.busy_changed.emit(False)
            self.session_finished.emit(result)
