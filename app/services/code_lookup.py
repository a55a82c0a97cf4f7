"""Small shared look-ups over the code-set, fee and edit tables, used by several services
(code sets, fees, coding, code edits) inside their own sessions. No permission checks
here: callers check before they call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.models import (
    CodeSetRelease,
    ContractRate,
    DiagnosisCode,
    FeeScheduleEntry,
    MueLimit,
    NcciEdit,
    ProcedureCode,
)
from app.models.codes import ICD10CM


def normalize_code(text: str) -> str:
    """'e11.9 ' → 'E119': codes are stored upper case, without the dot or spaces."""
    return "".join(text.split()).replace(".", "").upper()


def icd_display(code: str) -> str:
    """'E119' → 'E11.9' (ICD-10-CM puts the dot after the third character)."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def release_in_force(s: Session, system: str, dos: date) -> CodeSetRelease | None:
    """The release of `system` in force on `dos`, if one is loaded."""
    q = (select(CodeSetRelease)
         .where(CodeSetRelease.system == system, CodeSetRelease.effective_from <= dos,
                or_(CodeSetRelease.effective_to.is_(None), CodeSetRelease.effective_to >= dos))
         .order_by(CodeSetRelease.effective_from.desc()).limit(1))
    return s.scalars(q).first()


def latest_release(s: Session, system: str) -> CodeSetRelease | None:
    q = (select(CodeSetRelease).where(CodeSetRelease.system == system)
         .order_by(CodeSetRelease.effective_from.desc()).limit(1))
    return s.scalars(q).first()


def diagnosis_in_force(s: Session, code: str, dos: date) -> DiagnosisCode | None:
    """The ICD-10-CM entry for `code` in the release in force on `dos` (billable or not),
    or None when that release does not have it (or no release covers the date)."""
    release = release_in_force(s, ICD10CM, dos)
    if release is None:
        return None
    q = select(DiagnosisCode).where(DiagnosisCode.release_id == release.id,
                                    DiagnosisCode.code == normalize_code(code))
    return s.scalars(q).first()


def diagnosis_latest(s: Session, code: str) -> DiagnosisCode | None:
    """The entry for `code` in the newest release that has it (for descriptions)."""
    q = (select(DiagnosisCode).join(CodeSetRelease)
         .where(DiagnosisCode.code == normalize_code(code))
         .order_by(CodeSetRelease.effective_from.desc()).limit(1))
    return s.scalars(q).first()


def procedure(s: Session, code: str) -> ProcedureCode | None:
    """A HCPCS or CPT code (the two code spaces do not overlap), in force or not."""
    q = select(ProcedureCode).where(ProcedureCode.code == normalize_code(code))
    return s.scalars(q).first()


def procedure_in_force(row: ProcedureCode, dos: date) -> bool:
    return ((row.effective_from is None or row.effective_from <= dos)
            and (row.effective_to is None or dos <= row.effective_to))


def fee_for(s: Session, code: str, modifiers: Sequence[str] = ()) -> Decimal | None:
    """The practice charge for one unit: the entry for the code with the first of its
    modifiers that has one, else the code's own entry, else None."""
    rows = {r.modifier: r.charge for r in s.scalars(
        select(FeeScheduleEntry).where(FeeScheduleEntry.code == normalize_code(code)))}
    for m in modifiers:
        if m.upper() in rows:
            return rows[m.upper()]
    return rows.get("")


def contract_allowed(s: Session, payer_id: int, code: str, modifiers: Sequence[str],
                     dos: date) -> Decimal | None:
    """What payer `payer_id` (Payer.id) is expected to allow for one unit of `code` on
    `dos`: the rate for the first of `modifiers` that has one, else the code's own rate,
    else None (no contract rate in force)."""
    rates = {r.modifier: r.allowed for r in s.scalars(select(ContractRate).where(
        ContractRate.payer_id == payer_id, ContractRate.code == normalize_code(code),
        ContractRate.effective_from <= dos,
        or_(ContractRate.effective_to.is_(None), ContractRate.effective_to >= dos)))}
    for m in modifiers:
        if m.strip().upper() in rates:
            return rates[m.strip().upper()]
    return rates.get("")


def ncci_pairs(s: Session, codes: Sequence[str], dos: date) -> list[NcciEdit]:
    """The NCCI procedure-to-procedure edits in force on `dos` between any two of `codes`."""
    wanted = sorted({normalize_code(c) for c in codes})
    if len(wanted) < 2:
        return []
    q = select(NcciEdit).where(
        NcciEdit.column1.in_(wanted), NcciEdit.column2.in_(wanted),
        NcciEdit.column1 != NcciEdit.column2, NcciEdit.effective_from <= dos,
        or_(NcciEdit.effective_to.is_(None), NcciEdit.effective_to >= dos))
    return list(s.scalars(q))


def mue_for(s: Session, code: str, dos: date) -> MueLimit | None:
    """The MUE unit limit for `code` in force on `dos`, if one is imported."""
    q = (select(MueLimit).where(
        MueLimit.code == normalize_code(code), MueLimit.effective_from <= dos,
        or_(MueLimit.effective_to.is_(None), MueLimit.effective_to >= dos))
        .order_by(MueLimit.effective_from.desc()).limit(1))
    return s.scalars(q).first()
