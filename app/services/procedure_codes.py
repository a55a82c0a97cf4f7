"""Procedure codes (HCPCS Level II and the clinic's licensed CPT) and modifiers.

Importing (DESIGN.md §2.6): the CMS HCPCS file (fixed width or CSV, app.formats.hcpcs) and the
clinic's CPT CSV (app.formats.cpt_csv) are read and checked whole before anything is written;
a bad line is named with its number and nothing is imported. The same file twice is refused
(`import_log` kinds "hcpcs" and "cpt"). A HCPCS file becomes a `CodeSetRelease` (system
"hcpcs"); loading it updates the descriptions and dates of codes already known and adds new
ones, and never deletes: a code CMS has ended keeps its termination date. A file older than a
release already loaded only adds the codes the newer one lacks. The clinic's own `is_drug`
marks survive every import.

Dates: a code is in force from its CMS *add date* (record positions 269-276) to its
*termination date* (285-292). The action effective date is the date of the latest change to the
record (a new description, a discontinuation), not the start of the code: CMS discontinues
V5170 with action date 2019-01-01 and termination 2018-12-31.

Search needs only a signed-in user; imports and edits need MANAGE_CODE_SETS and are audited.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import re
from bisect import bisect_left
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, cast

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, UserError, ValidationError
from app.formats.cpt_csv import (
    CPT_CODE,
    SHORT_MAX,
    CptMapping,
    CptRow,
    FormatError,
    LineProblem,
    decode_text,
    guess_mapping,
    parse_cpt,
    read_rows,
    short_from_long,
)
from app.formats.hcpcs import PROCEDURE_CODE, HcpcsFile, parse_hcpcs
from app.formats.names import fold, next_prefix
from app.models import CodeSetRelease, ImportLog, Modifier, ProcedureCode
from app.models.codes import CPT, HCPCS
from app.models.types import utcnow
from app.services.audit import append_event
from app.services.code_lookup import normalize_code, procedure, procedure_in_force
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission

KIND_HCPCS = "hcpcs"  # import_log kinds
KIND_CPT = "cpt"
SOURCE_IMPORT = "import"
SOURCE_MANUAL = "manual"
MODIFIER_BUNDLED = "bundled"
MODIFIER_HCPCS = "hcpcs"
MODIFIER_MAX = int(getattr(Modifier.__table__.c.description.type, "length", 0) or 2000)
PROCEDURE_SYSTEMS = (HCPCS, CPT)
SYSTEM_LABELS = {HCPCS: "HCPCS", CPT: "CPT"}
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
                                        "SEP", "OCT", "NOV", "DEC"), 1)}
_FILE_VERSION = re.compile(r"HCPCS?[ _-]?((?:19|20)\d\d)(?:[ _-]?(JAN|FEB|MAR|APR|MAY|JUN|JUL|"
                           r"AUG|SEP|OCT|NOV|DEC)[A-Z]*)?(?:.*?[ _-]V(\d+)\b)?", re.IGNORECASE)
_VERSION = re.compile(r"^((?:19|20)\d\d)(?:[ _-]?([A-Za-z]{3})[A-Za-z]*)?\b")
_CHUNK = 500
_ASCII_WORD = re.compile(r"[a-z0-9]+")


# --- what the service hands out ------------------------------------------------------------------
@dataclass(frozen=True)
class ProcedureData:
    """A code as a clerk adds or edits it by hand."""

    system: str
    code: str
    short_description: str
    long_description: str = ""
    effective_from: date | None = None
    effective_to: date | None = None
    is_drug: bool = False
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class ProcedureHit:
    system: str
    code: str
    short_description: str
    long_description: str
    effective_from: date | None
    effective_to: date | None
    is_drug: bool
    in_force: bool  # on the search's date (today when none was given)


@dataclass(frozen=True)
class ProcedureDetail:
    id: int
    system: str
    code: str
    short_description: str
    long_description: str
    effective_from: date | None
    effective_to: date | None
    is_drug: bool
    source: str
    release_version: str  # "" for codes added by hand or from the CPT file
    updated_at: datetime
    version: int

    def data(self) -> ProcedureData:
        """The values to edit (with the version the edit must match)."""
        return ProcedureData(**{f.name: getattr(self, f.name) for f in fields(ProcedureData)})


@dataclass(frozen=True)
class ModifierData:
    code: str
    description: str
    effective_from: date | None = None
    effective_to: date | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class ModifierRow:
    id: int
    code: str
    description: str
    effective_from: date | None
    effective_to: date | None
    source: str
    version: int

    def data(self) -> ModifierData:
        return ModifierData(self.code, self.description, self.effective_from,
                            self.effective_to, self.id, self.version)


@dataclass(frozen=True)
class HcpcsImportResult:
    filename: str
    version: str
    layout: str  # "fixed-width" or "csv"
    added: int
    updated: int
    unchanged: int
    kept_newer: int  # codes a newer release already loaded describes; left as they are
    terminated: int  # codes of the file with a termination date
    modifiers_added: int
    modifiers_updated: int
    modifiers_shortened: int  # descriptions cut to fit the modifier table

    @property
    def codes(self) -> int:
        return self.added + self.updated + self.unchanged + self.kept_newer


@dataclass(frozen=True)
class CptPreview:
    """What the mapping dialog shows: the header (None when the first line is data), the first
    rows and a guessed mapping."""

    filename: str
    headers: list[str] | None
    rows: list[list[str]]
    mapping: CptMapping
    total_rows: int
    width: int


@dataclass(frozen=True)
class CptImportResult:
    filename: str
    added: int
    updated: int
    unchanged: int


def import_summary_lines(result: HcpcsImportResult | CptImportResult) -> list[str]:
    """The result of an import as lines for the CLI and the import dialog."""
    if isinstance(result, CptImportResult):
        total = result.added + result.updated + result.unchanged
        return [f"CPT codes imported from {result.filename}: {total:,}",
                f"  added {result.added:,}, updated {result.updated:,}, "
                f"unchanged {result.unchanged:,}"]
    lines = [f"HCPCS release {result.version} imported from {result.filename} "
             f"({result.layout}): {result.codes:,} codes",
             f"  added {result.added:,}, updated {result.updated:,}, "
             f"unchanged {result.unchanged:,}"]
    if result.kept_newer:
        lines.append(f"  {result.kept_newer:,} kept as a newer release describes them")
    lines.append(f"  {result.terminated:,} with a termination date")
    lines.append(f"Modifiers: added {result.modifiers_added:,}, updated "
                 f"{result.modifiers_updated:,}")
    if result.modifiers_shortened:
        lines.append(f"  {result.modifiers_shortened:,} long modifier descriptions shortened "
                     f"to {MODIFIER_MAX} characters")
    return lines


# --- checks ------------------------------------------------------------------------------------
def normalise_procedure(d: ProcedureData) -> ProcedureData:
    return ProcedureData(d.system.strip().lower(), normalize_code(d.code),
                         " ".join(d.short_description.split()), d.long_description.strip(),
                         d.effective_from, d.effective_to, bool(d.is_drug), d.id, d.version)


def _check_dates(p: dict[str, str], start: date | None, end: date | None) -> None:
    if start and end and end < start:
        p["effective_to"] = "cannot be before the start date."


def check_procedure(d: ProcedureData) -> dict[str, str]:
    """Field problems of a hand-entered code (after `normalise_procedure`)."""
    p: dict[str, str] = {}
    if d.system not in PROCEDURE_SYSTEMS:
        p["system"] = "Choose HCPCS or CPT."
    elif d.system == HCPCS and not PROCEDURE_CODE.match(d.code):
        p["code"] = "A HCPCS Level II code is a letter and four digits (e.g. J1100)."
    elif d.system == CPT and not CPT_CODE.match(d.code):
        p["code"] = ("A CPT code is four digits, then a digit, F, T or U (e.g. 99213, "
                     "0001U).")
    if not d.short_description:
        p["short_description"] = "is required."
    elif len(d.short_description) > SHORT_MAX:
        p["short_description"] = f"holds at most {SHORT_MAX} characters."
    _check_dates(p, d.effective_from, d.effective_to)
    return p


def check_modifier(d: ModifierData) -> dict[str, str]:
    p: dict[str, str] = {}
    if not re.fullmatch(r"[A-Z0-9]{2}", d.code):
        p["code"] = "A modifier is two letters or digits (e.g. 25, LT)."
    if not d.description:
        p["description"] = "is required."
    elif len(d.description) > MODIFIER_MAX:
        p["description"] = f"holds at most {MODIFIER_MAX} characters."
    _check_dates(p, d.effective_from, d.effective_to)
    return p


# --- files and releases ------------------------------------------------------------------------
def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; choose the file again.") from None
    except OSError as exc:
        raise UserError(f"{path.name} cannot be read ({exc.strerror or 'access refused'}).") \
            from None


def version_from_filename(name: str) -> str | None:
    """'HCPC2019_CONTR_ANWEB.txt' → '2019'; 'HCPC2024_JAN_ANWEB_v3.txt' → '2024 JAN v3'."""
    m = _FILE_VERSION.search(name)
    if not m:
        return None
    parts = [m[1]] + ([m[2].upper()] if m[2] else []) + ([f"v{m[3]}"] if m[3] else [])
    return " ".join(parts)


def release_start(version: str) -> date:
    """The first day a release is in force: January 1 of its year, or the first of its
    quarter's month ('2024 APR' → 2024-04-01). UserError when it does not start with a year."""
    m = _VERSION.match(version)
    if not m:
        raise UserError(f"The HCPCS release \"{version[:40]}\" must start with its year, for "
                        "example 2025 or 2025 APR.")
    month = _MONTHS.get((m[2] or "").upper(), 1)
    return date(int(m[1]), month, 1)


def _release_version(given: str | None, filename: str) -> str:
    version = " ".join((given or "").split()) or version_from_filename(filename)
    if not version:
        raise UserError(f"Say which HCPCS release {filename} is (for example 2025 or 2025 APR); "
                        "its name does not tell.")
    if len(version) > 40:
        raise UserError("The release name is too long; use at most 40 characters.")
    release_start(version)
    return version


def _fit(text: str, limit: int) -> tuple[str, bool]:
    """The text cut at a word boundary to `limit` characters (with an ellipsis) if longer."""
    if len(text) <= limit:
        return text, False
    return short_from_long(text, limit), True


def _claim_import(s: Session, kind: str, sha256: str, filename: str, rows: int,
                  user: CurrentUser) -> None:
    """Log the import as the transaction's first write (so it holds the write lock before
    anything is read), then refuse when the same file was imported before."""
    log = ImportLog(kind=kind, sha256=sha256, filename=filename[:200], rows=rows,
                    username=user.username)
    s.add(log)
    s.flush()
    before = s.scalars(select(ImportLog).where(ImportLog.kind == kind,
                                               ImportLog.sha256 == sha256,
                                               ImportLog.id != log.id)
                       .order_by(ImportLog.id)).first()
    if before is not None:
        when = before.imported_at.astimezone().strftime("%m/%d/%Y")
        raise UserError(f"{filename} was already imported on {when} by {before.username} "
                        f"(as {before.filename}). Nothing was imported.")


def _chain_releases(s: Session, system: str) -> None:
    """Each release is in force until the day before the next one starts; the last is open."""
    rels = list(s.scalars(select(CodeSetRelease).where(CodeSetRelease.system == system)
                          .order_by(CodeSetRelease.effective_from, CodeSetRelease.id)))
    for earlier, later in zip(rels, rels[1:], strict=False):
        earlier.effective_to = later.effective_from - timedelta(days=1)
    if rels:
        rels[-1].effective_to = None


def _length_problems(parsed: HcpcsFile) -> list[LineProblem]:
    return [LineProblem(e.line, "short description", f"has {len(e.short_description)} "
                                                     f"characters; at most {SHORT_MAX} fit.")
            for e in parsed.procedures if len(e.short_description) > SHORT_MAX]


@dataclass
class _Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_newer: int = 0
    modifiers_added: int = 0
    modifiers_updated: int = 0
    modifiers_shortened: int = 0


def _apply(row: Any, values: dict[str, Any]) -> list[str]:
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for k in changed:
        setattr(row, k, values[k])
    return changed


def _write_hcpcs_codes(s: Session, parsed: HcpcsFile, release: CodeSetRelease,
                       newer: set[int], c: _Counts) -> None:
    existing = {r.code: r for r in s.scalars(select(ProcedureCode)
                                              .where(ProcedureCode.system == HCPCS))}
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    untouched: list[int] = []
    for e in parsed.procedures:
        values: dict[str, Any] = {
            "short_description": e.short_description or short_from_long(e.long_description),
            "long_description": e.long_description}
        if parsed.has_dates:
            values.update(effective_from=e.add_date, effective_to=e.termination_date)
        row = existing.get(e.code)
        if row is None:
            inserts.append({"effective_from": None, "effective_to": None, **values,
                            "system": HCPCS, "code": e.code, "release_id": release.id,
                            "source": SOURCE_IMPORT, "is_drug": e.code.startswith("J"),
                            "updated_at": now, "version": 1})
        elif row.release_id in newer:
            c.kept_newer += 1
        elif _apply(row, values):
            row.release_id, row.source, row.updated_at = release.id, SOURCE_IMPORT, now
            c.updated += 1
        else:
            untouched.append(row.id)
    c.added = len(inserts)
    c.unchanged = len(untouched)
    if inserts:
        s.execute(insert(ProcedureCode), inserts)
    for i in range(0, len(untouched), _CHUNK):
        # same text and dates: only note the release they are now part of (no new version,
        # so a clerk's open edit of the code is not refused for it)
        s.execute(update(ProcedureCode).where(ProcedureCode.id.in_(untouched[i:i + _CHUNK]))
                  .values(release_id=release.id, source=SOURCE_IMPORT)
                  .execution_options(synchronize_session=False))


def _write_hcpcs_modifiers(s: Session, parsed: HcpcsFile, newer: set[int], c: _Counts) -> None:
    existing = {m.code: m for m in s.scalars(select(Modifier))}
    for e in parsed.modifiers:
        text, cut = _fit(e.long_description or e.short_description, MODIFIER_MAX)
        values: dict[str, Any] = {"description": text}
        if parsed.has_dates:
            values.update(effective_from=e.add_date, effective_to=e.termination_date)
        row = existing.get(e.code)
        if row is None:
            s.add(Modifier(code=e.code, source=MODIFIER_HCPCS, **values))
            c.modifiers_added += 1
        elif newer:
            continue  # a newer HCPCS release is loaded: its modifier texts stay
        elif _apply(row, values):
            row.source = MODIFIER_HCPCS
            c.modifiers_updated += 1
        else:
            continue
        c.modifiers_shortened += cut


@lru_cache(maxsize=1)
def bundled_modifiers() -> tuple[ModifierData, ...]:
    """The modifier list shipped in resources/codes/modifiers.csv (our own wording)."""
    source = resources.files("resources").joinpath("codes").joinpath("modifiers.csv")
    text = source.read_text("utf-8")
    return tuple(ModifierData(r["code"].strip().upper(), r["description"].strip())
                 for r in csv.DictReader(io.StringIO(text)))


# --- search ------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    """Folded words: 'Ldl-C, Zoë' → ['ldl', 'c', 'zoe'] (case and accents do not count)."""
    if text.isascii():
        # the same result as folding each piece, ~10x faster; nearly every description is ASCII
        return _ASCII_WORD.findall(text.lower())
    return [w for w in (fold(p) for p in re.split(r"[\W_]+", text)) if w]


class _Entry(NamedTuple):
    """The columns search needs, read without the ORM (8k rows load in ~50 ms, not ~250)."""

    system: str
    code: str
    short_description: str
    long_description: str
    effective_from: date | None
    effective_to: date | None
    is_drug: bool


def _in_force(e: _Entry, day: date) -> bool:
    # the shared rule reads only effective_from/effective_to, which the entry has too
    return procedure_in_force(cast(ProcedureCode, e), day)


class _SearchIndex:
    """Every procedure code in memory with a sorted word list, rebuilt when the table changes
    (its row count, largest id, newest update or total of versions differ)."""

    def __init__(self, stamp: tuple[Any, ...], rows: list[_Entry]) -> None:
        self.stamp = stamp
        self.rows = rows
        self.codes = sorted((r.code, i) for i, r in enumerate(rows))
        self.row_words: list[frozenset[str]] = []
        postings: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            words = frozenset(_words(f"{r.code} {r.short_description} {r.long_description}"))
            self.row_words.append(words)
            for w in words:
                postings.setdefault(w, []).append(i)
        self.words = sorted(postings)
        self.postings = [postings[w] for w in self.words]

    def by_code(self, prefix: str) -> list[int]:
        start = bisect_left(self.codes, (prefix,))
        end = bisect_left(self.codes, (next_prefix(prefix),))
        return [i for _c, i in self.codes[start:end]]

    def by_words(self, words: list[str]) -> set[int]:
        """Rows where every word is the start of some word of the code or its descriptions."""
        found: set[int] | None = None
        for w in sorted(set(words), key=len, reverse=True):
            if found is not None and len(found) <= 200:
                # few rows left: checking them is cheaper than the union of a short prefix
                found = {i for i in found if any(x.startswith(w) for x in self.row_words[i])}
            else:
                lo, hi = bisect_left(self.words, w), bisect_left(self.words, next_prefix(w))
                hits: set[int] = set().union(*self.postings[lo:hi])
                found = hits if found is None else found & hits
            if not found:
                return set()
        return found or set()


def _stamp(s: Session) -> tuple[Any, ...]:
    q = select(func.count(ProcedureCode.id), func.max(ProcedureCode.id),
               func.max(ProcedureCode.updated_at), func.sum(ProcedureCode.version))
    return tuple(s.execute(q).one())


def _hit(r: _Entry, day: date) -> ProcedureHit:
    return ProcedureHit(*r, in_force=_in_force(r, day))


def _detail(s: Session, r: ProcedureCode) -> ProcedureDetail:
    release = s.get(CodeSetRelease, r.release_id) if r.release_id else None
    return ProcedureDetail(r.id, r.system, r.code, r.short_description, r.long_description,
                           r.effective_from, r.effective_to, r.is_drug, r.source,
                           release.version if release else "", r.updated_at, r.version)


def _modifier_row(m: Modifier) -> ModifierRow:
    return ModifierRow(m.id, m.code, m.description, m.effective_from, m.effective_to, m.source,
                       m.version)


def _conflict(what: str) -> ConflictError:
    return ConflictError(f"Someone else changed this {what} after you opened it. Their change "
                         "is kept; open it again to see it.")


class ProcedureCodeService:
    """HCPCS and CPT codes and modifiers: import, hand edits, search."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx
        self._index: _SearchIndex | None = None
        self._bundled_done = False

    # --- HCPCS ------------------------------------------------------------------------------
    def import_hcpcs(self, path: Path, version: str | None = None) -> HcpcsImportResult:
        """Import a CMS HCPCS Level II file (fixed width or CSV) as release `version` (by
        default from the file name, e.g. HCPC2019_CONTR_ANWEB.txt is 2019). All or nothing;
        the same file twice, or a release already loaded, is refused. Audited
        "codes.import_hcpcs" with the counts."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        data = _read_bytes(path)
        version = _release_version(version, path.name)
        try:
            parsed = parse_hcpcs(data)
        except FormatError as exc:
            raise FormatError(exc.problems, path.name) from None
        if too_long := _length_problems(parsed):
            raise FormatError(too_long, path.name)
        sha = hashlib.sha256(data).hexdigest()
        c = _Counts()
        rows = len(parsed.procedures) + len(parsed.modifiers)
        with self._db.session() as s:
            _claim_import(s, KIND_HCPCS, sha, path.name, rows, user)
            release = self._new_release(s, version, path.name, sha, len(parsed.procedures),
                                        user)
            newer = set(s.scalars(select(CodeSetRelease.id).where(
                CodeSetRelease.system == HCPCS,
                CodeSetRelease.effective_from > release.effective_from)))
            _write_hcpcs_codes(s, parsed, release, newer, c)
            _write_hcpcs_modifiers(s, parsed, newer, c)
            _chain_releases(s, HCPCS)
            append_event(s, user, "codes.import_hcpcs", entity="code_set_release",
                         entity_id=release.id, details={
                             "file": path.name, "version": version, "added": c.added,
                             "updated": c.updated, "unchanged": c.unchanged,
                             "kept_newer": c.kept_newer,
                             "modifiers_added": c.modifiers_added,
                             "modifiers_updated": c.modifiers_updated})
        terminated = sum(1 for e in parsed.procedures if e.termination_date)
        return HcpcsImportResult(path.name, version, parsed.layout, c.added, c.updated,
                                 c.unchanged, c.kept_newer, terminated, c.modifiers_added,
                                 c.modifiers_updated, c.modifiers_shortened)

    @staticmethod
    def _new_release(s: Session, version: str, filename: str, sha: str, codes: int,
                     user: CurrentUser) -> CodeSetRelease:
        same = s.scalars(select(CodeSetRelease).where(CodeSetRelease.system == HCPCS,
                                                      CodeSetRelease.version == version)).first()
        if same is not None:
            when = same.loaded_at.astimezone().strftime("%m/%d/%Y")
            raise UserError(f"HCPCS release {version} is already loaded (from {same.source} on "
                            f"{when}). Nothing was imported. To load a corrected file, give it "
                            f"another release name, for example \"{version} v2\".")
        release = CodeSetRelease(system=HCPCS, version=version,
                                 effective_from=release_start(version), source=filename[:200],
                                 sha256=sha, codes=codes, loaded_by=user.username)
        s.add(release)
        try:
            s.flush()
        except IntegrityError:
            raise UserError(f"HCPCS release {version} was loaded by someone else just now. "
                            "Nothing was imported.") from None
        return release

    # --- CPT --------------------------------------------------------------------------------
    def preview_cpt_csv(self, path: Path, rows: int = 10) -> CptPreview:
        """The clinic's CPT file for the mapping dialog: header (if any), first rows and a
        guessed mapping (which column is the code, the short and the long description)."""
        self._ctx.require(Permission.MANAGE_CODE_SETS)
        table = self._cpt_rows(path)
        mapping = guess_mapping(table)
        body = table[1:] if mapping.has_header else table
        width = max((len(cells) for _l, cells in table), default=0)
        return CptPreview(path.name, table[0][1] if mapping.has_header and table else None,
                          [cells for _l, cells in body[:rows]], mapping, len(body), width)

    def import_cpt_csv(self, path: Path, mapping: CptMapping) -> CptImportResult:
        """Import the clinic's licensed CPT codes through `mapping`. Every row is checked
        first (a CPT-shaped code, a description, no code twice); any problem imports nothing
        and is reported as "line N, column: reason". New codes are added, known ones get the
        file's descriptions. Audited "codes.import_cpt"."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        data = _read_bytes(path)
        table = self._cpt_rows(path, data)
        try:
            parsed = parse_cpt(table, mapping)
        except FormatError as exc:
            raise FormatError(exc.problems, path.name) from None
        sha = hashlib.sha256(data).hexdigest()
        with self._db.session() as s:
            _claim_import(s, KIND_CPT, sha, path.name, len(parsed), user)
            added, updated, unchanged = _write_cpt(s, parsed)
            append_event(s, user, "codes.import_cpt", entity="import", details={
                "file": path.name, "added": added, "updated": updated,
                "unchanged": unchanged})
        return CptImportResult(path.name, added, updated, unchanged)

    @staticmethod
    def _cpt_rows(path: Path, data: bytes | None = None) -> list[tuple[int, list[str]]]:
        try:
            rows = read_rows(decode_text(_read_bytes(path) if data is None else data))
        except FormatError as exc:
            raise FormatError(exc.problems, path.name) from None
        if not rows:
            raise UserError(f"{path.name} is empty: there are no codes in it.")
        return rows

    # --- hand edits ----------------------------------------------------------------------------
    def add_procedure(self, data: ProcedureData) -> ProcedureDetail:
        """Add a HCPCS or CPT code by hand (source "manual"); audited."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        d = normalise_procedure(data)
        if problems := check_procedure(d):
            raise ValidationError(problems, "procedure code")
        with self._db.session() as s:
            if procedure(s, d.code) is not None:
                raise ValidationError({"code": f"{d.code} already exists; find it and edit it "
                                               "instead."}, "procedure code")
            row = ProcedureCode(system=d.system, code=d.code,
                                short_description=d.short_description,
                                long_description=d.long_description,
                                effective_from=d.effective_from, effective_to=d.effective_to,
                                is_drug=d.is_drug, source=SOURCE_MANUAL, updated_at=utcnow())
            s.add(row)
            s.flush()
            append_event(s, user, "codes.procedure_add", entity="procedure_code",
                         entity_id=row.id, details={"system": d.system, "code": d.code})
            return _detail(s, row)

    def edit_procedure(self, data: ProcedureData) -> ProcedureDetail:
        """Change a code's descriptions, dates or drug mark. `data.version` must be the
        version that was read (else `ConflictError`); the code itself cannot change."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        d = normalise_procedure(data)
        if problems := check_procedure(d):
            raise ValidationError(problems, "procedure code")
        try:
            with self._db.session() as s:
                row = s.get(ProcedureCode, d.id) if d.id is not None else None
                if row is None:
                    raise UserError("That code no longer exists; search again.")
                if (row.system, row.code) != (d.system, d.code):
                    raise ValidationError({"code": "A code cannot be renamed or moved to "
                                                   "another system; add the new code."},
                                          "procedure code")
                if row.version != d.version:
                    raise _conflict("code")
                changed = _apply(row, {
                    "short_description": d.short_description,
                    "long_description": d.long_description,
                    "effective_from": d.effective_from, "effective_to": d.effective_to,
                    "is_drug": d.is_drug})
                if changed:
                    row.updated_at = utcnow()
                    s.flush()
                    append_event(s, user, "codes.procedure_edit", entity="procedure_code",
                                 entity_id=row.id, details={"code": row.code, "fields": changed})
                return _detail(s, row)
        except StaleDataError:
            raise _conflict("code") from None

    # --- reading ---------------------------------------------------------------------------
    def search(self, query: str, *, system: str | None = None, on: date | None = None,
               limit: int = 50) -> list[ProcedureHit]:
        """Codes starting with the query (when it is one word), then codes whose code or
        descriptions have a word starting with every word of the query, in any order,
        ignoring case and accents. `on` keeps only codes in force on that date; `system`
        only HCPCS or CPT. Codes in force come before ended ones, then by code."""
        self._ctx.require_signed_in()
        words = _words(query)
        if not words or limit <= 0:
            return []
        index = self._search_index()
        day = on or date.today()
        rows = index.rows

        def wanted(i: int) -> bool:
            r = rows[i]
            return (not system or r.system == system) and (on is None or _in_force(r, on))

        picked: list[int] = []
        if len(query.split()) == 1 and re.fullmatch(r"[A-Z0-9]{1,5}", normalize_code(query)):
            # already in code order; a short prefix ("a") can fill the page on its own
            for i in index.by_code(normalize_code(query)):
                if wanted(i):
                    picked.append(i)
                    if len(picked) >= limit:
                        return [_hit(rows[i], day) for i in picked]
        seen = set(picked)
        rest = [i for i in index.by_words(words) if i not in seen and wanted(i)]
        picked += heapq.nsmallest(limit - len(picked), rest, key=lambda i: (
            not _in_force(rows[i], day), rows[i].code))
        return [_hit(rows[i], day) for i in picked]

    def _search_index(self) -> _SearchIndex:
        with self._db.session() as s:
            stamp = _stamp(s)
            index = self._index
            if index is None or index.stamp != stamp:
                q = select(*(getattr(ProcedureCode, f) for f in _Entry._fields))
                index = _SearchIndex(stamp, [_Entry(*r) for r in s.execute(q)])
                self._index = index
            return index

    def get(self, code: str) -> ProcedureDetail | None:
        """One code with its source and release, or None."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            row = procedure(s, code)
            return _detail(s, row) if row is not None else None

    # --- modifiers ------------------------------------------------------------------------------
    def ensure_bundled_modifiers(self) -> int:
        """Insert the bundled modifiers the table lacks (never changes existing ones); returns
        how many were added. Idempotent; audited when it adds any."""
        user = self._ctx.require_signed_in()
        wanted = bundled_modifiers()
        try:
            with self._db.session() as s:
                have = set(s.scalars(select(Modifier.code)))
                missing = [m for m in wanted if m.code not in have]
                if missing:
                    s.execute(insert(Modifier), [
                        {"code": m.code, "description": m.description,
                         "source": MODIFIER_BUNDLED, "version": 1} for m in missing])
                    append_event(s, user, "codes.modifiers_bundled", entity="modifier",
                                 details={"added": len(missing)})
        except IntegrityError:
            return 0  # another workstation added them at the same moment
        self._bundled_done = True
        return len(missing)

    def modifiers(self, *, on: date | None = None) -> list[ModifierRow]:
        """Every modifier by code (only those in force on `on` when given). The bundled list
        is loaded on first use."""
        self._ctx.require_signed_in()
        if not self._bundled_done:
            self.ensure_bundled_modifiers()
        with self._db.session() as s:
            rows = [_modifier_row(m) for m in s.scalars(select(Modifier).order_by(Modifier.code))]
        if on is not None:
            rows = [m for m in rows if (m.effective_from is None or m.effective_from <= on)
                    and (m.effective_to is None or on <= m.effective_to)]
        return rows

    def add_modifier(self, data: ModifierData) -> ModifierRow:
        """Add a modifier by hand (source "manual"); audited."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        d = _normalise_modifier(data)
        if problems := check_modifier(d):
            raise ValidationError(problems, "modifier")
        with self._db.session() as s:
            if s.scalars(select(Modifier).where(Modifier.code == d.code)).first() is not None:
                raise ValidationError({"code": f"{d.code} already exists; edit it instead."},
                                      "modifier")
            m = Modifier(code=d.code, description=d.description,
                         effective_from=d.effective_from, effective_to=d.effective_to,
                         source=SOURCE_MANUAL)
            s.add(m)
            s.flush()
            append_event(s, user, "codes.modifier_add", entity="modifier", entity_id=m.id,
                         details={"code": m.code})
            return _modifier_row(m)

    def edit_modifier(self, data: ModifierData) -> ModifierRow:
        """Change a modifier's description or dates (optimistic locking on `version`)."""
        user = self._ctx.require(Permission.MANAGE_CODE_SETS)
        d = _normalise_modifier(data)
        if problems := check_modifier(d):
            raise ValidationError(problems, "modifier")
        try:
            with self._db.session() as s:
                m = s.get(Modifier, d.id) if d.id is not None else None
                if m is None:
                    raise UserError("That modifier no longer exists; reopen the list.")
                if m.code != d.code:
                    raise ValidationError({"code": "A modifier cannot be renamed; add the new "
                                                   "one."}, "modifier")
                if m.version != d.version:
                    raise _conflict("modifier")
                changed = _apply(m, {"description": d.description,
                                     "effective_from": d.effective_from,
                                     "effective_to": d.effective_to})
                if changed:
                    s.flush()
                    append_event(s, user, "codes.modifier_edit", entity="modifier",
                                 entity_id=m.id, details={"code": m.code, "fields": changed})
                return _modifier_row(m)
        except StaleDataError:
            raise _conflict("modifier") from None


def _normalise_modifier(d: ModifierData) -> ModifierData:
    return ModifierData(normalize_code(d.code), " ".join(d.description.split()),
                        d.effective_from, d.effective_to, d.id, d.version)


def _write_cpt(s: Session, parsed: list[CptRow]) -> tuple[int, int, int]:
    existing = {r.code: r for r in s.scalars(select(ProcedureCode)
                                              .where(ProcedureCode.system == CPT))}
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updated = unchanged = 0
    for r in parsed:
        values = {"short_description": r.short_description,
                  "long_description": r.long_description}
        row = existing.get(r.code)
        if row is None:
            inserts.append({**values, "system": CPT, "code": r.code, "source": SOURCE_IMPORT,
                            "is_drug": False, "updated_at": now, "version": 1})
        elif _apply(row, values):
            row.updated_at = now
            updated += 1
        else:
            unchanged += 1
    if inserts:
        s.execute(insert(ProcedureCode), inserts)
    return len(inserts), updated, unchanged


__all__ = ["CptImportResult", "CptMapping", "CptPreview", "HcpcsImportResult", "ModifierData",
           "ModifierRow", "ProcedureCodeService", "ProcedureData", "ProcedureDetail",
           "ProcedureHit", "bundled_modifiers", "check_modifier", "check_procedure",
           "import_summary_lines", "release_start", "version_from_filename"]
