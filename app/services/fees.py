"""The practice fee schedule (what the practice charges per code, optionally per modifier)
and payer contract rates (what each payer has agreed to allow per code, from a date): listing,
editing with optimistic locking, CSV import and export (layouts in app.formats.fee_csv).

Fees and rates are not patient data: anyone signed in with VIEW_DIRECTORY may read them;
changes need MANAGE_FEES and are audited with the values (amounts, codes), since they are what
an auditor asks about. Imports are all-or-nothing (DESIGN.md §2.6): every row is checked,
then everything is written in one transaction, and the same file is never imported twice.
An import *upserts*: rows in the file are created or changed, stored rows the file does not
mention are kept (to remove a fee, delete it in the tab).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, cast

from sqlalchemy import Select, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, UserError, ValidationError
from app.formats import fee_csv
from app.formats.fee_csv import FeeLine, FileProblems, LineProblem, RateLine
from app.models import ContractRate, FeeScheduleEntry, ImportLog, Payer, ProcedureCode
from app.models.types import utcnow
from app.services import code_lookup as lk
from app.services.audit import append_event
from app.services.code_lookup import normalize_code, procedure
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission

KIND_FEES = "fee_schedule"
KIND_RATES = "contract_rates"
_LOOKUP_CHUNK = 500
# Bulk updates of imports go through the tables (one executemany), not the versioned mapper.
_FEES = cast(Table, FeeScheduleEntry.__table__)
_RATES = cast(Table, ContractRate.__table__)


# --- what callers get back ---------------------------------------------------------------------
@dataclass(frozen=True)
class FeeRow:
    """A fee schedule entry. `known` is False while the code is not in the procedure code
    table (fees may be loaded before codes); `description` is then empty."""

    id: int
    code: str
    modifier: str
    charge: Decimal
    description: str
    known: bool
    updated_by: str
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class ContractRateData:
    """A contract rate as typed in the tab. `payer_id` is the payer's row id (Payer.id);
    `allowed` may be the typed text ("$82.17"). `id`/`version` are those of the row being
    edited (None/0 for a new one)."""

    payer_id: int
    code: str
    modifier: str
    allowed: Decimal | str
    effective_from: date
    effective_to: date | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class ContractRateRow:
    """A stored contract rate; `payer_code` is the payer's electronic payer ID."""

    id: int
    payer_id: int
    payer_code: str
    payer_name: str
    code: str
    modifier: str
    allowed: Decimal
    effective_from: date
    effective_to: date | None
    description: str
    known: bool
    updated_by: str
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class ImportResult:
    """What an import did. `rows` is the number of rows in the file; `added`, `updated` and
    `unchanged` split them; `removed` counts stored rows the import replaced or closed (edit
    files). `warnings` are things worth a look that did not stop the import (codes not yet in
    the procedure code table), each "line N, column: reason"."""

    kind: str
    filename: str
    rows: int
    added: int
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    warnings: tuple[str, ...] = ()


# --- helpers shared with the NCCI service ------------------------------------------------------
def refuse_reimport(s: Session, kind: str, sha256: str) -> None:
    """UserError when a file with this content was imported before as `kind`."""
    log = s.scalars(select(ImportLog).where(ImportLog.kind == kind, ImportLog.sha256 == sha256)
                    .order_by(ImportLog.id)).first()
    if log is not None:
        when = log.imported_at.astimezone().strftime("%m/%d/%Y")
        raise UserError(f"This file was already imported on {when} by {log.username} (as "
                        f"{log.filename}, {log.rows:,} rows). Nothing was imported.")


def read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; choose the file again.") from None
    except IsADirectoryError:
        raise UserError(f"{path.name} is a folder; choose a CSV file.") from None
    except OSError as exc:
        raise UserError(f"{path.name} cannot be read ({exc.strerror or 'access refused'}).") \
            from None


def write_file(path: Path, write: Callable[[TextIO], int]) -> int:
    """Write through a temporary file in the same folder and rename it into place, so a full
    disk or a crash never leaves half a file under the chosen name."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            n = write(fh)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{path.name} could not be written ({exc.strerror or 'access refused'})"
                        "; choose another folder.") from None
    return n


def unknown_code_warnings(s: Session, rows: Iterable[tuple[int, str]]) -> list[str]:
    """'line N, code: …' for each (line, code) whose code is not in the procedure table."""
    rows = list(rows)
    codes = sorted({c for _line, c in rows})
    known: set[str] = set()
    for i in range(0, len(codes), _LOOKUP_CHUNK):
        chunk = codes[i:i + _LOOKUP_CHUNK]
        known.update(s.scalars(select(ProcedureCode.code).where(ProcedureCode.code.in_(chunk))))
    return [str(LineProblem(line, "code", f"{code} is not in the procedure code list yet; "
                                          "it was imported anyway."))
            for line, code in rows if code not in known]


def _description() -> Any:
    """The procedure's short description for the outer row's code (None when unknown)."""
    return (select(ProcedureCode.short_description)
            .where(ProcedureCode.code == FeeScheduleEntry.code).limit(1).scalar_subquery())


def _conflict(what: str) -> ConflictError:
    return ConflictError(f"Someone else changed this {what} after you opened it. Their change "
                         "is kept; reload to see it, then make your change again.")


def _amount(value: Decimal | str, field: str, problems: dict[str, str]) -> Decimal | None:
    try:
        if isinstance(value, str):
            return fee_csv.parse_money(value)
        return fee_csv.check_amount(value)
    except ValueError as exc:
        problems[field] = str(exc)
        return None


def _code_problems(code: str, modifier: str, problems: dict[str, str]) -> tuple[str, str]:
    code, modifier = normalize_code(code), fee_csv.clean_modifier(modifier)
    for field, msg in (("code", fee_csv.code_problem(code)),
                       ("modifier", fee_csv.modifier_problem(modifier))):
        if msg:
            problems[field] = msg
    return code, modifier


class FeeService:
    """The fee schedule and contract rates. Reading needs VIEW_DIRECTORY; every change,
    import and export is audited; changes and imports need MANAGE_FEES."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- fee schedule: reading -------------------------------------------------------------
    def fee_schedule(self, filter_text: str = "") -> list[FeeRow]:
        """Entries by code then modifier; `filter_text` matches the start of the code or any
        part of the procedure's description."""
        self._ctx.require(Permission.VIEW_DIRECTORY)
        with self._db.session() as s:
            return [self._fee_row(e, d) for e, d in s.execute(self._fee_query(filter_text))]

    @staticmethod
    def _fee_query(filter_text: str) -> Select[Any]:
        desc = _description()
        q = select(FeeScheduleEntry, desc).order_by(FeeScheduleEntry.code,
                                                    FeeScheduleEntry.modifier)
        text = filter_text.strip()
        if text:
            q = q.where(or_(FeeScheduleEntry.code.startswith(normalize_code(text),
                                                             autoescape=True),
                            desc.contains(text, autoescape=True)))
        return q

    @staticmethod
    def _fee_row(e: FeeScheduleEntry, description: str | None) -> FeeRow:
        return FeeRow(e.id, e.code, e.modifier, e.charge, description or "",
                      description is not None, e.updated_by, e.updated_at, e.version)

    # --- fee schedule: changes -------------------------------------------------------------
    def set_fee(self, code: str, modifier: str, charge: Decimal | str,
                version: int | None = None) -> FeeRow:
        """Create the fee for code+modifier (`version` None) or change it (`version` of the
        row the clerk edited). A stale version, or a create where someone else has just
        created the same entry, raises ConflictError and keeps their value. Audited
        "fees.set" with the old and new charge."""
        user = self._ctx.require(Permission.MANAGE_FEES)
        problems: dict[str, str] = {}
        code, modifier = _code_problems(code, modifier, problems)
        amount = _amount(charge, "charge", problems)
        if problems or amount is None:
            raise ValidationError(problems, "fee")
        try:
            with self._db.session() as s:
                entry, previous = self._apply_fee(s, code, modifier, amount, version, user)
                append_event(s, user, "fees.set", entity="fee_schedule_entry",
                             entity_id=entry.id, details={
                                 "code": code, "modifier": modifier,
                                 "charge": fee_csv.money_text(amount),
                                 "previous": "" if previous is None
                                 else fee_csv.money_text(previous)})
                known = procedure(s, code)
                return self._fee_row(entry, None if known is None
                                     else known.short_description)
        except (StaleDataError, IntegrityError):
            raise _conflict("fee") from None

    @staticmethod
    def _fee_entry(s: Session, code: str, modifier: str) -> FeeScheduleEntry | None:
        return s.scalars(select(FeeScheduleEntry).where(
            FeeScheduleEntry.code == code, FeeScheduleEntry.modifier == modifier)).first()

    def _apply_fee(self, s: Session, code: str, modifier: str, amount: Decimal,
                   version: int | None, user: CurrentUser
                   ) -> tuple[FeeScheduleEntry, Decimal | None]:
        """The saved entry and the charge it had before (None for a new entry)."""
        row = self._fee_entry(s, code, modifier)
        if row is None:
            if version is not None:
                raise ConflictError("Someone else deleted this fee after you opened it; "
                                    "reload the fee schedule.")
            row = FeeScheduleEntry(code=code, modifier=modifier, charge=amount,
                                   updated_by=user.username)
            s.add(row)
            s.flush()
            return row, None
        if version is None:
            raise ConflictError("Someone else has just added a fee for this code and "
                                "modifier; reload the fee schedule to see it.")
        if version != row.version:
            raise _conflict("fee")
        previous = row.charge
        if previous != amount:
            row.charge = amount
            row.updated_by = user.username
            row.updated_at = utcnow()
            s.flush()
        return row, previous

    def delete_fee(self, code: str, modifier: str, version: int) -> None:
        """Remove the fee for code+modifier; `version` must be the one the clerk saw.
        Audited "fees.delete" with the charge it had."""
        user = self._ctx.require(Permission.MANAGE_FEES)
        code, modifier = normalize_code(code), fee_csv.clean_modifier(modifier)
        with self._db.session() as s:
            row = self._fee_entry(s, code, modifier)
            if row is None:
                raise UserError("That fee no longer exists; reload the fee schedule.")
            if row.version != version:
                raise _conflict("fee")
            append_event(s, user, "fees.delete", entity="fee_schedule_entry",
                         entity_id=row.id, details={"code": code, "modifier": modifier,
                                                    "charge": fee_csv.money_text(row.charge)})
            s.delete(row)

    # --- fee schedule: files ---------------------------------------------------------------
    def import_fee_schedule_csv(self, path: Path) -> ImportResult:
        """Import a fee schedule CSV (code, modifier, charge): every row checked first, then
        all written in one transaction, or nothing with FileProblems naming each bad line.
        Upsert: the file's code+modifier entries are created or changed, others are kept.
        Codes not in the procedure table are imported with a warning."""
        user = self._ctx.require(Permission.MANAGE_FEES)
        data = read_file_bytes(path)
        sha = hashlib.sha256(data).hexdigest()
        text, _encoding = fee_csv.decode(data, path.name)
        parsed = fee_csv.read_fee_schedule(text)
        if not parsed.ok:
            raise FileProblems(path.name, parsed.problems, parsed.total_problems)
        with self._db.session() as s:
            refuse_reimport(s, KIND_FEES, sha)
            warnings = unknown_code_warnings(s, ((r.line, r.code) for r in parsed.rows))
            stored = {(e.code, e.modifier): (e.id, e.charge) for e in s.scalars(
                select(FeeScheduleEntry))}
            new = [r for r in parsed.rows if (r.code, r.modifier) not in stored]
            changed = [(stored[(r.code, r.modifier)][0], r.charge) for r in parsed.rows
                       if (r.code, r.modifier) in stored
                       and stored[(r.code, r.modifier)][1] != r.charge]
            now = utcnow()
            if new:
                s.execute(insert(FeeScheduleEntry), [
                    {"code": r.code, "modifier": r.modifier, "charge": r.charge,
                     "updated_by": user.username, "updated_at": now, "version": 1}
                    for r in new])
            if changed:
                t = _FEES
                s.execute(update(t).where(t.c.id == bindparam("row_id")).values(
                    charge=bindparam("new_charge", type_=t.c.charge.type),
                    version=t.c.version + 1, updated_by=user.username, updated_at=now),
                    [{"row_id": i, "new_charge": c} for i, c in changed])
            result = ImportResult(KIND_FEES, path.name, len(parsed.rows), len(new),
                                  len(changed), len(parsed.rows) - len(new) - len(changed),
                                  warnings=tuple(warnings))
            self._log_import(s, user, "fees.import", result, sha)
            return result

    @staticmethod
    def _log_import(s: Session, user: CurrentUser, action: str, result: ImportResult,
                    sha: str) -> None:
        s.add(ImportLog(kind=result.kind, sha256=sha, filename=result.filename[:200],
                        rows=result.rows, username=user.username))
        append_event(s, user, action, entity="import", details={
            "file": result.filename, "rows": result.rows, "added": result.added,
            "updated": result.updated, "unchanged": result.unchanged,
            "warnings": len(result.warnings)})

    def export_fee_schedule_csv(self, path: Path) -> int:
        """Write the whole fee schedule in the import layout (so exporting and importing
        gives back the same entries); returns the row count. Audited "fees.export"."""
        user = self._ctx.require(Permission.VIEW_DIRECTORY)
        with self._db.session() as s:
            rows = [FeeLine(e.code, e.modifier, e.charge) for e in s.scalars(
                select(FeeScheduleEntry).order_by(FeeScheduleEntry.code,
                                                  FeeScheduleEntry.modifier))]
            n = write_file(path, lambda fh: fee_csv.write_fee_schedule(rows, fh))
            append_event(s, user, "fees.export", entity="export",
                         details={"file": path.name, "rows": n})
            return n

    # --- contract rates: reading -----------------------------------------------------------
    def contract_rates(self, filter_text: str = "", payer_id: int | None = None
                       ) -> list[ContractRateRow]:
        """Rates by payer, code, modifier and start date; `payer_id` (Payer.id) limits them
        to one payer, `filter_text` matches the start of the code, the payer's ID or name, or
        part of the procedure's description."""
        self._ctx.require(Permission.VIEW_DIRECTORY)
        with self._db.session() as s:
            q = self._rate_query()
            if payer_id is not None:
                q = q.where(ContractRate.payer_id == payer_id)
            text = filter_text.strip()
            if text:
                q = q.where(or_(ContractRate.code.startswith(normalize_code(text),
                                                             autoescape=True),
                                Payer.payer_id.startswith(text.upper(), autoescape=True),
                                Payer.name.contains(text, autoescape=True),
                                _rate_description().contains(text, autoescape=True)))
            return [self._rate_row(*r) for r in s.execute(q)]

    @staticmethod
    def _rate_query() -> Select[Any]:
        return (select(ContractRate, Payer.payer_id, Payer.name, _rate_description())
                .join(Payer, Payer.id == ContractRate.payer_id)
                .order_by(Payer.payer_id, ContractRate.code, ContractRate.modifier,
                          ContractRate.effective_from))

    @staticmethod
    def _rate_row(r: ContractRate, payer_code: str, payer_name: str,
                  description: str | None) -> ContractRateRow:
        return ContractRateRow(r.id, r.payer_id, payer_code, payer_name, r.code, r.modifier,
                               r.allowed, r.effective_from, r.effective_to, description or "",
                               description is not None, r.updated_by, r.updated_at, r.version)

    def expected_allowed(self, payer_id: int, code: str, modifiers: Sequence[str],
                         dos: date) -> Decimal | None:
        """What payer `payer_id` (Payer.id) is expected to allow for one unit of `code` on
        `dos` (app.services.code_lookup.contract_allowed), or None."""
        self._ctx.require(Permission.VIEW_DIRECTORY)
        with self._db.session() as s:
            return lk.contract_allowed(s, payer_id, code, modifiers, dos)

    # --- contract rates: changes -----------------------------------------------------------
    def set_contract_rate(self, data: ContractRateData) -> ContractRateRow:
        """Create (`data.id` None) or change a contract rate. Its dates may not overlap
        another rate of the same payer, code and modifier. Audited "contract_rates.set"."""
        user = self._ctx.require(Permission.MANAGE_FEES)
        problems: dict[str, str] = {}
        code, modifier = _code_problems(data.code, data.modifier, problems)
        allowed = _amount(data.allowed, "allowed", problems)
        if data.effective_to is not None and data.effective_to < data.effective_from:
            problems["effective_to"] = "is before the effective-from date."
        try:
            with self._db.session() as s:
                if s.get(Payer, data.payer_id) is None:
                    problems["payer_id"] = "Choose a payer from the list."
                elif "code" not in problems and "modifier" not in problems:
                    self._overlap_problem(s, data, code, modifier, problems)
                if problems or allowed is None:
                    raise ValidationError(problems, "contract rate")
                row = self._save_rate(s, data, code, modifier, allowed, user)
                append_event(s, user, "contract_rates.set", entity="contract_rate",
                             entity_id=row.id, details={
                                 "payer_id": row.payer_id, "code": code, "modifier": modifier,
                                 "allowed": fee_csv.money_text(allowed),
                                 "effective_from": fee_csv.date_text(row.effective_from),
                                 "effective_to": fee_csv.date_text(row.effective_to)})
                return self._rate_row(*s.execute(self._rate_query().where(
                    ContractRate.id == row.id)).one())
        except (StaleDataError, IntegrityError):
            raise _conflict("contract rate") from None

    @staticmethod
    def _overlap_problem(s: Session, data: ContractRateData, code: str, modifier: str,
                         problems: dict[str, str]) -> None:
        others = s.scalars(select(ContractRate).where(
            ContractRate.payer_id == data.payer_id, ContractRate.code == code,
            ContractRate.modifier == modifier))
        for o in others:
            if o.id != data.id and fee_csv.ranges_overlap(
                    data.effective_from, data.effective_to, o.effective_from, o.effective_to):
                problems["effective_from"] = (
                    f"overlaps the rate {fee_csv.range_text(o.effective_from, o.effective_to)};"
                    " end one range before the other starts.")
                return

    @staticmethod
    def _save_rate(s: Session, data: ContractRateData, code: str, modifier: str,
                   allowed: Decimal, user: CurrentUser) -> ContractRate:
        values = {"payer_id": data.payer_id, "code": code, "modifier": modifier,
                  "allowed": allowed, "effective_from": data.effective_from,
                  "effective_to": data.effective_to}
        if data.id is None:
            row = ContractRate(**values, updated_by=user.username)
            s.add(row)
        else:
            found = s.get(ContractRate, data.id)
            if found is None:
                raise UserError("That contract rate no longer exists; reload the list.")
            if found.version != data.version:
                raise _conflict("contract rate")
            row = found
            if any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.updated_by = user.username
                row.updated_at = utcnow()
        s.flush()
        return row

    def delete_contract_rate(self, rate_id: int, version: int) -> None:
        """Remove a contract rate; `version` must be the one the clerk saw. Audited."""
        user = self._ctx.require(Permission.MANAGE_FEES)
        with self._db.session() as s:
            row = s.get(ContractRate, rate_id)
            if row is None:
                raise UserError("That contract rate no longer exists; reload the list.")
            if row.version != version:
                raise _conflict("contract rate")
            append_event(s, user, "contract_rates.delete", entity="contract_rate",
                         entity_id=row.id, details={
                             "payer_id": row.payer_id, "code": row.code,
                             "modifier": row.modifier,
                             "allowed": fee_csv.money_text(row.allowed),
                             "effective_from": fee_csv.date_text(row.effective_from)})
            s.delete(row)

    # --- contract rates: files -------------------------------------------------------------
    def import_contract_rates_csv(self, path: Path) -> ImportResult:
        """Import contract rates (payer_id, code, modifier, allowed, effective_from,
        effective_to): all-or-nothing like the fee schedule. Upsert keyed on payer, code,
        modifier and effective_from: a matching stored rate gets the file's amount and end
        date, others are added, stored rates the file does not mention are kept. Unknown
        payer IDs, and dates overlapping another rate of the same payer, code and modifier
        (in the file or stored), are problems."""
        user = self._ctx.require(Permission.MANAGE_FEES)
        data = read_file_bytes(path)
        sha = hashlib.sha256(data).hexdigest()
        text, _encoding = fee_csv.decode(data, path.name)
        parsed = fee_csv.read_contract_rates(text)
        if not parsed.ok:
            raise FileProblems(path.name, parsed.problems, parsed.total_problems)
        with self._db.session() as s:
            refuse_reimport(s, KIND_RATES, sha)
            payers = {p: i for i, p in s.execute(select(Payer.id, Payer.payer_id))}
            problems = [LineProblem(r.line, "payer_id", f"no payer has the payer ID "
                                    f"\"{r.payer_id}\"; add the payer in the Admin tab first.")
                        for r in parsed.rows if r.payer_id not in payers]
            stored = list(s.scalars(select(ContractRate)))
            problems += _stored_overlaps(parsed.rows, payers, stored)
            if problems:
                raise FileProblems(path.name, problems)
            result = self._write_rates(s, user, parsed.rows, payers, stored, path.name)
            self._log_import(s, user, "contract_rates.import", result, sha)
            return result

    def _write_rates(self, s: Session, user: CurrentUser, rows: list[RateLine],
                     payers: dict[str, int], stored: list[ContractRate],
                     filename: str) -> ImportResult:
        by_key = {(r.payer_id, r.code, r.modifier, r.effective_from): r for r in stored}
        now = utcnow()
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for r in rows:
            old = by_key.get((payers[r.payer_id], r.code, r.modifier, r.effective_from))
            if old is None:
                new.append({"payer_id": payers[r.payer_id], "code": r.code,
                            "modifier": r.modifier, "allowed": r.allowed,
                            "effective_from": r.effective_from, "effective_to": r.effective_to,
                            "updated_by": user.username, "updated_at": now, "version": 1})
            elif (old.allowed, old.effective_to) != (r.allowed, r.effective_to):
                changed.append({"row_id": old.id, "new_allowed": r.allowed,
                                "new_to": r.effective_to})
        if new:
            s.execute(insert(ContractRate), new)
        if changed:
            t = _RATES
            s.execute(update(t).where(t.c.id == bindparam("row_id")).values(
                allowed=bindparam("new_allowed", type_=t.c.allowed.type),
                effective_to=bindparam("new_to", type_=t.c.effective_to.type),
                version=t.c.version + 1, updated_by=user.username, updated_at=now), changed)
        warnings = unknown_code_warnings(s, ((r.line, r.code) for r in rows))
        return ImportResult(KIND_RATES, filename, len(rows), len(new), len(changed),
                            len(rows) - len(new) - len(changed), warnings=tuple(warnings))

    def export_contract_rates_csv(self, path: Path) -> int:
        """Write every contract rate in the import layout (payer IDs, ISO dates); returns
        the row count. Audited "contract_rates.export"."""
        user = self._ctx.require(Permission.VIEW_DIRECTORY)
        with self._db.session() as s:
            rows = [RateLine(p, r.code, r.modifier, r.allowed, r.effective_from,
                             r.effective_to)
                    for r, p, _name, _d in s.execute(self._rate_query())]
            n = write_file(path, lambda fh: fee_csv.write_contract_rates(rows, fh))
            append_event(s, user, "contract_rates.export", entity="export",
                         details={"file": path.name, "rows": n})
            return n

    def counts(self) -> tuple[int, int]:
        """(fee schedule entries, contract rates)."""
        self._ctx.require(Permission.VIEW_DIRECTORY)
        with self._db.session() as s:
            return (int(s.scalar(select(func.count(FeeScheduleEntry.id))) or 0),
                    int(s.scalar(select(func.count(ContractRate.id))) or 0))


def _rate_description() -> Any:
    return (select(ProcedureCode.short_description)
            .where(ProcedureCode.code == ContractRate.code).limit(1).scalar_subquery())


def _stored_overlaps(rows: list[RateLine], payers: dict[str, int],
                     stored: list[ContractRate]) -> list[LineProblem]:
    """File rows whose dates overlap a stored rate of the same payer, code and modifier that
    the file does not replace (a stored rate with the same start date is replaced)."""
    groups: dict[tuple[int, str, str], list[tuple[date, date | None, Any]]] = {}
    file_keys: set[tuple[int, str, str, date]] = set()
    for r in rows:
        if r.payer_id in payers:
            key = (payers[r.payer_id], r.code, r.modifier)
            groups.setdefault(key, []).append((r.effective_from, r.effective_to, r))
            file_keys.add((*key, r.effective_from))
    for o in stored:
        key = (o.payer_id, o.code, o.modifier)
        if key in groups and (*key, o.effective_from) not in file_keys:
            groups[key].append((o.effective_from, o.effective_to, o))
    problems = []
    for ranges in groups.values():
        for a, b in fee_csv.overlapping(ranges):
            line, other = (a, b) if isinstance(a, RateLine) else (b, a)
            if not isinstance(line, RateLine) or isinstance(other, RateLine):
                continue  # file-against-file overlaps were reported by the reader
            problems.append(LineProblem(
                line.line, "effective_from",
                f"{fee_csv.range_text(line.effective_from, line.effective_to)} overlaps the "
                f"stored rate {fee_csv.range_text(other.effective_from, other.effective_to)}"
                " for the same payer, code and modifier; end one range before the other "
                "starts (or give the file's row the stored rate's start date to replace it)."))
    return problems


__all__ = ["KIND_FEES", "KIND_RATES", "ContractRateData", "ContractRateRow", "FeeRow",
           "FeeService", "ImportResult", "read_file_bytes", "refuse_reimport",
           "unknown_code_warnings", "write_file"]
