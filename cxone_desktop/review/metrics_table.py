"""metrics.csv read back as numpy columns, tolerant of what each version of the app wrote.

Columns come and go between versions (`gap_ms`, `agent_level_dbfs`, … may be
absent), so nothing here insists on any but `elapsed_s`. Every column is float64
(booleans as 1/0, empty or unparsable cells as NaN) except `state`, kept as text.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
_TRUE = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}


@dataclass
class MetricsTable:
    """One row a second (or whatever the recorder wrote), column by column."""

    columns: dict[str, Floats] = field(default_factory=dict)
    states: list[str] = field(default_factory=list)
    wall_times: list[str] = field(default_factory=list)
    skipped_rows: int = 0

    @property
    def rows(self) -> int:
        return len(self.states)

    def has(self, name: str) -> bool:
        col = self.columns.get(name)
        return col is not None and bool(np.isfinite(col).any())

    def column(self, name: str) -> Floats:
        """The column, or all-NaN when the file does not have it."""
        col = self.columns.get(name)
        return col if col is not None else np.full(self.rows, np.nan)

    @property
    def elapsed_s(self) -> Floats:
        return self.column("elapsed_s")

    def deltas(self, name: str) -> Floats:
        """Per-row increase of a running total (a total that restarts counts from 0)."""
        total = np.nan_to_num(self.column(name), nan=0.0)
        if total.size == 0:
            return total
        diff = np.diff(total, prepend=0.0)
        restarted = diff < 0
        diff[restarted] = total[restarted]
        return diff


def read_metrics(path: Path) -> MetricsTable:
    """Read metrics.csv; a missing file gives an empty table, a broken row is skipped."""
    table = MetricsTable()
    try:
        with Path(path).open(encoding="utf-8", errors="replace", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header:
                return table
            values: dict[str, list[float]] = {name: [] for name in header if name != "state"}
            has_state = "state" in header
            width = len(header)
            for row in reader:
                if len(row) != width:
                    table.skipped_rows += 1  # a line cut by a crash, or a foreign one
                    continue
                cells = dict(zip(header, row, strict=True))
                elapsed = _number(cells.get("elapsed_s", ""))
                if not math.isfinite(elapsed):
                    table.skipped_rows += 1
                    continue
                for name, out in values.items():
                    out.append(_number(cells[name]))
                table.states.append(cells["state"] if has_state else "")
                table.wall_times.append(cells.get("wall_time", ""))
    except FileNotFoundError:
        return table
    except (OSError, csv.Error):
        table.skipped_rows += 1
        return table
    table.columns = {
        name: np.asarray(vals, dtype=np.float64)
        for name, vals in values.items()
        if name != "wall_time"
    }
    return table


def _number(text: str) -> float:
    text = text.strip()
    if not text:
        return math.nan
    flag = _TRUE.get(text.lower())
    if flag is not None:
        return flag
    try:
        return float(text)
    except ValueError:
        return math.nan
