"""The review window on recorded fixtures: lanes, marks, zoom to samples, seek by click and keys,
loop and skip-silence playback (on an injected clock), notes and evaluations round trips.

In-process tests reach no sound server, so the player plays on its clock; what the sink
really hears is covered by test_review_audio.py on a PulseAudio null sink.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cxone_desktop.errors import SessionReadError
from cxone_desktop.review.annotations import AnnotationStore
from cxone_desktop.review.evaluation import load_evaluation
from cxone_desktop.review.review_data import load_review
from cxone_desktop.ui.review_player import NO_DEVICE_TEXT, ReviewPlayer
from cxone_desktop.ui.review_window import ReviewWindow, open_review_window
from tests.review import session_fixture as fx
from tests.review.session_fixture import build_session


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stereo(tmp_path: Path) -> Path:
    return build_session(tmp_path, stereo=True, name="stereo-20261124T101112Z")


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    return build_session(tmp_path, gaps_in="events", name="mono-20261124T101112Z")


@pytest.fixture
def make(qtbot: QtBot, clock: Clock):  # type: ignore[no-untyped-def]
    def build(folder: Path) -> ReviewWindow:
        player = ReviewPlayer(clock=clock)
        window = ReviewWindow(load_review(folder), player=player)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        # Window shortcuts (Space, arrows, Ctrl+B) need the window to be the active one.
        window.windowHandle().requestActivate()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        return window

    return build


def play_for(window: ReviewWindow, clock: Clock, seconds: float, step: float = 0.02) -> None:
    """Advance the player's clock, pumping as its timer would."""
    for _ in range(round(seconds / step)):
        clock.now += step
        window.player.pump()


def test_stereo_call_opens_with_lanes_marks_and_charts(make, stereo: Path) -> None:
    w = make(stereo)
    assert w.timeline.lane_names == ["agent", "customer"]
    kinds = set(w.timeline.marks_plot_kinds)
    assert {"lost", "concealed", "outage", "hold", "stall", "dsp", "degraded", "reconnect",
            "talk_over", "error"} <= kinds  # fmt: skip
    assert len(w.timeline.metric_plots) == 6  # loss, ms, kbps, buffer, levels, R
    assert "Estimated MOS" in w.info.text() and "G.107" in w.info.text()
    assert [s.objectName() for s in w.transport.volumes] == ["volume_agent", "volume_customer"]
    w.transport.view.setCurrentIndex(w.transport.view.findData("both"))
    assert w.timeline.lane_names == [
        "agent (processed)", "customer (processed)", "agent (raw)", "customer (raw)"
    ]  # fmt: skip
    assert w.player.status == ""  # nothing opened until play


@pytest.mark.parametrize(("width", "height"), [(1024, 640), (1280, 800)])
def test_a_stereo_call_fits_the_screen_and_no_axis_labels_collide(
    make, stereo: Path, width: int, height: int
) -> None:
    """The plots are stacked without gaps: a label at a plot's edge would run into the
    next plot's (it did, at every lane and chart boundary)."""
    from PySide6.QtGui import QImage, QPainter

    w = make(stereo)
    assert w.minimumSizeHint().width() <= width
    w.resize(width, height)
    QApplication.processEvents()
    w.timeline.refresh()
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    labels = []
    try:
        for plot in [w.timeline.overview, *[lane[4] for lane in w.timeline._lanes],
                     w.timeline.spectrogram_plot, w.timeline.marks_plot,
                     *w.timeline.metric_plots]:  # fmt: skip
            for side in ("left", "right"):
                axis = plot.getAxis(side)
                if not axis.isVisible() or not axis.style["showValues"]:
                    continue
                specs = axis.generateDrawSpecs(painter)
                for rect, _flags, text in specs[2] if specs else []:
                    labels.append((axis.mapRectToScene(rect), text))
    finally:
        painter.end()
    assert len(labels) > 12
    for (a, ta), (b, tb) in itertools.combinations(labels, 2):
        assert not a.intersects(b), (ta, tb, a, b)


def test_whole_call_envelope_shows_the_bursts_and_the_gaps(make, stereo: Path) -> None:
    w = make(stereo)
    x, y = w.timeline.lane_data(0)  # agent, processed, whole call
    loud = np.abs(y) > 0.2
    assert loud.any()
    in_outage = (x > 10.2) & (x < 11.9)
    assert not loud[in_outage].any()  # silent through the outage
    assert x.min() == pytest.approx(fx.PLAYOUT_AT, abs=0.05)


def test_zoom_down_to_single_samples(make, stereo: Path) -> None:
    w = make(stereo)
    track = w.data.recording.tracks["processed"]
    t0 = fx.PLAYOUT_AT + 2.25
    w.timeline.set_view(t0, t0 + 40 / 8000)  # 40 samples across the lane
    w.timeline.refresh()
    x, y = w.timeline.lane_data(0)
    first = track.frame_at(float(x[0]))
    want = track.wav.samples[first : first + len(x), 0] / 32768.0
    assert 40 <= len(x) <= 44
    assert np.allclose(y, want)
    assert np.allclose(np.diff(x), 1 / 8000)


def test_click_seeks_and_keys_step(make, stereo: Path, qtbot: QtBot) -> None:
    w = make(stereo)
    w.timeline.set_view(5.0, 15.0)
    w.timeline.refresh()
    lane_plot = w.timeline._lanes[0][4]
    vb = lane_plot.getViewBox()
    scene = vb.mapViewToScene(QPointF(8.0, 0.0))
    pos = w.timeline.mapFromScene(scene)
    qtbot.mouseClick(w.timeline.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert w.position_s == pytest.approx(8.0, abs=10.0 / vb.width() + 0.01)
    w.seek(8.0)
    w.timeline.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_Right)
    assert w.position_s == pytest.approx(13.0, abs=1e-3)
    qtbot.keyClick(w, Qt.Key.Key_Left)
    qtbot.keyClick(w, Qt.Key.Key_Left)
    assert w.position_s == pytest.approx(3.0, abs=1e-3)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert w.player.playing and w.transport.play_button.text().startswith("⏸")
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert not w.player.playing


def test_playback_moves_the_playhead_and_says_why_it_is_silent(
    make, stereo: Path, clock: Clock
) -> None:
    w = make(stereo)
    w.seek(2.0)
    w.toggle_play()
    assert w.player.status == NO_DEVICE_TEXT == w.transport.status.text()
    play_for(w, clock, 1.0)
    assert w.position_s == pytest.approx(3.0, abs=0.03)
    w.toggle_play()
    clock.now += 5.0  # paused: time passes, the playhead stays
    assert w.position_s == pytest.approx(3.0, abs=0.03)
    w.toggle_play()
    play_for(w, clock, 0.5)
    assert w.position_s == pytest.approx(3.5, abs=0.03)


def test_speed_keys_and_choice_move_the_playhead_on_the_recordings_time(
    make, stereo: Path, clock: Clock, qtbot: QtBot
) -> None:
    w = make(stereo)
    combo = w.transport.speed
    assert (w.player.speed, combo.currentText()) == (1.0, "1×")
    qtbot.keyClick(w, ">")
    qtbot.keyClick(w, ">")
    assert (w.player.speed, combo.currentText()) == (1.5, "1.5×")
    for _ in range(5):
        qtbot.keyClick(w, ">")
    assert (w.player.speed, combo.currentText()) == (2.0, "2×")  # the fastest, and no further
    w.seek(2.0)
    w.toggle_play()
    play_for(w, clock, 1.0)
    # 1 s heard at 2×: 2 s of the recording (less what the stretcher still holds, ≤ 30 ms)
    assert w.position_s == pytest.approx(4.0, abs=0.07)
    w.toggle_play()
    clock.now += 3.0
    assert w.position_s == pytest.approx(4.0, abs=0.07)  # paused where it was heard
    combo.setCurrentIndex(combo.findData(0.5))
    assert w.player.speed == 0.5
    held = w.position_s
    w.toggle_play()
    play_for(w, clock, 1.0)
    assert w.position_s == pytest.approx(held + 0.5, abs=0.05)
    # A change while playing is heard once the queue (200 ms) has played.
    qtbot.keyClick(w, ">")
    qtbot.keyClick(w, ">")  # 1×
    held = w.position_s
    play_for(w, clock, 1.0)
    assert w.position_s == pytest.approx(held + 0.2 * 0.5 + 0.8, abs=0.06)
    qtbot.keyClick(w, "<")
    assert combo.currentText() == "0.75×"


def test_the_loop_keeps_working_at_speed(make, stereo: Path, clock: Clock) -> None:
    w = make(stereo)
    w.player.set_speed(2.0)
    w.timeline.set_selection(2.0, 3.0)
    w.transport.loop.setChecked(True)
    w.seek(2.5)
    w.toggle_play()
    seen = []
    for _ in range(100):  # 2 s heard: 4 s of audio in a 1 s loop
        play_for(w, clock, 0.02, 0.02)
        seen.append(w.position_s)
    assert min(seen) >= 2.0 - 0.01 and max(seen) <= 3.0 + 0.01
    assert sum(1 for a, b in itertools.pairwise(seen) if b < a - 0.5) >= 3  # wrapped


def test_a_b_loop(make, stereo: Path, clock: Clock, qtbot: QtBot) -> None:
    w = make(stereo)
    w.seek(2.0)
    qtbot.keyClick(w, Qt.Key.Key_BracketLeft)  # A at 2.0
    w.seek(3.0)
    qtbot.keyClick(w, Qt.Key.Key_BracketRight)  # B at 3.0
    assert w.timeline.selection == pytest.approx((2.0, 3.0))
    qtbot.keyClick(w, Qt.Key.Key_L)
    assert w.transport.loop.isChecked()
    w.seek(2.5)
    w.toggle_play()
    seen = []
    for _ in range(125):  # 2.5 s
        play_for(w, clock, 0.02, 0.02)
        seen.append(w.position_s)
    assert min(seen) >= 2.0 - 0.01 and max(seen) <= 3.0 + 0.01
    assert sum(1 for a, b in itertools.pairwise(seen) if b < a - 0.5) >= 2  # wrapped


def test_skip_silences(make, stereo: Path, clock: Clock) -> None:
    w = make(stereo)
    w.transport.skip_s.setValue(1.5)
    w.transport.skip.setChecked(True)
    delay = fx.PLAYOUT_AT - fx.STREAMING_AT
    w.seek(fx.SILENCE[0] + delay - 0.5)
    w.toggle_play()
    play_for(w, clock, 1.0)
    # 0.5 s of sound, a jump to 0.25 s before the pause ends, then 0.5 s more
    assert w.position_s == pytest.approx(fx.SILENCE[1] + delay - 0.25 + 0.5, abs=0.05)
    w.transport.skip.setChecked(False)
    w.seek(fx.SILENCE[0] + delay - 0.5)
    play_for(w, clock, 1.0)
    assert w.position_s == pytest.approx(fx.SILENCE[0] + delay + 0.5, abs=0.05)


def test_notes_round_trip(make, stereo: Path, qtbot: QtBot, tmp_path: Path) -> None:
    w = make(stereo)
    answers = iter([("Greeting missed", "compliance"), ("Customer waits", "tone"),
                    ("Customer waits long", "tone")])  # fmt: skip
    w.notes.ask_note = lambda where, text="", category="": next(answers)  # type: ignore[method-assign]
    w.seek(5.0)
    qtbot.keyClick(w, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    w.timeline.set_selection(14.0, 16.5)
    qtbot.keyClick(w, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    on_disk = AnnotationStore(stereo).items
    assert [(n.start_s, n.end_s, n.text, n.category) for n in on_disk] == [
        (5.0, 5.0, "Greeting missed", "compliance"),
        (14.0, 16.5, "Customer waits", "tone"),
    ]
    assert w.notes.table.rowCount() == 2 and w.notes.table.item(1, 0).text() == "0:14.0–0:16.5"
    assert len(w.timeline._note_items) == 1  # drawn in the marks lane
    w.notes.select_row(1)
    w.notes.edit_selected()
    assert AnnotationStore(stereo).items[1].text == "Customer waits long"
    w.notes.select_row(0)
    w.notes.delete_selected()
    assert [n.text for n in AnnotationStore(stereo)] == ["Customer waits long"]
    w.notes.ask_export_path = lambda suggested: tmp_path / "labels.txt"  # type: ignore[method-assign]
    w.notes.export("labels.txt")
    assert (
        tmp_path / "labels.txt"
    ).read_text() == "14.000000\t16.500000\t[tone] Customer waits long\n"
    w.notes._row_activated(0, 2)  # double-click: the player goes there
    assert w.position_s == pytest.approx(14.0, abs=1e-3)


def test_evaluation_round_trip_with_hand_computed_scores(make, stereo: Path) -> None:
    w = make(stereo)
    panel = w.evaluation
    assert panel.form_picker.currentText()  # a shipped form is ready
    idx = next(i for i in range(panel.form_picker.count())
               if panel.form_picker.itemText(i) == "Customer service call")  # fmt: skip
    panel.form_picker.setCurrentIndex(idx)
    panel._form_chosen(idx)
    panel.analyst.setText("Ana Q")
    # Opening (w1): greeting 1/2, verification N/A. Discovery (w2): listened 5/5, restated 3/3.
    panel.set_answer("greeting", 1.0, comment="late")
    panel.set_answer("verification", "N/A")
    panel.set_answer("listened", 5.0)
    panel.set_answer("restated", 3.0)
    s = panel.score()
    assert s is not None and s.percent == pytest.approx(100 * (1 * 1 + 2 * 8) / (1 * 2 + 2 * 8))
    assert "94.4 %" in panel.score_label.text()
    # Resolution (w3): correct answer 5/10 fails the section (fatal); hold 3/3.
    panel.set_answer("correct_answer", 5.0)
    panel.set_answer("hold_etiquette", 3.0)
    s = panel.score()
    assert s is not None and s.sections[2].failed
    assert s.percent == pytest.approx(100 * (1 + 16 + 0) / (2 + 16 + 3 * 13))
    w.seek(12.5)
    panel.stamp("correct_answer")
    path = panel.save()
    assert path is not None and path.name.startswith("evaluation-Ana_Q-")
    back = load_evaluation(path)
    assert back.answers["correct_answer"].time_s == pytest.approx(12.5, abs=1e-3)
    assert back.answers["greeting"].comment == "late"
    assert back.answers["verification"].points is None
    assert back.score().percent == pytest.approx(s.percent)
    # Verification missed fails the whole form.
    panel.set_answer("verification", 0.0)
    assert panel.score().percent == 0.0 and "FAILED" in panel.score_label.text()
    panel.analyst.setText("Bo")
    second = panel.save()
    # Calibration: the two evaluations side by side.
    shown = []
    panel.ask_two_evaluations = lambda: [path, second]  # type: ignore[method-assign]
    panel.show_comparison = lambda a, b: shown.append((a, b))  # type: ignore[method-assign]
    panel.compare()
    from cxone_desktop.ui.calibration_dialog import CalibrationDialog

    dialog = CalibrationDialog(*shown[0])
    differs = [dialog.table.item(i, 0).text() for i in range(dialog.table.rowCount())
               if dialog.table.item(i, 3).text() == "differs"]  # fmt: skip
    assert differs == ["Verified the customer's identity before discussing the account"]
    assert "Bo: 0.0 %" in dialog.summary.text()


def test_a_saved_evaluation_reopens_edits_in_place_and_stays_comparable(make, stereo: Path) -> None:
    w = make(stereo)
    panel = w.evaluation
    index = panel.form_picker.findText("Customer service call")
    panel.form_picker.setCurrentIndex(index)
    panel.form_picker.activated.emit(index)
    panel.analyst.setText("Ana")
    panel.set_answer("greeting", 2.0, comment="named herself")
    panel.set_answer("verification", "N/A")
    w.seek(12.5)
    panel.stamp("correct_answer")
    panel.set_answer("correct_answer", 10.0)
    ana = panel.save()
    assert ana is not None and "Editing " + ana.name in panel.file_label.text()
    # Later, in a fresh window: the menu lists it with its score; picking it brings it all back.
    w.close()
    w = make(stereo)
    panel = w.evaluation
    panel.saved_menu.aboutToShow.emit()
    entries = [a for a in panel.saved_menu.actions() if a.text().startswith("Ana ·")]
    assert len(entries) == 1 and "Customer service call · 100.0 %" in entries[0].text()
    entries[0].trigger()
    assert panel.evaluation is not None and panel.evaluation.path == ana
    rows = panel._rows
    assert rows["greeting"].score.currentData() == 2.0
    assert rows["greeting"].comment.text() == "named herself"
    assert rows["verification"].score.currentText() == "N/A"
    assert rows["correct_answer"].stamp.text() == "0:12"  # as stamped
    assert rows["listened"].score.currentData() is None  # still open
    assert panel.form_picker.currentText().endswith("(as saved)")
    assert panel.analyst.text() == "Ana"
    # Edited by Ana: the same file, rewritten.
    panel.set_answer("correct_answer", 5.0)  # fatal for its section
    assert panel.save() == ana
    assert sorted(stereo.glob("evaluation-*.json")) == [ana]
    back = load_evaluation(ana)
    assert back.answers["correct_answer"].points == 5.0
    assert back.answers["correct_answer"].time_s == pytest.approx(12.5, abs=1e-3)
    assert back.answers["greeting"].comment == "named herself"
    # Saved under another name: a new evaluation, Ana's untouched; the two compare.
    panel.analyst.setText("Bo")
    assert "makes a new evaluation by Bo" in panel.file_label.text()
    panel.set_answer("correct_answer", 10.0)
    bo = panel.save()
    assert bo is not None and bo != ana and bo.name.startswith("evaluation-Bo-")
    assert load_evaluation(ana).answers["correct_answer"].points == 5.0
    shown = []
    panel.ask_two_evaluations = lambda: [ana, bo]  # type: ignore[method-assign]
    panel.show_comparison = lambda a, b: shown.append((a, b))  # type: ignore[method-assign]
    panel.compare()
    from cxone_desktop.review.evaluation import agreement, compare

    rows_ab = compare(*shown[0])
    assert [r.question_id for r in rows_ab if not r.agree] == ["correct_answer"]
    assert agreement(rows_ab) == pytest.approx(100 * 2 / 3)  # 3 answered by both (N/A counts)
    # Picking a shipped form again starts a fresh evaluation.
    index = panel.form_picker.findText("Customer service call")
    panel.form_picker.setCurrentIndex(index)
    panel.form_picker.activated.emit(index)
    assert panel.evaluation.path is None and panel._rows["greeting"].score.currentData() is None


def test_export_report_from_the_window(make, mono: Path, tmp_path: Path) -> None:
    w = make(mono)
    assert w.timeline.lane_names == ["audio"]
    assert [s.objectName() for s in w.transport.volumes] == ["volume_volume"]
    w.ask_save_path = lambda suggested: tmp_path / "out.html"  # type: ignore[method-assign]
    path = w.export_report()
    assert path == tmp_path / "out.html" and "Call call-77 — review report" in path.read_text()


def test_unreadable_folder_is_refused_with_a_reason(qtbot: QtBot, tmp_path: Path) -> None:
    with pytest.raises(SessionReadError, match="no recording to review"):
        open_review_window(tmp_path)


def test_problems_show_in_the_banner(make, tmp_path: Path) -> None:
    folder = build_session(tmp_path, finished=False, gaps_in="none")
    w = make(folder)
    assert w.banner.isVisibleTo(w)
    assert "finish" in w.banner.title_label.text() or "cut short" in w.banner.title_label.text()


def test_main_window_opens_a_review_beside_the_live_view(
    qtbot: QtBot, settings, stereo: Path, tmp_path: Path, no_keyring: None
) -> None:
    from cxone_desktop.ui.main_window import MainWindow

    main = MainWindow(settings=settings, out_dir=tmp_path / "rec")
    qtbot.addWidget(main)
    assert main.review_action.shortcut().toString() == "Ctrl+O"
    review = main.folders.open_review(stereo)
    assert isinstance(review, ReviewWindow) and review.isVisible()
    assert review.player is not main.playout  # a sink of its own
    assert main.folders.open_review(tmp_path / "missing") is None
    assert "not a folder" in main.banner.title_label.text()
    main.close()
    assert not review.isVisible()  # closing the app closes its reviews
    assert not math.isnan(review.timeline.duration)
    assert json.loads((stereo / "summary.json").read_text())["reconnects"] == 2  # untouched


def test_player_stays_silent_when_a_second_sink_would_be_unsafe(make, stereo: Path) -> None:
    from cxone_desktop.ui.review_player import UNSAFE_TEXT

    w = make(stereo)
    w.player.set_may_open_device(lambda: False)  # the live sink saw the sound server die
    w.toggle_play()
    assert w.player.playing and not w.player.audible
    assert w.transport.status.text() == UNSAFE_TEXT


def test_gui_open_and_a_folder_argument_parse() -> None:
    from cxone_desktop.cli import _insert_gui
    from cxone_desktop.cli_parser import build_parser

    args = build_parser().parse_args(["gui", "--open", "/calls/a"])
    assert args.open == "/calls/a"
    args = build_parser().parse_args(_insert_gui(["/calls/b"]))
    assert args.command == "gui" and args.session == "/calls/b"


def test_gui_open_starts_the_app_with_the_review_window(stereo: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent"}  # fmt: skip
    script = (
        "import sys; from cxone_desktop.ui import review_window as rw\n"
        "opened = rw.open_review_window\n"
        "def spy(*a, **k):\n"
        "    w = opened(*a, **k); print('OPEN', w.data.recording.call_id, w.isVisible(),"
        " flush=True); return w\n"
        "rw.open_review_window = spy\n"
        "from cxone_desktop.cli import main\n"
        f"sys.exit(main(['gui', '--open', {str(stereo)!r}, '--quit-after', '2']))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "OPEN call-77 True" in run.stdout, run.stdout + run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
