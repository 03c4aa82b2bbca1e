"""A session folder read back: tracks on the session clock, gaps, history, and tolerance."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.errors import SessionReadError
from cxone_desktop.review.metrics_table import read_metrics
from cxone_desktop.review.session_reader import PROCESSED, RAW, open_session
from cxone_desktop.review.time_map import TimeMap
from tests.review import session_fixture as fx
from tests.review.session_fixture import build_session


def test_mono_session_facts(mono_session: Path) -> None:
    rec = open_session(mono_session)
    assert rec.problems == []
    assert rec.call_id == "call-77"
    assert rec.started_utc == "2026-11-24T10:11:12.000Z"
    assert rec.reconnects == 2
    assert not rec.stereo
    assert [g.kind for g in rec.gaps] == ["outage", "hold"]
    assert rec.duration_s == pytest.approx(30.0, abs=0.01)
    states = [h["state"] for h in rec.state_history]
    assert states[:2] == ["CONNECTING", "STREAMING"] and states[-1] == "TERMINATED"


def test_processed_runs_on_the_playout_clock_and_raw_stands_still_in_gaps(
    stereo_session: Path,
) -> None:
    rec = open_session(stereo_session)
    proc, raw = rec.tracks[PROCESSED], rec.tracks[RAW]
    assert rec.stereo and proc.channels == 2
    assert proc.start_s == pytest.approx(fx.PLAYOUT_AT, abs=1e-3)
    # What arrived at t plays one jitter-buffer delay (60 ms) later; raw.wav is placed by
    # the metrics' frame counts, so to within a frame (160 samples).
    delay = fx.PLAYOUT_AT - fx.STREAMING_AT
    for t in (5.0, 14.0, 23.5):
        at = raw.frame_at(t)
        b = raw.wav.samples[at : at + 400, 0].astype(float)
        p0 = proc.frame_at(t + delay)
        a = proc.wav.samples[p0 - 200 : p0 + 600, 0].astype(float)
        lags = [k - 200 for k in range(401) if np.array_equal(a[k : k + 400], b)]
        assert np.abs(b).max() > 0 and len(lags) == 1 and abs(lags[0]) <= 160, (t, lags)
    # raw.wav does not advance through the outage; the audio after it maps past it.
    assert raw.frame_at(10.5) == raw.frame_at(11.5)
    resumed = raw.session_at(raw.frame_at(11.5) + 8)
    assert resumed == pytest.approx(12.0, abs=0.01)


def test_agent_is_left_and_customer_right(stereo_session: Path) -> None:
    rec = open_session(stereo_session)
    proc = rec.tracks[PROCESSED]
    start = proc.frame_at(fx.PLAYOUT_AT + 2.1)  # 2.1 s into the call: the agent's burst
    agent = proc.wav.samples[start : start + 800, 0].astype(float)
    customer = proc.wav.samples[start : start + 800, 1].astype(float)
    assert np.abs(agent).max() > 5000 and np.abs(customer).max() <= fx.NOISE
    freq = np.fft.rfftfreq(800, 1 / 8000)[np.abs(np.fft.rfft(agent)).argmax()]
    assert freq == pytest.approx(fx.AGENT_HZ, abs=10)


def test_gaps_from_events_when_the_summary_has_none(tmp_path: Path) -> None:
    rec = open_session(build_session(tmp_path, gaps_in="events"))
    assert [(g.kind, g.elapsed_s, g.duration_s) for g in rec.gaps] == [
        ("outage", 10.0, 2.0),
        ("hold", 18.0, 3.0),
    ]


def test_an_unfinished_recording_opens_with_its_problems_listed(tmp_path: Path) -> None:
    folder = build_session(tmp_path, finished=False, gaps_in="none")
    with (folder / "events.jsonl").open("a") as f:
        f.write('{"t": "cut by a cra')  # a half-written last line
    rec = open_session(folder)
    assert any("summary.json is missing" in p for p in rec.problems)
    assert any("1 unreadable line" in p for p in rec.problems)
    assert rec.call_id == "call-77"  # from the events' settings
    # without a summary, playout start comes from the first STREAMING plus the jitter target
    assert rec.tracks[PROCESSED].start_s == pytest.approx(fx.STREAMING_AT + 0.06)


def test_one_broken_wav_leaves_the_other(mono_session: Path) -> None:
    (mono_session / "raw.wav").write_bytes(b"garbage")
    rec = open_session(mono_session)
    assert set(rec.tracks) == {PROCESSED}
    assert any("raw.wav" in p for p in rec.problems)


def test_not_a_session_folder(tmp_path: Path) -> None:
    with pytest.raises(SessionReadError, match="not a folder"):
        open_session(tmp_path / "missing")
    with pytest.raises(SessionReadError, match="no recording to review") as err:
        open_session(tmp_path)
    assert "repair" in err.value.remedy


def test_summary_that_is_not_json(mono_session: Path) -> None:
    (mono_session / "summary.json").write_text("{not json")
    rec = open_session(mono_session)
    assert any("summary.json is unreadable" in p for p in rec.problems)
    assert rec.reconnects == 2  # counted from the state history instead


def test_a_real_recording_from_the_app_opens(tmp_path: Path) -> None:
    """A folder written by the app's own recorder (not our fixture builder)."""
    from cxone_desktop.session.recorder import SessionRecorder

    clock = [0.0]
    rec = SessionRecorder(tmp_path, "real", clock=lambda: clock[0])
    rec.event("state", state="STREAMING", previous="CONNECTING", reason="open")
    rec.write_raw(np.zeros(1600, np.int16))
    rec.write_processed(np.zeros((10, 160), np.int16))
    clock[0] = 1.0
    rec.write_metrics({"frames": 10, "lost_frames": 0}, state="STREAMING", elapsed_s=1.0)
    folder = rec.finalize({"duration_s": 1.0, "reconnects": 0})
    opened = open_session(folder)
    assert opened.tracks[RAW].wav.frames == 1600 and opened.metrics.rows == 1
    assert json.loads((folder / "summary.json").read_text())["finished_cleanly"]
    shutil.rmtree(folder)


def test_metrics_table_is_tolerant(tmp_path: Path) -> None:
    path = tmp_path / "metrics.csv"
    path.write_text(
        "wall_time,elapsed_s,state,lost_frames,degraded,new_column\n"
        "x,1.0,STREAMING,2,true,\n"
        "x,2.0,STREAMING,5,false,abc\n"
        "x,broken\n"
        "x,3.0,RECONNECTING,1,false,7\n"
    )
    table = read_metrics(path)
    assert table.rows == 3 and table.skipped_rows == 1
    assert table.states == ["STREAMING", "STREAMING", "RECONNECTING"]
    assert list(table.deltas("lost_frames")) == [2, 3, 1]  # a total that restarted
    assert list(table.column("degraded")) == [1.0, 0.0, 0.0]
    assert np.isnan(table.column("new_column")[:2]).all() and table.column("new_column")[2] == 7
    assert not table.has("absent") and np.isnan(table.column("absent")).all()
    assert read_metrics(tmp_path / "none.csv").rows == 0


def test_time_map_round_trip_through_a_standstill() -> None:
    m = TimeMap.from_anchors([(0.0, 0.0), (5.0, 5.0), (7.0, 5.0), (12.0, 10.0)])
    assert list(m.to_file([-1.0, 4.0, 6.0, 8.0, 13.0])) == [-1.0, 4.0, 5.0, 6.0, 11.0]
    assert list(m.to_session([-1.0, 4.0, 5.5, 10.0, 11.0])) == [-1.0, 4.0, 7.5, 12.0, 13.0]
