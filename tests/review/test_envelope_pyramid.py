"""Min/max envelopes from the pyramid equal the brute-force ones, at every zoom."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cxone_desktop.review.envelope_pyramid import BASE_BLOCK, EnvelopePyramid
from cxone_desktop.review.session_reader import open_session
from cxone_desktop.review.silence import silent_stretches, skip_target
from tests.review import session_fixture as fx


def brute(samples: np.ndarray, start: float, stop: float, columns: int) -> np.ndarray:
    edges = np.linspace(start, stop, columns + 1)
    out = np.full((columns, 2), np.nan)
    for i in range(columns):
        lo, hi = int(np.floor(edges[i])), int(np.ceil(edges[i + 1]))
        lo, hi = max(lo, 0), min(max(hi, lo + 1), samples.size)
        if lo < samples.size and hi > 0 and hi > lo:
            out[i] = samples[lo:hi].min(), samples[lo:hi].max()
    return out


@pytest.mark.parametrize(
    ("start", "stop", "columns"),
    [
        (0, 100_003, 1000),
        (1000, 1300, 600),
        (5, 90_000, 37),
        (-500, 2000, 100),
        (99_000, 101_000, 50),
    ],
)
def test_matches_brute_force_where_blocks_align_or_samples_are_read(
    start: int, stop: int, columns: int
) -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(-30000, 30000, 100_003).astype(np.int16)
    pyr = EnvelopePyramid(x[:, None])
    mins, maxs = pyr.envelope(start, stop, columns)
    want = brute(x, start, stop, columns)
    inside = ~np.isnan(want[:, 0])
    assert np.array_equal(np.isnan(mins), ~inside)
    per_col = (stop - start) / columns
    if per_col < BASE_BLOCK:
        assert np.array_equal(mins[inside], want[inside, 0])
        assert np.array_equal(maxs[inside], want[inside, 1])
    else:
        # Coarse levels round column edges out to whole blocks: never narrower than the truth.
        assert np.all(mins[inside] <= want[inside, 0]) and np.all(maxs[inside] >= want[inside, 1])


def test_coarse_columns_hold_every_peak() -> None:
    x = np.zeros(1_000_000, np.int16)
    x[123_457] = 32000
    x[876_543] = -32000
    pyr = EnvelopePyramid(x[:, None])
    mins, maxs = pyr.envelope(0, x.size, 300)
    assert maxs.max() == 32000 and mins.min() == -32000
    assert maxs[123_457 * 300 // x.size] == 32000  # (a neighbour may show it too: edges round out)


def test_stereo_channels_are_separate() -> None:
    x = np.zeros((10_000, 2), np.int16)
    x[:, 1] = 1000
    pyr = EnvelopePyramid(x)
    assert np.all(pyr.envelope(0, 10_000, 10, channel=0)[1] == 0)
    assert np.all(pyr.envelope(0, 10_000, 10, channel=1)[0] == 1000)


def test_silences_of_the_fixture_are_found(stereo_session: Path) -> None:
    rec = open_session(stereo_session)
    track = rec.tracks["processed"]
    pyr = EnvelopePyramid(track.wav.samples)
    found = [
        (track.session_at(lo), track.session_at(hi))
        for lo, hi in silent_stretches(pyr, track.rate_hz, min_s=1.5)
    ]
    # the outage (2 s), the hold (3 s) and the 4 s pause, played one buffer delay after they
    # happened; bursts alternate, so one party's silence alone does not count.
    delay = fx.PLAYOUT_AT - fx.STREAMING_AT
    want = [(10.0, 12.0), (18.0, 21.0), fx.SILENCE]
    assert len(found) == 3
    for (lo, hi), (w_lo, w_hi) in zip(found, want, strict=True):
        assert lo == pytest.approx(w_lo + delay, abs=0.01)
        assert hi == pytest.approx(w_hi + delay, abs=0.01)
    assert silent_stretches(pyr, track.rate_hz, min_s=3.5) == [
        s for s in silent_stretches(pyr, track.rate_hz, min_s=1.5) if s[1] - s[0] >= 3.5 * 8000
    ]
    stretches = silent_stretches(pyr, track.rate_hz, min_s=1.5)
    lo, hi = stretches[2]
    assert skip_target(stretches, lo + 10, lead_frames=800) == hi - 800
    assert skip_target(stretches, lo - 10) is None
