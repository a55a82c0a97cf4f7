"""The demo clinic's payment plans (issue 8): a plan in every status, set up and paid through
the same services a clerk uses, backdated with their `today`/`as_of` parameters so that on
the demo's day one plan is current, one late, one paused, one cancelled, one paid off and one
replaced by its renegotiated successor (current again). The late one charges interest, so the
ledger has a finance charge; the queues' refresh afterwards raises its late-plan work item.

The patients are those who owe the most on visit lines after the remittances and the desk
payments (self-pay balances, coinsurance, deductibles) and have no credit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.formats.plan_schedule import PlanTerms
from app.models import LedgerEntry
from app.services import Services
from app.services.plans import PlanDetail

ZERO = Decimal("0.00")


def _candidates(sv: Services, n: int) -> list[tuple[int, list[int]]]:
    """Up to `n` patients with no credit, most owed first, with their visit lines they owe
    on."""
    with sv.db.session() as s:
        rows = s.execute(select(LedgerEntry.patient_id, LedgerEntry.charge_line_id,
                                func.sum(LedgerEntry.amount))
                         .where(LedgerEntry.coverage_id.is_(None))
                         .group_by(LedgerEntry.patient_id, LedgerEntry.charge_line_id)).all()
    owed: dict[int, Decimal] = {}
    lines: dict[int, list[int]] = {}
    credit: set[int] = set()
    for pid, line_id, total in rows:
        amount = total or ZERO
        if amount < 0:
            credit.add(pid)
        elif amount > 0 and line_id is not None:
            owed[pid] = owed.get(pid, ZERO) + amount
            lines.setdefault(pid, []).append(line_id)
    ranked = sorted((p for p in owed if p not in credit and owed[p] >= Decimal("6.00")),
                    key=lambda p: (-owed[p], p))
    return [(p, sorted(lines[p])) for p in ranked[:n]]


def _owed(sv: Services, pid: int, line_ids: list[int]) -> Decimal:
    with sv.db.session() as s:
        total = s.scalar(select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.patient_id == pid, LedgerEntry.coverage_id.is_(None),
            LedgerEntry.charge_line_id.in_(line_ids)))
    return total or ZERO


def _set_up(sv: Services, pid: int, line_ids: list[int], *, agreed: date, first_due: date,
            count: int, apr: str = "0") -> PlanDetail:
    total = _owed(sv, pid, line_ids)
    terms = PlanTerms(total, ZERO, min(count, int(total * 100)), None, "monthly", first_due,
                      Decimal(apr))
    plan = sv.plans.create(pid, terms, line_ids, note="Set up at check-out (demo)",
                           today=agreed)
    sv.plans.record_signed(plan.id, agreed, today=agreed)
    return plan


def _pay_through(sv: Services, plan: PlanDetail, until: date) -> None:
    """The patient pays each installment on its due date, up to `until`."""
    for inst in plan.installments:
        if inst.due_date <= until:
            paid = sv.payments.take_payment(plan.patient_id, inst.amount, "cash")
            sv.plans.apply_payment(plan.id, inst.amount, "next", paid.payment_id,
                                   as_of=inst.due_date)


def add_demo_plans(sv: Services, today: date) -> dict[str, int]:
    """Set up the demo's plans (signed in as its admin); returns how many per status."""
    day = timedelta(days=1)
    made: dict[str, int] = {}
    steps: list[tuple[str, Callable[[int, list[int]], object]]] = [
        ("current", lambda pid, ids: _pay_through(sv, _set_up(
            sv, pid, ids, agreed=today - 75 * day, first_due=today - 60 * day, count=6),
            today)),
        ("late", lambda pid, ids: _pay_through(sv, _set_up(
            sv, pid, ids, agreed=today - 110 * day, first_due=today - 95 * day, count=6,
            apr="6"), today - 90 * day)),
        ("paused", lambda pid, ids: sv.plans.pause(_set_up(
            sv, pid, ids, agreed=today - 50 * day, first_due=today - 40 * day, count=4).id,
            "Patient in hospital; call back next month (demo)", today=today - 35 * day)),
        ("cancelled", lambda pid, ids: sv.plans.cancel(_set_up(
            sv, pid, ids, agreed=today - 90 * day, first_due=today - 80 * day, count=3).id,
            "Patient disputes the bill (demo)", today=today - 20 * day)),
        ("paid_off", lambda pid, ids: _pay_through(sv, _set_up(
            sv, pid, ids, agreed=today - 70 * day, first_due=today - 60 * day, count=2),
            today)),
        ("replaced", lambda pid, ids: _renegotiated(sv, pid, ids, today)),
    ]
    for (status, step), (pid, line_ids) in zip(steps, _candidates(sv, len(steps)),
                                               strict=False):
        step(pid, line_ids)
        made[status] = 1
    return made


def _renegotiated(sv: Services, pid: int, line_ids: list[int], today: date) -> None:
    """Two installments paid, then smaller ones agreed for what is left."""
    day = timedelta(days=1)
    old = _set_up(sv, pid, line_ids, agreed=today - 130 * day, first_due=today - 120 * day,
                  count=4)
    _pay_through(sv, old, old.installments[0].due_date)
    left = sv.plans.plan(old.id).principal_left
    terms = PlanTerms(left, ZERO, min(6, int(left * 100)), None, "day_of_month",
                      today - 10 * day, Decimal(0), 15)
    sv.plans.renegotiate(old.id, terms, note="Lower installments (demo)",
                         today=today - 10 * day)
