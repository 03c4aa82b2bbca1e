"""A constructed two-party call with known turns, talk-over and silence, for end-to-end tests.

Each party is a steady voiced sound (harmonics of its own pitch, so a swap of sides shows
in a spectrum) over faint line noise of its own; the turns are exact to the sample. What
the talk detector must find follows from the turns and its 0.3 s hangover: a party counts
as talking until 0.3 s after its last word.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cxone_desktop.core.talk_state import HANGOVER_S

RATE_HZ = 8000
AGENT_F0_HZ = 210.0
CUSTOMER_F0_HZ = 120.0
#: (start s, end s) of each party's words; the call lasts CALL_S.
AGENT_TURNS = ((0.5, 2.1), (3.8, 4.6))
CUSTOMER_TURNS = ((1.5, 2.6), (4.4, 5.0))
CALL_S = 5.8


def _spans(turns: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """Where the detector hears a party: each turn plus the hangover."""
    return [(a, b + HANGOVER_S) for a, b in turns]


def _overlap(x: list[tuple[float, float]], y: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(b, d) - max(a, c)) for a, b in x for c, d in y)


@dataclass(frozen=True)
class ExpectedTalk:
    agent_s: float
    customer_s: float
    talk_over_s: float
    longest_silence_s: float


def expected_talk() -> ExpectedTalk:
    agent, customer = _spans(AGENT_TURNS), _spans(CUSTOMER_TURNS)
    talking = sorted(agent + customer)
    longest, end = 0.0, talking[0][1]
    for a, b in talking[1:]:
        longest = max(longest, a - end)
        end = max(end, b)
    return ExpectedTalk(
        agent_s=sum(b - a for a, b in agent),
        customer_s=sum(b - a for a, b in customer),
        talk_over_s=_overlap(agent, customer),
        longest_silence_s=longest,
    )


def voiced(f0_hz: float, seconds: float, amplitude: float = 7000.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    wave_ = sum(np.sin(2 * np.pi * k * f0_hz * t) / k for k in range(1, 6))
    return amplitude * wave_ / 2.3


def party_track(turns: tuple[tuple[float, float], ...], f0_hz: float, seed: int) -> np.ndarray:
    track = np.random.default_rng(seed).normal(0, 25, round(CALL_S * RATE_HZ))
    for a, b in turns:
        i, j = round(a * RATE_HZ), round(b * RATE_HZ)
        track[i:j] += voiced(f0_hz, b - a)[: j - i]
    return np.clip(np.round(track), -32768, 32767).astype(np.int16)


def write_two_party_wav(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The call as a stereo WAV, agent left; returns (agent, customer) as written."""
    agent = party_track(AGENT_TURNS, AGENT_F0_HZ, seed=5)
    customer = party_track(CUSTOMER_TURNS, CUSTOMER_F0_HZ, seed=6)
    both = np.empty(agent.size * 2, dtype=np.int16)
    both[0::2], both[1::2] = agent, customer
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE_HZ)
        w.writeframes(both.astype("<i2").tobytes())
    return agent, customer
