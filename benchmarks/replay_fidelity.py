"""How faithfully a saved arrival trace reproduces the call it was recorded on: PESQ of each.

A QA analyst hands support the `arrivals.csv` of a bad call; `simulate
--arrival-trace` replays that network over any audio. The trace holds only each
message's time and size, so the replay must read the call's losses back from the
timing (`core/trace_losses.py`). Here, per network model with 5 % loss, seed and
source: the call through the pure buffer offline (`playout_offline`), then the
trace of that call's messages replayed over the same source by the simulator's
own `ArrivalSchedule`, through the buffer again. A faithful replay scores what the
call scored: the figure is the mean difference (replay − call), and the mean of
its size, over held-out seeds (11-20) in low-delay mode.

    .venv/bin/python benchmarks/replay_fidelity.py [--seeds 11-20] [--jobs 2]

Prints a table, then a JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from playout_offline import play_offline, schedule
from quality import MODELS, load_sources, mos, seeds_from

from cxone_desktop.core.arrival_trace import ArrivalTrace
from cxone_desktop.simulator.config import Impairments

#: The lossy models whose traces are replayed (each at 5 % loss).
REPLAYED = (
    "batching 3fr 40ms",
    "per-frame 40ms",
    "per-frame 100ms",
    "large frames 100-200ms",
    "burst loss GE",
)
LOSS = 0.05


def run_one(job: tuple[str, np.ndarray, str, int]) -> dict[str, Any]:
    """One (source, model, seed): PESQ of the call and of its trace replayed."""
    source_name, source, model_name, seed = job
    model = next(m for m in MODELS if m.name == model_name)
    network = schedule(source, model.with_loss(LOSS), seed)
    call = play_offline(network).output
    trace = ArrivalTrace(
        tuple(m.send_s for m in network.messages), tuple(len(m.data) for m in network.messages)
    )
    replayed = schedule(source, Impairments(arrival_trace=trace), seed)
    replay = play_offline(replayed).output
    return {
        "source": source_name,
        "model": model_name,
        "seed": seed,
        "call": mos(source, call),
        "replay": mos(source, replay),
        "lost": len(network.lost),
        "replay_lost": len(replayed.lost),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="11-20", help="e.g. 11-20 (held out) or 1-10")
    parser.add_argument("--seconds", type=float, default=30.0, help="audio per source")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        sources = load_sources(["demo", "second"], args.seconds, Path(tmp))
    jobs = [
        (name, audio, model, seed)
        for model in REPLAYED
        for name, audio in sources.items()
        for seed in seeds_from(args.seeds)
    ]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(run_one, jobs))
    cells: dict[str, dict[str, Any]] = {}
    print(f"{'network (5 % loss) / source':40s}{'call':>7}{'replay':>8}{'Δ':>7}{'lost':>12}")
    for model in REPLAYED:
        for name in sources:
            mine = [r for r in rows if r["model"] == model and r["source"] == name]
            call = float(np.mean([r["call"] for r in mine]))
            replay = float(np.mean([r["replay"] for r in mine]))
            lost_call = np.mean([r["lost"] for r in mine])
            lost = f"{lost_call:.0f}/{np.mean([r['replay_lost'] for r in mine]):.0f}"
            key = f"{model} / {name}"
            cells[key] = {"call": round(call, 3), "replay": round(replay, 3)}
            print(f"{key:40s}{call:>7.2f}{replay:>8.2f}{replay - call:>+7.2f}{lost:>12}")
    gaps = [c["replay"] - c["call"] for c in cells.values()]
    summary = {
        "seeds": seeds_from(args.seeds),
        "seconds": args.seconds,
        "cells": cells,
        "mean_difference": round(float(np.mean(gaps)), 3),
        "mean_abs_difference": round(float(np.mean(np.abs(gaps))), 3),
        "seconds_taken": round(time.monotonic() - started, 1),
    }
    print(f"replay − call: mean {summary['mean_difference']:+.3f}, "
          f"mean size {summary['mean_abs_difference']:.3f}")  # fmt: skip
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
