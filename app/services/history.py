"""The clinical history a clerk reviews and keeps: the chart (audited on every open), its
timeline, and problems, medications, allergies, encounters and observations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, UserError, ValidationError
from app.formats import observations as obs
from app.formats.identifiers import PLACE_OF_SERVICE
from app.models import (
    Allergy,
    ChargeLine,
    Document,
    Encounter,
    EncounterDiagnosis,
    Facility,
    LedgerEntry,
    Medication,
    Observation,
    Patient,
    Problem,
    Provider,
)
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.patients import PatientDetail, _detail
from app.services.permissions import Permission
from app.services.registries import sync_patient

PROBLEM_STATUSES = ("active", "resolved", "inactive")
ALLERGY_SEVERITIES = ("mild", "moderate", "severe")
ALLERGY_STATUSES = ("active", "inactive")


@dataclass(frozen=True)
class ProblemData:
    patient_id: int
    code: str
    description: str
    onset: date | None = None
    resolved: date | None = None
    status: str = "active"
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class MedicationData:
    patient_id: int
    name: str
    dose: str = ""
    started: date | None = None
    stopped: date | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class AllergyData:
    patient_id: int
    substance: str
    reaction: str = ""
    severity: str = ""
    status: str = "active"
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class EncounterData:
    patient_id: int
    date: date
    provider_id: int | None = None
    facility_id: int | None = None
    pos: str = "11"
    reason: str = ""
    note: str = ""
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class ObservationData:
    patient_id: int
    code: str
    name: str
    observed_on: date
    value: Decimal | None = None
    value_text: str = ""
    unit: str = ""
    encounter_id: int | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class DocumentRow:
    id: int
    title: str
    filename: str
    mime: str
    size: int
    document_date: date | None
    added_by: str


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the chart's timeline; `kind` is encounter, problem or observation."""

    when: date
    kind: str
    title: str
    detail: str
    ref_id: int


@dataclass(frozen=True)
class Chart:
    header: PatientDetail
    problems: list[ProblemData]
    medications: list[MedicationData]
    allergies: list[AllergyData]
    encounters: list[EncounterData]
    observations: list[ObservationData]
    documents: list[DocumentRow]
    provider_names: dict[int, str]
    facility_names: dict[int, str]

    def timeline(self, kinds: set[str] | None = None, date_from: date | None = None,
                 date_to: date | None = None) -> list[TimelineEntry]:
        """Encounters, problems and observations, newest first, filtered."""
        entries = [e for e in self._entries() if kinds is None or e.kind in kinds]
        entries = [e for e in entries if (date_from is None or e.when >= date_from)
                   and (date_to is None or e.when <= date_to)]
        return sorted(entries, key=lambda e: (e.when, e.kind, e.ref_id), reverse=True)

    def _entries(self) -> list[TimelineEntry]:
        out = [TimelineEntry(e.date, "encounter", e.reason or "Visit",
                             self.provider_names.get(e.provider_id or 0, ""), e.id or 0)
               for e in self.encounters]
        out += [TimelineEntry(p.onset or date.min, "problem", f"{p.code} {p.description}",
                              p.status, p.id or 0) for p in self.problems]
        out += [TimelineEntry(o.observed_on, "observation", o.name, observation_text(o),
                              o.id or 0) for o in self.observations]
        return out


def observation_text(o: ObservationData) -> str:
    if o.value is None:
        return o.value_text
    unit = {"[lb_av]": "lb", "[in_i]": "in", "mm[Hg]": "mmHg"}.get(o.unit, o.unit)
    return f"{o.value} {unit}".strip()


D = TypeVar("D", ProblemData, MedicationData, AllergyData, EncounterData, ObservationData)
_MODELS: dict[type, Any] = {ProblemData: Problem, MedicationData: Medication,
                            AllergyData: Allergy, EncounterData: Encounter,
                            ObservationData: Observation}
_NOUNS = {Problem: "problem", Medication: "medication", Allergy: "allergy",
          Encounter: "encounter", Observation: "observation"}


def _data(cls: type[D], obj: Any) -> D:
    return cls(**{f.name: getattr(obj, f.name) for f in fields(cls)})


def _need(p: dict[str, str], d: Any, *names: str) -> None:
    for n in names:
        if not getattr(d, n):
            p[n] = "is required."


def _not_future(p: dict[str, str], d: Any, today: date, *names: str) -> None:
    for n in names:
        v = getattr(d, n)
        if v is not None and v > today:
            p[n] = "cannot be in the future."


def check_problem(d: ProblemData, today: date) -> dict[str, str]:
    p: dict[str, str] = {}
    _need(p, d, "code", "description")
    if d.status not in PROBLEM_STATUSES:
        p["status"] = "Choose active, resolved or inactive."
    _not_future(p, d, today, "onset", "resolved")
    if d.onset and d.resolved and d.resolved < d.onset:
        p["resolved"] = "cannot be before the onset."
    return p


def check_medication(d: MedicationData, today: date) -> dict[str, str]:
    p: dict[str, str] = {}
    _need(p, d, "name")
    _not_future(p, d, today, "started")
    if d.started and d.stopped and d.stopped < d.started:
        p["stopped"] = "cannot be before the start."
    return p


def check_allergy(d: AllergyData, today: date) -> dict[str, str]:
    p: dict[str, str] = {}
    _need(p, d, "substance")
    if d.severity and d.severity not in ALLERGY_SEVERITIES:
        p["severity"] = "Choose mild, moderate or severe."
    if d.status not in ALLERGY_STATUSES:
        p["status"] = "Choose active or inactive."
    return p


# A visit may be booked ahead (benefits are verified before it); further than a year ahead
# is a typing mistake.
MAX_DAYS_AHEAD = 365


def check_encounter(d: EncounterData, today: date) -> dict[str, str]:
    p: dict[str, str] = {}
    if d.date > today + timedelta(days=MAX_DAYS_AHEAD):
        p["date"] = "is more than a year ahead; check the year."
    if d.pos not in PLACE_OF_SERVICE:
        p["pos"] = "Choose a place-of-service code from the list."
    return p


def check_observation(d: ObservationData, today: date) -> dict[str, str]:
    p: dict[str, str] = {}
    _need(p, d, "code", "name")
    _not_future(p, d, today, "observed_on")
    kind = obs.KNOWN.get(d.code)
    if d.value is None and not d.value_text:
        p["value"] = "Enter a value."
    elif kind is not None and kind.numeric:
        if d.value is None:
            p["value"] = f"{kind.name} is a number."
        elif msg := obs.check_value(kind, d.value):
            p["value"] = msg
    if isinstance(d.value, float):
        p["value"] = "must be an exact decimal."
    elif isinstance(d.value, Decimal) and (scaled := d.value * 10_000) != scaled.to_integral():
        # ScaledDecimal keeps 1/10,000ths; more would fail the INSERT with a crash.
        p["value"] = "has more than 4 decimal places; check the value."
    return p


_CHECKS: dict[type, Callable[[Any, date], dict[str, str]]] = {
    ProblemData: check_problem, MedicationData: check_medication, AllergyData: check_allergy,
    EncounterData: check_encounter, ObservationData: check_observation,
}


class HistoryService:
    """Opening charts (audited) and keeping the history rows."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def open_chart(self, patient_id: int) -> Chart:
        """Everything the chart shows, in one read; the open is audited."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            p = s.get(Patient, patient_id)
            if p is None:
                raise UserError("That patient no longer exists; search again.")
            chart = _read_chart(s, p)
            append_event(s, user, "chart.open", entity="patient", entity_id=p.id,
                         patient_id=p.id)
            return chart

    def save(self, data: D) -> D:
        """Create or update one history row (problem, medication, allergy, encounter or
        observation); audited with the field names that changed."""
        user = self._ctx.require(Permission.EDIT_HISTORY)
        model = _MODELS[type(data)]
        problems = _CHECKS[type(data)](data, date.today())
        if problems:
            raise ValidationError(problems, _NOUNS[model])
        try:
            with self._db.session() as s:
                obj, action, changed = _upsert(s, model, data)
                append_event(s, user, f"{_NOUNS[model]}.{action}", entity=_NOUNS[model],
                             entity_id=obj.id, patient_id=obj.patient_id,
                             details={"fields": changed})
                if model is Problem:
                    sync_patient(s, user, obj.patient_id, date.today())
                return _data(type(data), obj)
        except StaleDataError:
            raise _conflict(_NOUNS[model]) from None

    def delete(self, data: D) -> None:
        """Remove a row entered in error (audited)."""
        user = self._ctx.require(Permission.EDIT_HISTORY)
        model = _MODELS[type(data)]
        with self._db.session() as s:
            obj = s.get(model, data.id)
            if obj is None or obj.patient_id != data.patient_id:
                raise UserError(f"That {_NOUNS[model]} no longer exists; reopen the chart.")
            if model is Encounter:
                _release_encounter(s, obj.id)
            s.delete(obj)
            append_event(s, user, f"{_NOUNS[model]}.delete", entity=_NOUNS[model],
                         entity_id=data.id, patient_id=data.patient_id)
            if model is Problem:
                s.flush()
                sync_patient(s, user, data.patient_id, date.today())

    def record_vitals(self, patient_id: int, observed_on: date, *,
                      systolic: Decimal | None = None, diastolic: Decimal | None = None,
                      weight_lb: Decimal | None = None, height_in: Decimal | None = None,
                      encounter_id: int | None = None) -> list[ObservationData]:
        """Blood pressure, weight and height in one step; BMI is derived when both weight
        and height are given. All are checked before any is saved."""
        self._ctx.require(Permission.EDIT_HISTORY)
        rows = vitals_observations(patient_id, observed_on, systolic=systolic,
                                   diastolic=diastolic, weight_lb=weight_lb,
                                   height_in=height_in, encounter_id=encounter_id)
        if not rows:
            raise UserError("Enter at least one vital sign.")
        problems: dict[str, str] = {}
        for r in rows:
            found = check_observation(r, date.today())
            if found:
                problems[r.name] = " ".join(found.values())
        if problems:
            raise ValidationError(problems, "vital signs")
        return self.save_many(rows)

    def save_many(self, rows: list[ObservationData]) -> list[ObservationData]:
        user = self._ctx.require(Permission.EDIT_HISTORY)
        with self._db.session() as s:
            out = []
            for r in rows:
                obj, _a, _c = _upsert(s, Observation, r)
                append_event(s, user, "observation.create", entity="observation",
                             entity_id=obj.id, patient_id=obj.patient_id)
                out.append(_data(ObservationData, obj))
            return out


def vitals_observations(patient_id: int, observed_on: date, *, systolic: Decimal | None,
                        diastolic: Decimal | None, weight_lb: Decimal | None,
                        height_in: Decimal | None, encounter_id: int | None
                        ) -> list[ObservationData]:
    pairs = [(obs.SYSTOLIC, systolic), (obs.DIASTOLIC, diastolic), (obs.WEIGHT, weight_lb),
             (obs.HEIGHT, height_in)]
    if weight_lb and height_in:
        pairs.append((obs.BMI, obs.bmi(weight_lb, height_in)))
    return [ObservationData(patient_id, k.code, k.name, observed_on, value=v, unit=k.unit,
                            encounter_id=encounter_id) for k, v in pairs if v is not None]


def _conflict(noun: str) -> ConflictError:
    return ConflictError(f"Someone else changed this {noun} after you opened it. Their "
                         "change is kept; reopen the chart to see it.")


def _upsert(s: Session, model: Any, data: Any) -> tuple[Any, str, list[str]]:
    values = {k: v for k, v in asdict(data).items() if k not in ("id", "version")}
    if s.get(Patient, data.patient_id) is None:
        raise UserError("That patient no longer exists; search again.")
    if data.id is None:
        obj = model(**values)
        s.add(obj)
        s.flush()
        return obj, "create", sorted(values)
    obj = s.get(model, data.id)
    if obj is None or obj.patient_id != data.patient_id:
        raise UserError("That record no longer exists; reopen the chart.")
    if obj.version != data.version:
        raise _conflict(_NOUNS[model])
    changed = sorted(k for k, v in values.items() if getattr(obj, k) != v)
    for k in changed:
        setattr(obj, k, values[k])
    s.flush()
    return obj, "update", changed


def _read_chart(s: Session, p: Patient) -> Chart:
    def rows(model: Any, cls: type[D], *order: Any) -> list[D]:
        q = select(model).where(model.patient_id == p.id).order_by(*order)
        return [_data(cls, o) for o in s.scalars(q)]

    docs = s.scalars(select(Document).where(Document.patient_id == p.id)
                     .order_by(Document.created_at.desc()))
    return Chart(
        header=_detail(p),
        problems=rows(Problem, ProblemData, Problem.status, Problem.onset.desc()),
        medications=rows(Medication, MedicationData, Medication.started.desc()),
        allergies=rows(Allergy, AllergyData, Allergy.substance),
        encounters=rows(Encounter, EncounterData, Encounter.date.desc()),
        observations=rows(Observation, ObservationData, Observation.observed_on.desc()),
        documents=[DocumentRow(d.id, d.title, d.filename, d.mime, d.size, d.document_date,
                               d.added_by) for d in docs],
        provider_names={v.id: f"{v.last_name}, {v.first_name} {v.credential}".strip()
                        for v in s.scalars(select(Provider))},
        facility_names={f.id: f.name for f in s.scalars(select(Facility))},
    )


def _release_encounter(s: Session, encounter_id: int) -> None:
    """Get an encounter ready to be deleted: its observations stay in the chart without it
    and its diagnoses go with it. A visit with charge lines or ledger entries stays: money
    history is append-only, so deleting it would lose what was billed."""
    billed = s.scalar(select(ChargeLine.id).where(ChargeLine.encounter_id == encounter_id)
                      .limit(1))
    posted = s.scalar(select(LedgerEntry.id).where(LedgerEntry.encounter_id == encounter_id)
                      .limit(1))
    if billed is not None or posted is not None:
        raise UserError("This encounter has been coded into charges, so it stays on the record. "
                        "To correct it, void its charge lines in the Coding tab.")
    for o in s.scalars(select(Observation).where(Observation.encounter_id == encounter_id)):
        o.encounter_id = None
    s.execute(delete(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id == encounter_id))
