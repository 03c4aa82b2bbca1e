"""call_audio: any PCM/float WAV becomes 8 kHz mono int16 without aliasing."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from cxone_desktop.errors import InputError
from cxone_desktop.simulator.call_audio import load_call_audio, resample

from .support import write_wav


def tone(
    freq_hz: float, rate_hz: int, seconds: float = 1.0, amp: float = 0.5
) -> npt.NDArray[np.float64]:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return amp * np.sin(2 * np.pi * freq_hz * t)


def riff(
    path: Path,
    payload: bytes,
    *,
    tag: int,
    channels: int,
    rate: int,
    width: int,
    extensible: bool = False,
) -> Path:
    """A WAV written by hand, so we can make the formats `wave` cannot."""
    block = channels * width
    fmt = struct.pack(
        "<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * block, block, width * 8
    )
    if extensible:
        guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt += struct.pack("<HHI", 22, width * 8, 0) + struct.pack("<H", tag) + guid_tail
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"LIST" + struct.pack("<I", 3) + b"abc\x00"  # an odd-sized chunk before data
    chunks += b"data" + struct.pack("<I", len(payload)) + payload
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
    return path


def peak_hz(samples: npt.NDArray[np.int16], rate_hz: int = 8000) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate_hz)[np.argmax(spectrum)])


def rms(x: npt.NDArray[np.int16]) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def test_8k_mono_16_bit_passes_through_unchanged(tmp_path: Path) -> None:
    samples = np.random.default_rng(0).integers(-30000, 30000, 4000, dtype=np.int16)
    loaded = load_call_audio(write_wav(tmp_path / "a.wav", samples))
    assert np.array_equal(loaded, samples)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_every_integer_width_decodes_to_the_same_tone(tmp_path: Path, width: int) -> None:
    x = tone(440, 8000)
    scale = float(1 << (8 * width - 1))
    ints = np.round(x * scale).astype(np.int64)
    if width == 1:
        payload = (ints + 128).astype(np.uint8).tobytes()
    elif width == 3:
        le = ints.astype("<i4").view(np.uint8).reshape(-1, 4)
        payload = le[:, :3].tobytes()
    else:
        payload = ints.astype(f"<i{width}").tobytes()
    path = riff(tmp_path / "w.wav", payload, tag=1, channels=1, rate=8000, width=width)
    loaded = load_call_audio(path)
    expected = np.round(x * 32768).astype(np.int16)
    tolerance = 260 if width == 1 else 1  # 8-bit audio is coarse
    assert np.max(np.abs(loaded.astype(np.int32) - expected)) <= tolerance


def test_extensible_float_stereo_is_averaged_to_mono(tmp_path: Path) -> None:
    left, right = tone(300, 8000), tone(300, 8000, amp=0.1)
    payload = np.stack([left, right], axis=1).astype("<f4").tobytes()
    path = riff(tmp_path / "f.wav", payload, tag=3, channels=2, rate=8000, width=4, extensible=True)
    loaded = load_call_audio(path)
    expected = np.round((left + right) / 2 * 32768)
    assert np.max(np.abs(loaded - expected)) <= 1


@pytest.mark.parametrize("rate_hz", [11025, 16000, 22050, 44100, 48000])
def test_downsampling_keeps_the_tone_and_length(tmp_path: Path, rate_hz: int) -> None:
    ints = np.round(tone(1000, rate_hz) * 32767).astype(np.int16)
    loaded = load_call_audio(write_wav(tmp_path / "d.wav", ints, rate_hz=rate_hz))
    assert loaded.size == 8000
    assert peak_hz(loaded) == pytest.approx(1000, abs=2)
    assert rms(loaded[200:-200]) == pytest.approx(0.5 * 32767 / np.sqrt(2), rel=0.02)


def test_downsampling_removes_what_8_khz_cannot_carry(tmp_path: Path) -> None:
    # 5 kHz is above the 4 kHz Nyquist limit: without the low-pass it would alias to 3 kHz.
    ints = np.round(tone(5000, 48000) * 32767).astype(np.int16)
    loaded = load_call_audio(write_wav(tmp_path / "alias.wav", ints, rate_hz=48000))
    assert rms(loaded[200:-200]) < 0.01 * 32767


def test_upsampling_keeps_the_tone(tmp_path: Path) -> None:
    ints = np.round(tone(500, 6000) * 32767).astype(np.int16)
    loaded = load_call_audio(write_wav(tmp_path / "u.wav", ints, rate_hz=6000))
    assert loaded.size == 8000 and peak_hz(loaded) == pytest.approx(500, abs=2)


def test_resample_of_nothing_is_nothing() -> None:
    assert resample(np.zeros(0), 16000, 8000).size == 0


@pytest.mark.parametrize(
    "content",
    [b"", b"not a wav at all", b"RIFF\x04\x00\x00\x00WAVE"],
)
def test_unusable_files_raise_input_error_naming_audio(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_call_audio(path)
    assert caught.value.field == "audio"


@pytest.mark.parametrize(("tag", "encode"), [(7, "mulaw"), (6, "alaw")])
def test_g711_call_recordings_decode_like_the_wire_codec(
    tmp_path: Path, tag: int, encode: str
) -> None:
    from cxone_desktop.core import codecs

    pcm = np.round(tone(440, 8000) * 20000).astype(np.int16)
    encoded = codecs.encode_mulaw(pcm) if encode == "mulaw" else codecs.encode_alaw(pcm)
    path = riff(tmp_path / f"{encode}.wav", bytes(encoded), tag=tag, channels=1, rate=8000,
                width=1)  # fmt: skip
    out = load_call_audio(path)
    assert np.array_equal(out, codecs.decode(bytes(encoded), encode))
    assert abs(peak_hz(out) - 440) < 10


def test_other_compressed_wavs_are_refused(tmp_path: Path) -> None:
    path = riff(tmp_path / "adpcm.wav", b"\xff" * 100, tag=2, channels=1, rate=8000, width=1)
    with pytest.raises(InputError, match=r"only PCM, float or G\.711"):
        load_call_audio(path)


def test_the_bundled_demo_call_is_8k_mono_and_has_speech() -> None:
    from cxone_desktop.assets import resource_path

    path = resource_path("demo-call.wav")
    assert path.stat().st_size < 1_000_000
    samples = load_call_audio(path)
    assert 30 * 8000 <= samples.size <= 45 * 8000
    assert rms(samples) > 500  # not silence
