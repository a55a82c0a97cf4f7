"""Coding an encounter into charges: its diagnoses (A–L), its procedure lines with fees from
the fee schedule, the code edits that must be cleared before billing, and the work queue.

Saving posts to the append-only ledger (app.services.ledger) in the same transaction: a new
line posts a charge; a posted line is never edited: any change to it (code, modifiers,
units, pointers, NDC, charge or date of service) voids it, posts a reversal of its charge,
and posts a new line with a new charge that points back at it (`replaced_by_id`). Pointer
or NDC changes move no money, but they do change what the claim says; keeping one rule
means every live line has exactly one live charge entry, which later payment posting can
rely on, and the ledger shows every correction. Only the order of unchanged lines
(`line_no`) is updated in place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError, UserError, ValidationError
from app.formats import code_edits as ce
from app.formats.code_edits import CodeEdit, CodingDraft, LineDraft
from app.models import (
    ChargeLine,
    Encounter,
    EncounterDiagnosis,
    Facility,
    LedgerEntry,
    Patient,
    Provider,
)
from app.models.codes import ICD10CM
from app.models.coding import CODED, CODING_STATUSES, NEEDS_REVIEW, UNCODED
from app.models.types import utcnow
from app.services import code_lookup as lk
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.database import Database
from app.services.ledger import LedgerRow, ledger_row, live_charge, post_charge, reverse
from app.services.ledger import sum_amounts as _sum_ledger
from app.services.patients import search_branches
from app.services.permissions import Permission

__all__ = ["CodeEdit", "CodingDraft", "CodingPreview", "CodingService", "DiagnosisRow",
           "EncounterCoding", "LineDraft", "LineRow", "QueueRow", "SaveResult"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
QUEUE_ORDER = (UNCODED, NEEDS_REVIEW, CODED)  # the work queue: uncoded first
STATUS_LABELS = {UNCODED: "Uncoded", NEEDS_REVIEW: "Needs review", CODED: "Coded"}
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
# A queue filter matching at most this many patients reads their visits patient by patient.
_FEW_PATIENTS = 2000


@dataclass(frozen=True)
class DiagnosisRow:
    letter: str
    code: str
    display: str
    description: str
    billable: bool


@dataclass(frozen=True)
class LineRow:
    """A live (not voided) charge line."""

    id: int
    line_no: int
    code: str
    description: str
    modifiers: tuple[str, ...]
    units: Decimal
    pointers: str
    ndc: str
    ndc_unit: str
    ndc_quantity: Decimal | None
    charge: Decimal


@dataclass(frozen=True)
class EncounterCoding:
    """What the coding tab shows for one encounter, with the edits of its saved coding."""

    encounter_id: int
    patient_id: int
    patient_name: str
    mrn: str
    sex: str
    dob: date
    dos: date
    provider: str
    facility: str
    pos: str
    reason: str
    version: int
    status: str
    provider_id: int | None
    coded_at: datetime | None
    coded_by: str
    diagnoses: tuple[DiagnosisRow, ...]
    lines: tuple[LineRow, ...]
    edits: tuple[CodeEdit, ...]
    ledger_total: Decimal

    def draft(self) -> CodingDraft:
        """The saved coding as a draft to edit (charges as posted, so saving it unchanged
        re-prices nothing)."""
        return CodingDraft(
            tuple(d.code for d in self.diagnoses),
            tuple(LineDraft(ln.code, ln.modifiers, ln.units, ln.pointers, ln.ndc, ln.ndc_unit,
                            ln.ndc_quantity, ln.charge, ln.id) for ln in self.lines))


@dataclass(frozen=True)
class CodingPreview:
    """What saving `draft` would give: its edits, the charge of each line (filled from the
    fee schedule where none was typed), and the data problems that would refuse the save."""

    edits: tuple[CodeEdit, ...]
    charges: tuple[Decimal, ...]
    problems: Mapping[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(e.severity == ce.ERROR for e in self.edits)


@dataclass(frozen=True)
class SaveResult:
    status: str
    version: int
    edits: tuple[CodeEdit, ...]
    posted: tuple[LedgerRow, ...]
    reversed: tuple[LedgerRow, ...]


@dataclass(frozen=True)
class QueueRow:
    encounter_id: int
    date: date
    patient_id: int
    patient_name: str
    mrn: str
    provider: str
    status: str
    lines: int
    total_charge: Decimal


@dataclass(frozen=True)
class _Work:
    """A draft cleaned and priced, with its facts, edits and data problems."""

    draft: CodingDraft
    facts: ce.Facts
    edits: list[CodeEdit]
    problems: dict[str, str]
    descriptions: dict[str, str]  # procedure code → short description
    systems: dict[str, str]  # procedure code → "cpt" or "hcpcs"


class CodingService:
    """Coding encounters into charge lines, their code edits and the coding work queue."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- one encounter -----------------------------------------------------------------------
    def open(self, encounter_id: int) -> EncounterCoding:
        """The encounter's facts, saved diagnoses and live lines, and their edits as of now
        (a newly loaded NCCI file shows up here). Audited: it shows patient data."""
        user = self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            enc, patient = _load(s, encounter_id)
            result = _read(s, enc, patient)
            append_event(s, user, "coding.open", entity="encounter", entity_id=enc.id,
                         patient_id=enc.patient_id)
            return result

    def preview(self, encounter_id: int, draft: CodingDraft) -> CodingPreview:
        """The edits and charges of `draft` without saving it, for showing edits live while
        the coder types. Writes nothing (the open that showed the patient was audited)."""
        self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            enc, patient = _load(s, encounter_id)
            w = _work(s, enc, patient, draft)
            return CodingPreview(tuple(w.edits), tuple(ln.charge or ZERO for ln in w.draft.lines),
                                 dict(w.problems))

    def save(self, encounter_id: int, version: int, draft: CodingDraft) -> SaveResult:
        """Save the coding in one transaction: replace the diagnoses, keep unchanged lines,
        void and repost changed ones, void removed ones, post new ones, then set the status
        (coded, or review while error edits remain). `version` is the encounter's version
        when it was opened: if someone saved it since, nothing is written. Bad data (an
        unknown code, too many modifiers, a malformed NDC...) refuses the save with what to
        fix; code edits do not (they set the status to review)."""
        user = self._ctx.require(Permission.CODE_ENCOUNTERS)
        try:
            with self._db.session() as s:
                enc, patient = _load(s, encounter_id)
                if enc.version != version:
                    raise _conflict()
                w = _work(s, enc, patient, draft)
                if enc.date > date.today():
                    w.problems["encounter"] = (f"This visit is booked for {enc.date:%m/%d/%Y}: "
                                               "code it once it has happened.")
                if w.problems:
                    raise ValidationError(w.problems, "coding")
                result = _write(s, user, enc, w)
                s.flush()
                append_event(s, user, "coding.save", entity="encounter", entity_id=enc.id,
                             patient_id=enc.patient_id, details={
                                 "status": result.status,
                                 "diagnoses": len(w.draft.diagnoses),
                                 "lines": len(w.draft.lines),
                                 "posted": len(result.posted),
                                 "reversed": len(result.reversed),
                                 "errors": sum(e.severity == ce.ERROR for e in w.edits),
                                 "warnings": sum(e.severity == ce.WARNING for e in w.edits)})
                return replace(result, version=enc.version)
        except StaleDataError:
            raise _conflict() from None

    # --- the work queue ----------------------------------------------------------------------
    def work_queue(self, status: str | None = None, text: str = "", offset: int = 0,
                   limit: int = 100) -> list[QueueRow]:
        """Encounters to code: uncoded first, then those needing review, then coded; oldest
        date of service first within each. `text` finds patients as the patient search does
        (name, MRN, DOB, phone). Each status is read in the order of its index
        (ix_encounter_coding), so a page costs about its own rows, not a sort of them all."""
        self._ctx.require(Permission.VIEW_PATIENTS)
        statuses = _statuses(status)
        with self._db.session() as s:
            patients = _patient_filter(s, text)
            ids: list[int] = []
            skip, want = max(offset, 0), max(limit, 0)
            for st in statuses:
                if want == 0:
                    break
                got = _queue_ids(s, st, patients, skip, want)
                if not got and skip:
                    # The page starts after this status's rows: count them (only then) to
                    # know where in the next status it starts.
                    skip = max(skip - _queue_count(s, st, patients), 0)
                    continue
                ids += got
                want -= len(got)
                skip = 0
            return _queue_rows(s, ids)

    def queue_count(self, status: str | None = None, text: str = "") -> int:
        """How many encounters `work_queue` lists with the same filter."""
        self._ctx.require(Permission.VIEW_PATIENTS)
        with self._db.session() as s:
            patients = _patient_filter(s, text)
            if status:
                return _queue_count(s, _statuses(status)[0], patients)
            return _all_count(s, patients)


# --- reading -----------------------------------------------------------------------------------
def _conflict() -> ConflictError:
    return ConflictError("Someone else coded or changed this encounter after you opened it. "
                         "Their work is kept; reopen the encounter and make your change again.")


def _load(s: Session, encounter_id: int) -> tuple[Encounter, Patient]:
    enc = s.get(Encounter, encounter_id)
    patient = s.get(Patient, enc.patient_id) if enc is not None else None
    if enc is None or patient is None:
        raise UserError("That encounter no longer exists; reload the work queue.")
    return enc, patient


def _display_name(p: Patient) -> str:
    return f"{p.last_name}, {p.first_name}" + (f" {p.middle_name}" if p.middle_name else "")


def _provider_name(v: Provider | None) -> str:
    return "" if v is None else f"{v.last_name}, {v.first_name} {v.credential}".strip()


def _live_lines(s: Session, encounter_id: int) -> list[ChargeLine]:
    q = (select(ChargeLine).where(ChargeLine.encounter_id == encounter_id,
                                  ChargeLine.voided_at.is_(None))
         .order_by(ChargeLine.line_no, ChargeLine.id))
    return list(s.scalars(q))


def _saved_draft(s: Session, enc: Encounter) -> CodingDraft:
    dx = s.scalars(select(EncounterDiagnosis.code)
                   .where(EncounterDiagnosis.encounter_id == enc.id)
                   .order_by(EncounterDiagnosis.position))
    return CodingDraft(tuple(dx), tuple(
        LineDraft(ln.code, _split_modifiers(ln.modifiers), ln.units, ln.pointers, ln.ndc,
                  ln.ndc_unit, ln.ndc_quantity, ln.charge, ln.id)
        for ln in _live_lines(s, enc.id)))


def _read(s: Session, enc: Encounter, patient: Patient) -> EncounterCoding:
    w = _work(s, enc, patient, _saved_draft(s, enc))
    facility = s.get(Facility, enc.facility_id) if enc.facility_id else None
    diagnoses = tuple(
        DiagnosisRow(ce.letter(i), code, w.facts.diagnoses[code].display,
                     w.facts.diagnoses[code].description, w.facts.diagnoses[code].billable)
        for i, code in enumerate(w.draft.diagnoses, start=1))
    lines = tuple(
        LineRow(ln.line_id or 0, i, ln.code, w.descriptions.get(ln.code, ""), ln.modifiers,
                ln.units, ln.pointers, ln.ndc, ln.ndc_unit, ln.ndc_quantity, ln.charge or ZERO)
        for i, ln in enumerate(w.draft.lines, start=1))
    return EncounterCoding(
        enc.id, patient.id, _display_name(patient), patient.mrn, patient.sex, patient.dob,
        enc.date, _provider_name(s.get(Provider, enc.provider_id) if enc.provider_id else None),
        facility.name if facility else "", enc.pos, enc.reason, enc.version,
        enc.coding_status, enc.provider_id, enc.coded_at, enc.coded_by, diagnoses, lines,
        tuple(w.edits),
        _sum_ledger(s, LedgerEntry.encounter_id == enc.id))


# --- cleaning, pricing and facts ---------------------------------------------------------------
def _split_modifiers(joined: str) -> tuple[str, ...]:
    return tuple(joined[i:i + 2] for i in range(0, len(joined), 2))


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, int):
        return Decimal(value)
    return value if isinstance(value, Decimal) and value.is_finite() else None


# Upper bounds a clerk cannot mean to pass: they keep every figure inside what the ledger
# stores and what the 837P (SV102, SV104, CTP04) and the 1500 (box 24F, 24G) can carry.
MAX_UNITS = Decimal(99999)
MAX_CHARGE = Decimal("999999.99")
MAX_NDC_QUANTITY = Decimal(9999999)


def _bounded(value: Any, most: Decimal) -> Decimal | None:
    d = _as_decimal(value)
    return d if d is not None and d <= most else None


def _decimal_problem(value: Any, what: str, most: Decimal) -> str | None:
    """Why `value` is not a usable quantity (an exact, finite, non-negative number no larger
    than `most` with at most 4 decimals, as ScaledDecimal stores), or None."""
    if isinstance(value, (float, bool)) or not isinstance(value, (Decimal, int)):
        return f"{what} must be an exact number."
    d = Decimal(value)
    if not d.is_finite():
        return f"{what} is not a number."
    if d < 0:
        return f"{what} cannot be negative."
    if d > most:
        return f"{what} cannot be more than {most:,}."
    if d != d.quantize(Decimal("0.0001"), ROUND_HALF_UP):
        return f"{what} has more than 4 decimal places."
    return None


def _clean_line(n: int, ln: LineDraft, p: dict[str, str]) -> LineDraft:
    key = f"line {n}"
    code = lk.normalize_code(ln.code)
    if not code:
        p[f"{key} code"] = "Enter a procedure code (CPT or HCPCS), or remove the line."
    mods = tuple(m.strip().upper() for m in ln.modifiers if m.strip())
    if len(mods) > ce.MAX_MODIFIERS:
        p[f"{key} modifiers"] = f"A line takes at most {ce.MAX_MODIFIERS} modifiers."
    elif bad := [m for m in mods if not _MODIFIER.match(m)]:
        p[f"{key} modifiers"] = f"{bad[0]!r} is not a modifier: a modifier is 2 letters or digits."
    elif len(set(mods)) != len(mods):
        p[f"{key} modifiers"] = "A modifier is listed twice."
    pointers = re.sub(r"[\s,;]", "", ln.pointers).upper()
    if len(pointers) > ce.MAX_POINTERS:
        p[f"{key} pointers"] = f"A line points at most at {ce.MAX_POINTERS} diagnoses."
    elif any(c not in ce.DIAGNOSIS_LETTERS for c in pointers):
        p[f"{key} pointers"] = "Pointers are the diagnosis letters A–L."
    elif len(set(pointers)) != len(pointers):
        p[f"{key} pointers"] = "A diagnosis letter is listed twice."
    units_msg = _decimal_problem(ln.units, "Units", MAX_UNITS)
    if units_msg:
        p[f"{key} units"] = units_msg
    charge_msg = None if ln.charge is None else _decimal_problem(ln.charge, "The charge",
                                                                 MAX_CHARGE)
    if charge_msg:
        p[f"{key} charge"] = charge_msg
    elif ln.charge is not None and Decimal(ln.charge) != Decimal(ln.charge).quantize(CENT):
        p[f"{key} charge"] = "The charge has a fraction of a cent."
    ndc = _clean_ndc(key, ln, p)
    # Bad numbers are reported above and refuse the save; the edits still run on their
    # nearest exact value (or none, when out of range) so the preview stays useful while
    # the coder fixes them.
    units = _bounded(ln.units, MAX_UNITS)
    charge = None if ln.charge is None else _bounded(ln.charge, MAX_CHARGE)
    return replace(ln, code=code, modifiers=mods, pointers=pointers, ndc=ndc,
                   units=Decimal(0) if units is None else units,
                   charge=None if charge is None else charge.quantize(CENT, ROUND_HALF_UP),
                   ndc_unit=ln.ndc_unit.strip().upper() if ndc else "",
                   ndc_quantity=ln.ndc_quantity if ndc else None)


def _clean_ndc(key: str, ln: LineDraft, p: dict[str, str]) -> str:
    if not ln.ndc.strip():
        if ln.ndc_unit.strip() or ln.ndc_quantity is not None:
            p[f"{key} NDC"] = "Enter the NDC that the unit and quantity belong to."
        return ""
    ndc = ce.normalize_ndc(ln.ndc)
    if ndc is None:
        p[f"{key} NDC"] = ("An NDC is 11 digits (5-4-2), or 10 digits with the hyphens "
                           "printed on the label (4-4-2, 5-3-2 or 5-4-1).")
        return ""
    if ln.ndc_unit.strip().upper() not in ce.NDC_UNITS:
        p[f"{key} NDC unit"] = "Choose the unit: " + ", ".join(
            f"{k} ({v})" for k, v in ce.NDC_UNITS.items()) + "."
    if ln.ndc_quantity is None:
        p[f"{key} NDC quantity"] = "Enter the quantity of the drug given."
    elif msg := _decimal_problem(ln.ndc_quantity, "The NDC quantity",
                                     MAX_NDC_QUANTITY):
        p[f"{key} NDC quantity"] = msg
    elif ln.ndc_quantity == 0:
        p[f"{key} NDC quantity"] = "The NDC quantity must be more than zero."
    return ndc


def _clean(s: Session, enc: Encounter, draft: CodingDraft
           ) -> tuple[CodingDraft, dict[str, str]]:
    p: dict[str, str] = {}
    diagnoses = tuple(lk.normalize_code(c) for c in draft.diagnoses)
    if len(diagnoses) > ce.MAX_DIAGNOSES:
        p["diagnoses"] = (f"A claim holds at most {ce.MAX_DIAGNOSES} diagnoses (A–L); remove "
                          f"{len(diagnoses) - ce.MAX_DIAGNOSES}.")
        diagnoses = diagnoses[:ce.MAX_DIAGNOSES]
    for i, code in enumerate(diagnoses, start=1):
        first = diagnoses.index(code) + 1
        if not code:
            p[f"diagnosis {ce.letter(i)}"] = "is empty: enter a code or remove it."
        elif first != i:
            p[f"diagnosis {ce.letter(i)}"] = (f"{lk.icd_display(code)} is already diagnosis "
                                              f"{ce.letter(first)}: list each code once.")
    lines = tuple(_clean_line(n, ln, p) for n, ln in enumerate(draft.lines, start=1))
    live = {ln.id for ln in _live_lines(s, enc.id)}
    seen: set[int] = set()
    for n, ln in enumerate(lines, start=1):
        if ln.line_id is not None and (ln.line_id not in live or ln.line_id in seen):
            p[f"line {n}"] = ("was changed by someone else since you opened the encounter; "
                              "reopen it.")
        if ln.line_id is not None:
            seen.add(ln.line_id)
    return CodingDraft(diagnoses, lines), p


def _price(s: Session, ln: LineDraft) -> Decimal:
    """The line's charge: as typed, or fee per unit × units rounded to the cent (ROUND_HALF_UP);
    0.00 when the fee schedule has no fee (the "charge zero" edit then says so)."""
    if ln.charge is not None:
        return ln.charge
    if not ln.code or ln.units < 0:
        return ZERO
    fee = lk.fee_for(s, ln.code, ln.modifiers)
    return ZERO if fee is None else (fee * ln.units).quantize(CENT, ROUND_HALF_UP)


def _diagnosis_facts(s: Session, codes: Sequence[str], dos: date
                     ) -> tuple[dict[str, ce.DiagnosisFact], str, bool]:
    release = lk.release_in_force(s, ICD10CM, dos)
    covers = release is not None
    checked = release if release is not None else lk.latest_release(s, ICD10CM)
    out: dict[str, ce.DiagnosisFact] = {}
    for code in dict.fromkeys(c for c in codes if c):
        row = lk.diagnosis_in_force(s, code, dos) if covers else None
        valid = row is not None or not covers
        if row is None:
            row = lk.diagnosis_latest(s, code)
        display = lk.icd_display(code)
        if row is None:
            out[code] = ce.DiagnosisFact(code, display, known=False, valid_on_dos=False,
                                         billable=False)
            continue
        out[code] = ce.DiagnosisFact(code, display, True, valid, row.billable, row.description,
                                     row.sex, row.age_min, row.age_max, row.edit_rule)
    return out, checked.version if checked is not None else "", covers


def edits_on(s: Session, patient: Patient, dos: date, draft: CodingDraft) -> list[CodeEdit]:
    """The code edits of `draft` billed for `patient` on `dos` (the claim scrubber reruns
    them on a claim's own lines)."""
    facts, _, _ = _facts_on(s, dos, patient, draft)
    return ce.check(draft, facts)


def _facts(s: Session, enc: Encounter, patient: Patient, draft: CodingDraft
           ) -> tuple[ce.Facts, dict[str, str], dict[str, str]]:
    return _facts_on(s, enc.date, patient, draft)


def _facts_on(s: Session, dos: date, patient: Patient, draft: CodingDraft
              ) -> tuple[ce.Facts, dict[str, str], dict[str, str]]:
    diagnoses, release, covers = _diagnosis_facts(s, draft.diagnoses, dos)
    procedures: dict[str, ce.ProcedureFact] = {}
    descriptions: dict[str, str] = {}
    systems: dict[str, str] = {}
    mue: dict[str, ce.MueFact] = {}
    for code in dict.fromkeys(ln.code for ln in draft.lines if ln.code):
        row = lk.procedure(s, code)
        if row is None:
            procedures[code] = ce.ProcedureFact(code, known=False)
            continue
        procedures[code] = ce.ProcedureFact(code, True, row.effective_from, row.effective_to,
                                            row.is_drug)
        descriptions[code] = row.short_description or row.long_description[:60]
        systems[code] = row.system
        limit = lk.mue_for(s, code, dos)
        if limit is not None:
            mue[code] = ce.MueFact(code, limit.max_units, limit.effective_from,
                                   limit.adjudication_indicator)
    ncci = tuple(ce.NcciFact(e.column1, e.column2, e.modifier_indicator, e.effective_from,
                             e.rationale)
                 for e in lk.ncci_pairs(s, list(procedures), dos))
    facts = ce.Facts(dos, patient.sex, ce.age_on(patient.dob, dos), release, covers,
                     diagnoses, procedures, ncci, mue)
    return facts, descriptions, systems


def _work(s: Session, enc: Encounter, patient: Patient, draft: CodingDraft) -> _Work:
    cleaned, problems = _clean(s, enc, draft)
    priced = replace(cleaned, lines=tuple(replace(ln, charge=_price(s, ln))
                                          for ln in cleaned.lines))
    facts, descriptions, systems = _facts(s, enc, patient, priced)
    for i, code in enumerate(priced.diagnoses, start=1):
        fact = facts.diagnoses.get(code)
        if fact is not None and not fact.known:
            problems.setdefault(f"diagnosis {ce.letter(i)}",
                                f"{fact.display} is not an ICD-10-CM code in any loaded "
                                "release: check the code.")
    for n, ln in enumerate(priced.lines, start=1):
        if ln.charge is not None and ln.charge > MAX_CHARGE:
            problems.setdefault(f"line {n} charge",
                                f"The fee × units comes to more than {MAX_CHARGE:,} on one "
                                "line: check the units, or split the line.")
        proc = facts.procedures.get(ln.code)
        if proc is not None and not proc.known:
            problems.setdefault(f"line {n} code",
                                f"{ln.code} is not a CPT or HCPCS code the clinic has loaded: "
                                "check it, or add it under Code sets first.")
    return _Work(priced, facts, ce.check(priced, facts), problems, descriptions, systems)


# --- writing -----------------------------------------------------------------------------------
def _same(old: ChargeLine, new: LineDraft, dos: date) -> bool:
    return (old.code, old.modifiers, old.units, old.pointers, old.ndc, old.ndc_unit,
            old.ndc_quantity, old.charge, old.dos) == (
        new.code, "".join(new.modifiers), new.units, new.pointers, new.ndc, new.ndc_unit,
        new.ndc_quantity, new.charge, dos)


def _void(s: Session, user: CurrentUser, old: ChargeLine, new: ChargeLine | None,
          memo: str) -> LedgerRow | None:
    old.voided_at = utcnow()
    old.voided_by = user.username
    old.replaced_by_id = new.id if new is not None else None
    entry = live_charge(s, old.id)
    if entry is None:  # a line always has its charge; nothing to undo if it was reversed
        return None
    return ledger_row(reverse(s, user, entry, memo), code=old.code)


def _write(s: Session, user: CurrentUser, enc: Encounter, w: _Work) -> SaveResult:
    s.execute(delete(EncounterDiagnosis).where(EncounterDiagnosis.encounter_id == enc.id))
    s.add_all(EncounterDiagnosis(encounter_id=enc.id, position=i, code=code)
              for i, code in enumerate(w.draft.diagnoses, start=1))
    live = {ln.id: ln for ln in _live_lines(s, enc.id)}
    kept: set[int] = set()
    posted: list[LedgerRow] = []
    undone: list[LedgerRow] = []
    for n, d in enumerate(w.draft.lines, start=1):
        old = live.get(d.line_id) if d.line_id is not None else None
        if old is not None:
            kept.add(old.id)
            if _same(old, d, enc.date):
                old.line_no = n
                continue
        new = ChargeLine(encounter_id=enc.id, patient_id=enc.patient_id, line_no=n,
                         dos=enc.date, system=w.systems.get(d.code, ""), code=d.code,
                         modifiers="".join(d.modifiers), units=d.units, pointers=d.pointers,
                         ndc=d.ndc, ndc_unit=d.ndc_unit, ndc_quantity=d.ndc_quantity,
                         charge=d.charge or ZERO, created_by=user.username)
        s.add(new)
        s.flush()
        posted.append(ledger_row(post_charge(s, user, new), code=new.code))
        if old is not None:
            rev = _void(s, user, old, new, f"Corrected: replaced by line {n}")
            if rev is not None:
                undone.append(rev)
    for line_id, old in live.items():
        if line_id not in kept:
            rev = _void(s, user, old, None, "Removed from the encounter's coding")
            if rev is not None:
                undone.append(rev)
    status = _status(w)
    enc.coding_status = status
    enc.coded_at = utcnow() if status != UNCODED else None
    enc.coded_by = user.username if status != UNCODED else ""
    flag_modified(enc, "coding_status")  # every save bumps the version, even a no-op one
    return SaveResult(status, enc.version, tuple(w.edits), tuple(posted), tuple(undone))


def _status(w: _Work) -> str:
    if not w.draft.lines and not w.draft.diagnoses:
        return UNCODED
    return NEEDS_REVIEW if any(e.severity == ce.ERROR for e in w.edits) else CODED


# --- the queue ---------------------------------------------------------------------------------
def _statuses(status: str | None) -> tuple[str, ...]:
    if status is None or status == "":
        return QUEUE_ORDER
    if status not in CODING_STATUSES:
        raise UserError("Choose uncoded, review or coded.")
    return (status,)


@dataclass(frozen=True)
class _Patients:
    """The patients a typed filter matches: their ids when few, else the condition."""

    ids: tuple[int, ...] | None
    cond: Any = None


def _patient_filter(s: Session, text: str) -> _Patients | None:
    """Patients matching `text` as the patient search reads it (name, MRN, DOB, phone), or
    None for no filter."""
    if not text.strip():
        return None
    conds = [b.cond for b in search_branches(text) if b.cond is not None]
    if not conds:
        return None
    cond = or_(*conds)
    ids = tuple(s.scalars(select(Patient.id).where(cond).limit(_FEW_PATIENTS + 1)))
    return _Patients(ids) if len(ids) <= _FEW_PATIENTS else _Patients(None, cond)


def _patient_term(patients: _Patients) -> Any:
    if patients.ids is not None:
        return Encounter.patient_id.in_(patients.ids)
    return Encounter.patient_id.in_(select(Patient.id).where(patients.cond))


def _queue_where(q: Any, status: str, patients: _Patients | None) -> Any:
    if patients is None:
        return q.where(Encounter.coding_status == status)
    if patients.ids is not None:
        # A few patients: read their visits through ix_encounter_patient_date and sort those.
        # ifnull() keeps the planner off ix_encounter_coding, which would walk every visit
        # of the status and look each one up to test its patient.
        return q.where(_patient_term(patients),
                       func.ifnull(Encounter.coding_status, "") == status)
    # Many patients (a letter or two typed): matches are dense, so walking the status index
    # in date order finds a page quickly.
    return q.where(Encounter.coding_status == status, _patient_term(patients))


def _queue_ids(s: Session, status: str, patients: _Patients | None, offset: int,
               limit: int) -> list[int]:
    q = _queue_where(select(Encounter.id), status, patients)
    q = q.order_by(Encounter.date, Encounter.id).offset(offset).limit(limit)
    return list(s.scalars(q))


def _queue_count(s: Session, status: str, patients: _Patients | None) -> int:
    if status == CODED and patients is not None and patients.ids is None:
        # Most visits end up coded, so counting them for many patients would read nearly
        # every visit row; count all their visits inside ix_encounter_patient_date instead
        # and take away the (few) uncoded and review ones.
        return _all_count(s, patients) - sum(_queue_count(s, st, patients)
                                             for st in (UNCODED, NEEDS_REVIEW))
    q = _queue_where(select(func.count(Encounter.id)), status, patients)
    return int(s.scalar(q) or 0)


def _all_count(s: Session, patients: _Patients | None) -> int:
    """Visits of every status: with no status term the count stays inside an index
    (ix_encounter_patient_date covers patient_id) instead of reading each visit."""
    q = select(func.count(Encounter.id))
    if patients is not None:
        q = q.where(_patient_term(patients))
    return int(s.scalar(q) or 0)


def _queue_rows(s: Session, ids: list[int]) -> list[QueueRow]:
    if not ids:
        return []
    live = (ChargeLine.encounter_id == Encounter.id) & ChargeLine.voided_at.is_(None)
    n_lines = select(func.count(ChargeLine.id)).where(live).scalar_subquery()
    total = select(func.sum(ChargeLine.charge)).where(live).scalar_subquery()
    q = (select(Encounter.id, Encounter.date, Encounter.coding_status, Patient.id,
                Patient.last_name, Patient.first_name, Patient.middle_name, Patient.mrn,
                Provider.last_name, Provider.first_name, Provider.credential, n_lines, total)
         .join(Patient, Patient.id == Encounter.patient_id)
         .outerjoin(Provider, Provider.id == Encounter.provider_id)
         .where(Encounter.id.in_(ids)))
    rows = {}
    for (eid, dos, status, pid, last, first, middle, mrn, v_last, v_first, v_cred, count,
         charge) in s.execute(q):
        name = f"{last}, {first}" + (f" {middle}" if middle else "")
        provider = f"{v_last}, {v_first} {v_cred}".strip() if v_last is not None else ""
        rows[eid] = QueueRow(eid, dos, pid, name, mrn, provider, status, int(count or 0),
                             ZERO if charge is None else charge)
    return [rows[i] for i in ids if i in rows]
