"""Spoken news for screen-reader users: call state, reconnects, errors, stalls, exports.

A `QAccessibleAnnouncementEvent` reaches the platform's accessibility bridge (AT-SPI
`object:announcement` on Linux, UIA notifications on Windows, NSAccessibility on
macOS); a screen reader speaks it without moving focus. Errors go out assertive
(they interrupt), everything else polite. The last announcements are kept so tests
in the same process can check what was said; the AT-SPI test checks delivery.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QWidget

Politeness = QAccessible.AnnouncementPoliteness
HISTORY = 50


@dataclass(frozen=True)
class Announcement:
    text: str
    assertive: bool


class Announcer:
    """Announces on behalf of one widget (the main window)."""

    def __init__(self, widget: QWidget) -> None:
        self._widget = widget
        self.history: deque[Announcement] = deque(maxlen=HISTORY)

    def say(self, text: str, *, assertive: bool = False) -> None:
        """Announce `text` now; repeats of the last announcement are said again."""
        text = " ".join(text.split())
        if not text:
            return
        self.history.append(Announcement(text, assertive))
        event = QAccessibleAnnouncementEvent(self._widget, text)
        event.setPoliteness(Politeness.Assertive if assertive else Politeness.Polite)
        QAccessible.updateAccessibility(event)

    def texts(self) -> list[str]:
        return [a.text for a in self.history]
