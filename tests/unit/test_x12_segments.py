"""X12 segments and envelopes (app.formats.x12.segments): delimiters from the fixed-width ISA
whatever the sender chose, a byte-order mark, line breaks and wrapped lines; envelope counts and
control numbers checked with the segment named; the writer's fixed-width ISA, counts and the
basic character set."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.errors import ValidationError
from app.formats.x12.segments import (
    Delimiters,
    Envelope,
    Segment,
    X12Error,
    X12Writer,
    check_envelope,
    delimiters_of,
    interchanges,
    read_segments,
    x12_text,
)


def isa(element: str = "*", repetition: str = "^", component: str = ":",
        control: str = "000000101") -> str:
    """An ISA of exactly 105 characters (the terminator is added by the caller)."""
    fields = ["00", " " * 10, "00", " " * 10, "ZZ", f"{'SENDER':<15}", "ZZ", f"{'RECEIVER':<15}",
              "261128", "0930", repetition, "00501", control, "0", "T", component]
    text = element.join(["ISA", *fields])
    assert len(text) == 105
    return text


BODY = ["BHT*0022*11*REF1*20261128*0930", "HL*1**20*1", "EB*1**30^33^98**PLAN",
        "SV1*HC:99213:25*100*UN*1"]


def interchange(body: list[str] = BODY, *, control: str = "000000101") -> list[str]:
    """One interchange's segments (no terminators) around `body`, counts right."""
    return [isa(control=control), "GS*HB*SENDER*RECEIVER*20261128*0930*7*X*005010X279A1",
            "ST*271*0001*005010X279A1", *body, f"SE*{len(body) + 2}*0001", "GE*1*7",
            f"IEA*1*{control}"]


def text(segments: list[str], end: str = "~\n") -> str:
    return end.join(segments) + end


# --- reading -----------------------------------------------------------------------------------
def test_default_delimiters_and_element_access() -> None:
    segs = read_segments(text(interchange()), "a.271")
    assert [s.id for s in segs] == ["ISA", "GS", "ST", "BHT", "HL", "EB", "SV1", "SE", "GE",
                                    "IEA"]
    assert [s.position for s in segs] == list(range(1, 11))
    eb, sv1 = segs[5], segs[6]
    assert eb.el(1) == "1" and eb.el(2) == "" and eb.el(40) == ""
    assert eb.repeats(3) == ("30", "33", "98")
    assert sv1.components(1) == ("HC", "99213", "25")
    assert sv1.components(5) == () and sv1.repeats(5) == ()
    assert segs[0].el(6) == "SENDER         "  # ISA keeps its fixed-width padding


@pytest.mark.parametrize(("element", "repetition", "component", "terminator"), [
    ("|", "^", ":", "\n"),  # a line break as the segment terminator
    ("*", ">", "<", "~"),   # another repetition and component separator
    ("^", "}", "\\", "'"),  # '^' as the element separator, so not the repetition
])
def test_other_delimiters_are_taken_from_the_isa(element: str, repetition: str, component: str,
                                                  terminator: str) -> None:
    segments = [isa(element, repetition, component), "GS|HB|S|R|20261128|0930|7|X|005010X279A1",
                "ST|271|0001|005010X279A1", "EB|1||30^33^98", "SV1|HC:99213", "SE|4|0001",
                "GE|1|7", "IEA|1|000000101"]
    swap = {"|": element, "^": repetition, ":": component}
    body = [segments[0]] + ["".join(swap.get(c, c) for c in s) for s in segments[1:]]
    raw = terminator.join(body) + terminator
    assert delimiters_of(raw, "b.271") == Delimiters(element, component, repetition, terminator)
    segs = read_segments(raw, "b.271")
    assert [s.id for s in segs] == ["ISA", "GS", "ST", "EB", "SV1", "SE", "GE", "IEA"]
    assert segs[3].repeats(3) == ("30", "33", "98")
    assert segs[4].components(1) == ("HC", "99213")
    (ic,) = interchanges(raw, "b.271")
    assert [t.code for t in ic.transactions] == ["271"]


def test_004010_isa11_is_not_a_repetition_separator() -> None:
    raw = text([isa(repetition="U"), *interchange()[1:]], "~")
    assert delimiters_of(raw, "c.271").repetition == ""
    eb = read_segments(raw, "c.271")[5]
    assert eb.repeats(3) == ("30^33^98",)


def test_bom_leading_blank_lines_and_crlf() -> None:
    raw = "\ufeff\r\n  " + text(interchange(), "~\r\n")
    segs = read_segments(raw.encode("utf-8"), "d.271")
    assert [s.id for s in segs][:3] == ["ISA", "GS", "ST"] and len(segs) == 10
    assert interchanges(raw.encode("utf-8"), "d.271")[0].control == "000000101"


def test_wrapped_lines_even_inside_the_isa_read_the_same() -> None:
    flat = text(interchange(), "~")
    wrapped = "\n".join(flat[i:i + 80] for i in range(0, len(flat), 80))
    assert "\n" in wrapped[:106]  # the ISA itself is broken across lines
    ids = [(s.id, s.elements) for s in read_segments(wrapped, "e.271")]
    assert ids == [(s.id, s.elements) for s in read_segments(flat, "e.271")]


def test_a_file_that_is_not_x12_is_refused() -> None:
    with pytest.raises(X12Error) as caught:
        read_segments("Dear clinic, here is your file", "letter.txt")
    (problem,) = caught.value.problems
    assert problem.segment_no == 0 and "does not start with an ISA" in problem.message
    assert str(problem).startswith("letter.txt: ")


@pytest.mark.parametrize("raw", [
    "ISA*00*          *00*          *ZZ*SENDER",  # cut short
    isa()[:60] + isa()[70:] + "~",  # ten characters lost from the middle
    isa().replace("*ZZ*SENDER         ", "*ZZ*SENDER") + "~GS*HB~",  # padding dropped
])
def test_a_truncated_or_unpadded_isa_is_refused(raw: str) -> None:
    with pytest.raises(X12Error) as caught:
        read_segments(raw, "short.271")
    (problem,) = caught.value.problems
    assert (problem.segment_no, problem.segment_id) == (1, "ISA")
    assert "106 characters" in problem.message


def test_a_bad_segment_id_is_named_without_its_content() -> None:
    raw = text(interchange(["BHT*0022*11*R*20261128*0930", "SMITH JOHN 19800304"]))
    with pytest.raises(X12Error) as caught:
        read_segments(raw, "f.271")
    (problem,) = caught.value.problems
    assert problem.segment_no == 5
    assert "SMITH" not in str(caught.value) and "19800304" not in str(caught.value)


def test_a_bad_segment_keeps_its_text_out_of_later_checks() -> None:
    # split without raising, then walk the envelopes: the broken piece is "?" everywhere
    from app.formats.x12.segments import check_interchanges, split_segments

    raw = text(interchange(["BHT*0022*11*R*20261128*0930", "SMITH JOHN 19800304*X"]))
    _d, segments, _problems = split_segments(raw, "f.271")
    assert segments[4].id == "?" and segments[4].elements == ()
    _found, problems = check_interchanges(raw, "f.271")
    assert problems and all("SMITH" not in str(p) for p in problems)


def test_several_interchanges_in_one_file() -> None:
    raw = text(interchange(control="000000101") + interchange(control="000000102"))
    found = interchanges(raw, "g.271")
    assert [ic.control for ic in found] == ["000000101", "000000102"]
    assert [ic.sender_id for ic in found] == ["SENDER", "SENDER"]
    assert [len(ic.transactions) for ic in found] == [1, 1]
    tx = found[1].transactions[0]
    assert (tx.code, tx.control, tx.version, tx.position) == ("271", "0001", "005010X279A1", 13)
    assert [s.id for s in tx.segments] == ["BHT", "HL", "EB", "SV1"]


@pytest.mark.parametrize(("old", "new", "segment_no", "seg_id", "words"), [
    ("SE*6*0001", "SE*7*0001", 8, "SE", "SE01 gives 7 segments; there are 6"),
    ("SE*6*0001", "SE*6*0002", 8, "SE", "SE02 does not match the control number in ST02"),
    ("GE*1*7", "GE*2*7", 9, "GE", "GE01 gives 2 transactions; there are 1"),
    ("GE*1*7", "GE*1*8", 9, "GE", "GE02 does not match the control number in GS06"),
    ("IEA*1*000000101", "IEA*3*000000101", 10, "IEA", "IEA01 gives 3 functional groups"),
    ("IEA*1*000000101", "IEA*1*000000999", 10, "IEA", "IEA02 does not match"),
])
def test_envelope_mismatches_name_the_segment(old: str, new: str, segment_no: int, seg_id: str,
                                              words: str) -> None:
    raw = text([new if s == old else s for s in interchange()])
    with pytest.raises(X12Error) as caught:
        interchanges(raw, "h.271")
    (problem,) = caught.value.problems
    assert (problem.segment_no, problem.segment_id) == (segment_no, seg_id)
    assert words in problem.message
    assert str(problem).startswith(f"h.271, segment {segment_no} ({seg_id}): ")
    assert str(problem) in str(caught.value)


def test_every_envelope_problem_is_listed_at_once() -> None:
    segs = interchange()
    segs[7], segs[8] = "SE*99*0001", "GE*5*7"
    raw = text(segs[:-1])  # and no IEA
    with pytest.raises(X12Error) as caught:
        interchanges(raw, "i.271")
    found = {(p.segment_no, p.segment_id) for p in caught.value.problems}
    assert found == {(8, "SE"), (9, "GE"), (1, "ISA")}


def test_segments_outside_a_transaction_are_named() -> None:
    segs = interchange()
    raw = text(segs[:2] + ["HL*1**20*1"] + segs[2:])
    with pytest.raises(X12Error) as caught:
        interchanges(raw, "j.271")
    (problem,) = caught.value.problems
    assert (problem.segment_no, problem.segment_id) == (3, "HL")
    assert "outside any transaction" in problem.message


def test_segment_repr_keeps_element_values_out() -> None:
    seg = Segment("NM1", ("IL", "1", "SMITH", "JOHN"), 7)
    assert "SMITH" not in repr(seg) and "NM1" in repr(seg)


# --- writing -----------------------------------------------------------------------------------
ENV = Envelope("ZZ", "SUBMITTER1", "ZZ", "CLEARINGHOUSE", 42, 7, 1, usage="T",
               created=datetime(2026, 11, 28, 9, 5))


def test_x12_text_keeps_to_the_basic_character_set() -> None:
    assert x12_text("José Ñúñez-O'Brien") == "JOSE NUNEZ-O'BRIEN"
    assert x12_text("Straße  Øster\tgade #4 @home") == "STRASSE OSTER GADE 4 HOME"
    assert x12_text("a*b:c^d~e|f") == "ABCDEF"
    assert x12_text("Dr. (Smith), M.D.; ok? = & \"x\" / + !") == \
        "DR. (SMITH), M.D.; OK? = & \"X\" / + !"
    assert x12_text("  ") == ""


def test_writer_segments_drop_trailing_empties_and_join_composites() -> None:
    w = X12Writer()
    assert w.segment("NM1", "PR", "2", "ACME", "", "", "", "", "PI", "A1") == \
        "NM1*PR*2*ACME*****PI*A1"
    assert w.segment("DMG", "D8", "19800304", "") == "DMG*D8*19800304"
    assert w.segment("SV1", ("HC", "99213", "", ""), "100") == "SV1*HC:99213*100"
    with pytest.raises(ValueError, match="delimiter"):
        w.segment("NM1", "IL", "1", "SMITH*JOHN")


def test_writer_interchange_fixed_isa_counts_and_control_numbers() -> None:
    bodies = [["BHT*0022*13*R1*20261128*0905", "HL*1**20*1"], ["BHT*0022*13*R2*20261128*0905"]]
    data = X12Writer().interchange(ENV, "HS", "005010X279A1", "270", bodies)
    lines = data.decode("ascii").splitlines()
    assert len(lines[0]) == 106 and lines[0].endswith("*T*:~")
    assert lines[0][3] == "*" and lines[0][82] == "^" and lines[0][104] == ":"
    assert lines[0].split("*")[6] == "SUBMITTER1     " and lines[0].split("*")[13] == "000000042"
    assert lines[1] == "GS*HS*SUBMITTER1*CLEARINGHOUSE*20261128*0905*7*X*005010X279A1~"
    assert lines[2] == "ST*270*0001*005010X279A1~" and lines[5] == "SE*4*0001~"
    assert lines[6] == "ST*270*0002*005010X279A1~" and lines[8] == "SE*3*0002~"
    assert lines[-2:] == ["GE*2*7~", "IEA*1*000000042~"]
    assert [t.control for t in interchanges(data, "out.270")[0].transactions] == ["0001", "0002"]


def test_writer_without_newlines_is_one_line() -> None:
    data = X12Writer(newline=False).interchange(ENV, "HS", "005010X279A1", "270", [["HL*1**20*1"]])
    assert b"\n" not in data and data.endswith(b"IEA*1*000000042~")
    assert len(read_segments(data, "flat.270")) == 7


def test_bad_envelope_values_are_listed_before_writing() -> None:
    bad = Envelope("Z", "A NAME LONGER THAN 15", "ZZ", "ch", 0, 7, 1, usage="X")
    problems = check_envelope(bad)
    assert set(problems) == {"sender qualifier", "sender ID", "receiver ID",
                             "interchange control number", "usage"}
    with pytest.raises(ValidationError):
        X12Writer().interchange(bad, "HS", "005010X279A1", "270", [["HL*1**20*1"]])
