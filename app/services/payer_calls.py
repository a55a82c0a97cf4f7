"""Payer calls (DESIGN.md §3 PayerCall): the clerk's log of a phone call to a payer about
some of its claims — who answered, the call reference, what was said, the outcome, and what
the payer promised by when.

A promise is followed up: once its date has passed and nobody marked it kept, the next
`WorkQueueService.refresh` raises a work item (reason "promise", source "payer_call");
marking the promise kept closes that item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.models import Claim, Payer, PayerCall, PayerCallClaim, WorkItem
from app.models.types import utcnow
from app.services.audit import append_event
from app.services.claims import claim_number
from app.services.context import UserContext
from app.services.database import Database
from app.services.followup import PAYER_CALL, close_items, local_day
from app.services.permissions import Permission

OUTCOMES: dict[str, str] = {
    "resolved": "Resolved on the call",
    "will_reprocess": "Payer will reprocess the claim",
    "need_appeal": "Payer says to appeal",
    "need_info": "Payer needs more information",
    "paid_soon": "Payer says payment is on its way",
    "no_record": "Payer has no record of the claim",
    "other": "Other (see the summary)",
}
# The payer committed to a date for these: the call must say which.
PROMISING = ("will_reprocess", "paid_soon")
CLOCK_SLACK = timedelta(minutes=5)  # a workstation clock a little ahead is not "the future"
LIMITS = {"representative": 60, "reference": 50, "promised_action": 200, "summary": 4000}


@dataclass(frozen=True)
class CallData:
    """A call as the clerk logs it. `called_at` None is now (a naive time is the clerk's
    local time); `phone` empty is the payer's phone in the directory."""

    payer_id: int
    claim_ids: tuple[int, ...]
    summary: str
    outcome: str
    representative: str = ""
    reference: str = ""
    phone: str = ""
    called_at: datetime | None = None
    promised_action: str = ""
    promised_on: date | None = None


@dataclass(frozen=True)
class CallRow:
    id: int
    payer_id: int
    payer_name: str
    called_at: datetime
    phone: str
    representative: str
    reference: str
    summary: str
    outcome: str
    outcome_label: str
    promised_action: str
    promised_on: date | None
    promise_kept: bool
    called_by: str
    claim_ids: tuple[int, ...] = field(default=())
    claim_numbers: tuple[str, ...] = field(default=())


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _when(d: CallData) -> datetime:
    if d.called_at is None:
        return utcnow()
    # astimezone on a naive time reads it as the workstation's local time
    return d.called_at.astimezone()


def _text_problems(d: CallData, p: dict[str, str]) -> None:
    if not d.summary.strip():
        p["summary"] = "Write what the payer said."
    if not d.representative.strip():
        p["representative"] = "Enter the name of the person you spoke to."
    for name, limit in LIMITS.items():
        if len(getattr(d, name).strip()) > limit:
            p[name] = f"Use at most {limit} characters."
    if d.outcome not in OUTCOMES:
        p["outcome"] = "Choose the outcome from the list."


def _promise_problems(d: CallData, called: datetime, p: dict[str, str]) -> None:
    if d.promised_on is not None and d.promised_on < local_day(called):
        p["promised_on"] = (f"The promised date cannot be before the call "
                            f"({local_day(called):%m/%d/%Y}).")
    elif d.promised_on is None and d.promised_action.strip():
        p["promised_on"] = "Enter the date the payer promised it by."
    elif d.promised_on is None and d.outcome in PROMISING:
        p["promised_on"] = "Enter the date the payer said it would pay or reprocess by."
    if d.promised_on is not None and not d.promised_action.strip():
        p["promised_action"] = "Say what the payer promised to do."


def _claim_problems(s: Session, d: CallData, p: dict[str, str]) -> list[Claim]:
    if not d.claim_ids:
        p["claim_ids"] = "Choose at least one claim the call was about."
        return []
    claims = [s.get(Claim, i) for i in dict.fromkeys(d.claim_ids)]
    found = [c for c in claims if c is not None]
    if len(found) != len(claims):
        p["claim_ids"] = "One of the chosen claims no longer exists; refresh the list."
    elif others := [claim_number(c) for c in found if c.payer_id != d.payer_id]:
        p["claim_ids"] = (f"Claim {', '.join(others)} was sent to another payer: choose only "
                          "this payer's claims.")
    return found


def check_call(s: Session, d: CallData, payer: Payer | None) -> tuple[dict[str, str], str,
                                                                        list[Claim]]:
    """Field → what to fix, the phone number to keep, and the claims."""
    p: dict[str, str] = {}
    if payer is None:
        p["payer_id"] = "Choose the payer you called."
    phone = _digits(d.phone) or (payer.phone if payer is not None else "")
    if len(phone) != 10:
        p["phone"] = "Enter the 10-digit number you called."
    called = _when(d)
    if called > utcnow() + CLOCK_SLACK:
        p["called_at"] = "The call's time is in the future."
    _text_problems(d, p)
    _promise_problems(d, called, p)
    claims = _claim_problems(s, d, p)
    return p, phone, claims


def _row(call: PayerCall, payer_name: str, claims: list[tuple[int, str]]) -> CallRow:
    return CallRow(call.id, call.payer_id, payer_name, call.called_at, call.phone,
                   call.representative, call.reference, call.summary, call.outcome,
                   OUTCOMES.get(call.outcome, call.outcome), call.promised_action,
                   call.promised_on, call.promise_kept, call.called_by,
                   tuple(i for i, _n in claims), tuple(n for _i, n in claims))


def _call_claims(s: Session, call_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {i: [] for i in call_ids}
    q = (select(PayerCallClaim.call_id, Claim).join(Claim, Claim.id == PayerCallClaim.claim_id)
         .where(PayerCallClaim.call_id.in_(call_ids)).order_by(Claim.id))
    for call_id, c in s.execute(q):
        out[call_id].append((c.id, claim_number(c)))
    return out


def call_rows(s: Session, *where: Any) -> list[CallRow]:
    """Calls matching `where`, newest first, with their claims."""
    q = (select(PayerCall, Payer.name).join(Payer, Payer.id == PayerCall.payer_id)
         .where(*where).order_by(PayerCall.called_at.desc(), PayerCall.id.desc()))
    found = list(s.execute(q))
    claims = _call_claims(s, [c.id for c, _n in found])
    return [_row(c, name, claims[c.id]) for c, name in found]


class PayerCallService:
    """Logging calls to payers, reading them back, and keeping track of their promises."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def log_call(self, data: CallData) -> CallRow:
        """Keep a call (checked: each problem named by field; audited)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            payer = s.get(Payer, data.payer_id)
            problems, phone, claims = check_call(s, data, payer)
            if problems or payer is None:
                raise ValidationError(problems, "call")
            call = PayerCall(payer_id=payer.id, called_at=_when(data), phone=phone,
                             representative=data.representative.strip(),
                             reference=data.reference.strip(), summary=data.summary.strip(),
                             outcome=data.outcome, promised_action=data.promised_action.strip(),
                             promised_on=data.promised_on, called_by=user.username)
            s.add(call)
            s.flush()
            s.add_all(PayerCallClaim(call_id=call.id, claim_id=c.id) for c in claims)
            s.flush()
            patients = {c.patient_id for c in claims}
            append_event(s, user, "payer_call.log", entity="payer_call", entity_id=call.id,
                         patient_id=patients.pop() if len(patients) == 1 else None,
                         details={"claims": len(claims), "outcome": data.outcome,
                                  "promise": data.promised_on is not None})
            return call_rows(s, PayerCall.id == call.id)[0]

    def calls(self, payer_id: int | None = None, claim_id: int | None = None) -> list[CallRow]:
        """Logged calls, newest first, to one payer and/or about one claim (audited: the
        summaries may speak of patients)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        where: list[Any] = []
        if payer_id is not None:
            where.append(PayerCall.payer_id == payer_id)
        if claim_id is not None:
            where.append(PayerCall.id.in_(select(PayerCallClaim.call_id)
                                          .where(PayerCallClaim.claim_id == claim_id)))
        with self._db.session() as s:
            rows = call_rows(s, *where)
            patient = s.scalar(select(Claim.patient_id).where(Claim.id == claim_id)) \
                if claim_id is not None else None
            append_event(s, user, "payer_call.list", entity="claim" if claim_id else "",
                         entity_id=claim_id or "", patient_id=patient,
                         details={"calls": len(rows)})
            return rows

    def calls_for_claim(self, claim_id: int) -> list[CallRow]:
        """Every call about one claim, newest first (audited)."""
        return self.calls(claim_id=claim_id)

    def mark_promise_kept(self, call_id: int) -> CallRow:
        """The payer did what it promised on this call: the promise is no longer followed up
        and its work item, if one was raised, is closed (audited)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            call = s.get(PayerCall, call_id)
            if call is None:
                raise UserError("That call no longer exists; refresh the list.")
            if call.promised_on is None:
                raise UserError("The payer promised nothing on this call.")
            if call.promise_kept:
                raise UserError("This promise is already marked kept.")
            call.promise_kept = True
            closed = close_items(s, user.username, "the payer kept its promise.",
                                 WorkItem.source == PAYER_CALL, WorkItem.source_id == call.id,
                                 WorkItem.reason == "promise")
            append_event(s, user, "payer_call.promise_kept", entity="payer_call",
                         entity_id=call.id, details={"closed_items": closed})
            return call_rows(s, PayerCall.id == call.id)[0]
