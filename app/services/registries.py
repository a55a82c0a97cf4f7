"""Clinical registries (issue 9): named lists of patients kept from a rule and by hand, with
the fields the clinic tracks for each (a cancer registry's primary site, histology, stage,
date of diagnosis, treatment status and follow-up date, for example).

- A registry's rule is a set of ICD-10-CM code prefixes: a patient with a problem whose code
  starts with one of them (an active problem, unless the rule says any) belongs. Saving or
  deleting a problem brings that patient's memberships up to date at once (`sync_patient`);
  `refresh` does it for everyone (after a new or changed rule, or an import).
- The clerk adds or takes out a patient by hand, with the reason. A hand-made membership is
  never ended by a refresh, and a patient taken out by hand is not put back by one.
- Tracked values are checked against their field (a date, a number, one of the choices);
  the follow-up date field drives the overdue list.
- Registries are quality lists: seen by those who see quality measures (VIEW_QUALITY), kept by
  those of them who also keep the clinical history (EDIT_HISTORY), defined by administrators.
  Every read that lists patients, every change and every export is audited, with counts
  only (DESIGN.md §2.2).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, UserError, ValidationError
from app.models import Patient, Problem
from app.models.registries import HAND, RULE, Registry, RegistryMember
from app.models.types import utcnow
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission

FIELD_KINDS = ("text", "date", "number", "choice")
MAX_FIELDS = 20
MAX_TEXT = 200
# An ICD-10-CM code or the start of one: a letter, then up to 2 characters, an optional dot
# and up to 4 more ("C", "C50", "E11.6", "Z85.3").
_PREFIX = re.compile(r"[A-Z][0-9A-Z]{0,2}(\.[0-9A-Z]{0,4})?")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,29}")


# --- definitions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str = "text"  # one of FIELD_KINDS
    choices: tuple[str, ...] = ()
    follow_up: bool = False  # this date is when the patient is due to be seen again


@dataclass(frozen=True)
class RegistryRule:
    condition_prefixes: tuple[str, ...]
    active_only: bool = True


@dataclass(frozen=True)
class RegistryData:
    name: str
    description: str
    rule: RegistryRule
    fields: tuple[FieldSpec, ...]
    active: bool = True
    id: int | None = None
    version: int = 0

    @property
    def follow_up_key(self) -> str | None:
        return next((f.key for f in self.fields if f.follow_up), None)


STAGES = ("0", "I", "II", "III", "IV", "Unknown")
TEMPLATES: tuple[RegistryData, ...] = (
    RegistryData(
        "Cancer registry",
        "Patients with a malignant neoplasm (ICD-10-CM C00–C96), with the items a cancer "
        "registry abstract asks for first.",
        RegistryRule(("C",)),
        (FieldSpec("primary_site", "Primary site"), FieldSpec("histology", "Histology"),
         FieldSpec("stage", "Stage", "choice", STAGES),
         FieldSpec("diagnosed_on", "Date of diagnosis", "date"),
         FieldSpec("treatment_status", "Treatment status", "choice",
                   ("Not started", "In treatment", "Completed", "Surveillance", "Palliative",
                    "Declined")),
         FieldSpec("follow_up_on", "Follow-up date", "date", follow_up=True))),
    RegistryData(
        "Diabetes registry",
        "Patients with diabetes mellitus (ICD-10-CM E10, E11, E13), with the yearly checks "
        "a diabetes program tracks.",
        RegistryRule(("E10", "E11", "E13")),
        (FieldSpec("eye_exam_on", "Last eye exam", "date"),
         FieldSpec("foot_exam_on", "Last foot exam", "date"),
         FieldSpec("education", "Self-management education", "choice",
                   ("Not offered", "Offered", "Completed")),
         FieldSpec("follow_up_on", "Follow-up date", "date", follow_up=True))),
)


def _definition_problems(d: RegistryData) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not d.name.strip() or len(d.name.strip()) > 80:
        problems["name"] = "Give the registry a name of up to 80 characters."
    if len(d.description) > 500:
        problems["description"] = "Keep the description under 500 characters."
    prefixes = d.rule.condition_prefixes
    if not prefixes or len(prefixes) > 50:
        problems["rule"] = "Give 1 to 50 ICD-10-CM codes or code starts, e.g. C50 or E11."
    elif bad := [p for p in prefixes if not _PREFIX.fullmatch(p)]:
        problems["rule"] = (f"{', '.join(bad[:3])}: not an ICD-10-CM code or the start of "
                            "one (a letter, then digits or letters, e.g. C50 or E11.6).")
    problems.update(_field_problems(d.fields))
    return problems


def _field_problems(fields: Sequence[FieldSpec]) -> dict[str, str]:
    if not 1 <= len(fields) <= MAX_FIELDS:
        return {"fields": f"Track 1 to {MAX_FIELDS} fields."}
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys) or any(not _KEY.fullmatch(k) for k in keys):
        return {"fields": "Give each field its own key: lower-case letters, digits and _, "
                          "starting with a letter."}
    for f in fields:
        if not f.label.strip() or len(f.label) > 60:
            return {"fields": f"Field {f.key}: give it a label of up to 60 characters."}
        if f.kind not in FIELD_KINDS:
            return {"fields": f"Field {f.key}: choose text, date, number or choice."}
        if f.kind == "choice" and (len(f.choices) < 2 or len(set(f.choices)) != len(f.choices)
                                   or any(not c.strip() or len(c) > 60 for c in f.choices)):
            return {"fields": f"Field {f.key}: give at least 2 different choices."}
        if f.follow_up and f.kind != "date":
            return {"fields": f"Field {f.key}: only a date can be the follow-up date."}
    if sum(f.follow_up for f in fields) > 1:
        return {"fields": "Mark at most one field as the follow-up date."}
    return {}


def _clean(d: RegistryData) -> RegistryData:
    rule = RegistryRule(tuple(dict.fromkeys(p.strip().upper() for p in d.rule.condition_prefixes
                                            if p.strip())), d.rule.active_only)
    fields = tuple(FieldSpec(f.key.strip(), f.label.strip(), f.kind,
                             tuple(c.strip() for c in f.choices), f.follow_up)
                   for f in d.fields)
    return RegistryData(d.name.strip(), d.description.strip(), rule, fields, d.active, d.id,
                        d.version)


def _rule_json(rule: RegistryRule) -> str:
    return json.dumps({"condition_prefixes": list(rule.condition_prefixes),
                       "active_only": rule.active_only})


def _fields_json(fields: Sequence[FieldSpec]) -> str:
    return json.dumps([{**asdict(f), "choices": list(f.choices)} for f in fields])


def _data(r: Registry) -> RegistryData:
    rule = json.loads(r.rule)
    fields = tuple(FieldSpec(x["key"], x["label"], x["kind"], tuple(x.get("choices", ())),
                             bool(x.get("follow_up"))) for x in json.loads(r.fields))
    return RegistryData(r.name, r.description,
                        RegistryRule(tuple(rule["condition_prefixes"]),
                                     bool(rule.get("active_only", True))),
                        fields, r.active, r.id, r.version)


# --- tracked values --------------------------------------------------------------------------
def parse_value(f: FieldSpec, raw: str) -> str:
    """The stored form of what the clerk typed for field `f` ("" for nothing): dates as
    YYYY-MM-DD (typed MM/DD/YYYY or YYYY-MM-DD), numbers as plain decimals. ValueError
    saying what to type otherwise."""
    text = raw.strip()
    if not text:
        return ""
    if f.kind == "date":
        for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise ValueError("Enter a date as MM/DD/YYYY.")
    if f.kind == "number":
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError("Enter a number.") from None
        if not number.is_finite():
            raise ValueError("Enter a number.")
        return format(number.normalize(), "f")
    if f.kind == "choice":
        if text not in f.choices:
            raise ValueError(f"Choose one of: {', '.join(f.choices)}.")
        return text
    if len(text) > MAX_TEXT:
        raise ValueError(f"Keep it under {MAX_TEXT} characters.")
    return text


def shown_value(f: FieldSpec, stored: str) -> str:
    """A stored value as the clerk reads it (dates as MM/DD/YYYY)."""
    if f.kind == "date" and stored:
        return f"{date.fromisoformat(stored):%m/%d/%Y}"
    return stored


# --- what callers get back -------------------------------------------------------------------
@dataclass(frozen=True)
class RegistrySummary:
    id: int
    name: str
    active: bool
    members: int
    overdue: int
    refreshed_at: datetime | None


@dataclass(frozen=True)
class MemberRow:
    member_id: int
    patient_id: int
    mrn: str
    name: str  # "Last, First"
    dob: date
    source: str  # RULE or HAND
    reason: str
    added_on: date
    values: Mapping[str, str]  # stored form, by field key
    follow_up_on: date | None
    overdue: bool
    version: int
    removed_on: date | None = None
    removed_reason: str = ""


@dataclass(frozen=True)
class RefreshResult:
    added: int
    ended: int
    members: int


# --- the service -----------------------------------------------------------------------------
class RegistryService:
    """Registries: definitions (administrators), membership from the rule and by hand,
    tracked values, the overdue follow-ups and the CSV export."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def _keeper(self) -> CurrentUser:
        """Who keeps a registry's members and values: one who sees the quality lists and
        keeps the clinical history they come from (coders, administrators)."""
        self._ctx.require(Permission.VIEW_QUALITY)
        return self._ctx.require(Permission.EDIT_HISTORY)

    # --- definitions ----------------------------------------------------------------------
    @staticmethod
    def templates() -> tuple[RegistryData, ...]:
        """Ready-made definitions an administrator can start from."""
        return TEMPLATES

    def registries(self, today: date | None = None) -> list[RegistrySummary]:
        """Every registry with its member and overdue counts, by name."""
        self._ctx.require(Permission.VIEW_QUALITY)
        day = today or date.today()
        with self._db.session() as s:
            live = RegistryMember.removed_on.is_(None)
            counts = dict(s.execute(select(RegistryMember.registry_id, func.count())
                                    .where(live).group_by(RegistryMember.registry_id)).all())
            late = dict(s.execute(select(RegistryMember.registry_id, func.count())
                                  .where(live, RegistryMember.follow_up_on < day)
                                  .group_by(RegistryMember.registry_id)).all())
            return [RegistrySummary(r.id, r.name, r.active, counts.get(r.id, 0),
                                    late.get(r.id, 0), r.refreshed_at)
                    for r in s.scalars(select(Registry).order_by(Registry.name))]

    def registry(self, registry_id: int) -> RegistryData:
        self._ctx.require(Permission.VIEW_QUALITY)
        with self._db.session() as s:
            return _data(_registry(s, registry_id))

    def save_registry(self, data: RegistryData) -> RegistryData:
        """Create (id None) or change a registry (administrators). Refused with the problems
        named; a copy older than the saved one is refused (ConflictError). A changed rule
        takes effect at the next refresh; tracked values of a field taken away are kept in
        the members' rows but no longer shown."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        d = _clean(data)
        if problems := _definition_problems(d):
            raise ValidationError(problems, "registry")
        with self._db.session() as s:
            row = Registry(created_by=user.username) if d.id is None else _registry(s, d.id)
            if d.id is not None and row.version != d.version:
                raise ConflictError("Someone changed this registry since you opened it; "
                                    "open it again.")
            row.name, row.description, row.active = d.name, d.description, d.active
            row.rule, row.fields = _rule_json(d.rule), _fields_json(d.fields)
            row.updated_by, row.updated_at = user.username, utcnow()
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise ValidationError({"name": "Another registry has this name."},
                                      "registry") from None
            except StaleDataError:
                raise ConflictError("Someone changed this registry since you opened it; "
                                    "open it again.") from None
            append_event(s, user, "registry.save", entity="registry", entity_id=row.id,
                         details={"fields": len(d.fields),
                                  "prefixes": len(d.rule.condition_prefixes)})
            return _data(row)

    # --- membership -----------------------------------------------------------------------
    def refresh(self, registry_id: int, today: date | None = None) -> RefreshResult:
        """Bring the rule-made membership up to date: patients the rule finds join (unless
        taken out by hand before), rule-made members it no longer finds leave. Hand-made
        memberships are left as they are."""
        user = self._keeper()
        day = today or date.today()
        with self._db.session() as s:
            reg = _registry(s, registry_id)
            found = _rule_matches(s, _data(reg).rule)
            open_rows = {m.patient_id: m for m in s.scalars(select(RegistryMember).where(
                RegistryMember.registry_id == reg.id, RegistryMember.removed_on.is_(None)))}
            kept_out = set(s.scalars(select(RegistryMember.patient_id).where(
                RegistryMember.registry_id == reg.id,
                RegistryMember.removed_source == HAND)))
            added = ended = 0
            for pid, code in found.items():
                if pid not in open_rows and pid not in kept_out:
                    s.add(RegistryMember(registry_id=reg.id, patient_id=pid, source=RULE,
                                         reason=f"Matches the rule: problem {code}",
                                         added_on=day, added_by=user.username,
                                         updated_by=user.username))
                    added += 1
            for pid, m in open_rows.items():
                if m.source == RULE and pid not in found:
                    _end(m, user, day, RULE, "No longer matches the rule.")
                    ended += 1
            reg.refreshed_at = utcnow()
            s.flush()
            members = len(open_rows) + added - ended
            append_event(s, user, "registry.refresh", entity="registry", entity_id=reg.id,
                         details={"added": added, "ended": ended, "members": members})
            return RefreshResult(added, ended, members)

    def add_member(self, registry_id: int, patient_id: int, reason: str,
                   today: date | None = None) -> MemberRow:
        """Put a patient in the registry by hand (the reason is required)."""
        user = self._keeper()
        reason = reason.strip()
        if not reason or len(reason) > 300:
            raise ValidationError({"reason": "Say why the patient belongs (under 300 "
                                             "characters)."}, "registry membership")
        with self._db.session() as s:
            reg = _registry(s, registry_id)
            p = s.get(Patient, patient_id)
            if p is None or p.merged_into_id is not None:
                raise UserError("That patient no longer exists; search again.")
            if _open(s, reg.id, patient_id) is not None:
                raise UserError("This patient is already in the registry.")
            m = RegistryMember(registry_id=reg.id, patient_id=patient_id, source=HAND,
                               reason=reason, added_on=today or date.today(),
                               added_by=user.username, updated_by=user.username)
            s.add(m)
            s.flush()
            append_event(s, user, "registry.member.add", entity="registry_member",
                         entity_id=m.id, patient_id=patient_id,
                         details={"registry": reg.id, "source": HAND})
            return _member_row(m, p, date.today())

    def remove_member(self, member_id: int, reason: str, today: date | None = None) -> None:
        """Take a patient out by hand (the reason is required); a refresh will not put them
        back."""
        user = self._keeper()
        reason = reason.strip()
        if not reason or len(reason) > 300:
            raise ValidationError({"reason": "Say why the patient leaves the registry (under "
                                             "300 characters)."}, "registry membership")
        with self._db.session() as s:
            m = s.get(RegistryMember, member_id)
            if m is None or m.removed_on is not None:
                raise UserError("This patient is no longer in the registry; refresh the list.")
            _end(m, user, today or date.today(), HAND, reason)
            append_event(s, user, "registry.member.remove", entity="registry_member",
                         entity_id=m.id, patient_id=m.patient_id,
                         details={"registry": m.registry_id})

    def members(self, registry_id: int, *, include_removed: bool = False,
                overdue_only: bool = False, today: date | None = None) -> list[MemberRow]:
        """The registry's members (and past members when asked), overdue follow-ups first,
        then by name. Audited (it lists patients)."""
        user = self._ctx.require(Permission.VIEW_QUALITY)
        day = today or date.today()
        with self._db.session() as s:
            reg = _registry(s, registry_id)
            q = (select(RegistryMember, Patient).join(Patient,
                                                     Patient.id == RegistryMember.patient_id)
                 .where(RegistryMember.registry_id == reg.id))
            if not include_removed:
                q = q.where(RegistryMember.removed_on.is_(None))
            if overdue_only:
                q = q.where(RegistryMember.removed_on.is_(None),
                            RegistryMember.follow_up_on < day)
            rows = [_member_row(m, p, day) for m, p in s.execute(q)]
            append_event(s, user, "registry.view", entity="registry", entity_id=reg.id,
                         details={"members": len(rows)})
        return sorted(rows, key=lambda r: (r.removed_on is not None, not r.overdue,
                                           r.name.casefold(), r.member_id))

    def set_values(self, member_id: int, values: Mapping[str, str], version: int) -> MemberRow:
        """Change a member's tracked values (typed text by field key; fields not given keep
        their value). Refused with each bad field named; a copy older than the saved one is
        refused (ConflictError)."""
        user = self._keeper()
        with self._db.session() as s:
            m = s.get(RegistryMember, member_id)
            if m is None:
                raise UserError("That registry member no longer exists; refresh the list.")
            d = _data(_registry(s, m.registry_id))
            fields = {f.key: f for f in d.fields}
            stored = dict(json.loads(m.values))
            problems: dict[str, str] = {}
            for key, raw in values.items():
                f = fields.get(key)
                if f is None:
                    problems[key] = "This registry does not track that field."
                    continue
                try:
                    stored[key] = parse_value(f, raw)
                except ValueError as exc:
                    problems[f.label] = str(exc)
            if problems:
                raise ValidationError(problems, "registry values")
            if m.version != version:
                raise ConflictError("Someone changed this member's values since you opened "
                                    "them; their change is kept. Open the member again.")
            m.values = json.dumps(stored, sort_keys=True)
            follow = d.follow_up_key
            m.follow_up_on = (date.fromisoformat(stored[follow])
                              if follow and stored.get(follow) else None)
            m.updated_by, m.updated_at = user.username, utcnow()
            try:
                s.flush()
            except StaleDataError:
                raise ConflictError("Someone changed this member's values since you opened "
                                    "them; their change is kept. Open the member again.") \
                    from None
            append_event(s, user, "registry.member.values", entity="registry_member",
                         entity_id=m.id, patient_id=m.patient_id,
                         details={"registry": m.registry_id, "fields": sorted(values)})
            p = s.get(Patient, m.patient_id)
            assert p is not None
            return _member_row(m, p, date.today())

    def member_ids(self, registry_id: int) -> list[int]:
        """The patient ids of the registry's members now (for a FHIR export)."""
        self._ctx.require(Permission.VIEW_QUALITY)
        with self._db.session() as s:
            return list(s.scalars(select(RegistryMember.patient_id).where(
                RegistryMember.registry_id == registry_id, RegistryMember.removed_on.is_(None))
                .order_by(RegistryMember.patient_id)))

    def export_csv(self, registry_id: int, today: date | None = None) -> str:
        """The members now as CSV for a clinical database: account number, names, date of
        birth, sex, since when and why, then each tracked field (dates as YYYY-MM-DD).
        Audited as an export (counts only)."""
        user = self._ctx.require(Permission.VIEW_QUALITY)
        day = today or date.today()
        with self._db.session() as s:
            reg = _registry(s, registry_id)
            d = _data(reg)
            q = (select(RegistryMember, Patient)
                 .join(Patient, Patient.id == RegistryMember.patient_id)
                 .where(RegistryMember.registry_id == reg.id,
                        RegistryMember.removed_on.is_(None))
                 .order_by(Patient.mrn))
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            w.writerow(["mrn", "last_name", "first_name", "date_of_birth", "sex", "member_since",
                        "source", "reason", "follow_up_overdue", *(f.key for f in d.fields)])
            n = 0
            for m, p in s.execute(q):
                values = json.loads(m.values)
                overdue = m.follow_up_on is not None and m.follow_up_on < day
                w.writerow([p.mrn, p.last_name, p.first_name, p.dob.isoformat(), p.sex,
                            m.added_on.isoformat(), m.source, m.reason,
                            "yes" if overdue else "no",
                            *(values.get(f.key, "") for f in d.fields)])
                n += 1
            append_event(s, user, "registry.export", entity="registry", entity_id=reg.id,
                         details={"members": n, "format": "csv"})
        return out.getvalue()


# --- helpers ---------------------------------------------------------------------------------
def _registry(s: Session, registry_id: int) -> Registry:
    r = s.get(Registry, registry_id)
    if r is None:
        raise UserError("That registry no longer exists; refresh the list.")
    return r


def _open(s: Session, registry_id: int, patient_id: int) -> RegistryMember | None:
    return s.scalars(select(RegistryMember).where(
        RegistryMember.registry_id == registry_id, RegistryMember.patient_id == patient_id,
        RegistryMember.removed_on.is_(None))).first()


def _end(m: RegistryMember, user: CurrentUser, day: date, source: str, reason: str) -> None:
    m.removed_on, m.removed_by, m.removed_source = day, user.username, source
    m.removed_reason = reason[:300]
    m.updated_by, m.updated_at = user.username, utcnow()


def _rule_matches(s: Session, rule: RegistryRule,
                  patient_id: int | None = None) -> dict[int, str]:
    """patient id → the first problem code (in code order) the rule finds for them (only
    for `patient_id` when given); merged records left out."""
    like = or_(*(Problem.code.like(p + "%") for p in rule.condition_prefixes))  # checked
    q = (select(Problem.patient_id, func.min(Problem.code))
         .join(Patient, Patient.id == Problem.patient_id)
         .where(like, Patient.merged_into_id.is_(None)).group_by(Problem.patient_id))
    if patient_id is not None:
        q = q.where(Problem.patient_id == patient_id)
    if rule.active_only:
        q = q.where(Problem.status == "active")
    return {pid: code for pid, code in s.execute(q)}


def sync_patient(s: Session, user: CurrentUser, patient_id: int, day: date) -> int:
    """Keep one patient's rule-made memberships in step with their problem list, in the
    caller's transaction (app.services.history calls it after a problem is saved or deleted):
    the patient joins the active registries whose rule now finds them (unless taken out by
    hand before) and leaves those whose rule no longer does. Returns how many changed."""
    changed = 0
    for reg in s.scalars(select(Registry).where(Registry.active.is_(True))):
        found = _rule_matches(s, _data(reg).rule, patient_id)
        m = _open(s, reg.id, patient_id)
        if patient_id in found and m is None:
            kept_out = s.scalar(select(RegistryMember.id).where(
                RegistryMember.registry_id == reg.id, RegistryMember.patient_id == patient_id,
                RegistryMember.removed_source == HAND).limit(1))
            if kept_out is not None:
                continue
            m = RegistryMember(registry_id=reg.id, patient_id=patient_id, source=RULE,
                               reason=f"Matches the rule: problem {found[patient_id]}",
                               added_on=day, added_by=user.username, updated_by=user.username)
            s.add(m)
        elif patient_id not in found and m is not None and m.source == RULE:
            _end(m, user, day, RULE, "No longer matches the rule.")
        else:
            continue
        s.flush()
        append_event(s, user, "registry.member.rule", entity="registry_member", entity_id=m.id,
                     patient_id=patient_id,
                     details={"registry": reg.id, "member": m.removed_on is None})
        changed += 1
    return changed


def _member_row(m: RegistryMember, p: Patient, day: date) -> MemberRow:
    return MemberRow(m.id, p.id, p.mrn, f"{p.last_name}, {p.first_name}", p.dob, m.source,
                     m.reason, m.added_on, json.loads(m.values), m.follow_up_on,
                     m.removed_on is None and m.follow_up_on is not None
                     and m.follow_up_on < day,
                     m.version, m.removed_on, m.removed_reason)


def end_merged_memberships(s: Session, user: CurrentUser, keep_id: int, dup_id: int) -> int:
    """Before a merge moves the duplicate's rows: end its open memberships of registries the
    kept patient is in already (a patient is in a registry once). Returns how many ended."""
    kept = set(s.scalars(select(RegistryMember.registry_id).where(
        RegistryMember.patient_id == keep_id, RegistryMember.removed_on.is_(None))))
    n = 0
    for m in s.scalars(select(RegistryMember).where(RegistryMember.patient_id == dup_id,
                                                    RegistryMember.removed_on.is_(None))):
        if m.registry_id in kept:
            _end(m, user, date.today(), HAND, "Merged into the kept record, already a member.")
            n += 1
    s.flush()
    return n


__all__ = ["FIELD_KINDS", "TEMPLATES", "FieldSpec", "MemberRow", "RefreshResult",
           "RegistryData", "RegistryRule", "RegistryService", "RegistrySummary",
           "end_merged_memberships", "parse_value", "shown_value", "sync_patient"]

