"""A patient's likely share for planned services (a good-faith-estimate style sheet).

Charges come from the practice fee schedule, expected allowed amounts from the payer's
contract rates in force on the date of service, and the patient's share from the latest
verification of the primary coverage in force that day (app.formats.estimate does the
arithmetic, step by step). No coverage, or one the payer reported inactive, is self-pay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.formats.estimate import BenefitFigures, Estimate, PlannedLine, estimate
from app.formats.estimate_pdf import write_estimate_pdf
from app.models import Benefit, EligibilityCheck, Patient, Payer, Practice
from app.services import code_lookup as lk
from app.services.audit import append_event
from app.services.context import UserContext
from app.services.coverage import ranked_on
from app.services.database import Database
from app.services.eligibility import COINSURANCE, COPAY
from app.services.permissions import Permission
from app.services.summary import address_text

MAX_LINES = 50
# Benefit lines are read for the office visit first, then the plan as a whole.
SERVICE_ORDER = ("98", "30", "1", "")


@dataclass(frozen=True)
class PlannedService:
    code: str
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal(1)


@dataclass(frozen=True)
class EstimateResult:
    estimate: Estimate
    patient_id: int
    dos: date
    payer_name: str  # "" when self-pay
    member_id: str
    benefits_as_of: date | None


class EstimateService:
    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    def estimate(self, patient_id: int, services: Sequence[PlannedService], dos: date,
                 *, in_network: bool = True) -> EstimateResult:
        """The estimate for a visit on `dos` (audited as a look at the patient's benefits)."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        if not services:
            raise UserError("Add at least one planned service.")
        if len(services) > MAX_LINES:
            raise UserError(f"An estimate takes at most {MAX_LINES} services.")
        with self._db.session() as s:
            if s.get(Patient, patient_id) is None:
                raise UserError("That patient no longer exists; search again.")
            ranked = ranked_on(s, patient_id, dos)
            cov = ranked[0][0] if ranked else None
            payer_name = cov and s.scalar(select(Payer.name).where(Payer.id == cov.payer_id))
            lines = _lines(s, services, cov.payer_id if cov else None, dos)
            figures, as_of = _figures(s, cov.id, in_network) if cov else (None, None)
            if cov is not None and figures is None:
                figures = BenefitFigures(active=True, deductible_total=None, deductible_met=None,
                                         family_deductible_total=None, family_deductible_met=None,
                                         coinsurance_percent=None, copay=cov.copay,
                                         copay_waives_deductible=True, oop_total=None,
                                         oop_met=None, in_network=in_network,
                                         source="coverage copay only (never verified)")
            result = estimate(lines, figures)
            append_event(s, user, "estimate.view", entity="patient", entity_id=patient_id,
                         patient_id=patient_id, details={"services": len(services)})
            return EstimateResult(result, patient_id, dos, payer_name or "",
                                  cov.member_id if cov else "", as_of)

    def write_pdf(self, result: EstimateResult, path: Path) -> None:
        """Print the estimate to a PDF for the patient (audited)."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            p = s.get(Patient, result.patient_id)
            practice = s.scalars(select(Practice)).first()
            if p is None or practice is None:
                raise UserError("That patient no longer exists; search again.")
            clinic = [practice.name, address_text(practice.address1, practice.address2,
                                                  practice.city, practice.state, practice.zip),
                      f"NPI {practice.npi} · EIN {practice.ein}"]
            who = [("Patient", f"{p.last_name}, {p.first_name}"), ("DOB", f"{p.dob:%m/%d/%Y}"),
                   ("MRN", p.mrn), ("Date of service", f"{result.dos:%m/%d/%Y}"),
                   ("Insurance", result.payer_name or "None (self-pay)")]
            if result.member_id:
                who.append(("Member ID", result.member_id))
            write_estimate_pdf(path, result.estimate, clinic=clinic, patient=who,
                               prepared_on=date.today(), prepared_by=user.full_name or
                               user.username, benefits_as_of=result.benefits_as_of)
            append_event(s, user, "estimate.print", entity="patient", entity_id=p.id,
                         patient_id=p.id)


def _lines(s: Session, services: Sequence[PlannedService], payer_id: int | None,
           dos: date) -> list[PlannedLine]:
    problems: dict[str, str] = {}
    out = []
    for n, sv in enumerate(services, start=1):
        code = lk.normalize_code(sv.code)
        fee = lk.fee_for(s, code, sv.modifiers)
        row = lk.procedure(s, code)
        if fee is None:
            problems[f"line {n}"] = (f"{code} has no fee in the fee schedule; add one under "
                                     "Coding → Fees.")
            continue
        if not isinstance(sv.units, Decimal) or not sv.units.is_finite() or not \
                0 < sv.units <= 999:
            problems[f"line {n}"] = "Units must be a number from 1 to 999."
            continue
        allowed = lk.contract_allowed(s, payer_id, code, sv.modifiers, dos) if payer_id \
            else None
        out.append(PlannedLine(code, row.short_description if row else "", sv.units,
                               (fee * sv.units).quantize(Decimal("0.01")),
                               None if allowed is None else
                               (allowed * sv.units).quantize(Decimal("0.01")),
                               tuple(sv.modifiers)))
    if problems:
        raise ValidationError(problems, "estimate")
    return out


def _figures(s: Session, coverage_id: int, in_network: bool
             ) -> tuple[BenefitFigures | None, date | None]:
    ck = s.scalars(select(EligibilityCheck).where(EligibilityCheck.coverage_id == coverage_id)
                   .order_by(EligibilityCheck.checked_on.desc(), EligibilityCheck.id.desc())
                   ).first()
    if ck is None:
        return None, None
    lines = list(s.scalars(select(Benefit).where(Benefit.check_id == ck.id)))
    network = "Y" if in_network else "N"
    copay = _pick(lines, COPAY, network, "amount")
    coins = _pick(lines, COINSURANCE, network, "percent")
    return BenefitFigures(
        active=bool(ck.active) and not ck.rejected, deductible_total=ck.deductible_total,
        deductible_met=ck.deductible_met, family_deductible_total=ck.family_deductible_total,
        family_deductible_met=ck.family_deductible_met, coinsurance_percent=coins,
        copay=copay, copay_waives_deductible=True, oop_total=ck.oop_total, oop_met=ck.oop_met,
        in_network=in_network, as_of=ck.checked_on,
        source=f"verification of {ck.checked_on:%m/%d/%Y}"), ck.checked_on


def _pick(lines: Sequence[Benefit], code: str, network: str, attr: str) -> Decimal | None:
    """The value for the office visit, else the plan as a whole; in- or out-of-network lines
    first, then lines that say either or nothing."""
    for service in SERVICE_ORDER:
        for net in (network, "W", ""):
            for b in lines:
                value = getattr(b, attr)
                if b.code == code and b.service_type == service and b.in_network == net and \
                        value is not None:
                    return Decimal(value)
    return None
