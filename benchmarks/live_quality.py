"""Listening quality through the live session and simulator: PESQ (ITU-T P.862, narrowband MOS).

The offline matrix over every network model is `quality.py`; this one runs real calls in
real time (and `mos_validation.py` builds on it).

Per condition, ONE real call runs end to end: the CXone simulator on loopback
streams a slice of resources/demo-call.wav with seeded impairments, a real
`StreamSession` (gain 1, gate off) plays and records it. The session's jitter
buffer is wrapped to log every call the session made on it (frames pushed with
their arrival time, every pull time), so the same network can then be replayed
offline through other players:

- ``ours``: a fresh `JitterBuffer` with PLC on the logged calls — must equal the
  session's processed.wav (reported as ``session``);
- ``zero_fill``: the same buffer with ``concealment="zero"``: the same slots
  filled with silence instead of PLC;
- ``lost_zeroed``: the source with exactly the lost frames zeroed (a perfect
  buffer, no concealment: the best zero-filling can do);
- ``no_buffer``: no jitter buffer: every frame goes to the sound card as it
  arrives, silence while the card has nothing (delay accumulates, nothing dropped).

Degraded and reference are handed to P.862 as they are: its own time alignment
copes with the playout delay; no lost frame is put back. The added delay is
receive-to-sink: a frame's arrival (the session's clock when it fed the message)
to the time the session wrote that frame to the playout sink.

    .venv/bin/python benchmarks/live_quality.py [--seconds 15] [--only NAME ...] [--traces DIR]

Prints one line per condition, then a JSON object as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import pickle
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pesq import pesq

from cxone_desktop.core.audio_format import DEFAULT_FORMAT
from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.jitter_buffer import JitterBuffer
from cxone_desktop.core.playout_batch import PlayoutBatch
from cxone_desktop.cxone.endpoints import Endpoints
from cxone_desktop.cxone.settings import Credentials, RetryPolicy
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.stream_session import StreamSession
from cxone_desktop.simulator.config import Impairments, SimulatorConfig
from cxone_desktop.simulator.server import CXoneSimulator

SOURCE = Path(__file__).resolve().parents[1] / "resources" / "demo-call.wav"
CALL_ID = "quality-bench"
RATE = DEFAULT_FORMAT.rate_hz
N = DEFAULT_FORMAT.frame_samples
PASSTHROUGH = DspSettings(gain=1.0, noise_threshold=0, gate_mode="off")


@dataclass(frozen=True)
class Condition:
    name: str
    loss: float = 0.0
    jitter_ms: float = 0.0
    burst_loss: float = 0.0
    burst_frames: int = 5
    seed: int = 1


CONDITIONS = (
    Condition("clean"),
    Condition("jitter40", jitter_ms=40),
    Condition("jitter100", jitter_ms=100),
    Condition("loss5", loss=0.05),
    Condition("loss3_jitter40", loss=0.03, jitter_ms=40),
    Condition("loss5_jitter40", loss=0.05, jitter_ms=40),
    Condition("loss10_jitter40", loss=0.10, jitter_ms=40),
    Condition("bursts_jitter40", burst_loss=0.01, burst_frames=5, jitter_ms=40),
    Condition("loss5_jitter100", loss=0.05, jitter_ms=100),
)


@dataclass
class Trace:
    """What the session did to its jitter buffer, in order, plus what it wrote to the sink."""

    calls: list[tuple[str, float, np.ndarray | None]] = field(default_factory=list)
    sink: list[tuple[float, np.ndarray]] = field(default_factory=list)
    concealed: int = 0
    late_dropped: int = 0
    shrink_dropped: int = 0


class _LoggingJitterBuffer(JitterBuffer):
    """The session's own buffer, logging each call (the benchmark's only hook)."""

    def __init__(self, trace: Trace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._trace = trace

    def push(self, frames: Any, arrival_s: float, **kwargs: Any) -> None:
        self._trace.calls.append(("push", arrival_s, np.array(frames, dtype=np.int16)))
        super().push(frames, arrival_s, **kwargs)

    def pull(self, now_s: float) -> PlayoutBatch:
        self._trace.calls.append(("pull", now_s, None))
        return super().pull(now_s)

    def drain(self) -> PlayoutBatch:
        self._trace.calls.append(("drain", 0.0, None))
        return super().drain()

    def reset(self) -> None:
        self._trace.calls.append(("reset", 0.0, None))
        super().reset()


class _TracingSession(StreamSession):
    def __init__(self, config: SessionConfig, trace: Trace) -> None:
        self.trace = trace
        super().__init__(config, playout_sink=self)
        self.pipeline.jitter = _LoggingJitterBuffer(
            trace, self.pipeline.fmt, target_delay_ms=config.jitter_target_ms
        )

    def set_channels(self, channels: int) -> None:  # PlayoutSink
        assert channels == 1, "this benchmark plays one-party calls"

    def write(self, frames: np.ndarray) -> None:  # PlayoutSink
        self.trace.sink.append((self._clock(), np.array(frames, dtype=np.int16)))


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.astype("<i2").tobytes())


async def run_session(cond: Condition, audio: Path, out_dir: Path) -> tuple[Trace, np.ndarray]:
    """One real call through simulator and session; returns the trace and processed.wav."""
    imp = Impairments(
        loss=cond.loss,
        burst_loss=cond.burst_loss,
        burst_frames=cond.burst_frames,
        jitter_ms=cond.jitter_ms,
        seed=cond.seed,
    )
    sim = CXoneSimulator(SimulatorConfig(call_ids=(CALL_ID,), audio_path=audio, impairments=imp))
    await sim.start()
    try:
        config = SessionConfig(
            endpoints=Endpoints.from_input(base_url=sim.base_url),
            call_id=CALL_ID,
            credentials=Credentials(sim.config.client_id, sim.config.client_secret),
            retry=RetryPolicy(max_attempts=4, base_delay_s=0.05, max_delay_s=0.3, max_total_s=10),
            out_dir=out_dir,
            poll_interval_s=1.0,
            dsp=PASSTHROUGH,
        )
        trace = Trace()
        session = _TracingSession(config, trace)
        result = await session.run()
    finally:
        await sim.stop()
    if result.outcome != "ended" or result.folder is None:
        raise RuntimeError(f"{cond.name}: session ended {result.outcome}: {result.errors}")
    jitter = session.pipeline.jitter
    trace.concealed = jitter.concealed_frames
    trace.late_dropped = jitter.late_dropped_frames
    trace.shrink_dropped = jitter.shrink_dropped_frames
    return trace, read_wav(result.folder / "processed.wav")


def replay(trace: Trace, concealment: str = "plc") -> tuple[np.ndarray, JitterBuffer]:
    """The logged calls into a fresh buffer, as the session made them; its output and state."""
    jb = JitterBuffer(DEFAULT_FORMAT, concealment=concealment)  # type: ignore[arg-type]
    out: list[np.ndarray] = []
    for kind, t, frames in trace.calls:
        if kind == "push":
            jb.push(frames, t)
            continue
        batch = jb.pull(t) if kind == "pull" else jb.drain() if kind == "drain" else None
        if batch is None:
            jb.reset()
        elif len(batch):
            out.append(batch.frames.reshape(-1))
    return (np.concatenate(out) if out else np.zeros(0, np.int16)), jb


def no_buffer(trace: Trace) -> np.ndarray:
    """A sound card fed straight from the socket: silence while it is empty, nothing dropped."""
    out: list[np.ndarray] = []
    start: float | None = None
    played = 0  # samples handed to the card so far
    for kind, t, frames in trace.calls:
        if kind != "push" or frames is None:
            continue
        if start is None:
            start = t
        card_at = round((t - start) * RATE)  # the card's play position now
        if card_at > played:
            out.append(np.zeros(card_at - played, np.int16))
            played = card_at
        out.append(frames.reshape(-1))
        played += frames.size
    return np.concatenate(out) if out else np.zeros(0, np.int16)


def received_frames(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    frames = [f for kind, _, f in trace.calls if kind == "push" and f is not None]
    times = [t for kind, t, f in trace.calls if kind == "push" and f is not None for _ in f]
    return np.concatenate(frames), np.array(times)


def lost_slots(source: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Which source frames never arrived (received frames are source frames, in order)."""
    src = source[: len(source) // N * N].reshape(-1, N)
    lost = np.ones(len(src), dtype=bool)
    k = 0
    for frame in got:
        while k < len(src) and not np.array_equal(src[k], frame):
            k += 1
        if k == len(src):
            break
        lost[k] = False
        k += 1
    return lost


def receive_to_sink_ms(trace: Trace) -> np.ndarray:
    """For each received frame the session wrote to the sink unchanged: sink time − arrival."""
    got, arrivals = received_frames(trace)
    delays: list[float] = []
    k = 0
    for t, block in trace.sink:
        for frame in block:
            for j in range(k, min(k + 25, len(got))):
                if np.array_equal(got[j], frame):
                    delays.append((t - arrivals[j]) * 1000.0)
                    k = j + 1
                    break
    return np.array(delays)


def mos(ref: np.ndarray, deg: np.ndarray) -> float:
    return round(float(pesq(RATE, ref.astype(np.float32), deg.astype(np.float32), "nb")), 3)


def evaluate(cond: Condition, source: np.ndarray, trace: Trace, processed: np.ndarray) -> dict:
    ours, jb = replay(trace, "plc")
    zero, jb_zero = replay(trace, "zero")
    got, _ = received_frames(trace)
    lost = lost_slots(source, got)
    zeroed = source[: lost.size * N].reshape(-1, N).copy()
    zeroed[lost] = 0
    n = min(len(processed), len(ours))
    same = bool(np.array_equal(processed[:n], ours[:n])) and len(processed) == len(ours)
    r2s = receive_to_sink_ms(trace)
    return {
        "session": mos(source, processed),
        "ours": mos(source, ours),
        "zero_fill": mos(source, zero),
        "lost_zeroed": mos(source, zeroed.reshape(-1)),
        "no_buffer": mos(source, no_buffer(trace)),
        "replay_identical": same,
        "lost_frames": int(lost.sum()),
        "concealed": trace.concealed,
        "late_dropped": trace.late_dropped,
        "shrink_dropped": trace.shrink_dropped,
        "zero_fill_concealed": jb_zero.concealed_frames,
        "final_target_ms": round(jb.target_ms, 1),
        "receive_to_sink_ms_mean": round(float(r2s.mean()), 1) if r2s.size else None,
        "receive_to_sink_ms_p95": round(float(np.quantile(r2s, 0.95)), 1) if r2s.size else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="source audio per condition")
    parser.add_argument("--offset", type=float, default=0.0, help="where in the source to start")
    parser.add_argument("--only", nargs="*", help="condition names to run")
    parser.add_argument(
        "--traces",
        type=Path,
        help="keep each session's trace here and reuse saved ones instead of running again",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    full = read_wav(SOURCE)
    start = round(args.offset * RATE) // N * N
    source = full[start : start + round(args.seconds * RATE) // N * N]
    conditions = [c for c in CONDITIONS if not args.only or c.name in args.only]
    results: dict[str, dict] = {}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="quality-") as tmp:
        audio = Path(tmp) / "source.wav"
        write_wav(audio, source)
        print(
            f"source: {SOURCE.name} {args.offset:g}–{args.offset + len(source) / RATE:g} s; "
            "PESQ P.862 narrowband MOS of what was played vs the source"
        )
        header = (
            f"{'condition':<17}{'session':>8}{'ours':>7}{'zero':>7}{'lost0':>7}{'no-jb':>7}"
            f"{'lost':>6}{'conc':>6}{'drop':>6}{'target':>8}{'r2s ms':>8}"
        )
        print(header)
        for cond in conditions:
            saved = args.traces / f"{cond.name}.pkl" if args.traces else None
            if saved is not None and saved.exists():
                trace, processed = pickle.loads(saved.read_bytes())
            else:
                trace, processed = asyncio.run(run_session(cond, audio, Path(tmp) / cond.name))
                if saved is not None:
                    saved.parent.mkdir(parents=True, exist_ok=True)
                    saved.write_bytes(pickle.dumps((trace, processed)))
            r = evaluate(cond, source, trace, processed)
            results[cond.name] = r
            print(
                f"{cond.name:<17}{r['session']:>8.2f}{r['ours']:>7.2f}{r['zero_fill']:>7.2f}"
                f"{r['lost_zeroed']:>7.2f}{r['no_buffer']:>7.2f}{r['lost_frames']:>6}"
                f"{r['concealed']:>6}{r['late_dropped']:>6}{r['final_target_ms']:>8.0f}"
                f"{r['receive_to_sink_ms_mean'] or 0:>8.1f}"
                + ("" if r["replay_identical"] else "  (replay differs from session)")
            )
    clean = results.get("clean")
    j40 = results.get("jitter40")
    l5 = results.get("loss5_jitter40")
    targets = {
        "jitter40_ge_4.3": None if j40 is None else j40["session"] >= 4.3,
        "loss5_jitter40_ge_3.0": None if l5 is None else l5["session"] >= 3.0,
        "loss5_jitter40_ge_zero_fill_plus_0.3": (
            None if l5 is None else l5["session"] >= l5["zero_fill"] + 0.3
        ),
        "added_delay_at_0_jitter_le_60ms": (
            None if clean is None else (clean["receive_to_sink_ms_p95"] or 1e9) <= 60.0
        ),
    }
    print(f"targets: {targets}; took {time.monotonic() - began:.0f} s")
    summary = {
        "pesq_nb": {
            name: {k: r[k] for k in ("session", "ours", "zero_fill", "lost_zeroed", "no_buffer")}
            for name, r in results.items()
        },
        "added_delay_ms_at_0_jitter": None
        if clean is None
        else {
            "receive_to_sink_mean": clean["receive_to_sink_ms_mean"],
            "receive_to_sink_p95": clean["receive_to_sink_ms_p95"],
        },
        "conditions": results,
        "targets_met": targets,
        "source_seconds": len(source) / RATE,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
