"""Patient CSV import (DESIGN.md §2.6): every row checked first, all-or-nothing, only-clean with
a rejected file, re-import refused, encodings; and the `patients` CLI (import-csv, search).

All patients here are invented; no test prints patient values.
"""

from __future__ import annotations

import csv
import json
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import cli
from app.errors import PermissionDenied, UserError
from app.models import AuditEvent, ImportLog, Patient
from app.services import Services
from app.services.patient_import import FIELDS, default_mapping, read_csv
from app.services.patients import PatientData
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, add_user

HEADERS = ["last_name", "first_name", "middle_name", "dob", "sex", "address1", "address2",
           "city", "state", "zip", "phone", "email", "ssn"]


def person(last: str, first: str, dob: str = "1980-02-03", **more: str) -> dict[str, str]:
    row = dict.fromkeys(HEADERS, "")
    row.update(last_name=last, first_name=first, dob=dob, sex="F", address1="1 Elm St",
               city="Springfield", state="IL", zip="62701", phone="(217) 555-0101")
    row.update(more)
    return row


GOOD = [person("O'Neil", "Zoë", "1975-06-30"), person("Smith", "Jo", "1990-01-15", sex="M"),
        person("Nguyen", "An", "2001-12-01", ssn="123-45-6789")]


def write(path: Path, rows: list[dict[str, str]], headers: list[str] | None = None,
          encoding: str = "utf-8") -> Path:
    headers = headers or HEADERS
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.DictWriter(fh, headers, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def patient_count(sv: Services) -> int:
    with sv.db.session() as s:
        return int(s.scalar(select(func.count(Patient.id))) or 0)


def import_events(sv: Services) -> list[AuditEvent]:
    with sv.db.session() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "patients.import")))
        s.expunge_all()
        return events


def with_problems(tmp_path: Path) -> Path:
    """Five rows; lines 3 and 5 are bad, with several problems each."""
    rows = [GOOD[0],
            person("Bad", "Date", "1990-13-01", zip="1234"),           # line 3: dob, zip
            GOOD[1],
            person("", "Nolast", "1980-01-01", sex="X", state="ZZ"),  # line 5: name, sex, state
            GOOD[2]]
    return write(tmp_path / "mixed.csv", rows)


# --- a clean file -------------------------------------------------------------------------------
def test_clean_file_imports_every_row_with_sequential_mrns(admin: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "clean.csv", GOOD)
    imp = admin.patient_import
    check = imp.check(imp.read(path))
    assert check.problems == [] and check.ok and len(check.clean) == 3
    result = imp.commit(check)
    assert (result.imported, result.rejected) == (3, 0)
    mrns = sorted(r.mrn for r in admin.patients.search("", limit=10))
    assert mrns == ["M0000001", "M0000002", "M0000003"]
    assert [r.first_name for r in admin.patients.search("oneil")] == ["Zoë"]
    assert [r.last_name for r in admin.patients.search("zoe")] == ["O'Neil"]
    found = admin.patients.search("nguyen")[0]
    assert admin.patients.get(found.id).data.phone == "2175550101"
    assert found.ssn_last4 == "6789"


def test_import_is_audited_with_counts_and_no_patient_values(admin: Services,
                                                             tmp_path: Path) -> None:
    path = write(tmp_path / "clean.csv", GOOD)
    admin.patient_import.commit(admin.patient_import.check(admin.patient_import.read(path)))
    events = import_events(admin)
    assert len(events) == 1
    details = json.loads(events[0].details)
    assert details["imported"] == 3 and details["file"] == "clean.csv"
    assert events[0].username == ADMIN
    assert set(details) == {"file", "imported", "rejected", "rows"}  # counts and file only
    assert events[0].patient_id is None
    text = events[0].details.lower()
    for row in GOOD:
        for value in (row["last_name"], row["first_name"], row["dob"], row["phone"]):
            assert f'"{value.lower()}' not in text
    with admin.db.session() as s:
        log = s.scalars(select(ImportLog)).one()
        assert (log.kind, log.rows, log.filename) == ("patients_csv", 3, "clean.csv")


def test_mrns_continue_after_existing_patients(admin: Services, tmp_path: Path) -> None:
    admin.patients.register(PatientData(last_name="Earlier", first_name="Pat",
                                        dob=date(1950, 5, 5), sex="U"))
    path = write(tmp_path / "clean.csv", GOOD)
    imp = admin.patient_import
    result = imp.commit(imp.check(imp.read(path)))
    assert (result.first_mrn, result.last_mrn) == ("M0000002", "M0000004")


# --- bad rows: all or nothing -------------------------------------------------------------------
def test_any_bad_row_imports_nothing_and_every_problem_is_listed(admin: Services,
                                                                tmp_path: Path) -> None:
    imp = admin.patient_import
    check = imp.check(imp.read(with_problems(tmp_path)))
    listed = [str(p) for p in check.problems]
    assert "line 3, dob: not a date (use YYYY-MM-DD)" in listed
    assert "line 3, zip: A ZIP code is 5 or 9 digits." in listed
    assert "line 5, last_name: is required." in listed
    assert any(p.startswith("line 5, sex: ") for p in listed)
    assert any(p.startswith("line 5, state: ") for p in listed)
    assert {p.line for p in check.problems} == {3, 5}
    assert check.bad_lines == [3, 5] and not check.ok
    with pytest.raises(UserError, match="Nothing was imported: 2 row"):
        imp.commit(check)
    assert patient_count(admin) == 0
    assert import_events(admin) == []
    with admin.db.session() as s:
        assert s.scalar(select(func.count(ImportLog.id))) == 0


def test_future_dob_and_bad_email_use_the_registration_messages(admin: Services,
                                                               tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", [person("Later", "Lee", "2999-01-01", email="nope")])
    check = admin.patient_import.check(admin.patient_import.read(path))
    assert [str(p) for p in check.problems] == [
        "line 2, dob: cannot be in the future.",
        "line 2, email: An e-mail address looks like name@example.com."]


def test_repeated_person_within_the_file_is_a_problem(admin: Services, tmp_path: Path) -> None:
    rows = [GOOD[0], GOOD[1], person("ONEIL", "Zoe", "1975-06-30"),
            person("Other", "Person", ssn="123456789"), GOOD[2]]
    check = admin.patient_import.check(admin.patient_import.read(write(tmp_path / "d.csv", rows)))
    assert [(p.line, p.column) for p in check.problems] == [(4, "last_name"), (6, "ssn")]
    assert "line 2" in check.problems[0].reason and "line 5" in check.problems[1].reason
    assert [line for line, _ in check.clean] == [2, 3, 5]


def test_person_already_registered_is_a_problem(admin: Services, tmp_path: Path) -> None:
    registered = admin.patients.register(PatientData(last_name="Smith", first_name="Jo",
                                                     dob=date(1990, 1, 15), sex="M"))
    check = admin.patient_import.check(admin.patient_import.read(write(tmp_path / "a.csv", GOOD)))
    assert [(p.line, p.column) for p in check.problems] == [(3, "last_name")]
    assert registered.mrn in check.problems[0].reason


def test_a_missing_required_column_is_reported_once_on_line_1(admin: Services,
                                                             tmp_path: Path) -> None:
    headers = [h for h in HEADERS if h != "dob"]
    path = write(tmp_path / "nodob.csv", GOOD, headers)
    check = admin.patient_import.check(admin.patient_import.read(path))
    assert [(p.line, p.column) for p in check.problems] == [(1, "dob")]
    with pytest.raises(UserError, match="columns need fixing"):
        admin.patient_import.commit(check, only_clean=True, rejected_out=tmp_path / "r.csv")
    assert patient_count(admin) == 0


def test_line_numbers_count_blank_lines_and_multiline_values(admin: Services,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("last_name,first_name,dob,sex,address1\n"
                    "Alpha,Ann,1970-01-01,F,\"1 Main St\nApt 2\"\n"
                    "\n"
                    "Beta,Bob,1970-02-30,M,2 Main St\n", encoding="utf-8")
    check = admin.patient_import.check(admin.patient_import.read(path))
    assert [str(p) for p in check.problems] == ["line 5, dob: not a date (use YYYY-MM-DD)"]


# --- only the clean rows --------------------------------------------------------------------------
def test_only_clean_imports_good_rows_and_saves_the_rejected(admin: Services,
                                                            tmp_path: Path) -> None:
    imp = admin.patient_import
    check = imp.check(imp.read(with_problems(tmp_path)))
    out = tmp_path / "rejected.csv"
    with pytest.raises(UserError, match="Choose a file"):
        imp.commit(check, only_clean=True)
    result = imp.commit(check, only_clean=True, rejected_out=out)
    assert (result.imported, result.rejected) == (3, 2)
    assert patient_count(admin) == 3
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.DictReader(fh))
    assert list(rejected[0]) == [*HEADERS, "problem"]
    assert [r["last_name"] for r in rejected] == ["Bad", ""]
    assert rejected[0]["dob"] == "1990-13-01"  # the original value, to correct in place
    assert "dob: not a date" in rejected[0]["problem"] and "zip:" in rejected[0]["problem"]
    assert "last_name: is required." in rejected[1]["problem"]
    details = json.loads(import_events(admin)[0].details)
    assert (details["imported"], details["rejected"]) == (3, 2)


def test_the_corrected_rejected_file_imports(admin: Services, tmp_path: Path) -> None:
    imp = admin.patient_import
    out = tmp_path / "rejected.csv"
    imp.commit(imp.check(imp.read(with_problems(tmp_path))), only_clean=True, rejected_out=out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0].update(dob="1990-12-01", zip="62701")
    rows[1].update(last_name="Fixed", sex="U", state="IL")
    fixed = write(tmp_path / "fixed.csv", rows, [*HEADERS, "problem"])
    check = imp.check(imp.read(fixed), strict_columns=True)
    assert check.problems == []
    assert imp.commit(check).imported == 2
    assert patient_count(admin) == 5


# --- re-import ------------------------------------------------------------------------------------
def test_reimporting_the_same_file_is_refused(admin: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "clean.csv", GOOD)
    imp = admin.patient_import
    first = imp.check(imp.read(path))
    imp.commit(first)
    renamed = path.rename(tmp_path / "renamed.csv")
    again = imp.check(imp.read(renamed))
    assert again.already_imported is not None and not again.ok
    message = again.already_imported.refusal()
    assert "already imported on " + date.today().strftime("%m/%d/%Y") in message
    assert "clean.csv" in message
    with pytest.raises(UserError, match="already imported"):
        imp.commit(again)
    with pytest.raises(UserError, match="already imported"):
        imp.commit(first)  # the same check committed twice
    assert patient_count(admin) == 3


# --- reading --------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_bom_and_windows_1252_files_read(admin: Services, tmp_path: Path, encoding: str) -> None:
    rows = [person("Muñoz", "Zoë"), person("Ærøskøbing", "Renée", "1960-07-07")]
    if encoding == "cp1252":
        rows[1]["last_name"] = "Œuvre"  # in Windows-1252, not in Latin-1
    path = write(tmp_path / f"{encoding}.csv", rows, encoding=encoding)
    csv_file = read_csv(path)
    assert csv_file.headers == HEADERS  # no BOM glued to the first column name
    assert [r.values["last_name"] for r in csv_file.rows] == [r["last_name"] for r in rows]
    assert admin.patient_import.commit(admin.patient_import.check(csv_file)).imported == 2
    assert [r.first_name for r in admin.patients.search("munoz")] == ["Zoë"]


def test_semicolon_separated_file_reads(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("last_name;first_name;dob;sex\nAlpha;Ann;1970-01-01;F\n", encoding="utf-8")
    assert read_csv(path).rows[0].values["first_name"] == "Ann"


@pytest.mark.parametrize(("content", "says"), [
    (b"", "is empty"),
    (b"\n\n", "is empty"),
    (b"last_name,first_name,dob,sex\n", "no patients"),
    (b"Smith,Jo,1990-01-15,M\nJones,Al,1991-01-15,M\n", "looks like a patient row"),
    (b"%PDF-1.7\x00\x01\x02binary", "not a CSV file"),
    (b"last_name,,dob\nA,B,1970-01-01\n", "column 2 has no name"),
    (b"last_name,Last_Name\nA,B\n", "appears twice"),
    (b'last_name,first_name\n"Smith,Jo\n', "not valid CSV"),
])
def test_unreadable_files_are_refused_naming_the_file(tmp_path: Path, content: bytes,
                                                      says: str) -> None:
    path = tmp_path / "patients.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=says) as exc:
        read_csv(path)
    assert "patients.csv" in str(exc.value)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        read_csv(tmp_path / "nowhere.csv")


def test_default_mapping_ignores_case_spaces_and_knows_common_names() -> None:
    m = default_mapping(["Last Name", "FIRST_NAME", "Date of Birth", "Gender", "Zip Code",
                         "Insurance"])
    assert (m["last_name"], m["first_name"], m["dob"], m["sex"], m["zip"]) == (
        "Last Name", "FIRST_NAME", "Date of Birth", "Gender", "Zip Code")
    assert m["email"] is None and set(m) == set(FIELDS)


def test_mapping_and_us_dates(admin: Services, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Surname,Given,Born,Gender,Notes\nAlpha,Ann,02/03/1970,female,x\n",
                    encoding="utf-8")
    imp = admin.patient_import
    csv_file = imp.read(path)
    mapping = default_mapping(csv_file.headers) | {"first_name": "Given", "dob": "Born"}
    assert [str(p) for p in imp.check(csv_file, mapping).problems] == [
        "line 2, Born: not a date (use YYYY-MM-DD)"]
    check = imp.check(csv_file, mapping, us_dates=True)
    assert check.problems == [] and check.unused_columns == ["Notes"]
    assert check.clean[0][1].dob == date(1970, 2, 3) and check.clean[0][1].sex == "F"


def test_a_role_without_the_import_permission_is_refused(admin: Services,
                                                         tmp_path: Path) -> None:
    path = write(tmp_path / "clean.csv", GOOD)
    check = admin.patient_import.check(admin.patient_import.read(path))
    password = add_user(admin, "cody", "coder")
    admin.users.sign_in("cody", password)
    with pytest.raises(PermissionDenied):
        admin.patient_import.read(path)
    with pytest.raises(PermissionDenied):
        admin.patient_import.commit(check)


def test_ten_thousand_rows_import_in_one_bulk_transaction(admin: Services,
                                                          tmp_path: Path) -> None:
    rows = [person(f"Family{i:05d}", f"Given{i % 97}", f"19{40 + i % 60}-0{1 + i % 9}-1{i % 9}",
                   ssn=f"9{i:08d}") for i in range(10_000)]
    path = write(tmp_path / "big.csv", rows)
    imp = admin.patient_import
    started = time.perf_counter()
    result = imp.commit(imp.check(imp.read(path)))
    elapsed = time.perf_counter() - started
    assert result.imported == 10_000 and (result.first_mrn, result.last_mrn) == (
        "M0000001", "M0010000")
    assert admin.patients.count("family0999") == 10
    assert elapsed < 20, f"10,000 rows took {elapsed:.1f} s"


# --- the CLI --------------------------------------------------------------------------------------
@pytest.fixture
def clinic(services: Services, cli_env: pytest.MonkeyPatch) -> Services:
    cli_env.setenv("CLINIC_CLERK_PASSPHRASE", PASSPHRASE)
    cli_env.setenv("CLINIC_CLERK_PASSWORD", ADMIN_PASSWORD)
    services.users.sign_in(ADMIN, ADMIN_PASSWORD)
    return services


def run(sv: Services, *argv: str) -> int:
    return cli.main(["--db", str(sv.db.path), "--user", ADMIN, "patients", *argv])


def test_cli_import_success(clinic: Services, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert run(clinic, "import-csv", str(write(tmp_path / "p.csv", GOOD))) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "Imported 3 patients." and err == ""
    assert patient_count(clinic) == 3


def test_cli_bad_rows_import_nothing_and_list_every_problem(
        clinic: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(clinic, "import-csv", str(with_problems(tmp_path))) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert "line 3, dob: not a date (use YYYY-MM-DD)" in lines
    assert "line 5, last_name: is required." in lines
    assert {ln.split(",")[0] for ln in lines[:-1]} == {"line 3", "line 5"}
    assert len(lines) == 6  # five problems, then the one-line verdict
    assert lines[-1].startswith("clinic-clerk: nothing was imported: 2 row(s) of 5")
    assert out == "" and "Traceback" not in err
    assert patient_count(clinic) == 0


def test_cli_only_clean_writes_the_rejected_rows(clinic: Services, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "rejected.csv"
    assert run(clinic, "import-csv", str(with_problems(tmp_path)), "--only-clean",
               "--rejected", str(out_file)) == 0
    assert "Imported 3 patients; 2 row(s) with problems" in capsys.readouterr().out
    assert len(out_file.read_text(encoding="utf-8-sig").splitlines()) == 3


def test_cli_reimport_is_refused_in_one_line(clinic: Services, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = str(write(tmp_path / "p.csv", GOOD))
    assert run(clinic, "import-csv", path) == 0
    capsys.readouterr()
    assert run(clinic, "import-csv", path) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already imported on" in err[0]
    assert patient_count(clinic) == 3


def test_cli_unknown_column_is_a_problem(clinic: Services, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "p.csv", GOOD, [*HEADERS, "birthday_note"])
    assert run(clinic, "import-csv", str(path)) == 1
    assert "line 1, birthday_note: is not a field" in capsys.readouterr().err
    assert patient_count(clinic) == 0


def test_cli_unreadable_file_exits_1(clinic: Services, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    assert run(clinic, "import-csv", str(tmp_path / "empty.csv")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "empty.csv is empty" in err[0]


@pytest.mark.parametrize("argv", [
    ["patients"], ["patients", "import-csv"], ["patients", "search"],
    ["patients", "import-csv", "x.csv", "--only-clean"],
    ["patients", "import-csv", "x.csv", "--rejected", "r.csv"],
    ["patients", "search", "smith", "--limit", "0"],
])
def test_cli_patients_bad_usage_exits_2(argv: list[str], cli_env: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def _search_json(sv: Services, query: str, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert run(sv, "search", query, "--json") == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("query", ["oneil", "O'NEIL", "zoe", "Zoë O'Neil", "oneil zo",
                                   "O'Neil, Zoe", "06/30/1975", "1975-06-30"])
def test_cli_search_json_matches_like_the_window(clinic: Services, tmp_path: Path, query: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    clinic.patient_import.commit(clinic.patient_import.check(
        clinic.patient_import.read(write(tmp_path / "p.csv", GOOD))))
    found = _search_json(clinic, query, capsys)
    assert found == [{"mrn": "M0000001", "last_name": "O'Neil", "first_name": "Zoë",
                      "dob": "1975-06-30"}]


def test_cli_search_table_and_no_match(clinic: Services, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    clinic.patient_import.commit(clinic.patient_import.check(
        clinic.patient_import.read(write(tmp_path / "p.csv", GOOD))))
    assert run(clinic, "search", "smith") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["MRN", "Name", "DOB"]
    assert lines[1].split()[0] == "M0000002" and lines[1].endswith("01/15/1990")
    assert _search_json(clinic, "nobody-like-this", capsys) == []
    assert run(clinic, "search", "nobody") == 0
    assert capsys.readouterr().out.strip() == "No patients match."


def test_cli_search_limit(clinic: Services, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    rows = [person(f"Same{i}", "Name") for i in range(5)]
    clinic.patient_import.commit(clinic.patient_import.check(
        clinic.patient_import.read(write(tmp_path / "p.csv", rows))))
    assert run(clinic, "search", "same", "--json", "--limit", "2") == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
