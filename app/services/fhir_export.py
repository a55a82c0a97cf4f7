"""FHIR R4 export of a patient's record, or of a registry's members (issue 9), audited as
"fhir.export" (ONC 170.315(d)(2): every export of patient data is recorded).

The records are read with one query per kind of row (patients, problems, encounters with
their provider and facility, observations, coverages with their payer, coverage order), laid
out as the plain dataclasses of `app.formats.fhir_export`, and built there into one
collection Bundle that the library's R4 models have validated. Audit details are counts of
resources (and, for a list, the caller's purpose label): never names, codes or values.

A merged record (`merged_into_id` set) is not exported: its rows moved to the record it was
merged into. Asked for by itself it is refused; in a list it is left out and counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formats.fhir_export import (
    CoverageEntry,
    EncounterEntry,
    ExportSource,
    ObservationEntry,
    PatientDemographics,
    PatientRecord,
    ProblemEntry,
    build_bundle,
    bundle_bytes,
    resource_counts,
)
from app.models import (
    Coverage,
    CoverageRank,
    Encounter,
    Facility,
    Observation,
    Patient,
    Payer,
    Practice,
    Problem,
    Provider,
)
from app.services.audit import Event, append_event, append_events
from app.services.context import UserContext
from app.services.database import Database
from app.services.permissions import Permission

MAX_PATIENTS = 5_000
MAX_PURPOSE = 80
SELF = "18"


class FhirExportService:
    """Patient records as FHIR R4 JSON bytes (a collection Bundle), audited."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def patient_bundle(self, patient_id: int) -> bytes:
        """One patient's record (Patient, Condition, Encounter, Observation, Coverage) as a
        FHIR R4 Bundle; the export is audited in the same transaction as the read."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        today = date.today()
        with self._db.session() as s:
            p = s.get(Patient, patient_id)
            if p is None:
                raise UserError("That patient no longer exists; search again.")
            if p.merged_into_id is not None:
                raise UserError("This record was merged into another patient's record, "
                                "which now holds its history; export that record instead.")
            bundle = build_bundle(read_records(s, [p], today), as_of=today, source=_source(s))
            append_event(s, user, "fhir.export", entity="patient", entity_id=p.id,
                         patient_id=p.id, details={"resources": resource_counts(bundle)})
        return bundle_bytes(bundle)

    def patients_bundle(self, patient_ids: Sequence[int], purpose: str) -> bytes:
        """Many patients (a registry's members) in one FHIR R4 Bundle. `purpose` is a short
        label of why (e.g. "Diabetes registry"), kept in the audit trail; it must not hold
        patient details. Merged or missing records are left out; each exported patient gets
        a "fhir.export" event and the whole a "fhir.export_bundle" event."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        ids = sorted(set(patient_ids))
        label = " ".join(purpose.split())
        _check_request(ids, label)
        today = date.today()
        with self._db.session() as s:
            q = (select(Patient).where(Patient.id.in_(ids), Patient.merged_into_id.is_(None))
                 .order_by(Patient.id))
            patients = list(s.scalars(q))
            if not patients:
                raise UserError("None of these patients can be exported: their records were "
                                "merged into others or no longer exist.")
            records, source = read_records(s, patients, today), _source(s)
        # Built outside the read: thousands of records take a while, and a read transaction
        # held that long would make the audit write below fail if anyone saved meanwhile.
        # The audit is written before the bytes are handed out, so no export goes unrecorded.
        bundle = build_bundle(records, as_of=today, source=source)
        with self._db.session() as s:
            append_events(s, user, [
                Event("fhir.export", entity="patient", entity_id=r.patient.id,
                      patient_id=r.patient.id,
                      details={"purpose": label, "resources": record_counts(r)})
                for r in records])
            append_event(s, user, "fhir.export_bundle", details={
                "purpose": label, "patients": len(records),
                "left_out": len(ids) - len(records), "resources": resource_counts(bundle)})
        return bundle_bytes(bundle)


def _check_request(ids: list[int], purpose: str) -> None:
    if not ids:
        raise UserError("Choose at least one patient to export.")
    if len(ids) > MAX_PATIENTS:
        raise UserError(f"One FHIR export holds at most {MAX_PATIENTS:,} patients; this list "
                        f"has {len(ids):,}. Export it in parts.")
    if not purpose:
        raise UserError("Say what the export is for (for example \"Diabetes registry\"); "
                        "the audit trail keeps it.")
    if len(purpose) > MAX_PURPOSE:
        raise UserError(f"Keep the purpose to {MAX_PURPOSE} characters, without patient "
                        "details.")


def record_counts(r: PatientRecord) -> dict[str, int]:
    """Resources of each type one record gives (as `resource_counts` names them)."""
    found = {"Patient": 1, "Condition": len(r.problems), "Encounter": len(r.encounters),
             "Observation": len(r.observations), "Coverage": len(r.coverages)}
    return {k: n for k, n in sorted(found.items()) if n}


def _source(s: Session) -> ExportSource:
    practice = s.get(Practice, 1)
    return ExportSource(practice.name, practice.npi) if practice else ExportSource()


def read_records(s: Session, patients: Sequence[Patient], as_of: date) -> list[PatientRecord]:
    """The records of these (unmerged) patients, one query per kind of row; rows in date
    order so the same record always gives the same bundle."""
    ids = [p.id for p in patients]
    problems = _by_patient(s.scalars(select(Problem).where(Problem.patient_id.in_(ids))
                                     .order_by(Problem.onset, Problem.id)), _problem)
    encounters = _by_patient(s.execute(
        select(Encounter, Provider, Facility)
        .outerjoin(Provider, Provider.id == Encounter.provider_id)
        .outerjoin(Facility, Facility.id == Encounter.facility_id)
        .where(Encounter.patient_id.in_(ids)).order_by(Encounter.date, Encounter.id)),
        _encounter)
    observations = _by_patient(s.scalars(
        select(Observation).where(Observation.patient_id.in_(ids))
        .order_by(Observation.observed_on, Observation.id)), _observation)
    coverages = _coverages(s, ids, as_of)
    return [PatientRecord(_demographics(p), tuple(problems[p.id]), tuple(encounters[p.id]),
                          tuple(observations[p.id]), tuple(coverages[p.id]))
            for p in patients]


def _by_patient(rows: Any, make: Any) -> defaultdict[int, list[Any]]:
    out: defaultdict[int, list[Any]] = defaultdict(list)
    for row in rows:
        patient_id, entry = make(row)
        out[patient_id].append(entry)
    return out


def _demographics(p: Patient) -> PatientDemographics:
    return PatientDemographics(
        id=p.id, mrn=p.mrn, last_name=p.last_name, first_name=p.first_name,
        birth_date=p.dob, sex=p.sex, middle_name=p.middle_name,
        preferred_name=p.preferred_name, address1=p.address1, address2=p.address2,
        city=p.city, state=p.state, zip=p.zip, phone=p.phone, mobile_phone=p.mobile_phone,
        work_phone=p.work_phone, email=p.email, language=p.language)


def _problem(p: Problem) -> tuple[int, ProblemEntry]:
    return p.patient_id, ProblemEntry(p.id, p.code, p.description, p.onset, p.resolved,
                                      p.status)


def _encounter(row: Any) -> tuple[int, EncounterEntry]:
    e, v, f = row
    name = f"{v.last_name}, {v.first_name} {v.credential}".strip() if v else ""
    return e.patient_id, EncounterEntry(
        e.id, e.date, provider_name=name, provider_npi=v.npi if v else "",
        facility_name=f.name if f else "", facility_npi=f.npi if f else "", pos=e.pos,
        reason=e.reason)


def _observation(o: Observation) -> tuple[int, ObservationEntry]:
    return o.patient_id, ObservationEntry(o.id, o.code, o.name, o.observed_on, o.value,
                                          o.value_text, o.unit, o.encounter_id)


def _coverages(s: Session, ids: list[int], as_of: date) -> defaultdict[int, list[Any]]:
    orders = _orders(s, ids, as_of)
    q = (select(Coverage, Payer).join(Payer, Payer.id == Coverage.payer_id)
         .where(Coverage.patient_id.in_(ids)).order_by(Coverage.effective_from, Coverage.id))

    def make(row: Any) -> tuple[int, CoverageEntry]:
        c, payer = row
        subscriber = "" if c.relationship == SELF else _name(
            c.subscriber_last_name, c.subscriber_first_name, c.subscriber_middle_name)
        return c.patient_id, CoverageEntry(
            c.id, payer.name, payer.payer_id, c.member_id, c.effective_from, c.effective_to,
            orders.get(c.id), c.relationship, subscriber, c.group_number, c.group_name)

    return _by_patient(s.execute(q), make)


def _orders(s: Session, ids: list[int], as_of: date) -> dict[int, int]:
    """Each coverage's place in the order: the one in force on `as_of`, else its latest."""
    latest: dict[int, int] = {}
    current: dict[int, int] = {}
    q = (select(CoverageRank).where(CoverageRank.patient_id.in_(ids))
         .order_by(CoverageRank.valid_from, CoverageRank.id))
    for r in s.scalars(q):
        latest[r.coverage_id] = r.rank
        if r.valid_from <= as_of and (r.valid_to is None or r.valid_to >= as_of):
            current[r.coverage_id] = r.rank
    return latest | current


def _name(last: str, first: str, middle: str) -> str:
    given = " ".join(x for x in (first, middle) if x)
    return ", ".join(x for x in (last, given) if x)
