"""The demo clinic's clinical histories: deterministic, complete, internally consistent and
with believable prevalence for the quality measures (issue 9)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.formats import observations as obs
from app.models import Observation
from app.services import Services
from app.services.database import Database
from app.services.demo import DEMO_ADMIN, DEMO_PASSPHRASE, DEMO_PASSWORD, create_demo
from app.services.demo_history import DIABETES_CODES, PROBLEMS, bmi_tenths

TODAY = date(2025, 6, 30)
ADULT_DOB = "2007-06-30"  # 18 or older on TODAY
TABLES = ("encounter", "observation", "problem", "medication", "allergy")


@pytest.fixture(autouse=True)
def _documented_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLINIC_CLERK_PASSPHRASE", "CLINIC_CLERK_USER", "CLINIC_CLERK_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def _open(path: Path) -> Database:
    return Database.open(path, DEMO_PASSPHRASE)


def _rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("demo") / "demo-2000.ccdb"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("CLINIC_CLERK_PASSPHRASE", "CLINIC_CLERK_USER", "CLINIC_CLERK_PASSWORD"):
            mp.delenv(name, raising=False)
        result = create_demo(path, patients=2000, seed=7, today=TODAY)
    assert set(result.history_rows) == set(TABLES)
    db = _open(path)
    yield db
    db.close()


# The demo codes and bills some recent visits through the services, which stamp them with the
# wall-clock time; the history itself is what must repeat.
_COLUMNS = {"encounter": "id, patient_id, date, provider_id, facility_id, pos, reason, note"}


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = _open(path)
    try:
        return {t: _rows(db, f"SELECT {_COLUMNS.get(t, '*')} FROM {t} ORDER BY id")  # noqa: S608
                for t in TABLES}
    finally:
        db.close()


def test_same_seed_gives_the_same_histories_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.ccdb" for n in "abc")
    ra = create_demo(a, patients=150, seed=3, today=TODAY)
    rb = create_demo(b, patients=150, seed=3, today=TODAY)
    create_demo(c, patients=150, seed=4, today=TODAY)
    assert ra.history_rows == rb.history_rows
    dump_a = _dump(a)
    assert dump_a == _dump(b)
    assert dump_a["observation"] != _dump(c)["observation"]
    assert {t: len(rows) for t, rows in dump_a.items()} == ra.history_rows


def test_every_patient_has_a_history(clinic: Database) -> None:
    without = _rows(clinic, "SELECT count(*) FROM patient WHERE id NOT IN "
                            "(SELECT patient_id FROM encounter)")
    assert without == [(0,)]
    per_patient = _rows(clinic, "SELECT count(*) * 1.0 / (SELECT count(*) FROM patient) "
                                "FROM encounter")[0][0]
    assert 3.0 <= per_patient <= 5.5
    # Chronic patients are seen more often than the others.
    chronic, other = _rows(clinic, """
        SELECT avg(CASE WHEN c THEN n END), avg(CASE WHEN NOT c THEN n END) FROM (
          SELECT e.patient_id, count(*) AS n, e.patient_id IN (SELECT patient_id FROM problem
            WHERE code = 'I10' OR code LIKE 'E11%') AS c FROM encounter e GROUP BY 1)""")[0]
    assert chronic > 1.5 * other


def _share_of_adults(db: Database, condition: str) -> float:
    adults = _rows(db, f"SELECT count(*) FROM patient WHERE dob <= '{ADULT_DOB}'")[0][0]
    found = _rows(db, "SELECT count(DISTINCT patient_id) FROM problem JOIN patient p ON "  # noqa: S608
                      f"p.id = patient_id WHERE p.dob <= '{ADULT_DOB}' AND ({condition})")[0][0]
    return found / adults


def test_prevalence_is_believable(clinic: Database) -> None:
    assert 0.05 <= _share_of_adults(clinic, "code LIKE 'E11%'") <= 0.20
    assert 0.20 <= _share_of_adults(clinic, "code = 'I10'") <= 0.45
    # Current smokers by each adult's latest recorded status.
    statuses = _rows(clinic, f"""
        SELECT o.value_text FROM observation o JOIN patient p ON p.id = o.patient_id
        WHERE o.code = '{obs.SMOKING.code}' AND p.dob <= '{ADULT_DOB}' AND o.observed_on = (
          SELECT max(observed_on) FROM observation x WHERE x.patient_id = o.patient_id
          AND x.code = o.code)""")
    current = sum(s.startswith("Current") for (s,) in statuses) / len(statuses)
    assert 0.06 <= current <= 0.20
    assert {s for (s,) in statuses} <= set(obs.SMOKING_STATUSES)
    # Hypertension rises with age.
    young = _rows(clinic, "SELECT avg(id IN (SELECT patient_id FROM problem WHERE code = 'I10'))"
                          " FROM patient WHERE dob BETWEEN '1985-07-01' AND '2007-06-30'")[0][0]
    old = _rows(clinic, "SELECT avg(id IN (SELECT patient_id FROM problem WHERE code = 'I10'))"
                        " FROM patient WHERE dob <= '1960-06-30'")[0][0]
    assert old > 2.5 * young


def test_hba1c_only_for_diabetics_with_some_poorly_controlled(clinic: Database) -> None:
    codes = ", ".join(f"'{c}'" for c in DIABETES_CODES)
    strays = _rows(clinic, f"""
        SELECT count(*) FROM observation o WHERE o.code = '{obs.HBA1C.code}' AND NOT EXISTS (
          SELECT 1 FROM problem p WHERE p.patient_id = o.patient_id AND p.code IN ({codes})
          AND p.onset <= o.observed_on)""")
    assert strays == [(0,)]
    latest = _rows(clinic, f"""
        SELECT o.value FROM observation o WHERE o.code = '{obs.HBA1C.code}'
        AND o.observed_on >= '2024-07-01' AND o.observed_on = (SELECT max(observed_on)
          FROM observation x WHERE x.patient_id = o.patient_id AND x.code = o.code)""")
    assert len(latest) > 50
    poor = sum(v > 9 * 10_000 for (v,) in latest) / len(latest)
    assert 0.08 <= poor <= 0.30


def test_bmi_is_derived_from_weight_and_height_of_the_same_encounter(clinic: Database) -> None:
    with clinic.session() as s:
        rows = s.execute(select(Observation.encounter_id, Observation.code, Observation.value)
                         .where(Observation.code.in_((obs.WEIGHT.code, obs.HEIGHT.code,
                                                      obs.BMI.code)))).all()
    by_encounter: dict[int, dict[str, Decimal]] = {}
    for encounter_id, code, value in rows:
        by_encounter.setdefault(encounter_id, {})[code] = value
    assert len(by_encounter) > 1000
    for values in by_encounter.values():
        assert set(values) == {obs.WEIGHT.code, obs.HEIGHT.code, obs.BMI.code}
        assert values[obs.BMI.code] == obs.bmi(values[obs.WEIGHT.code], values[obs.HEIGHT.code])
        for kind in (obs.WEIGHT, obs.HEIGHT, obs.BMI):
            assert obs.check_value(kind, values[kind.code]) is None


def test_integer_bmi_matches_the_decimal_formula() -> None:
    rng = random.Random(5)
    for _ in range(20_000):
        w10, h10 = rng.randint(800, 4500), rng.randint(560, 800)
        expected = obs.bmi(Decimal(w10) / 10, Decimal(h10) / 10)
        assert Decimal(bmi_tenths(w10, h10)) / 10 == expected


def test_no_date_after_today_or_before_birth(clinic: Database) -> None:
    checks = {
        "encounter": ("date",), "observation": ("observed_on",),
        "problem": ("onset", "resolved"), "medication": ("started", "stopped"),
    }
    for table, columns in checks.items():
        for column in columns:
            bad = _rows(clinic, f"SELECT count(*) FROM {table} t JOIN patient p "  # noqa: S608
                                f"ON p.id = t.patient_id WHERE t.{column} > '{TODAY}' "
                                f"OR t.{column} < p.dob")
            assert bad == [(0,)], (table, column)
    for table in TABLES:
        assert _rows(clinic, f"SELECT count(*) FROM {table} "  # noqa: S608
                             f"WHERE created_at >= '{date.fromordinal(TODAY.toordinal() + 1)}'"
                     ) == [(0,)]
    assert _rows(clinic, "SELECT count(*) FROM problem WHERE resolved < onset "
                         "OR (resolved IS NULL) != (status = 'active')") == [(0,)]
    assert _rows(clinic, "SELECT count(*) FROM medication WHERE stopped < started") == [(0,)]
    oldest = _rows(clinic, "SELECT min(date) FROM encounter")[0][0]
    assert date.fromisoformat(oldest) >= date(TODAY.year - 11, 1, 1)


def test_encounters_use_the_directory_and_observations_their_encounter(clinic: Database) -> None:
    assert _rows(clinic, "SELECT count(*) FROM encounter e LEFT JOIN provider p ON "
                         "p.id = e.provider_id LEFT JOIN facility f ON f.id = e.facility_id "
                         "WHERE p.id IS NULL OR f.id IS NULL OR f.pos != e.pos") == [(0,)]
    pos = dict(_rows(clinic, "SELECT pos, count(*) FROM encounter GROUP BY pos"))
    assert set(pos) == {"10", "11"} and pos["11"] > 5 * pos["10"]
    assert _rows(clinic, "SELECT count(*) FROM observation o LEFT JOIN encounter e ON "
                         "e.id = o.encounter_id WHERE e.id IS NULL OR e.patient_id != "
                         "o.patient_id OR e.date != o.observed_on") == [(0,)]
    assert _rows(clinic, "SELECT count(*) FROM encounter WHERE reason = ''") == [(0,)]


def test_blood_pressure_pairs_and_a_mix_of_control(clinic: Database) -> None:
    pairs = _rows(clinic, f"""
        SELECT s.patient_id, s.value, d.value FROM observation s JOIN observation d
        ON d.patient_id = s.patient_id AND d.observed_on = s.observed_on
        AND d.encounter_id = s.encounter_id AND d.code = '{obs.DIASTOLIC.code}'
        WHERE s.code = '{obs.SYSTOLIC.code}' AND s.patient_id IN
          (SELECT patient_id FROM problem WHERE code = 'I10') AND s.observed_on >= '2024-07-01'""")
    assert len(pairs) > 200
    assert all(d < s for _p, s, d in pairs)
    controlled = sum(s < 140 * 10_000 and d < 90 * 10_000 for _p, s, d in pairs) / len(pairs)
    assert 0.35 <= controlled <= 0.80


def test_problem_codes_are_real_icd10cm_codes() -> None:
    cm = pytest.importorskip("simple_icd_10_cm")
    for code, description in PROBLEMS.items():
        assert cm.is_valid_item(code) and cm.is_leaf(code), code
        assert cm.get_description(code) == description


def test_stored_problems_use_the_table(clinic: Database) -> None:
    stored = _rows(clinic, "SELECT DISTINCT code, description FROM problem")
    assert stored and all(PROBLEMS[code] == description for code, description in stored)
    assert _rows(clinic, "SELECT count(DISTINCT patient_id) FROM medication")[0][0] > 200
    assert _rows(clinic, "SELECT count(DISTINCT patient_id) FROM allergy")[0][0] > 200


# --- coding reference data ----------------------------------------------------------------------
HCPCS_2019 = Path(__file__).resolve().parents[3] / "shared/reference/codes/hcpcs-2019"


def test_demo_has_icd10cm_procedures_fees_and_quick_picks(clinic: Database) -> None:
    from app.models import FavoriteCode, FeeScheduleEntry, ProcedureCode
    from app.services.code_lookup import diagnosis_latest, fee_for
    from app.services.code_sets import has_icd10cm
    from app.services.demo_coding import DEMO_PROCEDURES

    assert has_icd10cm(clinic)
    with clinic.session() as s:
        procedures = {p.code: p for p in s.scalars(select(ProcedureCode))}
        assert set(procedures) == {c for c, *_ in DEMO_PROCEDURES}
        for code, _text, drug, charge in DEMO_PROCEDURES:
            assert procedures[code].is_drug == drug
            assert fee_for(s, code) == Decimal(charge)
        assert s.scalar(select(func.count()).select_from(FeeScheduleEntry)) == len(procedures)
        favorites = list(s.scalars(select(FavoriteCode)))
        assert favorites
        for f in favorites:
            if f.system == "icd10cm":
                row = diagnosis_latest(s, f.code)
                assert row is not None and row.billable, f.code
            else:
                assert f.code in procedures


def test_demo_procedures_are_real_hcpcs_codes() -> None:
    """Every demo code but G2211 (new in 2021) is in the CMS 2019 HCPCS release."""
    from app.services.demo_coding import DEMO_PROCEDURES

    release = HCPCS_2019 / "HCPC2019_CONTR_ANWEB.txt"
    if not release.exists():
        pytest.skip("../shared/reference/codes/hcpcs-2019 is not beside the project")
    codes = {line[:5] for line in release.read_text(encoding="cp1252").splitlines()}
    assert {c for c, *_ in DEMO_PROCEDURES} - codes == {"G2211"}


def test_the_demo_has_claims_in_every_state(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLINIC_CLERK_PASSPHRASE", "CLINIC_CLERK_USER", "CLINIC_CLERK_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "claims.ccdb"
    create_demo(path, patients=600, seed=5)  # today: claims are checked against today
    db = _open(path)
    try:
        states = dict(_rows(db, "SELECT status, count(*) FROM claim GROUP BY status"))
        methods = {m for (m,) in _rows(db, "SELECT method FROM submission")}
        rejected_work = _rows(db, "SELECT count(*) FROM work_item WHERE reason = "
                                  "'claim_rejected' AND state = 'open'")[0][0]
        stored = _rows(db, "SELECT count(*) FROM x12_file WHERE kind = '837'")[0][0]
        money = _money_facts(db)
        plans = dict(_rows(db, "SELECT status, count(*) FROM payment_plan GROUP BY status"))
        late_plans = _rows(db, "SELECT count(*) FROM work_item WHERE reason = 'plan_late' "
                               "AND state = 'open'")[0][0]
        statuses = dict(_rows(db, "SELECT status, count(*) FROM account_status "
                                  "WHERE ended_at IS NULL GROUP BY status"))
        runs = _rows(db, "SELECT count(*), max(statement_date) FROM statement_run")[0]
        counselled = _rows(db, "SELECT count(*) FROM encounter_diagnosis "
                               "WHERE code = 'Z713'")[0][0]
        sv = Services(db, DEMO_PASSPHRASE)
        sv.users.sign_in(DEMO_ADMIN, DEMO_PASSWORD)
        last_year = date.today().year - 1
        rates = {m.measure_id.split("-")[0]: (m.counts.eligible, m.counts.rate)
                 for m in sv.quality.evaluate(date(last_year, 1, 1), date(last_year, 12, 31),
                                              save=False).measures}
        registry = _rows(db, "SELECT count(*), sum(follow_up_on < date('now')), "
                             "sum(follow_up_on IS NOT NULL) FROM registry_member "
                             "WHERE removed_on IS NULL")[0]
        # final notices 30+ days old whose account is in no status and got nothing since
        waiting = _rows(db, "SELECT count(*) FROM statement s JOIN statement_run r ON "
                            "r.id = s.run_id WHERE s.final_notice AND r.statement_date <= "
                            "date('now', '-30 days') AND s.run_id = (SELECT max(run_id) FROM "
                            "statement x WHERE x.patient_id = s.patient_id) AND NOT EXISTS "
                            "(SELECT 1 FROM account_status a WHERE a.patient_id = s.patient_id "
                            "AND a.ended_at IS NULL)")[0][0]
    finally:
        db.close()
    assert set(states) >= {"draft", "ready", "submitted", "accepted", "rejected", "replaced",
                           "voided", "paid", "denied"}
    assert methods == {"paper", "electronic"}
    assert rejected_work == states["rejected"] and stored == 3  # recent, corrections, history
    # remittances as a practice gets them: several checks, a takeback, denials queued by
    # reason, an exception, calls with a promise gone by, an appeal, desk payments
    assert money["checks"] >= 4 and money["reversed"] >= 1 and money["exceptions"] == 1
    assert money["denial_categories"] >= 3 and money["denial_items"] >= 3
    assert money["calls"] == 3 and money["late_promises"] == 1 and money["appeals"] == 1
    assert money["desk_payments"] >= 1
    # an aging with money owed in most buckets, by payers and by patients
    assert money["payer_buckets"] >= 4 and money["patients_owing"] >= 10
    # payment plans in every status: of the three active ones one is late (its work item),
    # another the renegotiated successor of the replaced one
    assert plans == {"active": 3, "paused": 1, "cancelled": 1, "paid_off": 1, "replaced": 1}
    assert late_plans == 1
    # statements: four monthly runs chasing a few accounts, then today's run; some accounts
    # with the agency, two on hold, the rest of the final notices waiting for the clerk
    assert runs[0] == 5 and runs[1] == date.today().isoformat()
    assert statuses == {"collections": 4, "hold": 2} and waiting == 8
    # the diabetes registry: its members from the rule, some with follow-ups, a few overdue
    assert registry[0] >= 30 and registry[2] == 40 and 0 < registry[1] < 40
    assert counselled > 50  # dietary counselling coded on visits with an abnormal BMI
    # each shipped quality measure has patients and a rate a real practice could report
    assert set(rates) == {"cms122", "cms165", "cms69", "cms138"}
    for name, (eligible, rate) in rates.items():
        assert eligible >= 10 and rate is not None and 0.05 <= rate <= 0.95, name


def _money_facts(db: Database) -> dict[str, int]:
    def one(sql: str) -> int:
        return int(_rows(db, sql)[0][0] or 0)

    buckets = _rows(db, "SELECT CASE WHEN julianday('now') - julianday(service_date) <= 30 "
                        "THEN 0 WHEN julianday('now') - julianday(service_date) <= 60 THEN 1 "
                        "WHEN julianday('now') - julianday(service_date) <= 90 THEN 2 "
                        "WHEN julianday('now') - julianday(service_date) <= 120 THEN 3 "
                        "ELSE 4 END AS b, sum(amount) FROM ledger_entry "
                        "WHERE payer_id IS NOT NULL GROUP BY b")
    return {
        "checks": one("SELECT count(*) FROM remittance"),
        "reversed": one("SELECT count(*) FROM claim_payment WHERE status_code = '22'"),
        "exceptions": one("SELECT count(*) FROM remit_exception"),
        "denial_categories": one("SELECT count(DISTINCT category) FROM denial"),
        "denial_items": one("SELECT count(*) FROM work_item WHERE reason = 'denial'"),
        "calls": one("SELECT count(*) FROM payer_call"),
        "late_promises": one("SELECT count(*) FROM work_item WHERE reason = 'promise' "
                             "AND state = 'open'"),
        "appeals": one("SELECT count(*) FROM appeal"),
        "desk_payments": one("SELECT count(*) FROM patient_payment"),
        "payer_buckets": sum(1 for _b, total in buckets if total),
        "patients_owing": one("SELECT count(*) FROM (SELECT patient_id FROM ledger_entry "
                              "WHERE payer_id IS NULL GROUP BY patient_id "
                              "HAVING sum(amount) > 0)"),
    }
