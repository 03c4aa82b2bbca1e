"""The audio path driven by explicit times: no sockets, no event loop, no sleeps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.session.dsp_event_log import DSP_EVENT_INTERVAL_S
from cxone_desktop.session.pipeline import Pipeline

FMT = AudioFormat()
FRAME_S = 0.02
PASSTHROUGH = DspSettings(gain=1.0, noise_threshold=0, gate_mode="off")


class FakeRecorder:
    """Records the pipeline's calls to the recorder."""

    def __init__(self) -> None:
        self.raw = bytearray()
        self.processed: list[np.ndarray] = []
        self.rows: list[tuple[dict[str, Any], str]] = []
        self.flushes = 0
        self.cues: list[tuple[int, int, str]] = []
        self.channels = 1

    def use_channels(self, channels: int) -> None:
        assert not self.raw and not self.processed, "the shape is set before any audio"
        self.channels = channels

    def write_raw(self, data: np.ndarray) -> None:
        self.raw += np.ascontiguousarray(data, "<i2").tobytes()

    def add_cues(self, raw_frame: int, processed_frame: int, label: str) -> None:
        self.cues.append((raw_frame, processed_frame, label))

    def add_processed_cue(self, frame: int, label: str) -> None:
        self.cues.append((-1, frame, label))

    def write_processed(self, frames: np.ndarray) -> None:
        self.processed.append(frames.copy())

    def write_metrics(self, row: dict[str, Any], *, state: str, elapsed_s: float) -> None:
        self.rows.append((row, state))

    def flush(self) -> None:
        self.flushes += 1


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.frames: list[np.ndarray] = []
        self.fail = fail
        self.channels: list[int] = []

    def set_channels(self, channels: int) -> None:
        self.channels.append(channels)

    def write(self, frames: np.ndarray) -> None:
        if self.fail:
            raise OSError("device gone")
        self.frames.append(frames.copy())


def tone(frames: int) -> bytes:
    t = np.arange(frames * 160) / 8000
    return (8000 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()


def make(**kwargs: Any) -> tuple[Pipeline, list[tuple[str, dict[str, Any]]], FakeRecorder]:
    events: list[tuple[str, dict[str, Any]]] = []
    pipe = Pipeline(FMT, kwargs.pop("dsp", PASSTHROUGH), emit=lambda k, **f: events.append((k, f)),
                    **kwargs)  # fmt: skip
    recorder = FakeRecorder()
    pipe.recorder = recorder  # type: ignore[assignment]
    return pipe, events, recorder


def stream(pipe: Pipeline, audio: bytes, *, split: int, start_s: float = 0.0) -> float:
    """Feed `audio` in `split`-byte messages on a paced clock, ticking every 10 ms."""
    t = start_s
    for i in range(0, len(audio), split):
        chunk = audio[i : i + split]
        t = start_s + ((i + len(chunk) - 1) // FMT.frame_bytes) * FRAME_S
        pipe.feed(chunk, t)
        pipe.tick(t, "STREAMING")
    return t


def test_frames_split_anyhow_are_played_once_each_in_order_and_recorded() -> None:
    sink = Sink()
    pipe, _, recorder = make(sink=sink)
    audio = tone(100)
    end = stream(pipe, audio, split=77)
    pipe.finish(end)  # what is still queued plays out, nothing is concealed
    played = np.concatenate([f.reshape(-1) for f in sink.frames])
    assert played.tobytes() == audio  # gain 1, gate off, no loss: bit-exact, in order
    assert bytes(recorder.raw) == audio
    assert np.concatenate([f.reshape(-1) for f in recorder.processed]).tobytes() == audio
    assert pipe.level_dbfs == pytest.approx(20 * np.log10(8000 / np.sqrt(2) / 32768), abs=0.5)
    assert pipe.processed_wave.total_written == pipe.raw_wave.total_written == 100 * 160


def test_metrics_rows_go_to_the_recorder_once_a_second_with_the_call_state() -> None:
    pipe, _, recorder = make()
    pipe.metrics.start(0.0)
    end = stream(pipe, tone(160), split=320)  # 3.2 s
    assert [state for _, state in recorder.rows] == ["STREAMING"] * 3
    assert [round(row["elapsed_s"]) for row, _ in recorder.rows] == [1, 2, 3]
    assert recorder.flushes == 3
    assert end == pytest.approx(3.18)


def test_a_partial_frame_left_by_a_dropped_connection_is_counted_and_logged() -> None:
    pipe, events, _ = make()
    pipe.feed(tone(3)[:700], 0.0)  # two frames and 60 bytes
    pipe.connection_lost()
    assert ("partial_frame", {"bytes": 60, "discarded": True}) in events
    assert pipe.metrics.partial_bytes == 60
    assert pipe.metrics.frames == 2


def test_a_slider_drag_is_logged_a_few_times_with_its_final_value() -> None:
    pipe, events, _ = make()
    t = 0.0
    for step in range(1, 51):  # fifty steps in 0.5 s, ticking every 10 ms
        pipe.set_dsp(DspSettings(gain=step / 100, noise_threshold=0, gate_mode="off"), t)
        pipe.tick(t, "STREAMING")
        t += 0.01
    pipe.finish(t)
    gains = [fields["gain"] for kind, fields in events if kind == "dsp"]
    assert gains[0] == 0.01 and gains[-1] == 0.5
    assert len(gains) <= 0.5 / DSP_EVENT_INTERVAL_S + 2


def test_a_failing_sink_is_reported_and_the_recording_goes_on() -> None:
    failures: list[Exception] = []
    pipe, _, recorder = make(sink=Sink(fail=True), on_sink_error=failures.append)
    end = stream(pipe, tone(20), split=320)
    pipe.finish(end + 1)
    assert failures and isinstance(failures[0], OSError)
    assert sum(len(f) for f in recorder.processed) == 20


def test_raw_recording_holds_whole_frames_only_across_a_drop_mid_frame() -> None:
    pipe, _, recorder = make()
    audio = tone(10)
    pipe.stream_opened(0.0)
    pipe.feed(audio[:400], 0.02)  # one frame and 80 bytes, then the socket drops
    pipe.connection_lost()
    pipe.feed(audio[640:], 1.0)  # the new connection starts on a frame boundary
    assert bytes(recorder.raw) == audio[:320] + audio[640:]  # sample-aligned, 80 bytes gone


def test_silence_while_streaming_is_a_stall_then_a_gap_placed_in_both_files() -> None:
    pipe, events, recorder = make()
    pipe.stream_opened(0.0)
    t = stream(pipe, tone(50), split=320)  # 1 s of audio
    for k in range(1, 151):  # 1.5 s of silence, ticking every 10 ms
        pipe.tick(t + k * 0.01, "STREAMING")
    stalls = [f for kind, f in events if kind == "stall"]
    assert len(stalls) == 1 and stalls[0]["silent_s"] >= 1.0
    assert pipe.metrics.snapshot(t + 1.5).degraded
    pipe.feed(tone(1), t + 1.6)
    kinds = [kind for kind, _ in events]
    assert kinds.count("stall_cleared") == 1 and kinds.count("gap") == 1
    gap = next(f for kind, f in events if kind == "gap")
    assert gap["gap_kind"] == "stall" and gap["duration_s"] == pytest.approx(1.6, abs=0.02)
    assert gap["raw_position_s"] == pytest.approx(1.0)  # raw.wav: right after the 50 frames
    assert gap["processed_position_s"] <= 1.0  # processed.wav: where its filler began
    raw_frame, processed_frame, label = recorder.cues[0]
    assert raw_frame == 8000 and "no audio for 1.6 s" in label
    assert processed_frame == round(gap["processed_position_s"] * 8000)
    assert recorder.cues[1][0] == -1 and "audio back" in recorder.cues[1][2]
    snap = pipe.finish(t + 2.0)
    assert snap.gap_ms == pytest.approx(1600, abs=20) and snap.dropped_packets >= 80


def test_a_hold_is_a_gap_but_not_lost_audio() -> None:
    pipe, events, _ = make()
    pipe.stream_opened(0.0)
    t = stream(pipe, tone(25), split=320)
    pipe.connection_lost()
    pipe.call_interrupted(t + 0.05, on_hold=True)
    for k in range(1, 200):
        pipe.tick(t + k * 0.01, "RECONNECTING")
    pipe.feed(tone(1), t + 5.0)
    gap = next(f for kind, f in events if kind == "gap")
    assert gap["gap_kind"] == "hold" and gap["duration_s"] == pytest.approx(5.0, abs=0.02)
    assert "stall" not in [kind for kind, _ in events]
    assert pipe.finish(t + 5.1).gap_ms == 0.0  # the call was paused, nothing was missed


@settings(max_examples=150, deadline=None)
@given(
    connections=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3000),  # bytes this connection delivers
            st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=8),
        ),
        min_size=2,
        max_size=4,
    ),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_raw_wav_is_the_complete_frames_of_each_connection_whatever_the_splits(
    connections: list[tuple[int, list[int]]], seed: int
) -> None:
    """Random drop points × any fragmentation × 1–3 reconnects: whole frames, in order."""
    rng = np.random.default_rng(seed)
    pipe, _, recorder = make()
    pipe.stream_opened(0.0)
    expected = bytearray()
    t = 0.0
    for delivered, pattern in connections:
        data = rng.integers(-2000, 2000, size=delivered // 2 + 1).astype("<i2").tobytes()
        data = data[:delivered]
        i = k = 0
        while i < len(data):
            size = pattern[k % len(pattern)]
            t += 0.005
            pipe.feed(data[i : i + size], t)
            i, k = i + size, k + 1
        expected += data[: len(data) // FMT.frame_bytes * FMT.frame_bytes]
        pipe.connection_lost()
    assert bytes(recorder.raw) == bytes(expected)


def test_the_call_gets_an_e_model_score_and_an_outage_lowers_it() -> None:
    clean, _, _ = make()
    clean.metrics.start(0.0)
    stream(clean, tone(500), split=320)  # 10 s, nothing lost
    good = clean.quality()
    assert good["mos"] > 4.2 and good["loss_percent"] == 0.0
    assert "G.107" in good["mapping"] and good["scored_seconds"] >= 8

    cut, _, _ = make()
    cut.start(0.0)
    cut.stream_opened(0.0)
    t = stream(cut, tone(250), split=320)  # 5 s, then 2 s with no audio, then 3 s more
    for k in range(1, 201):
        cut.tick(t + k * 0.01, "STREAMING")
    stream(cut, tone(150), split=320, start_s=t + 2.0)
    bad = cut.quality()
    assert bad["loss_percent"] > 10 and bad["mos"] < good["mos"] - 0.5
