"""A claim from the database as the plain `ClaimDocument` the 1500 and 837P codecs take, and
the JSON snapshot kept of each claim a submission sends."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formats import claim_data as cd
from app.models import (
    ClaimPayment,
    Coverage,
    Facility,
    LinePayment,
    Patient,
    Payer,
    Practice,
    Provider,
    RemitAdjustment,
    Remittance,
    ServiceLine,
)
from app.models.claims import Claim
from app.services.claims import claim_lines, claim_number, diagnoses_of, split_modifiers
from app.services.coverage import SELF, ranked_on

LETTERS = "ABCDEFGHIJKL"


def _address(line1: str, line2: str, city: str, state: str, zip_: str) -> cd.Address | None:
    if not (line1 or city or zip_):
        return None
    return cd.Address(line1, city, state, zip_, line2)


def _patient(p: Patient) -> cd.Person:
    return cd.Person(cd.PersonName(p.last_name, p.first_name, p.middle_name), p.dob, p.sex,
                     _address(p.address1, p.address2, p.city, p.state, p.zip), p.phone)


def _subscriber(c: Coverage, p: Patient) -> cd.Person:
    if c.relationship == SELF:
        return _patient(p)
    return cd.Person(cd.PersonName(c.subscriber_last_name, c.subscriber_first_name,
                                   c.subscriber_middle_name),
                     c.subscriber_dob, c.subscriber_sex or "U",
                     _address(c.subscriber_address1, c.subscriber_address2, c.subscriber_city,
                              c.subscriber_state, c.subscriber_zip))


def _provider(v: Provider | None) -> cd.Provider | None:
    if v is None:
        return None
    return cd.Provider(cd.PersonName(v.last_name, v.first_name), v.npi, v.taxonomy,
                       v.credential)


def _billing(pr: Practice | None) -> cd.BillingProvider:
    if pr is None:
        return cd.BillingProvider("", "", "", "", cd.Address("", "", "", ""), "")
    return cd.BillingProvider(pr.name, pr.npi, pr.ein, pr.taxonomy,
                              cd.Address(pr.address1, pr.city, pr.state, pr.zip, pr.address2),
                              pr.phone)


def _facility(f: Facility | None, billing: cd.BillingProvider) -> cd.Facility | None:
    if f is None:
        return None
    address = cd.Address(f.address1, f.city, f.state, f.zip, f.address2)
    same = (address.line1.upper(), address.zip[:5]) == (billing.address.line1.upper(),
                                                        billing.address.zip[:5])
    return None if same else cd.Facility(f.name, address, f.npi)


def _payer(y: Payer) -> cd.PayerInfo:
    return cd.PayerInfo(y.name, y.payer_id, y.claim_filing_indicator,
                        _address(y.address1, y.address2, y.city, y.state, y.zip))


def _other_coverage(s: Session, c: Claim, p: Patient, on: date) -> cd.OtherCoverage | None:
    for cov, _rank in ranked_on(s, c.patient_id, on):
        if cov.id == c.coverage_id:
            continue
        payer = s.get(Payer, cov.payer_id)
        who = _subscriber(cov, p).name
        return cd.OtherCoverage(who, cov.group_number or cov.member_id,
                                cov.plan_name or (payer.name if payer else ""),
                                payer.name if payer else "")
    return None


SEQUENCE_LETTERS = {1: "P", 2: "S", 3: "T"}
MEDICARE = ("MA", "MB")


def _latest_payment(s: Session, c: Claim, cov: Coverage) -> ClaimPayment | None:
    """The payment the other coverage made (not taken back) on a claim billing the same
    charge lines as `c`, latest first."""
    ours = select(ServiceLine.charge_line_id).where(ServiceLine.claim_id == c.id)
    theirs = (select(ServiceLine.claim_id).join(Claim, Claim.id == ServiceLine.claim_id)
              .where(Claim.coverage_id == cov.id, ServiceLine.charge_line_id.in_(ours)))
    return s.scalars(select(ClaimPayment).where(
        ClaimPayment.claim_id.in_(theirs), ClaimPayment.reversed.is_(False),
        ClaimPayment.status_code != "22").order_by(ClaimPayment.id.desc())).first()


def _adjustments(rows: list[RemitAdjustment]) -> tuple[cd.PriorAdjustment, ...]:
    return tuple(cd.PriorAdjustment(a.group_code, a.reason_code, a.amount, a.quantity)
                 for a in rows)


def _prior_lines(s: Session, c: Claim, cp: ClaimPayment, paid_on: date
                 ) -> tuple[tuple[cd.PriorLinePayment, ...], Decimal]:
    """The other payer's 2430s for our lines (its line payments on the same charge
    lines), and what it paid on them."""
    line_no = {sl.charge_line_id: (sl.line_no, sl.units) for sl in claim_lines(s, c.id)}
    out: list[cd.PriorLinePayment] = []
    paid = Decimal("0.00")
    q = (select(LinePayment, ServiceLine.charge_line_id)
         .join(ServiceLine, ServiceLine.id == LinePayment.service_line_id)
         .where(LinePayment.claim_payment_id == cp.id).order_by(LinePayment.id))
    for lp, charge_line_id in s.execute(q):
        if charge_line_id not in line_no:
            continue
        n, units = line_no[charge_line_id]
        adj = list(s.scalars(select(RemitAdjustment).where(
            RemitAdjustment.line_payment_id == lp.id).order_by(RemitAdjustment.id)))
        out.append(cd.PriorLinePayment(n, lp.paid, lp.code, split_modifiers(lp.modifiers),
                                       lp.units if lp.units is not None else units,
                                       _adjustments(adj), paid_on))
        paid += lp.paid
    return tuple(sorted(out, key=lambda ln: ln.line_no)), paid


def _other_payer(s: Session, c: Claim, p: Patient, cov: Coverage, rank: int,
                 adjudicated: bool, msp_type: str) -> cd.OtherPayer:
    payer = s.get(Payer, cov.payer_id)
    assert payer is not None
    sub = _subscriber(cov, p)
    cp = _latest_payment(s, c, cov) if adjudicated else None
    paid: Decimal | None = None
    lines: tuple[cd.PriorLinePayment, ...] = ()
    claim_adj: tuple[cd.PriorAdjustment, ...] = ()
    paid_on: date | None = None
    if cp is not None:
        remit = s.get(Remittance, cp.remittance_id)
        paid_on = (remit.paid_on if remit and remit.paid_on else
                   remit.posted_at.date() if remit else None)
        lines, paid = _prior_lines(s, c, cp, paid_on or date.today())
        claim_adj = _adjustments(list(s.scalars(select(RemitAdjustment).where(
            RemitAdjustment.claim_payment_id == cp.id,
            RemitAdjustment.line_payment_id.is_(None)).order_by(RemitAdjustment.id))))
        if not lines:  # adjudicated at claim level only
            paid = cp.paid
    return cd.OtherPayer(
        sequence=SEQUENCE_LETTERS.get(rank, "T"), relationship=cov.relationship,
        group_number=cov.group_number, plan_name=cov.plan_name or payer.name,
        filing_indicator=payer.claim_filing_indicator, insured=sub.name,
        member_id=cov.member_id, insured_address=sub.address, payer_name=payer.name,
        payer_id=payer.payer_id, paid=paid, claim_adjustments=claim_adj, lines=lines,
        paid_on=paid_on, payer_claim_number=cp.payer_claim_number if cp else "",
        benefits_assigned=bool(cov.assignment_on_file),
        release_of_information=bool(cov.release_on_file),
        insurance_type=msp_type if rank > 1 and payer.claim_filing_indicator in MEDICARE
        else "")


def _other_payers(s: Session, c: Claim, p: Patient, on: date) -> tuple[cd.OtherPayer, ...]:
    """837P 2320/2330 for every other coverage in force on the date of service; those ranked
    before this claim's carry what they paid (2320 AMT*D, CAS, 2430) from their remittance."""
    ranked = ranked_on(s, c.patient_id, on)
    mine = next((r for cov, r in ranked if cov.id == c.coverage_id), 1)
    msp = next((cov.msp_type for cov, r in ranked if r == 1), "")
    return tuple(_other_payer(s, c, p, cov, r, r < mine, msp)
                 for cov, r in ranked if cov.id != c.coverage_id)


def _insurance_type(s: Session, c: Claim, y: Payer, on: date) -> str:
    """2000B SBR05 for a claim to Medicare that is not primary: the Medicare secondary payer
    type recorded on the plan that pays first."""
    if c.sequence == "P" or y.claim_filing_indicator not in MEDICARE:
        return ""
    first = next((cov for cov, r in ranked_on(s, c.patient_id, on) if r == 1), None)
    return first.msp_type if first is not None else ""


def _lines(s: Session, c: Claim) -> tuple[cd.ServiceLine, ...]:
    return tuple(
        cd.ServiceLine(ln.line_no, ln.dos, ln.dos, ln.pos, ln.code, split_modifiers(ln.modifiers),
                       tuple(LETTERS.index(ch) + 1 for ch in ln.pointers), ln.units, ln.charge,
                       ln.control_number, ndc=ln.ndc, ndc_unit=ln.ndc_unit,
                       ndc_quantity=ln.ndc_quantity)
        for ln in claim_lines(s, c.id))


def document(s: Session, c: Claim) -> cd.ClaimDocument:
    """Everything the paper form and the 837P need for claim `c`, read now."""
    p, y, cov = s.get(Patient, c.patient_id), s.get(Payer, c.payer_id), s.get(Coverage,
                                                                               c.coverage_id)
    assert p is not None and y is not None and cov is not None
    billing = _billing(s.query(Practice).first())
    lines = _lines(s, c)
    first = min((ln.dos_from for ln in lines), default=date.today())
    get = s.get
    return cd.ClaimDocument(
        claim_id=claim_number(c), account_number=p.mrn, frequency=c.frequency,
        billing=billing, payer=_payer(y), subscriber=_subscriber(cov, p),
        member_id=cov.member_id, group_number=cov.group_number, plan_name=cov.plan_name,
        relationship=cov.relationship, patient=_patient(p), sequence=c.sequence,
        diagnoses=tuple(diagnoses_of(c)), lines=lines,
        rendering=_provider(get(Provider, c.rendering_provider_id)
                            if c.rendering_provider_id else None),
        facility=_facility(get(Facility, c.facility_id) if c.facility_id else None, billing),
        referring=_provider(get(Provider, c.referring_provider_id)
                            if c.referring_provider_id else None),
        referring_qualifier=c.referring_qualifier,
        original_claim_number=c.original_claim_number,
        prior_authorization=c.prior_authorization, onset_date=c.onset_date,
        other_date_qualifier=c.other_date_qualifier, other_date=c.other_date,
        employment_related=c.employment_related, auto_accident=c.auto_accident,
        auto_accident_state=c.auto_accident_state, other_accident=c.other_accident,
        accident_date=c.accident_date, unable_to_work_from=c.unable_to_work_from,
        unable_to_work_to=c.unable_to_work_to, hospitalized_from=c.hospitalized_from,
        hospitalized_to=c.hospitalized_to, note=c.note, patient_paid=c.patient_paid,
        accept_assignment=c.accept_assignment, benefits_assigned=c.benefits_assigned,
        release_of_information=c.release_of_information,
        other_coverage=_other_coverage(s, c, p, first),
        other_payers=_other_payers(s, c, p, first), insurance_type=_insurance_type(s, c, y, first))


def _plain(value: Any) -> Any:
    if isinstance(value, (date, Decimal)):
        return str(value)
    raise TypeError(type(value).__name__)


def snapshot(doc: cd.ClaimDocument) -> bytes:
    """The document as JSON bytes, as kept with a submission."""
    return json.dumps(asdict(doc), default=_plain, sort_keys=True).encode("utf-8")
