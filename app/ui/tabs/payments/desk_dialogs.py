"""The desk page's small dialogs for whoever posts payments: a refund of a patient's credit,
and a move of credit from one visit (or the account) to another. Both are `FormDialog`s:
a refused form keeps what was typed and shows each problem under its field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QWidget

from app.errors import ValidationError
from app.services.payments import Applied, PatientBalance
from app.ui.tabs.payments.pdf_dialog import dollars
from app.ui.tabs.payments.services import PaymentsServices
from app.ui.widgets.form import FieldSpec, FormDialog

METHODS = {"cash": "Cash", "check": "Check", "card": "Card"}
ACCOUNT = "account"
ENTER_AMOUNT = "Enter an amount more than $0.00, in dollars and cents."


def line_text(a: Applied) -> str:
    """A visit line of the balance, as a choice: 'DOS 03/01/2026 99213 (owes $20.00)'."""
    if a.charge_line_id is None:
        return f"The account ({'credit' if a.amount < 0 else 'owes'} {dollars(abs(a.amount))})"
    state = f"credit {dollars(-a.amount)}" if a.amount < 0 else f"owes {dollars(a.amount)}"
    return f"DOS {a.dos:%m/%d/%Y} {a.code} ({state})" if a.dos else f"{a.code} ({state})"


def _amount(values: dict[str, Any]) -> Decimal:
    amount = values.get("amount")
    if not isinstance(amount, Decimal):
        raise ValidationError({"amount": ENTER_AMOUNT}, "form")
    return amount


def _line_id(code: str) -> int | None:
    return None if code in ("", ACCOUNT) else int(code)


def refund_dialog(sv: PaymentsServices, balance: PatientBalance,
                  parent: QWidget | None = None) -> FormDialog:
    """Pay back part or all of the patient's credit. `saved` carries the RefundResult."""
    specs = (FieldSpec("amount", "Amount", "money", width=120,
                       default=-balance.patient if balance.patient < 0 else None),
             FieldSpec("method", "Paid back by", "combo", choices=METHODS, show_code=False,
                       width=120, default="check"),
             FieldSpec("reference", "Check no. / card's last 4", width=240,
                       hint="Only the last 4 digits of a card"),
             FieldSpec("reason", "Why", width=320, hint="e.g. Overpaid after insurance"))

    def submit(v: dict[str, Any]) -> object:
        return sv.payments.refund(balance.patient_id, _amount(v), v["method"],
                                  v["reference"], v["reason"])

    dialog = FormDialog("Refund a credit", specs, submit, parent,
                        intro=f"Account {balance.account_number} has a credit of "
                              f"{dollars(max(-balance.patient, Decimal(0)))}. Refund no more "
                              "than that.")
    dialog.form.set_values(None)
    return dialog


def transfer_dialog(sv: PaymentsServices, balance: PatientBalance,
                    parent: QWidget | None = None) -> FormDialog:
    """Move credit between visits (or from the account onto a visit). `saved` carries the
    pair of Applied parts."""
    sources = {ACCOUNT if a.charge_line_id is None else str(a.charge_line_id): line_text(a)
               for a in balance.lines if a.amount < 0}
    targets = {str(a.charge_line_id): line_text(a) for a in balance.lines
               if a.charge_line_id is not None and a.amount > 0}
    targets[ACCOUNT] = "The account (unapplied credit)"
    specs = (FieldSpec("source", "From", "combo", choices=sources, show_code=False, width=320),
             FieldSpec("to", "To", "combo", choices=targets, show_code=False, width=320),
             FieldSpec("amount", "Amount", "money", width=120),
             FieldSpec("reason", "Why", width=320, hint="e.g. Credit applied to the new visit"))

    def submit(v: dict[str, Any]) -> object:
        return sv.payments.transfer_credit(_line_id(v["source"]), _line_id(v["to"]),
                                           _amount(v), v["reason"])

    dialog = FormDialog("Transfer credit", specs, submit, parent,
                        intro="Move the patient's credit onto a visit they owe on, or back "
                              "to the account. A visit takes no more than it owes.")
    dialog.form.set_values(None)
    return dialog
