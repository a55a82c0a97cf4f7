"""The follow-up work queues (DESIGN.md §3 WorkItem): what the billing clerk chases, one queue
per kind of trouble, worked top to bottom.

Some work items are raised where their cause happens (a denial or an underpayment when a
remittance posts, a rejection when a 999/277CA comes back, an appeal when it is written).
Others are computed from the state of claims and calls on a given day, by `refresh(today)`:

- unpaid: a claim sent (submitted or accepted) with no answer from the payer for
  `unpaid_after_days` (counted from its first submission, or from the payer's last remittance
  when a reversal sent it back to waiting);
- timely filing: a claim still to go out (draft, ready, rejected) or denied with a denial
  still open, whose payer's filing limit, counted from the earliest date of service, is
  within `timely_filing_warning_days` (or already passed);
- promises: a payer's promise on a logged call (app.services.payer_calls) whose date has
  passed and that nobody marked kept;
- late plans: an active payment plan with an installment missed (not paid in full after its
  due date plus `plan_grace_days`, app.services.plans). One item per late plan, for its
  earliest missed installment; when that one is paid the item closes, and a later missed
  installment raises its own.

A cause raises one item: an item of the same source/source_id/reason that is not done blocks
another. `refresh` also closes items whose cause went away (the claim was paid, went out, the
promise was kept, nothing is left with the payer after a denial, the payer answered an
appeal, the plan caught up or was paused, renegotiated or cancelled); those are closed by
"system", so the same cause coming back raises a new item. An item a clerk closed by hand
stays closed (an unpaid claim is chased again only after another `unpaid_after_days`).

The queues show patient names and MRNs: each list is audited with its count."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.formats import adjustment_codes as codes
from app.models import (
    Appeal,
    Claim,
    ClaimPayment,
    Coverage,
    Denial,
    LedgerEntry,
    Patient,
    Payer,
    PayerCall,
    PayerCallClaim,
    Remittance,
    ServiceLine,
    User,
    WorkItem,
)
from app.models.claims import ACCEPTED, DENIED, OPEN_STATUSES, PAID, REJECTED, SUBMITTED
from app.models.types import utcnow
from app.models.work import DONE, OPEN, WORK_STATES
from app.services.audit import SYSTEM, append_event
from app.services.billing_settings import BillingSettings, read_billing
from app.services.claims import claim_number, display_name
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission, role_allows
from app.services.plans import missed_installments, plan_number

ZERO = Decimal("0.00")
CHUNK = 900  # ids per IN (...) list: below SQLite's variable limit
NOTE_LIMIT = 2000
NEXT_ACTION_LIMIT = 200


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    reason: str  # WorkItem.reason of its items
    description: str


UNPAID, DENIALS, REJECTIONS, UNDERPAYMENTS = "unpaid", "denials", "rejections", "underpayments"
TIMELY_FILING, PROMISES, APPEALS = "timely_filing", "promises", "appeals"
PLANS_LATE = "plans_late"
QUEUES: dict[str, Queue] = {q.key: q for q in (
    Queue(UNPAID, "Unpaid", "unpaid", "Claims sent with no answer from the payer"),
    Queue(DENIALS, "Denials", "denial", "Claims the payer denied, by reason"),
    Queue(REJECTIONS, "Rejections", "claim_rejected",
          "Claims the clearinghouse or payer front end rejected"),
    Queue(UNDERPAYMENTS, "Underpayments", "underpaid", "Lines paid below the contract rate"),
    Queue(TIMELY_FILING, "Timely filing", "timely_filing",
          "Claims whose filing limit runs out soon"),
    Queue(PROMISES, "Payer promises", "promise", "What a payer promised on a call and did not do"),
    Queue(APPEALS, "Appeals", "appeal", "Appeals sent, waiting for the payer's decision"),
    Queue(PLANS_LATE, "Late plans", "plan_late",
          "Payment plans with an installment missed past the grace days"),
)}
QUEUE_OF_REASON = {q.reason: q.key for q in QUEUES.values()}

CLAIM, PAYER_CALL, APPEAL = "claim", "payer_call", "appeal"
PLAN_INSTALLMENT = "plan_installment"
UNPAID_ACTION = ("Check the claim's status on the payer's portal or call the payer; log the "
                 "call.")
PROMISE_ACTION = "Check whether the payer did it; if not, call again and log the call."
PLAN_LATE_ACTION = ("Contact the patient or the guarantor about the missed installment: take "
                    "the payment, or renegotiate or pause the plan.")


@dataclass(frozen=True)
class WorkRow:
    """One work item as a queue shows it. `amount` is the claim's balance still with its
    payer (from the ledger); `category` the denial category key for a denial."""

    id: int
    queue: str
    reason: str
    detail: str
    claim_id: int | None
    claim_number: str
    patient_id: int | None
    patient_name: str
    mrn: str
    payer_id: int | None
    payer_name: str
    amount: Decimal
    due_on: date | None
    next_action: str
    assignee: str
    state: str
    age_days: int
    created_at: datetime
    note: str = ""
    category: str = ""


@dataclass(frozen=True)
class CategoryCount:
    """A denial category with its open items, in the words of adjustment_codes."""

    key: str
    label: str
    next_step: str
    count: int


# --- helpers other services share ------------------------------------------------------------
def local_day(moment: datetime) -> date:
    """The clerk's calendar day of a stored UTC timestamp."""
    return moment.astimezone().date()


def append_note(w: WorkItem, day: date, who: str, text: str) -> None:
    """Notes only grow: each is a dated line with who wrote it."""
    line = f"{day:%m/%d/%Y} {who}: {text.strip()}"
    w.note = f"{w.note}\n{line}" if w.note else line


def close_item(w: WorkItem, by: str, why: str, day: date | None = None) -> None:
    """Mark `w` done with why, in the caller's transaction."""
    w.state, w.closed_by, w.closed_at = DONE, by, utcnow()
    append_note(w, day or date.today(), by, f"Closed: {why}")


def close_items(s: Session, by: str, why: str, *where: Any) -> int:
    """Close every item not yet done that matches `where`; returns how many."""
    found = list(s.scalars(select(WorkItem).where(WorkItem.state != DONE, *where)))
    for w in found:
        close_item(w, by, why)
    return len(found)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def payer_balances(s: Session, claim_ids: Sequence[int]) -> dict[int, Decimal]:
    """Each claim's balance still owed by the coverage it was sent to: the ledger entries of
    its lines' charge lines with that coverage (DESIGN.md §3: balances come from the ledger)."""
    out: dict[int, Decimal] = {}
    for part in _chunks(claim_ids):
        q = (select(Claim.id, func.sum(LedgerEntry.amount)).select_from(LedgerEntry)
             .join(ServiceLine, ServiceLine.charge_line_id == LedgerEntry.charge_line_id)
             .join(Claim, and_(Claim.id == ServiceLine.claim_id,
                               Claim.coverage_id == LedgerEntry.coverage_id))
             .where(Claim.id.in_(part)).group_by(Claim.id))
        out.update((cid, total or ZERO) for cid, total in s.execute(q))
    return out


def denial_categories(s: Session, claim_payment_ids: Sequence[int]) -> dict[int, str]:
    """The category a denial work item was filed under: the category with the most money
    among its remittance's denials (as remit_posting chose it; ties go to the first)."""
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for part in _chunks(claim_payment_ids):
        q = (select(Denial.claim_payment_id, Denial.category, Denial.amount)
             .where(Denial.claim_payment_id.in_(part)).order_by(Denial.id))
        for cp_id, cat, amount in s.execute(q):
            sums[cp_id][cat] = sums[cp_id].get(cat, ZERO) + amount
    return {cp: max(cats, key=lambda k: cats[k]) for cp, cats in sums.items()}


def _queue(key: str) -> Queue:
    if key not in QUEUES:
        raise UserError("Choose a work queue from the list.")
    return QUEUES[key]


def _age(created_at: datetime, today: date) -> int:
    return max((today - local_day(created_at)).days, 0)


# --- refresh ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Cause:
    """A computed reason for an item, with what the item says."""

    source: str
    source_id: int
    reason: str
    claim_id: int | None
    patient_id: int | None
    coverage_id: int | None
    detail: str
    next_action: str
    due_on: date | None


class _Refresh:
    """One refresh on `today`: raise computed items, close those whose cause is gone."""

    def __init__(self, s: Session, user: CurrentUser, today: date, b: BillingSettings) -> None:
        self.s, self.user, self.today, self.b = s, user, today, b
        self.raised: Counter[str] = Counter()
        self.closed = 0
        self.items: dict[tuple[str, int, str], list[WorkItem]] = defaultdict(list)
        for w in s.scalars(select(WorkItem).where(
                WorkItem.reason.in_(("unpaid", "timely_filing", "promise", "plan_late")))):
            self.items[(w.source, w.source_id or 0, w.reason)].append(w)

    def run(self) -> dict[str, int]:
        computed = (UNPAID, TIMELY_FILING, PROMISES, PLANS_LATE)
        for queue, causes in ((UNPAID, self._unpaid()), (TIMELY_FILING, self._timely()),
                              (PROMISES, self._promises()), (PLANS_LATE, self._plans_late())):
            self._apply(queue, causes)
        self._close_rejections()
        self._close_denials()
        self._close_appeals()
        return {**{q: self.raised[q] for q in computed}, "closed": self.closed}

    # raising and closing computed items
    def _apply(self, queue: str, causes: list[_Cause]) -> None:
        reason = QUEUES[queue].reason
        live = {(c.source, c.source_id) for c in causes}
        for c in causes:
            if not self._blocked(self.items[(c.source, c.source_id, reason)]):
                self._raise(queue, c)
        for (source, source_id, r), found in self.items.items():
            if r == reason and (source, source_id) not in live:
                for w in found:
                    if w.state != DONE:
                        self._close(w, self._gone_why(w))

    def _blocked(self, found: list[WorkItem]) -> bool:
        return any(self._blocks(w) for w in found)

    def _blocks(self, w: WorkItem) -> bool:
        """An item not done blocks a new one for its cause; so does one a clerk closed,
        except that an unpaid claim is chased again after another `unpaid_after_days`."""
        if w.state != DONE:
            return True
        if w.closed_by == SYSTEM:
            return False  # its cause went away, and has now come back
        if w.reason != "unpaid" or w.closed_at is None:
            return True
        return local_day(w.closed_at) > self.today - timedelta(days=self.b.unpaid_after_days)

    def _raise(self, queue: str, c: _Cause) -> None:
        w = WorkItem(patient_id=c.patient_id, coverage_id=c.coverage_id, claim_id=c.claim_id,
                     source=c.source, source_id=c.source_id, reason=c.reason,
                     detail=c.detail[:2000], next_action=c.next_action[:NEXT_ACTION_LIMIT],
                     due_on=c.due_on, created_by=self.user.username)
        self.s.add(w)
        self.items[(c.source, c.source_id, c.reason)].append(w)
        self.raised[queue] += 1

    def _close(self, w: WorkItem, why: str) -> None:
        close_item(w, SYSTEM, why, self.today)
        self.closed += 1

    def _gone_why(self, w: WorkItem) -> str:
        if w.reason == "plan_late":
            return ("the installment was paid, or the plan was paused, renegotiated, "
                    "cancelled or paid off.")
        if w.reason == "promise":
            return "the promise was kept or every claim on the call was paid."
        c = self.s.get(Claim, w.claim_id) if w.claim_id else None
        status = c.status if c is not None else "gone"
        if w.reason == "unpaid":
            return f"the payer answered (the claim is {status} now)."
        return f"the claim went out or was settled (it is {status} now)."

    # the causes
    def _unpaid(self) -> list[_Cause]:
        since = func.coalesce(Claim.adjudicated_on, Claim.submitted_on)
        cutoff = self.today - timedelta(days=self.b.unpaid_after_days)
        q = (select(Claim, since, Payer.name).join(Payer, Payer.id == Claim.payer_id)
             .where(Claim.status.in_((SUBMITTED, ACCEPTED)), since.is_not(None),
                    since <= cutoff))
        out = []
        for c, day, payer in self.s.execute(q):
            detail = (f"Claim {claim_number(c)} waits for {payer} since {day:%m/%d/%Y}: no "
                      f"remittance after {(self.today - day).days} days.")
            out.append(_Cause(CLAIM, c.id, "unpaid", c.id, c.patient_id, c.coverage_id, detail,
                              UNPAID_ACTION, self.today + timedelta(days=self.b.denial_due_days)))
        return out

    def _timely(self) -> list[_Cause]:
        open_denial = exists().where(Denial.claim_id == Claim.id, Denial.outcome == "")
        # a void (frequency 8) cancels a claim: there is nothing left to file in time
        q = (select(Claim, Payer.name, Payer.timely_filing_days, func.min(ServiceLine.dos))
             .join(Payer, Payer.id == Claim.payer_id)
             .join(ServiceLine, ServiceLine.claim_id == Claim.id)
             .where(or_(Claim.status.in_(OPEN_STATUSES),
                        and_(Claim.status == DENIED, open_denial)), Claim.frequency != "8")
             .group_by(Claim.id))
        out = []
        warn = timedelta(days=self.b.timely_filing_warning_days)
        for c, payer, days, dos in self.s.execute(q):
            limit = dos + timedelta(days=days)
            if self.today >= limit - warn:
                detail = _timely_detail(claim_number(c), payer, days, dos, limit, self.today)
                out.append(_Cause(CLAIM, c.id, "timely_filing", c.id, c.patient_id,
                                  c.coverage_id, detail,
                                  _timely_action(c.status, limit < self.today), limit))
        return out

    def _promises(self) -> list[_Cause]:
        q = (select(PayerCall, Payer.name).join(Payer, Payer.id == PayerCall.payer_id)
             .where(PayerCall.promised_on.is_not(None), PayerCall.promised_on < self.today,
                    PayerCall.promise_kept.is_(False)))
        out = []
        for call, payer in self.s.execute(q):
            claims = list(self.s.scalars(
                select(Claim).join(PayerCallClaim, PayerCallClaim.claim_id == Claim.id)
                .where(PayerCallClaim.call_id == call.id).order_by(Claim.id)))
            if not claims or all(c.status == PAID for c in claims):
                continue  # what was promised is moot: the payer paid every claim
            first = claims[0]
            out.append(_Cause(PAYER_CALL, call.id, "promise", first.id, first.patient_id,
                              first.coverage_id, _promise_detail(call, payer, claims),
                              PROMISE_ACTION, self.today))
        return out

    def _plans_late(self) -> list[_Cause]:
        """One cause per late plan: its earliest missed installment."""
        grace = self.b.plan_grace_days
        by_plan: dict[int, list[Any]] = defaultdict(list)
        for inst, plan in missed_installments(self.s, self.today, grace):
            by_plan[plan.id].append((inst, plan))
        out = []
        for found in by_plan.values():
            first, plan = found[0]
            detail = (f"Plan {plan_number(plan.id)}: installment {first.number} of "
                      f"${first.amount:,.2f} was due {first.due_date:%m/%d/%Y}; "
                      f"${first.amount - first.paid:,.2f} of it is unpaid after the "
                      f"{grace}-day grace period.")
            if len(found) > 1:
                past_due = sum((i.amount - i.paid for i, _p in found), ZERO)
                detail += f" {len(found)} installments are missed, ${past_due:,.2f} in all."
            out.append(_Cause(PLAN_INSTALLMENT, first.id, "plan_late", None, plan.patient_id,
                              None, detail, PLAN_LATE_ACTION, self.today))
        return out

    # items raised elsewhere whose cause went away
    def _open(self, reason: str) -> list[tuple[WorkItem, Claim]]:
        q = (select(WorkItem, Claim).join(Claim, Claim.id == WorkItem.claim_id)
             .where(WorkItem.reason == reason, WorkItem.state != DONE))
        return [(w, c) for w, c in self.s.execute(q)]

    def _close_rejections(self) -> None:
        for w, c in self._open("claim_rejected"):
            if c.status != REJECTED:
                self._close(w, f"the claim was corrected or sent again (it is {c.status} now).")

    def _close_denials(self) -> None:
        found = self._open("denial")
        balances = payer_balances(self.s, [c.id for _w, c in found])
        for w, c in found:
            if balances.get(c.id, ZERO) <= 0:
                self._close(w, "nothing of the claim is left with the payer.")

    def _close_appeals(self) -> None:
        q = (select(WorkItem, Appeal).join(Appeal, Appeal.id == WorkItem.source_id)
             .where(WorkItem.reason == "appeal", WorkItem.source == APPEAL,
                    WorkItem.state != DONE))
        for w, a in list(self.s.execute(q)):
            answered = self.s.scalar(
                select(func.max(Remittance.posted_at))
                .join(ClaimPayment, ClaimPayment.remittance_id == Remittance.id)
                .where(ClaimPayment.claim_id == a.claim_id, Remittance.posted_at > a.created_at))
            if answered is not None:
                self._close(w, f"the payer answered (remittance posted "
                               f"{local_day(answered):%m/%d/%Y}); see the claim.")


def _timely_detail(number: str, payer: str, days: int, dos: date, limit: date,
                   today: date) -> str:
    head = (f"Claim {number}: {payer} allows {days} days from the date of service "
            f"({dos:%m/%d/%Y}).")
    if limit < today:
        return f"{head} The filing limit passed on {limit:%m/%d/%Y}."
    return f"{head} File it by {limit:%m/%d/%Y}."


def _timely_action(status: str, passed: bool) -> str:
    if passed:
        return ("Find proof it was filed in time (999/277CA, print log) and appeal, or write "
                "the balance off.")
    return {
        REJECTED: "Correct the rejection and send the claim again before the limit.",
        DENIED: "Correct and resubmit, or appeal, before the limit.",
    }.get(status, "Finish the claim and send it before the limit.")


def _promise_detail(call: PayerCall, payer: str, claims: list[Claim]) -> str:
    ref = f" (reference {call.reference})" if call.reference else ""
    what = call.promised_action or "to act on the claims"
    assert call.promised_on is not None
    numbers = ", ".join(claim_number(c) for c in claims)
    return (f"On the call of {local_day(call.called_at):%m/%d/%Y}{ref} {payer} promised: "
            f"{what.rstrip('.')}, by {call.promised_on:%m/%d/%Y}. Not marked kept. "
            f"Claims: {numbers}.")


# --- reading rows ----------------------------------------------------------------------------
def work_rows(s: Session, ids: Sequence[int], today: date) -> list[WorkRow]:
    """The rows of these items, in the order of `ids`."""
    if not ids:
        return []
    payer_key = func.coalesce(Claim.payer_id, Coverage.payer_id)
    found: dict[int, tuple[WorkItem, Claim | None, Patient | None, Payer | None]] = {}
    for part in _chunks(ids):
        q = (select(WorkItem, Claim, Patient, Payer)
             .outerjoin(Claim, Claim.id == WorkItem.claim_id)
             .outerjoin(Coverage, Coverage.id == WorkItem.coverage_id)
             .outerjoin(Patient, Patient.id == WorkItem.patient_id)
             .outerjoin(Payer, Payer.id == payer_key)
             .where(WorkItem.id.in_(part)))
        found.update((w.id, (w, c, p, y)) for w, c, p, y in s.execute(q))
    balances = payer_balances(s, [r[1].id for r in found.values() if r[1] is not None])
    cats = denial_categories(s, [r[0].source_id for r in found.values()
                                 if r[0].reason == "denial" and r[0].source_id])
    return [_work_row(*found[i], balances=balances, cats=cats, today=today)
            for i in ids if i in found]


def _work_row(w: WorkItem, c: Claim | None, p: Patient | None, y: Payer | None, *,
              balances: dict[int, Decimal], cats: dict[int, str], today: date) -> WorkRow:
    category = cats.get(w.source_id or 0, "") if w.reason == "denial" else ""
    return WorkRow(
        w.id, QUEUE_OF_REASON.get(w.reason, ""), w.reason, w.detail, w.claim_id,
        claim_number(c) if c is not None else "", w.patient_id,
        display_name(p) if p is not None else "", p.mrn if p is not None else "",
        y.id if y is not None else None, y.name if y is not None else "",
        balances.get(c.id, ZERO) if c is not None else ZERO, w.due_on, w.next_action,
        w.assignee, w.state, _age(w.created_at, today), w.created_at, w.note, category)


def _active_user(s: Session, username: str) -> str | None:
    """The problem with `username` as an assignee, or None ("" unassigns)."""
    name = username.strip()
    if not name:
        return None
    found = s.scalars(select(User).where(User.username == name)).first()
    if found is None or not found.active:
        return "Choose an active user from the list, or leave it empty."
    return None


# --- the service -----------------------------------------------------------------------------
class WorkQueueService:
    """The follow-up queues: refresh the computed items, list, count, assign and work them."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def refresh(self, today: date | None = None) -> dict[str, int]:
        """Raise the computed items (unpaid, timely filing, missed promises, late payment
        plans) as of `today` without duplicates, and close items whose cause went away.
        Returns how many items each of those queues gained, and under "closed" how many were
        closed (audited)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        day = today or date.today()
        with self._db.session() as s:
            out = _Refresh(s, user, day, read_billing(s)).run()
            append_event(s, user, "work_queue.refresh",
                         details={**out, "as_of": day.isoformat()})
            return out

    def items(self, queue: str, *, payer_id: int | None = None, category: str | None = None,
              assignee: str | None = None, state: str | None = OPEN, limit: int = 500,
              today: date | None = None) -> list[WorkRow]:
        """One queue's items, ordered to work top to bottom: due date (none last), then the
        oldest. `state` None lists every state; `assignee` "" the unassigned; `category`
        (denials only) a key of DENIAL_CATEGORIES. Audited: the rows name patients."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        q = self._query(_queue(queue), payer_id, category, assignee, state)
        with self._db.session() as s:
            if category:
                ids = self._in_category(s, q, category)[:limit]
            else:
                ids = list(s.scalars(q.with_only_columns(WorkItem.id).limit(limit)))
            rows = work_rows(s, ids, today or date.today())
            append_event(s, user, "work_queue.view",
                         details={"queue": queue, "rows": len(rows)})
            return rows

    @staticmethod
    def _query(queue: Queue, payer_id: int | None, category: str | None,
               assignee: str | None, state: str | None) -> Any:
        if state is not None and state not in WORK_STATES:
            raise UserError("Choose open, waiting or done.")
        if category and (queue.key != DENIALS or category not in codes.DENIAL_CATEGORIES):
            raise UserError("Choose a denial category from the list (denials queue only).")
        q = (select(WorkItem).outerjoin(Claim, Claim.id == WorkItem.claim_id)
             .where(WorkItem.reason == queue.reason))
        if state is not None:
            q = q.where(WorkItem.state == state)
        if payer_id is not None:
            q = q.where(Claim.payer_id == payer_id)
        if assignee is not None:
            q = q.where(WorkItem.assignee == assignee.strip())
        return q.order_by(WorkItem.due_on.is_(None), WorkItem.due_on, WorkItem.created_at,
                          WorkItem.id)

    @staticmethod
    def _in_category(s: Session, q: Any, category: str) -> list[int]:
        pairs = list(s.execute(q.with_only_columns(WorkItem.id, WorkItem.source_id)))
        cats = denial_categories(s, [sid for _i, sid in pairs if sid])
        return [i for i, sid in pairs if cats.get(sid or 0) == category]

    def counts(self) -> dict[str, int]:
        """Open items per queue (the tab's badges); every queue is there, 0 when empty."""
        self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            q = (select(WorkItem.reason, func.count()).where(WorkItem.state == OPEN)
                 .group_by(WorkItem.reason))
            found = {reason: n for reason, n in s.execute(q)}
        return {key: int(found.get(queue.reason, 0)) for key, queue in QUEUES.items()}

    def categories(self) -> list[CategoryCount]:
        """The denial categories with open items, most items first, each with its label and
        next step."""
        self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            sources = list(s.scalars(select(WorkItem.source_id).where(
                WorkItem.reason == "denial", WorkItem.state == OPEN)))
            cats = denial_categories(s, [i for i in sources if i])
        counted = Counter(cats.get(i or 0, "other") for i in sources)
        out = [CategoryCount(k, codes.DENIAL_CATEGORIES[k].label,
                             codes.DENIAL_CATEGORIES[k].next_step, n)
               for k, n in counted.items() if k in codes.DENIAL_CATEGORIES]
        return sorted(out, key=lambda c: (-c.count, c.label))

    def assignees(self) -> list[tuple[str, str]]:
        """(username, full name) of the active users who may work the queues, by name: whom
        an item can be given to."""
        self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            users = s.scalars(select(User).where(User.active.is_(True))
                              .order_by(User.full_name, User.username))
            return [(u.username, u.full_name) for u in users
                    if role_allows(u.role, Permission.WORK_FOLLOW_UP)]

    def update(self, item_id: int, *, assignee: str | None = None, due_on: date | None = None,
               next_action: str | None = None, note: str | None = None,
               state: str | None = None) -> WorkRow:
        """Change what is given (None leaves a field alone): the assignee (an active user, ""
        unassigns), the due date (not before the item was raised), the next action, the
        state (open, waiting, done). A note is added under the earlier ones with the date and
        who wrote it; notes are never overwritten. Audited."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            w = _item(s, item_id)
            problems = _update_problems(s, w, assignee, due_on, next_action, note, state)
            if problems:
                raise ValidationError(problems, "work item")
            changed = _apply_update(w, user, assignee, due_on, next_action, note, state)
            append_event(s, user, "work_item.update", entity="work_item", entity_id=w.id,
                         patient_id=w.patient_id, details={"fields": changed})
            s.flush()
            return work_rows(s, [w.id], date.today())[0]

    def assign_many(self, ids: Sequence[int], assignee: str) -> int:
        """Give these items to one user ("" unassigns them); returns how many (audited)."""
        user = self._ctx.require(Permission.WORK_FOLLOW_UP)
        with self._db.session() as s:
            if problem := _active_user(s, assignee):
                raise ValidationError({"assignee": problem}, "assignment")
            found = [_item(s, i) for i in dict.fromkeys(ids)]
            for w in found:
                w.assignee = assignee.strip()
            append_event(s, user, "work_item.assign",
                         details={"items": len(found), "assignee": assignee.strip()})
            return len(found)


def _item(s: Session, item_id: int) -> WorkItem:
    w = s.get(WorkItem, item_id)
    if w is None:
        raise UserError("That work item no longer exists; refresh the list.")
    return w


def _update_problems(s: Session, w: WorkItem, assignee: str | None, due_on: date | None,
                     next_action: str | None, note: str | None,
                     state: str | None) -> dict[str, str]:
    p: dict[str, str] = {}
    if assignee is not None and (problem := _active_user(s, assignee)):
        p["assignee"] = problem
    raised = local_day(w.created_at)
    if due_on is not None and due_on < raised:
        p["due_on"] = f"The due date cannot be before the item was raised ({raised:%m/%d/%Y})."
    if next_action is not None and len(next_action.strip()) > NEXT_ACTION_LIMIT:
        p["next_action"] = f"Say the next action in at most {NEXT_ACTION_LIMIT} characters."
    if note is not None and len(note.strip()) > NOTE_LIMIT:
        p["note"] = f"Keep a note to at most {NOTE_LIMIT} characters."
    if state is not None and state not in WORK_STATES:
        p["state"] = "Choose open, waiting or done."
    return p


def _apply_update(w: WorkItem, user: CurrentUser, assignee: str | None, due_on: date | None,
                  next_action: str | None, note: str | None, state: str | None) -> list[str]:
    changed = []
    for name, value in (("assignee", assignee), ("due_on", due_on),
                        ("next_action", next_action)):
        if value is not None:
            setattr(w, name, value.strip() if isinstance(value, str) else value)
            changed.append(name)
    if note is not None and note.strip():
        append_note(w, date.today(), user.username, note)
        changed.append("note")
    if state is not None and state != w.state:
        if state == DONE:
            w.closed_by, w.closed_at = user.username, utcnow()
        else:  # reopened: it is nobody's closed item any more
            w.closed_by, w.closed_at = "", None
        w.state = state
        changed.append("state")
    return changed
