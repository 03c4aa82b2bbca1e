"""How a lost stream is reconnected: paced with full jitter, bounded by TIME, not tries.

A stream that opened and died at once was reconnected 407 times in 10 s; a server
that answered 503 for 4 s had all six tries spent in under 3 s while the call went on.
So: every reconnect waits a draw from [0, min(max_delay, base · 2^(n-1))] (full
jitter, capped: a server back after a restart is tried again within `max_delay_s`);
the failures keep counting, and the outage keeps its start, until a connection has
carried audio for `healthy_after_s`; and the outage may last `budget_s` before the
session gives up. Pure: times are passed in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from cxone_desktop.core.backoff_delay import backoff_delay


@dataclass(frozen=True)
class ReconnectPolicy:
    """How long, and how fast, to keep reconnecting while the call is up."""

    #: An outage may last this long (seconds, from the first drop) before the session gives up.
    budget_s: float = 60.0
    base_delay_s: float = 0.25
    #: No wait between attempts is longer than this: the cost of a restart beyond its gap.
    max_delay_s: float = 2.0
    #: A connection that carried audio this long ends the outage (the backoff starts over).
    healthy_after_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("budget_s", "base_delay_s", "max_delay_s", "healthy_after_s"):
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0")
        if self.max_delay_s < self.base_delay_s:
            raise ValueError("max_delay_s must be >= base_delay_s")


class ReconnectBudget:
    """One call's reconnect pacing; an outage spans drops until a connection proves healthy."""

    def __init__(self, policy: ReconnectPolicy, rng: random.Random) -> None:
        self.policy = policy
        self._rng = rng
        #: Attempts that failed (or connections that died young) in the current outage.
        self.failures = 0
        self._outage_since: float | None = None
        self._connected_at: float | None = None

    @property
    def in_outage(self) -> bool:
        return self._outage_since is not None

    def spent_s(self, now_s: float) -> float:
        """Seconds of the current outage so far (0 outside one)."""
        return 0.0 if self._outage_since is None else max(0.0, now_s - self._outage_since)

    def lost(self, now_s: float) -> None:
        """The stream closed while the call goes on: an outage starts, or goes on."""
        if self._outage_since is None:
            self._outage_since = now_s
        self._connected_at = None

    def connected(self, now_s: float) -> None:
        """A connection opened; the outage ends only once it has carried audio a while."""
        self._connected_at = now_s

    def heard_audio(self, now_s: float) -> None:
        """Audio arrived; a connection healthy for `healthy_after_s` ends the outage."""
        if (
            self._outage_since is not None
            and self._connected_at is not None
            and now_s - self._connected_at >= self.policy.healthy_after_s
        ):
            self.reset()

    def reset(self) -> None:
        """Start over: no outage, no failures (also when the call goes on hold)."""
        self._outage_since = None
        self.failures = 0

    def next_delay(self, now_s: float, retry_after_s: float | None = None) -> float | None:
        """Seconds to wait before the next attempt; None once the budget is spent.

        A server's Retry-After is honoured, but never past the budget's end: the last
        attempt comes when the budget runs out.
        """
        self.lost(now_s)
        left = self.policy.budget_s - self.spent_s(now_s)
        if left <= 0:
            return None
        self.failures += 1
        policy = self.policy
        delay = backoff_delay(
            self.failures,
            retry_after_s,
            base_s=policy.base_delay_s,
            max_s=policy.max_delay_s,
            rng=self._rng,
        )
        return min(delay, left)
