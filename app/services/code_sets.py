"""Code sets: loading ICD-10-CM releases side by side, finding codes as a coder types, and
reading a code with its place in the tabular and its notes.

Releases: each load is one `CodeSetRelease` with the dates it is in force. Loading a later
release closes the open one the day before the new one starts, so a code is valid on a date of
service when the release in force that day has it as a billable code
(`code_lookup.diagnosis_in_force`). The FY2026 tabular ships with the app (inside the
simple-icd-10-cm package) and is loaded once, after migrations, by `ensure_bundled_icd10cm`
(a system event, no one signed in); it is not loaded by the migrations themselves because
every test clinic would then pay for ~98,000 rows.

Search (`search_diagnoses`): input that looks like a code ("E11", "e11.4", "E114") lists the
codes starting with it, in code order. Anything else is words in any order, each a prefix of
a word of the description or of the code's inclusion terms, ignoring case, accents and
punctuation. It runs on the FTS5 index `diagnosis_search` (migration 0005). Rows of a release
are numbered at load in a fixed order, shortest description first (a header before its more
specific codes), so the index hands back the first few hundred matches without sorting all
of them; those are re-ranked by how well the words match (every word in the description
itself, whole words, the description starting with a typed word), and the best `limit` are
returned. Only code-set text is searched: no patient data, so no audit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import ConflictError, UserError
from app.formats import icd10cm
from app.formats.icd10cm import Icd10Entry, search_words
from app.formats.names import next_prefix
from app.models import CodeSetRelease, DiagnosisCode, ImportLog
from app.models.codes import CPT, HCPCS, ICD10CM
from app.services.audit import append_event
from app.services.code_lookup import (
    diagnosis_in_force,
    diagnosis_latest,
    icd_display,
    latest_release,
    normalize_code,
    release_in_force,
)
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.permissions import Permission

SEARCH_TABLE = "diagnosis_search"
SYSTEM_LABELS = {ICD10CM: "ICD-10-CM", HCPCS: "HCPCS", CPT: "CPT"}
SYSTEM_USER = "system"
Progress = Callable[[int, int], None]  # (rows written, rows in all)

_STORED_CODE = re.compile(r"[A-Z0-9]{1,10}|[A-Z0-9]{3}-[A-Z0-9]{3}")
_CODE_LIKE = re.compile(r"[A-Z]([0-9][0-9A-Z]{0,5})?")
_MAX_WORDS = 8  # more typed words than this add nothing but index work
_WINDOW_MIN = 200  # matches taken in load order before re-ranking
_CHUNK = 10_000
_KIND_ORDER = {k: i for i, k in enumerate(icd10cm.KINDS)}
_HEADER_KINDS = (icd10cm.CHAPTER, icd10cm.BLOCK)


def is_search_table(name: str) -> bool:
    """The FTS5 table or one of its shadow tables (no SQLAlchemy model; migrations skip it)."""
    return name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_")


# --- what the service returns ----------------------------------------------------------------
@dataclass(frozen=True)
class DiagnosisHit:
    """One code as lists show it: `code` in display form ("E11.40"; chapters "4", blocks
    "E08-E13"), `kind` one of app.formats.icd10cm.KINDS."""

    code: str
    description: str
    billable: bool
    kind: str


@dataclass(frozen=True)
class DiagnosisDetail:
    """A code with its place in the tabular, its own notes (keys as DiagnosisCode.notes),
    the notes of its ancestors that apply to it (`inherited_notes`, chapter first), its sex
    and age condition, and `valid_on`: whether it may be billed on the date asked (None when
    no date was given)."""

    code: str
    description: str
    billable: bool
    kind: str
    chapter: str
    chapter_title: str
    block: str
    block_title: str
    notes: dict[str, list[str]]
    sex: str
    age_min: int | None
    age_max: int | None
    edit_rule: str
    release: str
    valid_on: bool | None = None
    inherited_notes: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)


@dataclass(frozen=True)
class ReleaseInfo:
    id: int
    system: str
    version: str
    effective_from: date
    effective_to: date | None
    source: str
    sha256: str
    codes: int
    loaded_by: str
    loaded_at: datetime


def _display(code: str, kind: str) -> str:
    return code if kind in _HEADER_KINDS else icd_display(code)


def _hit(row: DiagnosisCode) -> DiagnosisHit:
    return DiagnosisHit(_display(row.code, row.kind), row.description, row.billable, row.kind)


def _release_info(r: CodeSetRelease) -> ReleaseInfo:
    return ReleaseInfo(r.id, r.system, r.version, r.effective_from, r.effective_to, r.source,
                       r.sha256, r.codes, r.loaded_by, r.loaded_at)


def _notes(row: DiagnosisCode) -> dict[str, list[str]]:
    return dict(json.loads(row.notes)) if row.notes else {}


def _search_text(e: Icd10Entry) -> str:
    return " ".join(search_words(" ".join([e.description, *e.notes.get("inclusion_terms", [])])))


# --- loading -----------------------------------------------------------------------------------
def _check_entries(entries: Sequence[Icd10Entry]) -> None:
    """Every problem that would leave a broken release, before anything is written."""
    if not entries:
        raise UserError("The release has no codes; nothing was loaded.")
    codes: set[str] = set()
    for e in entries:
        where = f"Code {e.code or '(blank)'}"
        if not _STORED_CODE.fullmatch(e.code):
            raise UserError(f"{where}: a code is 1 to 10 upper-case letters and digits without "
                            "a dot (a block: A00-A09).")
        if e.code in codes:
            raise UserError(f"{where} appears twice in the release; nothing was loaded.")
        codes.add(e.code)
        if e.kind not in icd10cm.KINDS:
            raise UserError(f"{where}: unknown kind {e.kind!r}.")
        if not e.description.strip():
            raise UserError(f"{where} has no description.")
        if e.sex not in ("", "M", "F") or len(e.chapter) > 3 or len(e.block) > 10:
            raise UserError(f"{where}: sex, chapter or block is not valid.")
    for e in entries:
        if e.parent and e.parent not in codes:
            raise UserError(f"Code {e.code}: its parent {e.parent} is not in the release; "
                            "nothing was loaded.")
        if not e.parent and e.kind != icd10cm.CHAPTER:
            raise UserError(f"Code {e.code} has no parent; only chapters stand alone.")


def _load_order(entries: Iterable[Icd10Entry]) -> list[Icd10Entry]:
    """The order rows are numbered in, which is the order word search finds them in: short
    descriptions first (general before specific), then kind, then code."""
    return sorted(entries, key=lambda e: (len(e.description), _KIND_ORDER[e.kind], e.code))


def _close_earlier(s: Session, system: str, starts: date, version: str) -> list[str]:
    releases = list(s.scalars(select(CodeSetRelease).where(CodeSetRelease.system == system)))
    for r in releases:
        if r.version == version:
            raise ConflictError(f"{SYSTEM_LABELS[system]} {version} is already loaded; "
                                "nothing was loaded.")
        if r.effective_from >= starts:
            raise UserError(
                f"{SYSTEM_LABELS[system]} {r.version} is loaded and starts on "
                f"{r.effective_from:%m/%d/%Y}, not before {starts:%m/%d/%Y}. Load releases "
                "oldest first; nothing was loaded.")
    closed = [r for r in releases if r.effective_to is None or r.effective_to >= starts]
    for r in closed:
        r.effective_to = starts - timedelta(days=1)
    return [r.version for r in closed]


_ROW_COLUMNS = ("id", "release_id", "code", "kind", "description", "billable", "parent",
                "chapter", "block", "notes", "sex", "age_min", "age_max", "edit_rule")
# Driver-level executemany: SQLAlchemy's per-row parameter handling took longer (1.3 s for a
# release) than SQLite's own inserts and indexing.
_INSERT_ROW = (f"INSERT INTO diagnosis_code ({', '.join(_ROW_COLUMNS)}) "  # noqa: S608
               f"VALUES ({', '.join('?' * len(_ROW_COLUMNS))})")
_INSERT_WORDS = f"INSERT INTO {SEARCH_TABLE} (rowid, words, tags) VALUES (?, ?, ?)"  # noqa: S608


def _write_rows(s: Session, release_id: int, entries: list[Icd10Entry],
                progress: Progress | None) -> None:
    first_id = int(s.scalar(select(func.coalesce(func.max(DiagnosisCode.id), 0))) or 0) + 1
    total = len(entries)
    conn = s.connection()
    if progress:
        progress(0, total)
    for lo in range(0, total, _CHUNK):
        chunk = list(enumerate(entries[lo:lo + _CHUNK], first_id + lo))
        conn.exec_driver_sql(_INSERT_ROW, [
            (i, release_id, e.code, e.kind, e.description, int(e.billable), e.parent,
             e.chapter, e.block,
             json.dumps(e.notes, separators=(",", ":")) if e.notes else "",
             e.sex, e.age_min, e.age_max, e.edit_rule) for i, e in chunk])
        conn.exec_driver_sql(_INSERT_WORDS, [
            (i, _search_text(e), f"r{release_id}" + (" leaf" if e.billable else ""))
            for i, e in chunk])
        if progress:
            progress(lo + len(chunk), total)


def _load(db: Database, actor: CurrentUser | None, *, system: str, version: str,
          effective_from: date, entries: Sequence[Icd10Entry], source: str, sha256: str,
          progress: Progress | None) -> ReleaseInfo:
    version = " ".join(version.split())
    if not version or len(version) > 40:
        raise UserError("A release needs a version name of 1 to 40 characters.")
    _check_entries(entries)
    ordered = _load_order(entries)
    username = actor.username if actor else SYSTEM_USER
    with db.session() as s:
        if sha256:
            same = s.scalars(select(CodeSetRelease).where(
                CodeSetRelease.system == system, CodeSetRelease.sha256 == sha256)).first()
            if same is not None:
                raise ConflictError(f"This file is already loaded as {SYSTEM_LABELS[system]} "
                                    f"{same.version}; nothing was loaded.")
        closed = _close_earlier(s, system, effective_from, version)
        release = CodeSetRelease(system=system, version=version, effective_from=effective_from,
                                 effective_to=None, source=source[:200], sha256=sha256,
                                 codes=sum(1 for e in entries if e.billable),
                                 loaded_by=username)
        s.add(release)
        s.flush()
        _write_rows(s, release.id, ordered, progress)
        if sha256:
            s.add(ImportLog(kind=system, sha256=sha256, filename=source[:200],
                            rows=len(entries), username=username))
        append_event(s, actor, "code_set.load", entity="code_set_release",
                     entity_id=release.id,
                     details={"system": system, "version": version, "rows": len(entries),
                              "billable": release.codes, "closed": closed})
        s.flush()
        return _release_info(release)


def _has_release(db: Database, system: str) -> bool:
    with db.session() as s:
        return s.scalar(select(CodeSetRelease.id).where(CodeSetRelease.system == system)
                        .limit(1)) is not None


def has_icd10cm(db: Database) -> bool:
    """Whether any ICD-10-CM release is loaded (a cheap check before starting a load)."""
    return _has_release(db, ICD10CM)


def ensure_bundled_icd10cm(db: Database, progress: Progress | None = None, *,
                           actor: CurrentUser | None = None) -> bool:
    """Load the ICD-10-CM release that ships with the app when no ICD-10-CM release is loaded
    yet; returns whether it loaded. Meant for start-up and the CLI right after migrations,
    with nobody signed in: the audit event's actor is then the system. About 3 s."""
    if _has_release(db, ICD10CM):
        return False
    bundled = icd10cm.bundled_tabular()
    try:
        _load(db, actor, system=ICD10CM, version=bundled.version,
              effective_from=bundled.effective_from, entries=bundled.tabular.entries,
              source=bundled.source, sha256=bundled.tabular.sha256, progress=progress)
    except Exception:
        if _has_release(db, ICD10CM):
            return False  # another window or process loaded it at the same moment
        raise
    return True


# --- the service ---------------------------------------------------------------------------------
class CodeSetService:
    """ICD-10-CM releases, search and tabular reading for every signed-in user; loading a
    release needs MANAGE_CODE_SETS and is audited."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # releases --------------------------------------------------------------------------------
    def releases(self, system: str = ICD10CM) -> list[ReleaseInfo]:
        """The loaded releases of a code set, newest first."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            q = (select(CodeSetRelease).where(CodeSetRelease.system == system)
                 .order_by(CodeSetRelease.effective_from.desc()))
            return [_release_info(r) for r in s.scalars(q)]

    def load_release(self, version: str, effective_from: date, entries: Sequence[Icd10Entry],
                     source: str, *, sha256: str = "", system: str = ICD10CM,
                     progress: Progress | None = None) -> ReleaseInfo:
        """Load a release side by side with the ones already loaded; the open one is closed
        the day before `effective_from`. All or nothing: every entry is checked first
        (unique codes, parents present), then all rows, the search index, the audit event
        (code_set.load) and the closing of the earlier release are written in one
        transaction. A release that starts on or before a loaded one, a version loaded
        before, or a file (by `sha256`) loaded before is refused."""
        actor = self._ctx.require(Permission.MANAGE_CODE_SETS)
        if system != ICD10CM:
            raise UserError(f"Only ICD-10-CM releases load this way, not "
                            f"{SYSTEM_LABELS.get(system, system)}.")
        return _load(self._db, actor, system=system, version=version,
                     effective_from=effective_from, entries=entries, source=source,
                     sha256=sha256, progress=progress)

    def import_tabular(self, xml: bytes, filename: str, *, code_list: str | None = None,
                       version: str = "", effective_from: date | None = None,
                       progress: Progress | None = None) -> ReleaseInfo:
        """Load a CMS ICD-10-CM tabular XML the admin chose (with its code list when given,
        which says which 7th-character codes exist). Version and start default to the
        file's fiscal year: "FY2027" from 10/01/2026."""
        self._ctx.require(Permission.MANAGE_CODE_SETS)
        tab = icd10cm.parse_tabular(xml, code_list, name=filename)
        return self.load_release(
            version or icd10cm.release_version(tab.fiscal_year),
            effective_from or icd10cm.fiscal_year_start(tab.fiscal_year), tab.entries,
            filename, sha256=tab.sha256, progress=progress)

    def ensure_bundled_icd10cm(self, progress: Progress | None = None) -> bool:
        """Load the release that ships with the app if no ICD-10-CM release is loaded;
        returns whether it loaded. Needs no permission (it only ever installs the bundled
        reference data once); the signed-in user, if any, is recorded as the actor."""
        return ensure_bundled_icd10cm(self._db, progress, actor=self._ctx.user)

    # search ----------------------------------------------------------------------------------
    def search_diagnoses(self, query: str, *, billable_only: bool = False,
                         on: date | None = None, or_latest: bool = False,
                         limit: int = 50) -> list[DiagnosisHit]:
        """Codes matching what was typed, best first, from the latest release (or the one in
        force on `on`; with `or_latest`, the latest when none covers that day). A code or
        code prefix ("E11", "e11.4") lists codes in code order, the exact code first;
        otherwise every word must begin a word of the description or inclusion terms, in
        any order. Headers (chapters, blocks, categories with subcodes) are left out when
        `billable_only`."""
        self._ctx.require_signed_in()
        limit = max(1, min(limit, 500))
        with self._db.session() as s:
            in_force = release_in_force(s, ICD10CM, on) if on and or_latest else None
            release = in_force or self._release(s, None if or_latest else on)
            code = normalize_code(query).rstrip("-")
            if _CODE_LIKE.fullmatch(code):
                hits = _code_prefix(s, release.id, code, billable_only, limit)
                if hits:
                    return hits
            return _word_search(s, release.id, query, billable_only, limit)

    # reading ---------------------------------------------------------------------------------
    def diagnosis(self, code: str, on: date | None = None) -> DiagnosisDetail | None:
        """One code as the tabular has it, or None when no loaded release has it. With `on`,
        the release in force that day is read (falling back to the newest release that has
        the code, with `valid_on` False)."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            row = diagnosis_in_force(s, code, on) if on else None
            valid = None if on is None else bool(row is not None and row.billable)
            row = row or diagnosis_latest(s, code)
            if row is None:
                return None
            chain = _ancestors(s, row)
            by_kind = {a.kind: a for a in chain}
            chapter, block = by_kind.get(icd10cm.CHAPTER), by_kind.get(icd10cm.BLOCK)
            version = s.get(CodeSetRelease, row.release_id)
            return DiagnosisDetail(
                _display(row.code, row.kind), row.description, row.billable, row.kind,
                row.chapter, chapter.description if chapter else "",
                row.block, block.description if block else "", _notes(row), row.sex,
                row.age_min, row.age_max, row.edit_rule, version.version if version else "",
                valid,
                [(_display(a.code, a.kind), _notes(a)) for a in chain if a.notes])

    def hierarchy(self, code: str, on: date | None = None) -> list[DiagnosisHit]:
        """The code's ancestors from its chapter down to its parent (empty for a chapter or
        an unknown code)."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            row = self._row(s, code, on)
            return [_hit(a) for a in _ancestors(s, row)] if row else []

    def children(self, code: str, on: date | None = None) -> list[DiagnosisHit]:
        """The entries directly under a chapter, block or code, in tabular order."""
        self._ctx.require_signed_in()
        with self._db.session() as s:
            row = self._row(s, code, on)
            if row is None:
                return []
            q = select(DiagnosisCode).where(DiagnosisCode.release_id == row.release_id,
                                            DiagnosisCode.parent == row.code)
            return [_hit(r) for r in sorted(s.scalars(q), key=lambda r: r.code)]

    # helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _release(s: Session, on: date | None) -> CodeSetRelease:
        release = (release_in_force(s, ICD10CM, on) if on else latest_release(s, ICD10CM))
        if release is None:
            if on is None:
                raise UserError("No ICD-10-CM release is loaded. Restart ClinicClerk to load "
                                "the one it ships with, or load one under Code sets.")
            raise UserError(f"No loaded ICD-10-CM release covers {on:%m/%d/%Y}. Load the "
                            "release for that date of service under Code sets.")
        return release

    @staticmethod
    def _row(s: Session, code: str, on: date | None) -> DiagnosisCode | None:
        return (diagnosis_in_force(s, code, on) if on else None) or diagnosis_latest(s, code)


def _ancestors(s: Session, row: DiagnosisCode) -> list[DiagnosisCode]:
    chain: list[DiagnosisCode] = []
    parent = row.parent
    while parent and len(chain) < 12:  # the tabular is at most 8 deep; guards a bad file
        found = s.scalars(select(DiagnosisCode).where(
            DiagnosisCode.release_id == row.release_id, DiagnosisCode.code == parent)).first()
        if found is None:
            break
        chain.append(found)
        parent = found.parent
    return chain[::-1]


def _code_prefix(s: Session, release_id: int, code: str, billable_only: bool,
                 limit: int) -> list[DiagnosisHit]:
    q = (select(DiagnosisCode.code, DiagnosisCode.description, DiagnosisCode.billable,
                DiagnosisCode.kind)
         .where(DiagnosisCode.release_id == release_id, DiagnosisCode.code >= code,
                DiagnosisCode.code < next_prefix(code),
                DiagnosisCode.kind.not_in(_HEADER_KINDS))
         .order_by(DiagnosisCode.code).limit(limit))
    if billable_only:
        q = q.where(DiagnosisCode.billable.is_(True))
    return [DiagnosisHit(icd_display(c), d, b, k) for c, d, b, k in s.execute(q)]


# The window in load order, joined to its rows (driver-level: this runs on every keystroke).
_WORD_QUERY = (f"SELECT d.id, d.code, d.description, d.billable, d.kind FROM {SEARCH_TABLE} f "  # noqa: S608
               "JOIN diagnosis_code d ON d.id = f.rowid "
               f"WHERE {SEARCH_TABLE} MATCH ? ORDER BY f.rowid LIMIT ?")


def _word_search(s: Session, release_id: int, query: str, billable_only: bool,
                 limit: int) -> list[DiagnosisHit]:
    words = list(dict.fromkeys(search_words(query)))[:_MAX_WORDS]
    if not words:
        return []
    # Tokens are [a-z0-9]+ (search_words), so quoting them is all FTS5 syntax needs.
    match = " AND ".join([f'words:"{w}"*' for w in words] + [f"tags:r{release_id}"]
                         + (["tags:leaf"] if billable_only else []))
    rows = s.connection().exec_driver_sql(_WORD_QUERY, (match, max(_WINDOW_MIN, 4 * limit)))
    ranked = sorted(rows, key=lambda r: _match_rank(words, r[2], r[0]))
    return [DiagnosisHit(_display(code, kind), desc, bool(billable), kind)
            for _, code, desc, billable, kind in ranked[:limit]]


@lru_cache(maxsize=30_000)
def _folded(description: str) -> str:
    """" w1 w2 … ": a typed word begins a word where " " + word occurs in it, and is a whole
    word where " " + word + " " does (substring tests run in C). Cached: successive
    keystrokes re-rank mostly the same rows (30,000 descriptions are about 6 MB)."""
    return " " + " ".join(search_words(description)) + " "


def _match_rank(words: list[str], description: str, load_order: int) -> tuple[Any, ...]:
    """Smaller is better: every typed word in the description itself (not only in the
    inclusion terms), more typed words that are whole words there, the description
    starting with a typed word, then load order (shorter, more general first)."""
    folded = _folded(description)
    in_desc = all(" " + w in folded for w in words)
    whole = sum(f" {w} " in folded for w in words)
    starts = any(folded.startswith(" " + w) for w in words)
    return (not in_desc, -whole, not starts, load_order)
