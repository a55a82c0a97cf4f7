"""Code edits: the checks a coded encounter must pass before it can be billed.

Pure rules with no database: the caller (app.services.coding) looks the facts up (the
ICD-10-CM rows for the date of service, the procedure codes, the NCCI pairs and MUE limits
in force) and passes them in with the draft; `check` returns every edit found, each with a
plain message naming what to fix and the source of the rule:

- ICD-10-CM Official Guidelines for Coding and Reporting: I.A.3 (only codes, not
  categories or subcategories, are reported) and I.B.2 (level of detail); I.C.16.a.4
  (perinatal codes may be used after the perinatal period); the tabular's chapter notes
  (chapter 15 "for use only on maternal records", chapter 16 perinatal).
- CMS Medicare Code Editor (MCE) conventions for sex and age conflicts (the DiagnosisCode
  rows carry `sex`, `age_min`, `age_max` and `edit_rule`, filled by app.formats.icd10cm).
- HIPAA code-set rule (45 CFR 162.1002): the code set in force on the date of service.
- CMS NCCI procedure-to-procedure (PTP) edits with their modifier indicator (0 no bypass,
  1 bypass with an NCCI-associated modifier, 9 not applicable; NCCI Policy Manual ch. I),
  and CMS Medically Unlikely Edits (MUE, practitioner services).
- 005010X222A1 loop 2400 SV1 (SV102 charge, SV104 units, SV107 pointers) and loop 2410
  LIN03/CTP (the NDC of a drug line, 11 digits in 5-4-2 form), NUCC 1500 box 21/24E.

Codes in the draft and the facts are normalised (upper case, no dot) by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.formats import ncci

ERROR = "error"
WARNING = "warning"

DIAGNOSIS_LETTERS = "ABCDEFGHIJKL"  # 1500 box 21 / 837P HI: at most 12 diagnoses
MAX_DIAGNOSES = len(DIAGNOSIS_LETTERS)
MAX_MODIFIERS = 4  # 837P SV101-3..6
MAX_POINTERS = 4  # 837P SV107-1..4

# NCCI-associated modifiers that bypass an indicator-1 PTP edit, and 25 on the E/M line:
# one list, with its sources, in app.formats.ncci.
NCCI_BYPASS_MODIFIERS = ncci.BYPASS_MODIFIERS
EM_MODIFIER = ncci.EM_BYPASS_MODIFIER
EM_CODES = ncci.EM_CODES

# NCCI modifier indicator values (CMS PTP file, column "Modifier").
NCCI_NO_BYPASS = "0"
NCCI_BYPASS_ALLOWED = "1"
NCCI_NOT_APPLICABLE = "9"

# 837P loop 2410 CTP05-1 unit of measure codes.
NDC_UNITS: dict[str, str] = {
    "UN": "unit", "ML": "milliliter", "GR": "gram", "F2": "international unit",
    "ME": "milligram",
}

_SRC_HEADER = "ICD-10-CM Official Guidelines I.A.3 and I.B.2 / tabular"
_SRC_VALIDITY = "ICD-10-CM release in force on the date of service (45 CFR 162.1002)"
_SRC_SEX = "ICD-10-CM tabular / CMS Medicare Code Editor sex edit"
_SRC_AGE = {
    "maternity": "ICD-10-CM chapter 15 note (maternal records only) / CMS MCE maternity age",
    "newborn": "ICD-10-CM tabular / CMS MCE newborn age edit",
    "perinatal": "ICD-10-CM Official Guidelines I.C.16.a.4",
}
_SRC_AGE_OTHER = "ICD-10-CM tabular / CMS Medicare Code Editor age edit"
_SRC_POINTER = "837P loop 2400 SV107 / NUCC 1500 box 24E"
_SRC_UNITS = "837P loop 2400 SV104 / NUCC 1500 box 24G"
_SRC_CHARGE = "837P loop 2400 SV102 / NUCC 1500 box 24F"
_SRC_DUPLICATE = "Payer duplicate-line edits; CPT repeat-service modifiers 76, 77, 91"
_SRC_PROCEDURE = "HCPCS/CPT code set in force on the date of service (45 CFR 162.1002)"
_SRC_NDC = "837P loop 2410 LIN03 (NDC for drug codes) / NUCC 1500 box 24 shaded area"


@dataclass(frozen=True)
class CodeEdit:
    """One finding. `where` names the place to fix: "diagnosis B", "line 2", "lines 1, 3"."""

    severity: str  # ERROR blocks billing; WARNING asks the coder to look
    rule: str
    message: str
    source: str
    where: str


@dataclass(frozen=True)
class LineDraft:
    """One procedure line as the coder typed it. `charge` None means "from the fee
    schedule"; `line_id` is the posted line this one continues (None for a new line)."""

    code: str
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal(1)
    pointers: str = ""
    ndc: str = ""
    ndc_unit: str = ""
    ndc_quantity: Decimal | None = None
    charge: Decimal | None = None
    line_id: int | None = None


@dataclass(frozen=True)
class CodingDraft:
    """Diagnosis codes in claim order (A, B, ...) and the procedure lines."""

    diagnoses: tuple[str, ...] = ()
    lines: tuple[LineDraft, ...] = ()


@dataclass(frozen=True)
class DiagnosisFact:
    """What the loaded code set says about one diagnosis code.

    `known`: in some loaded ICD-10-CM release; `valid_on_dos`: in the release checked
    against (the one in force on the date of service, or the latest when none covers it).
    The other fields come from that release's row (or the newest row when not valid)."""

    code: str
    display: str
    known: bool = True
    valid_on_dos: bool = True
    billable: bool = True
    description: str = ""
    sex: str = ""
    age_min: int | None = None
    age_max: int | None = None
    edit_rule: str = ""


@dataclass(frozen=True)
class ProcedureFact:
    code: str
    known: bool = True
    effective_from: date | None = None
    effective_to: date | None = None
    is_drug: bool = False


@dataclass(frozen=True)
class NcciFact:
    column1: str
    column2: str
    modifier_indicator: str
    effective_from: date
    rationale: str = ""


@dataclass(frozen=True)
class MueFact:
    code: str
    max_units: int
    effective_from: date
    adjudication_indicator: str = ""


@dataclass(frozen=True)
class Facts:
    """Everything the rules need besides the draft (looked up by the caller)."""

    dos: date
    patient_sex: str  # M, F or U
    patient_age: int  # whole years on the date of service
    icd_release: str = ""  # version the diagnoses were checked against
    icd_release_covers_dos: bool = True
    diagnoses: Mapping[str, DiagnosisFact] = field(default_factory=dict)
    procedures: Mapping[str, ProcedureFact] = field(default_factory=dict)
    ncci: tuple[NcciFact, ...] = ()
    mue: Mapping[str, MueFact] = field(default_factory=dict)


def age_on(dob: date, on: date) -> int:
    """Whole years between `dob` and `on` (the age the MCE age edits use)."""
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def letter(position: int) -> str:
    """Diagnosis position 1–12 → its claim letter A–L."""
    return DIAGNOSIS_LETTERS[position - 1]


_NDC_SHAPES = {(5, 4, 2): (0, 0, 0), (4, 4, 2): (1, 0, 0), (5, 3, 2): (0, 1, 0),
               (5, 4, 1): (0, 0, 1)}


def normalize_ndc(text: str) -> str | None:
    """An NDC as the 837P wants it (loop 2410 LIN03: 11 digits, 5-4-2, no hyphens), or None
    when `text` is not an NDC.

    Labels print 10-digit NDCs as 4-4-2, 5-3-2 or 5-4-1; the 11-digit form adds a leading
    zero to the short segment, so a 10-digit NDC is only accepted with its hyphens (without
    them the short segment cannot be known). Written here because no library in the venv
    does this one conversion."""
    t = "".join(text.split())
    if re.fullmatch(r"\d{11}", t):
        return t
    parts = t.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    pad = _NDC_SHAPES.get((len(parts[0]), len(parts[1]), len(parts[2])))
    if pad is None:
        return None
    return "".join("0" * z + p for z, p in zip(pad, parts, strict=True))


def format_ndc(ndc: str) -> str:
    """'12345678901' → '12345-6789-01' (the 5-4-2 form people read)."""
    return f"{ndc[:5]}-{ndc[5:9]}-{ndc[9:]}" if len(ndc) == 11 else ndc


def _is_em(code: str) -> bool:
    return ncci.is_em(code)


def _lines_word(nums: list[int]) -> str:
    return ("line " if len(nums) == 1 else "lines ") + ", ".join(str(n) for n in nums)


def check(draft: CodingDraft, facts: Facts) -> list[CodeEdit]:
    """Every code edit of `draft` (charges already filled in: a None charge counts as
    zero), diagnoses first, then each line, then the edits across lines."""
    out: list[CodeEdit] = []
    out += _release_edits(draft, facts)
    for pos, code in enumerate(draft.diagnoses, start=1):
        fact = facts.diagnoses.get(code)
        if fact is not None:
            out += _diagnosis_edits(f"diagnosis {letter(pos)}", fact, facts)
    for n, line in enumerate(draft.lines, start=1):
        out += _line_edits(n, line, len(draft.diagnoses), facts)
    out += _duplicate_edits(draft)
    out += _ncci_edits(draft, facts)
    out += _mue_edits(draft, facts)
    return out


# --- diagnoses ---------------------------------------------------------------------------------
def _release_edits(draft: CodingDraft, facts: Facts) -> list[CodeEdit]:
    if not draft.diagnoses or facts.icd_release_covers_dos:
        return []
    checked = (f"they were checked against {facts.icd_release} instead"
               if facts.icd_release else "they could not be checked")
    return [CodeEdit(
        WARNING, "icd-release-missing",
        f"No loaded ICD-10-CM release covers {facts.dos.isoformat()}, so {checked}. Load "
        "the release in force on the date of service to check the codes properly.",
        _SRC_VALIDITY, "diagnoses")]


def _diagnosis_edits(where: str, d: DiagnosisFact, facts: Facts) -> list[CodeEdit]:
    if not d.known:
        return [CodeEdit(ERROR, "diagnosis-unknown",
                         f"{d.display} is not an ICD-10-CM code in any loaded release: "
                         "check the code.", _SRC_VALIDITY, where)]
    out: list[CodeEdit] = []
    if not d.valid_on_dos:
        out.append(CodeEdit(
            ERROR, "diagnosis-not-valid-on-dos",
            f"{d.display} is not in ICD-10-CM {facts.icd_release}, the release in force on "
            f"{facts.dos.isoformat()}: pick the code that replaced it.",
            _SRC_VALIDITY, where))
    elif not d.billable:
        out.append(CodeEdit(
            ERROR, "diagnosis-header",
            f"{d.display} is a category heading, not a billable code: pick a more specific "
            "code below it.", _SRC_HEADER, where))
    out += _sex_edits(where, d, facts.patient_sex)
    out += _age_edits(where, d, facts.patient_age)
    return out


def _sex_edits(where: str, d: DiagnosisFact, patient_sex: str) -> list[CodeEdit]:
    if d.sex not in ("M", "F") or patient_sex == d.sex:
        return []
    wanted = "male" if d.sex == "M" else "female"
    if patient_sex not in ("M", "F"):
        return [CodeEdit(WARNING, "diagnosis-sex",
                         f"{d.display} is for {wanted} patients only and the patient's sex "
                         "is recorded as unknown: check the code, or record the patient's "
                         "sex.", _SRC_SEX, where)]
    return [CodeEdit(ERROR, "diagnosis-sex",
                     f"{d.display} is for {wanted} patients only, but the patient is recorded "
                     "as the other sex: check the code or the patient's sex.", _SRC_SEX, where)]


def _age_edits(where: str, d: DiagnosisFact, age: int) -> list[CodeEdit]:
    if d.edit_rule == "perinatal":
        # Guideline I.C.16.a.4: a condition that began in the perinatal period keeps its
        # chapter 16 code for life, so past age 0 this only asks the coder to look.
        if age <= (d.age_max or 0):
            return []
        return [CodeEdit(WARNING, "diagnosis-age",
                         f"{d.display} is a perinatal code and the patient is {age} years old:"
                         " use it only for a condition that began in the perinatal period.",
                         _SRC_AGE["perinatal"], where)]
    too_young = d.age_min is not None and age < d.age_min
    too_old = d.age_max is not None and age > d.age_max
    if not (too_young or too_old):
        return []
    low = "" if d.age_min is None else str(d.age_min)
    high = "" if d.age_max is None else str(d.age_max)
    span = (f"ages {low}–{high}" if low and high
            else f"age {low} and over" if low else f"age {high} and under")
    if low and low == high:
        span = f"age {low}"
    rule = f" ({d.edit_rule})" if d.edit_rule else ""
    return [CodeEdit(ERROR, "diagnosis-age",
                     f"{d.display} is for patients of {span}{rule} and the patient is {age}: "
                     "check the code or the date of birth.",
                     _SRC_AGE.get(d.edit_rule, _SRC_AGE_OTHER), where)]


# --- lines -------------------------------------------------------------------------------------
def _line_edits(n: int, line: LineDraft, n_diagnoses: int, facts: Facts) -> list[CodeEdit]:
    where = f"line {n}"
    out: list[CodeEdit] = []
    proc = facts.procedures.get(line.code)
    if not line.code:
        pass  # nothing to look up; the save refuses a line without a code
    elif proc is None or not proc.known:
        out.append(CodeEdit(ERROR, "procedure-unknown",
                            f"{line.code} is not a HCPCS or CPT code the clinic has loaded: "
                            "check the code or add it to the code set.", _SRC_PROCEDURE, where))
    else:
        out += _procedure_dates(where, line, proc, facts.dos)
        if proc.is_drug and not line.ndc:
            out.append(CodeEdit(WARNING, "ndc-missing",
                                f"{line.code} is a drug code: enter the NDC of the drug "
                                "given, with its unit and quantity.", _SRC_NDC, where))
    if not line.pointers:
        out.append(CodeEdit(ERROR, "pointer-missing",
                            f"Line {n} has no diagnosis pointer: point it at the diagnosis "
                            "(A–L) that supports it.", _SRC_POINTER, where))
    missing = [p for p in line.pointers if DIAGNOSIS_LETTERS.find(p) >= n_diagnoses]
    if missing:
        out.append(CodeEdit(ERROR, "pointer-to-missing-diagnosis",
                            f"Line {n} points at diagnosis {', '.join(missing)}, which is not "
                            "entered: add that diagnosis or change the pointer.",
                            _SRC_POINTER, where))
    if line.units == 0:
        out.append(CodeEdit(ERROR, "units-zero",
                            f"Line {n} has zero units: enter how many units were given.",
                            _SRC_UNITS, where))
    if not line.charge:
        out.append(CodeEdit(ERROR, "charge-zero",
                            f"Line {n} has no charge: enter the charge, or add {line.code} to "
                            "the fee schedule.", _SRC_CHARGE, where))
    return out


def _procedure_dates(where: str, line: LineDraft, p: ProcedureFact, dos: date) -> list[CodeEdit]:
    if p.effective_from is not None and dos < p.effective_from:
        when = f"only from {p.effective_from.isoformat()}"
    elif p.effective_to is not None and dos > p.effective_to:
        when = f"only until {p.effective_to.isoformat()}"
    else:
        return []
    return [CodeEdit(ERROR, "procedure-not-valid-on-dos",
                     f"{line.code} is valid {when}, not on {dos.isoformat()}: use the code in "
                     "force on the date of service.", _SRC_PROCEDURE, where)]


def _duplicate_edits(draft: CodingDraft) -> list[CodeEdit]:
    seen: dict[tuple[str, frozenset[str]], list[int]] = {}
    for n, line in enumerate(draft.lines, start=1):
        seen.setdefault((line.code, frozenset(line.modifiers)), []).append(n)
    return [CodeEdit(WARNING, "duplicate-line",
                     f"{_lines_word(nums).capitalize()} are the same code ({code}) with the "
                     "same modifiers on the same day; payers deny the repeat as a duplicate. "
                     "Combine them into one line with more units, or if the service was really "
                     "repeated add 76/77 (procedure) or 91 (lab test).",
                     _SRC_DUPLICATE, _lines_word(nums))
            for (code, _mods), nums in seen.items() if len(nums) > 1]


def _ncci_edits(draft: CodingDraft, facts: Facts) -> list[CodeEdit]:
    out: list[CodeEdit] = []
    for pair in facts.ncci:
        if pair.modifier_indicator not in (NCCI_NO_BYPASS, NCCI_BYPASS_ALLOWED):
            continue  # 9: the edit does not apply
        ones = [n for n, ln in enumerate(draft.lines, 1) if ln.code == pair.column1]
        twos = [n for n, ln in enumerate(draft.lines, 1) if ln.code == pair.column2]
        for a in ones:
            for b in twos:
                edit = _ncci_pair(pair, a, b, draft)
                if edit is not None:
                    out.append(edit)
    return out


def _bypassed(one: LineDraft, two: LineDraft) -> bool:
    for ln in (one, two):
        if NCCI_BYPASS_MODIFIERS.intersection(ln.modifiers):
            return True
        if EM_MODIFIER in ln.modifiers and _is_em(ln.code):
            return True
    return False


def _ncci_pair(pair: NcciFact, a: int, b: int, draft: CodingDraft) -> CodeEdit | None:
    one, two = draft.lines[a - 1], draft.lines[b - 1]
    source = f"CMS NCCI PTP edits, effective {pair.effective_from.isoformat()}"
    why = f" ({pair.rationale})" if pair.rationale else ""
    head = (f"{pair.column2} (line {b}) is bundled into {pair.column1} (line {a}) on the same "
            f"day{why}")
    if pair.modifier_indicator == NCCI_NO_BYPASS:
        return CodeEdit(ERROR, "ncci-ptp",
                        f"{head} and no modifier allows both: remove line {b}.", source,
                        f"line {b}")
    if _bypassed(one, two):
        return None
    return CodeEdit(ERROR, "ncci-ptp",
                    f"{head}: remove line {b}, or if it was a distinct service (another "
                    "site, session or practitioner) add 59, XE, XS, XP or XU (25 on a "
                    "separately identifiable E/M) as the documentation supports.",
                    source, f"line {b}")


def _mue_edits(draft: CodingDraft, facts: Facts) -> list[CodeEdit]:
    totals: dict[str, tuple[Decimal, list[int]]] = {}
    for n, line in enumerate(draft.lines, start=1):
        units, nums = totals.get(line.code, (Decimal(0), []))
        totals[line.code] = (units + line.units, [*nums, n])
    out = []
    for code, (units, nums) in totals.items():
        mue = facts.mue.get(code)
        if mue is None or units <= mue.max_units:
            continue
        out.append(CodeEdit(
            ERROR, "mue",
            f"{code} has {units.normalize():f} units on this day but CMS allows at most "
            f"{mue.max_units} per patient per day: check the units, or send the extra units "
            "on appeal with documentation.",
            f"CMS MUE, practitioner, effective {mue.effective_from.isoformat()}",
            _lines_word(nums)))
    return out
