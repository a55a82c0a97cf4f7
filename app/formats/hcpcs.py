"""The CMS HCPCS Level II release file (public domain): the fixed-width record and CSV.

Fixed width: CMS RIF "HCPCS Contractor Record" (HCPCS_CNTRCTR_<yy>_REC, the record layout
shipped in the yearly zip as HCPCS<yyyy>_recordlayout.txt). Each record is 320 characters;
positions are 1-based and inclusive:

    1-5     HCPCS code; on modifier records 1-3 are blank and 4-5 hold the modifier
    6-10    sequence number (by 100s) grouping a code's records
    11      record identification code: 3 = first line of a procedure, 4 = its continuation,
            7 = first line of a modifier, 8 = its continuation
    12-91   long description (continued, 80 characters at a time, on records 4 and 8)
    92-119  short description (28 characters), on first lines only
    269-276 add date, 277-284 action effective date, 285-292 termination date (YYYYMMDD)
    293     action code (A add, C change, D discontinue, N no maintenance, ...)

CMS puts a disclaimer before the first record (and trims trailing blanks from some records);
lines before the first record are skipped, short records are padded. The text is
Windows-1252. A long description is its pieces joined by one space.

CSV: any export of the same data, mapped by header names (case, spaces and punctuation
ignored): code (HCPC, HCPCS, code), sequence (SEQNUM), record id (RECID), LONG DESCRIPTION,
SHORT DESCRIPTION and, when present, ADD DT, ACT EFF DT, TERM DT, ACTION CD; the names CMS
uses in its workbook and those of other published CSVs (e.g. `hcpcs,seqnum,recid,
long_description,short_description`). Continuation rows (record id 4 or 8) are joined like
fixed-width ones; without a record-id column a 2-character code is a modifier. Dates may be
YYYYMMDD, YYYY-MM-DD or MM/DD/YYYY.

Every problem is collected with its line number before `FormatError` is raised, so a bad
file names all its bad lines and imports nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.formats.cpt_csv import (
    FormatError,
    LineProblem,
    decode_text,
    read_rows,
    split_lines,
)
from app.formats.names import fold

PROCEDURE = "procedure"
MODIFIER = "modifier"
RECORD_LENGTH = 320
PROCEDURE_CODE = re.compile(r"^[A-Z]\d{4}$")  # Level II: a letter A-V and four digits
MODIFIER_CODE = re.compile(r"^[A-Z0-9]{2}$")
_YMD = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_FIRST = {"3": PROCEDURE, "7": MODIFIER}
_NEXT = {"4": PROCEDURE, "8": MODIFIER}

# (name, first position, last position), 1-based inclusive, from the record layout
_CODE = (1, 5)
_SEQ = (6, 10)
_RIC = (11, 11)
_LONG = (12, 91)
_SHORT = (92, 119)
_ADD = (269, 276)
_EFFECTIVE = (277, 284)
_TERMINATION = (285, 292)
_ACTION = (293, 293)


@dataclass(frozen=True)
class HcpcsEntry:
    """One procedure code or modifier with its whole long description."""

    line: int  # where its first record is
    kind: str  # PROCEDURE or MODIFIER
    code: str
    long_description: str
    short_description: str
    add_date: date | None = None
    action_effective_date: date | None = None
    termination_date: date | None = None
    action_code: str = ""


@dataclass(frozen=True)
class HcpcsFile:
    layout: str  # "fixed-width" or "csv"
    procedures: list[HcpcsEntry]
    modifiers: list[HcpcsEntry]
    has_dates: bool  # False for a CSV without date columns: stored dates are kept


@dataclass
class _Building:
    line: int
    kind: str
    code: str
    seq: int
    parts: list[str]
    short: str
    dates: tuple[date | None, date | None, date | None]
    action: str
    keep: bool = True  # False for a repeated or empty code: its continuations are absorbed

    def entry(self) -> HcpcsEntry:
        text = " ".join(p for p in self.parts if p)
        return HcpcsEntry(self.line, self.kind, self.code, text, self.short, *self.dates,
                          action_code=self.action)


def _slice(record: str, span: tuple[int, int]) -> str:
    return record[span[0] - 1: span[1]]


def parse_date(text: str, *, layout_only: bool = False) -> date | None:
    """YYYYMMDD (the layout's edit rule; the only form with `layout_only`), else also
    YYYY-MM-DD or MM/DD/YYYY; '' is None. Raises ValueError for anything else."""
    t = text.strip()
    if not t:
        return None
    m = _YMD.fullmatch(t) or (None if layout_only else _ISO.fullmatch(t))
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = None if layout_only else _US.fullmatch(t)
    if m:
        return date(int(m[3]), int(m[1]), int(m[2]))
    raise ValueError(t)


def _dates(line: int, values: dict[str, str], problems: list[LineProblem], *,
           layout_only: bool = False) -> tuple[date | None, date | None, date | None]:
    out: list[date | None] = []
    for name in ("add date", "action effective date", "termination date"):
        try:
            out.append(parse_date(values.get(name, ""), layout_only=layout_only))
        except ValueError:
            problems.append(LineProblem(line, name, f"\"{values[name].strip()[:12]}\" is not a "
                                                    "date (YYYYMMDD)."))
            out.append(None)
    return out[0], out[1], out[2]


class _Collector:
    """Builds entries from first and continuation records, checking their order. `labels`
    names our fields as the file does (a CSV's headers) in problems."""

    def __init__(self, labels: dict[str, str] | None = None) -> None:
        self.problems: list[LineProblem] = []
        self.labels = labels or {}
        self.done: list[_Building] = []
        self.current: _Building | None = None
        self.first_line: dict[tuple[str, str], int] = {}

    def problem(self, line: int, what: str, reason: str) -> None:
        self.problems.append(LineProblem(line, self.labels.get(what, what), reason))

    def first(self, line: int, kind: str, code: str, seq: int | None, long: str, short: str,
              dates: tuple[date | None, date | None, date | None], action: str) -> None:
        self._close()
        key = (kind, code)
        keep = True
        if key in self.first_line:
            self.problem(line, "code", f"{kind} {code} appears again (first on line "
                                       f"{self.first_line[key]}).")
            keep = False
        elif not long:
            self.problem(line, "long description", f"is empty for {code}.")
            keep = False
        else:
            self.first_line[key] = line
        self.current = _Building(line, kind, code, seq or 0, [long], short, dates, action, keep)

    def continuation(self, line: int, kind: str, code: str, seq: int | None,
                     text: str) -> None:
        cur = self.current
        if cur is None or cur.kind != kind or cur.code != code:
            self.problem(line, "record id", f"continues {kind} {code}, but the line before is "
                                            "not that code's record.")
            return
        if seq is not None and seq <= cur.seq:
            self.problem(line, "sequence number", f"{seq} does not follow {cur.seq}; the "
                                                  f"records of {code} are out of order.")
            return
        cur.seq = seq if seq is not None else cur.seq
        cur.parts.append(text)

    def _close(self) -> None:
        if self.current is not None and self.current.keep:
            self.done.append(self.current)
        self.current = None

    def result(self, layout: str, has_dates: bool) -> HcpcsFile:
        self._close()
        if self.problems:
            raise FormatError(self.problems)
        if not self.done:
            raise FormatError([LineProblem(1, "file", "holds no HCPCS codes; choose the CMS "
                                                      "HCPCS file (the .txt in the zip) or a "
                                                      "CSV of it.")])
        entries = [b.entry() for b in self.done]
        return HcpcsFile(layout, [e for e in entries if e.kind == PROCEDURE],
                         [e for e in entries if e.kind == MODIFIER], has_dates)


# --- fixed width ---------------------------------------------------------------------------
def _is_record_start(line: str) -> bool:
    return len(line) >= 11 and _slice(line, _SEQ).isdigit()


def _record_code(line: int, record: str, ric: str,
                 problems: list[LineProblem]) -> tuple[str, str] | None:
    """(kind, code) of a record, or None after noting what is wrong."""
    kind = _FIRST.get(ric) or _NEXT.get(ric)
    if kind is None:
        problems.append(LineProblem(line, "record id", f"\"{ric}\" is not 3, 4, 7 or 8 "
                                                       "(position 11)."))
        return None
    raw = _slice(record, _CODE)
    if kind == MODIFIER:
        code = raw[3:].upper()
        if raw[:3].strip() or not MODIFIER_CODE.match(code):
            problems.append(LineProblem(line, "modifier", f"\"{raw.strip()}\" is not a "
                                                          "two-character modifier in positions "
                                                          "4-5."))
            return None
    else:
        code = raw.upper()
        if not PROCEDURE_CODE.match(code):
            problems.append(LineProblem(line, "code", f"\"{raw.strip()}\" is not a HCPCS Level "
                                                      "II code (a letter and four digits)."))
            return None
    return kind, code


def parse_fixed_width(text: str) -> HcpcsFile:
    """Read the CMS fixed-width file (see the module docstring for the layout)."""
    c = _Collector()
    started = False
    for n, raw in enumerate(split_lines(text), 1):
        if not started:
            started = _is_record_start(raw)
            if not started:
                continue  # the disclaimer CMS puts before the first record
        if not raw.strip():
            continue
        if len(raw) > RECORD_LENGTH and raw[RECORD_LENGTH:].strip():
            c.problem(n, "record", f"has {len(raw)} characters; a HCPCS record has "
                                   f"{RECORD_LENGTH}.")
            continue
        record = raw.ljust(RECORD_LENGTH)
        seq_text = _slice(record, _SEQ)
        if not seq_text.isdigit():
            c.problem(n, "sequence number", f"\"{seq_text.strip()}\" is not a number "
                                            "(positions 6-10).")
            continue
        ric = _slice(record, _RIC)
        found = _record_code(n, record, ric, c.problems)
        if found is None:
            continue
        kind, code = found
        long = _slice(record, _LONG).rstrip()
        if ric in _NEXT:
            c.continuation(n, kind, code, int(seq_text), long)
            continue
        values = {"add date": _slice(record, _ADD), "action effective date":
                  _slice(record, _EFFECTIVE), "termination date": _slice(record, _TERMINATION)}
        dates = _dates(n, values, c.problems, layout_only=True)
        c.first(n, kind, code, int(seq_text), long.strip(), _slice(record, _SHORT).strip(),
                dates, _slice(record, _ACTION).strip())
    return c.result("fixed-width", has_dates=True)


# --- CSV -----------------------------------------------------------------------------------
_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("hcpc", "hcpcs", "hcpcscode", "hcpcscd", "code"),
    "sequence number": ("seqnum", "seq", "sequence", "sequencenumber", "hcpcssqncnum"),
    "record id": ("recid", "ric", "recordid", "recordidentificationcode", "hcpcsrecidentcd"),
    "long description": ("longdescription", "longdesc", "description", "hcpcslongdesctxt"),
    "short description": ("shortdescription", "shortdesc", "hcpcsshrtdesctxt"),
    "add date": ("adddt", "adddate", "hcpcscdadddt", "codeadddate"),
    "action effective date": ("acteffdt", "actioneffectivedate", "effectivedate", "effdt",
                              "hcpcsactnefctvdt"),
    "termination date": ("termdt", "terminationdate", "hcpcstrmntndt"),
    "action code": ("actioncd", "actioncode", "action", "hcpcsactncd"),
}
_DATE_FIELDS = ("add date", "action effective date", "termination date")


def csv_columns(headers: list[str]) -> dict[str, int]:
    """Our field → the header's column index, matched by folded name."""
    by_key = {fold(h): i for i, h in reversed(list(enumerate(headers)))}
    out: dict[str, int] = {}
    for name, keys in _COLUMNS.items():
        for k in keys:
            if k in by_key:
                out[name] = by_key[k]
                break
    return out


def looks_like_csv(text: str) -> bool:
    """True when the first non-blank line is a CSV header naming a code column."""
    first = next((ln for ln in split_lines(text)[:20] if ln.strip()), "")
    if _is_record_start(first):
        return False
    cells = re.split(r"[,;\t|]", first)
    return any(fold(c.strip().strip('"')) in _COLUMNS["code"] for c in cells)


def parse_csv(text: str) -> HcpcsFile:
    """Read a CSV of the HCPCS file (see the module docstring for the columns)."""
    rows = read_rows(text)
    if not rows:
        raise FormatError([LineProblem(1, "file", "is empty.")])
    headers = rows[0][1]
    cols = csv_columns(headers)
    missing = [n for n in ("code", "long description") if n not in cols]
    if missing:
        raise FormatError([LineProblem(1, n, "no column of that name; the first line must "
                                             "name the columns (HCPC, LONG DESCRIPTION, …).")
                           for n in missing])
    c = _Collector({f: headers[i] for f, i in cols.items()})
    for n, cells in rows[1:]:
        _csv_row(c, n, {f: (cells[i] if i < len(cells) else "") for f, i in cols.items()})
    return c.result("csv", has_dates=any(f in cols for f in _DATE_FIELDS))


def _csv_kind(c: _Collector, line: int, values: dict[str, str],
              code: str) -> tuple[str, bool] | None:
    """(kind, is continuation) of a row, from its record id or else its code's length."""
    ric = values.get("record id", "").strip()
    if ric:
        kind = _FIRST.get(ric) or _NEXT.get(ric)
        if kind is None:
            c.problem(line, "record id", f"\"{ric[:12]}\" is not 3, 4, 7 or 8.")
            return None
        return kind, ric in _NEXT
    return (MODIFIER if len(code) == 2 else PROCEDURE), False


def _csv_row(c: _Collector, line: int, values: dict[str, str]) -> None:
    code = values["code"].strip().upper()
    found = _csv_kind(c, line, values, code)
    if found is None:
        return
    kind, is_next = found
    pattern = MODIFIER_CODE if kind == MODIFIER else PROCEDURE_CODE
    if not pattern.match(code):
        what = "a two-character modifier" if kind == MODIFIER else \
            "a HCPCS Level II code (a letter and four digits)"
        c.problem(line, "code", f"\"{code[:12]}\" is not {what}.")
        return
    seq_text = values.get("sequence number", "").strip()
    if seq_text and not seq_text.isdigit():
        c.problem(line, "sequence number", f"\"{seq_text[:12]}\" is not a number.")
        return
    seq = int(seq_text) if seq_text else None  # without sequence numbers, file order rules
    long = values["long description"].strip()
    if is_next:
        c.continuation(line, kind, code, seq, long)
        return
    found_dates: list[LineProblem] = []
    dates = _dates(line, {f: values[f] for f in _DATE_FIELDS if f in values}, found_dates)
    for p in found_dates:
        c.problem(p.line, p.column, p.reason)
    c.first(line, kind, code, seq, long, values.get("short description", "").strip(), dates,
            values.get("action code", "").strip().upper())


# --- either ----------------------------------------------------------------------------------
def parse_hcpcs(data: bytes) -> HcpcsFile:
    """Read a HCPCS file in either layout (a CSV is recognised by its header line)."""
    text = decode_text(data)
    return parse_csv(text) if looks_like_csv(text) else parse_fixed_width(text)


__all__ = ["MODIFIER", "PROCEDURE", "PROCEDURE_CODE", "FormatError", "HcpcsEntry", "HcpcsFile",
           "LineProblem", "csv_columns", "looks_like_csv", "parse_csv", "parse_date",
           "parse_fixed_width", "parse_hcpcs"]
