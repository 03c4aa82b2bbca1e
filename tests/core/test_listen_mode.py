"""Listening modes and per-party mute/solo on a stereo output."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.listen_mode import LISTEN_MODES, PartyAudibility, compose

AGENT = np.array([[1000, -2000, 30000]], dtype=np.int16)
CUSTOMER = np.array([[7, 8, 9000]], dtype=np.int16)


def sides(out: np.ndarray) -> tuple[list[int], list[int]]:
    return out[0, 0::2].tolist(), out[0, 1::2].tolist()


def test_both_puts_the_agent_left_and_the_customer_right() -> None:
    assert sides(compose(AGENT, CUSTOMER, "both")) == (AGENT[0].tolist(), CUSTOMER[0].tolist())


def test_mixed_is_the_saturating_sum_on_both_sides() -> None:
    left, right = sides(compose(AGENT, CUSTOMER, "mixed"))
    assert left == right == [1007, -1992, 32767]  # 30000 + 9000 clips, never wraps


@pytest.mark.parametrize(("mode", "party"), [("agent", AGENT), ("customer", CUSTOMER)])
def test_one_party_is_heard_on_both_sides(mode: str, party: np.ndarray) -> None:
    left, right = sides(compose(AGENT, CUSTOMER, mode))  # type: ignore[arg-type]
    assert left == right == party[0].tolist()


@pytest.mark.parametrize(
    ("audible", "agent", "customer"),
    [
        (PartyAudibility(), True, True),
        (PartyAudibility(agent_muted=True), False, True),
        (PartyAudibility(agent_muted=True, customer_muted=True), False, False),
        (PartyAudibility(customer_solo=True), False, True),
        (PartyAudibility(customer_solo=True, customer_muted=True), False, True),  # solo wins
        (PartyAudibility(agent_solo=True, customer_solo=True, agent_muted=True), True, True),
    ],
)
def test_solo_wins_over_mute(audible: PartyAudibility, agent: bool, customer: bool) -> None:
    assert (audible.agent, audible.customer) == (agent, customer)


@pytest.mark.parametrize("mode", LISTEN_MODES)
def test_a_muted_party_is_gone_from_every_mode(mode: str) -> None:
    out = compose(AGENT, CUSTOMER, mode, PartyAudibility(customer_muted=True))  # type: ignore[arg-type]
    left, right = sides(out)
    expected_agent = {"both": (AGENT, None), "mixed": (AGENT, AGENT), "agent": (AGENT, AGENT),
                      "customer": (None, None)}[mode]  # fmt: skip
    for side, party in zip((left, right), expected_agent, strict=True):
        assert side == ([0, 0, 0] if party is None else party[0].tolist())


def test_bad_shapes_and_modes_are_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        compose(AGENT, CUSTOMER[:, :2], "both")
    with pytest.raises(ValueError, match="mode"):
        compose(AGENT, CUSTOMER, "left")  # type: ignore[arg-type]
