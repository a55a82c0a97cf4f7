"""Closing the business day: the day sheet of every ledger entry dated that day, printed
and kept as it was printed, after which the day is locked.

The lock is `posting_date` (app.services.ledger): once a day is closed, every new entry is
dated the day after the last closed day, so a closed day's entries, and its sheet, never
change; a correction lands on the next open day.

The sheet names each account by its number (the MRN), never by the patient's name, and
describes entries from their coded fields only (procedure, date of service, payer, CAS
codes, check number), never from free text a clerk typed, which may hold a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formats.day_sheet_pdf import KIND_LABELS, DaySheetData, DaySheetEntry, day_sheet_pdf
from app.models import (
    ChargeLine,
    DayClose,
    LedgerEntry,
    Patient,
    PatientPayment,
    Payer,
    Practice,
    Remittance,
)
from app.models.types import utcnow
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.payments import pairs
from app.services.permissions import Permission

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ClosedDay:
    day: date
    entries: int
    total: Decimal  # the day's net change in balances
    closed_by: str
    closed_at: datetime


@dataclass
class _Refs:
    """What the descriptions need besides the entries, read in a few queries."""

    mrns: dict[int, str]
    lines: dict[int, ChargeLine]
    payers: dict[int, str]
    traces: dict[int, str]
    payments: dict[int, PatientPayment]
    kinds: dict[int, str]


def _refs(s: Session, entries: list[LedgerEntry]) -> _Refs:
    def ids(attr: str) -> set[int]:
        return {v for e in entries if (v := getattr(e, attr)) is not None}

    return _Refs(
        pairs(s, select(Patient.id, Patient.mrn).where(Patient.id.in_(ids("patient_id")))),
        {ln.id: ln for ln in s.scalars(select(ChargeLine)
                                       .where(ChargeLine.id.in_(ids("charge_line_id"))))},
        pairs(s, select(Payer.id, Payer.name).where(Payer.id.in_(ids("payer_id")))),
        pairs(s, select(Remittance.id, Remittance.trace_number)
              .where(Remittance.id.in_(ids("remittance_id")))),
        {p.id: p for p in s.scalars(select(PatientPayment).where(
            PatientPayment.id.in_(ids("patient_payment_id"))))},
        pairs(s, select(LedgerEntry.id, LedgerEntry.kind)
              .where(LedgerEntry.id.in_(ids("reverses_id")))))


def _how_paid(pp: PatientPayment | None) -> str:
    if pp is None:
        return ""
    if pp.method == "card":
        return f"card ending {pp.reference}"
    return f"check {pp.reference}" if pp.method == "check" and pp.reference else pp.method


def describe(e: LedgerEntry, r: _Refs) -> str:
    """An entry for the day sheet, from its coded fields only (no names, no typed text)."""
    party = r.payers.get(e.payer_id, "payer") if e.payer_id else "patient"
    line = r.lines.get(e.charge_line_id) if e.charge_line_id else None
    cas = f" {e.group_code}-{e.reason_code}" if e.group_code else ""
    trace = f", check {r.traces[e.remittance_id]}" if e.remittance_id in r.traces else ""
    words = {
        "charge": f"billed to {party}",
        "insurance_payment": f"paid by {party}{trace}",
        "adjustment": f"{party}{cas}{trace}",
        "transfer": f"{'to' if e.amount > 0 else 'from'} {party}{cas}",
        "patient_payment": _how_paid(r.payments.get(e.patient_payment_id or 0)),
        "refund": "to the patient",
        "write_off": f"{party}'s part",
        "reversal": f"undoes entry {e.reverses_id} "
                    f"({KIND_LABELS.get(r.kinds.get(e.reverses_id or 0, ''), 'entry')})",
    }.get(e.kind, "")
    where = f"{line.code} DOS {line.dos:%m/%d/%Y}" if line else "account"
    return "; ".join(x for x in (where, words) if x)


def _sheet_entries(s: Session, day: date) -> list[DaySheetEntry]:
    entries = list(s.scalars(select(LedgerEntry).where(LedgerEntry.entry_date == day)
                             .order_by(LedgerEntry.id)))
    refs = _refs(s, entries)
    return [DaySheetEntry(e.posted_at.astimezone(), e.posted_by, e.kind,
                          refs.mrns.get(e.patient_id, ""), describe(e, refs), e.amount)
            for e in entries]


def _sheet(s: Session, user: CurrentUser, day: date) -> DaySheetData:
    practice = s.scalars(select(Practice)).first()
    return DaySheetData(practice.name if practice else "", day, utcnow().astimezone(),
                        user.full_name or user.username, tuple(_sheet_entries(s, day)))


class DayCloseService:
    """The day sheet, closing a day, and the sheets of closed days."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def day_sheet(self, day: date) -> DaySheetData:
        """Every entry dated `day` (posted that day), with account numbers, never names;
        totals by kind and by user come with the data. Audited as a view."""
        user = self._ctx.require(Permission.CLOSE_DAY)
        with self._db.session() as s:
            data = _sheet(s, user, day)
            append_event(s, user, "day_sheet.view", entity="day", entity_id=day.isoformat(),
                         details={"entries": len(data.entries)})
            return data

    def close_day(self, day: date) -> bytes:
        """Print the day sheet of `day`, keep it, and lock the day: entries posted from now
        on are dated after it. Refused for a day already closed and for a day still to
        come. Returns the sheet (PDF) as printed."""
        user = self._ctx.require(Permission.CLOSE_DAY)
        if day > date.today():
            raise UserError(f"{day:%m/%d/%Y} has not happened yet; a day is closed at its "
                            "end or later.")
        with self._db.session() as s:
            old = s.get(DayClose, day)
            if old is not None:
                raise UserError(f"{day:%m/%d/%Y} was already closed by {old.closed_by} on "
                                f"{old.closed_at.astimezone():%m/%d/%Y %H:%M}; reprint its "
                                "sheet instead.")
            data = _sheet(s, user, day)
            pdf = day_sheet_pdf(data)
            s.add(DayClose(day=day, entries=len(data.entries), total=data.net_total, sheet=pdf,
                           closed_by=user.username))
            append_event(s, user, "day.close", entity="day", entity_id=day.isoformat(),
                         details={"entries": len(data.entries), "total": str(data.net_total)})
            return pdf

    def closed_days(self) -> list[ClosedDay]:
        """The closed days, latest first."""
        self._ctx.require(Permission.CLOSE_DAY)
        with self._db.session() as s:
            return [ClosedDay(d.day, d.entries, d.total, d.closed_by, d.closed_at)
                    for d in s.scalars(select(DayClose).order_by(DayClose.day.desc()))]

    def sheet(self, day: date) -> bytes:
        """The sheet of a closed day exactly as it was printed (a reprint; audited)."""
        user = self._ctx.require(Permission.CLOSE_DAY)
        with self._db.session() as s:
            d = s.get(DayClose, day)
            if d is None:
                raise UserError(f"{day:%m/%d/%Y} is not closed; print its day sheet from the "
                                "open day instead.")
            append_event(s, user, "day_sheet.reprint", entity="day", entity_id=day.isoformat())
            return bytes(d.sheet)

    def last_closed(self) -> date | None:
        """The latest closed day, if any (entries are dated after it)."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            return s.scalar(select(func.max(DayClose.day)))


__all__ = ["ClosedDay", "DayCloseService"]
