"""Headless commands for payment plans: `plans schedule` prints the schedule the payment-plan
window would propose (app.formats.plan_schedule). Needs no database and no sign-in; registered
by `app.cli`.

Bad terms give one line on stderr and exit status 2 (bad usage), not 1: nothing was refused by
the clinic's data, the command line itself needs changing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from app.errors import UserError
from app.formats.plan_schedule import (
    MAX_INSTALLMENTS,
    Installment,
    PlanTerms,
    PlanTermsError,
    schedule,
    schedule_totals,
)

# PlanTerms field → the option that sets it, so a message names what to change
_OPTIONS = {"total": "--total", "down_payment": "--down", "count": "--count",
            "installment": "--installment", "frequency": "--frequency",
            "first_due": "--start", "apr": "--apr", "day_of_month": "--day-of-month"}
_HEADERS = ("#", "Due", "Amount", "Principal", "Interest", "Remaining")
_FREQUENCY_HELP = "choose weekly, biweekly, monthly or day-of-month (with --day-of-month N)."


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pl = sub.add_parser("plans", help="payment plans")
    psub = pl.add_subparsers(dest="plans_command", required=True)
    s = psub.add_parser(
        "schedule", help="print the installments a payment plan would have (no database)",
        description="Work out a payment plan's schedule as the payment-plan window proposes "
                    "it. The down payment is collected when the plan is set up and is not "
                    "one of the installments. Amounts are dollars and cents (1200 or "
                    "1,200.00).")
    # Values are read as text and checked in cmd_plans, so a bad one gives one line naming
    # the option rather than argparse's usage block.
    s.add_argument("--total", required=True, metavar="AMOUNT",
                   help="the balances the plan pays")
    s.add_argument("--down", default="0", metavar="AMOUNT",
                   help="down payment, collected at set-up (default 0)")
    how = s.add_mutually_exclusive_group(required=True)
    how.add_argument("--count", metavar="N",
                     help=f"number of installments (1 to {MAX_INSTALLMENTS})")
    how.add_argument("--installment", metavar="AMOUNT",
                     help="amount of each installment; the last one may be smaller")
    s.add_argument("--frequency", required=True,
                   metavar="weekly|biweekly|monthly|day-of-month",
                   help="how often an installment is due; day-of-month needs --day-of-month")
    s.add_argument("--day-of-month", metavar="N",
                   help="with --frequency day-of-month: the day (1-31; a shorter month uses "
                        "its last day), from the first such day on or after --start")
    s.add_argument("--start", required=True, metavar="YYYY-MM-DD",
                   help="first due date")
    s.add_argument("--apr", default="0", metavar="PERCENT",
                   help="annual interest rate in percent, 0 to 36 (default 0)")
    s.add_argument("--json", action="store_true",
                   help='print a JSON list of {number, due_date (YYYY-MM-DD), amount, '
                        'principal, interest, remaining}, amounts as strings such as "123.45"')


def cmd_plans(args: argparse.Namespace) -> int:
    try:
        return PLAN_COMMANDS[args.plans_command](args)
    except PlanTermsError as exc:
        # the engine names the window's choices; here the option's own spellings help more
        message = (_FREQUENCY_HELP if exc.field == "frequency" else str(exc))
        _fail(f"{_OPTIONS.get(exc.field, exc.field)}: {message}")
    except UserError as exc:
        _fail(str(exc))
    return 2


def _fail(message: str) -> None:
    sys.stderr.write(f"clinic-clerk: {message}".replace("\n", " ") + "\n")


def _schedule(args: argparse.Namespace) -> int:
    terms = terms_from_args(args)
    rows = schedule(terms)
    if args.json:
        sys.stdout.write(json.dumps([_as_json(r) for r in rows], indent=1) + "\n")
        return 0
    if terms.down_payment:
        sys.stdout.write(f"Down payment {terms.down_payment:,.2f}, collected when the plan is "
                         "set up (not an installment).\n")
    sys.stdout.write("\n".join(table_lines(rows)) + "\n")
    return 0


def terms_from_args(args: argparse.Namespace) -> PlanTerms:
    """The options as PlanTerms; UserError naming the option for text that is not a value."""
    return PlanTerms(
        total=_amount(args.total, "--total"),
        down_payment=_amount(args.down, "--down"),
        count=None if args.count is None else _whole(args.count, "--count"),
        installment=None if args.installment is None else _amount(args.installment,
                                                                   "--installment"),
        frequency=args.frequency.strip().lower().replace("-", "_"),
        first_due=_date(args.start, "--start"),
        apr=_percent(args.apr),
        day_of_month=None if args.day_of_month is None else _whole(args.day_of_month,
                                                                   "--day-of-month"))


def _amount(text: str, option: str) -> Decimal:
    cleaned = text.strip().removeprefix("$").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise UserError(f"{option}: give an amount in dollars and cents, such as 1200.00.")
    return value


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().removesuffix("%"))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise UserError("--apr: give the annual interest rate in percent, such as 12 or 12.5.")
    return value


def _whole(text: str, option: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise UserError(f"{option}: give a whole number, such as 12.") from None


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option}: give a date as YYYY-MM-DD, such as 2026-07-01.") from None


def _as_json(r: Installment) -> dict[str, object]:
    return {"number": r.number, "due_date": r.due_date.isoformat(),
            "amount": f"{r.amount:.2f}", "principal": f"{r.principal:.2f}",
            "interest": f"{r.interest:.2f}", "remaining": f"{r.remaining:.2f}"}


def table_lines(rows: list[Installment]) -> list[str]:
    """The schedule as a text table: one line per installment, then the totals."""
    amount, principal, interest = schedule_totals(rows)
    cells = [(str(r.number), f"{r.due_date:%m/%d/%Y}", f"{r.amount:,.2f}",
              f"{r.principal:,.2f}", f"{r.interest:,.2f}", f"{r.remaining:,.2f}")
             for r in rows]
    total = ("Total", "", f"{amount:,.2f}", f"{principal:,.2f}", f"{interest:,.2f}", "")
    widths = [max(len(c[i]) for c in (_HEADERS, *cells, total)) for i in range(6)]

    def line(c: tuple[str, ...]) -> str:
        # number and date to the left, amounts to the right (DESIGN.md §2.3)
        return "  ".join([c[0].ljust(widths[0]), c[1].ljust(widths[1])]
                         + [c[i].rjust(widths[i]) for i in range(2, 6)]).rstrip()

    return [line(_HEADERS), *(line(c) for c in cells), line(total)]


PLAN_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"schedule": _schedule}
