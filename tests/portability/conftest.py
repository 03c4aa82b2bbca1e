"""The Windows-like test mode: in-process (`windows_like`), for children (`windows_like_env`)."""

from __future__ import annotations

import asyncio
import asyncio.unix_events
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITECUSTOMIZE_DIR = Path(__file__).resolve().parent / "windows_like"


def windows_like_env(**extra: str) -> dict[str, str]:
    """The environment for a child process that runs without os.pwrite/os.pread and
    without loop signal handlers (the sitecustomize in windows_like/)."""
    path = os.pathsep.join(
        p for p in (str(SITECUSTOMIZE_DIR), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    return {**os.environ, "PYTHONPATH": path, **extra}


def _no_signal_handlers(self: object, *args: object, **kwargs: object) -> None:
    raise NotImplementedError("this event loop has no signal handlers (as on Windows)")


@pytest.fixture
def windows_like(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process, for one test, without os.pwrite/os.pread and loop signal handlers."""
    for name in ("pwrite", "pread"):
        monkeypatch.delattr(os, name, raising=False)
    for cls in (asyncio.AbstractEventLoop, asyncio.unix_events._UnixSelectorEventLoop):
        monkeypatch.setattr(cls, "add_signal_handler", _no_signal_handlers)
        monkeypatch.setattr(cls, "remove_signal_handler", _no_signal_handlers)
    yield
