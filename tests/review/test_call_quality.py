"""The E-model on a recorded call: loss over the time the call played, holds left out."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.core import e_model
from cxone_desktop.review.call_quality import call_quality
from cxone_desktop.review.session_reader import open_session
from cxone_desktop.review.timeline import build_marks


def test_call_figures_by_hand(mono_session: Path) -> None:
    rec = open_session(mono_session)
    q = call_quality(rec, build_marks(rec))
    assert q is not None
    # Played: STREAMING at 0.10 until DISCONNECTING at 29.99, minus the 3 s hold.
    due = (29.99 - 0.10 - 3.0) / 0.02
    # Not heard as sent: 3 + 5 concealed in seconds 3-4, and the 2 s outage (100 frames;
    # its first 3 ms fall in the row before, which had no concealment: 0.15 frame).
    lost = 3 + 5 + 100 + 0.15
    assert q.call.loss_pct == pytest.approx(100 * lost / due, abs=0.02)
    assert q.scored_seconds == pytest.approx(26.89, abs=0.01)
    assert q.call.mos == pytest.approx(e_model.mos_from_r(q.call.r))
    assert q.call.burst_ratio > 5  # a whole-second outage is as bursty as loss gets
    assert "G.107" in q.label and "G.113" in q.label


def test_per_second_series(mono_session: Path) -> None:
    rec = open_session(mono_session)
    q = call_quality(rec, build_marks(rec))
    assert q is not None
    row = {round(t): i for i, t in enumerate(q.time_s)}
    assert q.loss_pct[row[4]] == pytest.approx(10.0)  # 5 of 50 frames
    assert q.loss_pct[row[2]] == 0.0
    assert q.loss_pct[row[11]] == pytest.approx(100.0)  # inside the outage
    assert math.isnan(q.r[row[20]])  # on hold: not scored
    assert q.delay_ms[row[2]] == pytest.approx(60 + 12 + 20)
    clean = q.r[row[2]]
    assert clean == pytest.approx(e_model.r_factor(0.0, 1.0, 92.0), abs=1e-6)
    assert q.mos[row[4]] < q.mos[row[2]]
    assert q.worst_mos == pytest.approx(float(np.nanmin(q.mos)))


def test_no_metrics_no_score(mono_session: Path) -> None:
    (mono_session / "metrics.csv").unlink()
    rec = open_session(mono_session)
    assert call_quality(rec, build_marks(rec)) is None


def test_silence_instead_of_plc_uses_the_no_plc_figures(mono_session: Path) -> None:
    import json

    summary = json.loads((mono_session / "summary.json").read_text())
    summary["settings"]["concealment"] = "zero"
    (mono_session / "summary.json").write_text(json.dumps(summary))
    rec = open_session(mono_session)
    q = call_quality(rec, build_marks(rec))
    assert q is not None and q.codec is e_model.G711_NO_PLC


def test_the_live_sessions_estimate_is_read_in_either_shape() -> None:
    from cxone_desktop.review.call_quality import live_mos

    assert live_mos({"mos_estimate": {"mos": 3.9, "mapping": "E-model"}}) == 3.9
    assert live_mos({"mos_estimate": 4.1}) == 4.1  # an older summary
    assert live_mos({"mos_estimate": None}) is None and live_mos({}) is None
    assert live_mos({"mos_estimate": {"mos": True}}) is None
