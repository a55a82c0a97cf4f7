"""The Coding tab's "Encounters" page: the coding work queue on the left (uncoded first, then
those needing review, then coded; oldest date of service first), and the encounter chosen
there coded on the right (`CodingPanel`).

The queue is a lazily loaded table over `CodingService.work_queue`; filtering re-counts in
SQL (a few ms, GUI thread, 150 ms after typing stops). Leaving an encounter with unsaved
changes asks to save or discard them first.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.coding import EncounterCoding
from app.ui.errors import show_error
from app.ui.table_models.coding_queue_table_model import PATIENT_COLUMN, CodingQueueTableModel
from app.ui.tabs.coding.coding_panel import CodingPanel, PanelServices

DEBOUNCE_MS = 150
STATUS_CHOICES = (("All encounters", None), ("Uncoded", "uncoded"),
                  ("Needs review", "review"), ("Coded", "coded"))
QUEUE_WIDTHS = (82, 150, 80, 120, 90, 40, 80)
# Provider and line count stay in the model (and the row's tooltip) but not on screen: the
# queue then fits 470 px and leaves the coding panel room for its ten line columns.
HIDDEN_COLUMNS = (3, 5)
QUEUE_WIDTH = 470


class EncounterPage(QWidget):
    slug = "encounters"
    title = "Encounters"

    def __init__(self, sv: PanelServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.model = CodingQueueTableModel(sv.coding)
        self.panel = CodingPanel(sv)
        self.panel.saved.connect(self._saved)
        self.open_id: int | None = None
        self._build_filters()
        self._build_table()
        self._build_layout()
        self.reload()

    # --- construction ------------------------------------------------------------------------
    def _build_filters(self) -> None:
        self.status_combo = QComboBox()
        for text, value in STATUS_CHOICES:
            self.status_combo.addItem(text, value)
        self.status_combo.setToolTip("Which encounters the queue lists.")
        self.status_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.search = QLineEdit()
        self.search.setPlaceholderText("Patient name or MRN")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Show only the encounters of matching patients (name, MRN, DOB "
                               "or phone, as in the patient search).")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.reload)
        self.search.textChanged.connect(self._timer.start)
        self.count_label = QLabel()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the queue again (others may have coded since).")
        self.refresh_button.clicked.connect(self.reload)

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        for column, width in enumerate(QUEUE_WIDTHS):
            header.resizeSection(column, width)
        header.setSectionResizeMode(PATIENT_COLUMN, QHeaderView.ResizeMode.Stretch)
        for column in HIDDEN_COLUMNS:
            self.table.setColumnHidden(column, True)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

    def _build_layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.status_combo)
        filters.addWidget(self.search, 1)
        counts = QHBoxLayout()
        counts.addWidget(self.count_label, 1)
        counts.addWidget(self.refresh_button)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(filters)
        column.addWidget(self.table, 1)
        column.addLayout(counts)
        left.setMinimumWidth(340)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.panel)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([QUEUE_WIDTH, 1280 - QUEUE_WIDTH])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.setTabOrder(self.status_combo, self.search)
        self.setTabOrder(self.search, self.table)

    # --- the queue -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the queue again for the filter; the open encounter stays open."""
        self._timer.stop()
        try:
            self.model.set_filter(self.status_combo.currentData(), self.search.text())
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            self.model.clear()
            show_error(self, exc)
        n = self.model.total
        self.count_label.setText(f"{n:,} encounter{'s' if n != 1 else ''}")
        self._reselect_open()

    def _select_quietly(self, row: int) -> None:
        """Highlight a row without opening it again."""
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        try:
            if row < 0:
                selection.clearSelection()
                selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
            else:
                self.table.selectRow(row)
        finally:
            selection.blockSignals(False)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        encounter_id = self.model.row(current.row()).encounter_id
        if encounter_id != self.open_id:
            self.open_encounter(encounter_id)

    def open_encounter(self, encounter_id: int) -> bool:
        """Open an encounter on the right, after saving or discarding unsaved changes."""
        if not self.panel.confirm_leave() or not self.panel.open_encounter(encounter_id):
            # After the view has finished moving its selection: put it back.
            QTimer.singleShot(0, self, self._reselect_open)
            return False
        self.open_id = encounter_id
        self._select_quietly(self.model.row_of(encounter_id))
        return True

    def _reselect_open(self) -> None:
        self._select_quietly(self.model.row_of(self.open_id) if self.open_id else -1)

    def _saved(self, enc: EncounterCoding) -> None:
        """Show the new status and total in the queue row at once (the row keeps its place
        until the queue is read again)."""
        row = self.model.row_of(enc.encounter_id)
        if row < 0:
            return
        total = sum((ln.charge for ln in enc.lines), Decimal("0.00"))
        self.model.replace_row(replace(self.model.row(row), status=enc.status,
                                       lines=len(enc.lines), total_charge=total))

    def prepare_screenshot(self) -> None:
        """For `clinic-clerk screenshot`: open the first encounter of the queue (audited)."""
        if self.model.rowCount() and self.open_id is None:
            self.open_encounter(self.model.row(0).encounter_id)
