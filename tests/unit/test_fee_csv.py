"""The fee schedule and contract rate CSV layouts (app.formats.fee_csv): money, codes, dates,
per-row problems with line and column, and write → read giving back the same rows."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from app.errors import UserError
from app.formats import fee_csv
from app.formats.fee_csv import FeeLine, FileProblems, LineProblem, RateLine
from app.services.code_lookup import normalize_code


# --- money -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("$1,234.50", "1234.50"), ("1234.5", "1234.50"), ("1234", "1234.00"), (" 12.00 ", "12.00"),
    ("$ 7", "7.00"), (".5", "0.50"), ("0", "0.00"), ("1,000,000.00", None),
    ("999999.99", "999999.99"), ("12,345", "12345.00"),
])
def test_money_is_read_as_dollars_and_cents(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="more than 999,999.99"):
            fee_csv.parse_money(text)
        return
    value = fee_csv.parse_money(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected) and str(value) == expected  # always two places


@pytest.mark.parametrize(("text", "reason"), [
    ("-5", "negative"), ("(12.00)", "negative"), ("$-3", "negative"),
    ("1.234", "more than 2 decimal places"), ("12,34", "not an amount"),
    ("abc", "not an amount"), ("1e3", "not an amount"), ("", "is required"), ("$", "not an amount"),
    ("12.5.0", "not an amount"),
])
def test_bad_money_says_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        fee_csv.parse_money(text)


def test_amounts_are_never_floats() -> None:
    with pytest.raises(TypeError):
        fee_csv.check_amount(12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 decimal"):
        fee_csv.check_amount(Decimal("1.005"))
    assert fee_csv.check_amount(Decimal("3.1")) == Decimal("3.10")
    assert fee_csv.money_text(Decimal("1234.5")) == "1234.50"


# --- codes and dates ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["99213", " j.1100 ", "0001u", "0002M", "3074F", "0213T",
                                 "g0101", "99 213"])
def test_codes_fold_like_the_shared_lookup_and_are_accepted(raw: str) -> None:
    assert fee_csv.clean_code(raw) == normalize_code(raw)
    assert fee_csv.code_problem(fee_csv.clean_code(raw)) is None


@pytest.mark.parametrize("raw", ["9921", "992131", "ABCDE", "1234X", "J110", "", "E11.9"])
def test_codes_that_are_not_procedure_codes_are_refused(raw: str) -> None:
    assert fee_csv.code_problem(fee_csv.clean_code(raw))


def test_modifiers_are_empty_or_two_characters() -> None:
    assert fee_csv.modifier_problem("") is None
    assert fee_csv.modifier_problem(fee_csv.clean_modifier(" tc ")) is None
    assert fee_csv.modifier_problem("ABC")
    assert fee_csv.modifier_problem("2-")


def test_dates_iso_and_us_and_compact_only_when_asked() -> None:
    assert fee_csv.parse_date("2025-01-31") == date(2025, 1, 31)
    assert fee_csv.parse_date("1/31/2025") == date(2025, 1, 31)
    with pytest.raises(ValueError, match="not a date"):
        fee_csv.parse_date("20250131")
    assert fee_csv.parse_date("20250131", compact=True) == date(2025, 1, 31)
    with pytest.raises(ValueError, match="not a real date"):
        fee_csv.parse_date("2025-02-30")
    with pytest.raises(ValueError, match="required"):
        fee_csv.parse_date(" ")


def test_overlapping_reports_each_range_against_the_one_reaching_furthest() -> None:
    d = date
    ranges = [(d(2024, 1, 1), d(2024, 12, 31), "a"), (d(2025, 1, 1), None, "b"),
              (d(2024, 6, 1), d(2024, 6, 30), "c"), (d(2023, 1, 1), d(2023, 12, 31), "d")]
    assert fee_csv.overlapping(ranges) == [("c", "a")]
    assert fee_csv.overlapping([(d(2024, 1, 1), None, 1), (d(2030, 1, 1), d(2030, 1, 2), 2)]) \
        == [(2, 1)]
    assert fee_csv.overlapping([(d(2024, 1, 1), d(2024, 1, 1), 1),
                                (d(2024, 1, 2), d(2024, 1, 2), 2)]) == []


# --- reading files -----------------------------------------------------------------------------
def test_fee_schedule_rows_any_header_case_and_order() -> None:
    text = ("Charge;CODE;Modifier;Description\r\n"
            "\"$1,200.00\";99215;;Office visit\r\n"
            ";;;\r\n"
            "25.5;93000;26;ECG interpretation\r\n")
    read = fee_csv.read_fee_schedule(text)
    assert read.ok
    assert read.rows == [FeeLine("99215", "", Decimal("1200.00"), 2),
                         FeeLine("93000", "26", Decimal("25.50"), 4)]


def test_fee_schedule_problems_name_line_and_column() -> None:
    text = ("code,modifier,charge\n"
            "99213,,100\n"
            "9921,25,-4\n"          # line 3: code and charge
            "99213,,101\n"          # line 4: repeats line 2
            "99213,25,1.001\n"      # line 5: charge
            "J1100,ABC,5\n"         # line 6: modifier
            "93000,,5,extra\n")     # line 7: extra value
    read = fee_csv.read_fee_schedule(text)
    assert not read.ok and read.total_problems == 6
    assert [(p.line, p.column) for p in read.problems] == [
        (3, "code"), (3, "charge"), (4, "code"), (5, "charge"), (6, "modifier"), (7, "(row)")]
    assert "line 2" in read.problems[2].reason
    assert str(read.problems[0]).startswith("line 3, code: \"9921\"")


@pytest.mark.parametrize(("text", "column", "reason"), [
    ("code,charge,price\n99213,1,2\n", "price", "not a column"),
    ("code,modifier\n99213,\n", "charge", "no such column"),
    ("code,code,charge\n99213,99213,1\n", "code", "twice"),
    ("code,modifier,charge\n", "(rows)", "no rows"),
    ("\n\n", "(header)", "name the columns"),
])
def test_header_problems(text: str, column: str, reason: str) -> None:
    read = fee_csv.read_fee_schedule(text)
    assert not read.ok
    assert any(p.column == column and reason in p.reason for p in read.problems), read.problems


def test_contract_rates_rows_and_problems() -> None:
    text = ("payer_id,code,modifier,allowed,effective_from,effective_to\n"
            "bcbs1,99213,,82.17,2025-01-01,2025-12-31\n"
            "BCBS1,99213,,85.00,01/01/2026,\n"
            "BCBS1,99213,,90.00,2025-06-01,2025-06-30\n"      # line 4 overlaps line 2
            "AETNA,99213,25,1,2025-03-01,2025-02-01\n"        # line 5 ends before it starts
            ",99214,,1,2025-01-01,\n"                         # line 6 no payer
            "AETNA,99214,,1,2025-13-01,\n")                   # line 7 bad date
    read = fee_csv.read_contract_rates(text)
    assert read.rows[:2] == [
        RateLine("BCBS1", "99213", "", Decimal("82.17"), date(2025, 1, 1), date(2025, 12, 31), 2),
        RateLine("BCBS1", "99213", "", Decimal("85.00"), date(2026, 1, 1), None, 3)]
    assert [(p.line, p.column) for p in read.problems] == [
        (4, "effective_from"), (5, "effective_to"), (6, "payer_id"), (7, "effective_from")]
    assert "line 2" in read.problems[0].reason


def test_write_then_read_gives_back_the_same_rows() -> None:
    fees = [FeeLine("99213", "", Decimal("120.00")), FeeLine("93000", "26", Decimal("0.50")),
            FeeLine("J1100", "", Decimal("999999.99"))]
    out = io.StringIO(newline="")
    assert fee_csv.write_fee_schedule(fees, out) == 3
    again = fee_csv.read_fee_schedule(out.getvalue())
    assert [FeeLine(r.code, r.modifier, r.charge) for r in again.rows] == fees
    assert out.getvalue().splitlines()[0] == "code,modifier,charge"
    assert out.getvalue().splitlines()[2] == "93000,26,0.50"

    rates = [RateLine("P1", "99213", "", Decimal("82.17"), date(2025, 1, 1), date(2025, 6, 30)),
             RateLine("P1", "99213", "", Decimal("83.00"), date(2025, 7, 1), None)]
    out = io.StringIO(newline="")
    fee_csv.write_contract_rates(rates, out)
    read = fee_csv.read_contract_rates(out.getvalue())
    assert [RateLine(r.payer_id, r.code, r.modifier, r.allowed, r.effective_from,
                     r.effective_to) for r in read.rows] == rates
    assert out.getvalue().splitlines()[1] == "P1,99213,,82.17,2025-01-01,2025-06-30"


def test_decoding_excel_csv_and_refusing_binary() -> None:
    assert fee_csv.decode("\ufeffcode\r\n".encode(), "f.csv") == ("code\r\n", "utf-8")
    assert fee_csv.decode("Café".encode("cp1252"), "f.csv") == ("Café", "windows-1252")
    with pytest.raises(UserError, match="binary"):
        fee_csv.decode(b"PK\x03\x04\x00\x00", "book.xlsx")


def test_file_problems_message_lists_lines_in_order_and_counts_the_rest() -> None:
    problems = [LineProblem(n, "charge", "is required") for n in range(40, 1, -1)]
    err = FileProblems("fees.csv", problems)
    assert err.total == 39 and err.problems[0].line == 2
    msg = str(err)
    assert "Nothing was imported from fees.csv" in msg and "39 problems" in msg
    assert "line 2, charge: is required" in msg and "19 more" in msg
