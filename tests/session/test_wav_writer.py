"""WavWriter: readable while growing, after kill -9, after disk full, and past the RIFF limit."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest

from cxone_desktop import errors
from cxone_desktop.core.riff import HEADER_BYTES, read_layout
from cxone_desktop.session.wav_file import fix_wav_sizes
from cxone_desktop.session.wav_writer import WavWriter

ROOT = Path(__file__).resolve().parents[2]
needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def ramp(n: int, start: int = 0) -> np.ndarray:
    return ((np.arange(start, start + n) * 37) % 65536 - 32768).astype(np.int16)


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2")


def soxi_samples(path: Path) -> int:
    out = subprocess.run(["sox", "--i", "-s", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def sox_raw(path: Path) -> bytes:
    out = subprocess.run(["sox", str(path), "-t", "raw", "-"], capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def fail_writes_after(monkeypatch: pytest.MonkeyPatch, fd: int, budget: int) -> None:
    """Make os.write on `fd` behave like a disk that fills up after `budget` more bytes.

    As on a real disk, rewriting bytes the file already has needs no space: only bytes
    past the end count (the header patch, done in place, must still work when full).
    """
    real_write = os.write
    left = [budget]

    def write(f: int, data: bytes) -> int:
        if f != fd:
            return real_write(f, data)
        room = os.fstat(f).st_size - os.lseek(f, 0, os.SEEK_CUR)
        if room >= len(data):
            return real_write(f, data)
        if left[0] <= 0 and room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        allowed = max(room, 0) + left[0]
        n = real_write(f, bytes(memoryview(data)[:allowed]))
        left[0] -= max(0, n - max(room, 0))
        return n

    monkeypatch.setattr(os, "write", write)


def test_round_trip_of_bytes_arrays_and_memoryviews(tmp_path: Path) -> None:
    audio = ramp(8000)
    with WavWriter(tmp_path / "a.wav") as w:
        w.write(audio[:1000])
        w.write(audio[1000:2000].tobytes())
        w.write(bytearray(audio[2000:3000].tobytes()))
        w.write(memoryview(audio[3000:]))
        assert w.frames_written == 8000
        assert w.duration_s == pytest.approx(1.0)
    rate, got = read_wav(tmp_path / "a.wav")
    assert rate == 8000
    np.testing.assert_array_equal(got, audio)


def test_frames_split_across_odd_byte_writes_stay_aligned(tmp_path: Path) -> None:
    data = ramp(1000).tobytes()
    with WavWriter(tmp_path / "a.wav") as w:
        for i in range(0, len(data), 333):  # message boundaries do not follow samples
            w.write(data[i : i + 333])
    assert read_wav(tmp_path / "a.wav")[1].tobytes() == data


def test_trailing_half_sample_is_dropped_at_close(tmp_path: Path) -> None:
    w = WavWriter(tmp_path / "a.wav")
    w.write(ramp(10).tobytes() + b"\x7f")
    w.close()
    assert (tmp_path / "a.wav").stat().st_size == HEADER_BYTES + 20
    assert len(read_wav(tmp_path / "a.wav")[1]) == 10
    assert w.dropped_bytes == 1


def test_header_is_patched_when_the_interval_has_passed(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "a.wav"
    w = WavWriter(path, clock=clock, header_interval_s=1.0)
    w.write(ramp(4000))
    assert len(read_wav(path)[1]) == 0  # still buffered: a valid, empty file
    clock.now = 1.0
    w.write(ramp(4000, 4000))
    np.testing.assert_array_equal(read_wav(path)[1], ramp(8000))  # before close
    w.close()


def test_flush_makes_everything_readable_now(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    w = WavWriter(path, clock=FakeClock())
    w.write(ramp(123))
    w.flush()
    assert len(read_wav(path)[1]) == 123
    w.close()
    w.close()  # idempotent
    w.write(ramp(5))  # after close: dropped, no error
    assert w.dropped_bytes == 10


def test_file_is_created_0600_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    WavWriter(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(errors.RecordingError, match=r"a\.wav"):
        WavWriter(path)


def test_cannot_create_names_the_path_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "a.wav"
    with pytest.raises(errors.RecordingError) as info:
        WavWriter(path)
    assert str(path) in info.value.message
    assert "ENOENT" in info.value.message


def test_rejects_samples_of_the_wrong_type(tmp_path: Path) -> None:
    with WavWriter(tmp_path / "a.wav") as w, pytest.raises(TypeError):
        w.write(np.zeros(10, dtype=np.float32))


def test_disk_full_raises_once_then_drops_and_keeps_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.wav"
    clock = FakeClock()
    w = WavWriter(path, clock=clock)
    w.write(ramp(8000))
    w.flush()
    fail_writes_after(monkeypatch, w._fd, budget=1001)  # room for 500.5 more samples
    clock.now = 2.0
    with pytest.raises(errors.RecordingError) as info:
        w.write(ramp(8000, 8000))
    assert str(path) in info.value.message
    assert "ENOSPC" in info.value.message
    assert w.failed
    for _ in range(3):
        clock.now += 1.0
        w.write(ramp(160))  # never raises again
    w.flush()
    w.close()
    assert w.dropped_bytes == 16000 - 1001 + 3 * 320
    got = read_wav(path)[1]
    np.testing.assert_array_equal(got, ramp(8500))  # header patched to the last whole sample


def test_killed_writer_leaves_a_readable_file_missing_at_most_a_second(tmp_path: Path) -> None:
    path = tmp_path / "killed.wav"
    child = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        import numpy as np
        from cxone_desktop.session.wav_writer import WavWriter

        w = WavWriter(Path(sys.argv[1]))
        start = time.monotonic()
        n = 0
        while True:
            frame = ((np.arange(n // 2, n // 2 + 160) * 37) % 65536 - 32768).astype(np.int16)
            w.write(frame)
            n += frame.nbytes
            print(n, flush=True)
            time.sleep(max(0.0, start + n / 16000 - time.monotonic()))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", child, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    counter = 0
    for line in proc.stdout:
        counter = int(line)
        if counter >= 2.6 * 16000:
            break
    proc.send_signal(signal.SIGKILL)
    rest = proc.stdout.read().split()  # lines printed before the kill landed
    counter = int(rest[-1]) if rest else counter
    assert proc.wait() == -signal.SIGKILL

    rate, got = read_wav(path)
    assert rate == 8000
    assert counter - int(1.2 * 16000) <= got.nbytes <= counter  # ≤ ~1 s lost (+ scheduling slack)
    np.testing.assert_array_equal(got, ramp(len(got)))
    if shutil.which("sox"):
        assert soxi_samples(path) == len(got)


@needs_sox
def test_sox_reads_what_wave_reads(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    with WavWriter(path) as w:
        w.write(ramp(4321))
    assert soxi_samples(path) == 4321
    assert sox_raw(path) == ramp(4321).tobytes()


@needs_sox
def test_crossing_the_riff_limit_turns_the_file_into_rf64(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    clock = FakeClock()
    w = WavWriter(path, clock=clock, riff_limit_bytes=10_000)
    w.write(ramp(4000))
    w.flush()
    assert path.read_bytes()[:4] == b"RIFF"  # 8072 bytes: still fits
    w.write(ramp(4000, 4000))
    w.flush()
    head = path.read_bytes()[:HEADER_BYTES]
    assert head[:4] == b"RF64" and head[12:16] == b"ds64"
    assert struct.unpack_from("<I", head, 4)[0] == 0xFFFFFFFF
    assert struct.unpack_from("<I", head, 76)[0] == 0xFFFFFFFF
    # readable mid-recording, as after a crash
    assert soxi_samples(path) == 8000
    w.write(ramp(2001, 8000).tobytes() + b"\x01")
    w.close()
    assert w.rf64
    layout = read_layout(path.read_bytes()[:200])
    assert layout.rf64 and layout.declared_data_bytes == 20002
    assert soxi_samples(path) == 10001
    assert sox_raw(path) == ramp(10001).tobytes()


def test_fix_wav_sizes_sets_sizes_from_the_length(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    with WavWriter(path) as w:
        w.write(ramp(1000))
    with path.open("r+b") as f:  # a crash: header a second stale, half a sample at the end
        f.seek(4)
        f.write(struct.pack("<I", 36))
        f.seek(76)
        f.write(struct.pack("<I", 0))
        f.seek(0, 2)
        f.write(ramp(500, 1000).tobytes() + b"\x05")
    fix = fix_wav_sizes(path)
    assert (fix.declared_data_bytes, fix.data_bytes, fix.trimmed_bytes) == (0, 3000, 1)
    assert fix.changed and fix.duration_s == pytest.approx(1500 / 8000)
    np.testing.assert_array_equal(read_wav(path)[1], ramp(1500))
    assert not fix_wav_sizes(path).changed


@needs_sox
def test_fix_wav_sizes_converts_an_oversized_riff_to_rf64(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    with WavWriter(path) as w:
        w.write(ramp(3000))
    fix = fix_wav_sizes(path, riff_limit_bytes=4000)
    assert fix.rf64
    assert path.read_bytes()[:4] == b"RF64"
    assert sox_raw(path) == ramp(3000).tobytes()
