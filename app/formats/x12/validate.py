"""Validation of an 837P (ASC X12 005010X222A1) with pyx12, the validator written by others
that DESIGN.md §4 makes the gate before a batch is written.

pyx12 runs as a library, not through its `x12valid` script (which exits 1 even on success and
writes a .997 beside its input). `validate_837p` drives the same loop as
`pyx12.x12n_document.x12n_document` — X12Reader over an in-memory text stream, the map walker
(`walk_tree.walk_errors`) for loop and segment placement, `apply_segment_errors` for element
checks, the reader's own envelope, HL and LX counts — but with two differences:

- the maps are loaded once per process and kept (`x12n_document` parses the 26,000-line
  837P map on every call, about 0.2 s); nothing in a map changes while a file is walked, the
  counts live in the walker;
- pyx12's error handler tree is replaced by a small collector with the same methods, which
  turns each error into an `X12Problem` at the moment it is raised, when the segment it belongs
  to is known, and logs nothing (pyx12's `err_handler` logs every error with the bad value).

Each problem carries the segment number (1-based in file order, as pyx12 counts), the segment
ID, the loop ID from the map, pyx12's error code, a message, and the claims the segment belongs
to: `claim_id` is the CLM01 of the claim (2300/2400 segments), or of the first claim under the
HL (2000A/B/C segments; `claim_ids` lists them all); None for the header and the envelopes. A
missing segment is reported by pyx12 at the segment where it noticed the gap; it is charged to
the claim of the segment before that one, where the missing one should have been.

Patient data never reaches a message. Element errors are reworded from the error code, the
element's name and reference (`Subscriber Birth Date (DMG02): invalid date`) without the value
pyx12 quotes. Segment errors keep pyx12's wording with the value it quotes removed (`Segment N3
is not expected here` rather than pyx12's `Segment N3*<street> not found`), and with any element
value of 2 or more characters of the segment at fault scrubbed from the text as a safety net.
Envelope messages (ISA/GS/ST control numbers and counts) and HL/LX counter messages carry no
patient data and are kept as pyx12 wrote them.

pyx12 runs with its default parameters (`ParamsBase`, so no pyx12.conf.xml from the home folder
changes the result), which accept the X12 extended character set; our writer keeps to the basic
set by itself (`x12_text`).

Only 005010X222A1 is checked: a group of another version (X222A2, plain X222, 4010) or of
another transaction is reported as one problem, as is a file pyx12 cannot read at all. A UTF-8
byte-order mark and leading blank lines are skipped before pyx12 reads the file.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyx12.errors
import pyx12.map_if
import pyx12.map_index
import pyx12.params
import pyx12.segment
import pyx12.x12file
from pyx12.map_if._segment import apply_segment_errors
from pyx12.map_walker import apply_walk_errors, walk_tree

VERSION = "005010X222A1"
_ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_NUMERIC = frozenset({"HL", "LX"})  # values are counters; their messages quote them on purpose
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_NOT_FOUND = re.compile(r"^Segment (.*?) not found\.\s+Started at (\S*)$", re.DOTALL)

# IK403 (005010X231A1) data element syntax error codes, worded for a report.
ELEMENT_ERRORS = {
    "1": "required element missing",
    "2": "conditional required element missing",
    "3": "too many elements",
    "4": "too short",
    "5": "too long",
    "6": "invalid character",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "element present but not allowed here",
    "12": "too many repetitions",
    "13": "too many components",
}


@dataclass(frozen=True)
class X12Problem:
    """One thing pyx12 found wrong. `segment_no` is 1-based in file order (None when pyx12
    gave no position); `element` names the element (`NM109`, `SV101-02`) for element errors;
    `level` is interchange, group, transaction, segment or element."""

    segment_no: int | None
    segment_id: str
    loop_id: str | None
    code: str
    message: str
    claim_id: str | None
    element: str | None = None
    level: str = "segment"
    claim_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = [f"segment {self.segment_no}" if self.segment_no else "file"]
        if self.segment_id:
            where.append(self.segment_id)
        if self.loop_id:
            where.append(f"loop {self.loop_id}")
        if self.claim_id:
            where.append(f"claim {self.claim_id}")
        return f"{', '.join(where)}: {self.message}"


# --- maps, loaded once ---------------------------------------------------------------------------
_lock = threading.Lock()
_maps: dict[str, Any] = {}
_index: list[Any] = []


def _params() -> pyx12.params.ParamsBase:
    # ParamsBase, not params(): the defaults only, never a pyx12.conf.xml from the home folder.
    return pyx12.params.ParamsBase()


def _map(name: str) -> Any:
    with _lock:
        if name not in _maps:
            _maps[name] = pyx12.map_if.load_map_file(name, _params())
        return _maps[name]


def _map_index() -> Any:
    with _lock:
        if not _index:
            _index.append(pyx12.map_index.map_index())
        return _index[0]


def preload() -> None:
    """Load the control and 837P maps now (about 0.3 s) rather than on the first file."""
    _map("x12.control.00501.xml")
    _map(_map_index().get_filename("00501", VERSION, "HC"))


# --- the segments' owners -------------------------------------------------------------------------
class _Owners:
    """Which claim or HL each segment belongs to, recorded as the file is read."""

    def __init__(self) -> None:
        self.owner: list[tuple[str, Any] | None] = [None]  # index = segment number
        self.claims: list[str] = []
        self.claim_hl: list[tuple[int, str] | None] = []
        self.parent: dict[tuple[int, str], tuple[int, str] | None] = {}
        self.st = 0
        self.hl: tuple[int, str] | None = None
        self.claim: int | None = None
        self._under: dict[tuple[int, str], list[str]] | None = None

    def see(self, seg: pyx12.segment.Segment) -> None:
        sid = seg.get_seg_id()
        if sid in _ENVELOPE:
            self.hl = self.claim = None
            self.st += sid == "ST"
        elif sid == "HL":
            self.hl = (self.st, seg.get_value("HL01") or "")
            parent = seg.get_value("HL02") or ""
            self.parent.setdefault(self.hl, (self.st, parent) if parent else None)
            self.claim = None
        elif sid == "CLM":
            self.claim = len(self.claims)
            self.claims.append(seg.get_value("CLM01") or "")
            self.claim_hl.append(self.hl)
        if self.claim is not None:
            self.owner.append(("claim", self.claim))
        else:
            self.owner.append(("hl", self.hl) if self.hl else None)

    def claims_of(self, segment_no: int | None) -> tuple[str, ...]:
        if segment_no is None or not 0 < segment_no < len(self.owner):
            return ()
        owner = self.owner[segment_no]
        if owner is None:
            return ()
        if owner[0] == "claim":
            return (self.claims[owner[1]],)
        return tuple(self.under().get(owner[1], ()))

    def under(self) -> dict[tuple[int, str], list[str]]:
        """HL → the claims hanging from it or from its descendants, in file order."""
        if self._under is None:
            self._under = {}
            for claim, hl in zip(self.claims, self.claim_hl, strict=True):
                seen = set()
                while hl is not None and hl not in seen:
                    seen.add(hl)
                    self._under.setdefault(hl, []).append(claim)
                    hl = self.parent.get(hl)
        return self._under


# --- pyx12's error handler, as a collector --------------------------------------------------------
@dataclass
class _Raw:
    level: str
    segment_no: int | None
    segment_id: str
    loop_id: str | None
    code: str
    message: str
    element: str | None = None
    missing: bool = False


def _loop_of(map_node: Any) -> str | None:
    node = getattr(map_node, "parent", None)
    while node is not None and not (node.is_loop() or node.is_map_root()):
        node = node.parent
    return node.id if node is not None and node.is_loop() else None


def _safe_id(seg_id: str | None) -> str:
    return seg_id if seg_id and _SEGMENT_ID.fullmatch(seg_id) else "?"


class _Collector:
    """Implements the methods of `pyx12.error_handler.err_handler` that the validation loop,
    `apply_walk_errors` and `apply_segment_errors` call."""

    def __init__(self) -> None:
        self.raw: list[_Raw] = []
        self.line = 0  # number of the segment being processed
        self.seg_id = ""
        self.seg: pyx12.segment.Segment | None = None
        self.ctx: tuple[int, str, str | None] = (0, "", None)  # segment no, id, loop
        self.element: str | None = None

    def reading(self, n: int, seg: pyx12.segment.Segment) -> None:
        self.line = n
        self.seg = seg
        self.seg_id = _safe_id(seg.get_seg_id())
        self.ctx = (n, self.seg_id, None)

    def values(self) -> list[str]:
        """The current segment's element and component values (for `scrub`)."""
        seg = self.seg
        if seg is None:
            return []
        parts = [v for _ref, _ele, _sub, v in seg.values_iterator()]
        parts += [e.format(seg.subele_term) for e in seg.elements]
        return [v for v in parts if v]

    # envelope -----------------------------------------------------------------------------------
    def add_isa_loop(self, seg: Any, src: Any) -> None:
        self.ctx = (self.line, "ISA", None)

    def add_gs_loop(self, seg: Any, src: Any) -> None:
        self.ctx = (self.line, "GS", None)

    def add_st_loop(self, seg: Any, src: Any) -> None:
        self.ctx = (self.line, "ST", None)

    def close_isa_loop(self, node: Any, seg: Any, src: Any) -> None:
        pass

    def close_gs_loop(self, node: Any, seg: Any, src: Any) -> None:
        pass

    def close_st_loop(self, node: Any, seg: Any, src: Any) -> None:
        pass

    def isa_error(self, err_cde: str, err_str: str) -> None:
        self.raw.append(_Raw("interchange", self.line or None, self.seg_id, None, err_cde,
                             err_str))

    def gs_error(self, err_cde: str, err_str: str) -> None:
        self.raw.append(_Raw("group", self.line or None, self.seg_id, None, err_cde, err_str))

    def st_error(self, err_cde: str, err_str: str) -> None:
        self.raw.append(_Raw("transaction", self.line or None, self.seg_id, None, err_cde,
                             err_str))

    # segments and elements ----------------------------------------------------------------------
    def add_seg(self, map_node: Any, seg_data: Any, seg_count: int, cur_line: int,
                ls_id: str | None) -> None:
        self.ctx = (cur_line, _safe_id(seg_data.get_seg_id()), _loop_of(map_node))

    def add_ele(self, map_node: Any) -> None:
        self.element = getattr(map_node, "refdes", None) or getattr(map_node, "id", None)

    def seg_error(self, err_cde: str, err_str: str, err_value: str | None = None,
                  src_line: int | None = None) -> None:
        n, seg_id, loop = self.ctx
        if src_line and src_line != n:  # pyx12 named another segment than the current one
            n, seg_id, loop = src_line, self.seg_id if src_line == self.line else "?", None
        message = self.scrub(_segment_message(err_str, seg_id), err_value)
        self.raw.append(_Raw("segment", n or None, seg_id, loop, err_cde, message,
                             missing=err_cde == "3"))

    def ele_error(self, err_cde: str, err_str: str, bad_value: str | None,
                  refdes: str | None = None) -> None:
        n, seg_id, loop = self.ctx
        element = self.element or refdes
        name = _element_name(err_str)
        what = ELEMENT_ERRORS.get(err_cde, f"error {err_cde}")
        label = f"{name} ({element})" if name and element else element or "an element"
        self.raw.append(_Raw("element", n or None, seg_id, loop, err_cde, f"{label}: {what}",
                             element=element))

    def scrub(self, message: str, value: str | None) -> str:
        """`message` without the quoted value or any element value of the current segment."""
        values = [value] if value else []
        if self.seg_id not in _ENVELOPE | _NUMERIC:
            values += [v for v in self.values() if len(v) >= 2]
        for v in sorted(set(values), key=len, reverse=True):
            message = re.sub(rf"(?<![A-Z0-9]){re.escape(v)}(?![A-Z0-9])", "…", message)
        return message

    def handle_errors(self, err_list: list[tuple[str, str, str, Any, int | None]]) -> None:
        for err_type, err_cde, err_str, err_val, src_line in err_list:
            if err_type == "isa":
                self.isa_error(err_cde, err_str)
            elif err_type == "gs":
                self.gs_error(err_cde, err_str)
            elif err_type == "st":
                self.st_error(err_cde, err_str)
            elif err_type == "seg":
                self.seg_error(err_cde, err_str, err_val, src_line)

    def get_error_count(self) -> int:
        return len(self.raw)


def _element_name(err_str: str) -> str:
    """The element's name from pyx12's message ('Data element "Diagnosis Code" (HI01-02)…');
    names come from the map, never from the data. '' when the message has no quoted name."""
    m = re.search(r'(?:[Ee]lement|[Cc]omposite) "([^"]*)"', err_str)
    if m is None:
        m = re.search(r"is not a valid code for (.+?) \(", err_str)
    return m.group(1) if m else ""


def _segment_message(err_str: str, seg_id: str) -> str:
    m = _NOT_FOUND.match(err_str)
    if m:
        return f"Segment {seg_id} is not expected here (searched on from {m.group(2)})"
    if err_str.startswith("Segment identifier"):
        return "Segment identifier is invalid"
    if err_str.startswith("Segment") and err_str.endswith("is empty"):
        return "Segment is empty"
    return err_str


# --- the validation loop --------------------------------------------------------------------------
class _Stop(Exception):
    """Validation cannot go on (wrong version, unreadable segment); the message is safe."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(data: bytes | str) -> str:
    text = data if isinstance(data, str) else data.decode("utf-8-sig", errors="replace")
    return text.lstrip("\ufeff \t\r\n")


def _group_version(seg: pyx12.segment.Segment, icvn: str | None) -> tuple[str, str]:
    fic = seg.get_value("GS01") or ""
    vriic = seg.get_value("GS08") or ""
    if icvn != "00501" or fic != "HC" or vriic != VERSION:
        shown = vriic if re.fullmatch(r"[0-9A-Z]{1,12}", vriic) else "?"
        raise _Stop("version", f"This group is not an 837P of {VERSION} (GS08 {shown}): "
                               "pyx12 can check only that version.")
    return fic, vriic


class _Run:
    """One pass of pyx12 over one file, mirroring x12n_document with cached maps."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.errh = _Collector()
        self.owners = _Owners()

    def segments(self, src: pyx12.x12file.X12Reader) -> Iterator[pyx12.segment.Segment]:
        for seg in src:
            self.owners.see(seg)
            self.errh.reading(src.get_cur_line(), seg)
            yield seg

    def walk(self) -> None:
        errh = self.errh
        try:
            src = pyx12.x12file.X12Reader(io.StringIO(self.text))
        except pyx12.errors.X12Error as e:
            raise _Stop("ISA", "The file does not start with a whole ISA segment of version "
                               "00501 or 00401.") from e
        control = _map("x12.control.00501.xml" if src.icvn == "00501"
                       else "x12.control.00401.xml")
        node: Any = control.getnodebypath("/ISA_LOOP/ISA")
        walker = walk_tree()
        icvn: str | None = None
        cur_map: Any = None
        for seg in self.segments(src):
            sid = seg.get_seg_id()
            orig = node
            if sid == "ISA":
                node = control.getnodebypath("/ISA_LOOP/ISA")
                walker.forceWalkCounterToLoopStart("/ISA_LOOP", "/ISA_LOOP/ISA")
            elif sid == "GS":
                node = control.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
                walker.forceWalkCounterToLoopStart("/ISA_LOOP/GS_LOOP", "/ISA_LOOP/GS_LOOP/GS")
            else:
                node, _pop, _push, walk_errors = walker.walk_errors(
                    node, seg, src.get_seg_count(), src.get_cur_line(), src.get_ls_id())
                apply_walk_errors(errh, walk_errors)
            if node is None:
                node = orig
                continue
            if sid == "ISA":
                errh.add_isa_loop(seg, src)
                icvn = seg.get_value("ISA12")
            elif sid == "GS":
                fic, vriic = _group_version(seg, icvn)
                if cur_map is None:
                    cur_map = _map(_map_index().get_filename(icvn, vriic, fic))
                    src.check_837_lx = True
                node = cur_map.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
                errh.add_gs_loop(seg, src)
            elif sid == "ST":
                errh.add_st_loop(seg, src)
            elif sid not in ("IEA", "GE", "SE"):
                errh.add_seg(node, seg, src.get_seg_count(), src.get_cur_line(),
                             src.get_ls_id())
            errh.handle_errors(src.pop_errors())
            before = len(errh.raw)
            if not apply_segment_errors(node, seg, errh) and len(errh.raw) == before:
                errh.seg_error("8", "Segment has data element errors")
        src.cleanup()
        errh.handle_errors(src.pop_errors())

    def problems(self) -> list[X12Problem]:
        try:
            self.walk()
        except _Stop as stop:
            self.stopped(stop.code, stop.message, "group" if stop.code == "version"
                         else "interchange")
        except pyx12.errors.X12Error:
            self.stopped("ISA", "The ISA segment does not have its 16 elements; the rest of "
                                "the file was not checked.")
        except Exception as e:  # pyx12 failing on odd input must not crash the app
            self.stopped("internal", f"The validator stopped here ({type(e).__name__}); the "
                                     "rest of the file was not checked.")
        return sorted((self.problem(r) for r in self.errh.raw),
                      key=lambda p: p.segment_no if p.segment_no is not None else 1 << 62)

    def stopped(self, code: str, message: str, level: str = "interchange") -> None:
        e = self.errh
        e.raw.append(_Raw(level, e.line or None, e.seg_id or "", None, code, message))

    def problem(self, r: _Raw) -> X12Problem:
        claims: tuple[str, ...] = ()
        if r.level in ("segment", "element") and r.segment_no:
            n = r.segment_no - 1 if r.missing else r.segment_no
            claims = self.owners.claims_of(n)
        return X12Problem(r.segment_no, r.segment_id, r.loop_id, r.code, r.message,
                          claims[0] if claims else None, r.element, r.level, claims)


def validate_837p(data: bytes | str) -> list[X12Problem]:
    """Every problem pyx12 finds in an 837P (005010X222A1) file, in file order; [] when it
    validates clean. Never raises for bad input: an unreadable file is one problem."""
    return _Run(_text(data)).problems()
