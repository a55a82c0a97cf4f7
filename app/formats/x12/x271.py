"""The 271 eligibility response, ASC X12 005010X279A1, read into frozen dataclasses.

Loops are found by their HL level code and parent: 20 information source (2000A, the payer;
its name in 2100A), 21 information receiver (2000B/2100B, the clinic), 22 subscriber (2000C,
2100C) and 23 dependent (2000D, 2100D). Each subscriber or dependent becomes one
`EligibilityResponse` with the trace numbers it carries (TRN*2 echoes ours from the 270, TRN*1
is the payer's own), its name, member ID, other IDs (REF), address (N3/N4), DOB and sex (DMG),
relationship (INS), dates (DTP), any AAA rejections (its own, and those of the payer and
receiver loops above it), and its benefit lines: loop 2110C/D, one `BenefitLine` per EB with
the HSD, REF, DTP, AAA, MSG and III after it, and the LS…LE-bracketed 2120C/D benefit related
entities (a primary payer, a PCP, …). A payer or receiver rejection with nobody under it (for
example AAA*Y**50 "provider ineligible for inquiries" at 2100B) becomes a response of level
"source" or "receiver" so it is not lost.

Numbers are Decimal, never float; EB08 is kept as sent (0.2) and also offered as the percent
(20). Dates are datetime.date; a bad date or number, an EB before any subscriber, an HL whose
parent is missing, a transaction that is not a 271 and envelope mismatches are all collected and
raised together as one X12Error naming each segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.formats.x12 import codes
from app.formats.x12.segments import (
    Interchange,
    Segment,
    SegmentProblem,
    Transaction,
    X12Error,
    check_interchanges,
)

VERSION = "005010X279A1"
LEVELS = {"20": "source", "21": "receiver", "22": "subscriber", "23": "dependent"}
PARENT_LEVEL = {"20": "", "21": "20", "22": "21", "23": "22"}
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


# --- what a 271 says ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Rejection:
    """An AAA segment: the request could not be answered (or only in part)."""

    level: str  # source (2000A/2100A), receiver (2100B), subscriber, dependent, benefit (2110)
    valid_request: str  # AAA01: Y the request was valid, N it was not
    reason_code: str  # AAA03
    follow_up: str  # AAA04
    message: str  # plain words for the clerk: what it means and what to do
    position: int = 0

    @property
    def code(self) -> str:
        return self.reason_code

    @property
    def reason(self) -> str:
        return codes.words(codes.REJECT_REASONS, self.reason_code)

    @property
    def follow_up_words(self) -> str:
        return codes.words(codes.FOLLOW_UP, self.follow_up)


@dataclass(frozen=True)
class Trace:
    """TRN: kind "2" is the trace we sent in the 270, echoed; kind "1" is the payer's own."""

    kind: str
    number: str
    company_id: str
    reference: str = ""


@dataclass(frozen=True)
class DatePeriod:
    """A DTP: one date (D8), or a range (RD8) with `end`."""

    qualifier: str
    start: date
    end: date | None = None

    @property
    def words(self) -> str:
        return codes.words(codes.DATE_QUALIFIERS, self.qualifier)


@dataclass(frozen=True)
class Reference:
    """A REF: qualifier (6P group number, 18 plan number, …), value, REF03 description."""

    qualifier: str
    value: str = field(repr=False)  # may be a member ID or SSN
    description: str = ""


@dataclass(frozen=True)
class Contact:
    """A PER: a name and (qualifier, number) pairs: TE phone, FX fax, EM email, UR website."""

    name: str
    numbers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RelatedEntity:
    """A 2120C/D benefit related entity (NM1 between LS and LE)."""

    code: str  # NM101: PRP primary payer, P3 primary care provider, …
    name: str = field(repr=False)  # may be a person (IL insured)
    id_qualifier: str = ""
    id: str = field(default="", repr=False)
    contacts: tuple[Contact, ...] = ()

    @property
    def words(self) -> str:
        return codes.words(codes.ENTITY_CODES, self.code)


@dataclass(frozen=True)
class Delivery:
    """An HSD: how much and how often (e.g. 20 visits per calendar year)."""

    quantity_qualifier: str  # HSD01
    quantity: Decimal | None  # HSD02
    unit: str  # HSD03
    sample: Decimal | None  # HSD04
    time_period: str  # HSD05
    periods: Decimal | None  # HSD06
    frequency: str  # HSD07
    pattern: str  # HSD08


@dataclass(frozen=True)
class BenefitLine:
    """One EB segment (loop 2110C/D) with what follows it."""

    code: str  # EB01
    coverage_level: str = ""  # EB02
    service_types: tuple[str, ...] = ()  # EB03, repeatable
    insurance_type: str = ""  # EB04
    plan_description: str = ""  # EB05
    time_period: str = ""  # EB06
    amount: Decimal | None = None  # EB07
    percent_decimal: Decimal | None = None  # EB08 as sent: 0.2 for 20%
    quantity_qualifier: str = ""  # EB09
    quantity: Decimal | None = None  # EB10
    auth_required: str = ""  # EB11: Y, N, U
    in_network: str = ""  # EB12: Y, N, W, U
    procedure: str = ""  # EB13 with ':' between components: "HC:99213:25"
    diagnosis_pointers: tuple[str, ...] = ()  # EB14
    deliveries: tuple[Delivery, ...] = ()
    refs: tuple[Reference, ...] = ()
    dates: tuple[DatePeriod, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    messages: tuple[str, ...] = ()
    additional: tuple[tuple[str, str], ...] = ()  # III01/III02, e.g. ("ZZ", "11") office
    entities: tuple[RelatedEntity, ...] = ()
    position: int = 0

    @property
    def percent(self) -> Decimal | None:
        """The percent as people write it (20 for EB08 0.2). A value above 1 cannot be a
        fraction, so a payer that sent 20 already is taken at its word."""
        p = self.percent_decimal
        if p is None:
            return None
        return p if p > 1 else (p * 100).normalize()

    @property
    def words(self) -> str:
        return codes.words(codes.ELIGIBILITY_CODES, self.code)

    @property
    def procedure_parts(self) -> tuple[str, ...]:
        return tuple(self.procedure.split(":")) if self.procedure else ()


@dataclass(frozen=True)
class EligibilityResponse:
    """The answer about one subscriber (2000C) or dependent (2000D)."""

    level: str  # subscriber or dependent; source or receiver for a rejection with nobody under
    position: int  # segment number of the HL
    payer_name: str = ""
    payer_id: str = ""
    receiver_name: str = ""
    receiver_id: str = ""
    traces: tuple[Trace, ...] = ()
    last_name: str = field(default="", repr=False)
    first_name: str = field(default="", repr=False)
    middle_name: str = field(default="", repr=False)
    suffix: str = field(default="", repr=False)
    member_id: str = field(default="", repr=False)
    # the subscriber's NM109: for a dependent, the ID on the card
    subscriber_member_id: str = field(default="", repr=False)
    refs: tuple[Reference, ...] = field(default=(), repr=False)
    address1: str = field(default="", repr=False)
    address2: str = field(default="", repr=False)
    city: str = field(default="", repr=False)
    state: str = ""
    zip: str = field(default="", repr=False)
    dob: date | None = field(default=None, repr=False)
    sex: str = ""
    relationship: str = ""  # INS02
    identity_corrected: bool = False  # INS03 001 + INS04 25: the payer changed the name/DOB
    dates: tuple[DatePeriod, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    benefits: tuple[BenefitLine, ...] = ()
    payer_contacts: tuple[Contact, ...] = ()
    has_dependents: bool = False  # a subscriber whose dependents below carry the answers

    @property
    def our_traces(self) -> tuple[str, ...]:
        """The trace numbers we sent in the 270 (TRN01 = 2, "referenced transaction")."""
        return tuple(t.number for t in self.traces if t.kind == "2")

    @property
    def echoed_traces(self) -> tuple[tuple[str, str], ...]:
        return tuple((t.number, t.company_id) for t in self.traces if t.kind == "2")

    @property
    def payer_traces(self) -> tuple[tuple[str, str], ...]:
        return tuple((t.number, t.company_id) for t in self.traces if t.kind == "1")

    @property
    def is_person(self) -> bool:
        return self.level in ("subscriber", "dependent")

    @property
    def active(self) -> bool | None:
        """True with any active-coverage EB (1–5), False with only inactive ones (6–8), None
        when the payer said neither."""
        found = {b.code for b in self.benefits}
        if found & codes.ACTIVE_CODES:
            return True
        if found & codes.INACTIVE_CODES:
            return False
        return None

    def ref(self, *qualifiers: str) -> str:
        """The first REF value with one of `qualifiers`, '' when none."""
        return next((r.value for q in qualifiers for r in self.refs if r.qualifier == q), "")

    @property
    def group_number(self) -> str:
        return self.ref(*codes.GROUP_REFS)


@dataclass(frozen=True)
class Response271File:
    filename: str
    interchanges: tuple[Interchange, ...]
    responses: tuple[EligibilityResponse, ...]

    @property
    def controls(self) -> tuple[str, ...]:
        """ISA13 of each interchange, in file order."""
        return tuple(ic.control for ic in self.interchanges)


# --- reading ------------------------------------------------------------------------------------
@dataclass
class _Node:
    """An HL level while its transaction is read (frozen into the dataclasses at the end)."""

    code: str
    parent: _Node | None
    position: int
    name: str = ""
    id: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, list[Any]] = field(default_factory=dict)
    benefits: list[_Benefit] = field(default_factory=list)
    has_person_below: bool = False

    def add(self, key: str, item: Any) -> None:
        self.lists.setdefault(key, []).append(item)

    def ancestor(self, code: str) -> _Node | None:
        node: _Node | None = self
        while node is not None and node.code != code:
            node = node.parent
        return node


@dataclass
class _Benefit:
    seg: Segment
    numbers: dict[int, Decimal | None] = field(default_factory=dict)  # EB07, EB08, EB10
    lists: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, key: str, item: Any) -> None:
        self.lists.setdefault(key, []).append(item)


def _d8(value: str) -> date:
    if not re.fullmatch(r"[0-9]{8}", value):
        raise ValueError(value)
    return datetime.strptime(value, "%Y%m%d").date()


class _Reader:
    """Reads one 271 transaction set segment by segment."""

    def __init__(self, filename: str) -> None:
        self.f = filename
        self.problems: list[SegmentProblem] = []
        self.nodes: dict[str, _Node] = {}
        self.order: list[_Node] = []
        self.node: _Node | None = None
        self.benefit: _Benefit | None = None
        self.in_2120: Segment | None = None

    def bad(self, s: Segment, message: str) -> None:
        self.problems.append(SegmentProblem(self.f, s.position, s.id, message))

    # values ----------------------------------------------------------------------------------
    def number(self, s: Segment, n: int) -> Decimal | None:
        value = s.el(n).strip()
        if not value:
            return None
        try:
            if _NUMBER.fullmatch(value):
                return Decimal(value)
        except InvalidOperation:
            pass
        self.bad(s, f"{s.id}{n:02d} is not a number.")
        return None

    def period(self, s: Segment) -> DatePeriod | None:
        fmt, value = s.el(2), s.el(3)
        try:
            if fmt == "RD8":
                start, _, end = value.partition("-")
                return DatePeriod(s.el(1), _d8(start), _d8(end))
            if fmt == "D8":
                return DatePeriod(s.el(1), _d8(value))
        except ValueError:
            self.bad(s, f"DTP03 is not a valid date in the {fmt} format "
                        f"({'CCYYMMDD-CCYYMMDD' if fmt == 'RD8' else 'CCYYMMDD'}).")
            return None
        self.bad(s, "DTP02 must be D8 (one date) or RD8 (a range).")
        return None

    def rejection(self, s: Segment, level: str) -> Rejection:
        return Rejection(level, s.el(1), s.el(3), s.el(4), codes.reject_message(s.el(3)),
                         s.position)

    # dispatch --------------------------------------------------------------------------------
    def read(self, s: Segment) -> None:
        if self.in_2120 is not None and self.entity_segment(s):
            return
        if s.id == "HL":
            self.hl(s)
        elif s.id == "BHT":
            return
        elif self.node is None:
            self.bad(s, "A benefit (EB) comes before any subscriber or dependent." if s.id == "EB"
                     else "This segment comes before the first HL (hierarchical level).")
        elif self.node.code in ("20", "21"):
            self.upper_level(s, self.node)
        elif self.benefit is None:
            self.person(s, self.node)
        else:
            self.benefit_segment(s, self.benefit)

    def finish(self) -> None:
        if self.in_2120 is not None:
            self.bad(self.in_2120, "This LS opens a benefit related entity (2120) that no LE "
                                   "closes.")
            self.in_2120 = None

    # HL ----------------------------------------------------------------------------------------
    def hl(self, s: Segment) -> None:
        self.finish()
        self.benefit = None
        number, parent_no, code = s.el(1).strip(), s.el(2).strip(), s.el(3).strip()
        parent = self.nodes.get(parent_no) if parent_no else None
        if code not in LEVELS:
            self.bad(s, f"HL03 level code {code or '(blank)'} is not one a 271 uses "
                        "(20, 21, 22, 23).")
        if parent_no and parent is None:
            self.bad(s, "HL02 names a parent HL that does not exist in this transaction.")
        elif code in LEVELS and (parent.code if parent else "") != PARENT_LEVEL[code]:
            self.bad(s, f"A {LEVELS[code]} HL must sit under a "
                        f"{LEVELS.get(PARENT_LEVEL[code], 'no')} HL.")
        if not number or number in self.nodes:
            self.bad(s, "HL01 is blank or repeats an earlier HL number.")
        self.node = _Node(code, parent, s.position)
        self.nodes[number] = self.node
        self.order.append(self.node)
        if code in ("22", "23"):
            for above in self._ancestors(parent):
                above.has_person_below = True

    @staticmethod
    def _ancestors(node: _Node | None) -> list[_Node]:
        out = []
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    # 2000A/2100A and 2000B/2100B -----------------------------------------------------------------
    def upper_level(self, s: Segment, node: _Node) -> None:
        if s.id == "NM1" and not node.name:
            node.name = " ".join(p for p in (s.el(3).strip(), s.el(4).strip()) if p)
            node.id = s.el(9).strip()
        elif s.id == "PER":
            node.add("contacts", _contact(s))
        elif s.id == "AAA":
            node.add("rejections", self.rejection(s, LEVELS[node.code]))
        elif s.id == "EB":
            self.bad(s, "A benefit (EB) comes before any subscriber or dependent.")

    # 2000C/D and 2100C/D ---------------------------------------------------------------------
    def person(self, s: Segment, node: _Node) -> None:
        handler = {"TRN": self.trn, "NM1": self.nm1, "REF": self.ref, "N3": self.n3,
                   "N4": self.n4, "AAA": self.person_aaa, "DMG": self.dmg, "INS": self.ins,
                   "DTP": self.person_dtp, "EB": self.eb}.get(s.id)
        if handler is not None:
            handler(s, node)

    def trn(self, s: Segment, node: _Node) -> None:
        node.add("traces", Trace(s.el(1), s.el(2).strip(), s.el(3).strip(), s.el(4).strip()))

    def nm1(self, s: Segment, node: _Node) -> None:
        node.values.update(last_name=s.el(3).strip(), first_name=s.el(4).strip(),
                           middle_name=s.el(5).strip(), suffix=s.el(7).strip())
        if s.el(9).strip():
            node.values["member_id"] = s.el(9).strip()

    def ref(self, s: Segment, node: _Node) -> None:
        node.add("refs", Reference(s.el(1), s.el(2).strip(), s.el(3).strip()))

    def n3(self, s: Segment, node: _Node) -> None:
        node.values.update(address1=s.el(1).strip(), address2=s.el(2).strip())

    def n4(self, s: Segment, node: _Node) -> None:
        node.values.update(city=s.el(1).strip(), state=s.el(2).strip(), zip=s.el(3).strip())

    def person_aaa(self, s: Segment, node: _Node) -> None:
        node.add("rejections", self.rejection(s, LEVELS[node.code]))

    def dmg(self, s: Segment, node: _Node) -> None:
        node.values["sex"] = s.el(3).strip()
        if not s.el(2):
            return
        try:
            node.values["dob"] = _d8(s.el(2))
        except ValueError:
            self.bad(s, "DMG02 is not a valid date of birth (CCYYMMDD).")

    def ins(self, s: Segment, node: _Node) -> None:
        node.values["relationship"] = s.el(2).strip()
        node.values["identity_corrected"] = s.el(3) == "001" and s.el(4) == "25"

    def person_dtp(self, s: Segment, node: _Node) -> None:
        if (got := self.period(s)) is not None:
            node.add("dates", got)

    # 2110C/D ---------------------------------------------------------------------------------
    def eb(self, s: Segment, node: _Node) -> None:
        self.benefit = _Benefit(s)
        node.benefits.append(self.benefit)
        for n in (7, 8, 10):
            self.benefit.numbers[n] = self.number(s, n)

    def benefit_segment(self, s: Segment, b: _Benefit) -> None:
        if s.id == "EB":
            assert self.node is not None
            self.eb(s, self.node)
        elif s.id == "HSD":
            b.add("deliveries", self.hsd(s))
        elif s.id == "REF":
            b.add("refs", Reference(s.el(1), s.el(2).strip(), s.el(3).strip()))
        elif s.id == "DTP":
            if (got := self.period(s)) is not None:
                b.add("dates", got)
        elif s.id == "AAA":
            b.add("rejections", self.rejection(s, "benefit"))
        elif s.id == "MSG":
            b.add("messages", s.el(1).strip())
        elif s.id == "III":
            b.add("additional", (s.el(1), s.el(2)))
        elif s.id == "LS":
            self.in_2120 = s
        elif s.id == "NM1":  # an entity without LS…LE: keep it rather than lose it
            b.add("entities", _entity(s))

    def hsd(self, s: Segment) -> Delivery:
        return Delivery(s.el(1), self.number(s, 2), s.el(3), self.number(s, 4), s.el(5),
                        self.number(s, 6), s.el(7), s.el(8))

    def entity_segment(self, s: Segment) -> bool:
        """Segments of a 2120 loop; False (after closing the loop) for anything else."""
        b = self.benefit
        assert b is not None and self.in_2120 is not None
        if s.id == "LE":
            self.in_2120 = None
        elif s.id == "NM1":
            b.add("entities", _entity(s))
        elif s.id == "PER" and b.lists.get("entities"):
            last = b.lists["entities"][-1]
            b.lists["entities"][-1] = RelatedEntity(last.code, last.name, last.id_qualifier,
                                                    last.id, (*last.contacts, _contact(s)))
        elif s.id not in ("N3", "N4", "PRV"):
            self.finish()
            return False
        return True


def _contact(s: Segment) -> Contact:
    pairs = ((s.el(n), s.el(n + 1).strip()) for n in (3, 5, 7))
    return Contact(s.el(2).strip(), tuple((q, v) for q, v in pairs if q and v))


def _entity(s: Segment) -> RelatedEntity:
    name = " ".join(p for p in (s.el(3).strip(), s.el(4).strip(), s.el(5).strip()) if p)
    return RelatedEntity(s.el(1), name, s.el(8), s.el(9).strip())


# --- freezing -----------------------------------------------------------------------------------
def _benefit_line(b: _Benefit) -> BenefitLine:
    s = b.seg
    return BenefitLine(
        code=s.el(1), coverage_level=s.el(2), service_types=s.repeats(3),
        insurance_type=s.el(4), plan_description=s.el(5).strip(), time_period=s.el(6),
        amount=b.numbers.get(7), percent_decimal=b.numbers.get(8), quantity_qualifier=s.el(9),
        quantity=b.numbers.get(10), auth_required=s.el(11), in_network=s.el(12),
        procedure=":".join(s.components(13)).rstrip(":"), diagnosis_pointers=s.components(14),
        deliveries=_all(b.lists, "deliveries"), refs=_all(b.lists, "refs"),
        dates=_all(b.lists, "dates"), rejections=_all(b.lists, "rejections"),
        messages=_all(b.lists, "messages"), additional=_all(b.lists, "additional"),
        entities=_all(b.lists, "entities"), position=s.position)


def _all(lists: dict[str, list[Any]], key: str) -> tuple[Any, ...]:
    return tuple(lists.get(key, ()))


def _response(node: _Node, level: str) -> EligibilityResponse:
    source, receiver = node.ancestor("20"), node.ancestor("21")
    subscriber = node.ancestor("22")
    inherited = [x for n in (source, receiver) if n is not None and n is not node
                 for x in n.lists.get("rejections", [])]
    values: dict[str, Any] = dict(node.values)
    values["subscriber_member_id"] = subscriber.values.get("member_id", "") if subscriber else ""
    return EligibilityResponse(
        level=level, position=node.position, traces=_all(node.lists, "traces"),
        refs=_all(node.lists, "refs"), dates=_all(node.lists, "dates"),
        payer_name=source.name if source else "", payer_id=source.id if source else "",
        receiver_name=receiver.name if receiver else "",
        receiver_id=receiver.id if receiver else "",
        rejections=tuple(inherited + node.lists.get("rejections", [])),
        benefits=tuple(_benefit_line(b) for b in node.benefits),
        payer_contacts=_all(source.lists, "contacts") if source else (),
        has_dependents=node.code == "22" and node.has_person_below, **values)


def _responses(reader: _Reader) -> list[EligibilityResponse]:
    out = []
    for node in reader.order:
        if node.code in ("22", "23"):
            out.append(_response(node, LEVELS[node.code]))
        elif node.code in ("20", "21") and node.lists.get("rejections") and \
                not node.has_person_below:
            out.append(_response(node, LEVELS[node.code]))
    return out


def _read_transaction(tx: Transaction, filename: str
                      ) -> tuple[list[EligibilityResponse], list[SegmentProblem]]:
    if tx.code != "271":
        return [], [SegmentProblem(filename, tx.position, "ST", f"This is a {tx.code or 'blank'}"
                                   " transaction, not a 271 eligibility response.")]
    reader = _Reader(filename)
    for s in tx.segments:
        reader.read(s)
    reader.finish()
    return _responses(reader), reader.problems


def parse_271(data: bytes | str, filename: str) -> Response271File:
    """Every subscriber and dependent answered in the file (several interchanges and
    transactions allowed). X12Error listing every problem when anything is wrong."""
    found, problems = check_interchanges(data, filename)
    responses: list[EligibilityResponse] = []
    for tx in (t for ic in found for t in ic.transactions):
        got, bad = _read_transaction(tx, filename)
        responses += got
        problems += bad
    if not problems and not any(ic.transactions for ic in found):
        problems.append(SegmentProblem(filename, 0, "", "The file holds no transaction "
                                                        "(ST…SE)."))
    if problems:
        raise X12Error(sorted(problems, key=lambda p: p.segment_no))
    return Response271File(filename, tuple(found), tuple(responses))


# --- for people and scripts ---------------------------------------------------------------------
def _text(v: Decimal | None) -> str | None:
    return None if v is None else f"{v:f}"


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _dates_json(dates: tuple[DatePeriod, ...]) -> list[dict[str, Any]]:
    return [{"qualifier": d.qualifier, "meaning": d.words, "start": d.start.isoformat(),
             "end": _iso(d.end)} for d in dates]


def _refs_json(refs: tuple[Reference, ...]) -> list[dict[str, str]]:
    return [{"qualifier": r.qualifier, "meaning": codes.words(codes.REF_QUALIFIERS, r.qualifier),
             "value": r.value, "description": r.description} for r in refs]


def _rejections_json(rs: tuple[Rejection, ...]) -> list[dict[str, Any]]:
    return [{"level": x.level, "valid_request": x.valid_request, "code": x.reason_code,
             "reason": x.reason, "follow_up": x.follow_up, "follow_up_words": x.follow_up_words,
             "message": x.message, "segment": x.position} for x in rs]


def _contacts_json(cs: tuple[Contact, ...]) -> list[dict[str, Any]]:
    return [{"name": c.name, "numbers": [{"qualifier": q, "meaning": codes.words(
        codes.CONTACT_QUALIFIERS, q), "value": v} for q, v in c.numbers]} for c in cs]


def _delivery_json(d: Delivery) -> dict[str, Any]:
    return {"quantity_qualifier": d.quantity_qualifier, "quantity": _text(d.quantity),
            "unit": d.unit, "sample": _text(d.sample), "time_period": d.time_period,
            "periods": _text(d.periods), "frequency": d.frequency, "pattern": d.pattern}


def benefit_json(b: BenefitLine) -> dict[str, Any]:
    """Every field of one EB line and its 2110/2120 children, JSON-ready."""
    return {
        "segment": b.position, "code": b.code, "meaning": b.words,
        "coverage_level": b.coverage_level,
        "coverage_level_words": codes.words(codes.COVERAGE_LEVELS, b.coverage_level),
        "service_types": [{"code": st, "meaning": codes.words(codes.SERVICE_TYPES, st)}
                          for st in b.service_types],
        "insurance_type": b.insurance_type,
        "insurance_type_words": codes.words(codes.INSURANCE_TYPES, b.insurance_type),
        "plan_description": b.plan_description, "time_period": b.time_period,
        "time_period_words": codes.words(codes.TIME_PERIODS, b.time_period),
        "amount": _text(b.amount), "percent_decimal": _text(b.percent_decimal),
        "percent": _text(b.percent), "quantity_qualifier": b.quantity_qualifier,
        "quantity": _text(b.quantity), "authorization_required": b.auth_required,
        "in_network": b.in_network, "procedure": b.procedure,
        "diagnosis_pointers": list(b.diagnosis_pointers),
        "deliveries": [_delivery_json(d) for d in b.deliveries], "refs": _refs_json(b.refs),
        "dates": _dates_json(b.dates), "rejections": _rejections_json(b.rejections),
        "messages": list(b.messages),
        "additional": [{"qualifier": q, "code": c} for q, c in b.additional],
        "entities": [{"code": e.code, "meaning": e.words, "name": e.name,
                      "id_qualifier": e.id_qualifier, "id": e.id,
                      "contacts": _contacts_json(e.contacts)} for e in b.entities],
    }


def response_json(r: EligibilityResponse) -> dict[str, Any]:
    return {
        "level": r.level, "segment": r.position,
        "payer": {"name": r.payer_name, "id": r.payer_id,
                  "contacts": _contacts_json(r.payer_contacts)},
        "receiver": {"name": r.receiver_name, "id": r.receiver_id},
        "traces": [{"type": t.kind, "trace": t.number, "company_id": t.company_id,
                    "reference": t.reference} for t in r.traces],
        "name": {"last": r.last_name, "first": r.first_name, "middle": r.middle_name,
                 "suffix": r.suffix},
        "member_id": r.member_id, "subscriber_member_id": r.subscriber_member_id,
        "group_number": r.group_number, "refs": _refs_json(r.refs),
        "address": {"line1": r.address1, "line2": r.address2, "city": r.city,
                    "state": r.state, "zip": r.zip},
        "dob": _iso(r.dob), "sex": r.sex, "relationship": r.relationship,
        "relationship_words": codes.words(codes.RELATIONSHIPS, r.relationship),
        "identity_corrected": r.identity_corrected, "dates": _dates_json(r.dates),
        "active": r.active, "rejections": _rejections_json(r.rejections),
        "benefits": [benefit_json(b) for b in r.benefits], "summary": summary_lines(r),
    }


def to_json(f: Response271File) -> dict[str, Any]:
    """The whole file for `clinic-clerk eligibility read-271 --json`: per subscriber or
    dependent its name, member ID, rejections and every EB line; Decimals as strings, dates
    ISO."""
    return {
        "file": f.filename,
        "interchanges": [{"control": ic.control, "sender": ic.sender_id,
                          "receiver": ic.receiver_id, "usage": ic.usage,
                          "transactions": [{"code": t.code, "control": t.control,
                                            "version": t.version} for t in ic.transactions]}
                         for ic in f.interchanges],
        "responses": [response_json(r) for r in f.responses],
    }


# --- the clerk's summary ------------------------------------------------------------------------
def _money(v: Decimal) -> str:
    return f"{v:,.2f}"


def _lower(text: str) -> str:
    """Sentence words mid-line: 'Medical care' → 'medical care', 'MRI/CAT scan' kept."""
    return text if len(text) > 1 and text[:2].isupper() else text[:1].lower() + text[1:]


def _services(types: tuple[str, ...]) -> str:
    return ", ".join(f"{_lower(codes.words(codes.SERVICE_TYPES, st))} ({st})" for st in types)


def _qualifiers(b: BenefitLine, *, services: bool = True) -> list[str]:
    parts = [_services(b.service_types)] if services and b.service_types else []
    parts += [codes.words(codes.COVERAGE_LEVELS, b.coverage_level),
              codes.words(codes.NETWORK, b.in_network)]
    if b.insurance_type:
        parts.append(codes.words(codes.INSURANCE_TYPES, b.insurance_type))
    if b.plan_description:
        parts.append(b.plan_description)
    return [p for p in parts if p]


def _figures(b: BenefitLine) -> str:
    parts = []
    if b.amount is not None:
        parts.append(_money(b.amount))
    if b.percent is not None:
        parts.append(f"{b.percent:f}%")
    if b.quantity is not None:
        unit = codes.words(codes.QUANTITY_QUALIFIERS, b.quantity_qualifier)
        parts.append(f"{b.quantity.normalize():f} {unit}".strip())
    if b.time_period and (parts or b.time_period not in codes.REMAINING):
        parts.append(codes.words(codes.TIME_PERIODS, b.time_period))
    return " ".join(parts)


def _status_line(b: BenefitLine) -> str:
    head = b.words
    if b.service_types:
        head += " — " + ", ".join(f"{codes.words(codes.SERVICE_TYPES, st)} ({st})"
                                  for st in b.service_types)
    rest = _qualifiers(b, services=False)
    return ", ".join([head, *rest])


def benefit_words(b: BenefitLine) -> str:
    """One EB line in words: "Co-payment, physician visit - office (98), in network: 25.00
    per visit"."""
    if b.code in codes.STATUS_CODES:
        return _status_line(b)
    figures = _figures(b)
    head = ", ".join([b.words, *_qualifiers(b)])
    line = f"{head}: {figures}" if figures else head
    if b.auth_required == "Y":
        line += "; authorization required"
    return line


def _details(b: BenefitLine) -> list[str]:
    out = [f"  {e.words}: {e.name or e.id}" for e in b.entities]
    out += [f"  {d.words.capitalize()}: {_when(d)}" for d in b.dates]
    out += [f"  Rejected (code {x.reason_code}): {x.message}" for x in b.rejections]
    out += [f"  Note: {m}" for m in b.messages if m]
    return out


def _when(d: DatePeriod) -> str:
    return f"{d.start:%m/%d/%Y}" + (f" to {d.end:%m/%d/%Y}" if d.end else "")


def _accumulators(lines: tuple[BenefitLine, ...]) -> dict[tuple[Any, ...], list[BenefitLine]]:
    """Deductible and out-of-pocket lines grouped so a total and its remaining amount (EB06 29)
    read as one line."""
    groups: dict[tuple[Any, ...], list[BenefitLine]] = {}
    for b in lines:
        if b.code in codes.ACCUMULATOR_CODES and b.amount is not None:
            key = (b.code, b.coverage_level, b.in_network, b.service_types, b.insurance_type,
                   b.plan_description)
            groups.setdefault(key, []).append(b)
    return groups


def _accumulator_line(group: list[BenefitLine]) -> str:
    first = group[0]
    totals = [b for b in group if b.time_period not in codes.REMAINING and
              b.time_period != codes.YEAR_TO_DATE]
    parts = [f"{_money(b.amount)} {codes.words(codes.TIME_PERIODS, b.time_period)}".strip()
             for b in totals if b.amount is not None]
    parts += [f"met {_money(b.amount)} so far this year" for b in group
              if b.time_period == codes.YEAR_TO_DATE and b.amount is not None]
    parts += [f"remaining {_money(b.amount)}" for b in group
              if b.time_period in codes.REMAINING and b.amount is not None]
    return ", ".join([first.words, *_qualifiers(first)]) + ": " + "; ".join(parts)


def summary_lines(r: EligibilityResponse) -> list[str]:
    """A readable plain-English summary of one answer for the clerk."""
    lines = [f"Rejected by the payer (code {x.reason_code}): {x.message}" +
             (f" Payer's advice: {x.follow_up_words}" if x.follow_up else "")
             for x in r.rejections]
    lines += [f"{d.words.capitalize()}: {_when(d)}" for d in r.dates]
    groups = _accumulators(r.benefits)
    done: set[int] = set()
    for b in r.benefits:
        if id(b) in done:
            continue
        group = next((g for g in groups.values() if any(x is b for x in g)), None)
        if group is not None:
            done.update(id(x) for x in group)
            lines.append(_accumulator_line(group))
            lines += [d for x in group for d in _details(x)]
            continue
        lines.append(benefit_words(b))
        lines += _details(b)
    if r.is_person and not r.benefits and not r.rejections:
        lines.append("The subscriber of the dependent(s) below; the answer is given for them."
                     if r.has_dependents else
                     "The payer sent no benefit information for this person.")
    return lines
