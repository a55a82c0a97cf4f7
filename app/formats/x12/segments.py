"""X12 segments and envelopes (ASC X12 005010 interchange control structure).

The ISA segment is fixed width (106 characters): its 4th character is the element separator,
ISA11 the repetition separator, ISA16 the component separator, and the character after ISA16
ends every segment. Readers take any delimiters a sender chose, a UTF-8 byte-order mark, and
line breaks after (or inside, for wrapped files) segments. Envelopes are checked: ISA13 = IEA02,
GS06 = GE02, ST02 = SE02, SE01 counts the transaction's segments, GE01 and IEA01 count what
they close.

We read and write X12 ourselves: pyx12, the validator the claims use, has no maps for the
270/271 (005010X279A1), and the eligibility files need nothing beyond segments and envelopes.
Problems are reported by file, segment number (1-based, in file order) and segment ID; their
messages never quote element values that could be patient data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from app.errors import UserError

ISA_LENGTH = 106
BASIC = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"&'()+,-./:;?=")


@dataclass(frozen=True)
class SegmentProblem:
    filename: str
    segment_no: int
    segment_id: str
    message: str

    def __str__(self) -> str:
        where = f"segment {self.segment_no} ({self.segment_id})" if self.segment_no else "file"
        return f"{self.filename}, {where}: {self.message}"


class X12Error(UserError):
    """The file is not the X12 it should be; `problems` names each bad segment."""

    def __init__(self, problems: Sequence[SegmentProblem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"• {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n… and {more} more." if more > 0 else ""
        super().__init__(f"The file was not read; nothing was changed.\n{shown}{tail}")


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"


@dataclass(frozen=True)
class Segment:
    id: str
    elements: tuple[str, ...]  # elements[0] is the first element after the ID (ISA01, …)
    position: int

    def el(self, n: int) -> str:
        """Element `n` (1-based), '' when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    def components(self, n: int, d: Delimiters) -> list[str]:
        return self.el(n).split(d.component) if self.el(n) else []

    def repeats(self, n: int, d: Delimiters) -> list[str]:
        return [r for r in self.el(n).split(d.repetition) if r] if self.el(n) else []


@dataclass
class Transaction:
    """One ST…SE set, without its ST and SE."""

    code: str  # ST01: "270", "271", …
    control: str
    version: str  # ST03
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Interchange:
    sender: str
    receiver: str
    control: str
    usage: str
    delimiters: Delimiters
    transactions: list[Transaction] = field(default_factory=list)


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text.lstrip("\ufeff").lstrip()


def delimiters_of(text: str, filename: str) -> Delimiters:
    if not text.startswith("ISA") or len(text) < ISA_LENGTH:
        raise X12Error([SegmentProblem(filename, 0, "", "This is not an X12 file: it does "
                                       "not start with an ISA segment.")])
    isa = text[:ISA_LENGTH]
    d = Delimiters(element=isa[3], repetition=isa[82], component=isa[104], segment=isa[105])
    if len({d.element, d.component, d.segment}) < 3 or d.segment.isalnum():
        raise X12Error([SegmentProblem(filename, 1, "ISA", "The ISA segment is not 106 "
                                       "characters with its separators where they belong.")])
    return d


def read_segments(data: bytes | str, filename: str) -> tuple[Delimiters, list[Segment]]:
    """Every segment of the file, in order."""
    text = _text(data)
    d = delimiters_of(text, filename)
    out: list[Segment] = []
    for raw in text.split(d.segment):
        raw = raw.replace("\r", "").replace("\n", "")
        if not raw.strip():
            continue
        parts = raw.split(d.element)
        out.append(Segment(parts[0].strip(), tuple(parts[1:]), len(out) + 1))
    return d, out


def interchanges(data: bytes | str, filename: str) -> list[Interchange]:
    """The file's interchanges with their transactions, envelopes checked."""
    d, segments = read_segments(data, filename)
    problems: list[SegmentProblem] = []
    out: list[Interchange] = []
    _Walker(filename, d, segments, problems, out).walk()
    if problems:
        raise X12Error(problems)
    return out


class _Walker:
    def __init__(self, filename: str, d: Delimiters, segments: list[Segment],
                 problems: list[SegmentProblem], out: list[Interchange]) -> None:
        self.f, self.d, self.segments, self.problems, self.out = (filename, d, segments,
                                                                  problems, out)
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: Segment | None = None
        self.groups = self.sets = self.count = 0

    def bad(self, seg: Segment, message: str) -> None:
        self.problems.append(SegmentProblem(self.f, seg.position, seg.id, message))

    def walk(self) -> None:
        for seg in self.segments:
            handler = getattr(self, f"_{seg.id.lower()}", None)
            if self.st is not None and seg.id not in ("SE", "ST", "GE", "IEA", "GS", "ISA"):
                self.out[-1].transactions[-1].segments.append(seg)
                self.count += 1
            elif handler is not None:
                handler(seg)
            else:
                self.bad(seg, "This segment is outside any transaction (ST…SE).")
        if self.isa is not None:
            last = self.segments[-1]
            self.bad(last, "The file ends before the interchange is closed (IEA).")

    def _isa(self, seg: Segment) -> None:
        if self.isa is not None:
            self.bad(seg, "A new interchange starts before the last one is closed (IEA).")
        self.isa, self.groups = seg, 0
        self.out.append(Interchange(seg.el(6).strip(), seg.el(8).strip(), seg.el(13),
                                    seg.el(15), self.d))

    def _gs(self, seg: Segment) -> None:
        if self.isa is None or self.gs is not None:
            self.bad(seg, "A functional group (GS) starts outside an open interchange.")
        self.gs, self.sets = seg, 0
        self.groups += 1

    def _st(self, seg: Segment) -> None:
        if self.gs is None or self.st is not None or not self.out:
            self.bad(seg, "A transaction (ST) starts outside an open functional group.")
            return
        self.st, self.count = seg, 0
        self.sets += 1
        self.out[-1].transactions.append(Transaction(seg.el(1), seg.el(2), seg.el(3)))

    def _se(self, seg: Segment) -> None:
        if self.st is None:
            self.bad(seg, "SE closes no transaction.")
            return
        if seg.el(2) != self.st.el(2):
            self.bad(seg, "SE02 does not match the control number in ST02.")
        if seg.el(1) != str(self.count + 2):
            self.bad(seg, f"SE01 says {seg.el(1) or 'nothing'} segments; the transaction has "
                          f"{self.count + 2}.")
        self.st = None

    def _ge(self, seg: Segment) -> None:
        if self.gs is None or self.st is not None:
            self.bad(seg, "GE closes no functional group, or a transaction is still open.")
            return
        if seg.el(2) != self.gs.el(6):
            self.bad(seg, "GE02 does not match the group control number in GS06.")
        if seg.el(1) != str(self.sets):
            self.bad(seg, f"GE01 says {seg.el(1) or 'nothing'} transactions; the group has "
                          f"{self.sets}.")
        self.gs = None

    def _iea(self, seg: Segment) -> None:
        if self.isa is None or self.gs is not None:
            self.bad(seg, "IEA closes no interchange, or a group is still open.")
            return
        if seg.el(2) != self.isa.el(13):
            self.bad(seg, "IEA02 does not match the interchange control number in ISA13.")
        if seg.el(1) != str(self.groups):
            self.bad(seg, f"IEA01 says {seg.el(1) or 'nothing'} groups; the interchange has "
                          f"{self.groups}.")
        self.isa = None


# --- writing ------------------------------------------------------------------------------------
def x12_text(value: str) -> str:
    """Upper case, accents folded, and only the X12 basic character set (others dropped)."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    return "".join(c for c in folded if c in BASIC).strip()


def seg(*elements: str) -> str:
    """One segment's text: ID and elements joined by '*', trailing empty elements dropped."""
    parts = list(elements)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return "*".join(parts) + "~"


@dataclass(frozen=True)
class Envelope:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    interchange_control: int
    group_control: int
    transaction_control: int
    usage: str = "P"  # P production, T test
    created: datetime = field(default_factory=datetime.now)


def envelope(env: Envelope, functional_id: str, version: str,
             transactions: Sequence[list[str]], code: str) -> str:
    """ISA/GS around `transactions` (each a list of segments without ST/SE), numbered from
    `env.transaction_control`."""
    when: date = env.created
    isa = ("ISA*00*" + " " * 10 + "*00*" + " " * 10 +
           f"*{env.sender_qualifier:<2}*{env.sender_id[:15]:<15}"
           f"*{env.receiver_qualifier:<2}*{env.receiver_id[:15]:<15}"
           f"*{when:%y%m%d}*{env.created:%H%M}*^*00501*{env.interchange_control:09d}*0*"
           f"{env.usage}*:~")
    lines = [isa, seg("GS", functional_id, env.sender_id.strip(), env.receiver_id.strip(),
                      f"{when:%Y%m%d}", f"{env.created:%H%M}", str(env.group_control), "X",
                      version)]
    for n, body in enumerate(transactions):
        control = f"{env.transaction_control + n:04d}"
        lines += [seg("ST", code, control, version), *body,
                  seg("SE", str(len(body) + 2), control)]
    lines += [seg("GE", str(len(transactions)), str(env.group_control)),
              seg("IEA", "1", f"{env.interchange_control:09d}")]
    return "\n".join(lines) + "\n"
