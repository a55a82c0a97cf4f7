"""Estimates from the clinic's own data (app.services.estimates): fees, contract rates on the
date of service, the latest verification of the primary coverage, self-pay without one, bad
input, and the printed PDF read back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import UserError, ValidationError
from app.models import AuditEvent
from app.services import Services
from app.services.coverage import CoverageData
from app.services.eligibility import BenefitData, CheckData
from app.services.estimates import PlannedService
from app.services.fees import ContractRateData
from tests.unit._support import pdf_text
from tests.unit.test_coding import new_patient

DOS = date(2026, 6, 1)


@pytest.fixture
def pid(admin: Services, payers: dict[str, int]) -> int:
    admin.fees.set_fee("99213", "", D("150.00"))
    admin.fees.set_fee("36415", "", D("20.00"))
    admin.fees.set_contract_rate(ContractRateData(payers["ACME1"], "99213", "", D("100.00"),
                                                  date(2026, 1, 1)))
    admin.fees.set_contract_rate(ContractRateData(payers["ACME1"], "99213", "", D("90.00"),
                                                  date(2025, 1, 1), date(2025, 12, 31)))
    return new_patient(admin, 1, last="Estimate", first="Ellen")


def insure(sv: Services, pid: int, payer: int, **check: object) -> None:
    cid = sv.coverage.save(CoverageData(pid, payer, "E1", date(2024, 1, 1))).data.id
    assert cid is not None
    if check:
        sv.eligibility.record_check(CheckData(cid, date(2026, 5, 20), "portal", **check))  # type: ignore[arg-type]


def test_estimate_from_fees_contract_rates_and_the_latest_check(
        admin: Services, payers: dict[str, int], pid: int) -> None:
    insure(admin, pid, payers["ACME1"], active=True, deductible_total=D("500.00"),
           deductible_met=D("450.00"), oop_total=D("3000.00"), oop_met=D("0.00"),
           benefits=(BenefitData("A", "30", percent=D(20), in_network="Y"),
                     BenefitData("A", "30", percent=D(40), in_network="N")))
    r = admin.estimates.estimate(pid, [PlannedService("99213"),
                                       PlannedService("36415", units=D(2))], DOS)
    e = r.estimate
    # 99213: allowed 100 (2026 rate); 50 deductible + 20% of 50 = 60. 36415: no rate, the
    # charge 2 × 20.00 = 40.00 is allowed; 20% = 8.00.
    assert [(ln.code, ln.charge, ln.allowed, ln.patient) for ln in e.lines] == [
        ("99213", D("150.00"), D("100.00"), D("60.00")),
        ("36415", D("40.00"), D("40.00"), D("8.00"))]
    assert (e.patient_total, e.insurer_total, r.payer_name, r.benefits_as_of) == (
        D("68.00"), D("72.00"), "Acme Health", date(2026, 5, 20))
    last_year = admin.estimates.estimate(pid, [PlannedService("99213")], date(2025, 6, 1))
    assert last_year.estimate.lines[0].allowed == D("90.00")


def test_without_coverage_or_verification(admin: Services, payers: dict[str, int],
                                          pid: int) -> None:
    r = admin.estimates.estimate(pid, [PlannedService("99213")], DOS)
    assert (r.payer_name, r.estimate.patient_total) == ("", D("150.00"))
    insure(admin, pid, payers["ACME1"])  # on file, never verified: only its copay is known
    r = admin.estimates.estimate(pid, [PlannedService("99213")], DOS)
    assert (r.payer_name, r.estimate.patient_total, r.benefits_as_of) == (
        "Acme Health", D("0.00"), None)
    assert any("never verified" in n for n in r.estimate.notes)


def test_an_inactive_coverage_is_self_pay(admin: Services, payers: dict[str, int],
                                          pid: int) -> None:
    insure(admin, pid, payers["ACME1"], active=False)
    r = admin.estimates.estimate(pid, [PlannedService("99213")], DOS)
    assert r.estimate.patient_total == D("150.00")
    assert "inactive" in r.estimate.steps[0]


def test_bad_requests_are_refused(admin: Services, pid: int) -> None:
    with pytest.raises(ValidationError) as err:
        admin.estimates.estimate(pid, [PlannedService("99213"), PlannedService("99999")], DOS)
    assert "99999 has no fee" in err.value.problems["line 2"]
    with pytest.raises(ValidationError, match="Units"):
        admin.estimates.estimate(pid, [PlannedService("99213", units=D(0))], DOS)
    with pytest.raises(UserError, match="at least one"):
        admin.estimates.estimate(pid, [], DOS)
    with pytest.raises(UserError, match="no longer exists"):
        admin.estimates.estimate(999, [PlannedService("99213")], DOS)


def test_the_estimate_prints_to_a_pdf_and_is_audited(admin: Services, payers: dict[str, int],
                                                     pid: int, tmp_path: Path) -> None:
    insure(admin, pid, payers["ACME1"], active=True, deductible_total=D("500.00"),
           deductible_met=D("450.00"),
           benefits=(BenefitData("A", "30", percent=D(20), in_network="Y"),))
    r = admin.estimates.estimate(pid, [PlannedService("99213")], DOS)
    out = tmp_path / "estimate.pdf"
    admin.estimates.write_pdf(r, out)
    text = pdf_text(out)
    for expected in ("Estimate of your costs", "Estimate, Ellen", "99213", "150.00",
                     "100.00", "60.00", "40.00", "Your estimated share", "Page 1 of 1",
                     "No Surprises", "05/20/2026"):
        assert expected in text, expected
    with admin.db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action.like("estimate.%")).order_by(AuditEvent.seq))]
    assert actions == ["estimate.view", "estimate.print"]


def test_a_long_estimate_runs_onto_more_pages(admin: Services, pid: int,
                                              tmp_path: Path) -> None:
    r = admin.estimates.estimate(pid, [PlannedService("36415")] * 45, DOS)
    out = tmp_path / "long.pdf"
    admin.estimates.write_pdf(r, out)
    text = pdf_text(out)
    assert "Page 2 of" in text and f"{D('900.00'):,.2f}" in text
