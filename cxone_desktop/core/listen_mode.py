"""How two parties are put on a stereo output: the listening mode and per-party mute and solo.

The stream carries the parties apart (agent left, customer right); what the listener hears
is derived here, locally, so switching needs no reconnect:

- ``"both"``: agent left, customer right;
- ``"mixed"``: the mix (a saturating sum) on both sides, as a mono call sounds;
- ``"agent"`` / ``"customer"``: that party alone, on both sides.

Mute and solo only take a party out of what is heard; recordings keep both parties.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.party_mix import mix

ListenMode = Literal["mixed", "both", "agent", "customer"]
LISTEN_MODES: tuple[ListenMode, ...] = get_args(ListenMode)

Int16Array = npt.NDArray[np.int16]


@dataclass(frozen=True)
class PartyAudibility:
    """Per-party mute and solo: a solo wins over every mute; no solo, the unmuted are heard."""

    agent_muted: bool = False
    customer_muted: bool = False
    agent_solo: bool = False
    customer_solo: bool = False

    @property
    def agent(self) -> bool:
        """The agent is heard."""
        if self.agent_solo or self.customer_solo:
            return self.agent_solo
        return not self.agent_muted

    @property
    def customer(self) -> bool:
        """The customer is heard."""
        if self.agent_solo or self.customer_solo:
            return self.customer_solo
        return not self.customer_muted

    @property
    def everyone(self) -> bool:
        return self.agent and self.customer


EVERYONE = PartyAudibility()


def compose(
    agent: Int16Array,
    customer: Int16Array,
    mode: ListenMode,
    audible: PartyAudibility = EVERYONE,
) -> Int16Array:
    """Interleaved stereo (n, 2k) from the parties' (n, k) frames, as `mode` puts them."""
    if agent.shape != customer.shape:
        raise ValueError(f"the parties differ in shape: {agent.shape} vs {customer.shape}")
    if mode not in LISTEN_MODES:
        raise ValueError(f"mode must be one of {', '.join(LISTEN_MODES)}, got {mode!r}")
    a = agent if audible.agent else None
    c = customer if audible.customer else None
    n, k = agent.shape
    out = np.empty((n, 2 * k), dtype=np.int16)
    left, right = out[:, 0::2], out[:, 1::2]
    if mode == "both":
        left[...] = 0 if a is None else a
        right[...] = 0 if c is None else c
        return out
    one: Int16Array | int
    if mode == "mixed":
        heard = [p for p in (a, c) if p is not None]
        one = mix(*heard) if heard else 0
    else:
        party = a if mode == "agent" else c
        one = 0 if party is None else party
    left[...] = one
    right[...] = one
    return out
