"""Cue points in the WAVs: written on close after the audio, read by tools we did not write.

libsndfile's `sndfile-info` (the library Audacity imports WAV through) must list the cue
points and labels; sox and Python's `wave` must still read every sample; RF64 must keep
working; repair and export must keep the cues, and write them from a list when asked.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.core.riff import Cue
from cxone_desktop.session.export import export_session
from cxone_desktop.session.recorder import SessionRecorder
from cxone_desktop.session.repair import repair_folder
from cxone_desktop.session.wav_file import fix_wav_sizes, read_file_cues
from cxone_desktop.session.wav_writer import WavWriter
from cxone_desktop.simulator.call_audio import read_wav as simulator_read_wav


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: `bash packaging/quickstart.sh test` installs the rig")
    return path


def audio(n: int) -> np.ndarray:
    return ((np.arange(n) * 13) % 5000 - 2500).astype(np.int16)


def sndfile_info(path: Path) -> str:
    out = subprocess.run([need("sndfile-info"), str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def sox_samples(path: Path) -> np.ndarray:
    out = subprocess.run([need("sox"), str(path), "-t", "raw", "-"], capture_output=True)
    assert out.returncode == 0, out.stderr
    return np.frombuffer(out.stdout, "<i2")


def wave_samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def test_cues_are_listed_by_libsndfile_and_the_audio_reads_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    sent = audio(16_000)
    with WavWriter(path) as w:
        w.write(sent)
        w.add_cue(12_000, "call resumed")
        w.add_cue(4000, "hold — customer")
    info = sndfile_info(path)
    assert "Count : 2" in info
    assert "Offset :  4000" in info and "Offset : 12000" in info
    assert "labl : 1 : hold — customer" in info and "labl : 2 : call resumed" in info
    np.testing.assert_array_equal(wave_samples(path), sent)
    np.testing.assert_array_equal(sox_samples(path), sent)
    assert read_file_cues(path) == [Cue(4000, "hold — customer"), Cue(12_000, "call resumed")]
    _, floats = simulator_read_wav(path)  # the simulator's loader walks the same chunks
    assert len(floats) == len(sent)


def test_an_rf64_file_keeps_its_cues_and_its_audio(tmp_path: Path) -> None:
    path = tmp_path / "big.wav"
    sent = audio(3000)
    with WavWriter(path, riff_limit_bytes=4000) as w:
        w.write(sent)
        w.add_cue(1500, "middle")
    assert w.rf64 and path.read_bytes()[:4] == b"RF64"
    np.testing.assert_array_equal(sox_samples(path), sent)
    assert read_file_cues(path) == [Cue(1500, "middle")]
    assert "labl : 1 : middle" in sndfile_info(path)


def test_odd_sized_audio_is_padded_before_the_cues(tmp_path: Path) -> None:
    path = tmp_path / "u8.wav"
    with WavWriter(path, sample_width=1) as w:
        w.write(np.arange(1001, dtype=np.uint8))
        w.add_cue(1000, "last")
    with wave.open(str(path), "rb") as r:
        assert r.getnframes() == 1001
    assert read_file_cues(path) == [Cue(1000, "last")]
    assert "labl : 1 : last" in sndfile_info(path)


def test_fixing_sizes_keeps_cues_but_never_takes_crash_audio_for_them(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    with WavWriter(path) as w:
        w.write(audio(8000))
        w.add_cue(100, "x")
    fix = fix_wav_sizes(path)
    assert not fix.changed and fix.trailer_bytes > 0
    assert read_file_cues(path) == [Cue(100, "x")]

    crashed = tmp_path / "crashed.wav"
    with WavWriter(crashed) as w:
        w.write(audio(8000))  # the header says 8000 samples…
    with crashed.open("ab") as f:
        f.write(audio(24_000)[8000:].tobytes())  # …and more followed: what kill -9 leaves
    fix = fix_wav_sizes(crashed)
    assert fix.data_bytes == 48_000 and read_file_cues(crashed) == []
    np.testing.assert_array_equal(wave_samples(crashed), audio(24_000))


def test_repair_writes_cues_from_a_list_and_export_carries_them(tmp_path: Path) -> None:
    rec = SessionRecorder(tmp_path / "out", "c1")
    sent = audio(16_000)
    rec.write_raw(sent)
    rec.write_processed(sent)
    rec.flush()
    rec.marker_lock.release()  # the recording process died here
    report = repair_folder(
        rec.folder, cues={"processed.wav": [Cue(8000, "agent joined"), Cue(0, "start")]}
    )
    assert report.ok, report.problems
    processed = rec.folder / "processed.wav"
    assert read_file_cues(processed) == [Cue(0, "start"), Cue(8000, "agent joined")]
    assert read_file_cues(rec.folder / "raw.wav") == []
    np.testing.assert_array_equal(wave_samples(processed), sent)
    assert "labl : 2 : agent joined" in sndfile_info(processed)

    export_session(rec.folder, tmp_path / "copy", raw=False, metrics=False)
    assert read_file_cues(tmp_path / "copy" / "processed.wav") == [
        Cue(0, "start"),
        Cue(8000, "agent joined"),
    ]
    np.testing.assert_array_equal(wave_samples(tmp_path / "copy" / "processed.wav"), sent)


def test_cues_after_close_are_dropped_and_bad_frames_refused(tmp_path: Path) -> None:
    w = WavWriter(tmp_path / "a.wav")
    with pytest.raises(ValueError):
        w.add_cue(-1, "before the start")
    w.close()
    w.add_cue(5, "too late")
    assert w.cues == [] and read_file_cues(tmp_path / "a.wav") == []
