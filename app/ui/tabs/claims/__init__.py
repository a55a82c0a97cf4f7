"""The Claims tab's pages and dialogs (app.ui.tabs.claims_tab assembles them) and the small
helpers they share: how dates, methods and statuses read, a plain read-only table and its
tick boxes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget

from app.services.claims import ELECTRONIC, FREQUENCY_LABELS, PAPER, STATUS_LABELS
from app.ui.errors import table_cell

METHOD_LABELS = {PAPER: "Paper", ELECTRONIC: "Electronic"}
STATUS_COLOURS = {"draft": "#455a64", "ready": "#1b5e20", "submitted": "#0d47a1",
                  "accepted": "#1b5e20", "rejected": "#b00020", "replaced": "#757575",
                  "voided": "#757575", "paid": "#1b5e20", "denied": "#b00020"}
MODE_LABELS = {"data": "Data only, on red pre-printed forms",
               "form": "Whole form, on plain paper"}


def date_text(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


def status_text(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def method_text(method: str) -> str:
    return METHOD_LABELS.get(method, method)


def frequency_text(frequency: str) -> str:
    return FREQUENCY_LABELS.get(frequency, frequency)


def read_only_table(columns: Sequence[str], *, multi: bool = False,
                    stretch: int | None = None) -> QTableWidget:
    """A table of rows to choose from (not edit); `stretch` is the column that takes the
    spare width (the last one when None)."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                           else QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    if stretch is None:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def fill_table(table: QTableWidget, rows: Sequence[Sequence[str]],
               right: Iterable[int] = ()) -> None:
    """Replace the rows; columns in `right` (amounts, counts) are right-aligned."""
    right = set(right)
    table.setRowCount(len(rows))
    for i, cells in enumerate(rows):
        for col, text in enumerate(cells):
            table.setItem(i, col, table_cell(text, right=col in right))
    fit_columns(table)


def add_ticks(table: QTableWidget, col: int, checked: bool) -> None:
    """Make column `col` of every row a tick box (after `fill_table`), all ticked or not,
    without a signal per row."""
    blocked = table.blockSignals(True)
    state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
    for i in range(table.rowCount()):
        if (item := table.item(i, col)) is not None:
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(state)
    table.resizeColumnToContents(col)
    table.blockSignals(blocked)


def ticked_rows(table: QTableWidget, col: int) -> list[int]:
    """The rows whose tick box in column `col` is ticked, in order."""
    return [i for i in range(table.rowCount())
            if (item := table.item(i, col)) is not None
            and item.checkState() == Qt.CheckState.Checked]


def fit_columns(table: QTableWidget) -> None:
    """Size each column to its contents but the one that takes the spare width (sizing
    that one too would undo its stretch and push the table into a side scroll)."""
    header = table.horizontalHeader()
    last = table.columnCount() - 1
    for col in range(table.columnCount()):
        stretches = (header.sectionResizeMode(col) == QHeaderView.ResizeMode.Stretch
                     or (col == last and header.stretchLastSection()))
        if not stretches:
            table.resizeColumnToContents(col)
