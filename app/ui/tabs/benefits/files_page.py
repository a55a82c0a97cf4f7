"""The Benefits tab's "270 / 271 files" page: write a 270 batch for the clearinghouse portal,
read back the 271 it returns, then go through what the payer reported differently (accept or
reject each change, one by one) and the rejections waiting as work items.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.context import UserContext
from app.services.eligibility import EligibilityService, WorkItemRow
from app.services.eligibility_files import Difference, EligibilityFileService
from app.services.permissions import Permission
from app.ui.errors import show_error, table_cell
from app.ui.widgets.form import heading, note

DIFF_COLUMNS = ("Patient", "What", "The clinic has", "The payer says")
WORK_COLUMNS = ("Opened", "Patient", "Reason", "What to do")


def _table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _shown(field: str, value: str) -> str:
    """Dates as the clerk reads them (MM/DD/YYYY); other values as they are."""
    if field.endswith("dob") and len(value) == 10:
        return f"{value[5:7]}/{value[8:10]}/{value[:4]}"
    return value


class FilesPage(QWidget):
    def __init__(self, *, ctx: UserContext, files: EligibilityFileService,
                 eligibility: EligibilityService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._files, self._eligibility = ctx, files, eligibility
        self.diffs: list[Difference] = []
        self.items: list[WorkItemRow] = []
        self.dialog: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Eligibility files"))
        layout.addWidget(note("Export a 270 for the patients with visits coming up whose "
                              "coverage was not verified in the last 30 days, upload it to "
                              "the clearinghouse portal, and import the 271 it gives back."))
        layout.addWidget(self._exchange_box())
        layout.addWidget(self._differences_box(), 3)
        layout.addWidget(self._work_box(), 2)
        self.reload()

    def _exchange_box(self) -> QGroupBox:
        box = QGroupBox("Exchange")
        self.days = QSpinBox()
        self.days.setRange(0, 365)
        self.days.setValue(7)
        self.days.setSuffix(" days")
        self.export_button = QPushButton("Export 270…")
        self.export_button.clicked.connect(self.export_270)
        self.import_button = QPushButton("Import 271…")
        self.import_button.clicked.connect(self.import_271)
        self.result = QLabel()
        self.result.setWordWrap(True)
        row = QHBoxLayout(box)
        row.addWidget(QLabel("Visits in the next"))
        row.addWidget(self.days)
        row.addWidget(self.export_button)
        row.addSpacing(24)
        row.addWidget(self.import_button)
        row.addWidget(self.result, 1)
        return box

    def _differences_box(self) -> QGroupBox:
        box = QGroupBox("What the payer reported differently")
        self.diff_table = _table(DIFF_COLUMNS)
        self.accept_button = QPushButton("Accept the payer's value")
        self.accept_button.clicked.connect(lambda: self.decide(True))
        self.reject_button = QPushButton("Keep the clinic's value")
        self.reject_button.clicked.connect(lambda: self.decide(False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        column = QVBoxLayout(box)
        column.addWidget(self.diff_table)
        column.addLayout(buttons)
        return box

    def _work_box(self) -> QGroupBox:
        box = QGroupBox("Rejections to follow up")
        self.work_table = _table(WORK_COLUMNS)
        self.done_button = QPushButton("Mark done")
        self.done_button.clicked.connect(self.close_item)
        column = QVBoxLayout(box)
        column.addWidget(self.work_table)
        row = QHBoxLayout()
        row.addWidget(self.done_button)
        row.addStretch(1)
        column.addLayout(row)
        return box

    # --- showing -----------------------------------------------------------------------------
    def reload(self) -> None:
        allowed = self._ctx.can(Permission.EDIT_COVERAGE)
        for w in (self.export_button, self.import_button, self.accept_button,
                  self.reject_button, self.done_button):
            w.setEnabled(allowed)
        if not allowed:
            return
        try:
            self.diffs = self._files.differences()
            self.items = self._eligibility.work_items(source="eligibility_check")
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._fill(self.diff_table, [(d.patient_name, d.label,
                                      _shown(d.field, d.clinic_value) or "(blank)",
                                      _shown(d.field, d.payer_value)) for d in self.diffs])
        self._fill(self.work_table, [(f"{w.created_at.astimezone():%m/%d/%Y}", w.patient_name,
                                      w.reason, w.detail) for w in self.items])

    @staticmethod
    def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
        table.setRowCount(len(rows))
        for i, cells in enumerate(rows):
            for col, text in enumerate(cells):
                table.setItem(i, col, table_cell(text))
        table.resizeColumnsToContents()
        if rows:
            table.selectRow(0)

    # --- actions -----------------------------------------------------------------------------
    def export_270(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save the 270 batch",
                                              str(Path.home() / "eligibility.270"),
                                              "X12 files (*.270 *.x12 *.txt)")
        if not name:
            return
        try:
            r = self._files.export_270(Path(name), days=self.days.value())
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.result.setText(f"Wrote {r.inquiries:,} inquiries to {r.path.name} (interchange "
                            f"{r.control_number}). Upload it to the clearinghouse portal.")

    def import_271(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose the 271 file", str(Path.home()),
                                              "X12 files (*.271 *.x12 *.txt *.edi);;"
                                              "All files (*)")
        if not name:
            return
        try:
            r = self._files.import_271(Path(name))
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.result.setText(f"Read {r.filename}: {r.checks:,} verifications, {r.rejected:,} "
                            f"rejected, {r.differences:,} differences to review below.")
        self.reload()

    def decide(self, accept: bool) -> None:
        row = self.diff_table.currentRow()
        if not 0 <= row < len(self.diffs):
            return
        d = self.diffs[row]
        if accept and QMessageBox.question(
                self, "Accept the change", f"Change the {d.label.lower()} of {d.patient_name} "
                f"to “{d.payer_value}”?") != QMessageBox.StandardButton.Yes:
            return
        try:
            self._files.decide(d.id, accept)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
        self.reload()

    def close_item(self) -> None:
        row = self.work_table.currentRow()
        if not 0 <= row < len(self.items):
            return
        try:
            self._eligibility.close_work_item(self.items[row].id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
        self.reload()
