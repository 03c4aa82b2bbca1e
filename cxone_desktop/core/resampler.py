"""Streaming sample-rate conversion by a rational ratio: a linear-phase FIR, run polyphase.

For sound devices that refuse 8 kHz (many Windows drivers, Citrix's virtual audio,
macOS CoreAudio at 44.1/48 kHz): the call is played at the device's own rate. The
prototype low-pass is a Kaiser-windowed sinc (`beta` 7, about 70 dB of stopband) at the
upsampled rate, cut at the Nyquist frequency of the lower of the two rates, with `taps`
samples of the lower rate under it per output sample; only the taps each output needs are computed
(the polyphase form). At 8 kHz in, telephone speech (300–3400 Hz) passes flat and its
images (4.6 kHz and up) are attenuated by more than 60 dB; the delay is `delay_s`
(3 ms with the default 48 taps).

Blocks can be any size: the filter's history carries over, so output is the same as for
the whole signal at once. Not thread-safe.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class PolyphaseResampler:
    """Converts a stream of float samples from `from_hz` to `to_hz`."""

    def __init__(self, from_hz: int, to_hz: int, *, taps: int = 48, beta: float = 7.0) -> None:
        if from_hz <= 0 or to_hz <= 0 or taps < 2:
            raise ValueError(f"cannot resample {from_hz} Hz to {to_hz} Hz with {taps} taps")
        g = math.gcd(from_hz, to_hz)
        self.from_hz, self.to_hz = from_hz, to_hz
        self.up, self.down = to_hz // g, from_hz // g
        # `taps` counts samples of the lower rate: downsampling needs that many times more.
        self.taps = taps * max(1, -(-self.down // self.up))
        length = self.taps * self.up
        # Cut-off in cycles per sample at the upsampled rate: the lower rate's Nyquist.
        cutoff = 0.5 * min(from_hz, to_hz) / (from_hz * self.up)
        n = np.arange(length) - (length - 1) / 2.0
        prototype = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(length, beta) * self.up
        #: _bank[p, k] = prototype[p + k * up]: the taps phase p applies to inputs x[i - k].
        self._bank: FloatArray = prototype.reshape(self.taps, self.up).T.copy()
        self._history: FloatArray = np.zeros(self.taps - 1)
        # The next output, in upsampled steps from the start of the history.
        self._t = (self.taps - 1) * self.up

    @property
    def delay_s(self) -> float:
        """How much later a feature comes out than it went in (the filter is linear-phase)."""
        return (self.taps * self.up - 1) / 2.0 / (self.from_hz * self.up)

    def reset(self) -> None:
        """Forget the history (a new stream starts)."""
        self._history = np.zeros(self.taps - 1)
        self._t = (self.taps - 1) * self.up

    def process(self, samples: npt.ArrayLike) -> FloatArray:
        """The output samples that the input so far completes (1-D float64)."""
        x = np.asarray(samples, dtype=np.float64).reshape(-1)
        if self.up == self.down:
            return x.copy()
        buf = np.concatenate([self._history, x])
        last_t = self.up * len(buf) - 1  # outputs need their newest input in buf
        if last_t < self._t:
            self._history = buf[-(self.taps - 1) :]
            self._t -= self.up * (len(buf) - (self.taps - 1))
            return np.zeros(0)
        n_out = (last_t - self._t) // self.down + 1
        t = self._t + self.down * np.arange(n_out, dtype=np.int64)
        newest, phase = np.divmod(t, self.up)
        index = newest[:, None] - np.arange(self.taps)[None, :]
        out: FloatArray = np.einsum("ij,ij->i", self._bank[phase], buf[index])
        consumed = len(buf) - (self.taps - 1)
        self._history = buf[consumed:]
        self._t = int(t[-1]) + self.down - self.up * consumed
        return out
