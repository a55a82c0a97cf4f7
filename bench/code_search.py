"""ICD-10-CM search as a coder types, on the bundled FY2026 release (~98,500 rows): the
FTS5 path `CodeSetService.search_diagnoses` against, in the same run, a plain Python scan
over the same rows held in memory that gives the same answers. Also times loading the
release into a new encrypted clinic (`ensure_bundled_icd10cm`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.formats.icd10cm import search_words
from app.models.codes import ICD10CM
from app.services import Services
from app.services.clinic import NewClinic, create_clinic
from app.services.code_lookup import icd_display, latest_release, normalize_code
from app.services.code_sets import (
    _CODE_LIKE,
    _HEADER_KINDS,
    _MAX_WORDS,
    _WINDOW_MIN,
    CodeSetService,
    DiagnosisHit,
    _display,
    _match_rank,
    ensure_bundled_icd10cm,
)
from app.services.demo import DEMO_ADMIN, DEMO_PASSPHRASE, DEMO_PASSWORD
from app.services.directory import PracticeData
from bench.registry import Context, Result, measure

LIMIT = 50
# What coders type, each replayed keystroke by keystroke (every prefix is one query).
TYPED = ("diab neuro type 2", "essential hypert", "E11.6", "fracture femur left", "copd exac",
         "chest pain", "low back pain", "urinary tract infection", "major depress recurrent",
         "acute otitis media", "hyperlipidemia mixed", "asthma mild intermittent",
         "J44.1", "S72.001A", "z00.00", "pregnancy supervision", "vitamin d defic",
         "atrial fibrillation")


@dataclass(frozen=True)
class _Row:
    order: int
    code: str
    description: str
    billable: bool
    kind: str
    folded: str  # " w1 w2 … ": description and inclusion-term words, as indexed


def _clinic(ctx: Context) -> tuple[Services, float]:
    path = ctx.scratch("icd10cm") / "icd10cm.ccdb"
    db = create_clinic(path, NewClinic(
        passphrase=DEMO_PASSPHRASE, admin_username=DEMO_ADMIN, admin_full_name="Bench Admin",
        admin_password=DEMO_PASSWORD, practice=PracticeData(
            name="Bench Practice", npi="1234567893", ein="123456789", taxonomy="207Q00000X",
            address1="1 Main St", city="Springfield", state="IL", zip="627011234",
            phone="2175550100")))
    t0 = time.perf_counter()
    ensure_bundled_icd10cm(db)
    load_s = time.perf_counter() - t0
    db.checkpoint()  # the file size reported is then the database itself, not its WAL
    sv = Services(db, DEMO_PASSPHRASE)
    sv.users.sign_in(DEMO_ADMIN, DEMO_PASSWORD)
    return sv, load_s


def _memory_rows(sv: Services) -> list[_Row]:
    """The latest release's rows in load order, with the words the index holds."""
    import json

    with sv.db.session() as s:
        release = latest_release(s, ICD10CM)
        assert release is not None
        rows = s.connection().exec_driver_sql(
            "SELECT id, code, description, billable, kind, notes FROM diagnosis_code "
            "WHERE release_id = ? ORDER BY id", (release.id,)).all()
    out = []
    for rid, code, desc, billable, kind, notes in rows:
        terms = json.loads(notes).get("inclusion_terms", []) if notes else []
        words = search_words(" ".join([desc, *terms]))
        out.append(_Row(rid, code, desc, bool(billable), kind, " " + " ".join(words) + " "))
    return out


def _scan(rows: list[_Row], by_code: list[_Row], query: str,
          billable_only: bool) -> list[DiagnosisHit]:
    """The same search as CodeSetService.search_diagnoses, by looking at every row."""
    code = normalize_code(query).rstrip("-")
    if _CODE_LIKE.fullmatch(code):
        hits = [DiagnosisHit(icd_display(r.code), r.description, r.billable, r.kind)
                for r in by_code if r.code.startswith(code) and r.kind not in _HEADER_KINDS
                and (r.billable or not billable_only)][:LIMIT]
        if hits:
            return hits
    words = list(dict.fromkeys(search_words(query)))[:_MAX_WORDS]
    if not words:
        return []
    window = max(_WINDOW_MIN, 4 * LIMIT)
    found: list[_Row] = []
    for r in rows:
        # A typed word begins an indexed word where " " + word occurs (a C substring test).
        if (r.billable or not billable_only) and all(" " + w in r.folded for w in words):
            found.append(r)
            if len(found) == window:
                break
    found.sort(key=lambda r: _match_rank(words, r.description, r.order))
    return [DiagnosisHit(_display(r.code, r.kind), r.description, r.billable, r.kind)
            for r in found[:LIMIT]]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _summary(ms: list[float]) -> dict[str, object]:
    return {"queries": len(ms), "p50_ms": round(statistics.median(ms), 3),
            "p95_ms": round(_pct(ms, 0.95), 3), "max_ms": round(max(ms), 3)}


def _timed(fn: Callable[[], list[DiagnosisHit]]) -> tuple[float, list[DiagnosisHit]]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


@measure("icd10cm_search_p95",
         "p95 ms per keystroke of CodeSetService.search_diagnoses (limit 50; every prefix of "
         "18 typed queries such as 'diab neuro type 2', 'E11.6', 'fracture femur left', "
         "'copd exac'; billable-only off and on) over the bundled ICD-10-CM release; details "
         "give a plain Python scan of the same rows in memory (same answers) and the ratio, "
         "and the time to load the release into a new encrypted clinic.")
def icd10cm_search(ctx: Context) -> Result:
    sv, load_s = _clinic(ctx)
    try:
        cs = CodeSetService(sv.db, sv.ctx)
        rows = _memory_rows(sv)
        by_code = sorted(rows, key=lambda r: r.code)
        keystrokes = [(t[:i], b) for t in TYPED for i in range(1, len(t) + 1)
                      for b in (False, True)]
        for q in ("a", "diab", "E11"):  # warm the page cache as a first search would
            cs.search_diagnoses(q)
        fts: list[float] = []
        scan: list[float] = []
        differ = 0
        for _ in range(max(1, ctx.repeats // 3)):
            # Each path runs a whole pass on its own: a scan between two index queries would
            # evict the caches the index queries use, which no real keystroke pays.
            answers = []
            for q, billable in keystrokes:
                ms, hits = _timed(lambda: cs.search_diagnoses(  # noqa: B023
                    q, billable_only=billable, limit=LIMIT))  # noqa: B023
                fts.append(ms)
                answers.append(hits)
            for (q, billable), hits in zip(keystrokes, answers, strict=True):
                ms, plain = _timed(lambda: _scan(rows, by_code, q, billable))  # noqa: B023
                scan.append(ms)
                differ += hits != plain
        size = sum(p.stat().st_size for p in sv.db.path.parent.iterdir() if p.is_file())
    finally:
        sv.db.close()
    p95, scan_p95 = _pct(fts, 0.95), _pct(scan, 0.95)
    return Result(p95, "ms", {
        "rows_in_release": len(rows),
        "typed_queries": len(TYPED), "keystrokes_per_pass": len(keystrokes),
        "fts5": _summary(fts),
        "python_scan": {**_summary(scan),
                        "what": "the same rows in memory, words pre-folded into one string per row "
                                "(substring tests); same ranking, same answers"},
        "scan_over_fts_ratio_p95": round(scan_p95 / p95, 1),
        "scan_over_fts_ratio_median": round(statistics.median(scan) /
                                            statistics.median(fts), 1),
        "answers_differing": differ,
        "load_bundled_release_s": round(load_s, 2),
        "clinic_file_mib_with_release": round(size / 2**20, 1),
    })
