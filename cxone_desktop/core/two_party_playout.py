"""The played side of a two-party call: per-party DSP, who talks, and what goes where.

Frames come from the jitter buffer interleaved (agent left, customer right). Each party
goes through its own `DspChain` (gain and gate per party; the same settings when linked),
the talk detector (`TalkState`) hears each party *as received*, before gain and gate, so
a slider never changes the talk figures, and the listening mode (`listen_mode.compose`)
decides what is played. Mute and solo change only what the sound device gets.

Not thread-safe; frames are passed in, nothing here reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.dsp import DspChain, DspSettings
from cxone_desktop.core.listen_mode import EVERYONE, ListenMode, PartyAudibility, compose
from cxone_desktop.core.ring_buffer import RingBuffer
from cxone_desktop.core.talk_state import Talk, TalkState

Int16Array = npt.NDArray[np.int16]

#: The talk ring's codes, one per played 20 ms frame.
TALK_CODES: dict[Talk, int] = {Talk.SILENCE: 0, Talk.AGENT: 1, Talk.CUSTOMER: 2, Talk.OVERLAP: 3}
#: The level of digital silence in metrics rows (a number reads better than an empty cell).
SILENCE_DBFS = -120.0
#: metrics.csv's two-party columns, in order.
PARTY_COLUMNS = (
    "agent_level_dbfs",
    "customer_level_dbfs",
    "agent_talking",
    "customer_talking",
    "talk_over",
)


@dataclass(frozen=True)
class PlayedFrames:
    """One batch of playout, each (n, 2k) interleaved stereo."""

    played: Int16Array  # as the mode puts it: processed.wav, the output level
    heard: Int16Array  # `played` with mute and solo applied: the sound device
    parties: Int16Array  # each party after its DSP, agent left: the waveform lanes


class TwoPartyPlayout:
    """Per-party DSP, talk state and the listening mode for one call."""

    def __init__(
        self,
        agent: DspSettings,
        customer: DspSettings | None = None,
        *,
        rate_hz: int = 8000,
        frame_ms: int = 20,
        mode: ListenMode = "both",
        talk_ring_frames: int = 250,
    ) -> None:
        party_fmt = AudioFormat(rate_hz=rate_hz, frame_ms=frame_ms)
        self._agent_dsp = DspChain(agent, party_fmt)
        self._customer_dsp = DspChain(customer or agent, party_fmt)
        self.mode: ListenMode = mode
        self.audible: PartyAudibility = EVERYONE
        self.talk = TalkState(party_fmt.frame_duration_s)
        #: Who talked in each of the last played frames (TALK_CODES), for the live strip.
        self.talk_ring = RingBuffer(talk_ring_frames, np.int8)
        #: The level of each party's last played frame after its DSP, dBFS (-inf when silent).
        self.levels_dbfs = (-math.inf, -math.inf)
        self._energy = [0.0, 0.0]  # Σ x² of each party as received, since the last row
        self._samples = 0
        self._frames = 0
        self._talking = [0, 0, 0]  # agent, customer, both: frames since the last row

    @property
    def agent_dsp(self) -> DspSettings:
        return self._agent_dsp.settings

    @property
    def customer_dsp(self) -> DspSettings:
        return self._customer_dsp.settings

    def set_dsp(self, agent: DspSettings, customer: DspSettings | None = None) -> None:
        """From the next frame on; `customer` None links it to the agent's settings."""
        self._agent_dsp.update(agent)
        self._customer_dsp.update(customer or agent)

    def process(self, frames: Int16Array) -> PlayedFrames:
        """Play (n, 2k) interleaved frames."""
        agent_in = np.ascontiguousarray(frames[:, 0::2])
        customer_in = np.ascontiguousarray(frames[:, 1::2])
        self._listen(agent_in, customer_in)
        agent = self._agent_dsp.process(agent_in)
        customer = self._customer_dsp.process(customer_in)
        self.levels_dbfs = (_level(agent[-1]), _level(customer[-1]))
        played = compose(agent, customer, self.mode)
        audible = self.audible
        heard = played if audible.everyone else compose(agent, customer, self.mode, audible)
        parties = compose(agent, customer, "both")
        return PlayedFrames(played=played, heard=heard, parties=parties)

    def take_row(self) -> dict[str, float]:
        """The metrics columns for the frames played since the last call (PARTY_COLUMNS)."""
        n, samples = self._frames, self._samples
        agent_e, customer_e = self._energy
        row = {
            "agent_level_dbfs": _mean_level(agent_e, samples),
            "customer_level_dbfs": _mean_level(customer_e, samples),
            "agent_talking": round(self._talking[0] / n, 3) if n else 0.0,
            "customer_talking": round(self._talking[1] / n, 3) if n else 0.0,
            "talk_over": round(self._talking[2] / n, 3) if n else 0.0,
        }
        self._energy = [0.0, 0.0]
        self._samples = self._frames = 0
        self._talking = [0, 0, 0]
        return row

    def _listen(self, agent: Int16Array, customer: Int16Array) -> None:
        """Talk state and level bookkeeping on the parties as received."""
        a64 = agent.astype(np.float64)
        c64 = customer.astype(np.float64)
        self._energy[0] += float(np.vdot(a64, a64))
        self._energy[1] += float(np.vdot(c64, c64))
        self._samples += agent.size
        talk, codes = self.talk, []
        for a, c in zip(agent, customer, strict=True):
            now = talk.update(a, c)
            codes.append(TALK_CODES[now])
            self._talking[0] += now in (Talk.AGENT, Talk.OVERLAP)
            self._talking[1] += now in (Talk.CUSTOMER, Talk.OVERLAP)
            self._talking[2] += now is Talk.OVERLAP
        self._frames += len(codes)
        self.talk_ring.extend(codes)


def _level(frame: Int16Array) -> float:
    x = frame.astype(np.float64)
    rms = math.sqrt(float(np.vdot(x, x)) / x.size) if x.size else 0.0
    return 20.0 * math.log10(rms / 32768.0) if rms > 0 else -math.inf


def _mean_level(energy: float, samples: int) -> float:
    """RMS level over the row's samples, dBFS; SILENCE_DBFS for digital silence or none."""
    if samples == 0 or energy <= 0:
        return SILENCE_DBFS
    return round(max(SILENCE_DBFS, 10.0 * math.log10(energy / samples / 32768.0**2)), 2)
