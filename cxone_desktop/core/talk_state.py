"""Who is talking: a simple energy voice-activity detector per party, with hangover.

Each 20 ms frame of each party is speech when its level is well above that party's
noise floor (tracked: it falls at once to a quieter frame and rises slowly) and above
an absolute floor; a party stays "talking" for a hangover after its last speech frame,
so the gaps between words are not silences. From the two parties: talk share, talk-over
(both talking) and the longest stretch where neither talks. Not thread-safe; frames are
passed in, nothing here reads a clock.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: A frame is speech when it is this far above the party's noise floor…
SPEECH_OVER_FLOOR_DB = 12.0
#: …and louder than this whatever the floor.
SPEECH_MIN_DBFS = -48.0
#: A party still counts as talking this long after its last speech frame.
HANGOVER_S = 0.3
#: How fast the noise floor may rise, per second (it falls at once; it starts at the first
#: frame's level, as a call starts with the line's noise more often than with a word).
FLOOR_RISE_DB_PER_S = 3.0


class Talk(enum.Enum):
    """What the call sounds like in one frame."""

    SILENCE = "silence"
    AGENT = "agent"
    CUSTOMER = "customer"
    OVERLAP = "overlap"  # talk-over: both at once


@dataclass(frozen=True)
class TalkTotals:
    """Running figures of a call, in seconds (shares in 0…1)."""

    agent_s: float
    customer_s: float
    overlap_s: float
    longest_silence_s: float  # between words (not before the first one)
    current_silence_s: float  # since the last word, still running

    @property
    def agent_share(self) -> float:
        total = self.agent_s + self.customer_s
        return self.agent_s / total if total else 0.0

    @property
    def customer_share(self) -> float:
        total = self.agent_s + self.customer_s
        return self.customer_s / total if total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "agent_talk_s": round(self.agent_s, 2),
            "customer_talk_s": round(self.customer_s, 2),
            "agent_talk_share": round(self.agent_share, 4),
            "customer_talk_share": round(self.customer_share, 4),
            "talk_over_s": round(self.overlap_s, 2),
            "longest_silence_s": round(self.longest_silence_s, 2),
        }


class _PartyVad:
    """One party's detector: level against an adaptive floor, then hangover."""

    __slots__ = ("_floor_db", "_hang_frames", "_hang_left", "_rise_db", "level_dbfs")

    def __init__(self, frame_s: float) -> None:
        self._floor_db: float | None = None  # the first frame's level, then tracked
        self._rise_db = FLOOR_RISE_DB_PER_S * frame_s
        self._hang_frames = max(1, round(HANGOVER_S / frame_s))
        self._hang_left = 0
        self.level_dbfs = -math.inf

    def update(self, frame: npt.NDArray[np.int16]) -> bool:
        x = frame.astype(np.float64)
        rms = math.sqrt(float(np.dot(x, x)) / x.size) if x.size else 0.0
        level = 20.0 * math.log10(rms / 32768.0) if rms > 0 else -120.0
        self.level_dbfs = level
        floor = level if self._floor_db is None else self._floor_db
        floor = level if level < floor else min(level, floor + self._rise_db)
        self._floor_db = floor
        speech = level >= SPEECH_MIN_DBFS and level >= floor + SPEECH_OVER_FLOOR_DB
        if speech:
            self._hang_left = self._hang_frames
            return True
        if self._hang_left > 0:
            self._hang_left -= 1
            return True
        return False


class TalkState:
    """Feed each 20 ms frame of both parties; read who talks now and the call's totals."""

    def __init__(self, frame_s: float = 0.02) -> None:
        self._frame_s = frame_s
        self._agent = _PartyVad(frame_s)
        self._customer = _PartyVad(frame_s)
        self._agent_frames = 0
        self._customer_frames = 0
        self._overlap_frames = 0
        self._silence_run = 0
        self._longest_silence = 0
        self._talked = False  # silence before the first word is not dead air
        self.now = Talk.SILENCE

    @property
    def agent_level_dbfs(self) -> float:
        return self._agent.level_dbfs

    @property
    def customer_level_dbfs(self) -> float:
        return self._customer.level_dbfs

    def update(self, agent: npt.NDArray[np.int16], customer: npt.NDArray[np.int16]) -> Talk:
        """One frame of each party (the same 20 ms); what the call sounds like in it."""
        a = self._agent.update(agent)
        c = self._customer.update(customer)
        self._agent_frames += a
        self._customer_frames += c
        if a and c:
            self._overlap_frames += 1
            talk = Talk.OVERLAP
        elif a:
            talk = Talk.AGENT
        elif c:
            talk = Talk.CUSTOMER
        else:
            talk = Talk.SILENCE
        if talk is Talk.SILENCE:
            self._silence_run += self._talked
        else:
            self._longest_silence = max(self._longest_silence, self._silence_run)
            self._silence_run = 0
            self._talked = True
        self.now = talk
        return talk

    def totals(self) -> TalkTotals:
        f = self._frame_s
        return TalkTotals(
            agent_s=self._agent_frames * f,
            customer_s=self._customer_frames * f,
            overlap_s=self._overlap_frames * f,
            longest_silence_s=self._longest_silence * f,
            current_silence_s=self._silence_run * f,
        )
