"""Quality measures on the 100,000-patient demo clinic, in process through the service the
Quality tab and `clinic-clerk quality evaluate` use.

- `quality_100k`: `QualityService.evaluate` of every shipped measure (CMS122, CMS165, CMS69,
  CMS138 as modelled in resources/measures) over the last full calendar year before the
  demo's today, with the split by provider, as the tab runs it (the run not saved, so the
  repeats leave the clinic as it was). One untimed call first copies the shipped definitions
  in (their first use). Value = median wall seconds of max(3, `--repeats`) evaluations.
  details: each measure's counts and rate, one saved run, the list to act on and the data
  gaps of each measure, and a 12-month trend of the HbA1c measure.
Only timings and counts leave this module.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bench.patient_scale import _services
from bench.registry import Context, Result, measure


def _s(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


@measure("quality_100k",
         "Median wall seconds of QualityService.evaluate of the four shipped measures "
         "(CMS122, CMS165, CMS69, CMS138 as modelled) over the last full calendar year on the "
         "100,000-patient demo clinic, split by provider, not saved. details: counts and rate "
         "per measure, a saved run, each measure's list to act on and data gaps, a 12-month "
         "trend.")
def quality_100k(ctx: Context) -> Result:
    year = date.today().year - 1
    start, end = date(year, 1, 1), date(year, 12, 31)
    with _services(ctx.clinic()) as sv:
        sv.quality.definitions()  # first use: the shipped definitions are copied in
        runs = []
        for _ in range(max(3, ctx.repeats)):
            seconds, result = _s(lambda: sv.quality.evaluate(start, end, save=False))
            runs.append(seconds)
        saved_s, _saved = _s(lambda: sv.quality.evaluate(start, end))
        measures: dict[str, object] = {}
        for m in result.measures:
            c = m.counts
            action_s, action = _s(lambda m=m: sv.quality.patients(m.measure_id, start, end))
            gaps_s, gaps = _s(lambda m=m: sv.quality.data_gaps(m.measure_id, start, end))
            measures[m.measure_id] = {
                "initial_population": c.initial_population, "denominator": c.denominator,
                "exclusions": c.exclusions, "numerator": c.numerator,
                "rate": None if c.rate is None else float(c.rate), "data_gaps": c.data_gaps,
                "providers": len(m.providers), "action_list_rows": len(action.rows),
                "action_list_s": round(action_s, 3), "data_gaps_rows": len(gaps.rows),
                "data_gaps_s": round(gaps_s, 3)}
        trend_s, _trend = _s(lambda: sv.quality.trend(
            "cms122-diabetes-hba1c-poor-control", start, end))
    return Result(round(statistics.median(runs), 3), "s", {
        "period": f"{start.isoformat()}..{end.isoformat()}",
        "each_run_s": [round(r, 3) for r in runs],
        "evaluate_and_save_s": round(saved_s, 3),
        "trend_12_months_s": round(trend_s, 3),
        "measures": measures})
