"""Payments at clinic scale.

- `era_post_5000`: on the 100,000-patient demo clinic, 5,000 submitted claims (two lines each,
  with their charges in the ledger) are made by bulk SQL, untimed, and an 835 paying all of
  them (payment, CO-45 and PR-2 per line; every tenth claim denied) is written with our 835
  writer. Timed: `RemittanceService.import_835` — read, match, post in one transaction.
  details: our reader alone, pyx12's segment reader (`X12Reader`) and its loop-aware reader
  (`X12ContextReader`) on the same file, and the ratios.
- `aging_1m_lines`: a clinic of 100,000 patients and 1,000,000 service lines' ledger entries
  (a charge per line; three in four lines older than 30 days paid, adjusted and with
  coinsurance moved to the patient; some 3 million entries) made by bulk SQL, untimed.
  The ledger's day totals (`ledger_day_total`) are kept by their trigger during the load,
  as in a real clinic. Timed: `AgingService.report` by date of service without the
  per-patient list (what the aging page shows first), median of the repeats; the report
  with every patient who owes something (which reads the entries) is in the details.
Only timings and counts leave this module.
"""

from __future__ import annotations

import io
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from app.models import (
    ChargeLine,
    Claim,
    ClaimStatusEvent,
    Coverage,
    CoverageRank,
    Encounter,
    LedgerEntry,
    Patient,
    Payer,
    Provider,
    ServiceLine,
)
from bench.patient_scale import _services
from bench.registry import Context, Result, measure

CLAIMS = 5000
LINES = (("G0439", Decimal("140.00"), Decimal("100.00")), ("G2211", Decimal("18.00"),
                                                              Decimal("12.00")))
PAID_SHARE = Decimal("0.80")


def _next_ids(s: Any, *models: Any) -> dict[Any, int]:
    return {m: (s.scalar(select(func.max(m.id))) or 0) + 1 for m in models}


def _submitted_claims(sv: Any) -> list[tuple[int, list[tuple[int, str, Decimal, Decimal]]]]:
    """5,000 submitted claims with charged lines: [(claim id, [(line id, code, charge,
    allowed)])]."""
    dos = date.today() - timedelta(days=20)
    with sv.db.session() as s:
        provider = s.scalars(select(Provider.id).order_by(Provider.id)).first()
        q = (select(Patient.id, Coverage.id, Coverage.payer_id)
             .join(CoverageRank, CoverageRank.patient_id == Patient.id)
             .join(Coverage, Coverage.id == CoverageRank.coverage_id)
             .where(CoverageRank.rank == 1, CoverageRank.valid_to.is_(None),
                    Coverage.effective_to.is_(None))
             .order_by(Patient.id.desc()).limit(CLAIMS))
        people = s.execute(q).all()
        ids = _next_ids(s, Encounter, Claim, ChargeLine, ServiceLine, LedgerEntry)
        rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in (Encounter, Claim, ChargeLine,
                                                                 ServiceLine, LedgerEntry,
                                                                 ClaimStatusEvent)}
        out = []
        for pid, cid, payer in people:
            eid, claim_id = ids[Encounter], ids[Claim]
            ids[Encounter] += 1
            ids[Claim] += 1
            rows[Encounter].append(dict(id=eid, patient_id=pid, date=dos, provider_id=provider,
                                        pos="11", coding_status="coded", coded_by="bench"))
            rows[Claim].append(dict(id=claim_id, patient_id=pid, encounter_id=eid,
                                    coverage_id=cid, payer_id=payer, status="submitted",
                                    method="electronic", diagnoses="I10",
                                    rendering_provider_id=provider, created_by="bench",
                                    submitted_on=dos, version=1))
            rows[ClaimStatusEvent].append(dict(claim_id=claim_id, status="submitted",
                                               by="bench"))
            lines = []
            for n, (code, fee, allowed) in enumerate(LINES, start=1):
                cl, sl = ids[ChargeLine], ids[ServiceLine]
                ids[ChargeLine] += 1
                ids[ServiceLine] += 1
                rows[ChargeLine].append(dict(id=cl, encounter_id=eid, patient_id=pid,
                                             line_no=n, dos=dos, system="hcpcs", code=code,
                                             units=Decimal(1), pointers="A", charge=fee,
                                             created_by="bench"))
                rows[ServiceLine].append(dict(id=sl, claim_id=claim_id, charge_line_id=cl,
                                              line_no=n, dos=dos, pos="11", code=code,
                                              pointers="A", units=Decimal(1), charge=fee,
                                              control_number=f"L{sl}"))
                rows[LedgerEntry].append(dict(
                    id=ids[LedgerEntry], patient_id=pid, kind="charge", amount=fee,
                    entry_date=dos, encounter_id=eid, charge_line_id=cl, service_date=dos,
                    coverage_id=cid, payer_id=payer, posted_by="bench"))
                ids[LedgerEntry] += 1
                lines.append((sl, code, fee, allowed))
            out.append((claim_id, lines))
        for model in (Encounter, Claim, ClaimStatusEvent, ChargeLine, ServiceLine, LedgerEntry):
            s.execute(insert(model), rows[model])
        return out


def _era(claims: list[tuple[int, list[tuple[int, str, Decimal, Decimal]]]]) -> bytes:
    from app.formats.x12 import x835
    from app.formats.x12.segments import Envelope
    from app.formats.x12.x835_write import build_835

    dos = date.today() - timedelta(days=20)
    pays = []
    for i, (claim_id, lines) in enumerate(claims):
        denied = i % 10 == 9
        services = []
        for sl, code, fee, allowed in lines:
            paid = Decimal(0) if denied else (allowed * PAID_SHARE).quantize(Decimal("0.01"))
            adj = ((x835.Adjustment("CO", "50", fee),) if denied else
                   (x835.Adjustment("CO", "45", fee - allowed),
                    x835.Adjustment("PR", "2", allowed - paid)))
            services.append(x835.ServicePayment(
                qualifier="HC", code=code, charge=fee, paid=paid, dos_from=dos,
                control_number=f"L{sl}", allowed=None if denied else allowed,
                adjustments=adj))
        charge = sum((ln[2] for ln in lines), Decimal(0))
        paid = sum((sv_.paid for sv_ in services), Decimal(0))
        pr = sum((a.amount for sv_ in services for a in sv_.adjustments if a.group == "PR"),
                 Decimal(0))
        pays.append(x835.ClaimPayment(claim_id=str(claim_id), status="4" if denied else "1",
                                      charge=charge, paid=paid, patient_responsibility=pr,
                                      filing_indicator="CI", payer_claim_number=f"P{claim_id}",
                                      services=tuple(services)))
    r = x835.Remittance(handling="I", total_paid=sum((p.paid for p in pays), Decimal(0)),
                        credit_debit="C", method="ACH", paid_on=date.today(),
                        trace_number="BENCH5000", trace_payer_id="1999999999",
                        payer_name="BENCH PAYER", payer_id="BENCH", payee_name="DEMO CLINIC",
                        payee_tax_id="991234567", payer_street="PO BOX 5000",
                        payer_city="ALBANY", payer_state="NY", payer_zip="12220",
                        payer_phone="8005550100", claims=tuple(pays))
    env = Envelope("ZZ", "BENCHPAYER", "ZZ", "DEMOCLINIC", 5000, 5000, 1)
    return build_835([r], env).encode()


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _pyx12_reads(data: bytes) -> tuple[float, float]:
    """Seconds for pyx12's plain segment reader and its loop-aware context reader."""
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context
    import pyx12.x12file

    def segments() -> int:
        return sum(1 for _ in pyx12.x12file.X12Reader(io.StringIO(data.decode())))

    def context() -> int:
        params = pyx12.params.params()
        errh = pyx12.error_handler.errh_null()
        reader = pyx12.x12context.X12ContextReader(params, errh, io.StringIO(data.decode()))
        return sum(1 for _ in reader.iter_segments("2100"))

    plain_s, _ = _timed(segments)
    context_s, _ = _timed(context)
    return plain_s, context_s


@measure("era_post_5000",
         "seconds for RemittanceService.import_835 of one 835 paying 5,000 claims (10,000 "
         "lines; paid, CO-45 and PR-2 per line, one claim in ten denied) on the "
         "100,000-patient clinic: read, match, post in one transaction. details: our reader "
         "alone and pyx12's readers on the same file, with ratios.")
def era_post_5000(ctx: Context) -> Result:
    from app.formats.x12.x835 import read_835

    with _services(ctx.clinic()) as sv:
        claims = _submitted_claims(sv)
        data = _era(claims)
        ours_s, remits = _timed(lambda: read_835(data, "bench.835"))
        plain_s, context_s = _pyx12_reads(data)
        total_s, summary = _timed(lambda: sv.remittances.import_835(data, "bench.835"))
    posted = summary.checks[0].posted
    return Result(round(total_s, 2), "s", {
        "claims": len(remits[0].claims), "matched": summary.checks[0].matched,
        "denials": posted.denials if posted else 0,
        "secondary_claims_built": len(posted.secondary_claims) if posted else 0,
        "file_kib": round(len(data) / 1024, 1),
        "our_read_s": round(ours_s, 3), "pyx12_segment_read_s": round(plain_s, 3),
        "pyx12_context_read_s": round(context_s, 3),
        "pyx12_context_to_ours_ratio": round(context_s / ours_s, 1) if ours_s else None})


_LEDGER_INSERT = ("INSERT INTO ledger_entry (id, patient_id, kind, amount, entry_date, "
                  "service_date, payer_id, memo, posted_at, posted_by, group_code, "
                  "reason_code) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, 'bench', '', '')")


def _aging_rows(rng: random.Random, today: date, lines: int, first_id: int
                ) -> list[tuple[Any, ...]]:
    """Ledger rows (amounts in cents, as stored) for `lines` service lines."""
    rows: list[tuple[Any, ...]] = []
    entry_id = first_id
    posted = f"{today.isoformat()} 12:00:00.000000"
    for _ in range(lines):
        pid = rng.randrange(1, 100_001)
        payer = 1 + pid % 10
        dos = today - timedelta(days=rng.randrange(0, 900))
        charge = rng.choice((9500, 14000, 1800, 21000))
        day = dos.isoformat()
        rows.append((entry_id, pid, "charge", charge, day, day, payer, posted))
        entry_id += 1
        if (today - dos).days > 30 and rng.random() < 0.75:
            paid, coins = charge * 60 // 100, charge * 15 // 100
            for kind, amount, who in (("insurance_payment", -paid, payer),
                                      ("adjustment", -(charge - paid - coins), payer),
                                      ("transfer", -coins, payer), ("transfer", coins, None)):
                rows.append((entry_id, pid, kind, amount, day, day, who, posted))
                entry_id += 1
    return rows


def _aging_clinic(ctx: Context) -> Any:
    """A scratch clinic with 100,000 patients and 1,000,000 lines' ledger entries, written
    straight through the driver (the ORM would take minutes for 3 million rows)."""
    from app.services.database import Database
    from app.services.demo import DEMO_PASSPHRASE
    from app.services.migrations import upgrade
    from app.services.users import add_user

    path = ctx.scratch("aging") / "aging.ccdb"
    db = Database.open(path, DEMO_PASSPHRASE, create=True)
    upgrade(db)
    rng = random.Random(7)  # noqa: S311 - made-up data
    today = date.today()
    with db.session() as s:
        add_user(s, None, "bench", "Bench Admin", "admin", "ledger aging 2026")
        s.execute(insert(Payer), [dict(id=i, name=f"Payer {i}", payer_id=f"P{i:04d}",
                                       claim_filing_indicator="CI") for i in range(1, 11)])
        s.execute(insert(Patient), [dict(id=i, mrn=f"A{i:07d}", last_name=f"Last{i}",
                                         first_name="Pat", dob=date(1970, 1, 1), sex="F",
                                         last_key=f"last{i}", first_key="pat")
                                    for i in range(1, 100_001)])
    entries = 0
    with db.engine.begin() as conn:
        # the ledger's indexes are made again after the load: much faster than kept up
        # row by row (what the 100k demo does for its own tables)
        indexes = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
            "tbl_name = 'ledger_entry' AND sql IS NOT NULL").all()
        for name, _sql in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        for _chunk in range(10):
            rows = _aging_rows(rng, today, 100_000, entries + 1)
            conn.exec_driver_sql(_LEDGER_INSERT, rows)
            entries += len(rows)
        for _name, sql in indexes:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("ANALYZE")
    return db, entries


@measure("aging_1m_lines",
         "seconds for AgingService.report by date of service (every payer's buckets and the "
         "patients' total per bucket) over the ledger of 1,000,000 service lines (~3.3 "
         "million entries, 100,000 patients), median of the repeats. details: the same with "
         "the list of every patient who owes something.")
def aging_1m(ctx: Context) -> Result:
    from app.services import Services
    from app.services.demo import DEMO_PASSPHRASE

    db, entries = _aging_clinic(ctx)
    try:
        sv = Services(db, DEMO_PASSPHRASE)
        sv.users.sign_in("bench", "ledger aging 2026")
        times, with_patients = [], []
        for _ in range(max(3, ctx.repeats)):
            t, report = _timed(lambda: sv.aging.report(with_patients=False))
            times.append(t)
            t, full = _timed(lambda: sv.aging.report())
            with_patients.append(t)
        return Result(round(statistics.median(times), 3), "s", {
            "entries": entries, "payers": len(report.payers),
            "patients_with_balance": len(full.patients),
            "runs_s": [round(t, 3) for t in times],
            "with_patient_list_s": round(statistics.median(with_patients), 3)})
    finally:
        db.close()
