"""The clinic's own CPT file: a CSV of code, short and long description, read through a
column mapping the clerk confirms.

CPT codes and descriptors belong to the AMA; ClinicClerk never ships them (DESIGN.md §4). A
clinic that licenses CPT exports its copy as CSV (any column order, with or without a header
line) and maps which column holds the code, the short and the long description. A CPT code is
five characters: four digits, then a digit (Category I), F (Category II) or T (Category III) or
U (Proprietary Laboratory Analyses).

The module also holds what both code-file readers share: decoding (UTF-8 with or without a
byte-order mark, UTF-16 with one, else Windows-1252), CSV rows numbered as an editor shows them
(a quoted value spanning lines is numbered by the line it starts on), and `FormatError`, which
lists each bad line as "line N, column: reason".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.errors import UserError
from app.formats.names import fold

CPT_CODE = re.compile(r"^\d{4}[0-9FTU]$")
HCPCS_CODE = re.compile(r"^[A-Z]\d{4}$")
SHORT_MAX = 60  # what the app keeps as a short description (procedure_code.short_description)
_SHOWN_PROBLEMS = 20
_SNIFF_BYTES = 8192


# --- shared: problems, decoding, CSV rows --------------------------------------------------------
@dataclass(frozen=True)
class LineProblem:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


class FormatError(UserError):
    """The file does not hold what it should; `problems` names each bad line."""

    def __init__(self, problems: Sequence[LineProblem], filename: str = "") -> None:
        self.problems = list(problems)
        self.filename = filename
        shown = "\n".join(f"• {p}" for p in self.problems[:_SHOWN_PROBLEMS])
        more = len(self.problems) - _SHOWN_PROBLEMS
        if more > 0:
            shown += f"\n… and {more} more."
        head = f"{filename}: nothing was imported" if filename else "Nothing was imported"
        super().__init__(f"{head}. Fix these lines and import the file again:\n{shown}")


def decode_text(data: bytes) -> str:
    """The file as text. Raises `FormatError` for spreadsheets and other binary files."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FormatError([LineProblem(1, "file", "is an Excel workbook, not text. Choose the "
                                                  ".txt file, or save the sheet as CSV.")])
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise FormatError([LineProblem(1, "file", "holds binary data, not text.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte, and those five are
        # control characters no description uses.
        return data.decode("latin-1")


def split_lines(text: str) -> list[str]:
    """Lines split on CR LF, CR or LF only (str.splitlines also splits on form feeds and
    other characters a fixed-width record may hold)."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(text: str) -> list[tuple[int, list[str]]]:
    """Every non-blank CSV row with the line it starts on (the first line is line 1), cells
    stripped. The delimiter (comma, semicolon, tab or bar) is taken from the first line."""
    first = next((ln for ln in split_lines(text) if ln.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first),
                        strict=True)
    rows: list[tuple[int, list[str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise FormatError([LineProblem(reader.line_num, "file", f"is not valid CSV "
                                           f"({exc}); check the quotes on that line.")]) from None
        cells = [c.strip() for c in cells]
        if any(cells):
            rows.append((start, cells))


# --- CPT ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CptMapping:
    """Which column (0-based) holds what; `short` or `long` may be None, not both."""

    code: int
    short: int | None = None
    long: int | None = None
    has_header: bool = True


@dataclass(frozen=True)
class CptRow:
    line: int
    code: str
    short_description: str
    long_description: str


_CODE_NAMES = {"code", "cpt", "cptcode", "cptcd", "procedurecode", "proccode", "hcpcs",
               "hcpcscode", "cptcodes"}


def looks_like_cpt(cell: str) -> bool:
    return bool(CPT_CODE.match(cell.strip().upper()))


def detect_header(rows: Sequence[tuple[int, list[str]]]) -> bool:
    """True when the first row names the columns: none of its cells is a CPT code, while a
    later row (or, in a one-row file, nothing) has one."""
    if not rows:
        return False
    if any(looks_like_cpt(c) for c in rows[0][1]):
        return False
    return True


def column_label(headers: Sequence[str] | None, index: int) -> str:
    """The column's name for messages: its header, else "column N" (1-based)."""
    if headers is not None and index < len(headers) and headers[index]:
        return headers[index]
    return f"column {index + 1}"


def _by_name(headers: Sequence[str]) -> dict[str, int]:
    """code / short / long columns recognised by their header names."""
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = fold(h)
        if "code" not in found and (key in _CODE_NAMES or key.endswith("code")):
            found["code"] = i
        elif "short" in key:
            found.setdefault("short", i)
        elif "medium" in key:
            found.setdefault("medium", i)
        elif "long" in key or "full" in key:
            found.setdefault("long", i)
        elif "desc" in key:
            found.setdefault("desc", i)
    out = {k: v for k, v in found.items() if k in ("code", "short", "long")}
    if "short" not in out and "medium" in found:
        # AMA's medium descriptor (at most 48 characters) stands in for a missing short one
        out["short"] = found["medium"]
    if "desc" in found:
        out.setdefault("long" if "long" not in out else "short", found["desc"])
    return out


def _data_guess(rows: Sequence[list[str]], width: int,
                skip: Iterable[int]) -> tuple[int | None, list[int]]:
    """The column most often holding a CPT code, and the text columns by average length."""
    taken = set(skip)
    hits = [sum(1 for r in rows if i < len(r) and looks_like_cpt(r[i])) for i in range(width)]
    code = max(range(width), key=lambda i: hits[i]) if width and max(hits) else None
    lengths: dict[int, float] = {}
    for i in range(width):
        if i == code or i in taken:
            continue
        cells = [r[i] for r in rows if i < len(r) and r[i]]
        if cells and not all(looks_like_cpt(c) for c in cells):
            lengths[i] = sum(len(c) for c in cells) / len(cells)
    return code, sorted(lengths, key=lambda i: lengths[i])


def guess_mapping(rows: Sequence[tuple[int, list[str]]]) -> CptMapping:
    """A first guess for the mapping dialog: by header names when there is a header, else by
    content (the code column is the one of CPT-shaped values; of the text columns the
    shortest on average is the short description and the longest the long one)."""
    has_header = detect_header(rows)
    headers = rows[0][1] if has_header and rows else []
    data = [cells for _line, cells in (rows[1:] if has_header else rows)][:200]
    width = max((len(c) for _l, c in rows), default=0)
    named = _by_name(headers)
    code_guess, texts = _data_guess(data, width, named.values())
    code = named.get("code", code_guess if code_guess is not None else 0)
    texts = [i for i in texts if i != code]
    short, long = named.get("short"), named.get("long")
    if short is None and long is None and texts:
        long = texts[-1]
        short = texts[0] if len(texts) > 1 else None
    return CptMapping(code=code, short=short, long=long, has_header=has_header)


def mapping_problems(mapping: CptMapping, width: int) -> list[LineProblem]:
    """What is wrong with the mapping itself (reported against line 1)."""
    problems: list[LineProblem] = []
    chosen = {"code": mapping.code, "short description": mapping.short,
              "long description": mapping.long}
    for what, col in chosen.items():
        if col is not None and not 0 <= col < width:
            problems.append(LineProblem(1, what, f"column {col + 1} does not exist; the file "
                                                 f"has {width} column(s)."))
    if mapping.short is None and mapping.long is None:
        problems.append(LineProblem(1, "description", "choose the column holding the short "
                                                       "or the long description."))
    used = [c for c in chosen.values() if c is not None]
    if len(used) != len(set(used)):
        problems.append(LineProblem(1, "mapping", "the same column is chosen twice; each of "
                                                  "code, short and long needs its own."))
    return problems


def short_from_long(text: str, limit: int = SHORT_MAX) -> str:
    """A short description cut from the long one at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return (cut or text[: limit - 1]) + "…"


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def parse_cpt(rows: Sequence[tuple[int, list[str]]], mapping: CptMapping) -> list[CptRow]:
    """The rows as CPT codes; raises `FormatError` listing every bad line. Blank rows are
    skipped; a short description longer than 60 characters, a missing description, a value
    that is not a CPT code and a code given twice are errors."""
    width = max((len(c) for _l, c in rows), default=0)
    problems = mapping_problems(mapping, width)
    if problems:
        raise FormatError(problems)
    headers = rows[0][1] if mapping.has_header and rows else None
    label = {i: column_label(headers, i) for i in range(width)}
    body = rows[1:] if mapping.has_header else rows
    first_seen: dict[str, int] = {}
    out: list[CptRow] = []
    for line, cells in body:
        code = _cell(cells, mapping.code).upper()
        short, long = _cell(cells, mapping.short), _cell(cells, mapping.long)
        found = _row_problems(line, code, short, long, mapping, label, first_seen)
        if found:
            problems += found
            continue
        first_seen[code] = line
        out.append(CptRow(line, code, short or short_from_long(long), long))
    if problems:
        raise FormatError(problems)
    if not out:
        raise FormatError([LineProblem(1, "file", "has no CPT codes below the header.")])
    return out


def _row_problems(line: int, code: str, short: str, long: str, mapping: CptMapping,
                  label: dict[int, str], first_seen: dict[str, int]) -> list[LineProblem]:
    found: list[LineProblem] = []
    code_col = label.get(mapping.code, "code")
    if not code:
        found.append(LineProblem(line, code_col, "is empty; every row needs a CPT code."))
    elif HCPCS_CODE.match(code):
        found.append(LineProblem(line, code_col, f"{code} is a HCPCS Level II code; those come "
                                                 "from the CMS HCPCS file. Remove the row."))
    elif not CPT_CODE.match(code):
        found.append(LineProblem(line, code_col, f"\"{code[:12]}\" is not a CPT code (five "
                                                 "characters: four digits, then a digit, F, T "
                                                 "or U)."))
    elif code in first_seen:
        found.append(LineProblem(line, code_col, f"{code} appears again (first on line "
                                                 f"{first_seen[code]}); keep one row."))
    if not short and not long:
        col = mapping.long if mapping.long is not None else mapping.short
        found.append(LineProblem(line, label.get(col or 0, "description"),
                                 "is empty; every code needs a description."))
    if len(short) > SHORT_MAX and mapping.short is not None:
        found.append(LineProblem(line, label.get(mapping.short, "short description"),
                                 f"has {len(short)} characters; a short description holds at "
                                 f"most {SHORT_MAX}."))
    return found


__all__ = ["CPT_CODE", "HCPCS_CODE", "SHORT_MAX", "CptMapping", "CptRow", "FormatError",
           "LineProblem", "column_label", "decode_text", "detect_header", "guess_mapping",
           "looks_like_cpt", "mapping_problems", "parse_cpt", "read_rows", "short_from_long",
           "split_lines"]
