"""CallTimeline: due times, live position, hold and end."""

from __future__ import annotations

import math

import pytest

from cxone_desktop.simulator.timeline import FRAME_S, CallTimeline


def test_frames_are_due_every_20_ms_from_the_start() -> None:
    timeline = CallTimeline(frame_count=100)
    assert [timeline.due_s(k) for k in range(3)] == pytest.approx([0.0, 0.02, 0.04])
    assert timeline.end_s == pytest.approx(2.0)


def test_the_call_ends_after_its_last_frame_unless_looping() -> None:
    timeline = CallTimeline(frame_count=50)
    assert timeline.state_at(0.99) == "active"
    assert timeline.state_at(1.0) == "ended"
    looping = CallTimeline(frame_count=50, loop=True)
    assert looping.end_s == math.inf and looping.state_at(1e6) == "active"


def test_a_late_listener_starts_at_the_live_frame() -> None:
    timeline = CallTimeline(frame_count=100)
    assert timeline.live_frame(0.0) == 0
    assert timeline.live_frame(0.5) == 25
    assert timeline.live_frame(0.501) == 26  # frame 25 already went out


def test_a_hold_pauses_the_media_and_shifts_later_frames() -> None:
    timeline = CallTimeline(frame_count=100, hold_at_s=0.5, hold_for_s=3.0)
    assert timeline.hold_frame == 25
    assert timeline.due_s(24) == pytest.approx(0.48)
    assert timeline.due_s(25) == pytest.approx(3.5)
    assert [timeline.state_at(t) for t in (0.49, 0.5, 3.49, 3.5)] == [
        "active",
        "on_hold",
        "on_hold",
        "active",
    ]
    assert timeline.end_s == pytest.approx(5.0)
    assert timeline.media_position_s(2.0) == pytest.approx(0.5)
    assert timeline.media_position_s(4.0) == pytest.approx(1.0)
    assert timeline.live_frame(3.5) == 25
    assert timeline.live_frame(4.0) == 50


def test_a_hold_after_the_end_never_happens() -> None:
    timeline = CallTimeline(frame_count=10, hold_at_s=5.0)
    assert timeline.hold_frame is None
    assert timeline.end_s == pytest.approx(10 * FRAME_S)


def test_media_position_stops_at_the_end() -> None:
    assert CallTimeline(frame_count=50).media_position_s(9.0) == pytest.approx(1.0)
