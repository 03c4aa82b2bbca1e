"""One call end to end: the only place that drives the state machine.

The session pumps stream → reassembler → metrics → raw recorder → jitter
buffer → DSP → playout sink + processed recorder, polls the call state, and
reconnects after an abnormal close while the call is still up. Everything runs
as tasks on one asyncio loop (under qasync that loop is the Qt thread), so
observers are called on that thread and may touch widgets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from cxone_desktop import __version__
from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.codecs import decode
from cxone_desktop.core.dsp import DspChain, DspSettings
from cxone_desktop.core.jitter_buffer import JitterBuffer, PlayoutBatch
from cxone_desktop.core.metrics import MetricsSnapshot, StreamMetrics
from cxone_desktop.core.reassembler import FrameReassembler
from cxone_desktop.core.ring_buffer import RingBuffer
from cxone_desktop.core.state_machine import CallState, CallStateMachine, Transition
from cxone_desktop.cxone.call_state import CallInfo, CallStatePoller
from cxone_desktop.cxone.settings import RetryPolicy
from cxone_desktop.cxone.token_provider import TokenProvider
from cxone_desktop.cxone.voice_stream import ControlMessage, StreamEnd, VoiceStream
from cxone_desktop.errors import (
    AuthError,
    CXoneError,
    HandshakeRejected,
    RateLimited,
    RecordingError,
    RetriesExhausted,
    StreamClosedAbnormally,
)
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.recorder import SessionRecorder

log = logging.getLogger(__name__)

PLAYOUT_TICK_S = 0.01
#: A slider drag is logged to events.jsonl at most this often (its final value always).
DSP_EVENT_INTERVAL_S = 0.25
#: Wait at least this long before polling the call state again after it failed.
CALL_STATE_RETRY_S = 5.0
WAVE_SECONDS = 5.0
Outcome = Literal["ended", "stopped", "auth_failed", "stream_failed"]


class SessionObserver(Protocol):
    """What the UI (or the `record` command) hears from a session; every method optional."""

    def on_state(self, t: Transition) -> None: ...
    def on_error(self, err: CXoneError) -> None: ...
    def on_event(self, event: dict[str, Any]) -> None: ...
    def on_metrics(self, snapshot: MetricsSnapshot) -> None: ...


class PlayoutSink(Protocol):
    """Receives processed int16 frames (n, samples) on the 20 ms playout clock."""

    def write(self, frames: np.ndarray) -> None: ...


@dataclass
class SessionResult:
    outcome: Outcome
    folder: Path | None
    snapshot: MetricsSnapshot
    error: CXoneError | None = None
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)


class _Stopped(Exception):
    """Internal: the user asked the session to stop."""


class StreamSession:
    """Owns one call: state machine, token provider, stream, poller, pipeline, recorder."""

    def __init__(
        self,
        config: SessionConfig,
        *,
        playout_sink: PlayoutSink | None = None,
        clock: Callable[[], float] = time.monotonic,
        record: bool = True,
    ) -> None:
        self.config = config
        self.fmt = AudioFormat(encoding=config.encoding)
        self.state_machine = CallStateMachine()
        self.metrics = StreamMetrics(self.fmt)
        self.jitter = JitterBuffer(self.fmt, target_delay_ms=config.jitter_target_ms)
        self.processed_wave = RingBuffer(int(WAVE_SECONDS * self.fmt.rate_hz), np.float32)
        self.raw_wave = RingBuffer(int(WAVE_SECONDS * self.fmt.rate_hz), np.float32)
        self.level_dbfs = -math.inf
        self.folder: Path | None = None
        self.playout_sink = playout_sink
        self._dsp = DspChain(config.dsp, self.fmt)
        self._reassembler = FrameReassembler(self.fmt)
        self._clock = clock
        self._record = record
        self._observers: list[Any] = []
        self._recorder: SessionRecorder | None = None
        self._stream: VoiceStream | None = None
        self._stop_event = asyncio.Event()
        self._call_ended = False
        self._on_hold = False  # the server said call.hold since the last connect
        self._stop_reason = "stopped by the user"
        self._started_s: float | None = None
        self._reconnects = 0
        self._errors: list[str] = []
        self._concealed_seen = 0
        self._late_seen = 0
        self._rng = random.Random()
        self._finished = asyncio.Event()
        self._closing: set[asyncio.Task[None]] = set()
        self._dsp_event_due = False
        self._dsp_event_at = -math.inf
        self.state_machine.add_listener(self._on_transition)

    # ---- observers -------------------------------------------------------------------------
    def add_observer(self, observer: Any) -> None:
        self._observers.append(observer)

    def _notify(self, method: str, *args: Any) -> None:
        for obs in list(self._observers):
            fn = getattr(obs, method, None)
            if fn is None:
                continue
            try:
                fn(*args)
            except Exception:  # an observer bug must not kill the call
                log.exception("session observer %s.%s failed", type(obs).__name__, method)

    def _on_transition(self, t: Transition) -> None:
        log.info(
            "call state %s → %s (%s)", t.previous and t.previous.value, t.state.value, t.reason
        )
        if self._recorder is not None:
            record = _transition_record(t)
            del record["wall_time"], record["monotonic_s"]  # the event line has its own time
            self._recorder.event("state", **record)
        self._notify("on_state", t)

    def _event(self, kind: str, **fields: Any) -> None:
        if self._recorder is not None:
            self._recorder.event(kind, **fields)
        self._notify("on_event", {"kind": kind, **fields})

    def _error(self, err: CXoneError) -> None:
        log.info("%s: %s", type(err).__name__, err.message)
        self._errors.append(f"{type(err).__name__}: {err.message}")
        if self._recorder is not None:
            self._recorder.event("error", type=type(err).__name__, message=err.message)
        self._notify("on_error", err)

    # ---- controls --------------------------------------------------------------------------
    def set_dsp(self, settings: DspSettings) -> None:
        """Takes effect on the next 20 ms frame; logged at most every DSP_EVENT_INTERVAL_S."""
        self._dsp.update(settings)
        self._dsp_event_due = True
        self._log_dsp()

    def _log_dsp(self, *, now: bool = False) -> None:
        """One "dsp" event for a slider drag, not one per step; the final value always."""
        if not self._dsp_event_due:
            return
        t = self._clock()
        if not now and t - self._dsp_event_at < DSP_EVENT_INTERVAL_S:
            return  # the playout loop logs it once the interval has passed
        self._dsp_event_due = False
        self._dsp_event_at = t
        settings = self._dsp.settings
        self._event(
            "dsp",
            gain=settings.gain,
            noise_threshold=settings.noise_threshold,
            gate_mode=settings.gate_mode,
        )

    @property
    def dsp_settings(self) -> DspSettings:
        return self._dsp.settings

    def latest_snapshot(self) -> MetricsSnapshot:
        return self.metrics.snapshot(self._clock())

    async def stop(self) -> None:
        """DISCONNECTING → TERMINATED with files finalized; returns when run() has finished."""
        self._stop_event.set()
        await self._close_stream()
        if self.state_machine.state is not CallState.IDLE:
            await self._finished.wait()

    def request_stop(self) -> None:
        """Non-async stop for signal handlers."""
        self._stop_event.set()
        if self._stream is not None:
            # Hold a reference: the loop keeps only a weak one to a running task.
            task = asyncio.get_running_loop().create_task(self._close_stream())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _close_stream(self) -> None:
        """Close the current stream, if any; its async iteration then ends."""
        if self._stream is not None:
            with contextlib.suppress(Exception):
                await self._stream.close()

    # ---- the call --------------------------------------------------------------------------
    async def run(self) -> SessionResult:
        """Until the call ends, the user stops, or it fails; never raises for call errors."""
        cfg = self.config
        outcome: Outcome = "ended"
        error: CXoneError | None = None
        self._open_recorder()  # first, so events.jsonl holds every transition
        self.state_machine.transition(CallState.CONNECTING, f"call {cfg.call_id}")
        tokens = TokenProvider(
            cfg.endpoints, cfg.credentials, auth=cfg.auth, tls=cfg.tls, retry=cfg.retry
        )
        tokens.on_retry = self._on_retry
        poller = CallStatePoller(
            cfg.endpoints,
            cfg.call_id,
            tokens,
            tls=cfg.tls,
            retry=cfg.retry,
            interval_s=cfg.poll_interval_s,
        )
        tasks: list[asyncio.Task[Any]] = []
        try:
            stream = await self._until_stopped(self._connect(tokens))
            self._started_s = self._clock()
            self.metrics.start(self._started_s)
            self.state_machine.transition(CallState.STREAMING, "audio stream open")
            tasks.append(asyncio.create_task(self._playout_loop(), name="playout"))
            tasks.append(asyncio.create_task(self._watch_call(poller), name="call-state"))
            if cfg.duration_s is not None:
                tasks.append(asyncio.create_task(self._stop_after(cfg.duration_s), name="duration"))
            outcome = await self._stream_until_done(stream, tokens, poller)
        except _Stopped:
            outcome = "stopped"
        except asyncio.CancelledError:
            outcome = "stopped"  # finalize below, then let the cancellation through
            raise
        except RateLimited as exc:
            outcome, error = "stream_failed", exc  # retries spent: not a credentials problem
            self._error(exc)
        except AuthError as exc:
            outcome, error = "auth_failed", exc
            self._error(exc)
        except HandshakeRejected as exc:
            outcome = "auth_failed" if exc.status in (401, 403) else "stream_failed"
            error = exc
            self._error(exc)
        except CXoneError as exc:
            outcome, error = "stream_failed", exc
            self._error(exc)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._close_stream()
            self._play(self.jitter.drain())
            self._log_dsp(now=True)
            await poller.aclose()
            await tokens.aclose()
            self._finish_states(outcome)
            result = self._finalize(outcome, error)
            self._finished.set()
        return result

    async def _until_stopped(self, coro: Any) -> Any:
        """Run `coro` unless stop() comes first."""
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(self._stop_event.wait())
        try:
            done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise _Stopped

    async def _connect(
        self, tokens: TokenProvider, retry: RetryPolicy | None = None
    ) -> VoiceStream:
        """Open the stream; `retry` overrides the handshake's own backoff."""
        cfg = self.config
        await tokens.token()
        stream = VoiceStream(
            cfg.endpoints,
            cfg.call_id,
            tokens,
            settings=cfg.stream,
            tls=cfg.tls,
            retry=retry or cfg.retry,
        )
        await stream.connect()
        self._stream = stream
        self._on_hold = False
        self._event("connected", url_path=cfg.endpoints.stream_path)
        return stream

    async def _stream_until_done(
        self, stream: VoiceStream, tokens: TokenProvider, poller: CallStatePoller
    ) -> Outcome:
        """Pump messages; on a close decide between ended, stopped and reconnect."""
        while True:
            await self._pump(stream)
            end = stream.end or StreamEnd(code=None, reason="stream ended", normal=False)
            self._flush_partial()
            self.metrics.reanchor()  # time on hold or reconnecting is not packet loss
            if self._stop_event.is_set():
                return "stopped"
            if self._call_ended:
                return "ended"
            self._event("closed", code=end.code, reason=end.reason, normal=end.normal)
            info = await self._call_info(poller)
            if info is not None and info.status == "ended":
                self._call_ended = True
                return "ended"
            on_hold = self._on_hold or (info is not None and info.status == "on_hold")
            if end.normal and not on_hold:
                return "ended"  # 1000/1001 mean the call is over unless it went on hold
            why = (
                "call on hold"
                if on_hold
                else f"connection dropped ({end.code or 'no close frame'})"
            )
            if not end.normal:
                self._error(
                    StreamClosedAbnormally(
                        f"The audio stream closed abnormally (code {end.code or 1006}); "
                        "reconnecting while the call is active.",
                        code=end.code,
                    )
                )
            self.state_machine.transition(CallState.RECONNECTING, why)
            stream = await self._until_stopped(self._reconnect(tokens, poller))
            if stream is None:
                self._call_ended = True
                return "ended"
            self.jitter.reset()
            self._reconnects += 1
            self.state_machine.transition(CallState.STREAMING, f"reconnected (#{self._reconnects})")

    async def _pump(self, stream: VoiceStream) -> None:
        async for message in stream:
            if isinstance(message, ControlMessage):
                self._on_control(message)
            else:
                self._feed(message)

    def _feed(self, data: bytes) -> None:
        """One binary WebSocket message: metrics, raw recording, frames into the jitter buffer."""
        now = self._clock()
        self.metrics.record_packet(len(data), now)
        if self._recorder is not None:
            self._recorder.write_raw(
                data if self.fmt.encoding == "pcm16" else decode(data, self.fmt.encoding)
            )
        frames = self._reassembler.feed(data)
        if len(frames):
            self.metrics.record_frames(len(frames))
            self.raw_wave.extend(frames.reshape(-1))
            self.jitter.push(frames, now)

    def _flush_partial(self) -> None:
        partial = self._reassembler.flush()
        if partial:
            self.metrics.record_partial(len(partial))
            self._event("partial_frame", bytes=len(partial))

    def _on_control(self, message: ControlMessage) -> None:
        if message.data is None:
            log.warning(
                "unparsable control message (%d chars): %s", len(message.text), message.error
            )
            self._event("control_unparsable", error=message.error, length=len(message.text))
            return
        self._event("control", message=message.data)
        kind = message.data.get("event")
        log.info("control message: %s", kind)
        if kind == "call.ended":
            self._call_ended = True
        elif kind == "call.hold":
            self._on_hold = True

    async def _call_info(self, poller: CallStatePoller) -> CallInfo | None:
        try:
            return await poller.fetch()
        except CXoneError as exc:
            self._error(exc)
            return None

    async def _reconnect(
        self, tokens: TokenProvider, poller: CallStatePoller
    ) -> VoiceStream | None:
        """New connection with backoff while the call is up; None when it has ended."""
        retry = self.config.retry
        deadline = self._clock() + retry.max_total_s
        attempt = 0
        while True:
            info = await self._call_info(poller)
            if info is not None and info.status == "ended":
                return None
            if info is not None and info.status == "on_hold":
                # Holds can last; wait for resume without spending retries.
                await asyncio.sleep(min(self.config.poll_interval_s, 1.0))
                continue
            try:
                # One handshake per attempt: this loop is the backoff (and checks the call).
                return await self._connect(tokens, replace(retry, max_attempts=1))
            except HandshakeRejected as exc:
                if exc.status in (401, 403):
                    info = await self._call_info(poller)
                    if info is not None and info.status == "ended":
                        return None
                    raise
                last: CXoneError = exc
            except CXoneError as exc:
                last = exc
            attempt += 1
            if attempt >= retry.max_attempts or self._clock() >= deadline:
                raise RetriesExhausted(
                    f"Could not reconnect to the audio stream after {attempt} attempts "
                    f"({type(last).__name__}: {last.message})"
                )
            retry_after = last.retry_after_s if isinstance(last, RateLimited) else None
            delay = retry.delay(attempt, retry_after, self._rng)
            self._event("reconnect_wait", attempt=attempt, delay_s=round(delay, 2))
            await asyncio.sleep(delay)

    async def _watch_call(self, poller: CallStatePoller) -> None:
        """Poll the call state while connected; an outage is reported once, then ridden out."""
        last: str | None = None
        failing = False
        while True:
            try:
                info = await poller.fetch()
            except CXoneError as exc:
                if not failing:
                    self._error(exc)  # the stream goes on; polling resumes when it can
                failing = True
                await asyncio.sleep(max(poller.interval_s, CALL_STATE_RETRY_S))
                continue
            if failing:
                self._event("call_state_restored")
                failing = False
            if info.status != last:
                self._event("call_state", status=info.status)
                last = info.status
            if info.status == "ended":
                self._call_ended = True
                await self._close_stream()
                return
            await asyncio.sleep(poller.interval_s)

    async def _stop_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._event("duration_reached", seconds=seconds)
        self._stop_reason = f"--duration {seconds:g} s reached"
        self._stop_event.set()
        await self._close_stream()

    def _on_retry(self, err: Exception, delay_s: float) -> None:
        if isinstance(err, CXoneError):
            self._event("retry", error=type(err).__name__, message=err.message, delay_s=delay_s)
        else:
            self._event("retry", error=type(err).__name__, delay_s=delay_s)

    # ---- playout ---------------------------------------------------------------------------
    async def _playout_loop(self) -> None:
        while True:
            now = self._clock()
            self._play(self.jitter.pull(now))
            self.metrics.set_buffer(self.jitter.depth_ms, self.jitter.target_ms)
            snap = self.metrics.tick(now)
            if snap is not None:
                self._on_second(snap)
            self._log_dsp()
            await asyncio.sleep(PLAYOUT_TICK_S)

    def _play(self, batch: PlayoutBatch) -> None:
        concealed = self.jitter.concealed_frames - self._concealed_seen
        late = self.jitter.late_dropped_frames - self._late_seen
        if concealed:
            self.metrics.record_concealed(concealed)
            self._concealed_seen += concealed
        if late:
            self.metrics.record_late(late)
            self._late_seen += late
        if not len(batch):
            return
        out = self._dsp.process(batch.frames)
        flat = out.reshape(-1)
        self.processed_wave.extend(flat)
        last = out[-1].astype(np.float64)
        rms = math.sqrt(float(np.mean(last * last)))
        self.level_dbfs = 20 * math.log10(rms / 32768.0) if rms > 0 else -math.inf
        if self._recorder is not None:
            self._recorder.write_processed(out)
        if self.playout_sink is not None:
            try:
                self.playout_sink.write(out)
            except Exception:
                log.exception("playout sink failed")

    def _on_second(self, snap: MetricsSnapshot) -> None:
        if self._recorder is not None:
            self._recorder.write_metrics(
                snap.as_dict(), state=self.state_machine.state.value, elapsed_s=snap.elapsed_s
            )
            self._recorder.flush()  # headers current each second, on hold and reconnect too
        self._notify("on_metrics", snap)

    # ---- recording -------------------------------------------------------------------------
    def _open_recorder(self) -> None:
        if not self._record:
            return
        try:
            self._recorder = SessionRecorder(
                self.config.recordings_dir,
                self.config.call_id,
                rate_hz=self.fmt.rate_hz,
                on_error=self._error,
            )
        except RecordingError as exc:
            self._error(exc)  # streaming goes on without a recording
            return
        except OSError as exc:
            self._error(RecordingError(f"Cannot create the session folder: {exc.strerror or exc}"))
            return
        self.folder = self._recorder.folder
        self._event("session_started", settings=self.config.public_settings(), version=__version__)

    def _finish_states(self, outcome: Outcome) -> None:
        sm = self.state_machine
        reason = {
            "ended": "call ended",
            "stopped": self._stop_reason,
            "auth_failed": "authentication failed",
            "stream_failed": "stream failed",
        }[outcome]
        # Closing a live stream passes DISCONNECTING; a spent or ended reconnect has none to close.
        if sm.state is CallState.STREAMING or (
            sm.state is CallState.RECONNECTING and outcome == "stopped"
        ):
            sm.transition(CallState.DISCONNECTING, reason)
        if sm.state is not CallState.TERMINATED:
            sm.transition(CallState.TERMINATED, reason)

    def checkpoint(self) -> dict[str, Any]:
        """Push the recording to disk now; the summary as it stands, for a live export."""
        if self._recorder is not None:
            self._recorder.flush()
        now = self._clock()
        return self._summary(now, self.metrics.snapshot(now), "in_progress")

    def _summary(self, now: float, snap: MetricsSnapshot, outcome: str) -> dict[str, Any]:
        return {
            **snap.as_seed_dict(),
            "metrics": snap.as_dict(),
            "outcome": outcome,
            "duration_s": (now - self._started_s) if self._started_s is not None else 0.0,
            "settings": self.config.public_settings(),
            "state_history": [_transition_record(t) for t in self.state_machine.history],
            "errors": list(self._errors),
            "reconnects": self._reconnects,
            "app_version": __version__,
        }

    def _finalize(self, outcome: Outcome, error: CXoneError | None) -> SessionResult:
        now = self._clock()
        self.metrics.reanchor()
        snap = self.metrics.snapshot(now)
        if self._recorder is not None:
            summary = self._summary(now, snap, outcome)
            try:
                self._recorder.finalize(summary)
            except RecordingError as exc:
                self._error(exc)
        return SessionResult(
            outcome=outcome,
            folder=self.folder,
            snapshot=snap,
            error=error,
            reconnects=self._reconnects,
            errors=list(self._errors),
        )


def _transition_record(t: Transition) -> dict[str, Any]:
    """A transition as events.jsonl and summary.json spell it."""
    return {
        "state": t.state.value,
        "previous": t.previous and t.previous.value,
        "wall_time": t.wall_time,
        "monotonic_s": t.monotonic_s,
        "reason": t.reason,
    }
