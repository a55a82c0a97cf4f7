"""The 271 eligibility response, 005010X279A1, read into plain dataclasses.

Loops are found by their HL level code: 20 information source (2000A, the payer), 21
information receiver (2000B, the clinic), 22 subscriber (2000C) and 23 dependent (2000D). Each
subscriber or dependent gives one `EligibilityResponse` with the trace numbers it echoes
(TRN*2, ours from the 270), its name, IDs, address, DOB and sex, its dates (DTP), any AAA
rejections (at its own level or its payer's or receiver's), and its benefit lines (2110C/D:
EB with the HSD, REF, DTP, AAA and MSG after it, and the LS/LE-bracketed 2120 entities).

Amounts and percents are `Decimal`; EB08 is read as sent (0.2) and kept as the patient's
percent (20). A bad date or number, an EB before any subscriber, or an HL whose parent does
not exist is an X12Error naming the segment; so is a file that is not a 271.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.formats.x12 import codes
from app.formats.x12.segments import (
    Delimiters,
    Segment,
    SegmentProblem,
    X12Error,
    interchanges,
)

VERSION = "005010X279A1"


@dataclass(frozen=True)
class Rejection:
    level: str  # source, receiver, subscriber, dependent, benefit
    valid: str  # AAA01 Y/N
    code: str  # AAA03
    follow_up: str  # AAA04
    message: str


@dataclass(frozen=True)
class DateInfo:
    qualifier: str
    start: date
    end: date | None = None


@dataclass(frozen=True)
class Entity:
    code: str
    name: str
    id: str


@dataclass
class BenefitLine:
    code: str
    coverage_level: str = ""
    service_types: tuple[str, ...] = ()
    insurance_type: str = ""
    plan_description: str = ""
    time_period: str = ""
    amount: Decimal | None = None
    percent: Decimal | None = None  # the patient's share in percent (EB08 × 100)
    quantity_qualifier: str = ""
    quantity: Decimal | None = None
    auth_required: str = ""
    in_network: str = ""
    procedure: str = ""
    messages: list[str] = field(default_factory=list)
    dates: list[DateInfo] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    position: int = 0


@dataclass
class EligibilityResponse:
    level: str  # subscriber or dependent
    payer_name: str
    payer_id: str
    receiver_name: str
    receiver_id: str
    traces: list[tuple[str, str, str]] = field(default_factory=list)  # (TRN01, TRN02, TRN03)
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    member_id: str = ""
    refs: list[tuple[str, str]] = field(default_factory=list)
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    dob: date | None = None
    sex: str = ""
    relationship: str = ""
    dates: list[DateInfo] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    benefits: list[BenefitLine] = field(default_factory=list)
    position: int = 0

    @property
    def our_traces(self) -> list[str]:
        """The trace numbers we sent (TRN01 = 2 in the 271: "referenced transaction")."""
        return [t[1] for t in self.traces if t[0] == "2"]

    @property
    def active(self) -> bool | None:
        found = {b.code for b in self.benefits}
        if found & codes.ACTIVE_CODES:
            return True
        if found & codes.INACTIVE_CODES:
            return False
        return None


@dataclass
class Response271File:
    filename: str
    controls: list[str]
    responses: list[EligibilityResponse]


@dataclass
class _Level:
    code: str
    name: str = ""
    id: str = ""
    rejections: list[Rejection] = field(default_factory=list)


class _Reader:
    def __init__(self, filename: str, d: Delimiters) -> None:
        self.f, self.d = filename, d
        self.problems: list[SegmentProblem] = []
        self.levels: dict[str, _Level] = {}
        self.source = self.receiver = self.last_level = _Level("")
        self.current: EligibilityResponse | None = None
        self.benefit: BenefitLine | None = None
        self.in_2120 = False
        self.out: list[EligibilityResponse] = []

    def bad(self, s: Segment, message: str) -> None:
        self.problems.append(SegmentProblem(self.f, s.position, s.id, message))

    def date_of(self, s: Segment, fmt_el: int, value_el: int) -> tuple[date, date | None] | None:
        fmt, value = s.el(fmt_el), s.el(value_el)
        try:
            if fmt == "RD8":
                a, b = value.split("-")
                return _d8(a), _d8(b)
            return _d8(value), None
        except ValueError:
            self.bad(s, f"Element {value_el} is not a date in the {fmt or 'D8'} format.")
            return None

    def number(self, s: Segment, n: int) -> Decimal | None:
        if not s.el(n):
            return None
        try:
            value = Decimal(s.el(n))
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            self.bad(s, f"Element {n} is not a number.")
            return None
        return value

    # --- segments ------------------------------------------------------------------------------
    def hl(self, s: Segment) -> None:
        number, parent, level = s.el(1), s.el(2), s.el(3)
        if parent and parent not in self.levels:
            self.bad(s, "This HL points to a parent HL that is not in the transaction.")
        self.levels[number] = self.last_level = _Level(level)
        self.benefit, self.in_2120 = None, False
        if level == "20":
            self.source = self.levels[number]
        elif level == "21":
            self.receiver = self.levels[number]
        elif level in ("22", "23"):
            self.current = EligibilityResponse(
                "subscriber" if level == "22" else "dependent", self.source.name,
                self.source.id, self.receiver.name, self.receiver.id, position=s.position)
            self.current.rejections += self.source.rejections + self.receiver.rejections
            self.out.append(self.current)
        else:
            self.bad(s, f"HL level code {level or '(none)'} is not one a 271 uses.")

    def nm1(self, s: Segment) -> None:
        if self.in_2120 and self.benefit is not None:
            name = " ".join(p for p in (s.el(3), s.el(4)) if p)
            self.benefit.entities.append(Entity(s.el(1), name, s.el(9)))
        elif self.current is None:
            self.last_level.name, self.last_level.id = s.el(3), s.el(9)
        elif s.el(1) in ("IL", "03"):
            c = self.current
            c.last_name, c.first_name, c.middle_name = s.el(3), s.el(4), s.el(5)
            c.member_id = s.el(9) or c.member_id

    def eb(self, s: Segment) -> None:
        if self.current is None:
            self.bad(s, "A benefit (EB) comes before any subscriber or dependent.")
            return
        pct = self.number(s, 8)
        line = BenefitLine(
            s.el(1), s.el(2), tuple(s.repeats(3, self.d)), s.el(4), s.el(5), s.el(6),
            self.number(s, 7), None if pct is None else pct * 100, s.el(9), self.number(s, 10),
            s.el(11), s.el(12), ":".join(c for c in s.components(13, self.d) if c),
            position=s.position)
        self.current.benefits.append(line)
        self.benefit, self.in_2120 = line, False

    def aaa(self, s: Segment) -> None:
        level = ("benefit" if self.benefit is not None else self.current.level
                 if self.current is not None else
                 {"20": "source", "21": "receiver"}.get(self.last_level.code, "source"))
        r = Rejection(level, s.el(1), s.el(3), s.el(4), codes.reject_message(s.el(3)))
        if self.benefit is not None:
            self.benefit.rejections.append(r)
        elif self.current is not None:
            self.current.rejections.append(r)
        else:
            self.last_level.rejections.append(r)

    def dtp(self, s: Segment) -> None:
        got = self.date_of(s, 2, 3)
        if got is None:
            return
        info = DateInfo(s.el(1), got[0], got[1])
        if self.benefit is not None:
            self.benefit.dates.append(info)
        elif self.current is not None:
            self.current.dates.append(info)

    def ref(self, s: Segment) -> None:
        if self.benefit is not None:
            self.benefit.refs.append((s.el(1), s.el(2)))
        elif self.current is not None:
            self.current.refs.append((s.el(1), s.el(2)))

    def dmg(self, s: Segment) -> None:
        if self.current is not None and not self.in_2120:
            got = self.date_of(s, 1, 2) if s.el(2) else None
            self.current.dob = got[0] if got else None
            self.current.sex = s.el(3)

    def read(self, s: Segment) -> None:
        c = self.current
        if s.id == "HL":
            self.hl(s)
        elif s.id == "NM1":
            self.nm1(s)
        elif s.id == "EB":
            self.eb(s)
        elif s.id == "AAA":
            self.aaa(s)
        elif s.id == "DTP":
            self.dtp(s)
        elif s.id == "REF":
            self.ref(s)
        elif s.id == "DMG":
            self.dmg(s)
        elif s.id == "MSG" and self.benefit is not None:
            self.benefit.messages.append(s.el(1))
        elif s.id in ("LS", "LE"):
            self.in_2120 = s.id == "LS"
        elif c is not None and not self.in_2120 and self.benefit is None:
            self.demographics(c, s)

    def whole_rejection(self) -> list[EligibilityResponse]:
        """A transaction rejected above any subscriber (e.g. the clinic may not ask this
        payer) answers with the payer's or receiver's AAA alone."""
        found = self.source.rejections + self.receiver.rejections
        if not found:
            return []
        return [EligibilityResponse("source", self.source.name, self.source.id,
                                    self.receiver.name, self.receiver.id, rejections=found)]

    @staticmethod
    def demographics(c: EligibilityResponse, s: Segment) -> None:
        if s.id == "TRN":
            c.traces.append((s.el(1), s.el(2), s.el(3)))
        elif s.id == "N3":
            c.address1, c.address2 = s.el(1), s.el(2)
        elif s.id == "N4":
            c.city, c.state, c.zip = s.el(1), s.el(2), s.el(3)
        elif s.id == "INS":
            c.relationship = s.el(2)


def _d8(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").date()


def parse_271(data: bytes | str, filename: str) -> Response271File:
    """Every subscriber and dependent answered in the file (several interchanges allowed)."""
    found = interchanges(data, filename)
    problems: list[SegmentProblem] = []
    responses: list[EligibilityResponse] = []
    for ic in found:
        for tx in ic.transactions:
            if tx.code != "271":
                first = tx.segments[0] if tx.segments else Segment("ST", (), 0)
                problems.append(SegmentProblem(filename, max(first.position - 1, 0), "ST",
                                               f"This is a {tx.code or '(blank)'} "
                                               "transaction, not a 271 eligibility response."))
                continue
            reader = _Reader(filename, ic.delimiters)
            for s in tx.segments:
                reader.read(s)
            problems += reader.problems
            responses += reader.out or reader.whole_rejection()
    if problems:
        raise X12Error(problems)
    return Response271File(filename, [ic.control for ic in found], responses)


# --- for people and scripts ------------------------------------------------------------------
def _money(v: Decimal | None) -> str | None:
    return None if v is None else f"{v:f}"


def benefit_json(b: BenefitLine) -> dict[str, Any]:
    return {
        "code": b.code, "meaning": codes.words(codes.BENEFIT_CODES, b.code, "benefit"),
        "coverage_level": b.coverage_level, "service_types": list(b.service_types),
        "insurance_type": b.insurance_type, "plan_description": b.plan_description,
        "time_period": b.time_period, "amount": _money(b.amount), "percent": _money(b.percent),
        "quantity_qualifier": b.quantity_qualifier, "quantity": _money(b.quantity),
        "authorization_required": b.auth_required, "in_network": b.in_network,
        "procedure": b.procedure, "messages": list(b.messages),
        "dates": [{"qualifier": d.qualifier, "start": d.start.isoformat(),
                   "end": d.end.isoformat() if d.end else None} for d in b.dates],
        "entities": [{"code": e.code, "name": e.name, "id": e.id} for e in b.entities],
        "rejections": [{"code": r.code, "message": r.message} for r in b.rejections],
    }


def to_json(f: Response271File) -> list[dict[str, Any]]:
    """What the file says, per subscriber or dependent (for `eligibility read-271 --json`)."""
    return [{
        "level": r.level, "payer": r.payer_name, "payer_id": r.payer_id,
        "last_name": r.last_name, "first_name": r.first_name, "member_id": r.member_id,
        "dob": r.dob.isoformat() if r.dob else None, "sex": r.sex, "traces": r.our_traces,
        "active": r.active,
        "rejections": [{"code": x.code, "follow_up": x.follow_up, "message": x.message}
                       for x in r.rejections],
        "benefits": [benefit_json(b) for b in r.benefits],
    } for r in f.responses]


def benefit_words(b: BenefitLine) -> str:
    """One EB line in words: "Deductible, individual, in network: 1,500.00 per calendar
    year"."""
    parts = [codes.words(codes.BENEFIT_CODES, b.code, "benefit")]
    parts += [codes.words(codes.SERVICE_TYPES, st, "service type") for st in b.service_types]
    for table, value, what in ((codes.COVERAGE_LEVELS, b.coverage_level, "level"),
                               (codes.NETWORK, b.in_network, "network")):
        if value:
            parts.append(codes.words(table, value, what))
    if b.plan_description:
        parts.append(b.plan_description)
    figures = [f"{b.amount:,.2f}" if b.amount is not None else "",
               f"{b.percent.normalize():f}%" if b.percent is not None else "",
               f"{b.quantity.normalize():f} {codes.words(codes.QUANTITY_QUALIFIERS, b.quantity_qualifier, 'units')}"  # noqa: E501
               if b.quantity is not None else "",
               codes.words(codes.TIME_PERIODS, b.time_period, "period")]
    shown = " ".join(f for f in figures if f)
    return ", ".join(parts) + (f": {shown}" if shown else "")


def summary_lines(r: EligibilityResponse) -> list[str]:
    """A readable summary of one subscriber's or dependent's answer."""
    state = {True: "active", False: "inactive", None: "not stated"}[r.active]
    lines = [f"{r.payer_name or 'Payer'}: coverage {state}"]
    lines += [f"✖ {x.message} (code {x.code})" for x in r.rejections]
    lines += [f"{codes.words(codes.DATE_QUALIFIERS, d.qualifier, 'date')}: "
              f"{d.start:%m/%d/%Y}" + (f" – {d.end:%m/%d/%Y}" if d.end else "")
              for d in r.dates]
    for b in r.benefits:
        lines.append(benefit_words(b))
        lines += [f"  {m}" for m in b.messages]
    return lines
