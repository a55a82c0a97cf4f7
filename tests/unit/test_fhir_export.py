"""FHIR R4 export: bundles that the fhirclient R4 models read back, the right codings and
values for each resource, references that resolve inside the bundle, stable bytes, merged
records refused or left out, several patients in one bundle, the audit trail (counts only),
and who may export. The pure format is tested without a database too."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fhirclient.models.condition import Condition as FhirCondition
from fhirclient.models.coverage import Coverage as FhirCoverage
from fhirclient.models.encounter import Encounter as FhirEncounter
from fhirclient.models.observation import Observation as FhirObservation
from fhirclient.models.patient import Patient as FhirPatient
from sqlalchemy import event, select

from app.errors import NotSignedIn, PermissionDenied, UserError
from app.formats import fhir_export as fx
from app.formats import observations as obs
from app.models import AuditEvent
from app.services import Services
from app.services.coverage import CoverageData
from app.services.fhir_export import MAX_PATIENTS, FhirExportService
from app.services.history import EncounterData, ObservationData, ProblemData
from tests.unit.claim_fixtures import NPI_PRACTICE, NPI_PROVIDER, Clinic, clinic, cover, patient

TODAY = date.today()
VISIT = TODAY - timedelta(days=30)
MODELS = {"Patient": FhirPatient, "Condition": FhirCondition, "Encounter": FhirEncounter,
          "Observation": FhirObservation, "Coverage": FhirCoverage}


# --- helpers -------------------------------------------------------------------------------------
def parsed(data: bytes) -> dict[str, Any]:
    """The bundle as JSON, after checking it reads back through the R4 models."""
    bundle = fx.read_bundle(data)
    for entry in bundle.entry:
        kind = entry.resource.resource_type
        assert isinstance(entry.resource, MODELS[kind])
    out: dict[str, Any] = json.loads(data)
    return out


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", ()) if
            e["resource"]["resourceType"] == kind]


def codings(concept: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in concept["coding"]]


def references(value: Any) -> list[str]:
    """Every Reference.reference anywhere in a JSON value."""
    if isinstance(value, dict):
        own = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return own + [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


def blanks(value: Any, path: str = "") -> list[str]:
    """Paths of empty strings, lists or objects (FHIR allows none of them)."""
    if value in ("", [], {}) or (isinstance(value, str) and not value.strip()):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in blanks(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in blanks(v, f"{path}[{i}]")]
    return []


def by_code(bundle: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {r["code"]["coding"][0]["code"]: r for r in resources(bundle, kind)}


def export_events(sv: Services, action: str = "fhir.export") -> list[AuditEvent]:
    with sv.db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.scalars(q))


# --- the pure format (no database) ---------------------------------------------------------------
def demo_record(pid: int = 1, **kw: Any) -> fx.PatientRecord:
    person = fx.PatientDemographics(
        pid, f"M{pid:07d}", "Doe", "Jane", date(1980, 5, 17), "F", middle_name="Q",
        address1="12 Elm St", city="Springfield", state="IL", zip="627041234",
        phone="2175550199", email="jane@example.com")
    values: dict[str, Any] = dict(
        problems=(fx.ProblemEntry(10 * pid, "E11.9", "Type 2 diabetes", date(2020, 5, 1)),),
        encounters=(fx.EncounterEntry(10 * pid, date(2024, 3, 1), "Smith, Anna MD",
                                      NPI_PROVIDER, "Maple Annex", "", "11", "Follow-up"),),
        observations=(fx.ObservationEntry(10 * pid, "4548-4", "Hemoglobin A1c",
                                          date(2024, 3, 1), Decimal("7.25"), unit="%",
                                          encounter_id=10 * pid),),
        coverages=(fx.CoverageEntry(10 * pid, "Acme Health", "ACME1", "W123", date(2020, 1, 1),
                                    order=1),),
    )
    values.update(kw)
    return fx.PatientRecord(person, **values)


def build(*records: fx.PatientRecord, as_of: date = date(2025, 1, 1)) -> dict[str, Any]:
    return parsed(fx.export_bytes(records, as_of=as_of,
                                  source=fx.ExportSource("Maple", NPI_PRACTICE)))


@pytest.mark.parametrize(("sex", "gender"), [("M", "male"), ("F", "female"), ("U", "unknown"),
                                             ("f", "female"), ("X", "unknown"), ("", "unknown")])
def test_the_app_sex_codes_map_to_administrative_gender(sex: str, gender: str) -> None:
    rec = demo_record()
    rec = replace(rec, patient=replace(rec.patient, sex=sex))
    assert resources(build(rec), "Patient")[0]["gender"] == gender


def test_a_date_the_model_cannot_read_is_refused() -> None:
    rec = demo_record()
    # A datetime passes for a date in Python, but FHIR's birthDate has no time part.
    rec = replace(rec, patient=replace(rec.patient, birth_date=datetime(1980, 5, 17, 9, 30)))
    with pytest.raises(fx.FhirExportError, match="birthDate"):
        fx.build_bundle([rec], as_of=TODAY)


@pytest.mark.parametrize("damage", [
    lambda b: b["entry"][0]["resource"].__setitem__("birthDate", "1980-02-30"),
    lambda b: b["entry"][0]["resource"].__setitem__("birthDay", "1980-02-03"),
    lambda b: resources(b, "Observation")[0].pop("status"),
    lambda b: resources(b, "Coverage")[0].__setitem__("order", "first"),
    lambda b: b.__setitem__("resourceType", "Patient"),
])
def test_reading_back_refuses_what_r4_does_not_allow(damage: Any) -> None:
    bundle = fx.build_bundle([demo_record()], as_of=TODAY)
    fx.read_bundle(fx.bundle_bytes(bundle))
    damage(bundle)
    with pytest.raises(fx.FhirExportError):
        fx.read_bundle(fx.bundle_bytes(bundle))


def test_reading_back_refuses_what_is_not_json() -> None:
    with pytest.raises(fx.FhirExportError, match="not JSON"):
        fx.read_bundle(b"\x00not json")


def test_no_empty_values_go_out_for_a_sparse_record() -> None:
    bare = fx.PatientRecord(fx.PatientDemographics(1, "M1", "Doe", "Jane", date(1980, 1, 1), "U"),
                            encounters=(fx.EncounterEntry(1, date(2024, 1, 1)),),
                            coverages=(fx.CoverageEntry(1, "Acme", "ACME1", "W1",
                                                        date(2020, 1, 1)),))
    bundle = build(bare, demo_record(2))
    assert blanks(bundle) == []
    patient0 = resources(bundle, "Patient")[0]
    assert "telecom" not in patient0 and "address" not in patient0
    assert patient0["name"] == [{"use": "official", "family": "Doe", "given": ["Jane"]}]


def test_loinc_is_claimed_only_for_well_formed_loinc_codes() -> None:
    assert all(fx.is_loinc(k.code) for k in obs.KNOWN.values())
    assert not fx.is_loinc("8480-7")  # wrong check digit
    assert not fx.is_loinc("GLU")
    rec = demo_record(observations=(
        fx.ObservationEntry(1, "GLU-POC", "Fingerstick glucose", date(2024, 1, 1),
                            Decimal("104"), unit="mg/dL"),
        fx.ObservationEntry(2, "8302-2", "Body height", date(2024, 1, 1), Decimal("65.5"),
                            unit="[in_i]"),
        fx.ObservationEntry(3, "99999-9", "Something", date(2024, 1, 1), Decimal("3"),
                            unit="widgets")))
    got = {r["code"]["text"]: r for r in resources(build(rec), "Observation")}
    assert codings(got["Fingerstick glucose"]["code"]) == [(fx.LOCAL_CODE_SYSTEM, "GLU-POC")]
    assert "category" not in got["Fingerstick glucose"]
    assert got["Body height"]["valueQuantity"] == {
        "value": 65.5, "unit": "in", "system": fx.UCUM, "code": "[in_i]"}
    # A unit that is not known to be UCUM goes out as text only (qty-3).
    assert got["Something"]["valueQuantity"] == {"value": 3, "unit": "widgets"}


def test_condition_abatement_only_with_a_status_that_allows_it() -> None:
    rec = demo_record(problems=(
        fx.ProblemEntry(1, "J06.9", "Acute URI", date(2021, 1, 1), date(2021, 2, 1), "resolved"),
        fx.ProblemEntry(2, "I10", "Hypertension", date(2019, 1, 1), date(2021, 2, 1), "active"),
        fx.ProblemEntry(3, "M54.50", "Low back pain", None, None, "inactive")))
    got = by_code(build(rec), "Condition")
    assert got["J06.9"]["abatementDateTime"] == "2021-02-01"
    assert "abatementDateTime" not in got["I10"]  # con-4: an active condition has not abated
    assert codings(got["M54.50"]["clinicalStatus"]) == [(fx.CONDITION_CLINICAL, "inactive")]
    assert "onsetDateTime" not in got["M54.50"]


def test_encounter_class_and_status_follow_place_and_date() -> None:
    rec = demo_record(encounters=(
        fx.EncounterEntry(1, date(2024, 1, 1), pos="02"),
        fx.EncounterEntry(2, date(2024, 1, 2), pos="23"),
        fx.EncounterEntry(3, date(2025, 2, 1), pos="11")))
    got = {e["period"]["start"]: e for e in resources(build(rec), "Encounter")}
    assert got["2024-01-01"]["class"]["code"] == "VR"
    assert got["2024-01-02"]["class"]["code"] == "EMER"
    assert (got["2025-02-01"]["class"]["code"], got["2025-02-01"]["status"]) == ("AMB", "planned")
    assert got["2024-01-01"]["status"] == "finished"


def test_coverage_status_relationship_and_subscriber() -> None:
    rec = demo_record(coverages=(
        fx.CoverageEntry(1, "Acme", "ACME1", "W1", date(2020, 1, 1), date(2023, 12, 31), 1),
        fx.CoverageEntry(2, "Bravo", "BRAVO", "B2", date(2024, 1, 1), None, 1, "01",
                         "Doe, John", "G77", "Plant workers")))
    got = {c["subscriberId"]: c for c in resources(build(rec), "Coverage")}
    assert got["W1"]["status"] == "cancelled"
    assert got["W1"]["subscriber"] == got["W1"]["beneficiary"]
    assert codings(got["W1"]["relationship"]) == [(fx.SUBSCRIBER_RELATIONSHIP, "self")]
    b2 = got["B2"]
    assert b2["status"] == "active"
    assert b2["subscriber"] == {"display": "Doe, John"}
    assert codings(b2["relationship"]) == [(fx.SUBSCRIBER_RELATIONSHIP, "spouse")]
    assert b2["class"] == [{"type": {"coding": [{"system": fx.COVERAGE_CLASS, "code": "group",
                                                 "display": "Group"}]},
                            "value": "G77", "name": "Plant workers"}]


def test_the_same_record_gives_the_same_bytes_and_another_clinic_other_ids() -> None:
    rec = demo_record()
    one = fx.export_bytes([rec], as_of=TODAY, source=fx.ExportSource("Maple", NPI_PRACTICE))
    two = fx.export_bytes([rec], as_of=TODAY, source=fx.ExportSource("Maple", NPI_PRACTICE))
    other = fx.export_bytes([rec], as_of=TODAY, source=fx.ExportSource("Oak", "1003000126"))
    assert one == two
    urls = {e["fullUrl"] for e in json.loads(one)["entry"]}
    assert urls.isdisjoint(e["fullUrl"] for e in json.loads(other)["entry"])


# --- the service, on a real clinic ---------------------------------------------------------------
@pytest.fixture
def fhir(admin: Services) -> FhirExportService:
    return FhirExportService(admin.db, admin.ctx)


@pytest.fixture
def world(admin: Services) -> Clinic:
    return clinic(admin)


def chart(sv: Services, c: Clinic, pid: int) -> int:
    """A full record: two problems, a visit with vitals, a lab and smoking status, and a
    primary and a secondary coverage. Returns the visit's id."""
    h = sv.history
    h.save(ProblemData(pid, "E11.9", "Type 2 diabetes mellitus", onset=date(2020, 5, 1)))
    h.save(ProblemData(pid, "J06.9", "Acute upper respiratory infection", onset=date(2023, 1, 2),
                       resolved=date(2023, 1, 20), status="resolved"))
    enc = h.save(EncounterData(pid, VISIT, provider_id=c.provider_id, facility_id=c.facility_id,
                               pos="11", reason="Diabetes follow-up"))
    assert enc.id is not None
    h.record_vitals(pid, VISIT, systolic=Decimal(128), diastolic=Decimal(82),
                    weight_lb=Decimal("180.5"), height_in=Decimal(66), encounter_id=enc.id)
    h.save(ObservationData(pid, obs.HBA1C.code, obs.HBA1C.name, VISIT, value=Decimal("7.25"),
                           unit=obs.HBA1C.unit, encounter_id=enc.id))
    h.save(ObservationData(pid, obs.SMOKING.code, obs.SMOKING.name, VISIT,
                           value_text="Former smoker"))
    cover(sv, pid, c.payer_id)
    sv.coverage.save(CoverageData(pid, c.other_payer_id, "B55501", date(2020, 1, 1),
                                  group_number="grp-9", relationship="01",
                                  subscriber_last_name="Doe", subscriber_first_name="John",
                                  subscriber_dob=date(1978, 2, 2), subscriber_sex="M"))
    return enc.id


def test_a_patient_bundle_reads_back_with_every_resource(admin: Services, world: Clinic,
                                                         fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    chart(admin, world, pid)
    bundle = parsed(fhir.patient_bundle(pid))
    assert bundle["type"] == "collection"
    assert fx.resource_counts(bundle) == {"Condition": 2, "Coverage": 2, "Encounter": 1,
                                          "Observation": 7, "Patient": 1}
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert all(u.startswith("urn:uuid:") for u in full_urls) and len(set(full_urls)) == 7 + 6
    assert all(e["fullUrl"] == f"urn:uuid:{e['resource']['id']}" for e in bundle["entry"])
    # Every reference points at a resource of this bundle.
    assert set(references(bundle)) <= set(full_urls)
    assert blanks(bundle) == []


def test_patient_demographics_and_mrn(admin: Services, world: Clinic,
                                      fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    (p,) = resources(parsed(fhir.patient_bundle(pid)), "Patient")
    assert p["identifier"] == [{
        "use": "usual", "system": fx.MRN_SYSTEM, "value": "M0000001",
        "type": {"coding": [{"system": fx.V2_0203, "code": "MR",
                             "display": "Medical record number"}], "text": "MRN"},
        "assigner": {"display": "Maple Family Practice"}}]
    assert (p["gender"], p["birthDate"]) == ("female", "1980-05-17")
    assert p["name"][0] == {"use": "official", "family": "Doe", "given": ["Jane"]}
    assert p["telecom"] == [{"system": "phone", "value": "(217) 555-0199", "use": "home"}]
    assert p["address"] == [{"use": "home", "type": "both", "line": ["12 Elm St"],
                             "city": "Springfield", "state": "IL", "postalCode": "62704",
                             "country": "US"}]


def test_conditions_are_icd10cm_problems_active_or_resolved(admin: Services, world: Clinic,
                                                            fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    chart(admin, world, pid)
    bundle = parsed(fhir.patient_bundle(pid))
    (patient_url,) = [e["fullUrl"] for e in bundle["entry"]
                      if e["resource"]["resourceType"] == "Patient"]
    got = by_code(bundle, "Condition")
    dm, uri = got["E11.9"], got["J06.9"]
    assert codings(dm["code"]) == [(fx.ICD10CM, "E11.9")]
    assert dm["code"]["text"] == "Type 2 diabetes mellitus"
    assert codings(dm["category"][0]) == [(fx.CONDITION_CATEGORY, "problem-list-item")]
    assert codings(dm["clinicalStatus"]) == [(fx.CONDITION_CLINICAL, "active")]
    assert (dm["onsetDateTime"], "abatementDateTime" in dm) == ("2020-05-01", False)
    assert codings(uri["clinicalStatus"]) == [(fx.CONDITION_CLINICAL, "resolved")]
    assert uri["abatementDateTime"] == "2023-01-20"
    assert dm["subject"] == uri["subject"] == {"reference": patient_url}


def test_encounter_with_provider_facility_and_reason(admin: Services, world: Clinic,
                                                     fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    chart(admin, world, pid)
    (e,) = resources(parsed(fhir.patient_bundle(pid)), "Encounter")
    assert e["status"] == "finished"
    assert e["class"] == {"system": fx.V3_ACT_CODE, "code": "AMB", "display": "ambulatory"}
    assert e["period"] == {"start": VISIT.isoformat(), "end": VISIT.isoformat()}
    assert codings(e["type"][0]) == [(fx.POS_SYSTEM, "11")]
    assert e["reasonCode"] == [{"text": "Diabetes follow-up"}]
    who = e["participant"][0]["individual"]
    assert who == {"type": "Practitioner", "display": "Smith, Anna MD",
                   "identifier": {"system": fx.NPI, "value": NPI_PROVIDER}}
    assert e["location"] == [{"location": {"type": "Location", "display": "Maple Annex"}}]


def test_observations_numeric_with_ucum_and_text_as_snomed(admin: Services, world: Clinic,
                                                           fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    chart(admin, world, pid)
    bundle = parsed(fhir.patient_bundle(pid))
    (enc_url,) = [e["fullUrl"] for e in bundle["entry"]
                  if e["resource"]["resourceType"] == "Encounter"]
    got = by_code(bundle, "Observation")
    assert all(codings(o["code"]) == [(fx.LOINC, code)] for code, o in got.items())
    assert all(o["status"] == "final" and o["effectiveDateTime"] == VISIT.isoformat()
               for o in got.values())

    def category(code: str) -> str:
        (coding,) = got[code]["category"][0]["coding"]
        assert coding["system"] == fx.OBSERVATION_CATEGORY
        return str(coding["code"])

    assert {category(k.code) for k in (obs.SYSTOLIC, obs.DIASTOLIC, obs.WEIGHT, obs.HEIGHT,
                                       obs.BMI)} == {"vital-signs"}
    assert (category(obs.HBA1C.code), category(obs.SMOKING.code)) == (
        "laboratory", "social-history")
    assert got[obs.SYSTOLIC.code]["valueQuantity"] == {
        "value": 128, "unit": "mmHg", "system": fx.UCUM, "code": "mm[Hg]"}
    assert got[obs.WEIGHT.code]["valueQuantity"] == {
        "value": 180.5, "unit": "lb", "system": fx.UCUM, "code": "[lb_av]"}
    assert got[obs.BMI.code]["valueQuantity"]["code"] == "kg/m2"
    assert got[obs.BMI.code]["valueQuantity"]["value"] == float(
        obs.bmi(Decimal("180.5"), Decimal(66)))
    assert got[obs.HBA1C.code]["valueQuantity"] == {
        "value": 7.25, "unit": "%", "system": fx.UCUM, "code": "%"}
    assert got[obs.HBA1C.code]["encounter"] == {"reference": enc_url}
    smoking = got[obs.SMOKING.code]
    assert "valueQuantity" not in smoking and "encounter" not in smoking
    assert smoking["valueCodeableConcept"] == {
        "coding": [{"system": fx.SNOMED, "code": "8517006", "display": "Former smoker"}],
        "text": "Former smoker"}


def test_coverages_with_order_member_id_and_payer(admin: Services, world: Clinic,
                                                  fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    chart(admin, world, pid)
    got = {c["order"]: c for c in resources(parsed(fhir.patient_bundle(pid)), "Coverage")}
    primary, secondary = got[1], got[2]
    assert (primary["status"], primary["subscriberId"]) == ("active", "W123456789")
    assert primary["payor"] == [{"type": "Organization", "display": "Acme Health",
                                 "identifier": {"system": fx.PAYER_ID_SYSTEM,
                                                "value": "ACME1"}}]
    assert primary["period"] == {"start": "2020-01-01"}
    assert primary["subscriber"] == primary["beneficiary"]
    assert codings(primary["relationship"]) == [(fx.SUBSCRIBER_RELATIONSHIP, "self")]
    assert secondary["subscriberId"] == "B55501"
    assert secondary["payor"][0]["identifier"]["value"] == "BRAVO"
    assert secondary["subscriber"] == {"display": "Doe, John"}
    assert codings(secondary["relationship"]) == [(fx.SUBSCRIBER_RELATIONSHIP, "spouse")]
    assert secondary["class"][0]["value"] == "GRP-9"


def test_an_ended_coverage_is_cancelled(admin: Services, world: Clinic,
                                        fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    cover(admin, pid, world.payer_id, start=date(2019, 1, 1), effective_to=date(2021, 12, 31))
    (c,) = resources(parsed(fhir.patient_bundle(pid)), "Coverage")
    assert (c["status"], c["period"], c["order"]) == (
        "cancelled", {"start": "2019-01-01", "end": "2021-12-31"}, 1)


def test_the_same_record_exports_the_same_bytes(admin: Services, world: Clinic,
                                                fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    chart(admin, world, pid)
    first = fhir.patient_bundle(pid)
    assert fhir.patient_bundle(pid) == first
    admin.history.save(ProblemData(pid, "I10", "Essential hypertension"))
    assert fhir.patient_bundle(pid) != first


def test_a_merged_record_is_refused_and_left_out(admin: Services, world: Clinic,
                                                 fhir: FhirExportService) -> None:
    keep, dup = patient(admin, 1), patient(admin, 2)
    admin.history.save(ProblemData(dup, "I10", "Essential hypertension"))
    admin.patients.merge(keep, dup)
    with pytest.raises(UserError, match="merged"):
        fhir.patient_bundle(dup)
    with pytest.raises(UserError, match="no longer exists"):
        fhir.patient_bundle(9999)
    bundle = parsed(fhir.patients_bundle([keep, dup, 9999], "Hypertension registry"))
    assert [p["identifier"][0]["value"] for p in resources(bundle, "Patient")] == ["M0000001"]
    # The merged record's problem moved with the merge and goes out under the kept patient.
    assert list(by_code(bundle, "Condition")) == ["I10"]
    (summary,) = export_events(admin, "fhir.export_bundle")
    assert json.loads(summary.details)["left_out"] == 2
    with pytest.raises(UserError, match="None of these"):
        fhir.patients_bundle([dup], "Hypertension registry")


def test_a_registry_bundle_holds_each_patients_resources(admin: Services, world: Clinic,
                                                         fhir: FhirExportService) -> None:
    a, b = patient(admin, 1), patient(admin, 2, last="Roe", first="Rita", sex="M")
    chart(admin, world, a)
    admin.history.save(ProblemData(b, "I10", "Essential hypertension"))
    cover(admin, b, world.payer_id)
    data = fhir.patients_bundle([b, a, b], "Diabetes registry")
    bundle = parsed(data)
    urls = {r["identifier"][0]["value"]: f"urn:uuid:{r['id']}"
            for r in resources(bundle, "Patient")}
    assert set(urls) == {"M0000001", "M0000002"}

    def owned(kind: str, patient_url: str) -> int:
        key = "beneficiary" if kind == "Coverage" else "subject"
        return sum(r[key]["reference"] == patient_url for r in resources(bundle, kind))

    assert [owned(k, urls["M0000001"]) for k in ("Condition", "Observation", "Coverage")] == [
        2, 7, 2]
    assert [owned(k, urls["M0000002"]) for k in ("Condition", "Observation", "Coverage")] == [
        1, 0, 1]
    assert set(references(bundle)) <= {e["fullUrl"] for e in bundle["entry"]}
    # The order of the list does not change the bundle.
    assert fhir.patients_bundle([a, b], "Diabetes registry") == data


def test_exports_are_audited_with_counts_and_no_patient_data(admin: Services, world: Clinic,
                                                             fhir: FhirExportService) -> None:
    a, b = patient(admin, 1), patient(admin, 2, last="Roe", first="Rita")
    chart(admin, world, a)
    fhir.patient_bundle(a)
    (one,) = export_events(admin)
    assert (one.username, one.entity, one.entity_id, one.patient_id) == (
        "admin", "patient", str(a), a)
    assert json.loads(one.details) == {"resources": {
        "Condition": 2, "Coverage": 2, "Encounter": 1, "Observation": 7, "Patient": 1}}
    fhir.patients_bundle([a, b], "Diabetes registry")
    per_patient = export_events(admin)[1:]
    assert [(e.patient_id, json.loads(e.details)) for e in per_patient] == [
        (a, {"purpose": "Diabetes registry", "resources": {
            "Condition": 2, "Coverage": 2, "Encounter": 1, "Observation": 7, "Patient": 1}}),
        (b, {"purpose": "Diabetes registry", "resources": {"Patient": 1}})]
    (summary,) = export_events(admin, "fhir.export_bundle")
    assert json.loads(summary.details) == {
        "purpose": "Diabetes registry", "patients": 2, "left_out": 0, "resources": {
            "Condition": 2, "Coverage": 2, "Encounter": 1, "Observation": 7, "Patient": 2}}
    everything = " ".join(e.details for e in [*export_events(admin), summary])
    for secret in ("Doe", "Jane", "Roe", "M000000", "1980", "E11", "W123456789", "Acme"):
        assert secret not in everything
    assert admin.audit.verify().ok


def test_reading_a_registry_takes_the_same_few_queries_for_any_size(
        admin: Services, world: Clinic, fhir: FhirExportService) -> None:
    def selects(pids: list[int]) -> int:
        seen: list[str] = []

        def count(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        event.listen(admin.db.engine, "before_cursor_execute", count)
        try:
            fhir.patients_bundle(pids, "Diabetes registry")
        finally:
            event.remove(admin.db.engine, "before_cursor_execute", count)
        return len(seen)

    pids = [patient(admin, n) for n in range(1, 9)]
    for pid in pids:
        chart(admin, world, pid)
    assert selects(pids[:1]) == selects(pids) <= 8


def test_a_registry_export_checks_its_list_and_purpose(admin: Services, world: Clinic,
                                                       fhir: FhirExportService) -> None:
    pid = patient(admin, 1)
    with pytest.raises(UserError, match="at least one"):
        fhir.patients_bundle([], "Diabetes registry")
    with pytest.raises(UserError, match="5,000"):
        fhir.patients_bundle(range(1, MAX_PATIENTS + 2), "Diabetes registry")
    with pytest.raises(UserError, match="what the export is for"):
        fhir.patients_bundle([pid], "   ")
    with pytest.raises(UserError, match="80 characters"):
        fhir.patients_bundle([pid], "x" * 81)
    assert export_events(admin) == []
    fhir.patients_bundle([pid], "  Diabetes\n registry ")
    assert json.loads(export_events(admin)[0].details)["purpose"] == "Diabetes registry"


def test_nobody_signed_in_may_not_export(services: Services) -> None:
    fhir = FhirExportService(services.db, services.ctx)
    with pytest.raises(NotSignedIn):
        fhir.patient_bundle(1)
    with pytest.raises(PermissionDenied):
        fhir.patients_bundle([1], "Diabetes registry")
