"""Min/max envelope: as many points as the plot has pixel columns, not one per sample.

Per column, [min, max] (interleaved: min0, max0, min1, max1, …), which the lane
paints a pixel column at a time (`EnvelopeImage`).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt


class SampleHistory(Protocol):
    """The ring the session keeps the newest samples in (interleaved when stereo)."""

    @property
    def total_written(self) -> int: ...

    def data(self, last: int | None = None) -> npt.NDArray[Any]: ...


class ScrollingEnvelope:
    """The envelope of each channel's newest `window` samples in `columns` columns, kept
    up to date column by column: a display frame completes ~8 of 800 columns, and
    recomputing all of them (with a copy of the whole ring) was most of the waveform's
    own work.

    Columns are fixed to the stream (column c holds samples c·n … c·n + n − 1 of each
    channel), so a column once complete never changes; the newest, still filling, is not
    drawn, and `lag_samples` says how far the newest complete one ends before now (under
    one column: 6.25 ms at 8 kHz with 800 columns of 5 s). Before the stream began is
    silence, so a fresh call scrolls in from the right.
    """

    def __init__(self, window: int, columns: int, channels: int) -> None:
        if window % columns:
            raise ValueError(f"window {window} is not a multiple of columns {columns}")
        self._n = window // columns
        self._columns = columns
        self._channels = channels
        self._env = np.zeros((channels, columns, 2), dtype=np.float32)
        self._source: tuple[int, int] | None = None  # (id of the ring, complete columns in it)
        self._lag = 0

    @property
    def columns(self) -> int:
        return self._columns

    @property
    def column_samples(self) -> int:
        """Samples (per channel) a column spans."""
        return self._n

    @property
    def lag_samples(self) -> int:
        """Samples (per channel) after the newest complete column."""
        return self._lag

    def update(self, ring: SampleHistory) -> npt.NDArray[np.float32]:
        """Each channel's envelope (channels, 2 × columns), oldest column first; a new
        ring, or one that was written less than before, is read whole."""
        ch, n = self._channels, self._n
        written = ring.total_written // ch
        complete = written // n
        self._lag = written - complete * n
        seen = self._source
        fresh = complete - seen[1] if seen is not None and seen[0] == id(ring) else -1
        if 0 <= fresh < self._columns:
            if fresh:
                assert seen is not None
                new = ring.data((written - seen[1] * n) * ch)[: fresh * n * ch]
                self._shift_in(new.reshape(fresh, n, ch))
        else:
            self._rebuild(ring, written, complete)
        self._source = (id(ring), complete)
        return self._env.reshape(ch, -1)

    def _shift_in(self, columns: npt.NDArray[Any]) -> None:
        k = columns.shape[0]
        env = self._env
        env[:, :-k] = env[:, k:]
        env[:, -k:, 0] = columns.min(axis=1).T
        env[:, -k:, 1] = columns.max(axis=1).T

    def _rebuild(self, ring: SampleHistory, written: int, complete: int) -> None:
        ch, n, columns = self._channels, self._n, self._columns
        data = np.asarray(ring.data(), dtype=np.float32).reshape(-1, ch)
        first = written - data.shape[0]  # stream position of the ring's oldest sample
        end = complete * n  # the columns drawn end here
        start = end - columns * n
        block = np.zeros((columns * n, ch), dtype=np.float32)  # before the stream: silence
        lo = max(start, first)
        if end > lo:
            block[lo - start :] = data[lo - first : end - first]
            began = max(start, 0)
            if lo > began:
                # The oldest column's first samples have left the ring: repeat the oldest
                # one held (it cannot widen the column's extremes), not zeros.
                block[began - start : lo - start] = data[lo - first]
        lanes = np.ascontiguousarray(block.T).reshape(ch, columns, n)
        np.min(lanes, axis=2, out=self._env[:, :, 0])
        np.max(lanes, axis=2, out=self._env[:, :, 1])
