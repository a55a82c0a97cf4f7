"""The claim scrubber (app.services.scrubber): each rule fires on the fault it looks for and
stays quiet on a clean claim, and names the place to fix it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import Coverage, EligibilityCheck, Patient, Payer, Practice, Setting
from app.models.claims import SUBMITTED, Claim, ServiceLine
from app.services import Services
from app.services.claims import ClaimView, add_event
from app.services.coding import LineDraft
from app.services.scrubber import ScrubIssue
from tests.conftest import ADMIN
from tests.unit.claim_fixtures import DOS, Clinic, clinic, coded_visit, cover, patient


@pytest.fixture
def c(admin: Services) -> Clinic:
    return clinic(admin)


@pytest.fixture
def pid(admin: Services, c: Clinic) -> int:
    p = patient(admin, 1)
    cover(admin, p, c.payer_id)
    return p


@pytest.fixture
def claim(admin: Services, c: Clinic, pid: int) -> ClaimView:
    return admin.claims.create_primary(coded_visit(admin, pid, c))


def codes(issues: list[ScrubIssue], severity: str = "error") -> set[str]:
    return {i.code for i in issues if i.severity == severity}


def change(sv: Services, model: type, row_id: int, fn: Callable[[object], None]) -> None:
    with sv.db.session() as s:
        row = s.get(model, row_id)
        assert row is not None
        fn(row)


def test_a_complete_claim_has_no_error_and_no_warning(admin: Services,
                                                      claim: ClaimView) -> None:
    assert admin.claims.scrub(claim.id) == []


def test_billing_provider_faults_point_at_the_practice(admin: Services,
                                                       claim: ClaimView) -> None:
    def spoil(p: object) -> None:
        assert isinstance(p, Practice)
        p.npi, p.zip, p.taxonomy, p.ein = "1234567890", "62701", "", "12"
    change(admin, Practice, 1, spoil)
    issues = admin.claims.scrub(claim.id)
    assert codes(issues) >= {"practice_npi", "practice_zip", "practice_taxonomy",
                             "practice_ein"}
    assert {i.fix.kind for i in issues if i.code.startswith("practice")} == {"practice"}
    zip_issue = next(i for i in issues if i.code == "practice_zip")
    assert "ZIP+4" in zip_issue.message


def test_payer_id_matters_electronically_and_the_address_on_paper(
        admin: Services, c: Clinic, claim: ClaimView) -> None:
    def spoil(y: object) -> None:
        assert isinstance(y, Payer)
        y.payer_id, y.address1 = "", ""
    change(admin, Payer, c.payer_id, spoil)
    assert "payer_id" in codes(admin.claims.scrub(claim.id))
    assert "payer_address" not in codes(admin.claims.scrub(claim.id))
    paper = admin.claims.update(claim.id, claim.version,
                                _header(claim, method="paper"))
    found = admin.claims.scrub(paper.id)
    assert "payer_address" in codes(found) and "payer_id" not in codes(found)
    assert next(i for i in found if i.code == "payer_address").fix.target_id == c.payer_id


def _header(v: ClaimView, **kw: object):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(v.header, **kw)


def test_patient_and_subscriber_demographics(admin: Services, c: Clinic, pid: int,
                                             claim: ClaimView) -> None:
    def spoil(p: object) -> None:
        assert isinstance(p, Patient)
        p.address1, p.sex = "", "U"
    change(admin, Patient, pid, spoil)
    issues = admin.claims.scrub(claim.id)
    found = next(i for i in issues if i.code == "patient_demographics")
    assert "sex" in found.message and "street address" in found.message
    assert (found.fix.kind, found.fix.target_id) == ("patient", pid)

    def child(cov: object) -> None:
        assert isinstance(cov, Coverage)
        cov.relationship, cov.subscriber_last_name, cov.subscriber_first_name = "19", "Doe", ""
    change(admin, Coverage, claim.coverage_id, child)
    found = next(i for i in admin.claims.scrub(claim.id)
                 if i.code == "subscriber_demographics")
    assert found.fix == found.fix.__class__("coverage", claim.coverage_id)
    assert "full name" in found.message and "date of birth" in found.message


def test_more_than_12_diagnoses_or_50_lines_blocks(admin: Services, claim: ClaimView) -> None:
    def many(row: object) -> None:
        assert isinstance(row, Claim)
        row.diagnoses = ",".join(["E119", "I10"] * 7)
    change(admin, Claim, claim.id, many)
    with admin.db.session() as s:
        first = s.scalar(select(ServiceLine).where(ServiceLine.claim_id == claim.id))
        assert first is not None
        for n in range(2, 52):
            s.add(ServiceLine(claim_id=claim.id, charge_line_id=first.charge_line_id, line_no=n,
                            dos=first.dos, pos="11", code="36415", pointers="A",
                            units=Decimal(1), charge=Decimal("12.00"),
                            control_number=f"X{n}"))
    found = codes(admin.claims.scrub(claim.id))
    assert {"too_many_diagnoses", "too_many_lines"} <= found


def test_code_edits_are_rerun_on_the_claims_lines(admin: Services, c: Clinic,
                                                  pid: int) -> None:
    # N40.0 is a male-only diagnosis; the patient is female
    v = admin.claims.create_primary(coded_visit(admin, pid, c,
                                                LineDraft("99213", pointers="A"),
                                                dx=("N40.0",)))
    issues = admin.claims.scrub(v.id)
    edit = next(i for i in issues if i.code == "code_edit")
    assert edit.blocking and edit.fix.kind == "coding" and edit.fix.target_id == v.encounter_id


def test_coverage_must_be_in_force_and_verified(admin: Services, claim: ClaimView) -> None:
    with admin.db.session() as s:
        for ck in s.scalars(select(EligibilityCheck)):
            s.delete(ck)
    issues = admin.claims.scrub(claim.id)
    assert "coverage_unverified" in codes(issues, "warning")
    assert not codes(issues)

    def ended(cov: object) -> None:
        assert isinstance(cov, Coverage)
        cov.effective_to = DOS - timedelta(days=1)
    change(admin, Coverage, claim.coverage_id, ended)
    assert "coverage_not_in_force" in codes(admin.claims.scrub(claim.id))


def test_timely_filing_warns_then_blocks(admin: Services, c: Clinic, claim: ClaimView) -> None:
    def days(n: int) -> Callable[[object], None]:
        def set_(y: object) -> None:
            assert isinstance(y, Payer)
            y.timely_filing_days = n
        return set_
    change(admin, Payer, c.payer_id, days(30))
    issues = admin.claims.scrub(claim.id)
    warn = next(i for i in issues if i.code == "timely_filing")
    assert warn.severity == "warning" and "20 day(s) left" in warn.message
    change(admin, Payer, c.payer_id, days(9))
    block = next(i for i in admin.claims.scrub(claim.id) if i.code == "timely_filing")
    assert block.blocking and "Past Acme Health's timely filing limit" in block.message


def test_a_line_already_sent_to_the_payer_is_a_duplicate(admin: Services, c: Clinic,
                                                         pid: int, claim: ClaimView) -> None:
    with admin.db.session() as s:
        row = s.get(Claim, claim.id)
        assert row is not None
        add_event(s, row, SUBMITTED, ADMIN)
    again = admin.claims.create_primary(coded_visit(admin, pid, c))  # same DOS and code
    issues = admin.claims.scrub(again.id)
    dup = next(i for i in issues if i.code == "duplicate")
    assert dup.blocking and f"claim {claim.id}" in dup.message
    assert "duplicate" not in codes(admin.claims.scrub(claim.id))


def test_signatures_on_file_must_agree_with_the_claim(admin: Services,
                                                      claim: ClaimView) -> None:
    def unsigned(cov: object) -> None:
        assert isinstance(cov, Coverage)
        cov.assignment_on_file, cov.release_on_file = False, False
    change(admin, Coverage, claim.coverage_id, unsigned)
    issues = admin.claims.scrub(claim.id)
    assert "assignment" in codes(issues) and "release" in codes(issues, "warning")
    v = admin.claims.get(claim.id)
    fixed = admin.claims.update(v.id, v.version, _header(v, benefits_assigned=False,
                                                         accept_assignment=False))
    assert "assignment" not in codes(admin.claims.scrub(fixed.id))


def test_electronic_claims_need_the_clearinghouse_settings(admin: Services,
                                                          claim: ClaimView) -> None:
    with admin.db.session() as s:
        s.execute(Setting.__table__.delete().where(Setting.key.like("edi_%")))
    found = next(i for i in admin.claims.scrub(claim.id) if i.code == "edi_settings")
    assert found.fix.kind == "settings" and "submitter ID" in found.message
    paper = admin.claims.update(claim.id, claim.version, _header(claim, method="paper"))
    assert "edi_settings" not in codes(admin.claims.scrub(paper.id))


def test_amounts_the_paper_form_cannot_print_block_paper_claims_only(
        admin: Services, claim: ClaimView) -> None:
    with admin.db.session() as s:
        line = s.scalar(select(ServiceLine).where(ServiceLine.claim_id == claim.id))
        assert line is not None
        line.charge = Decimal("123456.00")
    assert "paper_amount" not in codes(admin.claims.scrub(claim.id))
    v = admin.claims.get(claim.id)
    admin.claims.update(v.id, v.version, _header(v, method="paper"))
    found = [i for i in admin.claims.scrub(claim.id) if i.code == "paper_amount"]
    assert len(found) == 2 and "box 24F" in found[0].message


def test_rebilling_after_a_void_is_not_a_duplicate(admin: Services, c: Clinic, pid: int,
                                                   claim: ClaimView) -> None:
    with admin.db.session() as s:
        row = s.get(Claim, claim.id)
        assert row is not None
        add_event(s, row, SUBMITTED, ADMIN)
        row.payer_claim_number = "PCN1"
    void = admin.claims.new_version(claim.id, "8")
    assert not [i for i in admin.claims.scrub(void.id) if i.blocking]
    with admin.db.session() as s:
        v, old = s.get(Claim, void.id), s.get(Claim, claim.id)
        assert v is not None and old is not None
        add_event(s, v, SUBMITTED, ADMIN)
        add_event(s, old, "voided", ADMIN)
    again = admin.claims.create_primary(claim.encounter_id or 0)
    assert "duplicate" not in codes(admin.claims.scrub(again.id))


def test_secondary_claims_are_held_until_remittances_exist(admin: Services, c: Clinic,
                                                           pid: int) -> None:
    cover(admin, pid, c.other_payer_id)  # second in the order
    eid = coded_visit(admin, pid, c)
    second = admin.claims.create(eid, rank=2)
    assert second.sequence == "S"
    assert "secondary" in codes(admin.claims.scrub(second.id))
    first = admin.claims.create(eid, rank=1)
    assert "secondary" not in codes(admin.claims.scrub(first.id))


def test_provider_facility_pointer_and_coding_rules(admin: Services, c: Clinic,
                                                    claim: ClaimView) -> None:
    from app.models import Encounter, Facility, Provider

    def bad_npi(v: object) -> None:
        assert isinstance(v, Provider)
        v.npi = "1234567890"
    change(admin, Provider, c.provider_id, bad_npi)

    def no_street(fac: object) -> None:
        assert isinstance(fac, Facility)
        fac.address1 = ""
    change(admin, Facility, c.facility_id, no_street)
    with admin.db.session() as s:
        line = s.scalar(select(ServiceLine).where(ServiceLine.claim_id == claim.id))
        assert line is not None
        line.pointers = "E"
        enc = s.get(Encounter, claim.encounter_id)
        assert enc is not None
        enc.coding_status = "uncoded"
    found = codes(admin.claims.scrub(claim.id))
    assert {"rendering_npi", "facility_address", "bad_pointer", "uncoded"} <= found
    with admin.db.session() as s:
        line = s.scalar(select(ServiceLine).where(ServiceLine.claim_id == claim.id))
        assert line is not None
        line.pointers = ""
    assert "no_pointer" in codes(admin.claims.scrub(claim.id))


def test_exactly_12_diagnoses_and_50_lines_pass(admin: Services, claim: ClaimView) -> None:
    with admin.db.session() as s:
        row = s.get(Claim, claim.id)
        assert row is not None
        row.diagnoses = ",".join(["E119", "I10"] * 6)
        first = s.scalar(select(ServiceLine).where(ServiceLine.claim_id == claim.id))
        assert first is not None
        for n in range(2, 51):
            s.add(ServiceLine(claim_id=claim.id, charge_line_id=first.charge_line_id,
                              line_no=n, dos=first.dos, pos="11", code="36415", pointers="A",
                              units=Decimal(1), charge=Decimal("12.00"),
                              control_number=f"X{n}"))
    found = codes(admin.claims.scrub(claim.id))
    assert not {"too_many_diagnoses", "too_many_lines"} & found
