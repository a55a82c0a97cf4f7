"""Patients: registration, search as you type, duplicates, SSN masking, merge and its undo.

Search folds names the same way they are stored (app.formats.names), so every name query is
an index range scan: "oneil" finds O'Neil, "zoe" finds Zoë, "smith jo" and "jo smith" both
find Jo Smith. A date typed as MM/DD/YYYY or ISO searches DOB; digits search phones and MRNs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, UserError, ValidationError
from app.formats import identifiers as ids
from app.formats.names import fold, name_tokens, next_prefix, parse_typed_date
from app.models import Base, Patient, PaymentPlan
from app.models.plans import OPEN_PLAN_STATUSES
from app.services.audit import append_event, event_by_seq
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission
from app.services.registries import end_merged_memberships

SEXES = {"M": "Male", "F": "Female", "U": "Unknown"}
GUARANTOR_RELATIONSHIPS = ("self", "spouse", "parent", "guardian", "other")
SENSITIVE = frozenset({"ssn"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MRN = re.compile(r"^M\d+$")


@dataclass(frozen=True)
class PatientData:
    """What the registration form edits. `ssn=None` on an update means "leave it as it is"
    (the form only ever shows the masked value)."""

    last_name: str
    first_name: str
    dob: date
    sex: str
    middle_name: str = ""
    preferred_name: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    phone: str = ""
    mobile_phone: str = ""
    work_phone: str = ""
    email: str = ""
    ssn: str | None = ""
    language: str = ""
    guarantor_relationship: str = "self"
    guarantor_last_name: str = ""
    guarantor_first_name: str = ""
    guarantor_dob: date | None = None
    guarantor_address1: str = ""
    guarantor_address2: str = ""
    guarantor_city: str = ""
    guarantor_state: str = ""
    guarantor_zip: str = ""
    guarantor_phone: str = ""
    emergency_name: str = ""
    emergency_relationship: str = ""
    emergency_phone: str = ""
    notes: str = ""
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class PatientRow:
    """One line of a search result."""

    id: int
    mrn: str
    last_name: str
    first_name: str
    middle_name: str
    preferred_name: str
    dob: date
    sex: str
    phone: str
    city: str
    ssn_last4: str


@dataclass(frozen=True)
class PatientDetail:
    """Everything about a patient but the full SSN (`data.ssn` is None; see `ssn_last4`)."""

    mrn: str
    data: PatientData
    ssn_last4: str
    merged_into_id: int | None

    @property
    def id(self) -> int:
        assert self.data.id is not None
        return self.data.id

    @property
    def display_name(self) -> str:
        d = self.data
        return f"{d.last_name}, {d.first_name}" + (f" {d.middle_name}" if d.middle_name else "")


@dataclass(frozen=True)
class MergeResult:
    audit_seq: int
    kept_id: int
    merged_id: int
    moved: dict[str, int]


class PossibleDuplicates(UserError):
    """Registration found patients who may be the same person; `candidates` lists them."""

    def __init__(self, candidates: list[PatientRow]) -> None:
        self.candidates = candidates
        super().__init__(
            f"{len(candidates)} existing patient(s) may be the same person. Check them before "
            "saving a new record; save anyway only if this is someone else.")


def mask_ssn(last4: str) -> str:
    return f"***-**-{last4}" if last4 else ""


_DIGIT_FIELDS = ("zip", "phone", "mobile_phone", "work_phone", "ssn", "guarantor_zip",
                 "guarantor_phone", "emergency_phone")
_UPPER_FIELDS = ("state", "guarantor_state", "sex")


def normalise_patient(d: PatientData) -> PatientData:
    changes: dict[str, Any] = {}
    for f in fields(d):
        v = getattr(d, f.name)
        if isinstance(v, str):
            v = v.strip()
            if f.name in _DIGIT_FIELDS:
                v = ids.digits(v)
            elif f.name in _UPPER_FIELDS:
                v = v.upper()
            elif f.name == "guarantor_relationship":
                v = v.lower() or "self"
            changes[f.name] = v
    return replace(d, **changes)


def check_patient(d: PatientData, today: date) -> dict[str, str]:
    """Every problem with the form, each saying what to fix."""
    p: dict[str, str] = {}
    for name in ("last_name", "first_name"):
        if not getattr(d, name):
            p[name] = "is required."
    if d.sex not in SEXES:
        p["sex"] = "Choose M, F or U (unknown), as claims need it."
    _check_date(p, "dob", d.dob, today, required=True)
    _check_address(p, d.state, d.zip, "state", "zip")
    for name in ("phone", "mobile_phone", "work_phone", "emergency_phone", "guarantor_phone"):
        if getattr(d, name):
            _put(p, name, ids.check_phone(getattr(d, name)))
    if d.email and not _EMAIL.match(d.email):
        p["email"] = "An e-mail address looks like name@example.com."
    if d.ssn and (len(d.ssn) != 9 or d.ssn == "0" * 9):
        p["ssn"] = "An SSN is 9 digits; leave it empty if unknown."
    _check_guarantor(p, d, today)
    return p


def _put(p: dict[str, str], name: str, msg: str | None) -> None:
    if msg and name not in p:
        p[name] = msg


def _check_date(p: dict[str, str], name: str, value: date | None, today: date,
                required: bool = False) -> None:
    if value is None:
        if required:
            p[name] = "is required (MM/DD/YYYY)."
    elif value > today:
        p[name] = "cannot be in the future."
    elif value.year < today.year - 130:
        p[name] = "is more than 130 years ago; check the year."


def _check_address(p: dict[str, str], state: str, zip_: str, state_f: str, zip_f: str) -> None:
    if state:
        _put(p, state_f, ids.check_state(state))
    if zip_:
        _put(p, zip_f, ids.check_zip(zip_))


def _check_guarantor(p: dict[str, str], d: PatientData, today: date) -> None:
    if d.guarantor_relationship not in GUARANTOR_RELATIONSHIPS:
        p["guarantor_relationship"] = "Choose self, spouse, parent, guardian or other."
        return
    if d.guarantor_relationship == "self":
        return
    for name in ("guarantor_last_name", "guarantor_first_name", "guarantor_address1",
                 "guarantor_city", "guarantor_state", "guarantor_zip"):
        if not getattr(d, name):
            p[name] = "is required when someone else is responsible for the bill."
    _check_date(p, "guarantor_dob", d.guarantor_dob, today)
    _check_address(p, d.guarantor_state, d.guarantor_zip, "guarantor_state", "guarantor_zip")


def _row(p: Patient) -> PatientRow:
    return PatientRow(p.id, p.mrn, p.last_name, p.first_name, p.middle_name, p.preferred_name,
                      p.dob, p.sex, p.phone or p.mobile_phone, p.city, p.ssn[-4:])


def _detail(p: Patient) -> PatientDetail:
    values = {f.name: getattr(p, f.name) for f in fields(PatientData)}
    values["ssn"] = None
    return PatientDetail(p.mrn, PatientData(**values), p.ssn[-4:], p.merged_into_id)


@dataclass(frozen=True)
class Branch:
    """One part of a search. Name parts need no "not merged" filter: a merged record's name
    keys are emptied, so no prefix range reaches it (and the count stays in the index)."""

    cond: ColumnElement[bool] | None
    order: tuple[Any, ...]
    keys_only: bool = False


_BY_NAME = (Patient.last_key, Patient.first_key, Patient.dob, Patient.id)


def search_branches(query: str) -> list[Branch]:
    """What a typed query means, as disjoint (condition, order) parts shown one after the other.

    One word lists last-name matches first, then first-name, then preferred-name matches;
    each part is a range scan of its own index in index order, so the first page of a
    one-letter query reads about one page of rows instead of sorting thousands.
    """
    q = query.strip()
    if not q:
        return [Branch(None, _BY_NAME)]
    dob = parse_typed_date(q)
    if dob is not None:
        return [Branch(Patient.dob == dob, _BY_NAME)]
    if _MRN.match(q.upper()):
        return [Branch(_prefix(Patient.mrn, q.upper()), (Patient.mrn,))]
    digits = ids.digits(q)
    if digits and re.fullmatch(r"[\d\s().+-]+", q):
        return [Branch(_digits_condition(digits), _BY_NAME)]
    tokens = name_tokens(q)
    if len(tokens) == 1:
        return _one_word(tokens[0])
    return [Branch(_several_words(tokens), _BY_NAME, keys_only=True)]


def _prefix(column: Any, key: str) -> ColumnElement[bool]:
    return and_(column >= key, column < next_prefix(key))


def _digits_condition(digits: str) -> ColumnElement[bool]:
    phones = (Patient.phone, Patient.mobile_phone, Patient.work_phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return or_(*(c == digits for c in phones))
    if len(digits) >= 7:  # a local number without the area code: a scan, but rare
        return or_(*(c.endswith(digits) for c in phones))
    return Patient.mrn == f"M{int(digits):07d}"


def _one_word(t: str) -> list[Branch]:
    last, first, pref = (_prefix(Patient.last_key, t), _prefix(Patient.first_key, t),
                         _prefix(Patient.preferred_key, t))
    return [
        Branch(last, _BY_NAME, keys_only=True),
        Branch(and_(first, ~last), (Patient.first_key, Patient.last_key, Patient.id), True),
        Branch(and_(pref, ~last, ~first), (Patient.preferred_key, Patient.last_key, Patient.id),
               True),
    ]


def _several_words(tokens: list[str]) -> ColumnElement[bool]:
    """Either order, any split into last and first name; a flat OR of two-column ranges so
    SQLite can answer each from an index."""
    options = [_prefix(Patient.last_key, "".join(tokens))]
    for k in range(1, len(tokens)):
        a, b = "".join(tokens[:k]), "".join(tokens[k:])
        for last, first in ((a, b), (b, a)):
            options.append(and_(_prefix(Patient.last_key, last), _prefix(Patient.first_key, first)))
            options.append(and_(_prefix(Patient.last_key, last),
                                _prefix(Patient.preferred_key, first)))
    return or_(*options)


def _where(q: Any, b: Branch) -> Any:
    if b.cond is None:  # the whole list: walk the (merged_into_id, name) index
        return q.where(Patient.merged_into_id.is_(None))
    if not b.keys_only:
        # Written so that no index serves it: the planner must use the selective index of
        # the condition (DOB, MRN, phone), not scan every unmerged patient.
        q = q.where(func.ifnull(Patient.merged_into_id, 0) == 0)
    return q.where(b.cond)


def _count(s: Session, b: Branch) -> int:
    return int(s.execute(_where(select(func.count(Patient.id)), b)).scalar_one())


def _set_keys(p: Patient) -> None:
    if p.merged_into_id is not None:  # retired records drop out of name searches
        p.last_key = p.first_key = p.preferred_key = ""
        return
    p.last_key, p.first_key, p.preferred_key = (
        fold(p.last_name), fold(p.first_name), fold(p.preferred_name))


def next_mrn(s: Session) -> str:
    last = s.scalar(select(func.max(Patient.mrn)).where(Patient.mrn.like("M%")))
    return f"M{(int(last[1:]) if last else 0) + 1:07d}"


def patient_child_tables() -> list[Any]:
    """Every table with a `patient_id` pointing at patient.id: what a merge moves. Found from
    the models, so tables later issues add are moved too."""
    found = []
    for table in Base.metadata.sorted_tables:
        col = table.c.get("patient_id")
        if col is not None and any(fk.column.table.name == "patient" for fk in col.foreign_keys):
            found.append(table)
    return found


class PatientService:
    """Find, register and edit patients; merge duplicates."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- search ------------------------------------------------------------------------------
    def count(self, query: str = "") -> int:
        """How many patients match what was typed (for the lazily loaded table)."""
        self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            return sum(_count(s, b) for b in search_branches(query))

    def search(self, query: str = "", offset: int = 0, limit: int = 50) -> list[PatientRow]:
        """One page of matches: last-name matches, then first-name, then preferred-name."""
        self._ctx.require(Permission.VIEW_PATIENTS)
        rows: list[PatientRow] = []
        with self._db.session() as s:
            for b in search_branches(query):
                if len(rows) >= limit:
                    break
                if offset:
                    n = _count(s, b)
                    if offset >= n:
                        offset -= n
                        continue
                q = _where(select(Patient), b).order_by(*b.order)
                page = s.scalars(q.offset(offset).limit(limit - len(rows)))
                rows += [_row(p) for p in page]
                offset = 0
        return rows

    # --- one patient ---------------------------------------------------------------------------
    def get(self, patient_id: int) -> PatientDetail:
        """The patient's details for the edit form (the chart open is audited by history)."""
        self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            return _detail(self._load(s, patient_id))

    def reveal_ssn(self, patient_id: int) -> str:
        """The full SSN as 123-45-6789; admin and biller only, and audited."""
        user = self._ctx.require(Permission.VIEW_FULL_SSN)
        with self._db.session() as s:
            p = self._load(s, patient_id)
            append_event(s, user, "patient.ssn_revealed", entity="patient", entity_id=p.id,
                         patient_id=p.id)
            return f"{p.ssn[:3]}-{p.ssn[3:5]}-{p.ssn[5:]}" if p.ssn else ""

    # --- registration ----------------------------------------------------------------------------
    def possible_duplicates(self, data: PatientData) -> list[PatientRow]:
        """Patients with the same SSN, or the same DOB and a similar name."""
        self._ctx.require(Permission.VIEW_PATIENTS)
        d = normalise_patient(data)
        with self._db.session() as s:
            return _duplicates(s, d)

    def register(self, data: PatientData, *, allow_duplicates: bool = False) -> PatientDetail:
        """Check, look for duplicates (raising `PossibleDuplicates` unless allowed), then save
        with the next MRN."""
        user = self._ctx.require(Permission.EDIT_PATIENTS)
        d = normalise_patient(replace(data, id=None))
        problems = check_patient(d, date.today())
        if problems:
            raise ValidationError(problems, "patient")
        with self._db.session() as s:
            dupes = _duplicates(s, d)
            if dupes and not allow_duplicates:
                raise PossibleDuplicates(dupes)
            p = Patient(mrn=next_mrn(s), **_values(d, include_ssn=True))
            _set_keys(p)
            s.add(p)
            s.flush()
            append_event(s, user, "patient.create", entity="patient", entity_id=p.id,
                         patient_id=p.id, details={"duplicates_overridden": len(dupes)}
                         if dupes else None)
            return _detail(p)

    def update(self, data: PatientData) -> PatientDetail:
        """Save changes; a copy older than the stored record is refused (`ConflictError`)."""
        user = self._ctx.require(Permission.EDIT_PATIENTS)
        d = normalise_patient(data)
        problems = check_patient(d, date.today())
        if problems:
            raise ValidationError(problems, "patient")
        if d.id is None:
            raise UserError("This patient has not been saved yet.")
        try:
            with self._db.session() as s:
                p = self._load(s, d.id)
                changed = _apply(p, d)
                append_event(s, user, "patient.update", entity="patient", entity_id=p.id,
                             patient_id=p.id, details={"fields": changed})
                s.flush()
                return _detail(p)
        except StaleDataError:
            raise _conflict() from None

    # --- merge -----------------------------------------------------------------------------------
    def merge(self, keep_id: int, duplicate_id: int) -> MergeResult:
        """Move every record of `duplicate_id` to `keep_id` and retire the duplicate. The audit
        event lists what moved, so `unmerge` can put it back."""
        user = self._ctx.require(Permission.MERGE_PATIENTS)
        if keep_id == duplicate_id:
            raise UserError("Choose two different patients to merge.")
        with self._db.session() as s:
            keep, dup = self._load(s, keep_id), self._load(s, duplicate_id)
            if keep.merged_into_id or dup.merged_into_id:
                raise UserError("One of these records was already merged; reload the list.")
            open_plans = s.scalars(select(PaymentPlan.patient_id).where(
                PaymentPlan.patient_id.in_((keep.id, dup.id)),
                PaymentPlan.status.in_(OPEN_PLAN_STATUSES))).all()
            if {keep.id, dup.id} <= set(open_plans):
                raise UserError("Both records have an open payment plan, and a patient has one "
                                "plan at a time: cancel one of them, or renegotiate it, "
                                "before merging. Nothing was merged.")
            end_merged_memberships(s, user, keep.id, dup.id)
            moved = _move_children(s, {t.name: None for t in patient_child_tables()},
                                   dup.id, keep.id)
            dup.merged_into_id = keep.id
            _set_keys(dup)
            seq = append_event(
                s, user, "patient.merge", entity="patient", entity_id=keep.id,
                patient_id=keep.id,
                details={"kept": keep.id, "merged": dup.id, "merged_mrn": dup.mrn,
                         "moved": moved})
            return MergeResult(seq, keep.id, dup.id, {k: len(v) for k, v in moved.items()})

    def unmerge(self, merge_seq: int) -> int:
        """Undo the merge recorded as audit event `merge_seq`; returns the restored patient's
        id. Records added to the kept patient after the merge stay with it."""
        user = self._ctx.require(Permission.MERGE_PATIENTS)
        with self._db.session() as s:
            ev = event_by_seq(s, merge_seq)
            if ev is None or ev.action != "patient.merge":
                raise UserError(f"Audit event {merge_seq} is not a patient merge.")
            info = json.loads(ev.details)
            dup = self._load(s, info["merged"])
            if dup.merged_into_id != info["kept"]:
                raise UserError("This merge was already undone.")
            moved = _move_children(s, info["moved"], info["kept"], dup.id)
            dup.merged_into_id = None
            _set_keys(dup)
            append_event(s, user, "patient.unmerge", entity="patient", entity_id=dup.id,
                         patient_id=dup.id, details={"merge_seq": merge_seq,
                                                      "kept": info["kept"], "moved": moved})
            return dup.id

    @staticmethod
    def _load(s: Session, patient_id: int) -> Patient:
        p = s.get(Patient, patient_id)
        if p is None:
            raise UserError("That patient no longer exists; search again.")
        return p


def _conflict() -> ConflictError:
    return ConflictError(
        "Someone else saved this patient after you opened it. Their change is kept; close "
        "the form, open the patient again and make your change once more.")


def _values(d: PatientData, *, include_ssn: bool) -> dict[str, Any]:
    skip = {"id", "version"} | (set() if include_ssn and d.ssn is not None else {"ssn"})
    return {f.name: getattr(d, f.name) for f in fields(d) if f.name not in skip}


def _apply(p: Patient, d: PatientData) -> list[str]:
    if d.version != p.version:
        raise _conflict()
    values = _values(d, include_ssn=True)
    changed = sorted(k for k, v in values.items() if getattr(p, k) != v)
    for k in changed:
        setattr(p, k, values[k])
    _set_keys(p)
    return changed


def _duplicates(s: Session, d: PatientData) -> list[PatientRow]:
    conds = [Patient.dob == d.dob]
    if d.ssn:
        conds.append(Patient.ssn == d.ssn)
    q = select(Patient).where(or_(*conds), Patient.merged_into_id.is_(None))
    if d.id is not None:
        q = q.where(Patient.id != d.id)
    name = fold(d.last_name) + " " + fold(d.first_name)
    found = []
    for p in s.scalars(q):
        same_ssn = bool(d.ssn) and p.ssn == d.ssn
        similar = SequenceMatcher(None, name, f"{p.last_key} {p.first_key}").ratio() >= 0.75
        if same_ssn or (p.dob == d.dob and (similar or p.last_key == fold(d.last_name))):
            found.append(_row(p))
    return found


def _move_children(s: Session, which: dict[str, list[int] | None], from_id: int,
                   to_id: int) -> dict[str, list[int]]:
    """Point child rows at `to_id`: all of `from_id`'s rows when the list is None, else only
    the listed ids (that still belong to `from_id`). Returns the ids moved per table."""
    tables = {t.name: t for t in patient_child_tables()}
    moved: dict[str, list[int]] = {}
    for name, only in which.items():
        table = tables.get(name)
        if table is None:
            continue
        q = select(table.c.id).where(table.c.patient_id == from_id)
        if only is not None:
            q = q.where(table.c.id.in_(only))
        row_ids = [int(i) for i in s.scalars(q)]
        if row_ids:
            s.execute(update(table).where(table.c.id.in_(row_ids)).values(patient_id=to_id))
        moved[name] = row_ids
    return moved
