"""Mix, interleave and de-interleave of two-party audio."""

from __future__ import annotations

import numpy as np
import pytest

from cxone_desktop.core.party_mix import deinterleave, interleave, mix


def test_mix_saturates_instead_of_wrapping() -> None:
    a = np.array([30000, -30000, 100, 0], dtype=np.int16)
    b = np.array([10000, -10000, -50, 7], dtype=np.int16)
    assert mix(a, b).tolist() == [32767, -32768, 50, 7]
    assert mix(a).tolist() == a.tolist() and mix(a) is not a


def test_interleave_puts_left_first_and_deinterleave_inverts_it() -> None:
    left = np.array([1, 2, 3], dtype=np.int16)
    right = np.array([-1, -2, -3], dtype=np.int16)
    both = interleave(left, right)
    assert both.tolist() == [1, -1, 2, -2, 3, -3]
    back = deinterleave(both, 2)
    assert back[0].tolist() == [1, 2, 3] and back[1].tolist() == [-1, -2, -3]
    with pytest.raises(ValueError):
        deinterleave(both[:-1], 2)
    with pytest.raises(ValueError):
        interleave(left, right[:2])
