"""The session folder: one call's audio, metrics and events, safe against a crash.

    <out>/<callId>-<yyyymmddThhmmssZ>/      0700
        raw.wav         the audio bytes as received, in order
        processed.wav   what was played, on the playout clock
        metrics.csv     one row a second: wall_time, elapsed_s, state, metric columns
        events.jsonl    one JSON object a line, flushed per event
        summary.json    written by `finalize`
        .recording      {"pid", "started_utc", …} while recording; `repair` looks for it

Every file is created 0600 (call audio is personal data). A failed write never reaches
the streaming code: each file reports its first `RecordingError` through `on_error`, keeps
it in `errors`, and drops what follows; the other files carry on.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import logging
import math
import os
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from cxone_desktop import __version__, errors
from cxone_desktop.cxone.log_redaction import redact_text
from cxone_desktop.session.wav_writer import WavWriter, describe_os_error

log = logging.getLogger(__name__)

RAW_WAV = "raw.wav"
PROCESSED_WAV = "processed.wav"
METRICS_CSV = "metrics.csv"
EVENTS_JSONL = "events.jsonl"
SUMMARY_JSON = "summary.json"
MARKER = ".recording"

_FOLDER_STAMP = "%Y%m%dT%H%M%SZ"
_LEADING_COLUMNS = ("wall_time", "elapsed_s", "state")
_SECRET_KEY = re.compile(
    r"token|secret|password|passwd|passphrase|authori[sz]ation|api[_-]?key|credential|cookie",
    re.IGNORECASE,
)
_SECRET_IN_TEXT = re.compile(r"((?:access_token|client_secret|password)=)[^&\s\"']+", re.IGNORECASE)
REDACTED = "***"
#: Keys that look secret by name but name a setting, not a credential.
_PUBLIC_KEYS = frozenset({"token_in"})


def _is_secret_key(key: str) -> bool:
    return key not in _PUBLIC_KEYS and _SECRET_KEY.search(key) is not None


def redact(value: Any) -> Any:
    """A copy of `value` with anything named like a secret replaced by "***".

    Defensive only: the recorder is never handed credentials. Keys are matched by name
    (token, secret, password, authorization, api_key…), recursively; strings lose
    `access_token=…`/`password=…` values anywhere, plus what the log filter scrubs
    (`redact_text`: token-ish query values, `Bearer …` and `Basic …` credentials).
    """
    if isinstance(value, Mapping):
        return {str(k): REDACTED if _is_secret_key(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(_SECRET_IN_TEXT.sub(r"\1" + REDACTED, value))
    return value


def iso_utc(moment: datetime) -> str:
    """`2026-11-24T10:11:12.345Z`: what every file in the folder uses for wall time."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def sanitize_call_id(call_id: str) -> str:
    """A file-system-safe, bounded form of a call ID (never empty, never hidden)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", call_id).strip("._-")[:64]
    return cleaned or "call"


def _json_default(obj: object) -> object:
    if isinstance(obj, datetime):
        return iso_utc(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """JSON for the session files: redacted, non-finite floats as null, never fails."""
    return json.dumps(
        _finite(redact(obj)), default=_json_default, ensure_ascii=False, indent=indent
    )


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def _csv_cell(value: object) -> object:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return repr(round(float(value), 6)) if math.isfinite(value) else ""
    if value is None:
        return ""
    return value


def open_private(path: Path, *, exclusive: bool = True) -> int:
    """Open `path` for writing, created 0600 (never widened by a later chmod)."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
    flags |= os.O_EXCL if exclusive else os.O_TRUNC
    return os.open(path, flags, 0o600)


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (temp file + rename), 0600, fsynced."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = open_private(tmp, exclusive=False)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def process_identity() -> dict[str, Any]:
    """What the `.recording` marker says about this process (tells it from a reused pid)."""
    ident: dict[str, Any] = {"pid": os.getpid(), "host": socket.gethostname()}
    boot = boot_id()
    start = proc_start_ticks(os.getpid())
    if boot is not None:
        ident["boot_id"] = boot
    if start is not None:
        ident["proc_start"] = start
    return ident


def boot_id() -> str | None:
    """This boot's ID (Linux), or None where unknown: a pid from another boot is stale."""
    text = _read_text("/proc/sys/kernel/random/boot_id")
    return text.strip() if text is not None else None


def proc_start_ticks(pid: int) -> int | None:
    """Start time of `pid` in clock ticks since boot (Linux), or None where unknown."""
    stat = _read_text(f"/proc/{pid}/stat")
    if stat is None:
        return None
    try:  # the command name (field 2) may contain spaces and parentheses
        return int(stat[stat.rindex(")") + 2 :].split()[19])
    except (ValueError, IndexError):
        return None


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return None


class _TextLog:
    """A 0600 append-only text file flushed per line; counts its lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        self._file: io.TextIOWrapper | None = os.fdopen(
            open_private(path), "w", encoding="utf-8", newline=""
        )

    def write_line(self, line: str) -> None:
        if self._file is None:
            return
        self._file.write(line)
        self._file.flush()
        self.lines += 1

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        f, self._file = self._file, None
        if f is not None:
            f.close()

    def abandon(self) -> None:
        """Close after an error without trying to flush what the OS refused."""
        f, self._file = self._file, None
        if f is not None:
            try:
                f.close()
            except OSError:
                # the buffer could not be flushed; release the descriptor anyway
                with contextlib.suppress(OSError, ValueError):
                    os.close(f.fileno())


class SessionRecorder:
    """Writes one call's session folder; every method is safe to call while streaming.

    Not thread-safe: call it from the session's event-loop thread. Construction creates
    the folder and files and raises `errors.RecordingError` if it cannot; after that,
    nothing raises. `metric_columns` fixes the CSV columns; empty means "the keys of the
    first row". Wall times are `started_utc` (the UTC time at construction; default now)
    plus `clock` time elapsed since, so they never jump when the system clock is stepped.
    Passing samples of the wrong dtype is a programming error and does raise (TypeError).
    """

    def __init__(
        self,
        out_dir: Path,
        call_id: str,
        *,
        started_utc: datetime | None = None,
        rate_hz: int = 8000,
        metric_columns: Sequence[str] = (),
        on_error: Callable[[errors.RecordingError], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        header_interval_s: float = 1.0,
    ) -> None:
        self.started_utc = (started_utc or datetime.now(UTC)).astimezone(UTC)
        self.call_id = call_id
        self.rate_hz = rate_hz
        self.failed = False
        self.errors: list[str] = []
        self.finalized = False
        self._on_error = on_error
        self._clock = clock
        self._t0 = clock()
        self._columns: list[str] | None = list(metric_columns) or None
        self._failed_files: set[str] = set()
        self.folder = self._make_folder(Path(out_dir))
        opened: list[WavWriter] = []
        texts: list[_TextLog] = []
        try:
            marker = {**process_identity(), "started_utc": iso_utc(self.started_utc)}
            write_private_file(self.folder / MARKER, dumps(marker) + "\n")
            wav = functools.partial(
                WavWriter, rate_hz=rate_hz, clock=clock, header_interval_s=header_interval_s
            )
            opened.append(wav(self.folder / RAW_WAV))
            opened.append(wav(self.folder / PROCESSED_WAV))
            texts.append(_TextLog(self.folder / METRICS_CSV))
            texts.append(_TextLog(self.folder / EVENTS_JSONL))
        except (OSError, errors.RecordingError) as exc:
            for writer in opened:
                with contextlib.suppress(errors.RecordingError):
                    writer.close()
            for text in texts:
                text.abandon()
            (self.folder / MARKER).unlink(missing_ok=True)  # nothing to repair here
            reason = (
                exc.message if isinstance(exc, errors.RecordingError) else describe_os_error(exc)
            )
            raise errors.RecordingError(
                f"Cannot create the session files in {self.folder}: {reason}"
            ) from exc
        #: The two WAV writers, exposed for their counters (duration_s, dropped_bytes…).
        self.raw, self.processed = opened
        self._metrics, self._events = texts

    # -- writing ---------------------------------------------------------------

    def write_raw(self, pcm: bytes | bytearray | memoryview | np.ndarray) -> None:
        """Append received audio to raw.wav."""
        self._write_wav(RAW_WAV, self.raw, pcm)

    def write_processed(self, frames: np.ndarray | bytes) -> None:
        """Append played audio (int16) to processed.wav."""
        self._write_wav(PROCESSED_WAV, self.processed, frames)

    def write_metrics(
        self, row: Mapping[str, float | int | bool | str], *, state: str, elapsed_s: float
    ) -> None:
        """Append one metrics row; columns are fixed by the first row if not given."""
        if self.finalized or METRICS_CSV in self._failed_files:
            return
        try:
            if self._columns is None:  # the fixed leading columns are not repeated
                self._columns = [str(k) for k in row if k not in _LEADING_COLUMNS]
            if self._metrics.lines == 0:
                header = [*_LEADING_COLUMNS, *self._columns]
                self._metrics.write_line(self._csv_line(header))
            cells = [
                iso_utc(self._wall_now()),
                _csv_cell(float(elapsed_s)),
                state,
                *(_csv_cell(row.get(c)) for c in self._columns),
            ]
            self._metrics.write_line(self._csv_line(cells))
        except OSError as exc:
            self._metrics.abandon()
            self._report(METRICS_CSV, exc)

    def event(self, kind: str, **fields: Any) -> None:
        """Append one event line `{"t", "elapsed_s", "kind", ...fields}` and flush it."""
        if self.finalized or EVENTS_JSONL in self._failed_files:
            return
        record: dict[str, Any] = {
            "t": iso_utc(self._wall_now()),
            "elapsed_s": round(self._clock() - self._t0, 6),
            "kind": kind,
        }
        for key, value in fields.items():
            record[f"{key}_" if key in record else key] = value
        try:
            self._events.write_line(dumps(record) + "\n")
        except OSError as exc:
            self._events.abandon()
            self._report(EVENTS_JSONL, exc)

    def flush(self) -> None:
        """Push everything to the OS and patch the WAV headers now."""
        if self.finalized:
            return
        for name, wav in ((RAW_WAV, self.raw), (PROCESSED_WAV, self.processed)):
            try:
                wav.flush()
            except errors.RecordingError as exc:
                self._report_error(name, exc)
        for name, text in ((METRICS_CSV, self._metrics), (EVENTS_JSONL, self._events)):
            try:
                text.flush()
            except OSError as exc:
                text.abandon()
                self._report(name, exc)

    def finalize(self, summary: Mapping[str, Any]) -> Path:
        """Close every file, write summary.json, remove `.recording`; returns the folder.

        Idempotent. If summary.json cannot be written the marker stays, so `repair`
        later treats the folder as interrupted.
        """
        if self.finalized:
            return self.folder
        self.finalized = True
        for name, wav in ((RAW_WAV, self.raw), (PROCESSED_WAV, self.processed)):
            try:
                wav.close()
            except errors.RecordingError as exc:
                self._report_error(name, exc)
        for name, text in ((METRICS_CSV, self._metrics), (EVENTS_JSONL, self._events)):
            try:
                text.close()
            except OSError as exc:
                text.abandon()
                self._report(name, exc)
        doc = dict(summary)
        doc.update(
            app_version=__version__,
            folder=str(self.folder),
            files=self.file_summary(),
            recording_errors=list(self.errors),
            finished_cleanly=True,
        )
        try:
            write_private_file(self.folder / SUMMARY_JSON, dumps(doc, indent=2) + "\n")
            (self.folder / MARKER).unlink(missing_ok=True)
        except OSError as exc:
            self._report(SUMMARY_JSON, exc)
        return self.folder

    def file_summary(self) -> dict[str, dict[str, Any]]:
        """Sizes (and durations, row counts) of the folder's files, for summary.json."""
        files: dict[str, dict[str, Any]] = {}
        for name, wav in ((RAW_WAV, self.raw), (PROCESSED_WAV, self.processed)):
            files[name] = {
                "bytes": _size(self.folder / name),
                "duration_s": round(wav.duration_s, 3),
                "frames": wav.frames_written,
                "dropped_bytes": wav.dropped_bytes,
                "format": "RF64" if wav.rf64 else "RIFF",
            }
        files[METRICS_CSV] = {
            "bytes": _size(self.folder / METRICS_CSV),
            "rows": max(0, self._metrics.lines - 1),
        }
        files[EVENTS_JSONL] = {
            "bytes": _size(self.folder / EVENTS_JSONL),
            "events": self._events.lines,
        }
        return files

    # -- internals -------------------------------------------------------------

    def _make_folder(self, out_dir: Path) -> Path:
        base = f"{sanitize_call_id(self.call_id)}-{self.started_utc.strftime(_FOLDER_STAMP)}"
        try:
            # A folder we create is private too: session names carry call IDs.
            out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            for n in range(1, 10_000):
                folder = out_dir / (base if n == 1 else f"{base}-{n}")
                try:
                    folder.mkdir(mode=0o700)
                except FileExistsError:
                    continue
                return folder
        except OSError as exc:
            raise errors.RecordingError(
                f"Cannot create a session folder in {out_dir}: {describe_os_error(exc)}"
            ) from exc
        raise errors.RecordingError(
            f"Cannot create a session folder in {out_dir}: too many named {base}"
        )

    def _wall_now(self) -> datetime:
        return self.started_utc + timedelta(seconds=self._clock() - self._t0)

    def _csv_line(self, cells: Sequence[object]) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(cells)
        return buf.getvalue()

    def _write_wav(
        self, name: str, wav: WavWriter, data: bytes | bytearray | memoryview | np.ndarray
    ) -> None:
        if self.finalized:
            return
        try:
            wav.write(data)
        except errors.RecordingError as exc:
            self._report_error(name, exc)

    def _report(self, name: str, exc: OSError) -> None:
        self._report_error(
            name,
            errors.RecordingError(f"Cannot write {self.folder / name}: {describe_os_error(exc)}"),
        )

    def _report_error(self, name: str, exc: errors.RecordingError) -> None:
        """Tell the owner once per file; later failures of that file stay quiet."""
        self.failed = True
        if name in self._failed_files:
            return
        self._failed_files.add(name)
        self.errors.append(exc.message)
        log.error("%s", exc.message)
        if self._on_error is not None:
            try:
                self._on_error(exc)
            except Exception:  # the owner's handler must not stop the recording
                log.exception("on_error handler failed")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
