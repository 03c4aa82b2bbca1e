import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxone_desktop.core import codecs
from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat
from cxone_desktop.core.reassembler import FrameReassembler


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(min_size=0, max_size=3000),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=40),
    encoding=st.sampled_from(["pcm16", "mulaw", "alaw"]),
)
def test_any_split_yields_exactly_the_sliced_frames(
    data: bytes, cuts: list[int], encoding: str
) -> None:
    fmt = AudioFormat(encoding=encoding)  # type: ignore[arg-type]
    fb = fmt.frame_bytes
    r = FrameReassembler(fmt)
    outputs = []
    for piece in _split(data, cuts):
        out = r.feed(piece)
        assert out.dtype == np.int16
        assert out.ndim == 2 and out.shape[1] == fmt.frame_samples
        assert 0 <= r.carry_bytes < fb
        outputs.append(out)
    frames = np.concatenate(outputs)
    whole = len(data) // fb
    # Plain slicing of the unsplit stream is the reference.
    expected = codecs.decode(data[: whole * fb], fmt.encoding).reshape(whole, fmt.frame_samples)
    np.testing.assert_array_equal(frames, expected)
    assert r.total_bytes == len(data)
    assert r.total_frames == whole
    assert r.flush() == data[whole * fb :]
    assert r.carry_bytes == 0


@settings(max_examples=100, deadline=None)
@given(data=st.binary(min_size=0, max_size=2000), size=st.integers(1, 700))
def test_pcm16_bytes_round_trip_through_frames_and_flush(data: bytes, size: int) -> None:
    r = FrameReassembler()
    chunks = [r.feed(data[i : i + size]) for i in range(0, len(data), size)]
    frames = np.concatenate([np.empty((0, 160), np.int16), *chunks])
    assert codecs.encode_pcm16le(frames) + r.flush() == data


def test_partial_frames_are_normal_and_wait_in_the_carry() -> None:
    r = FrameReassembler()
    assert r.feed(b"\x01\x00" * 100).shape == (0, 160)
    assert r.carry_bytes == 200
    out = r.feed(b"\x02\x00" * 100)
    assert out.shape == (1, 160)
    assert out[0, :100].tolist() == [1] * 100
    assert out[0, 100:].tolist() == [2] * 60
    assert r.carry_bytes == 80


def test_memoryview_and_bytearray_input() -> None:
    r = FrameReassembler()
    data = np.arange(320, dtype="<i2").tobytes()
    a = r.feed(memoryview(data)[:300])
    b = r.feed(bytearray(data[300:]))
    assert a.shape == (0, 160) and b.shape == (2, 160)
    assert np.concatenate([a, b]).reshape(-1).tolist() == list(range(320))


def test_a_multi_megabyte_message_keeps_the_carry_bounded() -> None:
    r = FrameReassembler()
    big = np.random.default_rng(3).integers(-32768, 32767, 5_000_000 // 2, dtype=np.int16)
    data = big.astype("<i2").tobytes() + b"\x07"
    out = r.feed(data)
    assert out.shape == (len(data) // 320, 160)
    assert r.carry_bytes == len(data) % 320 < 320
    np.testing.assert_array_equal(out.reshape(-1), big[: out.size])
    assert len(r._carry) == DEFAULT_FORMAT.frame_bytes  # the internal buffer never grew


def test_returned_frames_are_owned_by_the_caller() -> None:
    r = FrameReassembler()
    first = r.feed(b"\x00\x01" * 160)
    first[0, 0] = 123  # writable
    second = r.feed(b"\x00\x01" * 160)
    assert second[0, 0] == 256  # and not aliased with later output


def test_flush_empty_when_aligned() -> None:
    r = FrameReassembler()
    r.feed(bytes(640))
    assert r.flush() == b""


@pytest.mark.parametrize("encoding", ["mulaw", "alaw"])
def test_g711_frames_decode_across_the_carry(encoding: str) -> None:
    fmt = AudioFormat(encoding=encoding)  # type: ignore[arg-type]
    data = bytes(range(256)) * 2
    r = FrameReassembler(fmt)
    out = np.concatenate([r.feed(data[:7]), r.feed(data[7:200]), r.feed(data[200:])])
    np.testing.assert_array_equal(out.reshape(-1), codecs.decode(data[:480], fmt.encoding))
    assert r.flush() == data[480:]
