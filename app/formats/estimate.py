"""A patient's likely share of planned services, worked out step by step.

Inputs are the planned lines (charge from the practice fee schedule, expected allowed from the
payer's contract when there is one) and the benefit figures of the latest verification. The
order is the one most plans use for professional services:

1. A visit copay, when the plan has one, is owed once for the visit; when
   `copay_waives_deductible` the copay is all the patient owes for the covered services
   (office visits under most commercial plans). Otherwise the copay is taken first and the
   rest of the allowed amount goes through the steps below.
2. The remaining deductible (the smaller of what is left of the individual and the family
   deductible, when both are known) is applied to allowed amounts line by line, in order.
3. Coinsurance (the patient's percent) applies to what is left of each line's allowed amount
   after the deductible, rounded to the cent half up on each line.
4. The patient's total is capped at what is left of the out-of-pocket maximum; the cap is
   taken back from the last lines first.

The insurer is expected to pay allowed − patient share per line. Above the allowed amount, an
in-network provider writes the difference off; out of network the patient may be billed it,
and it is added to their share (outside the out-of-pocket cap, as plans count it). With no
coverage, or coverage the payer reported inactive, the patient owes the full charge.

This is an estimate from the figures the payer gave, not a promise: the claim's adjudication
decides. No database, no Qt; amounts are `Decimal`, never floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.errors import UserError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class EstimateInputError(UserError):
    """The figures cannot give an estimate; the message says which to fix."""


@dataclass(frozen=True)
class PlannedLine:
    code: str
    description: str
    units: Decimal
    charge: Decimal
    allowed: Decimal | None  # None: no contract rate, the charge is taken as allowed
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class BenefitFigures:
    active: bool
    deductible_total: Decimal | None = None
    deductible_met: Decimal | None = None
    family_deductible_total: Decimal | None = None
    family_deductible_met: Decimal | None = None
    coinsurance_percent: Decimal | None = None
    copay: Decimal | None = None
    copay_waives_deductible: bool = True
    oop_total: Decimal | None = None
    oop_met: Decimal | None = None
    in_network: bool = True
    as_of: date | None = None
    source: str = ""


@dataclass(frozen=True)
class EstimateLine:
    code: str
    description: str
    charge: Decimal
    allowed: Decimal
    deductible: Decimal
    coinsurance: Decimal
    copay: Decimal
    patient: Decimal
    insurer: Decimal
    write_off: Decimal


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


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _check_amount(value: object, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError(f"{what} is a float; amounts are Decimal")
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise EstimateInputError(f"{what} must be an amount of zero or more.")
    return value


def _check(lines: Sequence[PlannedLine], b: BenefitFigures | None) -> None:
    if not lines:
        raise EstimateInputError("Add at least one planned service.")
    for n, ln in enumerate(lines, start=1):
        _check_amount(ln.charge, f"The charge of line {n}")
        _check_amount(ln.allowed, f"The allowed amount of line {n}")
        _check_amount(ln.units, f"The units of line {n}")
    if b is None:
        return
    for f in fields(b):
        if f.name not in ("active", "copay_waives_deductible", "in_network", "as_of", "source"):
            _check_amount(getattr(b, f.name), f.name.replace("_", " ").capitalize())
    if b.coinsurance_percent is not None and b.coinsurance_percent > 100:
        raise EstimateInputError("Coinsurance is a percent from 0 to 100.")
    for name, label in (("deductible", "deductible"), ("family_deductible", "family deductible"),
                        ("oop", "out-of-pocket maximum")):
        total, met = getattr(b, f"{name}_total"), getattr(b, f"{name}_met")
        if total is not None and met is not None and met > total:
            raise EstimateInputError(f"The amount met of the {label} is more than its total.")


def _left(total: Decimal | None, met: Decimal | None) -> Decimal | None:
    return None if total is None else max(total - (met or ZERO), ZERO)


def _self_pay(lines: Sequence[PlannedLine], why: str) -> Estimate:
    out = tuple(EstimateLine(ln.code, ln.description, ln.charge, ln.charge, ZERO, ZERO, ZERO,
                             ln.charge, ZERO, ZERO) for ln in lines)
    total = sum((ln.charge for ln in lines), ZERO)
    return Estimate(out, (f"{why}: the patient pays the full charge, {money(total)}.",),
                    total, total, total, ZERO, ZERO)


@dataclass
class _Work:
    line: PlannedLine
    allowed: Decimal
    copay: Decimal = ZERO
    deductible: Decimal = ZERO
    coinsurance: Decimal = ZERO

    @property
    def share(self) -> Decimal:
        return self.copay + self.deductible + self.coinsurance


def estimate(lines: Sequence[PlannedLine], benefits: BenefitFigures | None) -> Estimate:
    """The estimate for `lines` under `benefits` (None: no coverage)."""
    _check(lines, benefits)
    if benefits is None:
        return _self_pay(lines, "No insurance on file")
    if not benefits.active:
        return _self_pay(lines, "The payer reports the coverage inactive")
    b, steps = benefits, []
    work = [_Work(ln, ln.charge if ln.allowed is None else min(ln.allowed, ln.charge))
            for ln in lines]
    for w in work:
        if w.line.allowed is None:
            steps.append(f"{w.line.code}: no contract rate; the charge {money(w.line.charge)} "
                         "is taken as the allowed amount.")
    if not _copay(work, b, steps):
        _deductible(work, b, steps)
        _coinsurance(work, b, steps)
    _cap(work, b, steps)
    return _finish(work, b, steps)


def _copay(work: list[_Work], b: BenefitFigures, steps: list[str]) -> bool:
    """Take the visit copay from the first line; True when it settles the patient's share."""
    if not b.copay:
        return False
    left, total = b.copay, sum((w.allowed for w in work), ZERO)
    for w in work:
        w.copay = min(left, w.allowed)
        left -= w.copay
    steps.append(f"Copay for the visit: {money(b.copay)}" +
                 (f" (capped at the allowed {money(total)})" if left else "") + ".")
    if b.copay_waives_deductible:
        steps.append("The copay covers the visit: no deductible or coinsurance applies.")
        return True
    return False


def _rest(w: _Work) -> Decimal:
    return w.allowed - w.copay - w.deductible


def _deductible(work: list[_Work], b: BenefitFigures, steps: list[str]) -> None:
    ind = _left(b.deductible_total, b.deductible_met)
    fam = _left(b.family_deductible_total, b.family_deductible_met)
    known = [v for v in (ind, fam) if v is not None]
    if not known:
        steps.append("No deductible figures on file: none applied.")
        return
    left = min(known)
    which = "family" if fam is not None and (ind is None or fam < ind) else "individual"
    steps.append(f"Deductible: {money(left)} left to meet ({which}).")
    for w in work:
        if left <= 0:
            break
        w.deductible = min(left, _rest(w))
        left -= w.deductible
        if w.deductible:
            steps.append(f"  {money(w.deductible)} of {w.line.code} goes to the deductible; "
                         f"{money(left)} left.")


def _coinsurance(work: list[_Work], b: BenefitFigures, steps: list[str]) -> None:
    pct = b.coinsurance_percent
    if pct is None:
        steps.append("No coinsurance on file: the plan pays the rest of the allowed amount.")
        return
    for w in work:
        base = _rest(w)
        w.coinsurance = (base * pct / 100).quantize(CENT, ROUND_HALF_UP)
        if base:
            steps.append(f"Coinsurance {pct.normalize():f}% of {money(base)} for {w.line.code}"
                         f" = {money(w.coinsurance)}.")


def _cap(work: list[_Work], b: BenefitFigures, steps: list[str]) -> None:
    room = _left(b.oop_total, b.oop_met)
    total = sum((w.share for w in work), ZERO)
    if room is None or total <= room:
        if room is not None:
            steps.append(f"Out-of-pocket maximum: {money(room)} left; not reached.")
        return
    steps.append(f"Out-of-pocket maximum: {money(room)} left; the patient's share is capped "
                 f"from {money(total)} to {money(room)}.")
    over = total - room
    for w in reversed(work):
        for part in ("coinsurance", "deductible", "copay"):
            cut = min(over, getattr(w, part))
            setattr(w, part, getattr(w, part) - cut)
            over -= cut


def _finish(work: list[_Work], b: BenefitFigures, steps: list[str]) -> Estimate:
    out, notes = [], []
    for w in work:
        above = w.line.charge - w.allowed
        balance = ZERO if b.in_network else above
        out.append(EstimateLine(w.line.code, w.line.description, w.line.charge, w.allowed,
                                w.deductible, w.coinsurance, w.copay, w.share + balance,
                                w.allowed - w.share, above - balance))
    if not b.in_network and any(ln.charge > ln.allowed for ln in out):
        notes.append("Out of network: the amount above the allowed is billed to the patient.")
    if b.source:
        notes.append(f"Benefits from the {b.source}.")

    def total(attr: str) -> Decimal:
        return sum((getattr(ln, attr) for ln in out), ZERO)

    return Estimate(tuple(out), tuple(steps), total("charge"), total("allowed"),
                    total("patient"), total("insurer"), total("write_off"), tuple(notes))


__all__ = ["BenefitFigures", "Estimate", "EstimateInputError", "EstimateLine", "PlannedLine",
           "estimate", "money"]
