"""Score the call beside the player: pick a form, answer, comment, stamp, save, reopen, compare.

One row per question: a score picker (its choices, N/A where allowed, or "—"
for not yet answered), a comment, and a button that stamps the answer with the
playhead's time. The score line updates on every change with the documented
formula (`review.evaluation`). Save writes `evaluation-<analyst>-<UTC>.json`.
"Open saved" brings an evaluation of this call back to edit: saving it again
rewrites that file, unless the analyst's name was changed, which makes it a new
evaluation of that analyst's and leaves the first as it was (`Evaluation.save`).
"""

from __future__ import annotations

import getpass
import math
from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.errors import ReviewError
from cxone_desktop.review.evaluation import Evaluation, FormScore, load_evaluation
from cxone_desktop.review.evaluation_form import EvaluationForm, Question, load_form, shipped_forms
from cxone_desktop.review.report_charts import clock

NA = "N/A"
OPEN = "—"
OTHER_FORM = "Open a form file…"
OTHER_EVALUATION = "Another evaluation file…"
#: Item data of a form that came embedded in a reopened evaluation (no file of its own).
_EMBEDDED = "embedded:"


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
        self._embedded: dict[str, EvaluationForm] = {}
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
        self.analyst.textChanged.connect(lambda _t: self._show_file())
        self.file_label = QLabel()
        self.file_label.setObjectName("evaluation_file")
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.score_label = QLabel("Pick a form to start.")
        self.score_label.setObjectName("score_label")
        self.score_label.setWordWrap(True)
        self.save_button = QPushButton("Save evaluation")
        self.save_button.clicked.connect(self.save)
        self.open_button = QPushButton("Open saved")
        self.open_button.setObjectName("open_evaluation")
        self.open_button.setToolTip("Reopen an evaluation of this call to review or edit it")
        self.saved_menu = QMenu(self.open_button)
        self.saved_menu.aboutToShow.connect(self._fill_saved_menu)
        self.open_button.setMenu(self.saved_menu)
        self.compare_button = QPushButton("Compare two…")
        self.compare_button.setToolTip("Calibration: two evaluations of this call side by side")
        self.compare_button.clicked.connect(self.compare)
        head = QFormLayout()
        head.addRow("Form", self.form_picker)
        head.addRow("Analyst", self.analyst)
        head.addRow("", self.file_label)
        self.questions = QWidget()
        self.questions_layout = QVBoxLayout(self.questions)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.questions)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.open_button)
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

    def ask_evaluation_file(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open an evaluation", str(self.folder), "Evaluations (evaluation-*.json)"
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
        self._show_file()

    def open_evaluation(self, path: Path) -> bool:
        """Bring a saved evaluation back to edit (its own form, answers, comments, stamps)."""
        try:
            ev = load_evaluation(path)
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return False
        self._loading = True
        try:
            self.evaluation = ev
            self._select_form(ev.form)
            self._build(ev.form)
            for qid, answer in ev.answers.items():
                row = self._rows[qid]
                row.score.setCurrentIndex(row.score.findData(NA if answer.is_na else answer.points))
                row.comment.setText(answer.comment)
                row.time_s = answer.time_s
                if answer.time_s is not None:
                    row.stamp.setText(clock(answer.time_s))
            self.analyst.setText(ev.analyst)
        finally:
            self._loading = False
        self._update_score()
        self._show_file()
        return True

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
        if self.evaluation.path is not None and analyst != self.evaluation.analyst:
            self.evaluation = self.evaluation.reassigned(analyst)  # theirs, not an overwrite
        self.evaluation.analyst = analyst
        try:
            path = self.evaluation.save(self.folder)
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return None
        self._show_file()
        self.saved.emit(path)
        return path

    def compare(self) -> None:
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
        if isinstance(data, str) and data.startswith(_EMBEDDED):
            self.start(self._embedded[data])
            return
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

    def _select_form(self, form: EvaluationForm) -> None:
        """Show a reopened evaluation's form in the picker (it came inside the file)."""
        key = _EMBEDDED + form.id
        if key not in self._embedded:
            self._embedded[key] = form
            self.form_picker.insertItem(0, f"{form.title} (as saved)", key)
        self._embedded[key] = form
        self.form_picker.setCurrentIndex(self.form_picker.findData(key))

    def _fill_saved_menu(self) -> None:
        self.saved_menu.clear()
        files = sorted(self.folder.glob("evaluation-*.json"))
        for path in files:
            try:
                ev = load_evaluation(path)
            except ReviewError:
                act = self.saved_menu.addAction(f"{path.name} (unreadable)")
                act.setEnabled(False)
                continue
            pct = ev.score().percent
            score = "—" if math.isnan(pct) else f"{pct:.1f} %"
            when = (ev.updated_utc or ev.created_utc)[:16].replace("T", " ")
            act = self.saved_menu.addAction(f"{ev.analyst} · {ev.form.title} · {score} · {when}")
            act.setToolTip(path.name)
            act.triggered.connect(lambda _c=False, p=path: self.open_evaluation(p))
        if not files:
            self.saved_menu.addAction("No saved evaluations of this call yet").setEnabled(False)
        self.saved_menu.addSeparator()
        other: QAction = self.saved_menu.addAction(OTHER_EVALUATION)
        other.triggered.connect(self._open_other)

    def _open_other(self) -> None:
        path = self.ask_evaluation_file()
        if path is not None:
            self.open_evaluation(path)

    def _show_file(self) -> None:
        ev = self.evaluation
        if ev is None:
            self.file_label.setText("")
        elif ev.path is None:
            self.file_label.setText("<small>New evaluation: Save writes a new file.</small>")
        elif self.analyst.text().strip() != ev.analyst:
            self.file_label.setText(
                f"<small>Saved as {escape(ev.path.name)} by {escape(ev.analyst)}; Save now "
                f"makes a new evaluation by {escape(self.analyst.text().strip()) or '…'} "
                "and leaves that one as it is.</small>"
            )
        else:
            self.file_label.setText(
                f"<small>Editing {escape(ev.path.name)}: Save updates it.</small>"
            )

    def _stamp(self, row: _QuestionRow) -> None:
        row.time_s = float(self._playhead())
        row.stamp.setText(clock(row.time_s))
        self._changed(row)

    def _changed(self, row: _QuestionRow) -> None:
        if self.evaluation is None or self._loading:
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
