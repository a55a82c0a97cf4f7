"""The coding work queue as a lazily loaded table (DESIGN.md §2.8): uncoded encounters first,
then those needing review, then coded ones, oldest date of service first within each — the
order `CodingService.work_queue` reads in SQL, one page at a time."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.services.coding import STATUS_LABELS, CodingService, QueueRow
from app.ui.table_models.lazy import LazyTableModel
from app.ui.tabs.coding import RIGHT, money_text

PAGE_SIZE = 100
COLUMNS = ("DOS", "Patient", "MRN", "Provider", "Status", "Lines", "Charges")
PATIENT_COLUMN = 1
STATUS_COLUMN = 4
NUMBER_COLUMNS = (5, 6)
STATUS_COLOURS = {"uncoded": "#455a64", "review": "#b00020", "coded": "#1b5e20"}

Index = QModelIndex | QPersistentModelIndex


def cell_text(row: QueueRow, column: int) -> str:
    values = (f"{row.date:%m/%d/%Y}", row.patient_name, row.mrn, row.provider,
              STATUS_LABELS.get(row.status, row.status), str(row.lines) if row.lines else "",
              money_text(row.total_charge) if row.lines else "")
    return values[column]


def tooltip(row: QueueRow) -> str:
    lines = f"{row.lines} line{'s' if row.lines != 1 else ''}, {money_text(row.total_charge)}"
    return (f"{row.patient_name} ({row.mrn}) · DOS {row.date:%m/%d/%Y} · "
            f"{row.provider or 'no provider'} · {STATUS_LABELS.get(row.status, row.status)}"
            + (f" · {lines}" if row.lines else ""))


class CodingQueueTableModel(LazyTableModel[QueueRow]):
    """Pages of `CodingService.work_queue(status, text)`; never loads the whole queue."""

    columns = COLUMNS

    def __init__(self, coding: CodingService, page_size: int = PAGE_SIZE) -> None:
        super().__init__(page_size)
        self._coding = coding
        self.status: str | None = None
        self.text = ""

    def set_filter(self, status: str | None, text: str) -> None:
        """Re-count for the filter and load the first page (a few ms: GUI thread)."""
        self.status, self.text = status or None, text
        self.refresh()

    def _count(self) -> int:
        return self._coding.queue_count(self.status, self.text)

    def _next_page(self) -> tuple[list[QueueRow], bool]:
        page = self._coding.work_queue(self.status, self.text, len(self._rows), self.page_size)
        held = len(self._rows) + len(page)
        return page, len(page) < self.page_size or held >= self.total

    def row_of(self, encounter_id: int) -> int:
        """The row showing an encounter among those loaded, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.encounter_id == encounter_id),
                    -1)

    def replace_row(self, row: QueueRow) -> None:
        """Show a re-read row in place (after a save) without re-sorting the queue under
        the clerk's eyes; the next filter change or reload puts it in its queue place."""
        i = self.row_of(row.encounter_id)
        if i >= 0:
            self._rows[i] = row
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS_COLUMN:
            return QBrush(QColor(STATUS_COLOURS.get(row.status, "#000000")))
        if role == Qt.ItemDataRole.UserRole:
            return row.encounter_id
        return None


__all__ = ["COLUMNS", "PAGE_SIZE", "CodingQueueTableModel"]
