"""The demo clinic's coverages and verifications: most patients insured (Medicare from 65,
some with a secondary plan, a few children on a parent's plan, a few who changed plans),
some self-pay; most coverages verified by phone or portal in the last two months, a few
reported inactive, the rest never verified — so the Benefits tab's warnings all show.

Rows are written in bulk with explicit ids (a demo of 100,000 patients stays quick);
deterministic for (`seed`, the patients, the payers, `today`)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from app.models import Benefit, Coverage, CoverageRank, EligibilityCheck
from app.services.database import Database

DEMO_USERS = ("frontdesk", "biller")
FIRST_NAMES = ("Jordan", "Casey", "Morgan", "Riley", "Avery", "Quinn", "Taylor", "Drew")


@dataclass
class _Rows:
    coverage: list[dict[str, Any]] = field(default_factory=list)
    rank: list[dict[str, Any]] = field(default_factory=list)
    check: list[dict[str, Any]] = field(default_factory=list)
    benefit: list[dict[str, Any]] = field(default_factory=list)


def _age(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


class _Maker:
    def __init__(self, rng: random.Random, today: date, payers: dict[str, int]) -> None:
        self.rng, self.today, self.payers = rng, today, payers
        self.rows = _Rows()
        self.next_coverage = self.next_check = 1

    def member_id(self, code: str) -> str:
        if code == "DEMO-MCR":  # 11 letters and digits, like a Medicare beneficiary ID
            return f"{self.rng.getrandbits(44):011X}"
        return f"{code[-3:]}{self.rng.randrange(10**9):09d}"

    def patient(self, pid: int, last: str, dob: date, sex: str) -> None:
        rng, age = self.rng, _age(dob, self.today)
        if rng.random() < 0.08:
            return  # self-pay
        plans = ["DEMO-MCR"] if age >= 65 else [rng.choice(
            ["DEMO-BLU", "DEMO-ACM", "DEMO-SUN", "DEMO-BLU", "DEMO-MCD"])]
        if rng.random() < 0.2:
            plans.append(rng.choice(["DEMO-MCD", "DEMO-BLU"] if age >= 65 else ["DEMO-ACM"]))
        if plans[0] == "DEMO-MCD":  # Medicaid pays last
            plans.reverse()
        start = date(self.today.year - rng.randint(0, 6), 1, 1)
        if rng.random() < 0.06:  # changed plans last year: the old one ended
            self.coverage(pid, "DEMO-SUN", start.replace(year=start.year - 2), 1, last, age,
                          ended=date(self.today.year - 1, 12, 31))
            start = date(self.today.year, 1, 1)
        for rank, code in enumerate(dict.fromkeys(plans), start=1):
            self.coverage(pid, code, start, rank, last, age)

    def coverage(self, pid: int, code: str, start: date, rank: int, last: str, age: int,
                 ended: date | None = None) -> None:
        rng, cid = self.rng, self.next_coverage
        self.next_coverage += 1
        child = age < 19 and code != "DEMO-MCD" and rng.random() < 0.8
        row: dict[str, Any] = dict(
            id=cid, patient_id=pid, payer_id=self.payers[code], member_id=self.member_id(code),
            group_number="" if code in ("DEMO-MCR", "DEMO-MCD") else f"G{rng.randint(100, 999)}",
            plan_name="", relationship="19" if child else "18", effective_from=start,
            effective_to=ended, copay=Decimal(rng.choice(["20.00", "25.00", "30.00", "40.00"]))
            if code not in ("DEMO-MCR", "DEMO-MCD") else None,
            assignment_on_file=True, assignment_signed_on=start,
            release_on_file=True, release_signed_on=start)
        if child:
            row.update(subscriber_last_name=last, subscriber_first_name=rng.choice(FIRST_NAMES),
                       subscriber_dob=date(self.today.year - rng.randint(30, 50), 6, 1),
                       subscriber_sex=rng.choice("MF"))
        self.rows.coverage.append(row)
        self.rows.rank.append(dict(coverage_id=cid, patient_id=pid, rank=rank,
                                   valid_from=start, set_by="demo"))
        if ended is None and rng.random() < 0.7:
            self.check(cid, pid, code)

    def check(self, cid: int, pid: int, code: str) -> None:
        rng, ck = self.rng, self.next_check
        self.next_check += 1
        active = rng.random() > 0.04
        total = Decimal(rng.choice(["250.00", "500.00", "1000.00", "1500.00", "3000.00"]))
        met = (total * Decimal(rng.randint(0, 100)) / 100).quantize(Decimal("0.01"))
        phone = rng.random() < 0.6
        self.rows.check.append(dict(
            id=ck, coverage_id=cid, patient_id=pid, method="phone" if phone else "portal",
            checked_on=self.today - timedelta(days=rng.randint(0, 60)), active=active,
            representative=rng.choice(FIRST_NAMES) if phone else "",
            reference=f"R{rng.randint(100000, 999999)}" if phone else "",
            plan_begin=date(self.today.year, 1, 1), plan_end=date(self.today.year, 12, 31),
            deductible_total=total if active else None, deductible_met=met if active else None,
            oop_total=total * 4 if active else None, oop_met=met if active else None,
            prior_auth_required=False if active else None, rejected=False, rejections="",
            checked_by=rng.choice(DEMO_USERS), notes=""))
        if active:
            copay = "B", "98", Decimal(rng.choice(["20.00", "25.00", "35.00"])), None
            coins = "A", "30", None, Decimal(rng.choice([10, 20, 30]))
            for n, (eb, st, amount, pct) in enumerate((copay, coins), start=1):
                self.rows.benefit.append(dict(check_id=ck, position=n, code=eb, service_type=st,
                                              amount=amount, percent=pct, in_network="Y",
                                              messages="[]"))


def _complete(table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with every column, defaults filled in once: rows of one shape go to the
    database as one executemany instead of one INSERT each."""
    defaults: dict[str, Any] = {}
    for col in table.columns:
        if col.default is None:
            defaults[col.name] = None
        else:
            arg = col.default.arg
            defaults[col.name] = arg(None) if callable(arg) else arg
    return [{**defaults, **r} for r in rows]


def _chunks(rows: list[dict[str, Any]], size: int = 20_000) -> Iterator[list[dict[str, Any]]]:
    for lo in range(0, len(rows), size):
        yield rows[lo:lo + size]


def add_benefits(db: Database, *, seed: int, today: date) -> dict[str, int]:
    """Give the demo's patients coverages and verifications; returns rows added per table."""
    rng = random.Random(f"clinic-clerk demo benefits {seed}")  # noqa: S311 - made-up data
    with db.engine.begin() as conn:
        patients = conn.exec_driver_sql(
            "SELECT id, last_name, dob, sex FROM patient ORDER BY id").all()
        payers: dict[str, int] = {str(k): int(v) for k, v in conn.exec_driver_sql(
            "SELECT payer_id, id FROM payer").all()}
    maker = _Maker(rng, today, payers)
    for pid, last, dob, sex in patients:
        maker.patient(pid, last, dob if isinstance(dob, date) else date.fromisoformat(dob), sex)
    rows = maker.rows
    with db.session() as s:
        for model, batch in ((Coverage, rows.coverage), (CoverageRank, rows.rank),
                             (EligibilityCheck, rows.check), (Benefit, rows.benefit)):
            table: Any = model.__table__
            for chunk in _chunks(_complete(table, batch)):
                s.execute(table.insert(), chunk)
    return {"coverage": len(rows.coverage), "eligibility_check": len(rows.check),
            "benefit": len(rows.benefit)}
