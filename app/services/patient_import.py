"""Importing patients from CSV: validate every row first, then write all in one transaction.

DESIGN.md §2.6: the file is read and every row checked before anything is written; a file with
any problem imports nothing unless the clerk chooses to import only the clean rows (the
rejected ones are then written to a file of their own, with a "problem" column saying what to
fix). The file's SHA-256 goes into `import_log`, so importing the same file again is refused.

A file is UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or
Windows-1252 (what Excel writes as "CSV" on a US Windows machine). Line numbers count as an
editor shows them: the header is line 1, and a row whose quoted value spans lines is numbered
by the line it starts on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formats.names import fold, parse_typed_date
from app.models import ImportLog, Patient
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.database import Database
from app.services.patients import PatientData, check_patient, next_mrn, normalise_patient
from app.services.permissions import Permission

KIND = "patients_csv"
PROBLEM_COLUMN = "problem"  # added to rejected rows; ignored when such a file comes back
FIELDS: tuple[str, ...] = (
    "last_name", "first_name", "middle_name", "dob", "sex", "address1", "address2", "city",
    "state", "zip", "phone", "email", "ssn", "preferred_name", "mobile_phone", "language",
)
REQUIRED: tuple[str, ...] = ("last_name", "first_name", "dob", "sex")
FIELD_LABELS: dict[str, str] = {
    "last_name": "Last name", "first_name": "First name", "middle_name": "Middle name",
    "dob": "Date of birth", "sex": "Sex (M/F/U)", "address1": "Address line 1",
    "address2": "Address line 2", "city": "City", "state": "State", "zip": "ZIP code",
    "phone": "Phone", "email": "E-mail", "ssn": "SSN", "preferred_name": "Preferred name",
    "mobile_phone": "Mobile phone", "language": "Language",
}
# Common spellings of our fields in other programs' exports (folded: letters and digits only).
_SYNONYMS: dict[str, str] = {
    "dateofbirth": "dob", "birthdate": "dob", "gender": "sex", "zipcode": "zip",
    "postalcode": "zip", "surname": "last_name", "familyname": "last_name",
    "givenname": "first_name", "mobile": "mobile_phone", "cellphone": "mobile_phone",
}
_SEX_WORDS = {"MALE": "M", "FEMALE": "F", "UNKNOWN": "U"}
_SNIFF_BYTES = 8192
_LOOKUP_CHUNK = 500


def patients_count(n: int) -> str:
    """The count with its noun: 1 patient, 2 patients, 1,234 patients."""
    return f"{n:,} patient" + ("" if n == 1 else "s")


# --- what the file holds ----------------------------------------------------------------------
@dataclass(frozen=True)
class CsvRow:
    line: int  # where the row starts in the file; the header is line 1
    values: dict[str, str]  # header -> value
    extra: tuple[str, ...] = ()  # values beyond the header's columns


@dataclass(frozen=True)
class CsvFile:
    path: Path
    sha256: str
    encoding: str
    delimiter: str
    headers: list[str]
    rows: list[CsvRow]

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


@dataclass(frozen=True)
class PreviousImport:
    filename: str
    imported_at: datetime
    username: str
    rows: int

    def refusal(self) -> str:
        when = self.imported_at.astimezone().strftime("%m/%d/%Y")
        return (f"This file was already imported on {when} (as {self.filename}, "
                f"{patients_count(self.rows)}). Nothing was imported; to add more patients, "
                "import a file with only the new ones.")


@dataclass(frozen=True)
class ImportCheck:
    """The result of checking every row; `commit` writes it."""

    csv: CsvFile
    mapping: dict[str, str | None]
    clean: list[tuple[int, PatientData]]
    problems: list[RowProblem]
    already_imported: PreviousImport | None = None
    unused_columns: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.csv.rows)

    @property
    def bad_lines(self) -> list[int]:
        """The lines of rows with problems (line 1 when the columns themselves need fixing)."""
        return sorted({p.line for p in self.problems})

    @property
    def ok(self) -> bool:
        return not self.problems and self.already_imported is None and bool(self.clean)


@dataclass(frozen=True)
class ImportResult:
    imported: int
    rejected: int
    first_mrn: str = ""
    last_mrn: str = ""


# --- reading ------------------------------------------------------------------------------------
def _decode(path: Path, data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    elif b"\x00" in data[:_SNIFF_BYTES]:
        raise UserError(f"{path.name} is not a CSV file (it holds binary data). Save it from "
                        "your spreadsheet as \"CSV (comma delimited)\".")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        raise UserError(f"{path.name} is not readable text (neither UTF-8 nor Windows-1252). "
                        "Save it from your spreadsheet as \"CSV UTF-8\".") from None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_headers(path: Path, headers: list[str]) -> None:
    where = f"{path.name}, line 1"
    if not any(headers):
        raise UserError(f"{where}: the first line must name the columns (last_name, "
                        "first_name, dob, …); it is empty.")
    if any(not h for h in headers):
        n = next(i for i, h in enumerate(headers, 1) if not h)
        raise UserError(f"{where}: column {n} has no name. Every column needs a name in the "
                        "first line.")
    for h in headers:
        if parse_typed_date(h) is not None or re.fullmatch(r"[\d\s().+/-]+", h):
            raise UserError(f"{where} looks like a patient row, not column names. Add a "
                            "header line naming the columns (last_name, first_name, dob, …).")
    seen: set[str] = set()
    for h in headers:
        if h.casefold() in seen:
            raise UserError(f"{where}: the column \"{h}\" appears twice; rename one of them.")
        seen.add(h.casefold())


def read_csv(path: Path) -> CsvFile:
    """Read and decode the whole file; raises `UserError` naming the file and the problem."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; choose the file again.") from None
    except OSError as exc:
        raise UserError(f"{path.name} cannot be read ({exc.strerror or 'access refused'}).") \
            from None
    text, encoding = _decode(path, data)
    if not text.strip():
        raise UserError(f"{path.name} is empty: there are no columns or patients in it.")
    delimiter = _delimiter(text.splitlines()[0] if text.splitlines() else "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        headers = [h.strip() for h in next(reader)]
        _check_headers(path, headers)
        rows = _rows(reader, headers)
    except csv.Error as exc:
        raise UserError(f"{path.name}, line {reader.line_num}: not valid CSV ({exc}). Check "
                        "the quotes on that line.") from None
    if not rows:
        raise UserError(f"{path.name} has a header line but no patients below it.")
    return CsvFile(path, hashlib.sha256(data).hexdigest(), encoding, delimiter, headers, rows)


def _rows(reader: Any, headers: list[str]) -> list[CsvRow]:
    rows: list[CsvRow] = []
    width = len(headers)
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return rows
        if not any(v.strip() for v in values):
            continue  # blank lines and rows of empty cells (Excel leaves them) are skipped
        padded = values + [""] * (width - len(values))
        extra = tuple(v for v in values[width:] if v.strip())
        rows.append(CsvRow(start, dict(zip(headers, padded[:width], strict=True)), extra))


def default_mapping(headers: Iterable[str]) -> dict[str, str | None]:
    """Each app field ← the file's column of the same name (ignoring case, spaces and
    punctuation: "Last Name" is last_name), or a common synonym ("Date of birth" is dob)."""
    by_key: dict[str, str] = {}
    for h in headers:
        key = fold(h)
        target = key if key in {fold(f) for f in FIELDS} else fold(_SYNONYMS.get(key, ""))
        if target:
            by_key.setdefault(target, h)
    return {f: by_key.get(fold(f)) for f in FIELDS}


# --- checking -----------------------------------------------------------------------------------
_LIMITS: dict[str, int] = {
    f: int(getattr(Patient.__table__.c[f].type, "length", 0) or 0) for f in FIELDS if f != "dob"
}


def _parse_dob(text: str, us_dates: bool) -> date | None:
    t = text.strip()
    if us_dates:
        return parse_typed_date(t)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _row_data(values: Mapping[str, str], us_dates: bool,
              today: date) -> tuple[PatientData, dict[str, str]]:
    """The row as PatientData (normalised) and its problems by app field."""
    raw = {f: values.get(f, "").strip() for f in FIELDS}
    sex = _SEX_WORDS.get(raw["sex"].upper(), raw["sex"])
    dob = _parse_dob(raw["dob"], us_dates)
    own: dict[str, str] = {}
    if dob is None:
        form = "YYYY-MM-DD or MM/DD/YYYY" if us_dates else "YYYY-MM-DD"
        own["dob"] = f"not a date (use {form})" if raw["dob"] else f"is required ({form})."
    text: dict[str, Any] = {f: v for f, v in raw.items() if f not in ("dob", "sex")}
    d = normalise_patient(PatientData(dob=dob or today, sex=sex, **text))
    problems = {**check_patient(d, today), **own}
    for f, limit in _LIMITS.items():
        if limit and len(getattr(d, f) or "") > limit and f not in problems:
            problems[f] = f"is longer than {limit} characters; shorten it."
    return d, problems


def _header_problems(csv_file: CsvFile, mapping: Mapping[str, str | None],
                     strict: bool) -> tuple[list[RowProblem], list[str]]:
    problems: list[RowProblem] = []
    unknown = [f for f in mapping if f not in FIELDS]
    problems += [RowProblem(1, f, "is not a field ClinicClerk imports.") for f in unknown]
    for f in REQUIRED:
        if not mapping.get(f):
            problems.append(RowProblem(1, f, "no column of the file is chosen for it; every "
                                             "patient needs it."))
    for f, col in mapping.items():
        if col and col not in csv_file.headers:
            problems.append(RowProblem(1, f, f"the file has no column \"{col}\"."))
    used = {c for c in mapping.values() if c}
    unused = [h for h in csv_file.headers if h not in used and fold(h) != PROBLEM_COLUMN]
    if strict:
        names = ", ".join(FIELDS)
        problems += [RowProblem(1, h, f"is not a field ClinicClerk imports; rename the column "
                                      f"to one of {names}, or remove it.") for h in unused]
    return problems, unused


def _duplicate_problems(rows: list[tuple[int, PatientData, dict[str, str]]],
                        columns: Mapping[str, str]) -> list[tuple[int, str, str]]:
    """Rows that repeat an earlier row's person (same name and DOB, or same SSN)."""
    first_by_name: dict[tuple[str, str, date], int] = {}
    first_by_ssn: dict[str, int] = {}
    found = []
    for line, d, problems in rows:
        if "dob" in problems or "last_name" in problems or "first_name" in problems:
            continue
        key = (fold(d.last_name), fold(d.first_name), d.dob)
        if key in first_by_name:
            found.append((line, columns["last_name"], f"the same name and date of birth as "
                          f"line {first_by_name[key]}; keep only one of the two rows."))
        else:
            first_by_name[key] = line
        if d.ssn and "ssn" not in problems:
            if d.ssn in first_by_ssn:
                found.append((line, columns["ssn"], f"the same SSN as line "
                              f"{first_by_ssn[d.ssn]}; one of the two is wrong."))
            else:
                first_by_ssn[d.ssn] = line
    return found


def _registered_problems(s: Session, rows: list[tuple[int, PatientData, dict[str, str]]],
                         columns: Mapping[str, str]) -> list[tuple[int, str, str]]:
    """Rows whose person is already registered (same folded name and DOB, or same SSN)."""
    dobs = sorted({d.dob for _, d, p in rows if "dob" not in p})
    ssns = sorted({d.ssn for _, d, p in rows if d.ssn and "ssn" not in p})
    by_name: dict[tuple[str, str, date], str] = {}
    by_ssn: dict[str, str] = {}
    active = Patient.merged_into_id.is_(None)
    cols = (Patient.last_key, Patient.first_key, Patient.dob, Patient.mrn)
    for i in range(0, len(dobs), _LOOKUP_CHUNK):
        q = select(*cols).where(Patient.dob.in_(dobs[i:i + _LOOKUP_CHUNK]), active)
        for last, first, dob, mrn in s.execute(q):
            by_name.setdefault((last, first, dob), mrn)
    for i in range(0, len(ssns), _LOOKUP_CHUNK):
        q2 = select(Patient.ssn, Patient.mrn).where(Patient.ssn.in_(ssns[i:i + _LOOKUP_CHUNK]),
                                                    active)
        for ssn, mrn in s.execute(q2):
            by_ssn.setdefault(ssn, mrn)
    found = []
    for line, d, p in rows:
        if "dob" in p:
            continue
        known = by_name.get((fold(d.last_name), fold(d.first_name), d.dob))
        if known:
            found.append((line, columns["last_name"], f"already registered as {known} (same name "
                          "and date of birth); remove the row."))
        elif d.ssn and d.ssn in by_ssn:
            found.append((line, columns["ssn"], f"already registered as {by_ssn[d.ssn]} (same "
                          "SSN); remove the row or correct the SSN."))
    return found


def _previous(s: Session, sha256: str) -> PreviousImport | None:
    log = s.scalars(select(ImportLog).where(ImportLog.kind == KIND, ImportLog.sha256 == sha256)
                    .order_by(ImportLog.id)).first()
    return PreviousImport(log.filename, log.imported_at, log.username, log.rows) if log else None


# --- writing ------------------------------------------------------------------------------------
def _insert_values(d: PatientData, mrn: str) -> dict[str, Any]:
    skip = {"id", "version"}
    values = {f.name: getattr(d, f.name) for f in fields(d) if f.name not in skip}
    values.update(mrn=mrn, last_key=fold(d.last_name), first_key=fold(d.first_name),
                  preferred_key=fold(d.preferred_name), ssn=d.ssn or "")
    return values


def write_rejected(check: ImportCheck, out: Path) -> int:
    """The rows with problems, with their original columns and a "problem" column; UTF-8 with
    a byte-order mark so spreadsheet programs show accents right. Returns the row count."""
    reasons: dict[int, list[str]] = {}
    for p in check.problems:
        reasons.setdefault(p.line, []).append(f"{p.column}: {p.reason}")
    headers = [h for h in check.csv.headers if fold(h) != PROBLEM_COLUMN]
    n = 0
    with out.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow([*headers, PROBLEM_COLUMN])
        for row in check.csv.rows:
            if row.line in reasons:
                w.writerow([*(row.values[h] for h in headers), "; ".join(reasons[row.line])])
                n += 1
    return n


class PatientImportService:
    """Read a CSV of patients, check every row, then import all of it (or only the clean rows)
    in one transaction."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def read(self, path: Path) -> CsvFile:
        """The file's columns and rows; `UserError` when it is not a CSV with a header."""
        self._ctx.require(Permission.IMPORT_PATIENTS)
        return read_csv(path)

    def check(self, csv_file: CsvFile, mapping: Mapping[str, str | None] | None = None, *,
              us_dates: bool = False, strict_columns: bool = False,
              today: date | None = None) -> ImportCheck:
        """Check every row against the same rules as registration, plus repeats within the
        file and people already registered. `mapping` is app field → file column (default:
        same names). `us_dates` also accepts MM/DD/YYYY; `strict_columns` reports file columns
        that are not app fields (the CLI's rule, so no column is silently dropped)."""
        self._ctx.require(Permission.IMPORT_PATIENTS)
        today = today or date.today()
        m = dict(default_mapping(csv_file.headers) if mapping is None else mapping)
        header, unused = _header_problems(csv_file, m, strict_columns)
        with self._db.session() as s:
            previous = _previous(s, csv_file.sha256)
            if header:
                return ImportCheck(csv_file, m, [], header, previous, unused)
            columns: dict[str, str] = {f: (m.get(f) or f) for f in FIELDS}
            checked = [self._check_row(r, m, us_dates, today) for r in csv_file.rows]
            found = [(line, columns.get(f, f), msg)
                     for line, _d, probs in checked for f, msg in probs.items()]
            found += [(r.line, "(row)", f"has {len(r.extra)} more value(s) than the header has "
                       "columns; check the commas or quotes on this line.")
                      for r in csv_file.rows if r.extra]
            found += _duplicate_problems(checked, columns)
            found += _registered_problems(s, checked, columns)
        bad = {line for line, _c, _r in found}
        order = {h: i for i, h in enumerate(csv_file.headers)}  # the file's column order
        found.sort(key=lambda p: (p[0], order.get(p[1], len(order))))
        problems = [RowProblem(*p) for p in found]
        clean = [(line, d) for line, d, _p in checked if line not in bad]
        return ImportCheck(csv_file, m, clean, problems, previous, unused)

    @staticmethod
    def _check_row(row: CsvRow, mapping: Mapping[str, str | None], us_dates: bool,
                   today: date) -> tuple[int, PatientData, dict[str, str]]:
        values = {f: row.values.get(col, "") for f, col in mapping.items() if col}
        d, problems = _row_data(values, us_dates, today)
        return row.line, d, problems

    def commit(self, check: ImportCheck, *, only_clean: bool = False,
               rejected_out: Path | None = None) -> ImportResult:
        """Write the checked rows in one transaction with sequential MRNs, record the file in
        the import log and one `patients.import` audit event (counts and file name only).

        Refused when the file was imported before, or when any row has a problem, unless
        `only_clean`: then the clean rows are imported and the others written to
        `rejected_out` with a "problem" column."""
        user = self._ctx.require(Permission.IMPORT_PATIENTS)
        self._refuse_unless_ready(check, only_clean, rejected_out)
        rejected = 0
        if check.problems and rejected_out is not None:
            rejected = self._write_rejected(check, rejected_out)
        try:
            with self._db.session() as s:
                # The audit row comes first: it takes the write lock, so the MRNs read next
                # cannot be taken by another import before ours are written.
                append_event(s, user, "patients.import", entity="import", details={
                    "file": check.csv.name, "imported": len(check.clean),
                    "rejected": rejected, "rows": check.total})
                previous = _previous(s, check.csv.sha256)
                if previous is not None:
                    raise UserError(previous.refusal())
                first = int(next_mrn(s)[1:])
                s.execute(insert(Patient), [_insert_values(d, f"M{first + i:07d}")
                                            for i, (_line, d) in enumerate(check.clean)])
                s.add(ImportLog(kind=KIND, sha256=check.csv.sha256,
                                filename=check.csv.name[:200], rows=len(check.clean),
                                username=user.username))
        except BaseException:
            if rejected_out is not None and rejected:
                rejected_out.unlink(missing_ok=True)
            raise
        n = len(check.clean)
        return ImportResult(n, rejected, f"M{first:07d}", f"M{first + n - 1:07d}")

    @staticmethod
    def _refuse_unless_ready(check: ImportCheck, only_clean: bool,
                             rejected_out: Path | None) -> None:
        if check.already_imported is not None:
            raise UserError(check.already_imported.refusal())
        header = [p for p in check.problems if p.line == 1]
        if header:
            raise UserError(f"Nothing was imported: the columns need fixing first ({header[0]}).")
        if check.problems and not only_clean:
            raise UserError(f"Nothing was imported: {len(check.bad_lines)} row(s) have "
                            "problems. Fix them in the file and import it again, or import "
                            "only the clean rows.")
        if check.problems and rejected_out is None:
            raise UserError("Choose a file to save the rejected rows in before importing "
                            "only the clean rows.")
        if not check.clean:
            raise UserError("Nothing was imported: no row of the file is clean.")

    @staticmethod
    def _write_rejected(check: ImportCheck, out: Path) -> int:
        if out.resolve() == check.csv.path.resolve():
            raise UserError("Save the rejected rows to a new file, not over the file being "
                            "imported.")
        try:
            return write_rejected(check, out)
        except OSError as exc:
            raise UserError(f"The rejected rows could not be saved to {out.name} "
                            f"({exc.strerror or 'access refused'}); nothing was imported. "
                            "Choose another folder.") from None


__all__ = ["FIELDS", "FIELD_LABELS", "REQUIRED", "CsvFile", "CsvRow", "ImportCheck",
           "ImportResult", "PatientImportService", "PreviousImport", "RowProblem",
           "default_mapping", "patients_count", "read_csv", "write_rejected"]
