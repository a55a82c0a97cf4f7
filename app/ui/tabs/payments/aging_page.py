"""The Payments tab's "Aging" page: what is owed by payer and by patient in 30-day buckets
(from the date of service or of first submission), as a bar chart and tables; a payer's
bucket opens the claims behind it; the whole report exports as CSV."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.services.aging import BUCKETS, SERVICE, SUBMISSION, AgingClaim, AgingReport
from app.ui.background import run_in_background
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import money_text
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.bar_chart import BarChart
from app.ui.widgets.form import heading, note

PAYER_COLUMNS = ("Payer", *BUCKETS, "Total")
PATIENT_COLUMNS = ("Patient", *BUCKETS, "Total")
CLAIM_COLUMNS = ("Claim", "Patient", "Date of service", "Submitted", "Balance")
PATIENTS_SHOWN = 500


def _money_axis(value: float) -> str:
    return f"${value / 1000:,.0f}k" if value >= 10_000 else f"${value:,.0f}"


class AgingPage(QWidget):
    openClaim = Signal(int)

    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.report: AgingReport | None = None
        self.loading = False
        self._asked = 0  # the latest reload: an older one still running is not shown
        self.drill: list[AgingClaim] = []
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Accounts receivable aging"))
        layout.addWidget(note("Balances from the ledger, by who owes them. Double-click a "
                              "payer's amount to see the claims behind it."))
        layout.addLayout(self._controls())
        self.chart = BarChart(_money_axis)
        layout.addWidget(self.chart)
        layout.addWidget(self._tables(), 1)

    def _controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.basis = QComboBox()
        self.basis.addItem("Age from the date of service", SERVICE)
        self.basis.addItem("Age from the first submission", SUBMISSION)
        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("MM/dd/yyyy")
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.reload)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export_csv)
        for w in (self.basis, QLabel("as of"), self.as_of, refresh, self.export_button):
            row.addWidget(w)
        row.addStretch(1)
        self.unsubmitted = QLabel()
        row.addWidget(self.unsubmitted)
        return row

    def _tables(self) -> QSplitter:
        payers = QGroupBox("Insurance")
        self.payer_table = read_only_table(PAYER_COLUMNS, stretch=0)
        self.payer_table.cellDoubleClicked.connect(self.open_bucket)
        QVBoxLayout(payers).addWidget(self.payer_table)
        claims = QGroupBox("Claims in the chosen bucket")
        self.claim_table = read_only_table(CLAIM_COLUMNS, stretch=1)
        self.claim_table.doubleClicked.connect(self._open_claim)
        QVBoxLayout(claims).addWidget(self.claim_table)
        patients = QGroupBox("Patients")
        self.patient_table = read_only_table(PATIENT_COLUMNS, stretch=0)
        self.patient_note = QLabel()
        column = QVBoxLayout(patients)
        column.addWidget(self.patient_table)
        column.addWidget(self.patient_note)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(payers)
        top.addWidget(claims)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(patients)
        return split

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.report is None and not self.loading:
            self.reload()

    def _as_of(self) -> date:
        return self.as_of.date().toPython()  # type: ignore[return-value]

    def reload(self) -> None:
        """Work the report out off the GUI thread: with every patient who owes something,
        a large clinic's takes seconds."""
        as_of, basis = self._as_of(), self.basis.currentData()
        self.loading = True
        self._asked += 1
        asked = self._asked
        run_in_background(lambda: self._sv.aging.report(as_of=as_of, basis=basis),
                          lambda report: self._done(asked, report),
                          lambda exc: self._done(asked, None, exc), parent=self,
                          progress="Working out the aging…")

    def _done(self, asked: int, report: AgingReport | None,
              exc: BaseException | None = None) -> None:
        """A report (or its failure) back from the background: shown only when it answers
        the latest reload, so an earlier one finishing late never overwrites it (or the
        claims the clerk opened from it)."""
        if asked != self._asked:
            return
        self.loading = False
        if exc is not None:
            show_error(self, exc)
        elif report is not None:
            self._show(report)

    def _show(self, report: AgingReport) -> None:
        self.report = r = report
        payers = [(p.name, *map(money_text, p.buckets), money_text(p.total)) for p in r.payers]
        payers.append(("All payers", *map(money_text, r.totals(r.payers)),
                       money_text(sum(r.totals(r.payers), Decimal(0)))))
        fill_table(self.payer_table, payers, right=range(1, 7))
        shown = r.patients[:PATIENTS_SHOWN]
        fill_table(self.patient_table, [(p.name, *map(money_text, p.buckets),
                                         money_text(p.total)) for p in shown],
                   right=range(1, 7))
        more = len(r.patients) - len(shown)
        self.patient_note.setText(f"{len(r.patients):,} patients owe something"
                                  + (f"; the {len(shown)} largest are shown (the CSV has "
                                     "all)." if more > 0 else "."))
        self.chart.set_data(BUCKETS, {"Insurance": r.totals(r.payers),
                                      "Patients": r.totals(r.patients)})
        self.unsubmitted.setText(f"Not yet submitted: {money_text(r.unsubmitted)}"
                                 if r.basis == SUBMISSION else "")
        self.claim_table.setRowCount(0)

    def open_bucket(self, row: int, column: int) -> None:
        """The claims behind one payer's bucket (a bucket column of the payer table)."""
        if self.report is None or not 0 <= row < len(self.report.payers) \
                or not 1 <= column <= len(BUCKETS):
            return
        payer = self.report.payers[row]
        try:
            self.drill = self._sv.aging.claims(payer.id, column - 1, as_of=self.report.as_of,
                                               basis=self.report.basis)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        fill_table(self.claim_table, [
            (str(c.claim_id) if c.claim_id else "not billed", c.patient_name,
             date_text(c.service_date), date_text(c.submitted_on), money_text(c.balance))
            for c in self.drill], right=(0, 4))

    def _open_claim(self) -> None:
        row = self.claim_table.currentRow()
        if 0 <= row < len(self.drill) and self.drill[row].claim_id:
            self.openClaim.emit(self.drill[row].claim_id)

    def export_csv(self) -> None:
        if self.report is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export aging", "aging.csv",
                                              "CSV files (*.csv)")
        if not name:
            return
        try:
            Path(name).write_text(self._sv.aging.export_csv(self.report), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
