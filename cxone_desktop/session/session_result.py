"""How a session ended, for the window, `record`'s exit code and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.errors import CXoneError

#: "failed": an internal error (a bug) stopped the session; its files are final all the same.
Outcome = Literal["ended", "stopped", "auth_failed", "stream_failed", "failed"]


@dataclass
class SessionResult:
    outcome: Outcome
    folder: Path | None
    snapshot: MetricsSnapshot
    error: CXoneError | None = None
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)
