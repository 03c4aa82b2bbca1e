"""The live calls the server lists, in the connect form: picking one fills the call ID.

Refreshed every few seconds while the form is idle (no call running) and says who is on
each call, where it comes from, its state, how long it has run and whether its parties
can be heard apart. Hidden while the server has no list (a plain CXone tenant answers
404) or cannot be reached; typing a call ID works whatever it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from cxone_desktop.session.call_list_feed import (
    CallList,
    CallListFeed,
    DirectorySource,
    ListedCall,
)

log = logging.getLogger(__name__)

#: How often the list is asked for while the form is idle.
REFRESH_MS = 4000
PLACEHOLDER = "Pick a live call…"


def describe_call(call: ListedCall) -> str:
    """`demo-call — Dana ↔ Alex Customer · cxone · active · 0:42 · two parties`."""
    who = " ↔ ".join(p for p in (call.agent, call.customer) if p)
    parts = [call.platform, call.state.replace("_", " ")]
    if call.duration_s is not None:
        minutes, seconds = divmod(int(call.duration_s), 60)
        parts.append(f"{minutes}:{seconds:02d}")
    parts.append("two parties" if call.two_party else "one mixed channel")
    head = f"{call.call_id} — {who}" if who else call.call_id
    return " · ".join([head, *(p for p in parts if p)])


class CallPicker(QWidget):
    """A combo of live calls; `picked(ListedCall)` when the user chooses one."""

    picked = Signal(object)  # ListedCall
    #: The server has a list to show (True), or none / cannot be reached (False).
    available_changed = Signal(bool)
    #: A new list was shown.
    refreshed = Signal()

    def __init__(
        self,
        source: Callable[[], DirectorySource | None],
        *,
        feed: CallListFeed | None = None,
        interval_ms: int = REFRESH_MS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._feed = feed or CallListFeed()
        self._calls: dict[str, ListedCall] = {}
        self._pending: asyncio.Future[None] | None = None
        self._idle = True
        self._stopped = False
        self.available = False
        self.combo = QComboBox()
        self.combo.setObjectName("call_picker")
        self.combo.setAccessibleName("Live calls")
        self.combo.view().setAccessibleName("Live calls choices")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(12)
        self.combo.setToolTip("The calls this server lists for you; picking one fills the call ID")
        self.combo.addItem(PLACEHOLDER, None)
        self.status = QLabel()
        self.status.setObjectName("call_picker_status")
        self.status.setWordWrap(True)
        self.status.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.combo)
        layout.addWidget(self.status)
        self.combo.activated.connect(self._on_activated)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)

    # ---- what the window drives ------------------------------------------------------------
    def start(self) -> None:
        """Ask now, then every few seconds while idle (again after a `stop`)."""
        self._stopped = False
        self.timer.start()
        self.refresh()

    def stop(self) -> None:
        """No refreshes until `start`: the window is going away (closed, or the desktop
        session ends), and the call that just ended must not start a request that nothing
        will read."""
        self._stopped = True
        self.timer.stop()

    @property
    def asking(self) -> bool:
        """A refresh is out and its answer not yet shown."""
        return self._pending is not None and not self._pending.done()

    def set_idle(self, idle: bool) -> None:
        """No refreshes while a call runs: the list is for choosing the next one."""
        self._idle = idle
        self.combo.setEnabled(idle)
        if idle:
            self.refresh()

    def refresh(self) -> None:
        """Ask the server once (unless a question is still out, a call runs, or `stop`ped)."""
        if self._stopped or not self._idle or self.asking:
            return
        source = self._source()
        if source is None:  # the form cannot say where or who yet
            self.show_calls(CallList())
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop runs (a test without one): nothing to ask with
            return
        self._pending = loop.create_task(self._refresh(source))

    async def refresh_now(self) -> None:
        """Refresh and wait for the answer (tests)."""
        self.refresh()
        if self._pending is not None:
            await self._pending

    def call(self, call_id: str) -> ListedCall | None:
        """What the last list said about `call_id`, if it listed it."""
        return self._calls.get(call_id)

    def select(self, call_id: str) -> None:
        """Show `call_id` as picked when the list has it (the form's text was typed)."""
        index = self.combo.findData(call_id)
        self.combo.setCurrentIndex(index if index >= 0 else 0)

    async def aclose(self) -> None:
        self.timer.stop()
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pending
        await self._feed.aclose()

    # ---- showing a list --------------------------------------------------------------------
    def show_calls(self, result: CallList) -> None:
        """Fill the combo, keeping the choice; hidden when the server has no list."""
        if result.available != self.available:
            self.available = result.available
            self.available_changed.emit(result.available)
        self.status.setText(f"Live calls not refreshed: {result.problem}" if result.problem else "")
        self.status.setVisible(bool(result.problem) and result.available)
        calls = {c.call_id: c for c in result.calls}
        if result.problem and not calls:
            return  # keep what was listed before the hiccup
        current = self.combo.currentData()
        self._calls = calls
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            self.combo.addItem(
                PLACEHOLDER if calls else "No live calls you may hear right now", None
            )
            for call in calls.values():
                self.combo.addItem(describe_call(call), call.call_id)
            self.select(current if isinstance(current, str) else "")
        finally:
            self.combo.blockSignals(False)
        self.refreshed.emit()

    # ---- internals -------------------------------------------------------------------------
    async def _refresh(self, source: DirectorySource) -> None:
        try:
            result = await self._feed.refresh(source)
        except Exception:  # the feed reports the server's faults; anything else is a bug
            log.exception("listing the live calls failed")
            return
        self.show_calls(result)

    def _on_activated(self, index: int) -> None:
        call = self._calls.get(self.combo.itemData(index) or "")
        if call is not None:
            self.picked.emit(call)
