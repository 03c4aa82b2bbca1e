import math

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cxone_desktop.ui.level_meter import FLOOR_DBFS, LevelMeter


def test_level_is_clamped_to_the_meter_scale(qtbot: QtBot) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.set_level(-12.0)
    assert meter.level_dbfs == -12.0
    meter.set_level(-math.inf)  # silence
    assert meter.level_dbfs == FLOOR_DBFS
    meter.set_level(3.0)
    assert meter.level_dbfs == 0.0


def test_a_loud_frame_paints_a_bar(qtbot: QtBot) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(22, 120)
    meter.set_level(-6.0)
    img = meter.grab().toImage()
    low = img.pixelColor(11, 110)  # near the bottom: inside the bar
    assert low.green() > 150 or low.red() > 150
    meter.set_level(-60.0)
    meter._peak_db = -60.0
    meter.update()
    img = meter.grab().toImage()
    assert img.pixelColor(11, 110).name() == "#1f2937"


def test_it_repaints_only_when_a_pixel_would_change(qtbot: QtBot) -> None:
    """A trough of 30 pixels spans 60 dB: 2 dB a pixel. Sub-pixel steps repaint nothing; a
    falling peak (0.5 dB a call) repaints when it reaches the next row, not on every call."""
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(22, 34)
    meter.show()
    qtbot.waitExposed(meter)
    paints: list[int] = []
    original = meter.paintEvent
    meter.paintEvent = lambda event: (paints.append(1), original(event))  # type: ignore[method-assign]

    def level(dbfs: float) -> int:
        meter.set_level(dbfs)
        QApplication.processEvents()
        return len(paints)

    assert level(-20.0) == 1
    assert [level(x) for x in (-20.2, -20.4, -20.3)] == [1, 1, 1]  # under a pixel
    assert level(-17.0) == 2  # the bar grows, the peak follows
    # The bar drops at once; then the peak falls from -17.5 by 0.5 dB a call (rows 10,
    # 11 from -18, 12 from -20): two more repaints in seven calls.
    assert [level(-30.0) for _ in range(7)] == [3, 4, 4, 4, 4, 5, 5]
    assert meter.level_dbfs == -30.0
