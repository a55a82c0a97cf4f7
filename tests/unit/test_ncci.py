"""CMS NCCI files: reading PTP and MUE files as CMS publishes them (app.formats.ncci) and
importing them (NcciService): all-or-nothing with line numbers, re-import refusal, PTP pairs
replaced per pair, MUE quarters closing the previous one, and the shared look-ups
(code_lookup.ncci_pairs / mue_for) seeing what was imported."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDenied, UserError
from app.formats import ncci
from app.formats.fee_csv import FileProblems
from app.models import AuditEvent, ImportLog, MueLimit, NcciEdit
from app.services import Services
from app.services import ncci as ncci_service
from app.services.code_lookup import mue_for, ncci_pairs
from app.services.ncci import NcciService, PtpEditRow
from tests.conftest import add_user

PREAMBLE = ("CPT codes, descriptions and other data only are copyright 2024 American Medical "
            "Association. All Rights Reserved.\n"
            "\"Applicable FARS/DFARS Restrictions Apply to Government Use.\"\n"
            "\n")
PTP_HEADER = ("Column 1,Column 2,*=in existence prior to 1996,Effective Date,"
              "Deletion Date *=no data,Modifier 0=not allowed 1=allowed 9=not applicable,"
              "PTP Edit Rationale\n")
WHY = "Misuse of column two code with column one code"
MUE_HEADER = ("HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,"
              "MUE Rationale\n")


def ptp_text(*rows: str, header: str = PTP_HEADER) -> str:
    return PREAMBLE + header + "".join(r + "\n" for r in rows)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def service(sv: Services) -> NcciService:
    return NcciService(sv.db, sv.ctx)


def count(sv: Services, model: type) -> int:
    with sv.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def audit(sv: Services, action: str) -> list[dict[str, object]]:
    with sv.db.session() as s:
        return [json.loads(e.details) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


# --- reading PTP files -------------------------------------------------------------------------
def test_ptp_file_as_cms_writes_it() -> None:
    text = ptp_text(
        ",,,,,,",                                                # a row of empty cells
        f"99213,36415,,20100101,*,0,{WHY}",
        "99213,93000,*,19960101,20240101,1,Standards of medical / surgical practice",
        "",
        "0001u,g0101,,2023-04-01,04/01/2023,9,CPT Manual or CMS manual coding instructions")
    table, problems = ncci.read_ptp(io.StringIO(text, newline=""), "ptp.csv")
    assert not problems
    assert table.edits() == [
        ncci.PtpEdit("99213", "36415", date(2010, 1, 1), None, "0", WHY),
        # deleted 01/01/2024: the edit applies through 12/31/2023
        ncci.PtpEdit("99213", "93000", date(1996, 1, 1), date(2023, 12, 31), "1",
                     "Standards of medical / surgical practice"),
        # deleted the day it took effect (retroactively): never in force
        ncci.PtpEdit("0001U", "G0101", date(2023, 4, 1), date(2023, 3, 31), "9",
                     "CPT Manual or CMS manual coding instructions"),
    ]
    assert list(table.pairs()) == [("99213", "36415"), ("99213", "93000"), ("0001U", "G0101")]


def test_tab_separated_text_with_a_wrapped_header_reads_the_same() -> None:
    header = ("Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\t"
              "PTP Edit Rationale\n"
              "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\n"
              "\t\t\t\t*=no data\t1=allowed\t\n")
    text = PREAMBLE + header + f"99213\t36415\t\t20100101\t*\t0\t{WHY}\n"
    table, problems = ncci.read_ptp(io.StringIO(text, newline=""), "ptp.txt")
    assert not problems
    assert table.edits() == [ncci.PtpEdit("99213", "36415", date(2010, 1, 1), None, "0", WHY)]


def test_a_workbook_saved_as_csv_with_line_breaks_in_header_cells() -> None:
    header = ('Column 1,Column 2,"*=in existence\nprior to 1996","Effective\nDate",'
              '"Deletion\nDate\n*=no data","Modifier\n0=not allowed\n1=allowed\n'
              '9=not applicable",PTP Edit Rationale\n')
    text = ptp_text(f"99213,36415,,20100101,*,0,{WHY}", "99213,3641,,20100101,*,0,x",
                    header=header)
    table, problems = ncci.read_ptp(io.StringIO(text, newline=""), "ptp.csv")
    assert table.edits() == [ncci.PtpEdit("99213", "36415", date(2010, 1, 1), None, "0", WHY)]
    # the header took lines 4-11, so the rows are lines 12 and 13
    assert [(p.line, p.column) for p in problems.items] == [(13, "Column 2")]


def test_ptp_problems_name_line_and_column_and_bad_rows_are_not_kept() -> None:
    text = ptp_text(                                                    # header is line 4
        f"99213,36415,,20100101,*,0,{WHY}",                             # 5 good
        "9921,36415,,20100101,*,0,x",                                   # 6 column 1
        "99213,36416,,2010-02-30,*,1,x",                                # 7 effective date
        "99213,36417,,20100101,20090101,1,x",                           # 8 deleted before start
        "99213,36418,,20100101,*,2,x",                                  # 9 modifier indicator
        "99213,36419,,20100101",                                        # 10 too few columns
        f"99213,36415,,20100101,*,1,{WHY}",                             # 11 repeats line 5
        f"99213,36415,,20110101,*,1,{WHY}")                             # 12 good: another date
    table, problems = ncci.read_ptp(io.StringIO(text, newline=""), "ptp.csv")
    found = sorted((p.line, p.column) for p in problems.items)
    assert found == [(6, "Column 1"), (7, "Effective Date"), (8, "Deletion Date"),
                     (9, "Modifier"), (10, "(row)"), (11, "Column 1")]
    assert problems.total == 6
    assert "repeats line 5" in next(p.reason for p in problems.items if p.line == 11)
    assert [(e.column2, e.effective_from.year) for e in table.edits()] == [("36415", 2010),
                                                                           ("36415", 2011)]
    with pytest.raises(FileProblems, match="6 problems"):
        problems.raise_for("ptp.csv")


def test_files_without_the_cms_header_are_refused() -> None:
    with pytest.raises(UserError, match="does not look like a CMS NCCI PTP edit file"):
        ncci.read_ptp(io.StringIO("code,modifier,charge\n99213,,1\n"), "fees.csv")
    with pytest.raises(UserError, match="empty"):
        ncci.read_ptp(io.StringIO(""), "empty.csv")
    _table, problems = ncci.read_ptp(io.StringIO(ptp_text()), "header-only.csv")
    assert [p.column for p in problems.items] == ["(rows)"]


def test_bypass_modifiers_and_indicators() -> None:
    assert frozenset({"59", "XE", "XS", "XP", "XU"}) == ncci.BYPASS_MODIFIERS
    assert ncci.bypass_allowed("1", [("20610", ["LT", " xs "]), ("99213", [])])
    assert ncci.bypass_allowed("1", [("20610", []), ("99213", ["25"])])
    assert not ncci.bypass_allowed("1", [("20610", ["25"]), ("99213", [])])
    assert not ncci.bypass_allowed("1", [("20610", ["LT"]), ("99213", ["RT"])])
    assert not ncci.bypass_allowed("0", [("20610", ["59"]), ("99213", [])])
    assert not ncci.bypass_allowed("9", [("20610", ["59"]), ("99213", [])])
    assert set(ncci.MODIFIER_INDICATORS) == {"0", "1", "9"}


def test_scan_bytes_hashes_and_picks_the_encoding_in_chunks() -> None:
    data = ("Column 1,Column 2\n" + "é" * 10).encode()
    split = data.index("é".encode()) + 1  # a chunk boundary inside a two-byte character
    scan = ncci.scan_bytes([data[:split], data[split:]], "f.csv")
    assert (scan.sha256, scan.encoding, scan.size) == (hashlib.sha256(data).hexdigest(),
                                                       "utf-8-sig", len(data))
    assert ncci.scan_bytes(["Café".encode("cp1252")], "f.csv").encoding == "cp1252"
    with pytest.raises(UserError, match="binary"):
        ncci.scan_bytes([b"PK\x03\x04rest"], "edits.xlsx")


def test_quarter_start() -> None:
    assert [ncci.quarter_start(date(2025, m, 15)).month for m in (1, 3, 4, 8, 12)] == \
        [1, 1, 4, 7, 10]


# --- reading MUE files -------------------------------------------------------------------------
def test_mue_file_rows_and_problems() -> None:
    text = (PREAMBLE + MUE_HEADER
            + "99213,1,2 Date of Service Edit: Policy,Clinical: Data\n"     # 5
            + "j1100,  60 ,3 Date of Service Edit: Clinical,Nature of Service/Procedure\n"
            + "0001U,0,1 Line Edit,CMS Policy\n"                              # 7: 0 units
            + "99214,one,1 Line Edit,x\n"                                     # 8
            + "99213,2,1 Line Edit,x\n"                                       # 9 repeats 5
            + "99215,1,1 Line Edit," + "r" * 121 + "\n")                       # 10 too long
    rows, problems = ncci.read_mue(io.StringIO(text, newline=""), "mue.csv")
    assert [(r.code, r.max_units, r.adjudication_indicator, r.line) for r in rows] == [
        ("99213", 1, "2 Date of Service Edit: Policy", 5),
        ("J1100", 60, "3 Date of Service Edit: Clinical", 6),
        ("0001U", 0, "1 Line Edit", 7)]
    assert sorted((p.line, p.column) for p in problems.items) == [
        (8, "MUE Values"), (9, "HCPCS/CPT Code"), (10, "MUE Rationale")]


# --- importing PTP -----------------------------------------------------------------------------
def test_ptp_import_is_listed_counted_and_seen_by_the_shared_lookup(admin: Services,
                                                                    tmp_path: Path) -> None:
    path = write(tmp_path / "ccipra-v301r0-f1.csv", ptp_text(
        f"99213,36415,,20100101,*,0,{WHY}",
        "99213,93000,*,19960101,20240101,1,Standards",
        "93000,36415,,20200101,*,9,x"))
    svc = service(admin)
    result = svc.import_ptp_csv(path)
    assert (result.kind, result.rows, result.added, result.removed) == ("ncci_ptp", 3, 3, 0)
    assert svc.pairs_for("99213") == [
        PtpEditRow("99213", "36415", date(2010, 1, 1), None, "0", WHY),
        PtpEditRow("99213", "93000", date(1996, 1, 1), date(2023, 12, 31), "1", "Standards")]
    assert [(r.column1, r.column2) for r in svc.pairs_for("36415")] == [("93000", "36415"),
                                                                       ("99213", "36415")]
    assert [r.column2 for r in svc.pairs_for("99213", date(2024, 1, 1))] == ["36415"]
    assert svc.pairs_for("99213")[1].bypassable
    counts = svc.counts(date(2024, 1, 1))
    assert (counts.ptp_edits, counts.ptp_in_force) == (3, 2)
    assert counts.last_ptp_import is not None and counts.last_mue_import is None
    with admin.db.session() as s:
        on_2023 = {(e.column1, e.column2) for e in ncci_pairs(s, ["93000", "99213", "36415"],
                                                              date(2023, 12, 31))}
        on_2024 = {(e.column1, e.column2) for e in ncci_pairs(s, ["93000", "99213", "36415"],
                                                              date(2024, 1, 1))}
        (log,) = s.scalars(select(ImportLog)).all()
        assert {e.import_id for e in s.scalars(select(NcciEdit))} == {log.id}
        assert (log.kind, log.rows, log.filename) == ("ncci_ptp", 3, "ccipra-v301r0-f1.csv")
    assert on_2023 == {("99213", "36415"), ("99213", "93000"), ("93000", "36415")}
    assert on_2024 == {("99213", "36415"), ("93000", "36415")}
    assert audit(admin, "ncci.import_ptp") == [{"file": "ccipra-v301r0-f1.csv", "rows": 3}]


def test_one_bad_row_imports_nothing(admin: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "ptp.csv", ptp_text(f"99213,36415,,20100101,*,0,{WHY}",
                                                "99213,93000,,20100101,*,5,x"))
    with pytest.raises(FileProblems) as err:
        service(admin).import_ptp_csv(path)
    assert "line 6, Modifier" in str(err.value)
    assert count(admin, NcciEdit) == 0 and count(admin, ImportLog) == 0
    assert audit(admin, "ncci.import_ptp") == []


def test_the_same_ptp_file_is_refused_the_second_time(admin: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "ptp.csv", ptp_text(f"99213,36415,,20100101,*,0,{WHY}"))
    service(admin).import_ptp_csv(path)
    with pytest.raises(UserError, match="already imported"):
        service(admin).import_ptp_csv(write(tmp_path / "renamed.csv", path.read_text()))
    assert count(admin, NcciEdit) == 1


def test_next_quarter_replaces_the_pairs_it_lists_and_keeps_the_others(
        admin: Services, tmp_path: Path) -> None:
    svc = service(admin)
    svc.import_ptp_csv(write(tmp_path / "q1-f1.csv", ptp_text(
        f"99213,36415,,20100101,*,0,{WHY}", "99213,93000,,20100101,*,1,x")))
    svc.import_ptp_csv(write(tmp_path / "q1-f2.csv", ptp_text("G0101,36415,,20150101,*,1,y")))
    result = svc.import_ptp_csv(write(tmp_path / "q2-f1.csv", ptp_text(
        f"99213,36415,,20100101,20250401,0,{WHY}",    # now deleted
        "99213,36416,,20250401,*,1,new")))            # new pair; 99213-93000 not listed
    assert (result.rows, result.removed) == (2, 1)
    assert [(r.column1, r.column2, r.effective_to) for r in svc.pairs_for("99213")] == [
        ("99213", "36415", date(2025, 3, 31)), ("99213", "36416", None),
        ("99213", "93000", None)]
    assert [r.column1 for r in svc.pairs_for("G0101")] == ["G0101"]
    assert count(admin, NcciEdit) == 4


def test_batched_writes_store_dates_as_the_orm_reads_them(admin: Services, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(ncci_service, "BATCH", 3)
    rows = [f"{99200 + n},{36400 + n},,2010{n % 12 + 1:02d}01,{'*' if n % 2 else '20240701'},1,x"
            for n in range(10)]
    service(admin).import_ptp_csv(write(tmp_path / "ptp.csv", ptp_text(*rows)))
    with admin.db.session() as s:
        got = [(e.column1, e.effective_from, e.effective_to) for e in s.scalars(
            select(NcciEdit).order_by(NcciEdit.column1))]
    assert got == [(str(99200 + n), date(2010, n % 12 + 1, 1),
                    None if n % 2 else date(2024, 6, 30)) for n in range(10)]


def test_a_file_changed_while_importing_is_refused(admin: Services, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "ptp.csv", ptp_text(f"99213,36415,,20100101,*,0,{WHY}"))
    read = ncci.read_ptp

    def read_then_change(stream: io.TextIOBase, filename: str) -> object:
        result = read(stream, filename)  # type: ignore[arg-type]
        with path.open("a", encoding="utf-8") as fh:
            fh.write("99213,93000,,20100101,*,0,x\n")
        return result

    monkeypatch.setattr(ncci, "read_ptp", read_then_change)
    with pytest.raises(UserError, match="changed while"):
        service(admin).import_ptp_csv(path)
    assert count(admin, NcciEdit) == 0 and count(admin, ImportLog) == 0


def test_coders_read_edits_billers_import_them(admin: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "ptp.csv", ptp_text(f"99213,36415,,20100101,*,0,{WHY}"))
    add_user(admin, "cody", "coder")
    add_user(admin, "bill", "biller")
    admin.users.sign_in("cody", "a long enough pw")
    with pytest.raises(PermissionDenied):
        service(admin).import_ptp_csv(path)
    with pytest.raises(PermissionDenied):
        service(admin).import_mue_csv(path)
    admin.users.sign_in("bill", "a long enough pw")
    service(admin).import_ptp_csv(path)
    admin.users.sign_in("cody", "a long enough pw")
    assert len(service(admin).pairs_for("36415")) == 1


# --- importing MUE -----------------------------------------------------------------------------
def mue_file(tmp_path: Path, name: str, *rows: str) -> Path:
    return write(tmp_path / name, PREAMBLE + MUE_HEADER + "".join(r + "\n" for r in rows))


def test_mue_quarters_close_the_previous_one_the_day_before(admin: Services,
                                                            tmp_path: Path) -> None:
    svc = service(admin)
    q1 = mue_file(tmp_path, "mue-q1.csv", "99213,1,2 Date of Service Edit: Policy,Policy",
                  "J1100,60,3 Date of Service Edit: Clinical,Clinical")
    q2 = mue_file(tmp_path, "mue-q2.csv", "99213,2,2 Date of Service Edit: Policy,Policy")
    assert svc.import_mue_csv(q1, date(2025, 1, 1)).rows == 2
    result = svc.import_mue_csv(q2, date(2025, 4, 1))
    assert (result.kind, result.rows, result.removed) == ("mue", 1, 2)
    with admin.db.session() as s:
        def units(code: str, day: date) -> int | None:
            m = mue_for(s, code, day)
            return m.max_units if m else None

        assert [units("99213", d) for d in (date(2024, 12, 31), date(2025, 3, 31),
                                            date(2025, 4, 1))] == [None, 1, 2]
        assert [units("J1100", d) for d in (date(2025, 3, 31), date(2025, 4, 1))] == [60, None]
        closed = s.scalars(select(MueLimit.effective_to).where(
            MueLimit.effective_from == date(2025, 1, 1))).all()
        assert set(closed) == {date(2025, 3, 31)}
    assert [(r.code, r.max_units) for r in svc.mue_limits(dos=date(2025, 2, 1))] == [
        ("99213", 1), ("J1100", 60)]
    assert [r.code for r in svc.mue_limits("j1", dos=date(2025, 2, 1))] == ["J1100"]
    counts = svc.counts(date(2025, 4, 1))
    assert (counts.mue_in_force, counts.mue_effective_from) == (1, date(2025, 4, 1))
    assert [e["effective_from"] for e in audit(admin, "ncci.import_mue")] == [
        "2025-01-01", "2025-04-01"]


def test_mue_file_for_the_same_quarter_replaces_an_older_quarter_is_refused(
        admin: Services, tmp_path: Path) -> None:
    svc = service(admin)
    svc.import_mue_csv(mue_file(tmp_path, "a.csv", "99213,1,x,y"), date(2025, 4, 1))
    corrected = svc.import_mue_csv(mue_file(tmp_path, "b.csv", "99213,3,x,y", "99214,2,x,y"),
                                   date(2025, 4, 1))
    assert corrected.removed == 1
    assert [(r.code, r.max_units) for r in svc.mue_limits(dos=date(2025, 4, 1))] == [
        ("99213", 3), ("99214", 2)]
    with pytest.raises(UserError, match="already imported"):
        svc.import_mue_csv(mue_file(tmp_path, "old.csv", "99213,9,x,y"), date(2025, 1, 1))
    assert count(admin, MueLimit) == 2 and count(admin, ImportLog) == 2


def test_mue_defaults_to_today_and_refuses_bad_files_whole(admin: Services,
                                                           tmp_path: Path) -> None:
    svc = service(admin)
    with pytest.raises(FileProblems, match="line 6, MUE Values"):
        svc.import_mue_csv(mue_file(tmp_path, "bad.csv", "99213,1,x,y", "99214,-1,x,y"))
    assert count(admin, MueLimit) == 0
    svc.import_mue_csv(mue_file(tmp_path, "good.csv", "99213,1,x,y"))
    assert [r.effective_from for r in svc.mue_limits()] == [date.today()]
