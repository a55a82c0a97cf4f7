"""Patient search results as a lazily loaded table (DESIGN.md §2.8).

The model holds the match count and the rows fetched so far; Qt asks for more through
`canFetchMore`/`fetchMore` as the view scrolls, one page of `PAGE_SIZE` rows at a time, in the
order the service gives (last-name matches, then first-name, then preferred-name). The empty
query lists everyone in name order, still one page at a time.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from app.services.patients import SEXES, PatientRow, PatientService, mask_ssn
from app.ui.table_models.lazy import LazyTableModel
from app.ui.widgets.form import format_phone

PAGE_SIZE = 100
COLUMNS = ("MRN", "Name", "DOB", "Sex", "Phone", "City", "SSN")
NAME_COLUMN = 1

Index = QModelIndex | QPersistentModelIndex


def name_text(last: str, first: str, middle: str = "", preferred: str = "") -> str:
    """'Smith, Robert James "Bob"': legal name, then the preferred name in quotes."""
    text = f"{last}, {first}" + (f" {middle}" if middle else "")
    return text + (f' "{preferred}"' if preferred else "")


def row_name(row: PatientRow) -> str:
    return name_text(row.last_name, row.first_name, row.middle_name, row.preferred_name)


def cell_text(row: PatientRow, column: int) -> str:
    values = (row.mrn, row_name(row), f"{row.dob:%m/%d/%Y}", row.sex, format_phone(row.phone),
              row.city, mask_ssn(row.ssn_last4))
    return values[column]


class PatientTableModel(LazyTableModel[PatientRow]):
    """Pages of `PatientService.search()` for one typed query; never loads every row."""

    columns = COLUMNS

    def __init__(self, patients: PatientService, page_size: int = PAGE_SIZE) -> None:
        super().__init__(page_size)
        self._patients = patients
        self.query = ""

    def set_query(self, query: str) -> None:
        """Re-count for what was typed and load the first page (a few ms: GUI thread)."""
        self.query = query
        self.refresh()

    def _count(self) -> int:
        return self._patients.count(self.query)

    def _next_page(self) -> tuple[list[PatientRow], bool]:
        page = self._patients.search(self.query, len(self._rows), self.page_size)
        held = len(self._rows) + len(page)
        return page, len(page) < self.page_size or held >= self.total

    def row_of(self, patient_id: int) -> int:
        """The row showing a patient among those loaded, or -1."""
        return next((i for i, r in enumerate(self._rows) if r.id == patient_id), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return SEXES.get(row.sex, row.sex) if index.column() == 3 else cell_text(
                row, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None
