"""A claim from the database as the plain `ClaimDocument` the 1500 and 837P codecs take, and
the JSON snapshot kept of each claim a submission sends."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.formats import claim_data as cd
from app.models import Coverage, Facility, Patient, Payer, Practice, Provider
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
        other_coverage=_other_coverage(s, c, p, first))


def _plain(value: Any) -> Any:
    if isinstance(value, (date, Decimal)):
        return str(value)
    raise TypeError(type(value).__name__)


def snapshot(doc: cd.ClaimDocument) -> bytes:
    """The document as JSON bytes, as kept with a submission."""
    return json.dumps(asdict(doc), default=_plain, sort_keys=True).encode("utf-8")
