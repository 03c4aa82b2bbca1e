"""The review report: one self-contained HTML page about one recorded call.

Facts, the seed's figures beside ours, the E-model score, waveform, spectrogram,
marks and metrics on one time axis, the state history, the notes and the
evaluations. Charts are inline SVG, the spectrogram an embedded PNG: the page
needs no network, no scripts and no files beside it, except the recordings it
links to (relative links, so the page and the folder can move together).
"""

from __future__ import annotations

import os
import re
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from cxone_desktop import __version__
from cxone_desktop.errors import ReviewError
from cxone_desktop.review import report_charts as charts
from cxone_desktop.review.annotations import Annotation, AnnotationStore
from cxone_desktop.review.call_quality import CallQuality, call_quality, live_mos
from cxone_desktop.review.envelope_pyramid import EnvelopePyramid
from cxone_desktop.review.evaluation import Evaluation, load_evaluation
from cxone_desktop.review.png import colour_map, encode_png
from cxone_desktop.review.report_sections import (
    annotations_html,
    evaluations_html,
    facts_html,
    figures_html,
    history_html,
    quality_html,
)
from cxone_desktop.review.session_reader import PARTIES, SessionRecording
from cxone_desktop.review.timeline import Mark, build_marks, frame_counts, row_starts
from cxone_desktop.review.track_spectrogram import track_spectrogram
from cxone_desktop.review.wall_time import utc_now_iso

ENVELOPE_COLUMNS = 1000
SPECTROGRAM_COLUMNS = 1000
_SECRETISH = re.compile(
    r"token|secret|password|passwd|authori[sz]ation|api[_-]?key|credential|cookie", re.I
)

CSS = "".join(
    (
        "body{font-family:system-ui,sans-serif;color:#0f172a;margin:24px auto;",
        "max-width:1120px;padding:0 12px}",
        "h1{font-size:22px;margin:0 0 4px}",
        "h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0}",
        "h3{font-size:14px;margin:16px 0 6px} .muted{color:#64748b}",
        "table{border-collapse:collapse;font-size:13px;margin:4px 0}",
        "td,th{padding:3px 10px 3px 0;text-align:left;vertical-align:top;",
        "border-bottom:1px solid #f1f5f9} th{color:#475569;font-weight:600}",
        ".num{text-align:right;font-variant-numeric:tabular-nums}",
        ".score{display:inline-block;font-size:30px;font-weight:700;margin-right:16px}",
        ".notice{background:#fef3c7;border:1px solid #f59e0b;padding:6px 10px;border-radius:4px}",
        ".fail{color:#b91c1c;font-weight:600} .ok{color:#15803d}",
        "figure{margin:6px 0} figcaption{font-size:12px;color:#64748b}",
        # charts are drawn 1,100 units wide; narrower windows (and paper) scale them down
        "svg{max-width:100%;height:auto}",
        ".cols{display:flex;gap:32px;flex-wrap:wrap}",
    )
)


def render_report(rec: SessionRecording, *, out_path: Path) -> str:
    """The HTML text of the report for `rec`, as if written to `out_path` (for its links)."""
    marks = build_marks(rec)
    quality = call_quality(rec, marks)
    notes = _annotations(rec)
    evaluations, eval_problems = _evaluations(rec)
    axis = charts.Axis(0.0, max(rec.duration_s, 1.0))
    problems = rec.problems + eval_problems
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Call {escape(rec.call_id)} — review report</title><style>{CSS}</style>",
        "</head><body>",
        f"<h1>Call {escape(rec.call_id)} — review report</h1>",
        f"<div class='muted'>Session folder {escape(rec.folder.name)} · report made "
        f"{escape(utc_now_iso())} by CXone Voice Desktop {escape(__version__)}</div>",
    ]
    if problems:
        items = "".join(f"<li>{escape(p)}</li>" for p in problems)
        parts.append(f"<div class='notice'><b>Read with care:</b><ul>{items}</ul></div>")
    parts.append(facts_html(rec, _public_settings(rec.settings), marks))
    parts.append(quality_html(quality, live_mos(rec.summary)))
    parts.append(figures_html(rec, quality))
    parts.append(_audio_links(rec, out_path))
    parts.append("<h2>The call on one time axis</h2>")
    parts.append(_waveforms(rec, axis, marks))
    parts.append(_spectrogram(rec, axis))
    parts.append("<h3>Marks</h3>" + charts.marks_lane_svg(marks, axis))
    parts.append(_metric_charts(rec, axis, marks, quality))
    parts.append(history_html(rec, marks))
    parts.append(annotations_html(notes))
    parts.append(evaluations_html(evaluations))
    parts.append("</body></html>")
    return "\n".join(parts)


def _annotations(rec: SessionRecording) -> list[Annotation]:
    try:
        return AnnotationStore(rec.folder).items
    except ReviewError as exc:
        rec.problems.append(exc.message)
        return []


def _evaluations(rec: SessionRecording) -> tuple[list[Evaluation], list[str]]:
    out, problems = [], []
    for path in rec.evaluation_files():
        try:
            out.append(load_evaluation(path))
        except ReviewError as exc:
            problems.append(exc.message)
    return out, problems


def _public_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings minus anything named like a credential (never recorded; belt and braces)."""
    return {
        k: v
        for k, v in settings.items()
        if (k == "token_in" or not _SECRETISH.search(k)) and not isinstance(v, dict | list)
    }


def _audio_links(rec: SessionRecording, out_path: Path) -> str:
    rows = []
    base = Path(out_path).resolve().parent
    for name, track in rec.tracks.items():
        href = Path(os.path.relpath(track.wav.path.resolve(), base)).as_posix()
        what = (
            "what was played (after jitter buffer, concealment and DSP)"
            if name == "processed"
            else "the audio as received"
        )
        channels = "stereo: agent left, customer right" if track.channels == 2 else "mono"
        rows.append(
            f"<tr><td><a href='{escape(href)}'>{escape(track.wav.path.name)}</a></td>"
            f"<td>{escape(what)}</td><td class='num'>{charts.clock(track.wav.duration_s)}</td>"
            f"<td>{track.rate_hz} Hz, {channels}</td></tr>"
        )
    return "<h2>Recordings</h2><table>" + "".join(rows) + "</table>"


def _waveforms(rec: SessionRecording, axis: charts.Axis, marks: list[Mark]) -> str:
    out = []
    for name, track in rec.tracks.items():
        pyramid = EnvelopePyramid(track.wav.samples)
        frames = track.wav.frames
        centres = (np.arange(ENVELOPE_COLUMNS) + 0.5) * frames / ENVELOPE_COLUMNS
        times = track.time_map.to_session(centres / track.rate_hz)
        lanes = []
        for ch in range(track.channels):
            mins, maxs = pyramid.envelope(0, frames, ENVELOPE_COLUMNS, ch)
            label = PARTIES[ch] if track.channels == 2 and ch < 2 else name
            lanes.append((label, times, mins.astype(float), maxs.astype(float)))
        title = f"{track.wav.path.name} waveform"
        out.append(
            f"<figure>{charts.envelope_svg(lanes, axis, marks, label=title)}"
            f"<figcaption>{escape(title)} (min/max per column; bands: outages, holds, "
            "stalls, degraded)</figcaption></figure>"
        )
    return "".join(out)


def _spectrogram(rec: SessionRecording, axis: charts.Axis) -> str:
    track = rec.track("processed") or next(iter(rec.tracks.values()))
    if track.wav.frames < 256:
        return ""
    spec = track_spectrogram(track, track.start_s, track.end_s, SPECTROGRAM_COLUMNS)
    if spec.shape[0] == 0:
        return ""
    rgb = colour_map(spec.db.T[::-1], lo=-90.0, hi=-10.0)
    png = encode_png(np.ascontiguousarray(rgb))
    top_hz = float(spec.freqs_hz[-1])
    svg = charts.image_svg(
        png, axis, track.start_s, track.end_s, height=150, top_hz=top_hz, label="spectrogram"
    )
    return (
        f"<figure>{svg}<figcaption>Spectrogram of {escape(track.wav.path.name)}, "
        f"0–{top_hz / 1000:g} kHz, −90…−10 dBFS</figcaption></figure>"
    )


def _metric_charts(
    rec: SessionRecording, axis: charts.Axis, marks: list[Mark], q: CallQuality | None
) -> str:
    table = rec.metrics
    if table.rows == 0:
        return "<p class='muted'>No metrics were recorded.</p>"
    t = table.elapsed_s
    mid = (row_starts(t) + t) / 2
    specs = [
        ("Bitrate (kbps)", [("bitrate", "#38bdf8", "bitrate_kbps")]),
        ("Jitter (ms)", [("jitter", "#f59e0b", "jitter_ms")]),
        ("Latency (ms)", [("latency", "#22c55e", "avg_latency_ms")]),
        (
            "Jitter buffer (ms)",
            [("depth", "#14b8a6", "buffer_depth_ms"), ("target", "#64748b", "buffer_target_ms")],
        ),
    ]
    out = ["<h3>Network and quality, per second</h3>"]
    holds = [(m.start_s, m.end_s) for m in marks if m.kind == "hold"]
    counts = frame_counts(rec, holds)
    colours = {"lost": "#ef4444", "concealed": "#fb923c"}
    loss_series = [(name, colours[name], mid, c) for name, c in counts.items()]
    if loss_series:
        out.append(
            charts.line_chart_svg("Frames per second (holds left out)", loss_series, axis, marks)
        )
    for title, cols in specs:
        series = [(n, c, t, table.column(col)) for n, c, col in cols if table.has(col)]
        if series:
            out.append(charts.line_chart_svg(title, series, axis, marks))
    if q is not None:
        out.append(
            charts.line_chart_svg("E-model R", [("R", "#7c3aed", mid, q.r)], axis, marks, y_max=100)
        )
        out.append(
            charts.line_chart_svg(
                "Estimated MOS",
                [("MOS", "#db2777", mid, q.mos)],
                axis,
                marks,
                y_min=1,
                y_max=4.5,
                ticks=(1, 2, 3, 4),
            )
        )
    return "".join(f"<figure>{c}</figure>" if c.startswith("<svg") else c for c in out)
