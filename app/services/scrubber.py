"""The claim scrubber: what would make a payer or the clearinghouse turn a claim back, found
before it goes out. Each issue is blocking (an error: the claim cannot be made ready) or a
warning, says in plain words what is wrong, and names the place to fix it (`Fix`), which the
Claims tab turns into a button.

Rules (005010X222A1 and the NUCC 1500 manual say what must be there):
- billing provider (2010AA, box 33/25): name, NPI, EIN, taxonomy, street address, ZIP+4, phone;
- payer (2010BB): payer ID for an electronic claim, address for a paper one (carrier block);
- subscriber and patient (2010BA/2010CA, boxes 1a–7, 11): member ID, names, date of birth,
  sex, address; the relationship code;
- rendering/referring providers and the facility: NPIs (check digit) and addresses;
- diagnoses (HI, box 21): 1 to 12; every line points at 1 to 4 of them; lines: 1 to 50;
- the coding edits of the coding issue, rerun on the claim's own lines;
- the coverage in force and verified on each date of service (from the benefits issue);
- timely filing: days left for this payer, and past the limit blocks;
- duplicates of a line already on a submitted claim to the same payer;
- a replacement or void carries the payer's claim number; box 12/13/27 (CLM07–09) agree with
  the signatures on file; 837P settings present for electronic claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formats import code_edits as ce
from app.formats import identifiers as ids
from app.models import Coverage, Encounter, Facility, Patient, Payer, Practice, Provider
from app.models.claims import ACCEPTED, ELECTRONIC, PAPER, SUBMITTED, Claim, ServiceLine
from app.services.claims import claim_lines, claim_number, diagnoses_of, split_modifiers
from app.services.coding import edits_on
from app.services.coverage import (
    RELATIONSHIPS,
    SELF,
    CoverageRow,
    coverage_data,
    last_checks,
    warnings_for,
)
from app.services.settings import read_edi, read_settings

ERROR = "error"
WARNING = "warning"
TIMELY_WARN_DAYS = 30


@dataclass(frozen=True)
class Fix:
    """Where a clerk fixes an issue: kind is practice, payer, patient, coverage, provider,
    facility, coding, claim or settings; `target_id` the record (None for the claim itself,
    the practice or settings); `field` the claim field when kind is claim."""

    kind: str
    target_id: int | None = None
    field: str = ""


@dataclass(frozen=True)
class ScrubIssue:
    severity: str
    code: str
    message: str
    fix: Fix

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR


class _Found:
    def __init__(self) -> None:
        self.issues: list[ScrubIssue] = []

    def error(self, code: str, message: str, fix: Fix) -> None:
        self.issues.append(ScrubIssue(ERROR, code, message, fix))

    def warn(self, code: str, message: str, fix: Fix) -> None:
        self.issues.append(ScrubIssue(WARNING, code, message, fix))


def _practice(s: Session, f: _Found) -> None:
    pr = s.query(Practice).first()
    fix = Fix("practice")
    if pr is None:
        f.error("practice", "The practice (billing provider) is not set up: enter it in "
                "Admin → Practice.", fix)
        return
    checks = (("practice_npi", "NPI", ids.check_npi(pr.npi)),
              ("practice_ein", "EIN (box 25)", ids.check_ein(pr.ein)),
              ("practice_taxonomy", "taxonomy code", ids.check_taxonomy(pr.taxonomy)),
              ("practice_zip", "ZIP+4", ids.check_zip(pr.zip, plus4=True)),
              ("practice_phone", "phone", ids.check_phone(pr.phone)))
    for code, label, problem in checks:
        if problem:
            f.error(code, f"The practice's {label} is missing or wrong: {problem}", fix)
    if not (pr.name.strip() and pr.address1.strip() and pr.city.strip() and pr.state):
        f.error("practice_address", "The practice needs its name and full street address.",
                fix)


def _payer(y: Payer, method: str, f: _Found) -> None:
    fix = Fix("payer", y.id)
    if method == ELECTRONIC and not y.payer_id.strip():
        f.error("payer_id", f"{y.name} has no electronic payer ID: enter it in Admin → "
                "Payers, or send this claim on paper.", fix)
    if not (y.address1.strip() and y.city.strip() and y.state and y.zip):
        message = f"{y.name} has no claims mailing address (the 1500's carrier block)."
        if method == PAPER:
            f.error("payer_address", message + " Enter it in Admin → Payers.", fix)
    if not y.claim_filing_indicator:
        f.error("payer_filing", f"{y.name} has no claim filing indicator (SBR09).", fix)
    elif y.claim_filing_indicator == "09":
        f.error("payer_filing", f"{y.name} is marked self-pay (09): a claim goes to an "
                "insurer. Bill the patient instead, or correct the payer.", fix)


def _person_problems(last: str, first: str, dob: date | None, sex: str,
                     address: tuple[str, str, str, str]) -> list[str]:
    out = []
    if not last.strip() or not first.strip():
        out.append("full name")
    if dob is None:
        out.append("date of birth")
    if sex not in ("M", "F"):
        out.append("sex (M or F on the 1500)")
    line1, city, state, zip_ = address
    if not (line1.strip() and city.strip()) or ids.check_state(state) or ids.check_zip(zip_):
        out.append("street address, city, state and ZIP")
    return out


def _people(p: Patient, cov: Coverage, f: _Found) -> None:
    missing = _person_problems(p.last_name, p.first_name, p.dob, p.sex,
                               (p.address1, p.city, p.state, p.zip))
    if missing:
        f.error("patient_demographics", "The patient's record lacks: " + ", ".join(missing)
                + ".", Fix("patient", p.id))
    fix = Fix("coverage", cov.id)
    if not cov.member_id.strip():
        f.error("member_id", "The coverage has no member ID (box 1a).", fix)
    if cov.relationship not in RELATIONSHIPS:
        f.error("relationship", "The patient's relationship to the subscriber is not a "
                "valid code (box 6).", fix)
    if cov.relationship != SELF:
        missing = _person_problems(cov.subscriber_last_name, cov.subscriber_first_name,
                                   cov.subscriber_dob, cov.subscriber_sex,
                                   (cov.subscriber_address1, cov.subscriber_city,
                                    cov.subscriber_state, cov.subscriber_zip))
        if missing:
            f.error("subscriber_demographics", "The subscriber (insured) lacks: "
                    + ", ".join(missing) + ".", fix)


def _provider(s: Session, provider_id: int | None, role: str, f: _Found,
              required: bool) -> None:
    if provider_id is None:
        if required:
            f.error(f"{role}_missing", f"Choose the {role} provider.",
                    Fix("claim", None, f"{role}_provider_id"))
        return
    v = s.get(Provider, provider_id)
    if v is None:
        return
    if problem := ids.check_npi(v.npi):
        f.error(f"{role}_npi", f"The {role} provider's NPI is wrong: {problem}",
                Fix("provider", v.id))
    if role == "rendering" and ids.check_taxonomy(v.taxonomy):
        f.warn("rendering_taxonomy", "The rendering provider has no taxonomy code; some "
               "payers require it (PRV in loop 2310B).", Fix("provider", v.id))


def _facility(s: Session, facility_id: int | None, f: _Found) -> None:
    fac = s.get(Facility, facility_id) if facility_id else None
    if fac is None:
        return
    fix = Fix("facility", fac.id)
    if not (fac.address1.strip() and fac.city.strip()) or ids.check_zip(fac.zip):
        f.error("facility_address", f"The facility {fac.name} needs its full address "
                "(box 32).", fix)
    if fac.npi and (problem := ids.check_npi(fac.npi)):
        f.error("facility_npi", f"The facility's NPI is wrong: {problem}", fix)


def _diagnoses_and_lines(c: Claim, lines: list[ServiceLine], f: _Found) -> None:
    codes = diagnoses_of(c)
    if not codes:
        f.error("no_diagnosis", "The claim has no diagnosis (box 21).",
                Fix("coding", c.encounter_id))
    if len(codes) > 12:
        f.error("too_many_diagnoses", f"The claim has {len(codes)} diagnoses; a claim holds "
                "12. Move some lines to another claim.", Fix("claim", None, "lines"))
    if not lines:
        f.error("no_lines", "The claim has no service lines.", Fix("claim", None, "lines"))
    if len(lines) > 50:
        f.error("too_many_lines", f"The claim has {len(lines)} lines; an 837P claim holds "
                "50. Split it into two claims.", Fix("claim", None, "lines"))
    for ln in lines:
        where = f"Line {ln.line_no} ({ln.code})"
        if not ln.pointers:
            f.error("no_pointer", f"{where} points at no diagnosis (24E).",
                    Fix("coding", c.encounter_id))
        elif any("ABCDEFGHIJKL".find(ch) >= min(len(codes), 12) for ch in ln.pointers):
            f.error("bad_pointer", f"{where} points at a diagnosis the claim does not have.",
                    Fix("coding", c.encounter_id))
        if ln.charge <= 0:
            f.error("no_charge", f"{where} has no charge.", Fix("coding", c.encounter_id))
        if ln.units <= 0:
            f.error("no_units", f"{where} has no units.", Fix("coding", c.encounter_id))


PAPER_MAX = Decimal("99999.99")  # the 1500's amount boxes hold 5 dollar digits


def _paper_amounts(c: Claim, lines: list[ServiceLine], f: _Found) -> None:
    if c.method != PAPER:
        return
    fix = Fix("claim", None, "lines")
    for ln in lines:
        if ln.charge > PAPER_MAX:
            f.error("paper_amount", f"Line {ln.line_no} ({ln.code}) charges more than "
                    f"{PAPER_MAX:,}, more than box 24F can print. Send the claim "
                    "electronically, or split the units over two lines.", fix)
    pages = [lines[i:i + 6] for i in range(0, len(lines), 6)]
    if any(sum((ln.charge for ln in page), Decimal(0)) > PAPER_MAX for page in pages):
        f.error("paper_amount", f"A page of the form would total more than {PAPER_MAX:,} "
                "(box 28). Send the claim electronically, or split it.", fix)


def _code_edits(s: Session, c: Claim, p: Patient, lines: list[ServiceLine], f: _Found) -> None:
    by_day: dict[date, list[ServiceLine]] = {}
    for ln in lines:
        by_day.setdefault(ln.dos, []).append(ln)
    fix = Fix("coding", c.encounter_id)
    for dos, day in sorted(by_day.items()):
        draft = ce.CodingDraft(tuple(diagnoses_of(c)[:12]), tuple(
            ce.LineDraft(ln.code, split_modifiers(ln.modifiers), ln.units, ln.pointers, ln.ndc,
                         ln.ndc_unit, ln.ndc_quantity, ln.charge, ln.charge_line_id)
            for ln in day))
        for e in edits_on(s, p, dos, draft):
            if e.severity == ce.ERROR:
                f.error("code_edit", f"Coding: {e.message}", fix)
            else:
                f.warn("code_edit", f"Coding: {e.message}", fix)


def _coverage(s: Session, c: Claim, cov: Coverage, payer: Payer, lines: list[ServiceLine],
              verify_days: int, f: _Found) -> None:
    fix = Fix("coverage", cov.id)
    check = last_checks(s, [cov.id]).get(cov.id)
    row = CoverageRow(coverage_data(cov), payer.name, payer.payer_id, 1, check)
    seen: set[str] = set()
    for dos in sorted({ln.dos for ln in lines}):
        for w in warnings_for(row, dos, verify_days):
            if w.kind in seen:
                continue
            seen.add(w.kind)
            if w.kind in ("not_in_force", "inactive"):
                f.error(f"coverage_{w.kind}", w.message, fix)
            else:
                f.warn(f"coverage_{w.kind}", w.message, fix)


def _timely(c: Claim, payer: Payer, lines: list[ServiceLine], today: date, f: _Found) -> None:
    if not lines or c.frequency == "8":  # a void is always welcome
        return
    first = min(ln.dos for ln in lines)
    deadline = first + timedelta(days=payer.timely_filing_days)
    left = (deadline - today).days
    fix = Fix("claim", None, "timely")
    if left < 0:
        f.error("timely_filing", f"Past {payer.name}'s timely filing limit "
                f"({payer.timely_filing_days} days from {first:%m/%d/%Y}; it ended "
                f"{deadline:%m/%d/%Y}). Appeal with proof of timely filing instead.", fix)
    elif left <= TIMELY_WARN_DAYS:
        f.warn("timely_filing", f"{left} day(s) left to file with {payer.name} "
               f"(until {deadline:%m/%d/%Y}).", fix)


def _duplicates(s: Session, c: Claim, lines: list[ServiceLine], f: _Found) -> None:
    if c.frequency in ("7", "8") or not lines:
        return
    q = (select(Claim, ServiceLine).join(ServiceLine, ServiceLine.claim_id == Claim.id)
         .where(Claim.patient_id == c.patient_id, Claim.payer_id == c.payer_id,
                Claim.id != c.id, Claim.status.in_((SUBMITTED, ACCEPTED)),
                Claim.frequency != "8",
                ServiceLine.dos.in_({ln.dos for ln in lines})))
    mine = {(ln.dos, ln.code, ln.modifiers): ln for ln in lines}
    for other, oln in s.execute(q).all():
        ln = mine.get((oln.dos, oln.code, oln.modifiers))
        if ln is not None:
            f.error("duplicate", f"Line {ln.line_no} ({ln.code} on {ln.dos:%m/%d/%Y}) was "
                    f"already sent to this payer on claim {claim_number(other)}. Make a "
                    "replacement of that claim instead, or remove the line.",
                    Fix("claim", None, "lines"))


def _signatures(c: Claim, cov: Coverage, f: _Found) -> None:
    fix = Fix("claim", None, "benefits_assigned")
    if c.frequency in ("7", "8") and not c.original_claim_number:
        f.error("original_number", "A replacement or void needs the payer's claim number "
                "(box 22).", Fix("claim", None, "original_claim_number"))
    if c.benefits_assigned and not cov.assignment_on_file:
        f.error("assignment", "Benefits are marked assigned (box 13), but no signed "
                "assignment is on file for this coverage. Record it in Benefits or untick "
                "it on the claim.", fix)
    if c.release_of_information and not cov.release_on_file:
        f.warn("release", "No signed release of information is on file (box 12).",
               Fix("coverage", cov.id))
    if c.benefits_assigned and not c.accept_assignment:
        f.warn("assignment_mismatch", "The patient assigned benefits but the claim does not "
               "accept assignment (box 27): the payer will pay the patient.", fix)


def _sequence(s: Session, c: Claim, f: _Found) -> None:
    """A secondary or tertiary claim goes out only with what each earlier payer did (837P
    2320/2330/2430, 1500 boxes 9, 11d and 29), read from their posted remittances."""
    if c.sequence == "P":
        return
    from app.services.claim_document import document

    earlier = [o for o in document(s, c).other_payers if o.sequence < c.sequence]
    if not earlier or any(o.paid is None for o in earlier):
        f.error("secondary", "The payer(s) before this one have not adjudicated these lines "
                "yet: post their remittance (835 or paper EOB) first, so the claim carries "
                "what they paid.", Fix("claim"))


def _edi(s: Session, c: Claim, f: _Found) -> None:
    if c.method != ELECTRONIC:
        return
    missing = read_edi(s).missing
    if missing:
        f.error("edi_settings", "Electronic claims need the clearinghouse details: "
                + ", ".join(missing) + " (Admin → Settings).", Fix("settings"))


def _writer_check(s: Session, c: Claim, f: _Found) -> None:
    """What the 837P writer itself would refuse, for anything the rules above missed."""
    from app.formats.x12.x837p import check_837p
    from app.services.claim_document import document
    from app.services.submissions import submitter_for

    problems = check_837p([document(s, c)], submitter_for(s, read_edi(s)))
    for key, message in problems.items():
        if key.startswith("claim") or key.startswith("billing"):
            f.error("x837p", f"837P: {message}", Fix("claim"))


def scrub_claim(s: Session, c: Claim, today: date) -> list[ScrubIssue]:
    """Every issue with claim `c` as it stands, errors first."""
    f = _Found()
    p, payer, cov = s.get(Patient, c.patient_id), s.get(Payer, c.payer_id), s.get(
        Coverage, c.coverage_id)
    assert p is not None and payer is not None and cov is not None
    lines = claim_lines(s, c.id)
    _practice(s, f)
    _payer(payer, c.method, f)
    _people(p, cov, f)
    _provider(s, c.rendering_provider_id, "rendering", f, required=True)
    _provider(s, c.referring_provider_id, "referring", f, required=False)
    _facility(s, c.facility_id, f)
    _diagnoses_and_lines(c, lines, f)
    _paper_amounts(c, lines, f)
    _code_edits(s, c, p, lines, f)
    _coverage(s, c, cov, payer, lines, read_settings(s).verify_within_days, f)
    _timely(c, payer, lines, today, f)
    _duplicates(s, c, lines, f)
    _signatures(c, cov, f)
    _sequence(s, c, f)
    _edi(s, c, f)
    if c.method == ELECTRONIC and not any(i.blocking for i in f.issues):
        _writer_check(s, c, f)
    if c.encounter_id is not None:
        enc = s.get(Encounter, c.encounter_id)
        if enc is not None and enc.coding_status == "uncoded":
            f.error("uncoded", "The visit is not coded.", Fix("coding", enc.id))
    return sorted(f.issues, key=lambda i: i.severity != ERROR)
