"""Providers' quick-pick lists: only known codes, ordered lists kept dense through adds,
removals and moves, labels, who may change them, and the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.errors import NotSignedIn, PermissionDenied, UserError, ValidationError
from app.models import AuditEvent, CodeSetRelease, DiagnosisCode, Provider
from app.services import Services
from app.services.favorites import FavoriteRow, FavoriteService
from app.services.procedure_codes import ProcedureCodeService, ProcedureData
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user


@pytest.fixture
def fav(admin: Services) -> FavoriteService:
    return FavoriteService(admin.db, admin.ctx)


@pytest.fixture
def doc(admin: Services) -> int:
    """A provider, with an ICD-10-CM release and a few procedure codes loaded."""
    with admin.db.session() as s:
        p = Provider(last_name="Quinn", first_name="Ada", npi="1234567893")
        s.add(p)
        release = CodeSetRelease(system="icd10cm", version="FY2026",
                                 effective_from=date(2025, 10, 1))
        s.add(release)
        s.flush()
        s.add_all([
            DiagnosisCode(release_id=release.id, code="E119", kind="subcategory",
                          description="Type 2 diabetes mellitus without complications",
                          billable=True),
            DiagnosisCode(release_id=release.id, code="E11", kind="category",
                          description="Type 2 diabetes mellitus", billable=False),
            DiagnosisCode(release_id=release.id, code="I10", kind="category",
                          description="Essential (primary) hypertension", billable=True),
        ])
        provider_id = p.id
    codes = ProcedureCodeService(admin.db, admin.ctx)
    codes.add_procedure(ProcedureData("cpt", "99213", "Office visit est low"))
    codes.add_procedure(ProcedureData("hcpcs", "J1100", "Dexamethasone 1 mg"))
    codes.add_procedure(ProcedureData("hcpcs", "G0008", "Admin influenza virus vac"))
    codes.add_procedure(ProcedureData("hcpcs", "V5170", "Within ear cros hearing aid",
                                      effective_to=date.today() - timedelta(days=1)))
    return provider_id


def order(rows: list[FavoriteRow]) -> list[tuple[str, int]]:
    return [(r.code, r.position) for r in rows]


def test_adds_go_to_the_end_of_their_own_list(fav: FavoriteService, doc: int) -> None:
    fav.add(doc, "cpt", "99213")
    fav.add(doc, "icd10cm", "e11.9")
    fav.add(doc, "hcpcs", "j1100", label="Dex shot")
    fav.add(doc, "icd10cm", "I10")
    rows = fav.list(doc)
    assert order(rows) == [("E119", 1), ("I10", 2), ("99213", 1), ("J1100", 2)]
    e119 = rows[0]
    assert (e119.display_code, e119.description, e119.text) == (
        "E11.9", "Type 2 diabetes mellitus without complications",
        "Type 2 diabetes mellitus without complications")
    assert rows[3].text == "Dex shot" and rows[3].description == "Dexamethasone 1 mg"
    assert order(fav.list(doc, "procedure")) == [("99213", 1), ("J1100", 2)]
    assert order(fav.list(doc, "hcpcs")) == [("J1100", 2)]
    assert order(fav.list(doc, "icd10cm")) == [("E119", 1), ("I10", 2)]


@pytest.mark.parametrize(("system", "code", "words"), [
    ("icd10cm", "Z9999", "not an ICD-10-CM code"),
    ("icd10cm", "E11", "not a billable code"),
    ("hcpcs", "J9999", "not a known HCPCS or CPT code"),
    ("hcpcs", "99213", "is a CPT code, not HCPCS"),
    ("hcpcs", "V5170", "ended on"),
])
def test_only_codes_that_can_be_billed_are_added(fav: FavoriteService, doc: int, system: str,
                                                 code: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        fav.add(doc, system, code)
    assert fav.list(doc) == []


def test_a_code_is_on_a_list_once_and_the_provider_must_exist(fav: FavoriteService,
                                                              doc: int) -> None:
    fav.add(doc, "cpt", "99213")
    with pytest.raises(ValidationError, match="already on this provider's list"):
        fav.add(doc, "cpt", "99213")
    with pytest.raises(UserError, match="provider no longer exists"):
        fav.add(doc + 1000, "cpt", "99213")
    with pytest.raises(ValidationError, match="ICD-10-CM, HCPCS or CPT"):
        fav.add(doc, "loinc", "1234-5")
    with pytest.raises(ValidationError, match="at most 80"):
        fav.add(doc, "hcpcs", "J1100", label="x" * 81)


def test_remove_closes_the_gap(fav: FavoriteService, doc: int) -> None:
    ids = [fav.add(doc, sy, c).id for sy, c in
           [("cpt", "99213"), ("hcpcs", "J1100"), ("hcpcs", "G0008")]]
    fav.remove(ids[0])
    assert order(fav.list(doc)) == [("J1100", 1), ("G0008", 2)]
    with pytest.raises(UserError, match="no longer on the list"):
        fav.remove(ids[0])


def test_move_to_a_position_up_and_down(fav: FavoriteService, doc: int) -> None:
    a, b, c = (fav.add(doc, sy, code).id for sy, code in
               [("cpt", "99213"), ("hcpcs", "J1100"), ("hcpcs", "G0008")])
    dx = fav.add(doc, "icd10cm", "E119").id
    assert order(fav.move(c, 1)) == [("G0008", 1), ("99213", 2), ("J1100", 3)]
    assert order(fav.move(c, 99)) == [("99213", 1), ("J1100", 2), ("G0008", 3)]
    assert order(fav.move_up(b)) == [("J1100", 1), ("99213", 2), ("G0008", 3)]
    assert order(fav.move_up(b)) == [("J1100", 1), ("99213", 2), ("G0008", 3)]  # top already
    assert order(fav.move_down(a)) == [("J1100", 1), ("G0008", 2), ("99213", 3)]
    assert order(fav.move_down(a)) == [("J1100", 1), ("G0008", 2), ("99213", 3)]
    assert order(fav.list(doc, "diagnosis")) == [("E119", 1)]  # the other list is untouched
    assert order(fav.move(dx, 0)) == [("E119", 1)]


def test_labels_and_the_audit_trail(admin: Services, fav: FavoriteService, doc: int) -> None:
    f = fav.add(doc, "hcpcs", "J1100")
    assert fav.set_label(f.id, "  Dex   shot ").label == "Dex shot"
    assert fav.set_label(f.id, "").text == "Dexamethasone 1 mg"
    other = fav.add(doc, "cpt", "99213")
    fav.move(other.id, 1)
    fav.remove(f.id)
    with admin.db.session() as s:
        actions = [(e.action, e.entity_id) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("favorites.%"))
            .order_by(AuditEvent.seq))]
    assert actions == [("favorites.add", str(doc)), ("favorites.label", str(doc)),
                       ("favorites.label", str(doc)), ("favorites.add", str(doc)),
                       ("favorites.move", str(doc)), ("favorites.remove", str(doc))]


def test_anyone_signed_in_reads_only_code_set_managers_change(admin: Services,
                                                              fav: FavoriteService,
                                                              doc: int) -> None:
    f = fav.add(doc, "cpt", "99213")
    add_user(admin, "desk", "front_desk")
    admin.users.sign_in("desk", "a long enough pw")
    assert order(fav.list(doc)) == [("99213", 1)]
    for change in (lambda: fav.add(doc, "hcpcs", "J1100"), lambda: fav.remove(f.id),
                   lambda: fav.move(f.id, 1), lambda: fav.move_up(f.id),
                   lambda: fav.set_label(f.id, "x")):
        with pytest.raises(PermissionDenied):
            change()
    admin.users.sign_out()
    with pytest.raises(NotSignedIn):
        fav.list(doc)
    admin.users.sign_in(ADMIN, ADMIN_PASSWORD)
    with pytest.raises(UserError, match="not a code system"):
        fav.list(doc, "loinc")
