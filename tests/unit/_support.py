"""Helpers shared by the unit tests: raw SQL on an encrypted file, file snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.services.database import Database, make_engine
from tests.conftest import PASSPHRASE


def raw_sql(path: Path, *statements: str, passphrase: str = PASSPHRASE) -> list[list[Any]]:
    """Run statements in one transaction on the encrypted file, bypassing the services;
    returns each statement's rows (empty for statements without rows)."""
    engine = make_engine(path, passphrase)
    results: list[list[Any]] = []
    try:
        with engine.connect() as conn:
            for sql in statements:
                res = conn.exec_driver_sql(sql)
                results.append([tuple(r) for r in res] if res.returns_rows else [])
            conn.commit()
    finally:
        engine.dispose()
    return results


def snapshot(path: Path) -> tuple[bytes, int]:
    """The file's bytes and modification time, to prove it was left alone."""
    return path.read_bytes(), path.stat().st_mtime_ns


def modelled_name(name: str | None, type_: str, _parents: object) -> bool:
    """For alembic's compare_metadata `include_name`: the FTS5 search table (migration 0005)
    and its shadow tables have no model."""
    from app.services.code_sets import is_search_table

    return not (type_ == "table" and name is not None and is_search_table(name))


def schema_drift(db: Database) -> list[Any]:
    """What alembic sees differ between the open database and the models (types included);
    an empty list when they agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.models import Base

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "render_as_batch": True,
                                                     "include_name": modelled_name})
        return list(compare_metadata(ctx, Base.metadata))


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF we wrote, read back with pypdf."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
