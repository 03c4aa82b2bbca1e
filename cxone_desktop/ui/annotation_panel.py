"""The notes beside the review timeline: add (Ctrl+B in the window), edit, delete, export.

Every change is saved at once by the `AnnotationStore` (annotations.json, atomic).
Double-clicking a note seeks the player to it. Dialogs are methods (`ask_note`,
`ask_export_path`) so tests can answer them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cxone_desktop.errors import ReviewError
from cxone_desktop.review.annotations import (
    CATEGORIES,
    Annotation,
    AnnotationStore,
    export_annotations,
)
from cxone_desktop.review.report_charts import clock


class NoteDialog(QDialog):
    """Text and category of a note."""

    def __init__(self, parent: QWidget | None, where: str, text: str = "", category: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Note")
        self.text = QLineEdit(text)
        self.text.setPlaceholderText("What happened here")
        self.category = QComboBox()
        self.category.setEditable(True)
        self.category.addItems(["", *CATEGORIES])
        self.category.setCurrentText(category)
        form = QFormLayout(self)
        form.addRow("At", QLabel(where))
        form.addRow("Note", self.text)
        form.addRow("Category", self.category)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class AnnotationPanel(QWidget):
    seek_requested = Signal(float)
    notes_changed = Signal(list)
    #: Something could not be saved or read: (headline, what to do).
    problem = Signal(str, str)

    def __init__(self, store: AnnotationStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("notes_table")
        self.table.setHorizontalHeaderLabels(["At", "Category", "Note"])
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.cellDoubleClicked.connect(self._row_activated)
        self.edit_button = QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        self.export_labels_button = QPushButton("Export labels.txt…")
        self.export_labels_button.setToolTip("An Audacity label track (File → Import → Labels)")
        self.export_csv_button = QPushButton("Export CSV…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_labels_button.clicked.connect(lambda: self.export("labels.txt"))
        self.export_csv_button.clicked.connect(lambda: self.export("notes.csv"))
        buttons = QHBoxLayout()
        for b in (self.edit_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        for b in (self.export_labels_button, self.export_csv_button):
            buttons.addWidget(b)
        hint = QLabel("Ctrl+B adds a note at the playhead, or over the selection (Shift+drag).")
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#64748b")
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._reload()

    # ---- dialogs (tests replace these) ---------------------------------------------------------
    def ask_note(self, where: str, text: str = "", category: str = "") -> tuple[str, str] | None:
        dialog = NoteDialog(self, where, text, category)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.text.text(), dialog.category.currentText()

    def ask_export_path(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self, "Export notes", str(suggested))
        return Path(path) if path else None

    # ---- actions -------------------------------------------------------------------------------
    def add_note(self, start_s: float, end_s: float | None = None) -> Annotation | None:
        where = clock_range(start_s, end_s)
        answer = self.ask_note(where)
        if answer is None or not answer[0].strip():
            return None
        try:
            note = self.store.add(start_s, end_s, answer[0], answer[1])
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return None
        self._reload(select=note.id)
        return note

    def edit_selected(self) -> Annotation | None:
        note = self.selected_note()
        if note is None:
            return None
        answer = self.ask_note(clock_range(note.start_s, note.end_s), note.text, note.category)
        if answer is None or not answer[0].strip():
            return None
        try:
            changed = self.store.update(note.id, text=answer[0], category=answer[1])
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return None
        self._reload(select=changed.id)
        return changed

    def delete_selected(self) -> None:
        note = self.selected_note()
        if note is None:
            return
        try:
            self.store.delete(note.id)
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return
        self._reload()

    def export(self, name: str) -> Path | None:
        dest = self.ask_export_path(self.store.path.parent / name)
        if dest is None:
            return None
        try:
            return export_annotations(self.store.items, dest)
        except ReviewError as exc:
            self.problem.emit(exc.message, exc.remedy)
            return None

    def selected_note(self) -> Annotation | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        note_id = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        try:
            return self.store.get(str(note_id))
        except KeyError:
            return None

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    # ---- internals -----------------------------------------------------------------------------
    def _reload(self, select: str | None = None) -> None:
        notes = self.store.items
        self.table.setRowCount(len(notes))
        for row, n in enumerate(notes):
            at = QTableWidgetItem(clock_range(n.start_s, n.end_s if n.is_span else None))
            at.setData(Qt.ItemDataRole.UserRole, n.id)
            self.table.setItem(row, 0, at)
            self.table.setItem(row, 1, QTableWidgetItem(n.category))
            self.table.setItem(row, 2, QTableWidgetItem(n.text))
            if n.id == select:
                self.table.selectRow(row)
        self.notes_changed.emit(notes)

    def _row_activated(self, row: int, _column: int) -> None:
        self.table.selectRow(row)
        note = self.selected_note()
        if note is not None:
            self.seek_requested.emit(note.start_s)


def clock_range(start_s: float, end_s: float | None) -> str:
    """`m:ss.s` or `m:ss.s–m:ss.s`."""

    def fine(t: float) -> str:
        tenths = int(max(0.0, t) * 10 + 1e-6)
        return f"{clock(tenths // 10)}.{tenths % 10}"

    return fine(start_s) if end_s is None or end_s <= start_s else f"{fine(start_s)}–{fine(end_s)}"
