"""What the sound device is given: the call's own 8 kHz int16 if it takes it, else its format.

Many Windows drivers, Citrix's virtual audio device and CoreAudio refuse 8 kHz (Qt then
fails at `start()` or plays at the wrong speed). `choose_format` asks the device
(`isFormatSupported`) for 8 kHz int16 with the call's channels (mono; stereo for a
two-party call: agent left, customer right), then the other channel count, and
otherwise takes its preferred format; `FrameConverter` resamples (core.resampler), maps
channels (mono to every side; stereo to left and right, further channels silent, or
averaged for a mono-only device) and encodes samples to match.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat

from cxone_desktop.core.resampler import PolyphaseResampler

SampleFormat = QAudioFormat.SampleFormat
#: (numpy dtype, full scale, offset) per sample format we can write.
_ENCODINGS: dict[SampleFormat, tuple[str, float, float]] = {
    SampleFormat.UInt8: ("u1", 127.0, 128.0),
    SampleFormat.Int16: ("<i2", 32767.0, 0.0),
    SampleFormat.Int32: ("<i4", 2147483647.0, 0.0),
    SampleFormat.Float: ("<f4", 1.0, 0.0),
}


def call_format(rate_hz: int = 8000, channels: int = 1) -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(rate_hz)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(SampleFormat.Int16)
    return fmt


def choose_format(
    device: QAudioDevice,
    rate_hz: int = 8000,
    supported: Callable[[QAudioDevice, QAudioFormat], bool] | None = None,
    channels: int = 1,
) -> QAudioFormat:
    """The call's own format (its channels, else the other count) if the device takes it,
    else its preferred one (with at least the call's channels where it has them).

    A preferred format we cannot encode (an unknown sample type) keeps its rate and
    channels with int16 samples.
    """
    ask = supported or (lambda dev, fmt: dev.isFormatSupported(fmt))
    for count in (1, 2) if channels == 1 else (2, 1):
        fmt = call_format(rate_hz, count)
        if ask(device, fmt):
            return fmt
    preferred = device.preferredFormat()
    rate = preferred.sampleRate() if preferred.sampleRate() > 0 else 48000
    channels = max(1, preferred.channelCount())
    fmt = call_format(rate, channels)
    if preferred.sampleFormat() in _ENCODINGS:
        fmt.setSampleFormat(preferred.sampleFormat())
    return fmt


class FrameConverter:
    """Turns int16 frames at `rate_hz` (`source_channels` interleaved) into bytes in the
    device format `fmt`."""

    def __init__(self, fmt: QAudioFormat, rate_hz: int = 8000, source_channels: int = 1) -> None:
        self.rate_hz = fmt.sampleRate()
        self.channels = max(1, fmt.channelCount())
        self.source_channels = source_channels
        self.sample_format = fmt.sampleFormat()
        self._dtype, self._scale, self._offset = _ENCODINGS.get(
            self.sample_format, _ENCODINGS[SampleFormat.Int16]
        )
        self.bytes_per_frame = np.dtype(self._dtype).itemsize * self.channels
        self.passthrough = self.rate_hz == rate_hz and self.sample_format == SampleFormat.Int16
        self._resamplers = (
            [PolyphaseResampler(rate_hz, self.rate_hz) for _ in range(source_channels)]
            if self.rate_hz != rate_hz
            else []
        )

    @property
    def bytes_per_ms(self) -> float:
        return self.rate_hz * self.bytes_per_frame / 1000.0

    def convert(self, frames: np.ndarray) -> bytes:
        """Bytes for the device; interleaved when it has more than one channel."""
        source = np.asarray(frames, dtype=np.int16).reshape(-1, self.source_channels)
        if self.passthrough:
            return np.ascontiguousarray(self._map(source), dtype="<i2").tobytes()
        x = source.astype(np.float64) / 32768.0
        if self._resamplers:
            x = np.stack(
                [r.process(x[:, i]) for i, r in enumerate(self._resamplers)], axis=1
            ).reshape(-1, self.source_channels)
        x = self._map(x)
        encoded = np.clip(x * self._scale + self._offset, *self._limits())
        if np.dtype(self._dtype).kind != "f":
            encoded = np.round(encoded)
        return encoded.astype(self._dtype).tobytes()

    def _map(self, x: np.ndarray) -> np.ndarray:
        """(samples, source channels) → flat interleaved device channels."""
        src, dev = self.source_channels, self.channels
        if src == dev:
            return x.reshape(-1)
        if src == 1:
            return np.repeat(x.reshape(-1), dev)
        if dev == 1:  # a mono-only device hears both parties
            mean = x.astype(np.float64).mean(axis=1)
            return mean.astype(x.dtype) if x.dtype.kind == "i" else mean
        out = np.zeros((x.shape[0], dev), dtype=x.dtype)
        out[:, :src] = x  # left and right; surround channels stay silent
        return out.reshape(-1)

    def _limits(self) -> tuple[float, float]:
        if self._dtype == "<f4":
            return -1.0, 1.0
        info = np.iinfo(np.dtype(self._dtype))
        return float(info.min), float(info.max)
