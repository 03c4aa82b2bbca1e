"""Finish what a crashed recording left: `cxone-desktop repair DIR...`.

A session folder whose `.recording` marker is no longer locked was interrupted: the
recorder holds that lock until its files are final, and the OS drops it when the process
ends (see `recording_lock`). A locked folder is live and left alone. Repair sets the WAV
header sizes from the file lengths (dropping a trailing part-sample), trims a half-written
last line from metrics.csv and events.jsonl, writes summary.json with `finished_cleanly:
false` if there is none, and removes the marker.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxone_desktop import __version__, portable
from cxone_desktop.core.riff import HEADER_BYTES, RIFF_LIMIT_BYTES, Cue, wav_header
from cxone_desktop.private_files import (
    describe_os_error,
    unlink_file,
    write_private_file,
)
from cxone_desktop.session.recording_lock import (
    MARKER,
    read_marker,
    recording_is_live,
)
from cxone_desktop.session.session_format import (
    EVENTS_JSONL,
    METRICS_CSV,
    SUMMARY_JSON,
    TEXT_FILES,
    WAV_FILES,
    dumps,
    iso_utc,
)
from cxone_desktop.session.wav_file import WavFormatError, fix_wav_sizes

log = logging.getLogger(__name__)

__all__ = [
    "RepairReport",
    "find_interrupted",
    "is_session_folder",
    "read_marker",
    "recording_is_live",
    "recover_interrupted",
    "repair_folder",
    "run_repair",
    "trim_partial_line",
]


@dataclass
class RepairReport:
    """What `repair_folder` did to one folder; `ok` is False if something could not be fixed."""

    folder: Path
    #: Per WAV file: {"duration_s", "data_bytes", "declared_data_bytes", "trimmed_bytes", "format"}.
    wavs: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """One line for the terminal."""
        parts = [f"{name} {info['duration_s']:.1f} s" for name, info in self.wavs.items()]
        what = "; ".join(self.actions) if self.actions else "nothing to fix"
        text = f"{self.folder}: {', '.join(parts) or 'no audio'} — {what}"
        if self.problems:
            text += " — PROBLEMS: " + "; ".join(self.problems)
        return text


def is_session_folder(path: Path) -> bool:
    return path.is_dir() and any((path / n).exists() for n in (MARKER, *WAV_FILES))


def find_interrupted(out_dir: Path) -> list[Path]:
    """Session folders directly in `out_dir` with a marker no process holds any more."""
    found = []
    try:
        children = sorted(Path(out_dir).iterdir())
    except OSError:
        return []
    for folder in children:
        try:
            if (folder / MARKER).is_file() and recording_is_live(folder) is False:
                found.append(folder)
        except OSError:
            continue  # unreadable: not ours to judge
    return found


def recover_interrupted(
    places: Iterable[Path], on_repaired: Callable[[RepairReport], None] | None = None
) -> list[Path]:
    """Repair the interrupted sessions in each of `places`; the folders repaired.

    What the app and `record` run at start, so it never raises: a place or a folder that
    fails is logged and skipped. Live folders (their marker is locked) are left alone.
    """
    repaired: list[Path] = []
    for place in dict.fromkeys(Path(p) for p in places):
        try:
            found = find_interrupted(place)
        except Exception:
            log.exception("looking for interrupted sessions in %s failed", place)
            continue
        for folder in found:
            try:
                report = repair_folder(folder)
            except Exception:
                log.exception("repairing %s failed", folder)
                continue
            repaired.append(folder)
            if on_repaired is not None:
                on_repaired(report)
    return repaired


def repair_folder(
    folder: Path,
    *,
    riff_limit_bytes: int = RIFF_LIMIT_BYTES,
    cues: Mapping[str, Sequence[Cue]] | None = None,
) -> RepairReport:
    """Make an interrupted session folder whole (idempotent; safe on clean folders).

    `cues` maps a WAV's name to cue points to write after its audio (replacing any it
    has), for callers that know them from the events.
    """
    folder = Path(folder)
    report = RepairReport(folder)
    for name in WAV_FILES:
        path = folder / name
        if not path.exists():
            continue
        try:
            if path.stat().st_size < HEADER_BYTES:
                # died before the header was on disk: no audio to save, make it openable
                path.write_bytes(wav_header(data_bytes=0))
                report.actions.append(f"{name} had no header; wrote an empty one")
            fix = fix_wav_sizes(
                path, riff_limit_bytes=riff_limit_bytes, cues=(cues or {}).get(name)
            )
        except (OSError, WavFormatError) as exc:
            reason = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
            report.problems.append(f"{name}: {reason}")
            continue
        report.wavs[name] = {
            "duration_s": round(fix.duration_s, 3),
            "data_bytes": fix.data_bytes,
            "declared_data_bytes": fix.declared_data_bytes,
            "trimmed_bytes": fix.trimmed_bytes,
            "format": "RF64" if fix.rf64 else "RIFF",
        }
        if fix.changed:
            report.actions.append(
                f"{name} header {fix.declared_data_bytes} → {fix.data_bytes} bytes"
                + (f" (trimmed {fix.trimmed_bytes})" if fix.trimmed_bytes else "")
            )
    for name in TEXT_FILES:
        try:
            trimmed = trim_partial_line(folder / name)
        except OSError as exc:
            report.problems.append(f"{name}: {describe_os_error(exc)}")
            continue
        if trimmed:
            report.actions.append(f"{name} dropped a half-written last line ({trimmed} bytes)")
    marker = read_marker(folder)
    if not (folder / SUMMARY_JSON).exists():
        try:
            write_private_file(folder / SUMMARY_JSON, _summary(folder, marker, report) + "\n")
            report.actions.append("wrote summary.json (finished_cleanly false)")
        except OSError as exc:
            report.problems.append(f"{SUMMARY_JSON}: {describe_os_error(exc)}")
    if marker is not None and report.ok:
        try:
            unlink_file(folder / MARKER)
            report.actions.append("removed .recording")
        except OSError as exc:
            report.problems.append(f"{MARKER}: {describe_os_error(exc)}")
    return report


def run_repair(args: argparse.Namespace) -> int:
    """`cxone-desktop repair DIR...`: each DIR is a session folder or a folder of them.

    A folder of sessions gets its interrupted ones repaired; a session folder named
    directly is repaired unless its recording is still running. Exit code 0 if all went
    well, 1 otherwise.
    """
    rc = 0
    for arg in args.folder:
        path = Path(arg)
        if not path.is_dir():
            print(f"{path}: not a folder", file=sys.stderr)
            rc = 1
            continue
        if is_session_folder(path):
            targets = [path]
            if recording_is_live(path):
                pid = (read_marker(path) or {}).get("pid")
                print(f"{path}: still recording (pid {pid}); skipped")
                rc = 1
                continue
        else:
            targets = find_interrupted(path)
            if not targets:
                print(f"{path}: no interrupted sessions")
        for folder in targets:
            report = repair_folder(folder)
            print(report.line())
            if not report.ok:
                rc = 1
    return rc


def trim_partial_line(path: Path) -> int:
    """Cut a text file back to its last newline; returns the bytes removed."""
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return 0
    try:
        size = os.fstat(fd).st_size
        pos = size
        while pos > 0:
            start = max(0, pos - 4096)
            chunk = portable.pread(fd, pos - start, start)
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                pos = start + nl + 1
                break
            pos = start
        if pos != size:
            os.ftruncate(fd, pos)
        return size - pos
    finally:
        os.close(fd)


def _summary(folder: Path, marker: dict[str, Any] | None, report: RepairReport) -> str:
    files: dict[str, dict[str, Any]] = {}
    for name in (*WAV_FILES, *TEXT_FILES):
        path = folder / name
        if path.exists():
            files[name] = {"bytes": path.stat().st_size}
            if name in report.wavs:
                files[name]["duration_s"] = report.wavs[name]["duration_s"]
                files[name]["format"] = report.wavs[name]["format"]
    doc = {
        **_recovered_figures(folder),
        "finished_cleanly": False,
        "repaired_utc": iso_utc(datetime.now(UTC)),
        "started_utc": (marker or {}).get("started_utc"),
        "app_version": __version__,
        "folder": str(folder),
        "files": files,
        "repair_actions": report.actions,
        "repair_problems": report.problems,
    }
    return dumps(doc, indent=2)


def _recovered_figures(folder: Path) -> dict[str, Any]:
    """What metrics.csv and events.jsonl still tell of a call cut short.

    The seed's keys come from the last whole metrics row (at most a second old);
    settings, state history and errors from the events. Unreadable parts are skipped.
    """
    doc: dict[str, Any] = {}
    row = _last_metrics_row(folder / METRICS_CSV)
    if row is not None:
        for key, columns, convert in _SEED_FROM_CSV:
            for column in columns:  # today's column first, then an older file's
                with contextlib.suppress(KeyError, ValueError):
                    doc[key] = convert(float(row[column]))
                    break
    history: list[dict[str, Any]] = []
    errors: list[str] = []
    with contextlib.suppress(OSError), (folder / EVENTS_JSONL).open(encoding="utf-8") as f:
        for line in f:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line cut by the crash
            kind = event.get("kind") if isinstance(event, dict) else None
            if kind == "session_started" and isinstance(event.get("settings"), dict):
                doc["settings"] = event["settings"]
            elif kind == "state":
                history.append(
                    {k: event.get(k) for k in ("state", "previous", "reason")}
                    | {"wall_time": event.get("t")}
                )
            elif kind == "error":
                errors.append(f"{event.get('type')}: {event.get('message')}")
    if history:
        doc["state_history"] = history
    if errors:
        doc["errors"] = errors
    talk = _recovered_talk(folder / METRICS_CSV)
    if talk is not None:
        doc["talk"] = talk
    if doc:
        doc["outcome"] = "interrupted"
    return doc


def _recovered_talk(path: Path) -> dict[str, Any] | None:
    """A two-party call's talk figures from metrics.csv's per-second shares (None for one
    party). Each row holds the share of its second's frames in which each party talked, so
    the seconds add up to within a frame a row; the longest silence cannot be had back (a
    row does not say where in its second the words fell), so it is left out and said so."""
    seconds = {"agent_talking": 0.0, "customer_talking": 0.0, "talk_over": 0.0}
    previous_s = 0.0
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if not set(seconds) <= set(reader.fieldnames or ()):
                return None
            for row in reader:
                try:
                    elapsed_s = float(row["elapsed_s"])
                    shares = {c: float(row[c]) for c in seconds}
                except (KeyError, TypeError, ValueError):
                    continue  # a line cut by the crash
                span_s = min(max(elapsed_s - previous_s, 0.0), 1.0)  # a row covers ≤ 1 s
                previous_s = elapsed_s
                for column, share in shares.items():
                    seconds[column] += share * span_s
    except (OSError, csv.Error, UnicodeDecodeError):
        return None
    agent_s, customer_s = seconds["agent_talking"], seconds["customer_talking"]
    total = agent_s + customer_s
    return {
        "agent_talk_s": round(agent_s, 2),
        "customer_talk_s": round(customer_s, 2),
        "agent_talk_share": round(agent_s / total, 4) if total else 0.0,
        "customer_talk_share": round(customer_s / total, 4) if total else 0.0,
        "talk_over_s": round(seconds["talk_over"], 2),
        "longest_silence_s": None,
        "recovered_from": "metrics.csv, per second (the longest silence is not recoverable)",
    }


#: summary.json key, metrics.csv column, type.
_SEED_FROM_CSV: tuple[tuple[str, tuple[str, ...], Callable[[float], Any]], ...] = (
    ("total_packets", ("total_packets",), int),
    ("dropped_packets", ("dropped_packets", "lost_frames"), int),
    ("total_bytes", ("total_bytes",), int),
    ("avg_latency_ms", ("avg_latency_ms",), float),
    ("effective_bitrate", ("effective_bitrate",), float),
    ("duration_s", ("elapsed_s",), float),
)


def _last_metrics_row(path: Path) -> dict[str, str] | None:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            last = None
            for row in csv.DictReader(f):
                last = row
            return last
    except (OSError, csv.Error, UnicodeDecodeError):
        return None
