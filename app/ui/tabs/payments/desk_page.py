"""The Payments tab's "Desk payment" page: find the patient, see what they owe visit by
visit, take their payment (cash, check or card by its last 4 digits) applied to the oldest
visits or to the visits ticked, and print the receipt. Whoever posts payments also refunds a
credit and moves credit between visits here. The front desk, who may take payments but not
read the ledger, sees only the patient's own part."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.services.context import UserContext
from app.services.payments import Applied, PatientBalance, PaymentResult
from app.services.permissions import Permission
from app.ui.dialogs.merge_dialog import PatientPicker
from app.ui.errors import show_error, table_cell
from app.ui.tabs.claims import date_text, fit_columns
from app.ui.tabs.coding import OK_COLOUR, RIGHT, money_text
from app.ui.tabs.payments.desk_dialogs import refund_dialog, transfer_dialog
from app.ui.tabs.payments.desk_payment_form import Payment, PaymentForm
from app.ui.tabs.payments.desk_plan import DeskPlanBox
from app.ui.tabs.payments.pdf_dialog import PdfDialog, dollars
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import heading, note, parse_money

COLUMNS = ("Apply", "Date of service", "Code", "Patient owes", "Apply $")
APPLY, DOS, CODE, OWES, AMOUNT = range(len(COLUMNS))


def can_take_payments(ctx: UserContext) -> bool:
    return ctx.can(Permission.TAKE_PAYMENTS)


def balance_text(b: PatientBalance) -> str:
    parts = [f"The patient owes {dollars(b.owes)}"]
    if b.credit:
        parts.append(f"has a credit of {dollars(b.credit)}")
    parts.append(f"balance {dollars(b.patient)}")
    text = "; ".join(parts) + "."
    if b.insurance is not None:
        text += f" Insurance still owes {dollars(b.insurance)} on this account."
    return text


def payment_text(r: PaymentResult, how: str) -> str:
    applied = "; ".join(f"{dollars(a.amount)} to {a.code} on {date_text(a.dos)}"
                        for a in r.applied)
    out = [f"Receipt {r.receipt_number}: {dollars(r.amount)} by {how}."]
    out.append(f"Applied {applied}." if applied else "Nothing was owed yet.")
    if r.credit:
        out.append(f"{dollars(r.credit)} stays on the account as a credit.")
    after = (f"The patient now owes {dollars(r.balance_after)}." if r.balance_after >= 0
             else f"The patient now has a credit of {dollars(-r.balance_after)}.")
    return " ".join([*out, after])


class DeskPage(QWidget):
    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.balance: PatientBalance | None = None
        self.last: PaymentResult | None = None
        self.dialog: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Take a payment at the desk"))
        layout.addWidget(note("Find the patient, check what they owe, then take the payment. "
                              "For a card, type only its last 4 digits."))
        split = QSplitter(Qt.Orientation.Horizontal)
        self.picker = PatientPicker("Patient", sv.patients)
        self.picker.changed.connect(self.load)
        split.addWidget(self.picker)
        split.addWidget(self._right())
        split.setStretchFactor(1, 1)
        split.setSizes([340, 940])
        layout.addWidget(split, 1)
        self.load()

    def _right(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self._owes_box(), 1)
        self.plan_box = DeskPlanBox(self._sv.plans, self._sv.ctx)
        column.addWidget(self.plan_box)
        pay = QGroupBox("The payment")
        self.form = PaymentForm()
        pay_column = QVBoxLayout(pay)
        pay_column.addWidget(self.form)
        pay_column.addLayout(self._buttons())
        column.addWidget(pay)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        column.addWidget(self.result)
        return box

    def _owes_box(self) -> QGroupBox:
        box = QGroupBox("What the patient owes")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(CODE, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._ticked)
        column = QVBoxLayout(box)
        column.addWidget(self.summary)
        column.addWidget(self.table, 1)
        return box

    def _buttons(self) -> QHBoxLayout:
        self.take_button = QPushButton("Take payment")
        self.take_button.setDefault(True)
        self.take_button.clicked.connect(self.take_payment)
        self.receipt_button = QPushButton("Print receipt…")
        self.receipt_button.clicked.connect(self.show_receipt)
        self.refund_button = QPushButton("Refund…")
        self.refund_button.clicked.connect(self.refund)
        self.transfer_button = QPushButton("Transfer credit…")
        self.transfer_button.clicked.connect(self.transfer)
        poster = self._sv.ctx.can(Permission.POST_PAYMENTS)
        self.refund_button.setVisible(poster)
        self.transfer_button.setVisible(poster)
        row = QHBoxLayout()
        for b in (self.take_button, self.receipt_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.refund_button)
        row.addWidget(self.transfer_button)
        return row

    # --- showing -------------------------------------------------------------------------------
    def choose(self, patient: Any) -> None:
        """Choose a patient (a PatientRow) as if picked from the search."""
        self.picker.choose(patient)

    def load(self) -> None:
        """What the chosen patient owes, again."""
        chosen = self.picker.chosen
        self.balance = None
        if chosen is not None:
            try:
                self.balance = self._sv.payments.patient_balance(chosen.id)
                self.plan_box.load(chosen.id)
            except Exception as exc:  # noqa: BLE001 - the one presenter shows it
                show_error(self, exc)
        else:
            self.plan_box.load(None)
        self._fill()

    def _fill(self) -> None:
        b = self.balance
        self.summary.setText(balance_text(b) if b else "Find and choose a patient first.")
        lines = b.lines if b else ()
        self.table.blockSignals(True)
        self.table.setRowCount(len(lines))
        for i, a in enumerate(lines):
            self._fill_row(i, a)
        self.table.blockSignals(False)
        fit_columns(self.table)
        self.table.setColumnWidth(AMOUNT, 110)  # room to type an amount in an empty cell
        self._enable()

    def _fill_row(self, i: int, a: Applied) -> None:
        owed = a.charge_line_id is not None and a.amount > 0
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        tick = QTableWidgetItem()
        tick.setFlags(base | Qt.ItemFlag.ItemIsUserCheckable if owed else base)
        if owed:
            tick.setCheckState(Qt.CheckState.Unchecked)
        amount = QTableWidgetItem("")
        amount.setTextAlignment(RIGHT)
        amount.setFlags(base | Qt.ItemFlag.ItemIsEditable if owed else base)
        self.table.setItem(i, APPLY, tick)
        self.table.setItem(i, DOS, table_cell(date_text(a.dos) if a.dos else "Account"))
        self.table.setItem(i, CODE, table_cell(a.code or "credit, not applied"))
        self.table.setItem(i, OWES, table_cell(money_text(a.amount), right=True))
        self.table.setItem(i, AMOUNT, amount)

    def _ticked(self, item: QTableWidgetItem) -> None:
        """Ticking a visit offers what it owes; choosing visits switches the apply mode."""
        if item.column() != APPLY or self.balance is None:
            return
        amount = self._cell(item.row(), AMOUNT)
        on = item.checkState() == Qt.CheckState.Checked
        if on and not amount.text():
            amount.setText(money_text(self.balance.lines[item.row()].amount))
        if on:
            self.form.chosen.setChecked(True)

    def tick(self, row: int, amount: str = "") -> None:
        self._cell(row, APPLY).setCheckState(Qt.CheckState.Checked)
        if amount:
            self._cell(row, AMOUNT).setText(amount)

    def _cell(self, row: int, col: int) -> QTableWidgetItem:
        item = self.table.item(row, col)
        assert item is not None  # every cell of a filled row has its item
        return item

    def _enable(self) -> None:
        b = self.balance
        self.take_button.setEnabled(b is not None)
        self.receipt_button.setEnabled(self.last is not None)
        self.refund_button.setEnabled(b is not None and b.patient < 0)
        self.transfer_button.setEnabled(b is not None and b.credit > 0)

    # --- taking a payment ----------------------------------------------------------------------
    def _chosen_lines(self) -> list[tuple[int, Decimal]] | None:
        assert self.balance is not None
        out: list[tuple[int, Decimal]] = []
        for i, a in enumerate(self.balance.lines):
            if self._cell(i, APPLY).checkState() != Qt.CheckState.Checked:
                continue
            try:
                amount = parse_money(self._cell(i, AMOUNT).text())
            except ValueError:
                amount = None
            if amount is None or a.charge_line_id is None:
                self.form.show_problems({"amount": f"Row {i + 1}: type the amount to apply "
                                                   "to that visit as 20.00."})
                return None
            out.append((a.charge_line_id, amount))
        if not out:
            self.form.show_problems({"amount": "Tick the visits to apply the payment to, "
                                               "or apply it to the oldest visits."})
            return None
        return out

    def take_payment(self) -> None:
        payment = self.form.read()
        if payment is None or self.balance is None:
            return
        apply = "oldest" if payment.oldest else self._chosen_lines()
        if apply is None:
            return
        try:
            r = self._sv.payments.take_payment(self.balance.patient_id, payment.amount,
                                               payment.method, payment.reference,
                                               payment.note, apply)
        except ValidationError as exc:
            self.form.show_problems({k if k in self.form.problems else "amount": m
                                     for k, m in exc.problems.items()})
            return
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self._taken(r, payment)

    def _taken(self, r: PaymentResult, payment: Payment) -> None:
        self.last = r
        how = (f"card ending {payment.reference}" if payment.method == "card"
               else f"check {payment.reference}".strip() if payment.method == "check"
               else "cash")
        text = payment_text(r, how)
        try:
            text = " ".join(t for t in (text, self.plan_box.apply(r.payment_id)) if t)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)  # the payment stands; the plan can take it from its page
        self.result.setText(text)
        self.form.clear()
        self.form.oldest.setChecked(True)
        self.load()

    def show_receipt(self) -> None:
        """The last payment's receipt, to print or save."""
        if self.last is None:
            return
        try:
            pdf = self._sv.payments.receipt(self.last.payment_id)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        number = self.last.receipt_number
        self.dialog = PdfDialog(f"Receipt {number}", pdf, f"receipt-{number}.pdf", self)
        self.dialog.open()

    # --- credit --------------------------------------------------------------------------------
    def refund(self) -> None:
        if self.balance is not None:
            self._open(refund_dialog(self._sv, self.balance, self), "Refunded")

    def transfer(self) -> None:
        if self.balance is not None:
            self._open(transfer_dialog(self._sv, self.balance, self), "Credit moved")

    def _open(self, dialog: Any, done: str) -> None:
        self.dialog = dialog
        dialog.saved.connect(lambda _r: self._credit_done(done))
        dialog.open()

    def _credit_done(self, done: str) -> None:
        self.load()
        if self.balance is not None:
            self.result.setText(f"{done}. {balance_text(self.balance)}")
