"""Revision 0002 (patient history) on a clinic written at 0001: backed up, upgraded in place,
and its existing patients found by the new folded-key search at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from app.services import Services, migrations
from app.services.backup import backup_dir_for
from app.services.clinic import open_clinic
from app.services.database import Database, make_engine
from app.services.patients import PatientData
from app.services.users import hash_password
from tests.conftest import PASSPHRASE
from tests.unit._support import raw_sql, schema_drift

TODAY = date(2030, 3, 4)
USER, PASSWORD = "olduser", "an old enough password"
NEW_TABLES = {"problem", "medication", "allergy", "encounter", "observation", "document",
              "document_blob", "import_log"}
OLD_PATIENTS = [
    # mrn, last, first, dob, phone
    ("M0000001", "O'Neil", "Patrick", "1970-01-01", "2125550101"),
    ("M0000002", "Lopez", "Zoë", "1980-03-04", "3125550102"),
    ("M0000003", "Smith", "Jo", "1980-03-04", ""),
]


def _tables(path: Path) -> set[str]:
    return {r[0] for r in raw_sql(path, "SELECT name FROM sqlite_master "
                                        "WHERE type = 'table'")[0]}


def _upgrade_to(path: Path, revision: str, *, create: bool = False) -> None:
    db = Database.open(path, PASSPHRASE, create=create)
    try:
        cfg = migrations._config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        db.close()


@pytest.fixture
def clinic_0001(tmp_path: Path) -> Path:
    """A clinic file as revision 0001 left it, with a user and three patients."""
    path = tmp_path / "old.ccdb"
    _upgrade_to(path, "0001", create=True)
    engine = make_engine(path, PASSPHRASE)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO user_account (username, full_name, role, password_hash, active, "
                "failed_attempts, must_change_password, created_at, password_changed_at) "
                "VALUES (:u, 'Old User', 'admin', :h, 1, 0, 0, :t, :t)"),
                {"u": USER, "h": hash_password(PASSWORD), "t": "2026-01-01 00:00:00"})
            conn.execute(text(
                "INSERT INTO patient (mrn, last_name, first_name, middle_name, dob, sex, "
                "address1, address2, city, state, zip, phone, email, ssn, created_at, version) "
                "VALUES (:mrn, :last, :first, '', :dob, 'U', '', '', '', '', '', :phone, '', '', "
                "'2026-01-01 00:00:00', 1)"),
                [dict(zip(("mrn", "last", "first", "dob", "phone"), row, strict=True))
                 for row in OLD_PATIENTS])
    finally:
        engine.dispose()
    assert raw_sql(path, "SELECT version_num FROM alembic_version")[0] == [("0001",)]
    assert not NEW_TABLES & _tables(path)
    return path


def test_old_patients_are_found_after_the_upgrade(clinic_0001: Path) -> None:
    db = open_clinic(clinic_0001, PASSPHRASE, today=TODAY)
    try:
        assert migrations.current_revision(db) == migrations.head_revision()
        sv = Services(db, PASSPHRASE)
        sv.users.sign_in(USER, PASSWORD)
        p = sv.patients
        assert p.count() == 3
        mrn = {r.id: r.mrn for r in p.search("", 0, 10)}
        by_mrn = {v: k for k, v in mrn.items()}

        def found(q: str) -> list[str]:
            return [mrn[r.id] for r in p.search(q)]

        assert found("oneil") == ["M0000001"]
        assert found("O'Neil") == ["M0000001"]
        assert found("zoe") == found("ZOË") == ["M0000002"]
        assert found("smith jo") == found("jo smith") == ["M0000003"]
        assert found("smi") == ["M0000003"]
        assert found("03/04/1980") == ["M0000002", "M0000003"]
        assert found("(212) 555-0101") == ["M0000001"]
        assert found("2") == ["M0000002"]
        # The old records take the new fields' defaults and work with the new services.
        d = p.get(by_mrn["M0000001"]).data
        assert (d.guarantor_relationship, d.preferred_name, d.mobile_phone) == ("self", "", "")
        assert sv.history.open_chart(by_mrn["M0000002"]).problems == []
        new = p.register(PatientData(last_name="Park", first_name="Min", dob=date(1990, 1, 1),
                                     sex="F"))
        assert new.mrn == "M0000004"
    finally:
        db.close()
    keys = raw_sql(clinic_0001, "SELECT mrn, last_key, first_key, preferred_key FROM patient "
                                "ORDER BY mrn")[0]
    assert keys[:3] == [("M0000001", "oneil", "patrick", ""), ("M0000002", "lopez", "zoe", ""),
                        ("M0000003", "smith", "jo", "")]


def test_the_upgrade_is_preceded_by_a_backup_of_the_old_file(clinic_0001: Path) -> None:
    open_clinic(clinic_0001, PASSPHRASE, today=TODAY).close()
    (backup,) = sorted(backup_dir_for(clinic_0001).glob("pre-migration-*"))
    assert backup.name.endswith("-from-0001.ccdb")
    assert not backup.read_bytes().startswith(b"SQLite format 3")
    assert raw_sql(backup, "SELECT version_num FROM alembic_version",
                   "SELECT mrn, last_name FROM patient ORDER BY mrn") == [
        [("0001",)], [(m, last) for m, last, *_ in OLD_PATIENTS]]
    assert not NEW_TABLES & _tables(backup)
    assert NEW_TABLES <= _tables(clinic_0001)
    # Opening again makes no second pre-migration backup.
    open_clinic(clinic_0001, PASSPHRASE, today=TODAY).close()
    assert len(list(backup_dir_for(clinic_0001).glob("pre-migration-*"))) == 1


def test_models_and_migrations_agree_after_upgrading_an_old_clinic(clinic_0001: Path) -> None:
    db = open_clinic(clinic_0001, PASSPHRASE, today=TODAY)
    try:
        assert schema_drift(db) == []
    finally:
        db.close()


def test_0002_downgrades_back_to_the_0001_schema(clinic_0001: Path) -> None:
    open_clinic(clinic_0001, PASSPHRASE, today=TODAY).close()
    db = Database.open(clinic_0001, PASSPHRASE)
    try:
        cfg = migrations._config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
    finally:
        db.close()
    assert not NEW_TABLES & _tables(clinic_0001)
    cols = {r[1] for r in raw_sql(clinic_0001, "PRAGMA table_info(patient)")[0]}
    assert "last_key" not in cols and "merged_into_id" not in cols
    assert raw_sql(clinic_0001, "SELECT mrn FROM patient ORDER BY mrn")[0] == [
        (m,) for m, *_ in OLD_PATIENTS]
    # And up again: the keys are filled a second time.
    _upgrade_to(clinic_0001, "head")
    assert raw_sql(clinic_0001, "SELECT last_key FROM patient ORDER BY mrn")[0] == [
        ("oneil",), ("lopez",), ("smith",)]
