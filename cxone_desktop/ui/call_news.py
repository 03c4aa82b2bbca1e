"""What the window shows and says when the session reports: history, banner, chips, title.

Banners follow their cause: connection trouble the session works around (a drop, a retry,
an unreachable server) clears when streaming resumes or the user disconnects, and stays
when the call failed on it. Screen-reader users hear the same news through the announcer:
state changes and reconnects, errors (assertive), stalls, "network degraded".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.core.state_machine import CallState, Transition
from cxone_desktop.errors import CXoneError
from cxone_desktop.session.session_result import SessionResult
from cxone_desktop.ui.announcer import Announcer
from cxone_desktop.ui.call_state_panel import CallStatePanel
from cxone_desktop.ui.error_banner import ErrorBanner
from cxone_desktop.ui.error_text import Notice, describe_error, describe_event, describe_progress
from cxone_desktop.ui.metrics_view import MetricsView

ENDED = Notice(
    "The call has ended.", "The recording is finalized; export it from the File menu.", "info"
)


class CallNews:
    """Turns the controller's signals into what the window shows and announces."""

    def __init__(
        self,
        *,
        banner: ErrorBanner,
        state_panel: CallStatePanel,
        metrics: MetricsView,
        announcer: Announcer,
        set_title: Callable[[str], None],
    ) -> None:
        self.banner = banner
        self.state_panel = state_panel
        self.metrics = metrics
        self.announcer = announcer
        self._set_title = set_title
        self._degraded = False

    # ---- the banner ------------------------------------------------------------------------
    def show_notice(self, notice: Notice, *, assertive: bool | None = None) -> None:
        """Put `notice` in the banner and say it (errors interrupt, the rest waits its turn)."""
        self.banner.show_notice(notice)
        urgent = notice.severity == "error" if assertive is None else assertive
        self.announcer.say(f"{notice.title} {notice.remedy}", assertive=urgent)

    # ---- session news ----------------------------------------------------------------------
    def on_state(self, t: Transition) -> None:
        self.state_panel.show_transition(t)  # a stall ends with the state it happened in
        if t.state is CallState.STREAMING:
            self.banner.clear_transient()  # the retry or reconnect it warned about worked
        self.announcer.say(state_announcement(t))
        self.show_title()

    def on_error(self, err: CXoneError) -> Notice:
        notice = describe_error(err)
        self.show_notice(notice)
        self.state_panel.add_note(
            "Error" if notice.severity == "error" else "Warning", notice.title
        )
        return notice

    def on_event(self, event: dict[str, Any]) -> None:
        line = describe_event(event)
        if line is not None:
            self.state_panel.add_note(*line)
        progress = describe_progress(event)
        # Retry progress never hides a lasting notice (an error, a recording problem).
        if progress is not None and (not self.banner.severity or self.banner.transient):
            self.show_notice(progress)
        kind = event.get("kind")
        if kind == "stall":
            silent_s = _seconds(event.get("silent_s"), 1.0)
            self.state_panel.show_stall(silent_s, time.monotonic())
            if self.state_panel.stalled:
                self.announcer.say(
                    f"No audio: nothing received for {silent_s:.0f} s.", assertive=True
                )
            self.show_title()
        elif kind == "stall_cleared":
            was = self.state_panel.stalled
            self.state_panel.clear_stall()
            if was:
                silent_s = _seconds(event.get("silent_s"), 0.0)
                self.announcer.say(f"Audio is back after {silent_s:.0f} s.")
            self.show_title()

    def on_metrics(self, snapshot: MetricsSnapshot) -> None:
        self._set_degraded(snapshot.degraded)

    def on_finished(self, result: SessionResult | None) -> None:
        outcome = result.outcome if result is not None else "stream_failed"
        if outcome == "stopped":
            self.banner.clear_transient()  # nothing is connecting any more
        elif outcome == "ended":
            if not self.banner.severity or self.banner.transient:
                self.show_notice(ENDED)
        else:
            self.banner.keep()  # why the call failed: it stays until dismissed
        self._set_degraded(False, say=False)

    def show_title(self) -> None:
        state = self.state_panel.current_state
        self._set_title("No audio" if self.state_panel.stalled else state.name.title())

    def _set_degraded(self, degraded: bool, *, say: bool = True) -> None:
        if degraded == self._degraded:
            return
        self._degraded = degraded
        self.metrics.set_degraded(degraded)
        if say:
            self.announcer.say(
                "Network degraded: loss, jitter or lateness can be heard."
                if degraded
                else "Network recovered."
            )


def state_announcement(t: Transition) -> str:
    """`Streaming: audio stream open.`, `Reconnecting: abnormal close (1006).`"""
    reason = t.reason.strip().rstrip(".")
    return f"{t.state.name.title()}: {reason}." if reason else f"{t.state.name.title()}."


def _seconds(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default
