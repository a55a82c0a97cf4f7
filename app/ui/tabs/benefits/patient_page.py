"""The Benefits tab's first page: find a patient, see and edit their coverages in order, change
the order from a date, record a verification and read any earlier one.

Warnings for a visit today (no coverage, expired, not verified recently, inactive) sit above
the coverages; the same service gives them to the other tabs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.context import UserContext
from app.services.coverage import CoverageRow, CoverageService
from app.services.directory import DirectoryService
from app.services.eligibility import METHODS, CheckRow, EligibilityService, describe_check
from app.services.eligibility_files import EligibilityFileService
from app.services.estimates import EstimateService
from app.services.patients import PatientService
from app.services.permissions import Permission
from app.ui.errors import show_error, table_cell
from app.ui.table_models.patient_table_model import PatientTableModel
from app.ui.tabs.benefits.check_dialog import CheckDialog
from app.ui.tabs.benefits.coverage_dialog import CoverageDialog
from app.ui.tabs.benefits.estimate_dialog import EstimateDialog
from app.ui.widgets.form import DateLineEdit, heading

DEBOUNCE_MS = 150
COVERAGE_COLUMNS = ("Order", "Payer", "Member ID", "Group", "From", "To", "Verified", "Status")
CHECK_COLUMNS = ("Date", "Payer", "How", "Status", "By")
WARNING_STYLE = "color: #8a4b00;"


def _date(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


def _table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class PatientPage(QWidget):
    def __init__(self, *, ctx: UserContext, patients: PatientService,
                 coverage: CoverageService, eligibility: EligibilityService,
                 directory: DirectoryService, estimates: EstimateService,
                 files: EligibilityFileService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._patients, self._estimates = ctx, patients, estimates
        self._files = files
        self._coverage, self._eligibility, self._directory = coverage, eligibility, directory
        self.patient_id: int | None = None
        self.rows: list[CoverageRow] = []
        self.checks: list[CheckRow] = []
        self.dialog: Any = None
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._search)
        self._build()
        self._search()
        self.show_patient(None)

    # --- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._finder())
        splitter.addWidget(self._panel())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([330, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _finder(self) -> QWidget:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a patient: name, DOB, MRN or phone")
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.model = PatientTableModel(self._patients)
        self.results = QTableView()
        self.results.setModel(self.model)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.verticalHeader().hide()
        for col in (0, 3, 4, 5, 6):
            self.results.hideColumn(col)
        self.results.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.results.activated.connect(self._open_index)
        self.results.clicked.connect(self._open_index)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        return box

    def _panel(self) -> QWidget:
        self.title = heading("")
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(WARNING_STYLE)
        self.coverages = _table(COVERAGE_COLUMNS)
        self.coverages.doubleClicked.connect(lambda _i: self.edit_coverage())
        self.checks_table = _table(CHECK_COLUMNS)
        self.checks_table.itemSelectionChanged.connect(self._show_check)
        self.check_text = QPlainTextEdit()
        self.check_text.setReadOnly(True)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.warnings)
        layout.addWidget(QLabel("Coverages, in the order they pay:"))
        layout.addWidget(self.coverages, 1)
        layout.addLayout(self._coverage_buttons())
        layout.addWidget(QLabel("Verifications:"))
        lower = QHBoxLayout()
        lower.addWidget(self.checks_table, 1)
        lower.addWidget(self.check_text, 1)
        layout.addLayout(lower, 3)
        return box

    def _coverage_buttons(self) -> QHBoxLayout:
        self.add_button = QPushButton("Add coverage…")
        self.add_button.clicked.connect(self.add_coverage)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(self.edit_coverage)
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: self.move(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.clicked.connect(lambda: self.move(1))
        self.order_from = DateLineEdit()
        self.order_from.set_date(date.today())
        self.order_from.setFixedWidth(110)
        self.order_from.setToolTip("The new order applies to visits from this date on")
        self.verify_button = QPushButton("Record verification…")
        self.verify_button.clicked.connect(self.record_check)
        self.ask_button = QPushButton("270 for this patient…")
        self.ask_button.setToolTip("Write a 270 inquiry for this patient's coverages in force "
                                   "today, to upload to the clearinghouse portal")
        self.ask_button.clicked.connect(self.export_270)
        self.estimate_button = QPushButton("Estimate…")
        self.estimate_button.setToolTip("What the patient will likely owe for planned services")
        self.estimate_button.clicked.connect(self.open_estimate)
        row = QHBoxLayout()
        for w in (self.add_button, self.edit_button, self.up_button, self.down_button):
            row.addWidget(w)
        row.addWidget(QLabel("from"))
        row.addWidget(self.order_from)
        row.addStretch(1)
        row.addWidget(self.verify_button)
        row.addWidget(self.ask_button)
        row.addWidget(self.estimate_button)
        return row

    # --- showing -----------------------------------------------------------------------------
    def _search(self) -> None:
        try:
            self.model.set_query(self.search.text())
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.show_patient(self.model.row(index.row()).id)

    def show_patient(self, patient_id: int | None) -> None:
        self.patient_id = patient_id
        try:
            self._fill(patient_id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            self.patient_id = None
            self._fill(None)
        editable = self.patient_id is not None and self._ctx.can(Permission.EDIT_COVERAGE)
        for w in (self.add_button, self.edit_button, self.up_button, self.down_button,
                  self.verify_button, self.order_from, self.ask_button):
            w.setVisible(self._ctx.can(Permission.EDIT_COVERAGE))
            w.setEnabled(editable)
        self.estimate_button.setEnabled(self.patient_id is not None)

    def _fill(self, patient_id: int | None) -> None:
        if patient_id is None:
            self.title.setText("Choose a patient on the left")
            self.rows, self.checks = [], []
            self.warnings.clear()
        else:
            self.title.setText(self._patients.get(patient_id).display_name)
            found = self._coverage.overview(patient_id, date.today())
            self.rows = found.rows
            self.checks = self._eligibility.checks(patient_id)
            self.warnings.setText("\n".join(f"⚠ {w.message}" for w in found.warnings))
        self._fill_coverages()
        self._fill_checks()

    def _fill_coverages(self) -> None:
        self.coverages.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            ck = r.last_check
            status = ("Rejected" if ck and ck.rejected else "Active" if ck and ck.active
                      else "Inactive" if ck and ck.active is False else "Not verified")
            cells = (r.rank_label, r.payer_name, r.data.member_id, r.data.group_number,
                     _date(r.data.effective_from), _date(r.data.effective_to),
                     _date(ck.checked_on) if ck else "never", status)
            for col, text in enumerate(cells):
                self.coverages.setItem(i, col, table_cell(text))
        self.coverages.resizeColumnsToContents()

    def _fill_checks(self) -> None:
        self.checks_table.setRowCount(len(self.checks))
        for i, c in enumerate(self.checks):
            cells = (_date(c.checked_on), c.payer_name, METHODS.get(c.method, c.method),
                     c.status, c.checked_by)
            for col, text in enumerate(cells):
                self.checks_table.setItem(i, col, table_cell(text))
        self.checks_table.resizeColumnsToContents()
        self.check_text.clear()
        if self.checks:
            self.checks_table.blockSignals(True)  # one audited read, not two
            self.checks_table.selectRow(0)
            self.checks_table.blockSignals(False)
            self._show_check()

    def _show_check(self) -> None:
        row = self.checks_table.currentRow()
        if not 0 <= row < len(self.checks):
            self.check_text.clear()
            return
        try:
            detail = self._eligibility.check(self.checks[row].id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.check_text.setPlainText("\n".join(describe_check(detail)))

    def prepare_screenshot(self) -> None:
        """Open a patient with two coverages, one verified, for the picture."""
        for row in range(min(self.model.rowCount(), 40)):
            self.show_patient(self.model.row(row).id)
            if len(self.rows) > 1 and self.checks:
                self.results.selectRow(row)
                return

    # --- actions -----------------------------------------------------------------------------
    def selected(self) -> CoverageRow | None:
        row = self.coverages.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def add_coverage(self) -> None:
        self._open_coverage(None)

    def edit_coverage(self) -> None:
        row = self.selected()
        if row is not None:
            self._open_coverage(row)

    def _open_coverage(self, row: CoverageRow | None) -> None:
        if self.patient_id is None or not self._ctx.can(Permission.EDIT_COVERAGE):
            return
        payers = [p for p in self._directory.payers()
                  if p.active or (row is not None and p.id == row.data.payer_id)]
        self.dialog = CoverageDialog(coverage=self._coverage, payers=payers,
                                     patient_id=self.patient_id,
                                     current=row.data if row else None, parent=self)
        self.dialog.saved.connect(lambda _r: self.show_patient(self.patient_id))
        self.dialog.open()

    def move(self, step: int) -> None:
        """Swap the chosen coverage with its neighbour in today's order, from the date given."""
        row, as_of = self.selected(), self.order_from.date_value()
        if row is None or row.rank is None or self.patient_id is None:
            return
        if as_of is None:
            show_error(self, UserError("Type the date the new order starts as MM/DD/YYYY."))
            return
        ranked = [r.data.id for r in self._coverage.in_force(self.patient_id, as_of)]
        if row.data.id not in ranked:
            QMessageBox.information(self, "Coverage order", "That coverage is not in force "
                                    f"on {as_of:%m/%d/%Y}.")
            return
        i = ranked.index(row.data.id)
        j = i + step
        if not 0 <= j < len(ranked):
            return
        ranked[i], ranked[j] = ranked[j], ranked[i]
        try:
            self._coverage.set_order(self.patient_id, [r for r in ranked if r is not None],
                                     as_of)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
        self.show_patient(self.patient_id)

    def record_check(self) -> None:
        if self.patient_id is None:
            return
        if not self.rows:
            QMessageBox.information(self, "Record verification",
                                    "Add the patient's coverage first.")
            return
        chosen = self.selected()
        self.dialog = CheckDialog(eligibility=self._eligibility, coverages=self.rows,
                                  coverage_id=chosen.data.id if chosen else self.rows[0].data.id,
                                  parent=self)
        self.dialog.accepted.connect(lambda: self.show_patient(self.patient_id))
        self.dialog.open()

    def open_estimate(self) -> None:
        if self.patient_id is None:
            return
        self.dialog = EstimateDialog(estimates=self._estimates, patient_id=self.patient_id,
                                     patient_name=self.title.text(), parent=self)
        self.dialog.open()

    def export_270(self) -> None:
        if self.patient_id is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save the 270 inquiry",
                                              str(Path.home() / "eligibility.270"),
                                              "X12 files (*.270 *.x12 *.txt)")
        if not name:
            return
        try:
            r = self._files.export_270(Path(name), patient_ids=[self.patient_id])
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        QMessageBox.information(self, "270 written", f"Wrote {r.inquiries} inquiries to "
                                f"{r.path.name}. Upload it to the clearinghouse portal and "
                                "import the 271 it returns on the 270 / 271 files page.")
