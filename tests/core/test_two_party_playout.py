"""The played side of a two-party call: per-party DSP, talk state, modes, mute."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxone_desktop.core.dsp import DspSettings
from cxone_desktop.core.listen_mode import PartyAudibility
from cxone_desktop.core.two_party_playout import PARTY_COLUMNS, SILENCE_DBFS, TwoPartyPlayout

FLAT = DspSettings(gain=1.0, noise_threshold=0, gate_mode="off")
T = np.arange(160) / 8000


def tone(hz: float, amplitude: float) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * hz * T)).astype(np.int16)


def stereo(agent: np.ndarray, customer: np.ndarray) -> np.ndarray:
    out = np.empty((1, 320), dtype=np.int16)
    out[0, 0::2], out[0, 1::2] = agent, customer
    return out


QUIET = np.zeros(160, dtype=np.int16)


def test_each_party_has_its_own_gain_when_unlinked() -> None:
    playout = TwoPartyPlayout(FLAT.with_changes(gain=2.0), FLAT.with_changes(gain=0.5))
    out = playout.process(stereo(tone(300, 4000), tone(700, 4000)))
    assert np.array_equal(
        out.parties[0, 0::2], (tone(300, 4000).astype(float) * 2).astype(np.int16)
    )
    assert np.array_equal(
        out.parties[0, 1::2], (tone(700, 4000).astype(float) * 0.5).astype(np.int16)
    )
    agent_db, customer_db = playout.levels_dbfs
    assert agent_db - customer_db == pytest.approx(20 * math.log10(4), abs=0.1)
    playout.set_dsp(FLAT)  # linked again: one setting for both
    assert playout.customer_dsp == playout.agent_dsp == FLAT


def test_mute_changes_what_is_heard_not_what_is_played() -> None:
    playout = TwoPartyPlayout(FLAT, mode="mixed")
    frames = stereo(tone(300, 4000), tone(700, 3000))
    playout.audible = PartyAudibility(agent_muted=True)
    out = playout.process(frames)
    mix = np.clip(tone(300, 4000).astype(int) + tone(700, 3000), -32768, 32767)
    assert np.array_equal(out.played[0, 0::2], mix) and np.array_equal(out.played[0, 1::2], mix)
    assert np.array_equal(out.heard[0, 0::2], tone(700, 3000))
    assert np.array_equal(out.parties, frames)


def test_talk_follows_the_parties_as_received_whatever_the_gain() -> None:
    """A call with known turns after 0.5 s of line noise: agent 1 s, both 0.5 s, customer 1 s,
    nobody 1 s."""
    silent_gain = FLAT.with_changes(gain=0.0)
    playout = TwoPartyPlayout(silent_gain)
    speech_a, speech_c = tone(220, 8000), tone(330, 8000)
    hiss = (np.random.default_rng(1).normal(0, 20, 160)).astype(np.int16)
    turns = [
        (hiss, hiss, 25),
        (speech_a, hiss, 50),
        (speech_a, speech_c, 25),
        (hiss, speech_c, 50),
        (hiss, hiss, 50),
    ]
    for agent, customer, frames in turns:
        for _ in range(frames):
            out = playout.process(stereo(agent, customer))
    assert not out.played.any()  # gain 0: nothing played, yet the talk is counted
    totals = playout.talk.totals()
    # The 0.3 s hangover extends each party's last word.
    assert totals.agent_s == pytest.approx(1.5 + 0.3, abs=0.021)
    assert totals.overlap_s == pytest.approx(0.5 + 0.3, abs=0.021)  # the agent's hangover
    assert totals.customer_s == pytest.approx(1.5 + 0.3, abs=0.021)
    assert totals.current_silence_s == pytest.approx(1.0 - 0.3, abs=0.021)
    codes = playout.talk_ring.data()
    assert codes.size == 200 and codes[-1] == 0  # 250 capacity, 200 frames played
    assert codes.tolist().count(3) == 40  # talk-over: 25 frames and the 15-frame hangover
    row = playout.take_row()
    assert list(row) == list(PARTY_COLUMNS)
    assert row["talk_over"] == pytest.approx(40 / 200, abs=0.006)
    # Each spoke 75 of 200 frames at 8000 peak (-15.2 dBFS RMS): the second's mean level.
    expected_db = 20 * math.log10(8000 / math.sqrt(2) / 32768) + 10 * math.log10(75 / 200)
    assert row["agent_level_dbfs"] == pytest.approx(expected_db, abs=0.1)
    assert row["customer_level_dbfs"] == pytest.approx(expected_db, abs=0.1)
    empty = playout.take_row()
    assert empty["agent_level_dbfs"] == SILENCE_DBFS and empty["talk_over"] == 0.0


def test_the_modes_put_the_parties_where_they_belong() -> None:
    playout = TwoPartyPlayout(FLAT)
    frames = stereo(tone(300, 4000), QUIET)
    for mode, left, right in (
        ("both", True, False),
        ("agent", True, True),
        ("customer", False, False),
        ("mixed", True, True),
    ):
        playout.mode = mode  # type: ignore[assignment]
        out = playout.process(frames)
        assert (out.played[0, 0::2].any(), out.played[0, 1::2].any()) == (left, right), mode
