"""835 remittances posted to the ledger (app.services.remittances): matching, paid, partly
paid, denied, reversed and crossover claims, patient responsibility moving on, PLB,
unbalanced and duplicate checks refused, unmatched claims kept as exceptions, the secondary
claim built after the primary pays, underpayments, and the `era import` command."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDenied, UserError
from app.formats.x12.segments import Envelope, X12Error
from app.formats.x12.x835 import Adjustment, ClaimPayment, ProviderAdjustment, Remittance
from app.formats.x12.x835 import ServicePayment as Svc
from app.formats.x12.x835_write import build_835
from app.models import (
    AuditEvent,
    Claim,
    ContractRate,
    Denial,
    LedgerEntry,
    RemitException,
    WorkItem,
)
from app.models import ClaimPayment as PostedClaim
from app.models import Remittance as PostedRemittance
from app.services import Services
from app.services.claims import ClaimView
from app.services.coding import LineDraft
from tests.unit.claim_fixtures import DOS, Clinic, clinic, coded_visit, cover, patient

D = Decimal
ENV = Envelope("ZZ", "ACME1", "ZZ", "MAPLE01", 9001, 9001, 1)


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


def sent(sv: Services, c: Clinic, n: int, *codes: str, tmp: Path,
         secondary: bool = False) -> ClaimView:
    """A claim submitted electronically for a new patient (99213 and 36415 by default)."""
    pid = patient(sv, n, last=f"Doe{chr(64 + n)}")
    # Bravo (the second payer) is Medicare: the plan paying first records why (SBR05)
    cover(sv, pid, c.payer_id, **({"msp_type": "12"} if secondary else {}))
    if secondary:
        cover(sv, pid, c.other_payer_id)
    drafts = [LineDraft(code, pointers="A") for code in (codes or ("99213", "36415"))]
    v = sv.claims.create_primary(coded_visit(sv, pid, c, *drafts))
    v = sv.claims.mark_ready(v.id, v.version)
    sv.submissions.export_837(tmp / f"batch{n}.837", [v.id])
    return sv.claims.get(v.id)


def svc(line: object, paid: str, *adj: tuple[str, str, str], allowed: str | None = None,
        control: bool = True, **kw: object) -> Svc:
    ln = line  # a ClaimLineRow
    return Svc(qualifier="HC", code=ln.code, modifiers=ln.modifiers,  # type: ignore[attr-defined]
               charge=ln.charge, paid=D(paid), dos_from=ln.dos,  # type: ignore[attr-defined]
               control_number=ln.control_number if control else "",  # type: ignore[attr-defined]
               allowed=D(allowed) if allowed else None,
               adjustments=tuple(Adjustment(g, r, D(a)) for g, r, a in adj), **kw)  # type: ignore[arg-type]


def clp(v: ClaimView, status: str, paid: str, *services: Svc, number: str = "",
        payer_number: str = "PCN1", **kw: object) -> ClaimPayment:
    pr = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), D(0))
    return ClaimPayment(claim_id=number or v.number, status=status, charge=v.total,  # type: ignore[arg-type]
                        paid=D(paid), patient_responsibility=pr, filing_indicator="CI",
                        payer_claim_number=payer_number, services=services, **kw)


def era(*claims: ClaimPayment, trace: str = "CHK100", plb: tuple[ProviderAdjustment, ...] = (),
        total: str | None = None) -> bytes:
    paid = sum((cl.paid for cl in claims), D(0)) - sum((p.amount for p in plb), D(0))
    r = Remittance(handling="I", total_paid=D(total) if total else paid, credit_debit="C",
                   method="ACH", paid_on=date(2026, 11, 20), trace_number=trace,
                   trace_payer_id="1999999999", payer_name="ACME HEALTH", payer_id="ACME1",
                   payee_name="MAPLE FAMILY PRACTICE", payee_npi="1234567893",
                   payer_street="PO BOX 100", payer_city="CHICAGO", payer_state="IL",
                   payer_zip="606011000", payer_phone="8005550101",
                   claims=claims, provider_adjustments=plb)
    return build_835([r], ENV).encode()


def buckets(sv: Services, claim: ClaimView) -> dict[str, Decimal]:
    """The visit's balance by who owes it: 'payer <id>' or 'patient'."""
    with sv.db.session() as s:
        rows = s.execute(select(LedgerEntry.payer_id, func.sum(LedgerEntry.amount))
                         .where(LedgerEntry.encounter_id == claim.encounter_id)
                         .group_by(LedgerEntry.payer_id)).all()
    return {("patient" if p is None else f"payer {p}"): amt for p, amt in rows if amt}


def count(sv: Services, model: type) -> int:
    with sv.db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


# --- paid, partly paid, patient responsibility ------------------------------------------------
def test_a_paid_claim_posts_payments_adjustments_and_moves_pr_to_the_patient(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    office, lab = v.lines
    assert buckets(admin, v) == {f"payer {c.payer_id}": v.total}
    # 99213: allowed 80 = paid 60 + coinsurance 20; 36415: allowed 10, paid 0 (deductible).
    data = era(clp(v, "1", "60.00",
                   svc(office, "60.00", ("CO", "45", str(office.charge - D(80))),
                       ("PR", "2", "20.00"), allowed="80.00"),
                   svc(lab, "0.00", ("CO", "45", str(lab.charge - D(10))), ("PR", "1", "10.00"),
                       allowed="10.00")))
    summary = admin.remittances.import_835(data, "acme.835")
    check = summary.checks[0]
    assert (check.matched, check.unmatched) == (1, 0)
    r = check.posted
    assert r is not None
    assert (r.paid, r.to_patient, r.to_next_payer) == (D("60.00"), D("30.00"), D("0.00"))
    assert r.adjusted == v.total - D(90)
    # the payer owes nothing more; the patient owes deductible + coinsurance
    assert buckets(admin, v) == {"patient": D("30.00")}
    after = admin.claims.get(v.id)
    assert (after.status, after.payer_claim_number) == ("paid", "PCN1")
    assert [m.how for m in summary.checks[0].matches] == ["our claim number"]
    with admin.db.session() as s:
        kinds = sorted(s.scalars(select(LedgerEntry.kind).where(
            LedgerEntry.claim_id == v.id, LedgerEntry.kind != "charge")))
    assert kinds.count("insurance_payment") == 1 and kinds.count("adjustment") == 2
    assert kinds.count("transfer") == 4  # each PR is a pair: off the payer, onto the patient


def test_lines_match_by_code_and_date_when_the_payer_drops_the_control_number(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, tmp=tmp_path)
    office, lab = v.lines
    data = era(clp(v, "1", str(v.total), svc(lab, str(lab.charge), control=False),
                   svc(office, str(office.charge), control=False)))
    plan = admin.remittances.plan(data, "acme.835")
    assert count(admin, PostedRemittance) == 0  # a plan posts nothing
    m = plan.checks[0].matches[0]
    assert (m.claim_id, m.lines_unmatched) == (v.id, 0)
    admin.remittances.import_835(data, "acme.835")
    assert buckets(admin, v) == {}


def test_a_denied_claim_keeps_its_balance_with_the_payer_and_queues_the_denial(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    data = era(clp(v, "4", "0.00", svc(office, "0.00", ("CO", "50", str(office.charge)))))
    r = admin.remittances.import_835(data, "acme.835").checks[0].posted
    assert r is not None and (r.denials, r.denied, r.adjusted) == (1, office.charge, D(0))
    assert buckets(admin, v) == {f"payer {c.payer_id}": office.charge}
    assert admin.claims.get(v.id).status == "denied"
    with admin.db.session() as s:
        d = s.scalars(select(Denial)).one()
        item = s.scalars(select(WorkItem).where(WorkItem.reason == "denial")).one()
    assert (d.reason_code, d.category, d.amount) == ("50", "medical_necessity", office.charge)
    assert item.claim_id == v.id and "CO-50" in item.detail and item.next_action


def test_a_reversal_takes_back_the_earlier_payment_and_a_corrected_one_posts(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    first = clp(v, "1", "70.00", svc(office, "70.00", ("CO", "45", str(office.charge - 70))))
    admin.remittances.import_835(era(first, trace="CHK1"), "one.835")
    assert buckets(admin, v) == {}
    back = clp(v, "22", "-70.00", replace(first.services[0], charge=-office.charge,
                                          paid=D("-70.00"), adjustments=(
                                              Adjustment("CO", "45", -(office.charge - 70)),)))
    again = clp(v, "1", "50.00", svc(office, "50.00", ("CO", "45", str(office.charge - 70)),
                                     ("PR", "3", "20.00")))
    r = admin.remittances.import_835(era(replace(back, charge=-office.charge), again,
                                         trace="CHK2"), "two.835").checks[0].posted
    assert r is not None and r.reversed == D("70.00") and r.paid == D("50.00")
    assert buckets(admin, v) == {"patient": D("20.00")}
    with admin.db.session() as s:
        old = s.scalars(select(PostedClaim).where(PostedClaim.status_code == "1")
                        .order_by(PostedClaim.id)).first()
        assert old is not None and old.reversed
        reversals = s.scalar(select(func.count()).where(LedgerEntry.kind == "reversal",
                                                        LedgerEntry.claim_id == v.id))
    assert reversals == 2  # the payment and the CO-45 of the first posting


def test_a_reversal_of_a_payment_never_posted_is_an_exception(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    back = clp(v, "22", "-70.00", svc(office, "-70.00", ("CO", "45", "0.00")))
    back = replace(back, charge=-office.charge,
                   services=(replace(back.services[0], charge=-office.charge,
                                     adjustments=(Adjustment("CO", "45",
                                                             -(office.charge - 70)),)),))
    summary = admin.remittances.import_835(era(back), "x.835")
    assert summary.checks[0].unmatched == 1
    assert "never posted" in admin.remittances.exceptions()[0].reason
    assert buckets(admin, v) == {f"payer {c.payer_id}": office.charge}


# --- crossover and secondary -------------------------------------------------------------------
def test_pr_goes_to_the_secondary_coverage_and_a_secondary_claim_is_built(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path, secondary=True)
    (office,) = v.lines
    data = era(clp(v, "1", "60.00", svc(office, "60.00", ("CO", "45", str(office.charge - 80)),
                                        ("PR", "2", "20.00"))))
    r = admin.remittances.import_835(data, "acme.835").checks[0].posted
    assert r is not None and r.to_next_payer == D("20.00") and len(r.secondary_claims) == 1
    assert buckets(admin, v) == {f"payer {c.other_payer_id}": D("20.00")}
    second = admin.claims.get(r.secondary_claims[0])
    assert (second.sequence, second.payer_id, second.status) == ("S", c.other_payer_id, "draft")
    assert [ln.charge_line_id for ln in second.lines] == [office.charge_line_id]
    # it goes out with the primary's adjudication (2320/2330/2430), clean under pyx12
    assert [i.message for i in admin.claims.scrub(second.id) if i.blocking] == []
    admin.claims.mark_ready(second.id, second.version)
    out = tmp_path / "secondary.837"
    admin.submissions.export_837(out, [second.id])
    text = out.read_text()
    assert "SBR*S*18" in text and "SBR*P*18" in text and "SBR05" not in text
    assert "AMT*D*60~" in text and "SVD*ACME1*60*HC:99213**1~" in text
    assert f"CAS*CO*45*{(office.charge - 80).normalize():f}~" in text and "CAS*PR*2*20~" in text
    assert "DTP*573*D8*20261120~" in text
    # the secondary pays 15 of the 20, the rest is the patient's; OA-23 (the primary's part)
    # is kept with the remittance but not posted again
    sec = admin.claims.get(second.id)
    (line,) = sec.lines
    paid = clp(sec, "2", "15.00", svc(line, "15.00", ("OA", "23", str(office.charge - 20)),
                                      ("PR", "2", "5.00")))
    bravo = era(paid, trace="BRAVO1").decode().replace("ACME1", "BRAVO")
    r2 = admin.remittances.import_835(bravo.encode(), "bravo.835").checks[0].posted
    assert r2 is not None and (r2.paid, r2.to_patient, r2.adjusted) == (
        D("15.00"), D("5.00"), D("0.00"))
    assert buckets(admin, v) == {"patient": D("5.00")}
    assert admin.claims.get(second.id).status == "paid"


def test_secondary_claims_built_in_bulk_match_the_primary_visit_and_are_linked_and_audited(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    """Posting builds the next claims through Core in bulk: the claims must be what
    build_claim would make (header from the visit and coverage, control numbers, history,
    audit event) and the audit chain must still verify."""
    visits = [sent(admin, c, n, "99213", "36415", tmp=tmp_path, secondary=True)
              for n in (1, 2)]
    pays = [clp(v, "1", "50.00", *(svc(ln, "25.00", ("CO", "45", str(ln.charge - 30)),
                                       ("PR", "2", "5.00")) for ln in v.lines))
            for v in visits]
    r = admin.remittances.import_835(era(*pays), "acme.835").checks[0].posted
    assert r is not None and len(r.secondary_claims) == 2
    for v, new_id in zip(visits, r.secondary_claims, strict=True):
        second = admin.claims.get(new_id)
        assert (second.patient_id, second.encounter_id, second.sequence, second.payer_id,
                second.status) == (v.patient_id, v.encounter_id, "S", c.other_payer_id, "draft")
        assert second.diagnoses == v.diagnoses
        assert (second.header.rendering_provider_id, second.header.facility_id) == (
            v.header.rendering_provider_id, v.header.facility_id)
        assert [(ln.line_no, ln.code, ln.charge, ln.charge_line_id) for ln in second.lines] == [
            (ln.line_no, ln.code, ln.charge, ln.charge_line_id) for ln in v.lines]
        assert [ln.control_number for ln in second.lines] == [f"L{ln.id}" for ln in second.lines]
        assert [h.status for h in second.history] == ["draft"]
        assert f"after claim {v.id} was paid" in second.history[0].detail
    with admin.db.session() as s:
        links = {k: v for k, v in s.execute(select(PostedClaim.claim_id,
                                                      PostedClaim.secondary_claim_id))}
        created = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "claim.create",
            AuditEvent.entity_id.in_([str(i) for i in r.secondary_claims])))
    assert [links[v.id] for v in visits] == r.secondary_claims and created == 2
    assert admin.audit.verify().ok
    # posted again (a second check for the same claims) builds no second secondary claim
    again = admin.remittances.import_835(era(*pays, trace="CHK101"), "again.835")
    assert again.checks[0].posted is not None and again.checks[0].posted.secondary_claims == []


def test_a_paid_visit_is_no_longer_billable(admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    admin.remittances.import_835(era(clp(v, "1", str(office.charge), svc(
        office, str(office.charge)))), "acme.835")
    assert admin.claims.get(v.id).status == "paid"
    assert v.encounter_id not in [e[0] for e in admin.claims.billable_encounters()]
    assert v.encounter_id is not None
    with pytest.raises(UserError, match="already on a claim"):
        admin.claims.create_primary(v.encounter_id)


def test_a_crossover_moves_pr_to_the_secondary_without_building_a_claim(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path, secondary=True)
    (office,) = v.lines
    data = era(clp(v, "19", "60.00", svc(office, "60.00",
                                         ("CO", "45", str(office.charge - 80)),
                                         ("PR", "2", "20.00")),
                   crossover_name="BRAVO CARE", crossover_id="BRAVO"))
    r = admin.remittances.import_835(data, "acme.835").checks[0].posted
    assert r is not None and r.crossovers == 1 and r.secondary_claims == []
    assert buckets(admin, v) == {f"payer {c.other_payer_id}": D("20.00")}
    with admin.db.session() as s:
        assert s.scalars(select(PostedClaim.crossover_name)).one() == "BRAVO CARE"


def test_the_secondary_payer_paying_on_the_primary_claim_number_posts_to_its_coverage(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    """Medigap after a Medicare crossover: the second payer's 835 names our primary claim
    (CLP01) but the money is that payer's, and its PR goes on to the patient."""
    v = sent(admin, c, 1, "99213", tmp=tmp_path, secondary=True)
    (office,) = v.lines
    primary = era(clp(v, "19", "60.00", svc(office, "60.00",
                                            ("CO", "45", str(office.charge - 80)),
                                            ("PR", "2", "20.00")),
                      crossover_name="BRAVO CARE", crossover_id="BRAVO"))
    admin.remittances.import_835(primary, "acme.835")
    assert buckets(admin, v) == {f"payer {c.other_payer_id}": D("20.00")}
    paid = clp(v, "2", "15.00", svc(office, "15.00", ("OA", "23", str(office.charge - 20)),
                                    ("PR", "2", "5.00")), payer_number="BRAVO77")
    bravo = era(paid, trace="BRAVO1").decode().replace("ACME1", "BRAVO")
    r = admin.remittances.import_835(bravo.encode(), "bravo.835").checks[0].posted
    assert r is not None and (r.paid, r.to_patient, r.adjusted) == (
        D("15.00"), D("5.00"), D("0.00"))
    assert r.secondary_claims == []
    assert buckets(admin, v) == {"patient": D("5.00")}
    after = admin.claims.get(v.id)
    assert (after.status, after.payer_claim_number) == ("paid", "PCN1")  # the primary's own
    assert "paid $15.00 on this claim as the next payer" in after.history[-1].detail


# --- checks that are refused, exceptions, PLB ------------------------------------------------
def test_an_unbalanced_check_is_refused_with_the_figures_unless_an_admin_gives_a_reason(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    data = era(clp(v, "1", str(office.charge), svc(office, str(office.charge))),
               total="1.00")
    with pytest.raises(UserError, match=r"nothing was changed[\s\S]*1\.00"):
        admin.remittances.import_835(data, "bad.835")
    assert count(admin, PostedRemittance) == 0 and buckets(admin, v) == {
        f"payer {c.payer_id}": office.charge}
    summary = admin.remittances.import_835(data, "bad.835", "Bank statement shows the full "
                                                            "amount; payer's BPR typo.")
    assert summary.posted and buckets(admin, v) == {}
    with admin.db.session() as s:
        assert "typo" in s.scalars(select(PostedRemittance.unbalanced_reason)).one()


def test_the_same_check_twice_is_refused(admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    data = era(clp(v, "1", "10.00", svc(office, "10.00",
                                        ("CO", "45", str(office.charge - 10)))))
    admin.remittances.import_835(data, "a.835")
    with pytest.raises(UserError, match="already posted"):
        admin.remittances.import_835(data, "a-again.835")
    assert count(admin, PostedRemittance) == 1


def test_unmatched_claims_and_lines_are_exceptions_and_the_rest_posts(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    stranger = Svc(qualifier="HC", code="99499", charge=D("50.00"), paid=D("50.00"),
                   dos_from=DOS)
    ours = replace(clp(v, "1", str(office.charge + 50), svc(office, str(office.charge)),
                       stranger), charge=v.total + 50)
    foreign = ClaimPayment(claim_id="NOTOURS77", status="1", charge=D("40.00"),
                           paid=D("40.00"), patient_responsibility=D(0), filing_indicator="CI",
                           payer_claim_number="X9", services=(replace(stranger, charge=D("40.00"),
                                                              paid=D("40.00")),))
    summary = admin.remittances.import_835(era(ours, foreign), "mixed.835")
    check = summary.checks[0]
    assert (check.matched, check.unmatched) == (1, 1)
    reasons = sorted(e.reason for e in admin.remittances.exceptions())
    assert len(reasons) == 2
    assert any("not one of this clinic's claims" in r for r in reasons)
    assert any("99499" in r for r in reasons)
    assert buckets(admin, v) == {}
    e = admin.remittances.exceptions()[0]
    with pytest.raises(UserError, match="Say what was done"):
        admin.remittances.resolve_exception(e.id, "  ")
    admin.remittances.resolve_exception(e.id, "Returned the money to the payer.")
    assert len(admin.remittances.exceptions()) == 1


def test_provider_level_adjustments_are_kept_with_the_check(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    plb = (ProviderAdjustment(provider_id="1234567893", fiscal_period_end=date(2026, 12, 31),
                              reason="WO", reference="OLDCLAIM9", amount=D("15.00")),
           ProviderAdjustment(provider_id="1234567893", fiscal_period_end=date(2026, 12, 31),
                              reason="L6", reference="INT", amount=D("-2.50")))
    data = era(clp(v, "1", str(office.charge), svc(office, str(office.charge))), plb=plb)
    r = admin.remittances.import_835(data, "plb.835").checks[0].posted
    assert r is not None and r.provider_adjustments == D("12.50")
    assert buckets(admin, v) == {}  # PLB never touches a patient's account


def test_a_malformed_file_names_the_segment_and_changes_nothing(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    text = era(clp(v, "1", "10.00", svc(v.lines[0], "10.00",
                                        ("CO", "45", str(v.lines[0].charge - 10))))).decode()
    broken = text.replace("CLP*", "CLP*", 1).replace("*10*", "*TEN*", 1)
    with pytest.raises(X12Error, match="segment"):
        admin.remittances.import_835(broken.encode(), "broken.835")
    assert count(admin, PostedRemittance) == 0


def test_underpaid_lines_against_the_contract_become_work_items(
        admin: Services, c: Clinic, tmp_path: Path) -> None:
    with admin.db.session() as s:
        s.add(ContractRate(payer_id=c.payer_id, code="99213", allowed=D("90.00"),
                           effective_from=date(2020, 1, 1)))
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    data = era(clp(v, "1", "64.00", svc(office, "64.00", ("CO", "45", str(office.charge - 80)),
                                        ("PR", "2", "16.00"), allowed="80.00")))
    r = admin.remittances.import_835(data, "acme.835").checks[0].posted
    assert r is not None and r.underpayments == 1
    with admin.db.session() as s:
        item = s.scalars(select(WorkItem).where(WorkItem.reason == "underpaid")).one()
    assert "$90.00" in item.detail and "$80.00" in item.detail and "$64.00" in item.detail


def test_within_tolerance_is_not_an_underpayment(admin: Services, c: Clinic,
                                                 tmp_path: Path) -> None:
    with admin.db.session() as s:
        s.add(ContractRate(payer_id=c.payer_id, code="99213", allowed=D("80.50"),
                           effective_from=date(2020, 1, 1)))
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    data = era(clp(v, "1", "80.00", svc(office, "80.00", ("CO", "45", str(office.charge - 80)),
                                        allowed="80.00")))
    assert admin.remittances.import_835(data, "a.835").checks[0].posted.underpayments == 0  # type: ignore[union-attr]


def test_a_biller_posts_but_only_an_admin_overrides(admin: Services, c: Clinic,
                                                    tmp_path: Path) -> None:
    from tests.unit.test_coding import sign_in_as

    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    data = era(clp(v, "1", "10.00", svc(v.lines[0], "10.00")), total="5.00")
    sign_in_as(admin, "biller")
    with pytest.raises(PermissionDenied):
        admin.remittances.import_835(data, "a.835", "a reason")
    sign_in_as(admin, "front_desk")
    with pytest.raises(PermissionDenied):
        admin.remittances.plan(data, "a.835")


# --- the command ------------------------------------------------------------------------------
def test_era_import_command_dry_run_then_post_as_json(
        admin: Services, c: Clinic, tmp_path: Path, cli_env: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main
    from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE

    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    (office,) = v.lines
    f = tmp_path / "acme.835"
    f.write_bytes(era(clp(v, "1", "60.00", svc(office, "60.00",
                                               ("CO", "45", str(office.charge - 80)),
                                               ("PR", "2", "20.00")))))
    db = str(admin.db.path)
    admin.db.close()
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    db_args = ["--db", db, "--user", ADMIN]
    assert main([*db_args, "era", "import", str(f), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and "CHK100" in out and "1 matched" in out
    assert main([*db_args, "era", "import", str(f), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    check = doc["checks"][0]
    assert (doc["posted"], check["trace_number"], check["total_paid"]) == (True, "CHK100",
                                                                          "60.00")
    assert (check["matched"], check["posted"]["to_patient"]) == (1, "20.00")
    assert main([*db_args, "era", "import", str(f)]) == 1
    assert "already posted" in capsys.readouterr().err


def test_claim_status_counts_include_paid_and_denied(admin: Services, c: Clinic,
                                                     tmp_path: Path) -> None:
    v = sent(admin, c, 1, "99213", tmp=tmp_path)
    data = era(clp(v, "1", "10.00", svc(v.lines[0], "10.00",
                                        ("CO", "45", str(v.lines[0].charge - 10)))))
    admin.remittances.import_835(data, "a.835")
    with admin.db.session() as s:
        assert s.get(Claim, v.id).adjudicated_on == date(2026, 11, 20)  # type: ignore[union-attr]
    assert count(admin, RemitException) == 0
