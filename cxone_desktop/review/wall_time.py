"""Wall time as every file in a session folder spells it: `2026-11-24T10:11:12.345Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now_iso() -> str:
    """Now, in UTC, to the millisecond (notes, evaluations and reports stamp with it)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
