"""The audio path driven by explicit times: no sockets, no event loop, no sleeps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.session.pipeline import DSP_EVENT_INTERVAL_S, Pipeline

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

    def write_raw(self, data: bytes) -> None:
        self.raw += data

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
    assert ("partial_frame", {"bytes": 60}) in events
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
