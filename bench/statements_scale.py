"""Patient statements at clinic scale.

- `statement_run_5000`: a scratch clinic of 6,000 accounts made by bulk SQL, untimed: 5,000
  owe a patient balance over the minimum (one to three visits each; seven in ten insured,
  most visits paid with coinsurance moved to the patient and some still at the payer, the
  rest self-pay; some partly paid at the desk), 500 owe less than the minimum and 500 are
  paid up. Timed: `StatementService.run` of a standard statement for every account that
  should get one: select the accounts, read their ledger, work out every statement, lay out
  the one batch PDF and record the run. details: the preview alone (the same reading and
  figures, no PDF) and the size of the PDF.
Only timings and counts leave this module.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from app.models import (
    ChargeLine,
    Coverage,
    Encounter,
    LedgerEntry,
    Patient,
    Payer,
    Practice,
    ProcedureCode,
    Provider,
)
from bench.registry import Context, Result, measure

OWING, SMALL, PAID_UP = 5000, 500, 500
LINES = (("99213", Decimal("140.00")), ("36415", Decimal("18.00")))
PASSWORD = "statement run 2026"


class _Rows:
    """Rows for the bulk insert, with the ids handed out here."""

    def __init__(self) -> None:
        self.rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in (
            Patient, Coverage, Encounter, ChargeLine, LedgerEntry)}
        self.ids = {m: 0 for m in self.rows}

    def add(self, model: Any, **values: Any) -> int:
        self.ids[model] += 1
        self.rows[model].append(dict(id=self.ids[model], **values))
        return self.ids[model]


def _entry(r: _Rows, pid: int, kind: str, amount: Decimal, line: dict[str, Any],
           coverage: tuple[int, int] | None, day: date) -> None:
    cov, payer = coverage if coverage else (None, None)
    r.add(LedgerEntry, patient_id=pid, kind=kind, amount=amount, entry_date=day,
          encounter_id=line["encounter_id"], charge_line_id=line["id"],
          service_date=line["dos"], coverage_id=cov, payer_id=payer, posted_by="bench")


def _visit(r: _Rows, rng: random.Random, pid: int, coverage: tuple[int, int] | None,
           today: date, paid_share: Decimal) -> None:
    """A visit's charges, and for an insured visit (most of the time) the payer's payment,
    contractual adjustment and coinsurance moved to the patient."""
    dos = today - timedelta(days=rng.randrange(10, 200))
    eid = r.add(Encounter, patient_id=pid, date=dos, provider_id=1, pos="11",
                coding_status="coded", coded_by="bench")
    codes = LINES if rng.random() < 0.5 else LINES[:1]
    finished = coverage is None or rng.random() < 0.85
    for n, (code, fee) in enumerate(codes, start=1):
        r.add(ChargeLine, encounter_id=eid, patient_id=pid, line_no=n, dos=dos,
                   system="cpt", code=code, units=Decimal(1), pointers="A", charge=fee,
                   created_by="bench")
        line = r.rows[ChargeLine][-1]
        _entry(r, pid, "charge", fee, line, coverage, dos)
        owed = fee
        if coverage is not None and finished:
            paid = (fee * Decimal("0.60")).quantize(Decimal("0.01"))
            coins = (fee * Decimal("0.15")).quantize(Decimal("0.01"))
            posted = dos + timedelta(days=8)
            _entry(r, pid, "insurance_payment", -paid, line, coverage, posted)
            _entry(r, pid, "adjustment", -(fee - paid - coins), line, coverage, posted)
            _entry(r, pid, "transfer", -coins, line, coverage, posted)
            _entry(r, pid, "transfer", coins, line, None, posted)
            owed = coins
        if finished and paid_share:
            part = (owed * paid_share).quantize(Decimal("0.01"))
            if part:
                _entry(r, pid, "patient_payment", -part, line, None, dos + timedelta(days=12))


def _accounts(rng: random.Random, today: date) -> _Rows:
    r = _Rows()
    for n in range(1, OWING + SMALL + PAID_UP + 1):
        pid = r.add(Patient, mrn=f"S{n:07d}", last_name=f"Last{n}", first_name="Pat",
                    dob=date(1970, 1, 1) + timedelta(days=n), sex="F",
                    address1=f"{n} Main St", city="Albany", state="NY", zip="122070001",
                    last_key=f"last{n}", first_key="pat")
        insured = rng.random() < 0.7
        coverage = None
        if insured:
            payer = 1 + n % 3
            coverage = (r.add(Coverage, patient_id=pid, payer_id=payer, member_id=f"W{n:09d}",
                              effective_from=date(2020, 1, 1)), payer)
        if n <= OWING:
            share = Decimal("0.50") if rng.random() < 0.3 else Decimal(0)
            visits = rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
            _visit(r, rng, pid, None, today, share)  # at least one visit the patient owes
            for _ in range(visits - 1):
                _visit(r, rng, pid, coverage, today, share)
        elif n <= OWING + SMALL:
            _small(r, rng, pid, today)
        else:
            _visit(r, rng, pid, coverage, today, Decimal(1))  # paid up
    return r


def _small(r: _Rows, rng: random.Random, pid: int, today: date) -> None:
    """A visit paid at the desk but for a few dollars."""
    dos = today - timedelta(days=rng.randrange(10, 200))
    eid = r.add(Encounter, patient_id=pid, date=dos, provider_id=1, pos="11",
                coding_status="coded", coded_by="bench")
    code, fee = LINES[1]
    r.add(ChargeLine, encounter_id=eid, patient_id=pid, line_no=1, dos=dos, system="cpt",
          code=code, units=Decimal(1), pointers="A", charge=fee, created_by="bench")
    line = r.rows[ChargeLine][-1]
    _entry(r, pid, "charge", fee, line, None, dos)
    _entry(r, pid, "patient_payment", -(fee - Decimal(rng.randrange(1, 5))), line, None, dos)


def _statement_clinic(ctx: Context) -> Any:
    """A scratch clinic with the accounts above, written in bulk."""
    from app.services.database import Database
    from app.services.demo import DEMO_PASSPHRASE
    from app.services.migrations import upgrade
    from app.services.users import add_user

    path = ctx.scratch("statements") / "statements.ccdb"
    db = Database.open(path, DEMO_PASSPHRASE, create=True)
    upgrade(db)
    today = date.today()
    rows = _accounts(random.Random(8), today)  # noqa: S311 - made-up data
    with db.session() as s:
        add_user(s, None, "bench", "Bench Admin", "admin", PASSWORD)
        s.add(Practice(name="Bench Family Medicine", npi="1234567893", ein="991234567",
                       taxonomy="207Q00000X", address1="1 Bench Way", city="Albany",
                       state="NY", zip="122070001", phone="5185550100"))
        s.add(Provider(last_name="Rivera", first_name="Sam", credential="MD",
                       npi="1245319599"))
        s.execute(insert(Payer), [dict(id=i, name=f"Payer {i}", payer_id=f"P{i:04d}",
                                       claim_filing_indicator="CI") for i in range(1, 4)])
        s.execute(insert(ProcedureCode), [
            dict(system="cpt", code="99213", short_description="Office visit, established"),
            dict(system="cpt", code="36415", short_description="Blood draw")])
        for model in (Patient, Coverage, Encounter, ChargeLine, LedgerEntry):
            s.execute(insert(model), rows.rows[model])
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return db, len(rows.rows[LedgerEntry])


@measure("statement_run_5000",
         "seconds for StatementService.run of standard statements on a clinic of 6,000 "
         "accounts (5,000 owe over the minimum; 500 under it; 500 paid up; one to three "
         "visits each, insured and self-pay): choose the accounts, read their ledger, work "
         "out every statement, lay out the one batch PDF and record the run. details: the "
         "preview alone and the PDF's size.")
def statement_run_5000(ctx: Context) -> Result:
    from app.services import Services
    from app.services.demo import DEMO_PASSPHRASE
    from app.services.statements import StatementService

    db, entries = _statement_clinic(ctx)
    try:
        sv = Services(db, DEMO_PASSPHRASE)
        sv.users.sign_in("bench", PASSWORD)
        service = StatementService(db, sv.ctx)
        t0 = time.perf_counter()
        preview = service.preview(date.today())
        preview_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = service.run(date.today())
        total_s = time.perf_counter() - t0
        pdf = service.run_pdf(result.run_id)
        return Result(round(total_s, 2), "s", {
            "statements": result.accounts, "skipped": len(result.skipped),
            "ledger_entries": entries, "preview_s": round(preview_s, 2),
            "pdf_mib": round(len(pdf) / 1024 / 1024, 1),
            "final_notices": sum(x.final_notice for x in result.statements),
            "preview_accounts": len(preview.accounts)})
    finally:
        db.close()
