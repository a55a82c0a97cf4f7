"""The audit trail: append, read, verify, export (HIPAA 164.312(b); ONC 170.315(d)(2)/(d)(3)).

Every event's `hash` is SHA-256 over its own content and the previous event's hash, so changing,
deleting or reordering any event breaks the chain from that event on; the `audit_head` row holds
the count and last hash so a deleted tail shows too. Details name fields, never sensitive values.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, Table, func, select, update
from sqlalchemy.orm import Session

from app.models import AuditEvent, AuditHead
from app.models.types import utcnow
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission

GENESIS = "0" * 64
SYSTEM = "system"


def _canonical(ev: Mapping[str, Any]) -> str:
    return json.dumps(
        [ev["seq"], ev["at"].isoformat(), ev["user_id"], ev["username"], ev["action"],
         ev["entity"], ev["entity_id"], ev["patient_id"], ev["details"]],
        separators=(",", ":"), ensure_ascii=True,
    )


def event_hash(prev_hash: str, ev: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "|" + _canonical(ev)).encode()).hexdigest()


def append_event(
    s: Session, actor: CurrentUser | None, action: str, *, entity: str = "",
    entity_id: object = "", patient_id: int | None = None,
    details: Mapping[str, Any] | None = None, username: str | None = None,
) -> int:
    """Add one event inside the caller's transaction (so it lands with the change it records).

    The head row is updated first: that takes SQLite's write lock before the previous hash is
    read, so two writers cannot chain onto the same event. Returns the event's `seq`.
    """
    # synchronize_session=False: the head row is never loaded as an object, and letting the
    # ORM search the session for it costs a scan of every object a long posting holds.
    row = s.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)
        .execution_options(synchronize_session=False)
    ).one()
    ev: dict[str, Any] = {
        "seq": row.seq,
        "at": utcnow().replace(microsecond=0),
        "user_id": actor.id if actor else None,
        "username": username or (actor.username if actor else SYSTEM),
        "action": action,
        "entity": entity,
        "entity_id": "" if entity_id is None else str(entity_id),
        "patient_id": patient_id,
        "details": json.dumps(dict(details), sort_keys=True) if details else "",
    }
    ev["prev_hash"] = row.last_hash
    ev["hash"] = event_hash(row.last_hash, ev)
    s.add(AuditEvent(**ev))
    s.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=ev["hash"])
              .execution_options(synchronize_session=False))
    return int(row.seq)


@dataclass(frozen=True)
class Event:
    """One event for `append_events` (the same fields `append_event` takes)."""

    action: str
    entity: str = ""
    entity_id: object = ""
    patient_id: int | None = None
    details: Mapping[str, Any] | None = None


def append_events(s: Session, actor: CurrentUser | None, events: Sequence[Event]) -> None:
    """Many events at once inside the caller's transaction (posting a remittance builds
    hundreds of claims): the head moves by their count in one statement, the chain is
    computed here and the rows go in through Core, exactly as `append_event` one by one."""
    if not events:
        return
    row = s.execute(
        update(AuditHead).where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + len(events)).returning(AuditHead.seq, AuditHead.last_hash)
        .execution_options(synchronize_session=False)).one()
    at = utcnow().replace(microsecond=0)
    prev, rows = row.last_hash, []
    for seq, e in enumerate(events, start=row.seq - len(events) + 1):
        ev: dict[str, Any] = {
            "seq": seq, "at": at, "user_id": actor.id if actor else None,
            "username": actor.username if actor else SYSTEM, "action": e.action,
            "entity": e.entity, "entity_id": "" if e.entity_id is None else str(e.entity_id),
            "patient_id": e.patient_id,
            "details": json.dumps(dict(e.details), sort_keys=True) if e.details else ""}
        ev["prev_hash"] = prev
        ev["hash"] = prev = event_hash(prev, ev)
        rows.append(ev)
    s.execute(cast(Table, AuditEvent.__table__).insert(), rows)
    s.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev)
              .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: str
    patient_id: int | None
    details: str


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    action: str = ""
    patient_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str = ""


def _row(e: AuditEvent) -> AuditRow:
    return AuditRow(e.seq, e.at, e.username, e.action, e.entity, e.entity_id, e.patient_id,
                    e.details)


def _apply(q: Select[Any], f: AuditFilter) -> Select[Any]:
    if f.username:
        q = q.where(AuditEvent.username == f.username)
    if f.action:
        q = q.where(AuditEvent.action.startswith(f.action))
    if f.patient_id is not None:
        q = q.where(AuditEvent.patient_id == f.patient_id)
    # The clerk's dates are local calendar days; events are stored in UTC.
    if f.date_from:
        q = q.where(AuditEvent.at >= datetime.combine(f.date_from, time.min).astimezone())
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time.min).astimezone()
        q = q.where(AuditEvent.at < end)
    return q


class AuditService:
    """Reading and checking the trail; writing happens through `append_event`."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def count(self, f: AuditFilter = AuditFilter()) -> int:
        """How many events match (for the lazily loaded log table)."""
        self._ctx.require(Permission.VIEW_AUDIT)
        with self._db.session() as s:
            q = _apply(select(func.count()).select_from(AuditEvent), f)
            return int(s.execute(q).scalar_one())

    def page(self, f: AuditFilter, offset: int, limit: int) -> list[AuditRow]:
        """Newest first; one page of the filtered log."""
        self._ctx.require(Permission.VIEW_AUDIT)
        with self._db.session() as s:
            q = _apply(select(AuditEvent), f).order_by(AuditEvent.seq.desc())
            return [_row(e) for e in s.scalars(q.offset(offset).limit(limit))]

    def usernames(self) -> list[str]:
        self._ctx.require(Permission.VIEW_AUDIT)
        with self._db.session() as s:
            q = select(AuditEvent.username).distinct().order_by(AuditEvent.username)
            return list(s.scalars(q))

    def actions(self) -> list[str]:
        self._ctx.require(Permission.VIEW_AUDIT)
        with self._db.session() as s:
            q = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
            return list(s.scalars(q))

    def export_csv(self, f: AuditFilter, out: Path) -> int:
        """Write the filtered log to `out`; the export is itself audited. Returns the count."""
        user = self._ctx.require(Permission.EXPORT_AUDIT)
        n = 0
        with self._db.session() as s, out.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["seq", "at_utc", "user", "action", "entity", "entity_id",
                        "patient_id", "details"])
            q = _apply(select(AuditEvent), f).order_by(AuditEvent.seq)
            for e in s.scalars(q.execution_options(yield_per=2000)):
                w.writerow([e.seq, e.at.isoformat(), e.username, e.action, e.entity,
                            e.entity_id, e.patient_id or "", e.details])
                n += 1
            append_event(s, user, "audit.export", details={"rows": n, "file": out.name})
        return n

    def verify(self) -> VerifyResult:
        """Recompute the chain. Needs the audit permission."""
        self._ctx.require(Permission.VIEW_AUDIT)
        return verify_chain(self._db)


def _events(s: Session) -> Iterator[AuditEvent]:
    q = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=5000)
    yield from s.scalars(q)


def verify_chain(db: Database) -> VerifyResult:
    """Walk every event in stored order and recompute its hash and link."""
    prev, n = GENESIS, 0
    with db.session() as s:
        for e in _events(s):
            n += 1
            fields = {c: getattr(e, c) for c in
                      ("seq", "at", "user_id", "username", "action", "entity", "entity_id",
                       "patient_id", "details")}
            if e.seq != n:
                return VerifyResult(False, n - 1, e.seq, "an event is missing or out of order")
            if e.prev_hash != prev:
                return VerifyResult(False, n - 1, e.seq, "does not follow the event before it")
            if event_hash(prev, fields) != e.hash:
                return VerifyResult(False, n - 1, e.seq, "its content was changed")
            prev = e.hash
        head = s.get(AuditHead, 1)
        if head is None or head.seq != n or head.last_hash != prev:
            return VerifyResult(False, n, n + 1, "events after this one were deleted")
    return VerifyResult(True, n)


def event_by_seq(s: Session, seq: int) -> AuditRow | None:
    e = s.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).first()
    return _row(e) if e else None
