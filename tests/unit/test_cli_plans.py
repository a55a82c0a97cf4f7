"""`clinic-clerk plans schedule` (app.cli_plans) through a parser of its own, so the command is
tested without app.cli: the table, the JSON, and one-line messages with exit status 2 for bad
terms. No database is opened: none exists here.
"""

from __future__ import annotations

import argparse
import json

import pytest

from app import cli_plans


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="clinic-clerk")
    cli_plans.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["plans", "schedule", *argv])
    code = cli_plans.cmd_plans(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_table_of_1000_at_12_percent_over_12_months(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--total", "1,000.00", "--count", "12", "--frequency",
                         "monthly", "--start", "2026-01-31", "--apr", "12")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["#", "Due", "Amount", "Principal", "Interest", "Remaining"]
    assert lines[1].split() == ["1", "01/31/2026", "88.85", "78.85", "10.00", "921.15"]
    assert lines[2].split() == ["2", "02/28/2026", "88.85", "79.64", "9.21", "841.51"]
    assert lines[12].split() == ["12", "12/31/2026", "88.84", "87.96", "0.88", "0.00"]
    assert lines[13].split() == ["Total", "1,066.19", "1,000.00", "66.19"]
    assert len(lines) == 14
    # amounts right-aligned: every row ends in the same column
    assert len({len(line) for line in lines[:13]}) == 1


def test_down_payment_is_shown_above_the_installments(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--total", "1200", "--down", "200", "--count", "4",
                       "--frequency", "biweekly", "--start", "2026-01-02")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("Down payment 200.00, collected when the plan is set up (not an "
                        "installment).")
    assert [ln.split()[1] for ln in lines[2:6]] == ["01/02/2026", "01/16/2026", "01/30/2026",
                                                    "02/13/2026"]
    assert lines[6].split() == ["Total", "1,000.00", "1,000.00", "0.00"]


def test_json_lists_every_installment_with_amounts_as_strings(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--total", "1000", "--count", "3", "--frequency",
                         "day-of-month", "--day-of-month", "31", "--start", "2024-01-15",
                         "--json")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert rows == [
        {"number": 1, "due_date": "2024-01-31", "amount": "333.33", "principal": "333.33",
         "interest": "0.00", "remaining": "666.67"},
        {"number": 2, "due_date": "2024-02-29", "amount": "333.33", "principal": "333.33",
         "interest": "0.00", "remaining": "333.34"},
        {"number": 3, "due_date": "2024-03-31", "amount": "333.34", "principal": "333.34",
         "interest": "0.00", "remaining": "0.00"},
    ]


def test_installment_amount_and_weekly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--total", "$1,000", "--installment", "300", "--frequency",
                       "weekly", "--start", "2026-12-25", "--apr", "26%", "--json")
    assert code == 0
    rows = json.loads(out)
    # 26% a year weekly is 0.5% a week:
    #   1  1000.00 × .005 = 5.00            principal 295.00  left 705.00
    #   2  705.00 × .005 = 3.525 → 3.53     principal 296.47  left 408.53
    #   3  408.53 × .005 = 2.04265 → 2.04   principal 297.96  left 110.57
    #   4  110.57 × .005 = 0.55285 → 0.55   last 110.57 + 0.55 = 111.12
    assert [r["amount"] for r in rows] == ["300.00", "300.00", "300.00", "111.12"]
    assert [r["interest"] for r in rows] == ["5.00", "3.53", "2.04", "0.55"]
    assert [r["remaining"] for r in rows] == ["705.00", "408.53", "110.57", "0.00"]
    assert [r["due_date"] for r in rows] == ["2026-12-25", "2027-01-01", "2027-01-08",
                                             "2027-01-15"]


def test_day_of_month_is_accepted_with_an_underscore_too(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--total", "100", "--count", "2", "--frequency", "day_of_month",
                       "--day-of-month", "1", "--start", "2026-03-10", "--json")
    assert code == 0
    assert [r["due_date"] for r in json.loads(out)] == ["2026-04-01", "2026-05-01"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--total", "1000", "--down", "1000", "--count", "3"],
     "clinic-clerk: --down: The down payment must be less than the total"),
    (["--total", "abc", "--count", "3"],
     "clinic-clerk: --total: give an amount in dollars and cents, such as 1200.00."),
    (["--total", "10.005", "--count", "3"],
     "clinic-clerk: --total: The total has fractions of a cent"),
    (["--total", "1000", "--count", "three"],
     "clinic-clerk: --count: give a whole number, such as 12."),
    (["--total", "1000", "--count", "400"],
     "clinic-clerk: --count: The number of installments must be from 1 to 360."),
    (["--total", "1000", "--installment", "5", "--apr", "9"],
     "clinic-clerk: --installment: An installment of $5.00 does not cover the first month's "
     "interest of $7.50; raise the installment or lower the rate."),
    (["--total", "1000", "--count", "3", "--apr", "40"],
     "clinic-clerk: --apr: The annual interest rate must be from 0% to 36%."),
    (["--total", "1000", "--count", "3", "--apr", "twelve"],
     "clinic-clerk: --apr: give the annual interest rate in percent"),
    (["--total", "1000", "--count", "3", "--start", "03/01/2026"],
     "clinic-clerk: --start: give a date as YYYY-MM-DD"),
    (["--total", "1000", "--count", "3", "--frequency", "fortnightly"],
     "clinic-clerk: --frequency: choose weekly, biweekly, monthly or day-of-month"),
    (["--total", "1000", "--count", "3", "--frequency", "day-of-month"],
     "clinic-clerk: --day-of-month: Choose the day of the month (1 to 31)"),
    (["--total", "1000", "--count", "3", "--day-of-month", "15"],
     "clinic-clerk: --day-of-month: A day of the month goes only with the day-of-month "
     "frequency."),
])
def test_bad_terms_give_one_line_naming_the_option_and_exit_2(
        capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    defaults = {"--frequency": "monthly", "--start": "2026-03-01"}
    for option, value in defaults.items():
        if option not in argv:
            argv = [*argv, option, value]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_count_and_installment_together_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        run(capsys, "--total", "1000", "--count", "3", "--installment", "100", "--frequency",
            "monthly", "--start", "2026-03-01")
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
