"""What every lazily loaded table shares (DESIGN.md §2.8).

A subclass says how to count its rows and how to read the next page; this class holds the rows
fetched so far and answers Qt's `canFetchMore`/`fetchMore` as the view scrolls, so a table over
100,000 records loads only what has been scrolled past.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex


class LazyTableModel(QAbstractTableModel, Generic[Row]):
    columns: tuple[str, ...] = ()

    def __init__(self, page_size: int) -> None:
        super().__init__()
        self.page_size = page_size
        self.total = 0
        self._rows: list[Row] = []
        self._at_end = True

    # What a subclass provides -------------------------------------------------------------
    def _count(self) -> int:
        raise NotImplementedError

    def _next_page(self) -> tuple[list[Row], bool]:
        """The rows after those held, and whether they are the last."""
        raise NotImplementedError

    def _forget(self) -> None:
        """Drop any paging state of the subclass's own (called on every reset)."""

    # Shared ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-count and drop what is held; the first page loads at once."""
        self.beginResetModel()
        try:
            self.total = self._count()
            self._rows, self._at_end = [], self.total == 0
            self._forget()
        finally:
            self.endResetModel()
        if self.canFetchMore():
            self.fetchMore()

    def clear(self) -> None:
        """Hold nothing (e.g. when the signed-in user may no longer read these rows)."""
        self.beginResetModel()
        self.total, self._rows, self._at_end = 0, [], True
        self._forget()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._at_end

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._at_end:
            return
        page, self._at_end = self._next_page()
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    def row(self, index: int) -> Row:
        return self._rows[index]

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None
