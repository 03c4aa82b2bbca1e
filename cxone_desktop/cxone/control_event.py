"""Text messages on the voice stream, read into typed control events.

The stream's text messages are JSON objects with an `event` name
(`call.started`, `call.hold`, `call.resumed`, `call.ended`, …). Only this
module knows those strings: the session sees a `ControlKind`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from cxone_desktop.cxone.bounded_json import loads_bounded
from cxone_desktop.errors import ProtocolError


class ControlKind(enum.Enum):
    STARTED = "call.started"
    HOLD = "call.hold"
    RESUMED = "call.resumed"
    ENDED = "call.ended"
    OTHER = "other"  # valid JSON object with another (or no) event name
    UNPARSABLE = "unparsable"  # not JSON, or not an object


#: How much of an event name is shown.
NAME_CHARS = 100
_KINDS = {k.value: k for k in ControlKind if k not in (ControlKind.OTHER, ControlKind.UNPARSABLE)}


@dataclass(frozen=True)
class ControlEvent:
    """One text message: its kind, the parsed object (`data`), or why it could not be read."""

    kind: ControlKind
    data: dict[str, Any] | None
    length: int
    error: str | None = None

    @property
    def name(self) -> str | None:
        """The message's own `event` field, if it has a string one (at most NAME_CHARS,
        for logs and the window's history: the server chooses its length)."""
        ev = self.data.get("event") if self.data else None
        return ev[:NAME_CHARS] if isinstance(ev, str) else None

    @classmethod
    def parse(cls, text: str) -> ControlEvent:
        """Never raises: a message too large, too deep or not JSON is UNPARSABLE, with why."""
        try:
            data = loads_bounded(text, what="the control message")
        except ProtocolError as e:
            return cls(ControlKind.UNPARSABLE, None, len(text), e.message)
        if not isinstance(data, dict):
            return cls(ControlKind.UNPARSABLE, None, len(text), "JSON but not an object")
        name = data.get("event")
        kind = _KINDS.get(name, ControlKind.OTHER) if isinstance(name, str) else ControlKind.OTHER
        return cls(kind, data, len(text))
