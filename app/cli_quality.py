"""Headless commands for quality measures: `quality evaluate` counts every active measure over
a period (app.services.quality), as the Quality tab does, and keeps the run for comparison
unless told not to. Registered by `app.cli`.

Bad dates give one line on stderr and exit status 2 (bad usage), before the database is
opened; a refusal by the clinic (sign-in, permission) is exit status 1 through `app.cli`.
Output carries counts and rates only, never patient data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from app.errors import UserError


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    q = sub.add_parser("quality", help="quality measures")
    qsub = q.add_subparsers(dest="quality_command", required=True)
    e = qsub.add_parser(
        "evaluate", help="count every active quality measure over a period",
        description="Evaluate the clinic's active quality measures over a measurement period "
                    "(both days included) and print, per measure, the initial population, "
                    "denominator, exclusions, numerator and rate = numerator / (denominator "
                    "- exclusions). The run is kept for comparison unless --no-save.")
    # Dates are read as text and checked in cmd_quality: a bad one gives one line naming the
    # option rather than argparse's usage block.
    e.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD",
                   help="first day of the measurement period")
    e.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD",
                   help="last day of the measurement period")
    e.add_argument("--json", action="store_true",
                   help="print a JSON list of {id, title, initial_population, denominator, "
                        "exclusions, numerator, rate}; rate is a fraction (0.8123) or null")
    e.add_argument("--no-save", action="store_true", help="do not keep the run")


def cmd_quality(args: argparse.Namespace) -> int:
    try:
        start = _date(args.date_from, "--from")
        end = _date(args.date_to, "--to")
        if end < start:
            raise UserError("--to: the period ends before it starts; give a day on or after "
                            "--from.")
    except UserError as exc:
        sys.stderr.write(f"clinic-clerk: {exc}".replace("\n", " ") + "\n")
        return 2
    return QUALITY_COMMANDS[args.quality_command](args, start, end)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option}: give a date as YYYY-MM-DD, such as 2025-01-01.") from None


def _evaluate(args: argparse.Namespace, start: date, end: date) -> int:
    from app.cli import signed_in_services

    services = signed_in_services(args)
    try:
        result = services.quality.evaluate(start, end, save=not args.no_save)
    finally:
        services.db.close()
    if args.json:
        sys.stdout.write(json.dumps([as_json(m) for m in result.measures], indent=1) + "\n")
        return 0
    sys.stdout.write("\n".join(table_lines(result)) + "\n")
    return 0


def _rate(rate: Decimal | None) -> float | None:
    return None if rate is None else float(rate)


def as_json(m: Any) -> dict[str, object]:
    c = m.counts
    return {"id": m.measure_id, "title": m.title, "initial_population": c.initial_population,
            "denominator": c.denominator, "exclusions": c.exclusions,
            "numerator": c.numerator, "rate": _rate(c.rate)}


def table_lines(result: Any) -> list[str]:
    """One line per measure: counts right-aligned, the rate as a percentage."""
    head = ("Measure", "IP", "Denom", "Excl", "Numer", "Rate")
    rows = []
    for m in result.measures:
        c = m.counts
        rate = "—" if c.rate is None else f"{c.rate * 100:.1f}%"
        title = m.title + (" (lower is better)" if m.inverse else "")
        rows.append((title, f"{c.initial_population:,}", f"{c.denominator:,}",
                     f"{c.exclusions:,}", f"{c.numerator:,}", rate))
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(6)]

    def line(r: tuple[str, ...]) -> str:
        return "  ".join([r[0].ljust(widths[0])]
                         + [r[i].rjust(widths[i]) for i in range(1, 6)]).rstrip()

    period = f"Quality measures {result.start:%m/%d/%Y} to {result.end:%m/%d/%Y}"
    saved = f" (run {result.run_id})" if result.run_id is not None else " (not saved)"
    return [period + saved, line(head), *(line(r) for r in rows)]


QUALITY_COMMANDS: dict[str, Callable[[argparse.Namespace, date, date], int]] = {
    "evaluate": _evaluate}
