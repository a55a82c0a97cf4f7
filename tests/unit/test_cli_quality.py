"""`clinic-clerk quality evaluate` (app.cli_quality) through `app.cli.main`: the JSON per
measure, the text table, the run kept (or not), bad dates as one line with exit status 2
before the database is opened, and a refusal by role as exit status 1."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import cli
from app.formats import observations as obs
from app.models import MeasureRun
from app.services import Services
from app.services.history import EncounterData, ObservationData, ProblemData
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, add_user
from tests.unit._support import snapshot
from tests.unit.claim_fixtures import patient

PERIOD = ["--from", "2024-01-01", "--to", "2024-12-31"]
KEYS = {"id", "title", "initial_population", "denominator", "exclusions", "numerator", "rate"}


@pytest.fixture
def clinic(admin: Services, cli_env: pytest.MonkeyPatch) -> Services:
    """One diabetic over 9 % and one controlled diabetic, seen in 2024."""
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    for n, a1c in ((1, "9.6"), (2, "6.8")):
        pid = patient(admin, n, last=f"Sugar{n}")
        admin.history.save(ProblemData(pid, "E11.9", "Type 2 diabetes mellitus",
                                       date(2019, 1, 1)))
        admin.history.save(EncounterData(pid, date(2024, 3, 1)))
        admin.history.save(ObservationData(pid, obs.HBA1C.code, obs.HBA1C.name,
                                           date(2024, 3, 1), value=Decimal(a1c), unit="%"))
    return admin


def run(clinic: Services, capfd: pytest.CaptureFixture[str], *argv: str,
        user: str = ADMIN) -> tuple[int, str, str]:
    code = cli.main(["--db", str(clinic.db.path), "--user", user, "quality", "evaluate", *argv])
    out, err = capfd.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clinic-clerk: ")
    assert "Traceback" not in err
    return lines[0]


def runs(sv: Services) -> int:
    with sv.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(MeasureRun)) or 0)


def test_json_gives_each_measure_its_counts_and_rate(
        clinic: Services, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(clinic, capfd, *PERIOD, "--json")
    assert (code, err) == (0, "")
    found = json.loads(out)
    assert [set(m) for m in found] == [KEYS] * 4
    by_id = {m["id"]: m for m in found}
    assert by_id["cms122-diabetes-hba1c-poor-control"] == {
        "id": "cms122-diabetes-hba1c-poor-control",
        "title": "Diabetes: HbA1c poor control (> 9%)",
        "initial_population": 2, "denominator": 2, "exclusions": 0, "numerator": 1,
        "rate": 0.5}
    # two adults seen once, no BMI: in the BMI measure, neither met
    assert by_id["cms69-bmi-screening-follow-up"]["rate"] == 0.0
    # nobody with hypertension: no rate at all
    assert by_id["cms165-controlling-high-blood-pressure"]["initial_population"] == 0
    assert by_id["cms165-controlling-high-blood-pressure"]["rate"] is None
    assert "Sugar" not in out
    assert runs(clinic) == 1


def test_text_table_and_no_save(clinic: Services, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(clinic, capfd, *PERIOD, "--no-save")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Quality measures 01/01/2024 to 12/31/2024 (not saved)"
    assert lines[1].split() == ["Measure", "IP", "Denom", "Excl", "Numer", "Rate"]
    a1c = next(line for line in lines if line.startswith("Diabetes"))
    assert a1c.split()[-5:] == [
        "2", "2", "0", "1", "50.0%"]
    assert "(lower is better)" in a1c
    assert runs(clinic) == 0


@pytest.mark.parametrize("argv, option", [
    (["--from", "2024-02-30", "--to", "2024-12-31"], "--from"),
    (["--from", "2024-01-01", "--to", "12/31/2024"], "--to"),
    (["--from", "2024-06-01", "--to", "2024-05-31"], "--to"),
])
def test_a_bad_date_is_one_line_and_exit_2(clinic: Services,
                                           capfd: pytest.CaptureFixture[str],
                                           argv: list[str], option: str) -> None:
    before = snapshot(clinic.db.path)
    code, out, err = run(clinic, capfd, *argv, "--json")
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"clinic-clerk: {option}: ")
    assert snapshot(clinic.db.path) == before


def test_a_role_without_quality_is_refused_with_exit_1(
        clinic: Services, cli_env: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    add_user(clinic, "desk", "front_desk", "front office pw 1234")
    cli_env.setenv("CLINIC_CLERK_PASSWORD", "front office pw 1234")
    code, out, err = run(clinic, capfd, *PERIOD, user="desk")
    assert (code, out) == (1, "")
    assert "view quality" in one_line(err)
    assert runs(clinic) == 0
