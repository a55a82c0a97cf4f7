"""Importing patients from a CSV file: choose the file, say which column holds which field,
check every row, then import all of it, or only the clean rows with the others saved to a file
to fix (DESIGN.md §2.6). The service does the reading, checking and writing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.formats.identifiers import digits
from app.services.patient_import import (
    FIELD_LABELS,
    FIELDS,
    REQUIRED,
    CsvFile,
    ImportCheck,
    ImportResult,
    PatientImportService,
    default_mapping,
    patients_count,
)
from app.services.patients import mask_ssn
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.widgets.form import PROBLEM_STYLE, heading, note

NOT_IMPORTED = "(not imported)"
SHOWN_PROBLEMS = 2000  # more would only slow the table; the rejected file holds them all
INTRO = ("Choose a CSV file of patients, check which column holds each field, then Check. "
         "Nothing is imported until every row is clean, unless you choose to import only the "
         "clean rows and save the others to a file to fix. Dates may be YYYY-MM-DD or "
         "MM/DD/YYYY.")


def _item(text: str, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().hide()
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class PatientImportDialog(QDialog):
    """Open with `open()`; emits `imported(ImportResult)` and closes after an import."""

    imported = Signal(object)

    def __init__(self, *, importer: PatientImportService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import patients from CSV")
        self._importer = importer
        self.csv: CsvFile | None = None
        self.check: ImportCheck | None = None
        self.combos: dict[str, QComboBox] = {}
        self.file_label = QLabel("No file chosen.")
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self.choose_file)
        self.mapping_table = _table(["ClinicClerk field", "Column in the file", "First row"])
        self.check_button = QPushButton("Check")
        self.check_button.clicked.connect(self.run_check)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.problems_table = _table(["Line", "Column", "What to fix"])
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.clean_button = self.buttons.addButton(
            "Import only the clean rows…", QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button.clicked.connect(self.import_all)
        self.clean_button.clicked.connect(self.import_clean)
        self.buttons.rejected.connect(self.reject)
        self._layout()
        self._set_check(None)
        self.check_button.setEnabled(False)

    def _layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Import patients"))
        layout.addWidget(note(INTRO))
        row = QHBoxLayout()
        row.addWidget(self.choose_button)
        row.addWidget(self.file_label, 1)
        layout.addLayout(row)
        layout.addWidget(QLabel("Which column holds each field (* is required):"))
        layout.addWidget(self.mapping_table, 3)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.summary, 1)
        layout.addLayout(check_row)
        layout.addWidget(self.problems_table, 2)
        layout.addWidget(self.buttons)
        self.resize(760, 720)

    # --- the file and its columns ----------------------------------------------------------------
    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose a CSV file of patients", "", "CSV files (*.csv *.txt);;All files (*)")
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path) -> None:
        try:
            csv_file = self._importer.read(path)
        except Exception as exc:  # noqa: BLE001 - every kind goes to the one presenter
            show_error(self, exc)
            return
        self.csv = csv_file
        self.file_label.setText(f"{csv_file.name}: {len(csv_file.rows):,} rows, "
                                f"{len(csv_file.headers)} columns")
        self._fill_mapping(csv_file)
        self.check_button.setEnabled(True)
        self._set_check(None)

    def _fill_mapping(self, csv_file: CsvFile) -> None:
        mapping = default_mapping(csv_file.headers)
        self.combos.clear()
        self.mapping_table.setRowCount(len(FIELDS))
        for i, f in enumerate(FIELDS):
            star = " *" if f in REQUIRED else ""
            self.mapping_table.setItem(i, 0, _item(FIELD_LABELS[f] + star))
            combo = QComboBox()
            combo.addItem(NOT_IMPORTED, None)
            for h in csv_file.headers:
                combo.addItem(h, h)
            combo.setCurrentIndex(max(combo.findData(mapping[f]), 0))
            combo.currentIndexChanged.connect(lambda _i, f=f: self._mapping_changed(f))
            self.mapping_table.setCellWidget(i, 1, combo)
            self.mapping_table.setItem(i, 2, _item(""))
            self.combos[f] = combo
            self._show_sample(f)

    def _show_sample(self, f: str) -> None:
        if self.csv is None:
            return
        column = self.combos[f].currentData()
        value = self.csv.rows[0].values.get(column, "") if column else ""
        if f == "ssn" and value:
            value = mask_ssn(digits(value)[-4:])  # masked everywhere (issue 3)
        row = FIELDS.index(f)
        item = self.mapping_table.item(row, 2)
        if item is not None:
            item.setText(value)

    def _mapping_changed(self, f: str) -> None:
        self._show_sample(f)
        self._set_check(None)

    def mapping(self) -> dict[str, str | None]:
        return {f: combo.currentData() for f, combo in self.combos.items()}

    def set_column(self, field: str, column: str | None) -> None:
        """Choose the file's column for an app field (what the clerk does with the combo)."""
        combo = self.combos[field]
        combo.setCurrentIndex(max(combo.findData(column), 0))

    # --- checking --------------------------------------------------------------------------------
    def run_check(self) -> None:
        if self.csv is None:
            return
        csv_file, mapping = self.csv, self.mapping()
        self.check_button.setEnabled(False)
        self.summary.setText("Checking every row…")
        run_in_background(
            lambda: self._importer.check(csv_file, mapping, us_dates=True),
            self._checked, self._failed, parent=self, progress="Checking every row…")

    def _checked(self, check: ImportCheck) -> None:
        self.check_button.setEnabled(True)
        self._set_check(check)

    def _failed(self, exc: BaseException) -> None:
        self.check_button.setEnabled(self.csv is not None)
        self.setEnabled(True)
        self.summary.setText("")
        show_error(self, exc)

    def _set_check(self, check: ImportCheck | None) -> None:
        self.check = check
        self._fill_problems(check)
        self.summary.setStyleSheet("" if check is None or check.ok else PROBLEM_STYLE)
        self.summary.setText(self._summary_text(check))
        self.import_button.setEnabled(check is not None and check.ok)
        header_problem = check is not None and any(p.line == 1 for p in check.problems)
        self.clean_button.setEnabled(
            check is not None and bool(check.problems) and bool(check.clean)
            and check.already_imported is None and not header_problem)

    @staticmethod
    def _summary_text(check: ImportCheck | None) -> str:
        if check is None:
            return ""
        if check.already_imported is not None:
            return check.already_imported.refusal()
        if any(p.line == 1 for p in check.problems):
            return "Fix the columns first: choose a column of the file for each field marked *."
        if not check.problems:
            return f"All {check.total:,} rows are clean and ready to import."
        bad = len(check.bad_lines)
        return (f"{check.total:,} rows: {len(check.clean):,} clean, {bad:,} with problems "
                f"({len(check.problems):,} to fix). Nothing is imported until the file is "
                "clean, or import only the clean rows.")

    def _fill_problems(self, check: ImportCheck | None) -> None:
        shown = check.problems[:SHOWN_PROBLEMS] if check else []
        self.problems_table.setRowCount(len(shown))
        for i, p in enumerate(shown):
            self.problems_table.setItem(i, 0, _item(str(p.line), align_right=True))
            self.problems_table.setItem(i, 1, _item(p.column))
            self.problems_table.setItem(i, 2, _item(p.reason))
        self.problems_table.setVisible(bool(shown))

    def problem_lines(self) -> list[str]:
        """The problems listed, as "line N, column: reason"."""
        t = self.problems_table

        def cell(row: int, col: int) -> str:
            item = t.item(row, col)
            return item.text() if item is not None else ""

        return [f"line {cell(i, 0)}, {cell(i, 1)}: {cell(i, 2)}" for i in range(t.rowCount())]

    # --- importing -------------------------------------------------------------------------------
    def import_all(self) -> None:
        check = self.check
        if check is None or not check.ok:
            return
        self._commit(lambda: self._importer.commit(check), check)

    def import_clean(self) -> None:
        check = self.check
        if check is None or not check.clean:
            return
        source = check.csv.path
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the rejected rows to fix them", str(
                source.with_name(f"{source.stem}-rejected.csv")), "CSV files (*.csv)")
        if not name:
            return
        out = Path(name)
        self._commit(lambda: self._importer.commit(check, only_clean=True, rejected_out=out),
                     check)

    def _commit(self, fn: Callable[[], ImportResult], check: ImportCheck) -> None:
        self.setEnabled(False)
        run_in_background(fn, self._done, self._failed, parent=self,
                          progress=f"Importing {patients_count(len(check.clean))}…")

    def _done(self, result: ImportResult) -> None:
        self.setEnabled(True)
        text = (f"Imported {patients_count(result.imported)} "
                f"({result.first_mrn} to {result.last_mrn}).")
        if result.rejected:
            text += (f"\n{result.rejected:,} rows with problems were saved with a \"problem\" "
                     "column; fix them there and import that file.")
        QMessageBox.information(self, "Patients imported", text)
        self.imported.emit(result)
        self.accept()
