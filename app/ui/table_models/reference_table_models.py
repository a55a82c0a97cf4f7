"""Table models of the Coding tab's reference pages: search hits, code set releases, procedure
codes, modifiers, fees, contract rates and quick picks.

These lists are small (a search's first hits, one filter's fees, one provider's picks) or
already held whole by the service's answer, so each model holds its rows and shows them
through a tuple of `Col`umns; the big tables (the queue, patients) stay lazy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from app.services.code_sets import SYSTEM_LABELS, ReleaseInfo
from app.services.favorites import FavoriteRow
from app.services.fees import ContractRateRow, FeeRow
from app.services.procedure_codes import ModifierRow, ProcedureHit
from app.ui.tabs.coding import ERROR_COLOUR, RIGHT, money_text

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex
GREY = "#6b6b6b"


def day(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


def span(start: date | None, end: date | None) -> str:
    """'01/01/2020–12/31/2024', 'from 01/01/2020', 'until 12/31/2024' or ''."""
    if start and end:
        return f"{day(start)}–{day(end)}"
    return f"from {day(start)}" if start else f"until {day(end)}" if end else ""


def stamp(value: datetime | None) -> str:
    return f"{value.astimezone():%m/%d/%Y %H:%M}" if value else ""


@dataclass(frozen=True)
class Col(Generic[Row]):
    header: str
    text: Callable[[Row], str]
    width: int = 0  # 0: stretch (one column per table takes what is left)
    right: bool = False


class RowsTableModel(QAbstractTableModel, Generic[Row]):
    """Rows held whole, shown through `cols`; `dim(row)` greys a row (ended, not in force),
    `warn(row)` shows it in red."""

    cols: tuple[Col[Any], ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row(self, i: int) -> Row:
        return self.rows[i]

    def dim(self, row: Row) -> bool:
        return False

    def warn(self, row: Row) -> bool:
        return False

    def tooltip(self, row: Row) -> str:
        return ""

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.cols)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.cols):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cols[section].header
        if role == Qt.ItemDataRole.TextAlignmentRole and self.cols[section].right:
            return RIGHT
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], self.cols[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.right:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row) or col.text(row)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self.warn(row):
                return QBrush(QColor(ERROR_COLOUR))
            if self.dim(row):
                return QBrush(QColor(GREY))
        return None


def make_view(model: RowsTableModel[Any]) -> QTableView:
    """A read-only, single-row-selection view of `model` with its columns' widths."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setMinimumSectionSize(34)
    for i, col in enumerate(model.cols):
        if col.width:
            header.resizeSection(i, col.width)
        else:
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
    return view


def selected_row(view: QTableView) -> int:
    """The selected row's number, or -1."""
    rows = view.selectionModel().selectedRows()
    return rows[0].row() if rows else -1


# --- look-up ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LookupHit:
    """One row of the look-up: an ICD-10-CM entry or a HCPCS/CPT code. `code` is in display
    form; `status` says whether it can be billed (or why not)."""

    system: str
    code: str
    description: str
    billable: bool
    status: str


class LookupTableModel(RowsTableModel[LookupHit]):
    cols = (Col("Code", lambda h: h.code, 96),
            Col("System", lambda h: SYSTEM_LABELS.get(h.system, h.system), 86),
            Col("Description", lambda h: h.description),
            Col("Billable", lambda h: h.status, 150))

    def dim(self, row: LookupHit) -> bool:
        return not row.billable


# --- code sets ----------------------------------------------------------------------------------
class ReleaseTableModel(RowsTableModel[ReleaseInfo]):
    cols = (Col("Code set", lambda r: SYSTEM_LABELS.get(r.system, r.system), 90),
            Col("Version", lambda r: r.version, 220),
            Col("In force from", lambda r: day(r.effective_from), 100),
            Col("Until", lambda r: day(r.effective_to) or "(open)", 90),
            Col("Billable codes", lambda r: f"{r.codes:,}", 100, right=True),
            Col("File", lambda r: r.source),
            Col("Loaded by", lambda r: r.loaded_by, 90),
            Col("Loaded", lambda r: stamp(r.loaded_at), 120))

    def dim(self, row: ReleaseInfo) -> bool:
        return row.effective_to is not None and row.effective_to < date.today()


def procedure_status(hit: ProcedureHit) -> str:
    """Whether a HCPCS/CPT code can be billed today, and why not."""
    if hit.effective_to is not None and hit.effective_to < date.today():
        return f"No – ended {day(hit.effective_to)}"
    if hit.effective_from is not None and hit.effective_from > date.today():
        return f"No – starts {day(hit.effective_from)}"
    return "Yes – drug (needs NDC)" if hit.is_drug else "Yes"


class ProcedureCodeTableModel(RowsTableModel[ProcedureHit]):
    cols = (Col("Code", lambda h: h.code, 70),
            Col("System", lambda h: SYSTEM_LABELS.get(h.system, h.system), 70),
            Col("Short description", lambda h: h.short_description),
            Col("In force", lambda h: span(h.effective_from, h.effective_to), 150),
            Col("Billable today", procedure_status, 150))

    def dim(self, row: ProcedureHit) -> bool:
        return not row.in_force

    def tooltip(self, row: ProcedureHit) -> str:
        return row.long_description or row.short_description


class ModifierTableModel(RowsTableModel[ModifierRow]):
    cols = (Col("Modifier", lambda m: m.code, 70),
            Col("Description", lambda m: m.description),
            Col("In force", lambda m: span(m.effective_from, m.effective_to), 150),
            Col("Source", lambda m: m.source, 64))

    def dim(self, row: ModifierRow) -> bool:
        return row.effective_to is not None and row.effective_to < date.today()


# --- fees ---------------------------------------------------------------------------------------
def _description(known: bool, description: str) -> str:
    return description if known else "(not in the code list yet)"


class FeeScheduleTableModel(RowsTableModel[FeeRow]):
    cols = (Col("Code", lambda f: f.code, 66),
            Col("Mod", lambda f: f.modifier, 44),
            Col("Description", lambda f: _description(f.known, f.description)),
            Col("Charge", lambda f: money_text(f.charge), 90, right=True),
            Col("Changed by", lambda f: f.updated_by, 90))

    def dim(self, row: FeeRow) -> bool:
        return not row.known


class ContractRateTableModel(RowsTableModel[ContractRateRow]):
    cols = (Col("Payer", lambda r: r.payer_code, 76),
            Col("Code", lambda r: r.code, 60),
            Col("Mod", lambda r: r.modifier, 44),
            Col("Description", lambda r: _description(r.known, r.description)),
            Col("Allowed", lambda r: money_text(r.allowed), 84, right=True),
            Col("From", lambda r: day(r.effective_from), 84),
            Col("Until", lambda r: day(r.effective_to), 84))

    def dim(self, row: ContractRateRow) -> bool:
        return row.effective_to is not None and row.effective_to < date.today()

    def tooltip(self, row: ContractRateRow) -> str:
        return f"{row.payer_name} ({row.payer_code})"


# --- quick picks --------------------------------------------------------------------------------
class FavoriteTableModel(RowsTableModel[FavoriteRow]):
    cols = (Col("#", lambda f: str(f.position), 34, right=True),
            Col("Code", lambda f: f.display_code, 72),
            Col("Description", lambda f: f.description or "(no longer in the code set)"),
            Col("Label", lambda f: f.label, 150))

    def warn(self, row: FavoriteRow) -> bool:
        return not row.description
