"""A patient's likely share of planned services (a good-faith-estimate style figure), worked out
step by step so the clerk and the patient can follow it.

Inputs are the planned lines (the charge from the practice fee schedule; the expected allowed
amount from the payer's contract rate when there is one) and the benefit figures of the latest
verification (an X12 271, 005010X279A1 loop 2110C EB segments, or a phone/portal check). The
order is the one most plans use for professional services:

1. **Allowed.** A line without a contract rate is allowed at its charge; a contract rate above
   the charge is allowed at the charge (payers allow the lesser of the two). Each step says so.
2. **Copay.** A visit copay (``copay`` not None, zero included) is owed once for the visit, taken
   from the lines in order. With ``copay_waives_deductible`` (the caller says so: it is the usual
   rule for office visits, not a guess made here) the copay is all the patient owes for the
   visit's covered services. Otherwise the rest of each allowed amount goes on to step 3.
3. **Deductible.** What is left of the deductible - the smaller of the individual and the family
   remainders when both are known - is applied to the allowed amounts line by line, in order.
4. **Coinsurance.** The patient's percent of what is left of each line after the deductible,
   rounded to the cent half up on each line.
5. **Out-of-pocket maximum.** The patient's cost share is capped at what is left of it
   (total - met); the amount over the cap is taken back from the last lines first.

The insurer is expected to pay allowed - patient share on each line. Above the allowed amount,
an in-network provider writes the difference off under its contract; out of network the patient
may be balance-billed for it, so it is added to their share (after the cap: balance billing does
not count towards a plan's out-of-pocket maximum). With no coverage, or coverage reported
inactive, the patient owes every charge (self-pay).

Totals are sums of the rounded lines, so the lines always add up to them exactly. Amounts are
``Decimal`` to the cent; a float is refused with ``TypeError``.

Limits: this is an estimate from the figures the payer reported, not a guarantee - the claim's
adjudication decides. Benefits that differ by type of service (office visit, lab, imaging) are
chosen by the caller: one ``BenefitFigures`` applies to every line. A missing "met" figure is
taken as nothing met, and a missing coinsurance as none; the steps say so. No database, no Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.errors import UserError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
_AMOUNTS = {"deductible_total": "The deductible", "deductible_met": "The deductible met",
            "family_deductible_total": "The family deductible",
            "family_deductible_met": "The family deductible met",
            "copay": "The copay", "oop_total": "The out-of-pocket maximum",
            "oop_met": "The out-of-pocket maximum met"}
_PAIRS = (("deductible", "deductible"), ("family_deductible", "family deductible"),
          ("oop", "out-of-pocket maximum"))


class EstimateInputError(UserError, ValueError):
    """The figures cannot give an estimate; the message (no patient data) says what to fix."""


@dataclass(frozen=True)
class PlannedLine:
    code: str
    description: str
    units: Decimal
    charge: Decimal  # the line's charge (fee × units), to the cent
    allowed: Decimal | None  # the contract's expected allowed; None: the charge is allowed
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class BenefitFigures:
    """The patient's benefits for the plan, as reported (None: not reported)."""

    active: bool
    deductible_total: Decimal | None
    deductible_met: Decimal | None
    family_deductible_total: Decimal | None
    family_deductible_met: Decimal | None
    coinsurance_percent: Decimal | None  # the patient's share: 20 for 20%
    copay: Decimal | None  # per visit
    copay_waives_deductible: bool  # the copay covers the visit: no deductible/coinsurance
    oop_total: Decimal | None
    oop_met: Decimal | None
    in_network: bool = True
    as_of: date | None = None
    source: str = ""  # "verification of 05/20/2026", shown in the notes


@dataclass(frozen=True)
class EstimateLine:
    code: str
    description: str
    charge: Decimal
    allowed: Decimal
    deductible: Decimal
    coinsurance: Decimal
    copay: Decimal
    patient: Decimal  # copay + deductible + coinsurance (+ the balance out of network)
    insurer: Decimal
    write_off: Decimal
    units: Decimal = Decimal(1)
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Estimate:
    lines: tuple[EstimateLine, ...]
    steps: tuple[str, ...]
    total_charge: Decimal
    total_allowed: Decimal
    patient_total: Decimal
    insurer_total: Decimal
    write_off_total: Decimal
    notes: tuple[str, ...] = ()
    benefits_as_of: date | None = None  # BenefitFigures.as_of, for the printed disclaimer


def money(value: Decimal) -> str:
    """Decimal('1234.5') → '1,234.50': the one form for amounts on screen and paper here."""
    return f"{value:,.2f}"


# --- checking the input ---------------------------------------------------------------------


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{what} is a float; amounts are Decimal")
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise EstimateInputError(f"{what} is not a number.")
    return value


def _number(value: object, what: str) -> Decimal:
    number = _decimal(value, what)
    if number < 0:
        raise EstimateInputError(f"{what} must be 0.00 or more.")
    return number


def _amount(value: object, what: str) -> Decimal:
    amount = _number(value, what)
    if amount != amount.quantize(CENT):
        raise EstimateInputError(f"{what} has fractions of a cent; use dollars and cents.")
    return amount


def _check_line(n: int, ln: PlannedLine) -> None:
    if _decimal(ln.units, f"The units of line {n}") <= 0:
        raise EstimateInputError(f"The units of line {n} must be more than 0.")
    _amount(ln.charge, f"The charge of line {n}")
    if ln.allowed is not None:
        _amount(ln.allowed, f"The allowed amount of line {n}")


def _check_benefits(b: BenefitFigures) -> None:
    for name, what in _AMOUNTS.items():
        if getattr(b, name) is not None:
            _amount(getattr(b, name), what)
    pct = b.coinsurance_percent
    if pct is not None and not 0 <= _decimal(pct, "The coinsurance") <= HUNDRED:
        raise EstimateInputError("The coinsurance is a percent from 0 to 100.")
    for name, label in _PAIRS:
        total, met = getattr(b, f"{name}_total"), getattr(b, f"{name}_met")
        if total is not None and met is not None and met > total:
            raise EstimateInputError(f"The amount met of the {label} is more than its total.")


def _check(lines: Sequence[PlannedLine], b: BenefitFigures | None) -> None:
    if not lines:
        raise EstimateInputError("Add at least one planned service.")
    for n, ln in enumerate(lines, start=1):
        _check_line(n, ln)
    if b is not None:
        _check_benefits(b)


# --- the arithmetic -------------------------------------------------------------------------


@dataclass
class _Work:
    """One line while the steps run: its allowed amount and the patient's parts of it."""

    line: PlannedLine
    allowed: Decimal
    copay: Decimal = ZERO
    deductible: Decimal = ZERO
    coinsurance: Decimal = ZERO

    @property
    def share(self) -> Decimal:
        return self.copay + self.deductible + self.coinsurance

    @property
    def rest(self) -> Decimal:
        """What is left of the allowed amount after the copay and the deductible."""
        return self.allowed - self.copay - self.deductible


def _c(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def estimate(lines: Sequence[PlannedLine], benefits: BenefitFigures | None) -> Estimate:
    """The patient's estimated share of `lines` under `benefits` (None: no coverage).

    Raises EstimateInputError (a UserError and ValueError) for figures that cannot give an
    estimate, and TypeError for a float or any other non-Decimal amount."""
    _check(lines, benefits)
    if benefits is None:
        return _self_pay(lines, "No insurance on file")
    if not benefits.active:
        return _self_pay(lines, "The payer reports the coverage inactive")
    steps: list[str] = []
    work = [_Work(ln, _allowed(ln, steps)) for ln in lines]
    if not _copay(work, benefits, steps):
        _deductible(work, benefits, steps)
        _coinsurance(work, benefits, steps)
    _cap(work, benefits, steps)
    return _finish(work, benefits, steps)


def _self_pay(lines: Sequence[PlannedLine], why: str) -> Estimate:
    out = tuple(EstimateLine(ln.code, ln.description, _c(ln.charge), _c(ln.charge), ZERO, ZERO,
                             ZERO, _c(ln.charge), ZERO, ZERO, ln.units, ln.modifiers)
                for ln in lines)
    total = sum((ln.charge for ln in out), ZERO)
    step = f"{why}: self-pay; the patient pays the full charge, {money(total)}."
    return Estimate(out, (step,), total, total, total, ZERO, ZERO)


def _allowed(ln: PlannedLine, steps: list[str]) -> Decimal:
    charge = _c(ln.charge)
    if ln.allowed is None:
        steps.append(f"{ln.code}: no contract rate; the allowed amount is the charge, "
                     f"{money(charge)}.")
        return charge
    if ln.allowed > charge:
        steps.append(f"{ln.code}: the contract rate {money(ln.allowed)} is more than the "
                     f"charge; the allowed amount is the charge, {money(charge)}.")
        return charge
    return _c(ln.allowed)


def _copay(work: list[_Work], b: BenefitFigures, steps: list[str]) -> bool:
    """Take the visit copay from the lines in order; True when it settles the patient's share."""
    if b.copay is None:
        return False
    left, total = _c(b.copay), sum((w.allowed for w in work), ZERO)
    for w in work:
        w.copay = min(left, w.allowed)
        left -= w.copay
    capped = f" (limited to the allowed amount, {money(total)})" if left else ""
    steps.append(f"Copay for the visit: {money(b.copay)}{capped}")
    if b.copay_waives_deductible:
        steps.append("The copay covers the visit: no deductible or coinsurance applies.")
        return True
    return False


def _left(total: Decimal | None, met: Decimal | None, label: str, steps: list[str]
          ) -> Decimal | None:
    if total is None:
        return None
    if met is None:
        steps.append(f"The amount met of the {label} was not reported; taken as 0.00.")
    return max(_c(total) - _c(met or ZERO), ZERO)


def _deductible_left(b: BenefitFigures, steps: list[str]) -> Decimal | None:
    ind = _left(b.deductible_total, b.deductible_met, "deductible", steps)
    fam = _left(b.family_deductible_total, b.family_deductible_met, "family deductible", steps)
    if ind is not None and fam is not None:
        which = "family" if fam < ind else "individual"
        steps.append(f"Deductible remaining: individual {money(ind)}, family {money(fam)}; "
                     f"the smaller ({which}) applies.")
        return min(ind, fam)
    return ind if ind is not None else fam


def _deductible(work: list[_Work], b: BenefitFigures, steps: list[str]) -> None:
    left = _deductible_left(b, steps)
    if left is None:
        steps.append("No deductible reported: none applied.")
        return
    if left == 0:
        steps.append("Deductible: met for the year (0.00 remaining).")
        return
    for w in work:
        w.deductible = min(left, w.rest)
        if w.deductible:
            steps.append(f"Deductible: {money(left)} remaining; {money(w.deductible)} applied "
                         f"to {w.line.code} → {money(left - w.deductible)} remaining")
        left -= w.deductible


def _coinsurance(work: list[_Work], b: BenefitFigures, steps: list[str]) -> None:
    pct = b.coinsurance_percent
    if pct is None:
        steps.append("No coinsurance reported: the plan pays the rest of the allowed amount.")
        return
    for w in work:
        base = w.rest
        w.coinsurance = _c(base * pct / HUNDRED)
        if base:
            steps.append(f"Coinsurance {_percent(pct)} of {money(base)} = "
                         f"{money(w.coinsurance)} ({w.line.code})")


def _cap(work: list[_Work], b: BenefitFigures, steps: list[str]) -> None:
    room = _left(b.oop_total, b.oop_met, "out-of-pocket maximum", steps)
    total = sum((w.share for w in work), ZERO)
    if room is None:
        steps.append("No out-of-pocket maximum reported: no cap applied.")
        return
    if total <= room:
        steps.append(f"Out-of-pocket maximum: {money(room)} remaining; not reached.")
        return
    steps.append(f"Out-of-pocket maximum: {money(room)} remaining; patient share capped "
                 f"from {money(total)} to {money(room)}")
    over = total - room
    for w in reversed(work):  # the last lines give back first: coinsurance, deductible, copay
        for part in ("coinsurance", "deductible", "copay"):
            cut = min(over, getattr(w, part))
            setattr(w, part, getattr(w, part) - cut)
            over -= cut


def _line(w: _Work, in_network: bool) -> EstimateLine:
    above = _c(w.line.charge) - w.allowed
    balance = ZERO if in_network else above
    return EstimateLine(w.line.code, w.line.description, _c(w.line.charge), w.allowed,
                        w.deductible, w.coinsurance, w.copay, w.share + balance,
                        w.allowed - w.share, above - balance, w.line.units, w.line.modifiers)


def _above_allowed(out: Sequence[EstimateLine], b: BenefitFigures, steps: list[str]
                   ) -> list[str]:
    above = sum((ln.charge - ln.allowed for ln in out), ZERO)
    if not above:
        return []
    if b.in_network:
        steps.append(f"In network: {money(above)} above the allowed amounts is written off by "
                     "the practice under its contract.")
        return []
    steps.append(f"Out of network: {money(above)} above the allowed amounts may be billed to "
                 "the patient, and is added to the patient's share (outside the out-of-pocket "
                 "maximum).")
    return ["Out of network: the patient may be billed the amount above the allowed."]


def _finish(work: list[_Work], b: BenefitFigures, steps: list[str]) -> Estimate:
    out = tuple(_line(w, b.in_network) for w in work)
    notes = _above_allowed(out, b, steps)
    if b.source:
        notes.append(f"Benefits from the {b.source}.")

    def total(attr: str) -> Decimal:
        return sum((getattr(ln, attr) for ln in out), ZERO)

    return Estimate(out, tuple(steps), total("charge"), total("allowed"), total("patient"),
                    total("insurer"), total("write_off"), tuple(notes), b.as_of)


__all__ = ["BenefitFigures", "Estimate", "EstimateInputError", "EstimateLine", "PlannedLine",
           "estimate", "money"]
