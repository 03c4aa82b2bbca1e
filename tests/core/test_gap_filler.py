"""Concealing a track's holes where they are: bridged into what follows when it is there."""

from __future__ import annotations

import numpy as np

from cxone_desktop.core.gap_filler import GapFiller

F = 160


def voiced(n: int) -> np.ndarray:
    t = np.arange(n) / 8000
    wave = 6000 * np.sin(2 * np.pi * 140 * t) + 2500 * np.sin(2 * np.pi * 280 * t + 1)
    return np.rint(wave).astype(np.int16)


def test_a_hole_ending_a_release_is_bridged_into_the_audio_already_held_after_it() -> None:
    truth = voiced(10 * F)
    filler = GapFiller()
    first = filler.release(truth[: 4 * F], np.ones(4 * F, bool), truth[:0], np.ones(0, bool))
    assert np.array_equal(first, truth[: 4 * F])
    assert filler.idle
    # Frame 5 is missing at the end of this release; frames 6-9 already wait behind it.
    written = np.ones(2 * F, bool)
    written[F:] = False
    got = filler.release(truth[4 * F : 6 * F], written, truth[6 * F :], np.ones(4 * F, bool))
    assert np.array_equal(got[:F], truth[4 * F : 5 * F])
    error = got[F:].astype(float) - truth[5 * F : 6 * F]
    assert np.mean(error**2) < 0.1 * np.mean(truth[5 * F : 6 * F].astype(float) ** 2)
    assert filler.idle and filler.concealed_samples == F  # bridged: nothing left to fade in
    after = filler.release(truth[6 * F :], np.ones(4 * F, bool), truth[:0], np.ones(0, bool))
    assert np.array_equal(after, truth[6 * F :])  # what follows plays as sent


def test_a_hole_with_nothing_after_it_fades_out_and_what_ends_it_fades_in() -> None:
    truth = voiced(20 * F)
    filler = GapFiller()
    filler.release(truth[: 4 * F], np.ones(4 * F, bool), truth[:0], np.ones(0, bool))
    gap = filler.release(truth[4 * F : 9 * F], np.zeros(5 * F, bool), truth[:0], np.ones(0, bool))
    assert gap[:80].any() and not gap[480:].any()  # the voice goes on, silent after 60 ms
    assert not filler.idle
    back = filler.release(truth[9 * F : 11 * F], np.ones(2 * F, bool), truth[:0], np.ones(0, bool))
    assert np.array_equal(back[80:], truth[9 * F + 80 : 11 * F])  # faded in within 10 ms
    assert not np.array_equal(back[:80], truth[9 * F : 9 * F + 80])
    assert filler.idle and filler.concealed_samples == 5 * F
