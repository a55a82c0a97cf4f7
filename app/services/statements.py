"""Patient statements and the collections hand-off (issue 8).

A statement run picks the accounts that owe the patient's part of the ledger, leaves out the
ones it should not bill (in collections, on hold, in credit, sent a statement too recently,
nothing finished by insurance for a remainder statement, under the minimum balance, no
mailing address), works out each statement's figures from the ledger
(app.services.statement_figures: how entries map to the summary's rows, and why the figures
always agree with `PaymentService.patient_balance`), chooses the dunning message, prints the
batch as one PDF (app.formats.statement_pdf) and records the run, every statement and the PDF
exactly as printed.

Reading and printing happen in one read transaction and outside any write lock (5,000
statements take a while to lay out; the desk keeps posting meanwhile). The run keeps the
ledger watermark it read up to, so an entry posted while it printed belongs to the next
statement, and the next statement's previous balance is this one's balance due.

A standard statement bills the patient's whole balance; what payers still hold on a visit is
printed beside its lines as information and is in no figure. A remainder statement bills only
the visits insurance has finished with (no payer holds any of their balance and no claim for
them is still in draft, ready, submitted, accepted or rejected) and payments not yet applied
to a visit; its previous balance is what those same visits owed at the last statement, so it
adds up on its own (it is not the last statement's balance due when other visits are left
out).

Dunning: an account's statements are counted in runs. The count starts again (the first
level's message) when, since the account's last statement, the patient paid at least what
that statement asked for (its amount due: the balance, or the plan installment), or the
patient's balance stood at zero or less at any moment; otherwise each statement counts one
more. The message printed is the level whose threshold is the highest at or below the number
of statements already sent; the level with the highest threshold is the final notice. An
account on a payment plan in good standing is not counted (its statement shows the
installment and no message) and never goes to collections; a plan that is not in good
standing is treated as no plan (the whole balance is due and dunning goes on).

Collections: an account whose latest statement was a final notice, printed at least
`collections_after_days` before, that still owes and is not on a plan in good standing,
is a candidate. Sending it marks the account (app.models.statements.AccountStatus) with the
agency and the balance handed over; the ledger is not touched, because the patient still
owes that balance (a pair of transfers would say someone else owes it). Accounts in
collections are left out of statement runs until recalled.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.formats.receipt_pdf import dollars
from app.formats.statement_pdf import (
    StatementAging,
    StatementClinic,
    StatementData,
    StatementLine,
    StatementPlanInstallment,
    StatementVisit,
    statement_pdf,
)
from app.models import (
    ChargeLine,
    Claim,
    Encounter,
    LedgerEntry,
    Patient,
    PatientPayment,
    Payer,
    Practice,
    ProcedureCode,
    Provider,
    ServiceLine,
)
from app.models.claims import ACCEPTED, DRAFT, READY, REJECTED, SUBMITTED
from app.models.statements import (
    IN_COLLECTIONS,
    ON_HOLD,
    REMAINDER,
    STANDARD,
    STATEMENT_KINDS,
    AccountStatus,
    DunningLevel,
    Statement,
    StatementRun,
    StatementSettings,
)
from app.models.types import utcnow
from app.services.audit import Event, append_event, append_events
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.payments import _format_phone, _practice_address
from app.services.permissions import Permission
from app.services.statement_figures import (
    AccountFigures,
    Entry,
    Level,
    LineFigures,
    account_figures,
    dunning_level,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CHUNK = 900  # ids per IN (...) list, under SQLite's bound-parameter limit
# Statements and collections are the billing office's work (billers, admins).
STATEMENTS = Permission.RUN_STATEMENTS
# A claim in one of these is still with (or on its way to) a payer: its lines are not finished.
AT_PAYER = (DRAFT, READY, SUBMITTED, ACCEPTED, REJECTED)

# A first statement's visit detail lists settled visits of this many days back (the aging's
# oldest bucket starts here); its summary still counts all of the account's history.
FIRST_STATEMENT_DETAIL_DAYS = 120

SKIP_COLLECTIONS = "in collections"
SKIP_HOLD = "on hold"
SKIP_CREDIT = "credit balance"
SKIP_RECENT = "sent too recently"
SKIP_NOTHING_FINISHED = "nothing finished by insurance"
SKIP_MINIMUM = "below the minimum balance"
SKIP_NO_ADDRESS = "no mailing address"
SKIP_LEFT_OUT = "left out by the clerk"


# --- settings ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DunningLevelData:
    """A message printed once an account was already sent `threshold` statements."""

    threshold: int
    message: str


DEFAULT_DUNNING = (
    DunningLevelData(0, ""),
    DunningLevelData(1, "Your account is past due. Please pay the balance due by the date "
                        "shown, or call us to set up a payment plan."),
    DunningLevelData(2, "Second notice: your account is seriously past due. Please pay the "
                        "balance due now, or call us today to set up a payment plan."),
    DunningLevelData(3, "FINAL NOTICE: unless the balance due is paid, or a payment plan is "
                        "agreed, by the date shown, your account will be referred to a "
                        "collection agency."),
)


@dataclass(frozen=True)
class StatementSettingsData:
    """How statement runs behave. `days_between` 0 allows a statement every run;
    `how_to_pay` lines print in the "How to pay" box (none: mail, phone and desk);
    `billing_phone` is 10 digits ("" uses the practice's phone)."""

    minimum_balance: Decimal = Decimal("5.00")
    days_between: int = 28
    due_days: int = 21
    collections_after_days: int = 30
    default_kind: str = STANDARD
    billing_phone: str = ""
    how_to_pay: tuple[str, ...] = ()
    dunning: tuple[DunningLevelData, ...] = DEFAULT_DUNNING


_RANGES = {"days_between": (0, 365, "Enter 0 to 365 days (0: no limit)."),
           "due_days": (1, 90, "Enter 1 to 90 days."),
           "collections_after_days": (0, 365, "Enter 0 to 365 days.")}


def _settings_problems(d: StatementSettingsData) -> dict[str, str]:
    problems: dict[str, str] = {}
    m = d.minimum_balance
    if (not isinstance(m, Decimal) or not m.is_finite() or m != m.quantize(CENT)
            or not ZERO <= m <= Decimal("1000.00")):
        problems["minimum_balance"] = "Enter an amount from $0.00 to $1,000.00."
    for name, (low, high, message) in _RANGES.items():
        value = getattr(d, name)
        if not isinstance(value, int) or not low <= value <= high:
            problems[name] = message
    if d.default_kind not in STATEMENT_KINDS:
        problems["default_kind"] = "Choose standard or remainder."
    if d.billing_phone and not (d.billing_phone.isdigit() and len(d.billing_phone) == 10):
        problems["billing_phone"] = "Enter the 10 digits of the billing phone, or leave it empty."
    if len(d.how_to_pay) > 6 or any(len(x) > 120 for x in d.how_to_pay):
        problems["how_to_pay"] = "Give at most 6 ways to pay, each under 120 characters."
    problems.update(_dunning_problems(d.dunning))
    return problems


def _dunning_problems(levels: Sequence[DunningLevelData]) -> dict[str, str]:
    thresholds = [x.threshold for x in levels]
    if not 1 <= len(levels) <= 10:
        return {"dunning": "Give 1 to 10 dunning levels."}
    if any(not isinstance(t, int) or not 0 <= t <= 50 for t in thresholds):
        return {"dunning": "A level applies after 0 to 50 statements already sent."}
    if len(set(thresholds)) != len(thresholds):
        return {"dunning": "Give each level its own number of statements already sent."}
    if any(len(x.message) > 600 for x in levels):
        return {"dunning": "Keep each message under 600 characters."}
    last = max(levels, key=lambda x: x.threshold)
    if last.threshold < 1 or not last.message.strip():
        return {"dunning": "The last level is the final notice: give it a message, and at "
                           "least 1 statement before it."}
    return {}


def read_statement_settings(s: Session) -> StatementSettingsData:
    """The saved settings, or the defaults for what was never saved."""
    row = s.get(StatementSettings, 1)
    levels = tuple(DunningLevelData(x.threshold, x.message) for x in s.scalars(
        select(DunningLevel).order_by(DunningLevel.threshold)))
    d = StatementSettingsData()
    if row is None:
        return d if not levels else StatementSettingsData(dunning=levels)
    return StatementSettingsData(
        row.minimum_balance, row.days_between, row.due_days, row.collections_after_days,
        row.default_kind, row.billing_phone,
        tuple(x for x in row.how_to_pay.splitlines() if x.strip()), levels or d.dunning)


# --- payment plans (app.services.plans, wired by the caller) ---------------------------------
@dataclass(frozen=True)
class PlanDue:
    """An account's payment plan as a statement shows it: the installment due now (missed
    ones included), its date, what is left on the plan, and whether the plan is in good
    standing (only then is the installment what is asked for)."""

    in_good_standing: bool
    amount_due: Decimal
    due_date: date
    plan_balance: Decimal
    plan_number: str = ""


# (the run's read session, patient ids, the day) → the plan of each of those accounts that is
# on one (the others left out). It reads in the run's own transaction, so the plans agree with
# the ledger the run read; app.services.plans.plan_dues is what answers it.
PlanLookup = Callable[[Session, Sequence[int], date], Mapping[int, PlanDue]]


def payment_plans(s: Session, patient_ids: Sequence[int], day: date) -> dict[int, PlanDue]:
    """The PlanLookup the application uses: app.services.plans, with the clinic's grace days."""
    from app.services.billing_settings import read_billing
    from app.services.plans import plan_dues

    grace = read_billing(s).plan_grace_days
    return {k: PlanDue(r.in_good_standing, r.amount_due, r.due_date, r.plan_balance, r.number)
            for k, r in plan_dues(s, patient_ids, day, grace).items()}


# --- what callers get back -------------------------------------------------------------------
@dataclass(frozen=True)
class StatementPreviewRow:
    patient_id: int
    account_number: str
    name: str
    balance_due: Decimal
    amount_due: Decimal
    dunning_level: int | None  # the threshold of the message that would print
    final_notice: bool
    on_plan: bool


@dataclass(frozen=True)
class SkippedAccount:
    """An account that owes (or is owed) something and gets no statement, and why (one of
    the SKIP_ constants)."""

    patient_id: int
    account_number: str
    name: str
    balance: Decimal  # the patient's whole balance
    reason: str
    last_statement: date | None = None


@dataclass(frozen=True)
class StatementPreview:
    statement_date: date
    kind: str
    accounts: tuple[StatementPreviewRow, ...]
    skipped: tuple[SkippedAccount, ...]

    @property
    def total(self) -> Decimal:
        return sum((a.balance_due for a in self.accounts), ZERO)


@dataclass(frozen=True)
class StatementFigures:
    """One statement of a run as printed."""

    patient_id: int
    account_number: str
    number: str
    previous_balance: Decimal
    charges: Decimal
    insurance_payments: Decimal
    adjustments: Decimal
    patient_payments: Decimal
    balance_due: Decimal
    amount_due: Decimal
    sequence: int
    dunning_level: int | None
    final_notice: bool
    message: str
    plan_installment: Decimal | None


@dataclass(frozen=True)
class StatementRunResult:
    run_id: int
    kind: str
    statement_date: date
    due_date: date
    statements: tuple[StatementFigures, ...]
    skipped: tuple[SkippedAccount, ...]
    pdf: bytes = field(default=b"", repr=False)  # the batch as printed (and recorded)

    @property
    def accounts(self) -> int:
        return len(self.statements)

    @property
    def total(self) -> Decimal:
        return sum((x.balance_due for x in self.statements), ZERO)


@dataclass(frozen=True)
class StatementRunRow:
    """A run as the list of runs shows it (no patient data)."""

    id: int
    kind: str
    statement_date: date
    due_date: date
    accounts: int
    skipped: int
    total: Decimal
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class AccountStatusRow:
    id: int
    patient_id: int
    status: str  # ON_HOLD or IN_COLLECTIONS
    reason: str
    hold_until: date | None
    agency: str
    amount: Decimal | None
    started_on: date
    created_by: str


@dataclass(frozen=True)
class HeldAccount:
    """An account on hold or in collections, as the list of them shows it."""

    patient_id: int
    account_number: str
    name: str
    status: AccountStatusRow
    balance: Decimal  # the patient's own balance now


@dataclass(frozen=True)
class CollectionsCandidate:
    patient_id: int
    account_number: str
    name: str
    balance: Decimal
    final_notice_on: date
    last_payment_on: date | None


@dataclass(frozen=True)
class CollectionsResult:
    accounts: int
    total: Decimal
    agency: str


# --- reading ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Previous:
    """An account's latest statement."""

    run_id: int
    statement_date: date
    through: int
    sequence: int
    amount_due: Decimal
    final_notice: bool


@dataclass(frozen=True)
class _Person:
    id: int
    mrn: str
    name: str  # "Last, First" for the clerk's lists
    patient_name: str  # "First Last" as printed
    mail_name: str
    address: tuple[str, ...]


@dataclass
class _Account:
    person: _Person
    figures: AccountFigures
    previous: _Previous | None
    plan: PlanDue | None
    sequence: int
    level: Level | None
    final: bool


@dataclass
class _Lookups:
    """What the visit detail names besides the entries, read in a few queries."""

    lines: dict[int, tuple[str, int]]  # charge line id → (code, encounter id)
    descriptions: dict[str, str]  # procedure code → short description
    providers: dict[int, str]  # encounter id → "Anna Smith, MD"
    payers: dict[int, str]


@dataclass
class _Prepared:
    statement_date: date
    kind: str
    due_date: date
    settings: StatementSettingsData
    through: int
    run_id: int
    accounts: list[_Account]
    skipped: list[SkippedAccount]
    lookups: _Lookups
    clinic: StatementClinic


T = TypeVar("T")


def _chunks(ids: Sequence[T]) -> Iterable[list[T]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def _patient_balances(s: Session, through: int) -> dict[int, Decimal]:
    """patient id → the patient's own balance up to entry `through` (non-zero only), in one
    pass over the partial index of the patients' entries (as the aging report reads it)."""
    q = text("SELECT patient_id, sum(amount) FROM ledger_entry "
             "INDEXED BY ix_ledger_entry_patient_aging "
             "WHERE payer_id IS NULL AND id <= :through "
             "GROUP BY patient_id HAVING sum(amount) != 0")
    # amounts are stored as integer cents (app.models.types.Cents)
    return {pid: Decimal(total).scaleb(-2) for pid, total in s.execute(q, {"through": through})}


def _live_statuses(s: Session, day: date) -> dict[int, AccountStatus]:
    """The accounts out of statement runs on `day`: in collections, or on a hold that has not
    run out."""
    out: dict[int, AccountStatus] = {}
    for row in s.scalars(select(AccountStatus).where(AccountStatus.ended_at.is_(None))):
        if row.status == IN_COLLECTIONS or row.hold_until is None or row.hold_until >= day:
            out[row.patient_id] = row
    return out


def _previous(s: Session, ids: Sequence[int]) -> dict[int, _Previous]:
    """Each account's latest statement (statements are numbered in run order)."""
    out: dict[int, _Previous] = {}
    for part in _chunks(ids):
        latest = (select(Statement.patient_id, func.max(Statement.run_id).label("run_id"))
                  .where(Statement.patient_id.in_(part)).group_by(Statement.patient_id)
                  .subquery())
        q = (select(Statement.patient_id, Statement.run_id, StatementRun.statement_date,
                    StatementRun.through_entry_id, Statement.sequence, Statement.amount_due,
                    Statement.final_notice)
             .join(latest, (latest.c.patient_id == Statement.patient_id)
                   & (latest.c.run_id == Statement.run_id))
             .join(StatementRun, StatementRun.id == Statement.run_id))
        for pid, run_id, day, through, seq, due, final in s.execute(q):
            out[pid] = _Previous(run_id, day, through, seq, due, final)
    return out


def _address(*parts: str) -> tuple[str, ...]:
    street = tuple(x for x in parts[:2] if x.strip())
    city, state, zip_code = parts[2:]
    z = f"{zip_code[:5]}-{zip_code[5:]}" if len(zip_code) == 9 else zip_code
    last = f"{city}, {state} {z}".strip(" ,") if city or state or zip_code else ""
    return (*street, last) if last else street


def _person(p: Patient) -> _Person:
    patient_name = " ".join(x for x in (p.first_name, p.last_name) if x)
    mail_name, address = patient_name, _address(p.address1, p.address2, p.city, p.state, p.zip)
    if p.guarantor_relationship != "self" and p.guarantor_last_name.strip():
        mail_name = " ".join(x for x in (p.guarantor_first_name, p.guarantor_last_name) if x)
        if p.guarantor_address1.strip():
            address = _address(p.guarantor_address1, p.guarantor_address2, p.guarantor_city,
                               p.guarantor_state, p.guarantor_zip)
    return _Person(p.id, p.mrn, f"{p.last_name}, {p.first_name}", patient_name, mail_name,
                   address)


def _people(s: Session, ids: Sequence[int]) -> dict[int, _Person]:
    out: dict[int, _Person] = {}
    for part in _chunks(ids):
        for p in s.scalars(select(Patient).where(Patient.id.in_(part),
                                                 Patient.merged_into_id.is_(None))):
            out[p.id] = _person(p)
    return out


_ENTRY_COLUMNS = (LedgerEntry.patient_id, LedgerEntry.id, LedgerEntry.kind, LedgerEntry.amount,
                  LedgerEntry.charge_line_id, LedgerEntry.encounter_id,
                  LedgerEntry.coverage_id, LedgerEntry.payer_id, LedgerEntry.service_date,
                  LedgerEntry.entry_date, LedgerEntry.reverses_id)


def _entries(s: Session, ids: Sequence[int], through: int) -> dict[int, list[Entry]]:
    """Every entry of the accounts up to `through`, a query per 900 accounts."""
    out: dict[int, list[Entry]] = defaultdict(list)
    for part in _chunks(ids):
        q = select(*_ENTRY_COLUMNS).where(LedgerEntry.patient_id.in_(part),
                                          LedgerEntry.id <= through)
        for pid, *row in s.execute(q):
            out[pid].append(Entry(*row))
    return out


def _open_claim_lines(s: Session, ids: Sequence[int]) -> set[int]:
    """Charge lines billed on a claim still with (or on its way to) a payer."""
    out: set[int] = set()
    for part in _chunks(ids):
        q = (select(ServiceLine.charge_line_id).join(Claim, Claim.id == ServiceLine.claim_id)
             .where(Claim.patient_id.in_(part), Claim.status.in_(AT_PAYER)))
        out.update(s.scalars(q))
    return out


def _lookups(s: Session, accounts: Sequence[_Account]) -> _Lookups:
    line_ids = sorted({lf.charge_line_id for a in accounts for lf in a.figures.lines
                       if lf.charge_line_id is not None})
    lines: dict[int, tuple[str, int]] = {}
    for part in _chunks(line_ids):
        for lid, code, enc in s.execute(select(ChargeLine.id, ChargeLine.code,
                                               ChargeLine.encounter_id)
                                        .where(ChargeLine.id.in_(part))):
            lines[lid] = (code, enc)
    codes = sorted({code for code, _enc in lines.values()})
    descriptions: dict[str, str] = {}
    for names in _chunks(codes):
        q = (select(ProcedureCode.code, ProcedureCode.short_description)
             .where(ProcedureCode.code.in_(names)).order_by(ProcedureCode.id))
        descriptions.update({c: d for c, d in s.execute(q) if d})
    encounters = sorted({enc for _code, enc in lines.values()})
    providers: dict[int, str] = {}
    for part in _chunks(encounters):
        who = (select(Encounter.id, Provider.first_name, Provider.last_name,
                      Provider.credential)
               .join(Provider, Provider.id == Encounter.provider_id)
               .where(Encounter.id.in_(part)))
        for eid, first, last, cred in s.execute(who):
            providers[eid] = f"{first} {last}" + (f", {cred}" if cred else "")
    payers = {pid: name for pid, name in s.execute(select(Payer.id, Payer.name))}
    return _Lookups(lines, descriptions, providers, payers)


def _clinic(s: Session, settings: StatementSettingsData) -> StatementClinic:
    practice = s.scalars(select(Practice)).first()
    if practice is None:
        raise UserError("Enter the practice's name and address (Directory) before printing "
                        "statements.")
    phone = _format_phone(practice.phone)
    billing = _format_phone(settings.billing_phone) if settings.billing_phone else phone
    address = _practice_address(practice)
    how = settings.how_to_pay or (
        f"By mail: send the stub below with your check, payable to {practice.name}.",
        f"By phone: call {billing} with your card and account number.",
        "In person: at the front desk, by cash, check or card.")
    return StatementClinic(name=practice.name, address_lines=address[-3:], phone=phone,
                           billing_phone=billing, how_to_pay=how,
                           payable_to=(practice.name, *address[-3:]), tax_id=practice.ein)


# --- the statement document ------------------------------------------------------------------
def _line(lf: LineFigures, k: _Lookups) -> StatementLine:
    if lf.charge_line_id is None:
        what = ("Payments not yet applied to a visit" if lf.balance < 0
                else "Account balance")
        day = lf.last_entry_date
    else:
        code, _enc = k.lines.get(lf.charge_line_id, ("", 0))
        what = f"{code} {k.descriptions.get(code, '')}".strip() or "Service"
        day = lf.service_date or lf.last_entry_date
        if lf.pending:  # information only: what a payer still holds is in no figure
            held = "; ".join(f"{k.payers.get(p, 'insurance')} {dollars(v)}"
                             for p, v in sorted(lf.pending.items()))
            what += f" (still with your insurance: {held})"
    n = lf.now
    return StatementLine(day, what, n.charges, n.insurance, n.adjustments, n.patient,
                         lf.balance)


def _visits(figures: AccountFigures, k: _Lookups,
            recent_from: date | None) -> tuple[StatementVisit, ...]:
    """The visits with a balance or with anything posted since the last statement (for a
    first statement: posted on or after `recent_from`, so an old patient's first statement
    does not list years of settled visits), oldest first; payments not applied to any visit
    come last."""
    groups: dict[int | None, list[LineFigures]] = defaultdict(list)
    for lf in figures.lines:
        active = lf.active and (recent_from is None or lf.last_entry_date >= recent_from)
        if lf.balance or (active and (not lf.now.is_zero or lf.pending)):
            enc = None if lf.charge_line_id is None else lf.encounter_id
            groups[enc].append(lf)
    out: list[StatementVisit] = []
    for enc, lines in groups.items():
        rows = tuple(_line(lf, k) for lf in lines)
        if enc is None:
            out.append(StatementVisit(rows[0].date, "Your account", rows))
            continue
        who = k.providers.get(enc)
        out.append(StatementVisit(min(r.date for r in rows),
                                  f"Visit with {who}" if who else "Visit", rows))
    return tuple(sorted(out, key=lambda v: (v.description == "Your account",
                                            v.date_of_service)))


def _document(a: _Account, p: _Prepared, number: str) -> StatementData:
    f = a.figures
    plan = None
    if a.plan is not None and a.plan.in_good_standing:
        plan = StatementPlanInstallment(a.plan.amount_due, a.plan.due_date,
                                        a.plan.plan_balance, a.plan.plan_number)
    person = a.person
    return StatementData(
        account_number=person.mrn, guarantor_name=person.mail_name,
        mailing_address=person.address[-4:], statement_date=p.statement_date,
        due_date=p.due_date, previous_balance=f.previous, charges=f.activity.charges,
        insurance_payments=f.activity.insurance, adjustments=f.activity.adjustments,
        patient_payments=f.activity.patient, balance_due=f.balance,
        aging=StatementAging.from_buckets(f.aging),
        visits=_visits(f, p.lookups, None if a.previous else
                       p.statement_date - timedelta(days=FIRST_STATEMENT_DETAIL_DAYS)),
        kind=p.kind, patient_name=person.patient_name, plan=plan,
        dunning_message=a.level.message if a.level is not None else "",
        statement_number=number)


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _pack(value: object) -> bytes:
    return zlib.compress(json.dumps(asdict(value), default=_json_default,  # type: ignore[call-overload]
                                    separators=(",", ":")).encode())


def _unpack_statement(blob: bytes) -> StatementData:
    """A stored statement back as the data it was printed from."""
    d = json.loads(zlib.decompress(blob))
    day, money = date.fromisoformat, Decimal

    def line(x: dict[str, Any]) -> StatementLine:
        return StatementLine(day(x["date"]), x["description"], money(x["charges"]),
                             money(x["insurance_paid"]), money(x["adjustments"]),
                             money(x["patient_paid"]), money(x["balance"]))

    visits = tuple(StatementVisit(day(v["date_of_service"]), v["description"],
                                  tuple(line(x) for x in v["lines"])) for v in d["visits"])
    a = d["aging"]
    aging = StatementAging(*(money(a[k]) for k in ("current", "days_31_60", "days_61_90",
                                                    "days_91_120", "over_120")))
    pl = d["plan"]
    plan = None if pl is None else StatementPlanInstallment(
        money(pl["amount_due"]), day(pl["due_date"]), money(pl["plan_balance"]),
        pl["plan_number"])
    return StatementData(
        account_number=d["account_number"], guarantor_name=d["guarantor_name"],
        mailing_address=tuple(d["mailing_address"]), statement_date=day(d["statement_date"]),
        due_date=day(d["due_date"]), previous_balance=money(d["previous_balance"]),
        charges=money(d["charges"]), insurance_payments=money(d["insurance_payments"]),
        adjustments=money(d["adjustments"]), patient_payments=money(d["patient_payments"]),
        balance_due=money(d["balance_due"]), aging=aging, visits=visits, kind=d["kind"],
        patient_name=d["patient_name"], plan=plan, dunning_message=d["dunning_message"],
        statement_number=d["statement_number"])


def _unpack_clinic(raw: str) -> StatementClinic:
    d = json.loads(raw)
    return StatementClinic(d["name"], tuple(d["address_lines"]), d["phone"],
                           d["billing_phone"], tuple(d["how_to_pay"]), tuple(d["payable_to"]),
                           d["tax_id"])


def _figures(a: _Account, number: str, data: StatementData) -> StatementFigures:
    return StatementFigures(
        a.person.id, a.person.mrn, number, data.previous_balance, data.charges,
        data.insurance_payments, data.adjustments, data.patient_payments, data.balance_due,
        data.amount_due, a.sequence, a.level.threshold if a.level is not None else None,
        a.final, data.dunning_message,
        data.plan.amount_due if data.plan is not None else None)


def _status_row(x: AccountStatus) -> AccountStatusRow:
    return AccountStatusRow(x.id, x.patient_id, x.status, x.reason, x.hold_until, x.agency,
                            x.amount, x.started_on, x.created_by)


# --- the service -----------------------------------------------------------------------------
class StatementService:
    """Statement runs (preview, run, re-print), statement settings, account holds and the
    collections hand-off. `plans` tells which accounts are on a payment plan and what is due
    (app.services.plans); without it no account is on a plan."""

    def __init__(self, db: Database, ctx: UserContext, *,
                 plans: PlanLookup | None = None) -> None:
        self._db = db
        self._ctx = ctx
        self._plans = plans

    # --- settings ---------------------------------------------------------------------------
    def settings(self) -> StatementSettingsData:
        """The statement settings (defaults for what was never saved)."""
        self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            return read_statement_settings(s)

    def save_settings(self, data: StatementSettingsData) -> StatementSettingsData:
        """Save the statement settings and dunning levels (administrators); audited."""
        user = self._ctx.require(Permission.MANAGE_SETTINGS)
        data = StatementSettingsData(
            data.minimum_balance, data.days_between, data.due_days, data.collections_after_days,
            data.default_kind, data.billing_phone.strip(),
            tuple(x.strip() for x in data.how_to_pay if x.strip()),
            tuple(sorted((DunningLevelData(x.threshold, x.message.strip())
                          for x in data.dunning), key=lambda x: x.threshold)))
        if problems := _settings_problems(data):
            raise ValidationError(problems, "statement settings")
        with self._db.session() as s:
            row = s.get(StatementSettings, 1) or StatementSettings(id=1)
            row.minimum_balance, row.days_between = data.minimum_balance, data.days_between
            row.due_days, row.collections_after_days = data.due_days, data.collections_after_days
            row.default_kind, row.billing_phone = data.default_kind, data.billing_phone
            row.how_to_pay = "\n".join(data.how_to_pay)
            row.updated_by, row.updated_at = user.username, utcnow()
            s.add(row)
            for old in s.scalars(select(DunningLevel)):
                s.delete(old)
            s.flush()
            s.add_all(DunningLevel(threshold=x.threshold, message=x.message)
                      for x in data.dunning)
            append_event(s, user, "settings.update",
                         details={"fields": ["statements"], "dunning_levels": len(data.dunning)})
        return data

    # --- statement runs -----------------------------------------------------------------------
    def preview(self, statement_date: date, kind: str | None = None, *,
                patient_ids: Sequence[int] | None = None,
                exclude: Iterable[int] = ()) -> StatementPreview:
        """Which accounts a run on `statement_date` would bill and what, and which are left
        out and why (accounts with a non-zero patient balance only). Writes nothing but the
        audit event (it lists patients)."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            p = self._prepare(s, statement_date, kind, patient_ids, exclude)
            append_event(s, user, "statement.preview", details={
                "kind": p.kind, "accounts": len(p.accounts), "skipped": len(p.skipped)})
        rows = tuple(StatementPreviewRow(
            a.person.id, a.person.mrn, a.person.name, a.figures.balance, _amount_due(a),
            a.level.threshold if a.level else None, a.final,
            a.plan is not None and a.plan.in_good_standing) for a in p.accounts)
        return StatementPreview(p.statement_date, p.kind, rows, tuple(p.skipped))

    def run(self, statement_date: date, kind: str | None = None, *,
            patient_ids: Sequence[int] | None = None,
            exclude: Iterable[int] = ()) -> StatementRunResult:
        """Print statements dated `statement_date` ("standard": the patient's whole balance;
        "remainder": only visits insurance has finished with; None: the settings' default)
        for every account that should get one (or only `patient_ids`, less `exclude`), as
        one PDF, and record the run, each statement and the PDF as printed. Audited: the run
        with its counts, and a "statement.sent" event per account."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            p = self._prepare(s, statement_date, kind, patient_ids, exclude)
        if not p.accounts:
            raise UserError("No account needs a statement on this date; nothing was printed. "
                            "Preview the run to see why each account was left out.")
        numbers = [f"{p.run_id}-{n:05d}" for n in range(1, len(p.accounts) + 1)]
        documents = [_document(a, p, n) for a, n in zip(p.accounts, numbers, strict=True)]
        pdf = statement_pdf(documents, p.clinic)
        with self._db.session() as s:
            self._record(s, user, p, numbers, documents, pdf)
        return StatementRunResult(
            p.run_id, p.kind, p.statement_date, p.due_date,
            tuple(_figures(a, n, d) for a, n, d in zip(p.accounts, numbers, documents,
                                                         strict=True)),
            tuple(p.skipped), pdf)

    def _prepare(self, s: Session, statement_date: date, kind: str | None,
                 patient_ids: Sequence[int] | None, exclude: Iterable[int]) -> _Prepared:
        if not isinstance(statement_date, date):
            raise UserError("Enter the statement date.")
        settings = read_statement_settings(s)
        kind = kind or settings.default_kind
        if kind not in STATEMENT_KINDS:
            raise UserError("Choose a standard or a remainder statement.")
        last = s.scalar(select(func.max(StatementRun.statement_date)))
        if last is not None and statement_date < last:
            raise UserError(f"Statements were already run for {last:%m/%d/%Y}; date this run "
                            "on that day or later.")
        through = s.scalar(select(func.max(LedgerEntry.id))) or 0
        balances = _patient_balances(s, through)
        if patient_ids is not None:
            wanted = set(patient_ids)
            balances = {k: v for k, v in balances.items() if k in wanted}
        p = _Prepared(statement_date, kind, statement_date + timedelta(days=settings.due_days),
                      settings, through, (s.scalar(select(func.max(StatementRun.id))) or 0) + 1,
                      [], [], _Lookups({}, {}, {}, {}), _clinic(s, settings))
        self._choose(s, p, balances, set(exclude))
        p.lookups = _lookups(s, p.accounts)
        return p

    def _choose(self, s: Session, p: _Prepared, balances: dict[int, Decimal],
                exclude: set[int]) -> None:
        """Fill `p.accounts` and `p.skipped` from the accounts with a patient balance."""
        ids = sorted(balances)
        people = _people(s, ids)
        statuses = _live_statuses(s, p.statement_date)
        previous = _previous(s, ids)
        days = p.settings.days_between
        left: list[int] = []
        for pid in ids:
            if pid not in people:
                continue  # merged into another record: its entries moved with it
            prev = previous.get(pid)
            reason = ""
            if pid in exclude:
                reason = SKIP_LEFT_OUT
            elif pid in statuses:
                reason = SKIP_COLLECTIONS if statuses[pid].status == IN_COLLECTIONS else SKIP_HOLD
            elif balances[pid] < 0:
                reason = SKIP_CREDIT
            elif prev is not None and (p.statement_date - prev.statement_date).days < days:
                reason = SKIP_RECENT
            if reason:
                self._skip(p, people[pid], balances[pid], reason, prev)
            else:
                left.append(pid)
        entries = _entries(s, left, p.through)
        open_lines = _open_claim_lines(s, left) if p.kind == REMAINDER else set()
        plans = self._plans(s, left, p.statement_date) if self._plans and left else {}
        for pid in left:
            self._consider(p, people[pid], entries.get(pid, []), previous.get(pid),
                           plans.get(pid), open_lines, balances[pid])

    @staticmethod
    def _skip(p: _Prepared, person: _Person, balance: Decimal, reason: str,
              prev: _Previous | None) -> None:
        p.skipped.append(SkippedAccount(person.id, person.mrn, person.name, balance, reason,
                                        prev.statement_date if prev else None))

    def _consider(self, p: _Prepared, person: _Person, entries: list[Entry],
                  prev: _Previous | None, plan: PlanDue | None, open_lines: set[int],
                  balance: Decimal) -> None:
        since = prev.through if prev is not None else 0
        scope: set[int | None] | None = None
        if p.kind == REMAINDER:
            whole = account_figures(entries, since=since, statement_date=p.statement_date)
            scope = {lf.charge_line_id for lf in whole.lines
                     if lf.charge_line_id is None
                     or (lf.finished and lf.charge_line_id not in open_lines)}
        figures = account_figures(entries, since=since, statement_date=p.statement_date,
                                  in_scope=scope)
        reason = ""
        if figures.balance <= 0:
            reason = SKIP_NOTHING_FINISHED if p.kind == REMAINDER else SKIP_CREDIT
        elif figures.balance < p.settings.minimum_balance:
            reason = SKIP_MINIMUM
        elif not person.address:
            reason = SKIP_NO_ADDRESS
        if reason:
            self._skip(p, person, balance, reason, prev)
            return
        on_plan = plan is not None and plan.in_good_standing
        sequence = 0 if on_plan else _sequence(prev, figures)
        level, final = (None, False) if on_plan else dunning_level(
            [Level(x.threshold, x.message) for x in p.settings.dunning], sequence - 1)
        p.accounts.append(_Account(person, figures, prev, plan, sequence, level, final))

    @staticmethod
    def _record(s: Session, user: CurrentUser, p: _Prepared, numbers: list[str],
                documents: list[StatementData], pdf: bytes) -> None:
        total = sum((d.balance_due for d in documents), ZERO)
        params = {"minimum_balance": str(p.settings.minimum_balance),
                  "days_between": p.settings.days_between, "due_days": p.settings.due_days,
                  "dunning": [[x.threshold, x.message] for x in p.settings.dunning]}
        s.add(StatementRun(id=p.run_id, kind=p.kind, statement_date=p.statement_date,
                           due_date=p.due_date, run_on=date.today(), through_entry_id=p.through,
                           accounts=len(documents), skipped=len(p.skipped), total=total,
                           parameters=json.dumps(params), clinic=json.dumps(asdict(p.clinic)),
                           pdf=pdf, created_by=user.username))
        try:
            s.flush()
        except IntegrityError:
            raise UserError("Another statement run was saved at the same time; run the "
                            "statements again.") from None
        rows = []
        for a, number, d in zip(p.accounts, numbers, documents, strict=True):
            rows.append(dict(
                run_id=p.run_id, patient_id=a.person.id, number=number,
                account_number=a.person.mrn, previous_balance=d.previous_balance,
                charges=d.charges, insurance_payments=d.insurance_payments,
                adjustments=d.adjustments, patient_payments=d.patient_payments,
                balance_due=d.balance_due, amount_due=d.amount_due, sequence=a.sequence,
                dunning_level=a.level.threshold if a.level is not None else None,
                final_notice=a.final, message=d.dunning_message,
                plan_installment=d.plan.amount_due if d.plan is not None else None,
                plan_due_date=d.plan.due_date if d.plan is not None else None,
                document=_pack(d)))
        s.execute(insert(Statement), rows)
        append_event(s, user, "statement.run", entity="statement_run", entity_id=p.run_id,
                     details={"kind": p.kind, "accounts": len(documents),
                              "skipped": len(p.skipped), "total": str(total),
                              "final_notices": sum(a.final for a in p.accounts)})
        append_events(s, user, [Event("statement.sent", "statement_run", p.run_id,
                                      a.person.id) for a in p.accounts])

    # --- the record of runs -------------------------------------------------------------------
    def runs(self, limit: int = 100) -> list[StatementRunRow]:
        """The latest runs, newest first (who, when, how many, how much)."""
        self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            q = (select(StatementRun.id, StatementRun.kind, StatementRun.statement_date,
                        StatementRun.due_date, StatementRun.accounts, StatementRun.skipped,
                        StatementRun.total, StatementRun.created_by, StatementRun.created_at)
                 .order_by(StatementRun.id.desc()).limit(limit))
            return [StatementRunRow(*row) for row in s.execute(q)]

    def run_statements(self, run_id: int) -> list[StatementFigures]:
        """Every statement of a run as printed (audited: it lists accounts)."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            self._run(s, run_id)
            rows = self._statements(s, select(Statement).where(Statement.run_id == run_id)
                                    .order_by(Statement.id))
            append_event(s, user, "statement.run.view", entity="statement_run",
                         entity_id=run_id, details={"accounts": len(rows)})
            return rows

    def account_statements(self, patient_id: int) -> list[StatementFigures]:
        """The statements an account was sent, oldest first (audited)."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            rows = self._statements(s, select(Statement).where(Statement.patient_id ==
                                                               patient_id)
                                    .order_by(Statement.run_id))
            append_event(s, user, "statement.history", entity="patient", entity_id=patient_id,
                         patient_id=patient_id, details={"statements": len(rows)})
            return rows

    @staticmethod
    def _statements(s: Session, q: Select[Any]) -> list[StatementFigures]:
        return [StatementFigures(
            x.patient_id, x.account_number, x.number, x.previous_balance, x.charges,
            x.insurance_payments, x.adjustments, x.patient_payments, x.balance_due,
            x.amount_due, x.sequence, x.dunning_level, x.final_notice, x.message,
            x.plan_installment) for x in s.scalars(q)]

    @staticmethod
    def _run(s: Session, run_id: int) -> StatementRun:
        run = s.get(StatementRun, run_id)
        if run is None:
            raise UserError("That statement run no longer exists; refresh the list of runs.")
        return run

    def run_pdf(self, run_id: int) -> bytes:
        """The batch exactly as it was printed (audited as a re-print)."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            run = self._run(s, run_id)
            append_event(s, user, "statement.reprint", entity="statement_run", entity_id=run.id,
                         details={"accounts": run.accounts})
            return bytes(run.pdf)

    def statement_pdf_for(self, run_id: int, patient_id: int) -> bytes:
        """One account's statement of a run, printed again from what was printed then
        (audited as a re-print for that patient)."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            run = self._run(s, run_id)
            st = s.scalars(select(Statement).where(Statement.run_id == run_id,
                                                   Statement.patient_id == patient_id)
                           .order_by(Statement.id)).first()
            if st is None:
                raise UserError("This account got no statement in that run.")
            data, clinic = _unpack_statement(st.document), _unpack_clinic(run.clinic)
            append_event(s, user, "statement.reprint", entity="statement_run",
                         entity_id=run.id, patient_id=patient_id, details={"accounts": 1})
        return statement_pdf([data], clinic)

    # --- holds --------------------------------------------------------------------------------
    def account_status(self, patient_id: int) -> AccountStatusRow | None:
        """The account's hold or collections status, if it has one in force today."""
        self._ctx.require(Permission.VIEW_LEDGER)
        with self._db.session() as s:
            row = _live_statuses_of(s, patient_id, date.today())
            return _status_row(row) if row is not None else None

    def hold(self, patient_id: int, reason: str, until: date | None = None) -> AccountStatusRow:
        """Keep the account out of statement runs (until `until`, or until released). A new
        hold replaces one already there. Audited (the reason is not: it may name the
        patient's circumstances)."""
        user = self._ctx.require(STATEMENTS)
        reason = reason.strip()
        problems: dict[str, str] = {}
        if not reason or len(reason) > 200:
            problems["reason"] = "Say why the account is on hold (under 200 characters)."
        if until is not None and until < date.today():
            problems["until"] = "Choose a day from today on, or no end date."
        if problems:
            raise ValidationError(problems, "hold")
        with self._db.session() as s:
            _patient(s, patient_id)
            for old in _live(s, patient_id):
                if old.status == IN_COLLECTIONS:
                    raise UserError("This account is in collections; recall it from "
                                    "collections first.")
                _end(old, user, "Replaced by a new hold.")
            row = AccountStatus(patient_id=patient_id, status=ON_HOLD, reason=reason,
                                hold_until=until, started_on=date.today(),
                                created_by=user.username)
            s.add(row)
            s.flush()
            append_event(s, user, "account.hold", entity="account_status", entity_id=row.id,
                         patient_id=patient_id,
                         details={"until": until.isoformat() if until else None})
            return _status_row(row)

    def held_accounts(self) -> list[HeldAccount]:
        """Every account on hold (an ended hold left out) or in collections today, by
        account number, with what it owes now (audited: it lists patients)."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            statuses = _live_statuses(s, date.today())
            ids = sorted(statuses)
            people, owed = _people(s, ids), _balances_of(s, ids)
            rows = [HeldAccount(k, people[k].mrn, people[k].name, _status_row(statuses[k]),
                                owed.get(k, ZERO)) for k in ids if k in people]
            append_event(s, user, "account.holds.view", details={"accounts": len(rows)})
        return sorted(rows, key=lambda r: r.account_number)

    def release(self, patient_id: int) -> None:
        """End the account's hold: it gets statements again."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            _patient(s, patient_id)
            holds = [x for x in _live(s, patient_id) if x.status == ON_HOLD]
            if not holds:
                raise UserError("This account is not on hold.")
            for old in holds:
                _end(old, user, "Released.")
            append_event(s, user, "account.release", entity="account_status",
                         entity_id=holds[0].id, patient_id=patient_id)

    # --- collections --------------------------------------------------------------------------
    def collections_candidates(self, as_of: date | None = None) -> list[CollectionsCandidate]:
        """Accounts sent a final notice at least `collections_after_days` before `as_of`
        (today) that still owe, are not on hold, in collections or on a plan in good
        standing; by account number (audited: it lists patients)."""
        user = self._ctx.require(STATEMENTS)
        as_of = as_of or date.today()
        with self._db.session() as s:
            rows = self._candidates(s, as_of)
            append_event(s, user, "collections.candidates",
                         details={"as_of": as_of.isoformat(), "accounts": len(rows)})
            return rows

    def _candidates(self, s: Session, as_of: date) -> list[CollectionsCandidate]:
        after = read_statement_settings(s).collections_after_days
        latest = (select(Statement.patient_id, func.max(Statement.run_id).label("run_id"))
                  .group_by(Statement.patient_id).subquery())
        q = (select(Statement.patient_id, StatementRun.statement_date)
             .join(latest, (latest.c.patient_id == Statement.patient_id)
                   & (latest.c.run_id == Statement.run_id))
             .join(StatementRun, StatementRun.id == Statement.run_id)
             .where(Statement.final_notice.is_(True),
                    StatementRun.statement_date <= as_of - timedelta(days=after)))
        noticed = {pid: day for pid, day in s.execute(q)}
        statuses = _live_statuses(s, as_of)
        ids = sorted(k for k in noticed if k not in statuses)
        owed = _balances_of(s, ids)
        ids = [k for k in ids if owed.get(k, ZERO) > 0]
        plans = self._plans(s, ids, as_of) if self._plans and ids else {}
        ids = [k for k in ids if not (k in plans and plans[k].in_good_standing)]
        people = _people(s, ids)
        paid = _last_payments(s, ids)
        out = [CollectionsCandidate(k, people[k].mrn, people[k].name, owed[k], noticed[k],
                                    paid.get(k)) for k in ids if k in people]
        return sorted(out, key=lambda r: r.account_number)

    def export_collections(self, patient_ids: Sequence[int]) -> str:
        """The accounts as CSV for a collection agency: account number, names, mailing
        address, phone, date of birth, balance, last payment and last statement dates.
        Audited as an export of patient data (counts only)."""
        user = self._ctx.require(STATEMENTS)
        ids = _unique_ids(patient_ids)
        with self._db.session() as s:
            patients = {p.id: p for part in _chunks(ids) for p in s.scalars(
                select(Patient).where(Patient.id.in_(part), Patient.merged_into_id.is_(None)))}
            if len(patients) != len(ids):
                raise UserError("Some of the accounts chosen no longer exist; refresh the list "
                                "of candidates.")
            owed = _balances_of(s, ids)
            if any(owed.get(k, ZERO) <= 0 for k in ids):
                raise UserError("Some of the accounts chosen owe nothing now; refresh the list "
                                "of candidates.")
            paid = _last_payments(s, ids)
            stated = {k: v.statement_date for k, v in _previous(s, ids).items()}
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            w.writerow(COLLECTIONS_COLUMNS)
            for k in ids:
                w.writerow(_collections_row(patients[k], owed[k], paid.get(k), stated.get(k)))
            append_event(s, user, "collections.export", details={
                "accounts": len(ids), "total": str(sum((owed[k] for k in ids), ZERO))})
        return out.getvalue()

    def send_to_collections(self, patient_ids: Sequence[int], agency: str) -> CollectionsResult:
        """Mark the accounts as sent to `agency` with the balance each owes now (the ledger
        is unchanged: the patient still owes it). They get no more statements until
        recalled. Refused, changing nothing, for an account that owes nothing, is on hold or
        is already in collections. Audited per account."""
        user = self._ctx.require(STATEMENTS)
        agency = agency.strip()
        if not agency or len(agency) > 60:
            raise ValidationError({"agency": "Enter the collection agency's name (up to 60 "
                                             "characters)."}, "collections hand-off")
        ids = _unique_ids(patient_ids)
        today = date.today()
        with self._db.session() as s:
            people = _people(s, ids)
            if len(people) != len(ids):
                raise UserError("Some of the accounts chosen no longer exist; refresh the list "
                                "of candidates.")
            owed = _balances_of(s, ids)
            if n := sum(owed.get(k, ZERO) <= 0 for k in ids):
                raise UserError(f"{n} of the accounts chosen owe nothing now; refresh the list "
                                "of candidates. Nothing was sent.")
            live = {k: _live(s, k) for k in ids}
            for k in ids:
                for old in live[k]:
                    if old.status == IN_COLLECTIONS:
                        raise UserError("One of the accounts chosen is already in collections; "
                                        "refresh the list. Nothing was sent.")
                    if old.hold_until is None or old.hold_until >= today:
                        raise UserError("One of the accounts chosen is on hold; release it "
                                        "first or leave it out. Nothing was sent.")
            events = []
            for k in ids:
                for old in live[k]:
                    _end(old, user, "The hold had run out.")
                row = AccountStatus(patient_id=k, status=IN_COLLECTIONS, agency=agency,
                                    amount=owed[k], started_on=today, created_by=user.username)
                s.add(row)
                s.flush()
                events.append(Event("collections.send", "account_status", row.id, k,
                                    {"agency": agency, "amount": str(owed[k])}))
            append_events(s, user, events)
            return CollectionsResult(len(ids), sum((owed[k] for k in ids), ZERO), agency)

    def recall_from_collections(self, patient_id: int, note: str = "") -> None:
        """Take the account back from the agency: it gets statements again."""
        user = self._ctx.require(STATEMENTS)
        with self._db.session() as s:
            _patient(s, patient_id)
            rows = [x for x in _live(s, patient_id) if x.status == IN_COLLECTIONS]
            if not rows:
                raise UserError("This account is not in collections.")
            for row in rows:
                _end(row, user, note.strip()[:200] or "Recalled from collections.")
            append_event(s, user, "collections.recall", entity="account_status",
                         entity_id=rows[0].id, patient_id=patient_id,
                         details={"amount": str(rows[0].amount)})


# --- small helpers ---------------------------------------------------------------------------
COLLECTIONS_COLUMNS = ("account_number", "last_name", "first_name", "responsible_party",
                       "address1", "address2", "city", "state", "zip", "phone",
                       "date_of_birth", "balance", "last_payment_date", "last_statement_date")


def _collections_row(p: Patient, balance: Decimal, paid: date | None,
                     stated: date | None) -> list[str]:
    person = _person(p)
    guarantor = p.guarantor_relationship != "self" and p.guarantor_last_name.strip()
    street = ((p.guarantor_address1, p.guarantor_address2, p.guarantor_city,
               p.guarantor_state, p.guarantor_zip)
              if guarantor and p.guarantor_address1.strip()
              else (p.address1, p.address2, p.city, p.state, p.zip))
    phone = (p.guarantor_phone if guarantor and p.guarantor_phone
             else p.phone or p.mobile_phone)
    return [p.mrn, p.last_name, p.first_name, person.mail_name, *street, phone,
            p.dob.isoformat(), str(balance), paid.isoformat() if paid else "",
            stated.isoformat() if stated else ""]


def _unique_ids(patient_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(patient_ids))
    if not ids:
        raise UserError("Choose at least one account.")
    return ids


def _patient(s: Session, patient_id: int) -> Patient:
    p = s.get(Patient, patient_id)
    if p is None or p.merged_into_id is not None:
        raise UserError("That patient no longer exists; search again.")
    return p


def _live(s: Session, patient_id: int) -> list[AccountStatus]:
    return list(s.scalars(select(AccountStatus).where(AccountStatus.patient_id == patient_id,
                                                      AccountStatus.ended_at.is_(None))))


def _live_statuses_of(s: Session, patient_id: int, day: date) -> AccountStatus | None:
    for row in _live(s, patient_id):
        if row.status == IN_COLLECTIONS or row.hold_until is None or row.hold_until >= day:
            return row
    return None


def _end(row: AccountStatus, user: CurrentUser, note: str) -> None:
    row.ended_at, row.ended_by, row.end_note = utcnow(), user.username, note


def _balances_of(s: Session, ids: Sequence[int]) -> dict[int, Decimal]:
    """patient id → the patient's own balance now."""
    out: dict[int, Decimal] = {}
    for part in _chunks(ids):
        q = (select(LedgerEntry.patient_id, func.sum(LedgerEntry.amount))
             .where(LedgerEntry.patient_id.in_(part), LedgerEntry.coverage_id.is_(None))
             .group_by(LedgerEntry.patient_id))
        out.update({pid: total or ZERO for pid, total in s.execute(q)})
    return out


def _last_payments(s: Session, ids: Sequence[int]) -> dict[int, date]:
    out: dict[int, date] = {}
    for part in _chunks(ids):
        q = (select(PatientPayment.patient_id, func.max(PatientPayment.received_on))
             .where(PatientPayment.patient_id.in_(part)).group_by(PatientPayment.patient_id))
        out.update({pid: day for pid, day in s.execute(q)})
    return out


def _amount_due(a: _Account) -> Decimal:
    """What the statement asks for (StatementData.amount_due): the installment when on a plan
    in good standing, else the balance."""
    if a.plan is not None and a.plan.in_good_standing:
        return min(a.plan.amount_due, a.figures.balance)
    return a.figures.balance


def _sequence(prev: _Previous | None, figures: AccountFigures) -> int:
    """This statement's place in the account's run of unpaid statements: 1 when it starts
    again (no statement before, the last one on a plan, the patient paid what it asked for,
    or the balance was cleared at some point since), else one more than the last."""
    if prev is None or prev.sequence == 0:
        return 1
    if figures.payments_since >= prev.amount_due or figures.touched_zero:
        return 1
    return prev.sequence + 1


__all__ = ["AccountStatusRow", "CollectionsCandidate", "CollectionsResult", "DunningLevelData",
           "HeldAccount", "PlanDue", "PlanLookup", "SkippedAccount", "StatementFigures",
           "StatementPreview", "StatementPreviewRow", "StatementRunResult", "StatementRunRow",
           "StatementService", "StatementSettingsData", "read_statement_settings"]
