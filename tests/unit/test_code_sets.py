"""Code sets: releases side by side and validity by date of service, all-or-nothing loading,
who may load, and (on the bundled FY2026 release) search, hierarchy, children and notes."""

from __future__ import annotations

import importlib
import json
from datetime import date, timedelta
from types import ModuleType

import pytest
from sqlalchemy import func, select

from app.errors import ConflictError, NotSignedIn, PermissionDenied, UserError
from app.formats.icd10cm import Icd10Entry, search_words
from app.models import AuditEvent, CodeSetRelease, DiagnosisCode
from app.services import Services
from app.services.code_sets import CodeSetService, ensure_bundled_icd10cm, has_icd10cm
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user

# The loaded-clinic fixtures (icd_clinic_file, icd_admin), made once per session.
pytest_plugins = ["tests.unit.icd_fixture"]

R1_FROM = date(2025, 10, 1)
R2_FROM = date(2026, 10, 1)


def svc(sv: Services) -> CodeSetService:
    return CodeSetService(sv.db, sv.ctx)


def sign_in_as(sv: Services, role: str) -> None:
    name = f"{role.replace('_', '')}1"
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    sv.users.sign_in(name, add_user(sv, name, role))


def events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def small(*leaves: tuple[str, str]) -> list[Icd10Entry]:
    """A tiny release: chapter 4, block E08-E13, header E11 and the given billable codes."""
    head = [Icd10Entry("4", "chapter", "Endocrine diseases (E00-E89)", False, "", "4", "",
                       {"excludes1": ["transitory disorders of newborn (P70-P74)"]}),
            Icd10Entry("E08-E13", "block", "Diabetes mellitus (E08-E13)", False, "4", "4",
                       "E08-E13"),
            Icd10Entry("E11", "category", "Type 2 diabetes mellitus", False, "E08-E13", "4",
                       "E08-E13", {"excludes1": ["type 1 diabetes mellitus (E10.-)"]})]
    return head + [Icd10Entry(code, "subcategory", desc, True, "E11", "4", "E08-E13")
                   for code, desc in leaves]


R1 = small(("E119", "Type 2 diabetes mellitus without complications"),
           ("E1165", "Type 2 diabetes mellitus with hyperglycemia"))
R2 = small(("E119", "Type 2 diabetes mellitus without complications"),
           ("E11A", "Type 2 diabetes mellitus without complications in remission"))


@pytest.fixture
def two_releases(admin: Services) -> CodeSetService:
    cs = svc(admin)
    cs.load_release("FY2026", R1_FROM, R1, "test r1")
    cs.load_release("FY2027", R2_FROM, R2, "test r2")
    return cs


# --- releases and validity by date of service -----------------------------------------------
def test_loading_a_later_release_closes_the_earlier_one(two_releases: CodeSetService) -> None:
    new, old = two_releases.releases()
    assert (new.version, new.effective_from, new.effective_to) == ("FY2027", R2_FROM, None)
    assert (old.version, old.effective_from) == ("FY2026", R1_FROM)
    assert old.effective_to == R2_FROM - timedelta(days=1)
    assert (old.codes, new.codes) == (2, 2)  # billable codes


def test_validity_follows_the_release_in_force(two_releases: CodeSetService) -> None:
    last_day = R2_FROM - timedelta(days=1)

    def valid(code: str, on: date) -> bool | None:
        d = two_releases.diagnosis(code, on)
        return None if d is None else d.valid_on

    # Only in release 1: valid up to its last day, not after.
    assert valid("E11.65", last_day) is True
    assert valid("E11.65", R2_FROM) is False
    # Added in release 2: not valid before it starts.
    assert valid("E11.A", last_day) is False
    assert valid("E11.A", R2_FROM) is True
    # In both; a header is never valid; before any release nothing is.
    assert valid("E11.9", R1_FROM) is True and valid("E11.9", R2_FROM) is True
    assert valid("E11", R1_FROM) is False
    assert valid("E11.9", R1_FROM - timedelta(days=1)) is False
    assert two_releases.diagnosis("E11.65") is not None  # still described (newest that has it)
    assert two_releases.diagnosis("Z99.99") is None


def test_search_uses_the_release_in_force_on_the_date(two_releases: CodeSetService) -> None:
    codes = lambda **kw: [h.code for h in two_releases.search_diagnoses("E11", **kw)]  # noqa: E731
    assert codes() == ["E11", "E11.9", "E11.A"]  # newest release by default
    assert codes(on=R2_FROM - timedelta(days=1)) == ["E11", "E11.65", "E11.9"]
    assert "E11.A" in [h.code for h in two_releases.search_diagnoses("remission")]
    assert two_releases.search_diagnoses("remission", on=R1_FROM) == []
    with pytest.raises(UserError, match="covers 09/30/2025"):
        two_releases.search_diagnoses("E11", on=R1_FROM - timedelta(days=1))
    # the coding page's picker: the release in force, else the newest rather than nothing
    assert codes(on=R2_FROM - timedelta(days=1), or_latest=True) == ["E11", "E11.65", "E11.9"]
    assert codes(on=R1_FROM - timedelta(days=1), or_latest=True) == ["E11", "E11.9", "E11.A"]


def test_releases_must_be_loaded_oldest_first_and_once(two_releases: CodeSetService) -> None:
    with pytest.raises(UserError, match="oldest first"):
        two_releases.load_release("FY2026b", R2_FROM, R1, "x")
    with pytest.raises(ConflictError, match="already loaded"):
        two_releases.load_release("FY2027", date(2027, 10, 1), R2, "x")
    assert len(two_releases.releases()) == 2


def test_same_file_is_not_loaded_twice(admin: Services) -> None:
    cs = svc(admin)
    cs.load_release("FY2026", R1_FROM, R1, "a.xml", sha256="ab" * 32)
    with pytest.raises(ConflictError, match="already loaded as ICD-10-CM FY2026"):
        cs.load_release("FY2027", R2_FROM, R2, "b.xml", sha256="ab" * 32)


@pytest.mark.parametrize(("entries", "message"), [
    ([], "no codes"),
    (R1 + [R1[-1]], "appears twice"),
    (R1 + [Icd10Entry("E1010", "subcategory", "x", True, "E101", "4", "E08-E13")],
     "parent E101 is not in the release"),
    (R1 + [Icd10Entry("E10.1", "subcategory", "x", True, "E11", "4", "E08-E13")],
     "without a dot"),
    (R1 + [Icd10Entry("E112", "code", "x", True, "E11", "4", "E08-E13")], "unknown kind"),
])
def test_a_bad_release_writes_nothing(admin: Services, entries: list[Icd10Entry],
                                      message: str) -> None:
    cs = svc(admin)
    cs.load_release("FY2026", R1_FROM, R1, "r1")
    with pytest.raises(UserError, match=message):
        cs.load_release("FY2027", R2_FROM, entries, "bad")
    (only,) = cs.releases()
    assert only.effective_to is None  # the earlier release was not closed either
    with admin.db.session() as s:
        assert s.scalar(select(func.count()).select_from(DiagnosisCode)) == len(R1)
    assert len(events(admin, "code_set.load")) == 1


def test_loading_is_audited_and_needs_manage_code_sets(admin: Services) -> None:
    sign_in_as(admin, "front_desk")
    with pytest.raises(PermissionDenied):
        svc(admin).load_release("FY2026", R1_FROM, R1, "r1")
    sign_in_as(admin, "biller")
    with pytest.raises(PermissionDenied):
        svc(admin).load_release("FY2026", R1_FROM, R1, "r1")
    assert svc(admin).releases() == []
    sign_in_as(admin, "coder")
    info = svc(admin).load_release("FY2026", R1_FROM, R1, "r1")
    assert info.loaded_by == "coder1"
    (ev,) = events(admin, "code_set.load")
    assert ev.username == "coder1" and ev.entity_id == str(info.id)
    assert json.loads(ev.details) == {"system": "icd10cm", "version": "FY2026",
                                      "rows": len(R1), "billable": 2, "closed": []}


def test_reading_needs_a_signed_in_user(admin: Services) -> None:
    svc(admin).load_release("FY2026", R1_FROM, R1, "r1")
    admin.users.sign_out()
    cs = svc(admin)
    for call in (lambda: cs.search_diagnoses("E11"), lambda: cs.diagnosis("E11.9"),
                 lambda: cs.hierarchy("E11.9"), lambda: cs.children("E11"),
                 lambda: cs.releases()):
        with pytest.raises(NotSignedIn):
            call()


def test_search_without_any_release_says_what_to_do(admin: Services) -> None:
    assert not has_icd10cm(admin.db)
    with pytest.raises(UserError, match="No ICD-10-CM release is loaded"):
        svc(admin).search_diagnoses("diabetes")


def test_import_a_tabular_file_once(admin: Services) -> None:
    from tests.unit.test_icd10cm import SMALL

    cs = svc(admin)
    info = cs.import_tabular(SMALL.encode(), "icd10cm_tabular_2027.xml")
    assert (info.version, info.effective_from, info.source) == (
        "FY2027", date(2026, 10, 1), "icd10cm_tabular_2027.xml")
    hits = [h.code for h in cs.search_diagnoses("open wound scalp")]
    assert hits[0] == "S01.0" and sorted(hits) == ["S01.0", "S01.0XXA", "S01.0XXS"]
    with pytest.raises(ConflictError, match="already loaded"):
        cs.import_tabular(SMALL.encode(), "again.xml", version="FY2027 again",
                          effective_from=date(2027, 1, 1))
    sign_in_as(admin, "biller")
    with pytest.raises(PermissionDenied):
        cs.import_tabular(SMALL.replace("2027", "2028").encode(), "x.xml")


def test_small_release_notes_and_inherited_notes(two_releases: CodeSetService) -> None:
    d = two_releases.diagnosis("e11.9")
    assert d is not None
    assert (d.code, d.chapter, d.chapter_title, d.block, d.release) == (
        "E11.9", "4", "Endocrine diseases (E00-E89)", "E08-E13", "FY2027")
    assert d.notes == {} and d.valid_on is None
    assert [code for code, _ in d.inherited_notes] == ["4", "E11"]
    assert d.inherited_notes[1][1] == {"excludes1": ["type 1 diabetes mellitus (E10.-)"]}


# --- the bundled release ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def package() -> ModuleType:
    return importlib.import_module("simple_icd_10_cm.simple_icd_10_cm")


def test_bundled_release_is_loaded_once_by_the_system(icd_admin: Services) -> None:
    cs = svc(icd_admin)
    (rel,) = cs.releases()
    assert (rel.version, rel.effective_from, rel.effective_to) == (
        "FY2026 (April 1, 2026 update)", date(2025, 10, 1), None)
    assert rel.loaded_by == "system"
    with icd_admin.db.session() as s:
        rows = s.scalar(select(func.count()).where(DiagnosisCode.release_id == rel.id))
        billable = s.scalar(select(func.count()).where(DiagnosisCode.release_id == rel.id,
                                                       DiagnosisCode.billable.is_(True)))
    assert rel.codes == billable and rows is not None and rows > 90_000
    (ev,) = events(icd_admin, "code_set.load")
    assert ev.user_id is None and ev.username == "system"
    assert has_icd10cm(icd_admin.db)
    assert ensure_bundled_icd10cm(icd_admin.db) is False
    assert cs.ensure_bundled_icd10cm() is False
    with icd_admin.db.session() as s:
        assert s.scalar(select(func.count()).select_from(CodeSetRelease)) == 1


def words_match(query: str, description: str) -> bool:
    have = search_words(description)
    return all(any(h.startswith(w) for h in have) for w in search_words(query))


def test_words_in_any_order_case_accents_and_punctuation(icd_admin: Services) -> None:
    cs = svc(icd_admin)
    hits = cs.search_diagnoses("diab neuro type 2")
    codes = [h.code for h in hits]
    assert "E11.40" in codes and codes.index("E11.40") < 5
    assert all(words_match("diab neuro type 2", h.description) for h in hits)
    for same in ("neuro type 2 diab", "DIAB, Neuro-Type 2", "  diäb  néuro type 2 "):
        assert [h.code for h in cs.search_diagnoses(same)] == codes


def test_every_word_must_match_and_is_a_prefix(icd_admin: Services) -> None:
    cs = svc(icd_admin)
    hits = cs.search_diagnoses("essential hypert", limit=100)
    assert hits[0].code == "I10"
    assert all(words_match("essential hypert", h.description) for h in hits)
    assert cs.search_diagnoses("essential hypertzz") == []
    assert cs.search_diagnoses(" ,.;- ") == []


def test_inclusion_terms_count_but_rank_after_descriptions(icd_admin: Services) -> None:
    # "COPD" is only in J44.1's inclusion terms ("Decompensated COPD").
    assert [h.code for h in svc(icd_admin).search_diagnoses("copd exac")] == ["J44.1"]
    hits = svc(icd_admin).search_diagnoses("obliterative bronch")
    assert "J44.81" in [h.code for h in hits]


@pytest.mark.parametrize("typed", ["E11.4", "e114", "E11.4 ", "e11.4-"])
def test_code_prefix_with_and_without_dot(icd_admin: Services, typed: str,
                                          package: ModuleType) -> None:
    hits = svc(icd_admin).search_diagnoses(typed)
    codes = [h.code for h in hits]
    assert codes[0] == "E11.4"  # the exact code first
    assert codes == sorted(codes)
    expected = ["E11.4", *package.get_descendants("E11.4")]
    assert codes == sorted(expected)


def test_billable_only(icd_admin: Services) -> None:
    cs = svc(icd_admin)
    everything = cs.search_diagnoses("diabetes mellitus")
    assert any(not h.billable for h in everything)
    only = cs.search_diagnoses("diabetes mellitus", billable_only=True, limit=200)
    assert only and all(h.billable for h in only)
    coded = cs.search_diagnoses("E11.4", billable_only=True)
    assert [h.code for h in coded][:2] == ["E11.40", "E11.41"]


def test_a_code_like_word_falls_back_to_words(icd_admin: Services) -> None:
    # There is no category B12; "b12" is a word of "Vitamin B12 deficiency anemia".
    hits = svc(icd_admin).search_diagnoses("b12 defic")
    assert hits and hits[0].code.startswith("D51")


def test_hierarchy_and_children(icd_admin: Services, package: ModuleType) -> None:
    cs = svc(icd_admin)
    chain = cs.hierarchy("E11.40")
    assert [(h.code, h.kind) for h in chain] == [
        ("4", "chapter"), ("E08-E13", "block"), ("E11", "category"),
        ("E11.4", "subcategory")]
    assert [h.code for h in cs.children("E11.4")] == package.get_children("E11.4")
    assert all(h.billable for h in cs.children("E11.4"))
    assert [h.code for h in cs.children("S72.001")] == package.get_children("S72.001")
    assert cs.hierarchy("4") == [] and cs.children("E11.40") == []


def test_detail_has_notes_checked_against_the_package(icd_admin: Services,
                                                      package: ModuleType) -> None:
    d = svc(icd_admin).diagnosis("E11", on=date(2026, 1, 15))
    assert d is not None
    assert d.notes["excludes1"] == [" ".join(n.split()) for n in package.get_excludes1("E11")]
    assert d.valid_on is False  # a header
    leaf = svc(icd_admin).diagnosis("E11.40", on=date(2026, 1, 15))
    assert leaf is not None and leaf.valid_on is True
    assert ("E11", d.notes) in leaf.inherited_notes
    assert leaf.block_title == "Diabetes mellitus (E08-E13)"


@pytest.mark.parametrize(("code", "rule", "sex", "ages"), [
    ("O80", "maternity", "F", (12, 55)),
    ("P07.30", "perinatal", "", (0, None)),
    ("N40.0", "male-only", "M", (None, None)),
    ("N80.00", "female-only", "F", (None, None)),
])
def test_sex_and_age_rules_are_stored(icd_admin: Services, code: str, rule: str, sex: str,
                                      ages: tuple[int | None, int | None]) -> None:
    d = svc(icd_admin).diagnosis(code)
    assert d is not None
    assert (d.edit_rule, d.sex, (d.age_min, d.age_max)) == (rule, sex, ages)


def test_later_release_beside_the_bundled_one(icd_admin: Services) -> None:
    """Side by side with the real release: after the new one starts, codes it lacks are no
    longer valid, and search follows the date."""
    cs = svc(icd_admin)
    cs.load_release("FY2027 test", R2_FROM, R2, "test")
    assert cs.diagnosis("I10", on=R2_FROM - timedelta(days=1)).valid_on is True  # type: ignore[union-attr]
    assert cs.diagnosis("I10", on=R2_FROM).valid_on is False  # type: ignore[union-attr]
    assert cs.search_diagnoses("I10", on=R2_FROM - timedelta(days=1))[0].code == "I10"
    assert [h.code for h in cs.search_diagnoses("hypertension")] == []
