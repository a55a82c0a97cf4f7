"""A patient's estimate: type the planned codes (with modifiers and units) and the date of
service, see charges, expected allowed amounts and the patient's likely share line by line
with every step of the arithmetic, and save it as a PDF to hand to the patient.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.services.estimates import EstimateResult, EstimateService, PlannedService
from app.ui.errors import show_error, table_cell
from app.ui.widgets.form import DateLineEdit

PLAN_COLUMNS = ("Code", "Modifiers", "Units")
RESULT_COLUMNS = ("Code", "Description", "Charge", "Allowed", "Patient", "Insurance")
BLANK_ROWS = 6


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


class EstimateDialog(QDialog):
    def __init__(self, *, estimates: EstimateService, patient_id: int, patient_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Estimate for {patient_name}")
        self._estimates, self._patient_id = estimates, patient_id
        self.result: EstimateResult | None = None
        self.dos = DateLineEdit()
        self.dos.set_date(date.today())
        self.dos.setFixedWidth(110)
        self.plan = QTableWidget(BLANK_ROWS, len(PLAN_COLUMNS))
        self.plan.setHorizontalHeaderLabels(list(PLAN_COLUMNS))
        self.plan.verticalHeader().hide()
        for row in range(BLANK_ROWS):
            self.plan.setItem(row, 2, QTableWidgetItem("1"))
        self.work_button = QPushButton("Work it out")
        self.work_button.clicked.connect(self.work_out)
        self.pdf_button = QPushButton("Save as PDF…")
        self.pdf_button.clicked.connect(self.save_pdf)
        self.pdf_button.setEnabled(False)
        self.lines = QTableWidget(0, len(RESULT_COLUMNS))
        self.lines.setHorizontalHeaderLabels(list(RESULT_COLUMNS))
        self.lines.verticalHeader().hide()
        self.lines.horizontalHeader().setStretchLastSection(True)
        self.totals = QLabel()
        self.steps = QPlainTextEdit()
        self.steps.setReadOnly(True)
        self._layout()
        self.resize(980, 640)

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Date of service:"))
        top.addWidget(self.dos)
        top.addStretch(1)
        top.addWidget(self.work_button)
        top.addWidget(self.pdf_button)
        left = QVBoxLayout()
        left.addWidget(QLabel("Planned services:"))
        left.addWidget(self.plan)
        right = QVBoxLayout()
        right.addWidget(self.lines, 2)
        right.addWidget(self.totals)
        right.addWidget(QLabel("How it was worked out:"))
        right.addWidget(self.steps, 1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body)

    def planned(self) -> list[PlannedService]:
        out = []
        for row in range(self.plan.rowCount()):
            code, mods, units = (self._text(row, c) for c in range(3))
            if not code:
                continue
            try:
                count = Decimal(units or "1")
            except InvalidOperation:
                raise UserError(f"Row {row + 1}: units must be a number.") from None
            out.append(PlannedService(code, tuple(m for m in mods.replace(",", " ").split()),
                                      count))
        return out

    def _text(self, row: int, col: int) -> str:
        item = self.plan.item(row, col)
        return item.text().strip() if item else ""

    def work_out(self) -> None:
        dos = self.dos.date_value()
        try:
            if dos is None:
                raise UserError("Type the date of service as MM/DD/YYYY.")
            self.result = self._estimates.estimate(self._patient_id, self.planned(), dos)
        except ValidationError as exc:
            self.result = None
            self.steps.setPlainText("\n".join(f"{k}: {v}" for k, v in exc.problems.items()))
            self.pdf_button.setEnabled(False)
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows the rest
            show_error(self, exc)
            return
        self._show(self.result)

    def _show(self, r: EstimateResult) -> None:
        e = r.estimate
        self.lines.setRowCount(len(e.lines))
        for i, ln in enumerate(e.lines):
            cells = (ln.code, ln.description, _money(ln.charge), _money(ln.allowed),
                     _money(ln.patient), _money(ln.insurer))
            for col, text in enumerate(cells):
                self.lines.setItem(i, col, table_cell(text, right=col >= 2))
        self.lines.resizeColumnsToContents()
        payer = r.payer_name or "no insurance (self-pay)"
        self.totals.setText(f"<b>Patient's estimated share: {_money(e.patient_total)}</b> · "
                            f"expected from {payer}: {_money(e.insurer_total)} · charges "
                            f"{_money(e.total_charge)}")
        self.steps.setPlainText("\n".join([*e.steps, *e.notes]))
        self.pdf_button.setEnabled(True)

    def save_pdf(self) -> None:
        if self.result is None:
            return
        suggested = Path.home() / f"estimate-{date.today():%Y%m%d}.pdf"
        name, _ = QFileDialog.getSaveFileName(self, "Save the estimate", str(suggested),
                                              "PDF files (*.pdf)")
        if not name:
            return
        try:
            self._estimates.write_pdf(self.result, Path(name))
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
