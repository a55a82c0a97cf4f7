"""Synthetic clinical histories for the demo clinic: encounters, problems, medications,
allergies and observations, deterministic for a seed.

Built for the quality measures (issue 9) to give believable rates: prevalence rises with age
(hypertension about 30 % of adults, type 2 diabetes about 11 %, current smokers about 12 %),
hypertensives are a mix of controlled and uncontrolled, about one diabetic in six has a
latest HbA1c over 9 %, adult weights and heights come with the BMI derived exactly as
`app.formats.observations.bmi` does (703 × lb / in², one decimal, half up), smoking status is
asked about once a year, and some screenings are missed so "data gap" lists are not empty.

Each patient's first encounter is the day they were registered; later visits fall between
then and `today` (so up to 10 years), more often for patients with chronic conditions.
Rows are written with plain executemany in batches (several million rows for 100,000
patients), with explicit encounter ids so observations can point at their encounter.
ICD-10-CM codes and descriptions below were checked against the FY2026 tabular in the
`simple-icd-10-cm` package (tests/unit/test_demo.py checks them again when it is installed).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from app.formats import observations as obs
from app.services.database import Database

# --- reference tables ------------------------------------------------------------------------
PROBLEMS: dict[str, str] = {
    "E11.9": "Type 2 diabetes mellitus without complications",
    "E11.65": "Type 2 diabetes mellitus with hyperglycemia",
    "E11.22": "Type 2 diabetes mellitus with diabetic chronic kidney disease",
    "I10": "Essential (primary) hypertension",
    "E78.5": "Hyperlipidemia, unspecified",
    "E78.00": "Pure hypercholesterolemia, unspecified",
    "J45.909": "Unspecified asthma, uncomplicated",
    "F17.210": "Nicotine dependence, cigarettes, uncomplicated",
    "Z87.891": "Personal history of nicotine dependence",
    "E66.9": "Obesity, unspecified",
    "M54.50": "Low back pain, unspecified",
    "K21.9": "Gastro-esophageal reflux disease without esophagitis",
    "F41.1": "Generalized anxiety disorder",
    "F32.A": "Depression, unspecified",
    "E03.9": "Hypothyroidism, unspecified",
    "R73.03": "Prediabetes",
    "J06.9": "Acute upper respiratory infection, unspecified",
    "N39.0": "Urinary tract infection, site not specified",
}
DIABETES_CODES = ("E11.9", "E11.65", "E11.22")

# name, dose
_MEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "metformin": (("Metformin 500 mg tablet", "1 tablet by mouth twice daily"),),
    "insulin": (("Insulin glargine 100 units/mL", "20 units subcutaneously at bedtime"),),
    "htn": (("Lisinopril 10 mg tablet", "1 tablet by mouth daily"),
            ("Amlodipine 5 mg tablet", "1 tablet by mouth daily"),
            ("Hydrochlorothiazide 25 mg tablet", "1 tablet by mouth daily"),
            ("Losartan 50 mg tablet", "1 tablet by mouth daily")),
    "statin": (("Atorvastatin 20 mg tablet", "1 tablet by mouth daily"),
               ("Rosuvastatin 10 mg tablet", "1 tablet by mouth daily")),
    "asthma": (("Albuterol HFA 90 mcg/actuation inhaler",
                "2 puffs every 4 to 6 hours as needed"),),
    "gerd": (("Omeprazole 20 mg capsule", "1 capsule by mouth daily before breakfast"),),
    "thyroid": (("Levothyroxine 50 mcg tablet", "1 tablet by mouth daily"),),
    "ssri": (("Sertraline 50 mg tablet", "1 tablet by mouth daily"),
             ("Escitalopram 10 mg tablet", "1 tablet by mouth daily")),
    "nicotine": (("Nicotine 21 mg/24 hr patch", "1 patch daily for 8 weeks"),),
    "uti": (("Nitrofurantoin 100 mg capsule", "1 capsule by mouth twice daily for 5 days"),),
}
# substance, reaction, severity, weight
_ALLERGIES = (("Penicillin", "Hives", "moderate", 10), ("Sulfa drugs", "Rash", "mild", 6),
              ("Amoxicillin", "Rash", "mild", 4), ("Codeine", "Nausea", "mild", 3),
              ("Peanuts", "Anaphylaxis", "severe", 2), ("Shellfish", "Hives", "moderate", 2),
              ("Latex", "Contact dermatitis", "mild", 2), ("Aspirin", "Wheezing", "moderate", 1),
              ("Ibuprofen", "Stomach upset", "mild", 2), ("Bee stings", "Swelling", "severe", 1))
_ALLERGY_CUM = [sum(a[3] for a in _ALLERGIES[:i + 1]) for i in range(len(_ALLERGIES))]

_GENERAL_REASONS = ("Follow-up visit", "Medication refill", "Cough and congestion",
                    "Sore throat", "Rash", "Headache", "Fatigue", "Knee pain",
                    "Ear pain", "Abdominal pain", "Flu vaccine", "Dizziness")
_TELEHEALTH_REASONS = ("Telehealth follow-up", "Lab results review", "Medication refill")
_FOLLOW_UP = {"dm": "Diabetes follow-up", "htn": "Hypertension follow-up",
              "hld": "Cholesterol follow-up", "asthma": "Asthma follow-up",
              "anx": "Anxiety follow-up", "dep": "Depression follow-up",
              "thyroid": "Thyroid follow-up", "gerd": "Heartburn follow-up"}

_TELEHEALTH_FROM = date(2020, 3, 15).toordinal()
_YEAR = 365.25
_ADULT = 6575  # days in 18 years (close enough for an age band)

ENCOUNTER_SQL = ("INSERT INTO encounter (id, patient_id, date, provider_id, facility_id, pos, "
                 "reason, note, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, 1)")
OBSERVATION_SQL = ("INSERT INTO observation (patient_id, encounter_id, code, name, value, "
                   "value_text, unit, observed_on, created_at, version) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)")
PROBLEM_SQL = ("INSERT INTO problem (patient_id, code, description, onset, resolved, status, "
               "created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)")
MEDICATION_SQL = ("INSERT INTO medication (patient_id, name, dose, started, stopped, "
                  "created_at, version) VALUES (?, ?, ?, ?, ?, ?, 1)")
ALLERGY_SQL = ("INSERT INTO allergy (patient_id, substance, reaction, severity, status, "
               "created_at, version) VALUES (?, ?, ?, ?, 'active', ?, 1)")
# Tables whose secondary indexes are dropped during a big load and rebuilt once from their
# own saved SQL: one sort per index instead of millions of random inserts into encrypted pages.
BULK_TABLES = ("patient", "encounter", "observation", "problem", "medication", "allergy")
BULK_MIN_PATIENTS = 20_000
_BULK_CACHE_KIB = 131_072  # page cache for the load and the index sorts (default is 2 MiB)

# Observation kinds as the fixed part of a row: code, name, unit.
_K = {k: (k.code, k.name, k.unit) for k in (obs.SYSTOLIC, obs.DIASTOLIC, obs.WEIGHT,
                                            obs.HEIGHT, obs.BMI, obs.HBA1C, obs.LDL,
                                            obs.SMOKING)}
SCALE = 10_000  # ScaledDecimal: the stored integer is the value × 10,000


def bmi_tenths(weight_tenths_lb: int, height_tenths_in: int) -> int:
    """BMI × 10 from weight and height in tenths, rounded half up: exactly what
    `observations.bmi` gives with Decimals, in integers (one value per adult vital)."""
    h2 = height_tenths_in * height_tenths_in
    return (2 * 703 * 100 * weight_tenths_lb + h2) // (2 * h2)


@dataclass
class _Batch:
    encounters: list[tuple[Any, ...]] = field(default_factory=list)
    observations: list[tuple[Any, ...]] = field(default_factory=list)
    problems: list[tuple[Any, ...]] = field(default_factory=list)
    medications: list[tuple[Any, ...]] = field(default_factory=list)
    allergies: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class _Person:
    """What the generator decided about one patient before writing rows."""

    pid: int
    dob: int  # ordinals
    first: int
    sex: str
    conds: dict[str, int] = field(default_factory=dict)  # condition → onset ordinal
    visits: list[int] = field(default_factory=list)

    def age(self, day: int) -> float:
        return (day - self.dob) / _YEAR


class _Maker:
    def __init__(self, rng: random.Random, today: date, providers: list[int],
                 facilities: dict[str, int], next_encounter_id: int) -> None:
        self.rng = rng
        self.today = today.toordinal()
        self.providers = providers
        self.facilities = facilities
        self.next_id = next_encounter_id
        now = datetime.now(UTC)
        self._now = now.strftime("%Y-%m-%d %H:%M:%S.%f") if now.date() <= today else None
        self._iso: dict[int, str] = {}
        self._stamp: dict[int, str] = {}
        self.batch = _Batch()

    # --- dates as SQLite stores them (Date: ISO; UTCDateTime: naive UTC with microseconds)
    def iso(self, day: int) -> str:
        s = self._iso.get(day)
        if s is None:
            s = self._iso[day] = date.fromordinal(day).isoformat()
        return s

    def stamp(self, day: int) -> str:
        s = self._stamp.get(day)
        if s is None:
            s = self.iso(day) + " 14:00:00.000000"
            if day == self.today and self._now is not None and self._now < s:
                s = self._now  # never a creation time later than now
            self._stamp[day] = s
        return s

    # --- one patient ---------------------------------------------------------------------------
    def patient(self, pid: int, dob: date, sex: str, first: date) -> None:
        p = _Person(pid, dob.toordinal(), max(first.toordinal(), dob.toordinal()), sex)
        self._conditions(p)
        self._visits(p)
        self._onsets(p)
        v = _Vitals(self.rng, p)
        self._problems(p, v)
        self._medications(p)
        self._allergies(p)
        self._encounters(p, v)

    def _conditions(self, p: _Person) -> None:
        """Which conditions, by age today (onset dates come once the visits are known)."""
        r = self.rng.random
        age = p.age(self.today)
        c = p.conds
        if r() < 0.08:
            c["asthma"] = 0
        if age < 18:
            return
        dm = 0.035 if age < 45 else 0.13 if age < 65 else 0.18
        if r() < dm:
            c["dm"] = 0
        htn = 0.08 if age < 40 else 0.27 if age < 60 else 0.46
        if r() < htn + (0.25 if "dm" in c else 0.0):
            c["htn"] = 0
        if r() < (0.06 if age < 40 else 0.28) + (0.2 if "dm" in c else 0.0):
            c["hld"] = 0
        for name, prob in (("gerd", 0.09), ("anx", 0.07), ("dep", 0.06),
                           ("thyroid", 0.08 if p.sex == "F" else 0.02)):
            if r() < prob:
                c[name] = 0
        if "dm" not in c and age >= 40 and r() < 0.10:
            c["prediabetes"] = 0
        smoke = r()
        if smoke < 0.09:
            c["smoker_daily"] = 0
        elif smoke < 0.12:
            c["smoker_someday"] = 0
        elif smoke < 0.12 + min(0.35, 0.05 + age / 250):
            c["former_smoker"] = 0
        elif smoke > 0.98:
            c["smoking_unknown"] = 0

    def _visits(self, p: _Person) -> None:
        c = p.conds
        rate = 0.42 if p.age(self.today) >= 5 else 1.1
        rate += 1.0 if "dm" in c else 0.0
        rate += 0.7 if "htn" in c else 0.0
        rate += 0.2 * sum(1 for k in ("asthma", "anx", "dep", "hld") if k in c)
        years = (self.today - p.first) / _YEAR
        n = max(1, _poisson(self.rng, min(rate, 3.5) * years))
        span = self.today - p.first
        days = {p.first}
        if span > 0:
            randint = self.rng.randint
            for _ in range(n - 1):
                days.add(p.first + randint(1, span))
        p.visits = sorted(days)

    def _onsets(self, p: _Person) -> None:
        """Most chronic conditions were known before the first visit; about one in three is
        diagnosed at a visit in the window. Adult conditions start at 18 or later."""
        r, rng = self.rng.random, self.rng
        for cond in list(p.conds):
            earliest = p.dob + (365 if cond == "asthma" else _ADULT)
            later = [v for v in p.visits[1:] if v >= earliest]
            if later and r() < 0.35:
                onset = rng.choice(later)
            else:
                onset = max(earliest, p.first - rng.randint(30, 3650))
            if onset > self.today:
                del p.conds[cond]
            else:
                p.conds[cond] = onset

    def _problems(self, p: _Person, v: _Vitals) -> None:
        r, add = self.rng.random, self.batch.problems.append
        codes = {"htn": "I10", "asthma": "J45.909", "gerd": "K21.9", "anx": "F41.1",
                 "dep": "F32.A", "thyroid": "E03.9", "prediabetes": "R73.03"}
        for cond, onset in p.conds.items():
            code = codes.get(cond)
            if cond == "dm":
                roll = r()
                code = "E11.22" if roll < 0.06 else "E11.65" if roll < 0.3 else "E11.9"
            elif cond == "hld":
                code = "E78.00" if r() < 0.25 else "E78.5"
            elif cond in ("smoker_daily", "smoker_someday"):
                code = "F17.210" if r() < 0.75 else None
            elif cond == "former_smoker":
                code = "Z87.891" if r() < 0.4 else None
            if code is not None:
                add((p.pid, code, PROBLEMS[code], self.iso(onset), None, "active",
                     self.stamp(max(onset, p.first))))
        adult_visits = [d for d in p.visits if d - p.dob >= _ADULT]
        if v.base_bmi >= 30 and adult_visits and r() < 0.5:  # obesity is under-coded
            day = self.rng.choice(adult_visits)
            add((p.pid, "E66.9", PROBLEMS["E66.9"], self.iso(day), None, "active",
                 self.stamp(day)))

    def _medications(self, p: _Person) -> None:
        r, rng, add = self.rng.random, self.rng, self.batch.medications.append
        plan = {"htn": 0.9, "hld": 0.7, "asthma": 0.85, "gerd": 0.6, "thyroid": 0.95,
                "anx": 0.5, "dep": 0.6}
        for cond, onset in p.conds.items():
            kinds: list[str] = []
            if cond == "dm":
                kinds = ["metformin"] if r() < 0.85 else []
                if r() < 0.2:
                    kinds.append("insulin")
            elif cond in plan and r() < plan[cond]:
                kinds = [{"hld": "statin", "anx": "ssri", "dep": "ssri"}.get(cond, cond)]
                if cond == "htn" and r() < 0.3:
                    kinds.append("htn")
            elif cond == "smoker_daily" and r() < 0.15:
                kinds = ["nicotine"]
            for kind in kinds:
                name, dose = rng.choice(_MEDS[kind])
                stopped = None
                if kind == "nicotine":
                    stopped = min(onset + 56, self.today)
                elif r() < 0.08:
                    stopped = onset + rng.randint(30, max(31, self.today - onset))
                    stopped = min(stopped, self.today)
                add((p.pid, name, dose, self.iso(onset),
                     self.iso(stopped) if stopped is not None else None,
                     self.stamp(max(onset, p.first))))

    def _allergies(self, p: _Person) -> None:
        r = self.rng.random
        if r() >= 0.2:
            return
        picks = {self._allergy()} | ({self._allergy()} if r() < 0.25 else set())
        for i in sorted(picks):
            substance, reaction, severity, _w = _ALLERGIES[i]
            self.batch.allergies.append((p.pid, substance, reaction, severity,
                                         self.stamp(p.first)))

    def _allergy(self) -> int:
        x = self.rng.random() * _ALLERGY_CUM[-1]
        return next(i for i, c in enumerate(_ALLERGY_CUM) if x < c)

    # --- encounters and what was measured at them ---------------------------------------------
    def _encounters(self, p: _Person, v: _Vitals) -> None:
        rng, r = self.rng, self.rng.random
        primary = self.providers[p.pid % len(self.providers)]
        smoke_years: set[int] = set()
        ldl_years: set[int] = set()
        a1c_years: dict[int, int] = {}
        for day in p.visits:
            eid = self.next_id
            self.next_id += 1
            tele = day != p.first and r() < (0.10 if day >= _TELEHEALTH_FROM else 0.01)
            provider = primary if r() < 0.8 else rng.choice(self.providers)
            reason = self._reason(p, day, tele)
            pos = "10" if tele else "11"
            stamp = self.stamp(day)
            self.batch.encounters.append((eid, p.pid, self.iso(day), provider,
                                          self.facilities[pos], pos, reason, stamp))
            if reason in ("Cough and congestion", "Sore throat") and r() < 0.4:
                self._acute(p, day, "J06.9")
            elif reason == "Urinary symptoms":
                self._acute(p, day, "N39.0")
            elif reason == "Low back pain" and r() < 0.6:
                self._acute(p, day, "M54.50")
            year = date.fromordinal(day).year
            age = p.age(day)
            if age >= 13 and year not in smoke_years and r() < 0.88:
                smoke_years.add(year)
                self._obs(p, eid, day, obs.SMOKING, None, v.smoking_status(day))
            if tele:
                continue
            self._vitals(p, v, eid, day, age)
            dm = p.conds.get("dm")
            if dm is not None and day >= dm and a1c_years.get(year, 0) < 3 and r() < 0.8:
                a1c_years[year] = a1c_years.get(year, 0) + 1
                self._obs(p, eid, day, obs.HBA1C, v.hba1c(day))
            if v.lipids and age >= 18 and year not in ldl_years and r() < 0.8:
                ldl_years.add(year)
                self._obs(p, eid, day, obs.LDL, v.ldl(day) * SCALE)

    def _vitals(self, p: _Person, v: _Vitals, eid: int, day: int, age: float) -> None:
        r = self.rng.random
        if age >= 3 and r() < (0.93 if age >= 18 else 0.5):
            sys_, dia = v.blood_pressure(day, age)
            self._obs(p, eid, day, obs.SYSTOLIC, sys_ * SCALE)
            self._obs(p, eid, day, obs.DIASTOLIC, dia * SCALE)
        if age >= 18 and r() < 0.8:
            w10 = v.weight_tenths(day)
            self._obs(p, eid, day, obs.WEIGHT, w10 * 1000)
            self._obs(p, eid, day, obs.HEIGHT, v.height10 * 1000)
            self._obs(p, eid, day, obs.BMI, bmi_tenths(w10, v.height10) * 1000)

    def _obs(self, p: _Person, eid: int, day: int, kind: obs.ObservationKind,
             scaled: int | None, text: str = "") -> None:
        code, name, unit = _K[kind]
        self.batch.observations.append((p.pid, eid, code, name, scaled, text, unit,
                                        self.iso(day), self.stamp(day)))

    def _acute(self, p: _Person, day: int, code: str) -> None:
        resolved = day + self.rng.randint(7, 30)
        done = resolved <= self.today
        self.batch.problems.append((p.pid, code, PROBLEMS[code], self.iso(day),
                                    self.iso(resolved) if done else None,
                                    "resolved" if done else "active", self.stamp(day)))
        if code == "N39.0":
            name, dose = _MEDS["uti"][0]
            self.batch.medications.append((p.pid, name, dose, self.iso(day),
                                           self.iso(min(day + 5, self.today)),
                                           self.stamp(day)))

    def _reason(self, p: _Person, day: int, tele: bool) -> str:
        r, rng = self.rng.random, self.rng
        if day == p.first:
            return "New patient visit"
        if tele:
            return rng.choice(_TELEHEALTH_REASONS)
        active = [k for k, onset in p.conds.items() if k in _FOLLOW_UP and onset <= day]
        if active and r() < 0.6:
            return _FOLLOW_UP[rng.choice(active)]
        roll = r()
        if roll < 0.22:
            return "Annual physical" if day - p.dob >= _ADULT else "Well-child visit"
        if roll < 0.27:
            return "Low back pain"
        if roll < 0.31 and p.sex != "M":
            return "Urinary symptoms"
        return rng.choice(_GENERAL_REASONS)


class _Vitals:
    """One patient's physiology: baselines drawn once, a reading adds visit-to-visit noise."""

    def __init__(self, rng: random.Random, p: _Person) -> None:
        self.rng = rng
        self.p = p
        g, r = rng.gauss, rng.random
        male = p.sex == "M" or (p.sex == "U" and r() < 0.5)
        inches = g(69.1, 2.9) if male else g(63.7, 2.7)
        self.height10 = int(round(min(max(inches, 56.0), 80.0) * 2)) * 5  # to half an inch
        self.base_bmi = min(max(g(28.0, 5.6) + (3.0 if "dm" in p.conds else 0.0), 16.5), 58.0)
        self.weight0 = self.base_bmi * (self.height10 / 10) ** 2 / 703
        self.trend = g(0.0, 1.2)  # lb per year
        self.sys0, self.dia0 = g(117, 9), g(75, 6)
        # Hypertensives: about 60 % keep a controlled average, the rest run high.
        self.htn_controlled = r() < 0.6
        self.htn_sys = g(127, 6) if self.htn_controlled else g(149, 8)
        self.htn_dia = g(79, 4) if self.htn_controlled else g(91, 5)
        roll = r()  # HbA1c control: well, moderate, poor (latest > 9 % for about 1 in 6)
        self.a1c0 = g(6.7, 0.45) if roll < 0.56 else g(7.9, 0.45) if roll < 0.80 \
            else g(10.2, 1.0)
        # LDL yearly for lipid and diabetes patients and for some other adults over 40.
        self.lipids = "hld" in p.conds or "dm" in p.conds or (
            p.age(p.visits[-1]) >= 40 and r() < 0.3)
        self.ldl0 = g(135, 28) if "hld" in p.conds else g(112, 25)
        self.status = self._smoking()

    def _smoking(self) -> str:
        c = self.p.conds
        if "smoker_daily" in c:
            return "Current every day smoker"
        if "smoker_someday" in c:
            return "Current some day smoker"
        if "former_smoker" in c:
            return "Former smoker"
        if "smoking_unknown" in c:
            return "Unknown if ever smoked"
        return "Never smoker"

    def smoking_status(self, day: int) -> str:
        onset = min((o for k, o in self.p.conds.items() if k.startswith("smoker")),
                    default=None)
        if onset is not None and day < onset and day - self.p.dob < _ADULT:
            return "Never smoker"
        return self.status

    def blood_pressure(self, day: int, age: float) -> tuple[int, int]:
        g = self.rng.gauss
        if age < 18:
            return int(g(104, 8)), int(g(64, 6))
        htn = self.p.conds.get("htn")
        if htn is not None and day >= htn:
            s, d = self.htn_sys, self.htn_dia
        else:
            s, d = self.sys0 + max(0.0, age - 40) * 0.25, self.dia0
        s, d = int(round(g(s, 8))), int(round(g(d, 5)))
        return max(85, min(s, 210)), max(45, min(d, min(s - 15, 125)))

    def weight_tenths(self, day: int) -> int:
        years = (day - self.p.first) / _YEAR
        w = self.weight0 + self.trend * years + self.rng.gauss(0, 2.0)
        return int(round(max(w, 80.0) * 10))

    def hba1c(self, day: int) -> int:
        """HbA1c as scaled integer (one decimal, %)."""
        a = self.a1c0 + self.rng.gauss(0, 0.35)
        if day == self.p.conds.get("dm"):
            a += 1.0  # diagnosed on a high value
        tenths = int(round(min(max(a, 5.0), 15.5) * 10))
        return tenths * 1000

    def ldl(self, day: int) -> int:
        return int(round(min(max(self.rng.gauss(self.ldl0, 12), 40), 260)))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


# --- the entry point ---------------------------------------------------------------------------
def add_histories(db: Database, *, seed: int, today: date,
                  batch_patients: int = 5000,
                  progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Give every patient in `db` a history; returns the rows added per table.

    Deterministic for (`seed`, the patients, the directory, `today`); uses its own random
    stream so the patients themselves are the same as without histories."""
    rng = random.Random(f"clinic-clerk demo history {seed}")  # noqa: S311 - made-up data
    with db.engine.begin() as conn:
        patients = conn.exec_driver_sql(
            "SELECT id, dob, sex, created_at FROM patient ORDER BY id").all()
        providers = [r[0] for r in conn.exec_driver_sql("SELECT id FROM provider ORDER BY id")]
        facilities: dict[str, int] = {}
        for fid, pos in conn.exec_driver_sql("SELECT id, pos FROM facility ORDER BY id"):
            facilities.setdefault(pos, fid)
        next_id = conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM encounter").scalar()
    if not providers or not {"10", "11"} <= facilities.keys():
        raise ValueError("the demo directory needs providers and POS 10 and 11 facilities")
    maker = _Maker(rng, today, providers, facilities, int(next_id or 1))
    counts = dict.fromkeys(("encounter", "observation", "problem", "medication", "allergy"), 0)
    for lo in range(0, len(patients), batch_patients):
        for pid, dob, sex, created in patients[lo:lo + batch_patients]:
            maker.patient(pid, _day(dob), sex, _day(created))
        _flush(db, maker.batch, counts)
        maker.batch = _Batch()
        if progress is not None:
            progress(min(lo + batch_patients, len(patients)))
    return counts


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _flush(db: Database, b: _Batch, counts: dict[str, int]) -> None:
    with db.engine.begin() as conn:
        for table, sql, rows in (("encounter", ENCOUNTER_SQL, b.encounters),
                                 ("observation", OBSERVATION_SQL, b.observations),
                                 ("problem", PROBLEM_SQL, b.problems),
                                 ("medication", MEDICATION_SQL, b.medications),
                                 ("allergy", ALLERGY_SQL, b.allergies)):
            if rows:
                conn.exec_driver_sql(sql, rows)
                counts[table] += len(rows)


@contextmanager
def bulk_load(db: Database, *, enabled: bool = True) -> Iterator[None]:
    """For a big demo: a larger page cache, and the secondary indexes of `BULK_TABLES` dropped
    while rows go in and rebuilt afterwards (also after an error, so the schema is whole)."""
    if not enabled:
        yield
        return
    saved = _drop_indexes(db)
    try:
        yield
    finally:
        _restore_indexes(db, saved)


def _drop_indexes(db: Database) -> list[str]:
    marks = ", ".join("?" for _ in BULK_TABLES)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        saved = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name", BULK_TABLES).all()
        for name, _sql in saved:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in saved]


def _restore_indexes(db: Database, saved: list[str]) -> None:
    with db.engine.begin() as conn:
        for sql in saved:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("PRAGMA cache_size = -2000")
