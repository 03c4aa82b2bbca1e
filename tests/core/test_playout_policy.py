"""The per-slot policy as a pure function: each situation gets its named action."""

from __future__ import annotations

import pytest

from cxone_desktop.core.playout_policy import (
    DEADBAND_S,
    MAX_WAIT_S,
    MODE_SETTINGS,
    RECOVERY_DEADBAND_S,
    PlayoutMode,
    SlotAction,
    SlotView,
    TargetDelay,
    decide,
    steady_deadband,
)
from cxone_desktop.errors import InputError


def test_the_frame_for_this_slot_plays() -> None:
    assert decide(SlotView(head_offset=0, excess_s=0.0)) is SlotAction.PLAY


def test_a_frame_for_a_later_slot_means_this_one_was_lost() -> None:
    assert decide(SlotView(head_offset=2, excess_s=0.0)) is SlotAction.CONCEAL


def test_a_lost_slot_is_skipped_when_playout_is_a_frame_behind() -> None:
    assert decide(SlotView(head_offset=1, excess_s=0.030)) is SlotAction.SKIP_LOST
    # ... but not when skipping would put it as far ahead.
    assert decide(SlotView(head_offset=1, excess_s=0.005)) is SlotAction.CONCEAL


def test_nothing_queued_is_lost_unless_it_is_probably_on_its_way_and_there_is_room() -> None:
    assert decide(SlotView(head_offset=None, excess_s=0.0, late_chance=0.1)) is SlotAction.CONCEAL
    waiting = SlotView(head_offset=None, excess_s=-0.010, late_chance=0.9)
    assert decide(waiting) is SlotAction.WAIT
    at_ceiling = SlotView(head_offset=None, excess_s=0.010, late_chance=0.9)
    assert decide(at_ceiling) is SlotAction.CONCEAL


def test_one_late_frame_is_dropped_to_keep_the_delay() -> None:
    assert decide(SlotView(head_offset=-1, excess_s=0.0, rewind_room_s=0.3)) is (
        SlotAction.DROP_LATE
    )


def test_a_stalls_backlog_undoes_the_loss_guesses() -> None:
    """The "undo a wrong loss guess" path: slots were concealed as lost; a backlog of frames
    far later than usual proves them late, so playout rewinds and plays them."""
    backlog = SlotView(head_offset=-12, excess_s=0.0, rewind_room_s=0.3, late_outlier=True)
    assert decide(backlog) is SlotAction.REWIND
    no_room = SlotView(head_offset=-12, excess_s=0.0, rewind_room_s=0.0, late_outlier=True)
    assert decide(no_room) is SlotAction.DROP_LATE
    usual = SlotView(head_offset=-12, excess_s=0.0, rewind_room_s=0.3, late_outlier=False)
    assert decide(usual) is SlotAction.DROP_LATE  # as late as always: the ceiling binds


def test_late_after_late_while_ahead_rewinds_by_the_frame() -> None:
    ahead = SlotView(head_offset=-1, excess_s=-0.025, rewind_room_s=0.3, late_streak=1)
    assert decide(ahead) is SlotAction.REWIND


def test_corrections_wait_for_a_quiet_frame_or_lose_patience() -> None:
    high = DEADBAND_S + 0.005
    assert decide(SlotView(head_offset=0, excess_s=high)) is SlotAction.PLAY
    assert decide(SlotView(head_offset=0, excess_s=high, head_quiet=True)) is SlotAction.SHRINK
    assert decide(SlotView(head_offset=0, excess_s=-high, head_quiet=True)) is (SlotAction.STRETCH)
    tired = SlotView(head_offset=0, excess_s=high, waited_s=MAX_WAIT_S)
    assert decide(tired) is SlotAction.SHRINK
    assert decide(SlotView(head_offset=0, excess_s=0.5)) is SlotAction.SHRINK  # urgent


def test_where_arrivals_scatter_widely_the_delay_may_sit_further_from_its_target() -> None:
    """Over 100 ms of scatter the delay's own measure wanders by a frame or more (the sender
    clock is a median of scattered arrivals): that is not chased with a correction."""
    assert steady_deadband(0.030) == DEADBAND_S  # ordinary jitter: the usual band
    wide = steady_deadband(0.100)
    assert wide == pytest.approx(0.040)
    off = 0.030  # beyond the usual band, within the wide one
    for excess in (off, -off):
        usual = SlotView(head_offset=0, excess_s=excess, head_quiet=True)
        assert decide(usual) in (SlotAction.SHRINK, SlotAction.STRETCH)
        scattered = SlotView(head_offset=0, excess_s=excess, head_quiet=True, deadband_s=wide)
        assert decide(scattered) is SlotAction.PLAY
    # A lost slot is concealed, not skipped, while the delay is within the wide band ...
    assert decide(SlotView(head_offset=1, excess_s=off)) is SlotAction.SKIP_LOST
    lost = SlotView(head_offset=1, excess_s=off, deadband_s=wide)
    assert decide(lost) is SlotAction.CONCEAL
    assert decide(SlotView(head_offset=1, excess_s=0.045, deadband_s=wide)) is SlotAction.SKIP_LOST
    # ... and the tighter band after a stall does not make skipping more eager.
    tight = SlotView(head_offset=1, excess_s=0.015, deadband_s=RECOVERY_DEADBAND_S)
    assert decide(tight) is SlotAction.CONCEAL


def test_while_the_network_is_learned_delay_is_kept_not_cut() -> None:
    """The first messages say little of the next (a sender of 200 ms messages starts with a
    lump): too much delay then is left alone instead of cut now and grown back later."""
    for learning, shrink, skip in ((True, SlotAction.PLAY, SlotAction.CONCEAL),
                                   (False, SlotAction.SHRINK, SlotAction.SKIP_LOST)):  # fmt: skip
        assert decide(SlotView(head_offset=0, excess_s=0.5, learning=learning)) is shrink
        assert decide(SlotView(head_offset=1, excess_s=0.030, learning=learning)) is skip
    # Too little is still made up at once: a frame lengthened, or a late one waited for.
    short = SlotView(head_offset=0, excess_s=-0.5, learning=True)
    assert decide(short) is SlotAction.STRETCH


def test_the_ceiling_can_rise_for_a_sender_of_long_messages() -> None:
    target = TargetDelay(MODE_SETTINGS[PlayoutMode.LOW_DELAY], floor_s=0.040)
    assert target.update(0.190, 0.0, now_s=1.0) == pytest.approx(0.120)  # the mode's ceiling
    target.ceiling_s = MODE_SETTINGS[PlayoutMode.LOW_DELAY].held_back_max_target_s or 0.0
    assert target.update(0.190, 0.0, now_s=1.1) == pytest.approx(0.190)


def test_the_target_grows_at_once_and_shrinks_only_after_seconds() -> None:
    target = TargetDelay(MODE_SETTINGS[PlayoutMode.LOW_DELAY], floor_s=0.040)
    assert target.target_s == pytest.approx(0.040)
    assert target.update(0.080, 0.0, now_s=1.0) == pytest.approx(0.080)
    assert target.update(0.030, 0.0, now_s=2.0) == pytest.approx(0.080)
    assert target.update(0.030, 0.0, now_s=4.9) == pytest.approx(0.080)
    assert target.update(0.030, 0.0, now_s=5.1) == pytest.approx(0.040)  # back to the floor


def test_low_delay_caps_at_120ms_and_quality_at_400ms_with_room_to_see_losses() -> None:
    low = TargetDelay(MODE_SETTINGS[PlayoutMode.LOW_DELAY], floor_s=0.040)
    high = TargetDelay(MODE_SETTINGS[PlayoutMode.QUALITY], floor_s=0.040)
    assert low.needed_s(1.0, 0.0) == pytest.approx(0.120)
    assert high.needed_s(1.0, 0.0) == pytest.approx(0.400)
    assert high.needed_s(0.050, 0.05) > high.needed_s(0.050, 0.0)


def test_low_delay_looks_ahead_as_far_as_arrivals_scatter_plus_a_frame_at_most_60ms() -> None:
    # While frames are lost: on a network without jitter a loss shows at once (nothing added
    # past the floor), 20 ms of jitter waits 40 ms, 40 ms or more waits 60 ms.
    low = TargetDelay(MODE_SETTINGS[PlayoutMode.LOW_DELAY], floor_s=0.040)
    assert low.needed_s(0.001, 0.05, spread_s=0.001) == pytest.approx(0.040)
    assert low.needed_s(0.020, 0.05, spread_s=0.020) == pytest.approx(0.060)
    assert low.needed_s(0.040, 0.05, spread_s=0.040) == pytest.approx(0.100)
    assert low.needed_s(0.040, 0.05, spread_s=0.080) == pytest.approx(0.100)
    assert low.needed_s(0.040, 0.0, spread_s=0.080) == pytest.approx(0.040)  # no loss: none
    quality = TargetDelay(MODE_SETTINGS[PlayoutMode.QUALITY], floor_s=0.040)
    assert quality.needed_s(0.0, 0.05, spread_s=0.0) == pytest.approx(0.200)  # always 200 ms


def test_without_look_ahead_the_target_keeps_a_tenth_of_the_scatter_in_hand() -> None:
    """The quantile is read past the sender clock's estimate, which wanders a few ms: where
    one-frame messages scatter over 95 ms, the target sits 9.5 ms past their 99th
    percentile; a look-ahead (frames being lost) takes its place rather than adding to it."""
    low = TargetDelay(MODE_SETTINGS[PlayoutMode.LOW_DELAY], floor_s=0.040)
    assert low.needed_s(0.040, 0.0, spread_s=0.095, scatter_s=0.095) == pytest.approx(0.0495)
    assert low.needed_s(0.040, 0.05, spread_s=0.095, scatter_s=0.095) == pytest.approx(0.100)
    assert low.needed_s(0.010, 0.0, spread_s=0.030, scatter_s=0.030) == pytest.approx(0.040)


def test_modes_are_parsed_by_name() -> None:
    assert PlayoutMode.parse("quality") is PlayoutMode.QUALITY
    assert PlayoutMode.parse(PlayoutMode.LOW_DELAY) is PlayoutMode.LOW_DELAY
    with pytest.raises(InputError):
        PlayoutMode.parse("best")
