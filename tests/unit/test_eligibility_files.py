"""270 out and 271 in through the service (app.services.eligibility_files): who is asked
about, control numbers kept, the file and its inquiries stored and audited; a 271 becomes
verifications (figures, rejections as work items, differences to accept or reject one by one),
all or nothing, and never twice."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import UserError
from app.formats.x12.segments import X12Error, interchanges
from app.models import (
    AuditEvent,
    DemographicDifference,
    EligibilityCheck,
    EligibilityInquiry,
    X12File,
)
from app.services import Services
from app.services.coverage import CoverageData
from app.services.eligibility import CheckData
from app.services.history import EncounterData
from tests.unit.test_coding import new_patient
from tests.unit.x271_fixtures import ACTIVE, subscriber, wrap

TODAY = date.today()


@pytest.fixture
def clinic(admin: Services, payers: dict[str, int]) -> dict[str, int]:
    """Three patients with visits in 3 days: one never verified, one verified yesterday,
    one a child on a parent's plan; a fourth with a visit in 20 days."""
    ids = {}
    for n, (name, member, rel) in enumerate((("Oneil", "W123", "18"), ("Fresh", "F1", "18"),
                                              ("Child", "D999", "19"), ("Later", "L1", "18")),
                                             start=1):
        pid = new_patient(admin, n, last=name, first="Zoe", sex="F", dob=date(1980, 3, 4))
        extra = {} if rel == "18" else dict(
            subscriber_last_name="Parent", subscriber_first_name="Pat",
            subscriber_dob=date(1970, 1, 1), subscriber_sex="M")
        cov = admin.coverage.save(CoverageData(pid, payers["ACME1"], member, date(2020, 1, 1),
                                               relationship=rel, **extra))  # type: ignore[arg-type]
        visit = TODAY + timedelta(days=20 if name == "Later" else 3)
        admin.history.save(EncounterData(pid, visit, reason="Visit"))
        ids[name], ids[f"{name} coverage"] = pid, cov.data.id or 0
    admin.eligibility.record_check(CheckData(ids["Fresh coverage"], TODAY - timedelta(days=1),
                                             "portal", True))
    return ids


def traces(sv: Services) -> dict[int, str]:
    with sv.db.session() as s:
        return {i.patient_id: i.trace for i in s.scalars(select(EligibilityInquiry))}


def test_export_asks_about_upcoming_visits_not_verified_recently(
        admin: Services, clinic: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "batch.270"
    result = admin.eligibility_files.export_270(out, days=7)
    assert (result.inquiries, result.control_number) == (2, "000000001")
    assert set(traces(admin)) == {clinic["Oneil"], clinic["Child"]}
    (ic,) = interchanges(out.read_bytes(), out.name)
    segs = [[s.id, *s.elements] for s in ic.transactions[0].segments]
    assert ["INS", "N", "19"] in segs and ["NM1", "03", "1", "CHILD", "ZOE"] in segs
    assert ["NM1", "IL", "1", "PARENT", "PAT", "", "", "", "MI", "D999"] in segs
    second = admin.eligibility_files.export_270(tmp_path / "b2.270", days=30)
    assert (second.inquiries, second.control_number) == (3, "000000002")
    with admin.db.session() as s:
        (ev, _) = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "eligibility.export_270").order_by(AuditEvent.seq)).all()
        assert json.loads(ev.details)["patients"] == sorted([clinic["Oneil"], clinic["Child"]])
        stored = s.scalars(select(X12File).order_by(X12File.id)).first()
        assert stored is not None and stored.content == out.read_bytes()


def test_export_for_chosen_patients_and_when_there_is_nobody(
        admin: Services, clinic: dict[str, int], tmp_path: Path) -> None:
    r = admin.eligibility_files.export_270(tmp_path / "one.270",
                                           patient_ids=[clinic["Fresh"]])
    assert r.inquiries == 1
    with pytest.raises(UserError, match="Nobody needs asking"):
        admin.eligibility_files.export_270(tmp_path / "none.270", days=0)
    assert not (tmp_path / "none.270").exists()


def answer(sv: Services, name: str, pid: int, *extra: str, last: str | None = None,
           member: str = "W123") -> str:
    return wrap(subscriber(3, traces(sv)[pid], last=last or name.upper(), member=member,
                           extra=extra))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_271_becomes_a_verification_with_its_figures(
        admin: Services, clinic: dict[str, int], tmp_path: Path) -> None:
    admin.eligibility_files.export_270(tmp_path / "b.270", days=7)
    path = write(tmp_path, "a.271", answer(admin, "Oneil", clinic["Oneil"], *ACTIVE))
    result = admin.eligibility_files.import_271(path)
    assert (result.checks, result.rejected) == (1, 0)
    latest = admin.eligibility.latest(clinic["Oneil coverage"])
    assert latest is not None
    d = latest.data
    assert (d.method, d.active, d.plan_begin, d.deductible_total, d.deductible_met,
            d.family_deductible_total, d.oop_total, d.oop_met) == (
        "271", True, date(2026, 1, 1), Decimal("1500.00"), Decimal("300.00"),
        Decimal("3000.00"), Decimal("5000.00"), Decimal("800.00"))
    copay = [b for b in d.benefits if b.code == "B"]
    assert [(b.service_type, b.amount, b.messages) for b in copay] == [
        ("98", Decimal("25.00"), ("PRIMARY CARE OFFICE VISIT",))]
    assert [b.percent for b in d.benefits if b.code == "A"] == [Decimal(20), Decimal(40)]
    assert admin.coverage.warnings(clinic["Oneil"], TODAY + timedelta(days=3)) == []
    with pytest.raises(UserError, match="already imported"):
        admin.eligibility_files.import_271(path)


def test_a_rejection_becomes_a_plain_message_and_a_work_item(
        admin: Services, clinic: dict[str, int], tmp_path: Path) -> None:
    admin.eligibility_files.export_270(tmp_path / "b.270", days=7)
    path = write(tmp_path, "r.271", answer(admin, "Oneil", clinic["Oneil"], "AAA*N**72*C"))
    assert admin.eligibility_files.import_271(path).rejected == 1
    (item,) = admin.eligibility.work_items()
    assert item.patient_id == clinic["Oneil"] and "member ID" in item.detail
    (w,) = admin.coverage.warnings(clinic["Oneil"], TODAY + timedelta(days=3))
    assert w.kind == "rejected"
    latest = admin.eligibility.latest(clinic["Oneil coverage"])
    assert latest is not None and latest.rejections[0].follow_up == "Please correct and resubmit."


def test_differences_are_accepted_or_rejected_one_by_one(
        admin: Services, clinic: dict[str, int], tmp_path: Path) -> None:
    admin.eligibility_files.export_270(tmp_path / "b.270", days=7)
    text = answer(admin, "Oneil", clinic["Oneil"], "EB*1**30", last="ONEILL", member="W124")
    result = admin.eligibility_files.import_271(write(tmp_path, "d.271", text))
    diffs = {d.field: d for d in admin.eligibility_files.differences()}
    # last name and member ID differ; the address and DOB the clinic has are blank/equal
    assert result.differences == len(diffs)
    assert (diffs["last_name"].clinic_value, diffs["last_name"].payer_value,
            diffs["last_name"].label) == ("Oneil", "ONEILL", "Patient's last name")
    assert diffs["member_id"].payer_value == "W124"
    admin.eligibility_files.decide(diffs["last_name"].id, accept=True)
    admin.eligibility_files.decide(diffs["member_id"].id, accept=False)
    assert admin.patients.get(clinic["Oneil"]).data.last_name == "ONEILL"
    assert [r.id for r in admin.patients.search("oneill")] == [clinic["Oneil"]]
    assert admin.coverage.coverages(clinic["Oneil"])[0].data.member_id == "W123"
    with pytest.raises(UserError, match="already decided"):
        admin.eligibility_files.decide(diffs["last_name"].id, accept=True)
    with admin.db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action.like("eligibility.%_change")).order_by(AuditEvent.seq))]
    assert actions == ["eligibility.accept_change", "eligibility.reject_change"]


def test_an_unmatched_or_malformed_271_changes_nothing(
        admin: Services, clinic: dict[str, int], tmp_path: Path) -> None:
    admin.eligibility_files.export_270(tmp_path / "b.270", days=7)
    good = subscriber(3, traces(admin)[clinic["Oneil"]], extra=("EB*1**30",))
    stranger = subscriber(4, "NOT-OURS", extra=("EB*1**30",))
    with pytest.raises(X12Error, match=r"segment \d+ \(HL\): This answer matches no 270"):
        admin.eligibility_files.import_271(write(tmp_path, "u.271", wrap(good, stranger)))
    with pytest.raises(X12Error, match="SE01"):
        admin.eligibility_files.import_271(write(tmp_path, "m.271", wrap(good, se_count=3)))
    with pytest.raises(UserError, match="does not exist"):
        admin.eligibility_files.import_271(tmp_path / "missing.271")
    with admin.db.session() as s:
        assert s.scalar(select(func.count(EligibilityCheck.id)).where(
            EligibilityCheck.method == "271")) == 0
        assert s.scalar(select(func.count(X12File.id)).where(X12File.kind == "271")) == 0
        assert s.scalar(select(func.count(DemographicDifference.id))) == 0


def test_a_subscriber_who_is_not_the_patient_is_compared_with_the_coverage(
        admin: Services, clinic: dict[str, int], tmp_path: Path) -> None:
    admin.eligibility_files.export_270(tmp_path / "b.270", days=7)
    text = answer(admin, "Parent", clinic["Child"], "EB*1**30", last="PARENTS", member="D999")
    admin.eligibility_files.import_271(write(tmp_path, "s.271", text))
    diffs = {d.field: d for d in admin.eligibility_files.differences()}
    d = diffs["subscriber_last_name"]
    assert (d.label, d.clinic_value, d.payer_value) == ("Subscriber's last name", "Parent",
                                                        "PARENTS")
    admin.eligibility_files.decide(d.id, accept=True)
    cov = admin.coverage.coverages(clinic["Child"])[0].data
    assert cov.subscriber_last_name == "PARENTS"
    assert admin.patients.get(clinic["Child"]).data.last_name == "Child"
