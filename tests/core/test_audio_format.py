import pytest

from cxone_desktop.core.audio_format import DEFAULT_FORMAT, AudioFormat


def test_default_format_is_the_cxone_wire_format() -> None:
    fmt = DEFAULT_FORMAT
    assert (fmt.rate_hz, fmt.sample_width, fmt.channels, fmt.frame_ms) == (8000, 2, 1, 20)
    assert fmt.encoding == "pcm16"
    assert fmt.frame_samples == 160
    assert fmt.frame_bytes == 320
    assert fmt.pcm_frame_bytes == 320
    assert fmt.bytes_per_second == 16000
    assert fmt.frame_duration_s == 0.02


@pytest.mark.parametrize("encoding", ["mulaw", "alaw"])
def test_g711_frames_are_one_byte_a_sample_on_the_wire(encoding: str) -> None:
    fmt = AudioFormat(encoding=encoding)  # type: ignore[arg-type]
    assert fmt.frame_bytes == 160
    assert fmt.pcm_frame_bytes == 320
    assert fmt.bytes_per_second == 8000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rate_hz": 0}, "rate_hz"),
        ({"rate_hz": 8000.0}, "rate_hz"),
        ({"sample_width": 1}, "sample_width"),
        ({"channels": 3}, "channels"),
        ({"frame_ms": 0}, "frame_ms"),
        ({"rate_hz": 11025, "frame_ms": 20}, "whole number"),
        ({"encoding": "opus"}, "encoding"),
    ],
)
def test_invalid_formats_are_refused_with_the_field_named(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        AudioFormat(**kwargs)


def test_formats_are_frozen_and_hashable() -> None:
    assert AudioFormat() == DEFAULT_FORMAT
    assert len({AudioFormat(), AudioFormat(encoding="mulaw")}) == 2
    with pytest.raises(AttributeError):
        DEFAULT_FORMAT.rate_hz = 16000  # type: ignore[misc]
