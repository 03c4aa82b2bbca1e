"""Who is talking, drawn between the waveform lanes, and the call's running talk figures.

The strip is one cell per 20 ms frame of the last 5 s (a `CodeStrip` painted over the
waveform's plot with the lanes, on their time axis, so it lines up with them): agent,
customer, talk-over (both at once) or silence; its right end is now. Beneath, one line:
each party's talk share, the talk-over so far and the longest silence between words (its
accessible description says who talks now as well). Redrawn only when a frame was
played; the line only when its text changes.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from cxone_desktop.core.talk_state import TalkTotals
from cxone_desktop.ui.live_traces import LiveTraces
from cxone_desktop.ui.steady_label import SteadyLabel

#: Per talk code: 0 silence, 1 agent, 2 customer, 3 talk-over (frames before the call: none).
COLOURS = (
    QColor(55, 65, 81),  # silence: slate
    QColor(56, 189, 248),  # agent: sky, as the lanes
    QColor(250, 204, 21),  # customer: amber, as the customer's lane
    QColor(239, 68, 68),  # talk-over: red
)
NOW_TEXT = ("Nobody is talking", "Agent talking", "Customer talking", "Talk-over")
WIDEST = "Talk share: agent 100 %, customer 100 % · talk-over 10:00:00 · longest silence 10:00:00"


def duration_text(seconds: float) -> str:
    """`4.2 s` below a minute, else `m:ss` (or `h:mm:ss`)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def talk_text(totals: TalkTotals | None) -> str:
    """The figures line: the call's running talk totals."""
    if totals is None:
        return ""
    return (
        f"Talk share: agent {round(100 * totals.agent_share)} %, customer "
        f"{round(100 * totals.customer_share)} % · talk-over {duration_text(totals.overlap_s)}"
        f" · longest silence {duration_text(totals.longest_silence_s)}"
    )


def now_text(now_code: int | None) -> str:
    """Who talks in the last played frame."""
    return NOW_TEXT[now_code] if now_code is not None and 0 <= now_code < 4 else NOW_TEXT[0]


class TalkStrip:
    """The strip (painted by the waveform's `LiveTraces`) and its figures line."""

    def __init__(self, traces: LiveTraces) -> None:
        self._traces = traces
        self.image = traces.strip
        self.image.visible = False
        self.label = SteadyLabel("", WIDEST)
        self.label.setObjectName("talk_figures")
        self.label.setAccessibleName("Talk")
        self.label.setVisible(False)
        self._written = -1
        self._text: tuple[str, str] = ("", "")

    def set_visible(self, visible: bool) -> None:
        self.image.visible = visible
        self.label.setVisible(visible)
        self._traces.update()

    def refresh(self, codes: np.ndarray, written: int, totals: TalkTotals | None) -> None:
        """Redraw when frames were played since the last call (`written` counts them)."""
        if written == self._written:
            return
        self._written = written
        self.image.set_codes(codes)
        self._traces.update()
        text = talk_text(totals)
        now = now_text(int(codes[-1]) if codes.size else None)
        if (text, now) != self._text:
            if text != self._text[0]:  # who talks now is in the description only
                self.label.setText(text)
            self._text = (text, now)
            self.label.setAccessibleDescription(f"{now}. {text}")
