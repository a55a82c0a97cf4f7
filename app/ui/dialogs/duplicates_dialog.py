"""Possible duplicates found while registering: open the existing record, save a new one
anyway, or go back to the form. Open it with `open()`; the choice comes back as a signal."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.patients import PatientRow
from app.ui.table_models.patient_table_model import COLUMNS, NAME_COLUMN, cell_text

INTRO = ("These patients have the same date of birth and a similar name, or the same SSN. "
         "If one of them is the person in front of you, open that record instead of making a "
         "second one. Save a new patient only if this is someone else.")


class DuplicatesDialog(QDialog):
    """Lists `candidates`; emits `openRequested(patient_id)` or `saveAsNewRequested()` and
    closes, or just closes for "Back to the form"."""

    openRequested = Signal(int)
    saveAsNewRequested = Signal()

    def __init__(self, candidates: list[PatientRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Possible duplicate patients")
        self.candidates = list(candidates)
        self.table = self._make_table()
        buttons = QDialogButtonBox()
        self.open_button = buttons.addButton("Open existing",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.new_button = buttons.addButton("Save as a new patient",
                                            QDialogButtonBox.ButtonRole.ActionRole)
        self.back_button = buttons.addButton("Back to the form",
                                             QDialogButtonBox.ButtonRole.RejectRole)
        self.open_button.clicked.connect(self.open_selected)
        self.new_button.clicked.connect(self.save_as_new)
        self.back_button.clicked.connect(self.reject)
        self.table.doubleClicked.connect(self.open_selected)
        self.open_button.setDefault(True)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(760, 320)

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(len(self.candidates), len(COLUMNS))
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        for r, row in enumerate(self.candidates):
            for c in range(len(COLUMNS)):
                table.setItem(r, c, QTableWidgetItem(cell_text(row, c)))
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(NAME_COLUMN,
                                                      QHeaderView.ResizeMode.Stretch)
        if self.candidates:
            table.selectRow(0)
        return table

    def selected(self) -> PatientRow | None:
        r = self.table.currentRow()
        return self.candidates[r] if 0 <= r < len(self.candidates) else None

    def open_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.accept()
        self.openRequested.emit(row.id)

    def save_as_new(self) -> None:
        self.accept()
        self.saveAsNewRequested.emit()
