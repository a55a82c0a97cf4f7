"""Patients: search as you type, registration checks, duplicates, optimistic locking, SSN
masking by role, and merge with its undo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.formats.names import fold
from app.models import (
    Allergy,
    AuditEvent,
    Document,
    Encounter,
    Medication,
    Observation,
    Patient,
    Problem,
)
from app.services import Services
from app.services.clinic import create_clinic
from app.services.history import ProblemData
from app.services.patients import (
    PatientData,
    PossibleDuplicates,
    mask_ssn,
    patient_child_tables,
)
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, add_user, new_clinic

PDF = b"%PDF-1.4\n% a scanned letter\n%%EOF\n"


# --- helpers -------------------------------------------------------------------------------------
def insert_patient(s: Any, n: int, last: str, first: str, dob: date, **kw: Any) -> Patient:
    """A patient straight into the session, keys folded as the service would."""
    p = Patient(mrn=f"M{n:07d}", last_name=last, first_name=first, dob=dob, sex="U",
                last_key=fold(last), first_key=fold(first),
                preferred_key=fold(kw.get("preferred_name", "")), **kw)
    s.add(p)
    s.flush()
    return p


def events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.scalars(q))


def sign_in_as(sv: Services, role: str) -> None:
    """Create a user with `role` (as the signed-in admin) and sign in as them."""
    name = f"{role.replace('_', '')}1"
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    password = add_user(sv, name, role)
    sv.users.sign_in(name, password)


def person(**kw: Any) -> PatientData:
    values: dict[str, Any] = dict(last_name="Rivera", first_name="Ana", dob=date(1984, 6, 7),
                                  sex="F", address1="5 Elm St", city="Albany", state="NY",
                                  zip="12207", phone="5185550100")
    values.update(kw)
    return PatientData(**values)


def names(rows: list[Any]) -> list[tuple[str, str]]:
    return [(r.last_name, r.first_name) for r in rows]


# --- a searchable clinic, shared by the read-only search tests -----------------------------------
SMITH_FIRSTS = ["Ann", "Ben", "Cal", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jay", "Kai",
                "Lou"]
FIRST_NAME_SMI = [("Ames", "Smila"), ("Bell", "Smilo"), ("Cole", "Smina"), ("Dunn", "Smira"),
                  ("Ford", "Smisa"), ("Gray", "Smita"), ("Hale", "Smiva"), ("Irwin", "Smiza")]
PREFERRED_SMI = [("Kemp", "Smia"), ("Lund", "Smib"), ("Moss", "Smic"), ("Nash", "Smid"),
                 ("Orr", "Smie")]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, dict[str, int]]]:
    path: Path = tmp_path_factory.mktemp("search") / "clinic.ccdb"
    db = create_clinic(path, new_clinic())
    sv = Services(db, PASSPHRASE)
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    ids: dict[str, int] = {}
    with db.session() as s:
        def add(key: str, n: int, last: str, first: str, dob: date, **kw: Any) -> None:
            ids[key] = insert_patient(s, n, last, first, dob, **kw).id

        add("oneil", 1, "O'Neil", "Patrick", date(1970, 1, 1))
        add("zoe", 2, "Lopez", "Zoë", date(1980, 3, 4), phone="3125550101")
        add("jo", 3, "Smith", "Jo", date(1980, 3, 4), phone="2125550101")
        add("john", 4, "Smith", "John", date(1975, 5, 6))
        add("smithers", 5, "Smithers", "Amy", date(1990, 1, 1))
        add("smitty", 6, "Adams", "Smitty", date(1985, 1, 1))
        add("smiley", 7, "Baker", "Robert", date(1960, 1, 1), preferred_name="Smiley")
        add("jody", 8, "Smith", "Jody", date(1980, 3, 4), mobile_phone="2125550101")
        add("doe", 9, "Doe", "Jane", date(1999, 9, 9), work_phone="6465550199")
        add("both", 10, "Smithee", "Smiles", date(1991, 2, 3), preferred_name="Smitty")
        n = 11
        for i, first in enumerate(SMITH_FIRSTS):
            add(f"smith-{first}", n, "Smith", first, date(1950 + i, 1, 1))
            n += 1
        for last, first in FIRST_NAME_SMI:
            add(f"first-{first}", n, last, first, date(1960, 2, 2))
            n += 1
        for last, pref in PREFERRED_SMI:
            add(f"pref-{pref}", n, last, "Pat", date(1961, 3, 3), preferred_name=pref)
            n += 1
    sv.patients.merge(ids["jo"], ids["jody"])  # Jody Smith was a duplicate of Jo Smith
    yield sv, ids
    db.close()


def ids_of(rows: list[Any]) -> list[int]:
    return [r.id for r in rows]


@pytest.mark.parametrize("typed", ["oneil", "O'Neil", "o neil", "ONEIL", "O’Neil", "onei"])
def test_apostrophes_case_and_spaces_do_not_matter(clinic: Any, typed: str) -> None:
    sv, ids = clinic
    assert ids_of(sv.patients.search(typed)) == [ids["oneil"]]


@pytest.mark.parametrize("typed", ["zoe", "ZOË", "Zoë", "zoë", "Zoe\u0308", "zo"])
def test_accents_do_not_matter(clinic: Any, typed: str) -> None:
    sv, ids = clinic
    assert ids["zoe"] in ids_of(sv.patients.search(typed))
    if typed.lower() != "zo":
        assert ids_of(sv.patients.search(typed)) == [ids["zoe"]]


@pytest.mark.parametrize("typed", ["smith jo", "jo smith", "Smith, Jo", "SMITH,JO", "jo, smith",
                                   "  Smith   Jo "])
def test_name_in_either_order(clinic: Any, typed: str) -> None:
    sv, ids = clinic
    rows = sv.patients.search(typed)
    # "jo" is also the start of John; Jody was merged away.
    assert ids_of(rows) == [ids["jo"], ids["john"]]
    assert sv.patients.count(typed) == 2


def test_last_name_prefix_and_full_first_name(clinic: Any) -> None:
    sv, ids = clinic
    assert ids_of(sv.patients.search("smith john")) == [ids["john"]]
    assert ids_of(sv.patients.search("smi jo")) == [ids["jo"], ids["john"]]
    assert sv.patients.search("smith zz") == []
    assert sv.patients.search("nosuchname") == []


def test_prefix_lists_last_then_first_then_preferred_name_matches(clinic: Any) -> None:
    sv, ids = clinic
    rows = sv.patients.search("smi", 0, 1000)
    last = [r for r in rows if fold(r.last_name).startswith("smi")]
    n_last = 1 + 2 + len(SMITH_FIRSTS) + 1  # Smithers, Jo and John Smith, the fillers, Smithee
    assert len(last) == n_last
    assert rows[:n_last] == last, "every last-name match comes before any other"
    keys = [(fold(r.last_name), fold(r.first_name), r.dob) for r in last]
    assert keys == sorted(keys)
    firsts = rows[n_last:n_last + 1 + len(FIRST_NAME_SMI)]
    assert all(fold(r.first_name).startswith("smi") for r in firsts)
    assert [fold(r.first_name) for r in firsts] == sorted(fold(r.first_name) for r in firsts)
    prefs = rows[n_last + len(firsts):]
    assert {r.id for r in prefs} == {ids["smiley"]} | {ids[f"pref-{p}"] for _l, p in
                                                        PREFERRED_SMI}
    assert [fold(r.preferred_name) for r in prefs] == sorted(fold(r.preferred_name)
                                                             for r in prefs)


def test_a_record_matching_in_several_parts_is_listed_once(clinic: Any) -> None:
    sv, ids = clinic
    rows = sv.patients.search("smi", 0, 1000)
    assert len(ids_of(rows)) == len(set(ids_of(rows)))
    assert ids_of(rows).count(ids["both"]) == 1  # Smithee, Smiles "Smitty": last, first, preferred
    assert len(rows) == sv.patients.count("smi") == 1 + 2 + 12 + 1 + 1 + 8 + 1 + 5


@pytest.mark.parametrize("typed", ["", "s", "smi", "smith", "smith jo", "smitty", "03/04/1980",
                                   "M00000", "5550101", "zzz"])
def test_pages_put_together_are_the_whole_list(clinic: Any, typed: str) -> None:
    sv, _ids = clinic
    whole = sv.patients.search(typed, 0, 10_000)
    assert len(whole) == sv.patients.count(typed)
    pages: list[Any] = []
    for offset in range(0, len(whole) + 7, 7):
        page = sv.patients.search(typed, offset, 7)
        assert len(page) == min(7, max(0, len(whole) - offset))
        pages += page
    assert pages == whole
    # Pages that start inside a part, not on a multiple of the page size, line up too.
    for offset in range(len(whole)):
        assert sv.patients.search(typed, offset, 5) == whole[offset:offset + 5]


@pytest.mark.parametrize("typed", ["03/04/1980", "3/4/1980", "1980-03-04", "03041980",
                                   " 03/04/1980 "])
def test_date_of_birth_as_typed(clinic: Any, typed: str) -> None:
    sv, ids = clinic
    # Lopez before Smith; Jody Smith (same DOB) was merged and is not listed.
    assert ids_of(sv.patients.search(typed)) == [ids["zoe"], ids["jo"]]
    assert sv.patients.count(typed) == 2


def test_impossible_date_finds_nobody(clinic: Any) -> None:
    sv, _ids = clinic
    assert sv.patients.search("02/30/1980") == []


@pytest.mark.parametrize(("typed", "key"), [("M0000003", "jo"), ("m0000003", "jo"),
                                            ("3", "jo"), ("0003", "jo"), ("M0000001", "oneil"),
                                            ("1", "oneil")])
def test_mrn_in_full_or_as_a_bare_number(clinic: Any, typed: str, key: str) -> None:
    sv, ids = clinic
    assert ids_of(sv.patients.search(typed)) == [ids[key]]


def test_mrn_prefix(clinic: Any) -> None:
    sv, ids = clinic
    rows = sv.patients.search("M000000")  # M0000001 … M0000009
    assert [r.mrn for r in rows] == [f"M{n:07d}" for n in range(1, 10) if n != 8]
    assert ids["jody"] not in ids_of(rows)


@pytest.mark.parametrize("typed", ["(212) 555-0101", "212.555.0101", "+1 212 555 0101",
                                   "2125550101", "212-555-0101", "1-212-555-0101",
                                   "12125550101"])
def test_phone_with_any_formatting(clinic: Any, typed: str) -> None:
    sv, ids = clinic
    assert ids_of(sv.patients.search(typed)) == [ids["jo"]]  # not Jody (merged), same mobile


def test_local_seven_digit_phone_and_work_phone(clinic: Any) -> None:
    sv, ids = clinic
    assert set(ids_of(sv.patients.search("555-0101"))) == {ids["zoe"], ids["jo"]}
    assert ids_of(sv.patients.search("646 555 0199")) == [ids["doe"]]
    assert ids_of(sv.patients.search("555 0199")) == [ids["doe"]]


def test_merged_record_is_left_out_of_every_kind_of_search(clinic: Any) -> None:
    sv, ids = clinic
    jody = ids["jody"]
    for typed in ["jody", "smith jody", "jody smith", "smith", "smi", "", "03/04/1980",
                  "1980-03-04", "M0000008", "8", "2125550101", "5550101", "M"]:
        assert jody not in ids_of(sv.patients.search(typed, 0, 1000)), typed
    assert sv.patients.count("jody") == 0
    with sv.db.session() as s:
        total = s.query(Patient).count()
    assert sv.patients.count("") == total - 1
    assert sv.patients.get(jody).merged_into_id == ids["jo"]


def test_search_rows_carry_only_the_last_four_of_the_ssn(clinic: Any) -> None:
    sv, _ids = clinic
    rows = sv.patients.search("", 0, 1000)
    assert rows and all(r.ssn_last4 == "" for r in rows)


# --- registration --------------------------------------------------------------------------------
@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"last_name": ""}, "last_name", "required"),
    ({"first_name": "   "}, "first_name", "required"),
    ({"sex": "X"}, "sex", "M, F or U"),
    ({"dob": date.today() + timedelta(days=1)}, "dob", "future"),
    ({"dob": date(1850, 1, 1)}, "dob", "check the year"),
    ({"zip": "1220"}, "zip", "5 or 9 digits"),
    ({"zip": "1220712"}, "zip", "5 or 9 digits"),
    ({"state": "ZZ"}, "state", "two-letter"),
    ({"phone": "555-0100"}, "phone", "10 digits"),
    ({"mobile_phone": "518 555 01"}, "mobile_phone", "10 digits"),
    ({"email": "ana@"}, "email", "name@example.com"),
    ({"email": "ana example.com"}, "email", "name@example.com"),
    ({"ssn": "123-45-678"}, "ssn", "9 digits"),
    ({"ssn": "000-00-0000"}, "ssn", "9 digits"),
    ({"guarantor_relationship": "uncle"}, "guarantor_relationship", "self, spouse"),
])
def test_registration_refuses_bad_fields_and_saves_nothing(
        clinic: Any, changes: dict[str, Any], field: str, says: str) -> None:
    sv, _ids = clinic
    before = sv.patients.count()
    with pytest.raises(ValidationError) as err:
        sv.patients.register(person(**changes))
    assert field in err.value.problems
    assert says in err.value.problems[field]
    assert "not saved" in str(err.value)
    assert sv.patients.count() == before
    assert sv.patients.search("rivera") == []


def test_registration_lists_every_problem_at_once(clinic: Any) -> None:
    sv, _ids = clinic
    with pytest.raises(ValidationError) as err:
        sv.patients.register(person(last_name="", zip="1", state="Q", phone="1"))
    assert set(err.value.problems) == {"last_name", "zip", "state", "phone"}


def test_guarantor_details_are_required_when_someone_else_pays(clinic: Any) -> None:
    sv, _ids = clinic
    with pytest.raises(ValidationError) as err:
        sv.patients.register(person(guarantor_relationship="Parent"))
    assert set(err.value.problems) == {
        "guarantor_last_name", "guarantor_first_name", "guarantor_address1", "guarantor_city",
        "guarantor_state", "guarantor_zip"}
    assert all("someone else" in m for m in err.value.problems.values())
    with pytest.raises(ValidationError) as err:
        sv.patients.register(person(
            guarantor_relationship="parent", guarantor_last_name="Rivera",
            guarantor_first_name="Luis", guarantor_address1="5 Elm St", guarantor_city="Albany",
            guarantor_state="NY", guarantor_zip="122", guarantor_phone="123",
            guarantor_dob=date.today() + timedelta(days=3)))
    assert set(err.value.problems) == {"guarantor_zip", "guarantor_phone", "guarantor_dob"}
    assert sv.patients.search("rivera") == []


def test_register_assigns_sequential_unique_mrns_and_normalises(admin: Services) -> None:
    a = admin.patients.register(person(phone="(518) 555-0100", state="ny", zip="12207-1234",
                                       ssn="123-45-6789", sex="f"))
    b = admin.patients.register(person(last_name="Chen", first_name="Wei",
                                       dob=date(1990, 1, 2)))
    c = admin.patients.register(person(last_name="Okafor", first_name="Ngozi",
                                       dob=date(2001, 2, 3), sex="F"))
    assert [a.mrn, b.mrn, c.mrn] == ["M0000001", "M0000002", "M0000003"]
    assert a.data.phone == "5185550100"
    assert (a.data.state, a.data.zip, a.data.sex) == ("NY", "122071234", "F")
    assert a.data.ssn is None and a.ssn_last4 == "6789"
    assert admin.patients.get(a.id).data.city == "Albany"
    assert [r.mrn for r in admin.patients.search("M000000")] == ["M0000001", "M0000002", "M0000003"]
    (ev,) = [e for e in events(admin, "patient.create") if e.patient_id == a.id]
    assert ev.entity_id == str(a.id)


def test_guarantor_other_than_self_is_saved(admin: Services) -> None:
    d = admin.patients.register(person(
        dob=date(2015, 1, 1), guarantor_relationship="parent", guarantor_last_name="Rivera",
        guarantor_first_name="Luis", guarantor_address1="5 Elm St", guarantor_city="Albany",
        guarantor_state="ny", guarantor_zip="12207", guarantor_dob=date(1980, 1, 1)))
    got = admin.patients.get(d.id).data
    assert (got.guarantor_relationship, got.guarantor_first_name, got.guarantor_state) == (
        "parent", "Luis", "NY")


def test_registration_needs_the_edit_role(admin: Services) -> None:
    sign_in_as(admin, "biller")
    with pytest.raises(PermissionDenied):
        admin.patients.register(person())
    sign_in_as(admin, "front_desk")
    assert admin.patients.register(person()).mrn == "M0000001"


# --- duplicates ----------------------------------------------------------------------------------
def test_same_dob_and_a_name_one_letter_off_is_a_possible_duplicate(admin: Services) -> None:
    first = admin.patients.register(person(last_name="Smith", first_name="Jon"))
    typo = person(last_name="Smyth", first_name="Jon")
    with pytest.raises(PossibleDuplicates) as err:
        admin.patients.register(typo)
    assert [c.id for c in err.value.candidates] == [first.id]
    assert [c.id for c in admin.patients.possible_duplicates(typo)] == [first.id]
    assert admin.patients.count() == 1
    second = admin.patients.register(typo, allow_duplicates=True)
    assert second.mrn == "M0000002"
    assert admin.patients.count() == 2
    (ev,) = [e for e in events(admin, "patient.create") if e.patient_id == second.id]
    assert json.loads(ev.details) == {"duplicates_overridden": 1}


def test_same_ssn_with_another_name_and_dob_is_a_possible_duplicate(admin: Services) -> None:
    first = admin.patients.register(person(ssn="123-45-6789"))
    other = person(last_name="Park", first_name="Min", dob=date(1962, 2, 2), ssn="123456789")
    with pytest.raises(PossibleDuplicates) as err:
        admin.patients.register(other)
    assert [c.id for c in err.value.candidates] == [first.id]
    assert "123456789" not in str(err.value)


def test_other_people_are_not_duplicates(admin: Services) -> None:
    admin.patients.register(person(last_name="Smith", first_name="Jon", ssn="123456789"))
    # A different DOB and a different name.
    assert admin.patients.possible_duplicates(
        person(last_name="Garcia", first_name="Maria", dob=date(1990, 1, 1))) == []
    # The same DOB but a quite different name.
    assert admin.patients.possible_duplicates(
        person(last_name="Garcia", first_name="Maria", ssn="987654321")) == []
    # The same name but another DOB (a namesake).
    assert admin.patients.possible_duplicates(
        person(last_name="Smith", first_name="Jon", dob=date(1950, 5, 5))) == []
    admin.patients.register(person(last_name="Garcia", first_name="Maria", dob=date(1990, 1, 1)))
    assert admin.patients.count() == 2


# --- optimistic locking --------------------------------------------------------------------------
def test_the_later_of_two_edits_is_refused_and_the_first_kept(admin: Services) -> None:
    pid = admin.patients.register(person()).id
    mine, theirs = admin.patients.get(pid), admin.patients.get(pid)
    saved = admin.patients.update(replace(mine.data, city="Troy"))
    assert saved.data.version > mine.data.version
    with pytest.raises(ConflictError, match="Someone else saved this patient"):
        admin.patients.update(replace(theirs.data, city="Utica", email="x@example.com"))
    now = admin.patients.get(pid).data
    assert (now.city, now.email) == ("Troy", "")
    # Reopening and saving again works.
    admin.patients.update(replace(now, city="Utica"))
    assert admin.patients.get(pid).data.city == "Utica"
    fields = [json.loads(e.details)["fields"] for e in events(admin, "patient.update")]
    assert fields == [["city"], ["city"]]


def test_name_change_moves_the_search_keys(admin: Services) -> None:
    pid = admin.patients.register(person()).id
    d = admin.patients.get(pid).data
    admin.patients.update(replace(d, last_name="Núñez"))
    assert [r.id for r in admin.patients.search("nunez")] == [pid]
    assert admin.patients.search("rivera") == []


# --- SSN -----------------------------------------------------------------------------------------
def test_ssn_is_masked_and_kept_through_an_update(admin: Services) -> None:
    pid = admin.patients.register(person(ssn="123-45-6789")).id
    d = admin.patients.get(pid)
    assert d.data.ssn is None and d.ssn_last4 == "6789"
    assert "123456789" not in repr(d) and "123456789" not in repr(admin.patients.search("rivera"))
    assert mask_ssn(d.ssn_last4) == "***-**-6789" and mask_ssn("") == ""
    admin.patients.update(replace(d.data, city="Troy"))  # ssn=None: leave it
    assert admin.patients.reveal_ssn(pid) == "123-45-6789"
    admin.patients.update(replace(admin.patients.get(pid).data, ssn="987-65-4321"))
    assert admin.patients.get(pid).ssn_last4 == "4321"
    assert admin.patients.reveal_ssn(pid) == "987-65-4321"


@pytest.mark.parametrize("role", ["admin", "biller"])
def test_full_ssn_for_admin_and_biller_is_audited(admin: Services, role: str) -> None:
    pid = admin.patients.register(person(ssn="123-45-6789")).id
    if role != "admin":
        sign_in_as(admin, role)
    assert admin.patients.get(pid).ssn_last4 == "6789"
    assert admin.patients.reveal_ssn(pid) == "123-45-6789"
    (ev,) = events(admin, "patient.ssn_revealed")
    assert (ev.patient_id, ev.entity_id) == (pid, str(pid))
    assert ev.username == (ADMIN if role == "admin" else "biller1")
    with admin.db.session() as s:
        trail = [(e.details, e.entity_id) for e in s.scalars(select(AuditEvent))]
    assert not any("6789" in d for d, _ in trail), "no SSN digits in any audit event"


@pytest.mark.parametrize("role", ["front_desk", "coder"])
def test_other_roles_cannot_see_the_full_ssn(admin: Services, role: str) -> None:
    pid = admin.patients.register(person(ssn="123-45-6789")).id
    sign_in_as(admin, role)
    assert admin.patients.get(pid).ssn_last4 == "6789"
    with pytest.raises(PermissionDenied):
        admin.patients.reveal_ssn(pid)
    assert events(admin, "patient.ssn_revealed") == []


# --- merge and unmerge ---------------------------------------------------------------------------
def _with_history(s: Any, pid: int, tag: str) -> dict[str, list[int]]:
    """One row of every history kind for a patient; returns their ids per table."""
    enc = Encounter(patient_id=pid, date=date(2024, 1, 2), reason=f"visit {tag}")
    s.add(enc)
    s.flush()
    rows: dict[str, Any] = {
        "problem": Problem(patient_id=pid, code="E11.9", description=f"diabetes {tag}"),
        "medication": Medication(patient_id=pid, name=f"metformin {tag}"),
        "allergy": Allergy(patient_id=pid, substance=f"penicillin {tag}"),
        "observation": Observation(patient_id=pid, encounter_id=enc.id, code="4548-4",
                                   name="Hemoglobin A1c", value=Decimal("7.25"), unit="%",
                                   observed_on=date(2024, 1, 2)),
    }
    s.add_all(rows.values())
    s.flush()
    out = {k: [v.id] for k, v in rows.items()}
    out["encounter"] = [enc.id]
    return out


def _owned(sv: Services, pid: int) -> dict[str, set[int]]:
    with sv.db.session() as s:
        return {t.name: set(s.scalars(select(t.c.id).where(t.c.patient_id == pid)))
                for t in patient_child_tables()}


def test_merge_covers_every_history_table() -> None:
    assert {t.name for t in patient_child_tables()} >= {
        "problem", "medication", "allergy", "encounter", "observation", "document"}


@pytest.fixture
def pair(admin: Services) -> tuple[int, int, dict[str, list[int]], dict[str, list[int]]]:
    with admin.db.session() as s:
        keep = insert_patient(s, 1, "Keeper", "Kim", date(1970, 7, 7), phone="2025550111")
        dup = insert_patient(s, 2, "Kepper", "Kim", date(1970, 7, 7), phone="2025550122")
        keep_rows, dup_rows = _with_history(s, keep.id, "k"), _with_history(s, dup.id, "d")
        keep_id, dup_id = keep.id, dup.id
    keep_rows["document"] = [admin.documents.add(keep_id, "k.pdf", PDF).id]
    dup_rows["document"] = [admin.documents.add(dup_id, "d.pdf", PDF + b"d").id]
    return keep_id, dup_id, keep_rows, dup_rows


def test_merge_moves_every_child_and_unmerge_puts_back_exactly_those(admin: Services,
                                                                      pair: Any) -> None:
    keep, dup, keep_rows, dup_rows = pair
    result = admin.patients.merge(keep, dup)
    assert (result.kept_id, result.merged_id) == (keep, dup)
    assert {k: v for k, v in result.moved.items() if v} == {k: 1 for k in dup_rows}
    owned = _owned(admin, keep)
    for table, ids in dup_rows.items():
        assert owned[table] == set(ids) | set(keep_rows[table])
    assert not any(_owned(admin, dup).values())
    # The duplicate is gone from every search; the kept record is still found.
    assert [r.id for r in admin.patients.search("kim")] == [keep]
    for typed in ["kepper", "M0000002", "2", "202-555-0122"]:
        assert admin.patients.search(typed) == [], typed
    assert [r.id for r in admin.patients.search("07/07/1970")] == [keep]
    # The audit event says what moved.
    (ev,) = events(admin, "patient.merge")
    assert ev.seq == result.audit_seq and ev.patient_id == keep
    details = json.loads(ev.details)
    assert (details["kept"], details["merged"]) == (keep, dup)
    assert {k: v for k, v in details["moved"].items() if v} == dup_rows
    # Something recorded on the kept patient after the merge stays with it.
    later = admin.history.save(ProblemData(keep, "I10", "hypertension", date(2024, 2, 2)))
    assert admin.history.open_chart(keep).problems  # the chart shows the merged history

    assert admin.patients.unmerge(result.audit_seq) == dup
    for table in dup_rows:
        assert _owned(admin, dup)[table] == set(dup_rows[table]), table
    kept_now = _owned(admin, keep)
    for table in keep_rows:
        expected = set(keep_rows[table]) | ({later.id} if table == "problem" else set())
        assert kept_now[table] == expected, table
    assert admin.patients.get(dup).merged_into_id is None
    assert [r.id for r in admin.patients.search("kepper")] == [dup]
    assert [r.id for r in admin.patients.search("kim")] == [keep, dup]
    assert [r.id for r in admin.patients.search("M0000002")] == [dup]
    chart = admin.history.open_chart(dup)
    assert [d.id for d in chart.documents] == dup_rows["document"]
    assert admin.documents.open(dup_rows["document"][0]).content == PDF + b"d"
    (undo,) = events(admin, "patient.unmerge")
    assert json.loads(undo.details)["merge_seq"] == result.audit_seq
    with pytest.raises(UserError, match="already undone"):
        admin.patients.unmerge(result.audit_seq)
    assert _owned(admin, dup)["problem"] == set(dup_rows["problem"])


def test_merge_refusals(admin: Services, pair: Any) -> None:
    keep, dup, _k, dup_rows = pair
    with pytest.raises(UserError, match="two different patients"):
        admin.patients.merge(keep, keep)
    result = admin.patients.merge(keep, dup)
    with pytest.raises(UserError, match="already merged"):
        admin.patients.merge(keep, dup)
    with pytest.raises(UserError, match="not a patient merge"):
        admin.patients.unmerge(result.audit_seq - 1)
    assert _owned(admin, keep)["problem"] >= set(dup_rows["problem"])


@pytest.mark.parametrize("role", ["front_desk", "coder", "biller"])
def test_only_an_admin_merges_or_unmerges(admin: Services, pair: Any, role: str) -> None:
    keep, dup, _k, dup_rows = pair
    seq = admin.patients.merge(keep, dup).audit_seq
    admin.patients.unmerge(seq)
    sign_in_as(admin, role)
    with pytest.raises(PermissionDenied):
        admin.patients.merge(keep, dup)
    with pytest.raises(PermissionDenied):
        admin.patients.unmerge(seq)
    assert _owned(admin, dup)["problem"] == set(dup_rows["problem"])
    assert admin.patients.get(dup).merged_into_id is None
    assert len(events(admin, "patient.merge")) == 1


def test_document_blob_moves_with_its_document(admin: Services, pair: Any) -> None:
    keep, dup, _k, dup_rows = pair
    admin.patients.merge(keep, dup)
    with admin.db.session() as s:
        doc = s.get(Document, dup_rows["document"][0])
        assert doc is not None and doc.patient_id == keep
    assert admin.documents.open(dup_rows["document"][0]).content == PDF + b"d"
