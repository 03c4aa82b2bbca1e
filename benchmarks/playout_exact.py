"""Is the playout buffer's output still exactly what it was? Hashes against a recorded baseline.

Optimisations of the buffer (how it computes, not what) must leave every
decision alone. This drives it offline (`playout_offline.play_offline`: no
sockets, no real time) over networks that exercise each path — clean,
jitter, independent and Gilbert–Elliott loss, a batching sender, stalls,
drift, large frames, random message sizes, two channels — in both modes, and
hashes what it played, the delay and target at every pull, the waits and the
counters. `BASELINE` holds the hashes of the buffer as it was at commit
871f467 (issue 13's batching work merged; the CPU work before it matched
35c8d12's hashes), re-recorded for the stall change (spikes / quality and large
frames / low-delay changed) and again for the held-back sender's ceiling and evidence
and the delay kept while a network is learned (batching, large frames and random sizes
changed, in both modes), and for the waveform's weight inside a held-back message (random
sizes / quality); 100 ms jitter at 5 % loss was added later, recorded from the buffer
as it then was (9c3a1b4), and re-recorded for the band that widens with the scatter.
A change that alters any of them changed behaviour, which an optimisation must not.
A change of behaviour on purpose records new ones (`--record`) in its own commit.
Also prints the buffer's CPU time over all runs (one run, so a noisy machine moves it).

    .venv/bin/python benchmarks/playout_exact.py [--record] [--only NAME]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from playout_offline import Run, play_offline, schedule  # noqa: E402

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat  # noqa: E402
from cxone_desktop.simulator.config import Impairments  # noqa: E402

SECONDS = 30.0
SEED = 7
STEREO = AudioFormat(channels=2)


@dataclass(frozen=True)
class Case:
    name: str
    impairments: Impairments
    stereo: bool = False


CASES = (
    Case("clean", Impairments()),
    Case("jitter 2ms", Impairments(jitter_ms=2)),
    Case("jitter 20ms", Impairments(jitter_ms=20)),
    Case("jitter 40ms", Impairments(jitter_ms=40)),
    Case("loss 5% jitter 20ms", Impairments(jitter_ms=20, loss=0.05)),
    Case("loss 5% jitter 100ms", Impairments(jitter_ms=100, loss=0.05)),
    Case(
        "gilbert 5% jitter 20ms",
        Impairments(jitter_ms=20, ge_enter=0.05 / 3 / 0.95, ge_leave=1 / 3),
    ),
    Case("batching 3 jitter 40ms", Impairments(batch_frames=3, jitter_ms=40)),
    Case("batching 3 jitter 40ms loss 5%", Impairments(batch_frames=3, jitter_ms=40, loss=0.05)),
    Case("spikes jitter 10ms", Impairments(spike_every_s=12.0, jitter_ms=10)),
    Case("drift +0.1% jitter 20ms", Impairments(drift_ppm=1000, jitter_ms=20)),
    Case("drift -0.1% jitter 20ms", Impairments(drift_ppm=-1000, jitter_ms=20)),
    Case("large frames 100-200ms", Impairments(large_frames_ms=(100, 200))),
    Case(
        "random sizes jitter 20ms loss 2%", Impairments(fragment="random", jitter_ms=20, loss=0.02)
    ),
    Case("stereo clean", Impairments(), stereo=True),
    Case(
        "stereo batching 3 jitter 20ms loss 5%",
        Impairments(batch_frames=3, jitter_ms=20, loss=0.05),
        stereo=True,
    ),
)
MODES = ("low-delay", "quality")

#: Recorded with `--record` (see the module's docstring for which commits and changes).
BASELINE: dict[str, str] = {
    "clean / low-delay": "8d1a409e673f526fe5076ee4ab37af5c",
    "clean / quality": "478106b1b6b3dfa7827cf89036370199",
    "jitter 2ms / low-delay": "dd56b9a279f551932293555671cdd93b",
    "jitter 2ms / quality": "46468523720624fef737e8faf5db5d4a",
    "jitter 20ms / low-delay": "25c8392073a069bd5368d0a1a38b4db0",
    "jitter 20ms / quality": "5dd140d0b0b2094f1ceb89d6c9b3c660",
    "jitter 40ms / low-delay": "b1241011115a2220ade10609b9300ec5",
    "jitter 40ms / quality": "4e8b42c6090a4be77ae049afa1911795",
    "loss 5% jitter 20ms / low-delay": "62cbff518fbaa1654d899059fd0fb145",
    "loss 5% jitter 20ms / quality": "d06497512a67c62cc7e1a2457107d46b",
    "loss 5% jitter 100ms / low-delay": "81ed9c2eafa3f916f1f5cceae1b7576c",
    "loss 5% jitter 100ms / quality": "0fb24c29c49e30119f83eb0060f569b2",
    "gilbert 5% jitter 20ms / low-delay": "d2f7752713952f278b4b5557f5a3d84f",
    "gilbert 5% jitter 20ms / quality": "8772f985d40c9b83c98dd1278df25b3b",
    "batching 3 jitter 40ms / low-delay": "d2dea3d7bdaacd75ca9c0e4ca51f708a",
    "batching 3 jitter 40ms / quality": "888b268d3de7879f3d146129b9ab354e",
    "batching 3 jitter 40ms loss 5% / low-delay": "5915d191ae9445781b65a4d3e75d0566",
    "batching 3 jitter 40ms loss 5% / quality": "b19dc162c0022f0a89e73fb47be1e7c4",
    "spikes jitter 10ms / low-delay": "725dec498f47626718c7a2eb6caf7d3e",
    "spikes jitter 10ms / quality": "cd57c7fdfef1bec36a7390fdf65e5671",
    "drift +0.1% jitter 20ms / low-delay": "7ac832f44a3d6db706b8ae90c495cbb7",
    "drift +0.1% jitter 20ms / quality": "fde0badc4fa03d10894151153911a9e8",
    "drift -0.1% jitter 20ms / low-delay": "743f77c93923f8dff0482ed8a9f4e841",
    "drift -0.1% jitter 20ms / quality": "519a8c94c2356e5064bde4f18534a726",
    "large frames 100-200ms / low-delay": "fb473476aab756f5bea4aa425781147e",
    "large frames 100-200ms / quality": "0e49b5036b404cc5925e1e313f336e86",
    "random sizes jitter 20ms loss 2% / low-delay": "6971d9a939cc75fcec5bb1131cdcafc7",
    "random sizes jitter 20ms loss 2% / quality": "19287fbf157b091dba858e0ac2e2e2ca",
    "stereo clean / low-delay": "b77d5c18e15b52759eb7dc20b9284a7e",
    "stereo clean / quality": "0e9c010239e2a12cca308169dea86c42",
    "stereo batching 3 jitter 20ms loss 5% / low-delay": "bcb175ca61daf3da7c88ede2767d6c14",
    "stereo batching 3 jitter 20ms loss 5% / quality": "53cf36c2f3891ae6ae80996faa760625",
}


def _source(stereo: bool) -> np.ndarray:
    name = "demo-call-stereo.wav" if stereo else "demo-call.wav"
    with wave.open(str(ROOT / "resources" / name)) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    fmt = STEREO if stereo else DEFAULT_FORMAT
    samples = round(SECONDS * fmt.rate_hz) * fmt.channels
    return audio[:samples]


def digest(run: Run) -> str:
    """One hash over everything the run shows: output, delay trace, waits, counters."""
    h = hashlib.sha256()
    h.update(run.output.tobytes())
    h.update(np.asarray(run.delay_trace, dtype=np.float64).tobytes())
    h.update(np.asarray(run.waits_ms, dtype=np.float64).tobytes())
    h.update(repr((run.changes, run.concealed, run.late_dropped, len(run.output))).encode())
    return h.hexdigest()[:32]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="print the hashes as BASELINE")
    parser.add_argument("--only", help="run only cases whose name contains this")
    args = parser.parse_args()
    results: dict[str, str] = {}
    cpu_s = 0.0
    for case in CASES:
        if args.only and args.only not in case.name:
            continue
        fmt = STEREO if case.stereo else DEFAULT_FORMAT
        network = schedule(_source(case.stereo), case.impairments, SEED, fmt=fmt)
        for mode in MODES:
            key = f"{case.name} / {mode}"
            start = time.process_time()
            run = play_offline(network, mode=mode, fmt=fmt)
            cpu_s += time.process_time() - start
            results[key] = digest(run)
            expected = BASELINE.get(key)
            verdict = (
                "(no baseline)"
                if expected is None
                else ("same" if expected == results[key] else "DIFFERENT")
            )
            print(f"{key:50s} {results[key]} {verdict}", flush=True)
    if args.record:
        print("BASELINE = {")
        for key, value in results.items():
            print(f"    {json.dumps(key)}: {json.dumps(value)},")  # as ruff format writes it
        print("}")
    compared = [k for k in results if k in BASELINE]
    different = [k for k in compared if BASELINE[k] != results[k]]
    print(
        json.dumps(
            {
                "runs": len(results),
                "compared": len(compared),
                "different": different,
                "buffer_cpu_s": round(cpu_s, 2),
            }
        )
    )
    return 1 if different or len(compared) < len(results) else 0


if __name__ == "__main__":
    sys.exit(main())
