"""`clinic-clerk eligibility export-270 / import-271 / read-271`: the same service calls the
window makes; read-271 needs no database and stores nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli import main
from app.models import EligibilityInquiry
from app.services import Services
from app.services.coverage import CoverageData
from app.services.history import EncounterData
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE
from tests.unit.test_coding import new_patient
from tests.unit.x271_fixtures import ACTIVE, subscriber, wrap


@pytest.fixture
def clinic(admin: Services, payers: dict[str, int], cli_env: pytest.MonkeyPatch) -> Path:
    pid = new_patient(admin, 1, last="Oneil", first="Zoe", sex="F", dob=date(1980, 3, 4))
    admin.coverage.save(CoverageData(pid, payers["ACME1"], "W123", date(2020, 1, 1)))
    admin.history.save(EncounterData(pid, date.today() + timedelta(days=2)))
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    path = admin.db.path
    admin.db.close()
    return path


def run(db: Path, *args: str) -> int:
    return main(["--db", str(db), "--user", ADMIN, "eligibility", *args])


def test_export_then_import_then_refuse_the_same_file(
        clinic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "batch.270"
    assert run(clinic, "export-270", "--out", str(out), "--days", "5") == 0
    assert "Wrote 1 inquiries" in capsys.readouterr().out and out.read_bytes()[:3] == b"ISA"
    from app.services.clinic import open_clinic

    db = open_clinic(clinic, PASSPHRASE)
    with db.session() as s:
        trace = s.scalars(select(EligibilityInquiry.trace)).one()
    db.close()
    answer = tmp_path / "answer.271"
    answer.write_text(wrap(subscriber(3, trace, extra=ACTIVE)))
    assert run(clinic, "import-271", str(answer)) == 0
    assert "1 verifications, 0 rejected" in capsys.readouterr().out
    assert run(clinic, "import-271", str(answer)) == 1
    assert "already imported" in capsys.readouterr().err


def test_read_271_prints_json_without_a_database(tmp_path: Path, cli_env: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.271"
    path.write_text(wrap(subscriber(3, "T1", extra=ACTIVE),
                         subscriber(4, "T2", member="BAD", extra=("AAA*N**75*C",))))
    nowhere = tmp_path / "no-such-clinic.ccdb"
    assert main(["--db", str(nowhere), "eligibility", "read-271", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["responses"]
    assert [(s["member_id"], s["active"]) for s in out] == [("W123", True), ("BAD", None)]
    assert out[1]["rejections"][0]["code"] == "75"
    assert out[0]["benefits"][1] == {**out[0]["benefits"][1], "code": "C", "amount": "1500",
                                     "time_period": "23", "coverage_level": "IND"}
    assert not nowhere.exists()
    assert main(["eligibility", "read-271", str(path)]) == 0
    assert "Active coverage" in capsys.readouterr().out


def test_a_malformed_271_is_refused_with_its_segment(tmp_path: Path, cli_env: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.271"
    path.write_text(wrap(subscriber(3, "T1"), se_count=2))
    assert main(["eligibility", "read-271", str(path), "--json"]) == 1
    err = capsys.readouterr().err
    assert "bad.271, segment" in err and "(SE)" in err and "ONEIL" not in err
