"""The 270 eligibility inquiry, ASC X12 005010X279A1, written as a batch file for the
clearinghouse portal.

One transaction set (ST…SE) per payer, holding at most 99 patients (the batch limit of the
270 guides; 004010X092 made it a requirement and payers still hold to it):

    BHT*0022*13*<reference>*CCYYMMDD*HHMM
    2000A HL*1**20*1        2100A NM1*PR*2*<payer>*****PI*<payer ID>
    2000B HL*2*1*21*1       2100B NM1*1P*2*<practice>*****XX*<NPI> [PRV*BI*PXC*<taxonomy>]
    2000C HL*3*2*22*0|1     TRN*1*<trace>*<company ID> (when the subscriber is the patient)
                            2100C NM1*IL*1*<last>*<first>*<middle>***MI*<member ID>
                                  [REF*6P*<group>] [DMG*D8*<DOB>*<sex>] DTP*291*D8*<DOS>
                            2110C EQ*<service type> (one per service type)
    2000D HL*4*3*23*0       TRN*1*… 2100D NM1*03*1*… DMG INS*N*<relationship> DTP*291
                            2110D EQ*…  (when the patient is the subscriber's dependent)

The trace number (TRN02) is ours and comes back in the 271's TRN*2, which is how an answer is
matched to its inquiry. A dependent with a member ID of their own should be sent as the
subscriber: 2100D has no ID in 005010X279A1.

`build_270` checks every request first and raises a ValidationError listing every problem, with
no patient data in the messages; nothing is written until all are right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from app.errors import ValidationError
from app.formats.identifiers import check_npi, check_taxonomy, digits
from app.formats.x12 import codes
from app.formats.x12.segments import Envelope, HlBody, X12Writer, check_envelope, x12_text

VERSION = "005010X279A1"
MAX_PATIENTS = 99
Envelope270 = Envelope  # the generic ISA/GS/ST values: sender, receiver, control numbers, usage


@dataclass(frozen=True)
class Person:
    """A subscriber or dependent; `sex` is M, F, U or ''."""

    last_name: str = field(repr=False)  # patient data stays out of reprs and tracebacks
    first_name: str = field(default="", repr=False)
    middle_name: str = field(default="", repr=False)
    dob: date | None = field(default=None, repr=False)
    sex: str = ""


@dataclass(frozen=True)
class Receiver:
    """The information receiver (loop 2100B): the practice, or one provider when `first_name`
    is given; `company_id` fills TRN03 (the practice EIN, or 10 characters starting 1/3/9)."""

    name: str
    npi: str
    company_id: str = ""
    taxonomy: str = ""
    first_name: str = ""


@dataclass(frozen=True)
class EligibilityRequest:
    """One patient to ask about. `trace` is ours (TRN02); `dependent` is the patient when the
    subscriber is someone else, `relationship` its INS02 code (01, 19 or 34). `receiver` may be
    left out when `build_270` is given one for the whole batch."""

    trace: str
    payer_name: str
    payer_id: str
    subscriber: Person
    member_id: str = field(repr=False)
    service_date: date
    group_number: str = ""
    dependent: Person | None = None
    relationship: str = ""
    service_types: tuple[str, ...] = ("30",)
    receiver: Receiver | None = field(default=None, kw_only=True)

    @property
    def patient(self) -> Person:
        return self.dependent or self.subscriber


# --- checks -------------------------------------------------------------------------------------
def trace_company_id(receiver: Receiver) -> str | None:
    """TRN03: '1' + EIN, or a 10-character ID already starting with 1 (EIN), 3 (DUNS) or 9
    (assigned by us); None when neither."""
    value = receiver.company_id.strip()
    if len(digits(value)) == 9 and len(value.replace("-", "")) == 9:
        return "1" + digits(value)
    if len(value) == 10 and value[0] in "139" and value.isalnum() and value == x12_text(value):
        return value
    return None


def _receiver_problems(r: Receiver, label: str) -> dict[str, str]:
    p: dict[str, str] = {}
    if not x12_text(r.name):
        p[f"{label} name"] = "The practice (information receiver) needs a name."
    if msg := check_npi(r.npi):
        p[f"{label} NPI"] = msg
    if r.taxonomy and (msg := check_taxonomy(r.taxonomy)):
        p[f"{label} taxonomy"] = msg
    if trace_company_id(r) is None:
        p[f"{label} EIN"] = ("The 270 trace numbers need the practice EIN (9 digits), or a "
                             "10-character ID starting with 1, 3 or 9.")
    return p


def _person_problems(who: Person, role: str, *, patient: bool, service: date) -> list[str]:
    out = []
    if not x12_text(who.last_name):
        out.append(f"The {role}'s last name is missing.")
    if patient and not x12_text(who.first_name):
        out.append(f"The {role}'s first name is missing.")
    if patient and who.dob is None:
        out.append(f"The {role}'s date of birth is missing.")
    if who.dob is not None and who.dob > service:
        out.append(f"The {role}'s date of birth is after the date of service.")
    if who.sex not in ("", "M", "F", "U"):
        out.append(f"The {role}'s sex must be M, F or U.")
    return out


def _request_problems(r: EligibilityRequest) -> list[str]:
    out = []
    if not x12_text(r.payer_id) or len(r.payer_id.strip()) > 80:
        out.append("The payer has no payer ID (up to 80 characters); add it in the payer "
                   "directory.")
    if not x12_text(r.payer_name):
        out.append("The payer has no name in the payer directory.")
    if not x12_text(r.member_id) or len(r.member_id.strip()) > 80:
        out.append("The coverage has no member ID; enter it from the insurance card.")
    if len(r.group_number.strip()) > 50:
        out.append("The group number is longer than 50 characters.")
    dependent = r.dependent is not None
    out += _person_problems(r.subscriber, "subscriber", patient=not dependent,
                            service=r.service_date)
    if r.dependent is not None:
        out += _person_problems(r.dependent, "patient", patient=True, service=r.service_date)
        if r.relationship and r.relationship not in codes.INQUIRY_RELATIONSHIPS:
            out.append("A 270 gives the patient's relationship to the subscriber as spouse "
                       "(01), child (19) or other adult (34).")
    return out + _service_type_problems(r.service_types)


def _service_type_problems(types: Sequence[str]) -> list[str]:
    if not types:
        return ["Choose at least one service type to ask about (30 is general coverage)."]
    if len(types) > 99:
        return ["Ask about at most 99 service types at once."]
    return [f"Service type {st} is not in the 005010 list." for st in types
            if st not in codes.SERVICE_TYPES]


def _trace_problems(requests: Sequence[EligibilityRequest]) -> dict[str, str]:
    p: dict[str, str] = {}
    first: dict[str, int] = {}
    for n, r in enumerate(requests, start=1):
        key = f"inquiry {n}, trace number"
        if not r.trace or len(r.trace) > 50 or x12_text(r.trace) != r.trace:
            p[key] = ("A trace number is 1 to 50 capital letters, digits or basic "
                      "punctuation.")
        elif r.trace in first:
            p[key] = f"It repeats the trace number of inquiry {first[r.trace]}."
        first.setdefault(r.trace, n)
    return p


def check_requests(requests: Sequence[EligibilityRequest], receiver: Receiver | None = None
                   ) -> dict[str, str]:
    """Every problem with the batch as "inquiry N (trace T)" → what to fix, all of an
    inquiry's problems on its one line; no names, member IDs or dates in the messages."""
    if not requests:
        return {"inquiries": "Choose at least one patient to ask about."}
    p = _trace_problems(requests)
    for n, r in enumerate(requests, start=1):
        found = _request_problems(r)
        if (r.receiver or receiver) is None:
            found.append("No practice (information receiver) is given.")
        if found:  # one line per inquiry; the trace number is ours, not patient data
            p[f"inquiry {n} (trace {r.trace or 'none'})"] = " ".join(found)
    receivers = list(dict.fromkeys(x for x in (r.receiver or receiver for r in requests) if x))
    for i, rec in enumerate(receivers, start=1):
        p |= _receiver_problems(rec, "practice" if len(receivers) == 1 else f"receiver {i}")
    return p


# --- writing ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Batch:
    """One transaction set's worth: a payer and up to 99 of its requests."""

    payer_name: str
    payer_id: str
    requests: tuple[EligibilityRequest, ...]


def _batches(requests: Sequence[EligibilityRequest]) -> list[_Batch]:
    by_payer: dict[str, list[EligibilityRequest]] = {}
    for r in requests:
        by_payer.setdefault(x12_text(r.payer_id), []).append(r)
    out = []
    for payer_id, rs in by_payer.items():
        for start in range(0, len(rs), MAX_PATIENTS):
            chunk = tuple(rs[start:start + MAX_PATIENTS])
            out.append(_Batch(x12_text(chunk[0].payer_name), payer_id, chunk))
    return out


class _Body(HlBody):
    """The segments of one 270 transaction set, HL numbers counted as they are written."""

    def __init__(self, w: X12Writer, default: Receiver | None) -> None:
        super().__init__(w)
        self.default = default

    def write(self, batch: _Batch, reference: str, env: Envelope) -> list[str]:
        self.add("BHT", "0022", "13", reference, f"{env.created:%Y%m%d}",
                 f"{env.created:%H%M}")
        source = self.level(0, "20", True)
        self.add("NM1", "PR", "2", batch.payer_name[:60], "", "", "", "", "PI",
                 batch.payer_id[:80])
        by_receiver: dict[Receiver, list[EligibilityRequest]] = {}
        for r in batch.requests:
            rec = r.receiver or self.default
            assert rec is not None  # check_requests refused the batch otherwise
            by_receiver.setdefault(rec, []).append(r)
        for rec, rs in by_receiver.items():
            self.receiver(source, rec, rs)
        return self.lines

    def receiver(self, source: int, rec: Receiver, requests: list[EligibilityRequest]) -> None:
        hl = self.level(source, "21", True)
        person = bool(x12_text(rec.first_name))
        self.add("NM1", "1P", "1" if person else "2", x12_text(rec.name)[:60],
                 x12_text(rec.first_name)[:35], "", "", "", "XX", rec.npi)
        if rec.taxonomy:
            self.add("PRV", "PE" if person else "BI", "PXC", rec.taxonomy)
        trn03 = trace_company_id(rec) or ""
        for r in requests:
            self.subscriber(hl, r, trn03)

    def subscriber(self, parent: int, r: EligibilityRequest, trn03: str) -> None:
        hl = self.level(parent, "22", r.dependent is not None)
        if r.dependent is None:
            self.add("TRN", "1", r.trace, trn03)
        self.name("IL", r.subscriber, r.member_id)
        if x12_text(r.group_number):
            self.add("REF", "6P", x12_text(r.group_number)[:50])
        self.demographics(r.subscriber)
        if r.dependent is None:
            self.inquiry(r)
            return
        self.level(hl, "23", False)
        self.add("TRN", "1", r.trace, trn03)
        self.name("03", r.dependent, "")
        self.demographics(r.dependent)
        if r.relationship:
            self.add("INS", "N", r.relationship)
        self.inquiry(r)

    def name(self, entity: str, who: Person, member_id: str) -> None:
        self.add("NM1", entity, "1", x12_text(who.last_name)[:60], x12_text(who.first_name)[:35],
                 x12_text(who.middle_name)[:25], "", "", "MI" if member_id else "",
                 x12_text(member_id)[:80])

    def demographics(self, who: Person) -> None:
        if who.dob is not None:
            self.add("DMG", "D8", f"{who.dob:%Y%m%d}", who.sex)

    def inquiry(self, r: EligibilityRequest) -> None:
        self.add("DTP", "291", "D8", f"{r.service_date:%Y%m%d}")
        for st in r.service_types:
            self.add("EQ", st)


def build_270(requests: Sequence[EligibilityRequest], envelope: Envelope270, *,
              receiver: Receiver | None = None, newline: bool = True) -> bytes:
    """The whole 270 file (ISA…IEA, one functional group, a transaction per payer and 99
    patients). `receiver` is the practice for requests that do not name their own.
    ValidationError (nothing written) listing every problem when a request is wrong."""
    batches = _batches(requests)
    problems = check_requests(requests, receiver)
    problems |= {f"envelope {k}": v for k, v in check_envelope(envelope, len(batches)).items()}
    if problems:
        raise ValidationError(problems, "270 file")
    w = X12Writer(newline=newline)
    bodies = []
    for n, batch in enumerate(batches):
        reference = f"{envelope.interchange_control:09d}{envelope.transaction_control + n:04d}"
        bodies.append(_Body(w, receiver).write(batch, reference, envelope))
    return w.interchange(envelope, "HS", VERSION, "270", bodies)
