"""Claims as a lazily loaded table (DESIGN.md §2.8): `ClaimService.search` newest first, one
page at a time, filtered by status, method and typed text in SQL."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.services.claims import ClaimRow, ClaimService
from app.ui.table_models.lazy import LazyTableModel
from app.ui.tabs.claims import (
    STATUS_COLOURS,
    date_text,
    frequency_text,
    method_text,
    status_text,
)
from app.ui.tabs.coding import RIGHT, money_text

PAGE_SIZE = 100
COLUMNS = ("Claim", "Patient", "MRN", "Payer", "DOS", "Total", "Status", "Method", "Frequency")
TOTAL_COLUMN = 5
STATUS_COLUMN = 6

Index = QModelIndex | QPersistentModelIndex


def cell_text(row: ClaimRow, column: int) -> str:
    values = (row.number, row.patient_name, row.mrn, row.payer_name, date_text(row.dos),
              money_text(row.total), status_text(row.status), method_text(row.method),
              frequency_text(row.frequency))
    return values[column]


class ClaimTableModel(LazyTableModel[ClaimRow]):
    """Pages of `ClaimService.search(status, method, text)`; never loads every claim."""

    columns = COLUMNS

    def __init__(self, claims: ClaimService, page_size: int = PAGE_SIZE) -> None:
        super().__init__(page_size)
        self._claims = claims
        self.status: str | None = None
        self.method: str | None = None
        self.text = ""

    def set_filter(self, status: str | None, method: str | None, text: str) -> None:
        """Re-count for the filter and load the first page (a few ms: GUI thread)."""
        self.status, self.method, self.text = status or None, method or None, text
        self.refresh()

    def _count(self) -> int:
        return self._claims.count(self.status, self.method, self.text)

    def _next_page(self) -> tuple[list[ClaimRow], bool]:
        page = self._claims.search(self.status, self.method, self.text, len(self._rows),
                                   self.page_size)
        held = len(self._rows) + len(page)
        return page, len(page) < self.page_size or held >= self.total

    def row_of(self, claim_id: int) -> int:
        """The row showing a claim among those loaded, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.id == claim_id), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == TOTAL_COLUMN:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS_COLUMN:
            return QBrush(QColor(STATUS_COLOURS.get(row.status, "#000000")))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.lines} line{'s' if row.lines != 1 else ''}"
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None
