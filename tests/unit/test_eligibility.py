"""Verifications by phone or portal (app.services.eligibility): kept with who did them,
checked before anything is written, read back with their benefit lines, audited, and the
warnings follow the latest one. Work items open and close."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDenied, UserError, ValidationError
from app.models import AuditEvent, Benefit, EligibilityCheck
from app.services import Services
from app.services.coverage import CoverageData
from app.services.eligibility import BenefitData, CheckData, raise_work_item
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user
from tests.unit.test_coding import new_patient

TODAY = date.today()
PHONE_CALL = CheckData(
    coverage_id=0, checked_on=TODAY, method="phone", active=True, representative="Dana",
    reference="REF-1", plan_begin=date(TODAY.year, 1, 1), plan_end=date(TODAY.year, 12, 31),
    deductible_total=Decimal("1500.00"), deductible_met=Decimal("300.00"),
    oop_total=Decimal("5000.00"), oop_met=Decimal("800.00"), prior_auth_required=False,
    visit_limit=20, visits_used=3, notes="Called about the visit",
    benefits=(BenefitData("B", "98", amount=Decimal("25.00"), in_network="Y"),
              BenefitData("A", "30", percent=Decimal(20), in_network="Y"),
              BenefitData("A", "30", percent=Decimal(40), in_network="N")))


@pytest.fixture
def pid(admin: Services) -> int:
    return new_patient(admin, 1)


@pytest.fixture
def cid(admin: Services, payers: dict[str, int], pid: int) -> int:
    row = admin.coverage.save(CoverageData(pid, payers["ACME1"], "W1", date(2020, 1, 1)))
    assert row.data.id is not None
    return row.data.id


def test_a_phone_verification_is_kept_with_its_benefits(admin: Services, pid: int,
                                                        cid: int) -> None:
    saved = admin.eligibility.record_check(replace(PHONE_CALL, coverage_id=cid))
    assert (saved.row.status, saved.row.checked_by, saved.row.payer_name) == (
        "Active", ADMIN, "Acme Health")
    again = admin.eligibility.check(saved.row.id)
    assert again.data == replace(PHONE_CALL, coverage_id=cid)
    assert [r.id for r in admin.eligibility.checks(pid)] == [saved.row.id]
    latest = admin.eligibility.latest(cid)
    assert latest is not None and latest.row.id == saved.row.id
    assert admin.coverage.warnings(pid, TODAY) == []


def test_every_check_is_kept_and_the_newest_wins(admin: Services, pid: int, cid: int) -> None:
    old = admin.eligibility.record_check(replace(PHONE_CALL, coverage_id=cid,
                                                 checked_on=TODAY - timedelta(days=3)))
    new = admin.eligibility.record_check(replace(PHONE_CALL, coverage_id=cid, method="portal",
                                                 active=False, representative=""))
    assert [r.id for r in admin.eligibility.checks(pid)] == [new.row.id, old.row.id]
    assert [w.kind for w in admin.coverage.warnings(pid, TODAY)] == ["inactive"]
    assert new.row.status == "Inactive"


@pytest.mark.parametrize(("change", "field"), [
    ({"method": "fax"}, "method"),
    ({"checked_on": TODAY + timedelta(days=1)}, "checked_on"),
    ({"representative": " "}, "representative"),
    ({"active": None}, "active"),
    ({"plan_end": date(2000, 1, 1)}, "plan_end"),
    ({"deductible_met": Decimal("1600.00")}, "deductible_met"),
    ({"oop_total": Decimal("1.001")}, "oop_total"),
    ({"family_oop_met": Decimal("-1")}, "family_oop_met"),
    ({"family_deductible_total": 100.0}, "family_deductible_total"),
    ({"visits_used": 21}, "visits_used"),
    ({"visit_limit": -1}, "visit_limit"),
    ({"benefits": (BenefitData("B", "98"),)}, "benefit 1"),
    ({"benefits": (BenefitData("A", "30"),)}, "benefit 1"),
    ({"benefits": (BenefitData("A", "30", percent=Decimal(120)),)}, "benefit 1"),
    ({"benefits": (BenefitData("B", "98", amount=Decimal(5), in_network="Q"),)}, "benefit 1"),
])
def test_bad_verification_is_refused_and_nothing_written(
        admin: Services, cid: int, change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        admin.eligibility.record_check(replace(PHONE_CALL, coverage_id=cid, **change))  # type: ignore[arg-type]
    assert field in err.value.problems
    with admin.db.session() as s:
        assert s.scalar(select(func.count(EligibilityCheck.id))) == 0
        assert s.scalar(select(func.count(Benefit.id))) == 0


def test_a_missing_coverage_is_a_clear_error(admin: Services) -> None:
    with pytest.raises(UserError, match="no longer exists"):
        admin.eligibility.record_check(replace(PHONE_CALL, coverage_id=999))
    with pytest.raises(UserError, match="no longer exists"):
        admin.eligibility.check(999)


def test_recording_and_reading_are_audited_without_what_was_said(
        admin: Services, pid: int, cid: int) -> None:
    saved = admin.eligibility.record_check(replace(PHONE_CALL, coverage_id=cid))
    admin.eligibility.check(saved.row.id)
    admin.eligibility.checks(pid)
    with admin.db.session() as s:
        evs = list(s.scalars(select(AuditEvent).where(AuditEvent.action.like("eligibility.%"))
                             .order_by(AuditEvent.seq)))
    assert [e.action for e in evs] == ["eligibility.record", "eligibility.view",
                                       "eligibility.list"]
    assert all(e.patient_id == pid for e in evs)
    assert json.loads(evs[0].details) == {"method": "phone", "benefits": 3}
    assert "Dana" not in "".join(e.details for e in evs)


def test_coders_may_read_but_not_record(admin: Services, pid: int, cid: int) -> None:
    saved = admin.eligibility.record_check(replace(PHONE_CALL, coverage_id=cid))
    admin.users.sign_in(ADMIN, ADMIN_PASSWORD)
    admin.users.sign_in("coder1", add_user(admin, "coder1", "coder"))
    assert admin.eligibility.check(saved.row.id).row.id == saved.row.id
    with pytest.raises(PermissionDenied):
        admin.eligibility.record_check(replace(PHONE_CALL, coverage_id=cid))


def test_work_items_open_once_per_cause_and_close(admin: Services, pid: int, cid: int) -> None:
    user = admin.ctx.require_signed_in()
    with admin.db.session() as s:
        for _ in range(2):
            raise_work_item(s, user, patient_id=pid, coverage_id=cid, source="eligibility_check",
                            source_id=7, reason="271_rejected", detail="Member ID not found")
    (item,) = admin.eligibility.work_items()
    assert (item.reason, item.state, item.patient_id) == ("271_rejected", "open", pid)
    done = admin.eligibility.close_work_item(item.id, "Called the patient; new card")
    assert (done.state, done.note) == ("done", "Called the patient; new card")
    assert admin.eligibility.work_items() == []
    assert [w.id for w in admin.eligibility.work_items(open_only=False)] == [item.id]
    with pytest.raises(UserError, match="already done"):
        admin.eligibility.close_work_item(item.id)
