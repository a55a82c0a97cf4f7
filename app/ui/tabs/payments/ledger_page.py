"""The Payments tab's "Ledger" page: a patient's ledger oldest first, every entry in words
with the running balance, the subtotals by visit and by who owes (each payer, the patient),
and the balance. Whoever posts payments writes off a visit line's part here, and runs the
small-balance write-off (a dry run first)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.services.context import UserContext
from app.services.payments import LedgerLine, PatientLedger, VisitTotal
from app.services.permissions import Permission
from app.ui.dialogs.merge_dialog import PatientPicker
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import money_text
from app.ui.tabs.payments.ledger_dialogs import SmallBalancesDialog, visit_line, write_off_dialog
from app.ui.tabs.payments.pdf_dialog import dollars
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import heading, note

COLUMNS = ("Date", "Kind", "Description", "Visit DOS", "Code", "Owed by", "Amount", "Balance")
DESCRIPTION, AMOUNT, BALANCE = 2, 6, 7
VISIT_COLUMNS = ("Visit", "Charged", "Insurance paid", "Patient paid", "Adjusted and other",
                 "Owed by", "Balance")
PARTY_COLUMNS = ("Who owes", "Amount")
ZERO = Decimal("0.00")


def can_view_ledger(ctx: UserContext) -> bool:
    return ctx.can(Permission.VIEW_LEDGER)


def ledger_cells(r: LedgerLine) -> tuple[str, ...]:
    return (date_text(r.entry_date), r.kind_label, r.description, date_text(r.dos), r.code,
            r.owed_by, money_text(r.amount), money_text(r.balance))


def visit_cells(v: VisitTotal) -> tuple[str, ...]:
    kinds = dict(v.by_kind)
    charged = kinds.get("charge", ZERO)
    insurance = kinds.get("insurance_payment", ZERO)
    patient = kinds.get("patient_payment", ZERO)
    other = v.balance - charged - insurance - patient
    owed = "; ".join(f"{p} {money_text(a)}" for p, a in v.by_party)
    return (date_text(v.dos) if v.encounter_id is not None else "Account",
            *map(money_text, (charged, insurance, patient, other)), owed,
            money_text(v.balance))


class LedgerPage(QWidget):
    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.ledger: PatientLedger | None = None
        self.dialog: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Patient ledger"))
        layout.addWidget(note("Every charge, payment, adjustment and transfer of the patient, "
                              "oldest first, with the balance after each. A negative amount "
                              "lowers what is owed."))
        split = QSplitter(Qt.Orientation.Horizontal)
        self.picker = PatientPicker("Patient", sv.patients)
        self.picker.changed.connect(self.load)
        split.addWidget(self.picker)
        split.addWidget(self._right())
        split.setStretchFactor(1, 1)
        split.setSizes([300, 1000])
        layout.addWidget(split, 1)
        self.load()

    def _right(self) -> QWidget:
        self.balance = QLabel()
        font = self.balance.font()
        font.setBold(True)
        self.balance.setFont(font)
        self.table = read_only_table(COLUMNS, stretch=DESCRIPTION)
        self.table.setWordWrap(True)
        self.table.itemSelectionChanged.connect(self._enable)
        visits = QGroupBox("By visit")
        self.visit_table = read_only_table(VISIT_COLUMNS, stretch=5)
        QVBoxLayout(visits).addWidget(self.visit_table)
        parties = QGroupBox("By who owes")
        self.party_table = read_only_table(PARTY_COLUMNS, stretch=0)
        QVBoxLayout(parties).addWidget(self.party_table)
        totals = QSplitter(Qt.Orientation.Horizontal)
        totals.addWidget(visits)
        totals.addWidget(parties)
        totals.setSizes([720, 260])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(totals)
        split.setSizes([470, 200])
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.balance)
        column.addWidget(split, 1)
        column.addLayout(self._buttons())
        return box

    def _buttons(self) -> QHBoxLayout:
        self.write_off_button = QPushButton("Write off…")
        self.write_off_button.setToolTip("Write off the payer's or the patient's part of the "
                                         "chosen row's visit line.")
        self.write_off_button.clicked.connect(self.write_off)
        self.small_button = QPushButton("Small balances…")
        self.small_button.clicked.connect(self.small_balances)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.load)
        poster = self._sv.ctx.can(Permission.POST_PAYMENTS)
        self.write_off_button.setVisible(poster)
        self.small_button.setVisible(poster)
        row = QHBoxLayout()
        row.addWidget(refresh)
        row.addStretch(1)
        row.addWidget(self.write_off_button)
        row.addWidget(self.small_button)
        return row

    # --- showing -------------------------------------------------------------------------------
    def choose(self, patient: Any) -> None:
        """Choose a patient (a PatientRow) as if picked from the search."""
        self.picker.choose(patient)

    def load(self) -> None:
        chosen = self.picker.chosen
        self.ledger = None
        if chosen is not None:
            try:
                self.ledger = self._sv.payments.ledger(chosen.id)
            except Exception as exc:  # noqa: BLE001 - the one presenter shows it
                show_error(self, exc)
        self._fill()

    def _fill(self) -> None:
        led = self.ledger
        fill_table(self.table, [ledger_cells(r) for r in led.rows] if led else [],
                   right=(AMOUNT, BALANCE))
        self.table.resizeRowsToContents()
        fill_table(self.visit_table, [visit_cells(v) for v in led.visits] if led else [],
                   right=(1, 2, 3, 4, 6))
        fill_table(self.party_table, [(p, money_text(a)) for p, a in led.by_party]
                   if led else [], right=(1,))
        self.balance.setText(
            "Choose a patient to see the ledger." if led is None else
            f"Account {led.account_number}: insurance owes {dollars(led.insurance)}, the "
            f"patient owes {dollars(led.patient)}; balance {dollars(led.balance)}.")
        if led and led.rows:
            self.table.scrollToBottom()
        self._enable()

    def current(self) -> LedgerLine | None:
        i = self.table.currentRow()
        rows = self.ledger.rows if self.ledger else ()
        return rows[i] if 0 <= i < len(rows) and self.table.selectedItems() else None

    def _enable(self) -> None:
        row = self.current()
        line = visit_line(self.ledger, row) if self.ledger and row else None
        self.write_off_button.setEnabled(bool(line and line.owed))

    # --- write-offs ------------------------------------------------------------------------------
    def write_off(self) -> None:
        row = self.current()
        line = visit_line(self.ledger, row) if self.ledger and row else None
        if line is None or not line.owed:
            return
        self.dialog = write_off_dialog(self._sv, line, self)
        self.dialog.saved.connect(lambda _r: self.load())
        self.dialog.open()

    def small_balances(self) -> None:
        self.dialog = SmallBalancesDialog(self._sv, self)
        self.dialog.posted.connect(lambda _r: self.load())
        self.dialog.open()
