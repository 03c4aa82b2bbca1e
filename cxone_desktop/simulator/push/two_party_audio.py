"""A call's two parties as the platforms carry them: 8 kHz, G.711 μ-law, one track each.

A stereo WAV is agent LEFT, customer RIGHT (the bundled demo-call-stereo.wav is made
so); a mono WAV is the customer alone (the agent track is silence). `expected_*`
are what a listener hears after μ-law decoding: what end-to-end tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.codecs import decode_mulaw, encode_mulaw
from cxone_desktop.core.party_mix import mix
from cxone_desktop.simulator.call_audio import WIRE_RATE_HZ, read_wav, resample

FRAME_SAMPLES = 160


@dataclass(frozen=True)
class TwoPartyAudio:
    agent_mulaw: bytes
    customer_mulaw: bytes

    @property
    def samples(self) -> int:
        return len(self.agent_mulaw)

    @property
    def duration_s(self) -> float:
        return self.samples / WIRE_RATE_HZ

    def expected(self, perspective: str = "mixed") -> npt.NDArray[np.int16]:
        agent = decode_mulaw(self.agent_mulaw)
        customer = decode_mulaw(self.customer_mulaw)
        if perspective == "agent":
            return agent
        if perspective == "customer":
            return customer
        return mix(agent, customer)

    @classmethod
    def from_samples(
        cls, agent: npt.NDArray[np.int16], customer: npt.NDArray[np.int16]
    ) -> TwoPartyAudio:
        pad = (-agent.size) % FRAME_SAMPLES  # whole 20 ms frames, as platforms send them
        agent = np.concatenate([agent, np.zeros(pad, dtype=np.int16)])
        customer = np.concatenate([customer, np.zeros(pad, dtype=np.int16)])
        return cls(encode_mulaw(agent), encode_mulaw(customer))


def load_two_party(path: Path | None = None) -> TwoPartyAudio:
    """The WAV at `path` (default: the bundled stereo demo call) as two μ-law tracks."""
    if path is None:
        from cxone_desktop.assets import resource_path

        path = resource_path("demo-call-stereo.wav")
    info, frames = read_wav(path)

    def track(column: npt.NDArray[np.float64]) -> npt.NDArray[np.int16]:
        wire = resample(column, info.rate_hz, WIRE_RATE_HZ)
        return np.clip(np.round(wire * 32768.0), -32768, 32767).astype(np.int16)

    if info.channels >= 2:
        agent, customer = track(frames[:, 0]), track(frames[:, 1])
    else:
        customer = track(frames[:, 0])
        agent = np.zeros_like(customer)
    return TwoPartyAudio.from_samples(agent, customer)
