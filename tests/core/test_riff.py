"""core.riff: the one chunk walker, the header we write, and cue points with labels."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from cxone_desktop.core.riff import (
    HEADER_BYTES,
    Cue,
    RiffError,
    cue_chunks,
    iter_chunks,
    read_cues,
    read_layout,
    tiles_exactly,
    wav_header,
)


def test_one_cue_is_spelled_as_the_riff_spec_says() -> None:
    data = cue_chunks([Cue(8000, "hold")])
    point = struct.pack("<II4sIII", 1, 8000, b"data", 0, 0, 8000)
    labl = b"labl" + struct.pack("<I", 9) + struct.pack("<I", 1) + b"hold\0" + b"\0"  # padded
    assert data == (
        b"cue " + struct.pack("<I", 28) + struct.pack("<I", 1) + point
        + b"LIST" + struct.pack("<I", 4 + len(labl)) + b"adtl" + labl
    )  # fmt: skip


def test_cues_round_trip_in_frame_order_with_any_text() -> None:
    cues = [Cue(12_000, "résumé — agent"), Cue(0, ""), Cue(4000, "hold"), Cue(2**32 - 1, "end")]
    assert read_cues(cue_chunks(cues)) == sorted(cues, key=lambda c: c.frame)
    assert cue_chunks([]) == b"" and read_cues(b"") == []


def test_a_region_is_an_ltxt_as_audition_writes_it_and_reads_back() -> None:
    data = cue_chunks([Cue(8000, "hold", length_frames=24_000), Cue(100, "point")])
    region = struct.pack("<II4sHHHH", 2, 24_000, b"rgn ", 0, 0, 0, 0)
    ltxt = b"ltxt" + struct.pack("<I", 20) + region
    assert ltxt in data  # hold is the second cue in frame order
    assert data.count(b"ltxt") == 1  # a point has none
    assert read_cues(data) == [Cue(100, "point"), Cue(8000, "hold", 24_000)]
    with pytest.raises(ValueError, match="32-bit"):
        cue_chunks([Cue(0, "x", length_frames=2**32)])


def test_a_note_stands_in_for_a_missing_label_but_never_over_one() -> None:
    point = struct.pack("<II4sIII", 7, 0, b"data", 0, 0, 160)
    cue = b"cue " + struct.pack("<II", 28, 1) + point
    note = b"note" + struct.pack("<II", 8, 7) + b"why\0"
    labl = b"labl" + struct.pack("<II", 8, 7) + b"lab\0"
    for subs, want in ((note, "why"), (note + labl, "lab"), (labl + note, "lab")):
        listed = b"LIST" + struct.pack("<I", 4 + len(subs)) + b"adtl" + subs
        assert read_cues(cue + listed) == [Cue(160, want)]


@pytest.mark.parametrize("frame", [-1, 2**32])
def test_a_frame_outside_32_bits_is_refused(frame: int) -> None:
    with pytest.raises(ValueError, match="32-bit"):
        cue_chunks([Cue(frame, "x")])


def test_damaged_cue_chunks_give_what_can_be_read_and_never_raise() -> None:
    data = cue_chunks([Cue(10, "a"), Cue(20, "b", length_frames=5)])
    for cut in range(len(data)):
        read_cues(data[:cut])  # no exception, whatever is cut off
    labels_lost = data[: data.index(b"LIST")]
    assert read_cues(labels_lost) == [Cue(10, ""), Cue(20, "")]
    region_lost = data[: data.index(b"ltxt")]
    assert read_cues(region_lost) == [Cue(10, "a"), Cue(20, "b")]


def test_the_walker_follows_odd_sizes_and_stops_at_an_unknown_size() -> None:
    data = b"RIFF\0\0\0\0WAVE" + b"odd1" + struct.pack("<I", 3) + b"abc\0"
    data += b"data" + struct.pack("<I", 0xFFFFFFFF) + b"xxxx" + b"late" + struct.pack("<I", 0)
    assert [(c.id, c.offset, c.size) for c in iter_chunks(data)] == [
        (b"odd1", 12, 3),
        (b"data", 24, 0xFFFFFFFF),
    ]


def test_the_header_we_write_reads_back_riff_and_rf64() -> None:
    riff = read_layout(wav_header(data_bytes=3200, rate_hz=16000, channels=2))
    assert (riff.rf64, riff.rate_hz, riff.channels, riff.sample_width) == (False, 16000, 2, 2)
    assert (riff.data_offset, riff.declared_data_bytes) == (HEADER_BYTES, 3200)
    assert riff.ds64_offset == 12
    rf64 = read_layout(wav_header(data_bytes=5_000_000_000, rf64=True, trailer_bytes=100))
    assert rf64.rf64 and rf64.declared_data_bytes == 5_000_000_000
    head = wav_header(data_bytes=10, trailer_bytes=100)
    assert struct.unpack_from("<I", head, 4)[0] == HEADER_BYTES - 8 + 10 + 100


def test_a_header_without_fmt_or_data_is_refused() -> None:
    with pytest.raises(RiffError):
        read_layout(b"RIFF\0\0\0\0WAVE" + b"data\0\0\0\0")
    with pytest.raises(RiffError):
        read_layout(b"OggS" + bytes(40))


def test_chunks_after_the_audio_are_told_from_audio_a_crash_left() -> None:
    assert tiles_exactly(cue_chunks([Cue(1, "x")]))
    assert not tiles_exactly(cue_chunks([Cue(1, "x")])[:-1])  # cut short
    assert not tiles_exactly(b"")
    rng = np.random.default_rng(5)
    for _ in range(200):
        assert not tiles_exactly(rng.integers(-3000, 3000, 800, dtype=np.int16).tobytes())
    assert not tiles_exactly(b"ab\0\0" + struct.pack("<I", 0))  # an ID no writer uses
