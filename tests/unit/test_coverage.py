"""Coverages (app.services.coverage): the order on any date of service, order changes that
keep history, checks on what the clerk enters, stale saves, warnings, who may edit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditEvent, Coverage, EligibilityCheck
from app.services import Services
from app.services.coverage import CoverageData, CoverageService
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user
from tests.unit.test_coding import new_patient

JAN1 = date(2025, 1, 1)


@pytest.fixture
def pid(admin: Services) -> int:
    return new_patient(admin, 1)


def cover(pid: int, payer: int, member: str = "W123456789", start: date = JAN1,
          **kw: object) -> CoverageData:
    return CoverageData(pid, payer, member, start, **kw)  # type: ignore[arg-type]


def order(cs: CoverageService, pid: int, on: date) -> list[tuple[str, int | None]]:
    return [(r.payer_code, r.rank) for r in cs.in_force(pid, on)]


def test_new_coverages_go_last_in_the_order(admin: Services, payers: dict[str, int],
                                            pid: int) -> None:
    cs = admin.coverage
    first = cs.save(cover(pid, payers["ACME1"]))
    assert (first.rank, first.rank_label, first.payer_name) == (1, "Primary", "Acme Health")
    second = cs.save(cover(pid, payers["BRAVO"], "B-77", start=date(2025, 6, 1)))
    assert second.rank == 2
    assert order(cs, pid, date(2025, 3, 1)) == [("ACME1", 1)]  # Bravo not yet in force
    assert order(cs, pid, date(2025, 7, 1)) == [("ACME1", 1), ("BRAVO", 2)]


def test_changing_the_order_keeps_the_old_order_for_earlier_visits(
        admin: Services, payers: dict[str, int], pid: int) -> None:
    cs = admin.coverage
    a = cs.save(cover(pid, payers["ACME1"])).data.id
    b = cs.save(cover(pid, payers["BRAVO"], "B-77")).data.id
    assert a is not None and b is not None
    cs.set_order(pid, [b, a], date(2025, 9, 1))
    assert order(cs, pid, date(2025, 8, 31)) == [("ACME1", 1), ("BRAVO", 2)]
    assert order(cs, pid, date(2025, 9, 1)) == [("BRAVO", 1), ("ACME1", 2)]
    history = [(h.coverage_id, h.rank, h.valid_from, h.valid_to) for h in cs.rank_history(pid)]
    assert history == [(a, 1, JAN1, date(2025, 8, 31)), (b, 2, JAN1, date(2025, 8, 31)),
                       (b, 1, date(2025, 9, 1), None), (a, 2, date(2025, 9, 1), None)]
    with admin.db.session() as s:
        (ev,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "coverage.order"))
        assert json.loads(ev.details) == {"coverages": [b, a], "as_of": "2025-09-01"}


def test_reordering_twice_on_one_day_replaces_that_days_order(
        admin: Services, payers: dict[str, int], pid: int) -> None:
    cs = admin.coverage
    a = cs.save(cover(pid, payers["ACME1"])).data.id
    b = cs.save(cover(pid, payers["BRAVO"], "B-77")).data.id
    assert a is not None and b is not None
    day = date(2025, 9, 1)
    cs.set_order(pid, [b, a], day)
    cs.set_order(pid, [a, b], day)
    assert order(cs, pid, day) == [("ACME1", 1), ("BRAVO", 2)]
    assert len(cs.rank_history(pid)) == 4  # the first period of each, then today's order


def test_the_order_must_name_every_coverage_in_force_once(
        admin: Services, payers: dict[str, int], pid: int) -> None:
    cs = admin.coverage
    a = cs.save(cover(pid, payers["ACME1"])).data.id
    b = cs.save(cover(pid, payers["BRAVO"], "B-77")).data.id
    assert a is not None and b is not None
    for bad in ([a], [a, a], [a, b, 999]):
        with pytest.raises(UserError, match="each coverage in force"):
            cs.set_order(pid, bad, date(2025, 9, 1))
    assert len(cs.rank_history(pid)) == 2


def test_when_the_primary_ends_the_secondary_pays_first(
        admin: Services, payers: dict[str, int], pid: int) -> None:
    cs = admin.coverage
    cs.save(cover(pid, payers["ACME1"], effective_to=date(2025, 6, 30)))
    cs.save(cover(pid, payers["BRAVO"], "B-77"))
    assert [r.payer_code for r in cs.in_force(pid, date(2025, 7, 1))] == ["BRAVO"]
    rows = cs.coverages(pid, date(2025, 7, 1))
    assert [(r.payer_code, r.rank_label) for r in rows] == [
        ("BRAVO", "Primary"), ("ACME1", "Not in force")]


def test_a_fourth_coverage_at_once_is_refused(admin: Services, payers: dict[str, int],
                                              pid: int) -> None:
    cs = admin.coverage
    for code in ("ACME1", "BRAVO", "CHARL"):
        cs.save(cover(pid, payers[code], f"{code}-1"))
    with pytest.raises(UserError, match="primary, secondary and tertiary"):
        cs.save(cover(pid, payers["DELTA"], "D-1"))
    # after one ends, a new one fits from the next day
    ended = cs.coverages(pid, JAN1)[0].data
    cs.save(replace(ended, effective_to=date(2025, 12, 31)))
    assert cs.save(cover(pid, payers["DELTA"], "D-1", start=date(2026, 1, 1))).rank == 3
    assert [r.payer_code for r in cs.in_force(pid, date(2026, 1, 1))] == [
        "BRAVO", "CHARL", "DELTA"]


def test_moving_the_start_moves_the_order_with_it(admin: Services, payers: dict[str, int],
                                                  pid: int) -> None:
    cs = admin.coverage
    row = cs.save(cover(pid, payers["ACME1"], start=date(2025, 3, 1)))
    cs.save(replace(row.data, effective_from=JAN1))
    assert order(cs, pid, JAN1) == [("ACME1", 1)]
    cs.save(replace(cs.coverages(pid)[0].data, effective_from=date(2025, 5, 1)))
    assert order(cs, pid, date(2025, 4, 30)) == []
    assert order(cs, pid, date(2025, 5, 1)) == [("ACME1", 1)]


@pytest.mark.parametrize(("change", "field"), [
    ({"member_id": " "}, "member_id"),
    ({"member_id": "W12 345"}, "member_id"),
    ({"effective_to": date(2024, 12, 31)}, "effective_to"),
    ({"relationship": "99"}, "relationship"),
    ({"relationship": "01"}, "subscriber_name"),
    ({"relationship": "19", "subscriber_last_name": "Doe", "subscriber_first_name": "Jan",
      "subscriber_sex": "F"}, "subscriber_dob"),
    ({"relationship": "19", "subscriber_last_name": "Doe", "subscriber_first_name": "Jan",
      "subscriber_dob": date(1980, 1, 1), "subscriber_sex": "X"}, "subscriber_sex"),
    ({"copay": Decimal("20.005")}, "copay"),
    ({"copay": Decimal("-1")}, "copay"),
    ({"copay": 20.0}, "copay"),
    ({"msp_type": "99"}, "msp_type"),
    ({"assignment_on_file": True}, "assignment_signed_on"),
    ({"release_on_file": True, "release_signed_on": date.today() + timedelta(days=1)},
     "release_signed_on"),
])
def test_bad_coverage_is_refused_naming_the_field(admin: Services, payers: dict[str, int],
                                                  pid: int, change: dict[str, object],
                                                  field: str) -> None:
    with pytest.raises(ValidationError) as err:
        admin.coverage.save(replace(cover(pid, payers["ACME1"]), **change))  # type: ignore[arg-type]
    assert field in err.value.problems
    with admin.db.session() as s:
        assert s.scalar(select(func.count(Coverage.id))) == 0


def test_unknown_or_inactive_payer_is_refused(admin: Services, payers: dict[str, int],
                                              pid: int) -> None:
    with pytest.raises(ValidationError, match="payers directory"):
        admin.coverage.save(cover(pid, 999))
    acme = next(p for p in admin.directory.payers() if p.payer_id == "ACME1")
    admin.directory.save_payer(replace(acme, active=False))
    with pytest.raises(ValidationError, match="inactive"):
        admin.coverage.save(cover(pid, payers["ACME1"]))


def test_subscriber_details_are_kept_only_when_someone_else_subscribes(
        admin: Services, payers: dict[str, int], pid: int) -> None:
    spouse = dict(subscriber_last_name="Doe", subscriber_first_name="Jan",
                  subscriber_dob=date(1975, 5, 5), subscriber_sex="f",
                  subscriber_zip="12345-6789", subscriber_state="ny")
    row = admin.coverage.save(cover(pid, payers["ACME1"], "w-1", relationship="01", **spouse))
    d = row.data
    assert (d.member_id, d.subscriber_sex, d.subscriber_zip, d.subscriber_state) == (
        "W-1", "F", "123456789", "NY")
    row = admin.coverage.save(replace(d, relationship="18"))
    assert (row.data.subscriber_last_name, row.data.subscriber_dob) == ("", None)


def test_a_stale_save_is_refused_and_the_other_change_kept(
        admin: Services, payers: dict[str, int], pid: int) -> None:
    row = admin.coverage.save(cover(pid, payers["ACME1"]))
    admin.coverage.save(replace(row.data, group_number="G1"))
    with pytest.raises(ConflictError, match="Someone else changed this coverage"):
        admin.coverage.save(replace(row.data, group_number="G2"))
    assert admin.coverage.coverages(pid)[0].data.group_number == "G1"


def test_saves_and_views_are_audited_without_patient_data(
        admin: Services, payers: dict[str, int], pid: int) -> None:
    row = admin.coverage.save(cover(pid, payers["ACME1"], copay=Decimal("25.00")))
    admin.coverage.save(replace(row.data, member_id="NEW1"))
    admin.coverage.coverages(pid)
    with admin.db.session() as s:
        evs = {e.action: e for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action.like("coverage.%")))}
    assert set(evs) == {"coverage.create", "coverage.update", "coverage.view"}
    assert json.loads(evs["coverage.update"].details) == {"fields": ["member_id"]}
    assert all(e.patient_id == pid for e in evs.values())
    assert "NEW1" not in evs["coverage.update"].details


def add_check(sv: Services, coverage_id: int, pid: int, on: date, active: bool | None = True,
              rejected: bool = False) -> None:
    with sv.db.session() as s:
        s.add(EligibilityCheck(coverage_id=coverage_id, patient_id=pid, checked_on=on,
                               method="phone", active=active, rejected=rejected,
                               checked_by=ADMIN))


def test_warnings_for_a_visit(admin: Services, payers: dict[str, int], pid: int) -> None:
    cs = admin.coverage
    dos = date(2025, 8, 15)
    assert [w.kind for w in cs.warnings(pid, dos)] == ["no_coverage"]
    cid = cs.save(cover(pid, payers["ACME1"], effective_to=date(2025, 7, 31))).data.id
    assert cid is not None
    kinds = [(w.kind, w.message) for w in cs.warnings(pid, dos)]
    assert [k for k, _ in kinds] == ["no_coverage", "not_in_force"]
    assert "ended 07/31/2025" in kinds[1][1]
    cs.save(replace(cs.coverages(pid)[0].data, effective_to=None))
    assert [w.kind for w in cs.warnings(pid, dos)] == ["unverified"]
    add_check(admin, cid, pid, dos - timedelta(days=31))
    (w,) = cs.warnings(pid, dos)
    assert w.kind == "unverified" and "last verified 07/15/2025" in w.message
    add_check(admin, cid, pid, dos - timedelta(days=30), active=False)
    assert [w.kind for w in cs.warnings(pid, dos)] == ["inactive"]
    add_check(admin, cid, pid, dos, active=None, rejected=True)
    assert [w.kind for w in cs.warnings(pid, dos)] == ["rejected"]
    add_check(admin, cid, pid, dos)
    assert cs.warnings(pid, dos) == []


def test_the_verification_window_is_a_setting(admin: Services, payers: dict[str, int],
                                              pid: int) -> None:
    cid = admin.coverage.save(cover(pid, payers["ACME1"])).data.id
    assert cid is not None
    dos = date(2025, 8, 15)
    add_check(admin, cid, pid, dos - timedelta(days=45))
    assert [w.kind for w in admin.coverage.warnings(pid, dos)] == ["unverified"]
    admin.settings.set_verify_within_days(60)
    assert admin.coverage.warnings(pid, dos) == []
    with pytest.raises(UserError, match="1 to 365"):
        admin.settings.set_verify_within_days(0)


def test_who_may_edit_coverages(admin: Services, payers: dict[str, int], pid: int) -> None:
    row = admin.coverage.save(cover(pid, payers["ACME1"]))
    for role, may in (("coder", False), ("front_desk", True), ("biller", True)):
        admin.users.sign_in(ADMIN, ADMIN_PASSWORD)
        name = f"{role.replace('_', '')}9"
        admin.users.sign_in(name, add_user(admin, name, role))
        assert admin.coverage.coverages(pid)[0].data.id == row.data.id  # all may look
        current = admin.coverage.coverages(pid)[0].data
        if may:
            admin.coverage.save(replace(current, notes=f"seen by {role}"))
        else:
            with pytest.raises(PermissionDenied):
                admin.coverage.save(replace(current, notes="no"))


def test_the_overview_is_one_audited_read(admin: Services, payers: dict[str, int],
                                          pid: int) -> None:
    admin.coverage.save(cover(pid, payers["ACME1"]))
    found = admin.coverage.overview(pid, date(2025, 8, 15))
    assert [r.payer_code for r in found.in_force] == ["ACME1"]
    assert [w.kind for w in found.warnings] == ["unverified"]
    with admin.db.session() as s:
        views = s.scalar(select(func.count(AuditEvent.seq)).where(
            AuditEvent.action == "coverage.view"))
    assert views == 1
