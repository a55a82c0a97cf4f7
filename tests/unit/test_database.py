"""The encrypted clinic file: wrong keys and foreign files are refused clearly and left alone;
nothing stored is readable in the file, its WAL or a backup without the passphrase."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.errors import NotADatabase, UserError, ValidationError, WrongPassphrase
from app.models import AuditEvent, Patient
from app.services import Services, clinic
from app.services.clinic import create_clinic, open_clinic
from app.services.database import Database
from app.services.directory import ProviderData
from tests.conftest import PASSPHRASE, PRACTICE, new_clinic
from tests.unit._support import snapshot

WRONG = "WRONG-phrase-Xyzzy-4417"

# Distinctive values that could never appear in an encrypted file by chance.
PATIENT_LAST = "Quixlebottom"
PATIENT_FIRST = "Zephyrinah"
PATIENT_SSN = "987650432"
PROVIDER_LAST = "Vondrakowski"
USERNAME = "ximenaplunk"


@pytest.fixture
def closed_clinic(db_path: Path) -> Path:
    """A created clinic, checkpointed and closed, so the file alone holds everything."""
    db = create_clinic(db_path, new_clinic())
    db.checkpoint()
    db.close()
    return db_path


def _assert_clear_refusal(exc: BaseException, *secrets: str) -> None:
    msg = str(exc)
    assert msg.strip(), "the message must say something"
    for secret in secrets:
        assert secret not in msg
        assert secret not in repr(exc.args)


# --- wrong passphrase ---------------------------------------------------------------------------
@pytest.mark.parametrize("opener", ["Database.open", "open_clinic"])
def test_wrong_passphrase_is_refused_and_file_untouched(closed_clinic: Path, opener: str) -> None:
    before = snapshot(closed_clinic)
    with pytest.raises(WrongPassphrase) as err:
        if opener == "Database.open":
            Database.open(closed_clinic, WRONG)
        else:
            open_clinic(closed_clinic, WRONG, today=date(2030, 1, 1))
    assert snapshot(closed_clinic) == before
    assert closed_clinic.name in str(err.value)
    _assert_clear_refusal(err.value, WRONG, PASSPHRASE)
    # No backup folder was made for a file that did not open.
    assert not (closed_clinic.parent / f"{closed_clinic.stem}-backups").exists()


def test_missing_passphrase_is_refused(closed_clinic: Path) -> None:
    with pytest.raises(WrongPassphrase):
        Database.open(closed_clinic, "")


def test_sqlcipher_prints_nothing_for_a_wrong_key(closed_clinic: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    with pytest.raises(WrongPassphrase):
        Database.open(closed_clinic, WRONG)
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_right_passphrase_still_opens_after_a_wrong_one(closed_clinic: Path) -> None:
    with pytest.raises(WrongPassphrase):
        Database.open(closed_clinic, WRONG)
    db = Database.open(closed_clinic, PASSPHRASE)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM practice")).scalar() == 1
    finally:
        db.close()


# --- files that are not clinic databases ----------------------------------------------------------
def _plain_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x TEXT)")
    con.execute("INSERT INTO t VALUES ('hello')")
    con.commit()
    con.close()


def test_plain_sqlite_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "plain.ccdb"
    _plain_sqlite(path)
    before = snapshot(path)
    with pytest.raises(NotADatabase, match="unencrypted SQLite") as err:
        Database.open(path, PASSPHRASE)
    assert snapshot(path) == before
    _assert_clear_refusal(err.value, PASSPHRASE)


def test_empty_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.ccdb"
    path.write_bytes(b"")
    with pytest.raises(NotADatabase, match="empty") as err:
        Database.open(path, PASSPHRASE)
    assert path.read_bytes() == b""
    _assert_clear_refusal(err.value, PASSPHRASE)


def test_short_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "short.ccdb"
    path.write_bytes(b"not a db")
    with pytest.raises(NotADatabase):
        Database.open(path, PASSPHRASE)
    assert path.read_bytes() == b"not a db"


def test_random_bytes_are_refused_and_untouched(tmp_path: Path) -> None:
    # A SQLCipher file is indistinguishable from random bytes, so the refusal may read as a
    # wrong passphrase; it must still say the file may not be a ClinicClerk database.
    path = tmp_path / "random.ccdb"
    path.write_bytes(os.urandom(8192))
    before = snapshot(path)
    with pytest.raises((NotADatabase, WrongPassphrase)) as err:
        Database.open(path, PASSPHRASE)
    assert "not a ClinicClerk database" in str(err.value)
    assert snapshot(path) == before
    _assert_clear_refusal(err.value, PASSPHRASE)


def test_missing_path_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "clinic.ccdb"
    with pytest.raises(NotADatabase, match="no clinic database") as err:
        Database.open(path, PASSPHRASE)
    assert not path.exists()
    assert not path.parent.exists()
    _assert_clear_refusal(err.value, PASSPHRASE)


def test_directory_is_not_a_database(tmp_path: Path) -> None:
    folder = tmp_path / "folder.ccdb"
    folder.mkdir()
    with pytest.raises(NotADatabase, match="folder") as err:
        Database.open(folder, PASSPHRASE)
    assert list(folder.iterdir()) == []
    _assert_clear_refusal(err.value, PASSPHRASE)


def test_create_refuses_an_existing_file(closed_clinic: Path) -> None:
    before = snapshot(closed_clinic)
    with pytest.raises(UserError):
        Database.open(closed_clinic, PASSPHRASE, create=True)
    assert snapshot(closed_clinic) == before


# --- nothing readable without the passphrase ------------------------------------------------------
NEEDLES = [PATIENT_LAST, PATIENT_FIRST, PATIENT_SSN, PROVIDER_LAST, USERNAME,
           "Test Family Practice"]


def _found(raw: bytes) -> list[str]:
    low = raw.lower()
    return [n for n in NEEDLES if n.lower().encode() in low or n.encode("utf-16-le") in raw]


def _store_distinctive_records(admin: Services) -> None:
    with admin.db.session() as s:
        s.add(Patient(mrn="M0000001", last_name=PATIENT_LAST, first_name=PATIENT_FIRST,
                      dob=date(1970, 5, 17), sex="F", ssn=PATIENT_SSN))
    admin.directory.save_provider(ProviderData(last_name=PROVIDER_LAST, first_name="Ilse",
                                               npi="1234567893"))
    admin.users.create_user(USERNAME, "Ximena Plunk", "coder", "a long enough pw")


def test_the_search_finds_names_in_a_plain_file(tmp_path: Path) -> None:
    """Control: the byte search used below does find the names when they are in clear."""
    path = tmp_path / "plain.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a TEXT, b TEXT)")
    con.execute("INSERT INTO t VALUES (?, ?)", (PATIENT_LAST, USERNAME))
    con.commit()
    con.close()
    assert set(_found(path.read_bytes())) >= {PATIENT_LAST, USERNAME}


def test_no_plaintext_in_file_wal_or_backup(admin: Services, db_path: Path,
                                            tmp_path: Path) -> None:
    _store_distinctive_records(admin)
    # The values really are stored (read back through the passphrase).
    with admin.db.session() as s:
        assert s.query(Patient).one().last_name == PATIENT_LAST
    assert [p.last_name for p in admin.directory.providers()] == [PROVIDER_LAST]
    assert USERNAME in [u.username for u in admin.users.list_users()]

    wal = Path(str(db_path) + "-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the recent writes should be in the WAL"
    assert _found(wal.read_bytes()) == []
    main = db_path.read_bytes()
    assert not main.startswith(b"SQLite format 3")
    assert _found(main) == []

    out = tmp_path / "copies" / "backup.ccdb"
    admin.backup.backup(out)
    backup_raw = out.read_bytes()
    assert len(backup_raw) > 0 and not backup_raw.startswith(b"SQLite format 3")
    assert _found(backup_raw) == []
    # The backup does hold the records (it opens with the passphrase).
    copy = Database.open(out, PASSPHRASE)
    try:
        with copy.session() as s:
            assert s.query(Patient).one().first_name == PATIENT_FIRST
    finally:
        copy.close()

    admin.db.checkpoint()
    assert _found(db_path.read_bytes()) == []
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    for p in leftovers:
        assert _found(p.read_bytes()) == [], p.name


# --- connection rules -----------------------------------------------------------------------------
def test_foreign_keys_on_and_wal(services: Services) -> None:
    with services.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_foreign_keys_are_enforced(services: Services) -> None:
    with pytest.raises(IntegrityError), services.db.session() as s:
        s.add(AuditEvent(seq=999, at=datetime.now(UTC), user_id=424242, username="x",
                         action="x", entity="", entity_id="", details="",
                         prev_hash="0" * 64, hash="0" * 64))


def test_open_clinic_leaves_an_empty_file_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.ccdb"
    path.write_bytes(b"")
    with pytest.raises(NotADatabase):
        open_clinic(path, PASSPHRASE, today=date(2030, 1, 1))
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.ccdb"]


# --- creating a clinic ----------------------------------------------------------------------------
def test_create_clinic_checks_everything_first(db_path: Path) -> None:
    bad = new_clinic(passphrase="short", admin_password="admin", admin_full_name=" ",
                     practice=replace(PRACTICE, npi="1234567890"))
    with pytest.raises(ValidationError) as err:
        create_clinic(db_path, bad)
    assert set(err.value.problems) == {"passphrase", "admin_password", "admin_full_name",
                                       "practice npi"}
    assert "short" not in str(err.value)
    assert list(db_path.parent.iterdir()) == []


def test_create_clinic_failing_midway_leaves_no_file(db_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(clinic, "add_user", broken)
    with pytest.raises(RuntimeError, match="power cut"):
        create_clinic(db_path, new_clinic())
    assert list(db_path.parent.iterdir()) == []
