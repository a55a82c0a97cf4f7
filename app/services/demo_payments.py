"""The demo clinic's money: months of visits billed and paid the way a real practice's are,
posted through the same services a clerk uses.

Visits of the last six months (before the ones `demo_claims` bills) are coded, billed on one
837P batch and accepted by the clearinghouse. Then the payers' 835s come back, one check per
payer, written with our 835 writer and imported by `RemittanceService`: most claims paid
with a contractual write-off and coinsurance or a deductible for the patient; some denied
(medical necessity, authorization, missing information, timely filing, bundling); a payment
taken back and paid again; a claim forwarded to the secondary payer (crossover); provider
interest (PLB); one claim the clinic never sent (an exception). The newest claims stay unpaid,
so the aging has its young buckets filled too. Contract rates make a few lines underpaid.
"""

from __future__ import annotations

import random
import tempfile
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import String, func, select

from app.errors import UserError
from app.formats.x12 import x835
from app.formats.x12.segments import Envelope
from app.formats.x12.x835_write import build_835
from app.models import (
    ContractRate,
    Coverage,
    CoverageRank,
    Encounter,
    LedgerEntry,
    Patient,
    Payer,
    Submission,
)
from app.services import Services
from app.services.claims import ClaimView
from app.services.database import Database
from app.services.demo_claims import _ack_999, _code
from app.services.demo_plans import add_demo_plans
from app.services.payer_calls import CallData

VISITS = 64  # with the 48 recent ones: a practice's few months, quick to build
CENT = Decimal("0.01")
# (group, reason) of the denials, in turn
DENIALS = (("CO", "50"), ("CO", "197"), ("CO", "16"), ("CO", "29"), ("CO", "97"))


def _older_visits(sv: Services, today: date, n: int) -> list[int]:
    """Uncoded visits of the last six months, still within their payer's filing limit, of
    patients whose records are complete enough to bill (sex, address, self-insured): the
    visits a practice has billed by now. Those the demo leaves incomplete stay for the
    scrubber's own examples."""
    with sv.db.session() as s:
        q = (select(Encounter.id).join(CoverageRank, CoverageRank.patient_id ==
                                       Encounter.patient_id)
             .join(Coverage, Coverage.id == CoverageRank.coverage_id)
             .join(Payer, Payer.id == Coverage.payer_id)
             .join(Patient, Patient.id == Encounter.patient_id)
             .where(Encounter.date >= today - timedelta(days=180),
                    Encounter.date < today - timedelta(days=5),
                    Encounter.date > func.date(today.isoformat(), "-" + func.cast(
                        Payer.timely_filing_days - 10, String) + " days"),
                    Patient.sex.in_(("M", "F")), Patient.address1 != "",
                    Coverage.relationship == "18",
                    Encounter.coding_status == "uncoded",
                    Encounter.provider_id.is_not(None), CoverageRank.rank == 1,
                    CoverageRank.valid_from <= Encounter.date,
                    (CoverageRank.valid_to.is_(None)) | (CoverageRank.valid_to >= Encounter.date),
                    Coverage.effective_from <= Encounter.date,
                    (Coverage.effective_to.is_(None)) | (Coverage.effective_to >= Encounter.date))
             .order_by(Encounter.date, Encounter.id))
        found = list(dict.fromkeys(s.scalars(q)))
    step = max(1, len(found) // n)
    return found[::step][:n]


def _bill(sv: Services, rng: random.Random, visits: list[int], folder: Path) -> list[ClaimView]:
    """Code, bill and send the visits electronically; the clearinghouse accepts the batch."""
    ready = []
    for eid in visits:
        _code(sv, rng, eid)
        v = sv.claims.create_primary(eid)
        try:  # mark_ready runs the scrubber; a claim with errors stays a draft
            ready.append(sv.claims.mark_ready(v.id, v.version))
        except UserError:
            continue
    if not ready:
        return []
    sv.submissions.export_837(folder / "history.837", [v.id for v in ready])
    with sv.db.session() as s:
        sub = s.scalars(select(Submission).order_by(Submission.id.desc())).first()
        assert sub is not None
        group = sub.group_control
    (folder / "history.999").write_text(_ack_999(group))
    sv.submissions.import_ack(folder / "history.999")
    return [sv.claims.get(v.id) for v in ready]


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _paid_line(ln: object, rng: random.Random, deductible: bool) -> x835.ServicePayment:
    charge: Decimal = ln.charge  # type: ignore[attr-defined]
    allowed = _money(charge * Decimal(rng.choice(("0.62", "0.70", "0.74", "0.81"))))
    share = allowed if deductible else _money(allowed * Decimal("0.20"))
    adj = [x835.Adjustment("CO", "45", charge - allowed)]
    adj.append(x835.Adjustment("PR", "1" if deductible else "2", share))
    return _svc(ln, allowed - share, tuple(adj), allowed)


def _svc(ln: object, paid: Decimal, adj: tuple[x835.Adjustment, ...],
         allowed: Decimal | None) -> x835.ServicePayment:
    return x835.ServicePayment(
        qualifier="HC", code=ln.code, modifiers=ln.modifiers,  # type: ignore[attr-defined]
        charge=ln.charge, paid=paid, dos_from=ln.dos,  # type: ignore[attr-defined]
        control_number=ln.control_number, allowed=allowed,  # type: ignore[attr-defined]
        adjustments=adj)


def _claim_payment(v: ClaimView, services: tuple[x835.ServicePayment, ...],
                   status: str = "1") -> x835.ClaimPayment:
    paid = sum((s.paid for s in services), Decimal(0))
    pr = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"),
             Decimal(0))
    return x835.ClaimPayment(claim_id=v.number, status=status, charge=v.total, paid=paid,
                             patient_responsibility=pr, filing_indicator="CI",
                             payer_claim_number=f"{v.payer_id}{v.id:06d}", services=services)


def _adjudicate(v: ClaimView, n: int, rng: random.Random) -> x835.ClaimPayment:
    if n % 11 == 5:
        group, reason = DENIALS[(n // 11) % len(DENIALS)]
        return _claim_payment(v, tuple(_svc(ln, Decimal(0), (
            x835.Adjustment(group, reason, ln.charge),), None) for ln in v.lines), status="4")
    deductible = n % 7 == 3
    return _claim_payment(v, tuple(_paid_line(ln, rng, deductible) for ln in v.lines))


def _remittance(payer: Payer, claims: list[x835.ClaimPayment], trace: str, paid_on: date,
                plb: tuple[x835.ProviderAdjustment, ...] = ()) -> x835.Remittance:
    total = sum((c.paid for c in claims), Decimal(0)) - sum((p.amount for p in plb),
                                                            Decimal(0))
    return x835.Remittance(handling="I", total_paid=total, credit_debit="C", method="ACH",
                           paid_on=paid_on, trace_number=trace,
                           trace_payer_id="1" + f"{payer.id:09d}", payer_name=payer.name,
                           payer_id=payer.payer_id, payee_name="MAPLE GROVE FAMILY MEDICINE",
                           payee_tax_id="991234567", payer_street=payer.address1 or "PO Box 1",
                           payer_city=payer.city or "Albany", payer_state=payer.state or "NY",
                           payer_zip=payer.zip or "12220", payer_phone=payer.phone or "8005550100",
                           claims=tuple(claims), provider_adjustments=plb)


def _import(sv: Services, folder: Path, name: str, remits: list[x835.Remittance],
            control: int) -> None:
    if not remits:
        return
    env = Envelope("ZZ", "CLEARDEMO", "ZZ", "MAPLEDEMO", control, control, 1, usage="T")
    data = build_835(remits, env).encode()
    (folder / name).write_bytes(data)
    sv.remittances.import_835(data, name)


def _rates(sv: Services, claims: list[ClaimView]) -> None:
    """A contract rate above what one payer pays for its most common code: underpayments."""
    if not claims:
        return
    v = claims[0]
    with sv.db.session() as s:
        s.add(ContractRate(payer_id=v.payer_id, code=v.lines[0].code,
                           allowed=_money(v.lines[0].charge * Decimal("0.90")),
                           effective_from=date(2020, 1, 1), updated_by="demo"))


def add_payments(sv: Services, *, seed: int, today: date) -> dict[str, int]:
    """Bill six months of visits and post their remittances; returns counts for the demo."""
    rng = random.Random(seed + 835)  # noqa: S311 - made-up demo data, not secrets
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        claims = _bill(sv, rng, _older_visits(sv, today, VISITS), folder)
        _rates(sv, claims)
        unpaid = max(1, len(claims) // 8)  # the newest wait for their payer
        paid, waiting = claims[:-unpaid], claims[-unpaid:]
        by_payer: dict[int, list[x835.ClaimPayment]] = defaultdict(list)
        for n, v in enumerate(paid):
            by_payer[v.payer_id].append(_adjudicate(v, n, rng))
        with sv.db.session() as s:
            payers = {p.id: p for p in s.scalars(select(Payer))}
        remits = []
        for k, (payer_id, cps) in enumerate(sorted(by_payer.items())):
            plb = ((x835.ProviderAdjustment(provider_id="1234567893",
                                            fiscal_period_end=date(today.year, 12, 31),
                                            reason="L6", reference="INTEREST",
                                            amount=Decimal("-3.17")),) if k == 0 else ())
            if k == 1:  # a claim the clinic never sent: an exception to resolve
                cps = [*cps, replace(cps[0], claim_id="99999999", payer_claim_number="X1")]
            remits.append(_remittance(payers[payer_id], cps, f"EFT{today:%m%d}{k:03d}",
                                      today - timedelta(days=12), plb))
        _import(sv, folder, "payers.835", remits, 7001)
        paid_ones = [cp for cps in by_payer.values() for cp in cps if cp.status == "1"]
        chosen = paid_ones[len(paid_ones) // 2] if paid_ones else None
        owner = next((payers[pid] for pid, cps in by_payer.items() if chosen in cps), None)
        _takeback(sv, folder, chosen, owner, today)
    _follow_up(sv, paid, waiting, today)
    return {"billed": len(claims), "paid": len(paid), "waiting": len(waiting)}


def _follow_up(sv: Services, paid: list[ClaimView], waiting: list[ClaimView],
               today: date) -> None:
    """What the billing office did since: calls to payers (one promise already late, one
    kept), an appeal of a denial, patients paying at the desk, payment plans; then the queues
    refreshed."""
    denied = [v for v in paid if sv.claims.get(v.id).status == "denied"]
    if waiting:
        v = waiting[0]
        sv.payer_calls.log_call(CallData(
            v.payer_id, (v.id,), "Claim received, in process; no missing information.",
            "paid_soon", representative="Dana (demo)", reference="REF-1001",
            called_at=datetime.combine(today - timedelta(days=10), time(10, 15)),
            promised_action="Payment on the next check run", promised_on=today - timedelta(
                days=3)))
    if len(waiting) > 1:
        v = waiting[1]
        sv.payer_calls.log_call(CallData(
            v.payer_id, (v.id,), "Rep found the claim pended for review; will release it.",
            "will_reprocess", representative="Lee (demo)", reference="REF-1002",
            called_at=datetime.combine(today - timedelta(days=6), time(14, 40)),
            promised_action="Reprocess within 5 days", promised_on=today + timedelta(days=2)))
    if denied:
        v = denied[0]
        sv.payer_calls.log_call(CallData(
            v.payer_id, (v.id,), "Denied for medical necessity; rep advised a written appeal "
            "with the visit notes.", "need_appeal", representative="Sam (demo)",
            reference="REF-1003", called_at=datetime.combine(today - timedelta(days=2),
                                                             time(9, 5))))
        title, text = sv.appeals.draft(v.id, "reconsideration")
        sv.appeals.create(v.id, "reconsideration", text, title)
    _desk_payments(sv)
    add_demo_plans(sv, today)  # patients who could not pay at once: a plan in every status
    sv.work_queue.refresh(today)


def _desk_payments(sv: Services) -> None:
    """A few patients pay what they owe at the desk (cash, check, card)."""
    with sv.db.session() as s:
        owing = s.execute(select(LedgerEntry.patient_id, func.sum(LedgerEntry.amount))
                          .where(LedgerEntry.payer_id.is_(None))
                          .group_by(LedgerEntry.patient_id)
                          .having(func.sum(LedgerEntry.amount) > 0)
                          .order_by(LedgerEntry.patient_id).limit(4)).all()
    for (pid, owes), (method, ref) in zip(owing, (("cash", ""), ("check", "1042"),
                                                  ("card", "4242"), ("cash", "")),
                                          strict=False):
        sv.payments.take_payment(pid, owes if method != "check" else _money(owes / 2),
                                 method, ref)


def _negated(cp: x835.ClaimPayment) -> x835.ClaimPayment:
    """The CLP02 22 reversal of a payment: every amount with its sign turned."""
    return replace(cp, status="22", charge=-cp.charge, paid=-cp.paid,
                   patient_responsibility=-(cp.patient_responsibility or Decimal(0)),
                   services=tuple(replace(s, charge=-s.charge, paid=-s.paid,
                                          adjustments=tuple(replace(a, amount=-a.amount)
                                                            for a in s.adjustments))
                                  for s in cp.services))


def _lowered(cp: x835.ClaimPayment, by: Decimal) -> x835.ClaimPayment:
    """The payment again, `by` less on its first line (written off as contractual)."""
    first, *rest = cp.services
    cut = min(by, first.paid)
    adj = tuple(replace(a, amount=a.amount + cut) if a.group == "CO" else a
                for a in first.adjustments)
    lowered = replace(first, paid=first.paid - cut, adjustments=adj,
                      allowed=(first.allowed - cut) if first.allowed is not None else None)
    return replace(cp, paid=cp.paid - cut, services=(lowered, *rest))


def _takeback(sv: Services, folder: Path, cp: x835.ClaimPayment | None, payer: Payer | None,
              today: date) -> None:
    """The payer takes one payment back and pays it again, lower, on a later check."""
    if cp is None or payer is None:
        return
    again = _lowered(cp, Decimal("5.00"))
    _import(sv, folder, "recoup.835", [_remittance(payer, [_negated(cp), again],
                                                   f"EFT{today:%m%d}R01",
                                                   today - timedelta(days=3))], 7002)


def add_demo_payments(db: Database, passphrase: str, admin: str, password: str, *, seed: int,
                      today: date) -> dict[str, int]:
    """Signed in as the demo's admin: `add_payments`, then signed out."""
    sv = Services(db, passphrase)
    sv.users.sign_in(admin, password)
    try:
        return add_payments(sv, seed=seed, today=today)
    finally:
        sv.users.sign_out()
