"""Session WAVs open for review: RIFF, RF64, stereo, growing files, cue labels, bad files."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.errors import SessionReadError
from cxone_desktop.review.wav_file import open_wav
from cxone_desktop.session.wav_writer import WavWriter


def ramp(n: int, channels: int = 1) -> np.ndarray:
    return (np.arange(n * channels) % 20000 - 10000).astype(np.int16).reshape(n, channels)


def test_reads_what_the_recorder_wrote_mono_and_stereo(tmp_path: Path) -> None:
    for channels in (1, 2):
        path = tmp_path / f"{channels}.wav"
        data = ramp(12345, channels)
        with WavWriter(path, rate_hz=16000, channels=channels) as w:
            w.write(data)
        wav = open_wav(path)
        assert (wav.rate_hz, wav.channels, wav.frames) == (16000, channels, 12345)
        assert np.array_equal(wav.samples, data)
        assert wav.duration_s == pytest.approx(12345 / 16000)


def test_reads_a_file_python_wave_wrote(tmp_path: Path) -> None:
    path = tmp_path / "plain.wav"
    data = ramp(800, 2)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(data.tobytes())
    wav = open_wav(path)
    assert np.array_equal(wav.samples, data)
    assert np.array_equal(wav.channel(1), data[:, 1])
    assert wav.mono(0, 2) == pytest.approx(data[:2].mean(axis=1))


def test_rf64_past_the_riff_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.wav"
    data = ramp(3000)
    with WavWriter(path, riff_limit_bytes=4000) as w:
        w.write(data)
    assert path.read_bytes()[:4] == b"RF64"
    wav = open_wav(path)
    assert wav.rf64 and np.array_equal(wav.samples[:, 0], data[:, 0])


def test_a_growing_file_is_read_to_its_end_not_to_its_stale_header(tmp_path: Path) -> None:
    path = tmp_path / "live.wav"
    w = WavWriter(path, header_interval_s=3600)
    w.write(ramp(100))
    w.flush()  # header says 100 frames
    with path.open("ab") as f:  # more audio arrives, header not yet patched
        f.write(ramp(50).tobytes() + b"\x01")  # and half a sample
    assert open_wav(path).frames == 150
    w.close()


def test_cue_labels_after_the_data(stereo_session: Path) -> None:
    wav = open_wav(stereo_session / "processed.wav")
    assert [c.label for c in wav.cues] == ["outage 2.0 s", "hold 3.0 s"]
    assert wav.cues[0].frame == round(9.84 * 8000)
    assert wav.cues[1].length_frames == 3 * 8000
    # the chunks after the data are not audio
    assert wav.frames == open_wav(stereo_session / "processed.wav").samples.shape[0]
    with wave.open(str(stereo_session / "processed.wav")) as w:
        assert w.getnframes() == wav.frames


def test_cues_the_recorder_wrote_are_read_through_core_riff(tmp_path: Path) -> None:
    path = tmp_path / "cued.wav"
    with WavWriter(path) as w:
        w.write(ramp(4000))
        w.add_cue(1600, "reconnect")
        w.add_cue(800, "stall")
    wav = open_wav(path)
    assert [(c.frame, c.label, c.length_frames) for c in wav.cues] == [
        (800, "stall", 0),
        (1600, "reconnect", 0),
    ]
    assert wav.frames == 4000  # the cue chunks after the data are not audio


def test_chunks_before_the_data_longer_than_the_first_read(tmp_path: Path) -> None:
    """An editor's metadata (here 200 kB of it, and a cue list) ahead of the audio."""
    data = ramp(3000, 2)
    fmt = struct.pack("<HHIIHH", 1, 2, 8000, 32000, 4, 16)
    cue = struct.pack("<4sII", b"cue ", 28, 1) + struct.pack("<II4sIII", 1, 0, b"data", 0, 0, 500)
    labl = struct.pack("<4sII", b"labl", 8, 1) + b"abc\0"
    body = (
        struct.pack("<4sI", b"fmt ", 16) + fmt
        + struct.pack("<4sI", b"JUNK", 200_000) + bytes(200_000)
        + cue + struct.pack("<4sI4s", b"LIST", 4 + len(labl), b"adtl") + labl
        + struct.pack("<4sI", b"data", data.nbytes) + data.tobytes()
    )  # fmt: skip
    path = tmp_path / "edited.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    wav = open_wav(path)
    assert np.array_equal(wav.samples, data)
    assert [(c.frame, c.label) for c in wav.cues] == [(500, "abc")]


def test_a_file_cut_short_opens_with_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    with WavWriter(path) as w:
        w.write(ramp(1000))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 601])  # the header still says 1000 frames
    wav = open_wav(path)
    assert wav.frames == (1000 * 2 - 601) // 2
    assert np.array_equal(wav.samples[:, 0], ramp(1000)[: wav.frames, 0])


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "not a WAV"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "no fmt or data"),
        (
            b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"
            + struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32)
            + b"data\x00\x00\x00\x00",
            "16-bit PCM expected",
        ),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(SessionReadError, match=problem):
        open_wav(path)
