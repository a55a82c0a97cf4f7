"""The Desk payment page's payment-plan box: when the chosen patient is on a plan, what is
due on it, and the payment just taken counted toward its installments (money beyond what
is due goes to the next installments or shortens the plan, as the clerk chooses)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from app.services.permissions import Permission
from app.services.plans import NEXT, SHORTEN, PlanApplication, PlanRow
from app.ui.tabs.claims import date_text
from app.ui.tabs.payments.pdf_dialog import dollars

OPEN_WORDS = ("current", "late", "paused")


def application_text(a: PlanApplication) -> str:
    if not a.applied:
        return f"Plan {a.number} needed none of it."
    parts = ", ".join(f"#{n} {dollars(amount)}" for n, amount in a.applied)
    text = f"Counted toward plan {a.number}: installments {parts}."
    text += (" The plan is paid off." if a.status == "paid_off"
             else f" {dollars(a.balance)} left on the plan.")
    return text


class DeskPlanBox(QGroupBox):
    def __init__(self, plans: Any, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__("Payment plan", parent)
        self._plans = plans if plans is not None and ctx.can(Permission.MANAGE_PLANS) else None
        self.plan: PlanRow | None = None
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.extra = QComboBox()
        self.extra.addItem("pays the next installments", NEXT)
        self.extra.addItem("shortens the plan (pays the last installments)", SHORTEN)
        form = QFormLayout(self)
        form.addRow(self.status)
        form.addRow("Money beyond what is due", self.extra)
        self.hide()

    def load(self, patient_id: int | None) -> None:
        """Show the patient's open plan, if any (hidden otherwise, or for a role that does
        not manage plans)."""
        self.plan = None
        if self._plans is not None and patient_id is not None:
            rows = self._plans.plans(patient_id=patient_id)
            self.plan = next((r for r in rows if r.status_word in OPEN_WORDS), None)
        if self.plan is None:
            self.hide()
            return
        p = self.plan
        due = (f"next {dollars(p.next_amount)} due {date_text(p.next_due)}" if p.next_due
               else "nothing due")
        self.status.setText(f"On plan {p.number} ({p.status_word}): {due}; "
                            f"{dollars(p.balance)} left. A payment taken here counts toward it.")
        self.show()

    def apply(self, payment_id: int) -> str:
        """Count the payment toward the plan; the sentence to show ('' without a plan)."""
        if self._plans is None or self.plan is None:
            return ""
        a = self._plans.apply_desk_payment(payment_id, self.extra.currentData())
        return application_text(a) if a is not None else ""
