"""`portable.drop_cached_pages`: the cold-open benchmark's one OS call, and where it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cxone_desktop import portable


def test_written_pages_are_flushed_then_dropped_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "call.wav"
    path.write_bytes(b"\x01\x02" * 50_000)
    calls: list[tuple[str, tuple[int, ...]]] = []
    real_fsync, real_advise = os.fsync, os.posix_fadvise
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(("fsync", ())), real_fsync(fd)))
    monkeypatch.setattr(
        os,
        "posix_fadvise",
        lambda fd, off, n, advice: (
            calls.append(("advise", (off, n, advice))),
            real_advise(fd, off, n, advice),
        ),
    )
    assert portable.drop_cached_pages(path) is True
    # dirty pages cannot be dropped, so the flush comes first; (0, 0) means the whole file
    assert calls == [("fsync", ()), ("advise", (0, 0, os.POSIX_FADV_DONTNEED))]
    assert path.read_bytes() == b"\x01\x02" * 50_000  # the file is as it was


def test_without_the_call_it_says_so_and_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "posix_fadvise")  # Windows and macOS have none
    path = tmp_path / "call.wav"
    path.write_bytes(b"abc")
    assert portable.drop_cached_pages(path) is False
    assert path.read_bytes() == b"abc"
