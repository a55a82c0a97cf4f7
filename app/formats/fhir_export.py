"""Patient records as a FHIR R4 (4.0.1) JSON Bundle of type "collection".

Pure: plain frozen dataclasses in, a JSON-able dict (or stable bytes) out; no database, no Qt.

Library: `fhirclient` (SMART on FHIR, >= 4.2), whose `fhirclient.models.*` classes are generated
from FHIR 4.0.1, i.e. plain R4. `fhir.resources` was the other candidate, but its 7.x/8.x
releases model R5 by default and offer R4B (4.3.0) beside it, not R4: an R4B Bundle is not what
an R4 receiver validates against. Every resource here is built by handing its JSON to the
library's model class: construction refuses unknown elements, wrong types and malformed
dates; `as_json()` then refuses a missing required element. So a Bundle that leaves this module
has been through the R4 models; `read_bundle` puts bytes back through them.

Resources and the elements used (FHIR R4, https://hl7.org/fhir/R4/):
- Bundle (bundle.html): type "collection"; entry.fullUrl "urn:uuid:..." and entry.resource.
  UUIDs are uuid5 of a namespace (the clinic's NPI) and "<ResourceType>/<local id>", so the
  same record always exports the same bytes; resources refer to each other by those URNs.
- Patient (patient.html): identifier (type v2-0203 "MR", system `MRN_SYSTEM`, assigner the
  clinic), active, name (official; the preferred name as "usual"), telecom (home, mobile,
  work phone; email), gender (administrative-gender, from the app's M/F/U), birthDate, address
  (home), communication.language (text: the app keeps the language as words, not BCP-47).
- Condition (condition.html): clinicalStatus (condition-clinical active/inactive/resolved),
  category problem-list-item (condition-category), code (ICD-10-CM, `ICD10CM`), subject,
  onsetDateTime, abatementDateTime (only when the status is not active: invariant con-4).
- Encounter (encounter.html): status finished (planned when the visit is after `as_of`),
  class (v3-ActCode: AMB; VR for telehealth, EMER for the emergency room, IMP for inpatient
  places of service), type (the CMS place-of-service code the claim states), subject,
  participant (type PPRF, the rendering provider by NPI and name), period (the visit's day),
  reasonCode (text), location (the facility by name and NPI).
- Observation (observation.html): status final, category (observation-category:
  vital-signs, laboratory, social-history for smoking), code (LOINC when the code is a
  well-formed LOINC code with a valid check digit, else a local code), subject, encounter,
  effectiveDateTime, valueQuantity (UCUM `system`/`code` for the units the app records, which
  are UCUM already) or valueString; smoking status as valueCodeableConcept with the SNOMED CT
  code of US Core's smoking-status value set.
- Coverage (coverage.html): status (active; cancelled once its end date has passed),
  subscriber (the patient when self, else the subscriber's name), subscriberId (member ID),
  beneficiary, relationship (subscriber-relationship, from the X12 code), period, payor
  (display and payer ID), order (1 primary, 2 secondary, 3 tertiary), class "group".

Local identifier systems (URNs this application defines; documented here): `MRN_SYSTEM`
for the clinic's medical record numbers, `PAYER_ID_SYSTEM` for electronic payer IDs (as on
the 837P, loop 2010BB NM109), `LOCAL_CODE_SYSTEM` for observation codes that are not LOINC.

FHIR strings may not be empty, so empty fields are left out rather than written as "".
Decimal values become JSON numbers (an integral value as an integer): FHIR decimals are JSON
numbers, and the app keeps at most four decimal places, which a float's shortest form writes
back digit for digit (trailing zeros aside: 7.50 goes out as 7.5).

Not done here: systolic and diastolic pressure go out as two Observations, as the app keeps
them, not as the R4 vital-signs profile's blood-pressure panel (85354-9 with components).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from app.formats.identifiers import PLACE_OF_SERVICE

FHIR_VERSION = "4.0.1"
MRN_SYSTEM = "urn:clinicclerk:mrn"
PAYER_ID_SYSTEM = "urn:clinicclerk:payer-id"
LOCAL_CODE_SYSTEM = "urn:clinicclerk:observation-code"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
NPI = "http://hl7.org/fhir/sid/us-npi"
POS_SYSTEM = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"

# The base of every resource UUID; the clinic's NPI is mixed in (`namespace`).
_BASE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:clinicclerk:fhir")

GENDERS = {"M": "male", "F": "female", "O": "other", "U": "unknown"}
# The app's problem statuses are codes of condition-clinical already.
CLINICAL_STATUSES = {"active": "Active", "inactive": "Inactive", "resolved": "Resolved"}
# X12 individual relationship code (SBR02/PAT01) -> subscriber-relationship.
RELATIONSHIPS = {"18": "self", "01": "spouse", "19": "child", "53": "common"}
RELATIONSHIP_DISPLAY = {"self": "Self", "spouse": "Spouse", "child": "Child",
                        "common": "Common Law Spouse", "other": "Other"}
RANK_LABELS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
# Places of service that are not an ambulatory visit (v3-ActCode encounter class).
ENCOUNTER_CLASSES = {"02": ("VR", "virtual"), "10": ("VR", "virtual"),
                     "23": ("EMER", "emergency"), "21": ("IMP", "inpatient encounter"),
                     "51": ("IMP", "inpatient encounter"), "61": ("IMP", "inpatient encounter")}
AMBULATORY = ("AMB", "ambulatory")

SMOKING_STATUS = "72166-2"
VITAL_SIGNS = frozenset({"8480-6", "8462-4", "29463-7", "8302-2", "39156-5"})
LABORATORY = frozenset({"4548-4", "13457-7"})
SOCIAL_HISTORY = frozenset({SMOKING_STATUS})
CATEGORY_DISPLAY = {"vital-signs": "Vital Signs", "laboratory": "Laboratory",
                    "social-history": "Social History"}
# US Core smoking status value set (SNOMED CT), keyed by the app's wording.
SMOKING_CODES = {
    "Never smoker": "266919005",
    "Former smoker": "8517006",
    "Current every day smoker": "449868002",
    "Current some day smoker": "428041000124106",
    "Smoker, current status unknown": "77176002",
    "Unknown if ever smoked": "266927001",
}
# UCUM codes the app records (app.formats.observations) and common lab units that are UCUM
# as written; another unit goes out as text only (Quantity.unit without system and code).
UCUM_UNITS = frozenset({
    "mm[Hg]", "[lb_av]", "[in_i]", "kg/m2", "%", "mg/dL", "kg", "g", "cm", "m", "mmol/L",
    "g/dL", "mg/L", "ng/mL", "pg/mL", "ug/dL", "U/L", "mL/min/{1.73_m2}", "10*3/uL",
    "10*6/uL", "/min", "Cel", "[degF]", "mEq/L", "m[IU]/L", "[IU]/L",
})
UNIT_TEXT = {"mm[Hg]": "mmHg", "[lb_av]": "lb", "[in_i]": "in", "Cel": "°C", "[degF]": "°F"}
_LOINC_SHAPE = re.compile(r"^(\d{1,7})-(\d)$")


class FhirExportError(ValueError):
    """The FHIR R4 models refused a resource (or a bundle being read back). The message
    names the element path and the problem, never the value."""


# --- input -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PatientDemographics:
    id: int
    mrn: str
    last_name: str
    first_name: str
    birth_date: date
    sex: str  # M, F or U (app.services.patients.SEXES)
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
    language: str = ""


@dataclass(frozen=True)
class ProblemEntry:
    id: int
    code: str  # ICD-10-CM
    description: str
    onset: date | None = None
    resolved: date | None = None
    status: str = "active"  # active, inactive or resolved


@dataclass(frozen=True)
class EncounterEntry:
    id: int
    date: date
    provider_name: str = ""
    provider_npi: str = ""
    facility_name: str = ""
    facility_npi: str = ""
    pos: str = ""  # CMS place of service
    reason: str = ""


@dataclass(frozen=True)
class ObservationEntry:
    id: int
    code: str  # LOINC where one exists
    name: str
    observed_on: date
    value: Decimal | None = None
    value_text: str = ""
    unit: str = ""  # UCUM
    encounter_id: int | None = None


@dataclass(frozen=True)
class CoverageEntry:
    id: int
    payer_name: str
    payer_id: str
    member_id: str
    start: date
    end: date | None = None
    order: int | None = None  # 1 primary, 2 secondary, 3 tertiary
    relationship: str = "18"  # X12 individual relationship code; 18 is self
    subscriber_name: str = ""  # when the patient is not the subscriber
    group_number: str = ""
    group_name: str = ""


@dataclass(frozen=True)
class PatientRecord:
    patient: PatientDemographics
    problems: tuple[ProblemEntry, ...] = ()
    encounters: tuple[EncounterEntry, ...] = ()
    observations: tuple[ObservationEntry, ...] = ()
    coverages: tuple[CoverageEntry, ...] = ()


@dataclass(frozen=True)
class ExportSource:
    """Who exports: the clinic's name (the MRN's assigner) and NPI (the UUID namespace)."""

    name: str = ""
    npi: str = ""


@dataclass
class _Ids:
    namespace: uuid.UUID
    urns: dict[str, str] = field(default_factory=dict)

    def urn(self, kind: str, local_id: int) -> str:
        key = f"{kind}/{local_id}"
        if key not in self.urns:
            self.urns[key] = f"urn:uuid:{uuid.uuid5(self.namespace, key)}"
        return self.urns[key]


# --- output ------------------------------------------------------------------------------------
def build_bundle(records: Sequence[PatientRecord], *, as_of: date,
                 source: ExportSource = ExportSource()) -> dict[str, Any]:
    """One collection Bundle with every record's resources, each validated by the R4 models.

    `as_of` decides what is current: a coverage ended before it is "cancelled" and a visit
    after it is "planned". Raises `FhirExportError` when a model refuses a resource."""
    ids = _Ids(namespace(source.npi))
    entries: list[dict[str, Any]] = []
    for record in records:
        entries += _record_entries(record, ids, as_of, source)
    # Each entry's resource went through its model already; serialising the whole Bundle
    # model again would double the cost of a registry's export for no further check.
    bundle = _validated({"resourceType": "Bundle", "type": "collection"})
    if entries:
        bundle["entry"] = entries
    return bundle


def bundle_bytes(bundle: Mapping[str, Any]) -> bytes:
    """The bundle as UTF-8 JSON with sorted keys: the same bundle gives the same bytes."""
    return json.dumps(bundle, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def export_bytes(records: Sequence[PatientRecord], *, as_of: date,
                 source: ExportSource = ExportSource()) -> bytes:
    return bundle_bytes(build_bundle(records, as_of=as_of, source=source))


def read_bundle(data: bytes | str | Mapping[str, Any]) -> Any:
    """Parse a bundle back through the R4 models (each entry becomes its resource class);
    returns the library's `Bundle`. Raises `FhirExportError` when it is not a valid R4
    Bundle (bad JSON, unknown or mistyped elements, malformed dates, missing required)."""
    try:
        js = json.loads(data) if isinstance(data, bytes | str) else dict(data)
    except ValueError:
        raise FhirExportError("The file is not JSON.") from None
    if not isinstance(js, dict) or js.get("resourceType") != "Bundle":
        raise FhirExportError("The JSON is not a FHIR Bundle.")
    try:
        bundle = _models()["Bundle"](js)
        bundle.as_json()
    # The library raises a bare Exception for an entry whose resourceType it cannot build.
    except Exception as exc:
        raise FhirExportError(f"The FHIR Bundle was refused: {exc}") from None
    return bundle


def resource_counts(bundle: Mapping[str, Any]) -> dict[str, int]:
    """How many resources of each type the bundle holds (for the audit trail)."""
    found = Counter(e["resource"]["resourceType"] for e in bundle.get("entry", ()))
    return dict(sorted(found.items()))


def namespace(npi: str) -> uuid.UUID:
    return uuid.uuid5(_BASE_NAMESPACE, npi or "-")


def gender(sex: str) -> str:
    """administrative-gender from the app's sex code; anything unknown is "unknown"."""
    return GENDERS.get(sex.strip().upper(), "unknown")


def is_loinc(code: str) -> bool:
    """A LOINC code's shape, with its mod-10 (Luhn) check digit right."""
    m = _LOINC_SHAPE.match(code.strip())
    if not m:
        return False
    digits = [int(c) for c in m.group(1) + m.group(2)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        total += d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2)
    return total % 10 == 0


def observation_category(code: str) -> str | None:
    if code in VITAL_SIGNS:
        return "vital-signs"
    if code in LABORATORY:
        return "laboratory"
    if code in SOCIAL_HISTORY:
        return "social-history"
    return None


# --- the resources -----------------------------------------------------------------------------
def _record_entries(record: PatientRecord, ids: _Ids, as_of: date,
                    source: ExportSource) -> list[dict[str, Any]]:
    p = record.patient
    subject = {"reference": ids.urn("Patient", p.id)}
    encounters = {e.id: ids.urn("Encounter", e.id) for e in record.encounters}
    made = [(ids.urn("Patient", p.id), patient_json(p, source))]
    made += [(ids.urn("Condition", c.id), condition_json(c, subject)) for c in record.problems]
    made += [(encounters[e.id], encounter_json(e, subject, as_of)) for e in record.encounters]
    made += [(ids.urn("Observation", o.id),
              observation_json(o, subject, encounters.get(o.encounter_id or 0)))
             for o in record.observations]
    made += [(ids.urn("Coverage", c.id), coverage_json(c, subject, as_of))
             for c in record.coverages]
    return [_entry(urn, js) for urn, js in made]


def _entry(urn: str, js: dict[str, Any]) -> dict[str, Any]:
    js = _pruned(js)
    js["id"] = urn.removeprefix("urn:uuid:")
    return {"fullUrl": urn, "resource": _validated(js)}


@functools.cache
def _models() -> dict[str, Any]:
    """The R4 model classes, imported on first use: importing fhirclient imports `requests`
    (its server client, which this module never uses), about 0.15 s that the window's cold
    start should not pay for an export the clerk may never run."""
    from fhirclient.models import bundle, condition, coverage, encounter, observation, patient
    from fhirclient.models.fhirabstractbase import FHIRValidationError

    return {"Bundle": bundle.Bundle, "Patient": patient.Patient,
            "Condition": condition.Condition, "Encounter": encounter.Encounter,
            "Observation": observation.Observation, "Coverage": coverage.Coverage,
            "FHIRValidationError": FHIRValidationError}


def _validated(js: dict[str, Any]) -> dict[str, Any]:
    """The resource's JSON as its model gives it back: building the model checks elements,
    types and dates; `as_json` checks that every required element is there."""
    models = _models()
    kind = js["resourceType"]
    try:
        return dict(models[kind](js).as_json())
    except models["FHIRValidationError"] as exc:
        raise FhirExportError(f"The FHIR {kind} was refused: {exc}") from None


def patient_json(p: PatientDemographics, source: ExportSource) -> dict[str, Any]:
    """Patient (https://hl7.org/fhir/R4/patient.html)."""
    return {
        "resourceType": "Patient",
        "identifier": [{
            "use": "usual",
            "type": {"coding": [_coding(V2_0203, "MR", "Medical record number")],
                     "text": "MRN"},
            "system": MRN_SYSTEM, "value": p.mrn,
            "assigner": {"display": source.name},
        }],
        "active": True,
        "name": [{"use": "official", "family": p.last_name,
                  "given": [p.first_name, p.middle_name]},
                 {"use": "usual", "family": p.last_name, "given": [p.preferred_name]}
                 if p.preferred_name.strip() else {}],
        "telecom": [_phone(p.phone, "home"), _phone(p.mobile_phone, "mobile"),
                    _phone(p.work_phone, "work"),
                    {"system": "email", "value": p.email} if p.email.strip() else {}],
        "gender": gender(p.sex),
        "birthDate": p.birth_date.isoformat(),
        "address": [_address(p)],
        "communication": [{"language": {"text": p.language}}] if p.language.strip() else [],
    }


def _phone(number: str, use: str) -> dict[str, Any]:
    if not number.strip():
        return {}
    digits = number.strip()
    text = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else digits
    return {"system": "phone", "value": text, "use": use}


def _address(p: PatientDemographics) -> dict[str, Any]:
    parts = {"line": [p.address1, p.address2], "city": p.city, "state": p.state,
             "postalCode": zip_text(p.zip)}
    if all(_pruned(v) is None for v in parts.values()):
        return {}
    return {"use": "home", "type": "both", **parts, "country": "US"}


def zip_text(z: str) -> str:
    z = z.strip()
    return f"{z[:5]}-{z[5:]}" if len(z) == 9 else z


def condition_json(c: ProblemEntry, subject: dict[str, str]) -> dict[str, Any]:
    """Condition (https://hl7.org/fhir/R4/condition.html) on the problem list."""
    status = c.status if c.status in CLINICAL_STATUSES else "active"
    abated = status != "active" and c.resolved is not None  # con-4
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [_coding(CONDITION_CLINICAL, status,
                                              CLINICAL_STATUSES[status])]},
        "category": [{"coding": [_coding(CONDITION_CATEGORY, "problem-list-item",
                                         "Problem List Item")]}],
        "code": {"coding": [_coding(ICD10CM, c.code.strip().upper(), c.description)],
                 "text": c.description},
        "subject": subject,
        "onsetDateTime": _iso(c.onset),
        "abatementDateTime": _iso(c.resolved) if abated else None,
    }


def encounter_json(e: EncounterEntry, subject: dict[str, str], as_of: date) -> dict[str, Any]:
    """Encounter (https://hl7.org/fhir/R4/encounter.html): one visit on one day."""
    klass, klass_display = ENCOUNTER_CLASSES.get(e.pos, AMBULATORY)
    pos_name = PLACE_OF_SERVICE.get(e.pos, "")
    return {
        "resourceType": "Encounter",
        "status": "planned" if e.date > as_of else "finished",
        "class": _coding(V3_ACT_CODE, klass, klass_display),
        "type": [{"coding": [_coding(POS_SYSTEM, e.pos, pos_name)], "text": pos_name}]
        if e.pos.strip() else [],
        "subject": subject,
        "participant": [{
            "type": [{"coding": [_coding(PARTICIPATION_TYPE, "PPRF", "primary performer")]}],
            "individual": _party("Practitioner", e.provider_npi, e.provider_name),
        }] if e.provider_npi.strip() or e.provider_name.strip() else [],
        "period": {"start": _iso(e.date), "end": _iso(e.date)},
        "reasonCode": [{"text": e.reason}],
        "location": [{"location": _party("Location", e.facility_npi, e.facility_name)}]
        if e.facility_npi.strip() or e.facility_name.strip() else [],
    }


def _party(kind: str, npi: str, name: str) -> dict[str, Any]:
    """A logical reference (by NPI and name): the bundle carries no Practitioner/Location."""
    return {"type": kind, "identifier": {"system": NPI, "value": npi} if npi.strip() else {},
            "display": name}


def observation_json(o: ObservationEntry, subject: dict[str, str],
                     encounter: str | None) -> dict[str, Any]:
    """Observation (https://hl7.org/fhir/R4/observation.html): a vital sign, lab or
    smoking status."""
    code = o.code.strip()
    category = observation_category(code)
    system = LOINC if is_loinc(code) else LOCAL_CODE_SYSTEM
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [_coding(OBSERVATION_CATEGORY, category,
                                          CATEGORY_DISPLAY[category])]}] if category else [],
        "code": {"coding": [_coding(system, code, o.name)], "text": o.name},
        "subject": subject,
        "encounter": {"reference": encounter} if encounter else {},
        "effectiveDateTime": _iso(o.observed_on),
        **_value(o, code),
    }


def _value(o: ObservationEntry, code: str) -> dict[str, Any]:
    """value[x]: a Quantity for a number, SNOMED CT for a known smoking status, else text."""
    if o.value is not None:
        unit = o.unit.strip()
        quantity: dict[str, Any] = {"value": _number(o.value), "unit": UNIT_TEXT.get(unit, unit)}
        if unit in UCUM_UNITS:
            quantity |= {"system": UCUM, "code": unit}
        return {"valueQuantity": quantity}
    text = o.value_text.strip()
    if code == SMOKING_STATUS and text in SMOKING_CODES:
        return {"valueCodeableConcept": {"coding": [_coding(SNOMED, SMOKING_CODES[text], text)],
                                         "text": text}}
    return {"valueString": text}


def _number(value: Decimal) -> int | float:
    if not value.is_finite():
        raise FhirExportError("An observation value is not a finite number.")
    return int(value) if value == value.to_integral_value() else float(value)


def coverage_json(c: CoverageEntry, subject: dict[str, str], as_of: date) -> dict[str, Any]:
    """Coverage (https://hl7.org/fhir/R4/coverage.html)."""
    relationship = RELATIONSHIPS.get(c.relationship, "other")
    ended = c.end is not None and c.end < as_of
    return {
        "resourceType": "Coverage",
        "status": "cancelled" if ended else "active",
        "subscriber": subject if relationship == "self" else {"display": c.subscriber_name},
        "subscriberId": c.member_id,
        "beneficiary": subject,
        "relationship": {"coding": [_coding(SUBSCRIBER_RELATIONSHIP, relationship,
                                            RELATIONSHIP_DISPLAY[relationship])]},
        "period": {"start": _iso(c.start), "end": _iso(c.end)},
        "payor": [{"type": "Organization", "display": c.payer_name,
                   "identifier": {"system": PAYER_ID_SYSTEM, "value": c.payer_id}}],
        "class": [{"type": {"coding": [_coding(COVERAGE_CLASS, "group", "Group")]},
                   "value": c.group_number, "name": c.group_name}]
        if c.group_number.strip() else [],
        "order": c.order,
    }


def _coding(system: str, code: str, display: str = "") -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _pruned(value: Any) -> Any:
    """Drop None, blank strings and empty lists/objects (FHIR allows none of them), and
    trim strings; what is left is what the resource says."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        out = {k: v for k, v in ((k, _pruned(v)) for k, v in value.items()) if v is not None}
        return out or None
    if isinstance(value, list):
        items = [v for v in (_pruned(v) for v in value) if v is not None]
        return items or None
    return value
