"""X12 segments and envelopes shared by every transaction we read or write (ASC X12 005010
interchange control structure: ISA/IEA interchange, GS/GE functional group, ST/SE transaction
set; the 270/271 of 005010X279A1 today, the 837P, 835 and 999 later).

Reading: the ISA segment is fixed width, 106 characters. Its 4th character is the element
separator, ISA11 (index 82) the repetition separator, ISA16 (index 104) the component separator
and the character after it (index 105) ends every segment. We take whatever delimiters the
sender chose, a UTF-8 byte-order mark, leading blank lines, line breaks after each segment, and
files whose lines are wrapped at a fixed width (line breaks anywhere). Envelopes are checked:
ISA13 = IEA02, GS06 = GE02, ST02 = SE02, SE01 counts the transaction's segments (ST and SE
included), GE01 counts the group's transactions and IEA01 the interchange's groups. Several
interchanges may follow one another in one file.

Why our own reader: pyx12, the validator the 837P goes through, has no maps for the 270/271
(005010X279A1), and an eligibility file needs nothing beyond segments and envelopes; the
transaction modules check their own loops.

Problems are collected, not raised one at a time, and reported by file, segment number (1-based,
in file order) and segment ID. Their messages name elements and codes but never quote values
that could be patient data (names, IDs, dates of birth).

Writing: `X12Writer` builds segments with '*' between elements, ':' between components, '^'
between repetitions and '~' after each segment (optionally a line break too), and the
ISA/GS/ST…SE/GE/IEA envelope around transaction bodies with counts computed. Control numbers
come from the caller (the service keeps the counters). `x12_text` keeps values inside the X12
basic character set.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from app.errors import UserError, ValidationError

ISA_LENGTH = 106
_ISA_BODY = ISA_LENGTH - 1  # ISA through ISA16, without the segment terminator
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_CONTROL = re.compile(r"[0-9]{1,9}")
# The X12 basic character set (letters, digits, space and this punctuation); the extended set
# (lower case and more) is not safe with every payer, so we write only the basic one.
BASIC_PUNCTUATION = "!\"&'()*+,-./:;?="
_FOLD = {"ß": "SS", "Æ": "AE", "æ": "AE", "Ø": "O", "ø": "O", "Œ": "OE", "œ": "OE", "Ł": "L",
         "ł": "L", "Đ": "D", "đ": "D", "Þ": "TH", "þ": "TH", "ı": "I", "‘": "'", "’": "'",
         "“": '"', "”": '"', "–": "-", "—": "-", "_": " "}


# --- problems ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SegmentProblem:
    """One thing wrong with a file; `segment_no` 0 means the file as a whole."""

    filename: str
    segment_no: int
    segment_id: str
    message: str

    def __str__(self) -> str:
        if not self.segment_no:
            return f"{self.filename}: {self.message}"
        return f"{self.filename}, segment {self.segment_no} ({self.segment_id}): {self.message}"


class X12Error(UserError):
    """The file is not the X12 it should be; `problems` lists every bad segment found."""

    SHOWN = 20

    def __init__(self, problems: Sequence[SegmentProblem]) -> None:
        self.problems: list[SegmentProblem] = list(problems)
        shown = "\n".join(f"• {p}" for p in self.problems[: self.SHOWN])
        more = len(self.problems) - self.SHOWN
        tail = f"\n… and {more} more." if more > 0 else ""
        super().__init__(f"The file was not read; nothing was changed.\n{shown}{tail}")


# --- segments ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delimiters:
    """The four separators; `repetition` is '' when the file has none (004010's ISA11 'U')."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def all(self) -> str:
        return self.element + self.component + self.repetition + self.segment


DEFAULT = Delimiters()


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: `elements[0]` is the first element after the ID (ISA01, EB01, …)."""

    id: str
    elements: tuple[str, ...] = field(repr=False)  # may hold patient data: never in reprs
    position: int = 0  # 1-based, in file order
    delimiters: Delimiters = field(default=DEFAULT, compare=False, repr=False)

    def el(self, n: int) -> str:
        """Element `n` (1-based); '' when the segment stops before it."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    def components(self, n: int) -> tuple[str, ...]:
        """The components of composite element `n` ('HC:99213' → ('HC', '99213'))."""
        value = self.el(n)
        return tuple(value.split(self.delimiters.component)) if value else ()

    def repeats(self, n: int) -> tuple[str, ...]:
        """The repetitions of element `n` ('1^33^98' → ('1', '33', '98')), empties dropped."""
        value = self.el(n)
        if not value:
            return ()
        if not self.delimiters.repetition:
            return (value,)
        return tuple(r for r in value.split(self.delimiters.repetition) if r)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:  # X12 is ASCII; a stray Windows byte should not stop us
            text = data.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff \t\r\n")


def _not_x12(filename: str, message: str) -> X12Error:
    return X12Error([SegmentProblem(filename, 0, "", message)])


def _isa_body(text: str) -> tuple[str, int]:
    """The first 105 characters of the ISA with line breaks skipped (wrapped files), and the
    index in `text` just after them."""
    chars: list[str] = []
    i = 0
    while i < len(text) and len(chars) < _ISA_BODY:
        if text[i] not in "\r\n":
            chars.append(text[i])
        i += 1
    return "".join(chars), i


def _terminator(text: str, i: int) -> str:
    """The segment terminator, the character after ISA16. A line break there is the terminator
    only when the next segment follows it; otherwise the line was wrapped before the '~'."""
    if i >= len(text):
        return ""
    if text[i] not in "\r\n":
        return text[i]
    rest = text[i:].lstrip("\r\n")
    return rest[0] if rest and not rest[0].isalpha() else "\n"


def delimiters_of(data: bytes | str, filename: str) -> Delimiters:
    """The file's delimiters from its ISA; X12Error when it does not start with a whole ISA."""
    text = _decode(data)
    if not text.startswith("ISA"):
        raise _not_x12(filename, "This is not an X12 file: it does not start with an ISA "
                                 "segment.")
    body, end = _isa_body(text)
    sep = body[3] if len(body) > 3 else ""
    term = _terminator(text, end)
    if len(body) < _ISA_BODY or not term or body.count(sep) != 16 or body[103] != sep:
        raise X12Error([SegmentProblem(filename, 1, "ISA", "The ISA segment is cut short or "
                                       "not the fixed 106 characters X12 requires.")])
    rep = body[82] if not body[82].isalnum() else ""
    d = Delimiters(element=sep, component=body[104], repetition=rep, segment=term)
    used = [d.element, d.component, d.segment] + ([rep] if rep else [])
    if len(set(used)) < len(used) or sep.isalnum() or sep.isspace():
        raise X12Error([SegmentProblem(filename, 1, "ISA", "The ISA separators are letters, "
                                       "digits or the same character twice.")])
    return d


def _pieces(text: str, d: Delimiters) -> list[str]:
    if d.segment in "\r\n":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text.split("\n")
    # Line breaks are not data in X12: dropping them all mends wrapped and pretty files.
    return text.replace("\r", "").replace("\n", "").split(d.segment)


def split_segments(data: bytes | str, filename: str
                   ) -> tuple[Delimiters, list[Segment], list[SegmentProblem]]:
    """Every segment in file order, and the problems found (bad segment IDs)."""
    d = delimiters_of(data, filename)
    segments: list[Segment] = []
    problems: list[SegmentProblem] = []
    for raw in _pieces(_decode(data), d):
        if not raw.strip(" \t\x00\x1a"):
            continue
        parts = raw.split(d.element)
        seg = Segment(parts[0].strip(), tuple(parts[1:]), len(segments) + 1, d)
        if not _SEGMENT_ID.fullmatch(seg.id):
            # keep the text out of every later message: it may be patient data
            seg = Segment("?", (), seg.position, d)
            problems.append(SegmentProblem(filename, seg.position, "?", "This is not a segment: "
                                           "it does not start with a 2- or 3-character ID."))
        segments.append(seg)
    return d, segments, problems


def read_segments(data: bytes | str, filename: str) -> list[Segment]:
    """Every segment of the file, in order; X12Error when the file cannot be split."""
    _d, segments, problems = split_segments(data, filename)
    if problems:
        raise X12Error(problems)
    return segments


# --- envelopes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transaction:
    """One ST…SE transaction set; `segments` holds those between ST and SE."""

    code: str  # ST01: "270", "271", "837", …
    control: str  # ST02
    version: str  # ST03, else the group's GS08
    segments: tuple[Segment, ...]
    position: int  # the ST's segment number


@dataclass(frozen=True)
class FunctionalGroup:
    functional_id: str  # GS01: HS 270, HB 271, HC 837, HP 835, FA 999
    sender: str  # GS02
    receiver: str  # GS03
    date: str  # GS04 CCYYMMDD
    time: str  # GS05
    control: str  # GS06
    version: str  # GS08
    transactions: tuple[Transaction, ...]
    position: int


@dataclass(frozen=True)
class Interchange:
    sender_qualifier: str  # ISA05
    sender_id: str  # ISA06, padding removed
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08
    date: str  # ISA09 YYMMDD
    time: str  # ISA10 HHMM
    version: str  # ISA12
    control: str  # ISA13
    usage: str  # ISA15: P production, T test
    delimiters: Delimiters
    groups: tuple[FunctionalGroup, ...]
    position: int

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        return tuple(t for g in self.groups for t in g.transactions)


@dataclass
class _Open:
    """A segment that opened an envelope level, and what it holds so far."""

    seg: Segment
    children: list[object] = field(default_factory=list)


class _Envelopes:
    """Walks the segments once, pairing ISA/IEA, GS/GE and ST/SE and checking their counts."""

    def __init__(self, filename: str, segments: list[Segment]) -> None:
        self.f = filename
        self.segments = segments
        self.problems: list[SegmentProblem] = []
        self.out: list[Interchange] = []
        self.isa: _Open | None = None
        self.gs: _Open | None = None
        self.st: _Open | None = None

    def bad(self, seg: Segment, message: str) -> None:
        self.problems.append(SegmentProblem(self.f, seg.position, seg.id, message))

    def walk(self) -> None:
        handlers = {"ISA": self.open_isa, "GS": self.open_gs, "ST": self.open_st,
                    "SE": self.close_st, "GE": self.close_gs, "IEA": self.close_isa}
        for seg in self.segments:
            if seg.id in handlers:
                handlers[seg.id](seg)
            elif self.st is not None:
                self.st.children.append(seg)
            elif seg.id == "TA1" and self.isa is not None and self.gs is None:
                continue  # an interchange acknowledgment sits between ISA and GS
            else:
                self.bad(seg, "This segment is outside any transaction (ST…SE).")
        self.unclosed()

    def unclosed(self) -> None:
        for opened, closer in ((self.st, "SE"), (self.gs, "GE"), (self.isa, "IEA")):
            if opened is not None:
                self.bad(opened.seg, f"The file ends before {closer} closes this "
                                     f"{opened.seg.id}.")
        if self.isa is not None:
            self.close_isa(None)

    def count(self, seg: Segment, n: int, what: str, actual: int) -> None:
        said = seg.el(n)
        if not said.isdigit() or int(said) != actual:
            self.bad(seg, f"{seg.id}{n:02d} gives {said or 'no'} {what}; there are {actual}.")

    def same(self, seg: Segment, n: int, opener: Segment, m: int) -> None:
        if seg.el(n).strip() != opener.el(m).strip():
            self.bad(seg, f"{seg.id}{n:02d} does not match the control number in "
                          f"{opener.id}{m:02d} (segment {opener.position}).")

    # ISA … IEA
    def open_isa(self, seg: Segment) -> None:
        if self.isa is not None:
            self.bad(seg, "A new interchange (ISA) starts before the last one is closed by IEA.")
            self.close_isa(None)
        if not _CONTROL.fullmatch(seg.el(13).strip()):
            self.bad(seg, "ISA13, the interchange control number, is not 9 digits.")
        self.isa = _Open(seg)

    def close_isa(self, seg: Segment | None) -> None:
        if self.isa is None:
            if seg is not None:
                self.bad(seg, "IEA closes no interchange: there is no ISA before it.")
            return
        if self.gs is not None:
            self.close_gs(None)
        if seg is not None:
            self.count(seg, 1, "functional groups", len(self.isa.children))
            self.same(seg, 2, self.isa.seg, 13)
        self.out.append(_interchange(self.isa))
        self.isa = None

    # GS … GE
    def open_gs(self, seg: Segment) -> None:
        if self.isa is None:
            self.bad(seg, "A functional group (GS) starts outside an interchange (ISA…IEA).")
            return
        if self.gs is not None:
            self.bad(seg, "A functional group (GS) starts before the last one is closed by GE.")
            self.close_gs(None)
        self.gs = _Open(seg)

    def close_gs(self, seg: Segment | None) -> None:
        if self.gs is None or self.isa is None:
            if seg is not None:
                self.bad(seg, "GE closes no functional group: there is no GS before it.")
            return
        if self.st is not None:
            self.close_st(None)
        if seg is not None:
            self.count(seg, 1, "transactions", len(self.gs.children))
            self.same(seg, 2, self.gs.seg, 6)
        self.isa.children.append(_group(self.gs))
        self.gs = None

    # ST … SE
    def open_st(self, seg: Segment) -> None:
        if self.gs is None:
            self.bad(seg, "A transaction (ST) starts outside a functional group (GS…GE).")
            return
        if self.st is not None:
            self.bad(seg, "A transaction (ST) starts before the last one is closed by SE.")
            self.close_st(None)
        self.st = _Open(seg)

    def close_st(self, seg: Segment | None) -> None:
        if self.st is None or self.gs is None:
            if seg is not None:
                self.bad(seg, "SE closes no transaction: there is no ST before it.")
            return
        if seg is not None:
            self.count(seg, 1, "segments", len(self.st.children) + 2)
            self.same(seg, 2, self.st.seg, 2)
        self.gs.children.append(_transaction(self.st, self.gs.seg.el(8)))
        self.st = None


def _transaction(st: _Open, group_version: str) -> Transaction:
    segs = tuple(s for s in st.children if isinstance(s, Segment))
    s = st.seg
    return Transaction(s.el(1), s.el(2), s.el(3) or group_version, segs, s.position)


def _group(gs: _Open) -> FunctionalGroup:
    s = gs.seg
    txs = tuple(t for t in gs.children if isinstance(t, Transaction))
    return FunctionalGroup(s.el(1), s.el(2).strip(), s.el(3).strip(), s.el(4), s.el(5),
                           s.el(6), s.el(8), txs, s.position)


def _interchange(isa: _Open) -> Interchange:
    s = isa.seg
    groups = tuple(g for g in isa.children if isinstance(g, FunctionalGroup))
    return Interchange(s.el(5).strip(), s.el(6).strip(), s.el(7).strip(), s.el(8).strip(),
                       s.el(9), s.el(10), s.el(12), s.el(13).strip(), s.el(15).strip(),
                       s.delimiters, groups, s.position)


def check_interchanges(data: bytes | str, filename: str
                       ) -> tuple[list[Interchange], list[SegmentProblem]]:
    """The interchanges as far as they can be read, and every envelope problem found, for
    readers that add their own problems before raising. X12Error only when there is no ISA."""
    _d, segments, problems = split_segments(data, filename)
    walker = _Envelopes(filename, segments)
    walker.walk()
    return walker.out, problems + walker.problems


def interchanges(data: bytes | str, filename: str) -> list[Interchange]:
    """The file's interchanges with their groups and transactions, envelopes checked."""
    found, problems = check_interchanges(data, filename)
    if problems:
        raise X12Error(problems)
    return found


# --- writing ----------------------------------------------------------------------------------
def x12_text(value: str, delimiters: Delimiters = DEFAULT) -> str:
    """`value` upper-cased in the X12 basic character set: accents folded (é → E), other
    characters outside the set and the delimiters dropped, spaces collapsed."""
    folded = "".join(_FOLD.get(c, c) for c in value)
    folded = unicodedata.normalize("NFKD", folded)
    out: list[str] = []
    for c in folded.upper():
        if c.isspace():
            out.append(" ")
        elif unicodedata.combining(c) or c in delimiters.all():
            continue
        elif ("A" <= c <= "Z") or ("0" <= c <= "9") or c in BASIC_PUNCTUATION:
            out.append(c)
    return " ".join("".join(out).split())


Element: TypeAlias = str | Sequence[str]


@dataclass(frozen=True)
class Envelope:
    """What the ISA/GS/ST need from the caller; control numbers are the service's counters.
    `application_sender`/`_receiver` (GS02/GS03) default to the ISA IDs."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    interchange_control: int
    group_control: int
    transaction_control: int  # ST02 of the first transaction; the next ones count up
    usage: str = "P"  # ISA15: P production, T test
    created: datetime = field(default_factory=datetime.now)
    ack_requested: bool = False  # ISA14: ask for a TA1
    application_sender: str = ""
    application_receiver: str = ""


def _id_problem(value: str, longest: int) -> str | None:
    if not value or len(value) > longest:
        return f"Enter 1 to {longest} characters."
    if x12_text(value) != value:
        return "Use only capital letters, digits, spaces and basic punctuation."
    return None


def check_envelope(env: Envelope, transactions: int = 1) -> dict[str, str]:
    """Field → what to fix, for envelope values that would make an invalid interchange."""
    p: dict[str, str] = {}
    for label, qual in (("sender qualifier", env.sender_qualifier),
                        ("receiver qualifier", env.receiver_qualifier)):
        if not re.fullmatch(r"[0-9A-Z]{2}", qual):
            p[label] = "An ID qualifier is 2 capital letters or digits, for example ZZ."
    for label, value, longest in (("sender ID", env.sender_id, 15),
                                  ("receiver ID", env.receiver_id, 15),
                                  ("application sender", env.application_sender or "X", 15),
                                  ("application receiver", env.application_receiver or "X", 15)):
        if msg := _id_problem(value, longest):
            p[label] = msg
    for label, number, top in (("interchange control number", env.interchange_control,
                                999_999_999),
                               ("group control number", env.group_control, 999_999_999),
                               ("transaction control number",
                                env.transaction_control + transactions - 1, 999_999_999)):
        if not 1 <= number <= top:
            p[label] = f"A control number is from 1 to {top:,}."
    if env.usage not in ("P", "T"):
        p["usage"] = "Choose P (production) or T (test)."
    return p


class X12Writer:
    """Segments and envelopes as text: '*' elements, ':' components, '^' repetitions, '~' after
    each segment, and a line break after it too when `newline` (easier to read; allowed)."""

    def __init__(self, delimiters: Delimiters = DEFAULT, *, newline: bool = True) -> None:
        self.d = delimiters
        self.newline = newline

    def segment(self, seg_id: str, *elements: Element) -> str:
        """One segment without its terminator; a sequence element is a composite, trailing
        empty elements and components are dropped. ValueError when a value holds a delimiter
        (a bug: values go through `x12_text` first)."""
        parts = [self._element(e) for e in elements]
        while parts and parts[-1] == "":
            parts.pop()
        return self.d.element.join([seg_id, *parts])

    def _element(self, value: Element) -> str:
        items = [value] if isinstance(value, str) else list(value)
        for item in items:
            if any(c in self.d.all() for c in item):
                raise ValueError("an element value holds an X12 delimiter")
        while len(items) > 1 and items[-1] == "":
            items.pop()
        return self.d.component.join(items)

    def isa(self, env: Envelope) -> str:
        when = env.created
        fields = ["00", " " * 10, "00", " " * 10, env.sender_qualifier, f"{env.sender_id:<15}",
                  env.receiver_qualifier, f"{env.receiver_id:<15}", f"{when:%y%m%d}",
                  f"{when:%H%M}", self.d.repetition or "^", "00501",
                  f"{env.interchange_control:09d}", "1" if env.ack_requested else "0",
                  env.usage, self.d.component]
        text = self.d.element.join(["ISA", *fields])
        assert len(text) == _ISA_BODY  # the fixed width every reader relies on
        return text

    def gs(self, env: Envelope, functional_id: str, version: str) -> str:
        when = env.created
        return self.segment("GS", functional_id, env.application_sender or env.sender_id,
                            env.application_receiver or env.receiver_id, f"{when:%Y%m%d}",
                            f"{when:%H%M}", str(env.group_control), "X", version)

    def interchange(self, env: Envelope, functional_id: str, version: str, code: str,
                    bodies: Sequence[Sequence[str]]) -> bytes:
        """One interchange with one functional group holding one transaction per body (each
        body: segments without ST/SE). ValidationError when the envelope values are bad."""
        if problems := check_envelope(env, len(bodies)):
            raise ValidationError(problems, "X12 file")
        lines = [self.isa(env), self.gs(env, functional_id, version)]
        for n, body in enumerate(bodies):
            control = f"{env.transaction_control + n:04d}"
            lines += [self.segment("ST", code, control, version), *body,
                      self.segment("SE", str(len(body) + 2), control)]
        lines += [self.segment("GE", str(len(bodies)), str(env.group_control)),
                  self.segment("IEA", "1", f"{env.interchange_control:09d}")]
        end = self.d.segment + ("\n" if self.newline else "")
        return (end.join(lines) + end).encode("ascii")


class HlBody:
    """The segments of one transaction set being written, HL numbers counted as they go
    (the hierarchical levels of the 270 and the 837P)."""

    def __init__(self, w: X12Writer) -> None:
        self.w = w
        self.lines: list[str] = []
        self.hl = 0

    def add(self, seg_id: str, *elements: Element) -> None:
        self.lines.append(self.w.segment(seg_id, *elements))

    def level(self, parent: int, code: str, children: bool) -> int:
        """Open HL `code` under HL `parent` (0 for none); returns its number."""
        self.hl += 1
        self.add("HL", str(self.hl), str(parent) if parent else "", code,
                 "1" if children else "0")
        return self.hl
