"""Claims: built from coded encounters, edited while open, split and merged line by line,
made ready through the scrubber, and corrected after submission by a new version.

- `create_primary(encounter_id)`: one click makes the claim to the coverage ranked first on the
  date of service, with every live charge line of the visit not already billed to it.
- `update`: the claim-level data of boxes 10–23 (and CLM/DTP/REF of 837P loop 2300) while the
  claim is open (draft, ready or rejected). Editing a rejected claim starts a new revision
  (its claim number changes), so what was sent before stays as it was.
- `move_lines`: lines go to a new claim (split) or to another open claim of the same patient;
  diagnosis pointers follow the codes they point at.
- `mark_ready` runs the scrubber and refuses while blocking errors remain.
- `new_version(claim_id, "7" | "8")`: a replacement or void of a submitted claim, carrying the
  payer's claim number (REF*F8, box 22); the old claim is marked replaced or voided when the new
  one is submitted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.errors import ConflictError, UserError, ValidationError
from app.formats.names import fold
from app.models import (
    ChargeLine,
    Coverage,
    Encounter,
    EncounterDiagnosis,
    Patient,
    Payer,
    Provider,
    WorkItem,
)
from app.models.claims import (
    ACCEPTED,
    CLAIM_STATUSES,
    DENIED,
    DRAFT,
    ELECTRONIC,
    OPEN_STATUSES,
    PAID,
    PAPER,
    READY,
    REJECTED,
    REPLACED,
    SUBMITTED,
    VOIDED,
    Claim,
    ClaimStatusEvent,
    ServiceLine,
)
from app.models.coding import CODING_STATUSES
from app.models.types import utcnow
from app.models.work import DONE, OPEN
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.coverage import ranked_on
from app.services.database import Database
from app.services.ledger import Bucket, move_to
from app.services.permissions import Permission

if TYPE_CHECKING:
    from app.services.scrubber import ScrubIssue

MAX_DIAGNOSES = 12
MAX_LINES = 50
LETTERS = "ABCDEFGHIJKL"
# Claims that bill their lines (adjudicated ones too): a charge line is on at most one of
# these per sequence; replaced and voided claims gave their lines up.
LIVE_STATUSES = (DRAFT, READY, SUBMITTED, ACCEPTED, REJECTED, PAID, DENIED)
SEQUENCES = {1: "P", 2: "S", 3: "T"}
OTHER_DATE_QUALIFIERS = {"454": "Initial treatment", "304": "Latest visit or consultation",
                         "453": "Acute manifestation of a chronic condition",
                         "439": "Accident", "455": "Last X-ray", "471": "Prescription",
                         "090": "Report start (assumed care)", "091": "Report end "
                         "(relinquished care)", "444": "First visit or consultation"}
REFERRING_QUALIFIERS = {"DN": "Referring provider", "DK": "Ordering provider",
                        "DQ": "Supervising provider"}
STATUS_LABELS = {DRAFT: "Draft", READY: "Ready", SUBMITTED: "Submitted", ACCEPTED: "Accepted",
                 REJECTED: "Rejected", REPLACED: "Replaced", VOIDED: "Voided", PAID: "Paid",
                 DENIED: "Denied"}
FREQUENCY_LABELS = {"1": "Original", "7": "Replacement", "8": "Void"}
MAX_PATIENT_PAID = Decimal("999999.99")


@dataclass(frozen=True)
class ClaimHeader:
    """What the clerk edits on a claim (boxes 10–23, 27 and the 837P's CLM/DTP/REF)."""

    method: str = ELECTRONIC
    rendering_provider_id: int | None = None
    referring_provider_id: int | None = None
    referring_qualifier: str = "DN"
    facility_id: int | None = None
    prior_authorization: str = ""
    onset_date: date | None = None
    other_date_qualifier: str = ""
    other_date: date | None = None
    employment_related: bool = False
    auto_accident: bool = False
    auto_accident_state: str = ""
    other_accident: bool = False
    accident_date: date | None = None
    unable_to_work_from: date | None = None
    unable_to_work_to: date | None = None
    hospitalized_from: date | None = None
    hospitalized_to: date | None = None
    note: str = ""
    patient_paid: Decimal = Decimal("0.00")
    accept_assignment: bool = True
    benefits_assigned: bool = True
    release_of_information: bool = True
    original_claim_number: str = ""


HEADER_FIELDS = tuple(f.name for f in fields(ClaimHeader))


@dataclass(frozen=True)
class ClaimLineRow:
    id: int
    line_no: int
    charge_line_id: int
    dos: date
    pos: str
    code: str
    modifiers: tuple[str, ...]
    pointers: str
    units: Decimal
    charge: Decimal
    ndc: str
    ndc_unit: str
    ndc_quantity: Decimal | None
    control_number: str


@dataclass(frozen=True)
class StatusRow:
    status: str
    at: datetime
    by: str
    detail: str
    submission_id: int | None


@dataclass(frozen=True)
class ClaimView:
    id: int
    number: str  # CLM01, the patient control number
    patient_id: int
    patient_name: str
    mrn: str
    encounter_id: int | None
    coverage_id: int
    payer_id: int
    payer_name: str
    sequence: str
    frequency: str
    revision: int
    status: str
    replaces_claim_id: int | None
    payer_claim_number: str
    diagnoses: tuple[str, ...]
    lines: tuple[ClaimLineRow, ...]
    header: ClaimHeader
    version: int
    history: tuple[StatusRow, ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((ln.charge for ln in self.lines), Decimal("0.00"))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def first_dos(self) -> date | None:
        return min((ln.dos for ln in self.lines), default=None)


@dataclass(frozen=True)
class ClaimRow:
    id: int
    number: str
    patient_id: int
    patient_name: str
    mrn: str
    payer_name: str
    dos: date | None
    total: Decimal
    status: str
    method: str
    frequency: str
    lines: int


class Numbered(Protocol):
    """A claim, or a light row of one, as far as its number goes."""

    @property
    def id(self) -> int: ...

    @property
    def revision(self) -> int: ...


def claim_number(c: Numbered) -> str:
    """CLM01 (the 835 returns it in CLP01): the claim id, with the revision after an edit of
    a rejected claim so each version sent has its own number."""
    return str(c.id) if c.revision == 1 else f"{c.id}R{c.revision}"


def line_control_number(line: ServiceLine) -> str:
    """REF*6R: unique per claim line and stable for the life of the line."""
    return control_number_of(line.id)


def control_number_of(service_line_id: int) -> str:
    return f"L{service_line_id}"


def display_name(p: Patient) -> str:
    return f"{p.last_name}, {p.first_name}" + (f" {p.middle_name[:1]}" if p.middle_name else "")


def split_modifiers(joined: str) -> tuple[str, ...]:
    return tuple(joined[i:i + 2] for i in range(0, len(joined), 2))


def diagnoses_of(c: Claim) -> list[str]:
    return [d for d in c.diagnoses.split(",") if d]


def claim_lines(s: Session, claim_id: int) -> list[ServiceLine]:
    return list(s.scalars(select(ServiceLine).where(ServiceLine.claim_id == claim_id)
                          .order_by(ServiceLine.line_no)))


def add_event(s: Session, c: Claim, status: str, by: str, detail: str = "",
              submission_id: int | None = None) -> None:
    """Move `c` to `status` and record the step in its history."""
    c.status = status
    s.add(ClaimStatusEvent(claim_id=c.id, status=status, detail=detail,
                           submission_id=submission_id, by=by))


def header_of(c: Claim) -> ClaimHeader:
    return ClaimHeader(**{f: getattr(c, f) for f in HEADER_FIELDS})


def _line_row(ln: ServiceLine) -> ClaimLineRow:
    return ClaimLineRow(ln.id, ln.line_no, ln.charge_line_id, ln.dos, ln.pos, ln.code,
                        split_modifiers(ln.modifiers), ln.pointers, ln.units, ln.charge, ln.ndc,
                        ln.ndc_unit, ln.ndc_quantity, ln.control_number)


def view_of(s: Session, c: Claim, *, with_history: bool = True) -> ClaimView:
    patient = s.get(Patient, c.patient_id)
    payer = s.get(Payer, c.payer_id)
    assert patient is not None and payer is not None
    history: tuple[StatusRow, ...] = ()
    if with_history:
        history = tuple(StatusRow(e.status, e.at, e.by, e.detail, e.submission_id)
                        for e in s.scalars(select(ClaimStatusEvent)
                                           .where(ClaimStatusEvent.claim_id == c.id)
                                           .order_by(ClaimStatusEvent.id)))
    return ClaimView(c.id, claim_number(c), c.patient_id, display_name(patient), patient.mrn,
                     c.encounter_id, c.coverage_id, c.payer_id, payer.name, c.sequence,
                     c.frequency, c.revision, c.status, c.replaces_claim_id,
                     c.payer_claim_number, tuple(diagnoses_of(c)),
                     tuple(_line_row(ln) for ln in claim_lines(s, c.id)), header_of(c),
                     c.version, history)


# --- checking what the clerk typed -------------------------------------------------------------
def _dates_problems(h: ClaimHeader, today: date, p: dict[str, str]) -> None:
    for name in ("onset_date", "other_date", "accident_date", "unable_to_work_from",
                 "hospitalized_from"):
        value = getattr(h, name)
        if value is not None and value > today:
            p[name] = "This date is in the future."
    for start, end, what in (("unable_to_work_from", "unable_to_work_to", "unable to work"),
                             ("hospitalized_from", "hospitalized_to", "hospitalisation")):
        a, b = getattr(h, start), getattr(h, end)
        if b is not None and a is None:
            p[start] = f"Enter when the {what} period started."
        elif a is not None and b is not None and b < a:
            p[end] = f"The {what} period ends before it starts."
    if (h.other_date is None) != (not h.other_date_qualifier):
        p["other_date_qualifier" if h.other_date else "other_date"] = (
            "Box 15 needs both a qualifier and a date, or neither.")
    elif h.other_date_qualifier and h.other_date_qualifier not in OTHER_DATE_QUALIFIERS:
        p["other_date_qualifier"] = "Choose a qualifier from the list."


def _accident_problems(h: ClaimHeader, p: dict[str, str]) -> None:
    if h.auto_accident and not (len(h.auto_accident_state) == 2
                                and h.auto_accident_state.isalpha()):
        p["auto_accident_state"] = "An auto accident needs the 2-letter state where it happened."
    if not h.auto_accident and h.auto_accident_state:
        p["auto_accident_state"] = "A state goes here only for an auto accident."
    if (h.auto_accident or h.other_accident) and h.accident_date is None:
        p["accident_date"] = "Enter the date of the accident."


def check_header(h: ClaimHeader, total: Decimal, today: date) -> dict[str, str]:
    """Field → what to fix; empty when the header can be saved."""
    p: dict[str, str] = {}
    if h.method not in (PAPER, ELECTRONIC):
        p["method"] = "Choose paper or electronic."
    if h.referring_qualifier not in REFERRING_QUALIFIERS:
        p["referring_qualifier"] = "Choose referring, ordering or supervising."
    _dates_problems(h, today, p)
    _accident_problems(h, p)
    if len(h.note) > 80:
        p["note"] = "Box 19 holds at most 80 characters."
    if len(h.prior_authorization) > 50:
        p["prior_authorization"] = "A prior authorisation number is at most 50 characters."
    if len(h.original_claim_number) > 50:
        p["original_claim_number"] = "The payer's claim number is at most 50 characters."
    if h.patient_paid < 0 or h.patient_paid != h.patient_paid.quantize(Decimal("0.01")):
        p["patient_paid"] = "Enter the amount the patient paid, in dollars and cents."
    elif h.patient_paid > min(total, MAX_PATIENT_PAID):
        p["patient_paid"] = "The patient cannot have paid more than the claim's total charge."
    return p


def _clean(h: ClaimHeader) -> ClaimHeader:
    return replace(h, auto_accident_state=h.auto_accident_state.strip().upper(),
                   note=" ".join(h.note.split()),
                   prior_authorization=h.prior_authorization.strip(),
                   original_claim_number=h.original_claim_number.strip())


# --- building ----------------------------------------------------------------------------------
def billed_charge_lines(s: Session, charge_line_ids: Sequence[int], sequence: str) -> set[int]:
    """Which of these charge lines are already on a live claim of this sequence."""
    q = (select(ServiceLine.charge_line_id).join(Claim, Claim.id == ServiceLine.claim_id)
         .where(ServiceLine.charge_line_id.in_(list(charge_line_ids)),
                Claim.sequence == sequence, Claim.status.in_(LIVE_STATUSES),
                Claim.frequency != "8"))
    return set(s.scalars(q))


def _encounter_lines(s: Session, enc: Encounter) -> list[ChargeLine]:
    return list(s.scalars(select(ChargeLine).where(ChargeLine.encounter_id == enc.id,
                                                   ChargeLine.voided_at.is_(None))
                          .order_by(ChargeLine.line_no)))


def line_values(claim_id: int, n: int, ln: ChargeLine, pos: str) -> dict[str, Any]:
    """A new claim's line `n` copied from the visit's charge line."""
    return dict(claim_id=claim_id, charge_line_id=ln.id, line_no=n, dos=ln.dos, pos=pos,
                code=ln.code, modifiers=ln.modifiers, pointers=ln.pointers, units=ln.units,
                charge=ln.charge, ndc=ln.ndc, ndc_unit=ln.ndc_unit,
                ndc_quantity=ln.ndc_quantity)


def _copy_line(claim_id: int, n: int, ln: ChargeLine, pos: str) -> ServiceLine:
    return ServiceLine(**line_values(claim_id, n, ln, pos))


def build_claim(s: Session, user: CurrentUser, enc: Encounter, rank: int,
                charge_line_ids: Collection[int] | None = None, note: str = "") -> Claim:
    """A draft claim (in `s`) to the coverage ranked `rank` on the visit date, holding the
    visit's live charge lines not yet on a claim of that rank (only `charge_line_ids` when
    given). A primary claim brings each line's balance to its coverage in the ledger (a
    visit coded before the card was entered was the patient's until now)."""
    if enc.coding_status not in CODING_STATUSES[1:]:
        raise UserError("Code the visit first (Coding tab): it has no charge lines.")
    cov = _coverage_for(s, enc, rank)
    sequence = SEQUENCES[rank]
    lines = _encounter_lines(s, enc)
    billed = billed_charge_lines(s, [ln.id for ln in lines], sequence)
    todo = [ln for ln in lines if ln.id not in billed
            and (charge_line_ids is None or ln.id in charge_line_ids)]
    if not todo:
        raise UserError("Every charge line of this visit is already on a claim to "
                        "this coverage. Open that claim instead.")
    codes = list(s.scalars(select(EncounterDiagnosis.code)
                           .where(EncounterDiagnosis.encounter_id == enc.id)
                           .order_by(EncounterDiagnosis.position)))
    c = _new_claim(s, user, enc, cov, sequence, codes)
    new = [_copy_line(c.id, n, ln, enc.pos) for n, ln in enumerate(todo, start=1)]
    s.add_all(new)
    _assign_control_numbers(s, new)
    if rank == 1:
        target = Bucket(cov.id, cov.payer_id)
        for ln, sl in zip(todo, new, strict=True):
            move_to(s, user, ln, target, "Billed to the primary coverage.", claim_id=c.id,
                    service_line_id=sl.id)
    add_event(s, c, DRAFT, user.username, note or "Built from the visit's coding.")
    append_event(s, user, "claim.create", entity="claim", entity_id=c.id,
                 patient_id=c.patient_id, details={"lines": len(new), "rank": rank})
    s.flush()
    return c


def _coverage_for(s: Session, enc: Encounter, rank: int) -> Coverage:
    for cov, r in ranked_on(s, enc.patient_id, enc.date):
        if r == rank:
            return cov
    which = {1: "primary", 2: "secondary", 3: "tertiary"}[rank]
    raise UserError(f"The patient has no {which} coverage in force on "
                    f"{enc.date:%m/%d/%Y}. Add or date it in the Benefits tab first.")


def claim_values(user: CurrentUser, enc: Encounter, cov: Coverage, sequence: str,
                 diagnoses: list[str]) -> dict[str, Any]:
    """A new claim's header from the visit and the coverage billed."""
    return dict(patient_id=enc.patient_id, encounter_id=enc.id, coverage_id=cov.id,
                payer_id=cov.payer_id, sequence=sequence, diagnoses=",".join(diagnoses),
                rendering_provider_id=enc.provider_id, facility_id=enc.facility_id,
                accept_assignment=True, benefits_assigned=cov.assignment_on_file or False,
                release_of_information=cov.release_on_file or False, created_by=user.username)


def _new_claim(s: Session, user: CurrentUser, enc: Encounter, cov: Coverage, sequence: str,
               diagnoses: list[str]) -> Claim:
    c = Claim(**claim_values(user, enc, cov, sequence, diagnoses))
    s.add(c)
    s.flush()
    return c


def _assign_control_numbers(s: Session, lines: Sequence[ServiceLine]) -> None:
    s.flush()
    for ln in lines:
        ln.control_number = line_control_number(ln)


# --- moving lines ------------------------------------------------------------------------------
def _pointed(line: ServiceLine, codes: list[str]) -> list[str]:
    """The diagnosis codes `line` points at, in pointer order."""
    return [codes[i] for ch in line.pointers if 0 <= (i := LETTERS.find(ch)) < len(codes)]


def _point(line: ServiceLine, codes: list[str], into: list[str]) -> None:
    line.pointers = "".join(LETTERS[into.index(c)] for c in codes)


def _renumber(lines: Sequence[ServiceLine]) -> None:
    for n, ln in enumerate(sorted(lines, key=lambda x: (x.line_no, x.id)), start=1):
        ln.line_no = n


def _moved_codes(src_codes: list[str], dst_codes: list[str] | None,
                 wanted: list[list[str]]) -> list[str]:
    """The target's diagnosis list: its own codes as they were (none for a new claim), then
    the codes the moving lines point at, in the source claim's order."""
    needed = {c for w in wanted for c in w}
    base = list(dst_codes or [])
    out = base + [c for c in src_codes if c in needed and c not in base]
    if len(out) > MAX_DIAGNOSES:
        raise UserError(f"The other claim would have {len(out)} diagnoses; a claim holds "
                        f"{MAX_DIAGNOSES}. Move the lines to a new claim instead.")
    return out


class ClaimService:
    """Building, reading, editing and correcting claims (DESIGN §3 Claim, ServiceLine)."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # reading
    def get(self, claim_id: int) -> ClaimView:
        """One claim with its lines and status history (audited as a view of the patient)."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            c = _claim(s, claim_id)
            append_event(s, user, "claim.view", entity="claim", entity_id=c.id,
                         patient_id=c.patient_id)
            return view_of(s, c)

    def for_encounter(self, encounter_id: int) -> list[ClaimRow]:
        """Claims built from one visit, newest last."""
        self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            ids = list(s.scalars(select(Claim.id).where(Claim.encounter_id == encounter_id)
                                 .order_by(Claim.id)))
            return _rows(s, ids)

    def for_patient(self, patient_id: int) -> list[ClaimRow]:
        """One patient's claims, oldest first (audited)."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            append_event(s, user, "claim.list", entity="patient", entity_id=patient_id,
                         patient_id=patient_id)
            ids = list(s.scalars(select(Claim.id).where(Claim.patient_id == patient_id)
                                 .order_by(Claim.id)))
            return _rows(s, ids)

    def search(self, status: str | None = None, method: str | None = None, text: str = "",
             offset: int = 0, limit: int = 200) -> list[ClaimRow]:
        """Claims by status and method, newest first; `text` matches the claim number, the
        patient's name or MRN."""
        self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            q = _list_query(select(Claim.id), status, method, text)
            ids = list(s.scalars(q.order_by(Claim.id.desc()).offset(offset).limit(limit)))
            return _rows(s, ids)

    def count(self, status: str | None = None, method: str | None = None,
              text: str = "") -> int:
        self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            return int(s.scalar(_list_query(select(func.count(Claim.id)), status, method,
                                            text)) or 0)

    def status_counts(self) -> dict[str, int]:
        """How many claims are in each status (for the tab's filter)."""
        self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            rows = s.execute(select(Claim.status, func.count()).group_by(Claim.status))
            return {st: int(n) for st, n in rows}

    def billable_encounters(self, limit: int = 200) -> list[tuple[int, date, str, str]]:
        """Coded visits with charge lines that no live primary claim bills yet:
        (encounter id, date, patient name, MRN), oldest first."""
        self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            billed = (select(ServiceLine.charge_line_id)
                      .join(Claim, Claim.id == ServiceLine.claim_id)
                      .where(Claim.sequence == "P", Claim.status.in_(LIVE_STATUSES),
                             Claim.frequency != "8"))
            q = (select(Encounter.id, Encounter.date, Patient.last_name, Patient.first_name,
                        Patient.middle_name, Patient.mrn)
                 .join(Patient, Patient.id == Encounter.patient_id)
                 .where(Encounter.coding_status.in_(CODING_STATUSES[1:]),
                        Encounter.id.in_(select(ChargeLine.encounter_id).where(
                            ChargeLine.voided_at.is_(None),
                            ChargeLine.id.not_in(billed))))
                 .order_by(Encounter.date, Encounter.id).limit(limit))
            return [(r.id, r.date, f"{r.last_name}, {r.first_name}", r.mrn) for r in s.execute(q)]

    # building
    def create_primary(self, encounter_id: int) -> ClaimView:
        """The claim to the primary coverage for a coded visit, holding each live charge line
        not already on a live primary claim."""
        return self.create(encounter_id, rank=1)

    def create(self, encounter_id: int, rank: int = 1) -> ClaimView:
        """A claim to the coverage ranked `rank` on the visit date (1 primary, 2 secondary,
        3 tertiary)."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            enc = s.get(Encounter, encounter_id)
            if enc is None:
                raise UserError("That visit no longer exists.")
            c = build_claim(s, user, enc, rank)
            return view_of(s, c)

    # editing
    def update(self, claim_id: int, version: int, header: ClaimHeader) -> ClaimView:
        """Save the claim-level data. A ready claim goes back to draft (it must be checked
        again); a rejected one starts a new revision."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        header = _clean(header)
        with self._db.session() as s:
            c = _open_claim(s, claim_id, version)
            total = sum((ln.charge for ln in claim_lines(s, c.id)), Decimal("0.00"))
            if problems := check_header(header, total, date.today()):
                raise ValidationError(problems, "claim")
            for f in HEADER_FIELDS:
                setattr(c, f, getattr(header, f))
            _reopen(s, c, user, "Claim details changed.")
            append_event(s, user, "claim.update", entity="claim", entity_id=c.id,
                         patient_id=c.patient_id)
            s.flush()
            return view_of(s, c)

    def move_lines(self, claim_id: int, version: int, line_ids: Sequence[int],
                   target_claim_id: int | None = None) -> tuple[ClaimView, ClaimView]:
        """Move lines to another open claim of the same patient, or to a new claim to the
        same coverage when `target_claim_id` is None. Returns (source, target)."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            src = _open_claim(s, claim_id, version)
            lines = claim_lines(s, src.id)
            moving = [ln for ln in lines if ln.id in set(line_ids)]
            if not moving or len(moving) != len(set(line_ids)):
                raise UserError("Choose lines of this claim to move.")
            if len(moving) == len(lines):
                raise UserError("A claim keeps at least one line: leave one here, or move "
                                "the others to this claim instead.")
            if src.frequency != "1":
                raise UserError("A replacement or void keeps the lines of the claim it "
                                "corrects; lines cannot move off it.")
            dst = self._target(s, user, src, target_claim_id)
            self._move(s, src, dst, moving, [ln for ln in lines if ln not in moving],
                       new=target_claim_id is None)
            for c, what in ((src, f"{len(moving)} line(s) moved to claim {dst.id}."),
                            (dst, f"{len(moving)} line(s) moved from claim {src.id}.")):
                _reopen(s, c, user, what)
            append_event(s, user, "claim.move_lines", entity="claim", entity_id=src.id,
                         patient_id=src.patient_id,
                         details={"to": dst.id, "lines": len(moving)})
            s.flush()
            return view_of(s, src), view_of(s, dst)

    def _target(self, s: Session, user: CurrentUser, src: Claim,
                target_claim_id: int | None) -> Claim:
        if target_claim_id is None:
            dst = Claim(**{k: getattr(src, k) for k in (
                "patient_id", "encounter_id", "coverage_id", "payer_id", "sequence",
                *HEADER_FIELDS)}, diagnoses="", created_by=user.username)
            s.add(dst)
            s.flush()
            add_event(s, dst, DRAFT, user.username, f"Split from claim {src.id}.")
            return dst
        if target_claim_id == src.id:
            raise UserError("Choose another claim to move the lines to.")
        dst = _claim(s, target_claim_id)
        if dst.patient_id != src.patient_id:
            raise UserError("Lines can move only between claims of the same patient.")
        if dst.status not in OPEN_STATUSES:
            raise UserError("That claim has been submitted; it cannot take more lines.")
        if (dst.payer_id, dst.sequence) != (src.payer_id, src.sequence) or dst.frequency != "1":
            raise UserError("Lines move only to an original claim to the same payer.")
        return dst

    @staticmethod
    def _move(s: Session, src: Claim, dst: Claim, moving: list[ServiceLine],
              staying: list[ServiceLine], new: bool) -> None:
        """Lines move with the codes they point at; the source keeps every code except
        those only the moved lines pointed at, and the target loses none of its own."""
        src_codes = diagnoses_of(src)
        wanted = {ln.id: _pointed(ln, src_codes) for ln in moving}
        kept = {ln.id: _pointed(ln, src_codes) for ln in staying}
        dst_codes = _moved_codes(src_codes, None if new else diagnoses_of(dst),
                                 list(wanted.values()))
        only_moved = {c for w in wanted.values() for c in w} - {c for k in kept.values()
                                                                for c in k}
        left = [c for c in src_codes if c not in only_moved]
        for ln in staying:
            _point(ln, kept[ln.id], left)
        start = len(claim_lines(s, dst.id))
        for n, ln in enumerate(sorted(moving, key=lambda x: x.line_no), start=start + 1):
            _point(ln, wanted[ln.id], dst_codes)
            ln.claim_id, ln.line_no = dst.id, n
        src.diagnoses, dst.diagnoses = ",".join(left), ",".join(dst_codes)
        _renumber(staying)

    def scrub(self, claim_id: int) -> list[ScrubIssue]:
        """What the scrubber finds on the claim now, errors first."""
        from app.services.scrubber import scrub_claim

        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            c = _claim(s, claim_id)
            append_event(s, user, "claim.scrub", entity="claim", entity_id=c.id,
                         patient_id=c.patient_id)
            return scrub_claim(s, c, date.today())

    # status
    def mark_ready(self, claim_id: int, version: int) -> ClaimView:
        """Ready to submit, when the scrubber finds no blocking error."""
        from app.services.scrubber import scrub_claim  # the scrubber reads claims

        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            c = _open_claim(s, claim_id, version)
            issues = scrub_claim(s, c, date.today())
            errors = [i for i in issues if i.blocking]
            if errors:
                # the count only: the messages can name dates of service, and they are
                # shown in the scrubber's list
                raise UserError(f"The claim is not ready: the check found {len(errors)} "
                                "blocking error(s). Fix them (see the list) and check again.")
            if c.status == REJECTED:  # sent again as it stands: a new number all the same
                c.revision += 1
                close_rejection_items(s, user, c.id, "Claim checked again.")
            add_event(s, c, READY, user.username, "Checked: no blocking errors.")
            append_event(s, user, "claim.ready", entity="claim", entity_id=c.id,
                         patient_id=c.patient_id)
            s.flush()
            return view_of(s, c)

    def mark_draft(self, claim_id: int, version: int) -> ClaimView:
        """Take a ready claim back to draft (to hold it back from the next batch)."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            c = _open_claim(s, claim_id, version)
            if c.status == READY:
                add_event(s, c, DRAFT, user.username, "Held back by the clerk.")
                append_event(s, user, "claim.draft", entity="claim", entity_id=c.id,
                             patient_id=c.patient_id)
            s.flush()
            return view_of(s, c)

    def new_version(self, claim_id: int, frequency: str,
                    original_claim_number: str = "") -> ClaimView:
        """A replacement (7) or void (8) of a submitted claim: a new draft claim with the same
        lines, carrying the payer's claim number for box 22 / REF*F8."""
        user = self._ctx.require(Permission.MANAGE_CLAIMS)
        if frequency not in ("7", "8"):
            raise UserError("Choose a replacement (7) or a void (8).")
        with self._db.session() as s:
            old = _claim(s, claim_id)
            if old.frequency == "8":
                raise UserError("A void is final: it is not replaced or voided again.")
            if old.status not in (SUBMITTED, ACCEPTED, PAID, DENIED):
                raise UserError("Only a claim the payer has (submitted, accepted, paid or "
                                "denied) is replaced or voided. An open claim is simply "
                                "edited.")
            number = (original_claim_number or old.payer_claim_number).strip()
            if not number:
                raise ValidationError({"original_claim_number": "Enter the payer's claim "
                                       "number (from the remittance or the payer's portal)."},
                                      "claim")
            if s.scalar(select(Claim.id).where(Claim.replaces_claim_id == old.id,
                                               Claim.status.in_(OPEN_STATUSES))):
                raise UserError("A replacement or void of this claim is already open.")
            new = Claim(**{k: getattr(old, k) for k in (
                "patient_id", "encounter_id", "coverage_id", "payer_id", "sequence",
                "diagnoses", *HEADER_FIELDS)}, created_by=user.username)
            new.frequency, new.replaces_claim_id = frequency, old.id
            new.original_claim_number = number
            s.add(new)
            s.flush()
            copies = [ServiceLine(**{k: getattr(ln, k) for k in (
                "charge_line_id", "line_no", "dos", "pos", "code", "modifiers", "pointers",
                "units", "charge", "ndc", "ndc_unit", "ndc_quantity")}, claim_id=new.id)
                for ln in claim_lines(s, old.id)]
            s.add_all(copies)
            _assign_control_numbers(s, copies)
            what = "Replacement" if frequency == "7" else "Void"
            add_event(s, new, DRAFT, user.username, f"{what} of claim {claim_number(old)}.")
            append_event(s, user, "claim.new_version", entity="claim", entity_id=new.id,
                         patient_id=new.patient_id,
                         details={"replaces": old.id, "frequency": frequency})
            s.flush()
            return view_of(s, new)

    def rejections(self) -> list[tuple[int, int, str, str]]:
        """The rejection work queue: open work items for rejected claims
        (work item id, claim id, patient name, reason in words), oldest first."""
        self._ctx.require(Permission.MANAGE_CLAIMS)
        with self._db.session() as s:
            q = (select(WorkItem, Patient).join(Patient, Patient.id == WorkItem.patient_id)
                 .where(WorkItem.claim_id.is_not(None), WorkItem.state == OPEN,
                        WorkItem.reason == "claim_rejected").order_by(WorkItem.id))
            return [(w.id, w.claim_id or 0, display_name(p), w.detail) for w, p in s.execute(q)]


# --- helpers -----------------------------------------------------------------------------------
def _claim(s: Session, claim_id: int) -> Claim:
    c = s.get(Claim, claim_id)
    if c is None:
        raise UserError("That claim no longer exists.")
    return c


def _open_claim(s: Session, claim_id: int, version: int) -> Claim:
    c = _claim(s, claim_id)
    if c.version != version:
        raise ConflictError("Someone else changed this claim since you opened it. "
                            "It has been reloaded; make your change again.")
    if c.status not in OPEN_STATUSES:
        raise UserError(f"This claim is {STATUS_LABELS.get(c.status, c.status).lower()}: "
                        "what was sent "
                        "cannot change. Make a replacement or void instead.")
    return c


def _reopen(s: Session, c: Claim, user: CurrentUser, detail: str) -> None:
    """An edit takes a ready claim back to draft, and a rejected one to a new revision."""
    if c.status == REJECTED:
        c.revision += 1
        close_rejection_items(s, user, c.id, "Claim corrected.")
        add_event(s, c, DRAFT, user.username, f"{detail} New revision {claim_number(c)}.")
    elif c.status == READY:
        add_event(s, c, DRAFT, user.username, detail)
    elif c.status == DRAFT:
        s.add(ClaimStatusEvent(claim_id=c.id, status=DRAFT, detail=detail, by=user.username))


def close_rejection_items(s: Session, user: CurrentUser, claim_id: int, note: str) -> None:
    for w in s.scalars(select(WorkItem).where(WorkItem.claim_id == claim_id,
                                              WorkItem.reason == "claim_rejected",
                                              WorkItem.state == OPEN)):
        w.state, w.closed_by, w.closed_at, w.note = DONE, user.username, utcnow(), note


def _list_query(q: Any, status: str | None, method: str | None, text: str) -> Any:
    if status:
        if status not in CLAIM_STATUSES:
            raise UserError("Unknown claim status.")
        q = q.where(Claim.status == status)
    if method:
        q = q.where(Claim.method == method)
    text = text.strip()
    if text:
        number = text.upper().split("R")[0]
        key = fold(text)
        pids = select(Patient.id).where(or_(Patient.mrn == text.upper(),
                                            Patient.last_key.startswith(key)))
        cond: Any = Claim.patient_id.in_(pids)
        if number.isdigit():
            cond = or_(cond, Claim.id == int(number))
        q = q.where(cond)
    return q


def _rows(s: Session, ids: list[int]) -> list[ClaimRow]:
    if not ids:
        return []
    totals = dict(s.execute(select(ServiceLine.claim_id, func.sum(ServiceLine.charge))
                            .where(ServiceLine.claim_id.in_(ids)).group_by(ServiceLine.claim_id)
                            ).all())
    firsts = dict(s.execute(select(ServiceLine.claim_id, func.min(ServiceLine.dos))
                            .where(ServiceLine.claim_id.in_(ids)).group_by(ServiceLine.claim_id)
                            ).all())
    counts = dict(s.execute(select(ServiceLine.claim_id, func.count())
                            .where(ServiceLine.claim_id.in_(ids)).group_by(ServiceLine.claim_id)
                            ).all())
    q = (select(Claim, Patient, Payer).join(Patient, Patient.id == Claim.patient_id)
         .join(Payer, Payer.id == Claim.payer_id).where(Claim.id.in_(ids)))
    by_id = {c.id: (c, p, y) for c, p, y in s.execute(q).all()}
    out = []
    for i in ids:
        c, p, y = by_id[i]
        total = Decimal(totals.get(i) or 0)  # the Cents type turns the SQL sum into dollars
        out.append(ClaimRow(c.id, claim_number(c), p.id, display_name(p), p.mrn, y.name,
                            firsts.get(i), total.quantize(Decimal("0.01")), c.status, c.method,
                            c.frequency, int(counts.get(i) or 0)))
    return out


def provider_name(v: Provider | None) -> str:
    return f"{v.last_name}, {v.first_name}" if v else ""
