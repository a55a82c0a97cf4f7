"""One list of the chart (problems, medications, allergies, encounters, observations or
documents) with its buttons. The list only shows rows and says what the clerk asked for;
the chart view opens the dialogs and calls the services."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class ListSpec:
    noun: str  # "problem": used on buttons and in questions
    columns: tuple[str, ...]
    cells: Callable[[Any], tuple[str, ...]]
    widths: tuple[int, ...] = ()  # all but the last column, which stretches
    right_aligned: tuple[int, ...] = ()
    edit_label: str = "Edit…"
    open_for_all: bool = False  # the edit button only opens (documents): every role has it
    deletable: bool = True
    stretch: int = -1  # the column that takes the spare width (default: the last)


def compact_rows(table: QTableWidget) -> None:
    """One line of text per row, without the style's generous default height."""
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)


class HistoryList(QWidget):
    """A table of rows with Add / Edit / Delete (shown only when `can_edit`)."""

    addRequested = Signal()
    editRequested = Signal(object)
    deleteRequested = Signal(object)

    def __init__(self, spec: ListSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.rows: list[Any] = []
        self.table = self._make_table()
        self.add_button = QPushButton(f"Add {spec.noun}…")
        self.edit_button = QPushButton(spec.edit_label)
        self.delete_button = QPushButton("Delete…")
        self.add_button.clicked.connect(self.addRequested)
        self.edit_button.clicked.connect(self._edit)
        self.delete_button.clicked.connect(self._delete)
        self.table.doubleClicked.connect(self._edit)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.delete_button):
            self.buttons.addWidget(b)
        self.buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.buttons)
        layout.addWidget(self.table)
        self.set_can_edit(True)
        self._update_buttons()

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, len(self.spec.columns))
        table.setHorizontalHeaderLabels(self.spec.columns)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        compact_rows(table)
        table.setWordWrap(False)
        for col, width in enumerate(self.spec.widths):
            table.setColumnWidth(col, width)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        stretch = self.spec.stretch % len(self.spec.columns)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        return table

    def set_can_edit(self, can_edit: bool) -> None:
        self._can_edit = can_edit
        self.add_button.setVisible(can_edit)
        self.edit_button.setVisible(can_edit or self.spec.open_for_all)
        self.delete_button.setVisible(can_edit and self.spec.deletable)

    def add_action(self, button: QPushButton) -> None:
        """Another button on this list's row (e.g. "Record vitals…" beside observations)."""
        self.buttons.insertWidget(self.buttons.count() - 1, button)

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, text in enumerate(self.spec.cells(row)):
                self.table.setItem(r, c, self._item(text, c))
        self._update_buttons()

    def _item(self, text: str, column: int) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setToolTip(text)
        if column in self.spec.right_aligned:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def selected(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def select(self, index: int) -> None:
        self.table.selectRow(index)

    def texts(self) -> list[tuple[str, ...]]:
        return [self.spec.cells(r) for r in self.rows]

    def _edit(self) -> None:
        row = self.selected()
        if row is not None and (self._can_edit or self.spec.open_for_all):
            self.editRequested.emit(row)

    def _delete(self) -> None:
        row = self.selected()
        if row is not None:
            self.deleteRequested.emit(row)

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.edit_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)
