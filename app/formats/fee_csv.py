"""The practice fee schedule and payer contract rates as CSV files a clerk keeps in a
spreadsheet: reading (every row checked, every problem named by line and column) and writing
(the same layout, so an export imported again gives back exactly what was exported).

Fee schedule columns (header line 1, any order, case and spacing ignored)::

    code,modifier,charge
    99213,,120.00
    93000,26,25.50

Contract rate columns (`payer_id` is the payer's electronic payer ID, 837P loop 2010BB NM109;
`effective_to` may be empty for "until further notice")::

    payer_id,code,modifier,allowed,effective_from,effective_to
    BCBS1,99213,,82.17,2025-01-01,2025-12-31

Codes are HCPCS Level II (a letter and 4 digits) or CPT (4 digits then a digit, or F for
Category II, T for Category III, U for proprietary laboratory analyses, M for multianalyte
assays with algorithmic analyses); a modifier is empty or 2 characters. Money is dollars and
cents ("$1,234.50", "1234.5" and "1234" are all read as Decimal("1234.50")), never negative,
never more than two decimals, never a float. Dates are YYYY-MM-DD or MM/DD/YYYY; files are
written with YYYY-MM-DD and plain amounts ("1234.50") so spreadsheets read them back unchanged.

A file is UTF-8 (with or without a byte-order mark) or Windows-1252 (what Excel writes as "CSV"
on a US Windows machine); comma, semicolon or tab separated. The helpers for codes, money and
dates are shared with app.formats.ncci.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Generic, TextIO, TypeVar

from app.errors import UserError
from app.formats.names import fold

FEE_COLUMNS: tuple[str, ...] = ("code", "modifier", "charge")
RATE_COLUMNS: tuple[str, ...] = ("payer_id", "code", "modifier", "allowed", "effective_from",
                                 "effective_to")
# A clinic's own sheet often carries the code's description; it is read past, not imported.
IGNORED_COLUMNS: tuple[str, ...] = ("description",)
MAX_AMOUNT = Decimal("999999.99")  # the 1500 form's charge boxes hold six dollar digits
MAX_PROBLEMS = 200  # enough to fix a file by; the count says how many more there are

CODE_PATTERN = re.compile(r"[A-Z]\d{4}|\d{4}[0-9FMTU]")
MODIFIER_PATTERN = re.compile(r"[A-Z0-9]{2}")
_MONEY = re.compile(r"\$?(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d*))?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_CENTS = Decimal("0.01")
_SNIFF_BYTES = 8192


# --- values ------------------------------------------------------------------------------------
def clean_code(text: str) -> str:
    """'99 213 ' → '99213', 'j.1100' → 'J1100': the same folding as
    app.services.code_lookup.normalize_code (formats may not import services)."""
    return "".join(text.split()).replace(".", "").upper()


def code_problem(code: str) -> str | None:
    """Why a cleaned code cannot be a procedure code, or None when it can."""
    if not code:
        return "is required (a CPT or HCPCS code such as 99213 or J1100)."
    if not CODE_PATTERN.fullmatch(code):
        return (f"\"{code}\" is not a CPT or HCPCS code (5 characters: a letter and 4 digits, "
                "or 4 digits and a digit, F, M, T or U).")
    return None


def clean_modifier(text: str) -> str:
    return "".join(text.split()).upper()


def modifier_problem(modifier: str) -> str | None:
    if modifier and not MODIFIER_PATTERN.fullmatch(modifier):
        return f"\"{modifier}\" is not a modifier (2 letters or digits, such as 25 or TC)."
    return None


def parse_money(text: str) -> Decimal:
    """'$1,234.5' → Decimal('1234.50'). Raises ValueError with a message for the clerk."""
    t = "".join(text.split())
    if not t:
        raise ValueError("is required (an amount such as 125.00).")
    if t.startswith("-") or t.startswith("(") or t.startswith("$-"):
        raise ValueError(f"\"{text.strip()}\" is negative; amounts are 0.00 or more.")
    m = _MONEY.fullmatch(t)
    if not m or not (m["int"] or m["frac"]):
        raise ValueError(f"\"{text.strip()}\" is not an amount of money (write it like 1234.50).")
    if m["frac"] is not None and len(m["frac"]) > 2:
        raise ValueError(f"\"{text.strip()}\" has more than 2 decimal places; use dollars and "
                         "cents.")
    amount = Decimal((m["int"] or "0").replace(",", "") + "." + (m["frac"] or "0"))
    return check_amount(amount)


def check_amount(amount: Decimal) -> Decimal:
    """The amount to the cent; ValueError when it is negative, finer than a cent, or too big.
    Floats are refused outright (money is never a float, DESIGN.md §2.3)."""
    if isinstance(amount, float) or not isinstance(amount, (Decimal, int)):
        raise TypeError("money must be a Decimal, never a float")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError("is not an amount of money.")
    if amount < 0:
        raise ValueError(f"{amount:,.2f} is negative; amounts are 0.00 or more.")
    if amount != amount.quantize(_CENTS):
        raise ValueError(f"{amount} has more than 2 decimal places; use dollars and cents.")
    if amount > MAX_AMOUNT:
        raise ValueError(f"{amount:,.2f} is more than {MAX_AMOUNT:,}; check the amount.")
    return amount.quantize(_CENTS)


def money_text(amount: Decimal) -> str:
    """The plain form written to files: Decimal('1234.5') → '1234.50'."""
    return f"{amount.quantize(_CENTS):f}"


def parse_date(text: str, *, compact: bool = False) -> date:
    """A date written YYYY-MM-DD or MM/DD/YYYY (and YYYYMMDD when `compact`, the form CMS
    edit files use). Raises ValueError with a message for the clerk."""
    t = text.strip()
    forms = "YYYY-MM-DD or MM/DD/YYYY" + (" or YYYYMMDD" if compact else "")
    patterns: list[tuple[re.Pattern[str], str]] = [(_ISO_DATE, "ymd"), (_US_DATE, "mdy")]
    if compact:
        patterns.append((_COMPACT_DATE, "ymd"))
    for pattern, order in patterns:
        m = pattern.fullmatch(t)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                raise ValueError(f"\"{t}\" is not a real date.") from None
    if not t:
        raise ValueError(f"is required ({forms}).")
    raise ValueError(f"\"{t}\" is not a date ({forms}).")


def ranges_overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    """Whether two inclusive date ranges share a day (an empty end is open)."""
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


T = TypeVar("T")
V = TypeVar("V")


def overlapping(ranges: Iterable[tuple[date, date | None, T]]) -> list[tuple[T, T]]:
    """For ranges of one key: each range that overlaps an earlier-starting one, as
    (this, the earlier one reaching furthest). One sort and one sweep, so a key with many
    ranges stays cheap."""
    ordered = sorted(ranges, key=lambda r: (r[0], r[1] or date.max))
    found: list[tuple[T, T]] = []
    reach: tuple[date, T] | None = None  # the furthest end so far, and whose it is
    for start, end, tag in ordered:
        if reach is not None and start <= reach[0]:
            found.append((tag, reach[1]))
        if reach is None or (end or date.max) > reach[0]:
            reach = (end or date.max, tag)
    return found


def date_text(d: date | None) -> str:
    return d.isoformat() if d else ""


def range_text(start: date, end: date | None) -> str:
    return f"{start:%m/%d/%Y} to {end:%m/%d/%Y}" if end else f"{start:%m/%d/%Y} with no end"


# --- problems ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineProblem:
    """One thing to fix: line 1 is the header; a row is numbered by the line it starts on."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


class FileProblems(UserError):
    """A file with problems: nothing of it was imported. `problems` lists them in line order
    (at most MAX_PROBLEMS); `total` counts all of them."""

    def __init__(self, filename: str, problems: Sequence[LineProblem],
                 total: int | None = None) -> None:
        self.filename = filename
        self.problems = sorted(problems, key=lambda p: p.line)[:MAX_PROBLEMS]
        self.total = len(problems) if total is None else total
        shown = self.problems[:20]
        lines = "\n".join(f"• {p}" for p in shown)
        more = self.total - len(shown)
        tail = f"\n…and {more:,} more." if more > 0 else ""
        noun = "problem" if self.total == 1 else "problems"
        super().__init__(f"Nothing was imported from {filename}: it has {self.total:,} {noun}. "
                         f"Fix the file and import it again.\n{lines}{tail}")


class ProblemList:
    """Collects problems, keeping the first MAX_PROBLEMS and counting the rest."""

    def __init__(self) -> None:
        self.items: list[LineProblem] = []
        self.total = 0

    def add(self, line: int, column: str, reason: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(LineProblem(line, column, reason))

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_for(self, filename: str) -> None:
        if self.total:
            raise FileProblems(filename, self.items, self.total)


# --- reading -----------------------------------------------------------------------------------
def decode(data: bytes, filename: str) -> tuple[str, str]:
    """The file's text and encoding name; UserError when it is not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    elif b"\x00" in data[:_SNIFF_BYTES]:
        raise UserError(f"{filename} is not a CSV file (it holds binary data). Save it from "
                        "your spreadsheet as \"CSV (comma delimited)\".")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        raise UserError(f"{filename} is not readable text (neither UTF-8 nor Windows-1252). "
                        "Save it from your spreadsheet as \"CSV UTF-8\".") from None


def sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(frozen=True)
class CsvRead(Generic[T]):
    """A file read and checked: its rows, and what is wrong (empty when nothing is)."""

    rows: list[T]
    problems: list[LineProblem] = field(default_factory=list)
    total_problems: int = 0

    @property
    def ok(self) -> bool:
        return self.total_problems == 0


@dataclass(frozen=True)
class FeeLine:
    """One fee schedule row; `line` is where it was read (0 when it was not read)."""

    code: str
    modifier: str
    charge: Decimal
    line: int = 0


@dataclass(frozen=True)
class RateLine:
    """One contract rate row; `payer_id` is the payer's electronic payer ID."""

    payer_id: str
    code: str
    modifier: str
    allowed: Decimal
    effective_from: date
    effective_to: date | None = None
    line: int = 0


def _table(text: str, columns: Sequence[str], required: Sequence[str],
           problems: ProblemList) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: value}) for each non-blank row, after checking the header. Header
    problems are added to `problems` and stop the reading (rows cannot be understood)."""
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first),
                        strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            problems.add(1, "(header)", "the first line must name the columns: "
                                        + ", ".join(columns) + ".")
            return
        index = _header_index(header, columns, required, problems)
        if problems:
            return
        while True:
            start = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                return
            if not any(v.strip() for v in values):
                continue  # blank lines and rows of empty cells (spreadsheets leave them)
            extra = [v for v in values[len(header):] if v.strip()]
            if extra:
                problems.add(start, "(row)", f"has {len(extra)} more value(s) than the header "
                                             "has columns; check the commas or quotes.")
                continue
            yield start, {c: (values[i].strip() if i < len(values) else "")
                          for c, i in index.items()}
    except csv.Error as exc:
        problems.add(reader.line_num, "(row)", f"not valid CSV ({exc}); check the quotes.")


def _header_index(header: list[str], columns: Sequence[str], required: Sequence[str],
                  problems: ProblemList) -> dict[str, int]:
    by_key = {fold(c): c for c in columns}
    ignored = {fold(c) for c in IGNORED_COLUMNS}
    index: dict[str, int] = {}
    for i, raw in enumerate(header):
        key = fold(raw)
        if key in ignored or (not key and not raw.strip()):
            continue
        name = by_key.get(key)
        if name is None:
            problems.add(1, raw.strip() or f"column {i + 1}",
                         "is not a column ClinicClerk reads; name the columns "
                         + ", ".join(columns) + ".")
        elif name in index:
            problems.add(1, raw.strip(), "appears twice; keep one of the two columns.")
        else:
            index[name] = i
    for name in required:
        if name not in index:
            problems.add(1, name, "the file has no such column; it is required.")
    return index


def _check(problems: ProblemList, line: int, column: str, parse: Callable[[str], V],
           text: str) -> V | None:
    """The parsed value, or None with a problem recorded from the ValueError's message."""
    try:
        return parse(text)
    except ValueError as exc:
        problems.add(line, column, str(exc))
        return None


def _code_and_modifier(problems: ProblemList, line: int,
                       values: dict[str, str]) -> tuple[str, str, bool]:
    code = clean_code(values["code"])
    modifier = clean_modifier(values.get("modifier", ""))
    ok = True
    for column, msg in (("code", code_problem(code)), ("modifier", modifier_problem(modifier))):
        if msg:
            problems.add(line, column, msg)
            ok = False
    return code, modifier, ok


def read_fee_schedule(text: str) -> CsvRead[FeeLine]:
    """Every row of a fee schedule file, checked. A code and modifier may appear once."""
    problems = ProblemList()
    rows: list[FeeLine] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, values in _table(text, FEE_COLUMNS, ("code", "charge"), problems):
        code, modifier, ok = _code_and_modifier(problems, line, values)
        charge = _check(problems, line, "charge", parse_money, values["charge"])
        if not ok or charge is None:
            continue
        earlier = first_line.setdefault((code, modifier), line)
        if earlier != line:
            what = f"{code} with modifier {modifier}" if modifier else f"{code} (no modifier)"
            problems.add(line, "code", f"{what} is already on line {earlier}; keep one of the "
                                       "two rows.")
            continue
        rows.append(FeeLine(code, modifier, charge, line))
    return _finish(rows, problems)


def read_contract_rates(text: str) -> CsvRead[RateLine]:
    """Every row of a contract rate file, checked. Ranges of one payer, code and modifier may
    not overlap (checked here within the file; the service checks them against stored ones).
    Payer IDs are only cleaned here; whether the payer exists is the service's question."""
    problems = ProblemList()
    rows: list[RateLine] = []
    required = ("payer_id", "code", "allowed", "effective_from")
    for line, values in _table(text, RATE_COLUMNS, required, problems):
        payer = "".join(values["payer_id"].split()).upper()
        if not payer:
            problems.add(line, "payer_id", "is required (the payer's electronic payer ID).")
        code, modifier, ok = _code_and_modifier(problems, line, values)
        allowed = _check(problems, line, "allowed", parse_money, values["allowed"])
        start = _check(problems, line, "effective_from", parse_date, values["effective_from"])
        end = None
        if values.get("effective_to"):
            end = _check(problems, line, "effective_to", parse_date, values["effective_to"])
            if end is None:
                ok = False
        if start is not None and end is not None and end < start:
            problems.add(line, "effective_to", f"{end:%m/%d/%Y} is before effective_from "
                                               f"{start:%m/%d/%Y}.")
            ok = False
        if ok and payer and allowed is not None and start is not None:
            rows.append(RateLine(payer, code, modifier, allowed, start, end, line))
    for later, earlier in rate_overlaps(rows):
        problems.add(later.line, "effective_from",
                     f"{range_text(later.effective_from, later.effective_to)} overlaps line "
                     f"{earlier.line} ({range_text(earlier.effective_from, earlier.effective_to)})"
                     " for the same payer, code and modifier; end one range before the other "
                     "starts.")
    return _finish(rows, problems)


def rate_overlaps(rows: Iterable[RateLine]) -> list[tuple[RateLine, RateLine]]:
    """Pairs (row, earlier row) of the same payer, code and modifier whose dates overlap."""
    groups: dict[Hashable, list[tuple[date, date | None, RateLine]]] = {}
    for r in rows:
        groups.setdefault((r.payer_id, r.code, r.modifier), []).append(
            (r.effective_from, r.effective_to, r))
    return [pair for ranges in groups.values() if len(ranges) > 1
            for pair in overlapping(ranges)]


def _finish(rows: list[T], problems: ProblemList) -> CsvRead[T]:
    if not rows and not problems:
        problems.add(2, "(rows)", "the file has a header line but no rows below it.")
    return CsvRead(rows, sorted(problems.items, key=lambda p: p.line), problems.total)


# --- writing -----------------------------------------------------------------------------------
def write_fee_schedule(rows: Iterable[FeeLine], out: TextIO) -> int:
    """Write the rows in the fee schedule layout; returns how many. `out` is opened with
    newline="" (the csv module writes CRLF line ends, as spreadsheets expect)."""
    w = csv.writer(out)
    w.writerow(FEE_COLUMNS)
    n = 0
    for r in rows:
        w.writerow([r.code, r.modifier, money_text(r.charge)])
        n += 1
    return n


def write_contract_rates(rows: Iterable[RateLine], out: TextIO) -> int:
    """Write the rows in the contract rate layout; returns how many."""
    w = csv.writer(out)
    w.writerow(RATE_COLUMNS)
    n = 0
    for r in rows:
        w.writerow([r.payer_id, r.code, r.modifier, money_text(r.allowed),
                    date_text(r.effective_from), date_text(r.effective_to)])
        n += 1
    return n


__all__ = [
    "CODE_PATTERN", "FEE_COLUMNS", "MAX_AMOUNT", "RATE_COLUMNS", "CsvRead", "FeeLine",
    "FileProblems", "LineProblem", "ProblemList", "RateLine", "check_amount", "clean_code",
    "clean_modifier", "code_problem", "date_text", "decode", "modifier_problem", "money_text",
    "overlapping", "parse_date", "parse_money", "range_text", "ranges_overlap", "rate_overlaps",
    "read_contract_rates", "read_fee_schedule", "sniff_delimiter", "write_contract_rates",
    "write_fee_schedule",
]
