"""A stand-in for StreamSession: same observer calls, same rings, no network.

It plays a 440 Hz tone through the real DSP chain on a 20 ms clock, so the
widgets, the controller and the sliders can be tested without a simulator. With
`parties=2` it plays a two-party call instead (agent 440 Hz left, customer 660 Hz right,
taking turns with a stretch of talk-over) through the real `TwoPartyPlayout`.
mypy checks it against `LiveSession`, the face the window relies on.

A test can also make it do what the real session does when the network misbehaves:
`pause_audio()` / `resume_audio()` stop and restart the frames while the call stays
up (after STALL_AFTER_S of no audio it emits `stall`, on resume `stall_cleared` and
a `gap`, as the session does), `drop_and_reconnect()` goes through RECONNECTING, and
`report()` / `emit()` pass an error or an event to the window.
"""

from __future__ import annotations

import asyncio
import math
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cxone_desktop.core.dsp import DspChain, DspSettings
from cxone_desktop.core.listen_mode import ListenMode, PartyAudibility
from cxone_desktop.core.metrics import PER_SECOND_COLUMNS, MetricsSnapshot
from cxone_desktop.core.ring_buffer import RecordRing, RingBuffer
from cxone_desktop.core.state_machine import CallState, CallStateMachine
from cxone_desktop.core.talk_state import TalkTotals
from cxone_desktop.core.two_party_playout import TwoPartyPlayout
from cxone_desktop.errors import CXoneError
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.live_view import LiveSession
from cxone_desktop.session.observer import SessionObserver
from cxone_desktop.session.playout_sink import PlayoutSink
from cxone_desktop.session.session_result import Outcome, SessionResult

RATE_HZ = 8000
FRAME = 160
FRAME_S = FRAME / RATE_HZ
#: The session's rule: no audio for this long while the call is up is a stall.
STALL_AFTER_S = 1.0


class FakeSession:
    """Streams `seconds` of tone (or until stop()), or fails at once with `fail_with`."""

    def __init__(
        self,
        config: SessionConfig,
        playout_sink: PlayoutSink | None = None,
        *,
        seconds: float = 30.0,
        amplitude: float = 1000.0,
        fail_with: CXoneError | None = None,
        degraded_after_s: float | None = None,
        parties: int = 1,
    ) -> None:
        self.config = config
        self.playout_sink = playout_sink
        self.state_machine = CallStateMachine()
        self._chart_rows = RecordRing(240, PER_SECOND_COLUMNS)
        self._processed_wave = RingBuffer(5 * RATE_HZ * parties, np.float32)
        self._raw_wave = RingBuffer(5 * RATE_HZ * parties, np.float32)
        self._level_dbfs = -math.inf
        self._folder: Path | None = None
        self.dsp_changes: list[DspSettings] = []
        self.customer_dsp_changes: list[DspSettings | None] = []
        self.modes: list[ListenMode] = []
        self.audibility: list[PartyAudibility] = []
        self.processed_frames: list[np.ndarray] = []
        self.heard_frames: list[np.ndarray] = []
        self._dsp = DspChain(config.dsp)
        self._parties = parties
        self._listen_mode: ListenMode = config.channels if parties == 2 else "mixed"
        self._playout = (
            TwoPartyPlayout(config.dsp, mode=self._listen_mode) if parties == 2 else None
        )
        self._seconds = seconds
        self._amplitude = amplitude
        self._fail_with = fail_with
        self._degraded_after_s = degraded_after_s
        self._observers: list[SessionObserver] = []
        self._stop = asyncio.Event()
        self._finished = asyncio.Event()
        self._paused = False
        self._silent_s = 0.0
        self._stalled = False
        self.state_machine.add_listener(lambda t: self._tell(lambda o: o.on_state(t)))

    # ---- LiveView ---------------------------------------------------------------------------
    @property
    def raw_wave(self) -> RingBuffer:
        return self._raw_wave

    @property
    def processed_wave(self) -> RingBuffer:
        return self._processed_wave

    @property
    def level_dbfs(self) -> float:
        return self._level_dbfs

    @property
    def chart_rows(self) -> RecordRing:
        return self._chart_rows

    @property
    def state(self) -> CallState:
        return self.state_machine.state

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def party_levels_dbfs(self) -> tuple[float, float]:
        return self._playout.levels_dbfs if self._playout else (-math.inf, -math.inf)

    @property
    def talk_ring(self) -> RingBuffer | None:
        return self._playout.talk_ring if self._playout else None

    @property
    def talk_totals(self) -> TalkTotals | None:
        return self._playout.talk.totals() if self._playout else None

    @property
    def listen_mode(self) -> ListenMode:
        return self._listen_mode

    @property
    def folder(self) -> Path | None:
        return self._folder

    # ---- LiveSession ------------------------------------------------------------------------
    def add_observer(self, observer: SessionObserver) -> None:
        self._observers.append(observer)

    def set_dsp(self, settings: DspSettings, customer: DspSettings | None = None) -> None:
        self._dsp.update(settings)
        if self._playout is not None:
            self._playout.set_dsp(settings, customer)
        self.dsp_changes.append(settings)
        self.customer_dsp_changes.append(customer)

    def set_listen_mode(self, mode: ListenMode) -> None:
        self.modes.append(mode)
        if self._playout is not None:
            self._listen_mode = self._playout.mode = mode

    def set_audible(self, audible: PartyAudibility) -> None:
        self.audibility.append(audible)
        if self._playout is not None:
            self._playout.audible = audible

    def checkpoint(self) -> dict[str, Any]:
        return {"outcome": "in_progress"}

    # ---- what a test makes it do ----------------------------------------------------------
    def pause_audio(self) -> None:
        """No more frames arrive; the call stays up (a dead stream)."""
        self._paused = True

    def resume_audio(self) -> None:
        """Frames arrive again."""
        self._paused = False

    def report(self, err: CXoneError) -> None:
        self._tell(lambda o: o.on_error(err))

    def emit(self, kind: str, **fields: Any) -> None:
        event = {"kind": kind, **fields}
        self._tell(lambda o: o.on_event(event))

    def drop_and_reconnect(self, reconnected: bool = True) -> None:
        """STREAMING → RECONNECTING (→ STREAMING again if `reconnected`)."""
        sm = self.state_machine
        sm.transition(CallState.RECONNECTING, "abnormal close (1006)")
        if reconnected:
            sm.transition(CallState.STREAMING, "reconnected (#1)")

    async def stop(self) -> None:
        self._stop.set()
        if self.state_machine.state is not CallState.IDLE:
            await self._finished.wait()

    async def run(self) -> SessionResult:
        sm = self.state_machine
        sm.transition(CallState.CONNECTING, f"call {self.config.call_id}")
        await asyncio.sleep(0.02)
        if self._fail_with is not None:
            err = self._fail_with
            self._tell(lambda o: o.on_error(err))
            sm.transition(CallState.TERMINATED, "authentication failed")
            self._finished.set()
            return self._result("auth_failed")
        self._folder = self._make_folder()
        self._tell(lambda o: o.on_event({"kind": "session_started"}))
        if self.playout_sink is not None:
            self.playout_sink.set_channels(self._parties)
        sm.transition(CallState.STREAMING, "audio stream open")
        n = 0
        outcome: Outcome = "ended"
        raw_all: list[np.ndarray] = []
        t = np.arange(FRAME) / RATE_HZ
        while n * FRAME < self._seconds * RATE_HZ:
            if self._stop.is_set():
                outcome = "stopped"
                break
            if self._paused:
                self._silent_s += FRAME_S
                if self._silent_s >= STALL_AFTER_S and not self._stalled:
                    self._stalled = True
                    self.emit("stall", silent_s=round(self._silent_s, 3))
                await asyncio.sleep(FRAME_S)
                continue
            if self._silent_s > 0:
                self._audio_returned()
            phase = n * FRAME / RATE_HZ
            frame = (self._amplitude * np.sin(2 * np.pi * 440 * (t + phase))).astype(np.int16)
            if self._playout is not None:
                frame = self._two_party_frame(n, frame, t + phase)
            raw_all.append(frame)
            self._raw_wave.extend(frame)
            if self._playout is None:
                out = heard = lanes = self._dsp.process(frame.reshape(1, FRAME))
            else:
                played = self._playout.process(frame.reshape(1, 2 * FRAME))
                out, heard, lanes = played.played, played.heard, played.parties
            self.processed_frames.append(out.reshape(-1))
            self.heard_frames.append(heard.reshape(-1))
            self._processed_wave.extend(lanes.reshape(-1))
            rms = math.sqrt(float(np.mean(out.astype(np.float64) ** 2)))
            self._level_dbfs = 20 * math.log10(rms / 32768) if rms > 0 else -math.inf
            if self.playout_sink is not None:
                self.playout_sink.write(heard)
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
        return self._result(outcome)

    # ---- internals --------------------------------------------------------------------------
    def _two_party_frame(self, n: int, agent_tone: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Frame n of a 4 s cycle: line noise 0.5 s, agent 1.5 s (the last 0.5 s over the
        customer), customer 1.5 s, silence 0.5 s; interleaved agent left."""
        cycle_s = (n * FRAME_S) % 4.0
        hiss = np.random.default_rng(n).normal(0, 20, FRAME).astype(np.int16)
        customer_tone = (self._amplitude * np.sin(2 * np.pi * 660 * t)).astype(np.int16)
        agent = agent_tone if 0.5 <= cycle_s < 2.0 else hiss
        customer = customer_tone if 1.5 <= cycle_s < 3.5 else hiss
        both = np.empty(2 * FRAME, dtype=np.int16)
        both[0::2], both[1::2] = agent, customer
        return both

    def _audio_returned(self) -> None:
        silent, self._silent_s = self._silent_s, 0.0
        if self._stalled:
            self._stalled = False
            self.emit("stall_cleared", silent_s=round(silent, 3))
        self.emit(
            "gap",
            gap_kind="outage",
            duration_s=round(silent, 3),
            raw_position_s=len(self.processed_frames) * FRAME_S,
            processed_position_s=len(self.processed_frames) * FRAME_S,
        )

    def _result(self, outcome: Outcome) -> SessionResult:
        snap = _snapshot(elapsed_s=0.0, degraded=False)
        return SessionResult(outcome=outcome, folder=self._folder, snapshot=snap)

    def _second(self, elapsed: int) -> None:
        degraded = self._degraded_after_s is not None and elapsed >= self._degraded_after_s
        snap = _snapshot(elapsed_s=float(elapsed), degraded=degraded)
        self._chart_rows.append_row(snap.as_row())
        self._tell(lambda o: o.on_metrics(snap))

    def _make_folder(self) -> Path | None:
        if self.config.out_dir is None:
            return None
        folder = self.config.out_dir / f"{self.config.call_id}-fake"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _write_wavs(self, raw: list[np.ndarray]) -> None:
        if self._folder is None:
            return
        for name, frames in (("raw.wav", raw), ("processed.wav", self.processed_frames)):
            with wave.open(str(self._folder / name), "wb") as w:
                w.setnchannels(self._parties)
                w.setsampwidth(2)
                w.setframerate(RATE_HZ)
                w.writeframes(b"".join(f.astype("<i2").tobytes() for f in frames))
        (self._folder / "metrics.csv").write_text("elapsed_s\n1\n")
        (self._folder / "events.jsonl").write_text('{"kind": "session_started"}\n')
        (self._folder / "summary.json").write_text('{"outcome": "fake"}\n')

    def _tell(self, call: Callable[[SessionObserver], None]) -> None:
        for obs in list(self._observers):
            call(obs)


def _snapshot(*, elapsed_s: float, degraded: bool) -> MetricsSnapshot:
    """A second of a healthy (or, once degraded, starved) 128 kbps stream."""
    return MetricsSnapshot(
        elapsed_s=elapsed_s,
        total_packets=int(50 * elapsed_s),
        dropped_packets=0,
        total_bytes=int(16000 * elapsed_s),
        avg_latency_ms=0.0,
        effective_bitrate=128.0,
        bitrate_kbps=8.0 if degraded else 128.0,
        jitter_ms=1.0 + elapsed_s,
        packets_per_s=50.0,
        frames=int(50 * elapsed_s),
        partial_bytes=0,
        lost_frames=0,
        gap_ms=0.0,
        loss_5s_percent=0.0,
        concealed_frames=0,
        late_frames=0,
        buffer_depth_ms=40.0,
        buffer_target_ms=40.0,
        time_scale_changes=0,
        degraded=degraded,
    )


def _satisfies_live_session(config: SessionConfig) -> LiveSession:
    """Never called: mypy checks here that the fake has the face the window relies on."""
    return FakeSession(config)
