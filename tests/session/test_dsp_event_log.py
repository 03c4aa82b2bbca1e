"""The "dsp" event log on its own: throttled drags, the final value, the customer's own DSP."""

from __future__ import annotations

from typing import Any

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.session.dsp_event_log import DSP_EVENT_INTERVAL_S, DspEventLog

AGENT = DspSettings(gain=1.5, noise_threshold=300, gate_mode="smooth")
QUIET = DspSettings(gain=0.5, noise_threshold=0, gate_mode="off")


def make() -> tuple[DspEventLog, list[dict[str, Any]]]:
    lines: list[dict[str, Any]] = []
    return DspEventLog(lambda kind, **f: lines.append({"kind": kind, **f}), AGENT), lines


def test_nothing_is_logged_until_the_settings_change() -> None:
    log, lines = make()
    log.tick(10.0)
    log.flush(11.0)
    assert lines == []


def test_a_change_inside_the_interval_waits_for_a_tick_past_it() -> None:
    log, lines = make()
    log.changed(AGENT, None, 5.0)
    log.changed(QUIET, None, 5.0 + DSP_EVENT_INTERVAL_S / 2)
    assert [line["gain"] for line in lines] == [1.5]
    log.tick(5.0 + DSP_EVENT_INTERVAL_S * 0.9)
    assert len(lines) == 1
    log.tick(5.0 + DSP_EVENT_INTERVAL_S)
    assert [line["gain"] for line in lines] == [1.5, 0.5]


def test_flush_logs_the_last_change_at_once_and_only_once() -> None:
    log, lines = make()
    log.changed(AGENT, None, 1.0)
    log.changed(QUIET, None, 1.01)
    log.flush(1.02)
    log.flush(1.03)
    assert [line["gain"] for line in lines] == [1.5, 0.5]


def test_the_customer_appears_only_when_unlinked() -> None:
    log, lines = make()
    log.changed(AGENT, AGENT, 0.0)  # the same settings: linked
    log.changed(AGENT, QUIET, 1.0)
    assert "customer" not in lines[0]
    assert lines[1]["customer"] == {"gain": 0.5, "noise_threshold": 0, "gate_mode": "off"}
    assert lines[1]["bypass"] is False
