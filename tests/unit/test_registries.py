"""Clinical registries (app.services.registries): membership from the rule (active problems by
code prefix, merged records left out) and by hand (with the reason; a hand removal is not
undone by a refresh; hand members are not ended by one), tracked values checked per field,
overdue follow-ups, the CSV export, definitions refused with what to fix, a merge of two
members, permissions, audit without names, and the tables against their migration. All names
and codes are made up for the tests."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditEvent, RegistryMember
from app.services import Services
from app.services.history import ProblemData
from app.services.registries import (
    TEMPLATES,
    FieldSpec,
    RegistryData,
    RegistryRule,
    parse_value,
)
from tests.unit._support import schema_drift
from tests.unit.claim_fixtures import patient
from tests.unit.test_coding import sign_in_as

TODAY = date(2026, 6, 15)
CANCER, DIABETES = TEMPLATES


def problem(sv: Services, pid: int, code: str, status: str = "active") -> None:
    sv.history.save(ProblemData(pid, code, f"Problem {code}", date(2025, 1, 1),
                                date(2026, 1, 1) if status == "resolved" else None, status))


def cancer(sv: Services) -> int:
    saved = sv.registries.save_registry(CANCER)
    assert saved.id is not None
    return saved.id


def members(sv: Services, rid: int, **kw: object) -> list[tuple[int, str]]:
    return [(r.patient_id, r.source) for r in sv.registries.members(rid, today=TODAY, **kw)]


def actions(sv: Services) -> list[tuple[str, str]]:
    with sv.db.session() as s:
        return [(a, d) for a, d in s.execute(select(AuditEvent.action, AuditEvent.details)
                                             .order_by(AuditEvent.seq))]


def test_the_rule_finds_active_problems_by_code_prefix(admin: Services) -> None:
    breast, colon, resolved, other = (patient(admin, n, last=f"Reg{n}") for n in range(1, 5))
    problem(admin, breast, "C50.911")
    problem(admin, colon, "C18.9")
    problem(admin, resolved, "C61", "resolved")  # not active: not found
    problem(admin, other, "E11.9")
    rid = cancer(admin)
    result = admin.registries.refresh(rid, TODAY)
    assert (result.added, result.ended, result.members) == (2, 0, 2)
    assert sorted(members(admin, rid)) == [(breast, "rule"), (colon, "rule")]
    row = next(r for r in admin.registries.members(rid, today=TODAY) if r.patient_id == breast)
    assert row.reason == "Matches the rule: problem C50.911" and row.added_on == TODAY
    # a refresh changes nothing more; a rule that takes any problem finds the resolved one
    assert admin.registries.refresh(rid, TODAY).added == 0
    d = admin.registries.registry(rid)
    admin.registries.save_registry(RegistryData(d.name, d.description,
                                                RegistryRule(("C",), active_only=False),
                                                d.fields, id=d.id, version=d.version))
    assert admin.registries.refresh(rid, TODAY).added == 1
    assert resolved in {p for p, _s in members(admin, rid)}


def test_saving_a_problem_keeps_the_patients_memberships_in_step(admin: Services) -> None:
    rid = cancer(admin)
    pid, out = patient(admin, 1), patient(admin, 2)
    problem(admin, pid, "C50.911")  # the registry exists: the patient joins at once
    assert members(admin, rid) == [(pid, "rule")]
    (p,) = admin.history.open_chart(pid).problems
    admin.history.save(ProblemData(pid, p.code, p.description, p.onset, date.today(),
                                   "resolved", p.id, p.version))
    assert members(admin, rid) == []  # resolved: no longer found, so no longer a member
    (past,) = admin.registries.members(rid, include_removed=True)
    assert (past.removed_on, past.removed_reason) == (date.today(),
                                                      "No longer matches the rule.")
    assert admin.registries.refresh(rid).ended == 0  # nothing left for a refresh to do
    # taken out by hand, a patient is not put back by a new problem either
    problem(admin, out, "C18.9")
    (row,) = [r for r in admin.registries.members(rid) if r.patient_id == out]
    admin.registries.remove_member(row.member_id, "Benign on review")
    problem(admin, out, "C18.2")
    assert members(admin, rid) == []
    # deleting the problem a member was found by ends the membership too
    problem(admin, pid, "C61")
    assert members(admin, rid) == [(pid, "rule")]
    (c61,) = [x for x in admin.history.open_chart(pid).problems if x.code == "C61"]
    admin.history.delete(c61)
    assert members(admin, rid) == []
    events = [a for a, _d in actions(admin)]
    assert events.count("registry.member.rule") == 5


def test_members_by_hand_stay_and_a_hand_removal_sticks(admin: Services) -> None:
    by_hand, ruled = patient(admin, 1), patient(admin, 2)
    problem(admin, ruled, "C71.9")
    rid = cancer(admin)
    with pytest.raises(ValidationError):
        admin.registries.add_member(rid, by_hand, "  ")
    added = admin.registries.add_member(rid, by_hand, "Diagnosed elsewhere; records awaited",
                                        TODAY)
    assert added.source == "hand"
    with pytest.raises(UserError, match="already in the registry"):
        admin.registries.add_member(rid, by_hand, "again")
    admin.registries.refresh(rid, TODAY)
    assert sorted(members(admin, rid)) == [(by_hand, "hand"), (ruled, "rule")]
    # the rule does not find the hand-made member, who stays all the same
    ruled_row = next(r for r in admin.registries.members(rid) if r.patient_id == ruled)
    admin.registries.remove_member(ruled_row.member_id, "Benign on review", TODAY)
    with pytest.raises(UserError, match="no longer in the registry"):
        admin.registries.remove_member(ruled_row.member_id, "twice")
    assert admin.registries.refresh(rid, TODAY).added == 0  # taken out by hand: stays out
    assert members(admin, rid) == [(by_hand, "hand")]
    # put back by hand, the patient is a member again (a new membership, the old one kept)
    admin.registries.add_member(rid, ruled, "Pathology revised")
    assert sorted(members(admin, rid)) == [(by_hand, "hand"), (ruled, "hand")]
    assert len(admin.registries.members(rid, include_removed=True)) == 3


def test_tracked_values_are_checked_and_drive_the_overdue_list(admin: Services) -> None:
    late, soon = patient(admin, 1, last="Late"), patient(admin, 2, last="Soon")
    rid = cancer(admin)
    a = admin.registries.add_member(rid, late, "Referred")
    b = admin.registries.add_member(rid, soon, "Referred")
    with pytest.raises(ValidationError) as bad:
        admin.registries.set_values(a.member_id, {"stage": "V", "diagnosed_on": "31/31/2025",
                                                  "blood_type": "O"}, a.version)
    assert set(bad.value.problems) == {"Stage", "Date of diagnosis", "blood_type"}
    row = admin.registries.set_values(
        a.member_id, {"stage": "II", "diagnosed_on": "03/04/2025", "primary_site": "Breast",
                      "follow_up_on": "06/01/2026"}, a.version)
    assert row.values == {"stage": "II", "diagnosed_on": "2025-03-04",
                          "primary_site": "Breast", "follow_up_on": "2026-06-01"}
    assert row.follow_up_on == date(2026, 6, 1)
    with pytest.raises(ConflictError):  # the copy opened before that save
        admin.registries.set_values(a.member_id, {"stage": "III"}, a.version)
    admin.registries.set_values(b.member_id, {"follow_up_on": "2026-07-01"}, b.version)
    rows = admin.registries.members(rid, today=TODAY)
    assert [(r.patient_id, r.overdue) for r in rows] == [(late, True), (soon, False)]
    assert [r.patient_id for r in admin.registries.members(rid, overdue_only=True,
                                                           today=TODAY)] == [late]
    (summary,) = admin.registries.registries(TODAY)
    assert (summary.members, summary.overdue) == (2, 1)
    # clearing the follow-up date takes the member off the overdue list
    row = admin.registries.set_values(a.member_id, {"follow_up_on": ""}, row.version)
    assert row.follow_up_on is None and not row.overdue


def test_the_csv_export_holds_the_members_and_their_fields(admin: Services) -> None:
    pid = patient(admin, 7, last="Export")
    rid = cancer(admin)
    m = admin.registries.add_member(rid, pid, "Referred")
    admin.registries.set_values(m.member_id, {"histology": "Ductal carcinoma",
                                              "follow_up_on": "01/02/2026"}, m.version)
    rows = list(csv.DictReader(io.StringIO(admin.registries.export_csv(rid, TODAY))))
    assert len(rows) == 1
    r = rows[0]
    assert (r["mrn"], r["last_name"], r["date_of_birth"], r["source"]) == (
        "M0000007", "Export", "1980-05-17", "hand")
    assert (r["histology"], r["follow_up_on"], r["follow_up_overdue"], r["stage"]) == (
        "Ductal carcinoma", "2026-01-02", "yes", "")
    assert [a for a, _d in actions(admin)].count("registry.export") == 1


def test_definitions_are_refused_with_what_to_fix(admin: Services) -> None:
    ok = CANCER
    for bad, field in (
            (RegistryData("", "", ok.rule, ok.fields), "name"),
            (RegistryData("X", "", RegistryRule(()), ok.fields), "rule"),
            (RegistryData("X", "", RegistryRule(("C5O%",)), ok.fields), "rule"),
            (RegistryData("X", "", ok.rule, ()), "fields"),
            (RegistryData("X", "", ok.rule, (FieldSpec("a", "A"), FieldSpec("a", "B"))),
             "fields"),
            (RegistryData("X", "", ok.rule, (FieldSpec("a", "A", "choice", ("one",)),)),
             "fields"),
            (RegistryData("X", "", ok.rule, (FieldSpec("a", "A", follow_up=True),)),
             "fields")):
        with pytest.raises(ValidationError) as exc:
            admin.registries.save_registry(bad)
        assert field in exc.value.problems
    cancer(admin)
    with pytest.raises(ValidationError, match="Another registry has this name"):
        admin.registries.save_registry(CANCER)
    saved = admin.registries.save_registry(DIABETES)
    admin.registries.save_registry(RegistryData(saved.name, "Changed", saved.rule,
                                                saved.fields, id=saved.id,
                                                version=saved.version))
    with pytest.raises(ConflictError):  # the copy from before that change
        admin.registries.save_registry(saved)
    assert admin.registries.registry(saved.id or 0).description == "Changed"


def test_values_parse_as_the_field_says() -> None:
    assert parse_value(FieldSpec("n", "N", "number"), "1,250.50") == "1250.5"
    assert parse_value(FieldSpec("d", "D", "date"), "2026-02-28") == "2026-02-28"
    assert parse_value(FieldSpec("t", "T"), "  ") == ""
    for f, raw in ((FieldSpec("n", "N", "number"), "NaN"), (FieldSpec("n", "N", "number"), "x"),
                   (FieldSpec("d", "D", "date"), "02/30/2026"),
                   (FieldSpec("t", "T"), "x" * 201)):
        with pytest.raises(ValueError):
            parse_value(f, raw)


def test_merging_two_members_keeps_one_membership(admin: Services) -> None:
    keep, dup, alone = patient(admin, 1), patient(admin, 2), patient(admin, 3)
    rid = cancer(admin)
    for pid in (keep, dup):
        admin.registries.add_member(rid, pid, "Referred")
    diabetes = admin.registries.save_registry(DIABETES).id or 0
    admin.registries.add_member(diabetes, dup, "Referred")  # only the duplicate: it moves
    admin.patients.merge(keep, dup)
    assert members(admin, rid) == [(keep, "hand")]
    assert members(admin, diabetes) == [(keep, "hand")]
    ended = [r for r in admin.registries.members(rid, include_removed=True)
             if r.removed_on is not None]
    assert [r.removed_reason for r in ended] == [
        "Merged into the kept record, already a member."]
    # a merged record is not found by the rule
    problem(admin, alone, "C50.1")
    admin.patients.merge(keep, alone)
    assert admin.registries.refresh(rid, TODAY).added == 0


def test_who_may_do_what_and_the_audit_holds_no_names(admin: Services) -> None:
    pid = patient(admin, 1, last="Secretname")
    problem(admin, pid, "C50.911")
    rid = cancer(admin)
    admin.registries.refresh(rid, TODAY)
    sign_in_as(admin, "biller")  # sees registries, changes nothing
    assert len(admin.registries.members(rid)) == 1
    for call in (lambda: admin.registries.refresh(rid),
                 lambda: admin.registries.add_member(rid, pid, "x"),
                 lambda: admin.registries.save_registry(DIABETES)):
        with pytest.raises(PermissionDenied):
            call()
    sign_in_as(admin, "coder")  # keeps the lists, does not define registries
    assert admin.registries.refresh(rid).members == 1
    with pytest.raises(PermissionDenied):
        admin.registries.save_registry(DIABETES)
    sign_in_as(admin, "front_desk")  # no clinical lists at the desk
    with pytest.raises(PermissionDenied):
        admin.registries.members(rid)
    events = actions(admin)
    assert {"registry.save", "registry.refresh", "registry.view"} <= {a for a, _d in events}
    assert all("Secretname" not in d and "C50" not in d for _a, d in events)
    assert json.loads([d for a, d in events if a == "registry.refresh"][0]) == {
        "added": 1, "ended": 0, "members": 1}


def test_the_registry_tables_match_their_migration(admin: Services) -> None:
    assert schema_drift(admin.db) == []
    with admin.db.session() as s:
        assert s.scalars(select(RegistryMember)).all() == []


def test_templates_are_valid_definitions(admin: Services) -> None:
    for t in TEMPLATES:
        saved = admin.registries.save_registry(t)
        assert saved.fields == t.fields and saved.rule == t.rule
        assert saved.follow_up_key == "follow_up_on"
