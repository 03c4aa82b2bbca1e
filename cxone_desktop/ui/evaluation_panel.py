"""Score the call beside the player: pick a form, answer, comment, stamp, save, compare.

One row per question: a score picker (its choices, N/A where allowed, or "—"
for not yet answered), a comment, and a button that stamps the answer with the
playhead's time. The score line updates on every change with the documented
formula (`review.evaluation`). Save writes `evaluation-<analyst>-<UTC>.json`.
"""

from __future__ import annotations

import getpass
import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.errors import ReviewError
from cxone_desktop.review.evaluation import Evaluation, FormScore
from cxone_desktop.review.evaluation_form import EvaluationForm, Question, load_form, shipped_forms
from cxone_desktop.review.report_charts import clock

NA = "N/A"
OPEN = "—"
OTHER_FORM = "Open a form file…"


class _QuestionRow:
    def __init__(self, q: Question) -> None:
        self.question = q
        self.score = QComboBox()
        self.score.addItem(OPEN, None)
        for c in q.choices:
            self.score.addItem(f"{c:g} / {q.points:g}", c)
        if q.na_allowed:
            self.score.addItem(NA, NA)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("comment")
        self.stamp = QToolButton()
        self.stamp.setText("Stamp")
        self.stamp.setToolTip("Stamp this answer with the playhead's time")
        self.time_s: float | None = None


class EvaluationPanel(QWidget):
    #: (headline, remedy) of something that went wrong.
    problem = Signal(str, str)
    saved = Signal(Path)

    def __init__(
        self,
        folder: Path,
        call_id: str,
        playhead: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.folder = folder
        self.call_id = call_id
        self._playhead = playhead
        self.evaluation: Evaluation | None = None
        self._rows: dict[str, _QuestionRow] = {}
        self._loading = False
        self.form_picker = QComboBox()
        self.form_picker.setObjectName("form_picker")
        self._forms: list[Path] = shipped_forms()
        for path in self._forms:
            try:
                self.form_picker.addItem(load_form(path).title, str(path))
            except ReviewError:
                continue
        self.form_picker.addItem(OTHER_FORM, None)
        self.form_picker.activated.connect(self._form_chosen)
        self.analyst = QLineEdit(_user_name())
        self.analyst.setObjectName("analyst")
        self.score_label = QLabel("Pick a form to start.")
        self.score_label.setObjectName("score_label")
        self.score_label.setWordWrap(True)
        self.save_button = QPushButton("Save evaluation")
        self.save_button.clicked.connect(self.save)
        self.compare_button = QPushButton("Compare two…")
        self.compare_button.setToolTip("Calibration: two evaluations of this call side by side")
        self.compare_button.clicked.connect(self.compare)
        head = QFormLayout()
        head.addRow("Form", self.form_picker)
        head.addRow("Analyst", self.analyst)
        self.questions = QWidget()
        self.questions_layout = QVBoxLayout(self.questions)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.questions)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.compare_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.score_label)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        if self._forms:
            self.start(load_form(self._forms[self.form_picker.currentIndex()]))

    # ---- dialogs (tests replace these) -------------------------------------------------------
    def ask_form_file(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Evaluation form", str(self.folder), "Forms (*.toml *.json)"
        )
        return Path(path) if path else None

    def ask_two_evaluations(self) -> list[Path]:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Two evaluations to compare", str(self.folder), "Evaluations (evaluation-*.json)"
        )
        return [Path(p) for p in paths]

    def show_comparison(self, a: Evaluation, b: Evaluation) -> None:
        from cxone_desktop.ui.calibration_dialog import CalibrationDialog

        CalibrationDialog(a, b, self).exec()

    # ---- public face -------------------------------------------------------------------------
    def start(self, form: EvaluationForm) -> None:
        """A fresh evaluation with `form`."""
        self.evaluation = Evaluation(form, self.analyst.text().strip(), call_id=self.call_id,
                                     session=self.folder.name)  # fmt: skip
        self._build(form)
        self._update_score()

    def set_answer(self, question_id: str, points: float | str | None, comment: str = "") -> None:
        """Answer as the widgets would (`points` None = unanswered, "N/A" = not applicable)."""
        row = self._rows[question_id]
        index = row.score.findData(points)
        if index < 0:
            raise ValueError(f"{points!r} is not a choice of {question_id}")
        row.score.setCurrentIndex(index)
        if comment:
            row.comment.setText(comment)
            row.comment.editingFinished.emit()

    def stamp(self, question_id: str) -> None:
        self._rows[question_id].stamp.click()

    def score(self) -> FormScore | None:
        return self.evaluation.score() if self.evaluation else None

    def save(self) -> Path | None:
        if self.evaluation is None:
            return None
        analyst = self.analyst.text().strip()
        if not analyst:
            self.problem.emit("Type your name as the analyst before saving.", "")
            return None
        self.evaluation.analyst = analyst
        try:
            path = self.evaluation.save(self.folder)
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return None
        self.saved.emit(path)
        return path

    def compare(self) -> None:
        from cxone_desktop.review.evaluation import load_evaluation

        paths = self.ask_two_evaluations()
        if len(paths) != 2:
            if paths:
                self.problem.emit("Pick exactly two evaluation files to compare.", "")
            return
        try:
            a, b = (load_evaluation(p) for p in paths)
            if a.form.id != b.form.id:
                raise ReviewError(
                    f"{paths[0].name} and {paths[1].name} use different forms",
                    remedy="Compare two evaluations made with the same form.",
                )
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return
        self.show_comparison(a, b)

    # ---- internals ---------------------------------------------------------------------------
    def _form_chosen(self, index: int) -> None:
        data = self.form_picker.itemData(index)
        path = Path(data) if data else self.ask_form_file()
        if path is None:
            return
        try:
            form = load_form(path)
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return
        if not data:
            self.form_picker.insertItem(index, form.title, str(path))
            self.form_picker.setCurrentIndex(index)
        self.start(form)

    def _build(self, form: EvaluationForm) -> None:
        while self.questions_layout.count():
            item = self.questions_layout.takeAt(0)
            old = item.widget()
            if old is not None:
                old.hide()  # gone now, not at the next turn of the event loop
                old.setParent(None)
                old.deleteLater()
        self._rows.clear()
        for section in form.sections:
            box = QGroupBox(f"{section.title}  (weight {section.weight:g})")
            grid = QGridLayout(box)
            for i, q in enumerate(section.questions):
                row = _QuestionRow(q)
                fatal = {"section": " — fails the section", "form": " — fails the form"}
                text = QLabel(q.text + (f"<b style='color:#b91c1c'>{fatal[q.fatal]}</b>"
                                        if q.fatal else ""))  # fmt: skip
                text.setWordWrap(True)
                grid.addWidget(text, 2 * i, 0, 1, 3)
                grid.addWidget(row.score, 2 * i + 1, 0)
                grid.addWidget(row.comment, 2 * i + 1, 1)
                grid.addWidget(row.stamp, 2 * i + 1, 2)
                row.score.currentIndexChanged.connect(lambda _i, r=row: self._changed(r))
                row.comment.editingFinished.connect(lambda r=row: self._changed(r))
                row.stamp.clicked.connect(lambda _c=False, r=row: self._stamp(r))
                self._rows[q.id] = row
            self.questions_layout.addWidget(box)
        self.questions_layout.addStretch(1)

    def _stamp(self, row: _QuestionRow) -> None:
        row.time_s = float(self._playhead())
        row.stamp.setText(clock(row.time_s))
        self._changed(row)

    def _changed(self, row: _QuestionRow) -> None:
        if self.evaluation is None:
            return
        data = row.score.currentData()
        qid = row.question.id
        if data is None:
            self.evaluation.clear(qid)
        else:
            points = None if data == NA else float(data)
            self.evaluation.answer(qid, points, comment=row.comment.text(), time_s=row.time_s)
        self._update_score()

    def _update_score(self) -> None:
        s = self.score()
        if s is None:
            return
        if s.form_failed:
            head = "<b style='color:#b91c1c'>FAILED</b>: a question that fails the form was missed"
        elif math.isnan(s.percent):
            head = "Score: — (nothing answered yet)"
        else:
            head = f"Score: <b>{s.percent:.1f} %</b>"
        parts = []
        for x in s.sections:
            pct = "—" if math.isnan(x.percent) else f"{x.percent:.0f} %"
            parts.append(f"{x.title} {pct}" + (" (failed)" if x.failed else ""))
        open_n = sum(x.unanswered for x in s.sections)
        tail = f" · {open_n} open" if open_n else " · complete"
        self.score_label.setText(f"{head}{tail}<br><small>{' · '.join(parts)}</small>")


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
