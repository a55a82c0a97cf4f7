"""Encrypted backups and restore (HIPAA 164.308(a)(7) contingency plan; ONC 170.315(d)(9)).

Backups use SQLite's online backup API between two SQLCipher connections keyed with the same
passphrase, so the copy is encrypted page by page and the app may stay open. Every copy is
opened again and integrity-checked before it counts. Restore verifies the incoming file first
and keeps the file it replaces.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import text

from app.errors import NewerDatabase, NotADatabase, UserError, WrongPassphrase
from app.services import migrations
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database, make_engine
from app.services.permissions import Permission

log = logging.getLogger(__name__)

KEEP_DAILY = 7
KEEP_WEEKLY = 4
KEEP_PRE_MIGRATION = 5


def backup_dir_for(db_path: Path) -> Path:
    return db_path.parent / f"{db_path.stem}-backups"


def _copy(db: Database, passphrase: str | None, out: Path) -> None:
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    dest_engine = make_engine(tmp, passphrase, encrypted=db.encrypted)
    src = db.raw_connection()
    dest = dest_engine.raw_connection()
    try:
        src.driver_connection.backup(dest.driver_connection)
    finally:
        dest.close()
        src.close()
        dest_engine.dispose()
    verify_file(tmp, passphrase, encrypted=db.encrypted)
    tmp.replace(out)


def verify_file(path: Path, passphrase: str | None, *, encrypted: bool = True) -> str | None:
    """Open `path` with the passphrase and check its pages and its schema revision.

    Returns the revision; raises a `UserError` naming what is wrong. Writes nothing."""
    if not path.is_file():
        raise NotADatabase(f"There is no file at {path}.")
    db = Database.open(path, passphrase, encrypted=encrypted)
    try:
        with db.engine.connect() as conn:
            if encrypted:
                bad = conn.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
                if bad:
                    raise NotADatabase(f"{path.name} is damaged ({len(bad)} bad pages).")
            result = conn.execute(text("PRAGMA integrity_check")).scalar()
            if result != "ok":
                raise NotADatabase(f"{path.name} failed the integrity check.")
        return migrations.check_not_newer(db)
    finally:
        db.close()


def backup_to(db: Database, passphrase: str | None, out: Path) -> None:
    """Write an encrypted, checked copy of the open database to `out` (not audited)."""
    if out.resolve() == db.path.resolve():
        raise UserError("Choose a backup file other than the database itself.")
    out.parent.mkdir(parents=True, exist_ok=True)
    _copy(db, passphrase, out)


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int


class BackupService:
    """Backups on request and on schedule, and restore."""

    def __init__(self, db: Database, ctx: UserContext, passphrase: str | None) -> None:
        self._db = db
        self._ctx = ctx
        self._passphrase = passphrase

    def backup(self, out: Path) -> BackupResult:
        """An encrypted, verified copy at `out`; audited."""
        user = self._ctx.require(Permission.BACKUP)
        backup_to(self._db, self._passphrase, out)
        with self._db.session() as s:
            append_event(s, user, "backup", details={"file": out.name})
        return BackupResult(out, out.stat().st_size)

    def restore(self, incoming: Path) -> Path:
        """Replace the database with `incoming` after checking it; returns where the replaced
        file was kept. The caller must reopen the database afterwards."""
        user = self._ctx.require(Permission.RESTORE)
        try:
            if verify_file(incoming, self._passphrase, encrypted=self._db.encrypted) is None:
                # Opens with our passphrase but has no schema revision: not a clinic backup.
                raise NotADatabase(f"{incoming.name} is not a ClinicClerk database.")
        except WrongPassphrase:
            raise UserError(
                f"{incoming.name} does not open with this clinic's passphrase; nothing was "
                "restored."
            ) from None
        except (NotADatabase, NewerDatabase) as exc:
            raise UserError(f"{exc} Nothing was restored.") from None
        with self._db.session() as s:
            append_event(s, user, "restore", details={"file": incoming.name})
        kept = self._db.path.with_name(
            f"{self._db.path.name}.replaced-{datetime.now():%Y%m%d-%H%M%S}")
        self._db.checkpoint()
        self._db.close()
        shutil.copy2(self._db.path, kept)
        for suffix in ("-wal", "-shm"):
            Path(str(self._db.path) + suffix).unlink(missing_ok=True)
        tmp = self._db.path.with_name(self._db.path.name + ".restoring")
        shutil.copy2(incoming, tmp)
        tmp.replace(self._db.path)
        # The restored file gets its own record of the restore; the user may not exist in
        # an older copy, so the event carries the name only.
        restored = Database.open(self._db.path, self._passphrase, encrypted=self._db.encrypted)
        try:
            with restored.session() as s:
                append_event(s, None, "restore.completed", username=user.username,
                             details={"file": incoming.name, "replaced_kept_as": kept.name})
        finally:
            restored.close()
        return kept


_DAILY = re.compile(r"^daily-(\d{4}-\d{2}-\d{2})\.ccdb$")
_WEEKLY = re.compile(r"^weekly-(\d{4}-W\d{2})\.ccdb$")
_PRE = re.compile(r"^pre-migration-.*\.ccdb$")


def _prune(folder: Path, pattern: re.Pattern[str], keep: int) -> None:
    found = sorted(p for p in folder.iterdir() if pattern.match(p.name))
    for old in found[:-keep]:
        old.unlink()


def scheduled_backups(db: Database, passphrase: str | None, today: date) -> list[Path]:
    """The first start of a day makes that day's backup, and the first of an ISO week the
    week's; keeps 7 daily and 4 weekly. Returns the files written."""
    folder = backup_dir_for(db.path)
    folder.mkdir(parents=True, exist_ok=True)
    iso = today.isocalendar()
    wanted = [folder / f"daily-{today.isoformat()}.ccdb",
              folder / f"weekly-{iso.year}-W{iso.week:02d}.ccdb"]
    written: list[Path] = []
    for path in wanted:
        if path.exists():
            continue
        if written:  # the same moment's copy, already verified: no second online backup
            shutil.copy2(written[0], path)
        else:
            backup_to(db, passphrase, path)
        written.append(path)
    if written:
        with db.session() as s:
            append_event(s, None, "backup.scheduled", details={"files": [p.name for p in written]})
    _prune(folder, _DAILY, KEEP_DAILY)
    _prune(folder, _WEEKLY, KEEP_WEEKLY)
    return written


def pre_migration_backup(db: Database, passphrase: str | None, revision: str) -> Path:
    folder = backup_dir_for(db.path)
    out = folder / f"pre-migration-{datetime.now():%Y%m%d-%H%M%S}-from-{revision}.ccdb"
    backup_to(db, passphrase, out)
    _prune(folder, _PRE, KEEP_PRE_MIGRATION)
    return out
