"""What the playout buffer does with each slot, and how much delay it aims for.

`decide` is the whole per-slot policy as one pure function of a `SlotView`
(what is queued, where the playout stands against its target) returning a
named `SlotAction`; the buffer carries the action out. `TargetDelay` turns the
arrival histogram into a target that moves rarely: it grows at once when
arrivals need it and shrinks only after a few seconds of needing less, so a
steady network gets a steady delay.

Two modes, chosen by the user: "low-delay" (the default: for listening; the
target covers 99 % of arrivals and a little more, at most 120 ms, or up to 400 ms for
a sender that holds frames until a 100-200 ms message is complete: under its span
every message runs dry) and "quality" (for recording what QA reviews: 99.8 % and one
frame more to see losses coming, at most 400 ms).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cxone_desktop.errors import InputError


class PlayoutMode(enum.Enum):
    LOW_DELAY = "low-delay"
    QUALITY = "quality"

    @classmethod
    def parse(cls, value: str | PlayoutMode) -> PlayoutMode:
        if isinstance(value, PlayoutMode):
            return value
        for mode in cls:
            if mode.value == value:
                return mode
        raise InputError("playout mode", "choose 'low-delay' or 'quality'")


@dataclass(frozen=True)
class ModeSettings:
    """The numbers behind a mode (seconds)."""

    quantile: float  # of arrival offsets the target covers
    lookahead_s: float  # added while frames are being lost: time to see where the loss was
    max_target_s: float
    max_delay_s: float  # beyond this a stall's backlog is dropped rather than played late
    initial_loss: float  # loss rate assumed before any is seen
    expect_loss: bool  # keep room to see losses coming from the start (else after a few)
    #: The look-ahead is only as long as arrivals scatter (+ a frame), up to `lookahead_s`:
    #: where a loss hides is unclear only as far as the jitter reaches.
    lookahead_from_spread: bool = False
    #: The ceiling for a sender that holds its frames until a message is complete (NICE's
    #: and AudioHook's 100-200 ms messages): below a message's span every message runs dry
    #: before the next comes, a time-scale change or a concealment each (None: max_target_s).
    held_back_max_target_s: float | None = None
    #: A held-back sender's message is evidence of its last frame's due time alone (the
    #: others were held back by however many slots, lost ones included); with less look-ahead
    #: than quality mode's, that placed losses too late to hold the delay steady.
    held_back_last_only: bool = False


#: Where losses hide is clear only after the next ~10 frames have arrived (timing shifts by
#: one frame for every frame after a loss); quality mode waits for them, low delay cannot
#: wait as long: it waits as far as the jitter reaches plus a frame, at most 60 ms (within its
#: 120 ms: training seeds at 40 ms jitter + 5 % loss: +0.1 PESQ over a fixed 40 ms).
MODE_SETTINGS: dict[PlayoutMode, ModeSettings] = {
    PlayoutMode.LOW_DELAY: ModeSettings(0.99, 0.060, 0.120, 0.400, 0.02, False, True, 0.400),
    PlayoutMode.QUALITY: ModeSettings(0.998, 0.200, 0.400, 1.000, 0.02, True, False, None, True),
}
#: Loss rate above which the look-ahead is added to the target (quality mode always keeps it).
LOSSY = 0.006
#: Without a look-ahead, the target covers this share of the one-frame messages' scatter
#: more than its quantile: the sender clock the delay is measured from wanders a few ms, and
#: a target at the 99th percentile of a 100 ms scatter, exactly, let ~3 % come too late.
WANDER_SHARE = 0.1
#: Added to the arrivals' spread for a look-ahead taken from it (a frame).
LOOKAHEAD_MARGIN_S = 0.020


class SlotAction(enum.Enum):
    """What to do for the slot due now (or before it: the actions that produce no audio)."""

    PLAY = "play"  # the next frame is this slot's: play it as it is
    CONCEAL = "conceal"  # this slot's frame was lost: synthesize it
    WAIT = "wait"  # nothing queued, and this slot's frame is more likely late than lost:
    #                synthesize a frame without moving past its slot (the delay grows)
    SKIP_LOST = "skip_lost"  # lost, and playout is behind: drop the slot, no audio, delay − 1 frame
    DROP_LATE = "drop_late"  # the next frame's slot was already concealed: discard the frame
    REWIND = "rewind"  # a stall's backlog came: its concealed slots were late, not lost; play them
    SHRINK = "shrink"  # play the next frames made shorter by whole pitch periods
    STRETCH = "stretch"  # play the next frame made longer by whole pitch periods


#: How far (s) the playout may sit from its target before it is corrected: just over a
#: frame, so that one frame misjudged (and set right later) does not cost a correction.
#: After a stall's backlog, playout comes back closer (the spike is not left to linger).
DEADBAND_S = 0.022
RECOVERY_DEADBAND_S = 0.010
#: ... for at least this long after the backlog came (s): the frames right after a backlog are
#: where a loss is misjudged most, and a frame's worth of error would sit in the usual band.
RECOVERY_HOLD_S = 2.0
#: Where one-frame messages scatter over ~100 ms, the delay's own measure wanders with the
#: sender-clock estimate (a median over scattered arrivals, and hindsight moving a loss a
#: frame now and then): the band widens to this share of the scatter, so the wandering is
#: not chased with a correction each time. Training seeds, 100 ms jitter at 5 % loss, low
#: delay: 17-21 changes a minute → 9-11, PESQ 2.51 / 2.65 → 2.52 / 2.69, p95 delay +8 ms;
#: 0.3 left 15 changes, 0.5 added 15 ms. (Under 55 ms of scatter the band is as before.)
SCATTER_DEADBAND_SHARE = 0.4
#: Beyond this, corrections no longer wait for a quiet frame.
URGENT_S = 0.150
#: A correction waits at most this long (s) for a quiet frame or a periodic one.
MAX_WAIT_S = 4.0
#: A splice in sound is made only where the waveform repeats at least this well.
MIN_SPLICE_SIMILARITY = 0.6
#: A late frame rewinds the playout only if its slot is at least this many slots back
#: (a stall); a single late frame is dropped instead, keeping the delay steady.
MIN_REWIND_SLOTS = 3


@dataclass(frozen=True)
class SlotView:
    """Everything `decide` looks at, for the slot due now.

    `head_offset` is the decoded slot of the oldest queued frame minus the slot
    due (None: nothing queued). `excess_s` is the playout delay minus the target
    (> 0: too much). `head_quiet` tells whether the frame is quiet enough to
    shorten or lengthen unheard; `waited_s` how long a correction has waited.
    """

    head_offset: int | None
    excess_s: float
    frame_s: float = 0.020
    head_quiet: bool = False
    waited_s: float = 0.0
    rewind_room_s: float = 0.0  # how much more delay a rewind may add (mode's maximum − now)
    late_chance: float = 0.0  # nothing queued: chance its frame is still on its way, not lost
    late_streak: int = 0  # late frames dropped since the last one that came in time
    late_outlier: bool = False  # the oldest frame came later than 99 % of arrivals do
    deadband_s: float = DEADBAND_S  # how far from the target is close enough (tighter after
    #                                 a stall, until playout is back on target; wider where
    #                                 arrivals scatter widely: `steady_deadband`)
    learning: bool = False  # too few arrivals seen to know the network (or set a target)


def decide(view: SlotView) -> SlotAction:
    """The action for the slot due now (see `SlotAction`)."""
    if view.head_offset is None:
        # Wait for a frame that is probably on its way, unless that would take the delay
        # past its target (the mode's ceiling binds: it counts as lost, and is dropped).
        room = view.excess_s + view.frame_s <= DEADBAND_S
        return SlotAction.WAIT if view.late_chance > 0.5 and room else SlotAction.CONCEAL
    if view.head_offset < 0:
        # A stall's backlog (frames far later than the network's usual), or late frame after
        # late frame while playout runs ahead of its target: take the concealment back and
        # play them, the delay grows. Otherwise drop: one late frame alone, or frames the
        # mode's ceiling cannot wait for, must not drag the delay up.
        back = -view.head_offset
        stall = back >= MIN_REWIND_SLOTS and view.late_outlier
        behind = view.late_streak >= 1 and view.excess_s + back * view.frame_s <= DEADBAND_S
        if (stall or behind) and view.rewind_room_s >= view.frame_s:
            return SlotAction.REWIND
        return SlotAction.DROP_LATE
    # While the network is being learned, delay is kept, not cut: the first messages say
    # little of the next ones (a sender of 200 ms messages starts with a lump), and cutting
    # only to grow again is two changes for nothing.
    keep = view.learning and view.excess_s > 0
    if view.head_offset > 0:
        band = max(DEADBAND_S, view.deadband_s)  # (not the tighter one after a stall)
        behind = view.excess_s > band and view.excess_s - view.frame_s > -band
        return SlotAction.SKIP_LOST if behind and not keep else SlotAction.CONCEAL
    if abs(view.excess_s) <= view.deadband_s or keep:
        return SlotAction.PLAY
    ready = view.head_quiet or abs(view.excess_s) >= URGENT_S or view.waited_s >= patience(view)
    if not ready:
        return SlotAction.PLAY
    return SlotAction.SHRINK if view.excess_s > 0 else SlotAction.STRETCH


def steady_deadband(scatter_s: float) -> float:
    """How far from its target the playout may sit where arrivals scatter over `scatter_s`."""
    return max(DEADBAND_S, SCATTER_DEADBAND_SHARE * scatter_s)


def patience(view: SlotView) -> float:
    """How long a correction waits for a quiet frame: less the further off playout is."""
    return MAX_WAIT_S * min(1.0, 2 * DEADBAND_S / max(abs(view.excess_s), 1e-9))


class TargetDelay:
    """The playout delay aimed for (s past the sender-clock estimate), with hysteresis."""

    #: Seconds the target must have been too high before it comes down.
    SHRINK_AFTER_S = 3.0

    def __init__(self, settings: ModeSettings, *, floor_s: float) -> None:
        self._settings = settings
        #: The most the target may be: the mode's, or what the sender's messages need.
        self.ceiling_s = settings.max_target_s
        self._floor_s = min(floor_s, settings.max_target_s)
        self._target_s = self.needed_s(0.0, settings.initial_loss if settings.expect_loss else 0)
        self._lower_since: float | None = None
        self._lower_peak_s = 0.0

    @property
    def target_s(self) -> float:
        return self._target_s

    def needed_s(
        self,
        quantile_s: float,
        loss: float,
        spread_s: float = float("inf"),
        scatter_s: float = 0.0,
    ) -> float:
        """What the arrivals ask for: their quantile, plus look-ahead while frames are being
        lost (else a share of the one-frame messages' `scatter_s`), within floor and ceiling."""
        lookahead = self._settings.lookahead_s
        if self._settings.lookahead_from_spread:
            lookahead = min(lookahead, spread_s + LOOKAHEAD_MARGIN_S)
        wanted = quantile_s + (lookahead if loss > LOSSY else WANDER_SHARE * scatter_s)
        return min(self.ceiling_s, max(self._floor_s, wanted))

    def update(
        self,
        quantile_s: float,
        loss: float,
        now_s: float,
        spread_s: float = float("inf"),
        scatter_s: float = 0.0,
    ) -> float:
        """Grow at once; shrink to the highest need of the last few seconds once it has stayed
        a frame's worth below the target that long."""
        needed = self.needed_s(quantile_s, loss, spread_s, scatter_s)
        if needed > self._target_s:
            self._target_s = needed
            self._lower_since = None
        elif needed < self._target_s - DEADBAND_S:
            if self._lower_since is None:
                self._lower_since, self._lower_peak_s = now_s, needed
            self._lower_peak_s = max(self._lower_peak_s, needed)
            if now_s - self._lower_since >= self.SHRINK_AFTER_S:
                self._target_s = self._lower_peak_s
                self._lower_since = None
        else:
            self._lower_since = None
        return self._target_s
