"""The Plans list's dialogs: apply a payment (taken now at the desk, or taken earlier) with
the clerk's choice for an overpayment; record the signed date; pause or cancel with a
reason; renegotiate (the terms form, prefilled from what is left); choose a patient to
filter by. Each is opened with `open()` (never blocks) and emits `saved(result)` once the
service has done it; a refusal is shown in red inside the dialog, which stays open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.formats.plan_schedule import PlanTerms
from app.services.payments import PaymentResult
from app.services.permissions import Permission
from app.services.plans import NEXT, SHORTEN, PlanApplication, PlanDetail
from app.ui.dialogs.merge_dialog import PatientPicker
from app.ui.errors import show_error
from app.ui.tabs.claims import date_text
from app.ui.tabs.payments.desk_dialogs import METHODS
from app.ui.tabs.payments.desk_payment_form import HINTS, reference_problem
from app.ui.tabs.payments.pdf_dialog import dollars
from app.ui.tabs.plans.services import PlansServices
from app.ui.tabs.plans.terms_form import TermsForm
from app.ui.widgets.form import PROBLEM_STYLE, MoneyLineEdit, note

ORDER_TEXT = ("Money first pays what is due: every unpaid installment due by today, oldest "
              "first, then the next one (paying ahead of its date is normal). Only what is "
              "left after that is an overpayment.")
NEXT_TEXT = ("The overpayment pays the following installments in order. The patient is "
             "ahead; the plan keeps its dates and ends when it would have.")
SHORTEN_TEXT = ("The overpayment pays the last installments first, from the end back. The "
                "plan ends sooner; the next installments are still due on their dates.")


def problem_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(PROBLEM_STYLE)
    label.hide()
    return label


def say(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class _Dialog(QDialog):
    saved = Signal(object)

    def __init__(self, title: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.result_value: Any = None
        self.problem = problem_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def finish(self, layout: QVBoxLayout, width: int) -> None:
        """Problem line and buttons last; `width` fixed first so that the wrapped notes
        get the height they need (a dialog sized later cuts them off)."""
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        # the layout sets the dialog's minimum size from its widgets: the buttons' row,
        # always shown, carries the width
        self.buttons.setMinimumWidth(width)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        # A button made default before it was in the dialog is not the dialog's default:
        # made again now, Enter in a field presses it (not Cancel).
        self.ok_button.setDefault(False)
        self.ok_button.setDefault(True)

    def submit(self) -> None:
        raise NotImplementedError

    def run(self, action: Callable[[], Any]) -> bool:
        """Call the service; True when it was done (then `saved` and the dialog closes)."""
        say(self.problem, "")
        try:
            self.result_value = action()
        except UserError as exc:
            say(self.problem, str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - the one presenter shows it
            show_error(self, exc)
            return False
        self.saved.emit(self.result_value)
        self.accept()
        return True


class ApplyPaymentDialog(_Dialog):
    """Money taken now is taken and applied in one save; `taken` carries the desk payment
    (for its receipt). Money taken earlier is applied from the payments not yet applied."""

    taken = Signal(object)

    def __init__(self, sv: PlansServices, d: PlanDetail, parent: QWidget | None = None) -> None:
        super().__init__(f"Apply a payment to plan {d.number}", "Apply", parent)
        self._sv, self.plan = sv, d
        self.payment: PaymentResult | None = None
        self.amount = MoneyLineEdit()
        self.amount.setFixedWidth(120)
        nxt = d.next_installment
        self.amount.set_money(nxt.left if nxt else None)
        layout = QVBoxLayout(self)
        intro = f"Left to pay on plan {d.number}: {dollars(d.balance)}."
        if nxt is not None:
            intro += (f" Next: installment {nxt.number}, {dollars(nxt.left)} due "
                      f"{date_text(nxt.due_date)}.")
        layout.addWidget(note(intro))
        form = QFormLayout()
        form.addRow("Amount:", self.amount)
        layout.addLayout(form)
        layout.addWidget(self._money_box())
        layout.addWidget(self._overpayment_box())
        self.finish(layout, 600)

    def _money_box(self) -> QGroupBox:
        box = QGroupBox("The money")
        self.take_now = QRadioButton("Take it now at the desk:")
        self.taken_before = QRadioButton("Already taken at the desk (payments since the plan "
                                         "was set up, not yet applied to it)")
        self.method = QComboBox()
        for code, label in METHODS.items():
            self.method.addItem(label, code)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.reference = QLineEdit()
        self.reference.setFixedWidth(160)
        group = QButtonGroup(self)
        for b in (self.take_now, self.taken_before):
            group.addButton(b)
            b.toggled.connect(self._method_changed)
        can_take = self._sv.ctx.can(Permission.TAKE_PAYMENTS)
        self.take_now.setEnabled(can_take)
        (self.take_now if can_take else self.taken_before).setChecked(True)
        row = QHBoxLayout()
        for w in (self.take_now, self.method, self.reference):
            row.addWidget(w)
        row.addStretch(1)
        column = QVBoxLayout(box)
        column.addLayout(row)
        column.addWidget(self.taken_before)
        self._method_changed()
        return box

    def _overpayment_box(self) -> QGroupBox:
        box = QGroupBox("If it is more than is due now")
        self.next_choice = QRadioButton("Next installment")
        self.shorten_choice = QRadioButton("Shorten the plan")
        self.next_choice.setChecked(True)
        group = QButtonGroup(self)
        column = QVBoxLayout(box)
        column.addWidget(note(ORDER_TEXT))
        for button, text in ((self.next_choice, NEXT_TEXT), (self.shorten_choice, SHORTEN_TEXT)):
            group.addButton(button)
            column.addWidget(button)
            explain = note(text)
            explain.setContentsMargins(24, 0, 0, 4)
            column.addWidget(explain)
        return box

    def _method_changed(self) -> None:
        method = str(self.method.currentData())
        now = self.take_now.isChecked()
        self.method.setEnabled(now)
        self.reference.setEnabled(now and method != "cash")
        if method == "cash":
            self.reference.clear()
        self.reference.setPlaceholderText(HINTS[method])
        self.reference.setMaxLength(4 if method == "card" else 12)

    def overpayment(self) -> str:
        return SHORTEN if self.shorten_choice.isChecked() else NEXT

    def submit(self) -> None:
        amount = self.amount.money_value()
        if amount is None or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            say(self.problem, "Enter an amount more than $0.00, in dollars and cents.")
            return
        method, reference = str(self.method.currentData()), self.reference.text().strip()
        if self.take_now.isChecked() and (problem := reference_problem(method, reference)):
            say(self.problem, problem)
            return
        if self.take_now.isChecked():
            self.run(lambda: self._take_and_apply(amount, method, reference))
            return
        self.run(lambda: self._sv.plans.apply_payment(self.plan.id, amount, self.overpayment()))

    def _take_and_apply(self, amount: Decimal, method: str, reference: str) -> PlanApplication:
        """Take the money and apply it in one save (both or neither); `taken` then carries
        the desk payment for its receipt."""
        self.payment, applied = self._sv.plans.take_and_apply(
            self.plan.id, amount, method, reference, self.overpayment())
        self.taken.emit(self.payment)
        return applied


def application_text(a: PlanApplication, payment: PaymentResult | None) -> str:
    """What a payment did to the plan, in sentences for the clerk."""
    out = [f"Receipt {payment.receipt_number}: {dollars(payment.amount)} taken."] \
        if payment else []
    total = sum((x for _n, x in a.applied), Decimal(0))
    parts = ", ".join(f"installment {n} {dollars(x)}" for n, x in a.applied)
    out.append(f"Applied {dollars(total)} to plan {a.number}: {parts}." if parts
               else f"Nothing was applied to plan {a.number}.")
    if a.interest:
        out.append(f"Of it {dollars(a.interest)} is interest (posted as a finance charge).")
    if a.unapplied:
        out.append(f"{dollars(a.unapplied)} was more than the plan needed; it stays on the "
                   "account.")
    out.append("The plan is paid off." if a.status == "paid_off"
               else f"Left to pay: {dollars(a.balance)}.")
    return " ".join(out)


class ReasonDialog(_Dialog):
    """Pause or cancel: `act(reason)` does it. The button waits for a reason."""

    def __init__(self, title: str, intro: str, ok_text: str, act: Callable[[str], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(title, ok_text, parent)
        self._act = act
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("Why (required; kept in the plan's notes)")
        self.reason.setFixedHeight(80)
        self.reason.textChanged.connect(self._typed)
        layout = QVBoxLayout(self)
        layout.addWidget(note(intro))
        layout.addWidget(self.reason)
        self.finish(layout, 480)
        self._typed()

    def _typed(self) -> None:
        self.ok_button.setEnabled(bool(self.reason.toPlainText().strip()))

    def submit(self) -> None:
        reason = self.reason.toPlainText().strip()
        if reason:
            self.run(lambda: self._act(reason))


class SignedDialog(_Dialog):
    def __init__(self, sv: PlansServices, d: PlanDetail, parent: QWidget | None = None) -> None:
        super().__init__(f"Agreement for plan {d.number} signed", "Record", parent)
        self._sv, self.plan = sv, d
        today = QDate.currentDate()
        self.signed = QDateEdit(_qdate(d.signed_on) if d.signed_on else today)
        self.signed.setCalendarPopup(True)
        self.signed.setDisplayFormat("MM/dd/yyyy")
        self.signed.setFixedWidth(130)
        self.signed.setDateRange(_qdate(d.created_on), today)
        layout = QVBoxLayout(self)
        layout.addWidget(note("The day the patient (or the person responsible) signed the "
                              f"agreement: from {date_text(d.created_on)}, when the plan was "
                              "made, to today." + (f" Now recorded: {date_text(d.signed_on)}."
                                                   if d.signed_on else "")))
        form = QFormLayout()
        form.addRow("Signed on:", self.signed)
        layout.addLayout(form)
        self.finish(layout, 440)

    def submit(self) -> None:
        d = self.signed.date()
        self.run(lambda: self._sv.plans.record_signed(self.plan.id,
                                                      date(d.year(), d.month(), d.day())))


class RenegotiateDialog(_Dialog):
    """A new schedule for what is left; the old plan is kept as "replaced"."""

    def __init__(self, sv: PlansServices, d: PlanDetail, parent: QWidget | None = None) -> None:
        super().__init__(f"Renegotiate plan {d.number}", "Save new plan", parent)
        self._sv, self.plan = sv, d
        self.form = TermsForm()
        self.form.set_terms(start_terms(d))
        self.form.changed.connect(lambda: self.ok_button.setEnabled(self.form.valid))
        self.note = QLineEdit()
        self.note.setMaxLength(500)
        self.note.setPlaceholderText("optional: why, what was agreed")
        layout = QVBoxLayout(self)
        layout.addWidget(note(
            f"A new schedule for what is left of plan {d.number}: {dollars(d.principal_left)} "
            f"of principal ({dollars(d.balance)} with its scheduled interest). Plan {d.number} "
            "is kept, with its installments and payments, as replaced."))
        layout.addWidget(self.form, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Note:"))
        row.addWidget(self.note, 1)
        layout.addLayout(row)
        self.finish(layout, 1000)
        self.ok_button.setEnabled(False)
        self.form.set_previewer(lambda t: sv.plans.preview_renegotiation(d.id, t),
                                f"at most {dollars(d.principal_left)}, the principal left")
        self.resize(1060, 600)

    def submit(self) -> None:
        self.form.refresh_now()
        if self.form.preview is None:
            return
        terms = self.form.preview.terms
        method, reference = self.form.down_payment_by()
        self.run(lambda: self._sv.plans.renegotiate(self.plan.id, terms, method=method,
                                                    reference=reference,
                                                    note=self.note.text().strip()))


def start_terms(d: PlanDetail) -> PlanTerms:
    """Where a renegotiation starts: the principal left over the installments left, on the
    same frequency and rate, from the next due date (a month from today when that is past)."""
    left = [i for i in d.installments if i.left > 0]
    nxt = d.next_installment
    today = date.today()
    first = nxt.due_date if nxt is not None and nxt.due_date >= today else _month_on(today)
    t = d.terms
    by_count = t.count is not None
    return PlanTerms(total=d.principal_left, down_payment=Decimal("0.00"),
                     count=max(len(left), 1) if by_count else None,
                     installment=None if by_count else t.installment, frequency=t.frequency,
                     first_due=first, apr=t.apr, day_of_month=t.day_of_month)


class PatientFilterDialog(QDialog):
    """Find a patient to show only their plans; `chosen` is the PatientRow."""

    def __init__(self, sv: PlansServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Show the plans of one patient")
        self.picker = PatientPicker("Patient", sv.patients)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.show_button: QPushButton = buttons.addButton(
            "Show their plans", QDialogButtonBox.ButtonRole.AcceptRole)
        self.show_button.setEnabled(False)
        self.picker.changed.connect(
            lambda: self.show_button.setEnabled(self.picker.chosen is not None))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker, 1)
        layout.addWidget(buttons)
        self.resize(460, 420)
        self.picker.search.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def chosen(self) -> Any:
        return self.picker.chosen


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _month_on(d: date) -> date:
    q = _qdate(d).addMonths(1)
    return date(q.year(), q.month(), q.day())
