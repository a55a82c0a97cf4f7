"""The ledger's invariants under random sequences of postings (hypothesis).

Each example registers a patient (insured by Acme, sometimes with Bravo second, or paying for
themselves), codes a visit into charges and sends its claim, then drives a random sequence of
what the office does: paper EOBs (paid, contractual adjustments, patient responsibility to the
patient or to the secondary, denials) and their reversals, desk payments (oldest first or to a
chosen line), refunds, credit transfers, write-offs of either party's part, small-balance
write-offs, voided payments, re-coding (charge reversals), another visit, a day close.

After every step:
- the balances the services report (LedgerService, PaymentService.patient_balance and
  .ledger) equal a model kept by this test from the amounts it posted, for the patient and
  for insurance, and equal the sum of the entries, kind by kind with their expected signs;
- what the patient owes plus what the payers owe is the account balance; the ledger's
  running balance, its visit subtotals and its by-party subtotals all end there;
- transfers sum to zero, and every reversal is exactly the negation of what it undoes;
- no entry ever written was changed or deleted (a snapshot of every earlier row).

One database for the whole module (a clinic takes seconds to create); every example adds its
own patient, and the invariants are checked over every patient so far.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.models import Claim, LedgerEntry
from app.models.claims import SUBMITTED
from app.services import Services
from app.services.aging import day_total_problems
from app.services.claims import add_event
from app.services.clinic import create_clinic
from app.services.coding import CodingDraft, LineDraft
from app.services.day_close import DayCloseService
from app.services.ledger import PATIENT, line_buckets
from app.services.payments import EobClaim, EobData, EobLine, PaymentService, patient_lines
from tests.conftest import ADMIN, ADMIN_PASSWORD, PASSPHRASE, new_clinic
from tests.unit.claim_fixtures import Clinic, clinic, coded_visit, cover, patient

D = Decimal
ZERO = D("0.00")
CENT = D("0.01")
SMALL = D("5.00")  # the default small-balance limit
FEES = {"99213": D("100.00"), "36415": D("12.00"), "20610": D("150.00")}
SIGNS: dict[str, Callable[[Decimal], bool]] = {
    "charge": lambda a: a > 0, "insurance_payment": lambda a: a < 0,
    "patient_payment": lambda a: a < 0, "adjustment": lambda a: a < 0,
    "refund": lambda a: a > 0, "write_off": lambda a: a < 0,
    "transfer": lambda a: a != 0, "reversal": lambda a: a != 0}


@dataclass
class World:
    sv: Services
    c: Clinic
    pay: PaymentService
    days: DayCloseService
    expected: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    snapshot: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    patients: int = 0
    checks: int = 0


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("ledger") / "clinic.ccdb"
    db = create_clinic(path, new_clinic())
    sv = Services(db, PASSPHRASE)
    sv.users.sign_in(ADMIN, ADMIN_PASSWORD)
    c = clinic(sv)
    yield World(sv, c, PaymentService(sv.db, sv.ctx), DayCloseService(sv.db, sv.ctx))
    db.close()


# --- one example's patient ------------------------------------------------------------------------
@dataclass
class Account:
    pid: int
    insured: bool
    secondary: bool
    claims: list[int] = field(default_factory=list)  # primary claims, sent
    adjudicated: dict[int, EobClaim] = field(default_factory=dict)  # live EOB per claim
    encounters: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    payments: list[int] = field(default_factory=list)


def _send(w: World, enc_id: int) -> int:
    v = w.sv.claims.create_primary(enc_id)
    with w.sv.db.session() as s:  # as if printed and mailed: the claim is out with the payer
        claim = s.get(Claim, v.id)
        assert claim is not None
        claim.submitted_on = date.today()
        add_event(s, claim, SUBMITTED, ADMIN, "Mailed (test).")
    return v.id


def _visit(w: World, a: Account, codes: tuple[str, ...], days_ago: int) -> None:
    on = date.today() - timedelta(days=days_ago)
    enc = coded_visit(w.sv, a.pid, w.c, *(LineDraft(code, pointers="A") for code in codes),
                      on=on)
    a.encounters.append((enc, codes))
    who = "insurance" if a.insured else "patient"
    w.expected[a.pid][who] += sum((FEES[x] for x in codes), ZERO)
    if a.insured:
        a.claims.append(_send(w, enc))


def _new_account(w: World, kind: str, codes: tuple[str, ...]) -> Account:
    w.patients += 1
    pid = patient(w.sv, 100 + w.patients, last=f"Prop{w.patients}")
    insured, secondary = kind != "self", kind == "two"
    if insured:
        cover(w.sv, pid, w.c.payer_id, **({"msp_type": "12"} if secondary else {}))
    if secondary:
        cover(w.sv, pid, w.c.other_payer_id)
    a = Account(pid, insured, secondary)
    w.expected[pid] = {"patient": ZERO, "insurance": ZERO}
    _visit(w, a, codes, 20)
    return a


# --- the operations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Knobs:
    """Everything a step may choose, drawn before it runs, so that what hypothesis draws
    never depends on the database (which it does not roll back between examples): `pick`
    and `pick2` choose among what exists (modulo), `share` is an amount as a share in
    1/10,000 of what is allowed, `lines` (PR share, paid share, denied) per EOB row."""

    pick: int
    pick2: int
    share: int
    lines: tuple[tuple[int, int, bool], ...]
    flag: bool


KNOBS = st.builds(Knobs, st.integers(0, 999), st.integers(0, 999), st.integers(1, 10_000),
                  st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000),
                                     st.booleans()), min_size=3, max_size=3).map(tuple),
                  st.booleans())


def part(high: Decimal, share: int, low: Decimal = CENT) -> Decimal:
    """`share`/10,000 of `high`, to the cent, at least `low` (never above `high`)."""
    return max(low, (high * share / 10_000).quantize(CENT, ROUND_DOWN))


def choose(options: list[Any], pick: int) -> Any:
    return options[pick % len(options)]


def _eob_line(line: Any, knob: tuple[int, int, bool]) -> tuple[EobLine, Decimal, Decimal]:
    """A balanced EOB row: paid + CO + PR = charge; sometimes a denial (CO-50, paid 0).
    Returns the row, what the payer lets go (paid + posted CO) and the PR."""
    pr_share, paid_share, denied = knob
    charge = line.charge
    pr = part(charge, pr_share, ZERO)
    if denied and pr < charge:  # a denial: the CO-50 is not posted, it stays with the payer
        adj = (("CO", "50", charge - pr),) + ((("PR", "1", pr),) if pr else ())
        return EobLine(line.id, None, ZERO, adj), ZERO, pr
    paid = part(charge - pr, paid_share, ZERO)
    co = charge - pr - paid
    adj = tuple(x for x in (("CO", "45", co), ("PR", "2", pr)) if x[2])
    return EobLine(line.id, paid + co, paid, adj), paid + co, pr


def op_eob(w: World, a: Account, k: Knobs) -> None:
    """The payer's word on an open claim; when every claim is adjudicated, its next word is
    a reversal (which reopens the claim)."""
    open_claims = [c for c in a.claims if c not in a.adjudicated]
    if not open_claims:
        if a.adjudicated:
            op_reverse_eob(w, a, k)
        return
    claim_id = choose(open_claims, k.pick)
    rows, let_go, pr = [], ZERO, ZERO
    for line, knob in zip(w.sv.claims.get(claim_id).lines, k.lines, strict=False):
        row, gone, p = _eob_line(line, knob)
        rows.append(row)
        let_go, pr = let_go + gone, pr + p
    w.checks += 1
    claim = EobClaim(claim_id, "1", f"P{w.checks}", tuple(rows))
    w.pay.post_eob(EobData(w.c.payer_id, f"E{w.checks}", date.today(),
                           sum((r.paid for r in rows), ZERO), (claim,)))
    a.adjudicated[claim_id] = claim
    _pr_moves(w, a, -let_go, pr)


def _pr_moves(w: World, a: Account, insurance: Decimal, pr: Decimal) -> None:
    """What an EOB (or, with the signs turned, its reversal) does to the model."""
    w.expected[a.pid]["insurance"] += insurance
    if not a.secondary:  # PR goes to the patient; with a secondary it stays with insurance
        w.expected[a.pid]["insurance"] -= pr
        w.expected[a.pid]["patient"] += pr


def op_reverse_eob(w: World, a: Account, k: Knobs) -> None:
    if not a.adjudicated:
        if a.claims:
            op_eob(w, a, k)  # nothing to take back yet: the first adjudication comes first
        return
    claim_id = choose(sorted(a.adjudicated), k.pick)
    first = a.adjudicated.pop(claim_id)
    rows = tuple(EobLine(r.service_line_id, None, -r.paid,
                         tuple((g, c, -x) for g, c, x in r.adjustments)) for r in first.lines)
    w.checks += 1
    w.pay.post_eob(EobData(w.c.payer_id, f"E{w.checks}", date.today(),
                           sum((r.paid for r in rows), ZERO),
                           (EobClaim(claim_id, "22", first.payer_claim_number, rows),)))
    let_go = pr = ZERO
    for r in first.lines:
        denied = any(g == "CO" and c == "50" for g, c, _x in r.adjustments)
        pr += sum((x for g, _c, x in r.adjustments if g == "PR"), ZERO)
        let_go += r.paid + sum((x for g, _c, x in r.adjustments if g == "CO" and not denied),
                               ZERO)
    _pr_moves(w, a, let_go, -pr)


def _patient_lines(w: World, pid: int) -> dict[int | None, Decimal]:
    with w.sv.db.session() as s:
        return {ln.id if ln else None: amt for ln, amt in patient_lines(s, pid)}


def op_pay(w: World, a: Account, k: Knobs) -> None:
    amount = part(D("300.00"), k.share)
    owed = {x: v for x, v in _patient_lines(w, a.pid).items() if x is not None and v > 0}
    apply: Any = "oldest"
    if owed and k.flag:
        line = choose(sorted(owed), k.pick)
        apply = [(line, part(min(owed[line], amount), k.pick2 * 10 + 1))]
    method = ("cash", "check", "card")[k.pick2 % 3]
    ref = {"cash": "", "check": "1001", "card": "4242"}[method]
    r = w.pay.take_payment(a.pid, amount, method, ref, apply=apply)
    a.payments.append(r.payment_id)
    w.expected[a.pid]["patient"] -= amount
    assert r.balance_after == w.expected[a.pid]["patient"]
    assert sum((x.amount for x in r.applied), ZERO) + r.credit == amount


def op_refund(w: World, a: Account, k: Knobs) -> None:
    credit = -w.expected[a.pid]["patient"]
    if credit <= 0:
        return
    amount = part(credit, k.share)
    r = w.pay.refund(a.pid, amount, "check", "77", "Overpaid")
    w.expected[a.pid]["patient"] += amount
    assert r.balance_after == w.expected[a.pid]["patient"]


def op_transfer(w: World, a: Account, k: Knobs) -> None:
    lines = _patient_lines(w, a.pid)
    if not any(v < 0 for v in lines.values()):  # no credit yet: one paid ahead at the desk
        amount = part(D("100.00"), k.share)
        w.pay.take_payment(a.pid, amount, "cash", apply=[])
        w.expected[a.pid]["patient"] -= amount
        lines = _patient_lines(w, a.pid)
    sources = sorted((x for x, v in lines.items() if v < 0), key=lambda x: x or 0)
    targets = sorted(x for x, v in lines.items() if x is not None and v > 0)
    if sources and not targets and None not in sources:
        targets = [None]  # a credit left on a visit line goes back to the account
    if not sources or not targets:
        return
    src, dst = choose(sources, k.pick), choose(targets, k.pick2)
    room = -lines[src] if dst is None else min(-lines[src], lines[dst])
    w.pay.transfer_credit(src, dst, part(room, k.share), "Apply the credit")


def op_write_off(w: World, a: Account, k: Knobs) -> None:
    with w.sv.db.session() as s:
        held = [(cl, b, amt) for cl in _charge_lines(s, a.pid)
                for b, amt in line_buckets(s, cl).items() if amt > 0]
    if not held:
        return
    line, bucket, owed = choose(held, k.pick)
    amount = part(owed, k.share)
    party = "patient" if bucket == PATIENT else "payer"
    w.pay.write_off(line, amount, party, "Test write-off", coverage_id=bucket.coverage_id)
    w.expected[a.pid]["patient" if party == "patient" else "insurance"] -= amount


def _charge_lines(s: Any, pid: int) -> list[int]:
    q = (select(LedgerEntry.charge_line_id).where(LedgerEntry.patient_id == pid,
                                                   LedgerEntry.charge_line_id.is_not(None))
         .distinct().order_by(LedgerEntry.charge_line_id))
    return list(s.scalars(q))


def op_small(w: World, _a: Account, k: Knobs) -> None:
    """A self-pay visit paid down to a small balance (on an account of its own: the
    example's may hold a credit, which keeps a patient out of the write-off), then the
    write-off of the small balances of every patient so far."""
    b = _new_account(w, "self", ("36415",))
    left = part(SMALL, k.share)
    w.pay.take_payment(b.pid, FEES["36415"] - left, "cash")
    w.expected[b.pid]["patient"] -= FEES["36415"] - left
    run = w.pay.write_off_small_balances(dry_run=False)
    assert (b.pid, left) in {(r.patient_id, r.amount) for r in run.rows}
    for r in run.rows:  # any patient of the module may have one
        w.expected[r.patient_id]["patient"] -= r.amount


def op_void(w: World, a: Account, k: Knobs) -> None:
    if not a.payments:
        op_pay(w, a, k)  # a payment first, then the check bounces
    payment = choose(a.payments, k.pick)
    a.payments.remove(payment)
    w.expected[a.pid]["patient"] += w.pay.void_payment(payment, "Check returned")


RECODES = [("99213",), ("99213", "36415"), ("20610",)]


def op_recode(w: World, a: Account, k: Knobs) -> None:
    if a.insured:  # an insured visit is on a claim already sent: corrected another way
        return
    i = k.pick % len(a.encounters)
    enc, old = a.encounters[i]
    new = choose(RECODES, k.pick2)
    draft = CodingDraft(("E11.9",), tuple(LineDraft(x, pointers="A") for x in new))
    w.sv.coding.save(enc, w.sv.coding.open(enc).version, draft)
    a.encounters[i] = (enc, new)
    w.expected[a.pid]["patient"] += (sum((FEES[x] for x in new), ZERO)
                                     - sum((FEES[x] for x in old), ZERO))


def op_visit(w: World, a: Account, k: Knobs) -> None:
    _visit(w, a, choose([("99213",), ("36415",), ("99213", "36415")], k.pick), 1 + k.pick2 % 15)


def op_close(w: World, _a: Account, _k: Knobs) -> None:
    if not w.days.closed_days():  # today only: after it, entries are dated tomorrow
        w.days.close_day(date.today())


OPS = {f.__name__[3:]: f for f in (op_eob, op_reverse_eob, op_pay, op_refund, op_transfer,
                                    op_write_off, op_small, op_void, op_recode, op_visit,
                                    op_close)}


# --- the invariants -------------------------------------------------------------------------------
def _all_rows(w: World) -> dict[int, tuple[Any, ...]]:
    table = LedgerEntry.__table__
    with w.sv.db.session() as s:
        return {r.id: tuple(r) for r in s.execute(select(table).order_by(table.c.id))}


def check_nothing_changed(w: World) -> dict[int, tuple[Any, ...]]:
    rows = _all_rows(w)
    assert {k: rows.get(k) for k in w.snapshot} == w.snapshot  # none changed or deleted
    w.snapshot = rows
    return rows


def check_entries(rows: dict[int, tuple[Any, ...]]) -> None:
    cols = {c.name: i for i, c in enumerate(LedgerEntry.__table__.columns)}
    by_id = {k: dict(zip(cols, v, strict=True)) for k, v in rows.items()}
    transfers: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for e in by_id.values():
        assert SIGNS[e["kind"]](e["amount"]), (e["kind"], e["amount"])
        if e["kind"] == "transfer":
            transfers[e["patient_id"]] += e["amount"]
        if e["kind"] == "reversal":
            undone = by_id[e["reverses_id"]]
            assert e["amount"] == -undone["amount"] and undone["kind"] != "reversal"
            assert (e["charge_line_id"], e["coverage_id"]) == (undone["charge_line_id"],
                                                              undone["coverage_id"])
    assert all(v == 0 for v in transfers.values())


def check_model(w: World, rows: dict[int, tuple[Any, ...]]) -> None:
    """Every patient so far: the entries' sums, kind by kind and by party, match the model."""
    cols = [c.name for c in LedgerEntry.__table__.columns]
    got: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for v in rows.values():
        e = dict(zip(cols, v, strict=True))
        got[e["patient_id"]][e["kind"]] += e["amount"]
        got[e["patient_id"]]["patient" if e["payer_id"] is None else "insurance"] += e["amount"]
    for pid, want in w.expected.items():
        k = got[pid]
        by_kind = (k["charge"] + k["refund"] + k["insurance_payment"] + k["patient_payment"]
                   + k["adjustment"] + k["write_off"] + k["transfer"] + k["reversal"])
        assert (k["patient"], k["insurance"]) == (want["patient"], want["insurance"])
        assert by_kind == want["patient"] + want["insurance"]


def check_services(w: World, pid: int) -> None:
    """What the services report for the patient: the model's figures, every way round."""
    want = w.expected[pid]
    total = want["patient"] + want["insurance"]
    bal = w.pay.patient_balance(pid)
    led = w.pay.ledger(pid)
    assert (bal.patient, bal.insurance) == (want["patient"], want["insurance"])
    assert bal.patient + bal.insurance == bal.account_total == total
    assert bal.owes - bal.credit == bal.patient
    assert bal.patient == sum((x.amount for x in bal.lines), ZERO)
    assert w.sv.ledger.balance(pid) == total == led.balance
    assert (led.rows[-1].balance if led.rows else ZERO) == total
    assert sum((r.amount for r in led.rows), ZERO) == total
    assert sum((v.balance for v in led.visits), ZERO) == total
    assert sum((a for _p, a in led.by_party), ZERO) == total
    assert (led.patient, led.insurance) == (want["patient"], want["insurance"])


def check_day_totals(w: World) -> None:
    """The aging's day totals (kept by trigger) are the entries' sums, key by key."""
    with w.sv.db.session() as s:
        assert day_total_problems(s) == []


def check_all(w: World, pid: int) -> None:
    rows = check_nothing_changed(w)
    check_entries(rows)
    check_model(w, rows)
    check_services(w, pid)
    check_day_totals(w)


# The office's daily work is mostly EOBs and desk payments: they come up more often.
STEPS = sorted(OPS) + ["eob", "eob", "pay", "pay", "transfer"]


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(kind=st.sampled_from(("one", "two", "self")),
       codes=st.sampled_from([("99213",), ("99213", "36415")]),
       steps=st.lists(st.tuples(st.sampled_from(STEPS), KNOBS), min_size=6, max_size=12))
def test_every_posting_keeps_the_ledger_consistent(
        world: World, kind: str, codes: tuple[str, ...], steps: list[tuple[str, Knobs]]) -> None:
    a = _new_account(world, kind, codes)
    check_all(world, a.pid)
    for name, knobs in steps:
        OPS[name](world, a, knobs)
        check_all(world, a.pid)
