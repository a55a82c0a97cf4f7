"""A patient statement's figures, worked out from ledger entries (DESIGN.md §3) with no
database: the statement service reads the entries of every account of a run in a few
queries and hands each account's rows here.

What a statement bills is the patient's own bucket of the ledger (`coverage_id` NULL): the
balance due is exactly `PaymentService.patient_balance(...).patient`. To say *how* that
balance came about, each visit line is shown in one of two ways:

- **finished** (no payer holds any balance on the line): the whole line, every entry of
  every bucket: the charge, what insurance paid, what was adjusted or written off, what the
  patient paid. Its payer buckets are zero, so the line's total *is* the patient's part;
- **pending** (a payer still holds some of it): only the patient's part: what was moved to
  the patient (deductible, coinsurance, copay, a self-pay charge), what the patient paid,
  what was written off of the patient's part. What the payer still owes is shown beside the
  line as information and is not in any figure.

Entries map to the summary's columns by kind (a reversal counts as the kind it undoes, so a
voided charge lowers charges and a bounced payment lowers payments):

  charge                       → charges
  insurance_payment            → insurance payments
  adjustment, write_off        → adjustments
  patient_payment, refund      → patient payments (a refund is a negative payment)
  transfer                     → a transfer is a pair of entries summing to zero. A pair on
      one line (payer → payer, payer → patient) cancels on a finished line; on a pending
      line its patient half is what became the patient's, and counts as a charge ("your
      share"). A pair across lines only moves the patient's credit (PaymentService.
      transfer_credit): each half counts as a payment applied to (or taken from) its line.

The summary is the change of these per-line figures between the previous statement's
ledger watermark (`through_entry_id`: the previous balance is the patient's balance then,
the balance due that statement printed) and this run's: previous balance + charges −
insurance payments − adjustments − patient payments == balance due, always, because every
line's figures add up to its own value at both ends. A line that was pending then and is
finished now brings its whole history in (charges, insurance payments, adjustments), less
what was already the patient's then; a line a payer took back (finished then, pending now)
goes the other way. Aging is the balance due by date of service, as the aging report's
patient buckets (app.services.aging), unapplied account credit counted as current.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.models.ledger import (
    ADJUSTMENT,
    CHARGE,
    INSURANCE_PAYMENT,
    PATIENT_PAYMENT,
    REFUND,
    REVERSAL,
    TRANSFER,
    WRITE_OFF,
)
from app.services.aging import BUCKETS, bucket_of

ZERO = Decimal("0.00")

_COLUMN = {CHARGE: 0, INSURANCE_PAYMENT: 1, ADJUSTMENT: 2, WRITE_OFF: 2, PATIENT_PAYMENT: 3,
           REFUND: 3}
_PAYMENTS = (PATIENT_PAYMENT, REFUND)


@dataclass(frozen=True, slots=True)
class Entry:
    """The columns of one ledger entry a statement needs."""

    id: int
    kind: str
    amount: Decimal
    charge_line_id: int | None
    encounter_id: int | None
    coverage_id: int | None  # None: the patient owes it
    payer_id: int | None
    service_date: date | None
    entry_date: date
    reverses_id: int | None


@dataclass(frozen=True)
class Figures:
    """charges − insurance − adjustments − patient payments == value (a line's, or an
    account's activity when it is a difference)."""

    charges: Decimal = ZERO
    insurance: Decimal = ZERO
    adjustments: Decimal = ZERO
    patient: Decimal = ZERO

    @property
    def value(self) -> Decimal:
        return self.charges - self.insurance - self.adjustments - self.patient

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.charges + other.charges, self.insurance + other.insurance,
                       self.adjustments + other.adjustments, self.patient + other.patient)

    def __sub__(self, other: Figures) -> Figures:
        return Figures(self.charges - other.charges, self.insurance - other.insurance,
                       self.adjustments - other.adjustments, self.patient - other.patient)

    @property
    def is_zero(self) -> bool:
        return not (self.charges or self.insurance or self.adjustments or self.patient)


@dataclass(frozen=True)
class LineFigures:
    """One visit line (charge_line_id None: the account itself, payments not applied to a
    visit) as of this run: its figures, whether insurance is done with it, what payers still
    hold on it (by payer id), and whether anything was posted to it since the last
    statement."""

    charge_line_id: int | None
    encounter_id: int | None
    service_date: date | None
    last_entry_date: date
    now: Figures
    finished: bool
    pending: Mapping[int, Decimal]
    active: bool

    @property
    def balance(self) -> Decimal:
        return self.now.value


@dataclass(frozen=True)
class AccountFigures:
    """One account's statement figures over the lines in scope."""

    previous: Decimal
    activity: Figures
    balance: Decimal
    aging: tuple[Decimal, ...]
    lines: tuple[LineFigures, ...]
    payments_since: Decimal  # the patient's payments (net of refunds) since the watermark
    touched_zero: bool  # the patient's balance was at or below zero at some point since

    def check(self) -> None:
        if self.previous + self.activity.value != self.balance:  # by construction; a guard
            raise ValueError("statement figures do not add up")
        if sum(self.aging, ZERO) != self.balance:
            raise ValueError("statement aging does not add up")


@dataclass
class _Line:
    entries: list[Entry] = field(default_factory=list)


def _kind(e: Entry, kinds: Mapping[int, str]) -> str:
    """A reversal counts as the kind of entry it undoes."""
    if e.kind == REVERSAL and e.reverses_id is not None:
        return kinds.get(e.reverses_id, ADJUSTMENT)
    return e.kind


def _snapshot(entries: Sequence[Entry], through: int, kinds: Mapping[int, str],
              account: bool) -> tuple[Figures, bool, dict[int, Decimal]]:
    """The line's figures as of entry id `through`, whether it was finished then, and what
    each payer held on it."""
    held: dict[int, Decimal] = defaultdict(lambda: ZERO)  # by coverage
    by_payer: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for e in entries:
        if e.id <= through and e.coverage_id is not None:
            held[e.coverage_id] += e.amount
            if e.payer_id is not None:
                by_payer[e.payer_id] += e.amount
    held = {k: v for k, v in held.items() if v}
    full = not account and not held  # the account row holds only the patient's own entries
    cols = [ZERO, ZERO, ZERO, ZERO]
    moved_all = moved_patient = ZERO
    for e in entries:
        if e.id > through:
            continue
        mine = e.coverage_id is None
        kind = _kind(e, kinds)
        if kind == TRANSFER:
            moved_all += e.amount
            if mine:
                moved_patient += e.amount
            continue
        if full or mine:
            col = _COLUMN.get(kind, 2)
            cols[col] += e.amount if col == 0 else -e.amount
    # Same-line pairs cancel in moved_all; what is left crossed lines: the patient's credit.
    cols[3] -= moved_all
    if not full:
        cols[0] += moved_patient - moved_all  # what a payer moved to the patient
    # What payers still hold, by payer, for the note beside a pending line.
    payer_held = {k: v for k, v in by_payer.items() if v} if held else {}
    return Figures(*cols), full or account, payer_held


def account_figures(entries: Iterable[Entry], *, since: int, statement_date: date,
                    in_scope: Iterable[int | None] | None = None) -> AccountFigures:
    """The statement of one account from its entries (all of them up to this run's
    watermark): activity since entry id `since` (0: a first statement, all of history),
    over the lines `in_scope` (None: every line, a standard statement)."""
    ordered = sorted(entries, key=lambda e: e.id)
    kinds = {e.id: e.kind for e in ordered}
    lines: dict[int | None, _Line] = defaultdict(_Line)
    for e in ordered:
        lines[e.charge_line_id].entries.append(e)
    scope = set(lines) if in_scope is None else set(in_scope) & set(lines)
    through = ordered[-1].id if ordered else 0
    previous = ZERO
    activity = Figures()
    aging = [ZERO] * len(BUCKETS)
    out: list[LineFigures] = []
    for key in sorted(scope, key=lambda k: (k is None, _dos(lines[k]) or date.max, k or 0)):
        line = lines[key]
        then, _, _ = _snapshot(line.entries, since, kinds, key is None)
        now, finished, pending = _snapshot(line.entries, through, kinds, key is None)
        previous += then.value
        activity += now - then
        dos = _dos(line)
        age = max((statement_date - dos).days, 0) if dos is not None else 0
        aging[bucket_of(age)] += now.value
        out.append(LineFigures(key, line.entries[0].encounter_id, dos,
                               max(e.entry_date for e in line.entries), now, finished,
                               pending, any(e.id > since for e in line.entries)))
    paid, touched = _since(ordered, since)
    figures = AccountFigures(previous, activity, previous + activity.value, tuple(aging),
                             tuple(out), paid, touched)
    figures.check()
    return figures


def _dos(line: _Line) -> date | None:
    return next((e.service_date for e in line.entries if e.service_date is not None), None)


def _since(ordered: Sequence[Entry], since: int) -> tuple[Decimal, bool]:
    """The patient's payments since entry `since` (refunds and undone payments netted), and
    whether the patient's balance stood at zero or below after any entry since then."""
    kinds = {e.id: e.kind for e in ordered}
    running = paid = ZERO
    touched = False
    for e in ordered:
        if e.coverage_id is not None:
            continue
        running += e.amount
        if e.id <= since:
            continue
        if _kind(e, kinds) in _PAYMENTS:
            paid -= e.amount
        if running <= 0:
            touched = True
    return paid, touched


@dataclass(frozen=True)
class Level:
    """A dunning level: printed once `threshold` statements were already sent."""

    threshold: int
    message: str


def dunning_level(levels: Sequence[Level], already_sent: int) -> tuple[Level | None, bool]:
    """The level for an account already sent `already_sent` statements in its current run,
    and whether it is the final notice (the level with the highest threshold)."""
    ordered = sorted(levels, key=lambda x: x.threshold)
    chosen = None
    for level in ordered:
        if level.threshold <= already_sent:
            chosen = level
    final = chosen is not None and bool(ordered) and chosen.threshold == ordered[-1].threshold
    return chosen, final
