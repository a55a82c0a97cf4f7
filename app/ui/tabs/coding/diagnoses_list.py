"""The encounter's diagnoses in claim order, lettered A–L as on the 1500 form (box 21) and
the 837P HI segment: add through the code picker or a quick pick, remove, move up or down.

When the order changes, `moved` tells the procedure lines which letter each diagnosis now
has, so a line keeps pointing at the same diagnosis rather than at whatever took its letter.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.formats.code_edits import DIAGNOSIS_LETTERS, MAX_DIAGNOSES
from app.ui.tabs.coding import ERROR_COLOUR
from app.ui.tabs.coding.code_picker import CodePicker, PickedCode, SearchFn

COLUMNS = ("", "Code", "Description")
NOT_BILLABLE = "Not billable: a heading, pick a more specific code below it"
TABLE_HEIGHT = 124  # 4–5 rows in view; the rest scroll
FULL_TIP = f"A claim holds at most {MAX_DIAGNOSES} diagnoses (A–L); remove one to add another."


@dataclass(frozen=True)
class DiagnosisItem:
    code: str  # display form: E11.9
    description: str
    billable: bool = True


def _key(code: str) -> str:
    return code.replace(".", "").strip().upper()


class DiagnosesList(QWidget):
    """`changed` fires on every change; `moved` with {old letter: new letter or None}."""

    changed = Signal()
    moved = Signal(object)

    def __init__(self, search: SearchFn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self.items: list[DiagnosisItem] = []
        self.read_only = False
        self.picker: CodePicker | None = None
        self._build()
        self._refresh()

    def _build(self) -> None:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.setFixedHeight(TABLE_HEIGHT)
        header = self.table.horizontalHeader()
        header.resizeSection(0, 24)
        header.resizeSection(1, 72)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._enable)
        self.add_button = QPushButton("Add diagnosis…")
        self.add_button.clicked.connect(self.open_picker)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button = QPushButton("Up")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton("Down")
        self.down_button.clicked.connect(lambda: self.move_selected(+1))
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    # --- state ---------------------------------------------------------------------------------
    def set_items(self, items: list[DiagnosisItem]) -> None:
        """Show an encounter's saved diagnoses (no `changed`)."""
        self.items = list(items)
        self._refresh()

    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items)

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            b.setVisible(not read_only)

    def is_full(self) -> bool:
        return len(self.items) >= MAX_DIAGNOSES

    # --- changes -------------------------------------------------------------------------------
    def add(self, item: DiagnosisItem) -> bool:
        """Append a diagnosis (refused when listed already or when A–L are all used)."""
        if self.read_only:
            return False
        at = next((n for n, i in enumerate(self.items) if _key(i.code) == _key(item.code)), -1)
        if at >= 0:
            QMessageBox.information(self, "Diagnosis already listed",
                                    f"{item.code} is already diagnosis {DIAGNOSIS_LETTERS[at]}.")
            return False
        if self.is_full():
            QMessageBox.information(self, "Twelve diagnoses", FULL_TIP)
            return False
        self.items.append(item)
        self._refresh(select=len(self.items) - 1)
        self.changed.emit()
        return True

    def add_picked(self, hit: PickedCode) -> None:
        self.add(DiagnosisItem(hit.code, hit.description, hit.billable))

    def open_picker(self) -> None:
        """The code picker; it stays open so several diagnoses can be added in a row."""
        self.picker = CodePicker("Add a diagnosis (ICD-10-CM)", self._search, keep_open=True,
                                 hint="A code (E11.9, e119) or words (diabetes kidney)",
                                 parent=self)
        self.picker.picked.connect(self.add_picked)
        self.picker.open()

    def remove_selected(self) -> None:
        row = self._selected()
        if row < 0 or self.read_only:
            return
        del self.items[row]
        self._letters_moved(list(range(len(self.items) + 1)), removed=row)
        self._refresh(select=min(row, len(self.items) - 1))
        self.changed.emit()

    def move_selected(self, step: int) -> None:
        row = self._selected()
        to = row + step
        if row < 0 or not 0 <= to < len(self.items) or self.read_only:
            return
        self.items[row], self.items[to] = self.items[to], self.items[row]
        order = list(range(len(self.items)))
        order[row], order[to] = to, row
        self._letters_moved(order)
        self._refresh(select=to)
        self.changed.emit()

    def _letters_moved(self, new_index: list[int], removed: int = -1) -> None:
        """Emit {old letter: new letter} (None for the removed one)."""
        mapping: dict[str, str | None] = {}
        for old, new in enumerate(new_index):
            if old == removed:
                mapping[DIAGNOSIS_LETTERS[old]] = None
            else:
                shifted = new - 1 if removed >= 0 and old > removed else new
                mapping[DIAGNOSIS_LETTERS[old]] = DIAGNOSIS_LETTERS[shifted]
        self.moved.emit(mapping)

    # --- showing -------------------------------------------------------------------------------
    def _selected(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def _refresh(self, select: int = -1) -> None:
        self.table.setRowCount(len(self.items))
        for n, item in enumerate(self.items):
            cells = (DIAGNOSIS_LETTERS[n], item.code,
                     item.description if item.billable else f"⚠ {item.description}")
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text if item.billable else f"{NOT_BILLABLE}. {item.description}")
                if not item.billable:
                    cell.setForeground(QBrush(QColor(ERROR_COLOUR)))
                if column == 0:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(n, column, cell)
        if select >= 0:
            self.table.selectRow(select)
        self._enable()

    def _enable(self) -> None:
        row = self._selected()
        full = self.is_full()
        self.add_button.setEnabled(not full)
        self.add_button.setToolTip(FULL_TIP if full else
                                   "Search ICD-10-CM and add a diagnosis after the last one.")
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < len(self.items) - 1)
