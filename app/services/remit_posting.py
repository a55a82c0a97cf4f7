"""Posting one matched check (an 835 transaction, 005010X221A1) to the ledger, in the
caller's transaction. Everything was matched first (`remit_match`); this writes.

Per service line of a matched claim, with C the coverage the claim was sent to:
- SVC03 paid → an insurance payment owed by C (negative).
- CAS group PR (deductible, coinsurance, copay…) → a transfer from C to whoever is next: the
  coverage ranked after C on the date of service, else the patient.
- CAS CO/OA/PI/CR → an adjustment with its group and CARC. On a secondary or tertiary claim
  OA-23 (what earlier payers did) is kept on the remittance but not posted: the earlier
  payer's own posting already moved that amount.
- A denied line (CLP02 4, or paid nothing for a reason that is not contractual) posts no
  adjustment: its balance stays with C as a denial the clerk works (appeal, correct, write
  off); PR on it still moves to the next party.
- A reversal (CLP02 22) reverses every entry the taken-back payment posted, and the claim
  waits for the payer's new adjudication.
Each remittance keeps what the payer said (claim and line payments, CAS, remarks, PLB) as
sent. Denials, underpayments and the secondary claim are raised here too.

The rows are many (an ERA of 5,000 claims posts some 50,000 entries), so they are inserted
in bulk with ids taken in order; the posting holds the write lock of the one database file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session, aliased

from app.formats import adjustment_codes as codes
from app.formats.x12 import x835
from app.models import (
    Claim,
    ClaimPayment,
    ClaimStatusEvent,
    ContractRate,
    Coverage,
    CoverageRank,
    Denial,
    LedgerEntry,
    LinePayment,
    ProviderAdjustment,
    RemitAdjustment,
    RemitException,
    Remittance,
    WorkItem,
)
from app.models.claims import ACCEPTED, DENIED, PAID
from app.models.ledger import ADJUSTMENT, INSURANCE_PAYMENT, REVERSAL, TRANSFER
from app.models.payments import ERA
from app.models.types import utcnow
from app.models.work import DONE, OPEN
from app.services.adjustment_code_lists import imported_descriptions
from app.services.audit import append_event
from app.services.billing_settings import BillingSettings
from app.services.bulk import insert_rows
from app.services.claims import add_event
from app.services.context import CurrentUser
from app.services.ledger import PATIENT, Bucket, posting_date
from app.services.next_claims import NextClaim, build_next_claims
from app.services.remit_match import CheckPlan, ClaimMatch, ClaimRef, LineRef, Lookup

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
NOT_DENIALS = ("contractual", "patient_responsibility")


@dataclass
class CheckResult:
    """What posting one check did (figures for the clerk and the CLI summary)."""

    remittance_id: int
    payer: str
    trace_number: str
    total_paid: Decimal
    claims: int
    matched: int
    unmatched: int
    paid: Decimal = ZERO
    adjusted: Decimal = ZERO
    to_patient: Decimal = ZERO
    to_next_payer: Decimal = ZERO
    denied: Decimal = ZERO
    reversed: Decimal = ZERO
    provider_adjustments: Decimal = ZERO
    denials: int = 0
    underpayments: int = 0
    crossovers: int = 0
    secondary_claims: list[int] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    """One of our lines with what the payer said about it (an SVC, or a prorated share)."""

    sl: LineRef
    svc: x835.ServicePayment | None
    paid: Decimal
    adjustments: tuple[x835.Adjustment, ...]


class _Ids:
    """Ids handed out in order for bulk inserts (one writer: the transaction holds the lock)."""

    def __init__(self, s: Session, *models: Any) -> None:
        self._next = {m: (s.scalar(select(func.max(m.id))) or 0) + 1 for m in models}

    def take(self, model: Any) -> int:
        n = self._next[model]
        self._next[model] = n + 1
        return n


class _Rank(NamedTuple):
    patient_id: int
    rank: int
    valid_from: date
    valid_to: date | None
    coverage_id: int
    payer_id: int
    effective_from: date
    effective_to: date | None

    def on(self, day: date) -> bool:
        return (self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)
                and self.effective_from <= day
                and (self.effective_to is None or self.effective_to >= day))


class _Coverages:
    """The patients' coverage order by date, read once for the whole check."""

    def __init__(self, s: Session, patient_ids: Sequence[int]) -> None:
        self._ranks: dict[int, list[_Rank]] = defaultdict(list)
        self._next: dict[tuple[int, int, date], Bucket] = {}
        ids = sorted(set(patient_ids))
        for i in range(0, len(ids), 900):
            q = (select(CoverageRank.patient_id, CoverageRank.rank, CoverageRank.valid_from,
                        CoverageRank.valid_to, Coverage.id, Coverage.payer_id,
                        Coverage.effective_from, Coverage.effective_to)
                 .join(Coverage, Coverage.id == CoverageRank.coverage_id)
                 .where(CoverageRank.patient_id.in_(ids[i:i + 900])))
            for row in s.execute(q):
                self._ranks[row[0]].append(_Rank(*row))

    def later_of_payer(self, patient_id: int, coverage_id: int, payer_id: int,
                       day: date) -> tuple[int, int] | None:
        """The patient's coverage with `payer_id` ranked after `coverage_id` that day:
        (coverage id, its rank 1, 2, 3), or None."""
        order = sorted((r for r in self._ranks[patient_id] if r.on(day)),
                       key=lambda r: (r.rank, r.coverage_id))
        ids = [r.coverage_id for r in order]
        if coverage_id not in ids:
            return None
        for pos, r in enumerate(order[ids.index(coverage_id) + 1:],
                                start=ids.index(coverage_id) + 2):
            if r.payer_id == payer_id:
                return r.coverage_id, pos
        return None

    def next_after(self, patient_id: int, coverage_id: int, day: date) -> Bucket:
        """Who owes what the coverage leaves: the next coverage that day, else the patient."""
        key = (patient_id, coverage_id, day)
        if key not in self._next:  # a claim's lines share the answer
            self._next[key] = self._next_after(patient_id, coverage_id, day)
        return self._next[key]

    def _next_after(self, patient_id: int, coverage_id: int, day: date) -> Bucket:
        order = sorted((r for r in self._ranks[patient_id] if r.on(day)),
                       key=lambda r: (r.rank, r.coverage_id))
        for pos, r in enumerate(order):
            if r.coverage_id == coverage_id and pos + 1 < len(order):
                nxt = order[pos + 1]
                return Bucket(nxt.coverage_id, nxt.payer_id)
        return PATIENT


def _share(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`amount` split in proportion to `weights`, to the cent, the last taking the rest."""
    total = sum(weights, ZERO)
    if not weights:
        return []
    if total == 0:
        return [ZERO] * (len(weights) - 1) + [amount]
    parts = [(amount * w / total).quantize(CENT, ROUND_HALF_UP) for w in weights[:-1]]
    return parts + [amount - sum(parts, ZERO)]


def _prorated(claim: x835.ClaimPayment, lines: Sequence[LineRef]) -> list[_Line]:
    """A claim paid with no SVC loops: its payment and CAS spread over our lines."""
    weights = [ln.charge for ln in lines]
    paid = _share(claim.paid, weights)
    per_adj = [_share(a.amount, weights) for a in claim.adjustments]
    return [_Line(ln, None, paid[i], tuple(
        x835.Adjustment(a.group, a.reason, per_adj[k][i], None)
        for k, a in enumerate(claim.adjustments))) for i, ln in enumerate(lines)]


def _is_denied(claim: x835.ClaimPayment, line: _Line) -> bool:
    if line.paid != 0:
        return False
    if claim.is_denied:
        return True
    return any(a.group != "PR" and codes.category_of(a.group, a.reason) not in NOT_DENIALS
               for a in line.adjustments)


class CheckPoster:
    """Posts one check's plan; `result` says what it did."""

    def __init__(self, s: Session, user: CurrentUser, plan: CheckPlan, x12_file_id: int | None,
                 settings: BillingSettings, override_reason: str = "",
                 source: str = ERA) -> None:
        self.s, self.user, self.plan, self.settings = s, user, plan, settings
        r = plan.remittance
        self.day = posting_date(s)
        self.now = utcnow()  # one posting, one time (and no clock call per row)
        self.ids = _Ids(s, ClaimPayment, LinePayment, LedgerEntry)
        # Rows inserted in bulk at the end, parents first (foreign keys are enforced).
        self.cp_rows: list[dict[str, Any]] = []
        self.line_rows: list[dict[str, Any]] = []
        self.adj_rows: list[dict[str, Any]] = []
        self.exception_rows: list[dict[str, Any]] = []
        self.denial_rows: list[dict[str, Any]] = []
        self.ledger: list[dict[str, Any]] = []
        self.status_rows: list[dict[str, Any]] = []  # claim status history
        self.claim_rows: list[dict[str, Any]] = []  # claims' new status and dates
        self.rates: dict[tuple[str, str], list[ContractRate]] = {}
        self.next_claims: list[tuple[int, NextClaim]] = []  # (claim payment id, the claim)
        self.carc = imported_descriptions(s, "carc")  # for codes our own wording lacks
        self.rem = Remittance(source=source, x12_file_id=x12_file_id, payer_id=plan.payer_id,
                              payer_key=plan.payer_key, payer_name=plan.payer_label[:60],
                              trace_number=r.trace_number, method=r.method,
                              total_paid=r.total_paid, paid_on=r.paid_on,
                              claims=len(r.claims), unmatched=plan.unmatched,
                              unbalanced_reason=override_reason, posted_by=user.username)
        s.add(self.rem)
        s.flush()
        self.result = CheckResult(self.rem.id, plan.payer_label, r.trace_number, r.total_paid,
                                  len(r.claims), plan.matched, plan.unmatched)

    # --- the whole check -------------------------------------------------------------------
    def post(self) -> CheckResult:
        r = self.plan.remittance
        self._load([m.claim_id for m in self.plan.claims if m.claim_id is not None])
        for m in self.plan.claims:
            self._claim(m, r.claims[m.index])
        for plb in r.provider_adjustments:
            self.s.add(ProviderAdjustment(remittance_id=self.rem.id,
                                          provider_ref=plb.provider_id[:50],
                                          fiscal_period_end=plb.fiscal_period_end,
                                          reason_code=plb.reason[:2],
                                          reference=plb.reference[:50], amount=plb.amount))
            self.result.provider_adjustments += plb.amount
        self._build_next_claims()
        self._flush_bulk()
        append_event(self.s, self.user, "remittance.post", entity="remittance",
                     entity_id=self.rem.id,
                     details={"claims": len(r.claims), "unmatched": self.plan.unmatched,
                              "override": bool(self.rem.unbalanced_reason)})
        return self.result

    def _load(self, claim_ids: Sequence[int]) -> None:
        look = self.plan.lookup
        if look is None:  # a plan made without reading the claims (not from plan_check)
            look = Lookup(self.s, [str(i) for i in claim_ids])
        self.claims: dict[int, ClaimRef] = look.claims
        self.lines: dict[int, LineRef] = look.by_line
        self.claim_lines: dict[int, list[LineRef]] = look.lines
        self.coverages = _Coverages(self.s, [c.patient_id for c in self.claims.values()])
        payer_ids = {c.payer_id for c in self.claims.values()}
        for rate in self.s.scalars(select(ContractRate)
                                   .where(ContractRate.payer_id.in_(payer_ids))):
            self.rates.setdefault((str(rate.payer_id), rate.code), []).append(rate)

    def _flush_bulk(self) -> None:
        """Objects added the ORM way first, then the bulk rows through Core (executemany on
        the tables: the ORM's bulk path costs several times more per row)."""
        self.s.flush()
        for model, rows in ((ClaimPayment, self.cp_rows), (LinePayment, self.line_rows),
                            (RemitAdjustment, self.adj_rows),
                            (RemitException, self.exception_rows),
                            (Denial, self.denial_rows), (LedgerEntry, self.ledger),
                            (ClaimStatusEvent, self.status_rows)):
            insert_rows(self.s, model, rows)  # not Core's per-row parameter building
        if self.claim_rows:
            table = cast(Table, Claim.__table__)
            # the version moves on, so a clerk with the claim open is told it changed
            self.s.execute(update(table).where(table.c.id == bindparam("cid")).values(
                status=bindparam("new_status"), adjudicated_on=bindparam("adjudicated"),
                payer_claim_number=bindparam("number"), version=table.c.version + 1),
                self.claim_rows)

    # --- one claim ---------------------------------------------------------------------------
    def _claim(self, m: ClaimMatch, claim: x835.ClaimPayment) -> None:
        cp_id = self.ids.take(ClaimPayment)
        self.cp_rows.append(dict(
            id=cp_id, remittance_id=self.rem.id, claim_id=m.claim_id,
            claim_number=claim.claim_id[:38], status_code=claim.status, charge=claim.charge,
            paid=claim.paid, patient_responsibility=claim.patient_responsibility or ZERO,
            payer_claim_number=claim.payer_claim_number[:50],
            crossover_name=claim.crossover_name[:60], crossover_id=claim.crossover_id[:80],
            remarks=",".join(claim.remarks)[:200], match=m.how[:12],
            reverses_id=m.reverses_payment_id, reversed=False, secondary_claim_id=None))
        self._record_claim_adjustments(cp_id, claim)
        if m.claim_id is None:
            self._exception(cp_id, None, m.reason, claim.paid)
            self._record_lines(cp_id, claim, {})
            return
        c = self.claims[m.claim_id]
        if claim.is_reversal:
            self._record_lines(cp_id, claim, {})
            self._reverse(c, cp_id, m)
            return
        if (crossed := self._crossed_over(c)) is not None:
            self._adjudicated(crossed, cp_id, m, claim, crossover_of=c)
            return
        self._adjudicated(c, cp_id, m, claim)

    def _record_claim_adjustments(self, cp_id: int, claim: x835.ClaimPayment) -> None:
        for a in claim.adjustments:
            self.adj_rows.append(dict(claim_payment_id=cp_id, line_payment_id=None,
                                      group_code=a.group, reason_code=a.reason[:5],
                                      amount=a.amount, quantity=a.quantity))

    def _record_lines(self, cp_id: int, claim: x835.ClaimPayment,
                      placed: dict[int, int | None]) -> dict[int, int]:
        """The SVC loops as the payer sent them; returns SVC index → LinePayment id."""
        out: dict[int, int] = {}
        for i, svc in enumerate(claim.services):
            lp_id = self.ids.take(LinePayment)
            out[i] = lp_id
            self.line_rows.append(dict(
                id=lp_id, claim_payment_id=cp_id, service_line_id=placed.get(i),
                code=svc.code[:48], modifiers="".join(svc.modifiers)[:8], dos=svc.dos_from,
                charge=svc.charge, allowed=svc.allowed, paid=svc.paid, units=svc.units_paid,
                control_number=svc.control_number[:50], remarks=",".join(svc.remarks)[:200],
                match=""))
            for a in svc.adjustments:
                self.adj_rows.append(dict(claim_payment_id=cp_id, line_payment_id=lp_id,
                                          group_code=a.group, reason_code=a.reason[:5],
                                          amount=a.amount, quantity=a.quantity))
        return out

    def _our_lines(self, m: ClaimMatch, claim: x835.ClaimPayment, cp_id: int) -> list[_Line]:
        if not claim.services:
            lines = [self.lines[ln.service_line_id] for ln in m.lines
                     if ln.service_line_id is not None]
            return _prorated(claim, lines)
        placed = {ln.index: ln.service_line_id for ln in m.lines}
        lp_ids = self._record_lines(cp_id, claim, placed)
        for ln in m.lines:
            self.line_rows[-len(claim.services) + ln.index]["match"] = ln.how[:12]
        out: list[_Line] = []
        for ln in m.lines:
            svc = claim.services[ln.index]
            if ln.service_line_id is None:
                self._exception(cp_id, lp_ids[ln.index], ln.reason, svc.paid)
                continue
            out.append(_Line(self.lines[ln.service_line_id], svc, svc.paid, svc.adjustments))
        if claim.adjustments and out:  # claim-level CAS beside SVC loops: spread it too
            weights = [ln.sl.charge for ln in out]
            shares = [_share(a.amount, weights) for a in claim.adjustments]
            out = [_Line(ln.sl, ln.svc, ln.paid, ln.adjustments + tuple(
                x835.Adjustment(a.group, a.reason, shares[k][i], None)
                for k, a in enumerate(claim.adjustments))) for i, ln in enumerate(out)]
        return out

    def _crossed_over(self, c: ClaimRef) -> ClaimRef | None:
        """A later payer paying our claim to an earlier one (Medicare crosses a claim over
        to the patient's Medigap plan, which pays on Medicare's claim number): the claim as
        that payer's coverage sees it, so its payment, adjustments and PR post to that
        coverage and what it leaves goes to the next one. None when this is not that."""
        payer = self.plan.payer_id
        if payer is None or payer == c.payer_id:
            return None
        lines = self.claim_lines.get(c.id) or []
        day = min((ln.dos for ln in lines), default=None)
        if day is None:
            return None
        found = self.coverages.later_of_payer(c.patient_id, c.coverage_id, payer, day)
        if found is None:
            return None
        coverage_id, rank = found
        return c._replace(coverage_id=coverage_id, payer_id=payer,
                          sequence={2: "S", 3: "T"}.get(rank, "T"))

    def _adjudicated(self, c: ClaimRef, cp_id: int, m: ClaimMatch,
                     claim: x835.ClaimPayment, crossover_of: ClaimRef | None = None) -> None:
        lines = self._our_lines(m, claim, cp_id)
        denied: list[tuple[_Line, x835.Adjustment]] = []
        moved_on: list[int] = []
        next_to: Bucket | None = None
        for ln in lines:
            is_denied = _is_denied(claim, ln)
            nxt = self._post_line(c, cp_id, ln, is_denied)
            if nxt is not None:
                moved_on.append(ln.sl.charge_line_id)
                next_to = nxt
            if is_denied:
                denied += [(ln, a) for a in ln.adjustments if a.group != "PR"]
            else:
                self._underpaid(c, ln)
        if claim.forwarded:
            self.result.crossovers += 1
        if crossover_of is not None:  # the claim keeps its own payer's status and number
            self._crossover_history(c, claim)
        else:
            self._claim_status(c, claim, denied, lines)
        if denied:
            self._denials(c, cp_id, claim, denied)
        if moved_on and next_to is not None and not claim.forwarded:
            self._next_claim(c, cp_id, next_to, moved_on)

    def _links(self, c: ClaimRef, cp_id: int, sl: LineRef) -> dict[str, Any]:
        return dict(patient_id=c.patient_id, entry_date=self.day, encounter_id=sl.encounter_id,
                    charge_line_id=sl.charge_line_id, service_date=sl.service_date,
                    claim_id=c.id,
                    service_line_id=sl.id, remittance_id=self.rem.id, claim_payment_id=cp_id,
                    posted_by=self.user.username, posted_at=self.now)

    def _entry(self, base: dict[str, Any], kind: str, amount: Decimal, bucket: Bucket,
               memo: str, group: str = "", reason: str = "") -> None:
        self.ledger.append(dict(base, id=self.ids.take(LedgerEntry), kind=kind, amount=amount,
                                coverage_id=bucket.coverage_id, payer_id=bucket.payer_id,
                                memo=memo[:200], group_code=group, reason_code=reason[:5],
                                reverses_id=None))

    def _words(self, a: x835.Adjustment) -> str:
        return f"{a.group}-{a.reason} {codes.describe_adjustment(a.group, a.reason, self.carc)}"

    def _post_line(self, c: ClaimRef, cp_id: int, ln: _Line, denied: bool) -> Bucket | None:
        """The ledger entries of one line; returns the next coverage when PR moved to one."""
        base = self._links(c, cp_id, ln.sl)
        here = Bucket(c.coverage_id, c.payer_id)
        trace = self.plan.remittance.trace_number
        if ln.paid:
            self._entry(base, INSURANCE_PAYMENT, -ln.paid, here, f"Paid, check {trace}")
            self.result.paid += ln.paid
        moved_to: Bucket | None = None
        for a in ln.adjustments:
            if a.group == "PR":
                nxt = self.coverages.next_after(c.patient_id, c.coverage_id, ln.sl.dos)
                memo = self._words(a)
                self._entry(base, TRANSFER, -a.amount, here, memo, a.group, a.reason)
                self._entry(base, TRANSFER, a.amount, nxt, memo, a.group, a.reason)
                if nxt.is_patient:
                    self.result.to_patient += a.amount
                else:
                    self.result.to_next_payer += a.amount
                    moved_to = nxt
            elif c.sequence != "P" and a.group == "OA" and a.reason == "23":
                continue  # the earlier payer's part: posted with that payer's remittance
            elif denied:
                self.result.denied += a.amount
            else:
                self._entry(base, ADJUSTMENT, -a.amount, here, self._words(a), a.group,
                            a.reason)
                self.result.adjusted += a.amount
        return moved_to

    # --- what follows from the adjudication --------------------------------------------------
    def _claim_status(self, c: ClaimRef, claim: x835.ClaimPayment, denied: list[Any],
                      lines: list[_Line]) -> None:
        """The claim's new status and its history step, written in bulk with the rest."""
        status = DENIED if claim.paid == 0 and (claim.is_denied or denied) else PAID
        word = "denied" if status == DENIED else f"paid ${claim.paid:,.2f}"
        self.claim_rows.append(dict(
            cid=c.id, new_status=status, adjudicated=self.plan.remittance.paid_on or self.day,
            number=claim.payer_claim_number[:50] or c.payer_claim_number))
        self.status_rows.append(dict(
            claim_id=c.id, status=status, submission_id=None, at=self.now,
            by=self.user.username,
            detail=f"Payer {word} (check {self.plan.remittance.trace_number})."))

    def _crossover_history(self, c: ClaimRef, claim: x835.ClaimPayment) -> None:
        self.status_rows.append(dict(
            claim_id=c.id, status=c.status, submission_id=None, at=self.now,
            by=self.user.username,
            detail=(f"{self.plan.payer_label[:60]} paid ${claim.paid:,.2f} on this claim as "
                    f"the next payer (crossover; check {self.plan.remittance.trace_number}).")))

    def _denials(self, c: ClaimRef, cp_id: int, claim: x835.ClaimPayment,
                 denied: list[tuple[_Line, x835.Adjustment]]) -> None:
        cats: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for ln, a in denied:
            cat = codes.category_of(a.group, a.reason)
            remarks = ",".join(ln.svc.remarks if ln.svc else claim.remarks)[:200]
            self.denial_rows.append(dict(
                claim_id=c.id, service_line_id=ln.sl.id, claim_payment_id=cp_id,
                group_code=a.group, reason_code=a.reason[:5], remarks=remarks, category=cat,
                amount=a.amount, outcome=""))
            cats[cat] += a.amount
        self.result.denials += 1
        top = max(cats, key=lambda k: cats[k])
        reasons = "; ".join(sorted({self._words(a) for _ln, a in denied}))
        self.s.add(WorkItem(patient_id=c.patient_id, coverage_id=c.coverage_id, claim_id=c.id,
                            source="claim_payment", source_id=cp_id, reason="denial",
                            detail=f"{codes.DENIAL_CATEGORIES[top].label}: {reasons}"[:2000],
                            next_action=codes.DENIAL_CATEGORIES[top].next_step[:200],
                            due_on=self.day + timedelta(days=self.settings.denial_due_days),
                            created_by=self.user.username))

    def _expected(self, c: ClaimRef, sl: LineRef) -> Decimal | None:
        rates = [r for r in self.rates.get((str(c.payer_id), sl.code), [])
                 if r.effective_from <= sl.dos
                 and (r.effective_to is None or r.effective_to >= sl.dos)]
        by_mod = {r.modifier: r.allowed for r in rates}
        mods = [sl.modifiers[i:i + 2] for i in range(0, len(sl.modifiers), 2)]
        rate = next((by_mod[m] for m in mods if m in by_mod), by_mod.get(""))
        return None if rate is None else (rate * sl.units).quantize(CENT, ROUND_HALF_UP)

    def _underpaid(self, c: ClaimRef, ln: _Line) -> None:
        """A line allowed below the contract rate by more than the tolerance is chased."""
        if c.sequence != "P" or ln.svc is None:
            return
        expected = self._expected(c, ln.sl)
        if expected is None:
            return
        allowed = ln.svc.allowed if ln.svc.allowed is not None else ln.paid + sum(
            (a.amount for a in ln.adjustments if a.group == "PR"), ZERO)
        if expected - allowed <= self.settings.underpayment_tolerance:
            return
        self.result.underpayments += 1
        self.s.add(WorkItem(
            patient_id=c.patient_id, coverage_id=c.coverage_id, claim_id=c.id,
            source="service_line", source_id=ln.sl.id, reason="underpaid",
            detail=(f"{ln.sl.code} on {ln.sl.dos:%m/%d/%Y}: expected ${expected:,.2f} allowed "
                    f"by contract, the payer allowed ${allowed:,.2f} and paid "
                    f"${ln.paid:,.2f} (short ${expected - allowed:,.2f})."),
            next_action="Check the contract rate, then call the payer or appeal.",
            due_on=self.day + timedelta(days=self.settings.denial_due_days),
            created_by=self.user.username))

    def _next_claim(self, c: ClaimRef, cp_id: int, to: Bucket, charge_line_ids: list[int]) -> None:
        """The balance moved to the next coverage: a draft claim to it, carrying this
        payer's adjudication (built from the remittance when the claim is printed or sent).
        Collected here, built for the whole check at once (`_build_next_claims`)."""
        rank = {"P": 2, "S": 3}.get(c.sequence)
        if c.encounter_id is None or rank is None or to.coverage_id is None:
            return
        self.next_claims.append((cp_id, NextClaim(
            c.encounter_id, to.coverage_id, rank, tuple(charge_line_ids),
            f"Built after claim {c.id} was paid (check {self.plan.remittance.trace_number}).")))

    def _build_next_claims(self) -> None:
        built = build_next_claims(self.s, self.user, [w for _i, w in self.next_claims])
        rows = {row["id"]: row for row in self.cp_rows}
        for (cp_id, _w), claim_id in zip(self.next_claims, built, strict=True):
            if claim_id is not None:  # None: already on a claim to that coverage
                rows[cp_id]["secondary_claim_id"] = claim_id
                self.result.secondary_claims.append(claim_id)

    def _exception(self, cp_id: int, lp_id: int | None, reason: str, amount: Decimal) -> None:
        self.exception_rows.append(dict(remittance_id=self.rem.id, claim_payment_id=cp_id,
                                        line_payment_id=lp_id, reason=reason, amount=amount,
                                        state="open"))
        self.result.exceptions.append(reason)

    def _reverse(self, c: ClaimRef, cp_id: int, m: ClaimMatch) -> None:
        """CLP02 22: undo what the earlier payment posted; the claim waits for the payer."""
        prior = self.s.get(ClaimPayment, m.reverses_payment_id)
        assert prior is not None  # the plan found it
        undone = aliased(LedgerEntry)
        entries = list(self.s.scalars(
            select(LedgerEntry).outerjoin(undone, undone.reverses_id == LedgerEntry.id)
            .where(LedgerEntry.charge_line_id.in_(  # the lines' index, then the payment
                       sorted({ln.charge_line_id for ln in self.claim_lines[c.id]})),
                   LedgerEntry.claim_payment_id == prior.id, LedgerEntry.kind != REVERSAL,
                   undone.id.is_(None))))
        memo = f"Payer took back its payment ({prior.claim_number})"
        for e in entries:
            self.ledger.append(dict(
                id=self.ids.take(LedgerEntry), patient_id=e.patient_id, kind=REVERSAL,
                amount=-e.amount, entry_date=self.day, encounter_id=e.encounter_id,
                charge_line_id=e.charge_line_id, reverses_id=e.id,
                service_date=e.service_date, coverage_id=e.coverage_id, payer_id=e.payer_id,
                claim_id=e.claim_id, service_line_id=e.service_line_id,
                remittance_id=self.rem.id, claim_payment_id=cp_id, group_code=e.group_code,
                reason_code=e.reason_code, memo=memo[:200], posted_by=self.user.username,
                posted_at=self.now))
            if e.kind == INSURANCE_PAYMENT:
                self.result.reversed -= e.amount
        prior.reversed = True
        for d in self.s.scalars(select(Denial).where(Denial.claim_payment_id == prior.id)):
            d.outcome = "reversed"
        for w in self.s.scalars(select(WorkItem).where(
                WorkItem.claim_id == c.id, WorkItem.state == OPEN,
                WorkItem.reason.in_(("denial", "underpaid")))):
            w.state, w.closed_by = DONE, self.user.username
            w.note = (w.note + "\nClosed: the payer reversed this payment.").strip()
        claim = self.s.get(Claim, c.id)
        assert claim is not None  # the plan read it
        add_event(self.s, claim, ACCEPTED, self.user.username,
                  f"Payer reversed its payment (check {self.plan.remittance.trace_number}); "
                  "waiting for its new adjudication.")
