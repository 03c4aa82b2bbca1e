"""The playout buffer's CPU per 20 ms slot (push + pull), back to back and after a 20 ms sleep.

In the live app the buffer runs once per slot after the thread slept ~20 ms:
caches are cold and the vCPU just woke, so the same work costs about twice
what it costs back to back (`playout_offline`, `playout_exact`). Here the
buffer is driven offline over four calls (the mono and the stereo demo call,
each on a clean network and on 20 ms jitter + 5 % loss): every 20 ms slot the
messages that arrived by then are pushed and the buffer is pulled once, and
the thread CPU time of those calls is taken per slot, over the same stretch
of each call, "warm" (slots back to back; the median of five rounds) and
"cold" (`time.sleep(0.02)` before each slot). The first seconds (learning the
network) run unmeasured.

`--against TREE` runs another checkout's buffer (e.g. a `git worktree` of
main) in a second process, the two taking turns every half second of slots,
and prints this tree's per-slot CPU as a ratio of that one's. Each process
imports its own tree; both are fed the same messages, cut into frames
beforehand (the reassembler is not timed). `--split` sleeps half a slot before
the messages and half before the pull instead of a whole slot before both
(live, they come apart, and each pays for its own wake-up).

    .venv/bin/python benchmarks/playout_cpu.py [--against TREE] [--split]
        [--start-s S] [--window-s S]
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

SLOT_S = 0.020
START_S = 1000.0  # listener clock at the call's start (as playout_offline)
SEED = 11
#: Cold slots one process runs before the other takes its turn (0.5 s); warm rounds a tree.
TURN_SLOTS = 25
WARM_ROUNDS = 5
CASES = (
    ("mono clean", False, {}),
    ("mono jitter 20ms loss 5%", False, {"jitter_ms": 20.0, "loss": 0.05}),
    ("stereo clean", True, {}),
    ("stereo jitter 20ms loss 5%", True, {"jitter_ms": 20.0, "loss": 0.05}),
)


# -- the worker: one tree's buffer, driven slot by slot on command ---------------------------


class _Call:
    """One call through a fresh buffer of the worker's tree, a slot at a time."""

    def __init__(self, case: dict[str, Any]) -> None:
        from cxone_desktop.core.audio_format import AudioFormat
        from cxone_desktop.core.jitter_buffer import JitterBuffer
        from cxone_desktop.core.reassembler import FrameReassembler

        fmt = AudioFormat(channels=case["channels"])
        reassembler = FrameReassembler(fmt)
        # (arrival, frames, bytes) per message, cut beforehand: only the buffer is timed.
        self._arrivals = [
            (START_S + send_s, reassembler.feed(data), len(data))
            for send_s, data in case["messages"]
        ]
        self._jb = JitterBuffer(fmt)
        self._next = 0  # the next message to push
        self._slot = 0

    def run(self, slots: int, *, cold: bool, split: bool) -> list[tuple[float, float]]:
        """The next `slots` slots; (push, pull) thread CPU seconds of each. `split`: the
        messages and the pull each after half a slot's sleep (apart, as live)."""
        jb, arrivals = self._jb, self._arrivals
        thread_time = time.thread_time
        spent: list[tuple[float, float]] = []
        for _ in range(slots):
            now = START_S + self._slot * SLOT_S
            self._slot += 1
            if cold:
                time.sleep(SLOT_S / 2 if split else SLOT_S)
            start = thread_time()
            k = self._next
            while k < len(arrivals) and arrivals[k][0] <= now + 1e-9:
                arrival_s, frames, size = arrivals[k]
                jb.push(frames, arrival_s, message_bytes=size)
                k += 1
            self._next = k
            push_s = thread_time() - start
            if cold and split:
                time.sleep(SLOT_S / 2)
            start = thread_time()
            jb.pull(now)
            spent.append((push_s, thread_time() - start))
        return spent


def worker(tree: Path, data: Path) -> int:
    """Serve commands (JSON lines on stdin) with `tree`'s buffer; answer on stdout."""
    sys.path.insert(0, str(tree))
    import cxone_desktop.core.jitter_buffer as module

    where = Path(module.__file__ or "").resolve()
    if tree.resolve() not in where.parents:
        print(json.dumps({"error": f"imported {where}, not from {tree}"}), flush=True)
        return 1
    with data.open("rb") as f:
        cases = pickle.load(f)
    call: _Call | None = None
    print(json.dumps({"ready": str(where)}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "begin":
            call = _Call(cases[command["case"]])
            gc.collect()
            reply: dict[str, Any] = {"ok": True}
        elif command["op"] == "run":
            assert call is not None
            spent = call.run(command["slots"], cold=command["cold"], split=command["split"])
            reply = {"spent": spent}
        else:
            break
        print(json.dumps(reply), flush=True)
    return 0


# -- the coordinator -------------------------------------------------------------------------


class _Worker:
    def __init__(self, tree: Path, data: Path) -> None:
        self.tree = tree
        self._proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(tree), "--data", str(data)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        hello = self._read()
        if "error" in hello:
            raise SystemExit(hello["error"])

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise SystemExit(f"the worker for {self.tree} stopped")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, **command: Any) -> dict[str, Any]:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(command) + "\n")
        self._proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"op": "end"}) + "\n")
        self._proc.stdin.close()
        self._proc.wait(timeout=30)


def _cases(seconds: float) -> list[dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from playout_offline import schedule

    from cxone_desktop.core.audio_format import AudioFormat
    from cxone_desktop.simulator.config import Impairments

    out = []
    for name, stereo, impairments in CASES:
        fmt = AudioFormat(channels=2 if stereo else 1)
        wav = "demo-call-stereo.wav" if stereo else "demo-call.wav"
        with wave.open(str(ROOT / "resources" / wav)) as w:
            source = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        count = round(seconds / fmt.frame_duration_s)
        network = schedule(source[: count * fmt.frame_samples], Impairments(**impairments), SEED,
                           fmt=fmt)  # fmt: skip
        messages = [(m.send_s, m.data) for m in network.messages]
        out.append({"name": name, "channels": fmt.channels, "messages": messages})
    return out


def _per_slot_us(spent: list[list[float]]) -> dict[str, float]:
    push = sum(p for p, _ in spent) / len(spent)
    pull = sum(q for _, q in spent) / len(spent)
    return {"us": 1e6 * (push + pull), "push_us": 1e6 * push, "pull_us": 1e6 * pull}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout's root, run alternately")
    parser.add_argument("--start-s", type=float, default=6.0, help="unmeasured run-up (s)")
    parser.add_argument("--window-s", type=float, default=5.0, help="measured stretch (s)")
    parser.add_argument(
        "--split",
        action="store_true",
        help="cold: the messages and the pull each after half a slot's sleep, not both after one",
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        return worker(args.worker, args.data)

    start = round(args.start_s / SLOT_S)
    window = round(args.window_s / SLOT_S)
    cases = _cases(args.start_s + args.window_s + 1.0)
    trees = [ROOT] + ([args.against.resolve()] if args.against else [])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "cases.pickle"
        with data.open("wb") as f:
            pickle.dump(cases, f)
        workers = [_Worker(tree, data) for tree in trees]
        # results[tree][mode] = per-case list of per-slot (push, pull) s
        results: list[dict[str, list[list[Any]]]] = [{"warm": [], "cold": []} for _ in trees]
        for i, case in enumerate(cases):
            # Warm: the whole window back to back, the trees in turn (A B B A ...), each tree's
            # median round (a refresh of the sender clock costs a dozen slots: rounds vary).
            rounds: list[list[list[Any]]] = [[] for _ in trees]
            for r in range(WARM_ROUNDS):
                for w in workers if r % 2 == 0 else workers[::-1]:
                    w.ask(op="begin", case=i)
                    w.ask(op="run", slots=start, cold=False, split=False)
                    spent = w.ask(op="run", slots=window, cold=False, split=False)["spent"]
                    rounds[workers.index(w)].append(spent)
            warm = [sorted(r, key=lambda s: sum(p + q for p, q in s))[len(r) // 2] for r in rounds]
            # Cold: fresh buffers run up to the window, then take turns every TURN_SLOTS.
            cold: list[list[Any]] = [[] for _ in trees]
            for w in workers:
                w.ask(op="begin", case=i)
                w.ask(op="run", slots=start, cold=False, split=False)
            done, turn = 0, 0
            while done < window:
                n = min(TURN_SLOTS, window - done)
                order = workers if turn % 2 == 0 else workers[::-1]
                for w in order:
                    spent = w.ask(op="run", slots=n, cold=True, split=args.split)["spent"]
                    cold[workers.index(w)] += spent
                done += n
                turn += 1
            line = f"{case['name']:28s}"
            for k in range(len(trees)):
                results[k]["warm"].append(warm[k])
                results[k]["cold"].append(cold[k])
                w_us, c_us = _per_slot_us(warm[k])["us"], _per_slot_us(cold[k])["us"]
                label = "this" if k == 0 else "against"
                line += f"  {label}: warm {w_us:6.1f} us  cold {c_us:6.1f} us"
            print(line, flush=True)
        for w in workers:
            w.close()

    summary: dict[str, Any] = {"slots_per_case": window, "cases": len(cases), "split": args.split}
    for k, label in enumerate(["this", "against"][: len(trees)]):
        entry: dict[str, Any] = {"tree": str(trees[k])}
        for mode in ("warm", "cold"):
            # Every case weighs the same: the mean of the cases' per-slot figures.
            per_case = [_per_slot_us(spent) for spent in results[k][mode]]
            for key in ("us", "push_us", "pull_us"):
                entry[f"{mode}_{key}"] = round(float(np.mean([c[key] for c in per_case])), 1)
        summary[label] = entry
    if args.against:
        for mode in ("warm", "cold"):
            summary[f"{mode}_ratio"] = round(
                summary["this"][f"{mode}_us"] / summary["against"][f"{mode}_us"], 3
            )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
