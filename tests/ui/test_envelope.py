import numpy as np
import pytest

from cxone_desktop.ui.envelope import envelope_x, minmax_envelope


def test_envelope_keeps_each_columns_extremes() -> None:
    samples = np.zeros(40, dtype=np.float32)
    samples[3] = 7.0
    samples[25] = -9.0
    env = minmax_envelope(samples, window=40, columns=4).reshape(4, 2)
    assert env[0].tolist() == [0.0, 7.0]
    assert env[2].tolist() == [-9.0, 0.0]
    assert env[1].tolist() == [0.0, 0.0]


def test_short_history_scrolls_in_from_the_right() -> None:
    env = minmax_envelope(np.full(10, 5.0), window=40, columns=4).reshape(4, 2)
    assert env[:3].tolist() == [[0.0, 0.0]] * 3
    assert env[3].tolist() == [5.0, 5.0]


def test_only_the_newest_window_is_drawn() -> None:
    samples = np.concatenate([np.full(100, 1000.0), np.zeros(40)])
    env = minmax_envelope(samples, window=40, columns=4)
    assert env.max() == 0.0


def test_window_must_divide_into_columns() -> None:
    with pytest.raises(ValueError):
        minmax_envelope(np.zeros(10), window=10, columns=3)


def test_x_pairs_span_the_window_ending_now() -> None:
    x = envelope_x(5.0, 1000)
    assert len(x) == 2000
    assert x[0] == x[1] == pytest.approx(-5.0)
    assert x[-1] == 0.0
