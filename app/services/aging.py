"""Accounts receivable aging: what is owed, by payer and by patient, in the buckets a billing
office reads (0–30, 31–60, 61–90, 91–120, over 120 days), counted from the date of service
or from the claim's first submission, as of a day.

Balances come from the ledger only (DESIGN.md §3): each entry knows who owes it (payer, or
the patient when `payer_id` is NULL) and its line's date of service. The report by date of
service reads the ledger's day totals (`ledger_day_total`: per payer, date of service and
entry date, kept by a trigger as entries are inserted), a few hundred thousand rows where
the ledger has millions; the list of patients and the drill-down read the entries.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, select, text
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models import Claim, LedgerDayTotal, LedgerEntry, Patient, Payer, ServiceLine
from app.models.claims import REPLACED, VOIDED
from app.models.ledger import NO_SERVICE_DATE, PATIENT_KEY
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission

BUCKETS = ("0–30", "31–60", "61–90", "91–120", "over 120")
BUCKET_LIMITS = (30, 60, 90, 120)  # a bucket holds ages up to its limit, the last the rest
ZERO = Decimal("0.00")
SERVICE, SUBMISSION = "service", "submission"


def bucket_of(age_days: int) -> int:
    """The bucket index of an age in days (0–30 → 0 … over 120 → 4)."""
    for i, limit in enumerate(BUCKET_LIMITS):
        if age_days <= limit:
            return i
    return len(BUCKET_LIMITS)


@dataclass(frozen=True)
class AgingRow:
    """One payer (id = Payer.id) or one patient (id = Patient.id) with its buckets."""

    id: int
    name: str
    buckets: tuple[Decimal, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO)


@dataclass(frozen=True)
class AgingReport:
    as_of: date
    basis: str
    payers: tuple[AgingRow, ...]
    patients: tuple[AgingRow, ...]
    unsubmitted: Decimal  # insurance balances on no submitted claim (basis "submission")
    patient_total: tuple[Decimal, ...] = ()  # all patients' balances per bucket

    def totals(self, rows: tuple[AgingRow, ...]) -> tuple[Decimal, ...]:
        if rows is self.patients and self.patient_total:
            return self.patient_total  # also when the patient rows were not read
        return tuple(sum((r.buckets[i] for r in rows), ZERO) for i in range(len(BUCKETS)))

    def to_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["section", "id", "name", *BUCKETS, "total"])
        for section, rows in (("payer", self.payers), ("patient", self.patients)):
            for r in rows:
                w.writerow([section, r.id, r.name, *r.buckets, r.total])
        return out.getvalue()

    def text_lines(self) -> list[str]:
        basis = "date of service" if self.basis == SERVICE else "first submission"
        head = f"{'':<32}" + "".join(f"{b:>13}" for b in BUCKETS) + f"{'total':>14}"
        lines = [f"A/R aging as of {self.as_of:%m/%d/%Y}, by {basis}", head]
        for title, rows in (("Insurance", self.payers), ("Patients", self.patients)):
            lines.append(title)
            for r in rows:
                lines.append(f"  {r.name[:30]:<30}" + "".join(f"{v:>13,.2f}" for v in r.buckets)
                             + f"{r.total:>14,.2f}")
            lines.append(f"  {'total':<30}" + "".join(f"{v:>13,.2f}"
                                                      for v in self.totals(rows))
                         + f"{sum(self.totals(rows), ZERO):>14,.2f}")
        if self.basis == SUBMISSION:
            lines.append(f"Insurance balances not yet submitted: {self.unsubmitted:,.2f}")
        return lines


@dataclass(frozen=True)
class AgingClaim:
    """A claim (or, with claim_id None, lines billed on no claim yet) in a drill-down."""

    claim_id: int | None
    patient_id: int
    patient_name: str
    service_date: date | None
    submitted_on: date | None
    balance: Decimal


def _bucket_case(column: Any, as_of: date) -> Any:
    """SQL: the bucket index of `column` (a date) as of `as_of`, from boundary dates."""
    whens = [(column >= as_of - timedelta(days=limit), i)
             for i, limit in enumerate(BUCKET_LIMITS)]
    return case(*whens, else_=literal(len(BUCKET_LIMITS)))


def _rows(pairs: dict[int, list[Decimal]], names: dict[int, str]) -> tuple[AgingRow, ...]:
    rows = [AgingRow(k, names.get(k, f"#{k}"), tuple(v)) for k, v in pairs.items()
            if any(v)]
    return tuple(sorted(rows, key=lambda r: (-r.total, r.name)))


def _by_day(result: Any, as_of: date) -> dict[int | None, list[Decimal]]:
    """(key, date, amount) rows → key → bucket amounts. SQL sums per day in index order
    (no sort, no per-row CASE); the few hundred days are bucketed here."""
    out: dict[int | None, list[Decimal]] = {}
    for key, day, total in result:
        row = out.setdefault(key, [ZERO] * len(BUCKETS))
        age = (as_of - day).days if day is not None else 0
        row[bucket_of(age)] += total or ZERO
    return out


def _live_claim_join(q: Any) -> Any:
    """Entries → the live claim to the same coverage that bills their charge line."""
    return (q.join(ServiceLine, ServiceLine.charge_line_id == LedgerEntry.charge_line_id)
            .join(Claim, and_(Claim.id == ServiceLine.claim_id,
                              Claim.coverage_id == LedgerEntry.coverage_id,
                              Claim.status.not_in((REPLACED, VOIDED)))))


def by_service_date(s: Session, as_of: date) -> dict[int | None, list[Decimal]]:
    """payer id (None: patients) → bucket amounts, by date of service. Reads the ledger's
    day totals (`ledger_day_total`, kept by trigger) in their key order: per payer and date
    of service, the sum of the days entered up to `as_of`."""
    t = LedgerDayTotal
    q = (select(t.payer_key, t.service_date, func.sum(t.amount))
         .where(t.entry_date <= as_of).group_by(t.payer_key, t.service_date))
    return _by_day(((key or None, None if day == NO_SERVICE_DATE else day, total)
                    for key, day, total in s.execute(q)), as_of)


def day_total_problems(s: Session) -> list[str]:
    """Where `ledger_day_total` disagrees with the sums of the entries (nothing, unless the
    trigger was dropped or the table edited by hand): the keys at fault, no amounts."""
    t = LedgerDayTotal
    key = func.coalesce(LedgerEntry.payer_id, PATIENT_KEY)
    day = func.coalesce(LedgerEntry.service_date, NO_SERVICE_DATE)
    entries = {(k, d, e): v for k, d, e, v in s.execute(
        select(key, day, LedgerEntry.entry_date, func.sum(LedgerEntry.amount))
        .group_by(key, day, LedgerEntry.entry_date))}
    totals = {(k, d, e): v for k, d, e, v in s.execute(
        select(t.payer_key, t.service_date, t.entry_date, t.amount))}
    return [f"payer {k or 'patient'}, service {d}, entered {e}"
            for k, d, e in sorted(entries.keys() | totals.keys())
            if (entries.get((k, d, e)) or ZERO) != (totals.get((k, d, e)) or ZERO)]


def by_submission(s: Session, as_of: date) -> tuple[dict[int | None, list[Decimal]], Decimal]:
    """payer id → bucket amounts by the claim's first submission, and what is owed by
    payers on no submitted claim yet."""
    q = _live_claim_join(select(LedgerEntry.payer_id, Claim.submitted_on,
                                func.sum(LedgerEntry.amount))).where(
        LedgerEntry.payer_id.is_not(None), LedgerEntry.entry_date <= as_of,
        Claim.submitted_on.is_not(None), Claim.submitted_on <= as_of).group_by(
        LedgerEntry.payer_id, Claim.submitted_on)
    found = _by_day(s.execute(q), as_of)
    total = s.scalar(select(func.sum(LedgerEntry.amount)).where(
        LedgerEntry.payer_id.is_not(None), LedgerEntry.entry_date <= as_of)) or ZERO
    aged = sum((sum(v, ZERO) for v in found.values()), ZERO)
    return found, total - aged


def patient_buckets(s: Session, as_of: date) -> dict[int, list[Decimal]]:
    """patient id → bucket amounts of what the patient owes. Written as SQL text to name the
    partial covering index ix_ledger_entry_patient_aging (only the patients' entries, in
    patient order): left to itself the planner takes the payer index, whose `payer_id IS
    NULL` prefix matches too but which has no patient column (a lookup per entry, then a
    sort)."""
    edges = [as_of - timedelta(days=limit) for limit in BUCKET_LIMITS]
    sums = ", ".join(f"sum(CASE WHEN {cond} THEN amount ELSE 0 END)"
                     for cond in _bucket_sql(len(edges)))
    q = text(f"SELECT patient_id, {sums} FROM ledger_entry "  # noqa: S608 - no user text
             "INDEXED BY ix_ledger_entry_patient_aging "
             "WHERE payer_id IS NULL AND entry_date <= :as_of "
             "GROUP BY patient_id HAVING sum(amount) != 0")
    params = {"as_of": as_of.isoformat(),
              **{f"e{i}": edge.isoformat() for i, edge in enumerate(edges)}}
    # amounts are stored as integer cents (app.models.types.Cents)
    return {pid: [Decimal(v).scaleb(-2) for v in values]
            for pid, *values in s.execute(q, params)}


def _bucket_sql(edges: int) -> list[str]:
    """Per bucket, the SQL condition on service_date (edge parameters :e0 … newest first)."""
    out = []
    for i in range(edges + 1):
        conds = []
        if i < edges:
            conds.append(f"service_date >= :e{i}")
        if i > 0:
            conds.append(f"service_date < :e{i - 1}")
        out.append(" AND ".join(conds))
    return out


def _patient_names(s: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(ids), 900):
        q = select(Patient.id, Patient.last_name, Patient.first_name, Patient.mrn).where(
            Patient.id.in_(ids[i:i + 900]))
        for pid, last, first, mrn in s.execute(q):
            out[pid] = f"{last}, {first} ({mrn})"
    return out


class AgingService:
    """The A/R aging report, its drill-down to claims, and its CSV."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def report(self, as_of: date | None = None, basis: str = SERVICE,
               with_patients: bool = True) -> AgingReport:
        """Aging by payer, the patients' total by bucket, and (`with_patients`) each patient
        who owes something (names: audited as a report of patient data). Patients' balances
        are aged by date of service whatever the basis: a statement goes out per visit."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        if basis not in (SERVICE, SUBMISSION):
            raise UserError("Age balances from the date of service or of submission.")
        as_of = as_of or date.today()
        with self._db.session() as s:
            days = by_service_date(s, as_of)
            patient_total = tuple(days.pop(None, [ZERO] * len(BUCKETS)))
            payers: dict[int, list[Decimal]] = {k: v for k, v in days.items() if k is not None}
            unsubmitted = ZERO
            if basis == SUBMISSION:
                submitted, unsubmitted = by_submission(s, as_of)
                payers = {k: v for k, v in submitted.items() if k is not None}
            patients = patient_buckets(s, as_of) if with_patients else {}
            payer_names = {p.id: p.name for p in s.scalars(select(Payer))}
            patient_names = _patient_names(s, [k for k, v in patients.items() if any(v)])
            append_event(s, user, "report.aging", details={"as_of": as_of.isoformat(),
                                                           "basis": basis,
                                                           "patients": len(patient_names)})
            return AgingReport(as_of, basis, _rows(payers, payer_names),
                               _rows(patients, patient_names), unsubmitted, patient_total)

    def export_csv(self, report: AgingReport) -> str:
        """The report as CSV for a file the clerk saves (patient names: audited as an
        export)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            append_event(s, user, "report.aging.export",
                         details={"as_of": report.as_of.isoformat(), "basis": report.basis,
                                  "patients": len(report.patients)})
        return report.to_csv()

    def claims(self, payer_id: int, bucket: int, as_of: date | None = None,
               basis: str = SERVICE) -> list[AgingClaim]:
        """The claims behind one payer's bucket, largest balance first; balances on no
        claim yet come as one row per patient with claim_id None."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        as_of = as_of or date.today()
        with self._db.session() as s:
            rows = self._claims(s, payer_id, bucket, as_of, basis)
            append_event(s, user, "report.aging.claims", entity="payer", entity_id=payer_id,
                         details={"bucket": bucket, "claims": len(rows)})
            return rows

    @staticmethod
    def _claims(s: Session, payer_id: int, bucket: int, as_of: date,
                basis: str) -> list[AgingClaim]:
        column = LedgerEntry.service_date if basis == SERVICE else Claim.submitted_on
        amount = func.sum(LedgerEntry.amount)
        q = _live_claim_join(select(Claim.id, Claim.patient_id, func.min(
            LedgerEntry.service_date), Claim.submitted_on, amount)).where(
            LedgerEntry.payer_id == payer_id, LedgerEntry.entry_date <= as_of,
            _bucket_case(column, as_of) == bucket).group_by(Claim.id).having(amount != 0)
        found = list(s.execute(q))
        names = _patient_names(s, sorted({r[1] for r in found}))
        out = [AgingClaim(cid, pid, names.get(pid, ""), dos, sub, bal)
               for cid, pid, dos, sub, bal in found]
        return sorted(out, key=lambda r: -r.balance)
