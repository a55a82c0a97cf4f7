"""The chart of one patient, beside the Patients tab's search: header, timeline, the history
lists with their dialogs, documents and the printed summary.

`show_patient` is the audited chart open (`HistoryService.open_chart`); after a save or a
delete the open chart is updated in memory (`chart_state`) rather than read again, so one
look at a chart is one chart.open in the audit log. Buttons follow the signed-in role; the
services enforce it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.services.context import UserContext
from app.services.coverage import CoverageService
from app.services.documents import DocumentService
from app.services.fhir_export import FhirExportService
from app.services.history import Chart, DocumentRow, EncounterData, HistoryService
from app.services.patients import PatientService
from app.services.permissions import Permission
from app.services.summary import SummaryService
from app.ui.background import run_in_background
from app.ui.dialogs.document_viewer import DocumentViewerDialog
from app.ui.errors import show_error
from app.ui.tabs.history import entry_dialogs as dialogs
from app.ui.tabs.history import lists
from app.ui.tabs.history.chart_state import with_saved, without
from app.ui.tabs.history.coverage_summary import CoverageSummary
from app.ui.tabs.history.header import ChartHeader
from app.ui.tabs.history.history_list import HistoryList
from app.ui.tabs.history.timeline import TimelineWidget
from app.ui.tabs.history.vitals_dialog import VitalsDialog
from app.ui.widgets.form import FormDialog

EMPTY_TEXT = "Open a patient to see their chart."
DOCUMENT_FILTER = "Scans (*.pdf *.png *.jpg *.jpeg *.tif *.tiff);;All files (*)"
TAB_TITLES = (("problems", "Problems"), ("medications", "Medications"),
              ("allergies", "Allergies"), ("encounters", "Encounters"),
              ("observations", "Observations"), ("documents", "Documents"))


class ChartView(QWidget):
    editPatientRequested = Signal(int)

    def __init__(self, *, ctx: UserContext, patients: PatientService, history: HistoryService,
                 documents: DocumentService, summary: SummaryService,
                 coverage: CoverageService | None = None,
                 fhir: FhirExportService | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._history, self._fhir = ctx, history, fhir
        self._documents, self._summary = documents, summary
        self.chart: Chart | None = None
        self.dialog: QDialog | None = None  # the dialog opened last (tests drive it)
        self.fhir_file: Path | None = None  # where the last FHIR export went
        self._providers: dict[int, str] = {}
        self._facilities: dict[int, str] = {}
        self.header = ChartHeader(ctx=ctx, patients=patients)
        self.coverage = CoverageSummary(coverage) if coverage is not None else None
        self.timeline = TimelineWidget()
        self.lists = self._make_lists()
        self._make_buttons()
        self.tabs = self._make_tabs()
        self.stack = QStackedWidget()
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self._content())
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    # --- construction ------------------------------------------------------------------------
    def _make_lists(self) -> dict[str, HistoryList]:
        specs = {"problems": lists.PROBLEMS, "medications": lists.MEDICATIONS,
                 "allergies": lists.ALLERGIES,
                 "encounters": lists.encounters_spec(self._providers, self._facilities),
                 "observations": lists.OBSERVATIONS, "documents": lists.DOCUMENTS}
        out = {name: HistoryList(spec) for name, spec in specs.items()}
        for name, widget in out.items():
            if name == "documents":
                widget.addRequested.connect(self.add_document)
                widget.editRequested.connect(self.open_document)
                continue
            widget.addRequested.connect(lambda n=name: self.open_entry(n, None))
            widget.editRequested.connect(lambda row, n=name: self.open_entry(n, row))
            widget.deleteRequested.connect(self.delete_entry)
        return out

    def _make_buttons(self) -> None:
        self.edit_patient_button = QPushButton("Edit patient…")
        self.edit_patient_button.clicked.connect(
            lambda: self.editPatientRequested.emit(self.current_patient_id or 0))
        self.print_button = QPushButton("Print summary…")
        self.print_button.clicked.connect(self.print_summary)
        self.fhir_button = QPushButton("Export FHIR…")
        self.fhir_button.setToolTip("The patient's record (demographics, problems, visits, "
                                    "observations, coverage) as FHIR R4 JSON")
        self.fhir_button.clicked.connect(self.export_fhir)
        self.fhir_button.setVisible(self._fhir is not None)
        self.vitals_button = QPushButton("Record vitals…")
        self.vitals_button.clicked.connect(self.record_vitals)
        self.lists["observations"].add_action(self.vitals_button)

    def _make_tabs(self) -> QTabWidget:
        tabs = QTabWidget()
        tabs.addTab(self.timeline, "Timeline")
        for name, title in TAB_TITLES:
            tabs.addTab(self.lists[name], title)
        return tabs

    def _content(self) -> QWidget:
        box = QWidget()
        self.header.add_action(self.edit_patient_button)
        self.header.add_action(self.print_button)
        self.header.add_action(self.fhir_button)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        if self.coverage is not None:
            self.add_header_section(self.coverage)
        return box

    def add_header_section(self, widget: QWidget) -> None:
        """Where the benefits issue adds the coverage summary (under the demographics)."""
        self.header.add_header_section(widget)

    # --- the chart ---------------------------------------------------------------------------
    @property
    def current_patient_id(self) -> int | None:
        return self.chart.header.id if self.chart else None

    def show_patient(self, patient_id: int) -> None:
        """Open (and audit) the chart; errors are raised for the caller to show."""
        chart = self._history.open_chart(patient_id)
        self.header.show_detail(chart.header)
        if self.coverage is not None:
            self.coverage.show_patient(patient_id)
        self._apply_permissions()
        self._set_chart(chart)
        self.stack.setCurrentIndex(1)

    def clear(self) -> None:
        self.chart = None
        self.header.clear()
        self.timeline.set_chart(None)
        for widget in self.lists.values():
            widget.set_rows([])
        self.stack.setCurrentIndex(0)

    def _apply_permissions(self) -> None:
        can_edit = self._ctx.can(Permission.EDIT_HISTORY)
        for widget in self.lists.values():
            widget.set_can_edit(can_edit)
        self.vitals_button.setVisible(can_edit)
        self.edit_patient_button.setVisible(self._ctx.can(Permission.EDIT_PATIENTS))
        self.print_button.setVisible(self._ctx.can(Permission.VIEW_PATIENTS))

    def _set_chart(self, chart: Chart) -> None:
        self.chart = chart
        self._providers.clear()
        self._providers.update(chart.provider_names)
        self._facilities.clear()
        self._facilities.update(chart.facility_names)
        for index, (name, title) in enumerate(TAB_TITLES, start=1):
            rows = getattr(chart, name)
            self.lists[name].set_rows(rows)
            self.tabs.setTabText(index, f"{title} ({len(rows)})" if rows else title)
        self.timeline.set_chart(chart)

    # --- history rows ------------------------------------------------------------------------
    def _entry_dialog(self, name: str, row: Any) -> FormDialog:
        assert self.chart is not None
        pid = self.chart.header.id
        makers: dict[str, Callable[[], FormDialog]] = {
            "problems": lambda: dialogs.problem_dialog(self._history, pid, row, self),
            "medications": lambda: dialogs.medication_dialog(self._history, pid, row, self),
            "allergies": lambda: dialogs.allergy_dialog(self._history, pid, row, self),
            "encounters": lambda: dialogs.encounter_dialog(
                self._history, pid, row, self._providers, self._facilities, self),
            "observations": lambda: dialogs.ObservationDialog(self._history, pid, row, self),
        }
        return makers[name]()

    def open_entry(self, name: str, row: Any) -> None:
        """Add (row None) or edit one history row in its dialog."""
        if self.chart is None:
            return
        dialog = self._entry_dialog(name, row)
        dialog.saved.connect(self._saved)
        self._show_dialog(dialog)

    def record_vitals(self) -> None:
        if self.chart is None:
            return
        encounters: list[EncounterData] = self.chart.encounters
        dialog = VitalsDialog(self._history, self.chart.header.id, encounters, self)
        dialog.saved.connect(self._saved)
        self._show_dialog(dialog)

    def _show_dialog(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def _saved(self, result: Any) -> None:
        if self.chart is None:
            return
        rows = result if isinstance(result, list) else [result]
        self._set_chart(with_saved(self.chart, *rows))

    def delete_entry(self, row: Any) -> None:
        noun = type(row).__name__.removesuffix("Data").lower()
        answer = QMessageBox.question(
            self, f"Delete {noun}", f"Delete this {noun}? Only delete what was entered in "
            "error; the deletion is recorded in the audit log.")
        if answer != QMessageBox.StandardButton.Yes or self.chart is None:
            return
        try:
            self._history.delete(row)
        except Exception as exc:  # noqa: BLE001 - shown by the one presenter
            show_error(self, exc)
            return
        self._set_chart(without(self.chart, row))

    # --- documents ---------------------------------------------------------------------------
    def add_document(self) -> None:
        if self.chart is None:
            return
        name, _ = QFileDialog.getOpenFileName(self, "Add document", str(Path.home()),
                                              DOCUMENT_FILTER)
        if not name:
            return
        path = Path(name)
        try:
            content = path.read_bytes()
            row = self._documents.add(self.chart.header.id, path.name, content,
                                      title=path.stem)
        except OSError as exc:
            QMessageBox.warning(self, "Add document",
                                f"{path.name} could not be read: {exc.strerror}.")
            return
        except Exception as exc:  # noqa: BLE001 - shown by the one presenter
            show_error(self, exc)
            return
        self._set_chart(with_saved(self.chart, row))

    def open_document(self, row: DocumentRow) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            content = self._documents.open(row.id)
        except Exception as exc:  # noqa: BLE001 - DocumentDamaged says what to do
            QGuiApplication.restoreOverrideCursor()
            show_error(self, exc)
            return
        viewer = DocumentViewerDialog(content, self)
        QGuiApplication.restoreOverrideCursor()
        self.dialog = viewer
        viewer.show()

    # --- printing ----------------------------------------------------------------------------
    def print_summary(self) -> None:
        if self.chart is None:
            return
        suggested = Path.home() / f"summary-{self.chart.header.mrn}-{date.today():%Y%m%d}.pdf"
        name, _ = QFileDialog.getSaveFileName(self, "Print summary", str(suggested),
                                              "PDF files (*.pdf)")
        if not name:
            return
        out = Path(name) if name.lower().endswith(".pdf") else Path(f"{name}.pdf")
        pid = self.chart.header.id
        self.print_button.setEnabled(False)
        run_in_background(lambda: self._summary.print_summary(pid, out), self._printed,
                          self._print_failed, parent=self, progress="Printing the summary…")

    def _printed(self, path: Path) -> None:
        self.print_button.setEnabled(True)
        QMessageBox.information(self, "Print summary", f"The summary was saved as\n{path}")

    def _print_failed(self, exc: BaseException) -> None:
        self.print_button.setEnabled(True)
        show_error(self, exc)

    # --- FHIR export -------------------------------------------------------------------------
    def export_fhir(self) -> None:
        """The patient's record as a FHIR R4 bundle, written where the clerk chooses
        (audited by the service)."""
        if self.chart is None or self._fhir is None:
            return
        suggested = Path.home() / f"record-{self.chart.header.mrn}-{date.today():%Y%m%d}.json"
        name, _ = QFileDialog.getSaveFileName(self, "Export FHIR", str(suggested),
                                              "FHIR JSON (*.json)")
        if not name:
            return
        out = Path(name) if name.lower().endswith(".json") else Path(f"{name}.json")
        try:
            out.write_bytes(self._fhir.patient_bundle(self.chart.header.id))
        except OSError as exc:
            show_error(self, UserError(f"{out.name} could not be written ({exc.strerror}); "
                                       "choose another folder."))
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.fhir_file = out
        QMessageBox.information(self, "Export FHIR", f"The record was saved as\n{out}")
