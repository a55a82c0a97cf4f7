"""Opening a clinic: prove the passphrase, refuse a newer schema, back up, migrate, and make
the day's backup (DESIGN.md §1 start-up order). Creating a new clinic (first-run setup)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.errors import NotADatabase, ValidationError
from app.models import Practice
from app.services import backup, migrations
from app.services.audit import append_event
from app.services.database import Database
from app.services.directory import PracticeData, check_practice, normalise
from app.services.secrets import check_passphrase_rules
from app.services.settings import ALLOW_REMEMBER_PASSPHRASE, put
from app.services.users import add_user, check_password_rules, check_username


def open_clinic(path: Path | str, passphrase: str | None, *, today: date | None = None,
                scheduled_backup: bool = True) -> Database:
    """Open an existing clinic database ready for use."""
    db = Database.open(path, passphrase)
    try:
        current = migrations.check_not_newer(db)
        if current is None:
            raise NotADatabase(f"{db.path.name} opens, but it is not a ClinicClerk database.")
        if current != migrations.head_revision():
            backup.pre_migration_backup(db, passphrase, current)
            migrations.upgrade(db)
        if scheduled_backup:
            backup.scheduled_backups(db, passphrase, today or date.today())
    except BaseException:
        db.close()
        raise
    return db


@dataclass(frozen=True)
class NewClinic:
    passphrase: str
    practice: PracticeData
    admin_username: str
    admin_full_name: str
    admin_password: str
    allow_remember_passphrase: bool = True


def check_new_clinic(c: NewClinic) -> dict[str, str]:
    """Every problem with the setup form at once; empty when it can be created."""
    problems: dict[str, str] = {}
    for field, msg in (("passphrase", check_passphrase_rules(c.passphrase)),
                       ("admin_username", check_username(c.admin_username)),
                       ("admin_password", check_password_rules(c.admin_password,
                                                               c.admin_username))):
        if msg:
            problems[field] = msg
    if not c.admin_full_name.strip():
        problems["admin_full_name"] = "is required."
    problems.update({f"practice {k}": v for k, v in
                     check_practice(normalise(c.practice)).items()})
    return problems


def create_clinic(path: Path | str, c: NewClinic) -> Database:
    """Check everything, then create the encrypted file, migrate it, and add the practice and
    the first admin. Nothing is written when any check fails."""
    problems = check_new_clinic(c)
    if problems:
        raise ValidationError(problems, "clinic")
    db = Database.open(path, c.passphrase, create=True)
    try:
        migrations.upgrade(db)
        _fill(db, c)
    except BaseException:
        db.close()
        Path(path).unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        raise
    return db


def _fill(db: Database, c: NewClinic) -> None:
    p = normalise(c.practice)
    with db.session() as s:
        append_event(s, None, "clinic.create")
        admin = add_user(s, None, c.admin_username, c.admin_full_name, "admin",
                         c.admin_password)
        values = {k: v for k, v in p.__dict__.items() if k != "version"}
        s.add(Practice(id=1, **values))
        put(s, ALLOW_REMEMBER_PASSPHRASE, "1" if c.allow_remember_passphrase else "0")
        append_event(s, None, "practice.create", entity="practice", entity_id=1,
                     details={"by": admin.username})
