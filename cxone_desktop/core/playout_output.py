"""The audio the playout buffer has decided on but not yet handed out.

Decisions produce runs of any length (a frame, a frame made shorter, a bridge
over three lost frames); the playout clock hands out whole frames. This is the
queue between the two, plus the concealer, which must see everything played
in order to synthesize from it and to cross-fade out of a gap.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import AudioFormat
from cxone_desktop.core.concealment import Concealer

Concealment = Literal["plc", "zero"]
Int16 = npt.NDArray[np.int16]


class PlayoutOutput:
    """A sample FIFO (interleaved int16) with a per-sample "synthesized" flag."""

    def __init__(self, fmt: AudioFormat, concealment: Concealment) -> None:
        self._frame = fmt.frame_samples
        self._rate_hz = fmt.rate_hz
        self._channels = fmt.channels
        self._concealer = Concealer(fmt) if concealment == "plc" else None
        self._samples: Int16 = np.zeros(16 * self._frame, dtype=np.int16)
        self._synthetic: npt.NDArray[np.bool_] = np.zeros(16 * self._frame, dtype=np.bool_)
        self._length = 0

    @property
    def queued_samples(self) -> int:
        """Interleaved samples decided and not handed out yet."""
        return self._length

    @property
    def queued_s(self) -> float:
        return self._length / (self._rate_hz * self._channels)

    def play(self, samples: Int16, *, discontinuous: bool = False) -> None:
        """Received audio (a frame, or frames made shorter or longer). `discontinuous`: it does
        not follow what was played (a slot was skipped), so it is cross-faded in."""
        if self._concealer is None:
            out = samples
        elif discontinuous:
            out = self._concealer.splice_in(samples)
        else:
            out = self._concealer.play(samples)
        self._append(out, synthetic=False)

    def conceal(self) -> None:
        """One frame for a slot whose frame is missing, from what was played before."""
        if self._concealer is None:
            out = np.zeros(self._frame, dtype=np.int16)
        else:
            out = self._concealer.conceal()
        self._append(out, synthetic=True)

    def bridge(self, future: Int16, frames: int) -> None:
        """`frames` missing frames before `future` (the audio that follows them)."""
        if self._concealer is None:
            out = np.zeros(frames * self._frame, dtype=np.int16)
        else:
            out = self._concealer.bridge(future, frames)
        self._append(out, synthetic=True)

    def take_frame(self) -> tuple[Int16, bool]:
        """The next whole frame and whether any of it was synthesized; needs one queued."""
        frame = np.empty(self._frame, dtype=np.int16)
        return frame, self.take_frame_into(frame)

    def take_frame_into(self, frame: Int16) -> bool:
        """`take_frame` into `frame` (one frame's samples): whether any of it was synthesized."""
        n = self._frame
        frame[:] = self._samples[:n]
        synthetic = bool(np.logical_or.reduce(self._synthetic[:n]))  # (ndarray.any: Python)
        self._drop(n)
        return synthetic

    def take_rest(self) -> list[Int16]:
        """Everything left, as whole frames (the last one padded with silence)."""
        frames: list[Int16] = []
        while self._length:
            if self._length < self._frame:
                pad = self._frame - self._length
                self._append(np.zeros(pad, dtype=np.int16), synthetic=False)
            frames.append(self.take_frame()[0])
        return frames

    def _append(self, samples: Int16, *, synthetic: bool) -> None:
        n = samples.shape[0]
        need = self._length + n
        if need > self._samples.shape[0]:
            size = max(need, 2 * self._samples.shape[0])
            self._samples = np.concatenate(
                [self._samples[: self._length], np.zeros(size - self._length, np.int16)]
            )
            self._synthetic = np.concatenate(
                [self._synthetic[: self._length], np.zeros(size - self._length, np.bool_)]
            )
        self._samples[self._length : need] = samples
        self._synthetic[self._length : need] = synthetic
        self._length = need

    def _drop(self, n: int) -> None:
        rest = self._length - n
        if rest:
            self._samples[:rest] = self._samples[n : self._length]
            self._synthetic[:rest] = self._synthetic[n : self._length]
        self._length = rest
