"""Marks on the review timeline: where the call was lost, concealed, cut, held or changed.

Sources, all in session seconds:
- metrics.csv: lost and concealed frames (per-row increase of the running totals),
  "degraded" stretches, talk-over stretches when the column exists;
- the gaps (summary.json `gaps` or `gap` events) for outages and holds; without
  them, the state changes (RECONNECTING … STREAMING, on hold when the reason says so);
- events: reconnects, stalls (`stall` … `stall_cleared`), slider changes (`dsp`), errors;
- WAV cue labels, when the folder has no gap records (older or foreign files).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxone_desktop.review.session_reader import FRAME_S, Gap, SessionRecording

#: kind → (what the legend calls it, colour). Spans draw as bands, points as lines.
MARK_STYLES: dict[str, tuple[str, str]] = {
    "lost": ("lost frames", "#ef4444"),
    "concealed": ("concealed frames", "#fb923c"),
    "outage": ("outage", "#a855f7"),
    "reconnect": ("reconnect", "#8b5cf6"),
    "hold": ("hold", "#64748b"),
    "stall": ("stall", "#eab308"),
    "dsp": ("slider change", "#0ea5e9"),
    "degraded": ("degraded", "#dc2626"),
    "talk_over": ("talk-over", "#14b8a6"),
    "error": ("error", "#b91c1c"),
    "cue": ("cue label", "#6b7280"),
}


@dataclass(frozen=True)
class Mark:
    """One thing on the timeline; a point when `end_s == start_s`."""

    kind: str
    start_s: float
    end_s: float
    label: str
    count: int = 0

    @property
    def is_span(self) -> bool:
        return self.end_s > self.start_s


def build_marks(rec: SessionRecording) -> list[Mark]:
    """Every mark of the session, sorted by time."""
    marks: list[Mark] = []
    spans = _gap_and_state_marks(rec)
    holds = [(m.start_s, m.end_s) for m in spans if m.kind == "hold"]
    marks += _metric_marks(rec, holds)
    marks += spans
    marks += _event_marks(rec)
    if not rec.gaps:
        marks += _cue_marks(rec)
    return sorted(marks, key=lambda m: (m.start_s, m.kind))


def frame_counts(rec: SessionRecording, holds: list[tuple[float, float]]) -> dict[str, np.ndarray]:
    """Lost and concealed frames per metrics row (only the columns the file has).

    On hold the playout clock fills silence: that is not concealment the listener
    missed, so the frames a hold covers are taken off the concealed count.
    """
    table = rec.metrics
    t = table.elapsed_s
    starts = row_starts(t)
    held = np.array([overlap_s(a, b, holds) for a, b in zip(starts, t, strict=True)])
    out = {}
    if table.has("lost_frames"):
        out["lost"] = table.deltas("lost_frames")
    if table.has("concealed_frames"):
        concealed = table.deltas("concealed_frames") - np.round(held / FRAME_S)
        out["concealed"] = np.clip(concealed, 0, None)
    return out


def _metric_marks(rec: SessionRecording, holds: list[tuple[float, float]]) -> list[Mark]:
    table = rec.metrics
    if table.rows == 0:
        return []
    t = table.elapsed_s
    starts = row_starts(t)
    out: list[Mark] = []
    for kind, counts in frame_counts(rec, holds).items():
        for i in np.flatnonzero(counts > 0):
            n = int(counts[i])
            out.append(Mark(kind, float(starts[i]), float(t[i]), f"{n} {kind} frame(s)", n))
    for kind, column, label in (
        ("degraded", "degraded", "network degraded"),
        ("talk_over", "talk_over", "both parties talking"),
    ):
        if table.has(column):
            flags = np.nan_to_num(table.column(column)) > 0
            for lo, hi in _runs(flags):
                out.append(Mark(kind, float(starts[lo]), float(t[hi - 1]), label))
    return out


def _gap_and_state_marks(rec: SessionRecording) -> list[Mark]:
    out: list[Mark] = []
    spans: list[Mark] = []
    open_at: tuple[str, float, str] | None = None
    for h in rec.state_history:
        t = _num(h.get("elapsed_s"))
        if not math.isfinite(t):
            continue
        state, reason = h.get("state"), str(h.get("reason") or "")
        if open_at is not None and state != "RECONNECTING":
            kind, start, why = open_at
            spans.append(Mark(kind, start, t, why))
            open_at = None
        if state == "RECONNECTING" and open_at is None:
            open_at = ("hold" if "hold" in reason.lower() else "outage", t, reason)
        if state == "STREAMING" and h.get("previous") == "RECONNECTING":
            out.append(Mark("reconnect", t, t, reason or "reconnected"))
    if open_at is not None:
        kind, start, why = open_at
        spans.append(Mark(kind, start, max(start, rec.duration_s), why))
    if rec.gaps:
        gap_marks = [_gap_mark(g) for g in rec.gaps]
        # A recorded gap is the precise version of the state span it overlaps.
        spans = [s for s in spans if not any(_overlaps(s, g) for g in gap_marks)]
        spans += gap_marks
    return out + spans


def _gap_mark(g: Gap) -> Mark:
    what = {"hold": "on hold", "stall": "no audio (stall)"}.get(g.kind, "no audio (outage)")
    return Mark(g.kind, g.elapsed_s, g.end_s, f"{what} for {g.duration_s:.1f} s")


def _event_marks(rec: SessionRecording) -> list[Mark]:
    out: list[Mark] = []
    stall_at: tuple[float, str] | None = None
    for e in rec.events:
        t = _num(e.get("elapsed_s"))
        if not math.isfinite(t):
            continue
        kind = e.get("kind")
        if kind == "dsp":
            out.append(Mark("dsp", t, t, _dsp_label(e)))
        elif kind == "error":
            out.append(Mark("error", t, t, f"{e.get('type', 'error')}: {e.get('message', '')}"))
        elif kind == "stall" and stall_at is None:
            stall_at = (t, str(e.get("reason") or e.get("message") or "audio stalled"))
        elif kind == "stall_cleared" and stall_at is not None:
            out.append(Mark("stall", stall_at[0], t, stall_at[1]))
            stall_at = None
    if stall_at is not None:
        out.append(Mark("stall", stall_at[0], max(stall_at[0], rec.duration_s), stall_at[1]))
    if any(g.kind == "stall" for g in rec.gaps):  # the recorded gaps place stalls exactly
        out = [m for m in out if m.kind != "stall"]
    return out


def _cue_marks(rec: SessionRecording) -> list[Mark]:
    for name in ("processed", "raw"):
        track = rec.track(name)
        if track is not None and track.wav.cues:
            out = []
            for cue in track.wav.cues:
                start = track.session_at(cue.frame)
                end = track.session_at(cue.frame + cue.length_frames)
                out.append(Mark("cue", start, max(start, end), cue.label or "cue"))
            return out
    return []


def _dsp_label(e: dict[str, Any]) -> str:
    parts = []
    if isinstance(e.get("gain"), int | float):
        parts.append(f"gain {e['gain']:.2f}")
    if e.get("noise_threshold") is not None:
        parts.append(f"gate {e['noise_threshold']}")
    if e.get("gate_mode"):
        parts.append(f"({e['gate_mode']})")
    return "slider change: " + (" ".join(parts) or "DSP settings")


def row_starts(elapsed_s: np.ndarray) -> np.ndarray:
    """Where each metrics row's interval begins: the previous row (the first: a second back)."""
    if elapsed_s.size == 0:
        return elapsed_s.copy()
    return np.concatenate(([max(0.0, float(elapsed_s[0]) - 1.0)], elapsed_s[:-1]))


def overlap_s(a: float, b: float, spans: list[tuple[float, float]]) -> float:
    """Seconds of [a, b] covered by `spans` (which may overlap each other)."""
    pieces = sorted((max(a, s), min(b, e)) for s, e in spans if e > a and s < b)
    total, reach = 0.0, a
    for lo, hi in pieces:
        lo = max(lo, reach)
        if hi > lo:
            total += hi - lo
            reach = hi
    return total


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[lo, hi) index ranges where `flags` is True."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _overlaps(a: Mark, b: Mark) -> bool:
    return a.kind == b.kind and a.start_s <= b.end_s and b.start_s <= a.end_s


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def marks_between(marks: list[Mark], start_s: float, end_s: float) -> list[Mark]:
    """The marks touching [start_s, end_s]."""
    return [m for m in marks if m.end_s >= start_s and m.start_s <= end_s]
