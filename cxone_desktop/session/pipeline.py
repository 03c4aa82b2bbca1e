"""One call's audio path, synchronous: bytes in; frames measured, played and recorded.

    feed(bytes, t)  → metrics → reassembler → raw recording (whole frames only) → raw wave
                      ring → jitter buffer
    tick(t, state)  → jitter buffer → DSP → processed wave ring, level, sink, processed
                      recording; stall detection; metrics rows (2 a second for charts, 1 a
                      second to the CSV)

A two-party call (`use_two_parties`, before any audio) arrives interleaved, agent left and
customer right, and stays so end to end: raw.wav as received, then `TwoPartyPlayout` (gain
and gate per party, who talks, the listening mode) makes processed.wav and the sound
device's stereo; mute and solo reach only the device. Its metrics rows carry the parties'
levels and talk columns.

Stretches with no audio (stalls, outages, holds) are tracked as gaps with their place
in both recordings (`GapTracker`): an event, summary.json's `gaps`, WAV cue labels.

Times are passed in and nothing here awaits, so the whole path is tested and benchmarked
without sockets or an event loop (the websockets pattern: logic without I/O). Not
thread-safe: the session calls it from its one loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.dsp import DspChain, DspSettings
from cxone_desktop.core.jitter_buffer import JitterBuffer
from cxone_desktop.core.listen_mode import EVERYONE, ListenMode, PartyAudibility
from cxone_desktop.core.metrics import MetricsSnapshot, StreamMetrics
from cxone_desktop.core.playout_batch import PlayoutBatch
from cxone_desktop.core.reassembler import FrameReassembler
from cxone_desktop.core.ring_buffer import RecordRing, RingBuffer
from cxone_desktop.core.talk_state import TalkTotals
from cxone_desktop.core.two_party_playout import TwoPartyPlayout
from cxone_desktop.session.arrival_trace import ArrivalTraceWriter
from cxone_desktop.session.dsp_event_log import DspEventLog
from cxone_desktop.session.gap_tracker import GapKind, GapTracker
from cxone_desktop.session.playout_sink import PlayoutSink
from cxone_desktop.session.quality_rows import QualityRows
from cxone_desktop.session.recorder import SessionRecorder

#: Seconds of audio the live waveform rings hold.
WAVE_SECONDS = 5.0
#: No audio for this long while the call streams is a stall (shown at once, degraded).
STALL_AFTER_S = 1.0

#: `emit(kind, **fields)`: an events.jsonl line (the session also tells observers).
EmitEvent = Callable[..., None]


class Pipeline:
    """Reassembler, metrics, jitter buffer, DSP and the recorder's calls for one call."""

    def __init__(
        self,
        fmt: AudioFormat,
        dsp: DspSettings,
        *,
        emit: EmitEvent,
        jitter_target_ms: float = 40.0,
        playout_mode: str = "low-delay",
        sink: PlayoutSink | None = None,
        on_sink_error: Callable[[Exception], None] | None = None,
        listen_mode: ListenMode = "both",
        customer_dsp: DspSettings | None = None,
    ) -> None:
        self.fmt = fmt
        self._jitter_target_ms = jitter_target_ms
        self._playout_mode = playout_mode
        self.metrics = StreamMetrics(fmt)
        self.jitter = JitterBuffer(fmt, target_delay_ms=jitter_target_ms, mode=playout_mode)
        #: The last seconds received and played; interleaved (agent, customer) with two parties.
        self.raw_wave = RingBuffer(int(WAVE_SECONDS * fmt.rate_hz * fmt.channels), np.float32)
        self.processed_wave = RingBuffer(int(WAVE_SECONDS * fmt.rate_hz * fmt.channels), np.float32)
        self.level_dbfs = -math.inf
        #: Set by `use_two_parties`: per-party DSP, talk state, the listening mode.
        self.parties: TwoPartyPlayout | None = None
        self._listen_mode: ListenMode = listen_mode
        self._audible = EVERYONE
        self._customer_dsp = customer_dsp  # None: linked to the agent's
        #: Where each message's arrival is written (arrivals.csv), when asked for.
        self.trace: ArrivalTraceWriter | None = None
        #: Where the call is recorded; None when it is not (or could not be).
        self.recorder: SessionRecorder | None = None
        self.sink = sink
        self._on_sink_error = on_sink_error
        self._emit = emit
        self._dsp = DspChain(dsp, fmt)
        self._reassembler = FrameReassembler(fmt)
        self._concealed_seen = 0
        self._late_seen = 0
        self._dsp_log = DspEventLog(emit, dsp)
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

    @property
    def listen_mode(self) -> ListenMode:
        return self._listen_mode

    @property
    def party_levels_dbfs(self) -> tuple[float, float]:
        """Each party's last played frame after its DSP (-inf each for a one-party call)."""
        return self.parties.levels_dbfs if self.parties is not None else (-math.inf, -math.inf)

    @property
    def talk_totals(self) -> TalkTotals | None:
        return self.parties.talk.totals() if self.parties is not None else None

    def use_two_parties(self) -> None:
        """The stream carries both parties interleaved, agent left: set up before any audio."""
        if self._reassembler.total_bytes or self.parties is not None:
            raise RuntimeError("the stream's shape is decided before its first byte")
        fmt = self.fmt = replace(self.fmt, channels=2)
        self.metrics = StreamMetrics(fmt)
        if self._start_s is not None:
            self.metrics.start(self._start_s)
        self.jitter = JitterBuffer(
            fmt, target_delay_ms=self._jitter_target_ms, mode=self._playout_mode
        )
        self.raw_wave = RingBuffer(self.raw_wave.capacity * 2, np.float32)
        self.processed_wave = RingBuffer(self.processed_wave.capacity * 2, np.float32)
        self._reassembler = FrameReassembler(fmt)
        self.parties = TwoPartyPlayout(
            self._dsp.settings,
            self._customer_dsp,
            rate_hz=fmt.rate_hz,
            frame_ms=fmt.frame_ms,
            mode=self._listen_mode,
            talk_ring_frames=round(WAVE_SECONDS / fmt.frame_duration_s),
        )
        self.parties.audible = self._audible
        if self.recorder is not None:
            self.recorder.use_channels(2)

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
        if self.sink is not None:
            self._sink_call(self.sink.set_channels, self.fmt.channels)

    def feed(self, data: bytes, arrival_s: float) -> None:
        """One binary WebSocket message: metrics, raw recording, frames into the jitter buffer.

        raw.wav gets whole frames only: a frame cut by a dropped connection never lands
        there, so what follows stays sample-aligned (see `connection_lost`).
        """
        size = len(data)
        self.metrics.record_packet(size, arrival_s)
        if self.trace is not None:
            self.trace.record(arrival_s, size)
        frames = self._reassembler.feed(data)
        n = len(frames)
        if not n:  # the buffer still learns the sender's message sizes (batching senders)
            self.jitter.push(frames, arrival_s, message_bytes=size)
            return
        if self.gaps.open_kind is not None:
            self._close_gap(arrival_s)
        if self.recorder is not None:
            self.recorder.write_raw(frames)
        self.metrics.record_frames(n)
        self.raw_wave.extend(frames.reshape(-1))
        self.jitter.push(frames, arrival_s, message_bytes=size)
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

    def set_dsp(
        self, settings: DspSettings, now_s: float, customer: DspSettings | None = None
    ) -> None:
        """Takes effect on the next 20 ms frame; logged as `DspEventLog` says.

        `customer` sets the customer's own gain and gate on a two-party call (None: the
        same as `settings`, linked); a one-party call uses `settings` only.
        """
        self._dsp.update(settings)
        self._customer_dsp = customer
        if self.parties is not None:
            self.parties.set_dsp(settings, customer)
        self._dsp_log.changed(settings, customer, now_s)

    def set_listen_mode(self, mode: ListenMode) -> None:
        """Mixed, both, agent or customer from the next frame on (a one-party call is mixed)."""
        if mode == self._listen_mode:
            return
        self._listen_mode = mode
        if self.parties is not None:
            self.parties.mode = mode
            self._emit("listen_mode", mode=mode)

    def set_audible(self, audible: PartyAudibility) -> None:
        """Per-party mute and solo, on the sound device only (recordings keep both)."""
        self._audible = audible
        if self.parties is not None:
            self.parties.audible = audible

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
        metrics.set_buffer(
            self.jitter.depth_ms, self.jitter.target_ms, self.jitter.time_scale_changes
        )
        metrics.set_call_time(
            streaming_s=self._streaming_s,
            gap_ms=self.gaps.call_up_ms(now_s),
            interrupted=not streaming or self.gaps.open_kind in ("stall", "outage"),
        )
        snap = metrics.tick(now_s)
        if snap is not None:
            self._quality.add(snap, hold_ms=self.gaps.hold_ms(now_s))
            row = snap.as_dict()
            if self.parties is not None:
                row.update(self.parties.take_row())
            if self.recorder is not None:
                self.recorder.write_metrics(row, state=state, elapsed_s=snap.elapsed_s)
                self.recorder.flush()  # headers current each second, on hold and reconnect too
            if self.trace is not None:
                self.trace.flush()
        self._dsp_log.tick(now_s)
        return snap

    def quality(self) -> dict[str, Any]:
        """summary.json's `mos_estimate`: the E-model over the call's seconds so far."""
        return self._quality.summary()

    def finish(self, now_s: float) -> MetricsSnapshot:
        """The call is over: play what is queued, log the last slider value; final figures."""
        if self.trace is not None:
            self.trace.close()
        self._play(self.jitter.drain())
        self._dsp_log.flush(now_s)
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
        if self.parties is None:
            out = heard = lanes = self._dsp.process(batch.frames)
        else:
            played = self.parties.process(batch.frames)
            out, heard, lanes = played.played, played.heard, played.parties
        self._processed_frames += len(out)
        self.processed_wave.extend(lanes.reshape(-1))
        last = out[-1].astype(np.float64)
        rms = math.sqrt(float(np.mean(last * last)))
        self.level_dbfs = 20 * math.log10(rms / 32768.0) if rms > 0 else -math.inf
        if self.recorder is not None:
            self.recorder.write_processed(out)
        if self.sink is not None:
            self._sink_call(self.sink.write, heard)

    def _sink_call(self, method: Callable[[Any], None], arg: Any) -> None:
        try:
            method(arg)
        except Exception as exc:  # a broken device must not stop the call or the recording
            if self._on_sink_error is not None:
                self._on_sink_error(exc)
