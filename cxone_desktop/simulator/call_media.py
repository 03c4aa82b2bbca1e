"""The simulator's call audio, read and encoded once, in every shape a listener may ask for.

A one-party call (the default) is one mono track. A two-party call (`--two-party`) comes
from a stereo WAV, agent LEFT and customer RIGHT, and is served as the relay serves it:
the mono mix by default (a saturating sum, as a conference bridge does), one party with
`?perspective=agent|customer`, or both interleaved with `?channels=2` (agent left). Every
shape shares one timeline, so the call's clock, hold and end are the same whatever a
listener hears.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from cxone_desktop.core.audio_format import DEFAULT_FORMAT
from cxone_desktop.core.codecs import encode
from cxone_desktop.core.party_mix import interleave, mix
from cxone_desktop.errors import InputError
from cxone_desktop.simulator.call_audio import WIRE_RATE_HZ, load_call_audio, read_wav, resample
from cxone_desktop.simulator.config import SimulatorConfig, WireEncoding
from cxone_desktop.simulator.media_pump import CallMedia
from cxone_desktop.simulator.timeline import CallTimeline

FRAME_SAMPLES = DEFAULT_FORMAT.frame_samples  # 20 ms at 8 kHz, one channel

#: What a listener may ask for: the mix, one party, or both interleaved (agent left).
StreamShape = Literal["mixed", "agent", "customer", "stereo"]


@dataclass(frozen=True)
class CallMediaSet:
    """The call's audio in each shape it is offered in (only "mixed" for a one-party call)."""

    shapes: dict[StreamShape, CallMedia]
    timeline: CallTimeline

    @property
    def two_party(self) -> bool:
        return "stereo" in self.shapes

    @property
    def encoding(self) -> str:
        return self.shapes["mixed"].encoding

    def media(self, shape: StreamShape) -> CallMedia:
        return self.shapes[shape]


@dataclass(frozen=True)
class ShapeRefused:
    """A stream request this call cannot serve; `message` says what to change."""

    message: str


def stream_shape(
    channels: str | None, perspective: str | None, two_party: bool
) -> StreamShape | ShapeRefused:
    """What `?channels=` and `?perspective=` ask for, checked as the relay checks them."""
    channels = channels or "1"
    if channels not in ("1", "2"):
        return ShapeRefused(f"channels must be 1 or 2, not {channels!r}.")
    if perspective is not None and perspective not in ("mixed", "agent", "customer"):
        return ShapeRefused(
            f"perspective must be one of mixed, agent, customer, not {perspective!r}."
        )
    if (channels == "2" or perspective in ("agent", "customer")) and not two_party:
        return ShapeRefused(
            "This call is served as one mixed channel: its parties are not kept apart "
            "(start the simulator with --two-party); leave out channels and perspective."
        )
    if channels == "2":
        if perspective not in (None, "mixed"):
            return ShapeRefused(
                "channels=2 is always agent left, customer right; drop the perspective."
            )
        return "stereo"
    if perspective == "agent":
        return "agent"
    if perspective == "customer":
        return "customer"
    return "mixed"


def load_call_media(config: SimulatorConfig) -> CallMediaSet:
    """Read, convert and encode the call audio once; every call on this simulator shares it."""
    from cxone_desktop.assets import resource_path

    if config.two_party:
        path = config.audio_path or resource_path("demo-call-stereo.wav")
        agent, customer = _two_tracks(path)
        tracks: dict[StreamShape, npt.NDArray[np.int16]] = {
            "mixed": mix(agent, customer),
            "agent": agent,
            "customer": customer,
            "stereo": interleave(agent, customer),
        }
    else:
        path = config.audio_path or resource_path("demo-call.wav")
        tracks = {"mixed": _whole_frames(load_call_audio(path), 1)}
    frame_count = tracks["mixed"].size // FRAME_SAMPLES
    imp = config.impairments
    timeline = CallTimeline(
        frame_count=frame_count,
        loop=config.loop,
        hold_at_s=imp.hold_at_s,
        hold_for_s=imp.hold_for_s,
    )
    shapes = {
        shape: CallMedia(
            frames=_frames(samples, frame_count, config.encoding),
            timeline=timeline,
            encoding=config.encoding,
        )
        for shape, samples in tracks.items()
    }
    return CallMediaSet(shapes=shapes, timeline=timeline)


def _two_tracks(path: Path) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
    """Agent (left) and customer (right) at 8 kHz, padded to whole frames with silence."""
    info, frames = read_wav(path)
    if info.channels < 2:
        raise InputError(
            "audio",
            f"{path} has one channel; a two-party call needs a stereo WAV "
            "(agent left, customer right), or leave out --two-party",
        )

    def track(column: npt.NDArray[np.float64]) -> npt.NDArray[np.int16]:
        wire = resample(column, info.rate_hz, WIRE_RATE_HZ)
        return _whole_frames(np.clip(np.round(wire * 32768.0), -32768, 32767).astype(np.int16), 1)

    return track(frames[:, 0]), track(frames[:, 1])


def _whole_frames(samples: npt.NDArray[np.int16], channels: int) -> npt.NDArray[np.int16]:
    """At least one frame, the last one finished with silence."""
    per_frame = FRAME_SAMPLES * channels
    if samples.size == 0:
        return np.zeros(per_frame, dtype=np.int16)
    pad = (-samples.size) % per_frame
    return np.concatenate([samples, np.zeros(pad, dtype=np.int16)]) if pad else samples


def _frames(
    samples: npt.NDArray[np.int16], frame_count: int, encoding: WireEncoding
) -> list[bytes]:
    wire = encode(samples, encoding)
    frame_bytes = len(wire) // frame_count
    return [wire[i : i + frame_bytes] for i in range(0, len(wire), frame_bytes)]
