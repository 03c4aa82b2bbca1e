"""Private files on every OS: replaced while a reader holds them, writability found by writing."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from cxone_desktop import private_files
from cxone_desktop.private_files import (
    FileInUseError,
    check_writable,
    describe_os_error,
    replace_file,
    write_private_file,
)


def sharing_violation() -> PermissionError:
    """What os.replace raises on Windows while Excel or a player holds the target."""
    exc = PermissionError(errno.EACCES, "The process cannot access the file")
    exc.winerror = 32  # type: ignore[attr-defined]  # ERROR_SHARING_VIOLATION
    return exc


def held_for(monkeypatch: pytest.MonkeyPatch, attempts: int) -> list[float]:
    """os.replace fails like Windows for the first `attempts` calls; returns the sleeps."""
    real = os.replace
    calls = [0]

    def replace(src: object, dst: object) -> None:
        calls[0] += 1
        if calls[0] <= attempts:
            raise sharing_violation()
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    return []


def test_a_target_held_for_a_moment_is_replaced_after_retrying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept = held_for(monkeypatch, attempts=3)
    (tmp_path / "new").write_text("new")
    (tmp_path / "metrics.csv").write_text("old")
    replace_file(tmp_path / "new", tmp_path / "metrics.csv", sleep=slept.append)
    assert (tmp_path / "metrics.csv").read_text() == "new"
    assert len(slept) == 3


def test_a_target_held_open_is_reported_by_name_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept = held_for(monkeypatch, attempts=10**6)
    (tmp_path / "new").write_text("new")
    target = tmp_path / "summary.json"
    with pytest.raises(FileInUseError) as info:
        replace_file(tmp_path / "new", target, sleep=slept.append)
    text = describe_os_error(info.value)
    assert str(target) in text and "close it" in text
    assert sum(slept) >= private_files.REPLACE_RETRY_S  # it did wait, on an injected clock


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        replace_file(tmp_path / "missing", tmp_path / "t", sleep=lambda s: pytest.fail("slept"))


def test_private_files_are_0600_on_posix(tmp_path: Path) -> None:
    write_private_file(tmp_path / "s.json", "{}")
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.tmp"))


def test_writability_is_proven_by_writing_and_leaves_nothing(tmp_path: Path) -> None:
    check_writable(tmp_path / "new" / "deep")
    assert list((tmp_path / "new" / "deep").iterdir()) == []
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        check_writable(tmp_path / "file" / "sub")


def test_a_folder_that_refuses_the_write_is_not_writable_whatever_its_mode_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows ACLs and read-only shares: os.access says yes, the write says no."""
    real_open = os.open

    def denied(path: object, flags: int, mode: int = 0o777) -> int:
        if ".write-test-" in str(path):
            raise PermissionError(errno.EACCES, "Access is denied")
        return real_open(path, flags, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    assert os.access(tmp_path, os.W_OK)
    with pytest.raises(PermissionError):
        check_writable(tmp_path)
