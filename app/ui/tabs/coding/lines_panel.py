"""The procedure lines table with its buttons (add through the code picker, change a line's
code, remove a line) and the encounter's total charge under it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui.tabs.coding import money_text
from app.ui.tabs.coding.code_picker import CodePicker, PickedCode, SearchFn
from app.ui.tabs.coding.lines_table import (
    CODE,
    COLUMNS,
    DESCRIPTION,
    LineDelegate,
    LinesTableModel,
    LineState,
)

# Column widths that fit 1280 px with the queue beside; the description takes what is left.
WIDTHS = (26, 64, 150, 72, 48, 62, 112, 70, 62, 84)
TABLE_HEIGHT = 128  # 4 lines in view
PICKER_HINT = "A code (99213, J1100) or words (office visit, injection)"


class LinesPanel(QWidget):
    """`changed` fires on every change a clerk makes to the lines."""

    changed = Signal()

    def __init__(self, search: Callable[[], SearchFn], diagnoses: Callable[[], int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search  # made per encounter: codes in force on its date of service
        self._diagnoses = diagnoses  # how many diagnoses there are now (default pointer)
        self.model = LinesTableModel()
        self.model.edited.connect(self._edited)
        self.picker: CodePicker | None = None
        self._build()
        self._edited_quietly()

    def _build(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(LineDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setWordWrap(False)
        self.table.setFixedHeight(TABLE_HEIGHT)
        header = self.table.horizontalHeader()
        for column, width in enumerate(WIDTHS):
            header.resizeSection(column, width)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(24)
        # activated: Enter or a double click; on the code column it opens the picker
        self.table.activated.connect(self._activated)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.add_button = QPushButton("Add procedure…")
        self.add_button.clicked.connect(lambda: self.open_picker())  # not clicked's `checked`
        self.code_button = QPushButton("Change code…")
        self.code_button.clicked.connect(lambda: self.open_picker(self.selected_row()))
        self.remove_button = QPushButton("Remove line")
        self.remove_button.clicked.connect(self.remove_selected)
        self.total_label = QLabel()
        self.total_label.setAlignment(Qt.AlignmentFlag.AlignRight
                                      | Qt.AlignmentFlag.AlignVCenter)
        bar = QHBoxLayout()
        for b in (self.add_button, self.code_button, self.remove_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.total_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(bar)

    # --- state ---------------------------------------------------------------------------------
    def set_lines(self, lines: list[LineState]) -> None:
        self.model.set_lines(lines)
        self._edited_quietly()

    def set_read_only(self, read_only: bool) -> None:
        self.model.read_only = read_only
        for b in (self.add_button, self.code_button, self.remove_button):
            b.setVisible(not read_only)

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    # --- changes -------------------------------------------------------------------------------
    def add_picked(self, hit: PickedCode) -> None:
        """A new line for the code: 1 unit, pointing at diagnosis A when there is one."""
        if self.model.read_only:
            return
        pointer = "A" if self._diagnoses() else ""
        self.model.append(LineState(hit.code, hit.description, hit.is_drug, pointers=pointer))
        self.table.selectRow(len(self.model.lines) - 1)

    def open_picker(self, row: int = -1) -> None:
        """The code picker: adds a line, or with `row` changes that line's code."""
        if self.model.read_only:
            return
        title = f"Change the code of line {row + 1}" if row >= 0 else "Add a procedure"
        self.picker = CodePicker(title, self._search(), hint=PICKER_HINT, parent=self)
        if row >= 0:
            self.picker.picked.connect(
                lambda hit: self.model.set_code(row, hit.code, hit.description, hit.is_drug))
        else:
            self.picker.picked.connect(self.add_picked)
        self.picker.open()

    def remove_selected(self) -> None:
        row = self.selected_row()
        if row >= 0 and not self.model.read_only:
            self.model.remove(row)
            if self.model.lines:
                self.table.selectRow(min(row, len(self.model.lines) - 1))

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid() and index.column() == CODE:
            self.open_picker(index.row())

    def _edited(self) -> None:
        self._edited_quietly()
        self.changed.emit()

    def _edited_quietly(self) -> None:
        self.refresh_total()
        self._enable()

    def refresh_total(self) -> None:
        pending = any(ln.shown_charge() is None for ln in self.model.lines)
        n = len(self.model.lines)
        self.total_label.setText(
            f"{n} line{'s' if n != 1 else ''} · Total charges: "
            f"{money_text(self.model.total())}" + (" (pricing…)" if pending else ""))

    def _enable(self) -> None:
        has_row = self.selected_row() >= 0
        self.code_button.setEnabled(has_row)
        self.remove_button.setEnabled(has_row)


__all__ = ["COLUMNS", "LinesPanel"]
