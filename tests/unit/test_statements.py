"""Patient statements and the collections hand-off (app.services.statements): worked examples
built through the real services whose figures agree with the ledger (self-pay, insured with
patient responsibility moved by an 835, desk payments, write-offs, credit moved between
visits, a voided payment), the next statement's previous balance, dunning escalation and its
reset, the minimum balance, holds and collections left out, remainder statements, re-prints,
the collections CSV and hand-off, payment plans (through a stand-in lookup), permissions,
audit, and the schema. All names and numbers are made up."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import PermissionDenied, UserError, ValidationError
from app.models import AuditEvent, ChargeLine, Encounter, LedgerEntry, Patient
from app.models.statements import IN_COLLECTIONS, AccountStatus, Statement, StatementRun
from app.services import Services
from app.services.claims import ClaimView
from app.services.coding import LineDraft
from app.services.payments import PaymentService
from app.services.statement_figures import Entry, account_figures
from app.services.statements import (
    SKIP_COLLECTIONS,
    SKIP_CREDIT,
    SKIP_HOLD,
    SKIP_LEFT_OUT,
    SKIP_MINIMUM,
    SKIP_NO_ADDRESS,
    SKIP_NOTHING_FINISHED,
    SKIP_RECENT,
    DunningLevelData,
    PlanDue,
    StatementRunResult,
    StatementService,
    StatementSettingsData,
)
from tests.unit._support import schema_drift
from tests.unit.claim_fixtures import Clinic, clinic, coded_visit, cover, patient
from tests.unit.test_coding import sign_in_as
from tests.unit.test_remittances import clp, era, svc

D = Decimal
TODAY = date.today()


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def st(admin: Services, c: Clinic) -> StatementService:
    service = StatementService(admin.db, admin.ctx)
    # every run of a test is a new statement: no waiting between statements
    service.save_settings(StatementSettingsData(days_between=0))
    return service


@pytest.fixture
def pay(admin: Services) -> PaymentService:
    return PaymentService(admin.db, admin.ctx)


def self_pay(sv: Services, c: Clinic, n: int, *codes: str, days_ago: int = 40) -> int:
    """A patient with no coverage and one visit (99213 $100, 36415 $12 by default)."""
    pid = patient(sv, n, last=f"Selfpay{n}")
    coded_visit(sv, pid, c, *(LineDraft(code, pointers="A") for code in codes or
                              ("99213", "36415")), on=TODAY - timedelta(days=days_ago))
    return pid


def billed(sv: Services, c: Clinic, pid: int, tmp: Path, *days_ago: int) -> list[ClaimView]:
    """A visit per `days_ago` (99213 and 36415), each on a claim to Acme sent in one batch."""
    claims = []
    for days in days_ago:
        enc = coded_visit(sv, pid, c, LineDraft("99213", pointers="A"),
                          LineDraft("36415", pointers="A"), on=TODAY - timedelta(days=days))
        v = sv.claims.create_primary(enc)
        claims.append(sv.claims.mark_ready(v.id, v.version))
    sv.submissions.export_837(tmp / f"batch{pid}.837", [v.id for v in claims])
    return [sv.claims.get(v.id) for v in claims]


def paid_835(sv: Services, v: ClaimView, trace: str) -> None:
    """99213 paid 60 (CO-45 20, PR-2 coinsurance 20); 36415 paid 0 (CO-45 2, PR-1 10): $30
    moves to the patient and insurance is done with the visit."""
    office, lab = v.lines
    sv.remittances.import_835(era(clp(v, "1", "60.00",
                                      svc(office, "60.00", ("CO", "45", "20.00"),
                                          ("PR", "2", "20.00"), allowed="80.00"),
                                      svc(lab, "0.00", ("CO", "45", "2.00"),
                                          ("PR", "1", "10.00"), allowed="10.00")),
                                  trace=trace), f"{trace}.835")


def denied_835(sv: Services, v: ClaimView, trace: str) -> None:
    """The claim denied (CLP02 4): the deductible part of 99213 ($20) moves to the patient,
    the rest ($80 and the $12 lab) stays with Acme while the denial is worked."""
    office, lab = v.lines
    sv.remittances.import_835(era(clp(v, "4", "0.00",
                                      svc(office, "0.00", ("CO", "50", "80.00"),
                                          ("PR", "1", "20.00")),
                                      svc(lab, "0.00", ("CO", "50", "12.00"))),
                                  trace=trace), f"{trace}.835")


def statement(result: StatementRunResult, pid: int) -> object:
    (found,) = [x for x in result.statements if x.patient_id == pid]
    return found


def summary(x: object) -> tuple[Decimal, ...]:
    return (x.previous_balance, x.charges, x.insurance_payments,  # type: ignore[attr-defined]
            x.adjustments, x.patient_payments, x.balance_due)  # type: ignore[attr-defined]


def patient_part(sv: Services, pid: int) -> Decimal:
    return PaymentService(sv.db, sv.ctx).patient_balance(pid).patient


def assert_agrees(sv: Services, result: StatementRunResult) -> None:
    """Every statement adds up and its balance due is the patient's balance in the ledger."""
    for x in result.statements:
        prev, charges, ins, adj, paid, due = summary(x)
        assert prev + charges - ins - adj - paid == due
        assert due == patient_part(sv, x.patient_id)


def pdf_pages(data: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]


def actions(sv: Services) -> list[tuple[str, str, int | None]]:
    with sv.db.session() as s:
        return [(a, d, p) for a, d, p in s.execute(
            select(AuditEvent.action, AuditEvent.details, AuditEvent.patient_id)
            .order_by(AuditEvent.seq))]


# --- figures agree with the ledger: worked examples ----------------------------------------------
def test_self_pay_visit_then_a_desk_payment_and_a_write_off(
        admin: Services, c: Clinic, st: StatementService, pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1)
    first = st.run(TODAY)
    x = statement(first, pid)
    # all of history on a first statement: the two charges, nothing paid
    assert summary(x) == (D("0.00"), D("112.00"), D("0.00"), D("0.00"), D("0.00"), D("112.00"))
    assert x.amount_due == D("112.00") and x.sequence == 1
    assert_agrees(admin, first)
    office, lab = [ln.charge_line_id for ln in pay.patient_balance(pid).lines]
    pay.take_payment(pid, D("50.00"), "cash")  # oldest first: onto the office visit
    pay.write_off(lab, D("12.00"), "patient", "Courtesy: lab redrawn")
    second = st.run(TODAY)
    y = statement(second, pid)
    assert summary(y) == (D("112.00"), D("0.00"), D("0.00"), D("12.00"), D("50.00"),
                          D("50.00"))
    assert y.previous_balance == x.balance_due
    assert_agrees(admin, second)
    assert office


def test_insured_visit_bills_only_what_the_835_moved_to_the_patient(
        admin: Services, c: Clinic, st: StatementService, pay: PaymentService,
        tmp_path: Path) -> None:
    pid = patient(admin, 2, last="Insured")
    cover(admin, pid, c.payer_id)
    (v,) = billed(admin, c, pid, tmp_path, 20)
    # with the claim at Acme the patient owes nothing: no statement, not even a skip
    preview = st.preview(TODAY)
    assert pid not in {a.patient_id for a in preview.accounts} | {
        x.patient_id for x in preview.skipped}
    paid_835(admin, v, "CHK201")
    first = st.run(TODAY)
    x = statement(first, pid)
    # insurance is done with the visit: the whole visit is shown and adds up to the $30
    assert summary(x) == (D("0.00"), D("112.00"), D("60.00"), D("22.00"), D("0.00"),
                          D("30.00"))
    assert_agrees(admin, first)
    pay.take_payment(pid, D("10.00"), "card", "4242")
    second = st.run(TODAY)
    y = statement(second, pid)
    assert summary(y) == (D("30.00"), D("0.00"), D("0.00"), D("0.00"), D("10.00"), D("20.00"))
    assert_agrees(admin, second)


def test_a_visit_still_at_the_payer_shows_only_the_patients_part(
        admin: Services, c: Clinic, st: StatementService, tmp_path: Path) -> None:
    pid = patient(admin, 3, last="Partway")
    cover(admin, pid, c.payer_id)
    done, waiting = billed(admin, c, pid, tmp_path, 15, 45)
    paid_835(admin, done, "CHK301")
    denied_835(admin, waiting, "CHK302")
    result = st.run(TODAY)
    x = statement(result, pid)
    # finished visit in full (112 - 60 - 22 = 30) + the deductible moved to the patient (20);
    # the $92 Acme still holds is in no figure
    assert summary(x) == (D("0.00"), D("132.00"), D("60.00"), D("22.00"), D("0.00"),
                          D("50.00"))
    assert_agrees(admin, result)
    page = " ".join(" ".join(pdf_pages(st.statement_pdf_for(result.run_id, pid))).split())
    assert "99213 Procedure 99213 (still with your insurance: Acme Health $80.00)" in page


def test_remainder_statement_leaves_out_the_visit_still_at_the_payer(
        admin: Services, c: Clinic, st: StatementService, tmp_path: Path) -> None:
    pid = patient(admin, 4, last="Remainder")
    cover(admin, pid, c.payer_id)
    done, waiting = billed(admin, c, pid, tmp_path, 15, 45)
    paid_835(admin, done, "CHK401")
    denied_835(admin, waiting, "CHK402")
    only_waiting = patient(admin, 5, last="Waiting")
    cover(admin, only_waiting, c.payer_id)
    (w,) = billed(admin, c, only_waiting, tmp_path, 30)
    denied_835(admin, w, "CHK403")
    preview = st.preview(TODAY, "remainder")
    assert [(s.patient_id, s.reason) for s in preview.skipped] == [
        (only_waiting, SKIP_NOTHING_FINISHED)]
    result = st.run(TODAY, "remainder")
    x = statement(result, pid)
    assert summary(x) == (D("0.00"), D("112.00"), D("60.00"), D("22.00"), D("0.00"),
                          D("30.00"))
    text = "\n".join(pdf_pages(st.run_pdf(result.run_id)))
    assert "Your insurance has processed these visits" in text
    assert "still with your insurance" not in text
    with admin.db.session() as s:
        assert s.scalar(select(StatementRun.kind)) == "remainder"


def test_credit_moved_onto_a_new_visit_and_a_voided_payment_still_agree(
        admin: Services, c: Clinic, st: StatementService, pay: PaymentService) -> None:
    pid = self_pay(admin, c, 6, "36415", days_ago=70)
    st.run(TODAY)
    paid = pay.take_payment(pid, D("40.00"), "check", "1001")  # $28 more than owed: credit
    bounced = pay.take_payment(pid, D("5.00"), "check", "1002")
    coded_visit(admin, pid, c, LineDraft("99213", pointers="A"), on=TODAY - timedelta(days=5))
    new_line = [ln for ln in pay.patient_balance(pid).lines if ln.code == "99213"][0]
    pay.transfer_credit(None, new_line.charge_line_id, D("28.00"), "Apply the credit")
    pay.void_payment(bounced.payment_id, "Check returned")
    second = st.run(TODAY)
    x = statement(second, pid)
    # previous 12; new charge 100; payments 40 (+5 bounced, undone): 12 + 100 - 40 = 72
    assert summary(x) == (D("12.00"), D("100.00"), D("0.00"), D("0.00"), D("40.00"),
                          D("72.00"))
    assert_agrees(admin, second)
    assert paid.credit == D("28.00")


def test_a_first_statement_counts_all_history_but_lists_only_recent_visits(
        admin: Services, c: Clinic, st: StatementService) -> None:
    pid = self_pay(admin, c, 29, "36415", days_ago=20)
    old = TODAY - timedelta(days=400)
    with admin.db.session() as s:  # a visit settled long ago, as an older ledger holds it
        enc = Encounter(patient_id=pid, date=old, provider_id=c.provider_id)
        s.add(enc)
        s.flush()
        line = ChargeLine(encounter_id=enc.id, patient_id=pid, line_no=1, dos=old,
                          system="cpt", code="99213", units=D(1), charge=D("100.00"))
        s.add(line)
        s.flush()
        for kind, amount in (("charge", "100.00"), ("patient_payment", "-100.00")):
            s.add(LedgerEntry(patient_id=pid, kind=kind, amount=D(amount), entry_date=old,
                              encounter_id=enc.id, charge_line_id=line.id, service_date=old))
    result = st.run(TODAY)
    x = statement(result, pid)
    assert summary(x) == (D("0.00"), D("112.00"), D("0.00"), D("0.00"), D("100.00"),
                          D("12.00"))
    text = " ".join(pdf_pages(st.statement_pdf_for(result.run_id, pid)))
    assert "36415" in text and "99213" not in text


def test_figures_of_a_line_taken_back_by_the_payer_still_add_up() -> None:
    """A line insurance had finished (shown whole) that the payer reopened since: the
    statement goes from the whole line back to the patient's part, and still adds up."""
    day = date(2026, 5, 1)

    def e(i: int, kind: str, amount: str, cov: int | None, rev: int | None = None) -> Entry:
        return Entry(i, kind, D(amount), 7, 3, cov, cov, day, day, rev)

    entries = [e(1, "charge", "100.00", 9), e(2, "insurance_payment", "-60.00", 9),
               e(3, "adjustment", "-20.00", 9), e(4, "transfer", "-20.00", 9),
               e(5, "transfer", "20.00", None),
               # the statement was printed after entry 5; then the payer took it all back
               e(6, "reversal", "60.00", 9, 2), e(7, "reversal", "20.00", 9, 3),
               e(8, "reversal", "20.00", 9, 4), e(9, "reversal", "-20.00", None, 5),
               e(10, "patient_payment", "-5.00", None)]
    f = account_figures(entries, since=5, statement_date=date(2026, 6, 1))
    assert f.previous == D("20.00") and f.balance == D("-5.00")
    assert f.previous + f.activity.value == f.balance
    assert not f.lines[0].finished and f.lines[0].pending == {9: D("100.00")}


# --- the next statement, dunning ------------------------------------------------------------------
def test_dunning_escalates_with_each_statement_and_starts_again_when_paid(
        admin: Services, c: Clinic, st: StatementService, pay: PaymentService) -> None:
    pid = self_pay(admin, c, 7)
    seen = []
    for n in range(5):
        x = statement(st.run(TODAY + timedelta(days=n)), pid)
        seen.append((x.sequence, x.dunning_level, x.final_notice, x.message.split(":")[0]))
    assert seen[0] == (1, 0, False, "")
    assert seen[1][:3] == (2, 1, False) and seen[1][3].startswith("Your account is past due")
    assert seen[2][:4] == (3, 2, False, "Second notice")
    assert seen[3][:4] == (4, 3, True, "FINAL NOTICE")
    assert seen[4][:4] == (5, 3, True, "FINAL NOTICE")  # the final notice stays the last level
    pay.take_payment(pid, D("12.00"), "cash")  # part of what was asked for: still escalating
    assert statement(st.run(TODAY + timedelta(days=5)), pid).sequence == 6
    pay.take_payment(pid, D("100.00"), "cash")  # paid up ...
    coded_visit(admin, pid, c, LineDraft("36415", pointers="A"), on=TODAY)  # ... a new visit
    again = statement(st.run(TODAY + timedelta(days=6)), pid)
    assert (again.sequence, again.dunning_level, again.message) == (1, 0, "")


def test_edited_dunning_texts_and_thresholds_are_used(
        admin: Services, c: Clinic, st: StatementService) -> None:
    st.save_settings(StatementSettingsData(days_between=0, dunning=(
        DunningLevelData(2, "Reminder: please pay."), DunningLevelData(4, "LAST CALL."))))
    pid = self_pay(admin, c, 8)
    got = [statement(st.run(TODAY), pid) for _ in range(5)]
    assert [(x.dunning_level, x.message, x.final_notice) for x in got] == [
        (None, "", False), (None, "", False), (2, "Reminder: please pay.", False),
        (2, "Reminder: please pay.", False), (4, "LAST CALL.", True)]
    text = pdf_pages(st.statement_pdf_for(st.runs()[0].id, pid))[0]
    assert "LAST CALL." in text


def test_bad_settings_are_refused_with_what_to_fix(st: StatementService) -> None:
    with pytest.raises(ValidationError) as err:
        st.save_settings(StatementSettingsData(minimum_balance=D("-1.00"), due_days=0,
                                               dunning=(DunningLevelData(0, "x"),
                                                        DunningLevelData(2, ""))))
    assert set(err.value.problems) == {"minimum_balance", "due_days", "dunning"}
    assert st.settings().days_between == 0  # nothing saved


# --- who gets one ---------------------------------------------------------------------------------
def test_minimum_balance_credit_recent_and_no_address_are_left_out(
        admin: Services, c: Clinic, st: StatementService, pay: PaymentService) -> None:
    st.save_settings(StatementSettingsData(minimum_balance=D("20.00"), days_between=28))
    small = self_pay(admin, c, 9, "36415")  # $12
    credit = self_pay(admin, c, 10, "36415")
    pay.take_payment(credit, D("20.00"), "cash")  # $8 credit
    owes = self_pay(admin, c, 11)
    nowhere = self_pay(admin, c, 12)
    with admin.db.session() as s:
        p = s.get(Patient, nowhere)
        assert p is not None
        p.address1 = p.city = p.state = p.zip = ""
    preview = st.preview(TODAY)
    assert [a.patient_id for a in preview.accounts] == [owes]
    assert {(x.patient_id, x.reason) for x in preview.skipped} == {
        (small, SKIP_MINIMUM), (credit, SKIP_CREDIT), (nowhere, SKIP_NO_ADDRESS)}
    assert preview.total == D("112.00")
    result = st.run(TODAY)
    assert [x.patient_id for x in result.statements] == [owes]
    later = st.preview(TODAY + timedelta(days=10))
    assert (owes, SKIP_RECENT, TODAY) in {(x.patient_id, x.reason, x.last_statement)
                                          for x in later.skipped}
    assert owes in {a.patient_id for a in st.preview(TODAY + timedelta(days=28)).accounts}


def test_preview_writes_nothing_but_its_audit_event(
        admin: Services, c: Clinic, st: StatementService) -> None:
    self_pay(admin, c, 13)
    st.preview(TODAY)
    with admin.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StatementRun)) == 0
    assert actions(admin)[-1][0] == "statement.preview"


def test_a_hold_leaves_the_account_out_until_released_or_over(
        admin: Services, c: Clinic, st: StatementService) -> None:
    pid = self_pay(admin, c, 14)
    other = self_pay(admin, c, 15)
    st.hold(pid, "Disputes the lab charge", until=TODAY + timedelta(days=10))
    row = st.account_status(pid)
    assert row is not None and row.status == "hold"
    preview = st.preview(TODAY)
    assert [(x.patient_id, x.reason) for x in preview.skipped] == [(pid, SKIP_HOLD)]
    assert other in {a.patient_id for a in preview.accounts}
    # the hold runs out after its last day
    assert pid in {a.patient_id for a in st.preview(TODAY + timedelta(days=11)).accounts}
    st.release(pid)
    assert st.account_status(pid) is None
    assert pid in {a.patient_id for a in st.preview(TODAY).accounts}
    with pytest.raises(UserError, match="not on hold"):
        st.release(pid)
    with pytest.raises(ValidationError):
        st.hold(pid, "  ")


def test_the_clerk_can_leave_accounts_out_of_a_run(
        admin: Services, c: Clinic, st: StatementService) -> None:
    one, two = self_pay(admin, c, 16), self_pay(admin, c, 17)
    result = st.run(TODAY, exclude=[two])
    assert [x.patient_id for x in result.statements] == [one]
    assert [(x.patient_id, x.reason) for x in result.skipped] == [(two, SKIP_LEFT_OUT)]
    only = st.run(TODAY, patient_ids=[two])
    assert [x.patient_id for x in only.statements] == [two]
    with pytest.raises(UserError, match="No account needs a statement"):
        st.run(TODAY, patient_ids=[12345])


def test_a_run_dated_before_the_last_one_is_refused(
        admin: Services, c: Clinic, st: StatementService) -> None:
    self_pay(admin, c, 18)
    st.run(TODAY)
    with pytest.raises(UserError, match="already run"):
        st.run(TODAY - timedelta(days=1))


# --- the record: re-prints ------------------------------------------------------------------------
def test_a_run_is_recorded_and_reprints_what_was_sent(
        admin: Services, c: Clinic, st: StatementService, pay: PaymentService) -> None:
    one, two = self_pay(admin, c, 19), self_pay(admin, c, 20, "36415")
    result = st.run(TODAY)
    batch = st.run_pdf(result.run_id)
    assert batch.startswith(b"%PDF") and st.run_pdf(result.run_id) == batch == result.pdf
    with admin.db.session() as s:
        run = s.get(StatementRun, result.run_id)
        assert run is not None
        assert (run.accounts, run.total, run.kind, bytes(run.pdf)) == (
            2, D("124.00"), "standard", batch)
        assert json.loads(run.parameters)["minimum_balance"] == "5.00"
    pay.take_payment(one, D("100.00"), "cash")  # later activity changes no re-print
    again = st.statement_pdf_for(result.run_id, one)
    pages = pdf_pages(batch)
    mine = [p for p in pages if "M0000019" in p]
    assert pdf_pages(again) == mine
    assert "$112.00" in mine[0]
    rows = st.run_statements(result.run_id)
    assert [(r.patient_id, r.balance_due, r.number) for r in rows] == [
        (one, D("112.00"), f"{result.run_id}-00001"), (two, D("12.00"), f"{result.run_id}-00002")]
    assert [r.balance_due for r in st.account_statements(one)] == [D("112.00")]
    (listed,) = st.runs()
    assert (listed.id, listed.accounts, listed.total) == (result.run_id, 2, D("124.00"))
    with pytest.raises(UserError, match="no statement in that run"):
        st.statement_pdf_for(result.run_id, 999_999)


# --- plans ----------------------------------------------------------------------------------------
def test_an_account_on_a_plan_in_good_standing_shows_its_installment_and_no_dunning(
        admin: Services, c: Clinic) -> None:
    on_plan, defaulted = self_pay(admin, c, 21), self_pay(admin, c, 22)
    due = TODAY + timedelta(days=14)
    plans = {on_plan: PlanDue(True, D("25.00"), due, D("112.00"), "P-0001"),
             defaulted: PlanDue(False, D("50.00"), due, D("112.00"), "P-0002")}
    asked: list[tuple[list[int], date]] = []

    def lookup(_s: Session, ids: Sequence[int], day: date) -> Mapping[int, PlanDue]:
        asked.append((list(ids), day))
        return {k: v for k, v in plans.items() if k in ids}

    st = StatementService(admin.db, admin.ctx, plans=lookup)
    st.save_settings(StatementSettingsData(days_between=0))
    for n in range(4):
        result = st.run(TODAY + timedelta(days=n))
    x, y = statement(result, on_plan), statement(result, defaulted)
    assert (x.sequence, x.dunning_level, x.message, x.plan_installment, x.amount_due) == (
        0, None, "", D("25.00"), D("25.00"))
    assert (y.final_notice, y.plan_installment, y.amount_due) == (True, None, D("112.00"))
    assert asked[-1] == ([on_plan, defaulted], TODAY + timedelta(days=3))  # as of the run
    text = "\n".join(pdf_pages(st.statement_pdf_for(result.run_id, on_plan)))
    assert "Payment plan P-0001" in text and "Installment due" in text
    found = st.collections_candidates(TODAY + timedelta(days=60))
    assert [r.patient_id for r in found] == [defaulted]  # never the account in good standing


# --- collections ----------------------------------------------------------------------------------
def final_notice(st: StatementService, pid: int) -> date:
    """Four runs, the last a final notice; returns its date."""
    for n in range(4):
        x = statement(st.run(TODAY + timedelta(days=n)), pid)
    assert x.final_notice
    return TODAY + timedelta(days=3)


def test_collections_candidates_export_and_hand_off(
        admin: Services, c: Clinic, st: StatementService, pay: PaymentService) -> None:
    pid = self_pay(admin, c, 23)
    paid_up = self_pay(admin, c, 24)
    noticed = final_notice(st, pid)
    pay.take_payment(paid_up, D("112.00"), "cash")
    pay.take_payment(pid, D("2.00"), "cash")
    assert st.collections_candidates(noticed + timedelta(days=29)) == []
    (cand,) = st.collections_candidates(noticed + timedelta(days=30))
    assert (cand.patient_id, cand.balance, cand.final_notice_on, cand.last_payment_on) == (
        pid, D("110.00"), noticed, TODAY)
    rows = list(csv.DictReader(io.StringIO(st.export_collections([pid]))))
    assert rows == [{
        "account_number": "M0000023", "last_name": "Selfpay23", "first_name": "Jane",
        "responsible_party": "Jane Selfpay23", "address1": "12 Elm St", "address2": "",
        "city": "Springfield", "state": "IL", "zip": "62704", "phone": "2175550199",
        "date_of_birth": "1980-05-17", "balance": "110.00",
        "last_payment_date": TODAY.isoformat(), "last_statement_date": noticed.isoformat()}]
    with pytest.raises(UserError, match="owe nothing"):
        st.send_to_collections([pid, paid_up], "Acme Recovery")
    done = st.send_to_collections([pid], "Acme Recovery")
    assert (done.accounts, done.total) == (1, D("110.00"))
    with admin.db.session() as s:
        row = s.scalars(select(AccountStatus)).one()
        assert (row.status, row.agency, row.amount, row.ended_at) == (
            IN_COLLECTIONS, "Acme Recovery", D("110.00"), None)
    # a status, not a ledger movement: the patient still owes it
    assert patient_part(admin, pid) == D("110.00")
    assert st.collections_candidates(noticed + timedelta(days=30)) == []
    later = noticed + timedelta(days=31)
    assert (pid, SKIP_COLLECTIONS) in {(x.patient_id, x.reason)
                                       for x in st.preview(later).skipped}
    with pytest.raises(UserError, match="already in collections"):
        st.send_to_collections([pid], "Other Agency")
    with pytest.raises(UserError, match="in collections"):
        st.hold(pid, "Call first")
    st.recall_from_collections(pid, "Paid the agency directly")
    assert pid in {a.patient_id for a in st.preview(later).accounts}
    with pytest.raises(UserError, match="not in collections"):
        st.recall_from_collections(pid)


def test_an_account_on_hold_is_no_candidate_and_cannot_be_sent(
        admin: Services, c: Clinic, st: StatementService) -> None:
    pid = self_pay(admin, c, 25)
    noticed = final_notice(st, pid)
    st.hold(pid, "Hardship review")
    assert st.collections_candidates(noticed + timedelta(days=40)) == []
    with pytest.raises(UserError, match="on hold"):
        st.send_to_collections([pid], "Acme Recovery")
    with pytest.raises(ValidationError):
        st.send_to_collections([pid], " ")


def test_the_list_of_held_accounts_shows_holds_and_collections_in_force(
        admin: Services, c: Clinic, st: StatementService, pay: PaymentService) -> None:
    held, sent, over, free = (self_pay(admin, c, n) for n in (40, 41, 42, 43))
    st.hold(held, "Hardship review", until=TODAY + timedelta(days=5))
    st.hold(over, "Insurance appeal")
    st.release(over)  # an ended hold is not listed
    final_notice(st, sent)
    st.send_to_collections([sent], "Acme Recovery")
    pay.take_payment(sent, D("12.00"), "cash")  # the list shows what is owed now
    rows = st.held_accounts()
    assert [(r.patient_id, r.status.status, r.balance) for r in rows] == [
        (held, "hold", D("112.00")), (sent, IN_COLLECTIONS, D("100.00"))]
    assert rows[0].status.hold_until == TODAY + timedelta(days=5)
    assert (rows[1].status.agency, rows[1].status.amount) == ("Acme Recovery", D("112.00"))
    assert free not in {r.patient_id for r in rows}
    st.recall_from_collections(sent)
    assert [r.patient_id for r in st.held_accounts()] == [held]
    assert [json.loads(d) for a, d, _p in actions(admin)
            if a == "account.holds.view"][-1] == {"accounts": 1}


# --- permissions and audit ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["front_desk", "coder"])
def test_only_billing_staff_run_statements_and_collections(
        admin: Services, c: Clinic, role: str) -> None:
    pid = self_pay(admin, c, 26)
    sign_in_as(admin, role)
    st = StatementService(admin.db, admin.ctx)
    for call in (lambda: st.preview(TODAY), lambda: st.run(TODAY), lambda: st.runs(),
                 lambda: st.hold(pid, "x"), lambda: st.collections_candidates(),
                 lambda: st.held_accounts(),
                 lambda: st.export_collections([pid]),
                 lambda: st.send_to_collections([pid], "A"),
                 lambda: st.save_settings(StatementSettingsData())):
        with pytest.raises(PermissionDenied):
            call()


def test_a_biller_runs_statements_but_only_an_admin_changes_the_settings(
        admin: Services, c: Clinic) -> None:
    self_pay(admin, c, 27)
    sign_in_as(admin, "biller")
    st = StatementService(admin.db, admin.ctx)
    assert st.run(TODAY).accounts == 1
    with pytest.raises(PermissionDenied):
        st.save_settings(StatementSettingsData())


def test_runs_exports_and_hand_offs_are_audited_without_names(
        admin: Services, c: Clinic, st: StatementService) -> None:
    pid = self_pay(admin, c, 28)
    noticed = final_notice(st, pid)
    st.export_collections([pid])
    st.send_to_collections([pid], "Acme Recovery")
    events = actions(admin)
    runs = [json.loads(d) for a, d, _p in events if a == "statement.run"]
    assert len(runs) == 4 and runs[-1]["accounts"] == 1 and runs[-1]["final_notices"] == 1
    assert [p for a, _d, p in events if a == "statement.sent"] == [pid] * 4
    export = [json.loads(d) for a, d, _p in events if a == "collections.export"]
    assert export == [{"accounts": 1, "total": "112.00"}]
    assert [(p, json.loads(d)["amount"]) for a, d, p in events
            if a == "collections.send"] == [(pid, "112.00")]
    details = " ".join(d for _a, d, _p in events)
    assert "Selfpay28" not in details and "M0000028" not in details and "Elm" not in details
    assert noticed


# --- the schema -----------------------------------------------------------------------------------
def test_the_statement_tables_match_their_migration(admin: Services) -> None:
    # importing app.models.statements (above) puts these tables in the models' metadata
    assert schema_drift(admin.db) == []
    with admin.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Statement)) == 0
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == 0
