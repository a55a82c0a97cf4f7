"""Alembic environment. The app runs migrations from code (app/services/migrations.py) and
hands over an open connection inside its own transaction; developers may also run
`alembic revision --autogenerate` with CLINIC_CLERK_DB and CLINIC_CLERK_PASSPHRASE set."""

import os

from alembic import context

from app.models import Base
from app.services.code_sets import is_search_table

config = context.config
target_metadata = Base.metadata


def include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    """Autogenerate leaves alone the FTS5 search table (0005) and its shadow tables: they
    have no SQLAlchemy model."""
    return not (type_ == "table" and name is not None and is_search_table(name))


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
        transaction_per_migration=False,
    )
    # A batch migration rebuilds a table (copy, drop, rename); checking foreign keys at
    # COMMIT instead of per statement lets that happen while child rows point at it.
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from app.services.database import Database

    db = Database.open(os.environ["CLINIC_CLERK_DB"], os.environ.get("CLINIC_CLERK_PASSPHRASE"))
    with db.engine.begin() as conn:
        _run(conn)
    db.close()
