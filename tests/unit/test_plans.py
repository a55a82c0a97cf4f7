"""Payment plans (app.services.plans): preview writes nothing and create saves that schedule;
schedules with and without interest sum exactly; the refusals and their messages; the down
payment taken with the plan; partial payments and overpayments ("next" vs "shorten") on
worked figures; interest posted as a finance charge; paid off; missed installments with
grace days on fixed dates; the late-plan work item raised and closed; renegotiation keeping
the old plan's history; pause, resume, cancel; the Plans tab rows; permissions and audit; a
desk payment never applied twice. Every date is fixed (no date.today() decides a result)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.exc import DatabaseError

from app.errors import PermissionDenied, UserError, ValidationError
from app.formats.code_edits import LineDraft
from app.formats.plan_schedule import PlanTerms, PlanTermsError
from app.models import (
    AuditEvent,
    LedgerEntry,
    Patient,
    PatientPayment,
    PaymentPlan,
    PlanInstallment,
    PlanPayment,
    WorkItem,
)
from app.services import Services
from app.services.billing_settings import BillingSettings, read_billing, save_billing
from app.services.followup import WorkQueueService
from app.services.plans import PlanDetail, PlanService
from tests.unit.claim_fixtures import Clinic, clinic, coded_visit, patient
from tests.unit.test_coding import sign_in_as

TODAY = date(2026, 2, 1)  # the day the plans are set up
FIRST = date(2026, 3, 1)  # their first installment


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def plans(admin: Services) -> PlanService:
    return admin.plans


def owing(sv: Services, c: Clinic, n: int, *charges: str) -> tuple[int, list[int]]:
    """A self-pay patient (no coverage: every charge is theirs) with one visit per charge,
    the oldest first; returns the patient and the visit lines, oldest first."""
    pid = patient(sv, n, last=f"Plan{chr(64 + n)}")
    for k, charge in enumerate(charges):
        coded_visit(sv, pid, c, LineDraft("99213", pointers="A", charge=D(charge)),
                    on=TODAY - timedelta(days=90 - k))
    return pid, lines_of(sv, pid)


def lines_of(sv: Services, pid: int) -> list[int]:
    from app.models import ChargeLine
    with sv.db.session() as s:
        return list(s.scalars(select(ChargeLine.id).where(ChargeLine.patient_id == pid)
                              .order_by(ChargeLine.dos, ChargeLine.id)))


def terms(total: str, count: int | None = None, *, installment: str | None = None,
          down: str = "0", apr: str = "0", frequency: str = "monthly",
          first: date = FIRST, day_of_month: int | None = None) -> PlanTerms:
    return PlanTerms(D(total), D(down), count, D(installment) if installment else None,
                     frequency, first, D(apr), day_of_month)


def count(sv: Services, model: type) -> int:
    with sv.db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def actions(sv: Services) -> list[str]:
    with sv.db.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def owed(sv: Services, pid: int) -> D:
    """What the patient owes in all: the sum of the patient's own ledger entries."""
    with sv.db.session() as s:
        total = s.scalar(select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.patient_id == pid, LedgerEntry.coverage_id.is_(None)))
    return total or D("0.00")


def paid(detail: PlanDetail) -> list[D]:
    return [i.paid for i in detail.installments]


def desk(sv: Services, pid: int, amount: str) -> int:
    """A desk payment taken now (after the plan was set up); returns its id."""
    return sv.payments.take_payment(pid, D(amount), "cash").payment_id


def six_hundred(sv: Services, c: Clinic, plans: PlanService, n: int = 1,
                **kw: object) -> tuple[int, PlanDetail]:
    """A patient owing 600.00 on two visits with a plan of 6 monthly installments of 100.00
    from 03/01/2026."""
    pid, lines = owing(sv, c, n, "250.00", "350.00")
    return pid, plans.create(pid, terms("600.00", 6, **kw), lines, today=TODAY)  # type: ignore[arg-type]


# --- preview and create ------------------------------------------------------------------------
def test_preview_writes_nothing_and_create_saves_that_schedule(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, lines = owing(admin, c, 1, "250.00", "350.00")
    events = len(actions(admin))
    preview = plans.preview(pid, terms("600.00", 6), lines, today=TODAY)
    assert [(r.number, r.due_date, r.amount) for r in preview.rows] == [
        (n, date(2026, 2 + n, 1), D("100.00")) for n in range(1, 7)]
    assert (preview.chosen_balance, preview.patient_balance) == (D("600.00"), D("600.00"))
    assert (preview.total_of_payments, preview.financed, preview.interest) == (
        D("600.00"), D("600.00"), D("0.00"))
    assert count(admin, PaymentPlan) == 0 and len(actions(admin)) == events

    plan = plans.create(pid, terms("600.00", 6), lines, note="Agreed at check-out",
                        today=TODAY)
    assert (plan.number, plan.status, plan.status_word) == ("PP000001", "active", "current")
    assert [(i.number, i.due_date, i.amount, i.principal, i.interest, i.paid)
            for i in plan.installments] == [(r.number, r.due_date, r.amount, r.principal,
                                             r.interest, D("0.00")) for r in preview.rows]
    assert plan.charge_line_ids == tuple(sorted(lines))
    assert (plan.balance, plan.principal_left, plan.owed_on_lines) == (
        D("600.00"), D("600.00"), D("600.00"))
    assert (plan.created_on, plan.created_by, plan.guarantor_name) == (TODAY, "admin", "")
    assert "Agreed at check-out" in plan.note and plan.next_installment is not None
    assert owed(admin, pid) == D("600.00")  # a plan moves no money by itself


def test_schedules_with_and_without_interest_sum_exactly(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, lines = owing(admin, c, 1, "400.00", "600.00")
    with_interest = plans.create(pid, terms("1000.00", 12, apr="12"), lines, today=TODAY)
    rows = with_interest.installments
    assert (rows[0].amount, rows[-1].amount) == (D("88.85"), D("88.84"))
    assert sum(r.principal for r in rows) == D("1000.00")
    assert sum(r.interest for r in rows) == D("66.19")
    assert sum(r.amount for r in rows) == D("1066.19")
    assert all(r.amount == r.principal + r.interest for r in rows)
    # and without interest, by installment amount, every two weeks, after a down payment
    other, other_lines = owing(admin, c, 2, "500.00")
    plain = plans.preview(other, terms("500.00", installment="45.00", down="50.00",
                                       frequency="biweekly"), other_lines, today=TODAY)
    assert [r.amount for r in plain.rows] == [D("45.00")] * 10
    assert plain.rows[-1].due_date == FIRST + timedelta(days=14 * 9)
    assert plain.total_of_payments == plain.financed == D("450.00")
    odd = plans.preview(other, terms("500.00", 7, apr="9.5", frequency="weekly"), other_lines,
                        today=TODAY)
    assert sum(r.principal for r in odd.rows) == D("500.00")
    assert sum(r.amount for r in odd.rows) == D("500.00") + sum(r.interest for r in odd.rows)


def test_refusals_say_what_to_change_and_write_nothing(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, lines = owing(admin, c, 1, "250.00", "350.00")
    other, other_lines = owing(admin, c, 2, "100.00")
    cases: list[tuple[object, str]] = [
        (lambda: plans.preview(pid, terms("700.00", 6), lines, today=TODAY),
         r"more than the patient owes on the chosen visits \(\$600.00\)"),
        (lambda: plans.preview(pid, terms("300.00", 3), [], today=TODAY),
         "Choose the visit balances"),
        (lambda: plans.preview(pid, terms("100.00", 1), [other_lines[0]], today=TODAY),
         "not one of this patient's"),
        (lambda: plans.preview(pid, terms("600.00", 6, first=date(2026, 1, 31)), lines,
                               today=TODAY), "cannot be due before today"),
        (lambda: plans.preview(pid, terms("600.00", 6, down="600.00"), lines, today=TODAY),
         "down payment must be less than the total"),
        (lambda: plans.preview(pid, terms("600.00", 6, apr="5.12345"), lines, today=TODAY),
         "at most 4 decimal places"),
    ]
    for call, message in cases:
        with pytest.raises(UserError, match=message):
            call()  # type: ignore[operator]
    with pytest.raises(PlanTermsError) as err:
        plans.preview(pid, terms("700.00", 6), lines, today=TODAY)
    assert err.value.field == "total"
    # a credit elsewhere on the account lowers what the patient owes in all
    admin.payments.take_payment(pid, D("100.00"), "cash", apply=[])
    with pytest.raises(UserError, match=r"owes in all after credits \(\$500.00\)"):
        plans.preview(pid, terms("600.00", 6), lines, today=TODAY)
    # a line the patient no longer owes on
    admin.payments.take_payment(other, D("100.00"), "cash")
    with pytest.raises(UserError, match="owes nothing on it"):
        plans.preview(other, terms("100.00", 1), other_lines, today=TODAY)
    assert count(admin, PaymentPlan) == 0


def test_one_open_plan_per_patient(admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, first = six_hundred(admin, c, plans)
    with pytest.raises(UserError, match=r"already has payment plan PP000001 \(current\); "
                                        "renegotiate"):
        plans.create(pid, terms("100.00", 1), lines_of(admin, pid), today=TODAY)
    plans.cancel(first.id, "Patient moved away", today=TODAY)
    again = plans.create(pid, terms("600.00", 3), lines_of(admin, pid), today=TODAY)
    assert again.number == "PP000002"


def test_the_down_payment_is_a_desk_payment_taken_with_the_plan(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, lines = owing(admin, c, 1, "250.00", "350.00")
    with pytest.raises(ValidationError, match="payment was not saved"):
        plans.create(pid, terms("600.00", 5, down="100.00"), lines, method="card",
                     reference="4111111111111111", today=TODAY)
    assert (count(admin, PaymentPlan), count(admin, PatientPayment)) == (0, 0)  # all or none
    plan = plans.create(pid, terms("600.00", 5, down="100.00"), lines, method="check",
                        reference="1042", today=TODAY)
    assert [i.amount for i in plan.installments] == [D("100.00")] * 5
    assert plan.down_payment_id is not None and plan.balance == D("500.00")
    with admin.db.session() as s:
        pp = s.get(PatientPayment, plan.down_payment_id)
        assert pp is not None
        assert (pp.amount, pp.method, pp.note) == (D("100.00"), "check",
                                                   "Down payment, plan PP000001")
        first_line = s.scalar(select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.charge_line_id == lines[0]))
    assert first_line == D("150.00")  # applied to the oldest visit of the plan
    assert owed(admin, pid) == D("500.00")
    with pytest.raises(UserError, match="down payment"):
        plans.apply_desk_payment(plan.down_payment_id, as_of=FIRST)


# --- applying payments -------------------------------------------------------------------------
def test_a_partial_payment_leaves_the_installment_partly_paid(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, plan = six_hundred(admin, c, plans)
    r = plans.apply_payment(plan.id, D("60.00"), patient_payment_id=desk(admin, pid, "60.00"),
                            as_of=date(2026, 3, 5))
    assert (r.applied, r.unapplied, r.balance, r.status) == (
        ((1, D("60.00")),), D("0.00"), D("540.00"), "active")
    after = plans.plan(plan.id, as_of=date(2026, 3, 5))
    assert paid(after)[:2] == [D("60.00"), D("0.00")]
    assert after.installments[0].paid_on is None and after.installments[0].left == D("40.00")
    # the rest of it, and the next installment in part, in one payment
    r = plans.apply_payment(plan.id, D("70.00"), patient_payment_id=desk(admin, pid, "70.00"),
                            as_of=date(2026, 3, 20))
    assert r.applied == ((1, D("40.00")), (2, D("30.00")))
    after = plans.plan(plan.id, as_of=date(2026, 3, 20))
    assert after.installments[0].paid_on == date(2026, 3, 20)
    assert [(a.installment, a.amount, a.how) for a in after.payments] == [
        (1, D("60.00"), "due"), (1, D("40.00"), "due"), (2, D("30.00"), "due")]


@pytest.mark.parametrize(("overpayment", "expected", "paid_after"), [
    ("next", ((1, D("100.00")), (2, D("100.00")), (3, D("50.00"))),
     [D(100), D(100), D(50), D(0), D(0), D(0)]),
    ("shorten", ((1, D("100.00")), (6, D("100.00")), (5, D("50.00"))),
     [D(100), D(0), D(0), D(0), D(50), D(100)]),
])
def test_an_overpayment_prepays_the_next_installments_or_shortens_the_plan(
        admin: Services, c: Clinic, plans: PlanService, overpayment: str,
        expected: tuple[tuple[int, D], ...], paid_after: list[D]) -> None:
    """250.00 paid on 02/20, before the first installment (03/01): 100.00 pays it (paying
    ahead of the date is not an overpayment); the other 150.00 is the overpayment."""
    pid, plan = six_hundred(admin, c, plans)
    pp = desk(admin, pid, "250.00")
    r = plans.apply_payment(plan.id, D("250.00"), overpayment, pp, as_of=date(2026, 2, 20))
    assert r.applied == expected and r.balance == D("350.00")
    after = plans.plan(plan.id, as_of=date(2026, 2, 20))
    assert paid(after) == paid_after
    assert [a.how for a in after.payments] == ["due", overpayment, overpayment]
    nxt = after.next_installment
    assert nxt is not None
    if overpayment == "next":  # ahead: nothing is due again until 05/01, 50.00 of it
        assert (nxt.number, nxt.due_date, nxt.left) == (3, date(2026, 5, 1), D("50.00"))
        assert [i.number for i in after.installments if i.left][-1] == 6
    else:  # shortened: 04/01 is still due, and the plan now ends 07/01, not 08/01
        assert (nxt.number, nxt.due_date, nxt.left) == (2, date(2026, 4, 1), D("100.00"))
        last = [i for i in after.installments if i.left][-1]
        assert (last.number, last.due_date, last.left) == (5, date(2026, 7, 1), D("50.00"))


def test_a_payment_in_arrears_pays_the_missed_installments_and_the_current_one_first(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, plan = six_hundred(admin, c, plans)
    pp = desk(admin, pid, "320.00")
    # on 04/15, 03/01 and 04/01 are unpaid; 05/01 is the current installment
    r = plans.apply_payment(plan.id, D("320.00"), "shorten", pp, as_of=date(2026, 4, 15))
    assert r.applied == ((1, D("100.00")), (2, D("100.00")), (3, D("100.00")),
                         (6, D("20.00")))


def test_the_last_payment_pays_the_plan_off_and_the_rest_is_not_applied(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, plan = six_hundred(admin, c, plans)
    pp = desk(admin, pid, "650.00")
    r = plans.apply_payment(plan.id, D("650.00"), patient_payment_id=pp,
                            as_of=date(2026, 3, 1))
    assert (r.balance, r.unapplied, r.status) == (D("0.00"), D("50.00"), "paid_off")
    done = plans.plan(plan.id, as_of=date(2026, 9, 1))
    assert (done.status_word, done.closed_on) == ("paid off", date(2026, 3, 1))
    assert all(i.paid_on == date(2026, 3, 1) for i in done.installments)
    with pytest.raises(UserError, match="is paid off; only an active or paused plan"):
        plans.apply_payment(plan.id, D("10.00"), patient_payment_id=pp, as_of=FIRST)


def test_interest_is_paid_first_and_posted_as_a_finance_charge(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, lines = owing(admin, c, 1, "400.00", "600.00")
    plan = plans.create(pid, terms("1000.00", 12, apr="12"), lines, today=TODAY)
    pp = desk(admin, pid, "88.85")
    r = plans.apply_payment(plan.id, D("88.85"), patient_payment_id=pp, as_of=FIRST)
    assert (r.applied, r.interest) == (((1, D("88.85")),), D("10.00"))
    with admin.db.session() as s:
        (charge,) = s.scalars(select(LedgerEntry).where(LedgerEntry.patient_id == pid,
                                                        LedgerEntry.kind == "charge",
                                                        LedgerEntry.charge_line_id.is_(None)))
        assert (charge.amount, charge.memo) == (
            D("10.00"), "Finance charge: plan PP000001, interest of installment 1")
    after = plans.plan(plan.id, as_of=FIRST)
    # the ledger falls by the principal paid: what the patient owes is what the plan has left
    assert after.principal_left == owed(admin, pid) == D("921.15")
    assert after.payments[0].interest == D("10.00")
    # a partial payment pays interest before principal: 9.21 is the second month's interest
    plans.apply_payment(plan.id, D("5.00"), patient_payment_id=desk(admin, pid, "5.00"),
                        as_of=date(2026, 4, 1))
    assert plans.plan(plan.id, as_of=FIRST).principal_left == D("921.15")
    assert owed(admin, pid) == D("921.15")


def test_a_voided_payment_is_taken_back_off_the_plan_interest_and_all(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, lines = owing(admin, c, 1, "400.00", "600.00")
    plan = plans.create(pid, terms("1000.00", 12, apr="12"), lines, today=TODAY)
    kept = desk(admin, pid, "50.00")
    plans.apply_payment(plan.id, D("50.00"), patient_payment_id=kept, as_of=FIRST)
    bounced = desk(admin, pid, "100.00")  # the rest of installment 1 and 2 in part
    r = plans.apply_payment(plan.id, D("100.00"), patient_payment_id=bounced, as_of=FIRST)
    assert r.applied == ((1, D("38.85")), (2, D("61.15"))) and r.interest == D("9.21")
    before = plans.plan(plan.id, as_of=FIRST)
    assert [i.paid for i in before.installments[:2]] == [D("88.85"), D("61.15")]
    assert admin.payments.void_payment(bounced, "Check bounced") == D("100.00")
    after = plans.plan(plan.id, as_of=FIRST)
    assert paid(after)[:3] == [D("50.00"), D("0.00"), D("0.00")]
    assert after.installments[0].paid_on is None and after.status == "active"
    # what the patient owes is again what the plan has left, the finance charges included:
    # the 10.00 of installment 1 stays paid by the kept 50.00, the second month's 9.21 is off
    assert after.principal_left == owed(admin, pid) == D("960.00")
    assert [(a.installment, a.amount, a.interest, a.how) for a in after.payments] == [
        (1, D("50.00"), D("10.00"), "due"), (1, D("38.85"), D("0.00"), "due"),
        (2, D("61.15"), D("9.21"), "due"), (1, D("-38.85"), D("0.00"), "undone"),
        (2, D("-61.15"), D("-9.21"), "undone")]
    with pytest.raises(UserError, match="undone"):
        plans.apply_desk_payment(bounced, as_of=FIRST)
    # a plan paid off by a payment that bounces is open again
    other, other_lines = owing(admin, c, 2, "90.00")
    small = plans.create(other, terms("90.00", 1), other_lines, today=TODAY)
    pp = desk(admin, other, "90.00")
    assert plans.apply_payment(small.id, D("90.00"), patient_payment_id=pp,
                               as_of=FIRST).status == "paid_off"
    admin.payments.void_payment(pp, "Keyed twice")
    reopened = plans.plan(small.id, as_of=FIRST)
    assert (reopened.status, reopened.balance) == ("active", D("90.00"))
    assert plans.plans(patient_id=other)[0].last_payment is None


# --- missed installments -------------------------------------------------------------------------
def test_an_installment_is_missed_the_day_after_the_grace_days(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    """Due 03/01 with the default 10 grace days: in grace up to 03/11, missed on 03/12."""
    pid, plan = six_hundred(admin, c, plans)
    assert read_billing_grace(admin) == 10
    assert plans.late_installments(date(2026, 3, 11)) == []
    assert plans.plans(as_of=date(2026, 3, 11))[0].status_word == "current"
    (late,) = plans.late_installments(date(2026, 3, 12))
    assert (late.number, late.installment, late.due_date, late.left, late.days_late) == (
        "PP000001", 1, FIRST, D("100.00"), 1)
    row = plans.plans(as_of=date(2026, 3, 12))[0]
    assert (row.status_word, row.late) == ("late", True)
    assert plans.plan(plan.id, as_of=date(2026, 3, 12)).late
    assert plans.in_good_standing([pid], date(2026, 3, 11)) == {pid}
    assert plans.in_good_standing([pid], date(2026, 3, 12)) == set()
    # 99.99 is not the installment: still missed; the last cent paid on 03/20 catches up,
    # and looking back, the plan was late on 03/19
    plans.apply_payment(plan.id, D("99.99"), patient_payment_id=desk(admin, pid, "99.99"),
                        as_of=date(2026, 3, 15))
    assert len(plans.late_installments(date(2026, 3, 15))) == 1
    plans.apply_payment(plan.id, D("0.01"), patient_payment_id=desk(admin, pid, "0.01"),
                        as_of=date(2026, 3, 20))
    assert plans.late_installments(date(2026, 3, 20)) == []
    assert len(plans.late_installments(date(2026, 3, 19))) == 1
    # the grace days are a setting: with none, 04/01's installment is missed on 04/02
    save_billing(admin.db, admin.ctx, BillingSettings(plan_grace_days=0))
    assert plans.late_installments(date(2026, 4, 1)) == []
    assert [x.installment for x in plans.late_installments(date(2026, 4, 2))] == [2]


def test_what_a_plan_asks_for_on_a_statement_date(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, plan = six_hundred(admin, c, plans)
    nobody, _lines = owing(admin, c, 2, "100.00")
    (due,) = plans.dues([pid, nobody], date(2026, 2, 20)).values()
    assert (due.patient_id, due.number, due.in_good_standing) == (pid, "PP000001", True)
    assert (due.amount_due, due.due_date, due.plan_balance) == (D("100.00"), FIRST,
                                                                D("600.00"))
    plans.apply_payment(plan.id, D("30.00"), patient_payment_id=desk(admin, pid, "30.00"),
                        as_of=FIRST)
    late = plans.dues([pid], date(2026, 4, 15))[pid]  # 03/01 missed (70.00 left) and 04/01
    assert (late.in_good_standing, late.amount_due, late.due_date, late.plan_balance) == (
        False, D("170.00"), FIRST, D("570.00"))
    plans.pause(plan.id, "Hardship", today=FIRST)
    assert not plans.dues([pid], date(2026, 2, 20))[pid].in_good_standing


def read_billing_grace(sv: Services) -> int:
    with sv.db.session() as s:
        return read_billing(s).plan_grace_days


def test_the_grace_days_setting_is_checked(admin: Services) -> None:
    for bad in (-1, 61):
        with pytest.raises(ValidationError, match="0 to 60 days"):
            save_billing(admin.db, admin.ctx, BillingSettings(plan_grace_days=bad))
    save_billing(admin.db, admin.ctx, BillingSettings(plan_grace_days=15))
    assert admin.settings.billing().plan_grace_days == 15


def test_a_late_plan_raises_one_work_item_closed_when_it_catches_up(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, plan = six_hundred(admin, c, plans)
    wq = WorkQueueService(admin.db, admin.ctx)
    assert wq.refresh(date(2026, 3, 11))["plans_late"] == 0
    assert wq.refresh(date(2026, 3, 12))["plans_late"] == 1
    assert wq.refresh(date(2026, 3, 13))["plans_late"] == 0  # no duplicate
    (row,) = wq.items("plans_late", today=date(2026, 3, 13))
    assert row.detail == ("Plan PP000001: installment 1 of $100.00 was due 03/01/2026; "
                          "$100.00 of it is unpaid after the 10-day grace period.")
    assert (row.patient_id, row.claim_id, row.reason) == (pid, None, "plan_late")
    assert "PlanA" not in row.detail  # the queue shows the name; the detail does not
    assert wq.counts()["plans_late"] == 1
    plans.apply_payment(plan.id, D("100.00"), patient_payment_id=desk(admin, pid, "100.00"),
                        as_of=date(2026, 3, 14))
    assert wq.refresh(date(2026, 3, 14)) == {"unpaid": 0, "timely_filing": 0, "promises": 0,
                                             "plans_late": 0, "closed": 1}
    with admin.db.session() as s:
        (item,) = s.scalars(select(WorkItem).where(WorkItem.reason == "plan_late"))
        assert (item.state, item.closed_by) == ("done", "system")
        assert "the installment was paid" in item.note
    # two months later two installments are missed: one item, for the earliest, says both
    assert wq.refresh(date(2026, 5, 12))["plans_late"] == 1
    (again,) = wq.items("plans_late", today=date(2026, 5, 12))
    assert again.detail.startswith("Plan PP000001: installment 2 of $100.00 was due 04/01")
    assert again.detail.endswith("2 installments are missed, $200.00 in all.")
    # a paused plan is not late: its item closes
    plans.pause(plan.id, "Lost job; call back in May", today=date(2026, 5, 12))
    assert wq.refresh(date(2026, 5, 13))["closed"] == 1 and wq.counts()["plans_late"] == 0


# --- renegotiating, pausing, cancelling ---------------------------------------------------------
def test_renegotiation_keeps_the_old_plan_with_its_payments(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, old = six_hundred(admin, c, plans)
    plans.apply_payment(old.id, D("150.00"), patient_payment_id=desk(admin, pid, "150.00"),
                        as_of=FIRST)
    with pytest.raises(UserError, match=r"more than what is left of plan PP000001 \(\$450.00\)"):
        plans.preview_renegotiation(old.id, terms("500.00", 3, first=date(2026, 4, 15)),
                                    today=date(2026, 3, 20))
    new = plans.renegotiate(old.id, terms("450.00", 3, first=date(2026, 4, 15)),
                            note="Lower installments", today=date(2026, 3, 20))
    assert (new.number, new.replaces_id, new.status_word) == ("PP000002", old.id, "current")
    assert [(i.due_date, i.amount) for i in new.installments] == [
        (date(2026, 4, 15), D("150.00")), (date(2026, 5, 15), D("150.00")),
        (date(2026, 6, 15), D("150.00"))]
    assert new.charge_line_ids == old.charge_line_ids and new.created_on == date(2026, 3, 20)
    was = plans.plan(old.id, as_of=date(2026, 3, 20))
    assert (was.status, was.status_word, was.replaced_by_id) == ("replaced", "replaced", new.id)
    assert was.closed_on == date(2026, 3, 20) and "replaced by plan PP000002" in was.note
    assert paid(was) == [D(100), D(50), D(0), D(0), D(0), D(0)]
    assert [(a.installment, a.amount) for a in was.payments] == [(1, D("100.00")),
                                                                (2, D("50.00"))]
    assert [r.number for r in plans.plans(patient_id=pid, sort="number")] == [
        "PP000001", "PP000002"]
    with pytest.raises(UserError, match="is replaced; only an active or paused plan"):
        plans.apply_payment(old.id, D("10.00"), as_of=date(2026, 4, 15))
    r = plans.apply_payment(new.id, D("150.00"), patient_payment_id=desk(admin, pid, "150.00"),
                            as_of=date(2026, 4, 15))
    assert r.applied == ((1, D("150.00")),)
    assert plans.late_installments(date(2026, 4, 1)) == []  # the old plan's dates are gone


def test_pause_resume_and_cancel(admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, plan = six_hundred(admin, c, plans)
    with pytest.raises(UserError, match="Say why the plan is paused"):
        plans.pause(plan.id, "  ", today=FIRST)
    paused = plans.pause(plan.id, "In hospital", today=FIRST)
    assert (paused.status, paused.status_word) == ("paused", "paused")
    assert "Paused: In hospital" in paused.note
    assert plans.late_installments(date(2026, 4, 1)) == []
    assert plans.in_good_standing([pid], date(2026, 4, 1)) == set()
    with pytest.raises(UserError, match="only an active plan can be paused"):
        plans.pause(plan.id, "again", today=FIRST)
    resumed = plans.resume(plan.id, today=date(2026, 3, 5))
    assert resumed.status_word == "current" and "Resumed." in resumed.note
    assert plans.plan(plan.id, as_of=date(2026, 4, 1)).status_word == "late"  # schedule kept
    cancelled = plans.cancel(plan.id, "Moved away", today=date(2026, 4, 2))
    assert (cancelled.status_word, cancelled.closed_on) == ("cancelled", date(2026, 4, 2))
    assert plans.late_installments(date(2026, 5, 1)) == []
    for call in (lambda: plans.cancel(plan.id, "again", today=FIRST),
                 lambda: plans.resume(plan.id, today=FIRST)):
        with pytest.raises(UserError, match="is cancelled"):
            call()
    assert owed(admin, pid) == D("600.00")  # what is left is still owed, as the ledger says
    (row,) = plans.plans(patient_id=pid)  # a closed plan has nothing due
    assert (row.status, row.next_due, row.next_amount, row.balance) == (
        "cancelled", None, D("0.00"), D("600.00"))


def test_two_records_each_with_an_open_plan_are_not_merged(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    one, plan = six_hundred(admin, c, plans, 1)
    two, _other = six_hundred(admin, c, plans, 2)
    three, _lines = owing(admin, c, 3, "80.00")  # no plan
    with pytest.raises(UserError, match="Both records have an open payment plan"):
        admin.patients.merge(one, two)
    assert plans.plans(patient_id=one)[0].patient_id == one  # nothing moved
    admin.patients.merge(one, three)  # one plan between them: merged
    plans.cancel(plan.id, "Merged with a duplicate record", today=FIRST)
    result = admin.patients.merge(two, one)  # a cancelled plan is no open plan
    assert {r.status for r in plans.plans(patient_id=two)} == {"active", "cancelled"}
    assert result.kept_id == two


# --- the Plans tab -------------------------------------------------------------------------------
def test_the_plans_list_filters_and_sorts_in_every_status(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    day = date(2026, 3, 20)
    current_pid, current = six_hundred(admin, c, plans, 1)
    plans.apply_payment(current.id, D("100.00"),
                        patient_payment_id=desk(admin, current_pid, "100.00"), as_of=FIRST)
    _late_pid, late = six_hundred(admin, c, plans, 2)
    _p3, paused = six_hundred(admin, c, plans, 3)
    plans.pause(paused.id, "Hardship", today=FIRST)
    _p4, cancelled = six_hundred(admin, c, plans, 4)
    plans.cancel(cancelled.id, "Disputed", today=FIRST)
    p5, paid_off = six_hundred(admin, c, plans, 5)
    plans.apply_payment(paid_off.id, D("600.00"), patient_payment_id=desk(admin, p5, "600.00"),
                        as_of=date(2026, 3, 10))
    _p6, replaced = six_hundred(admin, c, plans, 6)
    renegotiated = plans.renegotiate(replaced.id, terms("600.00", 12), today=TODAY)

    rows = {r.number: r for r in plans.plans(as_of=day, sort="number")}
    assert {n: r.status_word for n, r in rows.items()} == {
        current.number: "current", late.number: "late", paused.number: "paused",
        cancelled.number: "cancelled", paid_off.number: "paid off",
        replaced.number: "replaced", renegotiated.number: "late"}
    cur = rows[current.number]
    assert (cur.patient_name, cur.mrn) == ("PlanA, Jane", "M0000001")
    assert (cur.next_due, cur.next_amount, cur.balance, cur.last_payment) == (
        date(2026, 4, 1), D("100.00"), D("500.00"), FIRST)
    done = rows[paid_off.number]
    assert (done.next_due, done.next_amount, done.balance) == (None, D("0.00"), D("0.00"))
    for status, numbers in (("late", {late.number, renegotiated.number}),
                            ("current", {current.number}), ("paid_off", {paid_off.number}),
                            ("replaced", {replaced.number})):
        assert {r.number for r in plans.plans(status, as_of=day)} == numbers
    by_balance = [r.balance for r in plans.plans(sort="balance", descending=True, as_of=day)]
    assert by_balance == sorted(by_balance, reverse=True)
    due = [r.next_due for r in plans.plans(sort="next_due", as_of=day)]
    # the open plans by their next installment; closed ones (nothing due) last
    assert due[:3] == [FIRST, FIRST, FIRST] and due[3] > FIRST and due[-2:] == [None, None]
    assert len(plans.plans(sort="number", limit=2, offset=1, as_of=day)) == 2
    with pytest.raises(UserError, match="Choose a plan status"):
        plans.plans("overdue")
    assert actions(admin).count("plan.list") >= 1


# --- the agreement -------------------------------------------------------------------------------
def test_the_agreement_prints_the_plan_and_the_signed_date_is_recorded(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, lines = owing(admin, c, 1, "400.00", "600.00")
    with admin.db.session() as s:
        p = s.get(Patient, pid)
        assert p is not None
        p.guarantor_relationship, p.guarantor_first_name, p.guarantor_last_name = (
            "parent", "Mary", "PlanA")
    plan = plans.create(pid, terms("1000.00", 12, apr="12", down="100.00"), lines,
                        today=TODAY)
    assert plan.guarantor_name == "Mary PlanA"
    text = "\n".join(page.extract_text() or ""
                     for page in PdfReader(io.BytesIO(plans.agreement_pdf(plan.id))).pages)
    for expected in ("Payment Plan Agreement", "PP000001", "Maple Family Practice",
                     "M0000001", "Mary PlanA", "$1,000.00", "$100.00", "$900.00"):
        assert expected in text
    for bad in (date(2026, 1, 31), date(2026, 2, 10)):
        with pytest.raises(UserError, match="Enter a signed date from 02/01/2026"):
            plans.record_signed(plan.id, bad, today=date(2026, 2, 5))
    signed = plans.record_signed(plan.id, date(2026, 2, 3), today=date(2026, 2, 5))
    assert signed.signed_on == date(2026, 2, 3)
    assert {"plan.agreement", "plan.signed"} <= set(actions(admin))


# --- the same payment once, permissions, audit ---------------------------------------------------
def test_a_desk_payment_counts_toward_the_plan_once(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, lines = owing(admin, c, 1, "250.00", "350.00")
    before = desk(admin, pid, "10.00")  # taken before the plan: already lowered its total
    plan = plans.create(pid, terms("590.00", 5, installment=None), lines, today=TODAY)
    with pytest.raises(UserError, match="before plan PP000001 was set up"):
        plans.apply_payment(plan.id, D("10.00"), patient_payment_id=before, as_of=FIRST)
    with pytest.raises(UserError, match=r"Only \$0.00 .* take the payment at the desk first"):
        plans.apply_payment(plan.id, D("50.00"), as_of=FIRST)
    pp = desk(admin, pid, "130.00")
    r = plans.apply_desk_payment(pp, as_of=FIRST)
    assert r is not None and r.applied == ((1, D("118.00")), (2, D("12.00")))
    with pytest.raises(UserError, match="already applied to a payment plan; it is not "
                                        "applied twice"):
        plans.apply_desk_payment(pp, as_of=FIRST)
    with pytest.raises(UserError, match=r"Only \$0.00 of that payment"):
        plans.apply_payment(plan.id, D("1.00"), patient_payment_id=pp, as_of=FIRST)
    # without a payment named, the payments not yet applied pay, oldest first
    one, two = desk(admin, pid, "20.00"), desk(admin, pid, "30.00")
    r = plans.apply_payment(plan.id, D("45.00"), as_of=FIRST)
    assert r.applied == ((2, D("45.00")),)
    with admin.db.session() as s:
        used = dict(s.execute(select(PlanPayment.patient_payment_id,
                                     func.sum(PlanPayment.amount))
                              .group_by(PlanPayment.patient_payment_id)).all())
    assert used == {pp: D("130.00"), one: D("20.00"), two: D("25.00")}
    # an undone payment pays nothing
    three = desk(admin, pid, "40.00")
    admin.payments.void_payment(three, "Bounced")
    with pytest.raises(UserError, match="was undone"):
        plans.apply_desk_payment(three, as_of=FIRST)
    # a patient with no plan: nothing to do
    other, _lines = owing(admin, c, 2, "100.00")
    assert plans.apply_desk_payment(desk(admin, other, "5.00")) is None
    # the applications are append-only
    with pytest.raises(DatabaseError, match="append-only"), admin.db.session() as s:
        s.execute(update(PlanPayment).values(amount=D("1.00")))


def test_a_payment_taken_for_the_plan_pays_its_lines_and_installments_in_one_go(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    older, _l = owing(admin, c, 3, "40.00")  # another patient: nothing of theirs moves
    pid, lines = owing(admin, c, 1, "70.00", "250.00", "350.00")
    plan = plans.create(pid, terms("600.00", 6), lines[1:], today=TODAY)  # not the oldest
    before = count(admin, PatientPayment)
    paid_by, r = plans.take_and_apply(plan.id, D("150.00"), "check", "1042", as_of=FIRST)
    assert r.applied == ((1, D("100.00")), (2, D("50.00"))) and r.balance == D("450.00")
    assert paid_by.amount == D("150.00") and count(admin, PatientPayment) == before + 1
    with admin.db.session() as s:
        by_line = dict(s.execute(select(LedgerEntry.charge_line_id, LedgerEntry.amount)
                                 .where(LedgerEntry.patient_payment_id == paid_by.payment_id))
                       .all())
    # the plan's oldest line first, not the patient's oldest visit (left out of the plan)
    assert by_line == {lines[1]: D("-150.00")}
    assert owed(admin, pid) == D("520.00") and owed(admin, older) == D("40.00")
    # a refusal saves neither the payment nor the application
    with pytest.raises(ValidationError):
        plans.take_and_apply(plan.id, D("10.00"), "card", "12", as_of=FIRST)
    plans.cancel(plan.id, "Moved away", today=FIRST)
    with pytest.raises(UserError):
        plans.take_and_apply(plan.id, D("10.00"), "cash", as_of=FIRST)
    assert count(admin, PatientPayment) == before + 1
    assert actions(admin).count("payment.take") == 1
    sign_in_as(admin, "coder")
    with pytest.raises(PermissionDenied):
        plans.take_and_apply(plan.id, D("10.00"), "cash")


def test_a_coder_may_not_touch_plans_the_front_desk_may(
        admin: Services, c: Clinic, plans: PlanService) -> None:
    pid, plan = six_hundred(admin, c, plans)
    sign_in_as(admin, "coder")
    for call in (lambda: plans.preview(pid, terms("100.00", 1), [], today=TODAY),
                 lambda: plans.plans(), lambda: plans.plan(plan.id),
                 lambda: plans.apply_payment(plan.id, D("1.00")),
                 lambda: plans.pause(plan.id, "x"), lambda: plans.cancel(plan.id, "x"),
                 lambda: plans.agreement_pdf(plan.id), lambda: plans.in_good_standing([pid]),
                 lambda: plans.late_installments()):
        with pytest.raises(PermissionDenied):
            call()
    sign_in_as(admin, "front_desk")
    pp = admin.payments.take_payment(pid, D("100.00"), "cash").payment_id
    assert plans.apply_desk_payment(pp, as_of=FIRST) is not None
    assert plans.pause(plan.id, "Asked at the desk", today=FIRST).status == "paused"


def test_changes_are_audited_without_names(admin: Services, c: Clinic,
                                           plans: PlanService) -> None:
    pid, plan = six_hundred(admin, c, plans)
    plans.apply_payment(plan.id, D("100.00"), patient_payment_id=desk(admin, pid, "100.00"),
                        as_of=FIRST)
    plans.pause(plan.id, "Asked for time", today=FIRST)
    plans.resume(plan.id, today=FIRST)
    plans.renegotiate(plan.id, terms("500.00", 5), today=TODAY)
    with admin.db.session() as s:
        events = {e.action: e for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action.like("plan.%")))}
    assert {"plan.create", "plan.apply_payment", "plan.pause", "plan.resume",
            "plan.renegotiate"} <= set(events)
    create = events["plan.create"]
    assert (create.patient_id, create.entity, create.entity_id) == (pid, "payment_plan",
                                                                   str(plan.id))
    assert '"total": "600.00"' in create.details and '"count": 6' in create.details
    assert '"installments": [1]' in events["plan.apply_payment"].details
    assert '"replaces": "PP000001"' in events["plan.renegotiate"].details
    assert all("PlanA" not in e.details and "Asked" not in e.details for e in events.values())
    with admin.db.session() as s:
        n = s.scalar(select(func.count()).select_from(PlanInstallment)
                     .where(PlanInstallment.plan_id == plan.id))
    assert n == 6
