"""A search-as-you-type code picker: type part of a code or of its description, see the
matches (code, description, whether it can be billed), and Enter or a double click adds the
highlighted one. Used for diagnoses (`CodeSetService.search_diagnoses`) and procedures
(`ProcedureCodeService.search`); any page can reuse it with another search function.

A search is a few ms (an index range scan or an FTS5 match), so it runs on the GUI thread
after a 150 ms pause in typing, as the patient search does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.code_sets import CodeSetService
from app.services.procedure_codes import ProcedureCodeService
from app.ui.errors import show_error
from app.ui.tabs.coding import ERROR_COLOUR

DEBOUNCE_MS = 150
LIMIT = 50
COLUMNS = ("Code", "Description", "Billable")
_NAV_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class PickedCode:
    """One search hit as the picker shows it and hands back. `code` is in display form
    (E11.9, 99213); `note` says why it cannot be billed, or what it is (a drug code)."""

    code: str
    description: str
    billable: bool = True
    is_drug: bool = False
    note: str = ""


SearchFn = Callable[[str], list[PickedCode]]


def diagnosis_search(code_sets: CodeSetService, dos: Callable[[], date | None]) -> SearchFn:
    """ICD-10-CM codes from the release in force on the encounter's date of service, or
    the latest when no loaded release covers it (the coding page then shows the validity
    edit, so the code can still be found and fixed)."""

    def search(query: str) -> list[PickedCode]:
        return [PickedCode(h.code, h.description, h.billable,
                           note="" if h.billable else "No – a heading")
                for h in code_sets.search_diagnoses(query, on=dos(), or_latest=True,
                                                    limit=LIMIT)]

    return search


def procedure_search(procedure_codes: ProcedureCodeService, on: date | None = None
                     ) -> SearchFn:
    """CPT and HCPCS codes; with `on` (the date of service) a code not in force that day
    is marked, not hidden."""

    def search(query: str) -> list[PickedCode]:
        out = []
        for h in procedure_codes.search(query, limit=LIMIT):
            ended = on is not None and h.effective_to is not None and h.effective_to < on
            early = on is not None and h.effective_from is not None and h.effective_from > on
            note = (f"No – ended {h.effective_to:%m/%d/%Y}" if ended and h.effective_to
                    else f"No – starts {h.effective_from:%m/%d/%Y}"
                    if early and h.effective_from else "Yes – drug (needs NDC)"
                    if h.is_drug else "Yes")
            out.append(PickedCode(h.code, h.short_description or h.long_description,
                                  not (ended or early), h.is_drug, note))
        return out

    return search


class CodeHitTableModel(QAbstractTableModel):
    """The hits of one search (at most `LIMIT` rows, so no lazy loading)."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[PickedCode] = []

    def set_hits(self, hits: list[PickedCode]) -> None:
        self.beginResetModel()
        self.hits = hits
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.hits)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        hit = self.hits[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            note = hit.note or ("Yes" if hit.billable else "No")
            return (hit.code, hit.description, note)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and not hit.billable:
            return QBrush(QColor(ERROR_COLOUR))
        return None


class _ArrowsToTable(QObject):
    """Up/Down typed in the search box move the highlight in the results."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self._table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in _NAV_KEYS:
            self._table.keyPressEvent(event)
            return True
        return False


class CodePicker(QDialog):
    """Pick one code. `picked` fires with the PickedCode; the dialog then closes unless
    `keep_open`, so a clerk adding several codes stays in it."""

    picked = Signal(object)

    def __init__(self, title: str, search: SearchFn, *, hint: str = "",
                 keep_open: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._search = search
        self._keep_open = keep_open
        self.model = CodeHitTableModel()
        self._build(hint)
        self.resize(720, 460)

    def _build(self, hint: str) -> None:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(hint or "Type a code or words of its description")
        self.search_edit.setClearButtonEnabled(True)
        self.status = QLabel("Type at least one character.")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.resizeSection(0, 90)
        header.resizeSection(2, 170)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # activated: Enter on a row, or a double click (a single click where the desktop
        # opens items that way)
        self.table.activated.connect(lambda _i: self.add_highlighted())
        self.search_edit.installEventFilter(_ArrowsToTable(self.table))
        self.search_edit.returnPressed.connect(self.add_highlighted)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search_edit.textChanged.connect(self._timer.start)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.add_button = buttons.addButton("Add", QDialogButtonBox.ButtonRole.ActionRole)
        self.add_button.setEnabled(False)
        for b in buttons.buttons():  # Enter belongs to the search box, not a dialog button
            if isinstance(b, QPushButton):
                b.setAutoDefault(False)
                b.setDefault(False)
        self.add_button.clicked.connect(self.add_highlighted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (self.search_edit, self.table, self.status, buttons):
            layout.addWidget(w)
        self.setTabOrder(self.search_edit, self.table)

    def set_query(self, text: str) -> None:
        """Search for `text` now (tests and callers that pre-fill the box)."""
        self.search_edit.setText(text)
        self.run_search()

    def run_search(self) -> None:
        self._timer.stop()
        query = self.search_edit.text().strip()
        hits: list[PickedCode] = []
        message = "Type at least one character."
        if query:
            try:
                hits = self._search(query)
            except UserError as exc:  # e.g. no release loaded: say so here, not in a popup
                message = str(exc)
            except Exception as exc:  # noqa: BLE001 - the one presenter decides
                show_error(self, exc)
            else:
                message = (f"{len(hits)} match{'es' if len(hits) != 1 else ''}"
                           + (" (the first ones; type more to narrow)" if len(hits) >= LIMIT
                              else "") + ". Enter adds the highlighted code."
                           if hits else "No code matches; check the spelling or the code.")
        self.model.set_hits(hits)
        self.status.setText(message)
        self.add_button.setEnabled(bool(hits))
        if hits:
            self.table.selectRow(0)

    def highlighted(self) -> PickedCode | None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else (0 if self.model.hits else -1)
        return self.model.hits[row] if 0 <= row < len(self.model.hits) else None

    def add_highlighted(self) -> None:
        """Enter, double click or Add: hand back the highlighted code."""
        if self._timer.isActive():
            self.run_search()  # Enter typed before the pause: search what is typed first
        hit = self.highlighted()
        if hit is None:
            return
        self.picked.emit(hit)
        if self._keep_open:
            self.search_edit.selectAll()
            self.search_edit.setFocus()
        else:
            self.accept()
