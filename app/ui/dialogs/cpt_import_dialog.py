"""Importing the clinic's licensed CPT file: choose the CSV, see its first rows, say which column
holds the code and the short and long descriptions, then import all of it or nothing
(DESIGN.md §2.6; `ProcedureCodeService.preview_cpt_csv` / `import_cpt_csv`). Bad lines are
listed in the dialog by line and column.

Also here, for every file import of the Coding tab's reference pages: `start_file_job` (run the
service call in the background with progress) and `choose_file`. A refused file's bad lines are
shown by `app.ui.errors.present_import_error`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.formats.cpt_csv import CptMapping, column_label
from app.services.procedure_codes import (
    CptImportResult,
    CptPreview,
    ProcedureCodeService,
    import_summary_lines,
)
from app.ui.background import run_in_background
from app.ui.errors import (
    file_problems,
    fill_problems,
    listed_lines,
    present_import_error,
    problems_table,
    show_error,
    table_cell,
)
from app.ui.widgets.form import PROBLEM_STYLE, heading, note

NONE = "(none)"
INTRO = ("CPT codes and descriptions belong to the AMA and are licensed by your clinic; "
         "ClinicClerk never ships them. Choose the CSV file of your licensed codes, check which "
         "column holds each part, then Import. Nothing is imported until every row is right; "
         "codes already in the list get the file's descriptions.")
CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"


# --- shared by every import of the reference pages ------------------------------------------------
def start_file_job(parent: QWidget, call: Callable[[], Any], on_done: Callable[[Any], None],
                 on_error: Callable[[BaseException], None], what: str) -> None:
    """Run an import off the GUI thread with a progress dialog; the page is disabled meanwhile
    so a second click cannot start the same import twice. (Disabled before the progress
    dialog is made, which therefore stays enabled.)"""
    parent.setEnabled(False)

    def done(result: Any) -> None:
        parent.setEnabled(True)
        on_done(result)

    def failed(exc: BaseException) -> None:
        parent.setEnabled(True)
        on_error(exc)

    run_in_background(call, done, failed, parent=parent, progress=f"{what}…")
    # Cancel only stops the waiting (the work finishes unseen): the page is usable again.
    shown = parent.findChildren(QProgressDialog)
    if shown:
        shown[-1].canceled.connect(lambda: parent.setEnabled(True))


def choose_file(parent: QWidget, title: str, filters: str = CSV_FILTER) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    return Path(name) if name else None


# --- the CPT dialog -------------------------------------------------------------------------------
class CptImportDialog(QDialog):
    """Open with `open()`; emits `imported(CptImportResult)` and closes after an import."""

    imported = Signal(object)

    def __init__(self, *, procedure_codes: ProcedureCodeService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import CPT codes")
        self._codes = procedure_codes
        self.path: Path | None = None
        self.preview: CptPreview | None = None
        self.imported_result: CptImportResult | None = None
        self.file_label = QLabel("No file chosen.")
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self.choose)
        self.header_box = QCheckBox("The first line names the columns")
        self.header_box.toggled.connect(lambda _on: self._show_preview())
        self.combos = {k: QComboBox() for k in ("code", "short", "long")}
        for combo in self.combos.values():
            combo.setMinimumWidth(320)
            combo.setMaximumWidth(480)
            combo.currentIndexChanged.connect(lambda _i: self._mapping_changed())
        self.preview_table = QTableWidget()
        self.preview_table.verticalHeader().hide()
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setWordWrap(False)
        self.preview_table.horizontalHeader().setStretchLastSection(True)
        self.summary = note("")
        self.problems = problems_table()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = self.buttons.addButton("Import",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button.clicked.connect(self.run_import)
        self.buttons.rejected.connect(self.reject)
        self._layout()
        self._enable()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        form = QFormLayout()
        form.addRow("", self.header_box)
        form.addRow("CPT code:", self.combos["code"])
        form.addRow("Short description:", self.combos["short"])
        form.addRow("Long description:", self.combos["long"])
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Import CPT codes"))
        layout.addWidget(note(INTRO))
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(QLabel("The file's first rows:"))
        layout.addWidget(self.preview_table, 3)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 2)
        layout.addWidget(self.buttons)
        self.problems.hide()
        self.resize(820, 680)

    # --- the file -------------------------------------------------------------------------------
    def choose(self) -> None:
        path = choose_file(self, "Choose your clinic's CPT file")
        if path is not None:
            self.load_file(path)

    def load_file(self, path: Path) -> None:
        try:
            preview = self._codes.preview_cpt_csv(path)
        except Exception as exc:  # noqa: BLE001 - every kind goes to the one presenter
            present_import_error(self, exc)
            return
        self.path, self.preview = path, preview
        self.file_label.setText(f"{preview.filename}: {preview.total_rows:,} rows, "
                                f"{preview.width} columns")
        self.header_box.blockSignals(True)
        self.header_box.setChecked(preview.mapping.has_header)
        self.header_box.blockSignals(False)
        self._show_preview(preview.mapping)

    def _lines(self) -> list[list[str]]:
        """Every previewed line of the file, the header line (if any) first."""
        p = self.preview
        if p is None:
            return []
        return ([p.headers] if p.headers is not None else []) + p.rows

    def _headers(self) -> list[str] | None:
        lines = self._lines()
        return lines[0] if self.header_box.isChecked() and lines else None

    def _show_preview(self, mapping: CptMapping | None = None) -> None:
        if self.preview is None:
            return
        keep = mapping or self.mapping()
        headers, width = self._headers(), self.preview.width
        body = self._lines()[1:] if headers is not None else self._lines()
        self.preview_table.clear()
        self.preview_table.setColumnCount(width)
        self.preview_table.setRowCount(len(body))
        self.preview_table.setHorizontalHeaderLabels(
            [column_label(headers, i) for i in range(width)])
        for r, cells in enumerate(body):
            for c, text in enumerate(cells[:width]):
                self.preview_table.setItem(r, c, table_cell(text))
        self.preview_table.resizeColumnsToContents()
        for c in range(width):
            self.preview_table.setColumnWidth(c, min(self.preview_table.columnWidth(c), 320))
        self._fill_combos(headers, width, keep)

    def _fill_combos(self, headers: list[str] | None, width: int,
                     mapping: CptMapping | None) -> None:
        chosen = {"code": mapping.code if mapping else 0,
                  "short": mapping.short if mapping else None,
                  "long": mapping.long if mapping else None}
        for key, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            if key != "code":
                combo.addItem(NONE, None)
            for i in range(width):
                label = column_label(headers, i)
                combo.addItem(label if label.startswith("column ") else
                              f"{label} (column {i + 1})", i)
            combo.setCurrentIndex(max(combo.findData(chosen[key]), 0))
            combo.blockSignals(False)
        self._mapping_changed()

    def mapping(self) -> CptMapping | None:
        if self.preview is None:
            return None
        code = self.combos["code"].currentData()
        return CptMapping(code=int(code or 0), short=self.combos["short"].currentData(),
                          long=self.combos["long"].currentData(),
                          has_header=self.header_box.isChecked())

    def set_column(self, part: str, index: int | None) -> None:
        """Choose the file's column (0-based; None for none) for "code", "short" or "long"."""
        combo = self.combos[part]
        combo.setCurrentIndex(max(combo.findData(index), 0))

    def _mapping_changed(self) -> None:
        self._show_result(None, [])
        self._enable()

    def _enable(self) -> None:
        self.import_button.setEnabled(self.preview is not None)

    # --- importing ------------------------------------------------------------------------------
    def run_import(self) -> None:
        mapping, path = self.mapping(), self.path
        if mapping is None or path is None:
            return
        mapping = replace(mapping, has_header=self.header_box.isChecked())
        self.summary.setText("Importing…")
        start_file_job(self, lambda: self._codes.import_cpt_csv(path, mapping), self._done,
                     self._failed, "Importing CPT codes")

    def _done(self, result: CptImportResult) -> None:
        self.imported_result = result
        text = "\n".join(import_summary_lines(result))
        self.imported.emit(result)
        QMessageBox.information(self, "CPT codes imported", text)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        problems = file_problems(exc)
        if problems is None:
            self.summary.setText("")
            show_error(self, exc)
            return
        self._show_result(str(exc).split("\n", 1)[0], problems)

    def _show_result(self, message: str | None, problems: Sequence[Any]) -> None:
        self.summary.setStyleSheet(PROBLEM_STYLE if message else "")
        self.summary.setText(message or "")
        fill_problems(self.problems, problems)
        self.problems.setVisible(bool(problems))

    def problem_lines(self) -> list[int]:
        """The line numbers listed as problems (what the clerk reads in the table)."""
        return listed_lines(self.problems)
