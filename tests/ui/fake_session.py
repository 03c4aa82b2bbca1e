"""A stand-in for StreamSession: same observer calls, same rings, no network.

It plays a 440 Hz tone through the real DSP chain on a 20 ms clock, so the
widgets, the controller and the sliders can be tested without a simulator.
"""

from __future__ import annotations

import asyncio
import math
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from cxone_desktop.core.dsp import DspChain, DspSettings
from cxone_desktop.core.metrics import PER_SECOND_COLUMNS
from cxone_desktop.core.ring_buffer import RecordRing, RingBuffer
from cxone_desktop.core.state_machine import CallState, CallStateMachine
from cxone_desktop.errors import CXoneError
from cxone_desktop.session.config import SessionConfig

RATE_HZ = 8000
FRAME = 160


class FakeSession:
    """Streams `seconds` of tone (or until stop()), or fails at once with `fail_with`."""

    def __init__(
        self,
        config: SessionConfig,
        playout_sink: Any = None,
        *,
        seconds: float = 30.0,
        amplitude: float = 1000.0,
        fail_with: CXoneError | None = None,
        degraded_after_s: float | None = None,
    ) -> None:
        self.config = config
        self.playout_sink = playout_sink
        self.state_machine = CallStateMachine()
        self.metrics = SimpleNamespace(
            per_second=RecordRing(3600, PER_SECOND_COLUMNS),
            chart_rows=RecordRing(240, PER_SECOND_COLUMNS),
        )
        self.processed_wave = RingBuffer(5 * RATE_HZ, np.float32)
        self.raw_wave = RingBuffer(5 * RATE_HZ, np.float32)
        self.level_dbfs = -math.inf
        self.folder: Path | None = None
        self.dsp_changes: list[DspSettings] = []
        self.processed_frames: list[np.ndarray] = []
        self._dsp = DspChain(config.dsp)
        self._seconds = seconds
        self._amplitude = amplitude
        self._fail_with = fail_with
        self._degraded_after_s = degraded_after_s
        self._observers: list[Any] = []
        self._stop = asyncio.Event()
        self._finished = asyncio.Event()
        self.state_machine.add_listener(lambda t: self._notify("on_state", t))

    def add_observer(self, obs: Any) -> None:
        self._observers.append(obs)

    def set_dsp(self, settings: DspSettings) -> None:
        self._dsp.update(settings)
        self.dsp_changes.append(settings)

    async def stop(self) -> None:
        self._stop.set()
        if self.state_machine.state is not CallState.IDLE:
            await self._finished.wait()

    async def run(self) -> Any:
        sm = self.state_machine
        sm.transition(CallState.CONNECTING, f"call {self.config.call_id}")
        await asyncio.sleep(0.02)
        if self._fail_with is not None:
            self._notify("on_error", self._fail_with)
            sm.transition(CallState.TERMINATED, "authentication failed")
            self._finished.set()
            return SimpleNamespace(outcome="auth_failed", folder=None)
        self.folder = self._make_folder()
        self._notify("on_event", {"kind": "session_started"})
        sm.transition(CallState.STREAMING, "audio stream open")
        n = 0
        outcome = "ended"
        raw_all: list[np.ndarray] = []
        t = np.arange(FRAME) / RATE_HZ
        while n * FRAME < self._seconds * RATE_HZ:
            if self._stop.is_set():
                outcome = "stopped"
                break
            phase = n * FRAME / RATE_HZ
            frame = (self._amplitude * np.sin(2 * np.pi * 440 * (t + phase))).astype(np.int16)
            raw_all.append(frame)
            self.raw_wave.extend(frame)
            out = self._dsp.process(frame.reshape(1, FRAME))
            self.processed_frames.append(out.reshape(-1))
            self.processed_wave.extend(out.reshape(-1))
            rms = math.sqrt(float(np.mean(out.astype(np.float64) ** 2)))
            self.level_dbfs = 20 * math.log10(rms / 32768) if rms > 0 else -math.inf
            if self.playout_sink is not None:
                self.playout_sink.write(out)
            n += 1
            if n % 50 == 0:
                self._second(n // 50)
            await asyncio.sleep(0.02)
        sm.transition(
            CallState.DISCONNECTING, "stopped by the user" if outcome == "stopped" else "call ended"
        )
        self._write_wavs(raw_all)
        sm.transition(CallState.TERMINATED, "done")
        self._finished.set()
        return SimpleNamespace(outcome=outcome, folder=self.folder)

    def _second(self, elapsed: int) -> None:
        degraded = self._degraded_after_s is not None and elapsed >= self._degraded_after_s
        row = {c: 0.0 for c in PER_SECOND_COLUMNS}
        row.update(
            elapsed_s=float(elapsed),
            bitrate_kbps=128.0 if not degraded else 8.0,
            jitter_ms=1.0 + elapsed,
            packets_per_s=50.0,
            buffer_depth_ms=40.0,
            buffer_target_ms=40.0,
            degraded=float(degraded),
        )
        self.metrics.per_second.append(**row)
        self.metrics.chart_rows.append(**row)
        self._notify("on_metrics", SimpleNamespace(**{**row, "degraded": degraded}))

    def _make_folder(self) -> Path | None:
        if self.config.out_dir is None:
            return None
        folder = self.config.out_dir / f"{self.config.call_id}-fake"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _write_wavs(self, raw: list[np.ndarray]) -> None:
        if self.folder is None:
            return
        for name, frames in (("raw.wav", raw), ("processed.wav", self.processed_frames)):
            with wave.open(str(self.folder / name), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE_HZ)
                w.writeframes(b"".join(f.astype("<i2").tobytes() for f in frames))
        (self.folder / "metrics.csv").write_text("elapsed_s\n1\n")

    def _notify(self, method: str, *args: Any) -> None:
        for obs in list(self._observers):
            fn = getattr(obs, method, None)
            if fn is not None:
                fn(*args)
