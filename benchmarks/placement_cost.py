"""What a loss concealed away from its slot costs in PESQ, by how far away it is concealed.

With no sequence numbers on the wire, a playout buffer that cannot tell where a
loss fell conceals it at another boundary: the frames in between play a slot
off (later when the gap was guessed early, earlier when late), with a jump at
each end. This renders each call offline with exactly its lost frames (5 %, as
`quality.py`'s 100 ms per-frame model loses them) through the buffer's own
concealer, bridged into the frames after each gap as the buffer does: all in
their slots; zeroed in their slots; left out (the frames joined); and a share
of them joined where they fell and concealed instead k frames later, k drawn
from 1..K (1: the frame after the loss plays in its slot, the gap after it).
PESQ of each against the source says what a misplacement costs, and that the
cost grows with the distance (5 Dec, stop 35, training seeds, 40 % misplaced:
one frame off takes a third of what concealment gains over zeroing, 1-10
frames off nine tenths, 1-30 frames off all of it).

    .venv/bin/python benchmarks/placement_cost.py [--seeds 1-10] [--share 0.4]
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

from playout_offline import N, Plan, plc_oracle, render_plan, schedule, zero_oracle
from quality import MODELS, load_sources, mos, seeds_from

#: How far (frames) a misplaced loss may be concealed after its slot, per row.
REACHES = (1, 3, 10, 30)
LOSS = 0.05
MODEL = "per-frame 100ms"


def joined(count: int, lost: set[int]) -> Plan:
    return [i for i in range(count) if i not in lost]


def misplaced(count: int, lost: set[int], share: float, reach: int, seed: int) -> Plan:
    """`share` of the losses joined where they fell and concealed after 1..`reach` more frames."""
    rng = np.random.default_rng(seed)
    moved: dict[int, int] = {}  # frame index → concealed slots inserted before it
    kept_in_place = set(lost)
    for loss in sorted(lost):
        if rng.random() < share:
            kept_in_place.discard(loss)
            # Concealed after k more frames, which play a slot early.
            at = min(count - 1, loss + 1 + int(rng.integers(1, reach + 1)))
            moved[at] = moved.get(at, 0) + 1
    plan: Plan = []
    for i in range(count):
        plan += [None] * moved.get(i, 0)
        if i in kept_in_place:
            plan.append(None)
        elif i not in lost:
            plan.append(i)
    return plan


def run_one(job: tuple[str, np.ndarray, int, float]) -> dict[str, Any]:
    """PESQ of every rendering of one call and seed."""
    name, source, seed, share = job
    model = next(m for m in MODELS if m.name == MODEL)
    lost = set(schedule(source, model.with_loss(LOSS), seed).lost)
    frames = source[: len(source) // N * N].reshape(-1, N)
    count = len(frames)
    scores = {
        "in place": mos(source, plc_oracle(source, sorted(lost))),
        "zeroed": mos(source, zero_oracle(source, sorted(lost))),
        "joined": mos(source, render_plan(frames, joined(count, lost))),
    }
    for reach in REACHES:
        plan = misplaced(count, lost, share, reach, seed)
        scores[f"{share:.0%} off by 1..{reach}"] = mos(source, render_plan(frames, plan))
    return {"source": name, "seed": seed, "lost": len(lost), "scores": scores}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-10", help="e.g. 1-10 (default) or 11-20")
    parser.add_argument("--share", type=float, default=0.4, help="of the losses misplaced")
    parser.add_argument("--seconds", type=float, default=30.0, help="audio per source")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        sources = load_sources(["demo", "second"], args.seconds, Path(tmp))
    seeds = seeds_from(args.seeds)
    jobs = [(name, audio, seed, args.share) for name, audio in sources.items() for seed in seeds]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(run_one, jobs))
    table: dict[str, dict[str, float]] = {}
    for row in rows:
        for variant, score in row["scores"].items():
            table.setdefault(variant, {}).setdefault(row["source"], 0.0)
            table[variant][row["source"]] += score / len(seeds)
    print(f"{'5 % of frames lost, concealed':<34}{'demo':>8}{'second':>8}")
    for variant, by_source in table.items():
        print(f"{variant:<34}" + "".join(f"{by_source[s]:>8.2f}" for s in sources))
    summary = {
        "seeds": seeds,
        "share": args.share,
        "pesq": {v: {s: round(x, 3) for s, x in by.items()} for v, by in table.items()},
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
