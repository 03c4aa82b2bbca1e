"""Conceals the holes a platform leaves in one track, in their true place, instead of silence.

Where the ingest knows where audio is missing (Twilio stamps each message with
its media time, so a lost message leaves a hole of known size; a track that
stalls past the aligner's wait has a hole at its end), the relay knows the true
slot of every missing sample. A listener's playout cannot: the app's wire has no
sequence numbers, so it must guess from timing where a loss was. Filling the hole
here, from the audio on both sides where the far side has arrived
(`LossConcealer.bridge_samples`), gives listeners true-slot concealment, worth
~1 PESQ at 5 % loss over zeros (the playout benchmark's ``plc`` against its
``oracle``; `benchmarks/relay_concealment.py`). A hole with nothing after it yet
is extrapolated forward, fading to silence after 60 ms, and the audio that ends it
is cross-faded in.

The concealer's history is only built when a hole appears: a track without holes
costs a reference to each released chunk.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.concealment import LossConcealer

Int16 = npt.NDArray[np.int16]
Mask = npt.NDArray[np.bool_]

#: Audio after a hole the backward synthesis looks at (as the playout's bridge: 2 frames).
FUTURE_S = 0.040


class GapFiller:
    """One mono track's released audio with its holes concealed; see the module docstring."""

    def __init__(self, fmt: AudioFormat = DEFAULT_FORMAT) -> None:
        self._fmt = fmt
        self._future = round(FUTURE_S * fmt.rate_hz)
        # Enough released chunks to seed a concealer's history (3 frames at least).
        self._recent: deque[Int16] = deque(maxlen=4)
        self._plc: LossConcealer | None = None  # only while in or just after a hole
        self.concealed_samples = 0

    @property
    def idle(self) -> bool:
        """No hole in progress: a chunk with nothing missing plays as it is."""
        return self._plc is None

    def played(self, samples: Int16) -> None:
        """Released audio with nothing missing, out of any hole (the cheap path)."""
        self._recent.append(samples)

    def release(self, samples: Int16, written: Mask, ahead: Int16, ahead_written: Mask) -> Int16:
        """What to play for `samples` (`written[i]`: the platform sent sample i); `ahead` is
        what the track already holds after them, for bridging a hole that ends there."""
        if self._plc is None and bool(written.all()):
            self.played(samples)
            return samples
        plc = self._plc
        if plc is None:
            plc = self._plc = LossConcealer(self._fmt)
            if self._recent:
                plc.note_played(np.concatenate(self._recent))
        out = np.empty_like(samples)
        i, n = 0, samples.shape[0]
        while i < n:
            stop = _run_end(written, i)
            if written[i]:
                out[i:stop] = plc.play(samples[i:stop])
            else:
                end = stop + self._future  # only what the backward synthesis looks at
                after = np.concatenate([samples[stop:end], ahead[: self._future]])[: self._future]
                sent = np.concatenate([written[stop:end], ahead_written[: self._future]])
                sent = sent[: self._future]
                following = after[: _run_end(sent, 0)] if sent.size and sent[0] else after[:0]
                if following.size:
                    out[i:stop] = plc.bridge_samples(following, stop - i)
                else:
                    out[i:stop] = plc.conceal_samples(stop - i)
                self.concealed_samples += stop - i
            i = stop
        if not plc.concealing:
            self._plc = None  # out of the hole: back to the cheap path
        self._recent.append(out)
        return out


def _run_end(mask: Mask, start: int) -> int:
    """End of the run of equal mask values that starts at `start`."""
    change = np.flatnonzero(mask[start:] != mask[start])
    return start + int(change[0]) if change.size else mask.shape[0]
