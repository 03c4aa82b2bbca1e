"""Soak: `record` for an hour at real time through a bad network; memory and files stay flat.

The CXone simulator (in this process) streams the demo call on a loop with random
fragmentation, 2 % frame loss, 20 ms jitter and a 1006 drop (TCP abort) every 5
minutes on each connection; `cxone-desktop record --duration` (its own process)
records it. Every few seconds the recorder's RSS (from /proc, Linux) and the session
folder's file sizes are sampled. Checked at the end:

- RSS growth after warm-up ≤ 10 MB;
- no file grows faster than its audio (raw.wav's 16 kB/s of PCM16), after warm-up;
- every reconnect recorded: the simulator's connections − 1 = summary.json's
  `reconnects` = the RECONNECTING → STREAMING transitions in events.jsonl;
- raw.wav holds whole 20 ms frames (its data a multiple of 320 bytes).

    .venv/bin/python benchmarks/soak.py                 # one hour
    .venv/bin/python benchmarks/soak.py --minutes 2     # the CI-sized run (drops every 30 s)

Prints progress lines, then a JSON object as the last line; exit 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cxone_desktop.simulator.config import Impairments, SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

CALL_ID = "soak-call"
AUDIO_BYTES_PER_S = 16_000
FRAME_BYTES = 320
RSS_LIMIT_MB = 10.0
FILES = ("raw.wav", "processed.wav", "metrics.csv", "events.jsonl")


def rss_mb(pid: int) -> float | None:
    """Resident set size of `pid` in MB (Linux /proc; None elsewhere or once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def sizes(folder: Path | None) -> dict[str, int]:
    if folder is None:
        return {}
    out = {}
    for name in FILES:
        with contextlib.suppress(OSError):
            out[name] = (folder / name).stat().st_size
    return out


def session_folder(out: Path) -> Path | None:
    folders = [p for p in out.iterdir() if p.is_dir()]
    return folders[0] if folders else None


async def soak(minutes: float, drop_every_s: float, sample_s: float, seed: int) -> dict[str, Any]:
    duration_s = minutes * 60
    warmup_s = min(60.0, duration_s / 4)
    impairments = Impairments(
        fragment="random", loss=0.02, jitter_ms=20.0, drop_after_s=drop_every_s, seed=seed
    )
    sim = CXoneSimulator(SimulatorConfig(call_ids=(CALL_ID,), impairments=impairments, loop=True))
    await sim.start()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    out = work / "out"
    err_path = work / "record.stderr"
    env = {**os.environ, "CXONE_CLIENT_SECRET": sim.config.client_secret}
    with err_path.open("w") as err_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cxone_desktop", "record", "--base-url", sim.base_url,
            "--client-id", sim.config.client_id, "--call-id", CALL_ID, "--out", str(out),
            "--duration", str(duration_s),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=err_file,
        )  # fmt: skip
        talk = asyncio.ensure_future(proc.communicate())
        t0 = time.monotonic()
        samples: list[dict[str, Any]] = []
        while not talk.done():
            await asyncio.wait({talk}, timeout=sample_s)
            elapsed = time.monotonic() - t0
            rss = rss_mb(proc.pid)
            folder = session_folder(out) if out.exists() else None
            if rss is not None:
                samples.append({"t": elapsed, "rss_mb": rss, "sizes": sizes(folder)})
            if samples and int(elapsed) % 60 < sample_s:
                print(f"{elapsed / 60:5.1f} min  rss {rss} MB  {sizes(folder)}", flush=True)
        stdout, _ = talk.result()
    connections = sim.connections(CALL_ID)
    await sim.stop()
    folder = Path(stdout.decode().strip().splitlines()[-1])
    summary = json.loads((folder / "summary.json").read_text())
    events = [json.loads(x) for x in (folder / "events.jsonl").read_text().splitlines()]
    reconnected = sum(
        1
        for e in events
        if e["kind"] == "state" and (e.get("previous"), e["state"]) == ("RECONNECTING", "STREAMING")
    )
    with wave.open(str(folder / "raw.wav")) as w:
        raw_data = w.getnframes() * w.getsampwidth()
    warm = next(s for s in samples if s["t"] >= warmup_s)
    last = samples[-1]
    span = last["t"] - warm["t"]
    rates = {
        name: (last["sizes"].get(name, 0) - warm["sizes"].get(name, 0)) / span for name in FILES
    }
    rss_growth = max(s["rss_mb"] for s in samples if s["t"] >= warm["t"]) - warm["rss_mb"]
    checks = {
        "rss_growth_ok": rss_growth <= RSS_LIMIT_MB,
        "files_ok": all(r <= AUDIO_BYTES_PER_S * 1.02 for r in rates.values()),
        "reconnects_recorded": connections - 1 == summary["reconnects"] == reconnected,
        "raw_whole_frames": raw_data % FRAME_BYTES == 0,
        "exit_ok": proc.returncode == 0,
    }
    return {
        "minutes": minutes,
        "drop_every_s": drop_every_s,
        "rss_start_mb": round(warm["rss_mb"], 1),
        "rss_end_mb": round(last["rss_mb"], 1),
        "rss_growth_mb": round(rss_growth, 2),
        "file_bytes_per_s": {k: round(v, 1) for k, v in rates.items()},
        "audio_bytes_per_s": AUDIO_BYTES_PER_S,
        "connections": connections,
        "reconnects_summary": summary["reconnects"],
        "reconnects_events": reconnected,
        "raw_data_bytes": raw_data,
        "raw_partial_bytes": raw_data % FRAME_BYTES,
        "summary_bytes": (folder / "summary.json").stat().st_size,
        "events_lines": len(events),
        "outcome": summary["outcome"],
        "returncode": proc.returncode,
        "lost_frames": summary.get("metrics", {}).get("lost_frames"),
        "errors": summary["errors"][:5],
        "folder": str(folder),
        **checks,
        "ok": all(checks.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument(
        "--drop-every",
        type=float,
        default=None,
        metavar="S",
        help="seconds between 1006 drops (default 300; 30 for runs under 20 min)",
    )
    parser.add_argument("--sample", type=float, default=5.0, metavar="S")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()  # fmt: skip
    drop = args.drop_every or (300.0 if args.minutes >= 20 else 30.0)
    result = asyncio.run(soak(args.minutes, drop, args.sample, args.seed))
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
