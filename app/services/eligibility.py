"""Eligibility checks: what the payer said about a coverage, by phone, on its portal, or in a
271 file (app.services.eligibility_files). Every check is kept with who recorded it; the
latest one feeds the warnings (app.services.coverage) and the patient's estimate.

Benefit lines use the 271's terms (005010X279A1 loop 2110C EB segment) whatever the source,
so a copay told on the phone and one read from a file look the same afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.formats.x12 import codes
from app.models import Benefit, Coverage, EligibilityCheck, Patient, Payer, WorkItem
from app.models.types import utcnow
from app.models.work import DONE, OPEN
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission

PHONE, PORTAL, FILE_271 = "phone", "portal", "271"
METHODS = {PHONE: "Phone call", PORTAL: "Payer portal", FILE_271: "271 file"}
COPAY, COINSURANCE = "B", "A"
# The service types (X12 data element 1365) a clerk asks about on the phone most often.
PHONE_SERVICE_TYPES: dict[str, str] = {
    code: codes.SERVICE_TYPES[code] for code in (
        "30", "98", "1", "UC", "86", "5", "4", "2", "PT", "33", "MH", "AL", "88")}
NETWORK = {"Y": "In network", "N": "Out of network", "W": "Either", "U": "Unknown", "": ""}
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999.99")


@dataclass(frozen=True)
class BenefitData:
    """One benefit line (EB): `code` is EB01 (B copay, A coinsurance, C deductible, …);
    `percent` is the patient's share in percent (20 for 20%)."""

    code: str
    service_type: str = ""
    amount: Decimal | None = None
    percent: Decimal | None = None
    in_network: str = ""
    coverage_level: str = ""
    time_period: str = ""
    insurance_type: str = ""
    plan_description: str = ""
    quantity_qualifier: str = ""
    quantity: Decimal | None = None
    auth_required: str = ""
    procedure: str = ""
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckData:
    """A verification as recorded from a phone call or the payer's portal."""

    coverage_id: int
    checked_on: date
    method: str
    active: bool | None
    representative: str = ""
    reference: str = ""
    plan_begin: date | None = None
    plan_end: date | None = None
    deductible_total: Decimal | None = None
    deductible_met: Decimal | None = None
    family_deductible_total: Decimal | None = None
    family_deductible_met: Decimal | None = None
    oop_total: Decimal | None = None
    oop_met: Decimal | None = None
    family_oop_total: Decimal | None = None
    family_oop_met: Decimal | None = None
    prior_auth_required: bool | None = None
    visit_limit: int | None = None
    visits_used: int | None = None
    notes: str = ""
    benefits: tuple[BenefitData, ...] = ()


@dataclass(frozen=True)
class Rejection:
    code: str
    message: str
    follow_up: str = ""


@dataclass(frozen=True)
class CheckRow:
    id: int
    coverage_id: int
    payer_name: str
    checked_on: date
    method: str
    active: bool | None
    rejected: bool
    checked_by: str

    @property
    def status(self) -> str:
        if self.rejected:
            return "Rejected"
        return {True: "Active", False: "Inactive", None: "Unknown"}[self.active]


@dataclass(frozen=True)
class CheckDetail:
    row: CheckRow
    data: CheckData
    rejections: tuple[Rejection, ...] = ()
    file_id: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class WorkItemRow:
    id: int
    patient_id: int | None
    reason: str
    detail: str
    state: str
    created_at: datetime
    created_by: str
    due_on: date | None = None
    note: str = ""
    patient_name: str = ""


_FIGURES = ("deductible", "family_deductible", "oop", "family_oop")
_CHECK_FIELDS = ("checked_on", "method", "active", "representative", "reference", "plan_begin",
                 "plan_end", "deductible_total", "deductible_met", "family_deductible_total",
                 "family_deductible_met", "oop_total", "oop_met", "family_oop_total",
                 "family_oop_met", "prior_auth_required", "visit_limit", "visits_used", "notes")
_BENEFIT_FIELDS = ("code", "service_type", "amount", "percent", "in_network", "coverage_level",
                   "time_period", "insurance_type", "plan_description", "quantity_qualifier",
                   "quantity", "auth_required", "procedure")


def money_problem(value: Any) -> str | None:
    """Why `value` is not an amount of money the ledger can hold, or None."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return "Enter an amount in dollars and cents."
    if value < 0 or value > MAX_AMOUNT:
        return "The amount must be between 0.00 and 9,999,999.99."
    if value != value.quantize(CENT):
        return "The amount has a fraction of a cent."
    return None


def check_problems(d: CheckData, today: date) -> dict[str, str]:
    """Every problem with a phone or portal verification, by field."""
    p: dict[str, str] = {}
    if d.method not in (PHONE, PORTAL):
        p["method"] = "Choose how the benefits were verified: phone or portal."
    if d.checked_on > today:
        p["checked_on"] = "The verification date cannot be in the future."
    if d.method == PHONE and not d.representative.strip():
        p["representative"] = "Enter the name of the payer's representative you spoke to."
    if d.active is None:
        p["active"] = "Say whether the payer reports the coverage active or inactive."
    if d.plan_begin and d.plan_end and d.plan_end < d.plan_begin:
        p["plan_end"] = "The plan cannot end before it begins."
    for name in _FIGURES:
        total, met = getattr(d, f"{name}_total"), getattr(d, f"{name}_met")
        for part, value in (("total", total), ("met", met)):
            if value is not None and (msg := money_problem(value)):
                p[f"{name}_{part}"] = msg
        if f"{name}_total" not in p and f"{name}_met" not in p and total is not None and \
                met is not None and met > total:
            p[f"{name}_met"] = "The amount met cannot be more than the total."
    _count_problems(d, p)
    for n, b in enumerate(d.benefits, start=1):
        _benefit_problems(n, b, p)
    return p


def _count_problems(d: CheckData, p: dict[str, str]) -> None:
    for name in ("visit_limit", "visits_used"):
        value = getattr(d, name)
        if value is not None and (not isinstance(value, int) or not 0 <= value <= 9999):
            p[name] = "Enter a number of visits from 0 to 9999."
    if "visit_limit" not in p and "visits_used" not in p and d.visit_limit is not None and \
            d.visits_used is not None and d.visits_used > d.visit_limit:
        p["visits_used"] = "More visits used than the plan allows: check both numbers."


def _benefit_problems(n: int, b: BenefitData, p: dict[str, str]) -> None:
    key = f"benefit {n}"
    if not b.code or len(b.code) > 2:
        p[key] = "Choose the kind of benefit (copay, coinsurance, …)."
    if b.code == COPAY and b.amount is None:
        p[key] = "Enter the copay amount."
    if b.code == COINSURANCE and b.percent is None:
        p[key] = "Enter the coinsurance percent."
    if b.amount is not None and (msg := money_problem(b.amount)):
        p[key] = msg
    if b.percent is not None and (not isinstance(b.percent, Decimal) or
                                  not b.percent.is_finite() or not 0 <= b.percent <= 100):
        p[key] = "A coinsurance percent is from 0 to 100."
    if b.in_network not in NETWORK:
        p[key] = "Choose in network, out of network or either."


def write_check(s: Session, user: CurrentUser, cov: Coverage, d: CheckData, *,
                file_id: int | None = None, rejections: Sequence[Rejection] = ()
                ) -> EligibilityCheck:
    """Store one check and its benefit lines (any source); the caller audits."""
    ck = EligibilityCheck(coverage_id=cov.id, patient_id=cov.patient_id,
                          checked_by=user.username, file_id=file_id,
                          rejected=bool(rejections), rejections=_rejections_json(rejections),
                          **{n: getattr(d, n) for n in _CHECK_FIELDS})
    ck.representative = ck.representative.strip()[:60]
    ck.reference = ck.reference.strip()[:50]
    s.add(ck)
    s.flush()
    for n, b in enumerate(d.benefits, start=1):
        s.add(Benefit(check_id=ck.id, position=n, messages=json.dumps(list(b.messages)),
                      **{f: getattr(b, f) for f in _BENEFIT_FIELDS}))
    return ck


def _rejections_json(rejections: Sequence[Rejection]) -> str:
    if not rejections:
        return ""
    return json.dumps([{"code": r.code, "message": r.message, "follow_up": r.follow_up}
                       for r in rejections])


def raise_work_item(s: Session, user: CurrentUser, *, patient_id: int | None,
                    coverage_id: int | None, source: str, source_id: int, reason: str,
                    detail: str) -> WorkItem:
    """Open a work item unless the same cause already has an open one."""
    found = s.scalars(select(WorkItem).where(
        WorkItem.source == source, WorkItem.source_id == source_id,
        WorkItem.reason == reason, WorkItem.state == OPEN)).first()
    if found is not None:
        return found
    item = WorkItem(patient_id=patient_id, coverage_id=coverage_id, source=source,
                    source_id=source_id, reason=reason, detail=detail,
                    created_by=user.username)
    s.add(item)
    s.flush()
    return item


def _benefit_data(b: Benefit) -> BenefitData:
    return BenefitData(**{f: getattr(b, f) for f in _BENEFIT_FIELDS},
                       messages=tuple(json.loads(b.messages or "[]")))


def _row(ck: EligibilityCheck, payer_name: str) -> CheckRow:
    return CheckRow(ck.id, ck.coverage_id, payer_name, ck.checked_on, ck.method, ck.active,
                    ck.rejected, ck.checked_by)


def detail_of(s: Session, ck: EligibilityCheck, payer_name: str) -> CheckDetail:
    benefits = s.scalars(select(Benefit).where(Benefit.check_id == ck.id)
                         .order_by(Benefit.position))
    data = CheckData(coverage_id=ck.coverage_id, **{n: getattr(ck, n) for n in _CHECK_FIELDS},
                     benefits=tuple(_benefit_data(b) for b in benefits))
    rejections = tuple(Rejection(r["code"], r["message"], r.get("follow_up", ""))
                       for r in json.loads(ck.rejections or "[]"))
    return CheckDetail(_row(ck, payer_name), data, rejections, ck.file_id, ck.created_at)


def _work_row(w: WorkItem, patient_name: str = "") -> WorkItemRow:
    return WorkItemRow(w.id, w.patient_id, w.reason, w.detail, w.state, w.created_at,
                       w.created_by, w.due_on, w.note, patient_name)


@dataclass(frozen=True)
class _Found:
    coverage: Coverage
    payer_name: str


class EligibilityService:
    """Recording and reading verifications, and the work items they raise."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def record_check(self, data: CheckData) -> CheckDetail:
        """Keep a verification done by phone or on the payer's portal (checked, audited)."""
        user = self._ctx.require(Permission.EDIT_COVERAGE)
        problems = check_problems(data, date.today())
        if problems:
            raise ValidationError(problems, "verification")
        with self._db.session() as s:
            found = _coverage(s, data.coverage_id)
            ck = write_check(s, user, found.coverage, data)
            append_event(s, user, "eligibility.record", entity="eligibility_check",
                         entity_id=ck.id, patient_id=ck.patient_id,
                         details={"method": data.method, "benefits": len(data.benefits)})
            return detail_of(s, ck, found.payer_name)

    def checks(self, patient_id: int) -> list[CheckRow]:
        """Every verification of the patient's coverages, newest first (audited)."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            q = (select(EligibilityCheck, Payer.name)
                 .join(Coverage, Coverage.id == EligibilityCheck.coverage_id)
                 .join(Payer, Payer.id == Coverage.payer_id)
                 .where(EligibilityCheck.patient_id == patient_id)
                 .order_by(EligibilityCheck.checked_on.desc(), EligibilityCheck.id.desc()))
            rows = [_row(ck, name) for ck, name in s.execute(q)]
            append_event(s, user, "eligibility.list", entity="patient", entity_id=patient_id,
                         patient_id=patient_id, details={"checks": len(rows)})
            return rows

    def check(self, check_id: int) -> CheckDetail:
        """One verification with its benefit lines and rejections (audited)."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            ck = s.get(EligibilityCheck, check_id)
            if ck is None:
                raise UserError("That verification no longer exists; refresh the list.")
            found = _coverage(s, ck.coverage_id)
            append_event(s, user, "eligibility.view", entity="eligibility_check",
                         entity_id=ck.id, patient_id=ck.patient_id)
            return detail_of(s, ck, found.payer_name)

    def latest(self, coverage_id: int) -> CheckDetail | None:
        """The newest verification of a coverage, or None (audited when found)."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            found = _coverage(s, coverage_id)
            ck = s.scalars(select(EligibilityCheck)
                           .where(EligibilityCheck.coverage_id == coverage_id)
                           .order_by(EligibilityCheck.checked_on.desc(),
                                     EligibilityCheck.id.desc())).first()
            if ck is None:
                return None
            append_event(s, user, "eligibility.view", entity="eligibility_check",
                         entity_id=ck.id, patient_id=ck.patient_id)
            return detail_of(s, ck, found.payer_name)

    def work_items(self, *, open_only: bool = True, source: str | None = None
                   ) -> list[WorkItemRow]:
        """Follow-up work, oldest first (the list shows reasons, not patient details)."""
        self._ctx.require(Permission.EDIT_COVERAGE)
        with self._db.session() as s:
            q = (select(WorkItem, Patient.last_name, Patient.first_name)
                 .outerjoin(Patient, Patient.id == WorkItem.patient_id)
                 .order_by(WorkItem.created_at, WorkItem.id))
            if open_only:
                q = q.where(WorkItem.state == OPEN)
            if source:
                q = q.where(WorkItem.source == source)
            return [_work_row(w, f"{last}, {first}" if last else "")
                    for w, last, first in s.execute(q)]

    def close_work_item(self, item_id: int, note: str = "") -> WorkItemRow:
        """Mark a work item done with what was done (audited)."""
        user = self._ctx.require(Permission.EDIT_COVERAGE)
        with self._db.session() as s:
            w = s.get(WorkItem, item_id)
            if w is None:
                raise UserError("That work item no longer exists; refresh the list.")
            if w.state == DONE:
                raise UserError("That work item is already done.")
            w.state, w.closed_by, w.note = DONE, user.username, note.strip()
            w.closed_at = utcnow()
            append_event(s, user, "work_item.close", entity="work_item", entity_id=w.id,
                         patient_id=w.patient_id)
            return _work_row(w)


def _coverage(s: Session, coverage_id: int) -> _Found:
    row = s.execute(select(Coverage, Payer.name).join(Payer, Payer.id == Coverage.payer_id)
                    .where(Coverage.id == coverage_id)).first()
    if row is None:
        raise UserError("That coverage no longer exists; reopen the patient.")
    return _Found(row[0], row[1])


# --- in words ----------------------------------------------------------------------------------
def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _pair(label: str, total: Decimal | None, met: Decimal | None) -> str | None:
    if total is None and met is None:
        return None
    left = "" if total is None or met is None else f", {total - met:,.2f} left"
    return f"{label}: {_money(total)} (met {_money(met)}{left})"


def benefit_text(b: BenefitData) -> str:
    """One benefit line in words: "Co-payment, Physician visit - office (98), in network:
    25.00"."""
    parts = [codes.words(codes.ELIGIBILITY_CODES, b.code)]
    if b.service_type:
        words = codes.SERVICE_TYPES.get(b.service_type, "service type")
        parts.append(f"{words} ({b.service_type})")
    if b.coverage_level:
        parts.append(codes.words(codes.COVERAGE_LEVELS, b.coverage_level))
    if NETWORK.get(b.in_network):
        parts.append(NETWORK[b.in_network].lower())
    if b.plan_description:
        parts.append(b.plan_description)
    value = [f"{b.percent.normalize():f}%" if b.percent is not None else "",
             _money(b.amount) if b.amount is not None else "",
             codes.words(codes.TIME_PERIODS, b.time_period)]
    text = ", ".join(parts)
    shown = " ".join(v for v in value if v)
    return f"{text}: {shown}" if shown else text


def describe_check(d: CheckDetail) -> list[str]:
    """What a verification says, line by line, for the clerk to read."""
    c = d.data
    lines = [f"{METHODS.get(c.method, c.method)} on {c.checked_on:%m/%d/%Y} by "
             f"{d.row.checked_by}: {d.row.status}"]
    if c.representative or c.reference:
        lines.append(f"Spoke to {c.representative or '—'}; reference {c.reference or '—'}")
    lines += [f"✖ {r.message} (code {r.code})" for r in d.rejections]
    if c.plan_begin or c.plan_end:
        begin = f"{c.plan_begin:%m/%d/%Y}" if c.plan_begin else "?"
        end = f"{c.plan_end:%m/%d/%Y}" if c.plan_end else "?"
        lines.append(f"Plan dates: {begin} – {end}")
    for label, name in (("Deductible", "deductible"), ("Family deductible", "family_deductible"),
                        ("Out-of-pocket maximum", "oop"),
                        ("Family out-of-pocket maximum", "family_oop")):
        if text := _pair(label, getattr(c, f"{name}_total"), getattr(c, f"{name}_met")):
            lines.append(text)
    if c.prior_auth_required is not None:
        lines.append("Prior authorisation required" if c.prior_auth_required
                     else "No prior authorisation required")
    if c.visit_limit is not None:
        lines.append(f"Visit limit {c.visit_limit}, used {c.visits_used or 0}")
    lines += [benefit_text(b) for b in c.benefits]
    lines += [f"  {m}" for b in c.benefits for m in b.messages]
    if c.notes:
        lines.append(f"Notes: {c.notes}")
    return lines
