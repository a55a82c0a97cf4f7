"""The encrypted clinic database: SQLCipher 4 through `sqlcipher3` and SQLAlchemy.

The passphrase travels only through `URL.create(password=...)` (the dialect quotes it into
`PRAGMA key`); it is never put in a URL string, a log line or an exception message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.orm import Session, sessionmaker

from app.errors import NotADatabase, WrongPassphrase

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


def _install_connection_rules(engine: Engine, *, encrypted: bool) -> None:
    """Per-connection setup: quiet SQLCipher, prove the key, WAL, foreign keys, and real
    transactions (pysqlite leaves DDL outside a transaction unless BEGIN is ours)."""

    if encrypted:
        # Runs before the dialect's PRAGMA key: SQLCipher would otherwise print its own
        # error lines to stderr on a wrong key (DESIGN.md §5).
        @event.listens_for(engine, "connect", insert=True)
        def _quiet(dbapi_conn: Any, _rec: Any) -> None:
            dbapi_conn.execute("PRAGMA cipher_log_level = NONE")

    @event.listens_for(engine, "connect")
    def _setup(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None
        # Reading the schema is the cheapest proof that the key is right; it writes nothing.
        dbapi_conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")
        # Sorts and temporary tables stay in memory: no unencrypted temp files on disk.
        dbapi_conn.execute("PRAGMA temp_store = MEMORY")
        # A 64 MiB page cache (SQLite's default is 2 MiB's worth): posting a large remittance
        # checks each entry's foreign keys in tables of hundreds of thousands of rows, and
        # every page read again from disk is decrypted again. Taken only as pages are used.
        dbapi_conn.execute("PRAGMA cache_size = -65536")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def make_engine(path: Path, passphrase: str | None, *, encrypted: bool = True) -> Engine:
    """An engine on `path`. `encrypted=False` (plain SQLite) exists only for the benchmark."""
    if encrypted:
        if not passphrase:
            raise WrongPassphrase("A clinic passphrase is needed to open the database.")
        url = URL.create("sqlite+pysqlcipher", password=passphrase, database=str(path))
    else:
        url = URL.create("sqlite", database=str(path))
    engine = create_engine(url)
    _install_connection_rules(engine, encrypted=encrypted)
    return engine


def _explain_open_failure(path: Path) -> Exception:
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return NotADatabase(f"The database file {path.name} cannot be read.")
    if head == SQLITE_HEADER:
        return NotADatabase(
            f"{path.name} is an unencrypted SQLite file, not a ClinicClerk database."
        )
    if len(head) < 16:
        return NotADatabase(f"{path.name} is empty or too short to be a ClinicClerk database.")
    return WrongPassphrase(
        f"The passphrase does not open {path.name}. Check the passphrase and try again; "
        "if it is right, the file is damaged or not a ClinicClerk database: restore a backup."
    )


class Database:
    """One open clinic database. Services take it and open a `Session` per call."""

    def __init__(self, path: Path, engine: Engine, *, encrypted: bool = True) -> None:
        self.path = path
        self.engine = engine
        self.encrypted = encrypted
        self._factory = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(
        cls, path: Path | str, passphrase: str | None, *, create: bool = False,
        encrypted: bool = True,
    ) -> Database:
        """Open (or with `create`, make) the file and prove the passphrase.

        A missing file, a wrong passphrase or a non-database file raises a `UserError`
        and leaves the file as it was: nothing is written before the key is proven.
        """
        path = Path(path)
        if path.exists() and path.is_dir():
            raise NotADatabase(f"{path} is a folder, not a database file.")
        if not create and not path.exists():
            raise NotADatabase(f"There is no clinic database at {path}.")
        if not create and path.stat().st_size == 0:
            # SQLCipher would open an empty file as a new database and write a header into it.
            raise NotADatabase(f"{path.name} is empty or too short to be a ClinicClerk database.")
        if create and path.exists():
            raise NotADatabase(f"{path.name} already exists; choose another file name.")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(path, passphrase, encrypted=encrypted)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SADatabaseError:
            engine.dispose()
            raise _explain_open_failure(path) from None
        return cls(path, engine, encrypted=encrypted)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back on any error."""
        with self._factory() as s, s.begin():
            yield s

    def raw_connection(self) -> Any:
        """The DB-API connection (for the backup API); return it with `.close()`."""
        return self.engine.raw_connection()

    def checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()
