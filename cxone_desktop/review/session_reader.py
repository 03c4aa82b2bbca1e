"""A session folder read back for review: summary, events, metrics and both recordings.

Reading is tolerant: every version of the app, a crashed recording (repaired or
not) and a session still being recorded all open. What could not be read is
listed in `problems` instead of failing the whole folder; only a folder with no
readable recording at all raises `SessionReadError`. Nothing is written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cxone_desktop.core.audio_format import DEFAULT_FORMAT
from cxone_desktop.errors import SessionReadError
from cxone_desktop.review.metrics_table import MetricsTable, read_metrics
from cxone_desktop.review.time_map import TimeMap
from cxone_desktop.review.wav_file import WavAudio, open_wav

RAW = "raw"
PROCESSED = "processed"
TRACK_FILES = {PROCESSED: "processed.wav", RAW: "raw.wav"}
#: Channel names of a two-channel recording, in channel order.
PARTIES = ("agent", "customer")
FRAME_S = DEFAULT_FORMAT.frame_duration_s


@dataclass(frozen=True)
class Gap:
    """A stretch with no audio while the call went on: a stall, an outage or a hold."""

    kind: str  # "stall" | "outage" | "hold"
    elapsed_s: float
    duration_s: float
    raw_position_s: float | None = None
    processed_position_s: float | None = None

    @property
    def end_s(self) -> float:
        return self.elapsed_s + self.duration_s


@dataclass
class AudioTrack:
    """One recording (raw or processed) placed on the session's time axis."""

    name: str
    wav: WavAudio
    time_map: TimeMap

    @property
    def rate_hz(self) -> int:
        return self.wav.rate_hz

    @property
    def channels(self) -> int:
        return self.wav.channels

    @property
    def start_s(self) -> float:
        return float(self.time_map.to_session([0.0])[0])

    @property
    def end_s(self) -> float:
        return float(self.time_map.to_session([self.wav.duration_s])[0])

    def frame_at(self, session_s: float) -> int:
        """The sample frame playing at `session_s` (clamped to the file)."""
        f = float(self.time_map.to_file([session_s])[0]) * self.rate_hz
        return int(min(max(0, round(f)), self.wav.frames))

    def session_at(self, frame: int) -> float:
        return float(self.time_map.to_session([frame / self.rate_hz])[0])


@dataclass
class SessionRecording:
    """Everything in one session folder, ready to draw, play, score and report."""

    folder: Path
    summary: dict[str, Any]
    events: list[dict[str, Any]]
    metrics: MetricsTable
    tracks: dict[str, AudioTrack]
    gaps: list[Gap]
    problems: list[str] = field(default_factory=list)

    @property
    def call_id(self) -> str:
        settings = self.settings
        value = settings.get("call_id") or self.summary.get("call_id")
        return str(value) if value else self.folder.name.rsplit("-", 1)[0]

    @property
    def settings(self) -> dict[str, Any]:
        s = self.summary.get("settings")
        if isinstance(s, dict):
            return s
        for event in self.events:
            if event.get("kind") == "session_started" and isinstance(event.get("settings"), dict):
                return dict(event["settings"])
        return {}

    @property
    def started_utc(self) -> str | None:
        value = self.summary.get("started_utc")
        if isinstance(value, str):
            return value
        return str(self.events[0].get("t")) if self.events and self.events[0].get("t") else None

    @property
    def duration_s(self) -> float:
        """Session seconds from start to the last thing on record."""
        ends = [_num(self.summary.get("duration_s"))]
        if self.metrics.rows:
            ends.append(float(np.nanmax(self.metrics.elapsed_s)))
        ends += [_num(e.get("elapsed_s")) for e in self.events[-1:]]
        ends += [t.end_s for t in self.tracks.values()]
        finite = [e for e in ends if math.isfinite(e)]
        return max(finite) if finite else 0.0

    @property
    def stereo(self) -> bool:
        return any(t.channels >= 2 for t in self.tracks.values())

    @property
    def state_history(self) -> list[dict[str, Any]]:
        """Transitions with session seconds (`elapsed_s`) where the events have them."""
        from_events = [
            {k: e.get(k) for k in ("state", "previous", "reason", "elapsed_s", "t")}
            for e in self.events
            if e.get("kind") == "state"
        ]
        if from_events:
            return from_events
        history = self.summary.get("state_history")
        return [h for h in history if isinstance(h, dict)] if isinstance(history, list) else []

    @property
    def reconnects(self) -> int:
        value = self.summary.get("reconnects")
        if isinstance(value, int):
            return value
        return sum(
            1
            for h in self.state_history
            if h.get("state") == "STREAMING" and h.get("previous") == "RECONNECTING"
        )

    def track(self, name: str) -> AudioTrack | None:
        return self.tracks.get(name)

    def events_of(self, *kinds: str) -> Iterator[dict[str, Any]]:
        return (e for e in self.events if e.get("kind") in kinds)

    def evaluation_files(self) -> list[Path]:
        return sorted(self.folder.glob("evaluation-*.json"))


def open_session(folder: Path) -> SessionRecording:
    """Read a session folder. Raises SessionReadError when there is nothing to review."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SessionReadError(f"{folder} is not a folder")
    problems: list[str] = []
    summary = _read_json(folder / "summary.json", problems)
    if (folder / ".recording").exists():
        problems.append(
            "The recording was still running or was cut short (no clean finish); "
            "showing what was written."
        )
    events = _read_events(folder / "events.jsonl", problems)
    metrics = read_metrics(folder / "metrics.csv")
    if metrics.skipped_rows:
        problems.append(f"metrics.csv: {metrics.skipped_rows} unreadable row(s) skipped")
    wavs: dict[str, WavAudio] = {}
    for name, filename in TRACK_FILES.items():
        path = folder / filename
        if not path.exists():
            continue
        try:
            wavs[name] = open_wav(path)
        except SessionReadError as exc:
            problems.append(exc.message)
    if not wavs:
        reason = "; ".join(p for p in problems if ".wav" in p) or "no raw.wav or processed.wav"
        raise SessionReadError(f"{folder} has no recording to review ({reason})")
    gaps = _gaps(summary, events)
    streaming_at = _first_streaming_s(events)
    settings = SessionRecording(folder, summary, events, metrics, {}, gaps).settings
    target_ms = _num(settings.get("jitter_target_ms"))
    playout_start = streaming_at + (target_ms / 1000.0 if math.isfinite(target_ms) else 0.0)
    tracks: dict[str, AudioTrack] = {}
    if PROCESSED in wavs:
        tracks[PROCESSED] = AudioTrack(
            PROCESSED, wavs[PROCESSED], _processed_map(gaps, playout_start)
        )
    if RAW in wavs:
        tracks[RAW] = AudioTrack(RAW, wavs[RAW], _raw_map(gaps, metrics, streaming_at))
    return SessionRecording(folder, summary, events, metrics, tracks, gaps, problems)


def _processed_map(gaps: list[Gap], playout_start_s: float) -> TimeMap:
    anchors = [(g.elapsed_s, g.processed_position_s) for g in gaps]
    known = [(s, f) for s, f in anchors if f is not None and math.isfinite(f)]
    return TimeMap.from_anchors(known) if known else TimeMap.offset(playout_start_s)


def _raw_map(gaps: list[Gap], metrics: MetricsTable, streaming_s: float) -> TimeMap:
    """raw.wav advances by the frames received: metrics' `frames` column, and the gaps."""
    anchors: list[tuple[float, float]] = [(streaming_s, 0.0)]
    if metrics.has("frames"):
        for t, frames in zip(metrics.elapsed_s, metrics.column("frames"), strict=True):
            if math.isfinite(t) and math.isfinite(frames):
                anchors.append((float(t), float(frames) * FRAME_S))
    for g in gaps:
        if g.raw_position_s is not None and math.isfinite(g.raw_position_s):
            anchors += [(g.elapsed_s, g.raw_position_s), (g.end_s, g.raw_position_s)]
    return TimeMap.from_anchors(anchors)


def _gaps(summary: dict[str, Any], events: list[dict[str, Any]]) -> list[Gap]:
    """summary.json `gaps` when present, else the `gap` events."""
    raw = summary.get("gaps")
    items: list[tuple[str, dict[str, Any]]] = []
    if isinstance(raw, list) and raw:
        items = [("kind", g) for g in raw if isinstance(g, dict)]
    else:
        items = [("gap_kind", e) for e in events if e.get("kind") == "gap"]
    gaps = []
    for kind_key, g in items:
        # An event line's own `elapsed_s` is when the gap ended; its start is `started_s`.
        start = _num(g.get("started_s", g.get("elapsed_s_", g.get("elapsed_s"))))
        duration = _num(g.get("duration_s"))
        if not (math.isfinite(start) and math.isfinite(duration)) or duration < 0:
            continue
        kind = str(g.get(kind_key) or "outage")
        gaps.append(
            Gap(
                kind if kind in ("stall", "outage", "hold") else "outage",
                start,
                duration,
                _opt(g.get("raw_position_s")),
                _opt(g.get("processed_position_s")),
            )
        )
    return sorted(gaps, key=lambda g: g.elapsed_s)


def _first_streaming_s(events: list[dict[str, Any]]) -> float:
    for e in events:
        if e.get("kind") == "state" and e.get("state") == "STREAMING":
            t = _num(e.get("elapsed_s"))
            if math.isfinite(t):
                return t
    return 0.0


def _read_json(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path.name} is missing (the recording did not finish cleanly)")
        return {}
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name} is unreadable ({type(exc).__name__}); figures left out")
        return {}
    return data if isinstance(data, dict) else {}


def _read_events(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    bad = 0
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                if isinstance(event, dict) and isinstance(event.get("kind"), str):
                    events.append(event)
                else:
                    bad += 1
    except FileNotFoundError:
        problems.append("events.jsonl is missing; no state history or marks from events")
    except OSError as exc:
        problems.append(f"events.jsonl is unreadable ({exc.strerror or exc})")
    if bad:
        problems.append(f"events.jsonl: {bad} unreadable line(s) skipped")
    return events


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def _opt(value: Any) -> float | None:
    v = _num(value)
    return v if math.isfinite(v) else None
