"""The CMS National Correct Coding Initiative files a clinic downloads each quarter and saves
as CSV: procedure-to-procedure (PTP) edits and Medically Unlikely Edits (MUE), practitioner
versions (CMS, "Medicare NCCI Procedure to Procedure (PTP) Edits" and "Medicare NCCI Medically
Unlikely Edits" download pages; the Medicaid NCCI Technical Guidance Manual describes the same
layouts).

PTP file columns, in the CMS wording: "Column 1", "Column 2", "*=in existence prior to 1996",
"Effective Date", "Deletion Date *=no data", "Modifier 0=not allowed 1=allowed 9=not
applicable", "PTP Edit Rationale". CMS prints a few lines of copyright text before the header
(and the spreadsheet version wraps the header over several lines); both are read past. Dates
are YYYYMMDD (a spreadsheet may have turned them into YYYY-MM-DD or MM/DD/YYYY); a deletion
date of "*" means the edit has not been deleted. The edit stops applying on its deletion date,
so it is stored as in force up to the day before (a retroactively deleted edit, deleted on the
day it took effect, is then never in force).

MUE practitioner file columns: "HCPCS/CPT Code", "Practitioner Services MUE Values", "MUE
Adjudication Indicator" (e.g. "2 Date of Service Edit: Policy"), "MUE Rationale". MUE rows
carry no dates: the importer takes the quarter's start date from the clerk.

The PTP practitioner table has 1-2 million rows over four files, so the reader streams the
file and keeps each row in a few machine-integer arrays (about 25 bytes a row) rather than as
Python objects.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import itertools
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO, TextIO

from app.errors import UserError
from app.formats.fee_csv import ProblemList, clean_code, code_problem, parse_date
from app.formats.names import fold

# The NCCI PTP-associated modifiers: 59 and its subsets XE, XS, XP and XU ("NCCI Policy
# Manual for Medicare Services", Chapter I, section E "Modifiers and Modifier Indicators"; CMS
# Change Request 8863 added the X{EPSU} modifiers in 2015; since CR 11168 they are accepted on
# either code of the pair). They bypass an edit only when its modifier indicator is "1".
BYPASS_MODIFIERS: frozenset[str] = frozenset({"59", "XE", "XS", "XP", "XU"})
# Modifier 25 (a significant, separately identifiable E/M service on the day of a procedure,
# same section) bypasses an indicator-1 pair only when it sits on the pair's E/M code
# (CPT 99202-99499); app.formats.code_edits applies that condition.
EM_BYPASS_MODIFIER = "25"
EM_CODES = (99202, 99499)


def is_em(code: str) -> bool:
    return code.isdigit() and EM_CODES[0] <= int(code) <= EM_CODES[1]

MODIFIER_INDICATORS: dict[str, str] = {
    "0": "Not allowed: no modifier bypasses the edit",
    "1": "Allowed: a PTP-associated modifier may bypass the edit",
    "9": "Not applicable (CMS uses it for edits deleted retroactively)",
}
_INDICATORS = ("0", "1", "9")
_INDICATOR_POSITION = {v: i for i, v in enumerate(_INDICATORS)}

HEADER_SEARCH_LINES = 60  # copyright preamble and a wrapped header fit well inside this
RATIONALE_MAX = 200  # ncci_edit.rationale
MUE_INDICATOR_MAX = 80  # mue_limit.adjudication_indicator
MUE_RATIONALE_MAX = 120  # mue_limit.rationale
MUE_MAX_UNITS = 99_999
_ID_BITS = 21  # code ids in the duplicate key; far more codes than CPT and HCPCS hold
_DATE_BITS = 22  # date.max.toordinal() < 2**22
_CHUNK = 1 << 20


def bypass_allowed(indicator: str, lines: Iterable[tuple[str, Iterable[str]]]) -> bool:
    """Whether an edit with this modifier indicator is bypassed by the modifiers of its two
    lines, given as (code, modifiers): only indicator "1" can be; 59/XE/XS/XP/XU on either
    line, 25 only on the E/M line."""
    if indicator != "1":
        return False
    for code, modifiers in lines:
        mods = {m.strip().upper() for m in modifiers}
        if mods & BYPASS_MODIFIERS or (EM_BYPASS_MODIFIER in mods and is_em(code)):
            return True
    return False


# --- the file's bytes ------------------------------------------------------------------------
@dataclass(frozen=True)
class FileScan:
    sha256: str
    encoding: str
    size: int


def scan_bytes(chunks: Iterable[bytes], filename: str) -> FileScan:
    """The SHA-256 and text encoding of a file read in chunks (so a 100 MB file is never
    held whole): UTF-16 with a byte-order mark, else UTF-8 when every byte decodes as UTF-8,
    else Windows-1252. UserError for a binary file (a spreadsheet not saved as CSV)."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    first = True
    encoding = ""
    size = 0
    for chunk in chunks:
        if first:
            first = False
            if chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
                encoding = "utf-16"
            elif b"\x00" in chunk[:8192] or chunk.startswith(b"PK\x03\x04"):
                raise UserError(f"{filename} is not a CSV file (it holds binary data; an Excel "
                                "workbook must be saved as \"CSV (comma delimited)\" first).")
        digest.update(chunk)
        size += len(chunk)
        if is_utf8 and not encoding:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
    if is_utf8 and not encoding:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if not encoding:
        encoding = "utf-8-sig" if is_utf8 else "cp1252"
    return FileScan(digest.hexdigest(), encoding, size)


def file_chunks(fh: BinaryIO) -> Iterator[bytes]:
    """The binary file object's content in 1 MB chunks."""
    while chunk := fh.read(_CHUNK):
        yield chunk


# --- finding the header ------------------------------------------------------------------------
@dataclass
class _Body:
    """A csv reader positioned after the header, the header's column positions, and how many
    lines came before the reader's first (so problems name the line an editor shows)."""

    index: dict[str, int]
    reader: Any
    offset: int


def _find_header(stream: TextIO, match: Callable[[list[str]], dict[str, int] | None],
                 wanted: str, filename: str) -> _Body:
    """Find the header among the first lines. A workbook saved as CSV keeps the line breaks
    inside wrapped header cells as quoted multi-line values, so the lines are read as CSV
    records; a stray quote in the copyright text could swallow the lines after it, so each
    line is also tried on its own."""
    head: list[str] = []
    for line in stream:
        head.append(line)
        if len(head) >= HEADER_SEARCH_LINES:
            break
    for delimiter in (",", "\t", ";", "|"):
        reader = csv.reader(head, delimiter=delimiter)
        try:
            for cells in reader:
                index = match(cells)
                if index is not None:
                    return _body(index, head, reader.line_num, stream, delimiter)
        except csv.Error:
            pass
        for n, line in enumerate(head):
            index = match(next(csv.reader([line], delimiter=delimiter), []))
            if index is not None:
                return _body(index, head, n + 1, stream, delimiter)
    if not head:
        raise UserError(f"{filename} is empty.")
    raise UserError(f"{filename} does not look like {wanted}: none of its first "
                    f"{HEADER_SEARCH_LINES} lines names the columns. Save the CMS file as CSV "
                    "without changing its column headings.")


def _body(index: dict[str, int], head: list[str], consumed: int, stream: TextIO,
          delimiter: str) -> _Body:
    rest = itertools.chain(head[consumed:], stream)
    return _Body(index, csv.reader(rest, delimiter=delimiter), consumed)


def _columns(cells: list[str], tests: tuple[tuple[str, Callable[[str], bool]], ...],
             needed: tuple[str, ...]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = fold(cell)
        for name, test in tests:
            if name not in found and test(key):
                found[name] = i
                break
    return found if all(n in found for n in needed) else None


_PTP_TESTS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("column1", lambda k: k.startswith("column1")),
    ("column2", lambda k: k.startswith("column2")),
    ("effective", lambda k: k.startswith("effective")),
    ("deletion", lambda k: k.startswith("deletion")),
    ("modifier", lambda k: k.startswith("modifier")),
    ("rationale", lambda k: "rationale" in k),
)
_MUE_TESTS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("code", lambda k: "hcpcs" in k or k.startswith("cpt")),
    ("units", lambda k: "muevalue" in k),
    ("indicator", lambda k: "adjudication" in k),
    ("rationale", lambda k: "rationale" in k),
)


def _ptp_header(cells: list[str]) -> dict[str, int] | None:
    return _columns(cells, _PTP_TESTS, ("column1", "column2", "effective", "deletion",
                                        "modifier"))


def _mue_header(cells: list[str]) -> dict[str, int] | None:
    return _columns(cells, _MUE_TESTS, ("code", "units"))


def _records(body: _Body, key: str,
             problems: ProblemList) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each non-blank row after the header. Rows before the first data row
    whose `key` column is empty are the rest of a header wrapped over several lines."""
    reader = body.reader
    first = body.index[key]
    started = False
    prev = 0
    try:
        for cells in reader:
            line = body.offset + prev + 1
            prev = reader.line_num
            if len(cells) <= first or not cells[first] or cells[first].isspace():
                # a blank line, a row of empty cells, or the rest of a wrapped header
                if not started or not "".join(cells).strip():
                    continue
            started = True
            yield line, cells
    except csv.Error as exc:
        problems.add(body.offset + reader.line_num, "(row)",
                     f"not valid CSV ({exc}); check the quotes on this line.")


# --- PTP edits ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PtpEdit:
    """One PTP edit as stored: in force from `effective_from` through `effective_to` (the day
    before the CMS deletion date; None while the edit stands)."""

    column1: str
    column2: str
    effective_from: date
    effective_to: date | None
    modifier_indicator: str
    rationale: str


class PtpTable:
    """The edits of one file in compact columns: code and rationale numbers, dates as
    ordinals (-1 for no end), the indicator's position in ("0", "1", "9"), and each row's
    line."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.rationales: list[str] = []
        self.column1 = array("i")
        self.column2 = array("i")
        self.start = array("i")
        self.end = array("i")
        self.indicator = array("b")
        self.rationale = array("i")
        self.line = array("i")

    def __len__(self) -> int:
        return len(self.column1)

    def rows(self) -> Iterator[tuple[str, str, date, date | None, str, str]]:
        """(column1, column2, effective_from, effective_to, modifier_indicator, rationale)
        in file order."""
        codes, whys = self.codes, self.rationales
        days: dict[int, date] = {}

        def day(n: int) -> date:
            d = days.get(n)
            if d is None:
                d = days[n] = date.fromordinal(n)
            return d

        for c1, c2, s, e, ind, why in zip(self.column1, self.column2, self.start, self.end,
                                          self.indicator, self.rationale, strict=True):
            yield (codes[c1], codes[c2], day(s), day(e) if e >= 0 else None, _INDICATORS[ind],
                   whys[why])

    def edits(self) -> list[PtpEdit]:
        return [PtpEdit(*r) for r in self.rows()]

    def pairs(self) -> Iterator[tuple[str, str]]:
        """The (column1, column2) pairs, each once when the file lists a pair's rows together
        (CMS files are sorted by column 1 and column 2); no set of pairs is built, so this
        stays light on a half-million-row file."""
        codes = self.codes
        last = (-1, -1)
        for c1, c2 in zip(self.column1, self.column2, strict=True):
            if (c1, c2) != last:
                last = (c1, c2)
                yield codes[c1], codes[c2]


class _PtpReader:
    """Checks rows one by one into a PtpTable. Values repeat heavily in CMS files (some
    20,000 codes, a few thousand dates, a handful of rationales), so each distinct cell text
    is checked once and remembered; `add` is the hot loop of a half-million-row import, so it
    looks up the remembered values itself and calls out only for text not seen before."""

    def __init__(self, index: dict[str, int], problems: ProblemList) -> None:
        self.t = PtpTable()
        self.p = problems
        self.width = max(index.values()) + 1
        self.i1, self.i2 = index["column1"], index["column2"]
        self.ie, self.idel, self.im = index["effective"], index["deletion"], index["modifier"]
        self.ir = index.get("rationale", -1)
        self.code_ids: dict[str, int] = {}
        self.dates: dict[str, int] = {}
        self.why_ids: dict[str, int] = {}
        self.seen: set[int] = set()
        self.repeats: list[tuple[int, int]] = []  # (line, key) of rows repeating a key

    def code(self, line: int, column: str, raw: str) -> int:
        code = clean_code(raw)
        problem = code_problem(code)
        if problem:
            self.p.add(line, column, problem)
            return -1
        if len(self.t.codes) >= 1 << _ID_BITS:
            raise UserError("The file names more different codes than CPT and HCPCS hold; "
                            "it is not a CMS edit file.")
        n = self.code_ids[raw] = len(self.t.codes)
        self.t.codes.append(code)
        return n

    def day(self, line: int, column: str, raw: str, *, required: bool) -> int:
        """The date's ordinal; -1 for no date ("*" or empty, when allowed); -2 after
        recording a problem."""
        text = raw.strip()
        if text in ("*", "") and not required:
            return -1
        try:
            d = parse_date(text, compact=True)
        except ValueError as exc:
            self.p.add(line, column, str(exc))
            return -2
        if d.year < 1900:
            self.p.add(line, column, f"\"{text}\" is not a plausible date.")
            return -2
        n = self.dates[raw] = d.toordinal()
        return n

    def why(self, line: int, raw: str) -> int:
        text = " ".join(raw.split())
        if len(text) > RATIONALE_MAX:
            self.p.add(line, "PTP Edit Rationale", f"is longer than {RATIONALE_MAX} "
                                                   "characters.")
            return -1
        n = self.why_ids[raw] = len(self.t.rationales)
        self.t.rationales.append(text)
        return n

    def add(self, line: int, cells: list[str]) -> None:
        if len(cells) < self.width:
            self.p.add(line, "(row)", f"has {len(cells)} columns; the header has "
                                      f"{self.width} or more.")
            return
        codes, dates = self.code_ids, self.dates
        raw = cells[self.i1]
        c1 = codes.get(raw)
        if c1 is None:
            c1 = self.code(line, "Column 1", raw)
        raw = cells[self.i2]
        c2 = codes.get(raw)
        if c2 is None:
            c2 = self.code(line, "Column 2", raw)
        raw = cells[self.ie]
        start = dates.get(raw)
        if start is None:
            start = self.day(line, "Effective Date", raw, required=True)
        raw = cells[self.idel]
        deleted = -1 if raw == "*" or not raw else dates.get(raw)
        if deleted is None:
            deleted = self.day(line, "Deletion Date", raw, required=False)
        ind = _INDICATOR_POSITION.get(cells[self.im])
        if ind is None:
            ind = _INDICATOR_POSITION.get(m := cells[self.im].strip(), -1)
            if ind < 0:
                self.p.add(line, "Modifier", f"\"{m}\" is not a modifier indicator (0, 1 or "
                                             "9).")
        raw = cells[self.ir] if self.ir >= 0 else ""
        why = self.why_ids.get(raw)
        if why is None:
            why = self.why(line, raw)
        if c1 < 0 or c2 < 0 or start < 0 or ind < 0 or why < 0 or deleted == -2:
            return  # each has recorded its problem
        if deleted != -1 and deleted < start:
            self.p.add(line, "Deletion Date", "is before the effective date.")
            return
        key = (((c1 << _ID_BITS) | c2) << _DATE_BITS) | start
        if key in self.seen:
            self.repeats.append((line, key))
            return
        self.seen.add(key)
        t = self.t
        t.column1.append(c1)
        t.column2.append(c2)
        t.start.append(start)
        # The edit stops applying on its deletion date: in force through the day before.
        t.end.append(deleted - 1 if deleted != -1 else -1)
        t.indicator.append(ind)
        t.rationale.append(why)
        t.line.append(line)

    def name_repeats(self) -> None:
        """Problems for rows repeating an earlier row's pair and effective date, naming the
        earlier line (one pass over the table, only when there are repeats)."""
        if not self.repeats:
            return
        wanted = {key for _line, key in self.repeats[:200]}
        first: dict[int, int] = {}
        t = self.t
        for c1, c2, s, line in zip(t.column1, t.column2, t.start, t.line, strict=True):
            key = (((c1 << _ID_BITS) | c2) << _DATE_BITS) | s
            if key in wanted and key not in first:
                first[key] = line
        for line, key in self.repeats:
            earlier = first.get(key)
            where = f"line {earlier}" if earlier else "an earlier line"
            self.p.add(line, "Column 1", f"repeats {where} (the same column 1 and column 2 "
                                         "codes and effective date); keep one of the two rows.")


def read_ptp(stream: TextIO, filename: str) -> tuple[PtpTable, ProblemList]:
    """Every edit of a CMS PTP file (see the module docstring), checked. The problems list is
    empty when every row is good; each names its line and column."""
    body = _find_header(stream, _ptp_header, "a CMS NCCI PTP edit file", filename)
    problems = ProblemList()
    r = _PtpReader(body.index, problems)
    try:
        for line, cells in _records(body, "column1", problems):
            r.add(line, cells)
    except UnicodeDecodeError:
        raise UserError(f"{filename} is not readable text; save it as CSV again.") from None
    r.name_repeats()
    if not len(r.t) and not problems:
        problems.add(body.offset + 1, "(rows)", "there are no edits below the header.")
    return r.t, problems


# --- MUE ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MueRow:
    code: str
    max_units: int
    adjudication_indicator: str
    rationale: str
    line: int = 0


def read_mue(stream: TextIO, filename: str) -> tuple[list[MueRow], ProblemList]:
    """Every row of a CMS MUE practitioner file (see the module docstring), checked. A code
    may appear once; MUE values are whole numbers of units (0 means never payable)."""
    body = _find_header(stream, _mue_header, "a CMS MUE file", filename)
    problems = ProblemList()
    rows: list[MueRow] = []
    first: dict[str, int] = {}
    ix = body.index
    width = max(ix.values()) + 1
    try:
        for line, cells in _records(body, "code", problems):
            if len(cells) < width:
                problems.add(line, "(row)", f"has {len(cells)} columns; the header has "
                                            f"{width} or more.")
                continue
            row = _mue_row(line, cells, ix, problems)
            if row is None:
                continue
            earlier = first.setdefault(row.code, line)
            if earlier != line:
                problems.add(line, "HCPCS/CPT Code", f"{row.code} is already on line {earlier};"
                                                     " keep one of the two rows.")
                continue
            rows.append(row)
    except UnicodeDecodeError:
        raise UserError(f"{filename} is not readable text; save it as CSV again.") from None
    if not rows and not problems:
        problems.add(body.offset + 1, "(rows)", "there are no MUE rows below the header.")
    return rows, problems


def _mue_row(line: int, cells: list[str], ix: dict[str, int],
             problems: ProblemList) -> MueRow | None:
    code = clean_code(cells[ix["code"]])
    ok = True
    problem = code_problem(code)
    if problem:
        problems.add(line, "HCPCS/CPT Code", problem)
        ok = False
    units_text = cells[ix["units"]].strip()
    if not units_text.isdigit() or int(units_text) > MUE_MAX_UNITS:
        problems.add(line, "MUE Values", f"\"{units_text}\" is not a number of units (a whole "
                                         f"number from 0 to {MUE_MAX_UNITS:,}).")
        ok = False
    texts = []
    for name, column, limit in (("indicator", "MUE Adjudication Indicator", MUE_INDICATOR_MAX),
                                ("rationale", "MUE Rationale", MUE_RATIONALE_MAX)):
        text = " ".join(cells[ix[name]].split()) if name in ix else ""
        if len(text) > limit:
            problems.add(line, column, f"is longer than {limit} characters.")
            ok = False
        texts.append(text)
    if not ok:
        return None
    return MueRow(code, int(units_text), texts[0], texts[1], line)


def quarter_start(d: date) -> date:
    """The first day of the calendar quarter holding `d` (CMS edit files take effect on
    January 1, April 1, July 1 and October 1)."""
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


__all__ = [
    "BYPASS_MODIFIERS", "EM_BYPASS_MODIFIER", "EM_CODES", "MODIFIER_INDICATORS", "FileScan",
    "MueRow", "PtpEdit",
    "PtpTable", "bypass_allowed", "file_chunks", "is_em", "quarter_start", "read_mue",
    "read_ptp", "scan_bytes",
]
