"""The money ledger (DESIGN.md §3): append-only entries, balances derived from them.

`post_charge` and `reverse` work inside another service's session (coding, later payment
posting), so the entry lands in the same transaction as the change that causes it; the
database triggers of migration 0004 refuse any edit or delete of an entry, so a correction
is always a new "reversal" entry that points at the entry it undoes.

An entry's `entry_date` is the day it is posted (the accounting date); the date of service
stays on the charge line it points at. A correction posted today therefore never rewrites
an earlier day's totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from app.errors import UserError
from app.models import ChargeLine, DayClose, Encounter, LedgerEntry, Patient
from app.models.ledger import CHARGE, REVERSAL, TRANSFER
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.coverage import ranked_on
from app.services.database import Database
from app.services.permissions import Permission

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LedgerRow:
    """One ledger entry as screens show it. `reversed_by_id` is the reversal that undid this
    entry, if any; `code` is the charge line's procedure code for charge/reversal rows."""

    id: int
    patient_id: int
    kind: str
    amount: Decimal
    entry_date: date
    encounter_id: int | None
    charge_line_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None
    code: str
    memo: str
    posted_at: datetime
    posted_by: str


def ledger_row(e: LedgerEntry, reversed_by_id: int | None = None, code: str = "") -> LedgerRow:
    """The frozen row of an entry (for services that post and return what they posted)."""
    return LedgerRow(e.id, e.patient_id, e.kind, e.amount, e.entry_date, e.encounter_id,
                     e.charge_line_id, e.reverses_id, reversed_by_id, code, e.memo,
                     e.posted_at, e.posted_by)


@dataclass(frozen=True)
class Bucket:
    """Who owes an amount: a coverage (and its payer), or the patient (both None)."""

    coverage_id: int | None = None
    payer_id: int | None = None

    @property
    def is_patient(self) -> bool:
        return self.coverage_id is None


PATIENT = Bucket()


def bucket_of(entry: LedgerEntry) -> Bucket:
    return Bucket(entry.coverage_id, entry.payer_id)


def primary_bucket(s: Session, patient_id: int, dos: date) -> Bucket:
    """The primary coverage in force on the date of service, else the patient."""
    for cov, rank in ranked_on(s, patient_id, dos):
        if rank == 1:
            return Bucket(cov.id, cov.payer_id)
    return PATIENT


def posting_date(s: Session) -> date:
    """The day new entries are dated: today, unless today was closed (day close), in which
    case the day after the last closed day, so a closed day's sheet never changes."""
    today = date.today()
    last = s.scalar(select(func.max(DayClose.day)))
    if last is None or last < today:
        return today
    return last + timedelta(days=1)


def post_entry(s: Session, user: CurrentUser, line: ChargeLine | None, kind: str,
               amount: Decimal, bucket: Bucket, *, patient_id: int | None = None,
               memo: str = "", **links: Any) -> LedgerEntry:
    """One entry of `kind` in `s`: for a charge line (its patient, visit and date of service)
    or, with `line` None, for the patient's account (a payment not yet applied). `links` are
    further columns (claim_id, service_line_id, remittance_id, group_code…)."""
    pid = line.patient_id if line is not None else patient_id
    if pid is None:
        raise ValueError("an account entry needs its patient")
    entry = LedgerEntry(patient_id=pid, kind=kind, amount=amount, entry_date=posting_date(s),
                        encounter_id=line.encounter_id if line is not None else None,
                        charge_line_id=line.id if line is not None else None,
                        service_date=line.dos if line is not None else None,
                        coverage_id=bucket.coverage_id, payer_id=bucket.payer_id,
                        memo=memo[:200], posted_by=user.username, **links)
    s.add(entry)
    return entry


def post_charge(s: Session, user: CurrentUser, line: ChargeLine, memo: str = "") -> LedgerEntry:
    """A CHARGE entry for `line` (its charge, its patient and encounter), in `s`, owed by the
    primary coverage in force on the date of service (the patient when there is none)."""
    if line.id is None:
        s.flush()  # the entry points at the line, so the line needs its id first
    entry = post_entry(s, user, line, CHARGE, line.charge,
                       primary_bucket(s, line.patient_id, line.dos), memo=memo)
    s.flush()
    return entry


def transfer(s: Session, user: CurrentUser, line: ChargeLine, amount: Decimal, source: Bucket,
             target: Bucket, memo: str, **links: Any) -> tuple[LedgerEntry, LedgerEntry]:
    """Move `amount` of the line's balance from `source` to `target` (a pair of TRANSFER
    entries summing to zero)."""
    out = post_entry(s, user, line, TRANSFER, -amount, source, memo=memo, **links)
    into = post_entry(s, user, line, TRANSFER, amount, target, memo=memo, **links)
    return out, into


def line_buckets(s: Session, charge_line_id: int) -> dict[Bucket, Decimal]:
    """The line's balance with each party that owes some of it (zero balances left out)."""
    q = (select(LedgerEntry.coverage_id, LedgerEntry.payer_id, func.sum(LedgerEntry.amount))
         .where(LedgerEntry.charge_line_id == charge_line_id)
         .group_by(LedgerEntry.coverage_id, LedgerEntry.payer_id))
    out: dict[Bucket, Decimal] = {}
    for cov, payer, total in s.execute(q):
        amount = ZERO if total is None else total
        if amount:
            out[Bucket(cov, payer)] = amount
    return out


def move_to(s: Session, user: CurrentUser, line: ChargeLine, target: Bucket, memo: str,
            **links: Any) -> Decimal:
    """Bring the line's whole balance to `target` (a new claim to another coverage, or a
    line billed to nobody yet); returns the amount moved."""
    moved = ZERO
    for bucket, amount in line_buckets(s, line.id).items():
        if bucket != target and amount > 0:
            transfer(s, user, line, amount, bucket, target, memo, **links)
            moved += amount
    return moved


def reversal_of(s: Session, entry_id: int) -> LedgerEntry | None:
    """The entry that reversed `entry_id`, if it was reversed."""
    return s.scalars(select(LedgerEntry).where(LedgerEntry.reverses_id == entry_id)).first()


def reverse(s: Session, user: CurrentUser, entry: LedgerEntry, memo: str) -> LedgerEntry:
    """A REVERSAL entry undoing `entry` (amount negated, `reverses_id` set, same party owing
    it and same links), in `s`.

    A reversal cannot itself be reversed (post the amount again instead) and an entry is
    reversed at most once (`reverses_id` is unique as well)."""
    if entry.kind == REVERSAL:
        raise UserError("A reversal cannot be reversed; post a new entry instead.")
    if reversal_of(s, entry.id) is not None:
        raise UserError("This entry was already reversed; reload the ledger.")
    rev = LedgerEntry(patient_id=entry.patient_id, kind=REVERSAL, amount=-entry.amount,
                      entry_date=posting_date(s), encounter_id=entry.encounter_id,
                      charge_line_id=entry.charge_line_id, reverses_id=entry.id,
                      service_date=entry.service_date, coverage_id=entry.coverage_id,
                      payer_id=entry.payer_id, claim_id=entry.claim_id,
                      service_line_id=entry.service_line_id,
                      remittance_id=entry.remittance_id,
                      claim_payment_id=entry.claim_payment_id,
                      patient_payment_id=entry.patient_payment_id,
                      group_code=entry.group_code, reason_code=entry.reason_code,
                      memo=memo[:200], posted_by=user.username)
    s.add(rev)
    s.flush()
    return rev


def live_charge(s: Session, charge_line_id: int) -> LedgerEntry | None:
    """The CHARGE entry of a charge line that no reversal has undone yet."""
    undone = aliased(LedgerEntry)
    q = (select(LedgerEntry)
         .outerjoin(undone, undone.reverses_id == LedgerEntry.id)
         .where(LedgerEntry.charge_line_id == charge_line_id, LedgerEntry.kind == CHARGE,
                undone.id.is_(None))
         .order_by(LedgerEntry.id.desc()))
    return s.scalars(q).first()


def sum_amounts(s: Session, *where: ColumnElement[bool]) -> Decimal:
    """Sum of entry amounts matching `where` (SQLite sums the integer cents; the Cents type
    turns the total back into Decimal dollars)."""
    total = s.scalar(select(func.sum(LedgerEntry.amount)).where(*where))
    return ZERO if total is None else total


class LedgerService:
    """Reading a patient's ledger and balances; entries are written by the services whose
    work moves money (coding posts charges), through `post_charge` and `reverse`."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def entries(self, patient_id: int) -> list[LedgerRow]:
        """Every entry of the patient, oldest first; the view is audited (patient data)."""
        user = self._ctx.require(Permission.VIEW_LEDGER)
        with self._db.session() as s:
            if s.get(Patient, patient_id) is None:
                raise UserError("That patient no longer exists; search again.")
            rows = _rows(s, LedgerEntry.patient_id == patient_id)
            append_event(s, user, "ledger.view", entity="patient", entity_id=patient_id,
                         patient_id=patient_id, details={"entries": len(rows)})
            return rows

    def encounter_entries(self, encounter_id: int) -> list[LedgerRow]:
        """The entries of one encounter, oldest first; audited like `entries`."""
        user = self._ctx.require(Permission.VIEW_LEDGER)
        with self._db.session() as s:
            enc = s.get(Encounter, encounter_id)
            if enc is None:
                raise UserError("That encounter no longer exists; refresh the list.")
            rows = _rows(s, LedgerEntry.encounter_id == encounter_id)
            append_event(s, user, "ledger.view", entity="encounter", entity_id=encounter_id,
                         patient_id=enc.patient_id, details={"entries": len(rows)})
            return rows

    def balance(self, patient_id: int) -> Decimal:
        """What the patient's account owes: the sum of all its entries (audited)."""
        user = self._ctx.require(Permission.VIEW_LEDGER)
        with self._db.session() as s:
            if s.get(Patient, patient_id) is None:
                raise UserError("That patient no longer exists; search again.")
            total = sum_amounts(s, LedgerEntry.patient_id == patient_id)
            append_event(s, user, "ledger.balance", entity="patient", entity_id=patient_id,
                         patient_id=patient_id)
            return total

    def encounter_total(self, encounter_id: int) -> Decimal:
        """The net of the entries posted for one encounter (its live charges; audited)."""
        user = self._ctx.require(Permission.VIEW_LEDGER)
        with self._db.session() as s:
            enc = s.get(Encounter, encounter_id)
            if enc is None:
                raise UserError("That encounter no longer exists; refresh the list.")
            total = sum_amounts(s, LedgerEntry.encounter_id == encounter_id)
            append_event(s, user, "ledger.balance", entity="encounter", entity_id=encounter_id,
                         patient_id=enc.patient_id)
            return total


def _rows(s: Session, where: ColumnElement[bool]) -> list[LedgerRow]:
    undone = aliased(LedgerEntry)
    q = (select(LedgerEntry, undone.id, ChargeLine.code)
         .outerjoin(undone, undone.reverses_id == LedgerEntry.id)
         .outerjoin(ChargeLine, ChargeLine.id == LedgerEntry.charge_line_id)
         .where(where)
         .order_by(LedgerEntry.entry_date, LedgerEntry.id))
    return [ledger_row(e, rid, code or "") for e, rid, code in s.execute(q)]
