"""Memory of the whole app with the 100,000-patient clinic open: a fresh interpreter runs the
window path (bench/ui_scroll_probe.py), signs in, shows the Patients tab and scrolls its
lazily loaded table through every patient row; the value is the process's peak RSS."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench.registry import Context, Result, Skip, measure
from bench.ui_timing import ROOT, UI_FILES, _env

TABLE_FILES = ("app/ui/tabs/history_tab.py", "app/ui/table_models/patient_table_model.py")
SCROLL_LIMIT_S = 300
PROBE_TIMEOUT_S = SCROLL_LIMIT_S + 180


@measure("patient_table_scroll_peak_rss",
         "Peak RSS (MiB, getrusage ru_maxrss) of a fresh app process (`clinic-clerk --db` on "
         "the 100,000-patient clinic, offscreen) signed in, showing the Patients tab and "
         "scrolled to the bottom of its lazily loaded table until every row was fetched; "
         "details give the time to scroll through and RSS before and after.")
def patient_table_scroll(ctx: Context) -> Result:
    missing = [f for f in UI_FILES + TABLE_FILES if not (ROOT / f).exists()]
    if missing:
        raise Skip(f"the Patients tab is not written yet ({', '.join(missing)} missing)")
    env = _env(ctx.workdir / "home-memory")
    env["BENCH_SCROLL_LIMIT_S"] = str(SCROLL_LIMIT_S)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bench.ui_scroll_probe", str(ctx.clinic())],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=PROBE_TIMEOUT_S)
    wall = time.perf_counter() - t0
    events = {}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            data = json.loads(line[6:])
            events[data.pop("event")] = data
    done = events.get("scroll_done")
    if proc.returncode != 0 or done is None or "exited" not in events:
        raise RuntimeError(f"scroll probe exited {proc.returncode}: {proc.stderr[-800:]}")
    start, main = events["scroll_start"], events["main_painted"]
    peak = float(events["exited"]["peak_mib"])
    return Result(peak, "MiB", {
        "rows_loaded": done["rows"], "rows_total": done["total"],
        "complete": done["complete"],
        "scroll_through_s": round(done["seconds"], 2),
        "scroll_limit_s": SCROLL_LIMIT_S,
        "scroll_steps": done["scrolls"], "direct_fetch_more_calls": done["direct_fetches"],
        "rss_main_window_mib": round(main["rss_mib"], 1),
        "rss_before_scroll_mib": round(start["rss_mib"], 1),
        "rss_after_scroll_mib": round(done["rss_mib"], 1),
        "peak_before_scroll_mib": round(start["peak_mib"], 1),
        "process_wall_s": round(wall, 2),
    })
