"""`clinic-clerk codes search` and `codes import-hcpcs`: the same service calls the window
makes, with output a script can read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE
from tests.unit.test_hcpcs import BASE, CMS_HEADERS, CMS_ROWS, csv_bytes, fixed_bytes, record

pytest_plugins = ["tests.unit.icd_fixture"]


@pytest.fixture
def icd_db(icd_clinic_file: Path, tmp_path: Path, cli_env: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "clinic.ccdb"
    shutil.copyfile(icd_clinic_file, copy)
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    return copy


def run(db: Path, *args: str) -> int:
    return main(["--db", str(db), "--user", ADMIN, "codes", *args])


def test_icd_search_json_is_ranked_and_honours_billable(
        icd_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(icd_db, "search", "neuro diab type 2", "--json", "--limit", "20") == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and all(set(h) == {"code", "description", "billable"} for h in hits)
    assert all(h["code"].startswith("E11.4") or h["code"].startswith("E11.6") for h in hits[:5])
    assert any(not h["billable"] for h in hits)  # E11.4 itself is a heading
    assert run(icd_db, "search", "neuro diab type 2", "--json", "--billable") == 0
    billable = json.loads(capsys.readouterr().out)
    assert billable and all(h["billable"] for h in billable)


def test_icd_search_by_code_prefix_lists_codes_in_order(
        icd_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(icd_db, "search", "e11.6", "--json") == 0
    codes = [h["code"] for h in json.loads(capsys.readouterr().out)]
    assert codes[0] == "E11.6" and codes == sorted(codes)
    assert all(c.startswith("E11.6") for c in codes)


def test_import_hcpcs_then_search_it(icd_db: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "HCPC2019_ANWEB.txt"
    path.write_bytes(fixed_bytes(BASE))
    assert run(icd_db, "import-hcpcs", str(path)) == 0
    out = capsys.readouterr().out
    assert "HCPCS release 2019" in out and "codes" in out
    assert run(icd_db, "search", "abatacept", "--system", "hcpcs", "--json") == 0
    assert [h["code"] for h in json.loads(capsys.readouterr().out)] == ["J0129"]
    assert run(icd_db, "import-hcpcs", str(path)) == 1  # the same file twice
    assert "already" in capsys.readouterr().err


def test_a_bad_hcpcs_line_imports_nothing_and_names_the_line(
        icd_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = record("J01X9", 100, "3", "Injection, nothing", "Nothing", "20070101")
    path = tmp_path / "HCPC2019_ANWEB.txt"
    path.write_bytes(fixed_bytes([*BASE, bad], preamble=False))
    assert run(icd_db, "import-hcpcs", str(path)) == 1
    err = capsys.readouterr().err
    assert "nothing was imported" in err.lower() and f"line {len(BASE) + 1}" in err
    assert run(icd_db, "search", "abatacept", "--system", "hcpcs", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_bad_hcpcs_csv_row_imports_nothing_and_names_the_line(
        icd_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = ["V5180", "00100", "3", "Hearing aid", "Hearing aid", "", "19821301", "", "", ""]
    path = tmp_path / "hcpcs.csv"
    path.write_bytes(csv_bytes(CMS_HEADERS, [*CMS_ROWS, bad]))
    assert run(icd_db, "import-hcpcs", str(path), "--release", "2019") == 1
    err = capsys.readouterr().err
    assert "nothing was imported" in err.lower()
    assert f"line {len(CMS_ROWS) + 2}, ADD DT" in err
    assert run(icd_db, "search", "abatacept", "--system", "hcpcs", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_hcpcs_search_billable_leaves_out_ended_codes_before_the_limit(
        icd_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ended = [record(f"V51{n:02d}", 100, "3", f"Hearing aid model {n}", f"Hearing aid {n}",
                    "19820101", "19820101", "20181231", "D") for n in range(10, 20)]
    current = record("V5299", 100, "3", "Hearing aid, current model", "Hearing aid current",
                     "19820101", "19820101")
    path = tmp_path / "HCPC2019_ANWEB.txt"
    path.write_bytes(fixed_bytes([*BASE, *ended, current]))
    assert run(icd_db, "import-hcpcs", str(path)) == 0
    capsys.readouterr()
    # a code prefix lists codes in code order, so the ended V51xx codes fill the first page
    assert run(icd_db, "search", "V5", "--system", "hcpcs", "--limit", "3", "--json") == 0
    hits = json.loads(capsys.readouterr().out)
    assert [(h["code"], h["billable"]) for h in hits] == [
        ("V5110", False), ("V5111", False), ("V5112", False)]
    assert run(icd_db, "search", "V5", "--system", "hcpcs", "--limit", "3", "--billable",
               "--json") == 0
    assert [h["code"] for h in json.loads(capsys.readouterr().out)] == ["V5299"]
