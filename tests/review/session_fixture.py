"""Recorded session folders built to order: mono or stereo, with loss, gaps, holds and stalls.

The timeline (session seconds) is fixed so tests can check marks against it:

    0.05 CONNECTING, 0.10 STREAMING (playout starts at 0.16: jitter target 60 ms)
    second 3: 2 frames lost, 3 concealed;  second 4: 5 lost, 5 concealed
    6.5   slider change (gain 1.5, gate 300 smooth)
    10.0  outage (1006) for 2.0 s → reconnected (#1) at 12.0; rows 10–12 degraded
    15.0  stall until 15.8
    18.0  hold for 3.0 s → reconnected (#2) at 21.0
    24–28 silence on both parties (for skip-silence)
    end   DISCONNECTING, TERMINATED

Audio: agent (left) a 300 Hz tone in bursts, customer (right) a 1,200 Hz tone in
other bursts; mono mixes both. The call's audio at call time c arrives at session
time 0.10 + c (raw.wav holds only what arrived: it skips the outage and the hold)
and plays at 0.16 + c (processed.wav, on the playout clock: silent through them).
Deliberately unlike the app's defaults where it matters: 60 ms jitter target,
stereo, μ-law on the wire, gaps only in events (not in summary) on request, a
`cue ` chunk after the data, an unfinished recording.
"""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from cxone_desktop.session.wav_writer import WavWriter

RATE = 8000
STREAMING_AT = 0.10
PLAYOUT_AT = 0.16
OUTAGE = (10.0, 2.0)
STALL = (15.0, 15.8)
HOLD = (18.0, 3.0)
SILENCE = (24.0, 28.0)
DSP_AT = 6.5
LOSS = {3: (2, 3), 4: (5, 5)}  # second → (lost, concealed)
AGENT_HZ = 300.0
CUSTOMER_HZ = 1200.0
AMPLITUDE = 8000
NOISE = 100


def party_audio(seconds: float, rate_hz: int = RATE) -> tuple[np.ndarray, np.ndarray]:
    """(agent, customer) int16 by call time: alternating 1 s bursts, silent in gaps."""
    n = round(seconds * rate_hz)
    pattern_s = 2
    t = np.arange(pattern_s * rate_hz) / rate_hz
    agent_p = AMPLITUDE * np.sin(2 * np.pi * AGENT_HZ * t) * (t < 1.0)
    cust_p = AMPLITUDE * np.sin(2 * np.pi * CUSTOMER_HZ * t) * (t >= 1.0)
    reps = -(-n // agent_p.size)
    rng = np.random.default_rng(16)
    # Room noise (well under the silence threshold) makes every stretch unique to align on.
    agent = np.tile(agent_p.astype(np.int16), reps)[:n] + rng.integers(-NOISE, NOISE, n, np.int16)
    customer = np.tile(cust_p.astype(np.int16), reps)[:n] + rng.integers(-NOISE, NOISE, n, np.int16)
    for lo_s, hi_s in _quiet_spans(seconds):
        lo, hi = _idx(lo_s - STREAMING_AT, rate_hz), _idx(hi_s - STREAMING_AT, rate_hz)
        agent[lo:hi] = 0
        customer[lo:hi] = 0
    return agent, customer


def _quiet_spans(seconds: float) -> list[tuple[float, float]]:
    spans = [
        (OUTAGE[0], OUTAGE[0] + OUTAGE[1]),
        (HOLD[0], HOLD[0] + HOLD[1]),
        SILENCE,
    ]
    return [(a, min(b, seconds)) for a, b in spans if a < seconds]


def _idx(t_s: float, rate_hz: int) -> int:
    return max(0, round(t_s * rate_hz))


def build_session(
    parent: Path,
    *,
    seconds: float = 30.0,
    stereo: bool = False,
    rate_hz: int = RATE,
    gaps_in: str = "summary",  # "summary" | "events" | "none"
    cues: bool = False,
    finished: bool = True,
    name: str = "call-77-20261124T101112Z",
) -> Path:
    """Write a session folder under `parent`; returns its path."""
    folder = Path(parent) / name
    folder.mkdir(parents=True)
    agent, customer = party_audio(seconds - PLAYOUT_AT, rate_hz)
    if stereo:
        processed = np.stack([agent, customer], axis=1)
    else:
        processed = ((agent.astype(np.int32) + customer) // 2).astype(np.int16)[:, None]
    # raw: what arrived, i.e. the call's audio minus outage and hold (by call time).
    keep = np.ones(processed.shape[0], dtype=bool)
    gaps = [("outage", *OUTAGE), ("hold", *HOLD)]
    for _kind, start, dur in gaps:
        if start < seconds:
            lo = _idx(start - STREAMING_AT, rate_hz)
            keep[lo : _idx(start + dur - STREAMING_AT, rate_hz)] = False
    raw = processed[keep][: _idx(seconds - STREAMING_AT, rate_hz)]
    channels = processed.shape[1]
    for fname, data in (("processed.wav", processed), ("raw.wav", raw)):
        with WavWriter(folder / fname, rate_hz=rate_hz, channels=channels) as w:
            for lo in range(0, data.shape[0], 1 << 20):
                w.write(np.ascontiguousarray(data[lo : lo + (1 << 20)]))
    gap_records = []
    for kind, start, dur in gaps:
        if start + dur > seconds:
            continue
        raw_pos = float(np.count_nonzero(keep[: _idx(start - STREAMING_AT, rate_hz)])) / rate_hz
        gap_records.append(
            {
                "kind": kind,
                "elapsed_s": start,
                "duration_s": dur,
                "raw_position_s": round(raw_pos, 4),
                "processed_position_s": round(start - PLAYOUT_AT, 4),
            }
        )
    if cues:
        _append_cues(folder / "processed.wav", gap_records, rate_hz)
    events = _events(seconds, gap_records if gaps_in == "events" else [])
    with (folder / "events.jsonl").open("w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    rows = _metrics_rows(seconds, stereo)
    with (folder / "metrics.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    if finished:
        summary: dict[str, Any] = {
            "total_packets": rows[-1]["total_packets"],
            "dropped_packets": rows[-1]["lost_frames"],
            "total_bytes": rows[-1]["total_bytes"],
            "avg_latency_ms": 12.0,
            "effective_bitrate": 63.9,
            "mos_estimate": {"mos": 4.1, "r_factor": 82.0, "mapping": "E-model (test)"},
            "outcome": "ended",
            "duration_s": seconds,
            "started_utc": "2026-11-24T10:11:12.000Z",
            "settings": _settings(),
            "state_history": [],
            "errors": ["StreamClosedAbnormally: The audio stream closed abnormally (code 1006)"],
            "reconnects": 2,
            "finished_cleanly": True,
        }
        if gaps_in == "summary":
            summary["gaps"] = gap_records
        (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    else:
        (folder / ".recording").write_text(json.dumps({"pid": 999999999}), encoding="utf-8")
    return folder


def _settings() -> dict[str, Any]:
    return {
        "call_id": "call-77",
        "client_id": "qa-client",
        "base_url": "https://acme.example:8443",
        "encoding": "mulaw",
        "jitter_target_ms": 60.0,
        "gain": 1.0,
        "noise_threshold": 0,
        "gate_mode": "off",
    }


def _events(seconds: float, gap_events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ev: list[dict[str, Any]] = []

    def add(t: float, kind: str, **fields: Any) -> None:
        if t <= seconds:
            ev.append(
                {"t": f"2026-11-24T10:11:{12 + t:06.3f}Z", "elapsed_s": t, "kind": kind, **fields}
            )

    def state(t: float, new: str, old: str, reason: str) -> None:
        add(t, "state", state=new, previous=old, reason=reason)

    add(0.0, "session_started", settings=_settings(), version="0.1.0")
    state(0.05, "CONNECTING", "IDLE", "call call-77")
    add(0.09, "connected", url_path="/agent/voice/{callId}/stream")
    state(STREAMING_AT, "STREAMING", "CONNECTING", "audio stream open")
    add(0.11, "control", message={"event": "call.started", "encoding": "mulaw"})
    add(DSP_AT, "dsp", gain=1.5, noise_threshold=300, gate_mode="smooth")
    o, od = OUTAGE
    add(o, "closed", code=1006, reason="", normal=False)
    add(o + 0.001, "error", type="StreamClosedAbnormally", message="closed abnormally (1006)")
    state(o + 0.002, "RECONNECTING", "STREAMING", "connection dropped (1006)")
    add(o + 0.5, "reconnect_wait", attempt=1, delay_s=1.2)
    state(o + od, "STREAMING", "RECONNECTING", "reconnected (#1)")
    add(STALL[0], "stall", reason="no audio for 0.8 s")
    add(STALL[1], "stall_cleared")
    h, hd = HOLD
    add(h, "control", message={"event": "call.hold"})
    state(h + 0.001, "RECONNECTING", "STREAMING", "call on hold")
    state(h + hd, "STREAMING", "RECONNECTING", "reconnected (#2)")
    for g in gap_events:  # written when the gap ends; its start rides in elapsed_s_
        add(
            g["elapsed_s"] + g["duration_s"],
            "gap",
            gap_kind=g["kind"],
            elapsed_s_=g["elapsed_s"],
            duration_s=g["duration_s"],
            raw_position_s=g["raw_position_s"],
            processed_position_s=g["processed_position_s"],
        )
    end = seconds - 0.01
    state(end, "DISCONNECTING", "STREAMING", "call ended")
    state(end + 0.005, "TERMINATED", "DISCONNECTING", "call ended")
    return sorted(ev, key=lambda e: e["elapsed_s"])


def _metrics_rows(seconds: float, stereo: bool) -> list[dict[str, Any]]:
    rows = []
    frames = lost = concealed = 0
    for k in range(1, int(seconds) + 1):
        t = k + 0.003
        lo = t - 1.0
        gap_s = sum(max(0.0, min(t, s + d) - max(lo, s)) for s, d in (OUTAGE, HOLD))
        streaming_s = max(0.0, min(t, seconds) - max(lo, STREAMING_AT)) - gap_s
        frames += round(streaming_s / 0.02)
        dl, dc = LOSS.get(k, (0, 0))
        lost += dl
        concealed += dc + round(gap_s / 0.02)
        state = "STREAMING"
        for s, d in (OUTAGE, HOLD):
            if s < t <= s + d:
                state = "RECONNECTING"
        row: dict[str, Any] = {
            "wall_time": f"2026-11-24T10:11:{12 + t:06.3f}Z",
            "elapsed_s": t,
            "state": state,
            "total_packets": frames,
            "dropped_packets": lost,
            "total_bytes": frames * 160,
            "avg_latency_ms": 12.0,
            "effective_bitrate": 64.0,
            "bitrate_kbps": 0.0 if state != "STREAMING" else 64.0,
            "jitter_ms": 5.0,
            "packets_per_s": 50.0 if state == "STREAMING" else 0.0,
            "frames": frames,
            "partial_bytes": 0,
            "lost_frames": lost,
            "concealed_frames": concealed,
            "late_frames": 0,
            "buffer_depth_ms": 60.0 if state == "STREAMING" else 0.0,
            "buffer_target_ms": 60.0,
            "degraded": "true" if OUTAGE[0] < t <= OUTAGE[0] + OUTAGE[1] + 1 else "false",
            "gap_ms": round(gap_s * 1000.0, 1),
            "time_scale_changes": 0,
        }
        if stereo:
            row["agent_level_dbfs"] = -18.0
            row["customer_level_dbfs"] = -20.0
            row["agent_talking"] = "true" if k % 2 == 1 else "false"
            row["customer_talking"] = "true" if k % 2 == 0 else "false"
            row["talk_over"] = "true" if k == 7 else "false"
        rows.append(row)
    return rows


def _append_cues(path: Path, gaps: list[dict[str, Any]], rate_hz: int) -> None:
    """Add `cue ` and `LIST/adtl` chunks after the data, as an editor (or the recorder) would."""
    points = b"".join(
        struct.pack("<II4sIII", i + 1, 0, b"data", 0, 0, int(g["processed_position_s"] * rate_hz))
        for i, g in enumerate(gaps)
    )
    cue = struct.pack("<4sII", b"cue ", 4 + len(points), len(gaps)) + points
    subs = b""
    for i, g in enumerate(gaps):
        text = f"{g['kind']} {g['duration_s']:.1f} s".encode() + b"\0"
        if len(text) % 2:
            text += b"\0"
        subs += struct.pack("<4sII", b"labl", 4 + len(text), i + 1) + text
        ltxt = struct.pack("<II4sHHHH", i + 1, int(g["duration_s"] * rate_hz), b"rgn ", 0, 0, 0, 0)
        subs += struct.pack("<4sI", b"ltxt", len(ltxt)) + ltxt
    lst = struct.pack("<4sI4s", b"LIST", 4 + len(subs), b"adtl") + subs
    with path.open("r+b") as f:
        f.seek(0, 2)
        if f.tell() % 2:
            f.write(b"\0")
        f.write(cue + lst)
        size = f.tell()
        f.seek(4)
        f.write(struct.pack("<I", size - 8))
