"""The Patients tab: search as you type, register and edit patients, merge duplicates, and
the chart of the patient opened (`app.ui.tabs.history.chart_view.ChartView`) beside the results.

Search runs on the GUI thread: a keystroke query is a few ms (an index range scan, one page of
rows), so a 150 ms debounce is all it needs. The results table loads lazily, never every row.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.context import UserContext
from app.services.coverage import CoverageService
from app.services.documents import DocumentService
from app.services.fhir_export import FhirExportService
from app.services.history import HistoryService
from app.services.patient_import import PatientImportService
from app.services.patients import MergeResult, PatientDetail, PatientRow, PatientService
from app.services.permissions import Permission
from app.services.summary import SummaryService
from app.ui.dialogs.merge_dialog import MergeDialog
from app.ui.dialogs.patient_dialog import PatientDialog
from app.ui.errors import show_error
from app.ui.table_models.patient_table_model import NAME_COLUMN, PatientTableModel

DEBOUNCE_MS = 150
SEARCH_HINT = "Name, DOB (MM/DD/YYYY), MRN or phone"
COLUMN_WIDTHS = (78, 200, 82, 36, 108, 100, 88)
RESULTS_MIN_WIDTH = 600  # the fixed columns, a scroll bar, and ~90 px for the name
RESULTS_WIDTH = 660  # at first: 150 px for the name


def make_chart_view(**services: Any) -> Any:
    """The chart beside the results (a function so tests can put a stand-in here)."""
    from app.ui.tabs.history.chart_view import ChartView

    return ChartView(**services)


class HistoryTab(QWidget):
    slug = "history"
    title = "Patients"

    def __init__(self, *, ctx: UserContext, patients: PatientService, history: HistoryService,
                 documents: DocumentService, summary: SummaryService,
                 patient_import: PatientImportService, coverage: CoverageService | None = None,
                 fhir: FhirExportService | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._patients = patients
        self._import = patient_import
        self.chart_patient_id: int | None = None
        self.last_merge_seq: int | None = None
        self.dialog: Any = None  # the dialog opened last (tests drive it)
        self.model = PatientTableModel(patients)
        extra = {"fhir": fhir} if fhir is not None else {}
        self.chart: Any = make_chart_view(ctx=ctx, patients=patients, history=history,
                                          documents=documents, summary=summary,
                                          coverage=coverage, **extra)
        self.chart.editPatientRequested.connect(self.edit_patient)
        self._build_search()
        self._build_buttons()
        self._build_table()
        self._build_layout()
        self.reload()

    # --- construction ------------------------------------------------------------------------
    def _build_search(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText(SEARCH_HINT)
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type part of a name (either order), a date of birth, an MRN "
                               "or a phone number; Enter opens the highlighted patient.")
        self.count_label = QLabel()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._timer.start)
        self.search.returnPressed.connect(self.open_highlighted)

    def _button(self, text: str, slot: Any, permission: Permission) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        button.setVisible(self._ctx.can(permission))
        return button

    def _build_buttons(self) -> None:
        self.register_button = self._button("Register patient…", self.register,
                                            Permission.EDIT_PATIENTS)
        self.edit_button = self._button("Edit patient…", self.edit_selected,
                                        Permission.EDIT_PATIENTS)
        self.import_button = self._button("Import CSV…", self.import_csv,
                                          Permission.IMPORT_PATIENTS)
        self.merge_button = self._button("Merge duplicates…", self.merge,
                                         Permission.MERGE_PATIENTS)
        self.unmerge_button = self._button("Undo a merge…", self.undo_merge,
                                           Permission.MERGE_PATIENTS)

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self.open_index)

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        buttons = QHBoxLayout()
        for b in (self.register_button, self.edit_button, self.import_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.unmerge_button)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.chart)
        left.setMinimumWidth(RESULTS_MIN_WIDTH)
        self.splitter.setChildrenCollapsible(False)
        # The results keep room for a readable name; extra width goes mostly to the chart.
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([RESULTS_WIDTH, 1280 - RESULTS_WIDTH])
        QVBoxLayout(self).addWidget(self.splitter)

    # --- search --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Search again for what is typed (after a change elsewhere, or when shown)."""
        self._timer.stop()
        self.run_search()

    def run_search(self) -> None:
        try:
            self.model.set_query(self.search.text())
        except Exception as exc:  # noqa: BLE001 - the one presenter decides how to show it
            self.model.clear()
            show_error(self, exc)
        self._show_count()
        if self.model.rowCount():
            self.table.selectRow(0)

    def _show_count(self) -> None:
        n = self.model.total
        if not self.search.text().strip():
            self.count_label.setText(f"{n:,} patient{'s' if n != 1 else ''}")
        else:
            self.count_label.setText("No match" if n == 0 else
                                     f"{n:,} match{'es' if n != 1 else ''}")

    def selected_rows(self) -> list[PatientRow]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.row(r) for r in rows]

    # --- the chart -----------------------------------------------------------------------------
    def open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_patient(self.model.row(index.row()).id)

    def open_highlighted(self) -> None:
        """Enter in the search box: the highlighted row, or the first match."""
        if self._timer.isActive():
            self.reload()
        current = self.table.currentIndex()
        row = current.row() if current.isValid() else 0
        if row < self.model.rowCount():
            self.open_patient(self.model.row(row).id)

    def prepare_screenshot(self) -> None:
        """For `clinic-clerk screenshot`: open the first listed patient's chart (audited)."""
        if self.model.rowCount() and self.chart_patient_id is None:
            self.open_patient(self.model.row(0).id)

    def open_patient(self, patient_id: int) -> None:
        try:
            self.chart.show_patient(patient_id)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        self.chart_patient_id = patient_id

    # --- register and edit ---------------------------------------------------------------------
    def register(self) -> None:
        self._open_patient_dialog(None)

    def edit_selected(self) -> None:
        rows = self.selected_rows()
        patient_id = rows[0].id if rows else self.chart_patient_id
        if patient_id is None:
            QMessageBox.information(self, "Edit patient", "Choose a patient in the list first.")
            return
        self.edit_patient(patient_id)

    def edit_patient(self, patient_id: int) -> None:
        try:
            detail = self._patients.get(patient_id)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        self._open_patient_dialog(detail)

    def _open_patient_dialog(self, detail: PatientDetail | None) -> None:
        self.dialog = PatientDialog(patients=self._patients, detail=detail, parent=self)
        self.dialog.saved.connect(self._saved)
        self.dialog.openExisting.connect(self.open_patient)
        self.dialog.open()

    def _saved(self, detail: PatientDetail) -> None:
        self.reload()
        row = self.model.row_of(detail.id)
        if row >= 0:
            self.table.selectRow(row)
        self.open_patient(detail.id)

    # --- import --------------------------------------------------------------------------------
    def import_csv(self) -> None:
        # Imported here: the import dialog is only needed by those who import.
        from app.ui.dialogs.patient_import_dialog import PatientImportDialog

        self.dialog = PatientImportDialog(importer=self._import, parent=self)
        self.dialog.finished.connect(lambda _code: self.reload())
        self.dialog.open()

    # --- merge ---------------------------------------------------------------------------------
    def merge(self) -> None:
        rows = self.selected_rows()
        keep = rows[0] if rows else None
        duplicate = rows[1] if len(rows) > 1 else None
        self.dialog = MergeDialog(patients=self._patients, keep=keep, duplicate=duplicate,
                                  parent=self)
        self.dialog.merged.connect(self._merged)
        self.dialog.open()

    def _merged(self, result: MergeResult) -> None:
        self.last_merge_seq = result.audit_seq
        self.reload()
        if self.chart_patient_id in (result.kept_id, result.merged_id):
            self.open_patient(result.kept_id)

    def undo_merge(self) -> None:
        seq, ok = QInputDialog.getInt(
            self, "Undo a merge", "Audit event number of the merge to undo:",
            self.last_merge_seq or 1, 1, 2_147_483_647)
        if not ok:
            return
        try:
            restored = self._patients.unmerge(seq)
            mrn = self._patients.get(restored).mrn
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            return
        QMessageBox.information(self, "Merge undone",
                                f"Record {mrn} is back, with the records it had at the merge.")
        if self.last_merge_seq == seq:
            self.last_merge_seq = None
        self.reload()
