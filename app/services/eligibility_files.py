"""Eligibility by file (005010X279A1): a 270 batch for the clearinghouse portal, and the 271
answers read back into verifications.

- `export_270`: who to ask about (visits in the next N days whose coverage was not verified
  recently, or chosen patients), one inquiry per coverage in force on the visit date, control
  numbers kept in the database, the file and its inquiries stored, the export audited.
- `import_271`: all-or-nothing. The file is parsed and every answer matched to an inquiry we
  sent (by the trace number it echoes) before anything is written; then each answer becomes a
  verification with its benefit lines, AAA rejections become plain messages and work items,
  and differences between what the payer has and what the clinic has wait for the clerk.
- `decide`: accept (the record changes, audited) or reject a difference, one by one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formats.names import fold
from app.formats.x12 import codes
from app.formats.x12.segments import Envelope, SegmentProblem, X12Error
from app.formats.x12.x270 import EligibilityRequest, Person, Receiver, build_270
from app.formats.x12.x271 import BenefitLine, EligibilityResponse, parse_271
from app.models import (
    ControlNumber,
    Coverage,
    DemographicDifference,
    EligibilityCheck,
    EligibilityInquiry,
    Encounter,
    Patient,
    Payer,
    Practice,
    X12File,
)
from app.models.types import utcnow
from app.services.audit import append_event
from app.services.context import CurrentUser, UserContext
from app.services.coverage import SELF, ranked_on
from app.services.database import Database
from app.services.eligibility import (
    FILE_271,
    BenefitData,
    CheckData,
    Rejection,
    raise_work_item,
    write_check,
)
from app.services.fees import read_file_bytes
from app.services.permissions import Permission

MAX_INQUIRIES = 5000
PERSON_LABELS = {"last_name": "last name", "first_name": "first name", "dob": "date of birth",
                 "sex": "sex", "address1": "address", "city": "city", "state": "state",
                 "zip": "ZIP"}
SUBSCRIBER = "subscriber_"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    inquiries: int
    control_number: str
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    filename: str
    checks: int
    rejected: int
    differences: int


@dataclass(frozen=True)
class Difference:
    id: int
    patient_id: int
    check_id: int
    field: str
    label: str
    clinic_value: str
    payer_value: str
    state: str
    patient_name: str = ""


@dataclass(frozen=True)
class _Asked:
    patient: Patient
    coverage: Coverage
    payer: Payer
    visit: date


def next_control(s: Session, name: str) -> int:
    """The next value of a control number counter kept in the database (ISA13, GS06, ST02)."""
    return _next(s, name)


def _next(s: Session, name: str) -> int:
    row = s.get(ControlNumber, name)
    if row is None:
        row = ControlNumber(name=name, value=0)
        s.add(row)
    row.value += 1
    s.flush()
    return row.value


def _request(a: _Asked, trace: str) -> EligibilityRequest:
    p, c = a.patient, a.coverage
    patient = Person(p.last_name, p.first_name, p.middle_name, p.dob, p.sex)
    if c.relationship == SELF:
        return EligibilityRequest(trace, a.payer.name, a.payer.payer_id, patient, c.member_id,
                                  a.visit, c.group_number)
    subscriber = Person(c.subscriber_last_name, c.subscriber_first_name,
                        c.subscriber_middle_name, c.subscriber_dob, c.subscriber_sex)
    return EligibilityRequest(trace, a.payer.name, a.payer.payer_id, subscriber, c.member_id,
                              a.visit, c.group_number, patient, c.relationship)


def _prefix(who: str, c: Coverage) -> str:
    """Where the answered person's details live: "subscriber_…" on the coverage when the
    subscriber is not the patient, else the patient's own fields."""
    return SUBSCRIBER if who == "subscriber" and c.relationship != SELF else ""


def _values(who: str, p: Patient, c: Coverage) -> dict[str, str]:
    """What the clinic has for the person the payer answered about, by the field that
    holds it."""
    prefix = _prefix(who, c)
    source = c if prefix else p
    return {prefix + f: _text(getattr(source, prefix + f)) for f in PERSON_LABELS}


def label(field: str) -> str:
    if field == "member_id":
        return "Member ID"
    if field.startswith(SUBSCRIBER):
        return "Subscriber's " + PERSON_LABELS[field.removeprefix(SUBSCRIBER)]
    return "Patient's " + PERSON_LABELS[field]


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def _text(value: object) -> str:
    return _iso(value) if isinstance(value, date) else str(value or "")


def _same(field: str, ours: str, theirs: str) -> bool:
    if field.endswith("zip"):
        return ours[:5] == theirs[:5]
    return " ".join(ours.split()).casefold() == " ".join(theirs.split()).casefold()


def _reported(r: EligibilityResponse) -> dict[str, str]:
    return {"last_name": r.last_name, "first_name": r.first_name, "dob": _iso(r.dob),
            "sex": r.sex, "address1": r.address1, "city": r.city, "state": r.state,
            "zip": r.zip}


def _amounts(lines: Sequence[BenefitLine], code: str, level: str) -> tuple[Decimal | None,
                                                                           Decimal | None]:
    """(total, met) for a deductible (C) or out-of-pocket (G) at a coverage level, in network
    or not stated; met = total − remaining (EB06 29) when both are given."""
    total = remaining = None
    for b in lines:
        if b.code != code or b.coverage_level != level or b.amount is None or \
                b.in_network == "N":
            continue
        if b.time_period in codes.REMAINING:
            remaining = remaining if remaining is not None else b.amount
        elif total is None:
            total = b.amount
    met = None if total is None or remaining is None else max(total - remaining, Decimal(0))
    return total, met


def _plan_dates(r: EligibilityResponse) -> tuple[date | None, date | None]:
    begin = end = None
    for d in r.dates:
        if d.qualifier in ("346", "356", "291", "307") and begin is None:
            begin, end = d.start, d.end if d.end else end
        elif d.qualifier in ("347", "357") and end is None:
            end = d.start
    return begin, end


def _check_from(r: EligibilityResponse, coverage_id: int) -> CheckData:
    lines = r.benefits
    ded, ded_met = _amounts(lines, "C", "IND")
    fded, fded_met = _amounts(lines, "C", "FAM")
    oop, oop_met = _amounts(lines, "G", "IND")
    foop, foop_met = _amounts(lines, "G", "FAM")
    begin, end = _plan_dates(r)
    auth = {b.auth_required for b in lines if b.auth_required in ("Y", "N")}
    benefits = tuple(
        BenefitData(b.code, st, b.amount, b.percent, b.in_network, b.coverage_level,
                    b.time_period, b.insurance_type, b.plan_description[:50],
                    b.quantity_qualifier, b.quantity, b.auth_required, b.procedure[:60],
                    tuple(b.messages))
        for b in lines for st in (b.service_types or ("",)))
    return CheckData(coverage_id=coverage_id, checked_on=date.today(), method=FILE_271,
                     active=r.active, plan_begin=begin, plan_end=end, deductible_total=ded,
                     deductible_met=ded_met, family_deductible_total=fded,
                     family_deductible_met=fded_met, oop_total=oop, oop_met=oop_met,
                     family_oop_total=foop, family_oop_met=foop_met,
                     prior_auth_required=("Y" in auth) if auth else None, benefits=benefits)


class EligibilityFileService:
    """270 batches out, 271 answers in, and the differences they show."""

    def __init__(self, db: Database, ctx: UserContext) -> None:
        self._db = db
        self._ctx = ctx

    # --- 270 -----------------------------------------------------------------------------------
    def export_270(self, out: Path, *, days: int | None = 7, stale_days: int = 30,
                   patient_ids: Sequence[int] = (), today: date | None = None) -> ExportResult:
        """Write a 270 batch to `out`: for `patient_ids`, their coverages in force today; else
        every coverage in force on a visit in the next `days` days not verified within
        `stale_days`. Audited; control numbers advance only when the file is written."""
        user = self._ctx.require(Permission.EDIT_COVERAGE)
        day = today or date.today()
        if days is not None and not 0 <= days <= 365:
            raise UserError("Choose visits from 0 to 365 days ahead.")
        with self._db.session() as s:
            practice = s.scalars(select(Practice)).first()
            if practice is None:
                raise UserError("Enter the practice in Admin first; the 270 names it.")
            asked = (self._chosen(s, patient_ids, day) if patient_ids
                     else self._upcoming(s, day, days or 0, stale_days))
            if not asked:
                raise UserError("Nobody needs asking about: no coverage in force to verify.")
            if len(asked) > MAX_INQUIRIES:
                raise UserError(f"A 270 batch takes at most {MAX_INQUIRIES:,} inquiries; "
                                "choose fewer days.")
            isa, gs = _next(s, "isa"), _next(s, "gs")
            traces = [f"{isa:09d}{n:04d}" for n in range(1, len(asked) + 1)]
            env = Envelope("ZZ", practice.ein or practice.npi, "ZZ", "CLEARINGHOUSE", isa, gs,
                           1, created=datetime.now())
            data = build_270([_request(a, t) for a, t in zip(asked, traces, strict=True)], env,
                             receiver=Receiver(practice.name, practice.npi, practice.ein))
            row = X12File(kind="270", direction="out", filename=out.name[:200],
                          sha256=hashlib.sha256(data).hexdigest(), control_number=f"{isa:09d}",
                          transactions=len(asked), content=data, created_by=user.username)
            s.add(row)
            s.flush()
            for a, t in zip(asked, traces, strict=True):
                s.add(EligibilityInquiry(file_id=row.id, trace=t, patient_id=a.patient.id,
                                         coverage_id=a.coverage.id, service_date=a.visit))
            append_event(s, user, "eligibility.export_270", entity="x12_file",
                         entity_id=row.id, details={
                             "inquiries": len(asked), "control": f"{isa:09d}",
                             "patients": sorted({a.patient.id for a in asked})})
            _write(out, data)
            return ExportResult(out, len(asked), f"{isa:09d}")

    def _chosen(self, s: Session, patient_ids: Sequence[int], day: date) -> list[_Asked]:
        out = []
        for pid in dict.fromkeys(patient_ids):
            p = s.get(Patient, pid)
            if p is None:
                raise UserError("A chosen patient no longer exists; choose again.")
            for cov, _rank in ranked_on(s, pid, day):
                out.append(_Asked(p, cov, _payer(s, cov), day))
        return out

    def _upcoming(self, s: Session, day: date, days: int, stale_days: int) -> list[_Asked]:
        visits = s.execute(select(Encounter.patient_id, func.min(Encounter.date))
                           .where(Encounter.date >= day, Encounter.date <= day +
                                  timedelta(days=days))
                           .group_by(Encounter.patient_id)).all()
        out = []
        for pid, visit in visits:
            for cov, _rank in ranked_on(s, pid, visit):
                last = s.scalar(select(func.max(EligibilityCheck.checked_on)).where(
                    EligibilityCheck.coverage_id == cov.id))
                if last is None or last < visit - timedelta(days=stale_days):
                    p = s.get(Patient, pid)
                    assert p is not None
                    out.append(_Asked(p, cov, _payer(s, cov), visit))
        return out

    # --- 271 -----------------------------------------------------------------------------------
    def import_271(self, path: Path) -> ImportResult:
        """Read a 271 file into verifications (all of it, or nothing)."""
        user = self._ctx.require(Permission.EDIT_COVERAGE)
        data = read_file_bytes(path)
        sha = hashlib.sha256(data).hexdigest()
        parsed = parse_271(data, path.name)
        with self._db.session() as s:
            seen = s.scalars(select(X12File).where(X12File.kind == "271",
                                                   X12File.sha256 == sha)).first()
            if seen is not None:
                raise UserError(f"This 271 was already imported on "
                                f"{seen.created_at.astimezone():%m/%d/%Y} by "
                                f"{seen.created_by}. Nothing was imported.")
            matched = _match(s, parsed.responses, path.name)
            row = X12File(kind="271", direction="in", filename=path.name[:200], sha256=sha,
                          control_number=(parsed.controls or [""])[0][:9],
                          transactions=len(parsed.responses), content=data,
                          created_by=user.username)
            s.add(row)
            s.flush()
            counts = [self._record(s, user, r, inq, row.id) for r, inq in matched]
            return ImportResult(path.name, len(counts), sum(c[0] for c in counts),
                                sum(c[1] for c in counts))

    def _record(self, s: Session, user: CurrentUser, r: EligibilityResponse,
                inq: EligibilityInquiry, file_id: int) -> tuple[int, int]:
        cov = s.get(Coverage, inq.coverage_id)
        patient = s.get(Patient, inq.patient_id)
        assert cov is not None and patient is not None
        rejections = [Rejection(x.code, x.message, codes.FOLLOW_UP.get(x.follow_up, ""))
                      for x in r.rejections]
        ck = write_check(s, user, cov, _check_from(r, cov.id), file_id=file_id,
                         rejections=rejections)
        inq.answered_by_id = ck.id
        for x in rejections:
            raise_work_item(s, user, patient_id=patient.id, coverage_id=cov.id,
                            source="eligibility_check", source_id=ck.id,
                            reason=f"271 AAA {x.code}", detail=x.message)
        diffs = 0 if rejections else self._differences(s, r, patient, cov, ck.id)
        append_event(s, user, "eligibility.import_271", entity="eligibility_check",
                     entity_id=ck.id, patient_id=patient.id,
                     details={"benefits": len(r.benefits), "rejected": bool(rejections),
                              "differences": diffs})
        return int(bool(rejections)), diffs

    @staticmethod
    def _differences(s: Session, r: EligibilityResponse, p: Patient, c: Coverage,
                     check_id: int) -> int:
        ours = _values(r.level, p, c)
        prefix = _prefix(r.level, c)
        theirs = {prefix + k: v for k, v in _reported(r).items()}
        ours["member_id"] = c.member_id
        if r.level == "subscriber":
            theirs["member_id"] = r.member_id
        n = 0
        for field, value in theirs.items():
            if value and not _same(field, ours.get(field, ""), value):
                s.add(DemographicDifference(check_id=check_id, patient_id=p.id,
                                            coverage_id=c.id, field=field,
                                            clinic_value=ours.get(field, "")[:120],
                                            payer_value=value[:120]))
                n += 1
        return n

    # --- differences -----------------------------------------------------------------------
    def differences(self, *, pending_only: bool = True) -> list[Difference]:
        """What 271s reported differently from the clinic's records, oldest first."""
        self._ctx.require(Permission.EDIT_COVERAGE)
        with self._db.session() as s:
            q = (select(DemographicDifference, Patient.last_name, Patient.first_name)
                 .join(Patient, Patient.id == DemographicDifference.patient_id)
                 .order_by(DemographicDifference.id))
            if pending_only:
                q = q.where(DemographicDifference.state == "pending")
            return [_difference(d, f"{last}, {first}") for d, last, first in s.execute(q)]

    def decide(self, difference_id: int, accept: bool) -> Difference:
        """Accept (the patient's or coverage's record takes the payer's value) or reject."""
        user = self._ctx.require(Permission.EDIT_COVERAGE)
        with self._db.session() as s:
            d = s.get(DemographicDifference, difference_id)
            if d is None or d.state != "pending":
                raise UserError("That difference was already decided; refresh the list.")
            if accept:
                _apply(s, d)
            d.state = "accepted" if accept else "rejected"
            d.decided_by, d.decided_at = user.username, utcnow()
            append_event(s, user, f"eligibility.{'accept' if accept else 'reject'}_change",
                         entity="demographic_difference", entity_id=d.id,
                         patient_id=d.patient_id, details={"field": d.field})
            return _difference(d)


def _apply(s: Session, d: DemographicDifference) -> None:
    cov = s.get(Coverage, d.coverage_id)
    patient = s.get(Patient, d.patient_id)
    assert cov is not None and patient is not None
    value: Any = date.fromisoformat(d.payer_value) if d.field.endswith("dob") else \
        d.payer_value.strip()
    if d.field == "member_id":
        cov.member_id = value.upper()
    elif d.field.startswith(SUBSCRIBER):
        setattr(cov, d.field, value)
    else:
        setattr(patient, d.field, value)
        patient.last_key, patient.first_key = fold(patient.last_name), fold(patient.first_name)


def _difference(d: DemographicDifference, patient_name: str = "") -> Difference:
    return Difference(d.id, d.patient_id, d.check_id, d.field, label(d.field), d.clinic_value,
                      d.payer_value, d.state, patient_name)


def _payer(s: Session, cov: Coverage) -> Payer:
    payer = s.get(Payer, cov.payer_id)
    assert payer is not None
    return payer


def _match(s: Session, responses: Sequence[EligibilityResponse], filename: str
           ) -> list[tuple[EligibilityResponse, EligibilityInquiry]]:
    """Each answer with the inquiry it echoes; X12Error naming every answer that matches
    none (nothing is written)."""
    problems: list[SegmentProblem] = []
    out = []
    for i, r in enumerate(responses):
        parent = (r.level == "subscriber" and not r.our_traces and not r.rejections and
                  i + 1 < len(responses) and responses[i + 1].level == "dependent")
        if parent:  # the subscriber above a dependent: the dependent carries the answer
            continue
        if not r.is_person:
            reasons = "; ".join(x.message for x in r.rejections)
            problems.append(SegmentProblem(filename, r.position, "AAA", "The payer rejected "
                                           f"the whole inquiry: {reasons}"))
            continue
        found = s.scalars(select(EligibilityInquiry).where(
            EligibilityInquiry.trace.in_(r.our_traces))).first() if r.our_traces else None
        if found is None:
            problems.append(SegmentProblem(filename, r.position, "HL", "This answer matches no "
                                           "270 the clinic sent (no known trace number)."))
        elif found.answered_by_id is not None:
            problems.append(SegmentProblem(filename, r.position, "HL", "This inquiry was "
                                           "answered by an earlier 271."))
        else:
            out.append((r, found))
    if problems:
        raise X12Error(problems)
    if not out:
        raise UserError(f"{filename} answers nobody; nothing was imported.")
    return out


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"{path.name} cannot be written ({exc.strerror or 'access refused'}); "
                        "choose another folder.") from None
