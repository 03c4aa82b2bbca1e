"""Who talks when, on a constructed call whose turns and overlaps are known."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.talk_state import HANGOVER_S, Talk, TalkState

RATE = 8000
FRAME = 160


def voice(seconds: float, f0: float, rng: np.random.Generator) -> np.ndarray:
    """A voiced sound: harmonics of f0 under a syllable envelope (never fully silent inside)."""
    t = np.arange(int(seconds * RATE)) / RATE
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2
    sig = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
    return 6000 * env * sig + rng.normal(0, 20, t.size)


def party(segments: list[tuple[float, float]], total_s: float, f0: float, seed: int) -> np.ndarray:
    """Line noise throughout, speech in `segments` (start, end) seconds."""
    rng = np.random.default_rng(seed)
    out = rng.normal(0, 25, int(total_s * RATE))  # about -62 dBFS of line noise
    for start, end in segments:
        a, b = int(start * RATE), int(end * RATE)
        out[a:b] += voice((b - a) / RATE, f0, rng)
    return np.clip(out, -32768, 32767).astype(np.int16)


def run(agent: np.ndarray, customer: np.ndarray) -> tuple[TalkState, list[Talk]]:
    state = TalkState()
    seen = [
        state.update(agent[i : i + FRAME], customer[i : i + FRAME])
        for i in range(0, len(agent) - FRAME + 1, FRAME)
    ]
    return state, seen


def test_turns_talk_over_and_the_longest_silence_are_measured() -> None:
    # Agent 1–4 s and 9–12 s; customer 3.5–7 s (0.5 s over the agent) and 11–13 s (1 s over).
    agent = party([(1, 4), (9, 12)], 15, 210, seed=1)
    customer = party([(3.5, 7), (11, 13)], 15, 120, seed=2)
    state, seen = run(agent, customer)
    totals = state.totals()
    # Talk-over: 0.5 s + 1 s, plus at most a hangover at the end of each overlap.
    assert 1.5 <= totals.overlap_s <= 1.5 + 2 * HANGOVER_S + 0.05
    assert totals.agent_s == pytest.approx(6.0 + 2 * HANGOVER_S, abs=0.15)
    assert totals.customer_s == pytest.approx(5.5 + 2 * HANGOVER_S, abs=0.15)
    assert totals.agent_share == pytest.approx(6 / 11.5, abs=0.03)
    # The longest silence between words: 7 s → 9 s, less the customer's hangover.
    assert totals.longest_silence_s == pytest.approx(2.0 - HANGOVER_S, abs=0.1)
    # Frame by frame at a few known instants.
    at = {t: seen[int(t / 0.02)] for t in (0.5, 2.0, 3.8, 5.0, 8.0, 11.5, 14.5)}
    assert at == {0.5: Talk.SILENCE, 2.0: Talk.AGENT, 3.8: Talk.OVERLAP, 5.0: Talk.CUSTOMER,
                  8.0: Talk.SILENCE, 11.5: Talk.OVERLAP, 14.5: Talk.SILENCE}  # fmt: skip
    assert totals.as_dict()["talk_over_s"] == round(totals.overlap_s, 2)


def test_louder_line_noise_on_one_side_is_not_speech() -> None:
    rng = np.random.default_rng(5)
    noisy = np.clip(rng.normal(0, 400, 10 * RATE), -32768, 32767).astype(np.int16)  # -38 dBFS hiss
    quiet = party([(2, 4)], 10, 150, seed=6)
    state, _ = run(noisy, quiet)
    totals = state.totals()
    assert totals.agent_s < 0.5  # the hiss sets its floor; it is not talk
    assert totals.customer_s == pytest.approx(2 + HANGOVER_S, abs=0.15)


def test_leading_and_trailing_silence_is_not_dead_air() -> None:
    agent = party([(5, 6)], 12, 200, seed=3)
    customer = party([], 12, 120, seed=4)
    totals = run(agent, customer)[0].totals()
    assert totals.longest_silence_s == 0.0
    assert totals.current_silence_s == pytest.approx(6 - HANGOVER_S, abs=0.1)
