"""Runs the registered measures, checks them against bench/thresholds.json and writes
bench/results.json. Exit status 0 when every measured value meets its target, 1 otherwise,
2 on bad usage."""

from __future__ import annotations

import argparse
import importlib
import json
import operator
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.machine import machine_info
from bench.registry import MEASURES, Context, Measure, Skip

# Importing a module registers its measures, in this order: the demo measure comes first so
# the UI measures reuse its 100k clinic instead of making another.
MEASURE_MODULES = ("bench.workload", "bench.patient_scale", "bench.coding_scale",
                   "bench.ui_timing", "bench.ui_memory", "bench.code_search",
                   "bench.claims_scale", "bench.payments_scale", "bench.statements_scale",
                   "bench.quality_scale")
for _module in MEASURE_MODULES:
    importlib.import_module(_module)

HERE = Path(__file__).resolve().parent
THRESHOLDS = HERE / "thresholds.json"
RESULTS = HERE / "results.json"
COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    names = [m.name for m in MEASURES]
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=names, metavar="NAME",
                   help=f"run only this measure (repeatable): {', '.join(names)}")
    p.add_argument("--repeats", type=int, default=7,
                   help="repeats for measures that take a median (default 7)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="folder for the scratch databases (default: the system temp folder)")
    p.add_argument("--out", type=Path, default=RESULTS, help="results file")
    p.add_argument("--list", action="store_true", help="list the measures and exit")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    return args


def run_one(m: Measure, ctx: Context, target: dict[str, object]) -> dict[str, object]:
    print(f"-- {m.name} ...", flush=True)
    entry: dict[str, object] = {"name": m.name, "description": m.description,
                                "measured_at": now()}
    try:
        result = m.run(ctx)
    except Skip as why:
        entry.update(status="skipped", reason=str(why))
        print(f"   skipped: {why}")
        return entry
    except Exception as exc:  # noqa: BLE001 - one broken measure must not hide the others
        traceback.print_exc()
        entry.update(status="error", reason=f"{type(exc).__name__}: {exc}"[:300])
        return entry
    compare = str(target["compare"])
    passed = COMPARE[compare](result.value, float(target["target"]))  # type: ignore[arg-type]
    entry.update(status="pass" if passed else "fail", value=round(result.value, 3),
                 unit=result.unit, target=target["target"], compare=compare, passed=passed,
                 details=result.details)
    print(f"   {result.value:.3f} {result.unit} (target {compare} {target['target']}): "
          f"{'pass' if passed else 'FAIL'}", flush=True)
    return entry


def merge(out: Path, fresh: list[dict[str, object]]) -> list[dict[str, object]]:
    """With --only, the other measures keep their last recorded entries (each is dated)."""
    try:
        old = json.loads(out.read_text(encoding="utf-8")).get("measures", [])
    except (OSError, ValueError):
        old = []
    by_name = {e["name"]: e for e in old} | {e["name"]: e for e in fresh}
    order = [m.name for m in MEASURES]
    return sorted(by_name.values(), key=lambda e: order.index(e["name"])
                  if e["name"] in order else len(order))


def write(out: Path, payload: dict[str, object]) -> None:
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for m in MEASURES:
            print(f"{m.name}: {m.description}")
        return 0
    targets = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
    chosen = [m for m in MEASURES if not args.only or m.name in args.only]
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(Path(tempfile.mkdtemp(prefix="clinic-clerk-bench-", dir=args.workdir)),
                  args.repeats)
    started = time.perf_counter()
    try:
        machine = machine_info(ctx.workdir)
        fresh = [run_one(m, ctx, targets[m.name]) for m in chosen]
    finally:
        ctx.cleanup()
    measures = merge(args.out, fresh) if args.only else fresh
    failed = [e["name"] for e in measures if e.get("status") in ("fail", "error")]
    write(args.out, {
        "generated_at": now(),
        "run_seconds": round(time.perf_counter() - started, 1),
        "machine": machine,
        "all_passed": not failed and all(e.get("status") == "pass" for e in measures),
        "measures": measures,
    })
    print(f"results written to {args.out}" + (f"; not met: {', '.join(failed)}" if failed
                                               else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
