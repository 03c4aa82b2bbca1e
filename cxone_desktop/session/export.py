"""Copy a session's recordings and metrics somewhere else, even while it is recording.

A running session's files grow while they are copied, so each file is copied up to the
length it had when the copy started: a WAV copy then gets its header sizes set from its
own length (the source header may be a second stale), and a text copy ends at its last
complete line. Copies are created 0600 and appear atomically (temp file + rename); a copy
that a player or Excel holds open is retried for a moment, then reported by name.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxone_desktop import errors, portable
from cxone_desktop.private_files import (
    describe_os_error,
    open_private,
    replace_file,
    write_private_file,
)
from cxone_desktop.session.repair import trim_partial_line
from cxone_desktop.session.session_format import (
    EVENTS_JSONL,
    METRICS_CSV,
    PROCESSED_WAV,
    RAW_WAV,
    SUMMARY_JSON,
    UTF8_BOM,
    dumps,
)
from cxone_desktop.session.wav_file import WavFormatError, fix_wav_sizes

_CHUNK_BYTES = 1 << 20


def export_session(
    folder: Path,
    dest: Path,
    *,
    raw: bool = True,
    processed: bool = True,
    metrics: bool = True,
    live_summary: Mapping[str, Any] | None = None,
    csv_bom: bool = False,
) -> list[Path]:
    """Copy the chosen files of session `folder` into `dest` (created 0700 if missing).

    `metrics` covers metrics.csv, events.jsonl and summary.json; a running session has
    no summary.json yet, so the caller passes `live_summary` (its figures so far) to be
    written in its place. Files keep their names; an existing copy is replaced. Returns
    the paths written. `csv_bom` starts metrics.csv with a UTF-8 BOM, which Excel needs
    to take the file for UTF-8 (the README's "metrics.csv in Excel" says more).
    Raises `errors.RecordingError` naming the file and the OS reason if a copy fails.
    """
    folder, dest = Path(folder), Path(dest)
    if not (folder / RAW_WAV).exists() and not (folder / PROCESSED_WAV).exists():
        raise errors.RecordingError(
            f"{folder} is not a session folder (no raw.wav or processed.wav)"
        )
    if dest.resolve() == folder.resolve():
        raise errors.RecordingError(f"Cannot export {folder} onto itself; choose another folder")
    names: list[str] = []
    if raw:
        names.append(RAW_WAV)
    if processed:
        names.append(PROCESSED_WAV)
    if metrics:
        names += [METRICS_CSV, EVENTS_JSONL, SUMMARY_JSON]
    try:
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.RecordingError(f"Cannot create {dest}: {describe_os_error(exc)}") from exc
    written: list[Path] = []
    for name in names:
        src = folder / name
        if not src.exists():
            continue
        target = dest / name
        try:
            _copy_snapshot(src, target, bom=csv_bom and name == METRICS_CSV)
        except OSError as exc:
            raise errors.RecordingError(
                f"Cannot export {src} to {target}: {describe_os_error(exc)}"
            ) from exc
        except WavFormatError as exc:
            raise errors.RecordingError(f"Cannot export {src}: {exc}") from exc
        written.append(target)
    if metrics and live_summary is not None and not (folder / SUMMARY_JSON).exists():
        target = dest / SUMMARY_JSON
        try:
            write_private_file(target, dumps(dict(live_summary), indent=2) + "\n")
        except OSError as exc:
            raise errors.RecordingError(f"Cannot write {target}: {describe_os_error(exc)}") from exc
        written.append(target)
    return written


def _copy_snapshot(src: Path, target: Path, *, bom: bool = False) -> None:
    """Copy `src` as it is now into `target`, made consistent, via a 0600 temp file."""
    tmp = target.with_name(f".{target.name}.part")
    out = open_private(tmp, exclusive=False)
    try:
        if bom:
            _write_all(out, UTF8_BOM.encode("utf-8"))
        src_fd = os.open(src, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            remaining = os.fstat(src_fd).st_size
            offset = 0
            while remaining > 0:
                chunk = portable.pread(src_fd, min(_CHUNK_BYTES, remaining), offset)
                if not chunk:
                    break  # the source shrank (a repair ran): keep what we have
                _write_all(out, chunk)
                offset += len(chunk)
                remaining -= len(chunk)
        finally:
            os.close(src_fd)
        os.close(out)
        out = -1
        if src.suffix == ".wav":
            fix_wav_sizes(tmp)
        elif src.suffix in (".csv", ".jsonl"):
            trim_partial_line(tmp)  # the recorder may have been mid-line
        replace_file(tmp, target)
    except BaseException:
        if out >= 0:
            os.close(out)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
