"""Schema migrations run from code at start-up (DESIGN.md §2.10): one transaction, after a
backup, refusing a database that a newer ClinicClerk has written."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

import migrations
from app.errors import NewerDatabase
from app.services.database import Database


def migrations_dir() -> Path:
    return Path(migrations.__file__).resolve().parent


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_not_newer(db: Database) -> str | None:
    """The database's revision, or `NewerDatabase` when this build does not know it."""
    current = current_revision(db)
    if current is None:
        return None
    try:
        ScriptDirectory.from_config(_config()).get_revision(current)
    except CommandError:
        raise NewerDatabase(
            f"{db.path.name} was written by a newer version of ClinicClerk. Install that "
            "version (or newer) to open it; this one will not change the file."
        ) from None
    return current


def needs_upgrade(db: Database) -> bool:
    return check_not_newer(db) != head_revision()


def upgrade(db: Database) -> None:
    """Bring the schema to head inside one transaction (all of it, or none of it)."""
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
