"""Payments (app.services.payments): paper EOBs posted exactly like an 835 and refused with the
row at fault, desk payments applied oldest first with a receipt, refunds and credit transfers,
write-offs (one line, or small balances), and the patient ledger in words."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.errors import PermissionDenied, UserError, ValidationError
from app.models import (
    AuditEvent,
    ClaimPayment,
    Denial,
    LedgerEntry,
    PatientPayment,
    Remittance,
    WorkItem,
)
from app.services import Services
from app.services.billing_settings import BillingSettings, save_billing
from app.services.coding import LineDraft
from app.services.payments import (
    Applied,
    EobClaim,
    EobData,
    EobLine,
    EobProviderAdjustment,
    PaymentService,
)
from tests.unit.claim_fixtures import DOS, Clinic, clinic, coded_visit, patient
from tests.unit.test_coding import sign_in_as
from tests.unit.test_remittances import buckets, clp, era, sent, svc

D = Decimal
CHECK_DAY = date(2026, 11, 20)


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def pay(admin: Services) -> PaymentService:
    return PaymentService(admin.db, admin.ctx)


def eob(c: Clinic, *claims: EobClaim, number: str = "5001", amount: str | None = None,
        payer: int | None = None, plb: tuple[EobProviderAdjustment, ...] = ()) -> EobData:
    paid = sum((ln.paid for cl in claims for ln in cl.lines), D(0)) - sum(
        (p.amount for p in plb), D(0))
    return EobData(payer or c.payer_id, number, CHECK_DAY, D(amount) if amount else paid,
                   claims, plb)


def row(line: object, paid: str, *adj: tuple[str, str, str], allowed: str | None = None,
        remarks: tuple[str, ...] = ()) -> EobLine:
    return EobLine(line.id, D(allowed) if allowed else None, D(paid),  # type: ignore[attr-defined]
                   tuple((g, r, D(a)) for g, r, a in adj), remarks)


def posted(sv: Services, claim_id: int) -> list[tuple[str, Decimal, int | None, str]]:
    """The entries a remittance posted for a claim: kind, amount, payer (None: patient),
    CAS group-reason."""
    with sv.db.session() as s:
        rows = s.execute(select(LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.payer_id,
                                LedgerEntry.group_code, LedgerEntry.reason_code)
                         .where(LedgerEntry.claim_id == claim_id,
                                LedgerEntry.remittance_id.is_not(None))
                         .order_by(LedgerEntry.id)).all()
    return [(k, a, p, f"{g}-{r}" if g else "") for k, a, p, g, r in rows]


def count(sv: Services, model: type) -> int:
    with sv.db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def actions(sv: Services) -> list[str]:
    with sv.db.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def self_pay(sv: Services, c: Clinic, n: int, *visits: tuple[int, tuple[str, ...]]) -> int:
    """A patient with no coverage (every charge is theirs) and a visit per (days ago, codes)."""
    pid = patient(sv, n, last=f"Payer{chr(64 + n)}")
    for days, codes in visits:
        coded_visit(sv, pid, c, *(LineDraft(code, pointers="A") for code in codes),
                    on=date.today() - timedelta(days=days))
    return pid


def line_ids(sv: Services, pid: int) -> list[int]:
    """The patient's charge lines, oldest date of service first."""
    from app.models import ChargeLine
    with sv.db.session() as s:
        return list(s.scalars(select(ChargeLine.id).where(ChargeLine.patient_id == pid)
                              .order_by(ChargeLine.dos, ChargeLine.id)))


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


# --- paper EOB ------------------------------------------------------------------------------------
def test_a_paper_eob_posts_exactly_what_the_same_835_posts(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    by_835 = sent(admin, c, 1, tmp=tmp_path)
    by_eob = sent(admin, c, 2, tmp=tmp_path)
    adj = (("CO", "45", "20.00"), ("PR", "2", "20.00"))
    lab_adj = (("CO", "45", "2.00"), ("PR", "1", "10.00"))
    o, lab = by_835.lines
    admin.remittances.import_835(era(clp(by_835, "1", "60.00", svc(o, "60.00", *adj),
                                         svc(lab, "0.00", *lab_adj))), "a.835")
    o2, lab2 = by_eob.lines
    r = pay.post_eob(eob(c, EobClaim(by_eob.id, "1", "PCN1", (row(o2, "60.00", *adj),
                                                              row(lab2, "0.00", *lab_adj)))))
    assert (r.paid, r.adjusted, r.to_patient, r.matched, r.unmatched) == (
        D("60.00"), D("22.00"), D("30.00"), 1, 0)
    assert posted(admin, by_eob.id) == posted(admin, by_835.id)
    assert [k for k, *_ in posted(admin, by_eob.id)] == [
        "insurance_payment", "adjustment", "transfer", "transfer", "adjustment", "transfer",
        "transfer"]
    assert buckets(admin, by_eob) == {"patient": D("30.00")}
    after = admin.claims.get(by_eob.id)
    assert (after.status, after.payer_claim_number) == ("paid", "PCN1")
    with admin.db.session() as s:
        rem = s.scalars(select(Remittance).where(Remittance.id == r.remittance_id)).one()
        assert (rem.source, rem.trace_number, rem.payer_id, rem.payer_key, rem.total_paid,
                rem.paid_on, rem.method) == ("eob", "5001", c.payer_id, "ACME1", D("60.00"),
                                             CHECK_DAY, "CHK")
    assert "remittance.eob" in actions(admin)


def test_the_eob_grid_starts_from_the_claim_lines_and_keeps_a_running_figure(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    rows = pay.eob_lines(v.id)
    assert [(r.service_line_id, r.line_no, r.dos, r.code, r.units, r.charge, r.balance)
            for r in rows] == [(v.lines[0].id, 1, DOS, "99213", D(1), D("100.00"), D("100.00")),
                               (v.lines[1].id, 2, DOS, "36415", D(1), D("12.00"), D("12.00"))]
    half = EobData(c.payer_id, "77", CHECK_DAY, D("70.00"),
                   (EobClaim(v.id, lines=(row(v.lines[0], "60.00", ("CO", "45", "40.00")),)),))
    assert pay.undistributed(half) == D("10.00")
    plb = EobProviderAdjustment("L6", "INTEREST", D("-10.00"))
    assert pay.undistributed(EobData(c.payer_id, "77", CHECK_DAY, D("70.00"), half.claims,
                                     (plb,))) == D("0.00")


def test_a_paper_eob_is_refused_naming_each_row_and_what_to_fix(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    other = sent(admin, c, 2, "99213", tmp=tmp_path)
    o, lab = v.lines
    bad = EobData(c.payer_id, "5001", CHECK_DAY, D("100.00"), (
        EobClaim(999999, lines=(row(o, "1.00"),)),
        EobClaim(v.id, lines=(
            EobLine(other.lines[0].id, None, D(0)),  # a line of another claim
            row(o, "-5.00", ("CO", "45", "105.00")),  # negative paid
            row(lab, "2.00", ("XX", "45", "10.00")),  # no such group
        )),
        EobClaim(other.id, lines=(row(other.lines[0], "50.00", ("CO", " ", "50.00")),)),
    ))
    with pytest.raises(ValidationError) as e:
        pay.post_eob(bad)
    msg = str(e.value)
    assert "There is no claim 999999" in msg
    assert f"claim {v.id}, row 1: That line is not on claim {v.id}" in msg
    assert f"claim {v.id}, row 2: 99213 on {DOS:%m/%d/%Y}: paid cannot be negative" in msg
    assert f"claim {v.id}, row 3: " in msg and "group must be CO, PR, OA, PI or CR" in msg
    assert f"claim {other.id}, row 1: " in msg and "enter the reason code" in msg
    assert count(admin, Remittance) == 0 and count(admin, ClaimPayment) == 0


def test_a_check_that_does_not_balance_says_the_undistributed_amount(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    o, lab = v.lines
    claim = EobClaim(v.id, lines=(row(o, "60.00", ("CO", "45", "40.00")),
                                  row(lab, "10.00", ("CO", "45", "2.00"))))
    with pytest.raises(ValidationError, match=r"\$5\.00 of the \$75\.00 check is not "
                                              r"distributed"):
        pay.post_eob(eob(c, claim, amount="75.00"))
    with pytest.raises(ValidationError, match=r"lines pay \$5\.00 more than the \$65\.00"):
        pay.post_eob(eob(c, claim, amount="65.00"))
    short = EobClaim(v.id, lines=(row(o, "60.00", ("CO", "45", "30.00")),))
    with pytest.raises(ValidationError, match=r"charged \$100\.00, paid \$60\.00 and adjusted "
                                              r"\$30\.00: \$10\.00 is not accounted for"):
        pay.post_eob(eob(c, short))
    assert count(admin, Remittance) == 0


def test_a_claim_of_another_payer_or_not_sent_is_refused(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    claim = EobClaim(v.id, lines=(row(v.lines[0], "100.00"),))
    with pytest.raises(ValidationError, match="was sent to another payer"):
        pay.post_eob(eob(c, claim, payer=c.other_payer_id))
    pid = patient(admin, 5)
    from tests.unit.claim_fixtures import cover
    cover(admin, pid, c.payer_id)
    draft = admin.claims.create_primary(coded_visit(admin, pid, c))
    with pytest.raises(ValidationError, match="has not been sent yet"):
        pay.post_eob(eob(c, EobClaim(draft.id, lines=(row(draft.lines[0], "100.00"),))))


def test_the_same_check_is_not_posted_twice(admin: Services, c: Clinic, pay: PaymentService,
                                           tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    w = sent(admin, c, 2, "99213", tmp=tmp_path)
    pay.post_eob(eob(c, EobClaim(v.id, lines=(row(v.lines[0], "100.00"),))))
    with pytest.raises(UserError, match="Check 5001 from this payer was already posted"):
        pay.post_eob(eob(c, EobClaim(w.id, lines=(row(w.lines[0], "100.00"),))))
    twice = EobClaim(w.id, lines=(row(w.lines[0], "100.00"),))
    with pytest.raises(ValidationError, match=f"claim 2: Claim {w.id} is entered twice"):
        pay.post_eob(eob(c, twice, twice, number="5002"))
    assert count(admin, Remittance) == 1 and buckets(admin, w) == {
        f"payer {c.payer_id}": D("100.00")}


def test_a_denial_on_paper_is_queued_and_writing_it_off_settles_it(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (o,) = v.lines
    r = pay.post_eob(eob(c, EobClaim(v.id, "4", "PCN9", (
        row(o, "0.00", ("CO", "50", "100.00"), remarks=("N130",)),))))
    assert (r.denials, r.denied, r.paid) == (1, D("100.00"), D(0))
    assert admin.claims.get(v.id).status == "denied"
    assert buckets(admin, v) == {f"payer {c.payer_id}": D("100.00")}
    with pytest.raises(UserError, match=r"\$100\.00 is owed there"):
        pay.write_off(o.charge_line_id, D("100.01"), "payer", "Not medically necessary")
    pay.write_off(o.charge_line_id, D("100.00"), "payer", "Clinic accepts the denial")
    assert buckets(admin, v) == {}
    with admin.db.session() as s:
        d = s.scalars(select(Denial)).one()
        item = s.scalars(select(WorkItem).where(WorkItem.reason == "denial")).one()
        wo = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "write_off")).one()
    assert (d.outcome, d.remarks) == ("written_off", "N130")
    assert item.state == "done" and "written off" in item.note
    assert (wo.amount, wo.payer_id, wo.claim_id, wo.service_line_id) == (
        D("-100.00"), c.payer_id, v.id, o.id)


def test_pr_on_paper_moves_to_the_secondary_and_builds_its_claim(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path, secondary=True)
    (o,) = v.lines
    r = pay.post_eob(eob(c, EobClaim(v.id, lines=(
        row(o, "60.00", ("CO", "45", "20.00"), ("PR", "2", "20.00"), allowed="80.00"),))))
    assert r.to_next_payer == D("20.00") and len(r.secondary_claims) == 1
    assert buckets(admin, v) == {f"payer {c.other_payer_id}": D("20.00")}
    second = admin.claims.get(r.secondary_claims[0])
    assert (second.sequence, second.payer_id) == ("S", c.other_payer_id)
    assert [g.balance for g in pay.eob_lines(second.id)] == [D("20.00")]


def test_a_reversal_on_paper_takes_back_the_payment(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (o,) = v.lines
    pay.post_eob(eob(c, EobClaim(v.id, "1", "PCN1", (row(o, "70.00", ("CO", "45", "30.00")),)),
                     number="A1"))
    assert buckets(admin, v) == {}
    with pytest.raises(ValidationError, match="on a reversal"):
        pay.post_eob(eob(c, EobClaim(v.id, "22", "PCN1", (row(o, "70.00"),)), number="A2"))
    back = EobClaim(v.id, "22", "PCN1", (row(o, "-70.00", ("CO", "45", "-30.00")),))
    again = EobClaim(v.id, "1", "PCN2", (row(o, "50.00", ("CO", "45", "30.00"),
                                             ("PR", "3", "20.00")),))
    r = pay.post_eob(eob(c, back, again, number="A2"))  # a debit: it takes back $20.00
    assert (r.reversed, r.paid, r.to_patient, r.total_paid) == (
        D("70.00"), D("50.00"), D("20.00"), D("20.00"))
    assert buckets(admin, v) == {"patient": D("20.00")}
    assert admin.claims.get(v.id).status == "paid"
    with admin.db.session() as s:
        first = s.scalars(select(ClaimPayment).where(ClaimPayment.payer_claim_number == "PCN1",
                                                     ClaimPayment.status_code == "1")).one()
        assert first.reversed


def test_posting_an_eob_needs_the_post_payments_permission(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    sign_in_as(admin, "front_desk")
    with pytest.raises(PermissionDenied):
        pay.post_eob(eob(c, EobClaim(v.id, lines=(row(v.lines[0], "100.00"),))))
    with pytest.raises(PermissionDenied):
        pay.eob_lines(v.id)


# --- desk payments ------------------------------------------------------------------------------
def test_a_desk_payment_pays_the_oldest_visits_first_and_keeps_the_rest_as_credit(
        admin: Services, c: Clinic, pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1, (30, ("99213",)), (5, ("99213", "36415")))
    old, new_office, new_lab = line_ids(admin, pid)
    assert pay.patient_balance(pid).patient == D("212.00")
    r = pay.take_payment(pid, D("150.00"), "check", "1042", note="At check-out")
    assert [(a.charge_line_id, a.amount) for a in r.applied] == [(old, D("100.00")),
                                                                  (new_office, D("50.00"))]
    assert (r.credit, r.balance_after, r.receipt_number) == (D(0), D("62.00"),
                                                            f"{r.payment_id:06d}")
    r2 = pay.take_payment(pid, D("80.00"), "cash")
    assert [(a.charge_line_id, a.amount) for a in r2.applied] == [(new_office, D("50.00")),
                                                                   (new_lab, D("12.00"))]
    assert (r2.credit, r2.balance_after) == (D("18.00"), D("-18.00"))
    with admin.db.session() as s:
        credit = s.scalars(select(LedgerEntry).where(LedgerEntry.charge_line_id.is_(None))).one()
        pp = s.get(PatientPayment, r2.payment_id)
        assert pp is not None and (pp.amount, pp.method, pp.reference) == (D("80.00"), "cash",
                                                                           "")
    assert (credit.kind, credit.amount, credit.patient_id, credit.payer_id,
            credit.patient_payment_id) == ("patient_payment", D("-18.00"), pid, None,
                                           r2.payment_id)
    bal = pay.patient_balance(pid)
    assert (bal.owes, bal.credit, bal.patient, bal.insurance) == (D(0), D("18.00"),
                                                                  D("-18.00"), D(0))
    assert "payment.take" in actions(admin)


def test_a_payment_applied_to_chosen_lines(admin: Services, c: Clinic,
                                           pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1, (30, ("99213",)), (5, ("36415",)))
    old, lab = line_ids(admin, pid)
    r = pay.take_payment(pid, D("20.00"), "card", "4242", apply=[(lab, D("12.00"))])
    assert [(a.charge_line_id, a.amount) for a in r.applied] == [(lab, D("12.00"))]
    assert (r.credit, r.balance_after) == (D("8.00"), D("92.00"))
    with pytest.raises(ValidationError, match=r"owes \$100\.00 on it"):
        pay.take_payment(pid, D("200.00"), "cash", apply=[(old, D("100.01"))])
    with pytest.raises(ValidationError, match="More is applied to visits than"):
        pay.take_payment(pid, D("5.00"), "cash", apply=[(old, D("6.00"))])
    other = self_pay(admin, c, 2, (3, ("99213",)))
    with pytest.raises(ValidationError, match="not one of this patient's visits"):
        pay.take_payment(pid, D("5.00"), "cash", apply=[(line_ids(admin, other)[0], D(5))])


def test_a_card_is_recorded_by_its_last_four_digits_only(
        admin: Services, c: Clinic, pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1, (3, ("99213",)))
    for ref in ("4111111111111111", "42424", "424", "42a4", ""):
        with pytest.raises(ValidationError, match="only the last 4 digits") as e:
            pay.take_payment(pid, D("10.00"), "card", ref)
        assert ref == "" or ref not in str(e.value)  # a card number is never repeated
    with pytest.raises(ValidationError, match="cash payment has no reference"):
        pay.take_payment(pid, D("10.00"), "cash", "4111111111111111")
    with pytest.raises(ValidationError, match="check number"):
        pay.take_payment(pid, D("10.00"), "check", "4111111111111111")
    with pytest.raises(ValidationError, match="Choose cash, check or card"):
        pay.take_payment(pid, D("10.00"), "bitcoin")
    with pytest.raises(ValidationError, match="more than \\$0.00"):
        pay.take_payment(pid, D("0.005"), "cash")
    assert count(admin, PatientPayment) == 0


def test_the_receipt_prints_the_clinic_the_payment_and_the_balance_after(
        admin: Services, c: Clinic, pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1, (30, ("99213",)))
    r = pay.take_payment(pid, D("40.00"), "card", "4242", note="Copay")
    pay.take_payment(pid, D("10.00"), "cash")  # later: the reprint still shows 60.00 after
    text = pdf_text(pay.receipt(r.payment_id))
    for expected in ("Maple Family Practice", "100 Main St", "Springfield, IL 62701-1234",
                     "(217) 555-0100", f"{r.payment_id:06d}", "$40.00", "ending in 4242",
                     "M0000001", "99213", "$60.00", "Copay"):
        assert expected in text, expected
    with admin.db.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "payment.receipt")).one()
    assert (ev.patient_id, ev.entity_id) == (pid, str(r.payment_id))


def test_the_front_desk_takes_payments_but_sees_only_what_the_patient_owes(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    pay.post_eob(eob(c, EobClaim(v.id, lines=(  # the lab line is not on this EOB
        row(v.lines[0], "0.00", ("CO", "45", "70.00"), ("PR", "1", "30.00")),))))
    assert buckets(admin, v) == {"patient": D("30.00"), f"payer {c.payer_id}": D("12.00")}
    sign_in_as(admin, "front_desk")
    bal = pay.patient_balance(v.patient_id)
    assert (bal.patient, bal.insurance, bal.account_total) == (D("30.00"), None, None)
    r = pay.take_payment(v.patient_id, D("30.00"), "cash")
    assert r.balance_after == D(0)
    assert pay.receipt(r.payment_id)[:5] == b"%PDF-"
    for call in (lambda: pay.ledger(v.patient_id),
                 lambda: pay.refund(v.patient_id, D(1), "cash", "", "x"),
                 lambda: pay.write_off_small_balances(True)):
        with pytest.raises(PermissionDenied):
            call()
    sign_in_as(admin, "biller")
    full = pay.patient_balance(v.patient_id)
    assert (full.patient, full.insurance, full.account_total) == (D(0), D("12.00"), D("12.00"))


def test_voiding_a_payment_reverses_its_entries(admin: Services, c: Clinic,
                                                pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1, (3, ("99213",)))
    r = pay.take_payment(pid, D("120.00"), "check", "77")
    assert r.balance_after == D("-20.00")
    with pytest.raises(ValidationError, match="Say why"):
        pay.void_payment(r.payment_id, " ")
    assert pay.void_payment(r.payment_id, "Check returned unpaid") == D("120.00")
    assert pay.patient_balance(pid).patient == D("100.00")
    with pytest.raises(UserError, match="already undone"):
        pay.void_payment(r.payment_id, "again")
    last = pay.ledger(pid).rows[-2:]
    assert [(x.kind, x.amount, x.description) for x in last] == [
        ("reversal", D("100.00"), "Reversal of the patient payment: Payment undone: Check "
                                  "returned unpaid"),
        ("reversal", D("20.00"), "Reversal of the patient payment: Payment undone: Check "
                                 "returned unpaid")]


# --- refunds, transfers, write-offs -------------------------------------------------------------
def test_a_refund_pays_back_no_more_than_the_credit(admin: Services, c: Clinic,
                                                    pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1, (3, ("36415",)))
    pay.take_payment(pid, D("50.00"), "cash")  # 12.00 owed, 38.00 credit
    with pytest.raises(UserError, match=r"credit of \$38\.00; refund no more"):
        pay.refund(pid, D("38.01"), "check", "901", "Overpaid")
    with pytest.raises(ValidationError, match="Say why"):
        pay.refund(pid, D("1.00"), "check", "901", "")
    r = pay.refund(pid, D("30.00"), "check", "901", "Overpaid at the desk")
    assert (r.amount, r.credit_left, r.balance_after) == (D("30.00"), D("8.00"), D("-8.00"))
    assert [(a.charge_line_id, a.amount) for a in r.taken_from] == [(None, D("30.00"))]
    with admin.db.session() as s:
        e = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "refund")).one()
    assert (e.amount, e.payer_id, e.charge_line_id) == (D("30.00"), None, None)
    assert "check 901" in e.memo and "Overpaid at the desk" in e.memo


def test_credit_moves_between_visits_as_a_transfer_pair(
        admin: Services, c: Clinic, pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1, (30, ("36415",)), (5, ("99213",)))
    lab, office = line_ids(admin, pid)
    pay.take_payment(pid, D("40.00"), "cash", apply=[(lab, D("12.00"))])  # 28.00 credit
    with pytest.raises(UserError, match=r"source has a credit of \$0\.00"):
        pay.transfer_credit(lab, office, D("1.00"), "wrong visit")
    out, into = pay.transfer_credit(None, office, D("28.00"), "Apply the credit")
    assert (out, into) == (Applied(None, None, None, "", D("-28.00")),
                           Applied(office, into.encounter_id, into.dos, "99213", D("28.00")))
    bal = pay.patient_balance(pid)
    assert [(a.charge_line_id, a.amount) for a in bal.lines] == [(office, D("72.00"))]
    with admin.db.session() as s:
        pair = s.execute(select(LedgerEntry.charge_line_id, LedgerEntry.amount)
                         .where(LedgerEntry.kind == "transfer")
                         .order_by(LedgerEntry.id)).all()
    assert [tuple(p) for p in pair] == [(None, D("28.00")), (office, D("-28.00"))]
    pay.take_payment(pid, D("100.00"), "cash", apply=[])  # all of it a credit
    with pytest.raises(UserError, match=r"owes \$72\.00 on it; move no more"):
        pay.transfer_credit(None, office, D("72.01"), "too much")


def test_small_balances_are_written_off_visit_by_visit_up_to_the_limit(
        admin: Services, c: Clinic, pay: PaymentService) -> None:
    small = self_pay(admin, c, 1, (30, ("99213",)), (5, ("36415",)))
    office, lab = line_ids(admin, small)
    pay.take_payment(small, D("96.00"), "cash", apply=[(office, D("96.00"))])  # 4.00 left
    pay.take_payment(small, D("10.00"), "cash", apply=[(lab, D("10.00"))])  # 2.00 left
    big = self_pay(admin, c, 2, (20, ("36415",)))  # 12.00: above the limit
    credit = self_pay(admin, c, 3, (20, ("36415",)))
    pay.take_payment(credit, D("9.00"), "cash", apply=[(line_ids(admin, credit)[0], D(9))])
    pay.take_payment(credit, D("1.00"), "cash", apply=[])  # 3.00 owed, 1.00 credit: left alone
    dry = pay.write_off_small_balances(dry_run=True)
    assert dry.limit == D("5.00")
    assert [(r.account_number, r.amount) for r in dry.rows] == [("M0000001", D("4.00")),
                                                                 ("M0000001", D("2.00"))]
    assert dry.total == D("6.00") and count(admin, LedgerEntry) == 8  # nothing posted
    done = pay.write_off_small_balances(dry_run=False)
    assert done.rows == dry.rows
    assert pay.patient_balance(small).patient == D(0)
    assert pay.patient_balance(big).patient == D("12.00")
    assert pay.patient_balance(credit).patient == D("2.00")
    assert pay.write_off_small_balances(dry_run=False).rows == ()
    save_billing(admin.db, admin.ctx, BillingSettings(small_balance_limit=D("12.00")))
    assert [r.patient_id for r in pay.write_off_small_balances(True).rows] == [big]
    assert actions(admin).count("ledger.write_off_small") == 4


def test_a_patient_write_off_of_part_of_a_line(admin: Services, c: Clinic,
                                               pay: PaymentService) -> None:
    pid = self_pay(admin, c, 1, (3, ("99213",)))
    (line,) = line_ids(admin, pid)
    with pytest.raises(UserError, match="no payer owes anything"):
        pay.write_off(line, D("10.00"), "payer", "x")
    with pytest.raises(ValidationError, match="Say why"):
        pay.write_off(line, D("10.00"), "patient", "")
    assert pay.write_off(line, D("25.00"), "patient", "Hardship").amount == D("25.00")
    assert pay.patient_balance(pid).patient == D("75.00")


# --- the ledger in words --------------------------------------------------------------------------
def test_the_ledger_shows_every_entry_in_words_with_running_balance_and_subtotals(
        admin: Services, c: Clinic, pay: PaymentService, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    o, lab = v.lines
    pay.post_eob(eob(c, EobClaim(v.id, lines=(
        row(o, "60.00", ("CO", "45", "20.00"), ("PR", "2", "20.00")),
        row(lab, "12.00")))))
    pay.take_payment(v.patient_id, D("25.00"), "card", "4242")
    led = pay.ledger(v.patient_id)
    got = [(r.kind, r.owed_by, r.code, r.amount, r.balance) for r in led.rows]
    assert got == [
        ("charge", "Acme Health", "99213", D("100.00"), D("100.00")),
        ("charge", "Acme Health", "36415", D("12.00"), D("112.00")),
        ("insurance_payment", "Acme Health", "99213", D("-60.00"), D("52.00")),
        ("adjustment", "Acme Health", "99213", D("-20.00"), D("32.00")),
        ("transfer", "Acme Health", "99213", D("-20.00"), D("12.00")),
        ("transfer", "Patient", "99213", D("20.00"), D("32.00")),
        ("insurance_payment", "Acme Health", "36415", D("-12.00"), D("20.00")),
        ("patient_payment", "Patient", "99213", D("-20.00"), D("0.00")),
        ("patient_payment", "Patient", "", D("-5.00"), D("-5.00")),
    ]
    words = [r.description for r in led.rows]
    assert words[0] == "Charge 99213"
    assert words[2] == "Payment from Acme Health, check 5001"
    assert words[3].startswith("Adjustment by Acme Health: CO-45 Contractual obligation")
    assert words[5].startswith("Moved to Patient: PR-2 Patient responsibility")
    assert words[8] == "Patient payment by card ending 4242 (credit on the account)"
    assert all(r.dos == DOS for r in led.rows[:8]) and led.rows[8].dos is None
    visit, account = led.visits
    assert (visit.encounter_id, visit.dos, visit.balance) == (v.encounter_id, DOS, D(0))
    assert dict(visit.by_kind) == {"charge": D("112.00"), "insurance_payment": D("-72.00"),
                                   "patient_payment": D("-20.00"), "adjustment": D("-20.00"),
                                   "transfer": D(0)}
    assert (account.encounter_id, account.balance, account.by_party) == (
        None, D("-5.00"), (("Patient", D("-5.00")),))
    assert (led.by_party, led.insurance, led.patient, led.balance) == (
        (("Patient", D("-5.00")),), D(0), D("-5.00"), D("-5.00"))
    assert led.balance == admin.ledger.balance(v.patient_id)
    with admin.db.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.view")).one()
    assert ev.patient_id == v.patient_id
