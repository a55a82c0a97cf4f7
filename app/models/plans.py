"""Payment plans (DESIGN.md §3 PaymentPlan with Installments; issue 8): a patient's chosen
balances paid in installments on a schedule (app.formats.plan_schedule).

A plan is an overlay on the ledger, not a second ledger: what the patient owes is still the
sum of ledger entries, and the money a plan counts is money already in it (desk payments,
`PatientPayment`). The plan says *when* that money is expected and which installment each
payment paid.

- `PaymentPlan` keeps the terms the clerk chose (so the schedule can be worked out again and
  checked), who is responsible, its status and its history: a renegotiated plan becomes
  "replaced" and its successor points at it through `replaces_id`; nothing of the old plan is
  deleted.
- `PlanInstallment` is one row of the schedule as agreed. `paid`/`paid_on` are kept in the
  same transaction as the `PlanPayment` rows that paid it (their sum, and the day the last of
  it came); the schedule columns never change once written.
- `PlanPayment` is the application record: which patient payment paid how much of which
  installment, and how much of that was interest. Append-only (migration 0011's triggers
  refuse updates and deletes), so what was applied is never rewritten.
- `PlanLine` names the visit lines whose balances the plan was made from.

Whether a plan is late is not stored: it depends on the day asked about and on the grace days
setting, and a stored flag would go stale overnight. It is worked out in SQL from the
installments (app.services.plans).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import Cents, ScaledDecimal, UTCDateTime, utcnow

ACTIVE = "active"
PAUSED = "paused"
CANCELLED = "cancelled"
PAID_OFF = "paid_off"
REPLACED = "replaced"  # renegotiated: a newer plan took its place
PLAN_STATUSES = (ACTIVE, PAUSED, CANCELLED, PAID_OFF, REPLACED)
OPEN_PLAN_STATUSES = (ACTIVE, PAUSED)  # a patient has at most one plan in these


class PaymentPlan(Base):
    """One plan for one patient. `guarantor_name` is the responsible party as it was when the
    plan was set up ("" when the patient is responsible): the person who signs the agreement
    does not change when the patient's record later names someone else."""

    __tablename__ = "payment_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    guarantor_name: Mapped[str] = mapped_column(String(100), default="")
    guarantor_relationship: Mapped[str] = mapped_column(String(20), default="self")
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    # the terms, as app.formats.plan_schedule.PlanTerms takes them
    total: Mapped[Decimal] = mapped_column(Cents())
    down_payment: Mapped[Decimal] = mapped_column(Cents())
    apr: Mapped[Decimal] = mapped_column(ScaledDecimal())  # percent: 12 for 12%
    frequency: Mapped[str] = mapped_column(String(12))
    day_of_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)  # or installment:
    installment: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    first_due: Mapped[date] = mapped_column(Date)
    # the desk payment that took the down payment (None: no down payment)
    down_payment_id: Mapped[int | None] = mapped_column(ForeignKey("patient_payment.id"),
                                                       nullable=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("payment_plan.id"),
                                                   nullable=True, unique=True)
    created_on: Mapped[date] = mapped_column(Date)  # the business day it was agreed
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # paid off, cancelled…
    # dated lines, only added to (set-up note, why it was paused, resumed, cancelled)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_payment_plan_patient", "patient_id", "status"),
        Index("ix_payment_plan_status", "status"),
    )


class PlanInstallment(Base):
    """One installment as agreed: amount == principal + interest. `paid` is what the plan's
    payments put on it so far; `paid_on` the day it was paid in full (None until then)."""

    __tablename__ = "plan_installment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("payment_plan.id"))
    number: Mapped[int] = mapped_column(Integer)  # from 1; the down payment is not one
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Cents())
    principal: Mapped[Decimal] = mapped_column(Cents())
    interest: Mapped[Decimal] = mapped_column(Cents())
    paid: Mapped[Decimal] = mapped_column(Cents(), default=Decimal("0.00"))
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        UniqueConstraint("plan_id", "number", name="uq_plan_installment_number"),
        # the next installment due, and the ones missed, of each plan
        Index("ix_plan_installment_due", "plan_id", "due_date"),
    )


class PlanPayment(Base):
    """Part of a patient payment applied to one installment. `interest` is the part of
    `amount` that paid the installment's interest (interest first, then principal, as the
    agreement says); that interest is posted to the ledger as a finance charge
    (`ledger_entry_id`), since the visit balances do not include it. `how` says why the
    money went here: "due" (the installments due and the current one), "next" (prepaid in
    order) or "shorten" (prepaid from the last installment back)."""

    __tablename__ = "plan_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("payment_plan.id"))
    installment_id: Mapped[int] = mapped_column(ForeignKey("plan_installment.id"))
    patient_payment_id: Mapped[int] = mapped_column(ForeignKey("patient_payment.id"))
    amount: Mapped[Decimal] = mapped_column(Cents())
    interest: Mapped[Decimal] = mapped_column(Cents(), default=Decimal("0.00"))
    how: Mapped[str] = mapped_column(String(8))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"),
                                                       nullable=True)
    applied_on: Mapped[date] = mapped_column(Date)  # the payment's business day
    applied_by: Mapped[str] = mapped_column(String(40))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_plan_payment_plan", "plan_id", "applied_on"),
        Index("ix_plan_payment_patient_payment", "patient_payment_id"),
        Index("ix_plan_payment_installment", "installment_id"),
    )


class PlanLine(Base):
    """A visit line whose balance the plan was made from, with the patient's balance on it
    when the plan was set up."""

    __tablename__ = "plan_line"

    plan_id: Mapped[int] = mapped_column(ForeignKey("payment_plan.id"), primary_key=True)
    charge_line_id: Mapped[int] = mapped_column(ForeignKey("charge_line.id"), primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Cents())

    __table_args__ = (Index("ix_plan_line_charge_line", "charge_line_id"),)
