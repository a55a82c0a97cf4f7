"""Coding › Fees: the practice fee schedule (a charge per code, optionally per modifier) and
payer contract rates (the amount each payer is expected to allow per code, from a date), both
editable here and importable/exportable as CSV (layouts in app.formats.fee_csv; an import is
all-or-nothing with each bad line named), and the CMS NCCI PTP and MUE files with what is
loaded.

Reading needs only VIEW_DIRECTORY; the buttons that change anything are shown to roles with
MANAGE_FEES (the services enforce it). Imports and exports run in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.services.context import UserContext
from app.services.directory import DirectoryService
from app.services.fees import ContractRateData, ContractRateRow, FeeRow, FeeService, ImportResult
from app.services.ncci import EditCounts, NcciService
from app.services.permissions import Permission
from app.ui.dialogs.cpt_import_dialog import choose_file, start_file_job
from app.ui.errors import present_import_error, show_error
from app.ui.table_models.reference_table_models import (
    ContractRateTableModel,
    FeeScheduleTableModel,
    day,
    make_view,
    selected_row,
    stamp,
)
from app.ui.widgets.form import FieldSpec, FormDialog, heading, note

DEBOUNCE_MS = 150
SHOWN_WARNINGS = 10
ALL_PAYERS = "All payers"
FEE_FIELDS = (
    FieldSpec("code", "Code", hint="CPT or HCPCS, e.g. 99213", width=120),
    FieldSpec("modifier", "Modifier", hint="e.g. 26", width=80),
    FieldSpec("charge", "Charge", hint="e.g. 120.00", width=120),
)
FILES = "CSV or text files (*.csv *.txt);;All files (*)"
MUE_FIELDS = (FieldSpec("effective_from", "In force from", "date", width=120),)
READ_ONLY = "Your role can see these but not change them."
INTRO = ("The fee schedule is what the practice charges; contract rates are what each payer "
         "has agreed to allow. CSV imports change or add the rows in the file and keep the "
         "others; a file with a bad line imports nothing.")


def quarter_start(today: date) -> date:
    """The first day of the calendar quarter: CMS NCCI files take effect then."""
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def result_text(result: ImportResult) -> str:
    lines = [f"{result.rows:,} rows read from {result.filename}: {result.added:,} added, "
             f"{result.updated:,} changed, {result.unchanged:,} unchanged."]
    if result.removed:
        lines.append(f"{result.removed:,} stored rows replaced or closed.")
    if result.warnings:
        lines.append("Worth a look (imported anyway):")
        lines += [f"• {w}" for w in result.warnings[:SHOWN_WARNINGS]]
        more = len(result.warnings) - SHOWN_WARNINGS
        lines += [f"…and {more:,} more."] if more > 0 else []
    return "\n".join(lines)


def counts_text(c: EditCounts) -> str:
    ptp = (f"NCCI PTP edits: {c.ptp_edits:,} loaded, {c.ptp_in_force:,} in force today "
           f"(last import {stamp(c.last_ptp_import)})." if c.ptp_edits
           else "No NCCI PTP edits imported yet.")
    mue = (f"MUE limits: {c.mue_in_force:,} in force today (file in force from "
           f"{day(c.mue_effective_from)})." if c.mue_effective_from
           else "No MUE limits imported yet.")
    return f"{ptp}   {mue}"


def _bar(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w, 1 if isinstance(w, QLabel | QLineEdit) else 0)
    return row


def _box(title: str, top: QHBoxLayout, body: QWidget, bottom: QHBoxLayout) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.addLayout(top)
    layout.addWidget(body, 1)
    layout.addLayout(bottom)
    return box


def _filter_edit(hint: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(hint)
    edit.setClearButtonEnabled(True)
    return edit


class FeesPage(QWidget):
    slug = "fees"
    title = "Fees"

    def __init__(self, *, ctx: UserContext, fees: FeeService, ncci: NcciService,
                 directory: DirectoryService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._fees, self._ncci, self._directory = ctx, fees, ncci, directory
        self.dialog: Any = None  # the dialog opened last (tests drive it)
        self.fee_model = FeeScheduleTableModel()
        self.rate_model = ContractRateTableModel()
        self.payers: dict[str, str] = {}  # Payer.id (as text) -> "Name (PAYERID)"
        self._build()
        self.reload()

    # --- construction ---------------------------------------------------------------------------
    def _button(self, text: str, slot: Callable[[], None], edits: bool = True) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        button.setVisible(not edits or self._ctx.can(Permission.MANAGE_FEES))
        return button

    def _build(self) -> None:
        self.fee_filter = _filter_edit("Code or words of its description")
        self.fee_view = make_view(self.fee_model)
        self.fee_count = QLabel()
        self.add_fee_button = self._button("Add…", self.add_fee)
        self.edit_fee_button = self._button("Edit…", self.edit_fee)
        self.delete_fee_button = self._button("Delete", self.delete_fee)
        self.import_fee_button = self._button("Import CSV…", self.import_fees)
        self.export_fee_button = self._button("Export CSV…", self.export_fees, edits=False)
        self.payer_combo = QComboBox()
        self.payer_combo.setMinimumWidth(220)
        self.rate_filter = _filter_edit("Code or words")
        self.rate_view = make_view(self.rate_model)
        self.rate_count = QLabel()
        self.add_rate_button = self._button("Add…", self.add_rate)
        self.edit_rate_button = self._button("Edit…", self.edit_rate)
        self.delete_rate_button = self._button("Delete", self.delete_rate)
        self.import_rate_button = self._button("Import CSV…", self.import_rates)
        self.export_rate_button = self._button("Export CSV…", self.export_rates, edits=False)
        self.ncci_label = QLabel()
        self.ncci_label.setWordWrap(True)
        self.ptp_button = self._button("Import NCCI PTP file…", self.import_ptp)
        self.mue_button = self._button("Import MUE file…", self.import_mue)
        self._connect()
        self._layout()

    def _connect(self) -> None:
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.load_lists)
        for edit in (self.fee_filter, self.rate_filter):
            edit.textChanged.connect(self._timer.start)
        self.payer_combo.currentIndexChanged.connect(lambda _i: self.load_lists())
        self.fee_view.doubleClicked.connect(lambda _i: self.edit_fee())
        self.rate_view.doubleClicked.connect(lambda _i: self.edit_rate())
        for view in (self.fee_view, self.rate_view):
            view.selectionModel().selectionChanged.connect(lambda *_a: self._enable())

    def _layout(self) -> None:
        fees = _box("Practice fee schedule", _bar(self.fee_filter), self.fee_view,
                    _bar(self.add_fee_button, self.edit_fee_button, self.delete_fee_button,
                         self.fee_count, self.import_fee_button, self.export_fee_button))
        rates = _box("Payer contract rates", _bar(self.payer_combo, self.rate_filter),
                     self.rate_view,
                     _bar(self.add_rate_button, self.edit_rate_button, self.delete_rate_button,
                          self.rate_count, self.import_rate_button, self.export_rate_button))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(fees)
        splitter.addWidget(rates)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([560, 680])
        ncci = QGroupBox("NCCI edits (CMS procedure-to-procedure pairs and MUE unit limits)")
        row = QHBoxLayout(ncci)
        row.addWidget(self.ncci_label, 1)
        row.addWidget(self.ptp_button)
        row.addWidget(self.mue_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Fees"))
        layout.addWidget(note(INTRO if self._ctx.can(Permission.MANAGE_FEES) else
                              f"{INTRO} {READ_ONLY}"))
        layout.addWidget(splitter, 1)
        layout.addWidget(ncci)

    # --- reading --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the payers, both lists and the NCCI counts again."""
        try:
            self._load_payers()
            self.ncci_label.setText(counts_text(self._ncci.counts()))
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc)
        self.load_lists()

    def _load_payers(self) -> None:
        chosen = self.payer_combo.currentData()
        self.payers = {str(p.id): f"{p.name} ({p.payer_id})"
                       for p in self._directory.payers() if p.id is not None}
        self.payer_combo.blockSignals(True)
        self.payer_combo.clear()
        self.payer_combo.addItem(ALL_PAYERS, None)
        for key, text in self.payers.items():
            self.payer_combo.addItem(text, int(key))
        self.payer_combo.setCurrentIndex(max(self.payer_combo.findData(chosen), 0))
        self.payer_combo.blockSignals(False)

    def load_lists(self) -> None:
        self._timer.stop()
        try:
            fees = self._fees.fee_schedule(self.fee_filter.text())
            rates = self._fees.contract_rates(self.rate_filter.text(),
                                              payer_id=self.payer_combo.currentData())
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc)
            fees, rates = [], []
        self.fee_model.set_rows(fees)
        self.rate_model.set_rows(rates)
        self.fee_count.setText(f"{len(fees):,} fee{'s' if len(fees) != 1 else ''}")
        self.rate_count.setText(f"{len(rates):,} rate{'s' if len(rates) != 1 else ''}")
        self._enable()

    def selected_fee(self) -> FeeRow | None:
        row = selected_row(self.fee_view)
        return self.fee_model.row(row) if row >= 0 else None

    def selected_rate(self) -> ContractRateRow | None:
        row = selected_row(self.rate_view)
        return self.rate_model.row(row) if row >= 0 else None

    def _enable(self) -> None:
        for button in (self.edit_fee_button, self.delete_fee_button):
            button.setEnabled(self.selected_fee() is not None)
        for button in (self.edit_rate_button, self.delete_rate_button):
            button.setEnabled(self.selected_rate() is not None)

    def _can_edit(self) -> bool:
        return self._ctx.can(Permission.MANAGE_FEES)
    # --- fee schedule ---------------------------------------------------------------------------
    def add_fee(self) -> None:
        self._open_form("Add fee", FEE_FIELDS, None,
                        lambda v: self._fees.set_fee(v["code"], v["modifier"], v["charge"]))

    def edit_fee(self) -> None:
        fee = self.selected_fee()
        if fee is None or not self._can_edit():
            return
        dialog = self._open_form("Edit fee", FEE_FIELDS, fee, lambda v: self._fees.set_fee(
            fee.code, fee.modifier, v["charge"], fee.version))
        dialog.form.set_fields_enabled(("code", "modifier"), False)

    def delete_fee(self) -> None:
        fee = self.selected_fee()
        if fee is None or not self._confirm(f"Delete the fee for {fee.code}"
                                            f"{' ' + fee.modifier if fee.modifier else ''}?"):
            return
        self._act(lambda: self._fees.delete_fee(fee.code, fee.modifier, fee.version))

    def _open_form(self, title: str, specs: tuple[FieldSpec, ...], values: Any,
                   submit: Callable[[dict[str, Any]], Any]) -> FormDialog:
        dialog = FormDialog(title, specs, submit, self)
        dialog.form.set_values(values)
        dialog.saved.connect(lambda _saved: self.load_lists())
        dialog.rejected.connect(self.load_lists)  # after a conflict: show what is stored
        self.dialog = dialog
        dialog.open()
        return dialog

    def _confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Delete", question)
        return answer == QMessageBox.StandardButton.Yes

    def _act(self, call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc)
        self.load_lists()

    # --- contract rates -------------------------------------------------------------------------
    def _rate_fields(self) -> tuple[FieldSpec, ...]:
        return (FieldSpec("payer_id", "Payer", "combo", self.payers, blank=True,
                          show_code=False, width=300),
                FieldSpec("code", "Code", hint="CPT or HCPCS, e.g. 99213", width=120),
                FieldSpec("modifier", "Modifier", hint="e.g. 26", width=80),
                FieldSpec("allowed", "Allowed amount", hint="e.g. 82.17", width=120),
                FieldSpec("effective_from", "In force from", "date", width=120),
                FieldSpec("effective_to", "Until", "date", width=120,
                          hint="empty: until further notice"))

    def add_rate(self) -> None:
        payer = self.payer_combo.currentData()
        start = {"payer_id": "" if payer is None else str(payer), "effective_from": None}
        self._open_form("Add contract rate", self._rate_fields(), start,
                        lambda v: self._save_rate(None, v))

    def edit_rate(self) -> None:
        rate = self.selected_rate()
        if rate is None or not self._can_edit():
            return
        values = {"payer_id": str(rate.payer_id), "code": rate.code, "modifier": rate.modifier,
                  "allowed": str(rate.allowed), "effective_from": rate.effective_from,
                  "effective_to": rate.effective_to}
        self._open_form("Edit contract rate", self._rate_fields(), values,
                        lambda v: self._save_rate(rate, v))

    def _save_rate(self, rate: ContractRateRow | None, v: dict[str, Any]) -> Any:
        problems = {}
        if not v["payer_id"]:
            problems["payer_id"] = "Choose a payer from the list."
        if v["effective_from"] is None:
            problems["effective_from"] = "is required: the first day the rate applies."
        if problems:
            raise ValidationError(problems, "contract rate")
        data = ContractRateData(int(v["payer_id"]), v["code"], v["modifier"], v["allowed"],
                                v["effective_from"], v["effective_to"])
        if rate is not None:
            data = replace(data, id=rate.id, version=rate.version)
        return self._fees.set_contract_rate(data)

    def delete_rate(self) -> None:
        rate = self.selected_rate()
        if rate is None or not self._confirm(
                f"Delete the {rate.payer_code} rate for {rate.code} from "
                f"{day(rate.effective_from)}?"):
            return
        self._act(lambda: self._fees.delete_contract_rate(rate.id, rate.version))

    # --- files ----------------------------------------------------------------------------------
    def import_fees(self) -> None:
        self._import("a fee schedule CSV", self._fees.import_fee_schedule_csv)

    def import_rates(self) -> None:
        self._import("a contract rates CSV", self._fees.import_contract_rates_csv)

    def import_ptp(self) -> None:
        self._import("the CMS NCCI PTP practitioner file", self._ncci.import_ptp_csv)

    def import_mue(self) -> None:
        path = choose_file(self, "Choose the CMS MUE practitioner file", FILES)
        if path is None:
            return
        dialog = FormDialog("Import MUE file", MUE_FIELDS, lambda v: self._start_mue(path, v),
                            self, intro=f"{path.name}: the date its limits take effect "
                                        "(the first day of the quarter it is for).")
        dialog.form.set_values({"effective_from": quarter_start(date.today())})
        self.dialog = dialog
        dialog.open()

    def _start_mue(self, path: Path, values: dict[str, Any]) -> None:
        start = values["effective_from"]
        if start is None:
            raise ValidationError({"effective_from": "is required."}, "MUE import")
        self._run(lambda: self._ncci.import_mue_csv(path, start), "Importing MUE limits")

    def _import(self, what: str, call: Callable[[Path], ImportResult]) -> None:
        path = choose_file(self, f"Choose {what}", FILES)
        if path is not None:
            self._run(lambda: call(path), f"Importing {path.name} (a large file takes a while)")

    def _run(self, call: Callable[[], ImportResult], what: str) -> None:
        start_file_job(self, call, self._imported, self._failed, what)

    def _imported(self, result: ImportResult) -> None:
        self.reload()
        QMessageBox.information(self, "Imported", result_text(result))

    def _failed(self, exc: BaseException) -> None:
        dialog = present_import_error(self, exc)
        if isinstance(dialog, QDialog):
            self.dialog = dialog
        self.reload()

    def export_fees(self) -> None:
        self._export("fee-schedule.csv", self._fees.export_fee_schedule_csv)

    def export_rates(self) -> None:
        self._export("contract-rates.csv", self._fees.export_contract_rates_csv)

    def _export(self, default: str, call: Callable[[Path], int]) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export to CSV", default,
                                              "CSV files (*.csv)")
        if not name:
            return
        path = Path(name) if Path(name).suffix else Path(name).with_suffix(".csv")
        start_file_job(self, lambda: call(path), lambda n: self._exported(path, n),
                       lambda exc: show_error(self, exc), "Exporting")

    def _exported(self, path: Path, rows: int) -> None:
        QMessageBox.information(self, "Exported", f"{rows:,} rows written to {path.name}.")
