"""The 277CA Health Care Claim Acknowledgment, ASC X12 005010X214, read into frozen dataclasses.

A 277CA answers one 837 transaction we sent, claim by claim, before adjudication. Levels are
found by their HL level code and parent (the 005010X214 transaction set listing):

    2000A HL*20  information source: the payer or clearinghouse (2100A NM1*PR or NM1*AY) with
                 2200A TRN (its trace), DTP*050 received and DTP*009 processed dates
    2000B HL*21  information receiver: us, the submitter (2100B NM1*41) with 2200B TRN*2 (the
                 BHT03 of our 837), STC statuses for the whole 837, QTY*90/AA accepted and
                 rejected claim counts, AMT*YU/YY accepted and rejected charges
    2000C HL*19  billing provider (2100C NM1*85) with 2200C TRN, STC, REF, QTY*QA/QC, AMT
    2000D HL*PT  one claim: 2100D NM1*QC (the patient) and 2200D TRN*2 (the patient control
                 number = the CLM01 we sent), STC, REF*1K payer claim control number, REF*D9
                 clearinghouse trace, REF*BLT, DTP*472 service dates; then 2220D service lines
                 (SVC, STC, REF*FJ line item control number, DTP*472) when a line is at fault

Every STC becomes a `Status` with its composites (STC01, STC10, STC11; each category, status
code and entity, with words from ack_codes), STC02 date, STC03 action code, STC04 amount and
STC12 message. Each transaction becomes a `ClaimStatusReport`; its claims know whether they
were accepted or rejected (the mapping is in ack_codes: A3/A4/A6/A7/A8 or action U rejected;
A0/A1/A2/A5 accepted).

Amounts are Decimal, dates datetime.date. A transaction that is not a 277CA (a 999 or a 277
claim status response handed over by mistake), an HL under the wrong parent, a claim without
its TRN or STC, bad dates and amounts and envelope mismatches are collected and raised together
as one X12Error naming file, segment number and segment ID, never values (names, IDs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from app.formats.x12 import ack_codes
from app.formats.x12.segments import (
    Segment,
    SegmentProblem,
    Transaction,
    X12Error,
    check_interchanges,
)

VERSION = "005010X214"
LEVELS = {"20": "source", "21": "receiver", "19": "provider", "PT": "claim"}
PARENT_LEVEL = {"20": "", "21": "20", "19": "21", "PT": "19"}
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
_KNOWN_ID = re.compile(r"[0-9A-Z]{2,3}")
_VERSION = re.compile(r"[0-9A-Z]{6,12}")


# --- what a 277CA says ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StatusCode:
    """One C043 composite (STC01, STC10 or STC11): category (code source 507), status code
    (code source 508) and the entity the status code is about."""

    category: str
    code: str
    entity: str = ""

    @property
    def category_words(self) -> str:
        return ack_codes.category_words(self.category)

    @property
    def code_words(self) -> str:
        return ack_codes.status_words(self.code)

    @property
    def entity_words(self) -> str:
        return ack_codes.words(ack_codes.ENTITIES, self.entity, "entity")

    @property
    def words(self) -> str:
        """'Rejected for invalid information: Entity's National Provider Identifier (NPI)
        (billing provider)'."""
        text = self.category_words
        if self.code:
            text += f": {self.code_words}"
        if self.entity:
            text += f" ({self.entity_words})"
        return text

    @property
    def rejected(self) -> bool:
        return self.category in ack_codes.REJECTED_CATEGORIES

    @property
    def accepted(self) -> bool:
        return self.category in ack_codes.ACCEPTED_CATEGORIES


@dataclass(frozen=True)
class Status:
    """One STC segment."""

    codes: tuple[StatusCode, ...]  # STC01, then STC10 and STC11 when sent
    date: date | None = None  # STC02
    action: str = ""  # STC03: WQ accepted, U rejected
    amount: Decimal | None = None  # STC04: total claim charge (line charge at 2220D)
    message: str = ""  # STC12 free-form text
    position: int = 0

    @property
    def category(self) -> str:
        return self.codes[0].category if self.codes else ""

    @property
    def code(self) -> str:
        return self.codes[0].code if self.codes else ""

    @property
    def rejected(self) -> bool:
        return self.action == ack_codes.REJECT_ACTION or any(c.rejected for c in self.codes)

    @property
    def accepted(self) -> bool:
        return not self.rejected and any(c.accepted for c in self.codes)

    @property
    def action_words(self) -> str:
        return ack_codes.words(ack_codes.ACTIONS, self.action, "action")

    @property
    def words(self) -> str:
        return "; ".join(c.words for c in self.codes)


def _rejected(statuses: tuple[Status, ...]) -> bool:
    return any(s.rejected for s in statuses)


def _accepted(statuses: tuple[Status, ...]) -> bool:
    return not _rejected(statuses) and any(s.accepted for s in statuses)


@dataclass(frozen=True)
class Party:
    """A 2000A information source, 2000B information receiver or 2000C billing provider."""

    level: str  # source, receiver, provider
    entity: str  # NM101: PR payer, AY clearinghouse, 41 submitter, 85 billing provider
    name: str
    id_qualifier: str  # NM108
    id: str  # NM109
    trace: str = ""  # TRN02
    statuses: tuple[Status, ...] = ()
    dates: tuple[tuple[str, date], ...] = ()  # DTP01 qualifier, date (050 received, 009 processed)
    quantities: tuple[tuple[str, Decimal], ...] = ()  # QTY01, QTY02
    amounts: tuple[tuple[str, Decimal], ...] = ()  # AMT01, AMT02
    refs: tuple[tuple[str, str], ...] = ()  # REF01, REF02
    position: int = 0  # segment number of the HL

    @property
    def entity_words(self) -> str:
        return ack_codes.words(ack_codes.ENTITIES, self.entity, "entity")

    @property
    def accepted(self) -> bool:
        return _accepted(self.statuses)

    @property
    def rejected(self) -> bool:
        return _rejected(self.statuses)

    def _first(self, pairs: tuple[tuple[str, Decimal], ...], *qualifiers: str) -> Decimal | None:
        return next((v for q in qualifiers for k, v in pairs if k == q), None)

    @property
    def accepted_count(self) -> Decimal | None:
        return self._first(self.quantities, "90", "QA")

    @property
    def rejected_count(self) -> Decimal | None:
        return self._first(self.quantities, "AA", "QC")

    @property
    def accepted_amount(self) -> Decimal | None:
        return self._first(self.amounts, "YU")

    @property
    def rejected_amount(self) -> Decimal | None:
        return self._first(self.amounts, "YY")

    def date_of(self, qualifier: str) -> date | None:
        return next((d for q, d in self.dates if q == qualifier), None)


@dataclass(frozen=True)
class LineStatus:
    """A 2220D service line: SVC with its STC, REF*FJ and DTP*472."""

    procedure: str  # SVC01 with ':' between components: "HC:99213:25"
    charge: Decimal | None  # SVC02
    revenue_code: str  # SVC04
    units: Decimal | None  # SVC07
    line_control_number: str = ""  # REF*FJ: the REF*6R we sent in loop 2400
    statuses: tuple[Status, ...] = ()
    service_from: date | None = None
    service_to: date | None = None
    position: int = 0

    @property
    def procedure_code(self) -> str:
        parts = self.procedure.split(":")
        return parts[1] if len(parts) > 1 else ""

    @property
    def accepted(self) -> bool:
        return _accepted(self.statuses)

    @property
    def rejected(self) -> bool:
        return _rejected(self.statuses)


@dataclass(frozen=True)
class Claim:
    """One 2000D/2200D claim acknowledged."""

    patient_control_number: str  # TRN02: the CLM01 we sent
    statuses: tuple[Status, ...]
    payer_claim_number: str = ""  # REF*1K
    clearinghouse_trace: str = ""  # REF*D9
    refs: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # may hold a record number
    service_from: date | None = None  # DTP*472
    service_to: date | None = None
    lines: tuple[LineStatus, ...] = ()
    patient_last_name: str = field(default="", repr=False)
    patient_first_name: str = field(default="", repr=False)
    member_id: str = field(default="", repr=False)
    provider_name: str = ""  # 2100C
    provider_id: str = ""  # 2100C NM109 (NPI)
    source_name: str = ""  # 2100A: the payer or clearinghouse
    source_id: str = ""
    position: int = 0  # segment number of the HL

    @property
    def rejected(self) -> bool:
        """A claim-level or line-level status says rejected (A3/A4/A6/A7/A8, or action U)."""
        return _rejected(self.statuses) or any(line.rejected for line in self.lines)

    @property
    def accepted(self) -> bool:
        """Not rejected, and a claim-level status says A0/A1/A2/A5."""
        return not self.rejected and any(s.accepted for s in self.statuses)

    @property
    def charge(self) -> Decimal | None:
        """The total claim charge echoed in the first STC04."""
        return next((s.amount for s in self.statuses if s.amount is not None), None)

    def status_lines(self) -> list[str]:
        """The statuses in words, claim level first, then each line's."""
        out = [s.words for s in self.statuses]
        for line in self.lines:
            label = line.line_control_number or line.procedure_code or "?"
            out += [f"Line {label}: {s.words}" for s in line.statuses]
        return out


@dataclass(frozen=True)
class ClaimStatusReport:
    """One 277CA transaction: the parties above the claims and the claims."""

    control: str  # ST02
    reference: str  # BHT03
    created: date | None  # BHT04
    sources: tuple[Party, ...]
    receivers: tuple[Party, ...]
    providers: tuple[Party, ...]
    claims: tuple[Claim, ...]
    interchange_control: str = ""
    position: int = 0  # segment number of the ST

    @property
    def source(self) -> Party | None:
        return self.sources[0] if self.sources else None

    @property
    def receiver(self) -> Party | None:
        return self.receivers[0] if self.receivers else None

    @property
    def accepted_claims(self) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if c.accepted)

    @property
    def rejected_claims(self) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if c.rejected)

    @property
    def batch_rejected(self) -> bool:
        """The receiver level (2200B) rejected the whole 837 (STC03 U at that level)."""
        return any(r.rejected for r in self.receivers)


# --- reading --------------------------------------------------------------------------------------
@dataclass
class _Line:
    seg: Segment
    charge: Decimal | None
    units: Decimal | None
    control: str = ""
    statuses: list[Status] = field(default_factory=list)
    dates: tuple[date | None, date | None] = (None, None)


@dataclass
class _Node:
    """An HL level while its transaction is read."""

    code: str
    parent: _Node | None
    seg: Segment
    nm1: Segment | None = None
    trn: Segment | None = None
    statuses: list[Status] = field(default_factory=list)
    dates: list[tuple[str, date]] = field(default_factory=list)
    service: tuple[date | None, date | None] = (None, None)
    quantities: list[tuple[str, Decimal]] = field(default_factory=list)
    amounts: list[tuple[str, Decimal]] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)

    def ancestor(self, code: str) -> _Node | None:
        node: _Node | None = self
        while node is not None and node.code != code:
            node = node.parent
        return node


def _d8(value: str) -> date:
    if not re.fullmatch(r"[0-9]{8}", value):
        raise ValueError("not CCYYMMDD")
    return datetime.strptime(value, "%Y%m%d").date()


def wrong_kind(tx: Transaction) -> str:
    """What to tell the clerk when a transaction is not a 277CA, '' when it is one."""
    code, version = tx.code.strip(), tx.version.strip()
    if code == "999":
        return ("This is a 999 implementation acknowledgment, not a 277CA claim acknowledgment; "
                "import it as a 999.")
    if code == "997":
        return "This is a 997 functional acknowledgment, not a 277CA claim acknowledgment."
    if code == "277":
        if not version or version.startswith(VERSION):
            return ""
        if "X212" in version:
            return ("This is a 277 claim status response (005010X212), not a 277CA claim "
                    "acknowledgment (005010X214).")
        shown = version if _VERSION.fullmatch(version) else "another version"
        return f"This 277 is {shown}, not the 277CA claim acknowledgment (005010X214)."
    shown = code if _KNOWN_ID.fullmatch(code) else "blank or unreadable"
    return f"This is a {shown} transaction, not a 277CA claim acknowledgment."


class _Reader:
    """Reads one 277CA transaction set segment by segment."""

    def __init__(self, filename: str, tx: Transaction) -> None:
        self.f = filename
        self.tx = tx
        self.problems: list[SegmentProblem] = []
        self.bht: Segment | None = None
        self.numbers: dict[str, _Node] = {}
        self.order: list[_Node] = []
        self.node: _Node | None = None
        self.line: _Line | None = None

    def bad(self, s: Segment, message: str) -> None:
        self.problems.append(SegmentProblem(self.f, s.position, s.id, message))

    # values --------------------------------------------------------------------------------------
    def number(self, s: Segment, n: int, what: str = "a number") -> Decimal | None:
        value = s.el(n).strip()
        if not value:
            return None
        try:
            if _NUMBER.fullmatch(value):
                return Decimal(value)
        except InvalidOperation:
            pass
        self.bad(s, f"{s.id}{n:02d} is not {what}.")
        return None

    def dtp(self, s: Segment) -> tuple[date | None, date | None]:
        fmt, value = s.el(2).strip(), s.el(3).strip()
        try:
            if fmt == "RD8":
                start, _, end = value.partition("-")
                return _d8(start), _d8(end)
            if fmt == "D8":
                return _d8(value), None
        except ValueError:
            self.bad(s, f"DTP03 is not a valid date in the {fmt} format "
                        f"({'CCYYMMDD-CCYYMMDD' if fmt == 'RD8' else 'CCYYMMDD'}).")
            return None, None
        self.bad(s, "DTP02 must be D8 (one date) or RD8 (a range).")
        return None, None

    def composite(self, s: Segment, n: int) -> StatusCode | None:
        parts = s.components(n)
        if not parts:
            return None
        category = parts[0].strip()
        code = parts[1].strip() if len(parts) > 1 else ""
        if not category or not code:
            self.bad(s, f"STC{n:02d} needs a status category code and a status code.")
        return StatusCode(category, code, parts[2].strip() if len(parts) > 2 else "")

    def stc(self, s: Segment) -> Status:
        codes = [c for c in (self.composite(s, n) for n in (1, 10, 11)) if c is not None]
        if not s.el(1).strip():
            self.bad(s, "STC01, the claim status, is missing.")
        when: date | None = None
        if s.el(2).strip():
            try:
                when = _d8(s.el(2).strip())
            except ValueError:
                self.bad(s, "STC02 is not a valid date (CCYYMMDD).")
        return Status(tuple(codes), when, s.el(3).strip(), self.number(s, 4, "an amount"),
                      s.el(12).strip(), s.position)

    # dispatch ------------------------------------------------------------------------------------
    def read(self, s: Segment) -> None:
        if s.id == "BHT":
            if self.bht is not None or self.order:
                self.bad(s, "BHT must come once, straight after ST.")
            self.bht = s
        elif s.id == "HL":
            self.hl(s)
        elif self.node is None:
            self.bad(s, "This segment comes before the first HL (hierarchical level).")
        elif self.line is not None and s.id in ("STC", "REF", "DTP"):
            self.line_segment(s, self.line)
        else:
            self.level_segment(s, self.node)

    def hl(self, s: Segment) -> None:
        self.line = None
        number, parent_no, code = s.el(1).strip(), s.el(2).strip(), s.el(3).strip()
        parent = self.numbers.get(parent_no) if parent_no else None
        if code not in LEVELS:
            self.bad(s, "HL03 is not a level a 277CA uses (20 source, 21 receiver, 19 provider, "
                        "PT patient).")
        if parent_no and parent is None:
            self.bad(s, "HL02 names a parent HL that does not come before it in this "
                        "transaction.")
        elif code in LEVELS and (parent.code if parent else "") != PARENT_LEVEL[code]:
            above = LEVELS.get(PARENT_LEVEL[code], "")
            self.bad(s, f"A {LEVELS[code]} level (HL03 {code}) must sit under a {above} level."
                     if above else "An information source level (HL03 20) has no parent.")
        if not number or number in self.numbers:
            self.bad(s, "HL01 is blank or repeats an earlier HL number.")
        self.node = _Node(code, parent, s)
        self.numbers[number] = self.node
        self.order.append(self.node)

    def level_segment(self, s: Segment, node: _Node) -> None:
        if s.id == "NM1":
            if node.nm1 is not None:
                self.bad(s, "A second NM1 in one level.")
            node.nm1 = s
        elif s.id == "TRN":
            if node.trn is not None:
                self.bad(s, "A second TRN in one level.")
            node.trn = s
        elif s.id == "STC":
            node.statuses.append(self.stc(s))
        elif s.id == "DTP":
            start, end = self.dtp(s)
            if start is not None:
                node.dates.append((s.el(1).strip(), start))
                if s.el(1).strip() == "472":
                    node.service = (start, end)
        elif s.id == "QTY":
            if (qty := self.number(s, 2, "a quantity")) is not None:
                node.quantities.append((s.el(1).strip(), qty))
        elif s.id == "AMT":
            if (amt := self.number(s, 2, "an amount")) is not None:
                node.amounts.append((s.el(1).strip(), amt))
        elif s.id == "REF":
            node.refs.append((s.el(1).strip(), s.el(2).strip()))
        elif s.id == "SVC":
            self.svc(s, node)

    def svc(self, s: Segment, node: _Node) -> None:
        if node.code != "PT":
            self.bad(s, "A service line (SVC, loop 2220D) must be inside a claim (HL03 PT).")
            return
        if not s.el(1).strip():
            self.bad(s, "SVC01, the procedure, is missing.")
        self.line = _Line(s, self.number(s, 2, "an amount"), self.number(s, 7, "a quantity"))
        node.lines.append(self.line)

    def line_segment(self, s: Segment, line: _Line) -> None:
        if s.id == "STC":
            line.statuses.append(self.stc(s))
        elif s.id == "REF":
            if s.el(1).strip() == "FJ":
                line.control = s.el(2).strip()
        else:
            start, end = self.dtp(s)
            if start is not None:
                line.dates = (start, end)

    def finish(self) -> None:
        st = Segment("ST", (), self.tx.position)
        if self.bht is None:
            self.bad(st, "The 277CA has no BHT (beginning of hierarchical transaction).")
        if not self.order:
            self.bad(st, "The 277CA has no HL levels: nothing is acknowledged.")
        for node in self.order:
            if node.code == "PT":
                self.check_claim(node)
            elif node.code in LEVELS and node.nm1 is None:
                self.bad(node.seg, f"This {LEVELS[node.code]} level has no NM1 naming it.")
        for line in (ln for n in self.order for ln in n.lines):
            if not line.statuses:
                self.bad(line.seg, "This service line (2220D) has no STC giving its status.")

    def check_claim(self, node: _Node) -> None:
        if node.trn is None or not node.trn.el(2).strip():
            self.bad(node.seg, "This claim (HL03 PT) has no TRN with the patient control "
                               "number (TRN02).")
        if not node.statuses:
            self.bad(node.seg, "This claim (HL03 PT) has no STC giving its status.")

    # freezing ------------------------------------------------------------------------------------
    def report(self, interchange: str) -> ClaimStatusReport:
        created: date | None = None
        if self.bht is not None and self.bht.el(4).strip():
            try:
                created = _d8(self.bht.el(4).strip())
            except ValueError:
                self.bad(self.bht, "BHT04 is not a valid date (CCYYMMDD).")
        by_level: dict[str, list[Party]] = {"20": [], "21": [], "19": []}
        claims: list[Claim] = []
        for node in self.order:
            if node.code in by_level:
                by_level[node.code].append(_party(node))
            elif node.code == "PT":
                claims.append(_claim(node))
        return ClaimStatusReport(self.tx.control, self.bht.el(3).strip() if self.bht else "",
                                 created, tuple(by_level["20"]), tuple(by_level["21"]),
                                 tuple(by_level["19"]), tuple(claims), interchange,
                                 self.tx.position)


def _name(nm1: Segment | None) -> str:
    if nm1 is None:
        return ""
    return " ".join(p for p in (nm1.el(3).strip(), nm1.el(4).strip()) if p)


def _party(node: _Node) -> Party:
    nm1 = node.nm1
    return Party(level=LEVELS[node.code], entity=nm1.el(1).strip() if nm1 else "",
                 name=_name(nm1), id_qualifier=nm1.el(8).strip() if nm1 else "",
                 id=nm1.el(9).strip() if nm1 else "",
                 trace=node.trn.el(2).strip() if node.trn else "",
                 statuses=tuple(node.statuses), dates=tuple(node.dates),
                 quantities=tuple(node.quantities), amounts=tuple(node.amounts),
                 refs=tuple(node.refs), position=node.seg.position)


def _ref(refs: list[tuple[str, str]], qualifier: str) -> str:
    return next((v for q, v in refs if q == qualifier), "")


def _line(line: _Line) -> LineStatus:
    s = line.seg
    return LineStatus(":".join(p.strip() for p in s.components(1)).rstrip(":"), line.charge,
                      s.el(4).strip(), line.units, line.control, tuple(line.statuses),
                      line.dates[0], line.dates[1], s.position)


def _claim(node: _Node) -> Claim:
    provider, source, nm1 = node.ancestor("19"), node.ancestor("20"), node.nm1
    return Claim(
        patient_control_number=node.trn.el(2).strip() if node.trn else "",
        statuses=tuple(node.statuses), payer_claim_number=_ref(node.refs, "1K"),
        clearinghouse_trace=_ref(node.refs, "D9"), refs=tuple(node.refs),
        service_from=node.service[0], service_to=node.service[1],
        lines=tuple(_line(ln) for ln in node.lines),
        patient_last_name=nm1.el(3).strip() if nm1 else "",
        patient_first_name=nm1.el(4).strip() if nm1 else "",
        member_id=nm1.el(9).strip() if nm1 else "",
        provider_name=_name(provider.nm1) if provider else "",
        provider_id=provider.nm1.el(9).strip() if provider and provider.nm1 else "",
        source_name=_name(source.nm1) if source else "",
        source_id=source.nm1.el(9).strip() if source and source.nm1 else "",
        position=node.seg.position)


def read_277ca(data: bytes | str, filename: str) -> list[ClaimStatusReport]:
    """Every 277CA transaction in the file, one `ClaimStatusReport` each (several interchanges,
    groups and transactions allowed). X12Error listing every problem when anything is wrong;
    nothing is returned half-read."""
    found, problems = check_interchanges(data, filename)
    out: list[ClaimStatusReport] = []
    for ic in found:
        for tx in ic.transactions:
            if message := wrong_kind(tx):
                problems.append(SegmentProblem(filename, tx.position, "ST", message))
                continue
            reader = _Reader(filename, tx)
            for s in tx.segments:
                reader.read(s)
            reader.finish()
            out.append(reader.report(ic.control))
            problems += reader.problems
    if not problems and not out:
        problems.append(SegmentProblem(filename, 0, "", "The file holds no 277CA transaction "
                                                        "(ST…SE)."))
    if problems:
        raise X12Error(sorted(problems, key=lambda p: p.segment_no))
    return out
