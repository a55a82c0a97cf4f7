"""Coverages: who pays for a patient's visits and in which order, on any date.

A coverage has its own effective dates; its place in the order (primary, secondary,
tertiary) is a dated `CoverageRank` row. Changing the order closes the rows in force and
starts new ones, so the order on a past date of service can always be read back
(`in_force`). The warnings other tabs show (expired on the date of service, not verified
recently, inactive in the latest check) come from here too.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, UserError, ValidationError
from app.formats import identifiers as ids
from app.models import Coverage, CoverageRank, EligibilityCheck, Patient, Payer
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission
from app.services.settings import read_settings

SELF = "18"
# Individual relationship codes a 005010 claim accepts (SBR02 / PAT01; X279A1 INS02).
RELATIONSHIPS: dict[str, str] = {
    "18": "Self", "01": "Spouse", "19": "Child", "20": "Employee", "21": "Unknown",
    "39": "Organ donor", "40": "Cadaver donor", "53": "Life partner",
    "G8": "Other relationship",
}
# Medicare secondary payer types (005010X222A1 SBR05), for a plan that pays before Medicare.
MSP_TYPES: dict[str, str] = {
    "12": "Working aged (employer group health plan)", "13": "End-stage renal disease",
    "14": "No-fault insurance including auto", "15": "Workers' compensation",
    "16": "Public Health Service or other federal agency", "41": "Black lung",
    "42": "Veterans Affairs", "43": "Disabled, large group health plan",
    "47": "Other liability insurance",
}
RANK_LABELS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
MAX_IN_FORCE = 3
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CoverageData:
    """A coverage as the clerk enters it. Subscriber fields are used only when the
    patient is not the subscriber (`relationship` other than "18")."""

    patient_id: int
    payer_id: int
    member_id: str
    effective_from: date
    relationship: str = SELF
    group_number: str = ""
    group_name: str = ""
    plan_name: str = ""
    subscriber_last_name: str = ""
    subscriber_first_name: str = ""
    subscriber_middle_name: str = ""
    subscriber_dob: date | None = None
    subscriber_sex: str = ""
    subscriber_address1: str = ""
    subscriber_address2: str = ""
    subscriber_city: str = ""
    subscriber_state: str = ""
    subscriber_zip: str = ""
    effective_to: date | None = None
    copay: Decimal | None = None
    msp_type: str = ""
    assignment_on_file: bool = False
    assignment_signed_on: date | None = None
    release_on_file: bool = False
    release_signed_on: date | None = None
    notes: str = ""
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class LastCheck:
    id: int
    checked_on: date
    method: str
    active: bool | None
    rejected: bool


@dataclass(frozen=True)
class CoverageRow:
    """A coverage with what the lists show: payer, its place in the order on the day asked
    (None when not in force that day) and its latest verification."""

    data: CoverageData
    payer_name: str
    payer_code: str
    rank: int | None
    last_check: LastCheck | None

    @property
    def rank_label(self) -> str:
        return RANK_LABELS.get(self.rank, "Not in force") if self.rank else "Not in force"


@dataclass(frozen=True)
class CoverageWarning:
    coverage_id: int
    kind: str  # not_in_force, unverified, inactive, rejected
    message: str


@dataclass(frozen=True)
class CoverageOverview:
    rows: list[CoverageRow]  # every coverage; `rank` set for those in force on the day
    warnings: list[CoverageWarning]

    @property
    def in_force(self) -> list[CoverageRow]:
        return [r for r in self.rows if r.rank is not None]


@dataclass(frozen=True)
class RankPeriod:
    coverage_id: int
    rank: int
    valid_from: date
    valid_to: date | None
    set_by: str


_FIELDS = [f.name for f in fields(CoverageData) if f.name not in ("id", "version")]
_TEXT = ("member_id", "group_number", "group_name", "plan_name", "subscriber_last_name",
         "subscriber_first_name", "subscriber_middle_name", "subscriber_address1",
         "subscriber_address2", "subscriber_city", "notes")


def normalise(d: CoverageData) -> CoverageData:
    values: dict[str, Any] = {n: getattr(d, n).strip() for n in _TEXT}
    values["member_id"] = values["member_id"].upper()
    values["group_number"] = values["group_number"].upper()
    values["relationship"] = d.relationship.strip().upper()
    values["subscriber_sex"] = d.subscriber_sex.strip().upper()
    values["subscriber_state"] = d.subscriber_state.strip().upper()
    values["subscriber_zip"] = ids.digits(d.subscriber_zip)
    values["msp_type"] = d.msp_type.strip()
    if values["relationship"] == SELF:  # the patient is the subscriber: nothing kept twice
        values.update({n: "" for n in _FIELDS if n.startswith("subscriber_")},
                      subscriber_dob=None)
    return replace(d, **values)


def check_coverage(d: CoverageData, today: date) -> dict[str, str]:
    """Every problem with the coverage, by field, in words for the clerk."""
    p: dict[str, str] = {}
    if not d.member_id:
        p["member_id"] = "Enter the member ID from the insurance card."
    elif len(d.member_id) > 80 or not all(c.isalnum() or c in "-" for c in d.member_id):
        p["member_id"] = "A member ID has letters, digits and hyphens only (up to 80)."
    if d.effective_from is None:
        p["effective_from"] = "Enter the date the coverage starts."
    elif d.effective_to is not None and d.effective_to < d.effective_from:
        p["effective_to"] = "The coverage cannot end before it starts."
    if d.relationship not in RELATIONSHIPS:
        p["relationship"] = "Choose the patient's relationship to the subscriber."
    elif d.relationship != SELF:
        _check_subscriber(d, today, p)
    if d.copay is not None:
        _check_money(d.copay, "copay", p)
    if d.msp_type and d.msp_type not in MSP_TYPES:
        p["msp_type"] = "Choose a Medicare secondary payer type from the list, or none."
    for flag, day, what in (("assignment_on_file", "assignment_signed_on", "assignment"),
                            ("release_on_file", "release_signed_on", "release")):
        signed = getattr(d, day)
        if getattr(d, flag) and signed is None:
            p[day] = f"Enter the date the {what} of benefits form was signed."
        elif signed is not None and signed > today:
            p[day] = "A signature date cannot be in the future."
    return p


def _check_subscriber(d: CoverageData, today: date, p: dict[str, str]) -> None:
    if not d.subscriber_last_name or not d.subscriber_first_name:
        p["subscriber_name"] = "Enter the subscriber's last and first name."
    if d.subscriber_dob is None:
        p["subscriber_dob"] = "Enter the subscriber's date of birth."
    elif d.subscriber_dob > today:
        p["subscriber_dob"] = "The subscriber's date of birth is in the future."
    if d.subscriber_sex not in ("M", "F", "U"):
        p["subscriber_sex"] = "Choose the subscriber's sex (M, F or U)."
    if d.subscriber_state and (msg := ids.check_state(d.subscriber_state)):
        p["subscriber_state"] = msg
    if d.subscriber_zip and (msg := ids.check_zip(d.subscriber_zip)):
        p["subscriber_zip"] = msg


def _check_money(value: Any, name: str, p: dict[str, str]) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        p[name] = "Enter an amount in dollars and cents."
    elif value < 0 or value > Decimal("99999.99"):
        p[name] = "The amount must be between 0.00 and 99,999.99."
    elif value != value.quantize(CENT):
        p[name] = "The amount has a fraction of a cent."


def _data(c: Coverage) -> CoverageData:
    return CoverageData(**{n: getattr(c, n) for n in _FIELDS}, id=c.id, version=c.version)


def coverage_data(c: Coverage) -> CoverageData:
    """A coverage row as the plain data the service hands out."""
    return _data(c)


def _effective_on(day: date) -> Any:
    return and_(Coverage.effective_from <= day,
                or_(Coverage.effective_to.is_(None), Coverage.effective_to >= day))


def _rank_on(day: date) -> Any:
    return and_(CoverageRank.valid_from <= day,
                or_(CoverageRank.valid_to.is_(None), CoverageRank.valid_to >= day))


def ranked_on(s: Session, patient_id: int, day: date) -> list[tuple[Coverage, int]]:
    """The patient's coverages in force on `day`, in their order that day (1 = primary)."""
    q = (select(Coverage, CoverageRank.rank)
         .join(CoverageRank, and_(CoverageRank.coverage_id == Coverage.id, _rank_on(day)))
         .where(Coverage.patient_id == patient_id, _effective_on(day))
         .order_by(CoverageRank.rank, Coverage.id))
    return [(c, n) for n, (c, _rank) in enumerate(s.execute(q).all(), start=1)]


def last_checks(s: Session, coverage_ids: list[int]) -> dict[int, LastCheck]:
    """The latest check of each coverage (by date checked, then entry order)."""
    out: dict[int, LastCheck] = {}
    if not coverage_ids:
        return out
    q = (select(EligibilityCheck).where(EligibilityCheck.coverage_id.in_(coverage_ids))
         .order_by(EligibilityCheck.checked_on, EligibilityCheck.id))
    for ck in s.scalars(q):
        out[ck.coverage_id] = LastCheck(ck.id, ck.checked_on, ck.method, ck.active, ck.rejected)
    return out


def warnings_for(row: CoverageRow, dos: date, verify_days: int) -> list[CoverageWarning]:
    """What a clerk should know about a coverage before billing a visit on `dos`."""
    d, cid, out = row.data, row.data.id or 0, []
    if d.effective_from > dos:
        out.append(CoverageWarning(cid, "not_in_force", f"{row.payer_name} coverage starts "
                                   f"{d.effective_from:%m/%d/%Y}, after the visit."))
    elif d.effective_to is not None and d.effective_to < dos:
        out.append(CoverageWarning(cid, "not_in_force", f"{row.payer_name} coverage ended "
                                   f"{d.effective_to:%m/%d/%Y}, before the visit."))
    ck = row.last_check
    if ck is None or ck.checked_on < dos - timedelta(days=verify_days):
        last = f"last verified {ck.checked_on:%m/%d/%Y}" if ck else "never verified"
        out.append(CoverageWarning(cid, "unverified", f"{row.payer_name} coverage not "
                                   f"verified within {verify_days} days of the visit "
                                   f"({last})."))
    if ck is not None and ck.rejected:
        out.append(CoverageWarning(cid, "rejected", f"{row.payer_name} rejected the latest "
                                   f"eligibility inquiry ({ck.checked_on:%m/%d/%Y}); see "
                                   "its reason in Benefits."))
    elif ck is not None and ck.active is False:
        out.append(CoverageWarning(cid, "inactive", f"{row.payer_name} reported the coverage "
                                   f"inactive in the latest check ({ck.checked_on:%m/%d/%Y})."))
    return out


class CoverageService:
    """Coverages of a patient, their order over time, and the warnings about them."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- reading -------------------------------------------------------------------------------
    def coverages(self, patient_id: int, on: date | None = None) -> list[CoverageRow]:
        """Every coverage of the patient, those in force on `on` (today by default) first in
        their order, then the others newest first; audited as a view of the patient."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        day = on or date.today()
        with self._db.session() as s:
            _patient(s, patient_id)
            rows = self._rows(s, patient_id, day)
            append_event(s, user, "coverage.view", entity="patient", entity_id=patient_id,
                         patient_id=patient_id, details={"coverages": len(rows)})
            return rows

    def in_force(self, patient_id: int, on: date) -> list[CoverageRow]:
        """The coverages that pay for a visit on `on`, primary first (audited)."""
        return [r for r in self.coverages(patient_id, on) if r.rank is not None]

    def warnings(self, patient_id: int, dos: date) -> list[CoverageWarning]:
        """Warnings for a visit on `dos`: no coverage in force, or for each coverage in force
        that day (or the latest ones, when none is): expired, unverified, inactive."""
        return self.overview(patient_id, dos).warnings

    def overview(self, patient_id: int, day: date) -> CoverageOverview:
        """Every coverage (in their order on `day`) and the warnings for a visit that day,
        in one audited read: what the chart header and the Benefits page show."""
        rows = self.coverages(patient_id, day)
        with self._db.session() as s:
            days = read_settings(s).verify_within_days
        in_force = [r for r in rows if r.rank is not None]
        if in_force:
            return CoverageOverview(rows, [w for r in in_force
                                           for w in warnings_for(r, day, days)])
        ended = [r for r in rows if r.data.effective_from <= day]
        found = [CoverageWarning(0, "no_coverage", "No coverage in force on the date of "
                                 "service: the visit is self-pay unless one is added.")]
        return CoverageOverview(rows, found + [w for r in ended[:1]
                                               for w in warnings_for(r, day, days)
                                               if w.kind == "not_in_force"])

    def rank_history(self, patient_id: int) -> list[RankPeriod]:
        """Every order the patient's coverages have had, oldest first."""
        self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            q = (select(CoverageRank).where(CoverageRank.patient_id == patient_id)
                 .order_by(CoverageRank.valid_from, CoverageRank.rank, CoverageRank.id))
            return [RankPeriod(r.coverage_id, r.rank, r.valid_from, r.valid_to, r.set_by)
                    for r in s.scalars(q)]

    def _rows(self, s: Session, patient_id: int, day: date) -> list[CoverageRow]:
        ranked = {c.id: n for c, n in ranked_on(s, patient_id, day)}
        q = (select(Coverage, Payer.name, Payer.payer_id)
             .join(Payer, Payer.id == Coverage.payer_id)
             .where(Coverage.patient_id == patient_id))
        found: list[tuple[Coverage, str, str]] = [(c, n, k) for c, n, k in s.execute(q)]
        checks = last_checks(s, [c.id for c, _, _ in found])
        rows = [CoverageRow(_data(c), name, code, ranked.get(c.id), checks.get(c.id))
                for c, name, code in found]
        return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0,
                                           -r.data.effective_from.toordinal(), -(r.data.id or 0)))

    # --- writing -------------------------------------------------------------------------------
    def save(self, data: CoverageData) -> CoverageRow:
        """Add or change a coverage (checked, audited with the fields that changed). A new
        coverage goes last in the order from its start date."""
        user = self._ctx.require(Permission.EDIT_COVERAGE)
        data = normalise(data)
        problems = check_coverage(data, date.today())
        try:
            with self._db.session() as s:
                _patient(s, data.patient_id)
                problems.update(_payer_problem(s, data.payer_id, data.id is None))
                if problems:
                    raise ValidationError(problems, "coverage")
                cov, changed = (_create(s, user, data) if data.id is None
                                else _update(s, data))
                append_event(s, user, "coverage.create" if data.id is None else
                             "coverage.update", entity="coverage", entity_id=cov.id,
                             patient_id=cov.patient_id, details={"fields": changed})
                s.flush()
                day = max(min(date.today(), cov.effective_to or date.max), cov.effective_from)
                return next(r for r in self._rows(s, cov.patient_id, day) if r.data.id == cov.id)
        except StaleDataError:
            raise _conflict() from None

    def set_order(self, patient_id: int, coverage_ids: list[int], as_of: date) -> None:
        """Put the coverages in force on `as_of` in this order from that day on (first is
        primary). The order before `as_of` is kept as it was."""
        user = self._ctx.require(Permission.EDIT_COVERAGE)
        with self._db.session() as s:
            _patient(s, patient_id)
            in_force = s.scalars(select(Coverage.id).where(
                Coverage.patient_id == patient_id, _effective_on(as_of))).all()
            if sorted(coverage_ids) != sorted(in_force):
                raise UserError("The order must list each coverage in force on "
                                f"{as_of:%m/%d/%Y} once; reopen the patient and try again.")
            _close_ranks(s, coverage_ids, as_of)
            for n, cid in enumerate(coverage_ids, start=1):
                s.add(CoverageRank(coverage_id=cid, patient_id=patient_id, rank=n,
                                   valid_from=as_of, set_by=user.username))
            append_event(s, user, "coverage.order", entity="patient", entity_id=patient_id,
                         patient_id=patient_id, details={"coverages": coverage_ids,
                                                         "as_of": as_of.isoformat()})


def _patient(s: Session, patient_id: int) -> Patient:
    p = s.get(Patient, patient_id)
    if p is None or p.merged_into_id is not None:
        raise UserError("That patient no longer exists; search again.")
    return p


def _payer_problem(s: Session, payer_id: int, new: bool) -> dict[str, str]:
    payer = s.get(Payer, payer_id) if payer_id else None
    if payer is None:
        return {"payer_id": "Choose a payer from the payers directory."}
    if new and not payer.active:
        return {"payer_id": "That payer is marked inactive in the directory."}
    return {}


def _create(s: Session, user: CurrentUser, data: CoverageData) -> tuple[Coverage, list[str]]:
    taken = ranked_on(s, data.patient_id, data.effective_from)
    if len(taken) >= MAX_IN_FORCE:
        raise UserError("This patient already has a primary, secondary and tertiary coverage "
                        f"on {data.effective_from:%m/%d/%Y}. End one of them first.")
    cov = Coverage(**{n: getattr(data, n) for n in _FIELDS})
    s.add(cov)
    s.flush()
    ranks = s.scalars(select(CoverageRank.rank).where(
        CoverageRank.patient_id == data.patient_id, _rank_on(data.effective_from))).all()
    s.add(CoverageRank(coverage_id=cov.id, patient_id=data.patient_id,
                       rank=max(ranks, default=0) + 1, valid_from=data.effective_from,
                       set_by=user.username))
    return cov, sorted(n for n in _FIELDS if getattr(data, n) not in ("", None, False))


def _update(s: Session, data: CoverageData) -> tuple[Coverage, list[str]]:
    cov = s.get(Coverage, data.id)
    if cov is None or cov.patient_id != data.patient_id:
        raise UserError("That coverage no longer exists; reopen the patient.")
    if cov.version != data.version:
        raise _conflict()
    changed = [n for n in _FIELDS if getattr(cov, n) != getattr(data, n)]
    for n in changed:
        setattr(cov, n, getattr(data, n))
    if "effective_from" in changed:
        _start_ranks_at(s, cov.id, data.effective_from)
    return cov, changed


def _start_ranks_at(s: Session, coverage_id: int, start: date) -> None:
    """The coverage's place in the order starts when the coverage does: periods wholly
    before the new start go, and the first remaining one begins on it."""
    q = (select(CoverageRank).where(CoverageRank.coverage_id == coverage_id)
         .order_by(CoverageRank.valid_from, CoverageRank.id))
    rows = list(s.scalars(q))
    kept = [r for r in rows if r.valid_to is None or r.valid_to >= start]
    for r in rows:
        if r not in kept:
            s.delete(r)
    if kept:
        kept[0].valid_from = start


def _close_ranks(s: Session, coverage_ids: list[int], as_of: date) -> None:
    q = select(CoverageRank).where(CoverageRank.coverage_id.in_(coverage_ids),
                                   or_(CoverageRank.valid_to.is_(None),
                                       CoverageRank.valid_to >= as_of))
    for r in s.scalars(q):
        if r.valid_from >= as_of:  # never in force before as_of: nothing to keep
            s.delete(r)
        else:
            r.valid_to = as_of - timedelta(days=1)
    s.flush()


def _conflict() -> ConflictError:
    return ConflictError("Someone else changed this coverage while you were editing it. "
                         "Their change is kept; reopen the coverage to see it.")
