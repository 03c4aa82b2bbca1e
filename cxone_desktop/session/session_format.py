"""How a session folder's files are named and spelled: JSON lines, the CSV dialect, UTC times.

metrics.csv is RFC 4180 with a header row: comma-separated, `.` as the decimal point
whatever the locale, `true`/`false`, an empty cell for "no value", UTF-8 without a BOM,
LF line ends, and UTC times as `2026-11-24T10:11:12.345Z`. The BOM is an export option
(`export_session(csv_bom=True)`): with it, Excel takes the file for UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from cxone_desktop.redaction import redact

RAW_WAV = "raw.wav"
PROCESSED_WAV = "processed.wav"
METRICS_CSV = "metrics.csv"
EVENTS_JSONL = "events.jsonl"
SUMMARY_JSON = "summary.json"
WAV_FILES = (RAW_WAV, PROCESSED_WAV)
TEXT_FILES = (METRICS_CSV, EVENTS_JSONL)

FOLDER_STAMP = "%Y%m%dT%H%M%SZ"
#: The first columns of every metrics.csv, before the metric columns.
LEADING_COLUMNS = ("wall_time", "elapsed_s", "state")
UTF8_BOM = "\ufeff"


def iso_utc(moment: datetime) -> str:
    """`2026-11-24T10:11:12.345Z`: what every file in the folder uses for wall time."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def sanitize_call_id(call_id: str) -> str:
    """A file-system-safe, bounded form of a call ID (never empty, never hidden)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", call_id).strip("._-")[:64]
    return cleaned or "call"


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """JSON for the session files: redacted, non-finite floats as null, never fails."""
    return json.dumps(
        _finite(redact(obj)), default=_json_default, ensure_ascii=False, indent=indent
    )


def csv_cell(value: object) -> object:
    """One metrics.csv cell in the documented dialect."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return repr(round(float(value), 6)) if math.isfinite(value) else ""
    if value is None:
        return ""
    return value


def csv_line(cells: Sequence[object]) -> str:
    """One metrics.csv line, quoted as RFC 4180 wants, ending in LF."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def _json_default(obj: object) -> object:
    if isinstance(obj, datetime):
        return iso_utc(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
