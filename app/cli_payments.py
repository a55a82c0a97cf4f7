"""Headless commands for payments and follow-up: `era import` (835 remittances) and
`report aging`. Same services as the window; registered by `app.cli`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    era = sub.add_parser("era", help="835 remittances (electronic remittance advice)")
    esub = era.add_subparsers(dest="era_command", required=True)
    imp = esub.add_parser("import", help="match and post an 835 file (all or nothing)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true",
                     help="show the match plan; post nothing")
    imp.add_argument("--json", action="store_true", help="print the summary as JSON")
    imp.add_argument("--reason", default="", help="(admins) post checks that do not balance, "
                                                  "for this written reason")
    rep = sub.add_parser("report", help="reports")
    rsub = rep.add_subparsers(dest="report_command", required=True)
    ag = rsub.add_parser("aging", help="accounts receivable aging by payer and patient")
    ag.add_argument("--format", choices=("text", "csv"), default="text")
    ag.add_argument("--by", choices=("service", "submission"), default="service",
                    help="age from the date of service (default) or of first submission")
    ag.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")


def cmd_era(args: argparse.Namespace) -> int:
    from app.cli import signed_in_services
    from app.services.fees import read_file_bytes

    data = read_file_bytes(args.file)
    services = signed_in_services(args)
    try:
        remits = services.remittances
        summary = (remits.plan(data, args.file.name) if args.dry_run
                   else remits.import_835(data, args.file.name, args.reason))
    finally:
        services.db.close()
    if args.json:
        print(json.dumps(summary.as_json(), indent=1))
    else:
        _print_summary(summary)
    return 0


def _print_summary(summary: Any) -> None:
    verb = "Posted" if summary.posted else "Dry run (nothing posted) for"
    print(f"{verb} {summary.filename}: {len(summary.checks)} check(s).")
    for c in summary.checks:
        print(f"Check {c.trace_number} from {c.payer}: ${c.total_paid:,.2f}"
              f"{' on ' + c.paid_on if c.paid_on else ''}; {c.claims} claim(s), "
              f"{c.matched} matched, {c.unmatched} unmatched.")
        if c.duplicate:
            print(f"  REFUSED: {c.duplicate}")
        for p in c.balance_problems:
            print(f"  DOES NOT BALANCE: {p}")
        if c.posted is None:
            for m in c.matches:
                where = (f"claim {m.claim_id} by {m.how} ({m.confidence})" if m.claim_id
                         else f"NO MATCH: {m.reason}")
                lines = (f", {m.lines_unmatched} of {m.lines} line(s) unmatched"
                         if m.lines_unmatched else f", {m.lines} line(s)")
                print(f"  CLP {m.claim_number} [{m.status_code}] paid ${m.paid:,.2f} → "
                      f"{where}{lines}")
            continue
        r = c.posted
        print(f"  paid ${r.paid:,.2f}; adjusted ${r.adjusted:,.2f}; to patients "
              f"${r.to_patient:,.2f}; to next payers ${r.to_next_payer:,.2f}; denied "
              f"${r.denied:,.2f} ({r.denials} claim(s)); reversed ${r.reversed:,.2f}; "
              f"provider adjustments ${r.provider_adjustments:,.2f}.")
        if r.secondary_claims:
            print(f"  secondary claims built (drafts): "
                  f"{', '.join(str(n) for n in r.secondary_claims)}")
        if r.underpayments:
            print(f"  underpaid lines queued: {r.underpayments}")
        if r.exceptions:
            print(f"  {len(r.exceptions)} exception(s) recorded with the remittance "
                  "(Payments tab → Exceptions):")
            for e in r.exceptions[:20]:
                print(f"    - {e}")


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date

    from app.cli import signed_in_services
    from app.errors import UserError

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    except ValueError:
        raise UserError("Give --as-of as YYYY-MM-DD.") from None
    services = signed_in_services(args)
    try:
        report = services.aging.report(as_of=as_of, basis=args.by)
    finally:
        services.db.close()
    if args.format == "csv":
        sys.stdout.write(report.to_csv())
        return 0
    for line in report.text_lines():
        print(line)
    return 0
