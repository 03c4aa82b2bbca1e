"""The README's playout quality matrix, as Markdown, from `quality.py`'s JSON line.

    .venv/bin/python benchmarks/quality.py --jobs 2 | tail -n 1 | \
        .venv/bin/python benchmarks/quality_table.py

One table per playout mode, a row per network model and loss rate, each figure
as "demo call / second call" (the two sources are not averaged: a voice the
buffer does well on must not hide one it does badly on).
"""

from __future__ import annotations

import json
import sys
from typing import Any

SOURCES = ("demo", "second")
MODE_TITLES = {
    "low-delay": "Low delay (the default: target ≤ 120 ms, more where a sender's messages need it)",
    "quality": "Best quality (200 ms look-ahead, target ≤ 400 ms)",
}


def pair(cells: list[dict[str, Any]], key: str, form: str) -> str:
    values = [cell.get(key) for cell in cells]
    if any(value is None for value in values):
        return ""
    return " / ".join(form.format(value) for value in values)


#: The issue's targets, as the table names them.
TARGET_NAMES = {
    "oracle+0.3": "Δ ≥ 0.3",
    ">=3.0": "≥ 3.0",
    "<=1 change/5s": "≤ 1 change / 5 s",
    "clean>=4.3": "≥ 4.3",
    "p95<=60ms": "p95 ≤ 60 ms",
    "spike back <=10s": "back ≤ 10 s",
}


def targets(cells: list[dict[str, Any]]) -> str:
    """Each target that applies: plain when met, bold with who missed it when not."""
    names: list[str] = []
    for cell in cells:
        names += [name for name in cell["targets"] if name not in names]
    if not names:
        return "reported"
    parts = []
    for name in names:
        label = TARGET_NAMES.get(name, name)
        who = [
            source
            for source, cell in zip(SOURCES, cells, strict=False)
            if cell["targets"].get(name) is False
        ]
        if not who:
            parts.append(label)
        else:
            parts.append(
                f"**{label} missed" + ("**" if len(who) == len(cells) else f" ({', '.join(who)})**")
            )
    return ", ".join(parts)


def table(mode: str, cells: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        f"**{MODE_TITLES.get(mode, mode)}**",
        "",
        "| network | loss | PESQ ours | zero-fill oracle | Δ | true-slot PLC | placed % "
        "| delay p50–p95 ms | changes / min | targets |",
        "| --- | ---: | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key, cell in cells.items():
        name, rest = key.split(" @ ")
        loss, source = rest.split(" / ")
        if source in SOURCES:
            rows.setdefault((name, loss), []).append(cell)
    for (name, loss), pairs in rows.items():
        delta = " / ".join(f"{c['ours'] - c['oracle']:+.2f}" for c in pairs)
        delays = " / ".join(
            f"{c['delay_p50_ms']:.0f}–{c['delay_p95_ms']:.0f}"
            if c["delay_p50_ms"] is not None
            else ""
            for c in pairs
        )
        lines.append(
            f"| {name} | {loss} | {pair(pairs, 'ours', '{:.2f}')} "
            f"| {pair(pairs, 'oracle', '{:.2f}')} | {delta if loss != '0%' else ''} "
            f"| {pair(pairs, 'plc', '{:.2f}')} | {pair(pairs, 'placed_percent', '{:.0f}')} "
            f"| {delays} | {pair(pairs, 'changes_per_min', '{:.1f}')} | {targets(pairs)} |"
        )
    return lines


def main() -> int:
    text = sys.stdin.read().strip().splitlines()
    if not text:
        raise SystemExit("give quality.py's last line (its JSON) on stdin")
    data = json.loads(text[-1])
    seeds = data["seeds"]
    print(
        f"Seeds {seeds[0]}–{seeds[-1]}, {data['seconds']:g} s of each call, PESQ P.862 NB "
        "(mean over seeds); each figure demo call / second call."
    )
    if data.get("waveform_oracle"):
        strength = data.get("oracle_strength")
        sure = f", ±{strength:g} log-odds" if strength else ""
        scope = data["waveform_oracle"]
        how = "nudged toward" if data.get("oracle_nudge") else "replaced by"
        print(f"DIAGNOSTIC run: waveform clue {how} the truth ({scope}{sure}).")
    for mode, cells in data["cells"].items():
        print()
        print("\n".join(table(mode, cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
