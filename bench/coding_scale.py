"""Coding measures on the 100,000-patient demo clinic (about 400,000 encounters), in process
through the services the Coding tab uses.

The demo's encounters are all uncoded; before timing, their statuses are set by SQL to look
like a clinic that codes as it goes (every encounter older than 30 days coded, one in a
hundred of those left for review), so the queue's three parts all have rows. Then the clerk's
queue actions are replayed: first pages per status filter, scrolling 50 pages deep, the count
under the list, a patient-name filter typed letter by letter, and opening, previewing and
saving encounters with two diagnoses and two lines. Only timings leave this module.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from app.formats.code_edits import CodingDraft, LineDraft
from bench.patient_scale import _services, _summary
from bench.registry import Context, Result, measure

SEED = 777
PAGE = 100


def _ms(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _set_statuses(sv: Any) -> dict[str, int]:
    cutoff = (date.today() - timedelta(days=30)).isoformat()
    with sv.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE encounter SET coding_status = 'coded' WHERE date < ?",
                             (cutoff,))
        conn.exec_driver_sql("UPDATE encounter SET coding_status = 'review' "
                             "WHERE date < ? AND id % 100 = 7", (cutoff,))
        rows = conn.exec_driver_sql(
            "SELECT coding_status, count(*) FROM encounter GROUP BY coding_status").all()
    return {str(k): int(v) for k, v in rows}


def _names(sv: Any, rng: random.Random) -> list[str]:
    with sv.db.engine.connect() as conn:
        top = conn.exec_driver_sql("SELECT max(id) FROM patient").scalar() or 0
        ids = rng.sample(range(1, top + 1), min(top, 12))
        marks = ", ".join("?" for _ in ids)
        return [str(r[0]) for r in conn.exec_driver_sql(
            f"SELECT last_name FROM patient WHERE id IN ({marks})", tuple(ids))]  # noqa: S608


@measure("coding_queue_p95",
         "p95 ms over the Coding tab's queue calls on the 100,000-patient clinic (~400k "
         "encounters, statuses set as a clinic coding as it goes): work_queue first pages for "
         "each status filter, 50 pages of scrolling, queue_count, a patient-name filter typed "
         "letter by letter (page + count per keystroke). details: open, preview and save of "
         "an encounter with 2 diagnoses and 2 lines.")
def coding_queue(ctx: Context) -> Result:
    rng = random.Random(SEED)
    with _services(ctx.clinic()) as sv:
        statuses = _set_statuses(sv)
        kinds: dict[str, list[float]] = {"first_page": [], "scroll": [], "count": [],
                                         "name_filter": []}
        for status in (None, "uncoded", "review", "coded"):
            kinds["first_page"].append(_ms(lambda st=status: sv.coding.work_queue(st)))
            kinds["count"].append(_ms(lambda st=status: sv.coding.queue_count(st)))
        for n in range(50):
            kinds["scroll"].append(_ms(lambda n=n: sv.coding.work_queue(None, "", n * PAGE,
                                                                        PAGE)))
        for name in _names(sv, rng):
            for i in range(1, len(name) + 1):
                typed = name[:i]
                kinds["name_filter"].append(_ms(lambda t=typed: (
                    sv.coding.work_queue(None, t), sv.coding.queue_count(None, t))))
        queue = [v for vs in kinds.values() for v in vs]
        details: dict[str, object] = {"encounters_by_status": statuses,
                                      **{k: _summary(v) for k, v in kinds.items()}}
        details.update(_coding_round_trips(sv))
    return Result(_summary(queue)["p95_ms"], "ms", details)  # type: ignore[arg-type]


def _coding_round_trips(sv: Any) -> dict[str, object]:
    rows = sv.coding.work_queue("uncoded", "", 0, 20)
    draft = CodingDraft(("I10", "E119"), (
        LineDraft("G0439", units=Decimal(1), pointers="AB"),
        LineDraft("G0444", units=Decimal(1), pointers="A")))
    opens, previews, saves = [], [], []
    for row in rows:
        t0 = time.perf_counter()
        enc = sv.coding.open(row.encounter_id)
        opens.append((time.perf_counter() - t0) * 1000)
        previews.append(_ms(lambda r=row: sv.coding.preview(r.encounter_id, draft)))
        saves.append(_ms(lambda r=row, e=enc: sv.coding.save(r.encounter_id, e.version, draft)))
    return {"open": _summary(opens), "preview": _summary(previews), "save": _summary(saves)}
