"""Min/max envelopes of a long recording at any zoom, from a precomputed pyramid.

Level 0 holds the min and max of every BASE_BLOCK frames; each level above
merges FANOUT blocks of the one below. A view of any span then reads the
coarsest level whose blocks are no wider than a pixel column, so a one-hour call
drawn in 1,500 columns touches a few thousand numbers, not 29 million samples.
Spans narrower than a block are read straight from the samples.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BASE_BLOCK = 64
FANOUT = 4
#: Frames read per step while building level 0 (bounds the memory a build needs).
_BUILD_CHUNK = BASE_BLOCK * 16384

Floats32 = npt.NDArray[np.float32]


class EnvelopePyramid:
    """Min/max pyramid of int16 samples shaped (frames, channels). Read-only afterwards."""

    def __init__(self, samples: npt.NDArray[np.int16]) -> None:
        if samples.ndim != 2:
            raise ValueError(f"expected (frames, channels) samples, got shape {samples.shape}")
        self.samples = samples
        self.frames, self.channels = int(samples.shape[0]), int(samples.shape[1])
        #: levels[k] = (mins, maxs), each (blocks, channels) int16; block = BASE_BLOCK·FANOUT^k.
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        self._build()

    def block_frames(self, level: int) -> int:
        return int(BASE_BLOCK * FANOUT**level)

    def _build(self) -> None:
        n_blocks = -(-self.frames // BASE_BLOCK)
        mins = np.empty((n_blocks, self.channels), dtype=np.int16)
        maxs = np.empty((n_blocks, self.channels), dtype=np.int16)
        for lo in range(0, self.frames, _BUILD_CHUNK):
            chunk = np.asarray(self.samples[lo : lo + _BUILD_CHUNK])
            whole = chunk.shape[0] // BASE_BLOCK * BASE_BLOCK
            b = lo // BASE_BLOCK
            nb = whole // BASE_BLOCK
            for ch in range(self.channels):
                # One channel made contiguous, then reduced along the last axis: numpy's
                # fast path (reducing interleaved channels in place was ~40× slower).
                lane = np.ascontiguousarray(chunk[:whole, ch]).reshape(nb, BASE_BLOCK)
                mins[b : b + nb, ch] = lane.min(axis=1)
                maxs[b : b + nb, ch] = lane.max(axis=1)
            if whole < chunk.shape[0]:  # the file's last, partial block
                tail = chunk[whole:]
                mins[b + nb] = tail.min(axis=0)
                maxs[b + nb] = tail.max(axis=0)
        self.levels.append((mins, maxs))
        while self.levels[-1][0].shape[0] > 1:
            lo_mins, lo_maxs = self.levels[-1]
            n = lo_mins.shape[0]
            pad = (-n) % FANOUT
            if pad:  # repeat the last block: harmless for a min or a max
                lo_mins = np.concatenate([lo_mins, np.repeat(lo_mins[-1:], pad, axis=0)])
                lo_maxs = np.concatenate([lo_maxs, np.repeat(lo_maxs[-1:], pad, axis=0)])
            shape = (-1, FANOUT, self.channels)
            self.levels.append(
                (lo_mins.reshape(shape).min(axis=1), lo_maxs.reshape(shape).max(axis=1))
            )

    def envelope(
        self, start_frame: float, stop_frame: float, columns: int, channel: int = 0
    ) -> tuple[Floats32, Floats32]:
        """(mins, maxs) of `columns` equal slices of [start_frame, stop_frame) of one channel.

        Columns outside the recording are NaN.
        """
        columns = max(1, int(columns))
        edges = np.linspace(float(start_frame), float(stop_frame), columns + 1)
        mins = np.full(columns, np.nan, dtype=np.float32)
        maxs = np.full(columns, np.nan, dtype=np.float32)
        first = np.floor(edges[:-1]).astype(np.int64)
        last = np.ceil(edges[1:]).astype(np.int64)
        inside = (last > 0) & (first < self.frames)
        if not inside.any():
            return mins, maxs
        first = np.clip(first, 0, self.frames - 1)
        last = np.clip(np.maximum(last, first + 1), 1, self.frames)
        per_column = (float(stop_frame) - float(start_frame)) / columns
        level = self._level_for(per_column)
        idx = np.flatnonzero(inside)
        if level < 0:
            lo, hi = int(first[idx[0]]), int(last[idx[-1]])
            data = np.asarray(self.samples[lo:hi, channel])
            starts = first[idx] - lo
            ends = last[idx] - 1 - lo
            mins[idx] = np.minimum(np.minimum.reduceat(data, starts), data[ends])
            maxs[idx] = np.maximum(np.maximum.reduceat(data, starts), data[ends])
            return mins, maxs
        block = self.block_frames(level)
        lvl_mins, lvl_maxs = self.levels[level]
        b_first = first[idx] // block
        b_last = np.maximum((last[idx] + block - 1) // block, b_first + 1)
        lo, hi = int(b_first[0]), int(b_last[-1])
        seg_min = lvl_mins[lo:hi, channel]
        seg_max = lvl_maxs[lo:hi, channel]
        starts = b_first - lo
        # reduceat runs each column up to the next column's first block; a column's own last
        # block can be that same block (edges rounded out), so it is folded in as well.
        ends = b_last - 1 - lo
        mins[idx] = np.minimum(np.minimum.reduceat(seg_min, starts), seg_min[ends])
        maxs[idx] = np.maximum(np.maximum.reduceat(seg_max, starts), seg_max[ends])
        return mins, maxs

    def _level_for(self, frames_per_column: float) -> int:
        """The coarsest level whose block fits in a column; −1 means read the samples."""
        if frames_per_column < BASE_BLOCK:
            return -1
        level = int(np.floor(np.log(frames_per_column / BASE_BLOCK) / np.log(FANOUT)))
        return min(level, len(self.levels) - 1)

    def block_peaks(self) -> npt.NDArray[np.int32]:
        """max |sample| of every level-0 block, all channels: (blocks,), for silence finding."""
        mins, maxs = self.levels[0]
        peaks = np.maximum(np.abs(mins.astype(np.int32)), np.abs(maxs.astype(np.int32)))
        return np.asarray(peaks.max(axis=1), dtype=np.int32)
