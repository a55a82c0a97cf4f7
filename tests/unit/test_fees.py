"""FeeService: the fee schedule and payer contract rates — editing with optimistic locking,
permissions and audit, all-or-nothing CSV imports (upsert), re-import refusal, and the CSV
round trip (export → import gives back exactly the same entries and the same file)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.formats.fee_csv import FileProblems
from app.models import AuditEvent, ContractRate, FeeScheduleEntry, ImportLog, ProcedureCode
from app.services import Services
from app.services.directory import PayerData
from app.services.fees import ContractRateData, FeeService
from tests.conftest import add_user


def fees(sv: Services) -> FeeService:
    return FeeService(sv.db, sv.ctx)


def add_codes(sv: Services, *codes: tuple[str, str]) -> None:
    """Procedure codes as a code-set import would leave them (test fixture, no service)."""
    with sv.db.session() as s:
        for code, desc in codes:
            s.add(ProcedureCode(system="cpt" if code[0].isdigit() else "hcpcs", code=code,
                                short_description=desc))


def add_payer(sv: Services, name: str, payer_id: str) -> int:
    saved = sv.directory.save_payer(PayerData(name, payer_id, "CI"))
    assert saved.id is not None
    return saved.id


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding, newline="")
    return path


def events(sv: Services, action: str) -> list[dict[str, object]]:
    with sv.db.session() as s:
        return [json.loads(e.details or "{}") for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def table_count(sv: Services, model: type) -> int:
    with sv.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# --- editing fees ------------------------------------------------------------------------------
def test_set_fee_creates_then_updates_with_its_version(admin: Services) -> None:
    add_codes(admin, ("99213", "Office visit est low"))
    f = fees(admin)
    row = f.set_fee("99213", "", "$120")
    assert (row.code, row.modifier, row.charge, row.known) == ("99213", "", Decimal("120.00"),
                                                               True)
    assert row.description == "Office visit est low" and row.updated_by == "admin"
    again = f.set_fee("99213", "", Decimal("125.50"), version=row.version)
    assert again.charge == Decimal("125.50") and again.version == row.version + 1
    assert [r.charge for r in f.fee_schedule()] == [Decimal("125.50")]
    assert events(admin, "fees.set") == [
        {"code": "99213", "modifier": "", "charge": "120.00", "previous": ""},
        {"code": "99213", "modifier": "", "charge": "125.50", "previous": "120.00"}]


def test_stale_or_duplicate_fee_edits_are_conflicts(admin: Services) -> None:
    f = fees(admin)
    row = f.set_fee("j.1100", "", "5")
    assert row.code == "J1100" and not row.known and row.description == ""
    f.set_fee("J1100", "", "6", version=row.version)
    with pytest.raises(ConflictError):
        f.set_fee("J1100", "", "7", version=row.version)  # the copy the clerk saw is stale
    with pytest.raises(ConflictError):
        f.set_fee("J1100", "", "8")  # a "new" fee someone else already created
    with pytest.raises(ConflictError):
        f.set_fee("99213", "", "9", version=3)  # edited a fee someone else deleted
    assert [(r.code, r.charge) for r in f.fee_schedule()] == [("J1100", Decimal("6.00"))]


def test_set_fee_reports_every_problem_and_saves_nothing(admin: Services) -> None:
    with pytest.raises(ValidationError) as err:
        fees(admin).set_fee("9921", "ABC", "-1")
    assert set(err.value.problems) == {"code", "modifier", "charge"}
    with pytest.raises(TypeError):
        fees(admin).set_fee("99213", "", 1.5)  # type: ignore[arg-type]
    assert table_count(admin, FeeScheduleEntry) == 0


def test_delete_fee_needs_the_current_version(admin: Services) -> None:
    f = fees(admin)
    row = f.set_fee("99213", "25", "10")
    with pytest.raises(ConflictError):
        f.delete_fee("99213", "25", row.version + 1)
    f.delete_fee("99213", "25", row.version)
    assert f.fee_schedule() == []
    with pytest.raises(UserError, match="no longer exists"):
        f.delete_fee("99213", "25", row.version)
    assert events(admin, "fees.delete") == [{"code": "99213", "modifier": "25",
                                             "charge": "10.00"}]


def test_filter_matches_code_start_or_description(admin: Services) -> None:
    add_codes(admin, ("99213", "Office visit"), ("93000", "Electrocardiogram complete"))
    f = fees(admin)
    for code in ("99213", "99214", "93000"):
        f.set_fee(code, "", "1")
    assert [r.code for r in f.fee_schedule("992")] == ["99213", "99214"]
    assert [r.code for r in f.fee_schedule("cardio")] == ["93000"]
    assert [r.code for r in f.fee_schedule("%")] == []  # typed wildcards are plain text


def test_everyone_reads_fees_only_fee_managers_change_them(admin: Services) -> None:
    fees(admin).set_fee("99213", "", "100")
    add_user(admin, "fran", "front_desk")
    add_user(admin, "bill", "biller")
    admin.users.sign_in("fran", "a long enough pw")
    assert [r.code for r in fees(admin).fee_schedule()] == ["99213"]
    with pytest.raises(PermissionDenied):
        fees(admin).set_fee("99214", "", "100")
    admin.users.sign_in("bill", "a long enough pw")
    assert fees(admin).set_fee("99214", "", "100").updated_by == "bill"


# --- fee schedule files ------------------------------------------------------------------------
def test_import_upserts_and_keeps_fees_the_file_does_not_name(admin: Services,
                                                              tmp_path: Path) -> None:
    add_codes(admin, ("99213", "Office visit"))
    f = fees(admin)
    kept = f.set_fee("99212", "", "60")
    old = f.set_fee("99213", "", "100")
    same = f.set_fee("93000", "", "30")
    path = write(tmp_path / "fees.csv", "code,modifier,charge\n99213,,110\n93000,,30.00\n"
                                        "99213,25,\"$1,005.5\"\n")
    result = f.import_fee_schedule_csv(path)
    assert (result.rows, result.added, result.updated, result.unchanged) == (3, 1, 1, 1)
    # 93000 is not in the procedure table: imported, with a warning naming its line
    assert [w.split(":")[0] for w in result.warnings] == ["line 3, code"]
    rows = {(r.code, r.modifier): r for r in f.fee_schedule()}
    assert {k: r.charge for k, r in rows.items()} == {
        ("99212", ""): Decimal("60.00"), ("99213", ""): Decimal("110.00"),
        ("93000", ""): Decimal("30.00"), ("99213", "25"): Decimal("1005.50")}
    assert rows[("99213", "")].version == old.version + 1  # an open editor now sees a conflict
    assert rows[("93000", "")].version == same.version
    assert rows[("99212", "")].version == kept.version
    with admin.db.session() as s:
        (log,) = s.scalars(select(ImportLog)).all()
        assert (log.kind, log.rows, log.filename, log.username) == ("fee_schedule", 3,
                                                                    "fees.csv", "admin")
    assert events(admin, "fees.import") == [{"file": "fees.csv", "rows": 3, "added": 1,
                                             "updated": 1, "unchanged": 1, "warnings": 1}]


def test_unknown_codes_are_warnings_naming_their_lines(admin: Services, tmp_path: Path) -> None:
    add_codes(admin, ("99213", "Office visit"))
    path = write(tmp_path / "f.csv", "code,modifier,charge\n99213,,1\nG9999,,2\n")
    result = fees(admin).import_fee_schedule_csv(path)
    assert result.warnings == ("line 3, code: G9999 is not in the procedure code list yet; "
                               "it was imported anyway.",)


def test_a_bad_row_imports_nothing_and_names_every_problem(admin: Services,
                                                          tmp_path: Path) -> None:
    fees(admin).set_fee("99213", "", "100")
    path = write(tmp_path / "bad.csv", "code,modifier,charge\n99214,,150\n99213,,abc\n"
                                       "99215,,200\n99215,,201\n")
    with pytest.raises(FileProblems) as err:
        fees(admin).import_fee_schedule_csv(path)
    assert [(p.line, p.column) for p in err.value.problems] == [(3, "charge"), (5, "code")]
    assert "line 3, charge:" in str(err.value) and "Nothing was imported" in str(err.value)
    assert [(r.code, r.charge) for r in fees(admin).fee_schedule()] == [
        ("99213", Decimal("100.00"))]
    assert table_count(admin, ImportLog) == 0 and events(admin, "fees.import") == []
    # fixed, the same file name imports (it is the content that is remembered)
    write(path, "code,modifier,charge\n99214,,150\n99213,,101\n")
    assert fees(admin).import_fee_schedule_csv(path).rows == 2


def test_the_same_file_is_not_imported_twice(admin: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "fees.csv", "code,modifier,charge\n99213,,100\n")
    fees(admin).import_fee_schedule_csv(path)
    copy = write(tmp_path / "copy.csv", path.read_text())
    with pytest.raises(UserError, match="already imported .* by admin .*fees.csv"):
        fees(admin).import_fee_schedule_csv(copy)
    assert table_count(admin, ImportLog) == 1


def test_importing_needs_manage_fees(admin: Services, tmp_path: Path) -> None:
    path = write(tmp_path / "fees.csv", "code,modifier,charge\n99213,,100\n")
    add_user(admin, "cody", "coder")
    admin.users.sign_in("cody", "a long enough pw")
    with pytest.raises(PermissionDenied):
        fees(admin).import_fee_schedule_csv(path)
    assert table_count(admin, FeeScheduleEntry) == 0


def test_missing_file_is_a_user_error(admin: Services, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        fees(admin).import_fee_schedule_csv(tmp_path / "nope.csv")


def test_fee_schedule_csv_round_trip(admin: Services, tmp_path: Path) -> None:
    f = fees(admin)
    typed = {("99213", ""): "$1,234.5", ("99213", "25"): "0", ("J1100", ""): "7.05",
             ("93000", "26"): "999999.99", ("0213T", ""): "12"}
    for (code, mod), charge in typed.items():
        f.set_fee(code, mod, charge)
    before = [(r.code, r.modifier, r.charge) for r in f.fee_schedule()]
    first = tmp_path / "export1.csv"
    assert f.export_fee_schedule_csv(first) == 5
    # the exported file imports as "nothing changed"
    again = f.import_fee_schedule_csv(first)
    assert (again.rows, again.added, again.updated, again.unchanged) == (5, 0, 0, 5)
    # into an empty schedule it gives back exactly the same entries and the same file
    for r in f.fee_schedule():
        f.delete_fee(r.code, r.modifier, r.version)
    restored = tmp_path / "restored.csv"
    write(restored, first.read_text(encoding="utf-8") + "\n")  # a new file: not a re-import
    assert f.import_fee_schedule_csv(restored).added == 5
    assert [(r.code, r.modifier, r.charge) for r in f.fee_schedule()] == before
    second = tmp_path / "export2.csv"
    f.export_fee_schedule_csv(second)
    assert second.read_bytes() == first.read_bytes()
    assert first.read_text().splitlines()[1:3] == ["0213T,,12.00", "93000,26,999999.99"]
    assert [e["rows"] for e in events(admin, "fees.export")] == [5, 5]
    assert not list(tmp_path.glob(".*partial"))


def test_export_to_an_unwritable_place_is_a_user_error(admin: Services, tmp_path: Path) -> None:
    fees(admin).set_fee("99213", "", "1")
    with pytest.raises(UserError, match="could not be written"):
        fees(admin).export_fee_schedule_csv(tmp_path / "no-such-folder" / "fees.csv")
    assert events(admin, "fees.export") == []


# --- contract rates ----------------------------------------------------------------------------
def test_contract_rates_cannot_overlap_and_expected_allowed_follows_dates(
        admin: Services) -> None:
    f = fees(admin)
    bcbs = add_payer(admin, "Blue Plan", "BCBS1")
    first = f.set_contract_rate(ContractRateData(bcbs, "99213", "", "80.00", date(2025, 1, 1),
                                                 date(2025, 12, 31)))
    assert (first.payer_code, first.payer_name, first.allowed) == ("BCBS1", "Blue Plan",
                                                                   Decimal("80.00"))
    with pytest.raises(ValidationError) as err:
        f.set_contract_rate(ContractRateData(bcbs, "99213", "", "85", date(2025, 12, 31)))
    assert "overlaps the rate 01/01/2025 to 12/31/2025" in err.value.problems["effective_from"]
    f.set_contract_rate(ContractRateData(bcbs, "99213", "", "85", date(2026, 1, 1)))
    f.set_contract_rate(ContractRateData(bcbs, "99213", "25", "60", date(2025, 1, 1)))
    assert f.expected_allowed(bcbs, "99213", [], date(2024, 12, 31)) is None
    assert f.expected_allowed(bcbs, "99213", [], date(2025, 12, 31)) == Decimal("80.00")
    assert f.expected_allowed(bcbs, "99213", [], date(2026, 1, 1)) == Decimal("85.00")
    assert f.expected_allowed(bcbs, "99213", ["59", "25"], date(2025, 6, 1)) == Decimal("60.00")
    assert f.expected_allowed(bcbs, "99213", ["59"], date(2025, 6, 1)) == Decimal("80.00")
    assert f.expected_allowed(bcbs + 1, "99213", [], date(2025, 6, 1)) is None


def test_contract_rate_edit_uses_its_version(admin: Services) -> None:
    f = fees(admin)
    payer = add_payer(admin, "Acme", "ACME1")
    row = f.set_contract_rate(ContractRateData(payer, "99213", "", "80", date(2025, 1, 1)))
    data = ContractRateData(payer, "99213", "", "81", date(2025, 1, 1), date(2025, 6, 30),
                            id=row.id, version=row.version)
    changed = f.set_contract_rate(data)  # moving its own end date is not an overlap
    assert (changed.allowed, changed.effective_to) == (Decimal("81.00"), date(2025, 6, 30))
    with pytest.raises(ConflictError):
        f.set_contract_rate(data)
    with pytest.raises(ValidationError) as err:
        f.set_contract_rate(ContractRateData(payer + 99, "99213", "", "1", date(2025, 1, 1),
                                             date(2024, 1, 1)))
    assert set(err.value.problems) == {"payer_id", "effective_to"}
    with pytest.raises(ConflictError):
        f.delete_contract_rate(row.id, row.version)
    f.delete_contract_rate(row.id, changed.version)
    assert f.contract_rates() == []
    assert [e["allowed"] for e in events(admin, "contract_rates.set")] == ["80.00", "81.00"]
    assert len(events(admin, "contract_rates.delete")) == 1


def test_rate_import_upserts_on_start_date_and_checks_payers_and_overlaps(
        admin: Services, tmp_path: Path) -> None:
    f = fees(admin)
    acme = add_payer(admin, "Acme", "ACME1")
    add_payer(admin, "Blue Plan", "BCBS1")
    f.set_contract_rate(ContractRateData(acme, "99213", "", "80", date(2025, 1, 1),
                                         date(2025, 12, 31)))
    header = "payer_id,code,modifier,allowed,effective_from,effective_to\n"
    bad = write(tmp_path / "bad.csv", header
                + "ACME1,99213,,82,2025-07-01,\n"        # line 2: overlaps the stored 2025 rate
                + "NOPE,99213,,1,2025-01-01,\n"          # line 3: no such payer
                + "bcbs1,99213,,70,01/01/2025,\n")       # fine
    with pytest.raises(FileProblems) as err:
        f.import_contract_rates_csv(bad)
    assert [(p.line, p.column) for p in err.value.problems] == [(2, "effective_from"),
                                                                (3, "payer_id")]
    assert "stored rate 01/01/2025 to 12/31/2025" in err.value.problems[0].reason
    assert len(f.contract_rates()) == 1
    good = write(tmp_path / "good.csv", header
                 + "ACME1,99213,,82.50,2025-01-01,2025-06-30\n"  # replaces the stored 2025 rate
                 + "ACME1,99213,,84,07/01/2025,\n"
                 + "BCBS1,99213,,70,2025-01-01,\n")
    result = f.import_contract_rates_csv(good)
    assert (result.rows, result.added, result.updated, result.unchanged) == (3, 2, 1, 0)
    got = [(r.payer_code, r.allowed, r.effective_from, r.effective_to)
           for r in f.contract_rates()]
    assert got == [("ACME1", Decimal("82.50"), date(2025, 1, 1), date(2025, 6, 30)),
                   ("ACME1", Decimal("84.00"), date(2025, 7, 1), None),
                   ("BCBS1", Decimal("70.00"), date(2025, 1, 1), None)]
    assert [r.payer_code for r in f.contract_rates("blue")] == ["BCBS1"]
    assert [r.payer_code for r in f.contract_rates(payer_id=acme)] == ["ACME1", "ACME1"]
    with admin.db.session() as s:
        assert s.scalars(select(ImportLog.kind)).all() == ["contract_rates"]
    assert events(admin, "contract_rates.import")[0]["rows"] == 3


def test_contract_rates_csv_round_trip(admin: Services, tmp_path: Path) -> None:
    f = fees(admin)
    acme = add_payer(admin, "Acme", "ACME1")
    blue = add_payer(admin, "Blue Plan", "BCBS1")
    for payer, code, mod, allowed, start, end in [
            (acme, "99213", "", "82.17", date(2025, 1, 1), date(2025, 6, 30)),
            (acme, "99213", "", "83", date(2025, 7, 1), None),
            (blue, "93000", "26", "$1,000.10", date(2024, 10, 1), None)]:
        f.set_contract_rate(ContractRateData(payer, code, mod, allowed, start, end))
    before = [(r.payer_code, r.code, r.modifier, r.allowed, r.effective_from, r.effective_to)
              for r in f.contract_rates()]
    first = tmp_path / "rates.csv"
    assert f.export_contract_rates_csv(first) == 3
    assert first.read_text().splitlines()[1] == "ACME1,99213,,82.17,2025-01-01,2025-06-30"
    unchanged = f.import_contract_rates_csv(first)
    assert (unchanged.added, unchanged.updated, unchanged.unchanged) == (0, 0, 3)
    for r in f.contract_rates():
        f.delete_contract_rate(r.id, r.version)
    copy = write(tmp_path / "copy.csv", first.read_text() + "\n")
    assert f.import_contract_rates_csv(copy).added == 3
    assert [(r.payer_code, r.code, r.modifier, r.allowed, r.effective_from, r.effective_to)
            for r in f.contract_rates()] == before
    second = tmp_path / "again.csv"
    f.export_contract_rates_csv(second)
    assert second.read_bytes() == first.read_bytes()
    with admin.db.session() as s:
        assert s.scalar(select(func.count(ContractRate.id))) == 3
