"""The ledger page's dialogs for whoever posts payments: writing off the payer's or the
patient's part of one visit line, and the small-balance write-off (a dry run listed first,
then posted on the clerk's word)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.services.payments import PATIENT_LABEL, LedgerLine, PatientLedger, SmallBalanceRun
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text, fill_table, read_only_table
from app.ui.tabs.coding import OK_COLOUR, money_text
from app.ui.tabs.payments.pdf_dialog import dollars
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import FieldSpec, FormDialog

ZERO = Decimal("0.00")
SMALL_COLUMNS = ("Account", "Date of service", "Patient owes")


@dataclass(frozen=True)
class VisitLine:
    """A visit line of the ledger and who owes what on it (from the ledger's own rows)."""

    charge_line_id: int
    dos: Any
    code: str
    owed: tuple[tuple[str, int | None, Decimal], ...]  # (party, coverage, amount) owed > 0

    @property
    def label(self) -> str:
        return f"{self.code} on {date_text(self.dos)}"


def visit_line(ledger: PatientLedger, row: LedgerLine) -> VisitLine | None:
    """What is owed on the visit line of a ledger row (None for an account entry)."""
    if row.charge_line_id is None:
        return None
    sums: dict[tuple[str, int | None], Decimal] = defaultdict(lambda: ZERO)
    for r in ledger.rows:
        if r.charge_line_id == row.charge_line_id:
            sums[(r.owed_by, r.coverage_id)] += r.amount
    owed = tuple((party, cov, a) for (party, cov), a in
                 sorted(sums.items(), key=lambda x: x[0][0] == PATIENT_LABEL) if a > 0)
    return VisitLine(row.charge_line_id, row.dos, row.code, owed)


def write_off_dialog(sv: PaymentsServices, v: VisitLine,
                     parent: QWidget | None = None) -> FormDialog:
    """Write off one part of a visit line. `saved` carries the Applied part."""
    parts = {p: f"{p}'s part ({dollars(a)} owed)" for p, _cov, a in v.owed}
    coverage = {p: cov for p, cov, _a in v.owed}
    specs = (FieldSpec("part", "Whose part", "combo", choices=parts, show_code=False,
                       width=300),
             FieldSpec("amount", "Amount", "money", width=120,
                       default=v.owed[0][2] if v.owed else None),
             FieldSpec("reason", "Why", width=300, hint="e.g. Timely filing limit missed"))

    def submit(values: dict[str, Any]) -> object:
        amount = values["amount"]
        if not isinstance(amount, Decimal):
            raise ValidationError({"amount": "Enter the amount to write off."}, "write-off")
        party = str(values["part"])
        bucket = "patient" if party == PATIENT_LABEL else "payer"
        return sv.payments.write_off(v.charge_line_id, amount, bucket, values["reason"],
                                     coverage.get(party))

    dialog = FormDialog(f"Write off {v.label}", specs, submit, parent,
                        intro="The amount is given up for good: the ledger keeps a write-off "
                              "entry, and a payer's denial of the line is settled when its "
                              "whole part is written off.")
    dialog.form.set_values(None)
    owed = {p: a for p, _cov, a in v.owed}
    combo = dialog.form.editors["part"]
    combo.currentIndexChanged.connect(  # type: ignore[attr-defined]
        lambda _i: dialog.form.editors["amount"].set_money(  # type: ignore[attr-defined]
            owed.get(combo.currentData())))  # type: ignore[attr-defined]
    return dialog


class SmallBalancesDialog(QDialog):
    """The visits the small-balance write-off would clear, then "Write these off".
    `posted` carries the run after posting. Open it with `open()`."""

    posted = Signal(object)

    def __init__(self, sv: PaymentsServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sv = sv
        self.run: SmallBalanceRun | None = None
        self.setWindowTitle("Write off small balances")
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.table = read_only_table(SMALL_COLUMNS, stretch=0)
        self.total = QLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.post_button = self.buttons.addButton("Write these off",
                                                  QDialogButtonBox.ButtonRole.ActionRole)
        self.post_button.clicked.connect(self.post)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (self.intro, self.table, self.total, self.buttons):
            layout.addWidget(w, 1 if w is self.table else 0)
        self.resize(560, 480)
        self.preview()

    def preview(self) -> None:
        """The dry run: what would be written off, nothing posted."""
        try:
            self.run = self._sv.payments.write_off_small_balances(dry_run=True)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        r = self.run
        self.intro.setText(
            f"Patient balances of a visit up to {dollars(r.limit)} (the limit in the billing "
            "settings), where no payer still owes anything and the patient has no credit. "
            "Nothing is written off until you say so.")
        self._show(r)
        self.post_button.setEnabled(bool(r.rows))

    def _show(self, r: SmallBalanceRun) -> None:
        fill_table(self.table, [(x.account_number, date_text(x.dos), money_text(x.amount))
                                for x in r.rows], right=(2,))
        done = "Written off" if not r.dry_run else "Would write off"
        self.total.setText(f"{done}: {len(r.rows):,} visit(s), {dollars(r.total)} in all.")

    def post(self) -> None:
        try:
            r = self._sv.payments.write_off_small_balances(dry_run=False)
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return
        self.run = r
        self._show(r)
        self.total.setStyleSheet(f"color: {OK_COLOUR}; font-weight: bold;")
        self.post_button.setEnabled(False)
        self.posted.emit(r)
