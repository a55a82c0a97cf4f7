"""Payment plans (issue 8): set up from chosen balances, previewed before saving, printed as
an agreement, paid installment by installment, renegotiated, paused, cancelled; missed
installments found on a given day (DESIGN.md §3 PaymentPlan).

The plan is an overlay on the ledger (app.models.plans): every figure of what the patient
owes is still a sum of ledger entries. Decisions this module makes, in one place:

- **Total.** The clerk chooses visit lines with a patient balance and a total of at most what
  the patient owes on them, and at most what the patient owes in all (a credit elsewhere on
  the account lowers it). A plan for more is refused. One plan at a time: a patient with an
  active or paused plan gets no second one; that plan is renegotiated instead.
- **Responsible party.** The patient's guarantor as the patient record names it when the plan
  is set up (the record's guarantor fields; "" when the patient pays for themself), kept on
  the plan: the person who signed does not change when the record later does.
- **Down payment.** Taken as a desk payment (`payments.take_desk_payment`, the same entries
  and receipt as `PaymentService.take_payment`) in the same transaction as the plan, applied
  to the plan's visit lines oldest first; so a plan never exists without its down payment, nor
  the other way round. It is not an installment (app.formats.plan_schedule).
- **Interest.** The visit balances do not include it, so the interest part of each payment
  applied to an installment is posted as a charge on the patient's account ("Finance charge:
  plan …") when it is paid: the ledger then shows the patient's balance falling by the
  principal paid, and no credit builds up from interest. Interest never paid is never posted.
  The schedule is fixed when the plan is made: paying early does not recompute the interest
  (renegotiating does, from the principal left).
- **Applying payments** (`apply_payment`): money first goes to what is due: every unpaid
  installment due on or before the payment date, oldest first, then the next installment not
  yet due (paying ahead of the date is normal, not an overpayment); partial payments leave the
  installment partly paid. What is left is the overpayment: "next" pays the following
  installments in due order (the patient is ahead; the plan keeps its dates), "shorten" pays
  the last installments first, from the end back (the plan ends sooner; the next ones stay due
  as scheduled). Within an installment a payment pays interest first, then principal. More
  than the plan's balance is not applied (it stays on the account as the ledger has it). Every
  application is backed by a desk payment of the plan's patient taken after the plan was set
  up, not voided, not a down payment; no payment is applied beyond its amount, and
  `apply_desk_payment` refuses a payment already applied.
- **Missed and late.** An installment is missed when it is not paid in full after its due date
  plus the grace days (billing setting `plan_grace_days`): due 03/01/2026 with 10 grace days it
  is still in grace on 03/11 and missed from 03/12 on. An active plan with a missed
  installment is late; a paused plan is never late. Lateness is worked out, not stored.
- **Status words** for the clerk: current (active, nothing missed), late, paused, paid off,
  cancelled, replaced (renegotiated: the new plan points at it; it keeps its installments and
  payments).

Every method checks MANAGE_PLANS (admin, biller, front desk); reads naming patients and every
change are audited. Messages carry plan numbers, dates and amounts, never names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from app.errors import UserError
from app.formats.plan_agreement_pdf import AgreementData, AgreementRow, plan_agreement_pdf
from app.formats.plan_schedule import (
    Installment,
    PlanTerms,
    PlanTermsError,
    schedule,
    schedule_totals,
)
from app.models import (
    ChargeLine,
    LedgerEntry,
    Patient,
    PatientPayment,
    PaymentPlan,
    PlanInstallment,
    PlanLine,
    PlanPayment,
    Practice,
)
from app.models.ledger import CHARGE, PATIENT_PAYMENT
from app.models.plans import (
    ACTIVE,
    CANCELLED,
    OPEN_PLAN_STATUSES,
    PAID_OFF,
    PAUSED,
    REPLACED,
)
from app.models.types import Cents
from app.services.audit import append_event
from app.services.billing_settings import read_billing
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.ledger import PATIENT, post_entry
from app.services.payments import (
    PaymentResult,
    _format_phone,
    _patient,
    _practice_address,
    patient_total,
    take_desk_payment,
)
from app.services.permissions import Permission

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CHUNK = 900  # ids per IN (...) list: below SQLite's variable limit
NEXT, SHORTEN = "next", "shorten"
OVERPAYMENT = (NEXT, SHORTEN)
DUE = "due"  # PlanPayment.how of money that went to what was due
UNDONE = "undone"  # PlanPayment.how of a voided payment taken back off an installment
CURRENT, LATE = "current", "late"
# what the clerk reads for each stored status (an active plan is "current" or "late")
STATUS_WORDS = {ACTIVE: "current", PAUSED: "paused", CANCELLED: "cancelled",
                PAID_OFF: "paid off", REPLACED: "replaced"}
STATUS_FILTERS = (CURRENT, LATE, PAUSED, PAID_OFF, CANCELLED, REPLACED)
SORTS = ("next_due", "number", "patient", "balance", "status", "last_payment", "created")
FREQUENCY_WORDS = {"weekly": "weekly", "biweekly": "every two weeks", "monthly": "monthly"}
LATE_POLICY = "No late fee is charged."
NOTE_LIMIT = 500


def plan_number(plan_id: int) -> str:
    """The number the clerk, the agreement and the work items use."""
    return f"PP{plan_id:06d}"


# --- what callers get back -------------------------------------------------------------------
@dataclass(frozen=True)
class PlanPreview:
    """A schedule as it would be saved; nothing is written to get it."""

    patient_id: int
    terms: PlanTerms
    rows: tuple[Installment, ...]
    chosen_balance: Decimal  # what the patient owes on the chosen lines
    patient_balance: Decimal  # what the patient owes in all, after credits
    total_of_payments: Decimal  # the installments' sum: financed + interest
    financed: Decimal
    interest: Decimal

    @property
    def installment_amount(self) -> Decimal:
        return self.rows[0].amount

    @property
    def last_due(self) -> date:
        return self.rows[-1].due_date


@dataclass(frozen=True)
class InstallmentRow:
    number: int
    due_date: date
    amount: Decimal
    principal: Decimal
    interest: Decimal
    paid: Decimal
    paid_on: date | None
    missed: bool  # on the day asked about, after the grace days

    @property
    def left(self) -> Decimal:
        return self.amount - self.paid


@dataclass(frozen=True)
class AppliedRow:
    """Part of a patient payment applied to one installment."""

    installment: int  # its number
    patient_payment_id: int
    amount: Decimal
    interest: Decimal
    how: str  # due, next, shorten
    applied_on: date
    applied_by: str


@dataclass(frozen=True)
class PlanDetail:
    id: int
    number: str
    patient_id: int
    patient_name: str
    account_number: str
    guarantor_name: str  # "" when the patient is responsible
    status: str  # as stored: active, paused, cancelled, paid_off, replaced
    status_word: str  # current, late, paused, paid off, cancelled, replaced
    terms: PlanTerms
    created_on: date
    created_by: str
    signed_on: date | None
    closed_on: date | None
    replaces_id: int | None
    replaced_by_id: int | None
    down_payment_id: int | None
    note: str
    charge_line_ids: tuple[int, ...]
    installments: tuple[InstallmentRow, ...]
    payments: tuple[AppliedRow, ...]
    balance: Decimal  # installments still to pay (principal and interest)
    principal_left: Decimal
    owed_on_lines: Decimal  # what the patient owes now on the plan's visit lines (ledger)

    @property
    def late(self) -> bool:
        return self.status_word == LATE

    @property
    def next_installment(self) -> InstallmentRow | None:
        return next((i for i in self.installments if i.left > 0), None)


@dataclass(frozen=True)
class PlanApplication:
    """What a payment did to a plan. `applied` is (installment number, amount) in the order
    the money went; `unapplied` the part of the amount the plan did not need."""

    plan_id: int
    number: str
    applied: tuple[tuple[int, Decimal], ...]
    interest: Decimal  # of the applied amount, interest (posted as a finance charge)
    unapplied: Decimal
    balance: Decimal  # left to pay on the plan afterwards
    status: str


@dataclass(frozen=True)
class PlanRow:
    """One plan on the Plans tab."""

    plan_id: int
    number: str
    patient_id: int
    patient_name: str
    mrn: str
    status: str
    status_word: str
    next_due: date | None
    next_amount: Decimal
    balance: Decimal
    last_payment: date | None
    created_on: date

    @property
    def late(self) -> bool:
        return self.status_word == LATE


@dataclass(frozen=True)
class PlanDueRow:
    """What an account on an open plan is asked for on a day (for statements): what is left
    on every unpaid installment due by then, or by the first unpaid installment's date when
    that is later (missed installments included), that first date, and the plan's balance.
    `in_good_standing`: the plan is active and nothing is missed."""

    patient_id: int
    plan_id: int
    number: str
    in_good_standing: bool
    amount_due: Decimal
    due_date: date
    plan_balance: Decimal


@dataclass(frozen=True)
class LateInstallment:
    plan_id: int
    number: str
    patient_id: int
    installment: int
    due_date: date
    left: Decimal
    days_late: int  # days past the end of the grace period


# --- shared with other services (follow-up, statements) --------------------------------------
def _cutoff(as_of: date, grace_days: int) -> date:
    """Installments due before this day and unpaid on `as_of` are missed."""
    return as_of - timedelta(days=grace_days)


def _missed_sql(as_of: date, grace_days: int) -> Any:
    return and_(PlanInstallment.due_date < _cutoff(as_of, grace_days),
                or_(PlanInstallment.paid_on.is_(None), PlanInstallment.paid_on > as_of))


def is_missed(due_date: date, paid_on: date | None, as_of: date, grace_days: int) -> bool:
    """Not paid in full on `as_of`, and `as_of` is after the due date plus the grace days."""
    return due_date < _cutoff(as_of, grace_days) and (paid_on is None or paid_on > as_of)


def missed_installments(s: Session, as_of: date,
                        grace_days: int) -> list[tuple[PlanInstallment, PaymentPlan]]:
    """The missed installments of active plans, by plan then due date (one query)."""
    q = (select(PlanInstallment, PaymentPlan)
         .join(PaymentPlan, PaymentPlan.id == PlanInstallment.plan_id)
         .where(PaymentPlan.status == ACTIVE, _missed_sql(as_of, grace_days))
         .order_by(PlanInstallment.plan_id, PlanInstallment.number))
    return [(i, p) for i, p in s.execute(q)]


def good_standing(s: Session, patient_ids: Iterable[int], as_of: date,
                  grace_days: int) -> set[int]:
    """Of `patient_ids`, those with an active plan that has no missed installment: the
    accounts a statement run keeps out of dunning and collections."""
    out: set[int] = set()
    ids = sorted(set(patient_ids))
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        late = (select(PlanInstallment.id).where(PlanInstallment.plan_id == PaymentPlan.id,
                                                 _missed_sql(as_of, grace_days)).exists())
        out.update(s.scalars(select(PaymentPlan.patient_id).where(
            PaymentPlan.patient_id.in_(part), PaymentPlan.status == ACTIVE, ~late)))
    return out


def plan_dues(s: Session, patient_ids: Iterable[int], as_of: date,
              grace_days: int) -> dict[int, PlanDueRow]:
    """Of `patient_ids`, those with an active or paused plan, with what it asks for on
    `as_of` (PlanDueRow); two queries per 900 patients."""
    out: dict[int, PlanDueRow] = {}
    ids = sorted(set(patient_ids))
    for k in range(0, len(ids), CHUNK):
        found = {p.id: p for p in s.scalars(select(PaymentPlan).where(
            PaymentPlan.patient_id.in_(ids[k:k + CHUNK]),
            PaymentPlan.status.in_(OPEN_PLAN_STATUSES)))}
        unpaid: dict[int, list[PlanInstallment]] = {i: [] for i in found}
        for inst in s.scalars(select(PlanInstallment).where(
                PlanInstallment.plan_id.in_(list(found)),
                PlanInstallment.paid < PlanInstallment.amount)
                .order_by(PlanInstallment.plan_id, PlanInstallment.number)):
            unpaid[inst.plan_id].append(inst)
        for plan_id, left in unpaid.items():
            if left:
                out[found[plan_id].patient_id] = _due_row(found[plan_id], left, as_of,
                                                          grace_days)
    return out


def _due_row(plan: PaymentPlan, unpaid: list[PlanInstallment], as_of: date,
             grace_days: int) -> PlanDueRow:
    first = unpaid[0].due_date
    by = max(as_of, first)
    missed = any(is_missed(i.due_date, i.paid_on, as_of, grace_days) for i in unpaid)
    return PlanDueRow(plan.patient_id, plan.id, plan_number(plan.id),
                      plan.status == ACTIVE and not missed,
                      sum((i.amount - i.paid for i in unpaid if i.due_date <= by), ZERO),
                      first, sum((i.amount - i.paid for i in unpaid), ZERO))


# --- small helpers ---------------------------------------------------------------------------
def _is_cents(value: object) -> bool:
    return (isinstance(value, Decimal) and value.is_finite()
            and value == value.quantize(CENT))


def _money(value: Decimal) -> str:
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def _name(p: Patient) -> str:
    return f"{p.last_name}, {p.first_name}" + (f" {p.middle_name[:1]}" if p.middle_name else "")


def _guarantor(p: Patient) -> tuple[str, str]:
    """The responsible party as the record names it: ("", "self") for the patient."""
    relationship = p.guarantor_relationship or "self"
    if relationship == "self":
        return "", "self"
    name = " ".join(x for x in (p.guarantor_first_name, p.guarantor_last_name) if x)
    return name[:100], relationship


def _append_note(plan: PaymentPlan, day: date, who: str, text: str) -> None:
    """Notes only grow: each is a dated line with who wrote it."""
    line = f"{day:%m/%d/%Y} {who}: {text.strip()}"
    plan.note = f"{plan.note}\n{line}" if plan.note else line


def _reason(reason: str, what: str) -> str:
    text = reason.strip()
    if not text:
        raise UserError(f"Say why the plan is {what}.")
    if len(text) > NOTE_LIMIT:
        raise UserError(f"Keep the reason to at most {NOTE_LIMIT} characters.")
    return text


def terms_of(plan: PaymentPlan) -> PlanTerms:
    """The terms a plan was made with, as the schedule engine takes them."""
    return PlanTerms(total=plan.total, down_payment=plan.down_payment, count=plan.count,
                     installment=plan.installment, frequency=plan.frequency,
                     first_due=plan.first_due, apr=plan.apr, day_of_month=plan.day_of_month)


def _checked_schedule(terms: PlanTerms, today: date) -> list[Installment]:
    rows = schedule(terms)  # refuses terms that give no schedule, naming the field
    if terms.apr != terms.apr.quantize(Decimal("0.0001")):
        raise PlanTermsError("Give the annual interest rate with at most 4 decimal places.",
                             "apr")
    if terms.first_due < today:
        raise PlanTermsError("The first installment cannot be due before today; choose a "
                             "later first due date.", "first_due")
    return rows


def _line_balances(s: Session, patient_id: int, ids: Sequence[int]) -> dict[int, Decimal]:
    """The patient's own balance on each of these lines (absent: none)."""
    q = (select(LedgerEntry.charge_line_id, func.sum(LedgerEntry.amount))
         .where(LedgerEntry.patient_id == patient_id, LedgerEntry.charge_line_id.in_(ids),
                LedgerEntry.coverage_id.is_(None))
         .group_by(LedgerEntry.charge_line_id))
    return {cid: total or ZERO for cid, total in s.execute(q) if cid is not None}


def _chosen_lines(s: Session, patient_id: int,
                  charge_line_ids: Sequence[int]) -> list[tuple[ChargeLine, Decimal]]:
    """The chosen lines oldest first with what the patient owes on each; each must be the
    patient's and owe something."""
    ids = list(dict.fromkeys(charge_line_ids))
    if not ids:
        raise UserError("Choose the visit balances the plan is for.")
    lines = {ln.id: ln for ln in s.scalars(select(ChargeLine).where(ChargeLine.id.in_(ids)))}
    if any(i not in lines or lines[i].patient_id != patient_id for i in ids):
        raise UserError("A chosen visit line is not one of this patient's; refresh the list.")
    owed = _line_balances(s, patient_id, ids)
    out = []
    for ln in sorted(lines.values(), key=lambda ln: (ln.dos, ln.id)):
        balance = owed.get(ln.id, ZERO)
        if balance <= 0:
            raise UserError(f"{ln.code} on {ln.dos:%m/%d/%Y}: the patient owes nothing on it; "
                            "leave it out of the plan.")
        out.append((ln, balance))
    return out


def _open_plan(s: Session, patient_id: int) -> PaymentPlan | None:
    return s.scalars(select(PaymentPlan).where(
        PaymentPlan.patient_id == patient_id,
        PaymentPlan.status.in_(OPEN_PLAN_STATUSES)).order_by(PaymentPlan.id)).first()


def _no_open_plan(s: Session, patient_id: int) -> None:
    found = _open_plan(s, patient_id)
    if found is not None:
        raise UserError(f"This patient already has payment plan {plan_number(found.id)} "
                        f"({STATUS_WORDS[found.status]}); renegotiate that plan instead of "
                        "setting up a second one.")


def _plan(s: Session, plan_id: int) -> PaymentPlan:
    plan = s.get(PaymentPlan, plan_id)
    if plan is None:
        raise UserError("That payment plan no longer exists; refresh the list.")
    return plan


def _require_open(plan: PaymentPlan, doing: str) -> None:
    if plan.status not in OPEN_PLAN_STATUSES:
        raise UserError(f"Plan {plan_number(plan.id)} is {STATUS_WORDS[plan.status]}; only "
                        f"an active or paused plan can be {doing}.")


def _installments(s: Session, plan_id: int) -> list[PlanInstallment]:
    return list(s.scalars(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)
                          .order_by(PlanInstallment.number)))


def _principal_paid(i: PlanInstallment) -> Decimal:
    """Interest first, then principal (the agreement's terms)."""
    return min(max(i.paid - i.interest, ZERO), i.principal)


def _principal_left(plan: PaymentPlan, installments: Sequence[PlanInstallment]) -> Decimal:
    return plan.total - plan.down_payment - sum((_principal_paid(i) for i in installments),
                                                ZERO)


def _balance(installments: Sequence[PlanInstallment]) -> Decimal:
    return sum((i.amount - i.paid for i in installments), ZERO)


def _check_money(s: Session, patient_id: int, total: Decimal, limit: Decimal,
                 limit_words: str) -> Decimal:
    """The total is at most `limit` and at most what the patient owes in all."""
    if total > limit:
        raise PlanTermsError(f"The plan total of {_money(total)} is more than {limit_words} "
                             f"({_money(limit)}); lower the total.", "total")
    owes = patient_total(s, patient_id)
    if total > owes:
        raise PlanTermsError(f"The plan total of {_money(total)} is more than the patient owes "
                             f"in all after credits ({_money(max(owes, ZERO))}); lower the "
                             "total or apply the credit first.", "total")
    return owes


# --- applying money ----------------------------------------------------------------------------
def _allocate(installments: Sequence[PlanInstallment], amount: Decimal, as_of: date,
              overpayment: str) -> list[tuple[PlanInstallment, Decimal, str]]:
    """Where `amount` goes (see the module docstring): what is due, then the overpayment."""
    unpaid = [i for i in installments if i.paid < i.amount]
    due = [i for i in unpaid if i.due_date <= as_of]
    later = [i for i in unpaid if i.due_date > as_of]
    current = due + later[:1]
    rest = later[1:] if overpayment == NEXT else list(reversed(later[1:]))
    out: list[tuple[PlanInstallment, Decimal, str]] = []
    left = amount
    for how, group in ((DUE, current), (overpayment, rest)):
        for i in group:
            if left <= 0:
                return out
            part = min(left, i.amount - i.paid)
            out.append((i, part, how))
            left -= part
    return out


def _interest_part(i: PlanInstallment, paid_before: Decimal, part: Decimal) -> Decimal:
    return min(paid_before + part, i.interest) - min(paid_before, i.interest)


def _live_payments(s: Session, ids: Iterable[int]) -> set[int]:
    """Of these patient payments, those not voided (some entry of theirs not reversed)."""
    undone = aliased(LedgerEntry)
    return set(s.scalars(
        select(LedgerEntry.patient_payment_id)
        .outerjoin(undone, undone.reverses_id == LedgerEntry.id)
        .where(LedgerEntry.patient_payment_id.in_(list(ids)),
               LedgerEntry.kind == PATIENT_PAYMENT, undone.id.is_(None))))


def _applied_of(s: Session, ids: Iterable[int]) -> dict[int, Decimal]:
    """How much of each patient payment is already applied to plans."""
    q = (select(PlanPayment.patient_payment_id, func.sum(PlanPayment.amount))
         .where(PlanPayment.patient_payment_id.in_(list(ids)))
         .group_by(PlanPayment.patient_payment_id))
    return {pid: total or ZERO for pid, total in s.execute(q)}


def _down_payment_ids(s: Session, ids: Iterable[int]) -> set[int]:
    return {i for i in s.scalars(select(PaymentPlan.down_payment_id).where(
        PaymentPlan.down_payment_id.in_(list(ids)))) if i is not None}


def _usable(s: Session, plan: PaymentPlan, pp: PatientPayment) -> Decimal:
    """What of `pp` may still be applied to `plan`; UserError when none of it may."""
    if pp.patient_id != plan.patient_id:
        raise UserError("That payment is not from this plan's patient; choose another.")
    if pp.id in _down_payment_ids(s, [pp.id]):
        raise UserError("That payment is a plan's down payment; it is counted already.")
    if pp.received_at < plan.created_at:
        raise UserError(f"That payment was taken before plan {plan_number(plan.id)} was set "
                        "up; it already lowered the balance the plan was made from.")
    if pp.id not in _live_payments(s, [pp.id]):
        raise UserError("That payment was undone; it cannot pay an installment.")
    return pp.amount - _applied_of(s, [pp.id]).get(pp.id, ZERO)


def _unapplied_payments(s: Session, plan: PaymentPlan) -> list[tuple[PatientPayment, Decimal]]:
    """The patient's payments since the plan was set up with some amount not yet applied to
    a plan, oldest first (down payments and undone payments left out)."""
    found = list(s.scalars(select(PatientPayment).where(
        PatientPayment.patient_id == plan.patient_id,
        PatientPayment.received_at >= plan.created_at).order_by(PatientPayment.id)))
    ids = [pp.id for pp in found]
    live, downs, applied = (_live_payments(s, ids), _down_payment_ids(s, ids),
                            _applied_of(s, ids))
    out = []
    for pp in found:
        free = pp.amount - applied.get(pp.id, ZERO)
        if pp.id in live and pp.id not in downs and free > 0:
            out.append((pp, free))
    return out


def _apply(s: Session, user: CurrentUser, plan: PaymentPlan, amount: Decimal, overpayment: str,
           sources: list[tuple[PatientPayment, Decimal]], as_of: date) -> PlanApplication:
    """Apply `amount` of the `sources` (payment, usable amount; enough for `amount`) to the
    plan's installments, post the interest as a finance charge, mark the plan paid off when
    nothing is left."""
    installments = _installments(s, plan.id)
    parts = _allocate(installments, amount, as_of, overpayment)
    pieces = _pieces(parts, sources)
    interest = sum((p[3] for p in pieces), ZERO)
    entry = None
    if interest:
        numbers = ", ".join(str(n) for n in dict.fromkeys(p[0].number for p in pieces
                                                          if p[3]))
        entry = post_entry(s, user, None, CHARGE, interest, PATIENT, patient_id=plan.patient_id,
                           memo=f"Finance charge: plan {plan_number(plan.id)}, interest of "
                                f"installment {numbers}")
        s.flush()
    for inst, pp_id, piece, piece_interest, how in pieces:
        s.add(PlanPayment(plan_id=plan.id, installment_id=inst.id, patient_payment_id=pp_id,
                          amount=piece, interest=piece_interest, how=how,
                          ledger_entry_id=entry.id if entry else None, applied_on=as_of,
                          applied_by=user.username))
    for inst in installments:
        if inst.paid == inst.amount and inst.paid_on is None:
            inst.paid_on = as_of
    if all(i.paid == i.amount for i in installments):
        plan.status, plan.closed_on = PAID_OFF, as_of
    s.flush()
    applied = sum((p for _i, p, _h in parts), ZERO)
    return PlanApplication(plan.id, plan_number(plan.id),
                           tuple((i.number, p) for i, p, _h in parts), interest,
                           amount - applied, _balance(installments), plan.status)


def _pieces(parts: list[tuple[PlanInstallment, Decimal, str]],
            sources: list[tuple[PatientPayment, Decimal]],
            ) -> list[tuple[PlanInstallment, int, Decimal, Decimal, str]]:
    """Each installment's part split over the payments that fund it (oldest first), with the
    interest of each piece; the installments' `paid` is moved on as it goes."""
    out = []
    ids = [pp.id for pp, _free in sources]
    funds = [free for _pp, free in sources]
    k = 0
    for inst, part, how in parts:
        left = part
        while left > 0:
            piece = min(left, funds[k])
            out.append((inst, ids[k], piece, _interest_part(inst, inst.paid, piece), how))
            inst.paid += piece
            funds[k] -= piece
            left -= piece
            if funds[k] == 0:
                k += 1
    return out


def unapply_voided_payment(s: Session, user: CurrentUser, patient_payment_id: int,
                           day: date) -> list[str]:
    """Take a voided desk payment back off the installments it paid, in the caller's
    transaction (`PaymentService.void_payment`): per installment a PlanPayment of the amount
    negated ("undone"), so the applications stay append-only and the history shows both.
    The installment is unpaid again by that much; as interest is paid first, the interest no
    longer paid comes off the finance charges (one negative finance charge per plan). A
    paid-off plan is active again. Returns the numbers of the plans it touched."""
    rows = s.execute(select(PlanPayment.plan_id, PlanPayment.installment_id,
                            func.sum(PlanPayment.amount))
                     .where(PlanPayment.patient_payment_id == patient_payment_id)
                     .group_by(PlanPayment.plan_id, PlanPayment.installment_id)
                     .order_by(PlanPayment.plan_id, PlanPayment.installment_id)).all()
    by_plan: dict[int, list[tuple[int, Decimal]]] = {}
    for plan_id, installment_id, net in rows:
        if net and net > 0:
            by_plan.setdefault(plan_id, []).append((installment_id, net))
    touched = []
    for plan_id, parts in by_plan.items():
        plan = _plan(s, plan_id)
        undone = []
        for installment_id, net in parts:
            inst = s.get(PlanInstallment, installment_id)
            assert inst is not None  # the foreign key
            before, inst.paid = inst.paid, inst.paid - net
            undone.append((inst, net, min(before, inst.interest) - min(inst.paid, inst.interest)))
            if inst.paid < inst.amount:
                inst.paid_on = None
        interest = sum((x for _i, _n, x in undone), ZERO)
        entry = None
        if interest:
            entry = post_entry(s, user, None, CHARGE, -interest, PATIENT,
                               patient_id=plan.patient_id,
                               memo=f"Finance charge undone: payment voided, plan "
                                    f"{plan_number(plan.id)}")
            s.flush()
        s.add_all(PlanPayment(plan_id=plan.id, installment_id=inst.id,
                              patient_payment_id=patient_payment_id, amount=-net,
                              interest=-part, how=UNDONE,
                              ledger_entry_id=entry.id if entry else None, applied_on=day,
                              applied_by=user.username) for inst, net, part in undone)
        if plan.status == PAID_OFF:
            plan.status, plan.closed_on = ACTIVE, None
        touched.append(plan_number(plan.id))
    s.flush()
    return touched


# --- the service -----------------------------------------------------------------------------
class PlanService:
    """Payment plans: preview, set up, print, apply payments, renegotiate, pause, resume,
    cancel; the Plans tab's rows; who is late, who is in good standing."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- setting up --------------------------------------------------------------------------
    def preview(self, patient_id: int, terms: PlanTerms, charge_line_ids: Sequence[int], *,
                today: date | None = None) -> PlanPreview:
        """The schedule `terms` would give for these visit lines, checked as `create` checks
        it (PlanTermsError / UserError saying what to change). Writes nothing."""
        self._ctx.require(Permission.MANAGE_PLANS)
        with self._db.session() as s:
            return self._preview(s, patient_id, terms, charge_line_ids,
                                 today or date.today())[0]

    @staticmethod
    def _preview(s: Session, patient_id: int, terms: PlanTerms, charge_line_ids: Sequence[int],
                 today: date) -> tuple[PlanPreview, list[tuple[int, Decimal]]]:
        p = _patient(s, patient_id)
        _no_open_plan(s, p.id)
        rows = _checked_schedule(terms, today)
        lines = [(ln.id, b) for ln, b in _chosen_lines(s, p.id, charge_line_ids)]
        chosen = sum((b for _i, b in lines), ZERO)
        owes = _check_money(s, p.id, terms.total, chosen,
                            "the patient owes on the chosen visits")
        return _preview_of(p.id, terms, rows, chosen, owes), lines

    def create(self, patient_id: int, terms: PlanTerms, charge_line_ids: Sequence[int], *,
               method: str = "cash", reference: str = "", note: str = "",
               today: date | None = None) -> PlanDetail:
        """Save the plan `preview` shows, with its installments and lines. A down payment is
        taken at the desk now, by `method` (cash, check, card) and `reference`, in the same
        transaction, and applied to the plan's visits oldest first. Audited."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        if terms.down_payment:
            self._ctx.require(Permission.TAKE_PAYMENTS)
        day = today or date.today()
        with self._db.session() as s:
            preview, lines = self._preview(s, patient_id, terms, charge_line_ids, day)
            plan = _save_plan(s, user, patient_id, preview, lines, note, day, None)
            _take_down_payment(s, user, plan, [i for i, _b in lines], method, reference)
            append_event(s, user, "plan.create", entity="payment_plan", entity_id=plan.id,
                         patient_id=plan.patient_id, details=_terms_details(plan))
            return _detail(s, plan, day, read_billing(s).plan_grace_days)

    def plan(self, plan_id: int, *, as_of: date | None = None) -> PlanDetail:
        """One plan with its installments and the payments applied to them (audited)."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        with self._db.session() as s:
            plan = _plan(s, plan_id)
            append_event(s, user, "plan.view", entity="payment_plan", entity_id=plan.id,
                         patient_id=plan.patient_id)
            return _detail(s, plan, as_of or date.today(), read_billing(s).plan_grace_days)

    def agreement_pdf(self, plan_id: int) -> bytes:
        """The plan agreement to print and sign: the clinic (Practice), the patient and the
        responsible party, the terms, the whole schedule, signature lines. Audited as a
        print."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        with self._db.session() as s:
            plan = _plan(s, plan_id)
            data = _agreement(s, plan, read_billing(s).plan_grace_days)
            append_event(s, user, "plan.agreement", entity="payment_plan", entity_id=plan.id,
                         patient_id=plan.patient_id)
        return plan_agreement_pdf(data)

    def record_signed(self, plan_id: int, signed_on: date, *,
                      today: date | None = None) -> PlanDetail:
        """Record the day the agreement was signed (not before the plan was made, not after
        today). A date recorded before may be corrected; both dates are audited."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        day = today or date.today()
        with self._db.session() as s:
            plan = _plan(s, plan_id)
            if plan.status == REPLACED:
                raise UserError(f"Plan {plan_number(plan.id)} was renegotiated; record the "
                                "signature on the new plan.")
            if not plan.created_on <= signed_on <= day:
                raise UserError(f"Enter a signed date from {plan.created_on:%m/%d/%Y} (when "
                                "the plan was made) to today.")
            before, plan.signed_on = plan.signed_on, signed_on
            append_event(s, user, "plan.signed", entity="payment_plan", entity_id=plan.id,
                         patient_id=plan.patient_id, details={
                             "signed_on": signed_on.isoformat(),
                             "before": before.isoformat() if before else ""})
            return _detail(s, plan, day, read_billing(s).plan_grace_days)

    # --- money -------------------------------------------------------------------------------
    def apply_payment(self, plan_id: int, amount: Decimal, overpayment: str = NEXT,
                      patient_payment_id: int | None = None, *,
                      as_of: date | None = None) -> PlanApplication:
        """Apply `amount` of the patient's money to the plan's installments on `as_of` (the
        payment date; today by default).

        Order: every unpaid installment due on or before `as_of`, oldest first, then the next
        one not yet due; partial payments allowed. The rest is the overpayment:
        `overpayment="next"` pays the following installments in due order; `"shorten"` pays
        the last installment first, then the one before it, and so on, so the plan ends
        sooner while the next installments stay due. Within an installment interest is paid
        first. Money beyond the plan's balance is not applied (`unapplied`). The plan is paid
        off when every installment is.

        The money is `patient_payment_id` (a desk payment of the plan's patient taken after
        the plan was set up; no more than its part not yet applied) or, when None, the
        patient's payments since the plan was set up that are not yet applied, oldest first.
        Audited."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        _check_overpayment(overpayment)
        if not _is_cents(amount) or amount <= 0:
            raise UserError("Enter an amount more than $0.00, in dollars and cents.")
        day = as_of or date.today()
        with self._db.session() as s:
            plan = _plan(s, plan_id)
            _require_open(plan, "paid")
            needed = min(amount, _balance(_installments(s, plan.id)))
            sources = _sources(s, plan, needed, patient_payment_id)
            result = _apply(s, user, plan, amount, overpayment, sources, day)
            _audit_application(s, user, plan, result, overpayment, patient_payment_id)
            return result

    def take_and_apply(self, plan_id: int, amount: Decimal, method: str, reference: str = "",
                       overpayment: str = NEXT, *,
                       as_of: date | None = None) -> tuple[PaymentResult, PlanApplication]:
        """Take a desk payment for the plan and apply it (as `apply_payment`), in one
        transaction: both are saved or neither is. The money pays the plan's visit lines,
        oldest visit first; what they no longer owe stays on the account as a credit.
        Needs both taking payments and managing plans. Audited (both)."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        self._ctx.require(Permission.TAKE_PAYMENTS)
        _check_overpayment(overpayment)
        if not _is_cents(amount) or amount <= 0:
            raise UserError("Enter an amount more than $0.00, in dollars and cents.")
        day = as_of or date.today()
        with self._db.session() as s:
            plan = _plan(s, plan_id)
            _require_open(plan, "paid")
            line_ids = s.scalars(select(PlanLine.charge_line_id)
                                 .where(PlanLine.plan_id == plan.id)).all()
            paid = take_desk_payment(s, user, plan.patient_id, amount, method, reference,
                                     f"Plan {plan_number(plan.id)}",
                                     _line_parts(s, plan.patient_id, line_ids, amount))
            needed = min(amount, _balance(_installments(s, plan.id)))
            sources = _sources(s, plan, needed, paid.payment_id)
            result = _apply(s, user, plan, amount, overpayment, sources, day)
            _audit_application(s, user, plan, result, overpayment, paid.payment_id)
            return paid, result

    def apply_desk_payment(self, patient_payment_id: int, overpayment: str = NEXT, *,
                           as_of: date | None = None) -> PlanApplication | None:
        """Count a desk payment just taken (`PaymentService.take_payment`) toward the
        patient's active or paused plan, as `apply_payment` does, on the payment's date
        unless `as_of` says otherwise. None when the patient has no such plan. A payment is
        applied once: a payment already applied (in part or whole) is refused."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        _check_overpayment(overpayment)
        with self._db.session() as s:
            pp = s.get(PatientPayment, patient_payment_id)
            if pp is None:
                raise UserError("That payment no longer exists; refresh the list.")
            plan = _open_plan(s, pp.patient_id)
            if plan is None:
                return None
            usable = _usable(s, plan, pp)  # a voided payment is refused as such first
            if _applied_of(s, [pp.id]):
                raise UserError("This payment was already applied to a payment plan; it is "
                                "not applied twice.")
            amount = min(usable, _balance(_installments(s, plan.id)))
            result = _apply(s, user, plan, amount, overpayment, [(pp, usable)],
                            as_of or pp.received_on)
            result = PlanApplication(result.plan_id, result.number, result.applied,
                                     result.interest, pp.amount - amount, result.balance,
                                     result.status)
            _audit_application(s, user, plan, result, overpayment, pp.id)
            return result

    # --- changing a plan ---------------------------------------------------------------------
    def preview_renegotiation(self, plan_id: int, terms: PlanTerms, *,
                              today: date | None = None) -> PlanPreview:
        """The schedule a renegotiation with `terms` would give (checked as `renegotiate`
        checks it). Writes nothing."""
        self._ctx.require(Permission.MANAGE_PLANS)
        with self._db.session() as s:
            return _renegotiation_preview(s, _plan(s, plan_id), terms, today or date.today())

    def renegotiate(self, plan_id: int, terms: PlanTerms, *, method: str = "cash",
                    reference: str = "", note: str = "",
                    today: date | None = None) -> PlanDetail:
        """Replace an active or paused plan by a new one for what is left: `terms.total` is at
        most the old plan's principal not yet paid (and at most what the patient owes in
        all; `PlanDetail.principal_left`). The old plan becomes "replaced" and keeps its
        installments and payments; the new one points at it and covers the same visit lines.
        A down payment is taken as in `create`. Audited."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        if terms.down_payment:
            self._ctx.require(Permission.TAKE_PAYMENTS)
        day = today or date.today()
        with self._db.session() as s:
            old = _plan(s, plan_id)
            preview = _renegotiation_preview(s, old, terms, day)
            line_ids = list(s.scalars(select(PlanLine.charge_line_id)
                                      .where(PlanLine.plan_id == old.id)))
            owed = _line_balances(s, old.patient_id, line_ids)
            old.status, old.closed_on = REPLACED, day
            s.flush()  # the old plan is no longer open before the new one is
            new = _save_plan(s, user, old.patient_id, preview,
                             [(i, owed.get(i, ZERO)) for i in line_ids], note, day, old)
            _append_note(old, day, user.username, f"Renegotiated: replaced by plan "
                                                  f"{plan_number(new.id)}.")
            _take_down_payment(s, user, new, line_ids, method, reference)
            append_event(s, user, "plan.renegotiate", entity="payment_plan", entity_id=new.id,
                         patient_id=new.patient_id,
                         details={**_terms_details(new), "replaces": plan_number(old.id)})
            return _detail(s, new, day, read_billing(s).plan_grace_days)

    def pause(self, plan_id: int, reason: str, *, today: date | None = None) -> PlanDetail:
        """Pause an active plan: while paused none of its installments is missed. Resuming
        keeps the schedule, so a long pause usually ends in a renegotiation. Audited."""
        self._ctx.require(Permission.MANAGE_PLANS)
        return self._change(plan_id, (ACTIVE,), PAUSED, "paused",
                            f"Paused: {_reason(reason, 'paused')}", "plan.pause", today)

    def resume(self, plan_id: int, *, today: date | None = None) -> PlanDetail:
        """Make a paused plan active again, on its schedule as agreed. Audited."""
        return self._change(plan_id, (PAUSED,), ACTIVE, "resumed", "Resumed.", "plan.resume",
                            today)

    def cancel(self, plan_id: int, reason: str, *, today: date | None = None) -> PlanDetail:
        """End an active or paused plan before it is paid off: what is left is owed as any
        balance is (statements, dunning). Its installments and payments are kept. Audited."""
        self._ctx.require(Permission.MANAGE_PLANS)
        return self._change(plan_id, OPEN_PLAN_STATUSES, CANCELLED, "cancelled",
                            f"Cancelled: {_reason(reason, 'cancelled')}", "plan.cancel", today)

    def _change(self, plan_id: int, allowed: tuple[str, ...], status: str, verb: str,
                note: str, action: str, today: date | None) -> PlanDetail:
        user = self._ctx.require(Permission.MANAGE_PLANS)
        day = today or date.today()
        with self._db.session() as s:
            plan = _plan(s, plan_id)
            if plan.status not in allowed:
                wanted = " or ".join(STATUS_WORDS[a] if a != ACTIVE else "active"
                                     for a in allowed)
                raise UserError(f"Plan {plan_number(plan.id)} is {STATUS_WORDS[plan.status]}; "
                                f"only an {wanted} plan can be {verb}."
                                .replace("an paused", "a paused"))
            plan.status = status
            if status == CANCELLED:
                plan.closed_on = day
            _append_note(plan, day, user.username, note)
            append_event(s, user, action, entity="payment_plan", entity_id=plan.id,
                         patient_id=plan.patient_id)
            s.flush()
            return _detail(s, plan, day, read_billing(s).plan_grace_days)

    # --- lists -------------------------------------------------------------------------------
    def plans(self, status: str | None = None, patient_id: int | None = None,
              sort: str = "next_due", descending: bool = False, *,
              as_of: date | None = None, limit: int | None = None,
              offset: int = 0) -> list[PlanRow]:
        """The Plans tab: every plan (or those of one status word: current, late, paused,
        paid_off, cancelled, replaced; or of one patient) with its next installment, what is
        left and the last payment, sorted by `sort` (one of SORTS; the plan number breaks
        ties). Filtered, sorted and paged in SQL in a single query. Audited."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        if status is not None and status not in STATUS_FILTERS:
            raise UserError("Choose a plan status: current, late, paused, paid off, cancelled "
                            "or replaced.")
        if sort not in SORTS:
            raise UserError("Sort plans by next due date, number, patient, balance, status, "
                            "last payment or the date they were made.")
        day = as_of or date.today()
        with self._db.session() as s:
            q = _plans_query(day, read_billing(s).plan_grace_days, status, patient_id, sort,
                             descending)
            rows = [_plan_row(r) for r in s.execute(q.limit(limit).offset(offset or None))]
            append_event(s, user, "plan.list", patient_id=patient_id,
                         details={"rows": len(rows), "status": status or ""})
            return rows

    def late_installments(self, as_of: date | None = None) -> list[LateInstallment]:
        """The missed installments of active plans on `as_of`, by plan and due date."""
        user = self._ctx.require(Permission.MANAGE_PLANS)
        day = as_of or date.today()
        with self._db.session() as s:
            grace = read_billing(s).plan_grace_days
            out = [LateInstallment(p.id, plan_number(p.id), p.patient_id, i.number, i.due_date,
                                   i.amount - i.paid,
                                   (day - i.due_date).days - grace)
                   for i, p in missed_installments(s, day, grace)]
            append_event(s, user, "plan.late_list", details={"rows": len(out),
                                                             "as_of": day.isoformat()})
            return out

    def dues(self, patient_ids: Iterable[int], as_of: date | None = None) -> dict[int, PlanDueRow]:
        """For a statement run: each of `patient_ids` on an active or paused plan, with what
        the plan asks for on `as_of` and whether it is in good standing (PlanDueRow)."""
        self._ctx.require(Permission.MANAGE_PLANS)
        with self._db.session() as s:
            return plan_dues(s, patient_ids, as_of or date.today(),
                             read_billing(s).plan_grace_days)

    def in_good_standing(self, patient_ids: Iterable[int], as_of: date | None = None) -> set[int]:
        """Of `patient_ids`, the patients whose plan is active and not late on `as_of`: the
        statements and dunning run keeps them out of dunning and collections."""
        self._ctx.require(Permission.MANAGE_PLANS)
        with self._db.session() as s:
            return good_standing(s, patient_ids, as_of or date.today(),
                                 read_billing(s).plan_grace_days)


# --- the service's pieces ----------------------------------------------------------------------
def _check_overpayment(overpayment: str) -> None:
    if overpayment not in OVERPAYMENT:
        raise UserError("Choose what an overpayment pays: the next installments, or the last "
                        "ones to shorten the plan.")


def _preview_of(patient_id: int, terms: PlanTerms, rows: list[Installment], chosen: Decimal,
                owes: Decimal) -> PlanPreview:
    amount, principal, interest = schedule_totals(rows)
    return PlanPreview(patient_id, terms, tuple(rows), chosen, owes, amount, principal,
                       interest)


def _renegotiation_preview(s: Session, old: PaymentPlan, terms: PlanTerms,
                           today: date) -> PlanPreview:
    _require_open(old, "renegotiated")
    rows = _checked_schedule(terms, today)
    left = _principal_left(old, _installments(s, old.id))
    owes = _check_money(s, old.patient_id, terms.total, left,
                        f"what is left of plan {plan_number(old.id)}")
    return _preview_of(old.patient_id, terms, rows, left, owes)


def _save_plan(s: Session, user: CurrentUser, patient_id: int, preview: PlanPreview,
               lines: list[tuple[int, Decimal]], note: str, day: date,
               replaces: PaymentPlan | None) -> PaymentPlan:
    p = _patient(s, patient_id)
    t = preview.terms
    guarantor, relationship = _guarantor(p)
    plan = PaymentPlan(patient_id=p.id, guarantor_name=guarantor,
                       guarantor_relationship=relationship, status=ACTIVE, total=t.total,
                       down_payment=t.down_payment, apr=t.apr, frequency=t.frequency,
                       day_of_month=t.day_of_month, count=t.count, installment=t.installment,
                       first_due=t.first_due, created_on=day, created_by=user.username,
                       replaces_id=replaces.id if replaces else None, note="")
    if note.strip():
        _append_note(plan, day, user.username, note[:NOTE_LIMIT])
    s.add(plan)
    s.flush()
    s.add_all(PlanInstallment(plan_id=plan.id, number=r.number, due_date=r.due_date,
                              amount=r.amount, principal=r.principal, interest=r.interest,
                              paid=ZERO) for r in preview.rows)
    s.add_all(PlanLine(plan_id=plan.id, charge_line_id=i, balance=b) for i, b in lines)
    s.flush()
    return plan


def _take_down_payment(s: Session, user: CurrentUser, plan: PaymentPlan, line_ids: list[int],
                       method: str, reference: str) -> None:
    """The down payment as a desk payment, applied to the plan's lines oldest first (what
    they no longer owe stays on the account as a credit)."""
    if not plan.down_payment:
        return
    paid = take_desk_payment(s, user, plan.patient_id, plan.down_payment, method, reference,
                             f"Down payment, plan {plan_number(plan.id)}",
                             _line_parts(s, plan.patient_id, line_ids, plan.down_payment))
    plan.down_payment_id = paid.payment_id


def _line_parts(s: Session, patient_id: int, line_ids: Iterable[int],
                amount: Decimal) -> list[tuple[int, Decimal]]:
    """`amount` spread over what the lines still owe, oldest visit first (the rest, if any,
    is left for the payment to keep as a credit)."""
    ids = list(line_ids)
    lines = sorted(s.scalars(select(ChargeLine).where(ChargeLine.id.in_(ids))),
                   key=lambda ln: (ln.dos, ln.id))
    owed = _line_balances(s, patient_id, ids)
    parts: list[tuple[int, Decimal]] = []
    left = amount
    for ln in lines:
        part = min(left, owed.get(ln.id, ZERO))
        if part > 0:
            parts.append((ln.id, part))
            left -= part
    return parts


def _sources(s: Session, plan: PaymentPlan, needed: Decimal,
             patient_payment_id: int | None) -> list[tuple[PatientPayment, Decimal]]:
    if patient_payment_id is not None:
        pp = s.get(PatientPayment, patient_payment_id)
        if pp is None:
            raise UserError("That payment no longer exists; refresh the list.")
        usable = _usable(s, plan, pp)
        if usable < needed:
            raise UserError(f"Only {_money(max(usable, ZERO))} of that payment is not yet "
                            "applied to a plan; apply no more than that.")
        return [(pp, usable)]
    found = _unapplied_payments(s, plan)
    usable = sum((free for _p, free in found), ZERO)
    if usable < needed:
        raise UserError(f"Only {_money(usable)} of the payments taken from this patient since "
                        f"plan {plan_number(plan.id)} was set up is not yet applied to it; take "
                        "the payment at the desk first, then apply it.")
    return found


def _audit_application(s: Session, user: CurrentUser, plan: PaymentPlan, r: PlanApplication,
                       overpayment: str, patient_payment_id: int | None) -> None:
    append_event(s, user, "plan.apply_payment", entity="payment_plan", entity_id=plan.id,
                 patient_id=plan.patient_id, details={
                     "applied": str(sum((a for _n, a in r.applied), ZERO)),
                     "installments": [n for n, _a in r.applied], "interest": str(r.interest),
                     "overpayment": overpayment, "patient_payment": patient_payment_id or "",
                     "status": r.status})


def _terms_details(plan: PaymentPlan) -> dict[str, Any]:
    return {"number": plan_number(plan.id), "total": str(plan.total),
            "down_payment": str(plan.down_payment), "apr": str(plan.apr),
            "frequency": plan.frequency, "count": plan.count,
            "installment": str(plan.installment) if plan.installment else "",
            "first_due": plan.first_due.isoformat()}


def _status_word(status: str, late: bool) -> str:
    if status == ACTIVE:
        return LATE if late else CURRENT
    return STATUS_WORDS[status]


def _detail(s: Session, plan: PaymentPlan, as_of: date, grace: int) -> PlanDetail:
    p = s.get(Patient, plan.patient_id)
    assert p is not None
    installments = _installments(s, plan.id)
    numbers = {i.id: i.number for i in installments}
    rows = tuple(InstallmentRow(i.number, i.due_date, i.amount, i.principal, i.interest,
                                i.paid, i.paid_on, is_missed(i.due_date, i.paid_on, as_of, grace))
                 for i in installments)
    payments = tuple(AppliedRow(numbers[a.installment_id], a.patient_payment_id, a.amount,
                                a.interest, a.how, a.applied_on, a.applied_by)
                     for a in s.scalars(select(PlanPayment).where(PlanPayment.plan_id == plan.id)
                                        .order_by(PlanPayment.id)))
    line_ids = tuple(s.scalars(select(PlanLine.charge_line_id)
                               .where(PlanLine.plan_id == plan.id)
                               .order_by(PlanLine.charge_line_id)))
    replaced_by = s.scalar(select(PaymentPlan.id).where(PaymentPlan.replaces_id == plan.id))
    late = plan.status == ACTIVE and any(r.missed for r in rows)
    owed = sum(_line_balances(s, plan.patient_id, line_ids).values(), ZERO)
    return PlanDetail(
        plan.id, plan_number(plan.id), p.id, _name(p), p.mrn, plan.guarantor_name,
        plan.status, _status_word(plan.status, late), terms_of(plan), plan.created_on,
        plan.created_by, plan.signed_on, plan.closed_on, plan.replaces_id, replaced_by,
        plan.down_payment_id, plan.note, line_ids, rows, payments, _balance(installments),
        _principal_left(plan, installments), owed)


def _agreement(s: Session, plan: PaymentPlan, grace: int) -> AgreementData:
    p = s.get(Patient, plan.patient_id)
    assert p is not None
    practice = s.scalars(select(Practice)).first()
    installments = _installments(s, plan.id)
    rows, remaining = [], plan.total - plan.down_payment
    for i in installments:
        remaining -= i.principal
        rows.append(AgreementRow(i.number, i.due_date, i.amount, i.principal, i.interest,
                                 remaining))
    interest = sum((i.interest for i in installments), ZERO)
    financed = plan.total - plan.down_payment
    words = FREQUENCY_WORDS.get(plan.frequency, "monthly")
    if plan.frequency == "day_of_month":
        words = f"monthly on day {plan.day_of_month}"
    patient_name = f"{p.first_name} {p.last_name}"
    return AgreementData(
        clinic_name=practice.name if practice else "",
        clinic_address=_practice_address(practice) if practice else (),
        clinic_phone=_format_phone(practice.phone) if practice else "",
        patient_name=patient_name, account_number=p.mrn,
        guarantor_name=plan.guarantor_name or patient_name, plan_number=plan_number(plan.id),
        created_on=plan.created_on, total=plan.total, down_payment=plan.down_payment,
        amount_financed=financed, apr=plan.apr, installment_count=len(installments),
        installment_amount=installments[0].amount, frequency=words,
        first_due_date=installments[0].due_date, total_interest=interest,
        total_of_payments=financed + interest, grace_days=grace, late_policy=LATE_POLICY,
        schedule=tuple(rows), signed_on=plan.signed_on)


# --- the Plans tab's query ---------------------------------------------------------------------
def _plans_query(as_of: date, grace: int, status: str | None, patient_id: int | None,
                 sort: str, descending: bool) -> Any:
    """One SELECT: each plan with its installments summed (balance, first unpaid number,
    whether one is missed), the first unpaid installment and the last payment date."""
    unpaid = PlanInstallment.paid < PlanInstallment.amount
    sums = (select(PlanInstallment.plan_id.label("plan_id"),
                   type_coerce(func.sum(PlanInstallment.amount - PlanInstallment.paid),
                               Cents()).label("balance"),
                   func.min(case((unpaid, PlanInstallment.number))).label("next_number"),
                   func.max(case((_missed_sql(as_of, grace), 1), else_=0)).label("missed"))
            .group_by(PlanInstallment.plan_id).subquery())
    last = (select(PlanPayment.plan_id.label("plan_id"),
                   func.max(PlanPayment.applied_on).label("last_payment"))
            .where(PlanPayment.how != UNDONE,  # a voided payment is no payment
                   PlanPayment.patient_payment_id.not_in(
                       select(PlanPayment.patient_payment_id).where(PlanPayment.how == UNDONE)))
            .group_by(PlanPayment.plan_id).subquery())
    nxt = aliased(PlanInstallment)
    late = and_(PaymentPlan.status == ACTIVE, sums.c.missed == 1)
    word = case((late, LATE), (PaymentPlan.status == ACTIVE, CURRENT),
                else_=PaymentPlan.status)
    q = (select(PaymentPlan.id, PaymentPlan.patient_id, Patient.last_name, Patient.first_name,
                Patient.middle_name, Patient.mrn, PaymentPlan.status, word.label("word"),
                nxt.due_date, nxt.amount, nxt.paid, sums.c.balance, last.c.last_payment,
                PaymentPlan.created_on)
         .join(Patient, Patient.id == PaymentPlan.patient_id)
         .outerjoin(sums, sums.c.plan_id == PaymentPlan.id)
         .outerjoin(nxt, and_(nxt.plan_id == PaymentPlan.id,
                              nxt.number == sums.c.next_number,
                              PaymentPlan.status.in_(OPEN_PLAN_STATUSES)))  # closed: none due
         .outerjoin(last, last.c.plan_id == PaymentPlan.id))
    if status is not None:
        q = q.where(word == status)
    if patient_id is not None:
        q = q.where(PaymentPlan.patient_id == patient_id)
    by: dict[str, list[Any]] = {
        "next_due": [nxt.due_date], "number": [], "patient": [Patient.last_name,
                                                              Patient.first_name],
        "balance": [sums.c.balance], "status": [word], "last_payment": [last.c.last_payment],
        "created": [PaymentPlan.created_on]}
    order: list[Any] = []
    for k in by[sort]:
        order += [k.is_(None), k.desc() if descending else k]  # no value: always last
    order.append(PaymentPlan.id.desc() if descending else PaymentPlan.id)
    return q.order_by(*order)


def _plan_row(r: Any) -> PlanRow:
    (plan_id, patient_id, last, first, middle, mrn, status, word, next_due, amount, paid,
     balance, last_payment, created_on) = r
    name = f"{last}, {first}" + (f" {middle[:1]}" if middle else "")
    left = (amount - paid) if amount is not None and paid is not None else ZERO
    return PlanRow(plan_id, plan_number(plan_id), patient_id, name, mrn, status,
                   _status_word(status, word == LATE), next_due, left, balance or ZERO,
                   last_payment, created_on)


__all__ = ["AppliedRow", "InstallmentRow", "LateInstallment", "PlanApplication", "PlanDetail",
           "PlanDueRow", "PlanPreview", "PlanRow", "PlanService", "good_standing",
           "is_missed", "missed_installments", "plan_dues", "plan_number", "terms_of"]
