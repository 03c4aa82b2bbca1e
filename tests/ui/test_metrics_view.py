from pytestqt.qtbot import QtBot

from cxone_desktop.core.metrics import PER_SECOND_COLUMNS
from cxone_desktop.core.ring_buffer import RecordRing
from cxone_desktop.ui.metrics_view import HISTORY_S, MetricsView, nice_top


def row(i: int, **over: float) -> dict[str, float]:
    r = {c: 0.0 for c in PER_SECOND_COLUMNS}
    r.update(elapsed_s=float(i), bitrate_kbps=128.0, jitter_ms=float(i), packets_per_s=50.0)
    r.update(over)
    return r


def test_redraws_only_when_a_new_second_arrives(qtbot: QtBot) -> None:
    view = MetricsView()
    qtbot.addWidget(view)
    ring = RecordRing(100, PER_SECOND_COLUMNS)
    ring.append(**row(1))
    assert view.refresh(ring)
    assert not view.refresh(ring)
    assert not view.refresh(ring)
    ring.append(**row(2))
    assert view.refresh(ring)
    assert view.redraws == 2
    assert view.curve_data("jitter_ms").tolist() == [1.0, 2.0]


def test_keeps_the_last_minute_with_now_at_the_right_edge(qtbot: QtBot) -> None:
    view = MetricsView()
    qtbot.addWidget(view)
    ring = RecordRing(1000, PER_SECOND_COLUMNS)
    for i in range(1, 200):
        ring.append(**row(i))
    view.refresh(ring)
    x, y = view.curves["jitter_ms"].getData()
    assert len(y) == HISTORY_S
    assert x[-1] == 0.0 and x[0] == -(HISTORY_S - 1)
    assert y[-1] == 199.0


def test_y_range_grows_to_fit_in_readable_steps(qtbot: QtBot) -> None:
    view = MetricsView()
    qtbot.addWidget(view)
    ring = RecordRing(100, PER_SECOND_COLUMNS)
    ring.append(**row(1, jitter_ms=130.0))
    view.refresh(ring)
    top = view.plots[1].viewRange()[1][1]
    assert 200 <= top <= 210
    assert nice_top(3.0, 20.0) == 20.0
    assert nice_top(143.0, 20.0) == 200.0
    assert nice_top(501.0, 20.0) == 1000.0


def test_degraded_flag_shows_and_clears(qtbot: QtBot) -> None:
    view = MetricsView()
    qtbot.addWidget(view)
    view.show()
    view.set_degraded(True)
    assert view.degraded_label.isVisible()
    view.clear()
    assert not view.degraded_label.isVisible()
