import math

import numpy as np
import pytest

from cxone_desktop.core.ring_buffer import RecordRing, RingBuffer


def test_ring_keeps_the_newest_values_oldest_first() -> None:
    r = RingBuffer(5)
    assert len(r) == 0 and r.data().tolist() == []
    r.extend(np.arange(3))
    assert r.data().tolist() == [0, 1, 2]
    r.extend(np.arange(3, 7))
    assert r.data().tolist() == [2, 3, 4, 5, 6]
    r.append(7)
    assert r.data().tolist() == [3, 4, 5, 6, 7]
    assert len(r) == 5 and r.total_written == 8
    assert r.data(last=2).tolist() == [6, 7]
    assert r.data(last=0).tolist() == []


def test_extend_longer_than_capacity_keeps_the_tail() -> None:
    r = RingBuffer(4, dtype=np.int16)
    r.append(1)
    r.extend(np.arange(10, dtype=np.int16))
    assert r.data().tolist() == [6, 7, 8, 9]
    assert r.data().dtype == np.int16
    assert r.total_written == 11


def test_data_is_a_copy() -> None:
    r = RingBuffer(3)
    r.extend([1.0, 2.0])
    d = r.data()
    d[0] = 99
    assert r.data().tolist() == [1.0, 2.0]


def test_random_writes_match_a_list_model() -> None:
    rng = np.random.default_rng(7)
    r = RingBuffer(37, dtype=np.float32)
    model: list[float] = []
    for _ in range(300):
        n = int(rng.integers(0, 60))
        vals = rng.standard_normal(n).astype(np.float32)
        r.extend(vals)
        model.extend(vals.tolist())
        assert r.data().tolist() == model[-37:]
    r.clear()
    assert len(r) == 0 and r.total_written == 0


def test_record_ring_rows_and_columns() -> None:
    rr = RecordRing(3, ["a", "b"])
    rr.append(a=1, b=2)
    rr.append(a=3)
    assert rr.column("a").tolist() == [1, 3]
    b = rr.column("b")
    assert b[0] == 2 and math.isnan(b[1])
    rr.append_row((5, 6))
    rr.append(a=7, b=8)
    assert len(rr) == 3 and rr.total_written == 4
    assert rr.column("a").tolist() == [3, 5, 7]
    assert rr.column("a", last=2).tolist() == [5, 7]
    assert rr.table().shape == (3, 2)
    assert rr.latest() == {"a": 7.0, "b": 8.0}
    with pytest.raises(KeyError):
        rr.append(c=1)
    with pytest.raises(KeyError):
        rr.column("c")
    with pytest.raises(ValueError):
        rr.append_row((1,))


def test_invalid_construction() -> None:
    with pytest.raises(ValueError):
        RingBuffer(0)
    with pytest.raises(ValueError):
        RecordRing(3, [])
    with pytest.raises(ValueError):
        RecordRing(3, ["a", "a"])
    assert RecordRing(2, ["x"]).latest() is None
