"""Stretches with no audio while the call went on, placed in both recordings.

raw.wav holds only what arrived; processed.wav runs on the playout clock and
fills a gap with concealment and silence. So after a 30 s outage the two files
differ by 30 s. Each gap is kept with where it starts in each file, so a QA
analyst (and the review mode) can line them up: as an event, in summary.json's
`gaps`, and as WAV cue labels.

A gap starts when the last audio arrived (the silence began there, not when it
was noticed) and ends when audio arrives again, or when the session ends.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

GapKind = Literal["stall", "outage", "hold"]


@dataclass(frozen=True)
class Gap:
    """No audio for `duration_s`, starting `elapsed_s` into the session."""

    kind: GapKind
    elapsed_s: float
    duration_s: float
    raw_position_s: float  # where raw.wav resumes (nothing is missing there, it just jumps)
    processed_position_s: float  # where processed.wav's filler for the gap starts

    @property
    def while_call_up(self) -> bool:
        """A hold pauses the call; stalls and outages lose audio of a live call."""
        return self.kind != "hold"

    def label(self) -> str:
        """A cue label: what happened and for how long."""
        what = {"stall": "no audio", "outage": "connection lost", "hold": "call on hold"}
        return f"{what[self.kind]} for {self.duration_s:.1f} s"

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class _Open:
    gap: Gap
    started_s: float  # on the session's clock


class GapTracker:
    """The open gap, if any, and every closed one. Times are passed in; not thread-safe."""

    def __init__(self) -> None:
        self.gaps: list[Gap] = []
        self._open: _Open | None = None

    @property
    def open_kind(self) -> GapKind | None:
        return self._open.gap.kind if self._open is not None else None

    def open(
        self,
        kind: GapKind,
        *,
        started_s: float,
        elapsed_s: float,
        raw_position_s: float,
        processed_position_s: float,
    ) -> None:
        """A gap began at `started_s`; an open one only changes kind (a stall became an outage)."""
        if self._open is not None:
            self.relabel(kind)
            return
        gap = Gap(kind, elapsed_s, 0.0, raw_position_s, processed_position_s)
        self._open = _Open(gap, started_s)

    def relabel(self, kind: GapKind) -> None:
        """What the open gap turned out to be (an outage that was a hold, say)."""
        if self._open is not None:
            self._open = replace(self._open, gap=replace(self._open.gap, kind=kind))

    def close(self, now_s: float) -> Gap | None:
        """Audio again (or the end): the finished gap, or None if none was open."""
        if self._open is None:
            return None
        gap = replace(self._open.gap, duration_s=max(0.0, now_s - self._open.started_s))
        self._open = None
        self.gaps.append(gap)
        return gap

    def silent_s(self, now_s: float) -> float:
        """How long the open gap has lasted (0 with none open)."""
        return max(0.0, now_s - self._open.started_s) if self._open is not None else 0.0

    def call_up_ms(self, now_s: float) -> float:
        """Milliseconds of gaps while the call was up (not holds), the open one included."""
        return self._ms(now_s, hold=False)

    def hold_ms(self, now_s: float) -> float:
        """Milliseconds on hold, the open hold included."""
        return self._ms(now_s, hold=True)

    def _ms(self, now_s: float, *, hold: bool) -> float:
        total = sum(g.duration_s for g in self.gaps if g.while_call_up != hold)
        if self._open is not None and self._open.gap.while_call_up != hold:
            total += self.silent_s(now_s)
        return total * 1000.0
