"""Backups and restore: encrypted, verified copies; restore checks first, keeps the replaced
file, and refuses anything that is not a good backup of this clinic; scheduled retention."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import cli
from app.errors import PermissionDenied, UserError
from app.models import AuditEvent, Payer
from app.services import Services, backup
from app.services.audit import verify_chain
from app.services.backup import backup_dir_for, scheduled_backups
from app.services.clinic import create_clinic, open_clinic
from app.services.database import Database
from app.services.directory import PayerData
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, add_user, new_clinic
from tests.unit._support import raw_sql, snapshot


def _payer_names(db: Database) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(Payer.name)))


def _actions(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


# --- backup and restore through the services ------------------------------------------------------
def test_backup_restore_round_trip(admin: Services, db_path: Path, tmp_path: Path) -> None:
    admin.directory.save_payer(PayerData("Before Health", "BEFORE", "CI"))
    out = tmp_path / "elsewhere" / "copy.ccdb"
    result = admin.backup.backup(out)
    assert result.path == out and result.size == out.stat().st_size > 0
    assert not out.read_bytes().startswith(b"SQLite format 3")
    assert _actions(admin.db)[-1] == "backup"
    admin.directory.save_payer(PayerData("After Health", "AFTER", "CI"))

    kept = admin.backup.restore(out)

    assert kept.parent == db_path.parent and kept.exists() and kept != db_path
    db = open_clinic(db_path, PASSPHRASE, scheduled_backup=False)
    try:
        assert _payer_names(db) == ["Before Health"]
        assert _actions(db)[-1] == "restore.completed"
        assert verify_chain(db).ok
        sv = Services(db, PASSPHRASE)
        sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
        assert sv.audit.verify().ok
    finally:
        db.close()
    old = Database.open(kept, PASSPHRASE)
    try:
        assert _payer_names(old) == ["After Health", "Before Health"]
        assert "restore" in _actions(old)
    finally:
        old.close()


def test_backup_refuses_the_database_itself(admin: Services, db_path: Path) -> None:
    before = _actions(admin.db)
    with pytest.raises(UserError):
        admin.backup.backup(db_path)
    assert _actions(admin.db) == before


Maker = Callable[[Services, Path], Path]


def _other_passphrase_file(_sv: Services, tmp_path: Path) -> Path:
    path = tmp_path / "other.ccdb"
    create_clinic(path, new_clinic(passphrase="a different clinic phrase")).close()
    return path


def _truncated_backup(admin: Services, tmp_path: Path) -> Path:
    good = tmp_path / "good.ccdb"
    admin.backup.backup(good)
    raw = good.read_bytes()
    bad = tmp_path / "truncated.ccdb"
    bad.write_bytes(raw[: len(raw) // 2])
    return bad


def _random_file(_sv: Services, tmp_path: Path) -> Path:
    path = tmp_path / "random.ccdb"
    path.write_bytes(os.urandom(16384))
    return path


def _plain_sqlite(_sv: Services, tmp_path: Path) -> Path:
    path = tmp_path / "plain.ccdb"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE x (y)")
    con.commit()
    con.close()
    return path


def _empty_file(_sv: Services, tmp_path: Path) -> Path:
    path = tmp_path / "empty.ccdb"
    path.write_bytes(b"")
    return path


def _missing(_sv: Services, tmp_path: Path) -> Path:
    return tmp_path / "missing.ccdb"


def _same_passphrase_not_a_clinic(_sv: Services, tmp_path: Path) -> Path:
    """Encrypted with this clinic's passphrase, but some other database (no schema revision)."""
    path = tmp_path / "stranger.ccdb"
    Database.open(path, PASSPHRASE, create=True).close()
    raw_sql(path, "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    return path


@pytest.mark.parametrize("make", [_other_passphrase_file, _truncated_backup, _random_file,
                                  _plain_sqlite, _empty_file, _missing,
                                  _same_passphrase_not_a_clinic])
def test_bad_restore_is_refused_and_changes_nothing(admin: Services, db_path: Path,
                                                    tmp_path: Path, make: Maker) -> None:
    admin.directory.save_payer(PayerData("Current Health", "CURRENT", "CI"))
    incoming_dir = tmp_path / "incoming"
    incoming_dir.mkdir()
    incoming = make(admin, incoming_dir)
    incoming_before = snapshot(incoming) if incoming.exists() else None
    admin.db.checkpoint()
    before = snapshot(db_path)
    with pytest.raises(UserError, match="[Nn]othing was restored") as err:
        admin.backup.restore(incoming)
    assert PASSPHRASE not in str(err.value)
    assert snapshot(db_path) == before
    assert sorted(p.name for p in db_path.parent.glob("clinic.ccdb.*")) == []
    if incoming_before is not None:
        assert snapshot(incoming) == incoming_before
    assert _payer_names(admin.db) == ["Current Health"]
    assert verify_chain(admin.db).ok


def test_backup_and_restore_need_the_right_role(admin: Services, tmp_path: Path) -> None:
    good = tmp_path / "good.ccdb"
    admin.backup.backup(good)
    biller_pw = add_user(admin, "billie", "biller")
    coder_pw = add_user(admin, "cody", "coder")
    admin.users.sign_in("billie", biller_pw)
    admin.backup.backup(tmp_path / "by-biller.ccdb")
    assert (tmp_path / "by-biller.ccdb").exists()
    with pytest.raises(PermissionDenied):
        admin.backup.restore(good)
    admin.users.sign_in("cody", coder_pw)
    with pytest.raises(PermissionDenied):
        admin.backup.backup(tmp_path / "by-coder.ccdb")
    assert not (tmp_path / "by-coder.ccdb").exists()


# --- the CLI --------------------------------------------------------------------------------------
def test_cli_backup_and_restore(db_path: Path, tmp_path: Path, cli_env: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    create_clinic(db_path, new_clinic()).close()
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    base = ["--db", str(db_path), "--user", ADMIN]
    out = tmp_path / "cli-backup.ccdb"

    assert cli.main([*base, "backup", str(out)]) == 0
    assert "verified" in capsys.readouterr().out
    Database.open(out, PASSPHRASE).close()

    rnd = tmp_path / "random.ccdb"
    rnd.write_bytes(os.urandom(16384))
    assert cli.main([*base, "restore", str(rnd)]) == 1
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1
    assert "nothing was restored" in captured.err.lower()
    assert "Traceback" not in captured.err

    assert cli.main([*base, "restore", str(out)]) == 0
    assert "kept at" in capsys.readouterr().out
    assert len(list(tmp_path.glob("clinic.ccdb.replaced-*"))) == 1

    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", "not the passphrase")
    assert cli.main([*base, "backup", str(tmp_path / "never.ccdb")]) == 1
    assert not (tmp_path / "never.ccdb").exists()


# --- scheduled backups ----------------------------------------------------------------------------
def _names(folder: Path, prefix: str) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{prefix}-*.ccdb"))


def test_scheduled_backups_keep_seven_daily_and_four_weekly(
        services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = services.db
    folder = backup_dir_for(db.path)
    # One real online backup, then copies of it: the retention rule is what is under test here
    # and each real copy costs two key derivations.
    template = tmp_path / "template.ccdb"
    backup.backup_to(db, PASSPHRASE, template)
    copies: list[Path] = []

    def fast_backup_to(_db: Database, _passphrase: str | None, out: Path) -> None:
        copies.append(out)
        shutil.copy2(template, out)

    monkeypatch.setattr(backup, "backup_to", fast_backup_to)
    start = date(2030, 12, 3)  # runs across a year end and its ISO week numbering
    days = [start + timedelta(days=i) for i in range(40)]
    for day in days:
        written = scheduled_backups(db, PASSPHRASE, day)
        assert folder / f"daily-{day.isoformat()}.ccdb" in written
        assert len(_names(folder, "daily")) <= 7
        assert len(_names(folder, "weekly")) <= 4
        assert list(folder.glob("*.partial")) == []
    assert len(copies) == len(days)  # one online backup a day; the weekly is a file copy
    assert _names(folder, "daily") == [f"daily-{d.isoformat()}.ccdb" for d in days[-7:]]
    weeks = sorted({f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in days})
    assert _names(folder, "weekly") == [f"weekly-{w}.ccdb" for w in weeks[-4:]]
    # A kept copy is a real encrypted backup.
    newest = folder / f"daily-{days[-1].isoformat()}.ccdb"
    assert not newest.read_bytes().startswith(b"SQLite format 3")
    Database.open(newest, PASSPHRASE).close()


def test_scheduled_backup_twice_on_one_day_writes_nothing_new(services: Services) -> None:
    db = services.db
    folder = backup_dir_for(db.path)
    day = date(2031, 2, 3)  # a Monday: the day's and the week's backup
    first = scheduled_backups(db, PASSPHRASE, day)
    assert sorted(p.name for p in first) == ["daily-2031-02-03.ccdb", "weekly-2031-W06.ccdb"]
    listing = {p.name: snapshot(p) for p in folder.iterdir()}
    events = len(_actions(db))
    assert scheduled_backups(db, PASSPHRASE, day) == []
    assert {p.name: snapshot(p) for p in folder.iterdir()} == listing
    assert len(_actions(db)) == events
    assert scheduled_backups(db, PASSPHRASE, day + timedelta(days=1)) == [
        folder / "daily-2031-02-04.ccdb"]
    assert _actions(db)[-1] == "backup.scheduled"
