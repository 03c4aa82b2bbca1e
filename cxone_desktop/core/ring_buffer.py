"""Preallocated numpy rings: the session writes, the UI reads on a ~30 fps timer.

Writers and readers may be on different threads; a short lock keeps a read
from seeing half a write. Readers get copies, oldest first.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


class RingBuffer:
    """The last `capacity` values of a stream of numbers."""

    def __init__(self, capacity: int, dtype: npt.DTypeLike = np.float64) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self._buf: npt.NDArray[np.generic] = np.zeros(capacity, dtype=dtype)
        self._capacity = capacity
        self._head = 0  # next write position
        self._count = 0
        self._total = 0
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def dtype(self) -> np.dtype[np.generic]:
        return self._buf.dtype

    @property
    def total_written(self) -> int:
        """Values ever written, including those overwritten since."""
        return self._total

    def __len__(self) -> int:
        return self._count

    def append(self, value: float) -> None:
        with self._lock:
            self._buf[self._head] = value
            self._head = (self._head + 1) % self._capacity
            self._count = min(self._count + 1, self._capacity)
            self._total += 1

    def extend(self, values: npt.ArrayLike) -> None:
        """Append many values; only the last `capacity` of a long batch are kept."""
        arr = np.asarray(values).reshape(-1)
        n = arr.size
        if n == 0:
            return
        cap = self._capacity
        with self._lock:
            self._total += n
            if n >= cap:
                self._buf[:] = arr[n - cap :]
                self._head = 0
                self._count = cap
                return
            head = self._head
            first = min(n, cap - head)
            self._buf[head : head + first] = arr[:first]
            if first < n:
                self._buf[: n - first] = arr[first:]
            self._head = (head + n) % cap
            self._count = min(self._count + n, cap)

    def data(self, last: int | None = None) -> npt.NDArray[np.generic]:
        """A copy of the held values, oldest → newest; only the newest `last` if given."""
        with self._lock:
            count = self._count if last is None else max(0, min(last, self._count))
            start = (self._head - count) % self._capacity
            if start + count <= self._capacity:
                return self._buf[start : start + count].copy()
            return np.concatenate((self._buf[start:], self._buf[: self._head]))

    def clear(self) -> None:
        """Empty the ring; `total_written` restarts too."""
        with self._lock:
            self._head = 0
            self._count = 0
            self._total = 0


class RecordRing:
    """The last `capacity` rows of a table with fixed float columns (NaN = not given)."""

    def __init__(self, capacity: int, columns: Sequence[str]) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        names = tuple(columns)
        if not names:
            raise ValueError("a RecordRing needs at least one column")
        if len(set(names)) != len(names):
            raise ValueError(f"column names repeat: {names}")
        self._columns = names
        self._index = {name: i for i, name in enumerate(names)}
        self._rows = np.full((capacity, len(names)), math.nan)
        self._capacity = capacity
        self._head = 0
        self._count = 0
        self._total = 0
        self._lock = threading.Lock()

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def total_written(self) -> int:
        return self._total

    def __len__(self) -> int:
        return self._count

    def append(self, **values: float) -> None:
        """Add one row; a missing column is NaN, an unknown one raises KeyError."""
        row = [math.nan] * len(self._columns)
        for name, value in values.items():
            try:
                row[self._index[name]] = value
            except KeyError:
                raise KeyError(f"unknown column {name!r}; columns are {self._columns}") from None
        self.append_row(row)

    def append_row(self, row: Sequence[float]) -> None:
        """Add one row given in column order (the fast path for hot loops)."""
        if len(row) != len(self._columns):
            raise ValueError(f"expected {len(self._columns)} values, got {len(row)}")
        with self._lock:
            self._rows[self._head] = row
            self._head = (self._head + 1) % self._capacity
            self._count = min(self._count + 1, self._capacity)
            self._total += 1

    def _ordered(self, col: int | slice, last: int | None) -> npt.NDArray[np.float64]:
        count = self._count if last is None else max(0, min(last, self._count))
        start = (self._head - count) % self._capacity
        if start + count <= self._capacity:
            return self._rows[start : start + count, col].copy()
        return np.concatenate((self._rows[start:, col], self._rows[: self._head, col]))

    def column(self, name: str, last: int | None = None) -> npt.NDArray[np.float64]:
        """One column, oldest → newest (a copy); only the newest `last` rows if given."""
        try:
            col = self._index[name]
        except KeyError:
            raise KeyError(f"unknown column {name!r}; columns are {self._columns}") from None
        with self._lock:
            return self._ordered(col, last)

    def table(self, last: int | None = None) -> npt.NDArray[np.float64]:
        """All rows, oldest → newest, shape (rows, columns) (a copy)."""
        with self._lock:
            return self._ordered(slice(None), last)

    def latest(self) -> dict[str, float] | None:
        """The newest row as a dict, or None when empty."""
        with self._lock:
            if not self._count:
                return None
            row = self._rows[(self._head - 1) % self._capacity]
            return {name: float(row[i]) for i, name in enumerate(self._columns)}

    def clear(self) -> None:
        with self._lock:
            self._head = 0
            self._count = 0
            self._total = 0
