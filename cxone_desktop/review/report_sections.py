"""The report's tables: facts, figures, quality, history, notes and evaluations (HTML text).

Every value that comes from a file is escaped; numbers are formatted here so the
page reads the same whatever wrote the folder.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import numpy as np

from cxone_desktop.review.annotations import Annotation
from cxone_desktop.review.call_quality import CallQuality
from cxone_desktop.review.evaluation import Evaluation
from cxone_desktop.review.report_charts import clock
from cxone_desktop.review.session_reader import SessionRecording
from cxone_desktop.review.timeline import Mark

SEED_KEYS = (
    ("total_packets", "total packets", "{:,.0f}"),
    ("dropped_packets", "dropped packets", "{:,.0f}"),
    ("total_bytes", "total bytes", "{:,.0f}"),
    ("avg_latency_ms", "average latency (ms)", "{:.1f}"),
    ("effective_bitrate", "effective bitrate (kbps)", "{:.1f}"),
)


def _fmt(value: Any, pattern: str = "{}") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        return escape(pattern.format(value))
    except (ValueError, TypeError):
        return escape(str(value))


def _table(rows: Iterable[Sequence[str]], head: Sequence[str] | None = None) -> str:
    out = ["<table>"]
    if head:
        out.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def facts_html(rec: SessionRecording, settings: dict[str, Any], marks: Sequence[Mark]) -> str:
    s = rec.summary
    outages = [m for m in marks if m.kind == "outage"]
    holds = [m for m in marks if m.kind == "hold"]
    rows = [
        ("Call ID", escape(rec.call_id)),
        ("Started (UTC)", _fmt(rec.started_utc)),
        ("Duration", f"{clock(rec.duration_s)} ({rec.duration_s:.1f} s)"),
        ("Outcome", _fmt(s.get("outcome"))),
        ("Finished cleanly", _fmt(s.get("finished_cleanly"))),
        ("Reconnects", _fmt(rec.reconnects)),
        ("Outages", f"{len(outages)} ({sum(m.end_s - m.start_s for m in outages):.1f} s)"),
        ("Holds", f"{len(holds)} ({sum(m.end_s - m.start_s for m in holds):.1f} s)"),
        ("App version", _fmt(s.get("app_version"))),
    ]
    setting_rows = [(escape(k), _fmt(v)) for k, v in sorted(settings.items())]
    return (
        "<h2>The call</h2><div class='cols'><div>"
        + _table(rows)
        + "</div><div><b>Settings</b>"
        + _table(setting_rows)
        + "</div></div>"
    )


def quality_html(q: CallQuality | None, live_estimate: Any) -> str:
    if q is None:
        return "<h2>Quality score</h2><p class='muted'>No metrics to score the call from.</p>"
    c = q.call
    live = (
        f"<div>The live session's own estimate (summary.json): MOS {_fmt(live_estimate, '{:.2f}')}"
        "</div>"
        if isinstance(live_estimate, int | float) and not isinstance(live_estimate, bool)
        else ""
    )
    return (
        "<h2>Quality score</h2>"
        f"<div><span class='score'>MOS {c.mos:.2f}</span><span class='score'>R {c.r:.1f}</span>"
        f"<span class='muted'>worst second MOS {_fmt(q.worst_mos, '{:.2f}')}</span></div>"
        f"<div>From {c.loss_pct:.2f} % of frames not heard as sent, burst ratio "
        f"{c.burst_ratio:.2f}, one-way delay we can see {c.one_way_delay_ms:.0f} ms "
        f"(Ie,eff {c.ie_eff:.1f}, Id {c.delay_impairment:.1f}), over "
        f"{q.scored_seconds:.0f} s of the call (holds left out).</div>"
        f"<div class='muted'>Mapping: {escape(q.label)}.</div>{live}"
    )


def figures_html(rec: SessionRecording, q: CallQuality | None) -> str:
    s = rec.summary
    raw_metrics = s.get("metrics")
    metrics: dict[str, Any] = raw_metrics if isinstance(raw_metrics, dict) else {}
    seed = [(escape(label), _fmt(s.get(key), pat)) for key, label, pat in SEED_KEYS]
    table = rec.metrics

    def last(key: str) -> Any:
        """The summary's final figure, else metrics.csv's last row."""
        if key in metrics:
            return metrics[key]
        col = table.column(key)
        col = col[np.isfinite(col)]
        return float(col[-1]) if col.size else None

    ours = [
        ("duration (s)", _fmt(rec.duration_s, "{:.1f}")),
        ("frames received", _fmt(last("frames"), "{:,.0f}")),
        ("lost frames", _fmt(last("lost_frames"), "{:,.0f}")),
        ("concealed frames (holds included)", _fmt(last("concealed_frames"), "{:,.0f}")),
        ("late frames", _fmt(last("late_frames"), "{:,.0f}")),
        ("RFC 3550 jitter at the end (ms)", _fmt(last("jitter_ms"), "{:.1f}")),
        ("reconnects", _fmt(rec.reconnects)),
        ("E-model MOS", _fmt(q.call.mos if q else None, "{:.2f}")),
    ]
    return (
        "<h2>Figures</h2><div class='cols'><div><b>The seed's figures</b>"
        + _table(seed)
        + "</div><div><b>Ours</b>"
        + _table([(escape(a), b) for a, b in ours])
        + "</div></div>"
    )


def history_html(rec: SessionRecording, marks: Sequence[Mark]) -> str:
    rows = []
    for h in rec.state_history:
        t = h.get("elapsed_s")
        rows.append(
            (
                _fmt(t, "{:.2f} s") if isinstance(t, int | float) else "–",
                _fmt(h.get("state")),
                _fmt(h.get("reason")),
            )
        )
    errors = [m for m in marks if m.kind == "error"]
    err_rows = [(f"{m.start_s:.2f} s", escape(m.label)) for m in errors]
    return (
        "<h2>State history</h2>"
        + (_table(rows, ("at", "state", "why")) if rows else "<p class='muted'>None recorded.</p>")
        + ("<h3>Errors</h3>" + _table(err_rows, ("at", "error")) if err_rows else "")
    )


def annotations_html(notes: Sequence[Annotation]) -> str:
    if not notes:
        return "<h2>Notes</h2><p class='muted'>No notes on this call.</p>"
    rows = [
        (
            clock(n.start_s) + (f"–{clock(n.end_s)}" if n.is_span else ""),
            _fmt(n.category),
            _fmt(n.text),
            _fmt(n.author),
        )
        for n in notes
    ]
    return "<h2>Notes</h2>" + _table(rows, ("at", "category", "note", "by"))


def evaluations_html(evaluations: Sequence[Evaluation]) -> str:
    if not evaluations:
        return "<h2>Evaluations</h2><p class='muted'>No evaluations of this call yet.</p>"
    out = ["<h2>Evaluations</h2>"]
    for ev in evaluations:
        out.append(_evaluation_html(ev))
    by_form: dict[str, list[Evaluation]] = defaultdict(list)
    for ev in evaluations:
        by_form[ev.form.id].append(ev)
    for group in by_form.values():
        if len(group) >= 2:
            out.append(_calibration_html(group))
    return "".join(out)


def _percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f} %"


def _evaluation_html(ev: Evaluation) -> str:
    s = ev.score()
    verdict = (
        "<span class='fail'>FAILED (fatal question)</span>"
        if s.form_failed
        else f"<b>{_percent(s.percent)}</b>"
    )
    sections = [
        (
            escape(x.title),
            _fmt(x.weight, "{:g}"),
            f"{x.points:g} / {x.max_points:g}",
            _percent(x.percent) + (" <span class='fail'>failed</span>" if x.failed else ""),
            f"{x.not_applicable} N/A, {x.unanswered} open"
            if x.not_applicable or x.unanswered
            else "",
        )
        for x in s.sections
    ]
    answers = []
    for sec in ev.form.sections:
        for q in sec.questions:
            a = ev.answers.get(q.id)
            if a is None:
                continue
            given = "N/A" if a.points is None else f"{a.points:g} / {q.points:g}"
            fatal = " <span class='fail'>fatal</span>" if q.id in s.failed_questions else ""
            at = clock(a.time_s) if a.time_s is not None else ""
            answers.append((escape(q.text), given + fatal, at, escape(a.comment)))
    return (
        f"<h3>{escape(ev.form.title)} — {escape(ev.analyst)} "
        f"<span class='muted'>({escape(_saved_when(ev))})</span></h3>"
        f"<div>Score {verdict}{'' if s.complete else ' (not every question answered)'}</div>"
        + _table(sections, ("section", "weight", "points", "score", ""))
        + (_table(answers, ("question", "answer", "at", "comment")) if answers else "")
        + (f"<p>{escape(ev.summary_comment)}</p>" if ev.summary_comment else "")
    )


def _saved_when(ev: Evaluation) -> str:
    """ "saved 2026-11-24 10:12 UTC", and when it was first saved if it was edited since."""
    last = _minute(ev.updated_utc or ev.created_utc)
    first = _minute(ev.created_utc)
    return f"saved {last}" + (f", first saved {first}" if first and first != last else "")


def _minute(iso: str) -> str:
    return f"{iso[:10]} {iso[11:16]} UTC" if len(iso) >= 16 else iso


def _calibration_html(group: Sequence[Evaluation]) -> str:
    head = ["question", *(ev.analyst for ev in group), "agree"]
    rows = []
    agree = both = 0
    for sec in group[0].form.sections:
        for q in sec.questions:
            given = []
            for ev in group:
                a = ev.answers.get(q.id)
                given.append("" if a is None else "N/A" if a.points is None else f"{a.points:g}")
            same = len(set(given)) == 1 and given[0] != ""
            if all(g != "" for g in given):
                both += 1
                agree += same
            rows.append(
                (escape(q.text), *map(escape, given), "<span class='ok'>✓</span>" if same else "")
            )
    totals = ["<b>score</b>", *(_percent(ev.score().percent) for ev in group), ""]
    rows.append(tuple(totals))
    share = f"{100 * agree / both:.0f} %" if both else "–"
    return (
        f"<h3>Calibration: {escape(group[0].form.title)} ({len(group)} analysts, "
        f"agreement {share})</h3>" + _table(rows, head)
    )
