"""The 999 Implementation Acknowledgment, ASC X12 005010X231A1, read into frozen dataclasses.

A 999 answers one functional group we sent (an 837P batch): one 999 transaction per group.
Its shape (the 005010X231A1 transaction set listing):

    ST*999 · AK1 (the group answered: GS01, GS06, GS08)
      loop 2000  AK2 (one transaction answered: ST01, ST02, ST03)
        loop 2100  IK3 (a segment in error) · CTX segment context / business unit (CLM01)
          loop 2110  IK4 (an element in error) · CTX element context
        IK5 (the transaction's status and error codes)
    AK9 (the group's status, counts and error codes) · SE

Each 999 transaction becomes an `Ack999`; each AK2 loop a `TransactionAck` with its
`SegmentError`s (IK3) and their `ElementError`s (IK4) and `Context`s (CTX). A CTX whose
context name is CLM01 carries the patient control number of the claim in error (the CLM01 we
sent), kept as `SegmentError.claim_ids`: it is how the app finds the claim at fault.

Accepted (IK501/AK901): A accepted, E accepted with errors noted. R, M, W, X are rejections,
and P (AK901 only) means some transactions of the group were rejected.

The reader is generic: a 999 answering an 834 or a 270 reads the same. Envelope mismatches, a
transaction that is not a 999 (a 277CA handed over by mistake), AK1/AK9 missing, loops out of
order and numbers that are not numbers are collected and raised together as one X12Error naming
file, segment number and segment ID, never values (IK404 may copy patient data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.formats.x12 import ack_codes
from app.formats.x12.segments import (
    Segment,
    SegmentProblem,
    Transaction,
    X12Error,
    check_interchanges,
)

VERSION = "005010X231A1"
CLAIM_CONTEXT = "CLM01"
_KNOWN_ID = re.compile(r"[0-9A-Z]{2,3}")


# --- what a 999 says ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """A CTX: CTX01 context name and reference (CLM01 and the claim's patient control number, or
    SITUATIONAL TRIGGER), and for a trigger where it sits: CTX02 segment ID, CTX03 position in the
    transaction, CTX04 loop, CTX05 element position (composite, ':' between parts), CTX06
    element reference number."""

    name: str
    reference: str = field(default="", repr=False)
    segment_id: str = ""
    segment_position: int | None = None
    loop_id: str = ""
    element_position: str = ""
    element_reference: str = ""
    position: int = 0  # segment number in the 999 file

    @property
    def claim_id(self) -> str:
        """The claim's patient control number (CLM01) when this is a CLM01 business unit."""
        return self.reference if self.name == CLAIM_CONTEXT else ""


@dataclass(frozen=True)
class ElementError:
    """An IK4 (loop 2110): IK401 element position (with component and repetition), IK402
    reference number, IK403 error code, IK404 copy of the bad value."""

    element_position: int
    component_position: int | None
    repeat_position: int | None
    reference: str
    code: str
    bad_value: str = field(default="", repr=False)  # may be patient data
    contexts: tuple[Context, ...] = ()
    position: int = 0

    @property
    def words(self) -> str:
        return ack_codes.words(ack_codes.ELEMENT_ERRORS, self.code, "element error code")

    @property
    def location(self) -> str:
        """'element 3', 'element 5 component 2', 'element 1 repetition 2'."""
        text = f"element {self.element_position}"
        if self.component_position is not None:
            text += f" component {self.component_position}"
        if self.repeat_position is not None:
            text += f" repetition {self.repeat_position}"
        return text


@dataclass(frozen=True)
class SegmentError:
    """An IK3 (loop 2100): IK301 segment ID, IK302 its position in the transaction we sent (ST
    is 1), IK303 loop ID, IK304 error code; its CTX contexts and IK4 element errors."""

    segment_id: str
    segment_position: int
    loop_id: str
    code: str
    contexts: tuple[Context, ...] = ()
    element_errors: tuple[ElementError, ...] = ()
    position: int = 0  # segment number in the 999 file

    @property
    def words(self) -> str:
        return ack_codes.words(ack_codes.SEGMENT_ERRORS, self.code, "segment error code")

    @property
    def claim_ids(self) -> tuple[str, ...]:
        """Patient control numbers (CLM01) of the claims this error is in, from CTX*CLM01."""
        found = [c.claim_id for c in self.contexts]
        found += [c.claim_id for e in self.element_errors for c in e.contexts]
        return tuple(dict.fromkeys(x for x in found if x))

    @property
    def claim_id(self) -> str:
        return self.claim_ids[0] if self.claim_ids else ""

    def describe(self) -> list[str]:
        """Lines for the clerk: the segment and what is wrong, then each element error."""
        where = f"{self.segment_id} segment {self.segment_position}"
        if self.loop_id:
            where += f" (loop {self.loop_id})"
        head = f"{where}: {self.words}" if self.code else where
        return [head] + [f"  {e.location}: {e.words}" for e in self.element_errors]


@dataclass(frozen=True)
class TransactionAck:
    """An AK2 loop (2000): the transaction answered (AK201 set ID, AK202 control number, AK203
    implementation convention) and its IK5 status and error codes."""

    set_id: str
    control: str
    convention: str
    status: str  # IK501
    errors: tuple[str, ...] = ()  # IK502–IK506
    segment_errors: tuple[SegmentError, ...] = ()
    position: int = 0

    @property
    def accepted(self) -> bool:
        return self.status in ack_codes.ACCEPTED_STATUS

    @property
    def status_words(self) -> str:
        return ack_codes.words(ack_codes.TRANSACTION_STATUS, self.status, "status")

    @property
    def error_words(self) -> tuple[str, ...]:
        return tuple(ack_codes.words(ack_codes.TRANSACTION_ERRORS, c, "transaction error code")
                     for c in self.errors)

    @property
    def claim_ids(self) -> tuple[str, ...]:
        """Every claim (CLM01) named by a segment error, in order, once each."""
        return tuple(dict.fromkeys(c for e in self.segment_errors for c in e.claim_ids))


@dataclass(frozen=True)
class Ack999:
    """One 999 transaction: the functional group it answers (AK1) and its AK9 verdict."""

    functional_id: str  # AK101: HC for an 837
    group_control: str  # AK102: the GS06 of the group we sent
    version: str  # AK103: its GS08, e.g. 005010X222A1
    status: str  # AK901
    transactions_included: int | None  # AK902
    transactions_received: int | None  # AK903
    transactions_accepted: int | None  # AK904
    errors: tuple[str, ...] = ()  # AK905–AK909
    transactions: tuple[TransactionAck, ...] = ()
    control: str = ""  # this 999's ST02
    interchange_control: str = ""  # ISA13 of the interchange holding this 999
    position: int = 0  # segment number of its ST

    @property
    def accepted(self) -> bool:
        return self.status in ack_codes.ACCEPTED_STATUS

    @property
    def partially_accepted(self) -> bool:
        return self.status == "P"

    @property
    def status_words(self) -> str:
        return ack_codes.words(ack_codes.GROUP_STATUS, self.status, "status")

    @property
    def error_words(self) -> tuple[str, ...]:
        return tuple(ack_codes.words(ack_codes.GROUP_ERRORS, c, "group error code")
                     for c in self.errors)

    @property
    def functional_id_words(self) -> str:
        return ack_codes.words(ack_codes.FUNCTIONAL_IDS, self.functional_id, "group type")

    @property
    def rejected_transactions(self) -> tuple[TransactionAck, ...]:
        return tuple(t for t in self.transactions if not t.accepted)

    @property
    def claim_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for t in self.transactions for c in t.claim_ids))


# --- reading --------------------------------------------------------------------------------------
@dataclass
class _Ik3:
    seg: Segment
    position: int
    contexts: list[Context] = field(default_factory=list)
    elements: list[ElementError] = field(default_factory=list)
    element_contexts: list[Context] = field(default_factory=list)  # of the last IK4


@dataclass
class _Ak2:
    seg: Segment
    ik3: list[_Ik3] = field(default_factory=list)
    ik5: Segment | None = None
    closed: bool = False


def _codes(s: Segment, first: int, last: int) -> tuple[str, ...]:
    return tuple(c for c in (s.el(n).strip() for n in range(first, last + 1)) if c)


def wrong_kind(tx: Transaction) -> str:
    """What to tell the clerk when a transaction is not a 999, '' when it is one."""
    code, version = tx.code.strip(), tx.version.strip()
    if code == "999":
        if version and not version.startswith("005010X231"):
            return ("This 999 is not the 005010X231A1 implementation acknowledgment "
                    "ClinicClerk reads (ST03/GS08 names another version).")
        return ""
    if code == "277" and "X214" in version:
        return ("This is a 277CA claim acknowledgment (005010X214), not a 999 implementation "
                "acknowledgment; import it as a 277CA.")
    if code == "997":
        return ("This is a 997 functional acknowledgment (the older form), not a 999 "
                "implementation acknowledgment.")
    shown = code if _KNOWN_ID.fullmatch(code) else "blank or unreadable"
    return f"This is a {shown} transaction, not a 999 implementation acknowledgment."


class _Reader:
    """Reads one 999 transaction set segment by segment."""

    def __init__(self, filename: str, tx: Transaction, interchange: str) -> None:
        self.f = filename
        self.tx = tx
        self.interchange = interchange
        self.problems: list[SegmentProblem] = []
        self.ak1: Segment | None = None
        self.ak9: Segment | None = None
        self.loops: list[_Ak2] = []
        self.ik3: _Ik3 | None = None

    def bad(self, s: Segment, message: str) -> None:
        self.problems.append(SegmentProblem(self.f, s.position, s.id, message))

    def whole(self, s: Segment, n: int, what: str, *, required: bool = True) -> int | None:
        value = s.el(n).strip()
        if not value and not required:
            return None
        if value.isdigit():
            return int(value)
        self.bad(s, f"{s.id}{n:02d}, {what}, is {'not a whole number' if value else 'missing'}.")
        return None

    @property
    def open_ak2(self) -> _Ak2 | None:
        """The AK2 loop still taking IK3s (its IK5 not yet read)."""
        if self.loops and not self.loops[-1].closed:
            return self.loops[-1]
        return None

    # dispatch ------------------------------------------------------------------------------------
    def read(self, s: Segment) -> None:
        if self.ak9 is not None:
            self.bad(s, "This segment comes after AK9, which must end the 999.")
            return
        if s.id != "AK1" and self.ak1 is None:
            self.bad(s, "This segment comes before AK1, which must open the 999.")
            return
        handler = {"AK1": self.on_ak1, "AK2": self.on_ak2, "IK3": self.on_ik3, "IK4": self.on_ik4,
                   "CTX": self.on_ctx, "IK5": self.on_ik5, "AK9": self.on_ak9}.get(s.id)
        if handler is None:
            self.bad(s, "This is not a segment a 999 uses.")
        else:
            handler(s)

    def on_ak1(self, s: Segment) -> None:
        if self.ak1 is not None:
            self.bad(s, "A second AK1: a 999 answers one functional group.")
            return
        self.ak1 = s
        if not s.el(1).strip() or not s.el(2).strip():
            self.bad(s, "AK101 (functional identifier) or AK102 (group control number) is "
                        "missing.")

    def on_ak2(self, s: Segment) -> None:
        self.close_ak2()
        self.loops.append(_Ak2(s))
        if not s.el(1).strip() or not s.el(2).strip():
            self.bad(s, "AK201 (transaction set ID) or AK202 (control number) is missing.")

    def on_ik3(self, s: Segment) -> None:
        loop = self.open_ak2
        if loop is None:
            self.bad(s, "IK3 is outside an AK2 loop (before any AK2, or after the loop's IK5).")
            return
        self.flush_ik4()
        self.ik3 = _Ik3(s, self.whole(s, 2, "the segment position") or 0)
        loop.ik3.append(self.ik3)
        if not s.el(1).strip():
            self.bad(s, "IK301, the segment ID in error, is missing.")

    def on_ik4(self, s: Segment) -> None:
        if self.ik3 is None:
            self.bad(s, "IK4 does not follow an IK3 (the segment its element is in).")
            return
        self.flush_ik4()
        parts = s.components(1)
        numbers: list[int | None] = []
        for n, label in enumerate(("element position", "component position",
                                   "repetition position")):
            value = parts[n].strip() if n < len(parts) else ""
            if not value and n > 0:
                numbers.append(None)
            elif value.isdigit():
                numbers.append(int(value))
            else:
                state = "not a whole number" if value else "missing"
                self.bad(s, f"IK401, the {label}, is {state}.")
                numbers.append(None if n else 0)
        if not s.el(3).strip():
            self.bad(s, "IK403, the element error code, is missing.")
        self.ik3.elements.append(ElementError(numbers[0] or 0, numbers[1], numbers[2],
                                              s.el(2).strip(), s.el(3).strip(), s.el(4),
                                              (), s.position))

    def flush_ik4(self) -> None:
        """Attach the CTXs read after the last IK4 to it (frozen dataclasses are rebuilt)."""
        ik3 = self.ik3
        if ik3 is None or not ik3.elements or not ik3.element_contexts:
            return
        last = ik3.elements[-1]
        ik3.elements[-1] = ElementError(last.element_position, last.component_position,
                                        last.repeat_position, last.reference, last.code,
                                        last.bad_value, tuple(ik3.element_contexts), last.position)
        ik3.element_contexts = []

    def on_ctx(self, s: Segment) -> None:
        if self.ik3 is None:
            self.bad(s, "CTX does not follow an IK3 or IK4 (the error it gives context for).")
            return
        name_ref = s.components(1)
        position = self.whole(s, 3, "the segment position", required=False)
        ctx = Context(name=name_ref[0].strip() if name_ref else "",
                      reference=name_ref[1].strip() if len(name_ref) > 1 else "",
                      segment_id=s.el(2).strip(), segment_position=position,
                      loop_id=s.el(4).strip(), element_position=":".join(s.components(5)),
                      element_reference=":".join(s.components(6)), position=s.position)
        if not ctx.name:
            self.bad(s, "CTX01-1, the context name, is missing.")
        if self.ik3.elements:
            self.ik3.element_contexts.append(ctx)
        else:
            self.ik3.contexts.append(ctx)

    def on_ik5(self, s: Segment) -> None:
        loop = self.open_ak2
        if loop is None:
            self.bad(s, "IK5 does not close an AK2 loop (no AK2 before it, or a second IK5).")
            return
        self.flush_ik4()
        loop.ik5, loop.closed = s, True
        self.ik3 = None
        if s.el(1).strip() not in ack_codes.TRANSACTION_STATUS:
            self.bad(s, "IK501 is not a transaction acknowledgment code (A, E, M, R, W or X).")

    def on_ak9(self, s: Segment) -> None:
        self.close_ak2()
        self.ak9 = s
        if s.el(1).strip() not in ack_codes.GROUP_STATUS:
            self.bad(s, "AK901 is not a group acknowledgment code (A, E, P, R, M, W or X).")

    def close_ak2(self) -> None:
        self.flush_ik4()
        self.ik3 = None
        loop = self.open_ak2
        if loop is not None:
            self.bad(loop.seg, "This AK2 loop has no IK5 giving the transaction's status.")
            loop.closed = True

    def finish(self) -> Ack999 | None:
        st = Segment("ST", (), self.tx.position)
        if self.ak1 is None:
            self.bad(st, "The 999 has no AK1 naming the functional group it answers.")
        if self.ak9 is None:
            self.close_ak2()
            self.bad(st, "The 999 ends without AK9, the functional group's status.")
        if self.ak1 is None or self.ak9 is None:
            return None
        ak9 = self.ak9
        counts = [self.whole(ak9, n, what) for n, what in
                  ((2, "transactions included"), (3, "transactions received"),
                   (4, "transactions accepted"))]
        a = self.ak1
        return Ack999(a.el(1).strip(), a.el(2).strip(), a.el(3).strip(), ak9.el(1).strip(),
                      counts[0], counts[1], counts[2], _codes(ak9, 5, 9),
                      tuple(_transaction(loop) for loop in self.loops), self.tx.control,
                      self.interchange, self.tx.position)


def _segment_error(e: _Ik3) -> SegmentError:
    s = e.seg
    return SegmentError(s.el(1).strip(), e.position, s.el(3).strip(), s.el(4).strip(),
                        tuple(e.contexts), tuple(e.elements), s.position)


def _transaction(loop: _Ak2) -> TransactionAck:
    s, ik5 = loop.seg, loop.ik5
    status = ik5.el(1).strip() if ik5 is not None else ""
    errors = _codes(ik5, 2, 6) if ik5 is not None else ()
    return TransactionAck(s.el(1).strip(), s.el(2).strip(), s.el(3).strip(), status, errors,
                          tuple(_segment_error(e) for e in loop.ik3), s.position)


def read_999(data: bytes | str, filename: str) -> list[Ack999]:
    """Every 999 transaction in the file, one `Ack999` per functional group answered (several
    interchanges, groups and transactions allowed). X12Error listing every problem when
    anything is wrong; nothing is returned half-read."""
    found, problems = check_interchanges(data, filename)
    out: list[Ack999] = []
    for ic in found:
        for tx in ic.transactions:
            if message := wrong_kind(tx):
                problems.append(SegmentProblem(filename, tx.position, "ST", message))
                continue
            reader = _Reader(filename, tx, ic.control)
            for s in tx.segments:
                reader.read(s)
            ack = reader.finish()
            problems += reader.problems
            if ack is not None:
                out.append(ack)
    if not problems and not out:
        problems.append(SegmentProblem(filename, 0, "", "The file holds no 999 transaction "
                                                        "(ST…SE)."))
    if problems:
        raise X12Error(sorted(problems, key=lambda p: p.segment_no))
    return out

