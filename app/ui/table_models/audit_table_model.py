"""The audit log as a lazily loaded table (DESIGN.md §2.8).

The model holds the filtered count and the rows fetched so far; Qt asks for more through
`canFetchMore`/`fetchMore` as the view scrolls, one page of `PAGE_SIZE` rows at a time, newest
first. Events written while the log is open shift the offsets down; rows already held are
skipped by their sequence number, so nothing shows twice and nothing is missed.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from app.services.audit import AuditFilter, AuditRow, AuditService
from app.ui.table_models.lazy import LazyTableModel

PAGE_SIZE = 200
COLUMNS = ("When", "User", "Action", "Record", "Patient ID", "Details")

Index = QModelIndex | QPersistentModelIndex


def when_text(row: AuditRow) -> str:
    return f"{row.at.astimezone():%Y-%m-%d %H:%M:%S}"


def record_text(row: AuditRow) -> str:
    if not row.entity:
        return ""
    return f"{row.entity} #{row.entity_id}" if row.entity_id else row.entity


def details_text(details: str) -> str:
    """'{"fields": ["city", "zip"]}' reads 'fields: city, zip'."""
    try:
        value = json.loads(details) if details else {}
    except ValueError:
        return details
    if not isinstance(value, dict):
        return str(value)
    parts = []
    for key, v in value.items():
        shown = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def cell_text(row: AuditRow, column: int) -> str:
    if column == 0:
        return when_text(row)
    if column == 4:
        return "" if row.patient_id is None else str(row.patient_id)
    if column == 5:
        return details_text(row.details)
    return (row.username, row.action, record_text(row))[column - 1]


class AuditTableModel(LazyTableModel[AuditRow]):
    """Pages of `AuditService.page()` for one `AuditFilter`; never loads the whole log."""

    columns = COLUMNS

    def __init__(self, audit: AuditService, page_size: int = PAGE_SIZE) -> None:
        super().__init__(page_size)
        self._audit = audit
        self.filter = AuditFilter()
        self._offset = 0

    def set_filter(self, f: AuditFilter) -> None:
        self.filter = f
        self.refresh()

    def _count(self) -> int:
        return self._audit.count(self.filter)

    def _forget(self) -> None:
        self._offset = 0

    def _next_page(self) -> tuple[list[AuditRow], bool]:
        page = self._audit.page(self.filter, self._offset, self.page_size)
        self._offset += len(page)
        last = self._rows[-1].seq if self._rows else None
        fresh = [r for r in page if last is None or r.seq < last]
        return fresh, len(page) < self.page_size

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cell_text(row, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
