"""The payment part of the desk page: amount, method, reference and note, with the same
checks the service makes so the clerk hears at once what is wrong. A card is recorded by
its last 4 digits only (PCI DSS 3.4): anything else is refused here and cleared from the
field, before it goes anywhere, and never repeated in a message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from app.ui.tabs.payments.desk_dialogs import METHODS
from app.ui.widgets.form import PROBLEM_STYLE, MoneyLineEdit

LAST4 = re.compile(r"[0-9]{4}")
CHECK_NO = re.compile(r"[A-Za-z0-9-]{1,12}")
HINTS = {"cash": "", "check": "check number", "card": "last 4 digits of the card"}
NOTE_LIMIT = 200


@dataclass(frozen=True)
class Payment:
    amount: Decimal
    method: str
    reference: str
    note: str
    oldest: bool  # else to the visits ticked


def reference_problem(method: str, reference: str) -> str:
    """What is wrong with the reference for the method ('' when nothing)."""
    if method == "card" and not LAST4.fullmatch(reference):
        return "Enter only the last 4 digits of the card, nothing more."
    if method == "check" and reference and not CHECK_NO.fullmatch(reference):
        return "Enter the check number (up to 12 letters or digits)."
    if method == "cash" and reference:
        return "A cash payment has no reference; leave it empty."
    return ""


class PaymentForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.amount = MoneyLineEdit()
        self.amount.setFixedWidth(120)
        self.method = QComboBox()
        for code, label in METHODS.items():
            self.method.addItem(label, code)
        self.method.setFixedWidth(120)
        self.method.currentIndexChanged.connect(lambda _i: self._method_changed())
        self.reference = QLineEdit()
        self.reference.setFixedWidth(200)
        self.note = QLineEdit()
        self.note.setMaxLength(NOTE_LIMIT)
        self.note.setFixedWidth(420)
        self.note.setPlaceholderText("optional, no card numbers")
        self.oldest = QRadioButton("The oldest visits first")
        self.chosen = QRadioButton("The visits ticked above")
        self.oldest.setChecked(True)
        self.problems: dict[str, QLabel] = {}
        group = QButtonGroup(self)
        group.addButton(self.oldest)
        group.addButton(self.chosen)
        self._layout()
        self._method_changed()

    def _layout(self) -> None:
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        apply = QHBoxLayout()
        apply.addWidget(self.oldest)
        apply.addWidget(self.chosen)
        apply.addStretch(1)
        for key, label, w in (("amount", "Amount:", self.amount),
                              ("method", "Method:", self.method),
                              ("reference", "Reference:", self.reference),
                              ("note", "Note:", self.note)):
            form.addRow(label, self._with_problem(key, w))
        form.addRow("Apply to:", apply)

    def _with_problem(self, key: str, editor: QWidget) -> QHBoxLayout:
        problem = QLabel()
        problem.setStyleSheet(PROBLEM_STYLE)
        self.problems[key] = problem
        row = QHBoxLayout()
        row.addWidget(editor)
        row.addWidget(problem, 1)
        return row

    def _method_changed(self) -> None:
        method = self.method_code()
        self.reference.setEnabled(method != "cash")
        if method == "cash":
            self.reference.clear()
        self.reference.setPlaceholderText(HINTS[method])
        self.reference.setMaxLength(12 if method == "check" else 32767)

    def method_code(self) -> str:
        return str(self.method.currentData())

    def set_method(self, method: str) -> None:
        self.method.setCurrentIndex(self.method.findData(method))

    def read(self) -> Payment | None:
        """The payment typed, or None with each problem shown beside its field."""
        self.show_problems({})
        problems: dict[str, str] = {}
        amount = self.amount.money_value()
        if amount is None or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            problems["amount"] = "Enter an amount more than $0.00, in dollars and cents."
        reference = self.reference.text().strip()
        if message := reference_problem(self.method_code(), reference):
            problems["reference"] = message
            if self.method_code() == "card":  # maybe a whole card number: do not keep it
                self.reference.clear()
        if problems:
            self.show_problems(problems)
            return None
        assert amount is not None
        return Payment(amount, self.method_code(), reference, self.note.text().strip(),
                       self.oldest.isChecked())

    def show_problems(self, problems: dict[str, str]) -> None:
        for key, label in self.problems.items():
            label.setText(problems.get(key, ""))

    def problem(self, key: str) -> str:
        return self.problems[key].text()

    def clear(self) -> None:
        for w in (self.amount, self.reference, self.note):
            w.clear()
        self.show_problems({})
