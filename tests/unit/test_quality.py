"""Quality measures over the clinic's own data (app.services.quality): each shipped measure on
a small hand-built population with known answers (exclusions, age boundaries, period edges,
latest-value semantics, the inverse measure), per-provider shares, data gaps, patient lists
and CSV, trends, edited definitions, runs kept and compared, permissions and audit.

The measurement period is calendar 2024 throughout; the history service refuses future dates,
and 2024 is in the past."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DatabaseError

from app.errors import ConflictError, PermissionDenied, UserError
from app.formats import observations as obs
from app.formats.quality_measures import (
    DENOMINATOR,
    EXCLUSIONS,
    INITIAL_POPULATION,
    NOT_MET,
    NUMERATOR,
    MeasureDefinitionError,
)
from app.models import (
    AuditEvent,
    ChargeLine,
    EncounterDiagnosis,
    MeasureResult,
    MeasureRun,
    Patient,
    QualityMeasure,
)
from app.models.types import utcnow
from app.services import Services
from app.services.directory import ProviderData
from app.services.history import EncounterData, ObservationData, ProblemData
from app.services.quality import NO_PROVIDER_ID, shipped_definitions
from tests.unit._support import schema_drift
from tests.unit.claim_fixtures import NPI_PROVIDER, NPI_REFERRING, patient
from tests.unit.test_history import sign_in_as

START, END = date(2024, 1, 1), date(2024, 12, 31)
A1C = "cms122-diabetes-hba1c-poor-control"
BP = "cms165-controlling-high-blood-pressure"
BMI = "cms69-bmi-screening-follow-up"
TOBACCO = "cms138-tobacco-screening-cessation"
KINDS = {k.code: k for k in obs.KNOWN.values()}
DESCRIPTIONS = {"E11.9": "Type 2 diabetes mellitus without complications"}


@dataclass
class World:
    """Patients and their histories, written through the history service (problems,
    visits, observations) and the ORM (coded visit lines and diagnoses)."""

    sv: Services
    providers: tuple[int, int]
    ids: dict[str, int] = field(default_factory=dict)
    last_visit: dict[str, int] = field(default_factory=dict)

    def patient(self, key: str, dob: date = date(1970, 6, 15), sex: str = "F") -> int:
        pid = patient(self.sv, len(self.ids) + 1, last=f"Q{key.title()}", first="Pat",
                      sex=sex, dob=dob)
        self.ids[key] = pid
        return pid

    def problem(self, key: str, code: str, onset: date | None = date(2020, 1, 1),
                resolved: date | None = None, status: str = "active") -> None:
        self.sv.history.save(ProblemData(self.ids[key], code, DESCRIPTIONS.get(code, code),
                                         onset, resolved, status))

    def visit(self, key: str, on: date = date(2024, 5, 1), provider: int | None = 0) -> int:
        who = self.providers[0] if provider == 0 else provider
        saved = self.sv.history.save(EncounterData(self.ids[key], on, provider_id=who))
        assert saved.id is not None
        self.last_visit[key] = saved.id
        return saved.id

    def obs(self, key: str, code: str, on: date, value: Any = None, text: str = "") -> None:
        kind = KINDS[code]
        self.sv.history.save(ObservationData(
            self.ids[key], code, kind.name, on, value=None if value is None else Decimal(
                str(value)), value_text=text, unit=kind.unit))

    def bp(self, key: str, on: date, systolic: int, diastolic: int) -> None:
        self.obs(key, obs.SYSTOLIC.code, on, systolic)
        self.obs(key, obs.DIASTOLIC.code, on, diastolic)

    def billed(self, key: str, code: str, on: date = date(2024, 5, 1), *,
               voided: bool = False, new_visit: bool = True) -> None:
        """A charge line for `code`, on a new visit that day or on the patient's last one."""
        eid = self.visit(key, on) if new_visit else self.last_visit[key]
        with self.sv.db.session() as s:
            s.add(ChargeLine(encounter_id=eid, patient_id=self.ids[key], line_no=1, dos=on,
                             system="hcpcs" if code[0].isalpha() else "cpt", code=code,
                             units=Decimal(1), charge=Decimal("25.00"),
                             voided_at=utcnow() if voided else None))

    def coded_dx(self, key: str, on: date, *codes: str) -> None:
        eid = self.visit(key, on)
        with self.sv.db.session() as s:
            s.add_all(EncounterDiagnosis(encounter_id=eid, position=i, code=c)
                      for i, c in enumerate(codes, start=1))

    def key_of(self, pid: int) -> str:
        return next(k for k, v in self.ids.items() if v == pid)

    def keys(self, rows: Any) -> set[str]:
        return {self.key_of(r.patient_id) for r in rows}


@pytest.fixture
def world(admin: Services) -> World:
    a = admin.directory.save_provider(ProviderData("Smith", "Anna", NPI_PROVIDER, "MD"))
    b = admin.directory.save_provider(ProviderData("Jones", "Ray", NPI_REFERRING, "DO"))
    assert a.id and b.id
    return World(admin, (a.id, b.id))


def counts(sv: Services, measure: str) -> tuple[int, int, int, int, Decimal | None]:
    c = sv.quality.evaluate(START, END, measure_ids=[measure], save=False).measure(
        measure).counts
    return c.initial_population, c.denominator, c.exclusions, c.numerator, c.rate


def part(w: World, measure: str, which: str) -> set[str]:
    return w.keys(w.sv.quality.patients(measure, START, END, which).rows)


# --- CMS122: diabetes, HbA1c poor control (inverse) -------------------------------------------
@pytest.fixture
def diabetics(world: World) -> World:
    w, a1c = world, obs.HBA1C.code
    for key in ("latest_low", "latest_high", "none", "edge", "palliative", "age75",
                "age76", "coded", "merged"):
        w.patient(key)
        if key != "coded":
            w.problem(key, "E11.9")
        w.visit(key)
    w.obs("latest_low", a1c, date(2024, 2, 1), "9.5")  # high first, then controlled
    w.obs("latest_low", a1c, date(2024, 6, 1), "7.0")
    w.obs("latest_high", a1c, date(2024, 6, 1), "7.0")
    w.obs("latest_high", a1c, date(2024, 11, 1), "9.1")
    w.obs("none", a1c, date(2023, 12, 31), "6.5")  # the day before the period: not in it
    w.obs("edge", a1c, date(2024, 12, 31), "9.0")  # last day counts; 9.0 is not over 9
    w.obs("edge", a1c, date(2025, 1, 1), "12.0")  # the day after: not in the period
    w.problem("palliative", "Z51.5", date(2024, 9, 1))
    w.obs("palliative", a1c, date(2024, 9, 1), "11.0")
    # 75 on the period's last day: in; 76 on that day (birthday on it): out
    _set_dob(w, "age75", date(1949, 1, 1))
    _set_dob(w, "age76", date(1948, 12, 31))
    w.obs("age75", a1c, date(2024, 3, 1), "8.0")
    w.obs("age76", a1c, date(2024, 3, 1), "10.0")
    w.coded_dx("coded", date(2024, 4, 2), "E1165")  # diabetes coded on a visit only
    _merge_away(w, "merged")
    # not in the initial population at all
    w.patient("no_diabetes")
    w.visit("no_diabetes")
    w.patient("no_visit")
    w.problem("no_visit", "E11.9")
    w.visit("no_visit", date(2023, 6, 1))
    w.patient("resolved")
    w.problem("resolved", "E11.9", date(2015, 1, 1), date(2023, 6, 1), "resolved")
    w.visit("resolved")
    w.patient("gestational")
    w.problem("gestational", "O24.419")  # gestational diabetes is not in the value set
    w.visit("gestational")
    return w


def _set_dob(w: World, key: str, dob: date) -> None:
    with w.sv.db.session() as s:
        s.execute(update(Patient).where(Patient.id == w.ids[key]).values(dob=dob))


def _merge_away(w: World, key: str) -> None:
    with w.sv.db.session() as s:
        s.execute(update(Patient).where(Patient.id == w.ids[key])
                  .values(merged_into_id=w.ids["latest_low"]))


def test_cms122_counts_latest_value_exclusions_ages_and_edges(diabetics: World) -> None:
    w = diabetics
    # IP: latest_low, latest_high, none, edge, palliative, age75, coded (7)
    # excluded: palliative; numerator: latest_high (9.1), none (no HbA1c), coded (none)
    assert counts(w.sv, A1C) == (7, 7, 1, 3, Decimal("0.5000"))
    assert part(w, A1C, INITIAL_POPULATION) == {"latest_low", "latest_high", "none", "edge",
                                                 "palliative", "age75", "coded"}
    assert part(w, A1C, DENOMINATOR) == part(w, A1C, INITIAL_POPULATION)
    assert part(w, A1C, EXCLUSIONS) == {"palliative"}
    assert part(w, A1C, NUMERATOR) == {"latest_high", "none", "coded"}
    assert part(w, A1C, NOT_MET) == {"latest_low", "edge", "age75"}


def test_cms122_is_inverse_so_the_list_to_act_on_is_the_numerator(diabetics: World) -> None:
    w = diabetics
    ev = w.sv.quality.evaluate(START, END, measure_ids=[A1C], save=False)
    outcome = ev.measure(A1C)
    assert outcome.inverse and outcome.action_part == NUMERATOR and outcome.action_count == 3
    action = w.sv.quality.patients(A1C, START, END)  # default part: the list to act on
    assert action.part == NUMERATOR
    assert w.keys(action.rows) == {"latest_high", "none", "coded"}
    high = next(r for r in action.rows if w.key_of(r.patient_id) == "latest_high")
    (value,) = high.values
    assert (value.code, value.value, value.observed_on) == ("4548-4", Decimal("9.1"),
                                                            date(2024, 11, 1))
    assert value.display == "9.1%"
    assert high.last_visit == date(2024, 5, 1) and high.provider_name == "Smith, Anna MD"


def test_data_gaps_are_the_eligible_patients_without_the_needed_result(
        diabetics: World) -> None:
    w = diabetics
    gaps = w.sv.quality.data_gaps(A1C, START, END)
    assert w.keys(gaps.rows) == {"none", "coded"}
    assert all(r.missing == ("Hemoglobin A1c",) and r.values == () for r in gaps.rows)
    assert w.sv.quality.evaluate(START, END, measure_ids=[A1C], save=False).measure(
        A1C).counts.data_gaps == 2


# --- CMS165: controlling high blood pressure ------------------------------------------------------
@pytest.fixture
def hypertensives(world: World) -> World:
    w = world
    for key in ("controlled_late", "same_day", "dia_90", "no_bp", "onset_jun30",
                "onset_jul1", "esrd", "pregnant", "age85", "age86", "resolved_2023"):
        w.patient(key)
        w.problem(key, "I10")
        w.visit(key)
    w.bp("controlled_late", date(2024, 3, 1), 150, 95)
    w.bp("controlled_late", date(2024, 10, 1), 130, 80)
    w.bp("controlled_late", date(2025, 1, 1), 160, 99)  # after the period
    w.bp("same_day", date(2024, 10, 1), 150, 85)  # two readings that day: lowest of each
    w.bp("same_day", date(2024, 10, 1), 135, 80)
    w.bp("dia_90", date(2024, 8, 1), 138, 90)  # diastolic must be under 90
    w.obs("no_bp", obs.SYSTOLIC.code, date(2023, 12, 31), 120)  # before the period
    _set_onset(w, "onset_jun30", date(2024, 6, 30))  # last day of the first six months
    _set_onset(w, "onset_jul1", date(2024, 7, 1))
    w.bp("onset_jun30", date(2024, 7, 15), 120, 70)
    w.bp("onset_jul1", date(2024, 7, 15), 120, 70)
    w.problem("esrd", "N18.6", date(2022, 5, 1))
    w.bp("esrd", date(2024, 5, 1), 120, 70)
    w.problem("pregnant", "O09.90", date(2024, 2, 1))
    w.bp("pregnant", date(2024, 5, 1), 120, 70)
    _set_dob(w, "age85", date(1939, 1, 1))
    _set_dob(w, "age86", date(1938, 12, 31))
    w.bp("age85", date(2024, 5, 1), 139, 89)
    w.bp("age86", date(2024, 5, 1), 120, 70)
    _set_resolved(w, "resolved_2023", date(2023, 12, 31))
    w.bp("resolved_2023", date(2024, 5, 1), 120, 70)
    return w


def _set_onset(w: World, key: str, onset: date) -> None:
    from app.models import Problem

    with w.sv.db.session() as s:
        s.execute(update(Problem).where(Problem.patient_id == w.ids[key]).values(onset=onset))


def _set_resolved(w: World, key: str, day: date) -> None:
    from app.models import Problem

    with w.sv.db.session() as s:
        s.execute(update(Problem).where(Problem.patient_id == w.ids[key])
                  .values(resolved=day, status="resolved"))


def test_cms165_counts_latest_lowest_same_day_and_exclusions(hypertensives: World) -> None:
    w = hypertensives
    # IP: controlled_late, same_day, dia_90, no_bp, onset_jun30, esrd, pregnant, age85 (8)
    # excluded: esrd, pregnant; controlled: controlled_late, same_day, onset_jun30, age85
    assert counts(w.sv, BP) == (8, 8, 2, 4, Decimal("0.6667"))
    assert part(w, BP, EXCLUSIONS) == {"esrd", "pregnant"}
    assert part(w, BP, NUMERATOR) == {"controlled_late", "same_day", "onset_jun30", "age85"}
    not_met = w.sv.quality.patients(BP, START, END)  # a normal measure: act on "not met"
    assert not_met.part == NOT_MET and w.keys(not_met.rows) == {"dia_90", "no_bp"}
    dia = next(r for r in not_met.rows if w.key_of(r.patient_id) == "dia_90")
    assert [(v.name, v.display) for v in dia.values] == [
        ("Systolic blood pressure", "138 mm[Hg]"), ("Diastolic blood pressure", "90 mm[Hg]")]
    same = next(r for r in w.sv.quality.patients(BP, START, END, NUMERATOR).rows
                if w.key_of(r.patient_id) == "same_day")
    assert [v.value for v in same.values] == [Decimal(135), Decimal(80)]
    gaps = w.sv.quality.data_gaps(BP, START, END)
    assert w.keys(gaps.rows) == {"no_bp"}
    assert gaps.rows[0].missing == ("Systolic blood pressure", "Diastolic blood pressure")


def test_a_later_uncontrolled_reading_counts_against(hypertensives: World) -> None:
    w = hypertensives
    w.bp("controlled_late", date(2024, 12, 31), 141, 80)  # the last day of the period
    assert part(w, BP, NUMERATOR) == {"same_day", "onset_jun30", "age85"}


# --- CMS69: BMI screening and follow-up -----------------------------------------------------------
@pytest.fixture
def adults(world: World) -> World:
    w, bmi = world, obs.BMI.code
    for key in ("normal", "high_no_plan", "high_counselled", "low_dietary", "no_bmi",
                "age18", "age17", "pregnant", "at_18_5", "voided_plan"):
        w.patient(key, dob=date(1990, 3, 3))
        w.visit(key)
    w.obs("normal", bmi, date(2024, 1, 1), "22.0")  # first day of the period counts
    w.obs("high_no_plan", bmi, date(2024, 4, 1), "31.2")
    w.obs("high_counselled", bmi, date(2024, 4, 1), "31.2")
    w.billed("high_counselled", "G0447", date(2024, 4, 1))
    w.obs("low_dietary", bmi, date(2024, 4, 1), "17.9")
    w.problem("low_dietary", "Z71.3", date(2024, 4, 1))
    w.obs("no_bmi", bmi, date(2023, 12, 31), "22.0")
    _set_dob(w, "age18", date(2006, 1, 1))  # 18 on the first day of the period
    _set_dob(w, "age17", date(2006, 1, 2))
    w.obs("age18", bmi, date(2024, 5, 1), "25.0")  # 25 is not normal
    w.obs("age17", bmi, date(2024, 5, 1), "22.0")
    w.problem("pregnant", "Z34.00", date(2024, 3, 1))
    w.obs("at_18_5", bmi, date(2024, 5, 1), "18.5")
    w.obs("voided_plan", bmi, date(2024, 5, 1), "33.0")
    w.billed("voided_plan", "G0447", date(2024, 5, 1), voided=True)
    return w


def test_cms69_bmi_with_follow_up_when_outside_normal(adults: World) -> None:
    w = adults
    # IP: all but age17 (9); excluded: pregnant
    # numerator: normal, high_counselled, low_dietary, at_18_5
    assert counts(w.sv, BMI) == (9, 9, 1, 4, Decimal("0.5000"))
    assert part(w, BMI, NUMERATOR) == {"normal", "high_counselled", "low_dietary", "at_18_5"}
    assert part(w, BMI, NOT_MET) == {"high_no_plan", "no_bmi", "age18", "voided_plan"}
    assert w.keys(w.sv.quality.data_gaps(BMI, START, END).rows) == {"no_bmi"}


# --- CMS138: tobacco screening and cessation ------------------------------------------------------
@pytest.fixture
def smokers(world: World) -> World:
    w, status = world, obs.SMOKING.code
    two_visits = ("never", "smoker", "counselled_in_lookback", "counselled_too_early",
                  "unknown", "quit_later", "hospice", "not_asked", "z716", "age12", "age11")
    for key in (*two_visits, "one_visit", "preventive"):
        w.patient(key, dob=date(1985, 7, 7))
        w.visit(key, date(2024, 2, 1))
    for key in two_visits:
        w.visit(key, date(2024, 9, 1))
    # one visit, billed as a preventive visit
    w.billed("preventive", "99396", date(2024, 2, 1), new_visit=False)
    for key, text in (("never", "Never smoker"), ("smoker", "Current every day smoker"),
                      ("counselled_in_lookback", "Current some day smoker"),
                      ("counselled_too_early", "Current every day smoker"),
                      ("unknown", "Unknown if ever smoked"), ("hospice", "Never smoker"),
                      ("z716", "Current every day smoker"), ("age12", "Never smoker"),
                      ("preventive", "Former smoker"), ("one_visit", "Never smoker"),
                      ("age11", "Never smoker")):
        w.obs(key, status, date(2024, 2, 1), text=text)
    w.obs("quit_later", status, date(2024, 2, 1), text="Current every day smoker")
    w.obs("quit_later", status, date(2024, 9, 1), text="Former smoker")
    w.billed("counselled_in_lookback", "99406", date(2023, 7, 1))  # start - 6 months
    w.billed("counselled_too_early", "99406", date(2023, 6, 30))
    w.billed("hospice", "G9715", date(2024, 3, 1))
    w.problem("z716", "Z71.6", date(2024, 2, 1))
    _set_dob(w, "age12", date(2012, 1, 1))
    _set_dob(w, "age11", date(2012, 1, 2))
    return w


def test_cms138_screening_and_cessation_for_users(smokers: World) -> None:
    w = smokers
    ip = part(w, TOBACCO, INITIAL_POPULATION)
    assert ip == {"never", "smoker", "counselled_in_lookback", "counselled_too_early",
                  "unknown", "quit_later", "hospice", "not_asked", "z716", "age12",
                  "preventive"}
    assert part(w, TOBACCO, EXCLUSIONS) == {"hospice"}
    assert part(w, TOBACCO, NUMERATOR) == {"never", "counselled_in_lookback", "quit_later",
                                           "z716", "age12", "preventive"}
    assert part(w, TOBACCO, NOT_MET) == {"smoker", "counselled_too_early", "unknown",
                                         "not_asked"}
    assert counts(w.sv, TOBACCO) == (11, 11, 1, 6, Decimal("0.6000"))
    assert w.keys(w.sv.quality.data_gaps(TOBACCO, START, END).rows) == {"not_asked"}


# --- providers ------------------------------------------------------------------------------------
def test_each_patient_counts_for_the_provider_of_their_latest_visit(diabetics: World) -> None:
    w = diabetics
    anna, ray = w.providers
    w.visit("latest_high", date(2024, 12, 1), provider=ray)  # later visit: Ray's patient
    w.visit("none", date(2024, 7, 1), provider=ray)
    w.visit("none", date(2024, 7, 1), provider=None)  # same day, entered last: no provider
    outcome = w.sv.quality.evaluate(START, END, measure_ids=[A1C], save=False).measure(A1C)
    shares = {p.provider_name: (p.counts.initial_population, p.counts.numerator,
                                p.counts.rate) for p in outcome.providers}
    assert shares == {"Smith, Anna MD": (5, 1, Decimal("0.2500")),
                      "Jones, Ray DO": (1, 1, Decimal("1.0000")),
                      "No provider": (1, 1, Decimal("1.0000"))}
    total = outcome.counts
    for attr in ("initial_population", "denominator", "exclusions", "numerator"):
        assert sum(getattr(p.counts, attr) for p in outcome.providers) == getattr(total, attr)
    rays = w.sv.quality.patients(A1C, START, END, NUMERATOR, provider_id=ray)
    assert w.keys(rays.rows) == {"latest_high"}
    nobody = w.sv.quality.patients(A1C, START, END, NUMERATOR, provider_id=NO_PROVIDER_ID)
    assert w.keys(nobody.rows) == {"none"}


# --- CSV and trend --------------------------------------------------------------------------------
def test_patient_list_exports_as_csv_and_the_export_is_audited(diabetics: World) -> None:
    w = diabetics
    listing = w.sv.quality.patients(A1C, START, END, NUMERATOR)
    text = w.sv.quality.export_csv(listing)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["MRN", "Last name", "First name", "DOB", "Last visit", "Provider",
                       "Hemoglobin A1c", "Hemoglobin A1c date", "Missing"]
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"QLatest_High", "QNone", "QCoded"}
    assert by_name["QLatest_High"][3:] == ["1970-06-15", "2024-05-01", "Smith, Anna MD",
                                           "9.1%", "2024-11-01", ""]
    (event,) = _events(w.sv, "quality.export")
    assert json.loads(event.details)["patients"] == 3


def test_formula_like_text_is_defused_in_the_csv(world: World) -> None:
    w = world
    pid = patient(w.sv, 99, last="=HYPERLINK(1)", first="Pat")
    w.ids["evil"] = pid
    w.problem("evil", "E11.9")
    w.visit("evil")
    text = w.sv.quality.patients(A1C, START, END).to_csv()
    assert "'=HYPERLINK(1)" in text


def test_trend_rolls_a_year_back_from_each_month_or_takes_each_month_alone(
        world: World) -> None:
    w, a1c = world, obs.HBA1C.code
    w.patient("d")
    w.problem("d", "E11.9")
    for day in (date(2024, 1, 10), date(2024, 2, 10), date(2024, 3, 10)):
        w.visit("d", day)
    w.obs("d", a1c, date(2024, 1, 10), "10.0")
    w.obs("d", a1c, date(2024, 3, 10), "7.0")
    monthly = w.sv.quality.trend(A1C, date(2024, 1, 1), date(2024, 3, 31), window_months=1)
    assert [(p.month, p.start, p.end, p.rate) for p in monthly] == [
        (date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 31), Decimal(1)),
        (date(2024, 2, 1), date(2024, 2, 1), date(2024, 2, 29), Decimal(1)),  # no HbA1c
        (date(2024, 3, 1), date(2024, 3, 1), date(2024, 3, 31), Decimal(0))]
    rolling = w.sv.quality.trend(A1C, date(2024, 1, 15), date(2024, 3, 2))
    assert [(p.start, p.end, p.rate) for p in rolling] == [
        (date(2023, 2, 1), date(2024, 1, 31), Decimal(1)),
        (date(2023, 3, 1), date(2024, 2, 29), Decimal(1)),
        (date(2023, 4, 1), date(2024, 3, 31), Decimal(0))]
    with pytest.raises(UserError, match="at most 36 months"):
        w.sv.quality.trend(A1C, date(2020, 1, 1), date(2024, 1, 1))


# --- definitions ----------------------------------------------------------------------------------
def test_shipped_definitions_are_loaded_once_and_listed(admin: Services) -> None:
    infos = admin.quality.definitions()
    assert {i.measure_id for i in infos} == set(shipped_definitions())
    assert all(i.shipped and not i.edited and i.active and i.revision == 1 for i in infos)
    admin.quality.definitions()
    with admin.db.session() as s:
        assert s.scalar(select(func.count()).select_from(QualityMeasure)) == 4
    assert len(_events(admin, "measure.load_shipped")) == 1


def test_an_edited_definition_changes_the_result_and_can_be_restored(
        diabetics: World) -> None:
    w = diabetics
    info = w.sv.quality.definition(A1C)
    data = info.data
    data["numerator"]["any"][0]["observation"]["gt"] = "8.9"  # now 9.0 on the last day counts
    saved = w.sv.quality.save_definition(data, revision=info.revision)
    assert (saved.revision, saved.edited, saved.shipped) == (2, True, True)
    assert counts(w.sv, A1C)[3] == 4
    assert "edge" in part(w, A1C, NUMERATOR)
    with pytest.raises(ConflictError):  # someone saving over the revision they opened
        w.sv.quality.save_definition(data, revision=info.revision)
    restored = w.sv.quality.restore_shipped(A1C)
    assert (restored.revision, restored.edited) == (3, False)
    assert counts(w.sv, A1C)[3] == 3
    assert [json.loads(e.details)["revision"] for e in _events(w.sv, "measure.save")] == [2]
    assert w.sv.quality.restore_shipped(A1C).revision == 3  # nothing left to restore
    assert len(_events(w.sv, "measure.restore")) == 1


def test_an_admin_adds_a_measure_and_can_take_it_out_of_runs(diabetics: World) -> None:
    w = diabetics
    mine = {"id": "a1c-tested", "title": "Diabetics with an HbA1c this year",
            "source": "Clinic's own",
            "initial_population": w.sv.quality.definition(A1C).data["initial_population"],
            "numerator": {"observation": {"code": "4548-4", "window": "period"}},
            "needs": ["4548-4"]}
    info = w.sv.quality.save_definition(mine)
    assert (info.shipped, info.edited, info.revision) == (False, False, 1)
    ev = w.sv.quality.evaluate(START, END, save=False)
    assert ev.measure("a1c-tested").counts.numerator == 5  # all but none and coded
    with pytest.raises(ConflictError, match="already exists"):
        w.sv.quality.save_definition(mine)
    with pytest.raises(UserError, match="no shipped version"):
        w.sv.quality.restore_shipped("a1c-tested")
    w.sv.quality.set_active("a1c-tested", False)
    ids = [m.measure_id for m in w.sv.quality.evaluate(START, END, save=False).measures]
    assert "a1c-tested" not in ids and len(ids) == 4


def test_an_invalid_definition_is_refused_naming_each_problem(admin: Services) -> None:
    data = admin.quality.definition(BP).data
    data["numerator"]["all"][0]["observation"]["lt"] = "one forty"
    data["initial_population"]["all"][0]["age"]["max"] = 10
    with pytest.raises(MeasureDefinitionError) as exc:
        admin.quality.save_definition(data, revision=1)
    assert set(exc.value.problems) == {"numerator.all[0].observation.lt",
                                       "initial_population.all[0].age.max"}
    assert admin.quality.definition(BP).revision == 1
    assert _events(admin, "measure.save") == []


# --- runs -----------------------------------------------------------------------------------------
def test_runs_are_kept_compared_and_never_rewritten(diabetics: World) -> None:
    w = diabetics
    first = w.sv.quality.evaluate(START, END)
    assert first.run_id is not None
    w.obs("none", obs.HBA1C.code, date(2024, 8, 1), "6.9")  # a result arrives
    second = w.sv.quality.evaluate(START, END)
    info = w.sv.quality.definition(A1C)
    data = info.data
    data["numerator"]["any"][0]["observation"]["gt"] = "8"
    w.sv.quality.save_definition(data, revision=info.revision)
    third = w.sv.quality.evaluate(START, END)
    assert third.run_id is not None and second.run_id is not None
    assert [r.id for r in w.sv.quality.runs()] == [third.run_id, second.run_id, first.run_id]
    cmp = w.sv.quality.compare(first.run_id, second.run_id)
    row = next(r for r in cmp.rows if r.measure_id == A1C and r.scope == "all")
    assert row.before and row.after and row.same_definition
    assert (row.before.numerator, row.after.numerator) == (3, 2)
    assert row.change == Decimal("0.3333") - Decimal("0.5000")
    later = next(r for r in w.sv.quality.compare(second.run_id, third.run_id).rows
                 if r.measure_id == A1C and r.scope == "all")
    assert not later.same_definition
    stored = w.sv.quality.run_results(first.run_id)
    assert stored.measure(A1C).counts == first.measure(A1C).counts
    assert stored.measure(A1C).providers == first.measure(A1C).providers
    with w.sv.db.session() as s, pytest.raises(DatabaseError, match="append-only"):
        s.execute(update(MeasureResult).values(numerator=0))
    with w.sv.db.session() as s, pytest.raises(DatabaseError, match="append-only"):
        s.execute(MeasureRun.__table__.delete())
    with pytest.raises(UserError, match="no saved run"):
        w.sv.quality.compare(first.run_id, 999)


def test_a_run_not_saved_leaves_no_rows(diabetics: World) -> None:
    ev = diabetics.sv.quality.evaluate(START, END, save=False)
    assert ev.run_id is None
    with diabetics.sv.db.session() as s:
        assert s.scalar(select(func.count()).select_from(MeasureRun)) == 0


def test_a_bad_period_or_part_is_refused(admin: Services) -> None:
    with pytest.raises(UserError, match="ends before it starts"):
        admin.quality.evaluate(END, START)
    with pytest.raises(UserError, match="Choose a part"):
        admin.quality.patients(A1C, START, END, "everyone")
    with pytest.raises(UserError, match="no quality measure"):
        admin.quality.patients("cms999", START, END)


# --- permissions and audit ------------------------------------------------------------------------
def _events(sv: Services, action: str) -> list[AuditEvent]:
    with sv.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq)))


def test_reads_are_audited_with_counts_never_names(diabetics: World) -> None:
    w = diabetics
    w.sv.quality.evaluate(START, END)
    w.sv.quality.patients(A1C, START, END)
    w.sv.quality.data_gaps(A1C, START, END)
    w.sv.quality.trend(A1C, START, END)
    (ev,) = _events(w.sv, "quality.evaluate")
    details = json.loads(ev.details)
    assert details["measures"] == 4 and details["from"] == "2024-01-01"
    (listing,) = _events(w.sv, "quality.patients")
    assert json.loads(listing.details) == {"part": "numerator", "from": "2024-01-01",
                                           "to": "2024-12-31", "provider": None,
                                           "patients": 3}
    assert json.loads(_events(w.sv, "quality.data_gaps")[0].details)["patients"] == 2
    assert len(_events(w.sv, "quality.trend")) == 1
    with w.sv.db.session() as s:
        text = " ".join(d or "" for d in s.scalars(
            select(AuditEvent.details).where(AuditEvent.action.like("quality.%"))))
        mrns = list(s.scalars(select(Patient.mrn)))
    assert "QLatest" not in text and "Pat" not in text
    assert not any(m in text for m in mrns)


def test_who_may_see_and_who_may_edit(diabetics: World) -> None:
    sv = diabetics.sv
    sign_in_as(sv, "front_desk")
    for call in (lambda: sv.quality.evaluate(START, END),
                 lambda: sv.quality.patients(A1C, START, END),
                 lambda: sv.quality.data_gaps(A1C, START, END),
                 lambda: sv.quality.definitions(), lambda: sv.quality.runs()):
        with pytest.raises(PermissionDenied):
            call()
    sign_in_as(sv, "coder")
    assert sv.quality.evaluate(START, END, save=False).measure(A1C).counts.numerator == 3
    data = sv.quality.definition(A1C).data
    with pytest.raises(PermissionDenied):
        sv.quality.save_definition(data, revision=1)
    with pytest.raises(PermissionDenied):
        sv.quality.restore_shipped(A1C)
    sign_in_as(sv, "biller")
    assert len(sv.quality.patients(A1C, START, END).rows) == 3


# --- schema ---------------------------------------------------------------------------------------
def test_the_quality_tables_match_their_migration(admin: Services) -> None:
    assert schema_drift(admin.db) == []
    with admin.db.session() as s:
        assert s.scalar(select(func.count()).select_from(MeasureResult)) == 0
