"""`clinic-clerk`: the window by default, and headless commands over the same services.

Exit status: 0 success; 1 a refused or failed action, with a one-line reason on stderr;
2 bad usage. No traceback reaches the terminal: unexpected errors go to the log file.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from app import APP_NAME, __version__, cli_payments, cli_plans, cli_quality
from app.errors import Cancelled, UserError
from app.logging_setup import setup_logging

log = logging.getLogger(__name__)

ENV_DB = "CLINIC_CLERK_DB"
ENV_USER = "CLINIC_CLERK_USER"
ENV_PASSWORD = "CLINIC_CLERK_PASSWORD"  # noqa: S105 - the variable name


def default_db() -> Path:
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env)
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "clinic.ccdb"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clinic-clerk", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"ClinicClerk {__version__}")
    p.add_argument("--db", type=Path, default=None, help="clinic database file")
    p.add_argument("--user", default=None, help="user name for headless commands")
    p.add_argument("--self-test", action="store_true", help="check this installation, exit")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="open the window (the default)")
    d = sub.add_parser("demo", help="create a synthetic demo clinic")
    d.add_argument("--patients", type=int, default=2000)
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--if-missing", action="store_true",
                   help="do nothing when the database file already exists")
    s = sub.add_parser("screenshot", help="sign in and save a PNG of every tab")
    s.add_argument("outdir", type=Path)
    b = sub.add_parser("backup", help="write an encrypted, checked copy of the database")
    b.add_argument("out", type=Path)
    r = sub.add_parser("restore", help="replace the database with a checked backup")
    r.add_argument("incoming", type=Path)
    a = sub.add_parser("audit", help="the audit trail")
    asub = a.add_subparsers(dest="audit_command", required=True)
    asub.add_parser("verify", help="check the hash chain of every event")
    e = asub.add_parser("export", help="write the audit log to CSV")
    e.add_argument("out", type=Path)
    e.add_argument("--json", action="store_true", help="print the count as JSON")
    _patients_parser(sub)
    _codes_parser(sub)
    _eligibility_parser(sub)
    _claims_parser(sub)
    cli_payments.add_parsers(sub)
    cli_plans.add_parsers(sub)
    cli_quality.add_parsers(sub)
    return p


def _search_limit(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 10_000:
        raise argparse.ArgumentTypeError("a number of patients from 1 to 10000")
    return n


def _patients_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pt = sub.add_parser("patients", help="import and find patients")
    psub = pt.add_subparsers(dest="patients_command", required=True)
    i = psub.add_parser(
        "import-csv", help="import patients from a CSV file (all or nothing)",
        description="The header names the app's fields: last_name, first_name, middle_name, "
                    "dob (YYYY-MM-DD), sex (M/F/U), address1, address2, city, state, zip, "
                    "phone, email, ssn (also preferred_name, mobile_phone, language). A file "
                    "with any bad row imports nothing and lists every problem.")
    i.add_argument("file", type=Path)
    i.add_argument("--only-clean", action="store_true",
                   help="import the clean rows; write the others to --rejected")
    i.add_argument("--rejected", type=Path, metavar="OUT",
                   help="where --only-clean writes the rows with problems (CSV)")
    i.set_defaults(import_parser=i)
    f = psub.add_parser("search", help="find patients as the window's search does")
    f.add_argument("query", help="name (either order), DOB (MM/DD/YYYY or ISO), MRN or phone")
    f.add_argument("--json", action="store_true",
                   help="print a JSON list of {mrn, last_name, first_name, dob}")
    f.add_argument("--limit", type=_search_limit, default=50,
                   help="most patients to list (default 50)")


def _codes_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cd = sub.add_parser("codes", help="look up and import diagnosis and procedure codes")
    csub = cd.add_subparsers(dest="codes_command", required=True)
    f = csub.add_parser("search", help="find codes as the Coding tab's look-up does")
    f.add_argument("query", help="a code or its prefix (E11.4, J1100) or words in any order")
    f.add_argument("--system", choices=("icd10cm", "hcpcs", "cpt"), default="icd10cm",
                   help="which code set (default icd10cm)")
    f.add_argument("--billable", action="store_true",
                   help="only codes that may go on a claim (ICD-10-CM leaves, HCPCS/CPT codes "
                        "in force today)")
    f.add_argument("--json", action="store_true",
                   help="print a ranked JSON list of {code, description, billable}")
    f.add_argument("--limit", type=_search_limit, default=50, help="most codes to list")
    i = csub.add_parser("import-hcpcs", help="import a CMS HCPCS Level II file (all or nothing)",
                        description="The fixed-width file CMS publishes (HCPC20xx_..._ANWEB.txt) "
                                    "or its CSV form. A file with any bad line imports nothing "
                                    "and lists every bad line.")
    i.add_argument("file", type=Path)
    i.add_argument("--release", metavar="VERSION",
                   help="the release's name, e.g. 2025 or 2025 APR (default: from the file name)")
    for kind, what in (("carc", "claim adjustment reason codes"),
                       ("rarc", "remittance advice remark codes")):
        k = csub.add_parser(f"import-{kind}", help=f"replace the list of {what} with X12's "
                                                   "(all or nothing)",
                            description="The X12 code list page saved as HTML or copied as "
                                        "text, or a CSV with code and description columns.")
        k.add_argument("file", type=Path)


def _eligibility_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    el = sub.add_parser("eligibility", help="270 inquiries out, 271 answers in")
    esub = el.add_subparsers(dest="eligibility_command", required=True)
    x = esub.add_parser("export-270", help="write a 270 batch for the clearinghouse portal",
                        description="Everyone with a visit in the next N days whose coverage "
                                    "was not verified in the last 30 days.")
    x.add_argument("--out", type=Path, required=True, help="the 270 file to write")
    x.add_argument("--days", type=int, default=7, help="visits up to N days ahead (default 7)")
    i = esub.add_parser("import-271", help="read a 271 file into verifications (all or "
                                           "nothing)")
    i.add_argument("file", type=Path)
    r = esub.add_parser("read-271", help="print what a 271 says; needs no database and "
                                         "stores nothing")
    r.add_argument("file", type=Path)
    r.add_argument("--json", action="store_true", help="print JSON: per subscriber its name, "
                                                       "member ID, rejections and EB lines")


def _claims_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cl = sub.add_parser("claims", help="build, check, print and send claims")
    csub = cl.add_subparsers(dest="claims_command", required=True)
    ls = csub.add_parser("list", help="claims by status")
    ls.add_argument("--status", default=None, help="draft, ready, submitted, accepted, "
                                                   "rejected, replaced or voided")
    mk = csub.add_parser("create", help="the primary claim for a coded visit")
    mk.add_argument("--encounter", type=int, required=True, help="the visit's number")
    ck = csub.add_parser("check", help="run the scrubber on claims; --ready marks the clean "
                                       "ones ready")
    ck.add_argument("claims", type=int, nargs="+", help="claim numbers")
    ck.add_argument("--ready", action="store_true", help="mark ready when no error is found")
    x = csub.add_parser("export-837", help="write ready electronic claims as one 837P file, "
                                           "validated first")
    x.add_argument("--out", type=Path, required=True, help="the 837P file to write")
    _which_claims(x)
    pr = csub.add_parser("print", help="print ready paper claims on the CMS-1500 to a PDF "
                                       "(marks them submitted)")
    pr.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    pr.add_argument("--mode", choices=("data", "form"), required=True,
                    help="data: only the data, for the red form; form: the whole form drawn")
    pr.add_argument("--offset-x", type=int, default=None, help="tenths of an inch to the "
                    "right (default: this workstation's calibration)")
    pr.add_argument("--offset-y", type=int, default=None, help="tenths of an inch down")
    _which_claims(pr)
    al = csub.add_parser("alignment", help="write the printer alignment test page")
    al.add_argument("--out", type=Path, required=True)
    ack = csub.add_parser("import-ack", help="read a 999 or 277CA acknowledgement (all or "
                                             "nothing)")
    ack.add_argument("file", type=Path)


def _which_claims(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--all-ready", action="store_true",
                   help="every ready claim of this kind, oldest first (the default)")
    g.add_argument("--claim", type=int, action="append", help="a claim number (repeatable)")


# --- helpers shared by commands -----------------------------------------------------------------
def clinic_passphrase(db_path: Path) -> str:
    """From CLINIC_CLERK_PASSPHRASE, the keyring, or a prompt on a terminal."""
    from app.services import secrets

    found = secrets.from_environment() or secrets.remembered(db_path)
    if found:
        return found
    if not sys.stdin.isatty():
        raise UserError("Set CLINIC_CLERK_PASSPHRASE (no terminal to ask for the passphrase).")
    return getpass.getpass("Clinic passphrase: ")


def user_password(username: str) -> str:
    pw = os.environ.get(ENV_PASSWORD)
    if pw:
        return pw
    if not sys.stdin.isatty():
        raise UserError("Set CLINIC_CLERK_PASSWORD (no terminal to ask for the password).")
    return getpass.getpass(f"Password for {username}: ")


def signed_in_services(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Open the clinic and sign in as --user / CLINIC_CLERK_USER."""
    from app.services import Services
    from app.services.clinic import open_clinic

    username = args.user or os.environ.get(ENV_USER)
    if not username:
        raise UserError("Name the user with --user NAME or CLINIC_CLERK_USER.")
    passphrase = clinic_passphrase(args.db)
    services = Services(open_clinic(args.db, passphrase), passphrase)
    try:
        services.users.sign_in(username, user_password(username))
    except BaseException:
        services.db.close()
        raise
    return services


# --- commands ------------------------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    from app.services.demo import DEMO_PASSPHRASE, DEMO_PASSWORD, DEMO_STAFF, create_demo

    if args.db.exists():
        if args.if_missing:
            print(f"Demo clinic already at {args.db}")
            return 0
        raise UserError(f"{args.db} already exists; choose another file or delete it first.")
    if not 0 <= args.patients <= 2_000_000:
        raise UserError("--patients is from 0 to 2,000,000.")
    result = create_demo(args.db, patients=args.patients, seed=args.seed)
    custom_pass = bool(os.environ.get("CLINIC_CLERK_PASSPHRASE"))
    custom_pw = bool(os.environ.get(ENV_PASSWORD))
    print(f"Demo clinic created at {result.path} with {result.patients} synthetic patients.")
    print("  passphrase: " + ("(from CLINIC_CLERK_PASSPHRASE)" if custom_pass
                              else DEMO_PASSPHRASE))
    print(f"  admin user: {result.admin_username} / "
          + ("(from CLINIC_CLERK_PASSWORD)" if custom_pw else DEMO_PASSWORD))
    for username, _name, role in DEMO_STAFF:
        print(f"  {role} user: {username} / {DEMO_PASSWORD}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    services = signed_in_services(args)
    try:
        result = services.backup.backup(args.out)
    finally:
        services.db.close()
    print(f"Backup written and verified: {result.path} ({result.size:,} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    services = signed_in_services(args)
    try:
        kept = services.backup.restore(args.incoming)
    finally:
        services.db.close()
    print(f"Restored from {args.incoming}. The replaced database was kept at {kept}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    services = signed_in_services(args)
    try:
        if args.audit_command == "verify":
            res = services.audit.verify()
            if res.ok:
                print(f"Audit trail intact: {res.count} events.")
                return 0
            print(f"Audit trail broken at event {res.first_bad_seq}: {res.reason} "
                  f"({res.count} events before it are intact).", file=sys.stderr)
            return 1
        from app.services.audit import AuditFilter

        n = services.audit.export_csv(AuditFilter(), args.out)
        print(json.dumps({"rows": n}) if args.json else f"{n} events written to {args.out}")
        return 0
    finally:
        services.db.close()


def cmd_patients(args: argparse.Namespace) -> int:
    if args.patients_command == "import-csv" and args.only_clean != bool(args.rejected):
        args.import_parser.error("--only-clean and --rejected OUT go together: the rows with "
                                 "problems are written to OUT")
    services = signed_in_services(args)
    try:
        if args.patients_command == "search":
            return _patients_search(services, args)
        return _patients_import(services, args)
    finally:
        services.db.close()


def _patients_import(services, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    importer = services.patient_import
    check = importer.check(importer.read(args.file), strict_columns=True)
    if check.already_imported is not None:
        raise UserError(check.already_imported.refusal())
    for problem in check.problems:
        print(problem, file=sys.stderr)
    if check.problems and not args.only_clean:
        print(f"clinic-clerk: nothing was imported: {len(check.bad_lines)} row(s) of "
              f"{check.total} have problems (listed above). Fix them and import the file "
              "again.", file=sys.stderr)
        return 1
    result = importer.commit(check, only_clean=args.only_clean, rejected_out=args.rejected)
    from app.services.patient_import import patients_count

    done = f"Imported {patients_count(result.imported)}"
    if result.rejected:
        print(f"{done}; {result.rejected} row(s) with problems were written to "
              f"{args.rejected}.")
    else:
        print(f"{done}.")
    return 0


def _patients_search(services, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    rows = services.patients.search(args.query, limit=args.limit)
    if args.json:
        print(json.dumps([{"mrn": r.mrn, "last_name": r.last_name, "first_name": r.first_name,
                           "dob": r.dob.isoformat()} for r in rows], ensure_ascii=False))
        return 0
    if not rows:
        print("No patients match.")
        return 0
    names = [f"{r.last_name}, {r.first_name}" + (f" {r.middle_name}" if r.middle_name else "")
             for r in rows]
    width = max(4, *(len(n) for n in names))
    print(f"{'MRN':<10}  {'Name':<{width}}  DOB")
    for r, name in zip(rows, names, strict=True):
        print(f"{r.mrn:<10}  {name:<{width}}  {r.dob:%m/%d/%Y}")
    return 0


def cmd_codes(args: argparse.Namespace) -> int:
    services = signed_in_services(args)
    try:
        if args.codes_command == "search":
            return _codes_search(services, args)
        if args.codes_command in ("import-carc", "import-rarc"):
            return _codes_list(services, args)
        result = services.procedure_codes.import_hcpcs(args.file, args.release)
        from app.services.procedure_codes import import_summary_lines

        print("\n".join(import_summary_lines(result)))
        return 0
    finally:
        services.db.close()


def _codes_list(services: Any, args: argparse.Namespace) -> int:
    from app.services.fees import read_file_bytes

    kind = args.codes_command.removeprefix("import-")
    r = services.adjustment_codes.import_list(read_file_bytes(args.file), args.file.name, kind)
    print(f"Imported {r.codes:,} {kind.upper()} codes from {r.filename} ({r.active:,} in use "
          f"today); the previous list had {r.replaced:,}.")
    return 0


def _codes_search(services, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.services.code_sets import ensure_bundled_icd10cm

    rows: list[tuple[str, str, bool]]
    if args.system == "icd10cm":
        if ensure_bundled_icd10cm(services.db):
            print("Loaded the bundled ICD-10-CM code set (first use).", file=sys.stderr)
        hits = services.code_sets.search_diagnoses(args.query, billable_only=args.billable,
                                                   limit=args.limit)
        rows = [(h.code, h.description, h.billable) for h in hits]
    else:
        # --billable: only codes in force today, filtered before the limit is applied
        found = services.procedure_codes.search(
            args.query, system=args.system, on=date.today() if args.billable else None,
            limit=args.limit)
        rows = [(h.code, h.short_description or h.long_description, h.in_force)
                for h in found]
    if args.json:
        print(json.dumps([{"code": c, "description": d, "billable": b} for c, d, b in rows],
                         ensure_ascii=False))
        return 0
    if not rows:
        print("No codes match.")
        return 0
    width = max(4, *(len(c) for c, _, _ in rows))
    for code, description, billable in rows:
        print(f"{code:<{width}}  {' ' if billable else '*'}  {description}")
    if not all(b for _, _, b in rows):
        print("* not billable (a heading, or a code not in force today)")
    return 0


def cmd_screenshot(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    services = signed_in_services(args)
    try:
        from app.ui.screenshot import save_screenshots

        for path in save_screenshots(services, args.outdir):
            print(path)
    finally:
        services.db.close()
    return 0


def no_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def cmd_run(args: argparse.Namespace) -> int:
    if no_display():
        raise UserError("No display found, so the window cannot open. Headless, use: "
                        f"clinic-clerk --db {args.db} screenshot OUTDIR")
    from app.ui.app import run_window

    return run_window(args.db)


def cmd_eligibility(args: argparse.Namespace) -> int:
    if args.eligibility_command == "read-271":
        return _read_271(args)
    services = signed_in_services(args)
    try:
        files = services.eligibility_files
        if args.eligibility_command == "export-270":
            result = files.export_270(args.out, days=args.days)
            print(f"Wrote {result.inquiries:,} inquiries to {result.path} (interchange "
                  f"{result.control_number}).")
            return 0
        done = files.import_271(args.file)
        print(f"Read {done.filename}: {done.checks:,} verifications, {done.rejected:,} "
              f"rejected by the payer (work items opened), {done.differences:,} differences "
              "to review in Benefits.")
        return 0
    finally:
        services.db.close()


def cmd_claims(args: argparse.Namespace) -> int:
    services = signed_in_services(args)
    try:
        return CLAIM_COMMANDS[args.claims_command](services, args)
    finally:
        services.db.close()


def _claims_list(services: Any, args: argparse.Namespace) -> int:
    rows = services.claims.search(status=args.status, limit=1000)
    for r in rows:
        dos = f"{r.dos:%m/%d/%Y}" if r.dos else "—"
        print(f"{r.number:>10}  {r.status:<9}  {r.method:<10}  {dos}  {r.payer_name[:24]:<24}"
              f"  {r.total:>12,.2f}  {r.lines} line(s)")
    print(f"{len(rows):,} claim(s).")
    return 0


def _claims_create(services: Any, args: argparse.Namespace) -> int:
    v = services.claims.create_primary(args.encounter)
    print(f"Claim {v.number}: {len(v.lines)} line(s) to {v.payer_name}, {v.total:,.2f}.")
    return 0


def _claims_check(services: Any, args: argparse.Namespace) -> int:
    worst = 0
    for claim_id in args.claims:
        issues = services.claims.scrub(claim_id)
        errors = [i for i in issues if i.blocking]
        print(f"Claim {claim_id}: {len(errors)} error(s), {len(issues) - len(errors)} "
              "warning(s)")
        for i in issues:
            print(f"  {i.severity}: {i.message}")
        if errors:
            worst = 1
        elif args.ready:
            v = services.claims.get(claim_id)
            if v.status != "ready":
                services.claims.mark_ready(claim_id, v.version)
            print("  marked ready")
    return worst


def _chosen_claims(args: argparse.Namespace) -> list[int] | None:
    return list(args.claim) if args.claim else None


def _claims_export(services: Any, args: argparse.Namespace) -> int:
    r = services.submissions.export_837(args.out, _chosen_claims(args))
    print(f"Wrote {r.claims:,} claim(s), {r.total:,.2f}, to {r.path} (interchange "
          f"{r.control_number}, batch {r.submission_id}); pyx12 found no problem.")
    return 0


def _claims_print(services: Any, args: argparse.Namespace) -> int:
    from app.formats.claim_data import Printing
    from app.services.printers import PrinterCalibration

    saved = PrinterCalibration().get("")
    printing = Printing(saved.offset_x_tenths if args.offset_x is None else args.offset_x,
                        saved.offset_y_tenths if args.offset_y is None else args.offset_y)
    r = services.submissions.print_to_file(args.out, _chosen_claims(args), args.mode, printing)
    print(f"Printed {r.claims:,} claim(s), {r.total:,.2f}, to {r.path} (batch "
          f"{r.submission_id}); they are marked submitted on paper.")
    return 0


def _claims_alignment(services: Any, args: argparse.Namespace) -> int:
    from app.services.printers import PrinterCalibration

    args.out.write_bytes(services.submissions.alignment_page(PrinterCalibration().get("")))
    print(f"Wrote the alignment test page to {args.out}.")
    return 0


def _claims_ack(services: Any, args: argparse.Namespace) -> int:
    r = services.submissions.import_ack(args.file)
    print(f"Read a {r.kind}: {r.accepted:,} claim(s) accepted, {r.rejected:,} rejected "
          "(in the rejection queue).")
    if r.unmatched:
        print(f"Not sent by this clinic, left alone: {', '.join(r.unmatched)}.")
    if r.earlier:
        print(f"About versions sent again since, left alone: {', '.join(r.earlier)}.")
    for c in r.claims:
        if not c.accepted:
            print(f"  claim {c.claim_number}: {c.detail}")
    return 0


CLAIM_COMMANDS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "list": _claims_list, "create": _claims_create, "check": _claims_check,
    "export-837": _claims_export, "print": _claims_print, "alignment": _claims_alignment,
    "import-ack": _claims_ack,
}


def _read_271(args: argparse.Namespace) -> int:
    from app.formats.x12.x271 import parse_271, summary_lines, to_json
    from app.services.fees import read_file_bytes

    parsed = parse_271(read_file_bytes(args.file), args.file.name)
    if args.json:
        print(json.dumps(to_json(parsed), ensure_ascii=False, indent=1))
        return 0
    for r in parsed.responses:
        name = ", ".join(p for p in (r.last_name, r.first_name) if p) or "(no name)"
        print(f"{r.level.capitalize()} {name} · member {r.member_id or '—'}")
        print("\n".join(f"  {line}" for line in summary_lines(r)))
    return 0


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_run, "run": cmd_run, "demo": cmd_demo, "backup": cmd_backup,
    "restore": cmd_restore, "audit": cmd_audit, "screenshot": cmd_screenshot,
    "patients": cmd_patients,
    "codes": cmd_codes, "eligibility": cmd_eligibility, "claims": cmd_claims,
    "era": cli_payments.cmd_era, "report": cli_payments.cmd_report,
    "plans": cli_plans.cmd_plans, "quality": cli_quality.cmd_quality,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logfile = setup_logging()
    args.db = args.db or default_db()
    try:
        if args.self_test:
            from app.selftest import run_self_test

            code = run_self_test()
            print("self-test passed")
            return code
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(f"clinic-clerk: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    except (Cancelled, KeyboardInterrupt):
        print("clinic-clerk: cancelled", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the last net: log it, no traceback on screen
        log.exception("unexpected error in command %s (%s)", args.command, type(exc).__name__)
        print(f"clinic-clerk: unexpected error ({type(exc).__name__}); details in {logfile}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
