"""One call end to end: the only place that drives the state machine.

The session owns lifetimes and awaits: the call link (token provider, call-state
poller, socket, reconnects: `CallLink`), the playout timer, the recorder. What happens
to the audio is the `Pipeline`'s (synchronous); what happens to the call after a
close is `call_decision`'s (pure), what a failure means `call_failure`'s; a stop cuts
short any wait (`StopRequest`); news goes out through `SessionNews`. Everything runs on one
asyncio loop (under qasync, the Qt thread), so observers may touch widgets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from cxone_desktop import __version__
from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.metrics import MetricsSnapshot
from cxone_desktop.core.state_machine import CallState, CallStateMachine
from cxone_desktop.cxone.control_event import ControlEvent, ControlKind
from cxone_desktop.cxone.voice_stream import StreamEnd, VoiceStream
from cxone_desktop.errors import (
    CXoneError,
    RecordingError,
    StreamClosedAbnormally,
    StreamNeverOpened,
    StreamSilent,
)
from cxone_desktop.session.arrival_trace import ArrivalTraceWriter
from cxone_desktop.session.call_decision import CallFacts, NextStep, after_close, final_states
from cxone_desktop.session.call_failure import call_failure
from cxone_desktop.session.call_link import CallLink
from cxone_desktop.session.config import SessionConfig
from cxone_desktop.session.error_tally import worth_writing
from cxone_desktop.session.live_view import PipelineView
from cxone_desktop.session.observer import SessionObserver
from cxone_desktop.session.pipeline import Pipeline
from cxone_desktop.session.playout_sink import PlayoutSink
from cxone_desktop.session.recorder import open_recorder
from cxone_desktop.session.session_news import SessionNews
from cxone_desktop.session.session_result import Outcome, SessionResult
from cxone_desktop.session.silence_watch import SilenceWatch
from cxone_desktop.session.stop_request import Stopped, StopRequest
from cxone_desktop.session.summary import build_summary

log = logging.getLogger(__name__)

#: The playout loop wakes this long after a slot is due: timers fire a little early or late.
PLAYOUT_LATE_S = 0.002
_STOP_REASONS: dict[Outcome, str] = {
    "ended": "call ended",
    "auth_failed": "authentication failed",
    "stream_failed": "stream failed",
    "failed": "internal error",
}


class StreamSession(PipelineView):
    """Owns one call: state machine, token provider, stream, poller, pipeline, recorder."""

    def __init__(
        self,
        config: SessionConfig,
        *,
        playout_sink: PlayoutSink | None = None,
        clock: Callable[[], float] = time.perf_counter,  # arrival times: fine-grained everywhere
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        record: bool = True,
    ) -> None:
        self.config = config
        self._news = SessionNews()
        self.state_machine = CallStateMachine()
        self.pipeline = Pipeline(
            AudioFormat(encoding=config.encoding),
            config.dsp,
            emit=self._news.event,
            jitter_target_ms=config.jitter_target_ms,
            playout_mode=config.playout_mode,
            sink=playout_sink,
            on_sink_error=self._on_sink_error,
            listen_mode=config.channels,
            customer_dsp=config.customer_dsp,
        )
        self.folder: Path | None = None
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._record = record
        self._facts = CallFacts()
        self._stop = StopRequest(self._facts)
        self._link: CallLink | None = None
        self._started_s: float | None = None
        self._reconnects = 0
        self._silence = SilenceWatch(config.silence_timeout_s)
        self._duration_reached = False
        self._unparsable = 0
        self._sink_failed = False
        self._finished = asyncio.Event()
        self._closing: set[asyncio.Task[None]] = set()
        self.state_machine.add_listener(self._news.transition)

    def latest_snapshot(self) -> MetricsSnapshot:
        return self.pipeline.metrics.snapshot(self._clock())

    # ---- news ------------------------------------------------------------------------------
    def add_observer(self, observer: SessionObserver) -> None:
        self._news.observers.append(observer)

    def _on_sink_error(self, exc: Exception) -> None:
        """The sink reports its own trouble to the user (QtPlayoutSink's status); log it once."""
        if not self._sink_failed:  # it would fail on every frame
            self._sink_failed = True
            log.error("playout sink failed: %r", exc, exc_info=exc)

    # ---- controls (set_dsp, set_listen_mode, set_audible: PipelineView) ----------------------
    async def stop(self) -> None:
        """DISCONNECTING → TERMINATED with files finalized; returns when run() has finished."""
        self._stop.request("stopped by the user")
        await self._close_stream()
        if self.state_machine.state is not CallState.IDLE:
            await self._finished.wait()

    def request_stop(self) -> None:
        """Non-async stop for signal handlers."""
        self._stop.request("stopped by the user")
        if self._link is not None:
            # Hold a reference: the loop keeps only a weak one to a running task.
            task = asyncio.get_running_loop().create_task(self._close_stream())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _close_stream(self) -> None:
        if self._link is not None:
            await self._link.close_stream()

    # ---- the call --------------------------------------------------------------------------
    async def run(self) -> SessionResult:
        """Until the call ends, the user stops, or it fails; never raises for call errors."""
        cfg = self.config
        outcome: Outcome = "ended"
        error: CXoneError | None = None
        origin = self._clock()  # session time zero: events, metrics rows and gaps share it
        self.pipeline.start(origin)
        self._open_recorder(origin)  # first, so events.jsonl holds every transition
        self.state_machine.transition(CallState.CONNECTING, f"call {cfg.call_id}")
        link = self._link = CallLink(
            cfg, self._facts, self._news, clock=self._clock, sleep=self._sleep, rng=self._rng
        )
        tasks: list[asyncio.Task[None]] = []
        if cfg.duration_s is not None:  # from the start: it bounds connecting too
            tasks.append(asyncio.create_task(self._stop_after(cfg.duration_s), name="duration"))
        try:
            # Hear the parties apart when the server offers them: stream, raw.wav and
            # processed.wav are then 2-channel, agent left (set up before any byte).
            if await self._stop.until_stopped(link.choose_channels(cfg.two_party)) == 2:
                self.pipeline.use_two_parties()
            stream = await self._stop.until_stopped(link.connect())
            self._started_s = self._clock()
            self.pipeline.stream_opened(self._started_s)
            self._silence.opened(self._started_s)
            self.state_machine.transition(CallState.STREAMING, "audio stream open")
            tasks.append(asyncio.create_task(self._playout_loop(), name="playout"))
            tasks.append(asyncio.create_task(link.watch(), name="call-state"))
            tasks.append(asyncio.create_task(self._silence.run(
                self._clock, call_up=self._call_up, on_silent=self._on_silent
            ), name="silence"))  # fmt: skip
            outcome = await self._stream_until_done(link, stream)
        except Stopped:
            outcome = "stopped"
            if self._duration_reached and self._started_s is None:
                outcome = "stream_failed"
                error = StreamNeverOpened(
                    f"The audio stream did not open within --duration {cfg.duration_s:g} s."
                )
                self._news.error(error)
        except asyncio.CancelledError:
            outcome = "stopped"  # finalize below, then let the cancellation through
            raise
        except Exception as exc:  # files are finalized below whatever went wrong
            outcome, error = call_failure(exc, self._news)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await link.aclose()
            snap = self.pipeline.finish(self._clock())
            self._finish_states(outcome)
            result = self._finalize(outcome, error, snap)
            self._finished.set()
        return result

    async def _stream_until_done(self, link: CallLink, stream: VoiceStream) -> Outcome:
        """Pump messages; on each close, decide between ended, stopped and reconnect."""
        while True:
            await self._pump(stream)
            end = self._silence.end_of(stream.end or StreamEnd(code=None, reason="stream ended"))
            self.pipeline.connection_lost()
            if self._facts.stop_reason is None and not self._facts.ended:
                self._news.event("closed", code=end.code, reason=end.reason, normal=end.normal)
            status = await link.status() if self._facts.needs_call_state else None
            decision = after_close(self._facts, end, status)
            if decision.step is NextStep.STOP:
                return "stopped"
            if decision.step is NextStep.END:
                return "ended"
            if decision.abnormal and not self._silence.tripped:  # silence was said already
                self._news.error(
                    StreamClosedAbnormally(
                        f"The audio stream closed abnormally (code {end.shown_code}); "
                        "reconnecting while the call is active.",
                        code=end.code,
                    )
                )
            self.pipeline.call_interrupted(self._clock(), on_hold=decision.on_hold)
            self.state_machine.transition(CallState.RECONNECTING, decision.why)
            reopened = await self._stop.until_stopped(link.reconnect())
            if reopened is None:
                return "ended"
            stream = reopened
            self._silence.opened(self._clock())
            self.pipeline.reconnected()
            self._reconnects += 1
            self.state_machine.transition(CallState.STREAMING, f"reconnected (#{self._reconnects})")

    async def _pump(self, stream: VoiceStream) -> None:
        async for message in stream:
            if isinstance(message, ControlEvent):
                self._on_control(message)
            else:
                now = self._clock()
                self.pipeline.feed(message, now)
                if message:
                    self._heard_audio(now)

    def _heard_audio(self, now: float) -> None:
        self._silence.heard(now)
        if self._link is not None:
            self._link.budget.heard_audio(now)

    def _call_up(self) -> bool:
        """Streaming, and nobody (user, server) has said it is over or on hold."""
        facts = self._facts
        return self.state_machine.state is CallState.STREAMING and not (
            facts.stop_reason or facts.ended or facts.on_hold
        )

    async def _on_silent(self) -> None:
        timeout = self._silence.timeout_s
        said = f"No audio for {timeout:g} s although the call is up; reconnecting."
        self._news.error(StreamSilent(said))
        await self._close_stream()

    def _on_control(self, message: ControlEvent) -> None:
        if message.kind is ControlKind.UNPARSABLE:
            self._unparsable += 1
            n, error, length = self._unparsable, message.error, message.length
            if worth_writing(n):  # the 1st, 2nd, 4th…: a flood leaves a short trail
                log.warning("unparsable control message #%d (%d chars): %s", n, length, error)
                self._news.event("control_unparsable", error=error, length=length, count=n)
            return
        self._news.event("control", name=message.name, message=message.data)
        log.info("control message: %s", message.name)
        self._facts.note_control(message.kind)

    async def _stop_after(self, seconds: float) -> None:
        await self._sleep(seconds)
        self._duration_reached = True
        self._news.event("duration_reached", seconds=seconds)
        self._stop.request(f"--duration {seconds:g} s reached")
        await self._close_stream()

    async def _playout_loop(self) -> None:
        """Wake when the next 20 ms slot is due (just after), not on a fixed fast tick."""
        pipeline, sm, clock = self.pipeline, self.state_machine, self._clock
        while True:
            now = clock()
            snap = pipeline.tick(now, sm.state.value)
            if snap is not None:
                self._news.metrics(snap)
            wake = pipeline.next_tick_s(now) + PLAYOUT_LATE_S
            await asyncio.sleep(max(PLAYOUT_LATE_S, wake - clock()))

    # ---- recording -------------------------------------------------------------------------
    def _open_recorder(self, origin_s: float) -> None:
        if not self._record:
            return
        recorder = open_recorder(
            self.config.recordings_dir, self.config.call_id, rate_hz=self.pipeline.fmt.rate_hz,
            channels=self.pipeline.fmt.channels, on_error=self._news.error, clock=self._clock,
            origin_s=origin_s,
        )  # fmt: skip
        if recorder is None:
            return  # reported: streaming goes on without a recording
        self.pipeline.recorder = self._news.recorder = recorder
        self.folder = recorder.folder
        if self.config.save_trace:
            try:
                self.pipeline.trace = ArrivalTraceWriter(recorder.folder, on_error=self._news.error)
            except RecordingError as exc:
                self._news.error(exc)  # the recording goes on without the trace
        self._news.event(
            "session_started", settings=self.config.public_settings(), version=__version__
        )

    def _finish_states(self, outcome: Outcome) -> None:
        stop_reason = self._facts.stop_reason or "stopped by the user"
        reason = stop_reason if outcome == "stopped" else _STOP_REASONS[outcome]
        for state in final_states(self.state_machine.state, outcome):
            self.state_machine.transition(state, reason)

    def _summary(self, snap: MetricsSnapshot, outcome: str) -> dict[str, Any]:
        started = self._started_s
        totals = self.pipeline.talk_totals
        summary = build_summary(
            snap,
            outcome=outcome,
            duration_s=(self._clock() - started) if started is not None else 0.0,
            settings=self.config.public_settings(),
            history=self.state_machine.history,
            errors=self._news.errors,
            reconnects=self._reconnects,
            gaps=[g.as_dict() for g in self.pipeline.gaps.gaps],
            mos_estimate=self.pipeline.quality(),
            errors_not_listed=self._news.tally.not_listed,
        )
        summary["parties"] = self.parties
        if totals is not None:
            summary["talk"] = totals.as_dict()
            summary["listen_mode"] = self.pipeline.listen_mode
        return summary

    def checkpoint(self) -> dict[str, Any]:
        """Push the recording to disk now; the summary as it stands, for a live export."""
        if self.pipeline.recorder is not None:
            self.pipeline.recorder.flush()
        return self._summary(self.latest_snapshot(), "in_progress")

    def _finalize(
        self, outcome: Outcome, error: CXoneError | None, snap: MetricsSnapshot
    ) -> SessionResult:
        recorder = self.pipeline.recorder
        if recorder is not None and error is not None and self._started_s is None:
            recorder.discard()  # the stream never opened: no folder to clean up by hand
            self.folder = None
            self.pipeline.recorder = self._news.recorder = None
        elif recorder is not None:
            try:
                recorder.finalize(
                    self._summary(snap, outcome), finished_cleanly=outcome != "failed"
                )
            except RecordingError as exc:
                self._news.error(exc)
        return SessionResult(
            outcome=outcome,
            folder=self.folder,
            snapshot=snap,
            error=error,
            reconnects=self._reconnects,
            errors=list(self._news.errors),
        )
