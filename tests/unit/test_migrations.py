"""Schema migrations: models and migrations agree; newer or foreign databases are refused and
left alone; an upgrade backs up first and runs in one transaction (all of it or none)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import alembic.op
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from app.errors import NewerDatabase, NotADatabase
from app.models import Base, Patient
from app.services import Services, migrations
from app.services.backup import backup_dir_for
from app.services.clinic import create_clinic, open_clinic
from app.services.database import Database
from tests.conftest import PASSPHRASE, new_clinic
from tests.unit._support import modelled_name, raw_sql, schema_drift, snapshot

TODAY = date(2030, 3, 4)


def _tables(path: Path) -> set[str]:
    rows = raw_sql(path, "SELECT name FROM sqlite_master WHERE type = 'table'")[0]
    return {r[0] for r in rows}


@pytest.fixture
def closed_clinic(db_path: Path) -> Path:
    db = create_clinic(db_path, new_clinic())
    with db.session() as s:
        s.add(Patient(mrn="M1", last_name="Keepme", first_name="Kim", dob=date(1980, 1, 2),
                      sex="F"))
    db.close()
    return db_path


# --- models and migrations agree ---------------------------------------------------------------
def test_migrated_schema_matches_the_models(services: Services) -> None:
    assert schema_drift(services.db) == []


def test_search_index_is_migrated_but_skipped_by_the_comparison(services: Services) -> None:
    """Control for the filter above: it skips only the FTS5 table and its shadow tables."""
    names = {r[0] for r in raw_sql(services.db.path,
                                   "SELECT name FROM sqlite_master WHERE type = 'table'")[0]}
    skipped = {n for n in names if not modelled_name(n, "table", None)}
    assert "diagnosis_search" in skipped
    assert skipped - {"diagnosis_search"}, "the shadow tables are skipped too"
    assert all(n.startswith("diagnosis_search_") for n in skipped - {"diagnosis_search"})
    assert "diagnosis_code" not in skipped


def test_compare_would_notice_a_missing_table(services: Services) -> None:
    """Control: the comparison above is able to see a difference."""
    with services.db.engine.connect() as conn:
        conn.exec_driver_sql("DROP TABLE setting")
        ctx = MigrationContext.configure(conn)
        diff = compare_metadata(ctx, Base.metadata)
        conn.rollback()
    assert any(d[0] == "add_table" and d[1].name == "setting" for d in diff)


def test_fresh_clinic_is_at_head_with_audit_triggers(services: Services) -> None:
    assert migrations.current_revision(services.db) == migrations.head_revision()
    assert not migrations.needs_upgrade(services.db)
    rows = raw_sql(services.db.path, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    assert {r[0] for r in rows[0]} >= {"audit_event_no_update", "audit_event_no_delete"}


# --- refusals ------------------------------------------------------------------------------------
def test_newer_database_is_refused_and_left_unchanged(closed_clinic: Path) -> None:
    raw_sql(closed_clinic, "UPDATE alembic_version SET version_num = 'ffff_future'")
    before = snapshot(closed_clinic)
    with pytest.raises(NewerDatabase, match="newer version") as err:
        open_clinic(closed_clinic, PASSPHRASE, today=TODAY)
    assert PASSPHRASE not in str(err.value)
    assert snapshot(closed_clinic) == before
    assert not backup_dir_for(closed_clinic).exists()
    assert raw_sql(closed_clinic, "SELECT version_num FROM alembic_version")[0] == [
        ("ffff_future",)]


def test_tables_without_alembic_version_are_not_a_clinic(tmp_path: Path) -> None:
    path = tmp_path / "other.ccdb"
    Database.open(path, PASSPHRASE, create=True).close()
    raw_sql(path, "CREATE TABLE patient (id INTEGER PRIMARY KEY, name TEXT)",
            "INSERT INTO patient (name) VALUES ('someone')")
    before = snapshot(path)
    with pytest.raises(NotADatabase, match="not a ClinicClerk database"):
        open_clinic(path, PASSPHRASE, today=TODAY)
    assert snapshot(path) == before
    assert _tables(path) == {"patient"}
    assert not backup_dir_for(path).exists()


def test_clinic_with_alembic_version_dropped_is_refused(closed_clinic: Path) -> None:
    raw_sql(closed_clinic, "DROP TABLE alembic_version")
    with pytest.raises(NotADatabase):
        open_clinic(closed_clinic, PASSPHRASE, today=TODAY)
    assert "alembic_version" not in _tables(closed_clinic)


# --- upgrading an older database ------------------------------------------------------------------
NEXT_REVISION = '''
"""test-only revision"""
from alembic import op
import sqlalchemy as sa

revision = "test_next"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("extra_note", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("body", sa.Text(), nullable=False))
    op.execute("UPDATE patient SET last_name = 'CHANGED'")
{fail}

def downgrade() -> None:
    op.drop_table("extra_note")
'''


@pytest.fixture
def newer_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """Make this build know one more revision than the clinic file (a copy of the real
    migrations plus a test revision), as if the clinic were written by an older build."""

    def install(failing: bool) -> None:
        copy = tmp_path / "migrations_copy"
        shutil.copytree(migrations.migrations_dir(), copy,
                        ignore=shutil.ignore_patterns("__pycache__"))
        fail = '    raise RuntimeError("the second step failed")' if failing else ""
        down = migrations.head_revision()
        (copy / "versions" / "test_next.py").write_text(
            textwrap.dedent(NEXT_REVISION).format(down=down, fail=fail))
        monkeypatch.setattr(migrations, "migrations_dir", lambda: copy)
        assert migrations.head_revision() == "test_next"

    return install


def _backups(path: Path) -> list[Path]:
    folder = backup_dir_for(path)
    return sorted(folder.glob("pre-migration-*")) if folder.exists() else []


def test_older_database_is_backed_up_then_upgraded(
        closed_clinic: Path, newer_build: Callable[[bool], None]) -> None:
    old_revision = raw_sql(closed_clinic, "SELECT version_num FROM alembic_version")[0][0][0]
    newer_build(False)
    db = open_clinic(closed_clinic, PASSPHRASE, today=TODAY)
    try:
        assert migrations.current_revision(db) == "test_next"
        with db.session() as s:
            assert s.scalars(select(Patient.last_name)).all() == ["CHANGED"]
            s.execute(text("INSERT INTO extra_note (body) VALUES ('x')"))
    finally:
        db.close()
    (backup,) = _backups(closed_clinic)
    assert backup.name.endswith(f"-from-{old_revision}.ccdb")
    # The backup is the database as it was before the upgrade, still encrypted.
    assert not backup.read_bytes().startswith(b"SQLite format 3")
    assert "extra_note" not in _tables(backup)
    assert raw_sql(backup, "SELECT version_num FROM alembic_version",
                   "SELECT last_name FROM patient") == [[(old_revision,)], [("Keepme",)]]


def test_failed_upgrade_leaves_nothing_half_applied(
        closed_clinic: Path, newer_build: Callable[[bool], None]) -> None:
    tables_before = _tables(closed_clinic)
    old_revision = migrations.head_revision()
    newer_build(True)
    with pytest.raises(RuntimeError, match="second step failed"):
        open_clinic(closed_clinic, PASSPHRASE, today=TODAY)
    assert _tables(closed_clinic) == tables_before
    assert raw_sql(closed_clinic, "SELECT version_num FROM alembic_version",
                   "SELECT last_name FROM patient") == [[(old_revision,)], [("Keepme",)]]
    # The automatic backup was written before the attempt.
    assert len(_backups(closed_clinic)) == 1


def test_up_to_date_database_makes_no_pre_migration_backup(closed_clinic: Path) -> None:
    open_clinic(closed_clinic, PASSPHRASE, today=TODAY).close()
    assert _backups(closed_clinic) == []


def test_first_migration_is_all_or_nothing(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "new.ccdb"
    db = Database.open(path, PASSPHRASE, create=True)
    real_create: Callable[..., Any] = alembic.op.create_table
    made: list[str] = []

    def create_then_fail(name: str, *cols: Any, **kw: Any) -> Any:
        if made:
            raise RuntimeError("disk full, say")
        made.append(name)
        return real_create(name, *cols, **kw)

    monkeypatch.setattr(alembic.op, "create_table", create_then_fail)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            migrations.upgrade(db)
        assert made, "the first table was created before the failure"
        assert migrations.current_revision(db) is None
    finally:
        db.close()
    tables = _tables(path)
    assert made[0] not in tables
    assert tables <= {"alembic_version"}
    if tables:
        assert raw_sql(path, "SELECT count(*) FROM alembic_version")[0] == [(0,)]
