"""The Claims tab's first page: every claim, newest first, filtered by status (with how many
are in each), by how it is sent and by typed text (claim number, patient name or MRN); new
claims from coded visits; a claim opened in the editor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.claims import STATUS_LABELS, ClaimView
from app.ui.errors import show_error
from app.ui.tabs.claims import METHOD_LABELS
from app.ui.tabs.claims.claim_table_model import ClaimTableModel
from app.ui.tabs.claims.editor_dialog import ClaimEditor
from app.ui.tabs.claims.new_claim_dialog import NewClaimDialog
from app.ui.tabs.claims.services import ClaimsServices

DEBOUNCE_MS = 150
WIDTHS = (80, 200, 90, 170, 90, 90, 90, 90, 100)


class ClaimsPage(QWidget):
    openEncounter = Signal(int)  # from a scrubber fix: code this visit

    def __init__(self, sv: ClaimsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.dialog: Any = None
        self.editor: ClaimEditor | None = None
        self.model = ClaimTableModel(sv.claims)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.reload)
        self._build()
        self.reload()

    def _build(self) -> None:
        self.status_combo = QComboBox()
        self.status_combo.setMinimumWidth(150)
        self.method_combo = QComboBox()
        self.method_combo.addItem("Paper and electronic", "")
        for code, label in METHOD_LABELS.items():
            self.method_combo.addItem(label, code)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Claim number, patient name or MRN")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.count_label = QLabel()
        self.new_button = QPushButton("New claim from a visit…")
        self.new_button.clicked.connect(self.new_claim)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_selected)
        self.status_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.method_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.search.textChanged.connect(lambda _t: self._timer.start())
        filters = QHBoxLayout()
        for w in (QLabel("Status:"), self.status_combo, QLabel("Sent by:"), self.method_combo,
                  self.search):
            filters.addWidget(w)
        filters.addWidget(self.count_label)
        filters.addStretch(1)
        filters.addWidget(self.open_button)
        filters.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self._table(), 1)

    def _table(self) -> QTableView:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.activated.connect(self._open_index)
        self.table.doubleClicked.connect(self._open_index)
        header = self.table.horizontalHeader()
        for col, width in enumerate(WIDTHS):
            header.resizeSection(col, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        return self.table

    # --- showing -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-count the statuses and re-read the claims for the filter."""
        try:
            self._fill_statuses(self._sv.claims.status_counts())
            self.model.set_filter(self.status_combo.currentData(),
                                  self.method_combo.currentData(), self.search.text())
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        n = self.model.total
        self.count_label.setText(f"{n:,} claim{'s' if n != 1 else ''}")

    def _fill_statuses(self, counts: dict[str, int]) -> None:
        current = self.status_combo.currentData() or ""
        self.status_combo.blockSignals(True)
        self.status_combo.clear()
        self.status_combo.addItem(f"All ({sum(counts.values()):,})", "")
        for code, label in STATUS_LABELS.items():
            self.status_combo.addItem(f"{label} ({counts.get(code, 0):,})", code)
        self.status_combo.setCurrentIndex(max(self.status_combo.findData(current), 0))
        self.status_combo.blockSignals(False)

    def show_status(self, status: str) -> None:
        self.status_combo.setCurrentIndex(max(self.status_combo.findData(status), 0))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.editor is None or not self.editor.isVisible():
            self.reload()  # the Submit page or another user may have changed statuses

    # --- actions -------------------------------------------------------------------------------
    def new_claim(self) -> None:
        self.dialog = NewClaimDialog(claims=self._sv.claims, parent=self)
        self.dialog.created.connect(self._created)
        self.dialog.open()

    def _created(self, view: ClaimView) -> None:
        self.reload()
        self._select(view.id)
        self.open_claim(view.id)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_index(rows[0])

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_claim(self.model.row(index.row()).id)

    def open_claim(self, claim_id: int) -> ClaimEditor:
        """The claim in the editor (window-modal; returns at once)."""
        self.editor = ClaimEditor(self._sv, claim_id, self)
        self.editor.changed.connect(self._claims_changed)
        self.editor.openEncounter.connect(self.openEncounter)
        self.editor.open()
        return self.editor

    def _claims_changed(self) -> None:
        selected = self.editor.view.id if self.editor and self.editor.view else None
        self.reload()
        if selected is not None:
            self._select(selected)

    def _select(self, claim_id: int) -> None:
        row = self.model.row_of(claim_id)
        if row >= 0:
            self.table.selectRow(row)

    def prepare_screenshot(self) -> None:
        if self.model.rowCount():
            self.table.selectRow(0)
