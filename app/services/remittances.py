"""Payer remittances: importing an 835 (005010X221A1), the match plan shown before posting,
posting every check of the file in one transaction, and the exceptions left over.

All or nothing (DESIGN.md §2.6): the file is read whole and every check matched before
anything is written. A check that does not balance (BPR02 against its claims and PLB) stops
the whole file unless an admin posts it anyway with a written reason (audited); a check
already posted (same payer and TRN02) stops it too. Unmatched claims and lines do not stop
it: they are posted as exceptions with the remittance, and the summary says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formats.x12 import x835
from app.gc_pause import paused_gc
from app.models import (
    ClaimPayment,
    RemitException,
    Remittance,
    X12File,
)
from app.models.types import utcnow
from app.services.audit import append_event
from app.services.billing_settings import read_billing
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission
from app.services.remit_match import CheckPlan, plan_check
from app.services.remit_posting import CheckPoster, CheckResult

KIND_835 = "835"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class MatchRow:
    """One claim of the plan as the clerk sees it (no patient names: numbers and money)."""

    claim_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    claim_id: int | None
    how: str
    confidence: str
    lines: int
    lines_unmatched: int
    reason: str


@dataclass(frozen=True)
class CheckSummary:
    payer: str
    trace_number: str
    total_paid: Decimal
    paid_on: str
    claims: int
    matched: int
    unmatched: int
    duplicate: str
    balance_problems: tuple[str, ...]
    matches: tuple[MatchRow, ...]
    posted: CheckResult | None = None


@dataclass(frozen=True)
class EraSummary:
    filename: str
    posted: bool
    checks: tuple[CheckSummary, ...]

    @property
    def exceptions(self) -> int:
        return sum(c.unmatched + sum(1 for m in c.matches if m.claim_id is not None
                                     and m.lines_unmatched) for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, Decimal):
                return str(value.quantize(CENT))  # X12 writes 60 for 60.00
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return value
        return {"filename": self.filename, "posted": self.posted,
                "checks": [plain(asdict(c)) for c in self.checks]}


@dataclass(frozen=True)
class RemittanceRow:
    """A check or EOB as posted."""

    id: int
    source: str
    payer: str
    trace_number: str
    method: str
    paid_on: date | None
    total_paid: Decimal
    claims: int
    unmatched: int
    posted_by: str
    posted_at: datetime
    unbalanced_reason: str


@dataclass(frozen=True)
class ExceptionRow:
    id: int
    remittance_id: int
    trace_number: str
    payer: str
    claim_number: str
    reason: str
    amount: Decimal
    state: str
    resolution: str


def _summary(plan: CheckPlan, posted: CheckResult | None = None) -> CheckSummary:
    r = plan.remittance
    rows = tuple(MatchRow(m.claim_number, m.status_code, m.charge, m.paid, m.claim_id, m.how,
                          m.confidence, len(m.lines), m.unmatched_lines,
                          m.reason or "; ".join(ln.reason for ln in m.lines if ln.reason))
                 for m in plan.claims)
    return CheckSummary(plan.payer_label, r.trace_number, r.total_paid,
                        r.paid_on.isoformat() if r.paid_on else "", len(r.claims),
                        plan.matched, plan.unmatched, plan.duplicate, plan.balance_problems,
                        rows, posted)


def read_era(data: bytes, filename: str) -> list[x835.Remittance]:
    """The file's checks; an X12Error names the segment at fault, a file with none is
    refused."""
    remits = x835.read_835(data, filename)
    if not remits:
        raise UserError(f"{filename} holds no 835 remittance. Nothing was changed.")
    return remits


def _stoppers(plans: list[CheckPlan], override_reason: str) -> list[str]:
    out = [p.duplicate for p in plans if p.duplicate]
    traces = [p.payer_key + "|" + p.remittance.trace_number for p in plans]
    if len(set(traces)) != len(traces):
        out.append("The file holds the same check twice.")
    if not override_reason:
        for p in plans:
            out += [f"Check {p.remittance.trace_number}: {msg}" for msg in p.balance_problems]
    return out


class RemittanceService:
    """835 import and the remittances, exceptions and checks posted."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def plan(self, data: bytes, filename: str) -> EraSummary:
        """The match plan of an 835 (what posting would do); writes nothing but the audit."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        with paused_gc():
            remits = read_era(data, filename)
            with self._db.session() as s:
                plans = [plan_check(s, r) for r in remits]
                append_event(s, user, "remittance.plan", details={"checks": len(plans)})
                return EraSummary(filename, False, tuple(_summary(p) for p in plans))

    def import_835(self, data: bytes, filename: str, override_reason: str = "") -> EraSummary:
        """Read, match and post every check of the file in one transaction.

        `override_reason` (admins only) posts checks that do not balance; it is kept with
        each remittance and audited. Refused (nothing written): a malformed file, a check
        posted before, a check that does not balance without a reason."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        override_reason = override_reason.strip()
        if override_reason:
            self._ctx.require(Permission.OVERRIDE_REMITTANCE)
        with paused_gc():
            return self._import(user, data, filename, override_reason)

    def _import(self, user: CurrentUser, data: bytes, filename: str,
                override_reason: str) -> EraSummary:
        remits = read_era(data, filename)
        with self._db.session() as s:
            plans = [plan_check(s, r) for r in remits]
            if stoppers := _stoppers(plans, override_reason):
                raise UserError(f"{filename} was not posted; nothing was changed.\n"
                                + "\n".join(f"• {m}" for m in stoppers[:20]))
            file_id = self._keep_file(s, user, data, filename, len(remits))
            settings = read_billing(s)
            results = [CheckPoster(s, user, p, file_id, settings,
                                   override_reason if p.balance_problems else "").post()
                       for p in plans]
            return EraSummary(filename, True, tuple(_summary(p, r)
                                                    for p, r in zip(plans, results,
                                                                    strict=True)))

    @staticmethod
    def _keep_file(s: Session, user: CurrentUser, data: bytes, filename: str,
                   transactions: int) -> int:
        digest = hashlib.sha256(data).hexdigest()
        f = X12File(kind=KIND_835, direction="in", filename=filename[:200], sha256=digest,
                    transactions=transactions, content=data, created_by=user.username)
        s.add(f)
        s.flush()
        return f.id

    def exceptions(self, open_only: bool = True) -> list[ExceptionRow]:
        """What remittances could not place, newest first."""
        self._ctx.require(Permission.POST_PAYMENTS)
        with self._db.session() as s:
            q = (select(RemitException, Remittance.trace_number, Remittance.payer_name,
                        ClaimPayment.claim_number)
                 .join(Remittance, Remittance.id == RemitException.remittance_id)
                 .outerjoin(ClaimPayment, ClaimPayment.id == RemitException.claim_payment_id)
                 .order_by(RemitException.id.desc()))
            if open_only:
                q = q.where(RemitException.state == "open")
            return [ExceptionRow(e.id, e.remittance_id, trace, payer, number or "", e.reason,
                                 e.amount, e.state, e.resolution)
                    for e, trace, payer, number in s.execute(q)]

    def resolve_exception(self, exception_id: int, resolution: str) -> None:
        """Close an exception with what the clerk did about it (in words)."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        if not resolution.strip():
            raise UserError("Say what was done about it (for example: posted by hand on "
                            "claim 123, or returned to the payer).")
        with self._db.session() as s:
            e = s.get(RemitException, exception_id)
            if e is None or e.state != "open":
                raise UserError("That exception is no longer open; refresh the list.")
            e.state, e.resolution = "resolved", resolution.strip()[:2000]
            e.resolved_by, e.resolved_at = user.username, utcnow()
            append_event(s, user, "remittance.exception.resolve", entity="remit_exception",
                         entity_id=e.id)

    def remittances(self, limit: int = 500) -> list[RemittanceRow]:
        """Checks and EOBs posted, newest first."""
        self._ctx.require(Permission.POST_PAYMENTS)
        with self._db.session() as s:
            q = select(Remittance).order_by(Remittance.id.desc()).limit(limit)
            return [RemittanceRow(r.id, r.source, r.payer_name, r.trace_number, r.method,
                                  r.paid_on, r.total_paid, r.claims, r.unmatched, r.posted_by,
                                  r.posted_at, r.unbalanced_reason) for r in s.scalars(q)]

    def count_posted(self) -> int:
        self._ctx.require(Permission.POST_PAYMENTS)
        with self._db.session() as s:
            return s.scalar(select(func.count(Remittance.id))) or 0

