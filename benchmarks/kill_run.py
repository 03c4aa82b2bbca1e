"""Kill run: `kill -9` a recording at random moments; every folder repairs, ≤ 1 s lost each time.

For each run a fresh CXone simulator (in this process, random fragmentation, audio on
a loop) streams to `cxone-desktop record` (its own process). Once `record` says it
is streaming, a random wait (0.2–4 s), then SIGKILL. The simulator's count of audio
bytes it had sent at that moment is the truth. Then the startup repair (the same code
`record` and the app run) must leave a whole folder: summary.json written with
`finished_cleanly: false`, `.recording` gone, both WAVs readable, metrics.csv and
events.jsonl ending in whole lines; and raw.wav must hold all but at most one second
of what was sent.

    .venv/bin/python benchmarks/kill_run.py [--runs 100] [--seed 1]

Prints one line per run, then a JSON object as the last line; exit 1 if any run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import wave
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cxone_desktop.session.repair import recover_interrupted
from cxone_desktop.simulator.config import Impairments, SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

CALL_ID = "kill-call"
AUDIO_BYTES_PER_S = 16_000
MAX_LOST_S = 1.0


async def wait_streaming(stderr: asyncio.StreamReader, timeout_s: float = 30.0) -> None:
    async def read() -> None:
        while True:
            line = await stderr.readline()
            if not line:
                raise RuntimeError("record exited before streaming")
            if b"[state] STREAMING" in line:
                return

    await asyncio.wait_for(read(), timeout_s)


def check_folder(folder: Path, sent: int) -> dict[str, Any]:
    problems = []
    summary = json.loads((folder / "summary.json").read_text())
    if summary.get("finished_cleanly") is not False:
        problems.append("summary does not say finished_cleanly false")
    if (folder / ".recording").exists():
        problems.append(".recording left behind")
    with wave.open(str(folder / "raw.wav")) as w:
        raw = w.getnframes() * w.getsampwidth()
    with wave.open(str(folder / "processed.wav")) as w:
        w.readframes(w.getnframes())
    for name in ("metrics.csv", "events.jsonl"):
        text = (folder / name).read_bytes()
        if text and not text.endswith(b"\n"):
            problems.append(f"{name} ends in a partial line")
    for line in (folder / "events.jsonl").read_text().splitlines():
        json.loads(line)
    lost_s = max(0, sent - raw) / AUDIO_BYTES_PER_S
    if lost_s > MAX_LOST_S:
        problems.append(f"lost {lost_s:.2f} s")
    return {"raw_bytes": raw, "sent_bytes": sent, "lost_s": round(lost_s, 3), "problems": problems}


async def one_run(index: int, rng: random.Random, work: Path) -> dict[str, Any]:
    impairments = Impairments(fragment="random", seed=index)
    sim = CXoneSimulator(SimulatorConfig(call_ids=(CALL_ID,), impairments=impairments, loop=True))
    await sim.start()
    out = work / f"run-{index:03d}"
    env = {**os.environ, "CXONE_CLIENT_SECRET": sim.config.client_secret}
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cxone_desktop", "record", "--base-url", sim.base_url,
            "--client-id", sim.config.client_id, "--call-id", CALL_ID, "--out", str(out),
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stderr is not None
        await wait_streaming(proc.stderr)
        drain = asyncio.create_task(proc.stderr.read())  # keep the pipe from filling
        wait_s = rng.uniform(0.2, 4.0)
        await asyncio.sleep(wait_s)
        sent = len(sim.sent_audio(CALL_ID))
        proc.kill()  # SIGKILL on POSIX: no handler runs, nothing is flushed
        await proc.wait()
        drain.cancel()
    finally:
        await sim.stop()
    repaired = recover_interrupted([out])
    folders = [p for p in out.iterdir() if p.is_dir()]
    result: dict[str, Any] = {"run": index, "killed_after_s": round(wait_s, 2)}
    if len(repaired) != 1 or len(folders) != 1:
        result["problems"] = [f"repaired {len(repaired)} of {len(folders)} folders"]
        return result
    result.update(check_folder(folders[0], sent))
    return result


async def kill_runs(runs: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="kill-run-"))
    results = []
    for i in range(runs):
        r = await one_run(i, rng, work)
        results.append(r)
        print(
            f"run {i:3d}: killed after {r['killed_after_s']} s, lost {r.get('lost_s')} s"
            + (f"  PROBLEMS {r['problems']}" if r.get("problems") else ""),
            flush=True,
        )
    lost = [r["lost_s"] for r in results if "lost_s" in r]
    failed = [r for r in results if r.get("problems")]
    return {
        "runs": runs,
        "repaired": runs - sum(1 for r in failed if "repaired" in r["problems"][0]),
        "failed_runs": len(failed),
        "max_lost_s": max(lost) if lost else None,
        "mean_lost_s": round(sum(lost) / len(lost), 4) if lost else None,
        "limit_lost_s": MAX_LOST_S,
        "problems": [r["problems"] for r in failed][:5],
        "ok": not failed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = asyncio.run(kill_runs(args.runs, args.seed))
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
