"""Preallocated numpy rings: the session writes, the UI reads on a 20 fps timer.

Both run on the one event-loop thread (qasync), so there are no locks: not
thread-safe. Readers get copies, oldest first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt


class _Ring:
    """Head and count over a preallocated array whose first axis is the ring."""

    def __init__(self, store: npt.NDArray[Any]) -> None:
        self._store = store
        self._capacity = int(store.shape[0])
        self._head = 0  # next write position
        self._count = 0
        self._total = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def total_written(self) -> int:
        """Values (or rows) ever written, including those overwritten since."""
        return self._total

    def __len__(self) -> int:
        return self._count

    def _advance(self, n: int) -> None:
        """Account `n` writes that ended at the head."""
        self._head = (self._head + n) % self._capacity
        self._count = min(self._count + n, self._capacity)
        self._total += n

    def _ordered(self, last: int | None, *index: int | slice) -> npt.NDArray[Any]:
        """A copy of the newest `last` entries (all if None), oldest first."""
        count = self._count if last is None else max(0, min(last, self._count))
        start = (self._head - count) % self._capacity
        store = self._store
        if start + count <= self._capacity:
            return store[(slice(start, start + count), *index)].copy()
        return np.concatenate(
            (store[(slice(start, None), *index)], store[(slice(0, self._head), *index)])
        )

    def clear(self) -> None:
        """Empty the ring; `total_written` restarts too."""
        self._head = 0
        self._count = 0
        self._total = 0


class RingBuffer(_Ring):
    """The last `capacity` values of a stream of numbers."""

    def __init__(self, capacity: int, dtype: npt.DTypeLike = np.float64) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        super().__init__(np.zeros(capacity, dtype=dtype))

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._store.dtype

    def append(self, value: float) -> None:
        self._store[self._head] = value
        self._advance(1)

    def extend(self, values: npt.ArrayLike) -> None:
        """Append many values; only the last `capacity` of a long batch are kept."""
        arr = np.asarray(values).reshape(-1)
        n = arr.size
        if n == 0:
            return
        cap = self._capacity
        buf = self._store
        if n >= cap:
            buf[:] = arr[n - cap :]
            self._head = 0
            self._count = cap
            self._total += n
            return
        head = self._head
        first = min(n, cap - head)
        buf[head : head + first] = arr[:first]
        if first < n:
            buf[: n - first] = arr[first:]
        self._advance(n)

    def data(self, last: int | None = None) -> npt.NDArray[Any]:
        """A copy of the held values, oldest → newest; only the newest `last` if given."""
        return self._ordered(last)


class RecordRing(_Ring):
    """The last `capacity` rows of a table with fixed float columns (NaN = not given)."""

    def __init__(self, capacity: int, columns: Sequence[str]) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        names = tuple(columns)
        if not names:
            raise ValueError("a RecordRing needs at least one column")
        if len(set(names)) != len(names):
            raise ValueError(f"column names repeat: {names}")
        super().__init__(np.full((capacity, len(names)), math.nan))
        self._columns = names
        self._index = {name: i for i, name in enumerate(names)}

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def append(self, **values: float) -> None:
        """Add one row; a missing column is NaN, an unknown one raises KeyError."""
        row = [math.nan] * len(self._columns)
        for name, value in values.items():
            row[self._column_index(name)] = value
        self.append_row(row)

    def append_row(self, row: Sequence[float]) -> None:
        """Add one row given in column order (the fast path for hot loops)."""
        if len(row) != len(self._columns):
            raise ValueError(f"expected {len(self._columns)} values, got {len(row)}")
        self._store[self._head] = row
        self._advance(1)

    def _column_index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"unknown column {name!r}; columns are {self._columns}") from None

    def column(self, name: str, last: int | None = None) -> npt.NDArray[np.float64]:
        """One column, oldest → newest (a copy); only the newest `last` rows if given."""
        col = self._column_index(name)
        return self._ordered(last, col)

    def table(self, last: int | None = None) -> npt.NDArray[np.float64]:
        """All rows, oldest → newest, shape (rows, columns) (a copy)."""
        return self._ordered(last)

    def latest(self) -> dict[str, float] | None:
        """The newest row as a dict, or None when empty."""
        if not self._count:
            return None
        row = self._store[(self._head - 1) % self._capacity]
        return {name: float(row[i]) for i, name in enumerate(self._columns)}
