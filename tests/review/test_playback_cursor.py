"""What the player plays next: straight on, round an A–B loop, past silences; and what is heard."""

from __future__ import annotations

from cxone_desktop.review.playback_cursor import PlaybackCursor


def test_straight_to_the_end() -> None:
    c = PlaybackCursor(1000)
    assert c.take(400) == [(0, 400)]
    assert c.take(400) == [(400, 800)]
    assert c.take(400) == [(800, 1000)]
    assert c.take(400) == [] and c.finished


def test_loop_wraps_inside_a_take() -> None:
    c = PlaybackCursor(1000, frame=150)
    c.set_loop(100, 200)
    assert c.take(120) == [(150, 200), (100, 170)]
    c.set_loop(300, 250)  # given backwards: still a loop
    assert c.loop == (250, 300)
    assert c.take(10) == [(250, 260)]  # outside the loop: start at A
    assert not c.finished


def test_silences_are_jumped_keeping_a_lead_in() -> None:
    c = PlaybackCursor(10_000, silences=[(1000, 5000), (6000, 6100)], lead_frames=200)
    assert c.take(2000) == [(0, 1000), (4800, 5800)]
    assert c.take(400) == [(5800, 6200)]  # a silence shorter than the lead-in is played
    c.seek(2000)  # seeking into a silence skips it on the next take
    assert c.take(100) == [(4800, 4900)]


def test_position_maps_what_was_played_back_to_the_file() -> None:
    c = PlaybackCursor(10_000, silences=[(1000, 5000)], lead_frames=0)
    c.take(1500)  # (0, 1000), (5000, 5500)
    assert c.position(0) == 0
    assert c.position(999) == 999
    assert c.position(1000) == 5000
    assert c.position(1200) == 5200
    assert c.position(10**6) == 5500  # cannot have played more than was handed out
    c.seek(7000)
    assert c.position(0) == 7000
