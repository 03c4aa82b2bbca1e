"""Fragmenter: message sizes per mode, and bytes out exactly as in."""

from __future__ import annotations

import random

import pytest

from cxone_desktop.simulator.config import Fragmentation
from cxone_desktop.simulator.fragmenter import Fragmenter

FRAME = 320
SOURCE = bytes(random.Random(3).randrange(256) for _ in range(FRAME * 200))
SIZE_RANGE: dict[Fragmentation, tuple[int, int]] = {
    "aligned": (FRAME, FRAME),
    "random": (1, 1000),
    "tiny": (1, 7),
    "merged": (2 * FRAME, 4 * FRAME),
}


def cut(mode: Fragmentation, seed: int = 1) -> tuple[list[bytes], bytes]:
    fragmenter = Fragmenter(mode, FRAME, random.Random(seed))
    messages: list[bytes] = []
    for start in range(0, len(SOURCE), FRAME):
        messages += fragmenter.push(SOURCE[start : start + FRAME])
    return messages, fragmenter.flush()


@pytest.mark.parametrize("mode", list(SIZE_RANGE))
def test_every_mode_keeps_sizes_in_range_and_bytes_in_order(mode: Fragmentation) -> None:
    messages, rest = cut(mode)
    low, high = SIZE_RANGE[mode]
    assert all(low <= len(m) <= high for m in messages)
    assert len(rest) < high
    assert b"".join(messages) + rest == SOURCE


@pytest.mark.parametrize("mode", ["random", "tiny", "merged"])
def test_message_boundaries_do_not_follow_frames(mode: Fragmentation) -> None:
    messages, _ = cut(mode)
    sizes = {len(m) for m in messages}
    assert len(sizes) > 1  # sizes vary, so a client cannot assume one frame per message
    if mode != "merged":
        assert any(len(m) % FRAME for m in messages)


def test_the_same_seed_cuts_the_same_way() -> None:
    assert cut("random", seed=9) == cut("random", seed=9)
    assert cut("random", seed=9) != cut("random", seed=10)


def test_random_sizes_cover_their_range() -> None:
    messages, _ = cut("random")
    sizes = [len(m) for m in messages]
    assert min(sizes) < 100 and max(sizes) > 900


def test_aligned_sends_each_frame_as_one_message_with_nothing_held_back() -> None:
    messages, rest = cut("aligned")
    assert messages == [SOURCE[i : i + FRAME] for i in range(0, len(SOURCE), FRAME)]
    assert rest == b""
