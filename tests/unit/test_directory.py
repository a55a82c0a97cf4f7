"""The practice, providers, facilities and payers: all problems reported at once, nothing saved
until all are right, normalised values, optimistic locking, audited by field name."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditEvent
from app.services import Services
from app.services.audit import AuditFilter
from app.services.directory import FacilityData, PayerData, ProviderData, normalise
from tests.conftest import PRACTICE, add_user

GOOD_NPI = "1234567893"


def _events(sv: Services) -> int:
    with sv.db.session() as s:
        return int(s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def _last_event(sv: Services) -> tuple[str, dict[str, object]]:
    row = sv.audit.page(AuditFilter(), 0, 1)[0]
    return row.action, json.loads(row.details)


# --- practice -------------------------------------------------------------------------------------
def test_practice_reports_every_problem_and_saves_nothing(admin: Services) -> None:
    before = admin.directory.practice()
    events = _events(admin)
    assert before is not None
    bad = replace(before, npi="1234567890", ein="12345", zip="62701", state="ZZ",
                  taxonomy="207Q", phone="555", name=" ")
    with pytest.raises(ValidationError) as err:
        admin.directory.save_practice(bad)
    assert set(err.value.problems) == {"npi", "ein", "zip", "state", "taxonomy", "phone",
                                       "name"}
    assert "ZIP+4" in err.value.problems["zip"]
    msg = str(err.value)
    assert "was not saved" in msg and "npi" in msg and "ein" in msg
    assert admin.directory.practice() == before
    assert _events(admin) == events


def test_practice_is_normalised(admin: Services) -> None:
    current = admin.directory.practice()
    assert current is not None
    saved = admin.directory.save_practice(replace(
        current, name="  Lakeview Clinic ", ein="12-3456780", phone="(217) 555-0199",
        zip="62701-9876", state="il", taxonomy="207q00000x", npi="123-456-7893"))
    assert (saved.name, saved.ein, saved.phone, saved.zip, saved.state, saved.taxonomy,
            saved.npi) == ("Lakeview Clinic", "123456780", "2175550199", "627019876", "IL",
                           "207Q00000X", GOOD_NPI)
    assert saved.version == current.version + 1
    assert admin.directory.practice() == saved
    action, details = _last_event(admin)
    assert action == "practice.update"
    assert details == {"fields": ["ein", "name", "phone", "zip"]}


def test_stale_practice_copy_is_refused(admin: Services) -> None:
    current = admin.directory.practice()
    assert current is not None
    admin.directory.save_practice(replace(current, city="Chatham"))
    with pytest.raises(ConflictError):
        admin.directory.save_practice(replace(current, city="Decatur"))
    saved = admin.directory.practice()
    assert saved is not None and saved.city == "Chatham"


def test_normalise_leaves_free_text_alone() -> None:
    p = normalise(replace(PRACTICE, address1="  12 Oak-Tree Rd  ", city=" springfield "))
    assert (p.address1, p.city) == ("12 Oak-Tree Rd", "springfield")


# --- providers ------------------------------------------------------------------------------------
def test_provider_optimistic_locking(admin: Services) -> None:
    created = admin.directory.save_provider(ProviderData("Hale", "Rowan", GOOD_NPI))
    assert created.id is not None and created.version == 1
    mine, theirs = admin.directory.providers()[0], admin.directory.providers()[0]
    first = admin.directory.save_provider(replace(mine, first_name="Robin"))
    assert first.version == 2
    with pytest.raises(ConflictError, match="Their change is kept"):
        admin.directory.save_provider(replace(theirs, last_name="Hales"))
    (stored,) = admin.directory.providers()
    assert (stored.last_name, stored.first_name, stored.version) == ("Hale", "Robin", 2)


def test_provider_audit_names_fields_not_values(admin: Services) -> None:
    p = admin.directory.save_provider(ProviderData("Hale", "Rowan", GOOD_NPI, credential="md"))
    action, details = _last_event(admin)
    assert action == "provider.create"
    assert "Hale" not in json.dumps(details) and GOOD_NPI not in json.dumps(details)
    assert p.credential == "MD"
    admin.directory.save_provider(replace(p, last_name="Zanzibarova"))
    action, details = _last_event(admin)
    assert (action, details) == ("provider.update", {"fields": ["last_name"]})
    row = admin.audit.page(AuditFilter(), 0, 1)[0]
    assert "Zanzibarova" not in row.details
    assert (row.entity, row.entity_id) == ("provider", str(p.id))


def test_provider_duplicate_npi_and_bad_values(admin: Services) -> None:
    admin.directory.save_provider(ProviderData("Hale", "Rowan", GOOD_NPI))
    with pytest.raises(UserError, match="unique"):
        admin.directory.save_provider(ProviderData("Other", "Person", GOOD_NPI))
    with pytest.raises(ValidationError) as err:
        admin.directory.save_provider(ProviderData("", "", "1234567890", taxonomy="bad"))
    assert set(err.value.problems) == {"last_name", "first_name", "npi", "taxonomy"}
    assert [p.last_name for p in admin.directory.providers()] == ["Hale"]


def test_saving_a_provider_that_no_longer_exists(admin: Services) -> None:
    with pytest.raises(UserError, match="no longer exists"):
        admin.directory.save_provider(ProviderData("Ghost", "G", GOOD_NPI, id=999, version=1))
    assert admin.directory.providers() == []


def test_coder_sees_but_cannot_change_providers(admin: Services) -> None:
    admin.directory.save_provider(ProviderData("Hale", "Rowan", GOOD_NPI))
    pw = add_user(admin, "cody", "coder")
    admin.users.sign_in("cody", pw)
    (p,) = admin.directory.providers()
    with pytest.raises(PermissionDenied):
        admin.directory.save_provider(replace(p, last_name="Changed"))
    assert admin.directory.providers()[0].last_name == "Hale"


# --- payers and facilities -----------------------------------------------------------------------
def test_duplicate_payer_id_is_refused(admin: Services) -> None:
    admin.directory.save_payer(PayerData("Acme Health", "ACME1", "CI"))
    with pytest.raises(UserError, match="payer ID") as err:
        admin.directory.save_payer(PayerData("Acme Again", "acme1", "ci"))
    assert not isinstance(err.value, ValidationError)
    assert [p.name for p in admin.directory.payers()] == ["Acme Health"]


def test_payer_problems_all_at_once(admin: Services) -> None:
    with pytest.raises(ValidationError) as err:
        admin.directory.save_payer(PayerData("", "", "QQ", timely_filing_days=0, phone="123",
                                             state="Q", zip="1"))
    assert set(err.value.problems) == {"name", "payer_id", "claim_filing_indicator",
                                       "timely_filing_days", "phone", "state", "zip"}
    assert admin.directory.payers() == []


def test_payer_normalised_and_listed(admin: Services) -> None:
    saved = admin.directory.save_payer(PayerData(
        "Bluebell", " blu-01 ", "bl", timely_filing_days=180, phone="800-555-0199",
        state="ny", zip="11719"))
    assert (saved.payer_id, saved.claim_filing_indicator, saved.phone, saved.state) == (
        "BLU-01", "BL", "8005550199", "NY")
    admin.directory.save_payer(replace(saved, active=False))
    assert admin.directory.payers(active_only=True) == []
    assert [p.payer_id for p in admin.directory.payers()] == ["BLU-01"]


def test_facility_checks_and_saves(admin: Services) -> None:
    with pytest.raises(ValidationError) as err:
        admin.directory.save_facility(FacilityData("Annex", "77", "1 Side St", "Springfield",
                                                   "IL", "62701", npi="1234567890"))
    assert set(err.value.problems) == {"pos", "npi"}
    saved = admin.directory.save_facility(FacilityData("Annex", "11", "1 Side St",
                                                       "Springfield", "il", "62701-1234"))
    assert (saved.state, saved.zip) == ("IL", "627011234")
    assert [f.name for f in admin.directory.facilities()] == ["Annex"]
