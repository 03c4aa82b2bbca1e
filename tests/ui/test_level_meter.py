import math

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
