"""Cuts the stream of 20 ms frames into WebSocket messages whose boundaries ignore frames.

A real CXone stream does not promise one frame per message; the client's
reassembler must cope with any split. Pure: feed frames, get message payloads.
"""

from __future__ import annotations

import random

from cxone_desktop.simulator.config import Fragmentation

#: Inclusive byte ranges of "random" and "tiny" messages; "merged" takes 2–4 whole frames.
RANDOM_BYTES = (1, 1000)
TINY_BYTES = (1, 7)
MERGED_FRAMES = (2, 4)


class Fragmenter:
    """Re-slices pushed frames into message payloads of the chosen sizes.

    Bytes come out exactly in the order they went in; `flush` returns what is
    held back (shorter than a normal message) when the stream ends or holds.
    """

    def __init__(self, mode: Fragmentation, frame_bytes: int, rng: random.Random) -> None:
        if frame_bytes < 1:
            raise ValueError("frame_bytes must be positive")
        self._mode = mode
        self._frame_bytes = frame_bytes
        self._rng = rng
        self._pending = bytearray()
        self._next = self._draw()

    def _draw(self) -> int:
        if self._mode == "random":
            return self._rng.randint(*RANDOM_BYTES)
        if self._mode == "tiny":
            return self._rng.randint(*TINY_BYTES)
        if self._mode == "merged":
            return self._rng.randint(*MERGED_FRAMES) * self._frame_bytes
        return self._frame_bytes

    def push(self, frame: bytes) -> list[bytes]:
        """Messages that are complete once `frame` is added (possibly none)."""
        if self._mode == "aligned" and not self._pending and len(frame) == self._frame_bytes:
            return [bytes(frame)]
        self._pending += frame
        out: list[bytes] = []
        start = 0
        while len(self._pending) - start >= self._next:
            out.append(bytes(self._pending[start : start + self._next]))
            start += self._next
            self._next = self._draw()
        del self._pending[:start]
        return out

    def flush(self) -> bytes:
        """Whatever is held back; empty when nothing is."""
        rest = bytes(self._pending)
        self._pending.clear()
        return rest
