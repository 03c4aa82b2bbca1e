"""The session folder: one call's audio, metrics and events, safe against a crash.

    <out>/<callId>-<yyyymmddThhmmssZ>/      0700 (POSIX)
        raw.wav         the audio bytes as received, in order
        processed.wav   what was played, on the playout clock
        metrics.csv     one row a second: wall_time, elapsed_s, state, metric columns
        events.jsonl    one JSON object a line, flushed per event
        summary.json    written by `finalize`
        .recording      {"pid", "host", "started_utc", …}, locked while recording

Every file is created 0600 (call audio is personal data). A failed write never reaches
the streaming code: each file reports its first `RecordingError` through `on_error`, keeps
it in `errors`, and drops what follows; the other files carry on. How the files are
spelled is `session_format`; how they are opened, `private_files`; the marker and its
lock, `recording_lock`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from cxone_desktop import __version__, errors
from cxone_desktop.private_files import (
    TextLog,
    describe_os_error,
    file_size,
    write_private_file,
)
from cxone_desktop.session.event_budget import ESSENTIAL_RESERVE_BYTES, EventBudget
from cxone_desktop.session.recording_lock import MARKER, RecordingLock, process_identity
from cxone_desktop.session.session_format import (
    EVENTS_JSONL,
    FOLDER_STAMP,
    LEADING_COLUMNS,
    METRICS_CSV,
    PROCESSED_WAV,
    RAW_WAV,
    SUMMARY_JSON,
    csv_cell,
    csv_line,
    dumps,
    iso_utc,
    sanitize_call_id,
)
from cxone_desktop.session.wav_writer import WavWriter

log = logging.getLogger(__name__)

#: Audio reaches the OS, and the WAV headers their sizes, at least this often: a kill -9
#: loses at most this much plus one message (half a second keeps the promised second).
HEADER_INTERVAL_S = 0.5


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
        channels: int = 1,
        metric_columns: Sequence[str] = (),
        on_error: Callable[[errors.RecordingError], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        origin_s: float | None = None,
        header_interval_s: float = HEADER_INTERVAL_S,
    ) -> None:
        self.started_utc = (started_utc or datetime.now(UTC)).astimezone(UTC)
        self.call_id = call_id
        self.rate_hz = rate_hz
        self.failed = False
        self.errors: list[str] = []
        self.finalized = False
        self._on_error = on_error
        self._clock = clock
        #: Session time zero on `clock` (events' `elapsed_s`); now unless given.
        self._t0 = clock() if origin_s is None else origin_s
        self._columns: list[str] | None = list(metric_columns) or None
        self._failed_files: set[str] = set()
        #: What of each event reaches events.jsonl: lines and the file are capped.
        self.event_budget = EventBudget()
        self.folder = self._make_folder(Path(out_dir))
        opened: list[WavWriter] = []
        texts: list[TextLog] = []
        lock: RecordingLock | None = None
        try:
            lock = RecordingLock(
                self.folder,
                {
                    **process_identity(),
                    "started_utc": iso_utc(self.started_utc),
                    "app_version": __version__,
                },
            )
            wav = functools.partial(
                WavWriter,
                rate_hz=rate_hz,
                channels=channels,
                clock=clock,
                header_interval_s=header_interval_s,
            )
            opened.append(wav(self.folder / RAW_WAV))
            opened.append(wav(self.folder / PROCESSED_WAV))
            texts.append(TextLog(self.folder / METRICS_CSV))
            texts.append(TextLog(self.folder / EVENTS_JSONL))
        except (OSError, errors.RecordingError) as exc:
            for writer in opened:
                with contextlib.suppress(errors.RecordingError):
                    writer.close()
            for text in texts:
                text.abandon()
            if lock is not None:
                with contextlib.suppress(OSError):
                    lock.release(remove=True)  # nothing to repair here
            reason = (
                exc.message if isinstance(exc, errors.RecordingError) else describe_os_error(exc)
            )
            raise errors.RecordingError(
                f"Cannot create the session files in {self.folder}: {reason}"
            ) from exc
        #: The two WAV writers, exposed for their counters (duration_s, dropped_bytes…).
        self.raw, self.processed = opened
        self._metrics, self._events = texts
        assert lock is not None
        #: Held until `finalize`: while it is, repair leaves this folder alone.
        self.marker_lock = lock

    # -- writing ---------------------------------------------------------------

    def write_raw(self, pcm: bytes | bytearray | memoryview | np.ndarray) -> None:
        """Append received audio to raw.wav."""
        self._write_wav(RAW_WAV, self.raw, pcm)

    def use_channels(self, channels: int) -> None:
        """Both WAVs carry `channels` interleaved (2: agent left, customer right); only before
        any audio is written."""
        for name, wav in ((RAW_WAV, self.raw), (PROCESSED_WAV, self.processed)):
            try:
                wav.set_channels(channels)
            except errors.RecordingError as exc:
                self._report_error(name, exc)

    def write_processed(self, frames: np.ndarray | bytes) -> None:
        """Append played audio (int16) to processed.wav."""
        self._write_wav(PROCESSED_WAV, self.processed, frames)

    def add_cues(self, raw_frame: int, processed_frame: int, label: str) -> None:
        """Mark a moment in both WAVs (sample frames from each file's start); written on close."""
        for wav, frame in ((self.raw, raw_frame), (self.processed, processed_frame)):
            wav.add_cue(frame, label)

    def add_processed_cue(self, frame: int, label: str) -> None:
        """Mark a moment of processed.wav only (where audio came back after a gap, say)."""
        self.processed.add_cue(frame, label)

    def write_metrics(
        self, row: Mapping[str, float | int | bool | str], *, state: str, elapsed_s: float
    ) -> None:
        """Append one metrics row; columns are fixed by the first row if not given."""
        if self.finalized or METRICS_CSV in self._failed_files:
            return
        try:
            if self._columns is None:  # the fixed leading columns are not repeated
                self._columns = [str(k) for k in row if k not in LEADING_COLUMNS]
            if self._metrics.lines == 0:
                header = [*LEADING_COLUMNS, *self._columns]
                self._metrics.write_line(csv_line(header))
            cells = [
                iso_utc(self._wall_now()),
                csv_cell(float(elapsed_s)),
                state,
                *(csv_cell(row.get(c)) for c in self._columns),
            ]
            self._metrics.write_line(csv_line(cells))
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
        line = self.event_budget.admit(record, dumps)
        if line is None:
            return  # the file is full: counted, said in its last line and the summary
        try:
            self._events.write_line(line)
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

    def finalize(self, summary: Mapping[str, Any], *, finished_cleanly: bool = True) -> Path:
        """Close every file, write summary.json, remove `.recording`; returns the folder.

        Idempotent. If summary.json cannot be written the marker stays, so `repair`
        later treats the folder as interrupted. `finished_cleanly` False says the
        session itself did not end as designed (an internal error), files final or not.
        """
        if self.finalized:
            return self.folder
        dropped = self.event_budget.closing_fields()
        if dropped is not None:
            budget = self.event_budget  # the kept room, past the essential reserve too
            budget.max_file_bytes += budget.max_line_bytes + ESSENTIAL_RESERVE_BYTES
            self.event("events_dropped", **dropped)
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
            finished_cleanly=finished_cleanly,
        )
        try:
            write_private_file(self.folder / SUMMARY_JSON, dumps(doc, indent=2) + "\n")
        except OSError as exc:
            self.marker_lock.release()  # unlocked, the marker tells repair to finish the job
            self._report(SUMMARY_JSON, exc)
            return self.folder
        try:
            self.marker_lock.release(remove=True)
        except OSError as exc:
            self._report(MARKER, exc)
        return self.folder

    def discard(self) -> None:
        """Close and delete the whole folder: a call that failed before any audio leaves no
        folder behind (the error is shown where it happened). Best effort, never raises."""
        if self.finalized:
            return
        self.finalized = True
        for wav in (self.raw, self.processed):
            with contextlib.suppress(errors.RecordingError):
                wav.close()
        for text in (self._metrics, self._events):
            text.abandon()
        with contextlib.suppress(OSError):
            self.marker_lock.release(remove=True)
        for name in (RAW_WAV, PROCESSED_WAV, METRICS_CSV, EVENTS_JSONL):
            with contextlib.suppress(OSError):
                (self.folder / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.folder.rmdir()  # only if nothing else is in it

    def file_summary(self) -> dict[str, dict[str, Any]]:
        """Sizes (and durations, row counts) of the folder's files, for summary.json."""
        files: dict[str, dict[str, Any]] = {}
        for name, wav in ((RAW_WAV, self.raw), (PROCESSED_WAV, self.processed)):
            files[name] = {
                "bytes": file_size(self.folder / name),
                "channels": wav.channels,
                "duration_s": round(wav.duration_s, 3),
                "frames": wav.frames_written,
                "dropped_bytes": wav.dropped_bytes,
                "format": "RF64" if wav.rf64 else "RIFF",
            }
        files[METRICS_CSV] = {
            "bytes": file_size(self.folder / METRICS_CSV),
            "rows": max(0, self._metrics.lines - 1),
        }
        files[EVENTS_JSONL] = {
            "bytes": file_size(self.folder / EVENTS_JSONL),
            "events": self._events.lines,
            "events_truncated": self.event_budget.truncated,
            "events_dropped": self.event_budget.dropped_total,
        }
        return files

    # -- internals -------------------------------------------------------------

    def _make_folder(self, out_dir: Path) -> Path:
        base = f"{sanitize_call_id(self.call_id)}-{self.started_utc.strftime(FOLDER_STAMP)}"
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


def open_recorder(
    out_dir: Path,
    call_id: str,
    *,
    on_error: Callable[[errors.RecordingError], None],
    **options: Any,
) -> SessionRecorder | None:
    """A SessionRecorder, or None with the reason told to `on_error` (the call goes on)."""
    try:
        return SessionRecorder(out_dir, call_id, on_error=on_error, **options)
    except errors.RecordingError as exc:
        on_error(exc)
    except OSError as exc:
        on_error(errors.RecordingError(f"Cannot create the session folder: {exc.strerror or exc}"))
    return None
