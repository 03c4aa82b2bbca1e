"""The shape of the audio on the wire and in the pipeline.

The CXone voice stream carries 8 kHz mono audio in 20 ms frames. On the wire a
sample is 16-bit little-endian PCM (2 bytes) or G.711 μ-law / A-law (1 byte);
after decoding every sample is int16, so `sample_width` is always 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Encoding = Literal["pcm16", "mulaw", "alaw"]
ENCODINGS: tuple[Encoding, ...] = get_args(Encoding)

#: Bytes one sample takes on the wire, per encoding.
WIRE_SAMPLE_BYTES: dict[Encoding, int] = {"pcm16": 2, "mulaw": 1, "alaw": 1}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class AudioFormat:
    """Rate, width, channels, frame length and wire encoding of a stream.

    Validated on construction: a bad value raises ValueError naming the field.
    `frame_samples` counts interleaved samples across all channels.
    """

    rate_hz: int = 8000
    sample_width: int = 2
    channels: int = 1
    frame_ms: int = 20
    encoding: Encoding = "pcm16"

    def __post_init__(self) -> None:
        if not _is_int(self.rate_hz) or not 1000 <= self.rate_hz <= 192_000:
            raise ValueError(f"rate_hz must be an integer in 1000..192000, got {self.rate_hz!r}")
        if self.sample_width != 2 or not _is_int(self.sample_width):
            raise ValueError(
                f"sample_width must be 2 (the pipeline is 16-bit), got {self.sample_width!r}"
            )
        if not _is_int(self.channels) or not 1 <= self.channels <= 2:
            raise ValueError(f"channels must be 1 or 2, got {self.channels!r}")
        if not _is_int(self.frame_ms) or not 1 <= self.frame_ms <= 1000:
            raise ValueError(f"frame_ms must be an integer in 1..1000, got {self.frame_ms!r}")
        if (self.rate_hz * self.frame_ms) % 1000:
            raise ValueError(
                f"a {self.frame_ms} ms frame at {self.rate_hz} Hz is not a whole number of samples"
            )
        if self.encoding not in ENCODINGS:
            raise ValueError(
                f"encoding must be one of {', '.join(ENCODINGS)}, got {self.encoding!r}"
            )

    @property
    def wire_sample_width(self) -> int:
        """Bytes per sample on the wire: 2 for pcm16, 1 for G.711."""
        return WIRE_SAMPLE_BYTES[self.encoding]

    @property
    def frame_samples(self) -> int:
        """Samples per frame (all channels, interleaved): 160 by default."""
        return self.rate_hz * self.frame_ms // 1000 * self.channels

    @property
    def frame_bytes(self) -> int:
        """Wire bytes per frame: 320 for pcm16, 160 for mulaw/alaw."""
        return self.frame_samples * self.wire_sample_width

    @property
    def pcm_frame_bytes(self) -> int:
        """Decoded int16 bytes per frame: 320 by default."""
        return self.frame_samples * self.sample_width

    @property
    def bytes_per_second(self) -> int:
        """Wire bytes per second of audio."""
        return self.rate_hz * self.channels * self.wire_sample_width

    @property
    def frame_duration_s(self) -> float:
        """Length of one frame in seconds: 0.02 by default."""
        return self.frame_ms / 1000.0


DEFAULT_FORMAT = AudioFormat()


def mono_format(fmt: AudioFormat) -> AudioFormat:
    """The same stream, one channel of it (for per-channel processing)."""
    return AudioFormat(
        rate_hz=fmt.rate_hz,
        sample_width=fmt.sample_width,
        channels=1,
        frame_ms=fmt.frame_ms,
        encoding=fmt.encoding,
    )
