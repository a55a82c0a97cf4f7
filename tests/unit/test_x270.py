"""The 270 inquiry (005010X279A1) as built by app.formats.x12.x270: checked segment by segment
against the guide's required elements, read back with our own reader, grouped per payer, and
refused with every problem listed (no patient data in the messages) when a request is wrong."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from app.errors import ValidationError
from app.formats.x12.segments import Envelope, interchanges, read_segments
from app.formats.x12.x270 import (
    MAX_PATIENTS,
    EligibilityRequest,
    Person,
    Receiver,
    build_270,
    trace_company_id,
)

NPI = "1234567893"  # a valid check digit
ENV = Envelope("ZZ", "SUBMITTER1", "ZZ", "CLEARINGHOUSE", 42, 7, 1, usage="T",
               created=datetime(2026, 11, 28, 9, 30))
PRACTICE = Receiver("Maple Grove Family Medicine", NPI, "12-3456789", "207Q00000X")
DOS = date(2026, 12, 1)
ZOE = Person("O'Néil", "Zoë", "Q", date(1980, 3, 4), "F")
SELF = EligibilityRequest("000000042001", "Acme Health", "ACME1", ZOE, "w123", DOS, "G-100")
CHILD = EligibilityRequest("000000042002", "Acme Health", "ACME1",
                           Person("Doe", "Jan", "", date(1975, 5, 5), "M"), "D999", DOS, "",
                           Person("Doe", "Kim", "", date(2015, 1, 2), "F"), "19",
                           ("30", "98"))
OTHER_PAYER = EligibilityRequest("000000042003", "Bravo Care", "BRAVO",
                                 Person("Roe", "Ann", "", date(1990, 1, 1), "F"), "B1", DOS)


def rows(data: bytes) -> list[list[str]]:
    return [[s.id, *s.elements] for s in read_segments(data, "out.270")]


def body_of(data: bytes, n: int = 0) -> list[list[str]]:
    tx = interchanges(data, "out.270")[0].transactions[n]
    return [[s.id, *s.elements] for s in tx.segments]


def test_a_subscriber_inquiry_segment_by_segment() -> None:
    data = build_270([SELF], ENV, receiver=PRACTICE)
    first_line = data.decode("ascii").splitlines()[0]
    assert len(first_line) == 106  # ISA fixed width, terminator included
    segs = rows(data)
    isa = segs[0]
    assert isa[1:5] == ["00", " " * 10, "00", " " * 10]
    assert (isa[5], isa[6], isa[7], isa[8]) == ("ZZ", f"{'SUBMITTER1':<15}", "ZZ",
                                                f"{'CLEARINGHOUSE':<15}")
    assert isa[9:] == ["261128", "0930", "^", "00501", "000000042", "0", "T", ":"]
    assert segs[1] == ["GS", "HS", "SUBMITTER1", "CLEARINGHOUSE", "20261128", "0930", "7", "X",
                       "005010X279A1"]
    assert segs[2:-2] == [
        ["ST", "270", "0001", "005010X279A1"],
        ["BHT", "0022", "13", "0000000420001", "20261128", "0930"],
        ["HL", "1", "", "20", "1"],
        ["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME1"],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "1P", "2", "MAPLE GROVE FAMILY MEDICINE", "", "", "", "", "XX", NPI],
        ["PRV", "BI", "PXC", "207Q00000X"],
        ["HL", "3", "2", "22", "0"],
        ["TRN", "1", "000000042001", "1123456789"],
        ["NM1", "IL", "1", "O'NEIL", "ZOE", "Q", "", "", "MI", "W123"],
        ["REF", "6P", "G-100"],
        ["DMG", "D8", "19800304", "F"],
        ["DTP", "291", "D8", "20261201"],
        ["EQ", "30"],
        ["SE", "15", "0001"],
    ]
    assert segs[-2:] == [["GE", "1", "7"], ["IEA", "1", "000000042"]]


def test_a_dependent_inquiry_puts_trace_dates_and_questions_on_the_dependent() -> None:
    body = body_of(build_270([CHILD], ENV, receiver=PRACTICE))
    start = body.index(["HL", "3", "2", "22", "1"])  # the subscriber has a child level
    assert body[start:] == [
        ["HL", "3", "2", "22", "1"],
        ["NM1", "IL", "1", "DOE", "JAN", "", "", "", "MI", "D999"],
        ["DMG", "D8", "19750505", "M"],
        ["HL", "4", "3", "23", "0"],
        ["TRN", "1", "000000042002", "1123456789"],
        ["NM1", "03", "1", "DOE", "KIM"],  # 2100D carries no ID in 005010X279A1
        ["DMG", "D8", "20150102", "F"],
        ["INS", "N", "19"],
        ["DTP", "291", "D8", "20261201"],
        ["EQ", "30"],
        ["EQ", "98"],
    ]


def test_one_transaction_per_payer_with_its_own_hierarchy() -> None:
    data = build_270([SELF, OTHER_PAYER, CHILD], ENV, receiver=PRACTICE)
    (ic,) = interchanges(data, "out.270")  # our own envelope checks pass on what we wrote
    assert [(t.code, t.control, t.version) for t in ic.transactions] == [
        ("270", "0001", "005010X279A1"), ("270", "0002", "005010X279A1")]
    acme, bravo = body_of(data, 0), body_of(data, 1)
    assert [r[1:] for r in acme if r[0] == "HL"] == [["1", "", "20", "1"], ["2", "1", "21", "1"],
                                                    ["3", "2", "22", "0"], ["4", "2", "22", "1"],
                                                    ["5", "4", "23", "0"]]
    assert [r[3] for r in acme if r[:2] == ["NM1", "PR"]] == ["ACME HEALTH"]
    assert [r[2] for r in acme + bravo if r[0] == "TRN"] == ["000000042001", "000000042002",
                                                             "000000042003"]
    assert [r[1:] for r in bravo if r[0] == "HL"] == [["1", "", "20", "1"], ["2", "1", "21", "1"],
                                                     ["3", "2", "22", "0"]]
    assert ["BHT", "0022", "13", "0000000420002", "20261128", "0930"] in bravo
    assert rows(data)[-2] == ["GE", "2", "7"]


def test_a_payer_with_more_than_99_patients_gets_more_transactions() -> None:
    many = [replace(SELF, trace=f"T{n:05d}") for n in range(MAX_PATIENTS + 2)]
    data = build_270(many, ENV, receiver=PRACTICE)
    txs = interchanges(data, "out.270")[0].transactions
    per_tx = [sum(1 for s in t.segments if s.id == "HL" and s.el(3) == "22") for t in txs]
    assert per_tx == [99, 2]
    assert [t.control for t in txs] == ["0001", "0002"]


def test_each_request_may_name_its_own_receiver() -> None:
    doctor = Receiver("Lee", "1245319599", "9ABCDEFGHI", first_name="Ada")
    data = build_270([SELF, replace(SELF, trace="T2", receiver=doctor)], ENV, receiver=PRACTICE)
    body = body_of(data)
    assert [r[1:] for r in body if r[0] == "HL"] == [
        ["1", "", "20", "1"], ["2", "1", "21", "1"], ["3", "2", "22", "0"],
        ["4", "1", "21", "1"], ["5", "4", "22", "0"]]
    assert ["NM1", "1P", "1", "LEE", "ADA", "", "", "", "XX", "1245319599"] in body
    assert ["TRN", "1", "T2", "9ABCDEFGHI"] in body


def test_trace_company_id_is_the_ein_with_a_1_or_a_ready_made_id() -> None:
    assert trace_company_id(Receiver("P", NPI, "12-3456789")) == "1123456789"
    assert trace_company_id(Receiver("P", NPI, "3123456789")) == "3123456789"
    assert trace_company_id(Receiver("P", NPI, "12345")) is None
    assert trace_company_id(Receiver("P", NPI, "")) is None


def test_built_file_reads_back_line_per_segment_and_flat() -> None:
    lines = build_270([SELF, CHILD], ENV, receiver=PRACTICE).decode("ascii").splitlines()
    assert all(line.endswith("~") for line in lines)
    flat = build_270([SELF, CHILD], ENV, receiver=PRACTICE, newline=False)
    assert b"\n" not in flat
    assert rows(flat) == [[s.id, *s.elements] for s in read_segments("\n".join(lines), "x")]


# --- refusals ----------------------------------------------------------------------------------
ONE = "inquiry 1 (trace 000000042001)"


@pytest.mark.parametrize(("request_", "field", "words"), [
    (replace(SELF, member_id=" "), ONE, "no member ID"),
    (replace(SELF, payer_id=""), ONE, "no payer ID"),
    (replace(SELF, subscriber=replace(ZOE, dob=None)), ONE, "date of birth is missing"),
    (replace(SELF, subscriber=replace(ZOE, dob=date(2027, 1, 1))), ONE,
     "date of birth is after the date of service"),
    (replace(SELF, subscriber=replace(ZOE, sex="X")), ONE, "M, F or U"),
    (replace(CHILD, relationship="18"), "inquiry 1 (trace 000000042002)", "child (19)"),
    (replace(SELF, service_types=("ZZ",)), ONE, "Service type ZZ"),
    (replace(SELF, service_types=()), ONE, "at least one service type"),
    (replace(SELF, trace="lower case"), "inquiry 1, trace number", "capital letters"),
])
def test_a_bad_request_is_refused_with_a_plain_message(request_: EligibilityRequest,
                                                        field: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_270([request_], ENV, receiver=PRACTICE)
    assert words in caught.value.problems[field]
    for private in ("NEIL", "Zoë", "ZOE", "w123", "W123", "1980", "DOE", "D999"):
        assert private not in str(caught.value)


def test_bad_practice_npi_check_digit_and_missing_ein() -> None:
    bad = Receiver("Maple Grove", "1234567890", "")
    with pytest.raises(ValidationError) as caught:
        build_270([SELF], ENV, receiver=bad)
    assert "check digit" in caught.value.problems["practice NPI"]
    assert "EIN" in caught.value.problems["practice EIN"]


def test_every_problem_in_the_batch_is_listed_at_once() -> None:
    batch = [replace(SELF, member_id=""), replace(OTHER_PAYER, trace=SELF.trace, payer_id=""),
             replace(CHILD, receiver=None)]
    with pytest.raises(ValidationError) as caught:
        build_270(batch, replace(ENV, usage="X"), receiver=None)
    problems = caught.value.problems
    first, second = problems[ONE], problems["inquiry 2 (trace 000000042001)"]
    assert "no member ID" in first and "No practice" in first
    assert "repeats the trace number of inquiry 1" in problems["inquiry 2, trace number"]
    assert "no payer ID" in second and "No practice" in second
    assert "No practice" in problems["inquiry 3 (trace 000000042002)"]
    assert "envelope usage" in problems and len(problems) == 5


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one patient"):
        build_270([], ENV, receiver=PRACTICE)


def test_request_repr_keeps_patient_data_out() -> None:
    shown = repr(SELF)
    assert "W123" not in shown and "w123" not in shown and "Zo" not in shown
    assert "1980" not in shown and "000000042001" in shown
