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
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from app.errors import UserError
from app.models import ChargeLine, Encounter, LedgerEntry, Patient
from app.models.ledger import CHARGE, REVERSAL
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
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


def post_charge(s: Session, user: CurrentUser, line: ChargeLine, memo: str = "") -> LedgerEntry:
    """A CHARGE entry for `line` (its charge, its patient and encounter), in `s`."""
    if line.id is None:
        s.flush()  # the entry points at the line, so the line needs its id first
    entry = LedgerEntry(patient_id=line.patient_id, kind=CHARGE, amount=line.charge,
                        entry_date=date.today(), encounter_id=line.encounter_id,
                        charge_line_id=line.id, memo=memo[:200], posted_by=user.username)
    s.add(entry)
    s.flush()
    return entry


def reversal_of(s: Session, entry_id: int) -> LedgerEntry | None:
    """The entry that reversed `entry_id`, if it was reversed."""
    return s.scalars(select(LedgerEntry).where(LedgerEntry.reverses_id == entry_id)).first()


def reverse(s: Session, user: CurrentUser, entry: LedgerEntry, memo: str) -> LedgerEntry:
    """A REVERSAL entry undoing `entry` (amount negated, `reverses_id` set), in `s`.

    A reversal cannot itself be reversed (post the amount again instead) and an entry is
    reversed at most once (`reverses_id` is unique as well)."""
    if entry.kind == REVERSAL:
        raise UserError("A reversal cannot be reversed; post a new entry instead.")
    if reversal_of(s, entry.id) is not None:
        raise UserError("This entry was already reversed; reload the ledger.")
    rev = LedgerEntry(patient_id=entry.patient_id, kind=REVERSAL, amount=-entry.amount,
                      entry_date=date.today(), encounter_id=entry.encounter_id,
                      charge_line_id=entry.charge_line_id, reverses_id=entry.id,
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
