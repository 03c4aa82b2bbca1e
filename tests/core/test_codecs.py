import warnings

import numpy as np
import pytest

from cxone_desktop.core import codecs

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop  # the CPython reference G.711 (removed from the stdlib in 3.13)
    except ImportError:  # pragma: no cover - Python >= 3.13
        audioop = None

needs_audioop = pytest.mark.skipif(audioop is None, reason="audioop left the stdlib in 3.13")

ALL_BYTES = bytes(range(256))
ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


def test_mulaw_known_values() -> None:
    # ITU-T G.711 μ-law: 0xFF and 0x7F are the two zeros, 0x80 / 0x00 the extremes.
    decoded = codecs.decode_mulaw(bytes([0xFF, 0x7F, 0x80, 0x00, 0xFE, 0x7E]))
    assert decoded.tolist() == [0, 0, 32124, -32124, 8, -8]
    assert codecs.encode_mulaw(np.array([0, 32767, -32768, 8], np.int16)) == bytes(
        [0xFF, 0x80, 0x00, 0xFE]
    )


def test_alaw_known_values() -> None:
    # ITU-T G.711 A-law: 0xD5 / 0x55 are the smallest steps, 0xAA / 0x2A the extremes.
    decoded = codecs.decode_alaw(bytes([0xD5, 0x55, 0xAA, 0x2A]))
    assert decoded.tolist() == [8, -8, 32256, -32256]
    assert codecs.encode_alaw(np.array([0, -1, 32767, -32768], np.int16)) == bytes(
        [0xD5, 0x55, 0xAA, 0x2A]
    )


@needs_audioop
def test_decoders_match_audioop_for_every_code() -> None:
    ref_u = np.frombuffer(audioop.ulaw2lin(ALL_BYTES, 2), "<i2")
    ref_a = np.frombuffer(audioop.alaw2lin(ALL_BYTES, 2), "<i2")
    np.testing.assert_array_equal(codecs.decode_mulaw(ALL_BYTES), ref_u)
    np.testing.assert_array_equal(codecs.decode_alaw(ALL_BYTES), ref_a)


@needs_audioop
def test_encoders_match_audioop_for_every_int16() -> None:
    pcm = ALL_INT16.astype("<i2").tobytes()
    assert codecs.encode_mulaw(ALL_INT16) == audioop.lin2ulaw(pcm, 2)
    assert codecs.encode_alaw(ALL_INT16) == audioop.lin2alaw(pcm, 2)


@pytest.mark.parametrize("encoding", ["mulaw", "alaw"])
def test_g711_code_round_trip_is_exact(encoding: str) -> None:
    # decode→encode is the identity on codes (μ-law's negative zero 0x7F is the one exception).
    decoded = codecs.decode(ALL_BYTES, encoding)  # type: ignore[arg-type]
    again = codecs.encode(decoded, encoding)  # type: ignore[arg-type]
    expected = bytearray(ALL_BYTES)
    if encoding == "mulaw":
        expected[0x7F] = 0xFF
    assert again == bytes(expected)


@pytest.mark.parametrize("encoding", ["mulaw", "alaw"])
def test_g711_round_trip_error_is_within_the_quantizer_step(encoding: str) -> None:
    back = codecs.decode(codecs.encode(ALL_INT16, encoding), encoding).astype(np.int32)  # type: ignore[arg-type]
    err = np.abs(back - ALL_INT16)
    # Relative error of a log quantizer: a few percent of the magnitude plus the smallest step.
    assert np.all(err <= np.abs(ALL_INT16.astype(np.int32)) * 0.07 + 40)


def test_pcm16_is_little_endian_and_round_trips() -> None:
    assert codecs.decode_pcm16le(b"\x01\x00\xff\xff\x00\x80").tolist() == [1, -1, -32768]
    assert codecs.encode_pcm16le(np.array([1, -1, -32768], np.int16)) == b"\x01\x00\xff\xff\x00\x80"
    np.testing.assert_array_equal(
        codecs.decode_pcm16le(codecs.encode_pcm16le(ALL_INT16)), ALL_INT16
    )


def test_decode_accepts_every_buffer_type_and_returns_a_writable_copy() -> None:
    data = b"\x10\x00\x20\x00"
    for buf in (data, bytearray(data), memoryview(data)):
        out = codecs.decode(buf, "pcm16")
        assert out.dtype == np.int16 and out.tolist() == [16, 32]
        out[0] = 0  # writable: the caller owns it
    assert codecs.decode(b"", "mulaw").shape == (0,)


def test_odd_pcm16_length_is_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        codecs.decode_pcm16le(b"\x00\x01\x02")


def test_encoders_saturate_wide_integers_and_refuse_floats() -> None:
    wide = np.array([70000, -70000], dtype=np.int64)
    assert codecs.encode_pcm16le(wide) == codecs.encode_pcm16le(np.array([32767, -32768], np.int16))
    assert codecs.encode_pcm16le(np.array([65535], dtype=np.uint16)) == b"\xff\x7f"
    with pytest.raises(TypeError):
        codecs.encode_mulaw(np.array([0.5]))


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError):
        codecs.decode(b"\x00", "opus")  # type: ignore[arg-type]
