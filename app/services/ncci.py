"""Importing and showing the CMS NCCI edits the clinic downloads each quarter: procedure-to-
procedure (PTP) pairs and Medically Unlikely Edit (MUE) unit limits (file layouts in
app.formats.ncci). The edit that applies them to a coded encounter lives with the coding
service; this one loads the tables and lists them.

Both imports are all-or-nothing (DESIGN.md §2.6): the whole file is read and checked first,
then written in one transaction (PTP rows in batches through executemany, about half a million
rows a file), or nothing with every bad line named. The same file is never imported twice.

- PTP: CMS publishes the practitioner table as complete files (deleted edits stay listed with
  their deletion date), split into parts by code range. An import replaces, for every code
  pair in the file, whatever was stored for that pair; pairs the file does not mention (other
  parts) are kept.
- MUE: the file has no dates, so the clerk gives the date it takes effect (the quarter's
  start; default today). Limits in force until then end the day before; a file for the same
  date replaces the one imported before; a file for a date before a loaded one is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Dialect,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formats import ncci
from app.formats.fee_csv import clean_code
from app.models import ImportLog, MueLimit, NcciEdit
from app.services.audit import append_event
from app.services.code_lookup import normalize_code
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.fees import ImportResult, refuse_reimport
from app.services.permissions import Permission

KIND_PTP = "ncci_ptp"
KIND_MUE = "mue"
BATCH = 10_000  # rows per executemany: big enough to amortise, small enough to stay light
LIST_LIMIT = 500
_EDITS = cast(Table, NcciEdit.__table__)
_MUES = cast(Table, MueLimit.__table__)

T = TypeVar("T")


@dataclass(frozen=True)
class PtpEditRow:
    """A stored PTP edit: `column2` is not paid with `column1` on the same day, unless
    `modifier_indicator` is "1" and a bypass modifier is on the line."""

    column1: str
    column2: str
    effective_from: date
    effective_to: date | None
    modifier_indicator: str
    rationale: str

    @property
    def bypassable(self) -> bool:
        return self.modifier_indicator == "1"

    def in_force(self, dos: date) -> bool:
        return self.effective_from <= dos and (self.effective_to is None
                                               or dos <= self.effective_to)


@dataclass(frozen=True)
class MueLimitRow:
    code: str
    max_units: int
    adjudication_indicator: str
    rationale: str
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True)
class EditCounts:
    """How much is loaded: PTP edits (all, and in force on `on`), MUE limits in force on `on`
    and the date the newest MUE file took effect, and when each kind was last imported."""

    on: date
    ptp_edits: int
    ptp_in_force: int
    mue_in_force: int
    mue_effective_from: date | None
    last_ptp_import: datetime | None
    last_mue_import: datetime | None


# Half a million rows: the statement is compiled once and the DB-API executemany gets plain
# tuples, skipping SQLAlchemy's per-row parameter processing (a third of the import's time).
# Dates still go through the column type's own converter, so they are stored exactly as the
# ORM stores and reads them.
_EDIT_COLUMNS = ("column1", "column2", "effective_from", "effective_to", "modifier_indicator",
                 "rationale", "import_id")
_INSERT_EDIT = (f"INSERT INTO {_EDITS.name} ({', '.join(_EDIT_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _EDIT_COLUMNS)})")
# One pair's rows, found through ix_ncci_edit_pair.
_DELETE_PAIR = f"DELETE FROM {_EDITS.name} WHERE column1 = ? AND column2 = ?"


def _edit_params(table: ncci.PtpTable, import_id: int,
                 dialect: Dialect) -> Iterator[tuple[Any, ...]]:
    convert = _EDITS.c.effective_from.type.bind_processor(dialect) or str
    stored: dict[date, Any] = {}
    for c1, c2, start, end, ind, why in table.rows():
        a = stored.get(start)
        if a is None:
            a = stored[start] = convert(start)
        b = None
        if end is not None:
            b = stored.get(end)
            if b is None:
                b = stored[end] = convert(end)
        yield c1, c2, a, b, ind, why, import_id


def _batches(rows: Iterator[T]) -> Iterator[list[T]]:
    while batch := list(islice(rows, BATCH)):
        yield batch


class NcciService:
    """CMS NCCI PTP and MUE tables. Imports need MANAGE_FEES and are audited with counts;
    listing needs VIEW_DIRECTORY (the tables are public CMS reference data)."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- files -----------------------------------------------------------------------------
    @staticmethod
    def _scan(path: Path) -> ncci.FileScan:
        try:
            with path.open("rb") as fh:
                return ncci.scan_bytes(ncci.file_chunks(fh), path.name)
        except FileNotFoundError:
            raise UserError(f"{path} does not exist; choose the file again.") from None
        except IsADirectoryError:
            raise UserError(f"{path.name} is a folder; choose a CSV file.") from None
        except OSError as exc:
            raise UserError(f"{path.name} cannot be read ({exc.strerror or 'access refused'})."
                            ) from None

    def _check_new(self, kind: str, scan: ncci.FileScan) -> None:
        with self._db.session() as s:
            refuse_reimport(s, kind, scan.sha256)

    def _same_file(self, path: Path, scan: ncci.FileScan) -> None:
        """Refuse when the file changed while it was being read (so what is written is what
        was checked, under the checksum recorded)."""
        if self._scan(path).sha256 != scan.sha256:
            raise UserError(f"{path.name} changed while it was being imported; nothing was "
                            "imported. Close the program writing it and import it again.")

    # --- PTP -------------------------------------------------------------------------------
    def import_ptp_csv(self, path: Path) -> ImportResult:
        """Import a CMS NCCI PTP practitioner file saved as CSV (or the CMS tab-separated
        text). Every row is checked before anything is written; FileProblems names each bad
        line. Stored edits for the code pairs in the file are replaced by the file's rows.
        Audited "ncci.import_ptp" with the counts."""
        user = self._ctx.require(Permission.MANAGE_FEES)
        scan = self._scan(path)
        self._check_new(KIND_PTP, scan)
        with path.open(encoding=scan.encoding, newline="") as fh:
            table, problems = ncci.read_ptp(fh, path.name)
        problems.raise_for(path.name)
        with self._db.session() as s:
            # The audit row first: it takes the write lock, so the re-import check below and
            # the writes see one consistent database.
            append_event(s, user, "ncci.import_ptp", entity="import",
                         details={"file": path.name, "rows": len(table)})
            refuse_reimport(s, KIND_PTP, scan.sha256)
            log = self._log(s, user, KIND_PTP, path.name, scan.sha256, len(table))
            removed = self._remove_pairs(s, table.pairs())
            conn = s.connection()
            for batch in _batches(_edit_params(table, log.id, conn.dialect)):
                conn.exec_driver_sql(_INSERT_EDIT, batch)
            self._same_file(path, scan)
        return ImportResult(KIND_PTP, path.name, len(table), len(table), removed=removed)

    @staticmethod
    def _log(s: Session, user: CurrentUser, kind: str, filename: str, sha: str,
             rows: int) -> ImportLog:
        log = ImportLog(kind=kind, sha256=sha, filename=filename[:200], rows=rows,
                        username=user.username)
        s.add(log)
        s.flush()
        return log

    @staticmethod
    def _remove_pairs(s: Session, pairs: Iterator[tuple[str, str]]) -> int:
        if not s.scalar(select(exists().where(_EDITS.c.id.is_not(None)))):
            return 0  # first import: nothing to replace
        before = s.scalar(select(func.count()).select_from(_EDITS)) or 0
        conn = s.connection()
        for batch in _batches(pairs):
            conn.exec_driver_sql(_DELETE_PAIR, batch)
        return before - (s.scalar(select(func.count()).select_from(_EDITS)) or 0)

    def pairs_for(self, code: str, dos: date | None = None,
                  limit: int = LIST_LIMIT) -> list[PtpEditRow]:
        """The PTP edits with `code` in either column (in force on `dos` when given), by
        column 1, column 2 and start date; at most `limit`."""
        self._ctx.require(Permission.VIEW_DIRECTORY)
        c = normalize_code(code)
        if not c:
            return []
        e = NcciEdit
        q = (select(e).where(or_(e.column1 == c, e.column2 == c))
             .order_by(e.column1, e.column2, e.effective_from).limit(limit))
        if dos is not None:
            q = q.where(e.effective_from <= dos,
                        or_(e.effective_to.is_(None), e.effective_to >= dos))
        with self._db.session() as s:
            return [PtpEditRow(r.column1, r.column2, r.effective_from, r.effective_to,
                               r.modifier_indicator, r.rationale) for r in s.scalars(q)]

    # --- MUE -------------------------------------------------------------------------------
    def import_mue_csv(self, path: Path, effective_from: date | None = None) -> ImportResult:
        """Import a CMS MUE practitioner file saved as CSV, in force from `effective_from`
        (the quarter's first day; default today). Limits in force before then end the day
        before; a file imported earlier for the same date is replaced; a date before that of
        a loaded file is refused. All-or-nothing; audited "ncci.import_mue"."""
        user = self._ctx.require(Permission.MANAGE_FEES)
        start = effective_from or date.today()
        scan = self._scan(path)
        self._check_new(KIND_MUE, scan)
        with path.open(encoding=scan.encoding, newline="") as fh:
            rows, problems = ncci.read_mue(fh, path.name)
        problems.raise_for(path.name)
        with self._db.session() as s:
            append_event(s, user, "ncci.import_mue", entity="import", details={
                "file": path.name, "rows": len(rows), "effective_from": start.isoformat()})
            refuse_reimport(s, KIND_MUE, scan.sha256)
            self._refuse_older(s, start)
            replaced = s.execute(delete(_MUES).where(_MUES.c.effective_from == start))
            closed = s.execute(update(_MUES).where(
                _MUES.c.effective_to.is_(None), _MUES.c.effective_from < start)
                .values(effective_to=start - timedelta(days=1)))
            log = self._log(s, user, KIND_MUE, path.name, scan.sha256, len(rows))
            s.execute(insert(_MUES), [
                {"code": r.code, "max_units": r.max_units,
                 "adjudication_indicator": r.adjudication_indicator, "rationale": r.rationale,
                 "effective_from": start, "effective_to": None, "import_id": log.id}
                for r in rows])
            self._same_file(path, scan)
            removed = cast(Any, replaced).rowcount + cast(Any, closed).rowcount
        return ImportResult(KIND_MUE, path.name, len(rows), len(rows), removed=removed)

    @staticmethod
    def _refuse_older(s: Session, start: date) -> None:
        latest = s.scalar(select(func.max(MueLimit.effective_from)))
        if latest is not None and latest > start:
            raise UserError(f"MUE limits in force from {latest:%m/%d/%Y} are already "
                            f"imported; a file taking effect {start:%m/%d/%Y} would come "
                            "before them. Nothing was imported; give the date this file "
                            "takes effect (the first day of its quarter).")

    def mue_limits(self, filter_text: str = "", dos: date | None = None,
                   limit: int = LIST_LIMIT) -> list[MueLimitRow]:
        """MUE limits by code (and start date), in force on `dos` (default today);
        `filter_text` matches the start of the code."""
        self._ctx.require(Permission.VIEW_DIRECTORY)
        on = dos or date.today()
        m = MueLimit
        q = (select(m).where(m.effective_from <= on,
                             or_(m.effective_to.is_(None), m.effective_to >= on))
             .order_by(m.code, m.effective_from).limit(limit))
        text = clean_code(filter_text)
        if text:
            q = q.where(m.code.startswith(text, autoescape=True))
        with self._db.session() as s:
            return [MueLimitRow(r.code, r.max_units, r.adjudication_indicator, r.rationale,
                                r.effective_from, r.effective_to) for r in s.scalars(q)]

    # --- both ------------------------------------------------------------------------------
    def counts(self, on: date | None = None) -> EditCounts:
        """What is loaded, for the tab's status line."""
        self._ctx.require(Permission.VIEW_DIRECTORY)
        day = on or date.today()
        with self._db.session() as s:
            ptp = int(s.scalar(select(func.count()).select_from(_EDITS)) or 0)
            ptp_now = int(s.scalar(select(func.count()).select_from(_EDITS).where(
                self._in_force(_EDITS, day))) or 0)
            mue_now = int(s.scalar(select(func.count()).select_from(_MUES).where(
                self._in_force(_MUES, day))) or 0)
            mue_from = s.scalar(select(func.max(MueLimit.effective_from)))
            last: dict[str, datetime] = {
                kind: at for kind, at in s.execute(
                    select(ImportLog.kind, func.max(ImportLog.imported_at))
                    .where(ImportLog.kind.in_((KIND_PTP, KIND_MUE))).group_by(ImportLog.kind))}
        return EditCounts(day, ptp, ptp_now, mue_now, mue_from, last.get(KIND_PTP),
                          last.get(KIND_MUE))

    @staticmethod
    def _in_force(t: Table, day: date) -> Any:
        return and_(t.c.effective_from <= day,
                    or_(t.c.effective_to.is_(None), t.c.effective_to >= day))


__all__ = ["BATCH", "KIND_MUE", "KIND_PTP", "EditCounts", "MueLimitRow", "NcciService",
           "PtpEditRow"]
