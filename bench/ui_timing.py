"""UI measures on the 100,000-patient demo clinic, each run in a fresh interpreter (see
bench/ui_probe.py): (c) cold start to the sign-in window, (d) sign-in to the main window.

One probe run gives both figures. The first run of the day also makes the daily backup
(DESIGN start-up order), so it is run once first and reported on its own; the measured value
is the median of the runs after it (process cold, OS file cache warm)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from app.services.demo import DEMO_ADMIN, DEMO_PASSPHRASE, DEMO_PASSWORD
from bench.registry import Context, Result, Skip, measure

ROOT = Path(__file__).resolve().parents[1]
PROBE_TIMEOUT_S = 120
UI_FILES = ("app/ui/app.py", "app/ui/main_window.py", "app/ui/dialogs/sign_in_dialog.py")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLINIC_CLERK_", "XDG_", "BENCH_"))}
    for sub in ("data", "config", "cache", "state"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_STATE_HOME=str(home / "state"), QT_QPA_PLATFORM="offscreen",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
               CLINIC_CLERK_PASSPHRASE=DEMO_PASSPHRASE,
               BENCH_USER=DEMO_ADMIN, BENCH_PASSWORD=DEMO_PASSWORD)
    return env


def probe(ctx: Context, mode: str) -> dict[str, float]:
    """One fresh-process start; seconds from spawning to each event."""
    env = _env(ctx.workdir / "home")
    args = [sys.executable, "-m", "bench.ui_probe", mode, str(ctx.clinic())]
    t0 = time.time()
    proc = subprocess.run(args,
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=PROBE_TIMEOUT_S)
    events = {}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            data = json.loads(line[6:])
            events[data.pop("event")] = data
    if proc.returncode != 0 or "exited" not in events:
        raise RuntimeError(f"probe {mode} exited {proc.returncode}: {proc.stderr[-800:]}")
    main = events.get("main_painted")
    if mode == "main" and not (main and main["tabs"] > 0 and main["showing_tabs"]):
        raise RuntimeError(f"the main window did not show its tabs: {main}")
    return {name: data["t"] - t0 for name, data in events.items()}


def _runs(ctx: Context) -> dict[str, object]:
    """The probe runs shared by both measures (made once per bench run)."""
    if "ui_runs" not in ctx.cache:
        missing = [f for f in UI_FILES if not (ROOT / f).exists()]
        if missing:
            raise Skip(f"the window is not written yet ({', '.join(missing)} missing)")
        first = probe(ctx, "main")
        ctx.cache["ui_runs"] = {"first_of_day": first,
                                "runs": [probe(ctx, "main") for _ in range(ctx.repeats)]}
    return ctx.cache["ui_runs"]  # type: ignore[return-value]


def _median(runs: list[dict[str, float]], end: str, start: str | None = None) -> float:
    return statistics.median(r[end] - (r[start] if start else 0.0) for r in runs)


def _open_clinic_s(run: dict[str, float]) -> float | None:
    """Part of the start spent in open_clinic, when the probe could hook it."""
    if "open_clinic_called" not in run or "open_clinic_returned" not in run:
        return None
    return round(run["open_clinic_returned"] - run["open_clinic_called"], 3)


@measure("cold_start_to_sign_in",
         "Seconds from spawning a new Python process that runs the window path "
         "(`clinic-clerk --db` on the 100,000-patient demo clinic, passphrase from the "
         "environment, offscreen) to the first paint of the sign-in dialog; median of the "
         "runs after a first start of the day (which also makes the daily backup).")
def cold_start_to_sign_in(ctx: Context) -> Result:
    data = _runs(ctx)
    runs: list[dict[str, float]] = data["runs"]  # type: ignore[assignment]
    first: dict[str, float] = data["first_of_day"]  # type: ignore[assignment]
    return Result(_median(runs, "signin_painted"), "s", {
        "runs": len(runs),
        "each_run_s": [round(r["signin_painted"], 3) for r in runs],
        "interpreter_to_probe_start_s": round(_median(runs, "probe_started"), 3),
        "open_clinic_each_run_s": [_open_clinic_s(r) for r in runs],
        "first_start_of_day_s": round(first["signin_painted"], 3),
        "first_start_of_day_open_clinic_s": _open_clinic_s(first),
    })


@measure("sign_in_to_main_window",
         "Seconds from pressing Sign in (a correct password: argon2id check, audit event) to "
         "the first paint of the MainWindow showing its tabs, same process and clinic as "
         "cold_start_to_sign_in; median.")
def sign_in_to_main_window(ctx: Context) -> Result:
    data = _runs(ctx)
    runs: list[dict[str, float]] = data["runs"]  # type: ignore[assignment]
    return Result(_median(runs, "main_painted", "signin_clicked"), "s", {
        "runs": len(runs),
        "each_run_s": [round(r["main_painted"] - r["signin_clicked"], 3) for r in runs],
        "sign_in_call_s": round(_median(runs, "signin_returned", "signin_clicked"), 3),
    })
