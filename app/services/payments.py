"""Money in at the desk and on paper: paper EOBs posted like an 835, patient payments with
receipts, refunds and transfers of a patient's credit, write-offs, and the patient ledger in
words (DESIGN.md §3).

Every figure here is a sum of ledger entries (app.models.ledger); nothing stores a balance.
"Who owes" an entry is its bucket: a coverage (and its payer), or the patient (both NULL).
A payment the patient makes beyond what they owe is an entry with no charge line: an
account credit, which a transfer later moves onto a visit or a refund pays back.

A paper EOB is turned into the 835 dataclasses (005010X221A1 loops 2100 CLP / 2110 SVC, with
REF*6R set to our line control number so each grid row matches its line exactly) and posted
by the same `CheckPoster` as an ERA, so denials, patient responsibility moving on, secondary
claims and underpayments behave the same whichever way the payer told us.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Executable, func, select
from sqlalchemy.orm import Session, aliased

from app.errors import UserError, ValidationError
from app.formats import adjustment_codes as codes
from app.formats.day_sheet_pdf import KIND_LABELS
from app.formats.receipt_pdf import ReceiptData, receipt_pdf
from app.formats.x12 import x835
from app.models import (
    AdjustmentCode,
    ChargeLine,
    Claim,
    Denial,
    LedgerEntry,
    Patient,
    PatientPayment,
    Payer,
    Practice,
    Remittance,
    ServiceLine,
    WorkItem,
)
from app.models.claims import DRAFT, READY
from app.models.ledger import PATIENT_PAYMENT, REFUND, REVERSAL, TRANSFER, WRITE_OFF
from app.models.payments import PAPER_EOB
from app.models.types import utcnow
from app.models.work import DONE, OPEN, WAITING
from app.services.audit import append_event
from app.services.billing_settings import read_billing
from app.services.claims import claim_number, line_control_number, split_modifiers
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.ledger import (
    PATIENT,
    Bucket,
    line_buckets,
    post_entry,
    posting_date,
    reverse,
)
from app.services.permissions import Permission
from app.services.remit_match import CheckPlan, plan_check
from app.services.remit_posting import CheckPoster, CheckResult

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
METHODS = ("cash", "check", "card")
GROUPS = ("CO", "PR", "OA", "PI", "CR")
EOB_STATUSES = ("1", "2", "3", "4", "22")
OLDEST = "oldest"
PATIENT_LABEL = "Patient"
_LAST4 = re.compile(r"[0-9]{4}")
_CHECK_NO = re.compile(r"[A-Za-z0-9-]{1,12}")  # 13+ digits would look like a card number
_CODE = re.compile(r"[A-Z0-9]{1,5}")
Apply = str | Sequence[tuple[int, Decimal]]  # "oldest", or (charge line id, amount) pairs


# --- what callers pass and get back --------------------------------------------------------
@dataclass(frozen=True)
class EobLine:
    """One grid row of a paper EOB: our service line and what the payer said about it.
    `adjustments` are (group, reason, amount) as printed (CO/PR/OA/PI/CR, CARC, dollars; a
    positive amount reduces the payment); `remarks` are RARC codes."""

    service_line_id: int
    allowed: Decimal | None
    paid: Decimal
    adjustments: tuple[tuple[str, str, Decimal], ...] = ()
    remarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class EobClaim:
    """One claim on a paper EOB: CLP02 status (1/2/3 processed as primary/secondary/
    tertiary, 4 denied, 22 reversal of an earlier payment, amounts then negative)."""

    claim_id: int
    status: str = "1"
    payer_claim_number: str = ""
    lines: tuple[EobLine, ...] = ()


@dataclass(frozen=True)
class EobProviderAdjustment:
    """Money on the check that belongs to no claim (835 PLB): reason (WO, L6, FB…), the
    payer's reference, amount (positive: taken from the check; negative: added, e.g. L6
    interest)."""

    reason: str
    reference: str
    amount: Decimal


@dataclass(frozen=True)
class EobData:
    """A paper check and its EOB: `payer_id` is our Payer.id."""

    payer_id: int
    check_number: str
    check_date: date
    amount: Decimal
    claims: tuple[EobClaim, ...] = ()
    provider_adjustments: tuple[EobProviderAdjustment, ...] = ()


@dataclass(frozen=True)
class EobGridRow:
    """A starting row of the EOB grid: one line of the claim, with what its payer still owes
    on it."""

    service_line_id: int
    line_no: int
    dos: date
    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Applied:
    """Part of a payment, refund or transfer on one visit line; `charge_line_id` None is the
    account itself (an unapplied credit)."""

    charge_line_id: int | None
    encounter_id: int | None
    dos: date | None
    code: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentResult:
    payment_id: int
    receipt_number: str
    amount: Decimal
    applied: tuple[Applied, ...]  # to visits, oldest first
    credit: Decimal  # left on the account
    balance_after: Decimal  # what the patient owes now (negative: a credit)


@dataclass(frozen=True)
class PatientBalance:
    """What a patient owes (`lines`: visit lines with a patient balance, oldest first).
    `insurance` and `account_total` are None for a user who may take payments but not see
    the ledger (the front desk)."""

    patient_id: int
    account_number: str
    owes: Decimal  # sum of the positive patient balances
    credit: Decimal  # sum of the patient's credits (account and visit lines), as positive
    patient: Decimal  # owes − credit
    lines: tuple[Applied, ...]
    insurance: Decimal | None = None
    account_total: Decimal | None = None


@dataclass(frozen=True)
class RefundResult:
    amount: Decimal
    taken_from: tuple[Applied, ...]
    credit_left: Decimal
    balance_after: Decimal


@dataclass(frozen=True)
class SmallBalanceRow:
    patient_id: int
    account_number: str
    encounter_id: int
    dos: date
    amount: Decimal


@dataclass(frozen=True)
class SmallBalanceRun:
    dry_run: bool
    limit: Decimal
    rows: tuple[SmallBalanceRow, ...]

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), ZERO)


@dataclass(frozen=True)
class LedgerLine:
    """One entry of the patient ledger as the clerk reads it."""

    entry_id: int
    entry_date: date
    kind: str
    kind_label: str
    description: str
    encounter_id: int | None
    dos: date | None
    code: str
    owed_by: str  # the payer's name, or "Patient"
    amount: Decimal
    balance: Decimal  # running balance of the account after this entry
    charge_line_id: int | None = None  # the visit line (None: the account itself)
    coverage_id: int | None = None  # who owes it (None: the patient)


@dataclass(frozen=True)
class VisitTotal:
    """One visit (`encounter_id` None: the account itself, unapplied payments)."""

    encounter_id: int | None
    dos: date | None
    by_kind: tuple[tuple[str, Decimal], ...]
    by_party: tuple[tuple[str, Decimal], ...]
    balance: Decimal


@dataclass(frozen=True)
class PatientLedger:
    patient_id: int
    account_number: str
    rows: tuple[LedgerLine, ...]
    visits: tuple[VisitTotal, ...]
    by_party: tuple[tuple[str, Decimal], ...]  # non-zero balances, payers then "Patient"
    insurance: Decimal
    patient: Decimal
    balance: Decimal


# --- small helpers ---------------------------------------------------------------------------
def _is_cents(value: object) -> bool:
    return (isinstance(value, Decimal) and value.is_finite()
            and value == value.quantize(CENT))


def _money(value: Decimal) -> str:
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def _patient(s: Session, patient_id: int) -> Patient:
    p = s.get(Patient, patient_id)
    if p is None:
        raise UserError("That patient no longer exists; search again.")
    if p.merged_into_id is not None:
        raise UserError("This record was merged into another one; open that patient instead.")
    return p


def _charge_line(s: Session, charge_line_id: int) -> ChargeLine:
    line = s.get(ChargeLine, charge_line_id)
    if line is None:
        raise UserError("That visit line no longer exists; refresh the ledger.")
    return line


def _applied(line: ChargeLine | None, amount: Decimal) -> Applied:
    if line is None:
        return Applied(None, None, None, "", amount)
    return Applied(line.id, line.encounter_id, line.dos, line.code, amount)


def patient_total(s: Session, patient_id: int, *where: ColumnElement[bool]) -> Decimal:
    """What the patient owes: the sum of the entries in the patient's own bucket."""
    total = s.scalar(select(func.sum(LedgerEntry.amount))
                     .where(LedgerEntry.patient_id == patient_id,
                            LedgerEntry.coverage_id.is_(None), *where))
    return ZERO if total is None else total


def patient_lines(s: Session, patient_id: int) -> list[tuple[ChargeLine | None, Decimal]]:
    """The patient's own balance per visit line (None: the account), non-zero only, the
    account first, then lines by date of service."""
    q = (select(LedgerEntry.charge_line_id, func.sum(LedgerEntry.amount))
         .where(LedgerEntry.patient_id == patient_id, LedgerEntry.coverage_id.is_(None))
         .group_by(LedgerEntry.charge_line_id))
    sums = {cid: (total or ZERO) for cid, total in s.execute(q)}
    lines = {ln.id: ln for ln in s.scalars(select(ChargeLine).where(
        ChargeLine.id.in_([k for k in sums if k is not None])))}
    out: list[tuple[ChargeLine | None, Decimal]] = []
    if sums.get(None):
        out.append((None, sums[None]))
    for ln in sorted(lines.values(), key=lambda ln: (ln.dos, ln.id)):
        if sums[ln.id]:
            out.append((ln, sums[ln.id]))
    return out


def _line_patient_balance(s: Session, line: ChargeLine | None, patient_id: int) -> Decimal:
    if line is None:
        return patient_total(s, patient_id, LedgerEntry.charge_line_id.is_(None))
    return line_buckets(s, line.id).get(PATIENT, ZERO)


def _check_method(method: str, reference: str, problems: dict[str, str]) -> None:
    """Cash has no reference, a check its number, a card its last 4 digits and nothing
    more (PCI DSS 3.4). The reference is never repeated in a message."""
    if method not in METHODS:
        problems["method"] = "Choose cash, check or card."
    elif method == "card" and not _LAST4.fullmatch(reference):
        problems["reference"] = "Enter only the last 4 digits of the card, nothing more."
    elif method == "check" and reference and not _CHECK_NO.fullmatch(reference):
        problems["reference"] = "Enter the check number (up to 12 letters or digits)."
    elif method == "cash" and reference:
        problems["reference"] = "A cash payment has no reference; leave it empty."


def _check_amount(amount: object, problems: dict[str, str], field: str = "amount") -> None:
    if not _is_cents(amount) or amount <= 0:  # type: ignore[operator]
        problems[field] = "Enter an amount more than $0.00, in dollars and cents."


def _method_words(method: str, reference: str) -> str:
    if method == "card":
        return f"card ending {reference}"
    if method == "check":
        return f"check {reference}" if reference else "check"
    return "cash"


# --- paper EOB: checking the grid --------------------------------------------------------------
@dataclass
class _EobContext:
    """What the EOB names, read once."""

    payer: Payer | None
    claims: dict[int, Claim]
    lines: dict[int, ServiceLine]


def _eob_context(s: Session, eob: EobData) -> _EobContext:
    claim_ids = {c.claim_id for c in eob.claims}
    line_ids = {ln.service_line_id for c in eob.claims for ln in c.lines}
    return _EobContext(
        s.get(Payer, eob.payer_id),
        {c.id: c for c in s.scalars(select(Claim).where(Claim.id.in_(claim_ids)))},
        {ln.id: ln for ln in s.scalars(select(ServiceLine)
                                       .where(ServiceLine.id.in_(line_ids)))})


def _check_header(eob: EobData, ctx: _EobContext, problems: dict[str, str]) -> None:
    if ctx.payer is None:
        problems["payer"] = "Choose the payer that sent the check."
    if not eob.check_number.strip() or len(eob.check_number.strip()) > 50:
        problems["check number"] = "Enter the check number as printed (up to 50 characters)."
    if not isinstance(eob.check_date, date):
        problems["check date"] = "Enter the date printed on the check."
    if not _is_cents(eob.amount):  # negative: a notice that the payer takes money back
        problems["check amount"] = "Enter the check amount in dollars and cents."
    if not eob.claims:
        problems["claims"] = "Add at least one claim from the EOB."
    for i, plb in enumerate(eob.provider_adjustments, start=1):
        if plb.reason.strip().upper() not in codes.PLB_REASONS or not _is_cents(plb.amount):
            problems[f"provider adjustment {i}"] = (
                "Enter a provider adjustment reason (WO, L6, FB…) and an amount in dollars "
                "and cents.")


def _check_claim(n: int, claim: EobClaim, ctx: _EobContext, problems: dict[str, str]) -> None:
    c = ctx.claims.get(claim.claim_id)
    key = f"claim {n}"
    if c is None:
        problems[key] = (f"There is no claim {claim.claim_id}; check the claim number "
                         "(our number, not the payer's).")
        return
    if ctx.payer is not None and c.payer_id != ctx.payer.id:
        problems[key] = (f"Claim {claim_number(c)} was sent to another payer; post it with "
                         "that payer's check.")
    elif c.status in (DRAFT, READY):
        problems[key] = f"Claim {claim_number(c)} has not been sent yet."
    elif claim.status not in EOB_STATUSES:
        problems[key] = "Choose the claim status: 1, 2, 3 (processed), 4 (denied) or 22."
    elif not claim.lines:
        problems[key] = f"Enter the lines of claim {claim_number(c)} as the EOB shows them."
    elif len(claim.payer_claim_number) > 50:
        problems[key] = "The payer's claim number is at most 50 characters."
    seen: set[int] = set()
    for i, ln in enumerate(claim.lines, start=1):
        where = f"claim {claim_number(c)}, row {i}"
        message = _line_problem(c, claim.status == x835.REVERSAL, ln, ctx, seen)
        if message:
            problems[where] = message


def _line_problem(c: Claim, reversal: bool, ln: EobLine, ctx: _EobContext,
                  seen: set[int]) -> str:
    sl = ctx.lines.get(ln.service_line_id)
    if sl is None or sl.claim_id != c.id:
        return f"That line is not on claim {claim_number(c)}; pick one of its lines."
    if sl.id in seen:
        return f"{sl.code} on {sl.dos:%m/%d/%Y} is entered twice; enter each line once."
    seen.add(sl.id)
    what = f"{sl.code} on {sl.dos:%m/%d/%Y}: "
    if not _is_cents(ln.paid) or (ln.allowed is not None and not _is_cents(ln.allowed)):
        return what + "enter the allowed and paid amounts in dollars and cents."
    if not reversal and ln.paid < 0:
        return what + "paid cannot be negative (only a reversal, status 22, takes money back)."
    if reversal and ln.paid > 0:
        return what + "on a reversal (status 22) enter the amount taken back as negative."
    return _adjustment_problem(ln) or _remark_problem(ln) or _balance_problem(
        sl, reversal, ln, what)


def _adjustment_problem(ln: EobLine) -> str:
    for n, (group, reason, amount) in enumerate(ln.adjustments, start=1):
        if group.strip().upper() not in GROUPS:
            return (f"adjustment {n}: the group must be CO, PR, OA, PI or CR "
                    f"(as printed on the EOB).")
        if not reason.strip():
            return f"adjustment {n}: enter the reason code (CARC) printed beside the amount."
        if not _CODE.fullmatch(reason.strip().upper()):
            return f"adjustment {n}: a reason code is 1 to 5 letters or digits (45, B7…)."
        if not _is_cents(amount):
            return f"adjustment {n}: enter the amount in dollars and cents."
    return ""


def _remark_problem(ln: EobLine) -> str:
    bad = [r for r in ln.remarks if not _CODE.fullmatch(r.strip().upper())]
    return "a remark code is letters and digits (N130, MA01…)." if bad else ""


def _balance_problem(sl: ServiceLine, reversal: bool, ln: EobLine, what: str) -> str:
    charge = -sl.charge if reversal else sl.charge
    adjusted = sum((a[2] for a in ln.adjustments), ZERO)
    missing = charge - ln.paid - adjusted
    if not missing:
        return ""
    return (f"{what}charged {_money(charge)}, paid {_money(ln.paid)} and adjusted "
            f"{_money(adjusted)}: {_money(missing)} is not accounted for. Enter the "
            "adjustments (group, reason, amount) the EOB shows for it.")


def undistributed_amount(eob: EobData) -> Decimal:
    """Check amount − what the lines pay (+ provider adjustments taken from the check)."""
    paid = sum((ln.paid for c in eob.claims for ln in c.lines), ZERO)
    plb = sum((p.amount for p in eob.provider_adjustments), ZERO)
    return eob.amount - (paid - plb)


def _check_balance(eob: EobData, problems: dict[str, str]) -> None:
    left = undistributed_amount(eob)
    if left > 0:
        problems["check amount"] = (f"{_money(left)} of the {_money(eob.amount)} check is not "
                                    "distributed to any line yet; enter the rest of the EOB.")
    elif left < 0:
        problems["check amount"] = (f"The lines pay {_money(-left)} more than the "
                                    f"{_money(eob.amount)} check; check the paid amounts.")


def validate_eob(s: Session, eob: EobData) -> _EobContext:
    """Every problem of the EOB, named by row; ValidationError when there is any."""
    ctx = _eob_context(s, eob)
    problems: dict[str, str] = {}
    _check_header(eob, ctx, problems)
    seen: set[tuple[int, bool]] = set()
    for n, claim in enumerate(eob.claims, start=1):
        _check_claim(n, claim, ctx, problems)
        key = (claim.claim_id, claim.status == x835.REVERSAL)
        if key in seen:  # a reversal and a new adjudication of one claim may share a check
            problems[f"claim {n}"] = (f"Claim {claim.claim_id} is entered twice; enter each "
                                      "claim once, with all its lines.")
        seen.add(key)
    if "check amount" not in problems and all(
            _is_cents(ln.paid) for c in eob.claims for ln in c.lines):
        _check_balance(eob, problems)
    if problems:
        raise ValidationError(problems, "paper EOB")
    return ctx


# --- paper EOB: as an 835 ------------------------------------------------------------------------
def _svc(sl: ServiceLine, ln: EobLine, reversal: bool) -> x835.ServicePayment:
    return x835.ServicePayment(
        qualifier="HC", code=sl.code, modifiers=split_modifiers(sl.modifiers),
        charge=-sl.charge if reversal else sl.charge, paid=ln.paid, units_paid=sl.units,
        dos_from=sl.dos, dos_to=sl.dos,
        control_number=sl.control_number or line_control_number(sl), allowed=ln.allowed,
        adjustments=tuple(x835.Adjustment(g.strip().upper(), r.strip().upper(), a)
                          for g, r, a in ln.adjustments),
        remarks=tuple(r.strip().upper() for r in ln.remarks))


def _clp(claim: EobClaim, ctx: _EobContext) -> x835.ClaimPayment:
    c = ctx.claims[claim.claim_id]
    reversal = claim.status == x835.REVERSAL
    services = tuple(_svc(ctx.lines[ln.service_line_id], ln, reversal) for ln in claim.lines)
    return x835.ClaimPayment(
        claim_id=claim_number(c), status=claim.status,
        charge=sum((sv.charge for sv in services), ZERO),
        paid=sum((sv.paid for sv in services), ZERO),
        patient_responsibility=sum((sv.patient_responsibility for sv in services), ZERO),
        payer_claim_number=claim.payer_claim_number.strip(), services=services)


def eob_remittance(eob: EobData, ctx: _EobContext, practice: Practice | None) -> x835.Remittance:
    """The EOB as the 835 it stands for: a check (BPR04 CHK), NON for nothing paid, a debit
    (BPR03 D) when reversals take back more than the check pays."""
    assert ctx.payer is not None  # validated
    plb = tuple(x835.ProviderAdjustment(
        provider_id=practice.npi if practice else "", fiscal_period_end=eob.check_date,
        reason=p.reason.strip().upper(), reference=p.reference.strip()[:50], amount=p.amount)
        for p in eob.provider_adjustments)
    return x835.Remittance(
        handling="C" if eob.amount else "H", total_paid=abs(eob.amount),
        credit_debit="D" if eob.amount < 0 else "C", method="CHK" if eob.amount else "NON",
        paid_on=eob.check_date,
        trace_number=eob.check_number.strip(), trace_payer_id="", payer_name=ctx.payer.name,
        payer_id=ctx.payer.payer_id, payee_name=practice.name if practice else "",
        payee_npi=practice.npi if practice else "",
        claims=tuple(_clp(c, ctx) for c in eob.claims), provider_adjustments=plb)


def _plan_problems(plan: CheckPlan) -> list[str]:
    """What the matcher could not place (validation should leave nothing here, except a
    reversal of a payment that was never posted)."""
    out = [plan.duplicate] if plan.duplicate else []
    for m in plan.claims:
        if m.claim_id is None:
            out.append(f"Claim {m.claim_number}: {m.reason}")
        out += [f"Claim {m.claim_number}: {ln.reason}" for ln in m.lines
                if m.claim_id is not None and ln.service_line_id is None]
    return out + list(plan.balance_problems)


def _already_posted(s: Session, payer_id: int, check_number: str) -> str:
    old = s.scalars(select(Remittance).where(Remittance.payer_id == payer_id,
                                             Remittance.trace_number == check_number)).first()
    if old is None:
        return ""
    return (f"Check {check_number} from this payer was already posted on "
            f"{old.posted_at:%m/%d/%Y} by {old.posted_by}; it is not posted twice.")


# --- desk payments -------------------------------------------------------------------------------
def _explicit(s: Session, patient_id: int, amount: Decimal,
              apply: Sequence[tuple[int, Decimal]]) -> list[tuple[ChargeLine, Decimal]]:
    problems: dict[str, str] = {}
    out: list[tuple[ChargeLine, Decimal]] = []
    for i, (line_id, part) in enumerate(apply, start=1):
        line = s.get(ChargeLine, line_id)
        key = f"visit line {i}"
        if line is None or line.patient_id != patient_id:
            problems[key] = "That line is not one of this patient's visits; refresh the list."
        elif any(ln.id == line.id for ln, _a in out):
            problems[key] = "The same visit line is listed twice; list it once."
        elif not _is_cents(part) or part <= 0:
            problems[key] = "Enter an amount more than $0.00 for each visit line."
        elif part > (owed := line_buckets(s, line.id).get(PATIENT, ZERO)):
            problems[key] = (f"{line.code} on {line.dos:%m/%d/%Y}: the patient owes "
                             f"{_money(max(owed, ZERO))} on it; apply no more than that.")
        else:
            out.append((line, part))
    if not problems and sum((a for _l, a in out), ZERO) > amount:
        problems["amount"] = "More is applied to visits than the amount received."
    if problems:
        raise ValidationError(problems, "payment")
    return out


def _oldest(s: Session, patient_id: int, amount: Decimal) -> list[tuple[ChargeLine, Decimal]]:
    out: list[tuple[ChargeLine, Decimal]] = []
    left = amount
    for line, owed in patient_lines(s, patient_id):
        if line is None or owed <= 0 or left <= 0:
            continue
        part = min(owed, left)
        out.append((line, part))
        left -= part
    return out


def take_desk_payment(s: Session, user: CurrentUser, patient_id: int, amount: Decimal,
                      method: str, reference: str = "", note: str = "",
                      apply: Apply = OLDEST) -> PaymentResult:
    """`PaymentService.take_payment` in the caller's session, so that a change that comes
    with a payment (a payment plan's down payment) lands in one transaction with it: the
    same checks, entries and audit event. The caller has checked the permission."""
    reference, note = reference.strip(), note.strip()
    problems: dict[str, str] = {}
    _check_amount(amount, problems)
    _check_method(method, reference, problems)
    if len(note) > 200:
        problems["note"] = "Keep the note under 200 characters."
    if problems:
        raise ValidationError(problems, "payment")
    if isinstance(apply, str) and apply != OLDEST:
        raise UserError("Apply the payment to the oldest visits or to chosen lines.")
    p = _patient(s, patient_id)
    parts = (_oldest(s, p.id, amount) if isinstance(apply, str)
             else _explicit(s, p.id, amount, apply))
    return PaymentService._record_payment(s, user, p, amount, method, reference, note, parts)


def _format_phone(phone: str) -> str:
    return f"({phone[:3]}) {phone[3:6]}-{phone[6:]}" if len(phone) == 10 else phone


def _practice_address(p: Practice) -> tuple[str, ...]:
    zip_code = f"{p.zip[:5]}-{p.zip[5:]}" if len(p.zip) == 9 else p.zip
    return tuple(x for x in (p.address1, p.address2, f"{p.city}, {p.state} {zip_code}") if x)


# --- the patient ledger in words ---------------------------------------------------------------
@dataclass
class _Names:
    """What the ledger's descriptions need besides the entries, read in a few queries."""

    payers: dict[int, str]
    lines: dict[int, ChargeLine]
    traces: dict[int, str]
    payments: dict[int, PatientPayment]
    kinds: dict[int, str]
    carcs: dict[str, str]

    def party(self, payer_id: int | None) -> str:
        return PATIENT_LABEL if payer_id is None else self.payers.get(payer_id, "Payer")


def pairs(s: Session, q: Executable) -> dict[Any, Any]:
    """{first column: second column} of a two-column query."""
    return {k: v for k, v in s.execute(q)}


def _names(s: Session, entries: Sequence[LedgerEntry]) -> _Names:
    def ids(attr: str) -> set[int]:
        return {v for e in entries if (v := getattr(e, attr)) is not None}

    reasons = {e.reason_code for e in entries if e.reason_code}
    return _Names(
        pairs(s, select(Payer.id, Payer.name).where(Payer.id.in_(ids("payer_id")))),
        {ln.id: ln for ln in s.scalars(select(ChargeLine)
                                       .where(ChargeLine.id.in_(ids("charge_line_id"))))},
        pairs(s, select(Remittance.id, Remittance.trace_number)
              .where(Remittance.id.in_(ids("remittance_id")))),
        {p.id: p for p in s.scalars(select(PatientPayment).where(
            PatientPayment.id.in_(ids("patient_payment_id"))))},
        pairs(s, select(LedgerEntry.id, LedgerEntry.kind)
              .where(LedgerEntry.id.in_(ids("reverses_id")))),
        pairs(s, select(AdjustmentCode.code, AdjustmentCode.description)
              .where(AdjustmentCode.kind == "carc", AdjustmentCode.code.in_(reasons))))


def _cas(e: LedgerEntry, n: _Names) -> str:
    return (f"{e.group_code}-{e.reason_code} "
            f"{codes.describe_adjustment(e.group_code, e.reason_code, n.carcs)}")


def describe_entry(e: LedgerEntry, n: _Names) -> str:
    """An entry in a clerk's words (CAS group and CARC spelled out)."""
    line = n.lines.get(e.charge_line_id) if e.charge_line_id else None
    trace = f", check {n.traces[e.remittance_id]}" if e.remittance_id in n.traces else ""
    if e.kind == "charge" and line is None and e.memo:
        return e.memo  # not a visit's charge: a payment plan's finance charge
    if e.kind == "charge":
        units = f" × {line.units.normalize():f}" if line and line.units != 1 else ""
        mods = f"-{'-'.join(split_modifiers(line.modifiers))}" if line and line.modifiers else ""
        return f"Charge {line.code if line else ''}{mods}{units}".strip()
    if e.kind == "insurance_payment":
        return f"Payment from {n.party(e.payer_id)}{trace}"
    if e.kind == "adjustment":
        return f"Adjustment by {n.party(e.payer_id)}: {_cas(e, n)}{trace}"
    if e.kind == TRANSFER:
        way = "to" if e.amount > 0 else "out of"
        why = _cas(e, n) if e.group_code else e.memo
        return f"Moved {way} {n.party(e.payer_id)}: {why}"
    if e.kind == PATIENT_PAYMENT:
        pp = n.payments.get(e.patient_payment_id) if e.patient_payment_id else None
        how = f" by {_method_words(pp.method, pp.reference)}" if pp else ""
        credit = "" if line else " (credit on the account)"
        return f"Patient payment{how}{credit}"
    if e.kind == REVERSAL:
        what = KIND_LABELS.get(n.kinds.get(e.reverses_id or 0, ""), "entry").lower()
        return f"Reversal of the {what}: {e.memo}"
    return f"{KIND_LABELS.get(e.kind, e.kind)}: {e.memo}"


def _ledger_rows(entries: Sequence[LedgerEntry], n: _Names) -> tuple[LedgerLine, ...]:
    rows: list[LedgerLine] = []
    running = ZERO
    for e in entries:
        running += e.amount
        line = n.lines.get(e.charge_line_id) if e.charge_line_id else None
        rows.append(LedgerLine(e.id, e.entry_date, e.kind, KIND_LABELS.get(e.kind, e.kind),
                               describe_entry(e, n), e.encounter_id, e.service_date,
                               line.code if line else "", n.party(e.payer_id), e.amount,
                               running, e.charge_line_id, e.coverage_id))
    return tuple(rows)


def _party_order(names: Iterable[str]) -> list[str]:
    """Payers by name, then the patient."""
    return sorted(set(names), key=lambda x: (x == PATIENT_LABEL, x))


def _visit_totals(entries: Sequence[LedgerEntry], n: _Names) -> tuple[VisitTotal, ...]:
    kinds: dict[int | None, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    parties: dict[int | None, dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(lambda: ZERO))
    dos: dict[int | None, date | None] = {}
    for e in entries:
        kinds[e.encounter_id][e.kind] += e.amount
        parties[e.encounter_id][n.party(e.payer_id)] += e.amount
        dos.setdefault(e.encounter_id, e.service_date)
    order = sorted(kinds, key=lambda k: (k is None, dos[k] or date.max, k or 0))
    return tuple(VisitTotal(
        k, dos[k], tuple((kind, kinds[k][kind]) for kind in KIND_LABELS if kind in kinds[k]),
        tuple((p, parties[k][p]) for p in _party_order(parties[k]) if parties[k][p]),
        sum(kinds[k].values(), ZERO)) for k in order)


# --- the service ---------------------------------------------------------------------------
class PaymentService:
    """Paper EOBs, desk payments and receipts, refunds, credit transfers, write-offs and
    the patient ledger."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- paper EOB ------------------------------------------------------------------------
    def eob_lines(self, claim_id: int) -> tuple[EobGridRow, ...]:
        """The claim's lines as the EOB grid starts them, with what the claim's payer still
        owes on each (audited: it shows a patient's visit)."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        with self._db.session() as s:
            c = s.get(Claim, claim_id)
            if c is None:
                raise UserError(f"There is no claim {claim_id}; check the claim number.")
            here = Bucket(c.coverage_id, c.payer_id)
            rows = tuple(EobGridRow(sl.id, sl.line_no, sl.dos, sl.code,
                                    split_modifiers(sl.modifiers), sl.units, sl.charge,
                                    line_buckets(s, sl.charge_line_id).get(here, ZERO))
                         for sl in s.scalars(select(ServiceLine)
                                             .where(ServiceLine.claim_id == c.id)
                                             .order_by(ServiceLine.line_no)))
            append_event(s, user, "eob.lines", entity="claim", entity_id=c.id,
                         patient_id=c.patient_id)
            return rows

    def undistributed(self, eob: EobData) -> Decimal:
        """The grid's running figure: check amount − what the lines pay so far (provider
        adjustments taken into account). Zero when the EOB balances."""
        return undistributed_amount(eob)

    def post_eob(self, eob: EobData) -> CheckResult:
        """Post a paper check and its EOB exactly as an 835 would be (denials, patient
        responsibility to the next party, secondary claims, underpayments).

        Refused with every problem named by row (nothing posted): an unknown claim or line,
        a line not on its claim, negative paid outside a reversal, a group that is not
        CO/PR/OA/PI/CR, an empty reason, a line whose charge is not accounted for, a check
        whose amount differs from what its lines pay, a check posted before."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        with self._db.session() as s:
            ctx = validate_eob(s, eob)
            assert ctx.payer is not None
            if old := _already_posted(s, ctx.payer.id, eob.check_number.strip()):
                raise UserError(old)
            plan = plan_check(s, eob_remittance(eob, ctx, s.scalars(select(Practice)).first()))
            if problems := _plan_problems(plan):
                raise UserError("The EOB was not posted; nothing was changed.\n"
                                + "\n".join(f"• {m}" for m in problems))
            result = CheckPoster(s, user, plan, None, read_billing(s),
                                 source=PAPER_EOB).post()
            append_event(s, user, "remittance.eob", entity="remittance",
                         entity_id=result.remittance_id,
                         details={"claims": len(eob.claims), "amount": str(eob.amount)})
            return result

    # --- desk payments ----------------------------------------------------------------------
    def patient_balance(self, patient_id: int) -> PatientBalance:
        """What the patient owes, visit by visit (audited). With the ledger permission also
        what insurance still owes; the front desk sees only the patient's part."""
        full = self._ctx.can(Permission.VIEW_LEDGER)
        user = self._ctx.require(Permission.VIEW_LEDGER if full else Permission.TAKE_PAYMENTS)
        with self._db.session() as s:
            p = _patient(s, patient_id)
            balance = self._balance(s, p, full)
            append_event(s, user, "ledger.balance", entity="patient", entity_id=p.id,
                         patient_id=p.id, details={"insurance": full})
            return balance

    @staticmethod
    def _balance(s: Session, p: Patient, full: bool) -> PatientBalance:
        lines = patient_lines(s, p.id)
        owes = sum((a for _l, a in lines if a > 0), ZERO)
        credit = -sum((a for _l, a in lines if a < 0), ZERO)
        insurance = total = None
        if full:
            total = s.scalar(select(func.sum(LedgerEntry.amount))
                             .where(LedgerEntry.patient_id == p.id)) or ZERO
            insurance = total - (owes - credit)
        return PatientBalance(p.id, p.mrn, owes, credit, owes - credit,
                              tuple(_applied(ln, a) for ln, a in lines), insurance, total)

    def take_payment(self, patient_id: int, amount: Decimal, method: str, reference: str = "",
                     note: str = "", apply: Apply = OLDEST) -> PaymentResult:
        """Record money the patient paid at the desk and apply it to what they owe: the
        oldest visits first, or the visit lines and amounts given. Anything beyond what is
        applied stays on the account as a credit. A card is recorded by its last 4 digits
        only."""
        user = self._ctx.require(Permission.TAKE_PAYMENTS)
        with self._db.session() as s:
            return take_desk_payment(s, user, patient_id, amount, method, reference, note,
                                     apply)

    @staticmethod
    def _record_payment(s: Session, user: CurrentUser, p: Patient, amount: Decimal,
                        method: str, reference: str, note: str,
                        parts: list[tuple[ChargeLine, Decimal]]) -> PaymentResult:
        pp = PatientPayment(patient_id=p.id, received_on=posting_date(s), method=method,
                            reference=reference, amount=amount, note=note,
                            received_by=user.username)
        s.add(pp)
        s.flush()
        how = _method_words(method, reference)
        for line, part in parts:
            post_entry(s, user, line, PATIENT_PAYMENT, -part, PATIENT,
                       memo=f"Paid at the desk by {how}", patient_payment_id=pp.id)
        credit = amount - sum((a for _l, a in parts), ZERO)
        if credit:
            post_entry(s, user, None, PATIENT_PAYMENT, -credit, PATIENT, patient_id=p.id,
                       memo=f"Paid at the desk by {how}; not owed yet: a credit",
                       patient_payment_id=pp.id)
        s.flush()
        append_event(s, user, "payment.take", entity="patient_payment", entity_id=pp.id,
                     patient_id=p.id, details={"method": method, "amount": str(amount),
                                               "lines": len(parts)})
        return PaymentResult(pp.id, f"{pp.id:06d}", amount,
                             tuple(_applied(ln, a) for ln, a in parts), credit,
                             patient_total(s, p.id))

    def receipt(self, payment_id: int) -> bytes:
        """The receipt of a desk payment as a PDF (a reprint shows it as first taken, with the
        balance right after it); audited as a print."""
        user = self._ctx.require(Permission.TAKE_PAYMENTS)
        with self._db.session() as s:
            pp = s.get(PatientPayment, payment_id)
            if pp is None:
                raise UserError("That payment no longer exists; refresh the list.")
            data = self._receipt_data(s, pp)
            append_event(s, user, "payment.receipt", entity="patient_payment", entity_id=pp.id,
                         patient_id=pp.patient_id)
        return receipt_pdf(data)

    @staticmethod
    def _receipt_data(s: Session, pp: PatientPayment) -> ReceiptData:
        p = s.get(Patient, pp.patient_id)
        practice = s.scalars(select(Practice)).first()
        assert p is not None
        entries = list(s.scalars(select(LedgerEntry).where(
            LedgerEntry.patient_id == pp.patient_id,  # the patient's index, then the payment
            LedgerEntry.patient_payment_id == pp.id, LedgerEntry.kind == PATIENT_PAYMENT)
            .order_by(LedgerEntry.id)))
        lines = {ln.id: ln for ln in s.scalars(select(ChargeLine).where(
            ChargeLine.id.in_([e.charge_line_id for e in entries if e.charge_line_id])))}
        applied = tuple((lines[e.charge_line_id].dos, f"Visit: {lines[e.charge_line_id].code}",
                         -e.amount) for e in entries if e.charge_line_id)
        last = max((e.id for e in entries), default=0)
        return ReceiptData(
            clinic_name=practice.name if practice else "",
            clinic_address=_practice_address(practice) if practice else (),
            clinic_phone=_format_phone(practice.phone) if practice else "",
            receipt_number=f"{pp.id:06d}", received_at=pp.received_at.astimezone(),
            patient_name=f"{p.first_name} {p.last_name}", account_number=p.mrn,
            amount=pp.amount, method=pp.method,
            balance_after=patient_total(s, p.id, LedgerEntry.id <= last),
            received_by=pp.received_by,
            check_number=pp.reference if pp.method == "check" else "",
            card_last4=pp.reference if pp.method == "card" else "", applied_to=applied,
            note=pp.note, clinic_ein=practice.ein if practice else "")

    def void_payment(self, payment_id: int, reason: str) -> Decimal:
        """Undo a desk payment (a bounced check, a payment keyed twice): every entry it
        posted is reversed, so the patient owes it again, and what it paid on a payment plan
        is taken back off the installments (app.services.plans). Returns the amount
        undone."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        if not reason.strip():
            raise ValidationError({"reason": "Say why the payment is undone."}, "reversal")
        with self._db.session() as s:
            pp = s.get(PatientPayment, payment_id)
            if pp is None:
                raise UserError("That payment no longer exists; refresh the list.")
            undone = aliased(LedgerEntry)
            live = list(s.scalars(
                select(LedgerEntry).outerjoin(undone, undone.reverses_id == LedgerEntry.id)
                .where(LedgerEntry.patient_id == pp.patient_id,
                       LedgerEntry.patient_payment_id == pp.id,
                       LedgerEntry.kind == PATIENT_PAYMENT, undone.id.is_(None))))
            if not live:
                raise UserError("This payment was already undone.")
            for e in live:
                reverse(s, user, e, f"Payment undone: {reason.strip()}")
            from app.services.plans import unapply_voided_payment  # plans builds on payments

            plans = unapply_voided_payment(s, user, pp.id, posting_date(s))
            append_event(s, user, "payment.void", entity="patient_payment", entity_id=pp.id,
                         patient_id=pp.patient_id,
                         details={"entries": len(live), "plans": len(plans)})
            return -sum((e.amount for e in live), ZERO)

    # --- refunds, transfers, write-offs ---------------------------------------------------
    def refund(self, patient_id: int, amount: Decimal, method: str, reference: str,
               reason: str) -> RefundResult:
        """Pay back part or all of a patient's credit (never more than the credit): REFUND
        entries taken from the account credit first, then from visits in credit."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        reference, reason = reference.strip(), reason.strip()
        problems: dict[str, str] = {}
        _check_amount(amount, problems)
        _check_method(method, reference, problems)
        if not reason:
            problems["reason"] = "Say why the money is refunded."
        if problems:
            raise ValidationError(problems, "refund")
        with self._db.session() as s:
            p = _patient(s, patient_id)
            credit = -patient_total(s, p.id)
            if amount > credit:
                raise UserError(f"The patient has a credit of {_money(max(credit, ZERO))}; "
                                "refund no more than that.")
            memo = f"Refund by {_method_words(method, reference)}: {reason}"
            taken = self._take_credit(s, user, p.id, amount, REFUND, memo)
            append_event(s, user, "payment.refund", entity="patient", entity_id=p.id,
                         patient_id=p.id, details={"amount": str(amount), "method": method})
            after = patient_total(s, p.id)
            return RefundResult(amount, taken, max(-after, ZERO), after)

    @staticmethod
    def _take_credit(s: Session, user: CurrentUser, patient_id: int, amount: Decimal,
                     kind: str, memo: str) -> tuple[Applied, ...]:
        out: list[Applied] = []
        left = amount
        for line, balance in patient_lines(s, patient_id):
            if balance >= 0 or left <= 0:
                continue
            part = min(-balance, left)
            post_entry(s, user, line, kind, part, PATIENT, patient_id=patient_id, memo=memo)
            out.append(_applied(line, part))
            left -= part
        s.flush()
        return tuple(out)

    def transfer_credit(self, from_charge_line_id: int | None, to_charge_line_id: int | None,
                        amount: Decimal, reason: str) -> tuple[Applied, Applied]:
        """Move a patient's credit from one visit line to another of the same patient (None:
        the unapplied credit on the account): a TRANSFER pair summing to zero. The source
        must hold that much credit, and a visit receiving it must owe at least as much."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        problems: dict[str, str] = {}
        _check_amount(amount, problems)
        if not reason.strip():
            problems["reason"] = "Say why the credit is moved."
        if from_charge_line_id == to_charge_line_id:
            problems["to"] = "Choose two different visits (or the account)."
        if problems:
            raise ValidationError(problems, "transfer")
        with self._db.session() as s:
            src = None if from_charge_line_id is None else _charge_line(s, from_charge_line_id)
            dst = None if to_charge_line_id is None else _charge_line(s, to_charge_line_id)
            pid = (src or dst).patient_id  # type: ignore[union-attr]  # one is set (checked)
            self._check_transfer(s, pid, src, dst, amount)
            memo = f"Credit moved: {reason.strip()}"
            post_entry(s, user, src, TRANSFER, amount, PATIENT, patient_id=pid, memo=memo)
            post_entry(s, user, dst, TRANSFER, -amount, PATIENT, patient_id=pid, memo=memo)
            s.flush()
            append_event(s, user, "ledger.transfer", entity="patient", entity_id=pid,
                         patient_id=pid, details={"amount": str(amount)})
            return _applied(src, -amount), _applied(dst, amount)

    @staticmethod
    def _check_transfer(s: Session, pid: int, src: ChargeLine | None, dst: ChargeLine | None,
                        amount: Decimal) -> None:
        _patient(s, pid)
        if src is not None and dst is not None and src.patient_id != dst.patient_id:
            raise UserError("Credit moves only between visits of the same patient.")
        credit = -_line_patient_balance(s, src, pid)
        if amount > credit:
            raise UserError(f"The source has a credit of {_money(max(credit, ZERO))}; move no "
                            "more than that.")
        if dst is not None and amount > (owed := _line_patient_balance(s, dst, pid)):
            raise UserError(f"{dst.code} on {dst.dos:%m/%d/%Y}: the patient owes "
                            f"{_money(max(owed, ZERO))} on it; move no more than that (the "
                            "rest can stay on the account).")

    def write_off(self, charge_line_id: int, amount: Decimal, bucket: str, reason: str,
                  coverage_id: int | None = None) -> Applied:
        """Give up `amount` of a visit line's balance with the patient ("patient") or with
        a payer ("payer"; `coverage_id` chooses when more than one payer holds some). A
        payer write-off that clears the line settles its open denials ("written_off")."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        problems: dict[str, str] = {}
        _check_amount(amount, problems)
        if bucket not in ("patient", "payer"):
            problems["bucket"] = "Choose whether the patient's or the payer's part is written off."
        if not reason.strip():
            problems["reason"] = "Say why the amount is written off."
        if problems:
            raise ValidationError(problems, "write-off")
        with self._db.session() as s:
            line = _charge_line(s, charge_line_id)
            _patient(s, line.patient_id)
            owner = PATIENT if bucket == "patient" else self._payer_bucket(s, line, coverage_id)
            owed = line_buckets(s, line.id).get(owner, ZERO)
            if amount > owed:
                raise UserError(f"{line.code} on {line.dos:%m/%d/%Y}: {_money(max(owed, ZERO))} "
                                "is owed there; write off no more than that.")
            claim = self._claim_of(s, line, owner)
            post_entry(s, user, line, WRITE_OFF, -amount, owner,
                       memo=f"Written off: {reason.strip()}",
                       **({"claim_id": claim[0], "service_line_id": claim[1]} if claim else {}))
            s.flush()
            if claim and amount == owed:
                self._settle_denials(s, user, claim[0], claim[1])
            append_event(s, user, "ledger.write_off", entity="charge_line", entity_id=line.id,
                         patient_id=line.patient_id,
                         details={"amount": str(amount), "bucket": bucket})
            return _applied(line, amount)

    @staticmethod
    def _payer_bucket(s: Session, line: ChargeLine, coverage_id: int | None) -> Bucket:
        held = [b for b, a in line_buckets(s, line.id).items() if not b.is_patient and a > 0]
        if coverage_id is not None:
            held = [b for b in held if b.coverage_id == coverage_id]
        if not held:
            raise UserError(f"{line.code} on {line.dos:%m/%d/%Y}: no payer owes anything on it.")
        if len(held) > 1:
            raise UserError("More than one payer owes part of this line; choose which one.")
        return held[0]

    @staticmethod
    def _claim_of(s: Session, line: ChargeLine, owner: Bucket) -> tuple[int, int] | None:
        if owner.is_patient:
            return None
        row = s.execute(select(ServiceLine.claim_id, ServiceLine.id)
                        .join(Claim, Claim.id == ServiceLine.claim_id)
                        .where(ServiceLine.charge_line_id == line.id,
                               Claim.coverage_id == owner.coverage_id)
                        .order_by(Claim.id.desc())).first()
        return None if row is None else (row[0], row[1])

    @staticmethod
    def _settle_denials(s: Session, user: CurrentUser, claim_id: int,
                        service_line_id: int) -> None:
        for d in s.scalars(select(Denial).where(Denial.claim_id == claim_id,
                                                Denial.service_line_id == service_line_id,
                                                Denial.outcome == "")):
            d.outcome = "written_off"
        s.flush()
        if s.scalar(select(func.count(Denial.id)).where(Denial.claim_id == claim_id,
                                                        Denial.outcome == "")):
            return  # other lines of the claim are still denied: the work goes on
        for w in s.scalars(select(WorkItem).where(WorkItem.claim_id == claim_id,
                                                  WorkItem.reason == "denial",
                                                  WorkItem.state.in_((OPEN, WAITING)))):
            w.state, w.closed_by, w.closed_at = DONE, user.username, utcnow()
            w.note = (w.note + "\nClosed: the denied amount was written off.").strip()

    def write_off_small_balances(self, dry_run: bool = True) -> SmallBalanceRun:
        """Write off patient balances of a visit up to the small-balance limit (billing
        settings), visit by visit. Left alone: visits a payer still owes on (more may come
        to the patient) and patients with any credit (apply it first). `dry_run` lists what
        would be written off and posts nothing."""
        user = self._ctx.require(Permission.POST_PAYMENTS)
        with self._db.session() as s:
            limit = read_billing(s).small_balance_limit
            rows = _small_balances(s, limit)
            if not dry_run:
                for row in rows:
                    self._write_off_visit(s, user, row, limit)
                s.flush()
            append_event(s, user, "ledger.write_off_small", details={
                "dry_run": dry_run, "visits": len(rows),
                "total": str(sum((r.amount for r in rows), ZERO))})
            return SmallBalanceRun(dry_run, limit, tuple(rows))

    @staticmethod
    def _write_off_visit(s: Session, user: CurrentUser, row: SmallBalanceRow,
                         limit: Decimal) -> None:
        left = row.amount
        for line in s.scalars(select(ChargeLine).where(ChargeLine.encounter_id ==
                                                       row.encounter_id)
                              .order_by(ChargeLine.dos, ChargeLine.id)):
            owed = line_buckets(s, line.id).get(PATIENT, ZERO)
            if owed <= 0 or left <= 0:
                continue
            part = min(owed, left)
            post_entry(s, user, line, WRITE_OFF, -part, PATIENT,
                       memo=f"Small balance written off (limit {_money(limit)})")
            left -= part

    # --- the ledger in words ----------------------------------------------------------------
    def ledger(self, patient_id: int) -> PatientLedger:
        """The patient's ledger oldest first, each entry in words with the running balance,
        subtotals by visit and by who owes (every figure a sum of entries; audited)."""
        user = self._ctx.require(Permission.VIEW_LEDGER)
        with self._db.session() as s:
            p = s.get(Patient, patient_id)
            if p is None:
                raise UserError("That patient no longer exists; search again.")
            entries = list(s.scalars(select(LedgerEntry)
                                     .where(LedgerEntry.patient_id == p.id)
                                     .order_by(LedgerEntry.entry_date, LedgerEntry.id)))
            names = _names(s, entries)
            append_event(s, user, "ledger.view", entity="patient", entity_id=p.id,
                         patient_id=p.id, details={"entries": len(entries)})
            return _patient_ledger(p, entries, names)


def _patient_ledger(p: Patient, entries: Sequence[LedgerEntry], n: _Names) -> PatientLedger:
    parties: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for e in entries:
        parties[n.party(e.payer_id)] += e.amount
    patient = parties.get(PATIENT_LABEL, ZERO)
    total = sum((e.amount for e in entries), ZERO)
    by_party = tuple((k, parties[k]) for k in _party_order(parties) if parties[k])
    return PatientLedger(p.id, p.mrn, _ledger_rows(entries, n), _visit_totals(entries, n),
                         by_party, total - patient, patient, total)


def _small_balances(s: Session, limit: Decimal) -> list[SmallBalanceRow]:
    """Visits whose patient balance is in (0, limit], no payer owing on them, of patients
    with no credit anywhere."""
    q = (select(LedgerEntry.patient_id, LedgerEntry.encounter_id, LedgerEntry.charge_line_id,
                LedgerEntry.coverage_id.is_(None), func.sum(LedgerEntry.amount))
         .group_by(LedgerEntry.patient_id, LedgerEntry.encounter_id,
                   LedgerEntry.charge_line_id, LedgerEntry.coverage_id.is_(None)))
    visits: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    payer_owes: set[tuple[int, int]] = set()
    in_credit: set[int] = set()
    for pid, enc, _line, is_patient, total in s.execute(q):
        amount = total or ZERO
        if is_patient and amount < 0:
            in_credit.add(pid)
        if enc is None:
            continue
        if is_patient:
            visits[(pid, enc)] += amount
        elif amount:
            payer_owes.add((pid, enc))
    keys = [k for k, a in visits.items() if 0 < a <= limit and k not in payer_owes
            and k[0] not in in_credit]
    return _small_rows(s, keys, visits)


def _small_rows(s: Session, keys: list[tuple[int, int]],
                visits: dict[tuple[int, int], Decimal]) -> list[SmallBalanceRow]:
    if not keys:
        return []
    mrns: dict[int, str] = {}
    dates: dict[int, date] = {}
    for i in range(0, len(keys), 900):
        part = keys[i:i + 900]
        mrns.update(pairs(s, select(Patient.id, Patient.mrn)
                          .where(Patient.id.in_({k[0] for k in part}))))
        dates.update(pairs(s, select(ChargeLine.encounter_id, func.min(ChargeLine.dos))
                           .where(ChargeLine.encounter_id.in_({k[1] for k in part}))
                           .group_by(ChargeLine.encounter_id)))
    rows = [SmallBalanceRow(pid, mrns.get(pid, ""), enc, dates[enc], visits[(pid, enc)])
            for pid, enc in keys]
    return sorted(rows, key=lambda r: (r.account_number, r.dos, r.encounter_id))


__all__ = ["Applied", "EobClaim", "EobData", "EobGridRow", "EobLine", "EobProviderAdjustment",
           "LedgerLine", "PatientBalance", "PatientLedger", "PaymentResult", "PaymentService",
           "RefundResult", "SmallBalanceRow", "SmallBalanceRun", "VisitTotal"]
