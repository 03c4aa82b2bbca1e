"""Inline SVG charts for the HTML report, all on one session-time axis.

Every chart is `WIDTH` wide with the same margins, so the waveform, the
spectrogram, the marks and the metrics line up one above the other. Values are
plain numbers in the SVG (no scripts); NaN breaks a line.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt

from cxone_desktop.review.timeline import MARK_STYLES, Mark

WIDTH = 1100
LEFT = 112
RIGHT = 12
PLOT_W = WIDTH - LEFT - RIGHT
#: Kinds drawn as background bands on every chart; the rest sit in the marks lane only.
BAND_KINDS = ("outage", "hold", "stall", "degraded")

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Axis:
    """Session seconds [t0, t1] onto x pixels [LEFT, LEFT + PLOT_W]."""

    t0: float
    t1: float

    def x(self, t: npt.ArrayLike) -> Floats:
        span = max(self.t1 - self.t0, 1e-9)
        return LEFT + (np.asarray(t, dtype=np.float64) - self.t0) / span * PLOT_W


def clock(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) for tick labels and tables."""
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    if raw <= 0:
        return 1.0
    exp = 10.0 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if mult * exp >= raw:
            return float(mult * exp)
    return float(10 * exp)


def _open(height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(label)}" '
        'font-family="sans-serif" font-size="11">'
    )


def _time_axis(axis: Axis, y: float, top: float) -> str:
    step = nice_step(axis.t1 - axis.t0, 10)
    if step < 1.0:
        step = 1.0
    out = []
    t = math.ceil(axis.t0 / step) * step
    while t <= axis.t1 + 1e-9:
        x = float(axis.x(t))
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{y}" stroke="#e5e7eb"/>'
            f'<text x="{x:.1f}" y="{y + 13}" text-anchor="middle" fill="#475569">'
            f"{clock(t)}</text>"
        )
        t += step
    return "".join(out)


def _bands(marks: Sequence[Mark], axis: Axis, top: float, bottom: float) -> str:
    out = []
    for m in marks:
        if m.kind not in BAND_KINDS or not m.is_span:
            continue
        x0, x1 = (float(v) for v in axis.x([m.start_s, m.end_s]))
        colour = MARK_STYLES[m.kind][1]
        out.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1.0):.1f}" '
            f'height="{bottom - top}" fill="{colour}" fill-opacity="0.14">'
            f"<title>{escape(m.label)}</title></rect>"
        )
    return "".join(out)


def envelope_svg(
    lanes: Sequence[tuple[str, Floats, Floats, Floats]],
    axis: Axis,
    marks: Sequence[Mark],
    *,
    lane_h: int = 80,
    label: str = "waveform",
) -> str:
    """One lane per (name, column times, mins, maxs); samples scaled to ±32768."""
    height = lane_h * len(lanes) + 22
    out = [_open(height, label)]
    bottom = lane_h * len(lanes)
    out.append(_bands(marks, axis, 0, bottom))
    out.append(_time_axis(axis, bottom, 0))
    for i, (name, times, mins, maxs) in enumerate(lanes):
        mid = i * lane_h + lane_h / 2
        half = lane_h / 2 - 4
        xs = axis.x(times)
        ok = np.isfinite(mins) & np.isfinite(maxs)
        y_top = mid - np.clip(maxs[ok], -32768, 32767) / 32768.0 * half
        y_bot = mid - np.clip(mins[ok], -32768, 32767) / 32768.0 * half
        y_bot = np.maximum(y_bot, y_top + 0.6)  # silence still shows as a hairline
        path = "".join(
            f"M{x:.1f} {a:.1f}V{b:.1f}" for x, a, b in zip(xs[ok], y_top, y_bot, strict=True)
        )
        out.append(f'<path d="{path}" stroke="#0284c7" stroke-width="1" fill="none"/>')
        out.append(
            f'<text x="4" y="{mid + 4:.0f}" fill="#334155" font-weight="bold">'
            f"{escape(name)}</text>"
            f'<line x1="{LEFT}" y1="{mid}" x2="{WIDTH - RIGHT}" y2="{mid}" stroke="#cbd5e1"/>'
        )
    out.append("</svg>")
    return "".join(out)


def line_chart_svg(
    title: str,
    series: Sequence[tuple[str, str, Floats, Floats]],
    axis: Axis,
    marks: Sequence[Mark],
    *,
    height: int = 120,
    y_min: float = 0.0,
    y_max: float | None = None,
    ticks: Sequence[float] | None = None,
) -> str:
    """Lines of (name, colour, times, values) under a title naming each in its colour.

    `ticks` are the labelled values (default: the bottom, the middle and the top)."""
    top, bottom = 18, height - 18
    peak = max(
        (float(np.nanmax(v)) for _n, _c, _t, v in series if v.size and np.isfinite(v).any()),
        default=1.0,
    )
    hi = y_max if y_max is not None else max(nice_step(peak * 1.1, 1), 1e-9)
    lo = y_min
    out = [_open(height, title)]
    out.append(_bands(marks, axis, top, bottom))
    out.append(_time_axis(axis, bottom, top))
    for v in ticks if ticks is not None else (lo, (lo + hi) / 2, hi):
        y = bottom - (v - lo) / (hi - lo) * (bottom - top)
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#e5e7eb"/><text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="#475569">{v:g}</text>'
        )
    legend = []
    for name, colour, times, values in series:
        legend.append(f'<tspan fill="{colour}" font-weight="bold">{escape(name)}</tspan>')
        out.append(_polyline(axis.x(times), values, lo, hi, top, bottom, colour))
    out.append(
        f'<text x="{LEFT}" y="12" fill="#0f172a">{escape(title)}: {" · ".join(legend)}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def _polyline(
    xs: Floats, ys: Floats, lo: float, hi: float, top: float, bottom: float, colour: str
) -> str:
    ok = np.isfinite(ys)
    parts: list[str] = []
    pen_down = False
    for x, y, good in zip(xs, ys, ok, strict=True):
        if not good:
            pen_down = False
            continue
        py = bottom - (min(max(float(y), lo), hi) - lo) / max(hi - lo, 1e-9) * (bottom - top)
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f} {py:.1f}")
        pen_down = True
    return (
        f'<path d="{"".join(parts)}" stroke="{colour}" stroke-width="1.5" fill="none" '
        'stroke-linejoin="round"/>'
    )


def marks_lane_svg(marks: Sequence[Mark], axis: Axis) -> str:
    """One thin row per kind of mark present, with its name; spans as bars, points as ticks."""
    kinds = [k for k in MARK_STYLES if any(m.kind == k for m in marks)]
    row_h = 14
    height = row_h * max(1, len(kinds)) + 20
    out = [_open(height, "marks on the timeline")]
    out.append(_time_axis(axis, row_h * max(1, len(kinds)), 0))
    for i, kind in enumerate(kinds):
        name, colour = MARK_STYLES[kind]
        y = i * row_h
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 11}" text-anchor="end" fill="{colour}">'
            f"{escape(name)}</text>"
        )
        for m in marks:
            if m.kind != kind:
                continue
            x0, x1 = (float(v) for v in axis.x([m.start_s, m.end_s]))
            out.append(
                f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 2.0):.1f}" '
                f'height="{row_h - 4}" fill="{colour}"><title>{clock(m.start_s)} '
                f"{escape(m.label)}</title></rect>"
            )
    out.append("</svg>")
    return "".join(out)


def image_svg(
    png: bytes,
    axis: Axis,
    x0_s: float,
    x1_s: float,
    *,
    height: int,
    top_hz: float,
    label: str,
) -> str:
    """A PNG (e.g. a spectrogram) placed between x0_s and x1_s, with a kHz axis."""
    top = 8  # room for the top label's upper half
    bottom = top + height
    out = [_open(bottom + 20, label)]
    xa, xb = (float(v) for v in axis.x([x0_s, x1_s]))
    data = base64.b64encode(png).decode("ascii")
    out.append(
        f'<image x="{xa:.1f}" y="{top}" width="{max(xb - xa, 1.0):.1f}" height="{height}" '
        f'preserveAspectRatio="none" href="data:image/png;base64,{data}"/>'
    )
    for khz in range(0, int(top_hz // 1000) + 1):
        y = bottom - khz * 1000.0 / top_hz * height
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#475569">'
            f"{khz} kHz</text>"
        )
    out.append(_time_axis(axis, bottom, bottom))
    out.append("</svg>")
    return "".join(out)
