"""Text messages on the voice stream, read into typed control events.

The stream's text messages are JSON objects with an `event` name
(`call.started`, `call.hold`, `call.resumed`, `call.ended`, …). Only this
module knows those strings: the session sees a `ControlKind`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any


class ControlKind(enum.Enum):
    STARTED = "call.started"
    HOLD = "call.hold"
    RESUMED = "call.resumed"
    ENDED = "call.ended"
    OTHER = "other"  # valid JSON object with another (or no) event name
    UNPARSABLE = "unparsable"  # not JSON, or not an object


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
        """The message's own `event` field, if it has a string one."""
        ev = self.data.get("event") if self.data else None
        return ev if isinstance(ev, str) else None

    @classmethod
    def parse(cls, text: str) -> ControlEvent:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            return cls(ControlKind.UNPARSABLE, None, len(text), f"not JSON: {e.msg}")
        except RecursionError:
            return cls(ControlKind.UNPARSABLE, None, len(text), "JSON nested too deeply")
        if not isinstance(data, dict):
            return cls(ControlKind.UNPARSABLE, None, len(text), "JSON but not an object")
        name = data.get("event")
        kind = _KINDS.get(name, ControlKind.OTHER) if isinstance(name, str) else ControlKind.OTHER
        return cls(kind, data, len(text))
