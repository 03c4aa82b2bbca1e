"""Does our E-model MOS estimate follow what a listener hears? Validated against PESQ.

For each network condition of `quality.py` (plus a few more loss levels), ONE real
call runs end to end (simulator on loopback → real `StreamSession` → session
folder). The review then reads that folder as an analyst would open it and
computes the call's E-model MOS (`review.call_quality`: loss, burstiness and
delay from metrics.csv and events.jsonl only). PESQ (P.862 narrowband) compares
the same call's processed.wav with the source. Reported: both per condition and
their Pearson and Spearman correlations across conditions.

    .venv/bin/python benchmarks/mos_validation.py [--seconds 15] [--only NAME ...]

Real time: about `seconds` per condition. Prints one line per condition, then a
JSON object as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_quality import CONDITIONS, RATE, SOURCE, Condition, mos, read_wav, run_session, write_wav

from cxone_desktop.review.call_quality import call_quality
from cxone_desktop.review.session_reader import open_session
from cxone_desktop.review.timeline import build_marks

EXTRA = (
    Condition("loss1", loss=0.01),
    Condition("loss2_jitter20", loss=0.02, jitter_ms=20),
    Condition("loss15", loss=0.15),
    Condition("bursts3", burst_loss=0.03, burst_frames=4),
    Condition("bursts_heavy", burst_loss=0.02, burst_frames=10, jitter_ms=20),
)


def ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    for v in np.unique(x):  # ties share their mean rank
        tie = x == v
        r[tie] = r[tie].mean()
    return r


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--offset", type=float, default=0.0)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = 160
    full = read_wav(SOURCE)
    start = round(args.offset * RATE) // n * n
    source = full[start : start + round(args.seconds * RATE) // n * n]
    conditions = [c for c in (*CONDITIONS, *EXTRA) if not args.only or c.name in args.only]
    rows: dict[str, dict[str, float]] = {}
    began = time.monotonic()
    print(f"{'condition':<18}{'PESQ':>6}{'E-MOS':>7}{'R':>7}{'loss%':>7}{'BurstR':>8}{'delay':>7}")
    with tempfile.TemporaryDirectory(prefix="mos-validation-") as tmp:
        audio = Path(tmp) / "source.wav"
        write_wav(audio, source)
        for cond in conditions:
            out = Path(tmp) / cond.name
            _trace, processed = asyncio.run(run_session(cond, audio, out))
            folder = next(p for p in out.iterdir() if p.is_dir())
            rec = open_session(folder)
            q = call_quality(rec, build_marks(rec))
            if q is None:
                print(f"{cond.name}: no metrics rows; skipped")
                continue
            row = {
                "pesq": mos(source, processed),
                "e_model_mos": round(q.call.mos, 3),
                "r": round(q.call.r, 2),
                "loss_pct": round(q.call.loss_pct, 2),
                "burst_ratio": round(q.call.burst_ratio, 2),
                "delay_ms": round(q.call.one_way_delay_ms, 1),
            }
            rows[cond.name] = row
            print(
                f"{cond.name:<18}{row['pesq']:>6.2f}{row['e_model_mos']:>7.2f}{row['r']:>7.1f}"
                f"{row['loss_pct']:>7.2f}{row['burst_ratio']:>8.2f}{row['delay_ms']:>7.0f}"
            )
    pesq = np.array([r["pesq"] for r in rows.values()])
    est = np.array([r["e_model_mos"] for r in rows.values()])
    pearson = float(np.corrcoef(pesq, est)[0, 1]) if len(rows) > 2 else float("nan")
    spearman = float(np.corrcoef(ranks(pesq), ranks(est))[0, 1]) if len(rows) > 2 else float("nan")
    print(
        f"Pearson r = {pearson:.3f}, Spearman ρ = {spearman:.3f} over {len(rows)} conditions; "
        f"took {time.monotonic() - began:.0f} s"
    )
    print(
        json.dumps(
            {
                "pearson": round(pearson, 3) if np.isfinite(pearson) else None,
                "spearman": round(spearman, 3) if np.isfinite(spearman) else None,
                "conditions": rows,
                "source_seconds": len(source) / RATE,
                "mapping": "E-model G.107 + G.113 App. I (G.711 PLC) + Annex B vs PESQ P.862 NB",
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
