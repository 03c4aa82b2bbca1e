import numpy as np
import pytest

from cxone_desktop.core.ring_buffer import RingBuffer
from cxone_desktop.ui.envelope import ScrollingEnvelope


def _reference(stream: np.ndarray, channels: int, window: int, columns: int) -> np.ndarray:
    """By definition, from the whole stream: min/max of each complete column, newest last."""
    per_channel = stream.reshape(-1, channels)
    n = window // columns
    end = per_channel.shape[0] // n * n
    block = np.zeros((window, channels), dtype=np.float32)
    start = end - window
    block[max(start, 0) - start :] = per_channel[max(start, 0) : end]
    bins = block.T.reshape(channels, columns, n)
    return np.stack([bins.min(axis=2), bins.max(axis=2)], axis=2).reshape(channels, -1)


def test_each_column_keeps_its_extremes_and_a_short_history_scrolls_in_from_the_right() -> None:
    ring = RingBuffer(40, np.float32)
    ring.extend([0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, -9, 0, 0, 0, 0, 0, 0, 0, 3, 3])
    env = ScrollingEnvelope(window=40, columns=4, channels=1)
    drawn = env.update(ring).reshape(4, 2)
    # 22 samples: two complete columns of 10, both at the right; the 2 after them wait
    assert drawn.tolist() == [[0, 0], [0, 0], [0, 7], [-9, 0]]
    assert env.lag_samples == 2


def test_stereo_columns_are_per_channel() -> None:
    ring = RingBuffer(8, np.float32)
    ring.extend([1, -5, 2, -6, 3, -7, 4, -8])  # left 1..4, right -5..-8
    drawn = ScrollingEnvelope(window=4, columns=2, channels=2).update(ring)
    assert drawn.tolist() == [[1, 2, 3, 4], [-6, -5, -8, -7]]


@pytest.mark.parametrize(("channels", "columns"), [(1, 1000), (2, 800)])
def test_column_by_column_equals_the_whole_stream_whatever_the_write_sizes(
    channels: int, columns: int
) -> None:
    rng = np.random.default_rng(channels)
    window = 40000
    ring = RingBuffer(window * channels, np.float32)
    env = ScrollingEnvelope(window, columns, channels)
    stream: list[np.ndarray] = []
    for step in range(300):
        # display frames of 0-900 samples, and now and then a burst longer than the window
        count = int(rng.integers(0, 900 if step % 60 else 50000)) * channels
        values = (rng.standard_normal(count) * 1000).astype(np.float32)
        ring.extend(values)
        stream.append(values)
        drawn = env.update(ring)
        whole = np.concatenate(stream)
        want = _reference(whole, channels, window, columns)
        # The oldest column may have lost samples from the ring when read whole; the rest
        # must be exact.
        assert np.array_equal(drawn[:, 2:], want[:, 2:]), step
        assert env.lag_samples == len(whole) // channels % (window // columns)


def test_a_new_ring_is_read_whole_and_the_oldest_column_never_widens() -> None:
    rng = np.random.default_rng(3)
    ring = RingBuffer(4000, np.float32)
    values = (rng.standard_normal(10_007) * 1000).astype(np.float32)
    ring.extend(values)
    drawn = ScrollingEnvelope(4000, 100, 1).update(ring)
    want = _reference(values, 1, 4000, 100)
    assert np.array_equal(drawn[:, 2:], want[:, 2:])
    # its first 7 samples left the ring: the column shows what is left, never more
    assert want[0, 0] <= drawn[0, 0] and drawn[0, 1] <= want[0, 1]
    other = RingBuffer(4000, np.float32)  # e.g. the raw stream chosen instead
    other.extend(values[:500] * 0)
    env = ScrollingEnvelope(4000, 100, 1)
    env.update(ring)
    assert not env.update(other).any()


def test_window_must_divide_into_columns() -> None:
    with pytest.raises(ValueError):
        ScrollingEnvelope(window=10, columns=3, channels=1)
