"""HCPCS Level II: the CMS fixed-width record and CSV readers, and importing a release
(all-or-nothing, re-import refused, newer files update, older files only add, nothing deleted).

Fixtures are built here record by record from the CMS record layout; the real CMS 2019 release
in ../shared/reference/codes is an extra check that is skipped when the folder is absent.
"""

from __future__ import annotations

import csv
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDenied, UserError
from app.formats.cpt_csv import FormatError
from app.formats.hcpcs import MODIFIER, PROCEDURE, parse_csv, parse_fixed_width, parse_hcpcs
from app.models import AuditEvent, CodeSetRelease, ImportLog, Modifier, ProcedureCode
from app.services import Services
from app.services.procedure_codes import (
    ProcedureCodeService,
    import_summary_lines,
    release_start,
    version_from_filename,
)
from tests.conftest import ADMIN, ADMIN_PASSWORD, add_user

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "codes"
CMS_2019 = REFERENCE / "hcpcs-2019" / "HCPC2019_CONTR_ANWEB.txt"
CSV_REFERENCE = REFERENCE / "hcpcs_level_2.csv"


def record(code: str, seq: int, ric: str, long: str = "", short: str = "", add: str = "",
           effective: str = "", term: str = "", action: str = "") -> str:
    """One 320-character record placed by the CMS layout's 1-based positions."""
    r = [" "] * 320

    def put(pos: int, text: str) -> None:
        r[pos - 1: pos - 1 + len(text)] = list(text)

    put(1, code if len(code) == 5 else "   " + code)
    put(6, f"{seq:05d}")
    put(11, ric)
    put(12, long[:80])
    put(92, short[:28])
    put(269, add)
    put(277, effective)
    put(285, term)
    put(293, action)
    return "".join(r)


PREAMBLE = ["***Disclaimers\t\t\t\t",
            "*In some instances, brand names may appear in HCPCS descriptions.\xa0 \t\t",
            "\xa0\xa0 convey endorsement of any particular brand.\xa0 \t\t", "", ""]

BASE = [
    record("A0021", 100, "3", "Ambulance service, outside state per mile, transport",
           "Outside state ambulance serv", "19850101", "19960910", action="N"),
    record("J0129", 100, "3", "Injection, abatacept, 10 mg (code may be used for medicare when",
           "Abatacept injection", "20070101", "20120101", action="N"),
    record("J0129", 200, "4", "drug administered under the direct supervision of a physician)"),
    record("V5170", 100, "3", "Hearing aid, cros, in the ear", "Within ear cros hearing aid",
           "19820101", "20190101", "20181231", "D"),
    record("LT", 100, "7", "Left side (used to identify procedures performed on the left side "
           "of", "Left side", "19950101", "19950101", action="N"),
    record("LT", 200, "8", "the body)"),
]


def fixed_bytes(records: list[str], preamble: bool = True) -> bytes:
    lines = (PREAMBLE if preamble else []) + records
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def csv_bytes(headers: list[str], rows: list[list[str]]) -> bytes:
    path_text = [",".join(f'"{c}"' if "," in c or "\n" in c else c for c in headers)]
    path_text += [",".join(f'"{c}"' if "," in c or "\n" in c else c for c in r) for r in rows]
    return ("\r\n".join(path_text) + "\r\n").encode("utf-8")


@pytest.fixture
def codes(admin: Services) -> ProcedureCodeService:
    return ProcedureCodeService(admin.db, admin.ctx)


def counts(sv: Services) -> dict[str, int]:
    with sv.db.session() as s:
        return {
            "codes": s.scalar(select(func.count(ProcedureCode.id))) or 0,
            "modifiers": s.scalar(select(func.count(Modifier.id))) or 0,
            "releases": s.scalar(select(func.count(CodeSetRelease.id))) or 0,
            "logs": s.scalar(select(func.count(ImportLog.id))) or 0,
            "events": s.scalar(select(func.count(AuditEvent.id))
                               .where(AuditEvent.action.like("codes.%"))) or 0,
        }


def row(sv: Services, code: str) -> ProcedureCode:
    with sv.db.session() as s:
        r = s.scalars(select(ProcedureCode).where(ProcedureCode.code == code)).one()
        s.expunge(r)
        return r


# --- the fixed-width reader ---------------------------------------------------------------------
def test_fixed_width_joins_continuations_and_reads_dates_after_the_disclaimer() -> None:
    parsed = parse_fixed_width(fixed_bytes(BASE).decode("cp1252"))
    by_code = {e.code: e for e in parsed.procedures}
    assert parsed.layout == "fixed-width" and parsed.has_dates
    assert sorted(by_code) == ["A0021", "J0129", "V5170"]
    assert by_code["J0129"].long_description == (
        "Injection, abatacept, 10 mg (code may be used for medicare when drug administered "
        "under the direct supervision of a physician)")
    assert by_code["J0129"].line == len(PREAMBLE) + 2
    v = by_code["V5170"]
    assert (v.add_date, v.action_effective_date, v.termination_date, v.action_code) == (
        date(1982, 1, 1), date(2019, 1, 1), date(2018, 12, 31), "D")
    assert by_code["A0021"].termination_date is None
    [lt] = parsed.modifiers
    assert (lt.kind, lt.code, lt.short_description) == (MODIFIER, "LT", "Left side")
    assert lt.long_description.endswith("left side of the body)")


def test_records_with_trailing_blanks_trimmed_still_read() -> None:
    short = [r.rstrip() for r in BASE]  # CMS trims some continuation records
    parsed = parse_fixed_width("\n".join(short))
    assert [e.code for e in parsed.procedures] == ["A0021", "J0129", "V5170"]
    assert parsed.procedures[1].long_description.endswith("of a physician)")


@pytest.mark.parametrize(("bad", "column", "words"), [
    (record("A0100", 100, "3", "Taxi", "Taxi", "19820132"), "add date", "not a date"),
    (record("A0100", 100, "3", "Taxi", "Taxi", "19820101", term="2018-1-1"), "termination date",
     "not a date"),
    (record("A0100", 100, "5", "Taxi"), "record id", "not 3, 4, 7 or 8"),
    (record("a01  ", 100, "3", "Taxi"), "code", "not a HCPCS Level II code"),
    (record("99213", 100, "3", "Office visit"), "code", "not a HCPCS Level II code"),
    (record("A0021", 100, "3", "Again", "Again", "19850101"), "code", "appears again"),
    (record("A0999", 100, "4", "orphan continuation"), "record id", "continues"),
    (record("A0100", 100, "3", "", "Taxi", "19820101"), "long description", "is empty"),
    (record("A0100", 100, "3", "Taxi") + "extra text", "record", "320"),
])
def test_a_bad_record_names_its_line_and_what_is_wrong(bad: str, column: str,
                                                       words: str) -> None:
    records = [*BASE[:4], bad, *BASE[4:]]
    with pytest.raises(FormatError) as err:
        parse_fixed_width("\r\n".join(PREAMBLE + records))
    line = len(PREAMBLE) + 5
    assert [(p.line, p.column) for p in err.value.problems] == [(line, column)]
    assert words in err.value.problems[0].reason
    assert f"line {line}, {column}:" in str(err.value)


def test_every_bad_line_is_reported_not_only_the_first() -> None:
    records = [*BASE, record("B4100", 100, "3", "Food", "Food", "2019XX01"),
               record("B4102", 100, "3", "Food", "Food", "20190101"),
               record("B4102", 300, "4", "continued"), record("B4102", 200, "4", "out of order")]
    with pytest.raises(FormatError) as err:
        parse_fixed_width("\n".join(records))
    n = len(BASE)
    assert [(p.line, p.column) for p in err.value.problems] == [
        (n + 1, "add date"), (n + 4, "sequence number")]


def test_a_file_without_records_or_a_workbook_is_refused() -> None:
    with pytest.raises(FormatError, match="no HCPCS codes"):
        parse_fixed_width("\n".join(PREAMBLE))
    with pytest.raises(FormatError, match="Excel workbook"):
        parse_hcpcs(b"PK\x03\x04" + b"\x00" * 50)


# --- the CSV reader -----------------------------------------------------------------------------
CMS_HEADERS = ["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "PRICE1",
               "ADD DT", "ACT EFF DT", "TERM DT", "ACTION CD"]
CMS_ROWS = [
    ["A0021", "00100", "3", "Ambulance service, outside state per mile, transport",
     "Outside state ambulance serv", "00", "19850101", "19960910", "", "N"],
    ["J0129", "00100", "3", "Injection, abatacept, 10 mg (code may be used for medicare when",
     "Abatacept injection", "51", "20070101", "20120101", "", "N"],
    ["J0129", "00200", "4", "drug administered under the direct supervision of a physician)",
     "", "", "", "", "", ""],
    ["V5170", "00100", "3", "Hearing aid, cros, in the ear", "Within ear cros hearing aid",
     "00", "1/1/1982", "2019-01-01", "12/31/2018", "D"],
    ["LT", "00100", "7", "Left side", "Left side", "", "19950101", "19950101", "", "N"],
]


def test_csv_with_the_cms_workbook_columns_reads_like_the_fixed_width_file() -> None:
    from_csv = parse_hcpcs(csv_bytes(CMS_HEADERS, CMS_ROWS))
    from_txt = parse_hcpcs(fixed_bytes(BASE))
    assert from_csv.layout == "csv" and from_csv.has_dates
    strip = [replace(e, line=0) for e in from_csv.procedures]
    assert strip == [replace(e, line=0) for e in from_txt.procedures]
    assert [(m.code, m.kind) for m in from_csv.modifiers] == [("LT", MODIFIER)]


def test_csv_without_dates_or_record_ids_uses_code_length_and_keeps_dates_unknown() -> None:
    data = csv_bytes(["hcpcs", "long_description", "short_description"],
                     [["J0129", "Injection, abatacept, 10 mg", "Abatacept injection"],
                      ["lt", "Left side", "Left side"]])
    parsed = parse_hcpcs(data)
    assert not parsed.has_dates
    assert [(e.code, e.kind, e.add_date) for e in parsed.procedures] == [
        ("J0129", PROCEDURE, None)]
    assert [(e.code, e.kind) for e in parsed.modifiers] == [("LT", MODIFIER)]


def test_csv_problems_use_the_files_column_names_and_editor_line_numbers() -> None:
    rows = [CMS_ROWS[0],
            ["J0129", "00100", "3", "Injection, abatacept,\nsecond line", "Abatacept", "", "",
             "", "", ""],  # one row over lines 3-4
            ["V51", "00100", "3", "Hearing aid", "Hearing aid", "", "19820101", "", "", ""],
            ["V5180", "00100", "3", "Hearing aid", "Hearing aid", "", "19821301", "", "", ""]]
    with pytest.raises(FormatError) as err:
        parse_csv(csv_bytes(CMS_HEADERS, rows).decode())
    assert [str(p).split(":")[0] for p in err.value.problems] == [
        "line 5, HCPC", "line 6, ADD DT"]


def test_csv_without_a_code_column_is_refused_at_line_1() -> None:
    with pytest.raises(FormatError) as err:
        parse_csv("procedure,text\nA0021,Ambulance\n")
    assert {(p.line, p.column) for p in err.value.problems} == {(1, "code"),
                                                                (1, "long description")}


# --- importing a release ------------------------------------------------------------------------
def test_import_adds_codes_with_dates_drug_marks_modifiers_log_and_audit(
        admin: Services, codes: ProcedureCodeService, tmp_path: Path) -> None:
    path = write(tmp_path, "HCPC2023_CONTR_ANWEB.txt", fixed_bytes(BASE))
    result = codes.import_hcpcs(path)
    assert (result.version, result.added, result.updated, result.terminated) == ("2023", 3, 0, 1)
    assert result.modifiers_added == 1 and result.layout == "fixed-width"
    v = row(admin, "V5170")
    assert (v.system, v.effective_from, v.effective_to, v.source) == (
        "hcpcs", date(1982, 1, 1), date(2018, 12, 31), "import")
    assert row(admin, "J0129").is_drug and not row(admin, "A0021").is_drug
    with admin.db.session() as s:
        release = s.scalars(select(CodeSetRelease)).one()
        assert (release.system, release.version, release.effective_from, release.effective_to,
                release.codes, release.loaded_by) == ("hcpcs", "2023", date(2023, 1, 1), None, 3,
                                                      ADMIN)
        assert v.release_id == release.id
        lt = s.scalars(select(Modifier).where(Modifier.code == "LT")).one()
        assert lt.source == "hcpcs" and lt.description.endswith("of the body)")
        log = s.scalars(select(ImportLog)).one()
        assert (log.kind, log.filename, log.rows) == ("hcpcs", path.name, 4)
        event = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "codes.import_hcpcs")).one()
        assert '"added": 3' in event.details and event.username == ADMIN


def test_a_bad_line_imports_nothing_and_the_message_names_it(
        admin: Services, codes: ProcedureCodeService, tmp_path: Path) -> None:
    bad = [*BASE[:3], record("B4100", 100, "3", "Food", "Food", "20191301"), *BASE[3:]]
    path = write(tmp_path, "HCPC2023_CONTR_ANWEB.txt", fixed_bytes(bad))
    before = counts(admin)
    with pytest.raises(UserError) as err:
        codes.import_hcpcs(path)
    line = len(PREAMBLE) + 4
    assert f"line {line}, add date:" in str(err.value) and path.name in str(err.value)
    assert counts(admin) == before


def test_the_same_file_twice_is_refused(admin: Services, codes: ProcedureCodeService,
                                        tmp_path: Path) -> None:
    path = write(tmp_path, "HCPC2023_CONTR_ANWEB.txt", fixed_bytes(BASE))
    codes.import_hcpcs(path)
    before = counts(admin)
    with pytest.raises(UserError, match="already imported"):
        codes.import_hcpcs(path)
    copy = write(tmp_path, "renamed.txt", path.read_bytes())
    with pytest.raises(UserError, match="already imported"):
        codes.import_hcpcs(copy, version="2023 v2")
    assert counts(admin) == before


def test_a_release_already_loaded_needs_another_name(admin: Services,
                                                     codes: ProcedureCodeService,
                                                     tmp_path: Path) -> None:
    codes.import_hcpcs(write(tmp_path, "HCPC2023_CONTR_ANWEB.txt", fixed_bytes(BASE)))
    changed = write(tmp_path, "HCPC2023_CONTR_ANWEB_fixed.txt", fixed_bytes(BASE[:1]))
    with pytest.raises(UserError, match="2023 v2"):
        codes.import_hcpcs(changed)
    assert codes.import_hcpcs(changed, version="2023 v2").unchanged == 1


def test_a_newer_release_updates_adds_terminates_and_deletes_nothing(
        admin: Services, codes: ProcedureCodeService, tmp_path: Path) -> None:
    codes.import_hcpcs(write(tmp_path, "HCPC2023_CONTR_ANWEB.txt", fixed_bytes(BASE)))
    j = codes.get("J0129")
    assert j is not None
    codes.edit_procedure(replace(j.data(), is_drug=False))  # the clinic's own mark
    newer = [
        record("A0021", 100, "3", "Ambulance service, outside state per mile", "Out of state "
               "ambulance", "19850101", "20240101", "20241231", "D"),
        record("J0129", 100, "3", "Injection, abatacept, 10 mg", "Abatacept injection",
               "20070101", "20240101", action="C"),
        record("J9999", 100, "3", "Not otherwise classified, antineoplastic drugs", "Antineoplastic"
               " drug", "19900101", "19900101", action="N"),
        record("LT", 100, "7", "Left side", "Left side", "19950101", "20240101", action="C"),
    ]
    result = codes.import_hcpcs(write(tmp_path, "HCPC2024_JAN_ANWEB.txt", fixed_bytes(newer)))
    assert (result.version, result.added, result.updated, result.unchanged) == (
        "2024 JAN", 1, 2, 0)
    assert result.modifiers_updated == 1
    a = row(admin, "A0021")
    assert (a.short_description, a.effective_to) == ("Out of state ambulance",
                                                     date(2024, 12, 31))
    j2 = row(admin, "J0129")
    assert j2.long_description == "Injection, abatacept, 10 mg" and not j2.is_drug
    assert row(admin, "J9999").is_drug
    assert row(admin, "V5170").effective_to == date(2018, 12, 31)  # absent, still there
    with admin.db.session() as s:
        chain = [(r.version, r.effective_from, r.effective_to) for r in s.scalars(
            select(CodeSetRelease).order_by(CodeSetRelease.effective_from))]
    assert chain == [("2023", date(2023, 1, 1), date(2023, 12, 31)),
                     ("2024 JAN", date(2024, 1, 1), None)]


def test_an_older_release_only_adds_what_the_newer_one_lacks(
        admin: Services, codes: ProcedureCodeService, tmp_path: Path) -> None:
    codes.import_hcpcs(write(tmp_path, "HCPC2024_ANWEB.txt", fixed_bytes(BASE[:2] + BASE[3:4])))
    older = [record("A0021", 100, "3", "Old wording", "Old wording", "19850101", "19960910"),
             record("A0090", 100, "3", "Non-emergency transportation, per mile", "Non-emerg "
                    "vol", "19820101", "20030101", "20121231", "D")]
    result = codes.import_hcpcs(write(tmp_path, "HCPC2013_ANWEB.txt", fixed_bytes(older)))
    assert (result.added, result.updated, result.kept_newer) == (1, 0, 1)
    assert row(admin, "A0021").long_description.startswith("Ambulance service")
    assert row(admin, "A0090").effective_to == date(2012, 12, 31)


def test_a_csv_without_dates_keeps_the_dates_already_known(
        admin: Services, codes: ProcedureCodeService, tmp_path: Path) -> None:
    codes.import_hcpcs(write(tmp_path, "HCPC2023_CONTR_ANWEB.txt", fixed_bytes(BASE)))
    data = csv_bytes(["hcpcs", "seqnum", "recid", "long_description", "short_description"],
                     [["V5170", "0010", "3", "Hearing aid, cros, in the ear, new words",
                       "Within ear cros hearing aid"]])
    result = codes.import_hcpcs(write(tmp_path, "hcpcs_level_2.csv", data), version="2024")
    assert (result.layout, result.updated) == ("csv", 1)
    v = row(admin, "V5170")
    assert v.long_description.endswith("new words") and v.effective_to == date(2018, 12, 31)


def test_the_release_comes_from_the_file_name_or_the_clerk(codes: ProcedureCodeService,
                                                           tmp_path: Path) -> None:
    assert version_from_filename("HCPC2019_CONTR_ANWEB.txt") == "2019"
    assert version_from_filename("HCPC2024_JAN_ANWEB_v3.txt") == "2024 JAN v3"
    assert version_from_filename("hcpcs_level_2.csv") is None
    assert release_start("2024 APR") == date(2024, 4, 1)
    assert release_start("2025") == date(2025, 1, 1)
    path = write(tmp_path, "codes.txt", fixed_bytes(BASE))
    with pytest.raises(UserError, match="Say which HCPCS release"):
        codes.import_hcpcs(path)
    with pytest.raises(UserError, match="must start with its year"):
        codes.import_hcpcs(path, version="latest")
    assert codes.import_hcpcs(path, version=" 2023   OCT ").version == "2023 OCT"


def test_summary_lines_report_the_counts(codes: ProcedureCodeService, tmp_path: Path) -> None:
    result = codes.import_hcpcs(write(tmp_path, "HCPC2023_CONTR_ANWEB.txt", fixed_bytes(BASE)))
    lines = import_summary_lines(result)
    assert lines[0].startswith("HCPCS release 2023 imported from HCPC2023_CONTR_ANWEB.txt")
    assert "added 3, updated 0, unchanged 0" in lines[1]
    assert "Modifiers: added 1, updated 0" in lines


def test_only_code_set_managers_import(admin: Services, tmp_path: Path) -> None:
    path = write(tmp_path, "HCPC2023_CONTR_ANWEB.txt", fixed_bytes(BASE))
    add_user(admin, "desk", "front_desk")
    add_user(admin, "coder", "coder")
    admin.users.sign_in("desk", "a long enough pw")
    with pytest.raises(PermissionDenied):
        ProcedureCodeService(admin.db, admin.ctx).import_hcpcs(path)
    admin.users.sign_in("coder", "a long enough pw")
    assert ProcedureCodeService(admin.db, admin.ctx).import_hcpcs(path).added == 3
    admin.users.sign_in(ADMIN, ADMIN_PASSWORD)


# --- the real CMS files (skipped without ../shared) --------------------------------------------
@pytest.fixture
def cms_2019() -> Iterator[Path]:
    if not CMS_2019.is_file():
        pytest.skip("the shared CMS HCPCS 2019 release is not present")
    yield CMS_2019


def _first_records(path: Path) -> dict[str, set[str]]:
    """Codes by kind, found by the record-id position alone (independent of the reader)."""
    found: dict[str, set[str]] = {"3": set(), "7": set()}
    for line in path.read_bytes().decode("cp1252").split("\r\n"):
        if len(line) > 11 and line[5:10].isdigit() and line[10] in found:
            found[line[10]].add(line[:5].strip())
    return found


def test_the_cms_2019_release_reads_whole(cms_2019: Path) -> None:
    parsed = parse_hcpcs(cms_2019.read_bytes())
    first = _first_records(cms_2019)
    assert {e.code for e in parsed.procedures} == first["3"]
    assert {e.code for e in parsed.modifiers} == first["7"]
    v = next(e for e in parsed.procedures if e.code == "V5170")
    assert (v.termination_date, v.action_code) == (date(2018, 12, 31), "D")


def test_joined_descriptions_match_the_independent_csv_of_the_code_set(cms_2019: Path) -> None:
    if not CSV_REFERENCE.is_file():
        pytest.skip("the shared HCPCS CSV is not present")
    with CSV_REFERENCE.open(encoding="utf-8-sig", newline="") as fh:
        other = {r["hcpcs"]: r["long_description"] for r in csv.DictReader(fh)
                 if r["recid"] == "3"}
    ours = {e.code: e.long_description for e in parse_hcpcs(cms_2019.read_bytes()).procedures}
    both = [c for c in ours if c in other and len(ours[c]) > 80]  # multi-record descriptions
    same = sum(1 for c in both if ours[c] == other[c])
    assert len(both) > 1000 and same / len(both) > 0.95  # the rest changed between releases


def test_the_reference_csv_reads_with_its_continuation_rows() -> None:
    if not CSV_REFERENCE.is_file():
        pytest.skip("the shared HCPCS CSV is not present")
    with CSV_REFERENCE.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    parsed = parse_hcpcs(CSV_REFERENCE.read_bytes())
    assert len(parsed.procedures) == sum(1 for r in rows if r["recid"] == "3")
    assert len(parsed.modifiers) == sum(1 for r in rows if r["recid"] == "7")
    tails = {r["hcpcs"]: r["long_description"] for r in rows if r["recid"] in "48"}
    for e in parsed.procedures + parsed.modifiers:
        if e.code in tails:
            assert e.long_description.endswith(" " + tails[e.code])


def test_importing_the_cms_2019_release(admin: Services, codes: ProcedureCodeService,
                                        cms_2019: Path) -> None:
    first = _first_records(cms_2019)
    result = codes.import_hcpcs(cms_2019)
    assert result.version == "2019" and result.added == len(first["3"])
    with admin.db.session() as s:
        stored = set(s.scalars(select(ProcedureCode.code)))
        drugs = set(s.scalars(select(ProcedureCode.code).where(ProcedureCode.is_drug)))
        mods = set(s.scalars(select(Modifier.code)))
    assert stored == first["3"]
    assert drugs == {c for c in first["3"] if c.startswith("J")}
    assert mods == first["7"]
    assert [h.code for h in codes.search("abatacept")] == ["J0129"]


def test_a_long_list_of_problems_is_shortened_in_the_message() -> None:
    bad = [record(f"B{4000 + i}", 100, "3", "Food", "Food", "2019XX01") for i in range(25)]
    with pytest.raises(FormatError) as err:
        parse_fixed_width("\n".join(bad))
    assert len(err.value.problems) == 25
    assert "line 20, add date" in str(err.value) and "line 21," not in str(err.value)
    assert str(err.value).endswith("… and 5 more.")


def test_cms_modifier_text_over_500_characters_is_kept_whole(
        admin: Services, codes: ProcedureCodeService, tmp_path: Path) -> None:
    words = ("Technical component; under certain circumstances, a charge may be made for the "
             "technical component alone; under those circumstances the technical component "
             "charge is identified by adding modifier tc to the usual procedure number; "
             "technical component charges are institutional charges and not billed separately "
             "by physicians; however, portable x-ray suppliers only bill for technical "
             "component and should utilize modifier tc; the charge data from portable x-ray "
             "suppliers will then be used to build customary and prevailing profiles")
    assert len(words) > 500
    pieces = textwrap.wrap(words, 80)  # CMS wraps long descriptions at word boundaries
    recs = [record("TC", 100, "7", pieces[0], "Technical component", "19950101")]
    recs += [record("TC", 100 * (i + 2), "8", p) for i, p in enumerate(pieces[1:])]
    result = codes.import_hcpcs(write(tmp_path, "HCPC2023_ANWEB.txt", fixed_bytes(recs)))
    assert (result.modifiers_added, result.modifiers_shortened) == (1, 0)
    with admin.db.session() as s:
        text = s.scalars(select(Modifier.description).where(Modifier.code == "TC")).one()
    assert text == words
