"""What the relay's in-place concealment buys listeners when a platform loses stamped audio.

Twilio stamps each 20 ms media message with its media time, so when one is lost
upstream the relay knows exactly where. Each source (the demo call and the
espeak-ng second call, 30 s) is pushed through the relay's `PerspectiveAligner`
as Twilio's messages would be (stamped writes, a release after each), with a share
of messages lost at random (seeded; held-out seeds 11-20 by default), and scored
with PESQ P.862 NB against the source:

- ``relay``: what listeners get now (each hole concealed in its slot, bridged
  into the audio after it);
- ``silence``: the hole left as zeros (the relay before, and any server that
  only lines audio up by its timestamps).

Offline and pure (no sockets, no clock), so the figures do not depend on the
machine. Prints one line per source and loss, then a JSON object as the last line.

    .venv/bin/python benchmarks/relay_concealment.py [--seeds 11-20] [--loss 0.05 0.1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import DEMO, RATE, make_second_call, mos, read_wav, seeds_from

from cxone_desktop.core.perspective_aligner import FRAME_SAMPLES as F
from cxone_desktop.core.perspective_aligner import PerspectiveAligner


def through_relay(source: np.ndarray, lost: set[int]) -> np.ndarray:
    """`source` as the relay releases it when the stamped messages in `lost` never came."""
    aligner = PerspectiveAligner(wait_s=0.1)
    out = np.zeros_like(source)
    for k in range(len(source) // F):
        if k not in lost:
            aligner.write("customer", source[k * F : (k + 1) * F], now=k * 0.02, at=k * F)
        chunk = aligner.pop_ready(k * 0.02)
        if chunk is not None:
            samples = chunk.samples["customer"]
            out[chunk.position : chunk.position + samples.size] = samples
    rest = aligner.flush()
    if rest is not None:
        samples = rest.samples["customer"]
        out[rest.position : rest.position + samples.size] = samples
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="11-20", help="e.g. 11-20 (default, held out)")
    parser.add_argument("--loss", type=float, nargs="*", default=[0.05, 0.1])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    seeds = seeds_from(args.seeds)
    n = round(args.seconds * RATE) // F * F
    with tempfile.TemporaryDirectory(prefix="relay-plc-") as tmp:
        sources = {"demo": read_wav(DEMO)[:n], "second": make_second_call(Path(tmp))[:n]}
    cells = []
    for loss in args.loss:
        for name, source in sources.items():
            relay, silence = [], []
            for seed in seeds:
                rng = np.random.default_rng(seed)
                lost = {k for k in range(1, len(source) // F) if rng.random() < loss}
                filled = through_relay(source, lost)
                zeroed = source.copy()
                for k in lost:
                    zeroed[k * F : (k + 1) * F] = 0
                relay.append(mos(source, filled))
                silence.append(mos(source, zeroed))
            cell = {
                "source": name,
                "loss": loss,
                "relay": round(float(np.mean(relay)), 3),
                "silence": round(float(np.mean(silence)), 3),
            }
            cells.append(cell)
            print(
                f"{name:7s} loss {loss:.0%}: relay {cell['relay']:.2f}, "
                f"silence {cell['silence']:.2f}",
                flush=True,
            )
    print(json.dumps({"benchmark": "relay_concealment", "seeds": args.seeds, "cells": cells}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
