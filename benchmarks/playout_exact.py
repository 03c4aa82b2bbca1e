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
as it then was (9c3a1b4), and re-recorded for the band that widens with the scatter;
all re-recorded for the concealer's 5 ms match (4 Dec: what fills a gap, and the tail
concealed after a call's last frame, changed; no decision did); and the five where frames
come held up behind slower ones (40 ms jitter / quality, 100 ms jitter + loss, spikes)
re-recorded when a held-up frame became a bound on its delay (4 Dec, 754e8bb); the twelve
where the waveform's evidence is weighed (loss with jitter, batching, random sizes) when
that evidence became the gap model's (4 Dec, 7e8ee78); the ten where losses are found
with the waveform's help (loss with jitter, batching with loss, random sizes, stereo
batching) when hindsight kept that evidence at the gaps played (2bbe946) and the gap model
learned telephone tones (86eba5a); 100 ms jitter + loss under low delay when the target
without look-ahead kept a tenth of the scatter in hand (its first seconds, before three
losses are seen); the five where the gap model's evidence passed 5, or a stall's backlog
showed itself late in its bunch (100 ms jitter + loss in both modes, batching + loss and
random sizes under low delay, spikes / quality) when the model's gaps were capped at 12
and a bunch's earlier frames marked as backlog too (80233fe, 59dcbcf); Gilbert–Elliott
loss under low delay when a run of losses read past a slot with nothing queued was
concealed a slot at a time (34c5e8e); and the fourteen where a gap is bridged when
bridges of up to 40 ms were averaged with an AR interpolation (5 Dec, stop 37: what fills
a gap changed; with the output left out of the hash, all 32 came out equal, so no
decision did).
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
    "clean / low-delay": "b671f1174e248b697f439750f9e040e2",
    "clean / quality": "478106b1b6b3dfa7827cf89036370199",
    "jitter 2ms / low-delay": "53c492045e07098ba67a0ffbf52a0a7d",
    "jitter 2ms / quality": "46468523720624fef737e8faf5db5d4a",
    "jitter 20ms / low-delay": "0fc0f71ce7482a66e0291c08310fc9bc",
    "jitter 20ms / quality": "5dd140d0b0b2094f1ceb89d6c9b3c660",
    "jitter 40ms / low-delay": "ea1dd834223d3dd65509ccfa2b90d941",
    "jitter 40ms / quality": "ae57d570627e3b3e3a33a03ee1533442",
    "loss 5% jitter 20ms / low-delay": "2d4a169a151e6c02bf1269771e8a5f1a",
    "loss 5% jitter 20ms / quality": "071915119c69548a95f21355e187c702",
    "loss 5% jitter 100ms / low-delay": "8920d8a40590d6716c50b6aac3de42ae",
    "loss 5% jitter 100ms / quality": "b8782954d721854113767961fce9d1c3",
    "gilbert 5% jitter 20ms / low-delay": "31c0c528ff7bcd549ce539a6fada125f",
    "gilbert 5% jitter 20ms / quality": "d5979375e71d301e51160890a1d28b32",
    "batching 3 jitter 40ms / low-delay": "84ef1d4b1f1dfde6c7bc24e9f3d3c732",
    "batching 3 jitter 40ms / quality": "ff6af25db6c3b74a0c5deb22ffec003c",
    "batching 3 jitter 40ms loss 5% / low-delay": "a1da4bc9ff11e7dbbfdcbf8b778719b9",
    "batching 3 jitter 40ms loss 5% / quality": "91853f36d1667e00ff2b94e7c8aa908a",
    "spikes jitter 10ms / low-delay": "1130195eeb912a5333f409913a0cfcd8",
    "spikes jitter 10ms / quality": "7b22f66ab9be96fe9507b1b36b513d91",
    "drift +0.1% jitter 20ms / low-delay": "34cb1ba54b2bb081c1af9958067ea660",
    "drift +0.1% jitter 20ms / quality": "fde0badc4fa03d10894151153911a9e8",
    "drift -0.1% jitter 20ms / low-delay": "acaaa898e97531648104c7f14b19b638",
    "drift -0.1% jitter 20ms / quality": "e12bb3b6e5e913968eb01bfc45e44298",
    "large frames 100-200ms / low-delay": "b3eda0d0dda8d52b7cf1ad6ac9ddc81b",
    "large frames 100-200ms / quality": "60e8d94ff0b1a95c3b77fc824f174af1",
    "random sizes jitter 20ms loss 2% / low-delay": "dbb7be6087a92aa4080425fa9243e745",
    "random sizes jitter 20ms loss 2% / quality": "81c6ff90cdaa6bd36d737d1089e3a035",
    "stereo clean / low-delay": "4785dea38203038a872956fcc6bd658d",
    "stereo clean / quality": "0e9c010239e2a12cca308169dea86c42",
    "stereo batching 3 jitter 20ms loss 5% / low-delay": "503b3fbebde4038db1617b375bc5dec5",
    "stereo batching 3 jitter 20ms loss 5% / quality": "c57c141223732b959fbaed335aa14182",
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
