"""One call's audio path, synchronous: bytes in; frames measured, played and recorded.

    feed(bytes, t)  → metrics → reassembler → raw recording (whole frames only) → raw wave
                      ring → jitter buffer
    tick(t, state)  → jitter buffer → DSP → processed wave ring, level, sink, processed
                      recording; stall detection; metrics rows (4 a second for charts, 1 a
                      second to the CSV)

Stretches with no audio (stalls, outages, holds) are tracked as gaps with their place
in both recordings (`GapTracker`): an event, summary.json's `gaps`, WAV cue labels.

Times are passed in and nothing here awaits, so the whole path is tested and benchmarked
without sockets or an event loop (the websockets pattern: logic without I/O). Not
thread-safe: the session calls it from its one loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.dsp import DspChain, DspSettings
from cxone_desktop.core.jitter_buffer import JitterBuffer, PlayoutBatch
from cxone_desktop.core.metrics import MetricsSnapshot, StreamMetrics
from cxone_desktop.core.reassembler import FrameReassembler
from cxone_desktop.core.ring_buffer import RecordRing, RingBuffer
from cxone_desktop.session.gap_tracker import GapKind, GapTracker
from cxone_desktop.session.quality_rows import QualityRows
from cxone_desktop.session.recorder import SessionRecorder

#: Seconds of audio the live waveform rings hold.
WAVE_SECONDS = 5.0
#: A slider drag is logged to events.jsonl at most this often (its final value always).
DSP_EVENT_INTERVAL_S = 0.25
#: No audio for this long while the call streams is a stall (shown at once, degraded).
STALL_AFTER_S = 1.0

#: `emit(kind, **fields)`: an events.jsonl line (the session also tells observers).
EmitEvent = Callable[..., None]


class PlayoutSink(Protocol):
    """Receives processed int16 frames (n, samples) on the 20 ms playout clock."""

    def write(self, frames: npt.NDArray[np.int16]) -> None: ...


class Pipeline:
    """Reassembler, metrics, jitter buffer, DSP and the recorder's calls for one call."""

    def __init__(
        self,
        fmt: AudioFormat,
        dsp: DspSettings,
        *,
        emit: EmitEvent,
        jitter_target_ms: float = 40.0,
        sink: PlayoutSink | None = None,
        on_sink_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.fmt = fmt
        self.metrics = StreamMetrics(fmt)
        self.jitter = JitterBuffer(fmt, target_delay_ms=jitter_target_ms)
        self.raw_wave = RingBuffer(int(WAVE_SECONDS * fmt.rate_hz), np.float32)
        self.processed_wave = RingBuffer(int(WAVE_SECONDS * fmt.rate_hz), np.float32)
        self.level_dbfs = -math.inf
        #: Where the call is recorded; None when it is not (or could not be).
        self.recorder: SessionRecorder | None = None
        self.sink = sink
        self._on_sink_error = on_sink_error
        self._emit = emit
        self._dsp = DspChain(dsp, fmt)
        self._reassembler = FrameReassembler(fmt)
        self._concealed_seen = 0
        self._late_seen = 0
        self._dsp_event_due = False
        self._dsp_event_at = -math.inf
        self.gaps = GapTracker()
        self._start_s: float | None = None
        self._raw_frames = 0  # frames in raw.wav (and the raw ring)
        self._processed_frames = 0  # frames in processed.wav (and the processed ring)
        self._audio_seen_s: float | None = None  # last audio, or when the stream opened
        self._processed_at_audio = 0  # processed frames at that moment
        self._streaming_s = 0.0
        self._last_tick_s: float | None = None
        self._quality = QualityRows(fmt.frame_duration_s)

    @property
    def chart_rows(self) -> RecordRing:
        return self.metrics.chart_rows

    @property
    def dsp_settings(self) -> DspSettings:
        return self._dsp.settings

    def next_tick_s(self, now_s: float) -> float:
        """When `tick` has something to do next: the next playout slot, else a frame from now."""
        due = self.jitter.next_due_s
        frame_s = self.fmt.frame_duration_s
        return now_s + frame_s if due is None else min(max(due, now_s), now_s + frame_s)

    # ---- in --------------------------------------------------------------------------------
    def start(self, origin_s: float) -> None:
        """Session time zero (the recorder's too): metrics rows and gaps count from here."""
        self._start_s = origin_s
        self.metrics.start(origin_s)

    def stream_opened(self, now_s: float) -> None:
        """Audio may flow from now: silence is measured from here until the first frame."""
        if self._start_s is None:
            self.start(now_s)
        self._audio_seen_s = now_s

    def feed(self, data: bytes, arrival_s: float) -> None:
        """One binary WebSocket message: metrics, raw recording, frames into the jitter buffer.

        raw.wav gets whole frames only: a frame cut by a dropped connection never lands
        there, so what follows stays sample-aligned (see `connection_lost`).
        """
        self.metrics.record_packet(len(data), arrival_s)
        frames = self._reassembler.feed(data)
        n = len(frames)
        if not n:
            return
        if self.gaps.open_kind is not None:
            self._close_gap(arrival_s)
        if self.recorder is not None:
            self.recorder.write_raw(frames)
        self.metrics.record_frames(n)
        self.raw_wave.extend(frames.reshape(-1))
        self.jitter.push(frames, arrival_s)
        self._raw_frames += n
        self._audio_seen_s = arrival_s
        self._processed_at_audio = self._processed_frames

    def connection_lost(self) -> None:
        """A socket ended: its partial frame is dropped (never glued to the next connection's
        bytes) and the next connection starts a new media clock."""
        partial = self._reassembler.flush()
        if partial:
            self.metrics.record_partial(len(partial))
            self._emit("partial_frame", bytes=len(partial), discarded=True)
        self.metrics.reanchor()  # time on hold or reconnecting is not packet loss

    def call_interrupted(self, now_s: float, *, on_hold: bool) -> None:
        """The call goes on without a connection: a gap opens (or a stall becomes one) that
        closes when audio comes back; a hold is a pause, an outage loses audio."""
        self._open_gap("hold" if on_hold else "outage", now_s)

    def reconnected(self) -> None:
        """A new socket: the jitter buffer re-anchors its playout clock at its first frame."""
        self.jitter.reset()

    def set_dsp(self, settings: DspSettings, now_s: float) -> None:
        """Takes effect on the next 20 ms frame; logged at most every DSP_EVENT_INTERVAL_S."""
        self._dsp.update(settings)
        self._dsp_event_due = True
        self._log_dsp(now_s)

    # ---- out -------------------------------------------------------------------------------
    def tick(self, now_s: float, state: str) -> MetricsSnapshot | None:
        """Play what is due by `now_s`; once a second a snapshot (also written to metrics.csv).

        `state` is the call state's name: STREAMING time counts toward the average bitrate,
        and silence while STREAMING becomes a stall after STALL_AFTER_S.
        """
        self._play(self.jitter.pull(now_s))
        streaming = state == "STREAMING"
        if streaming and self._last_tick_s is not None:
            self._streaming_s += now_s - self._last_tick_s
        self._last_tick_s = now_s
        seen = self._audio_seen_s
        silent = seen is not None and now_s - seen >= STALL_AFTER_S
        if streaming and silent and self.gaps.open_kind is None:
            assert seen is not None
            self._open_gap("stall", now_s)
            self._emit("stall", silent_s=round(now_s - seen, 3))
        metrics = self.metrics
        metrics.set_buffer(self.jitter.depth_ms, self.jitter.target_ms)
        metrics.set_call_time(
            streaming_s=self._streaming_s,
            gap_ms=self.gaps.call_up_ms(now_s),
            interrupted=not streaming or self.gaps.open_kind in ("stall", "outage"),
        )
        snap = metrics.tick(now_s)
        if snap is not None:
            self._quality.add(snap, hold_ms=self.gaps.hold_ms(now_s))
        if snap is not None and self.recorder is not None:
            self.recorder.write_metrics(snap.as_dict(), state=state, elapsed_s=snap.elapsed_s)
            self.recorder.flush()  # headers current each second, on hold and reconnect too
        if self._dsp_event_due:
            self._log_dsp(now_s)
        return snap

    def quality(self) -> dict[str, Any]:
        """summary.json's `mos_estimate`: the E-model over the call's seconds so far."""
        return self._quality.summary()

    def finish(self, now_s: float) -> MetricsSnapshot:
        """The call is over: play what is queued, log the last slider value; final figures."""
        self._play(self.jitter.drain())
        self._log_dsp(now_s, now=True)
        if self.gaps.open_kind is not None:
            self._close_gap(now_s)
        self.metrics.reanchor()
        self.metrics.set_call_time(
            streaming_s=self._streaming_s, gap_ms=self.gaps.call_up_ms(now_s), interrupted=False
        )
        return self.metrics.snapshot(now_s)

    # ---- gaps ------------------------------------------------------------------------------
    def _open_gap(self, kind: GapKind, now_s: float) -> None:
        """No audio since the last frame arrived: a gap, placed in both recordings."""
        rate = self.fmt.rate_hz
        samples = self.fmt.frame_samples // self.fmt.channels
        started = self._audio_seen_s if self._audio_seen_s is not None else now_s
        origin = self._start_s if self._start_s is not None else started
        self.gaps.open(
            kind,
            started_s=started,
            elapsed_s=started - origin,
            raw_position_s=self._raw_frames * samples / rate,
            processed_position_s=self._processed_at_audio * samples / rate,
        )

    def _close_gap(self, now_s: float) -> None:
        gap = self.gaps.close(now_s)
        if gap is None:
            return
        if gap.kind == "stall":
            self._emit("stall_cleared", silent_s=round(gap.duration_s, 3))
        self._emit(
            "gap",
            gap_kind=gap.kind,
            started_s=round(gap.elapsed_s, 3),
            duration_s=round(gap.duration_s, 3),
            raw_position_s=round(gap.raw_position_s, 3),
            processed_position_s=round(gap.processed_position_s, 3),
        )
        if self.recorder is not None:
            rate = self.fmt.rate_hz
            self.recorder.add_cues(
                round(gap.raw_position_s * rate), round(gap.processed_position_s * rate),
                gap.label(),
            )  # fmt: skip
            resumed = self._processed_frames * (self.fmt.frame_samples // self.fmt.channels)
            self.recorder.add_processed_cue(resumed, f"audio back after {gap.label()}")

    def _play(self, batch: PlayoutBatch) -> None:
        jitter, metrics = self.jitter, self.metrics
        concealed = jitter.concealed_frames - self._concealed_seen
        late = jitter.late_dropped_frames - self._late_seen
        if concealed:
            metrics.record_concealed(concealed)
            self._concealed_seen += concealed
        if late:
            metrics.record_late(late)
            self._late_seen += late
        if not len(batch):
            return
        out = self._dsp.process(batch.frames)
        self._processed_frames += len(out)
        self.processed_wave.extend(out.reshape(-1))
        last = out[-1].astype(np.float64)
        rms = math.sqrt(float(np.mean(last * last)))
        self.level_dbfs = 20 * math.log10(rms / 32768.0) if rms > 0 else -math.inf
        if self.recorder is not None:
            self.recorder.write_processed(out)
        if self.sink is not None:
            try:
                self.sink.write(out)
            except Exception as exc:  # a broken device must not stop the call or the recording
                if self._on_sink_error is not None:
                    self._on_sink_error(exc)

    def _log_dsp(self, now_s: float, *, now: bool = False) -> None:
        """One "dsp" event for a slider drag, not one per step; the final value always."""
        if not self._dsp_event_due:
            return
        if not now and now_s - self._dsp_event_at < DSP_EVENT_INTERVAL_S:
            return  # `tick` logs it once the interval has passed
        self._dsp_event_due = False
        self._dsp_event_at = now_s
        s = self._dsp.settings
        fields: dict[str, Any] = {
            "gain": s.gain,
            "noise_threshold": s.noise_threshold,
            "gate_mode": s.gate_mode,
            "bypass": s.bypass,
        }
        self._emit("dsp", **fields)
