"""The chart and its history rows: audited opens, the timeline, checks, vitals with BMI,
optimistic locking, exact decimals, and who may edit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.formats import observations as obs
from app.formats.names import fold
from app.models import AuditEvent, Observation, Patient, Provider
from app.models.types import ScaledDecimal
from app.services import Services
from app.services.history import (
    AllergyData,
    EncounterData,
    MedicationData,
    ObservationData,
    ProblemData,
)
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user

TODAY = date.today()
FUTURE = TODAY + timedelta(days=2)


def events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        q = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.scalars(q))


def sign_in_as(sv: Services, role: str) -> None:
    name = f"{role.replace('_', '')}1"
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    sv.users.sign_in(name, add_user(sv, name, role))


@pytest.fixture
def pid(admin: Services) -> int:
    with admin.db.session() as s:
        p = Patient(mrn="M0000001", last_name="Chart", first_name="Carla", dob=date(1970, 1, 1),
                    sex="F", last_key=fold("Chart"), first_key=fold("Carla"))
        s.add(p)
        s.flush()
        return p.id


def a1c(pid: int, value: Any = Decimal("7.25"), on: date = date(2024, 3, 1),
        **kw: Any) -> ObservationData:
    return ObservationData(pid, obs.HBA1C.code, obs.HBA1C.name, on, value=value,
                           unit=obs.HBA1C.unit, **kw)


def observation_count(sv: Services) -> int:
    with sv.db.session() as s:
        return len(s.scalars(select(Observation.id)).all())


# --- the chart -----------------------------------------------------------------------------------
def test_every_chart_open_is_audited_with_the_patient(admin: Services, pid: int) -> None:
    admin.history.open_chart(pid)
    admin.history.open_chart(pid)
    opens = events(admin, "chart.open")
    assert [(e.patient_id, e.entity, e.entity_id, e.username) for e in opens] == [
        (pid, "patient", str(pid), ADMIN)] * 2


def test_opening_a_missing_chart_is_a_clear_error(admin: Services) -> None:
    with pytest.raises(UserError, match="no longer exists"):
        admin.history.open_chart(999)
    assert events(admin, "chart.open") == []


def test_the_chart_holds_what_was_saved(admin: Services, pid: int) -> None:
    with admin.db.session() as s:
        doc = Provider(last_name="Wells", first_name="Ada", credential="MD", npi="1234567893")
        s.add(doc)
        s.flush()
        prov = doc.id
    h = admin.history
    prob = h.save(ProblemData(pid, "E11.9", "Type 2 diabetes", onset=date(2020, 5, 1)))
    med = h.save(MedicationData(pid, "Metformin", "500 mg twice a day", date(2020, 5, 2)))
    allergy = h.save(AllergyData(pid, "Penicillin", "hives", "moderate"))
    enc = h.save(EncounterData(pid, date(2024, 3, 1), provider_id=prov, pos="11",
                               reason="Diabetes follow-up", note="Doing well"))
    ob = h.save(a1c(pid, encounter_id=enc.id))
    smoke = h.save(ObservationData(pid, obs.SMOKING.code, obs.SMOKING.name, date(2024, 3, 1),
                                   value_text="Never smoker"))
    chart = h.open_chart(pid)
    assert chart.header.id == pid and chart.header.data.ssn is None
    assert chart.problems == [prob] and prob.id is not None and prob.version == 1
    assert chart.medications == [med]
    assert chart.allergies == [allergy]
    assert chart.encounters == [enc]
    assert {o.id for o in chart.observations} == {ob.id, smoke.id}
    (saved,) = [o for o in chart.observations if o.id == ob.id]
    assert saved.value == Decimal("7.25") and saved.encounter_id == enc.id
    assert chart.provider_names[prov].startswith("Wells, Ada")
    visit = [e for e in chart.timeline() if e.kind == "encounter"]
    assert visit[0].title == "Diabetes follow-up" and visit[0].detail.startswith("Wells, Ada")
    texts = {e.detail for e in chart.timeline({"observation"})}
    assert texts == {"7.25 %", "Never smoker"}


def test_timeline_is_newest_first_and_filters(admin: Services, pid: int) -> None:
    h = admin.history
    e1 = h.save(EncounterData(pid, date(2021, 1, 10), reason="first visit"))
    e2 = h.save(EncounterData(pid, date(2023, 6, 1), reason="second visit"))
    p1 = h.save(ProblemData(pid, "I10", "Hypertension", onset=date(2022, 2, 2)))
    p0 = h.save(ProblemData(pid, "Z00.00", "No onset recorded"))
    o1 = h.save(a1c(pid, on=date(2024, 3, 1)))
    o2 = h.save(a1c(pid, Decimal("6.9"), on=date(2020, 7, 7)))
    chart = h.open_chart(pid)
    assert [(e.kind, e.ref_id) for e in chart.timeline()] == [
        ("observation", o1.id), ("encounter", e2.id), ("problem", p1.id),
        ("encounter", e1.id), ("observation", o2.id), ("problem", p0.id)]
    whens = [e.when for e in chart.timeline()]
    assert whens == sorted(whens, reverse=True)
    assert [e.ref_id for e in chart.timeline({"encounter"})] == [e2.id, e1.id]
    assert [e.ref_id for e in chart.timeline({"problem", "observation"})] == [
        o1.id, p1.id, o2.id, p0.id]
    between = chart.timeline(date_from=date(2021, 1, 10), date_to=date(2023, 6, 1))
    assert [e.ref_id for e in between] == [e2.id, p1.id, e1.id]  # both ends included
    assert [e.ref_id for e in chart.timeline({"observation"}, date_from=date(2022, 1, 1))] == [
        o1.id]
    assert chart.timeline({"encounter"}, date_from=date(2025, 1, 1)) == []


# --- saving, audited -----------------------------------------------------------------------------
def test_create_update_delete_are_audited_with_field_names(admin: Services, pid: int) -> None:
    h = admin.history
    p = h.save(ProblemData(pid, "J45.909", "Asthma", onset=date(2019, 1, 1)))
    (created,) = events(admin, "problem.create")
    assert (created.patient_id, created.entity_id) == (pid, str(p.id))
    assert json.loads(created.details)["fields"] == [
        "code", "description", "onset", "patient_id", "resolved", "status"]
    p2 = h.save(replace(p, status="resolved", resolved=date(2023, 1, 1)))
    assert p2.version == p.version + 1
    (updated,) = events(admin, "problem.update")
    assert json.loads(updated.details)["fields"] == ["resolved", "status"]
    assert "Asthma" not in updated.details
    h.delete(p2)
    (deleted,) = events(admin, "problem.delete")
    assert (deleted.patient_id, deleted.entity_id) == (pid, str(p.id))
    assert h.open_chart(pid).problems == []
    with pytest.raises(UserError, match="no longer exists"):
        h.delete(p2)


def test_deleting_an_encounter_keeps_its_observations(admin: Services, pid: int) -> None:
    enc = admin.history.save(EncounterData(pid, date(2024, 1, 1)))
    ob = admin.history.save(a1c(pid, encounter_id=enc.id))
    admin.history.delete(enc)
    (kept,) = admin.history.open_chart(pid).observations
    assert kept.id == ob.id and kept.encounter_id is None


def test_a_stale_copy_is_refused_and_the_other_change_kept(admin: Services, pid: int) -> None:
    first = admin.history.save(MedicationData(pid, "Lisinopril", "10 mg"))
    admin.history.save(replace(first, dose="20 mg"))
    with pytest.raises(ConflictError, match="Someone else changed this medication"):
        admin.history.save(replace(first, dose="5 mg"))
    (med,) = admin.history.open_chart(pid).medications
    assert med.dose == "20 mg" and med.version == 2
    ob = admin.history.save(a1c(pid))
    admin.history.save(replace(ob, value=Decimal("7.5")))
    with pytest.raises(ConflictError):
        admin.history.save(replace(ob, value=Decimal("8.1")))
    assert [o.value for o in admin.history.open_chart(pid).observations] == [Decimal("7.5")]


# --- checks --------------------------------------------------------------------------------------
def _bad(pid: int) -> list[tuple[Any, str, str]]:
    return [
        (ProblemData(pid, "E11.9", "Diabetes", onset=date(2022, 1, 1),
                     resolved=date(2021, 1, 1)), "resolved", "before the onset"),
        (ProblemData(pid, "E11.9", "Diabetes", onset=FUTURE), "onset", "future"),
        (ProblemData(pid, "", "Diabetes"), "code", "required"),
        (ProblemData(pid, "E11.9", "Diabetes", status="cured"), "status", "active, resolved"),
        (MedicationData(pid, "Metformin", started=date(2022, 1, 1), stopped=date(2021, 1, 1)),
         "stopped", "before the start"),
        (MedicationData(pid, "Metformin", started=FUTURE), "started", "future"),
        (AllergyData(pid, "Penicillin", severity="deadly"), "severity", "mild, moderate"),
        (EncounterData(pid, TODAY + timedelta(days=366)), "date", "a year ahead"),
        (EncounterData(pid, date(2024, 1, 1), pos="98"), "pos", "place-of-service"),
        (a1c(pid, Decimal("30")), "value", "looks mistyped"),
        (a1c(pid, Decimal("1.5")), "value", "looks mistyped"),
        (a1c(pid, on=FUTURE), "observed_on", "future"),
        (a1c(pid, None, value_text="high"), "value", "is a number"),
        (a1c(pid, None), "value", "Enter a value"),
        (a1c(pid, 7.25), "value", "exact decimal"),
        (ObservationData(pid, "2345-7", "Glucose", date(2024, 1, 1), value=95.5, unit="mg/dL"),
         "value", "exact decimal"),
    ]


def test_bad_history_rows_are_refused_with_what_to_fix(admin: Services, pid: int) -> None:
    for data, field, says in _bad(pid):
        with pytest.raises(ValidationError) as err:
            admin.history.save(data)
        assert field in err.value.problems, data
        assert says in err.value.problems[field], data
    chart = admin.history.open_chart(pid)
    assert (chart.problems, chart.medications, chart.allergies, chart.encounters,
            chart.observations) == ([], [], [], [], [])
    assert not any(e.action.endswith((".create", ".update")) and e.patient_id == pid
                   for e in _all_events(admin))


def _all_events(sv: Services) -> list[AuditEvent]:
    with sv.db.session() as s:
        return list(s.scalars(select(AuditEvent)))


def test_history_for_a_missing_patient_is_refused(admin: Services) -> None:
    with pytest.raises(UserError, match="no longer exists"):
        admin.history.save(ProblemData(999, "E11.9", "Diabetes"))


def test_too_many_decimal_places_are_refused_with_a_message(admin: Services, pid: int) -> None:
    """Values are kept to 1/10,000; more places is a typing mistake the clerk can fix, not a
    crash."""
    with pytest.raises(ValidationError) as err:
        admin.history.save(a1c(pid, Decimal("7.123456")))
    assert "decimal places" in err.value.problems["value"]
    assert admin.history.open_chart(pid).observations == []


# --- vitals --------------------------------------------------------------------------------------
def _expected_bmi(lb: Decimal, inches: Decimal) -> Decimal:
    return (703 * lb / (inches * inches)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(("lb", "inches", "bmi"), [
    (Decimal(180), Decimal(70), Decimal("25.8")),
    (Decimal(259), Decimal(74), Decimal("33.3")),  # 33.25 exactly: half rounds up
    (Decimal(111), Decimal(74), Decimal("14.3")),  # 14.25 exactly
    (Decimal("150.5"), Decimal("64.5"), Decimal("25.4")),
])
def test_bmi_is_derived_to_one_decimal(lb: Decimal, inches: Decimal, bmi: Decimal) -> None:
    assert obs.bmi(lb, inches) == bmi == _expected_bmi(lb, inches)


def test_record_vitals_saves_each_with_a_derived_bmi(admin: Services, pid: int) -> None:
    enc = admin.history.save(EncounterData(pid, date(2024, 4, 4)))
    rows = admin.history.record_vitals(pid, date(2024, 4, 4), systolic=Decimal(128),
                                       diastolic=Decimal(82), weight_lb=Decimal("180.5"),
                                       height_in=Decimal(70), encounter_id=enc.id)
    by_code = {r.code: r for r in rows}
    assert set(by_code) == {obs.SYSTOLIC.code, obs.DIASTOLIC.code, obs.WEIGHT.code,
                            obs.HEIGHT.code, obs.BMI.code}
    assert by_code[obs.BMI.code].value == _expected_bmi(Decimal("180.5"), Decimal(70))
    assert by_code[obs.BMI.code].value == Decimal("25.9")
    assert by_code[obs.WEIGHT.code].value == Decimal("180.5")
    assert all(r.id is not None and r.encounter_id == enc.id for r in rows)
    stored = {o.code: o.value for o in admin.history.open_chart(pid).observations}
    assert stored == {c: r.value for c, r in by_code.items()}
    assert len([e for e in events(admin, "observation.create") if e.patient_id == pid]) == 5


def test_vitals_without_height_have_no_bmi(admin: Services, pid: int) -> None:
    rows = admin.history.record_vitals(pid, date(2024, 4, 4), weight_lb=Decimal(150))
    assert [r.code for r in rows] == [obs.WEIGHT.code]
    with pytest.raises(UserError, match="at least one"):
        admin.history.record_vitals(pid, date(2024, 4, 4))


@pytest.mark.parametrize("bad", [
    {"systolic": Decimal(400)},
    {"diastolic": Decimal(5)},
    {"weight_lb": Decimal(2000)},
    {"height_in": Decimal(5)},
    {"weight_lb": Decimal(900), "height_in": Decimal(20)},  # each plausible, the BMI is not
])
def test_vitals_with_any_bad_value_save_nothing(admin: Services, pid: int,
                                                 bad: dict[str, Decimal]) -> None:
    values = {"systolic": Decimal(120), "diastolic": Decimal(80), "weight_lb": Decimal(160),
              "height_in": Decimal(66)} | bad
    with pytest.raises(ValidationError) as err:
        admin.history.record_vitals(pid, date(2024, 4, 4), **values)
    assert "mistyped" in str(err.value)
    assert observation_count(admin) == 0
    assert events(admin, "observation.create") == []


def test_vitals_in_the_future_are_refused(admin: Services, pid: int) -> None:
    with pytest.raises(ValidationError):
        admin.history.record_vitals(pid, FUTURE, systolic=Decimal(120))
    assert observation_count(admin) == 0


# --- exact decimals ------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["7.25", "7.2", "130", "0.0001", "5.5555", "100", "99.9"])
def test_decimal_values_round_trip_exactly(admin: Services, pid: int, value: str) -> None:
    saved = admin.history.save(ObservationData(pid, "2345-7", "Glucose", date(2024, 1, 1),
                                               value=Decimal(value), unit="mg/dL"))
    (back,) = admin.history.open_chart(pid).observations
    assert back.value == Decimal(value) == saved.value
    assert str(back.value) == value
    assert isinstance(back.value, Decimal)


def test_scaled_decimal_refuses_floats_and_sub_ten_thousandths() -> None:
    t = ScaledDecimal()
    assert t.process_bind_param(Decimal("7.25"), None) == 72_500  # type: ignore[arg-type]
    assert t.process_bind_param(3, None) == 30_000  # type: ignore[arg-type]
    assert t.process_result_value(72_500, None) == Decimal("7.25")  # type: ignore[arg-type]
    assert t.process_bind_param(None, None) is None  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="never a float"):
        t.process_bind_param(7.25, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        t.process_bind_param("7.25", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="4 decimal places"):
        t.process_bind_param(Decimal("0.00001"), None)  # type: ignore[arg-type]


def test_a_float_never_reaches_the_database(admin: Services, pid: int) -> None:
    with pytest.raises(StatementError) as err, admin.db.session() as s:
        s.add(Observation(patient_id=pid, code="2345-7", name="Glucose", value=95.5,
                          observed_on=date(2024, 1, 1)))
        s.flush()
    assert isinstance(err.value.orig, TypeError)
    assert observation_count(admin) == 0


# --- roles ---------------------------------------------------------------------------------------
def test_a_coder_may_keep_history(admin: Services, pid: int) -> None:
    sign_in_as(admin, "coder")
    p = admin.history.save(ProblemData(pid, "E78.5", "Hyperlipidemia"))
    admin.history.record_vitals(pid, date(2024, 1, 1), systolic=Decimal(120))
    chart = admin.history.open_chart(pid)
    assert chart.problems == [p]
    assert events(admin, "problem.create")[0].username == "coder1"


def test_a_biller_may_read_but_not_change_history(admin: Services, pid: int) -> None:
    p = admin.history.save(ProblemData(pid, "E78.5", "Hyperlipidemia"))
    sign_in_as(admin, "biller")
    assert admin.history.open_chart(pid).problems == [p]
    with pytest.raises(PermissionDenied):
        admin.history.save(ProblemData(pid, "I10", "Hypertension"))
    with pytest.raises(PermissionDenied):
        admin.history.save(replace(p, status="inactive"))
    with pytest.raises(PermissionDenied):
        admin.history.delete(p)
    with pytest.raises(PermissionDenied):
        admin.history.record_vitals(pid, date(2024, 1, 1), systolic=Decimal(120))
    assert admin.history.open_chart(pid).problems == [p]
    assert observation_count(admin) == 0
