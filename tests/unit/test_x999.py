"""The 999 implementation acknowledgment (005010X231A1) as read by app.formats.x12.x999: an
837 batch accepted, accepted with errors, rejected with segment errors (IK3), element errors
(IK4) and their contexts (CTX, the CLM01 of the claim at fault), a partly accepted group,
several interchanges and other delimiters in one file, words for every code; and malformed
files refused with every bad segment named and no patient data in the message."""

from __future__ import annotations

import pytest

from app.formats.x12 import ack_codes
from app.formats.x12.segments import X12Error
from app.formats.x12.x999 import Ack999, read_999

ISA = ("ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*991234567      *261201*0815*^*"
       "00501*{control}*0*P*:")


def wrap(*bodies: list[str], control: str = "000000501", group: str = "77",
         se_count: int | None = None, code: str = "999", version: str = "005010X231A1",
         functional_id: str = "FA", end: str = "~\n") -> str:
    """One interchange, one group, a 999 transaction per body; counts right unless told."""
    segs = [ISA.format(control=control),
            f"GS*{functional_id}*CLEARINGHOUSE*991234567*20261201*0815*{group}*X*{version}"]
    for n, body in enumerate(bodies, start=1):
        count = se_count if se_count is not None else len(body) + 2
        segs += [f"ST*{code}*{n:04d}*{version}", *body, f"SE*{count}*{n:04d}"]
    segs += [f"GE*{len(bodies)}*{group}", f"IEA*1*{control}"]
    return end.join(segs) + end


ACCEPTED = ["AK1*HC*1234*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A", "AK9*A*1*1*1"]

WITH_ERRORS = [
    "AK1*HC*1235*005010X222A1", "AK2*837*0001*005010X222A1",
    "IK3*NM1*8*2010BA*8", "CTX*CLM01:CLAIM-0042", "IK4*9*67*I12*W1234",
    "IK5*E*I5", "AK9*E*1*1*1",
]

REJECTED = [
    "AK1*HC*1236*005010X222A1",
    "AK2*837*0001*005010X222A1",
    "IK3*CLM*22*2300*8", "CTX*CLM01:PT1001",
    "IK4*5:2*1331*7*99", "CTX*SITUATIONAL TRIGGER*CLM*22**5:2",
    "IK3*DTP*30*2400*I6", "CTX*CLM01:PT1001",
    "IK3*REF*41**I4", "CTX*CLM01:PT1002",
    "IK5*R*5*I5",
    "AK2*837*0002*005010X222A1", "IK5*A",
    "AK9*P*2*2*1",
]


def only(data: str) -> Ack999:
    (ack,) = read_999(data.encode("ascii"), "batch.999")
    return ack


def refused(data: str | bytes, name: str = "batch.999") -> X12Error:
    with pytest.raises(X12Error) as caught:
        read_999(data, name)
    assert all(p.filename == name for p in caught.value.problems)
    return caught.value


# --- shapes ---------------------------------------------------------------------------------------
def test_an_accepted_batch() -> None:
    ack = only(wrap(ACCEPTED))
    assert (ack.functional_id, ack.group_control, ack.version) == ("HC", "1234", "005010X222A1")
    assert (ack.status, ack.accepted, ack.partially_accepted) == ("A", True, False)
    assert (ack.transactions_included, ack.transactions_received,
            ack.transactions_accepted) == (1, 1, 1)
    assert (ack.errors, ack.control, ack.interchange_control, ack.position) == (
        (), "0001", "000000501", 3)
    assert ack.status_words == "Accepted"
    assert ack.functional_id_words == "health care claim (837)"
    (tx,) = ack.transactions
    assert (tx.set_id, tx.control, tx.convention, tx.status) == ("837", "0001", "005010X222A1",
                                                                 "A")
    assert tx.accepted and tx.segment_errors == () and tx.errors == () and tx.position == 5
    assert ack.rejected_transactions == () and ack.claim_ids == ()


def test_accepted_with_errors_keeps_the_errors_and_the_claim() -> None:
    ack = only(wrap(WITH_ERRORS))
    assert (ack.status, ack.accepted, ack.status_words) == ("E", True,
                                                            "Accepted with errors noted")
    (tx,) = ack.transactions
    assert (tx.status, tx.accepted, tx.errors) == ("E", True, ("I5",))
    assert tx.error_words == ("One or more segments break the implementation guide",)
    (err,) = tx.segment_errors
    assert (err.segment_id, err.segment_position, err.loop_id, err.code) == ("NM1", 8, "2010BA",
                                                                           "8")
    assert err.words == "Segment has element errors"
    assert err.claim_ids == ("CLAIM-0042",) and err.claim_id == "CLAIM-0042"
    assert tx.claim_ids == ("CLAIM-0042",) and ack.claim_ids == ("CLAIM-0042",)
    (ctx,) = err.contexts
    assert (ctx.name, ctx.reference, ctx.claim_id) == ("CLM01", "CLAIM-0042", "CLAIM-0042")
    (el,) = err.element_errors
    assert (el.element_position, el.component_position, el.repeat_position) == (9, None, None)
    assert (el.reference, el.code, el.bad_value) == ("67", "I12", "W1234")
    assert el.words == "Value does not match the pattern the implementation guide requires"
    assert el.location == "element 9"
    assert err.describe() == [
        "NM1 segment 8 (loop 2010BA): Segment has element errors",
        "  element 9: Value does not match the pattern the implementation guide requires"]


def test_a_rejected_transaction_with_segment_element_and_context_errors() -> None:
    ack = only(wrap(REJECTED))
    assert (ack.status, ack.accepted, ack.partially_accepted) == ("P", False, True)
    assert ack.status_words == "Partially accepted: at least one transaction was rejected"
    assert (ack.transactions_included, ack.transactions_received,
            ack.transactions_accepted) == (2, 2, 1)
    bad, good = ack.transactions
    assert (bad.control, bad.status, bad.accepted, bad.errors) == ("0001", "R", False,
                                                                   ("5", "I5"))
    assert bad.status_words == "Rejected"
    assert bad.error_words == ("One or more segments in error",
                               "One or more segments break the implementation guide")
    assert (good.control, good.accepted) == ("0002", True)
    assert ack.rejected_transactions == (bad,)
    clm, dtp, ref = bad.segment_errors
    assert (clm.segment_id, clm.segment_position, clm.loop_id, clm.code) == ("CLM", 22, "2300",
                                                                           "8")
    (el,) = clm.element_errors
    assert (el.element_position, el.component_position, el.repeat_position) == (5, 2, None)
    assert (el.reference, el.code, el.bad_value, el.words) == ("1331", "7", "99",
                                                               "Invalid code value")
    assert el.location == "element 5 component 2"
    (trigger,) = el.contexts
    assert (trigger.name, trigger.segment_id, trigger.segment_position) == (
        "SITUATIONAL TRIGGER", "CLM", 22)
    assert (trigger.loop_id, trigger.element_position, trigger.claim_id) == ("", "5:2", "")
    assert clm.claim_ids == ("PT1001",)
    assert (dtp.code, dtp.words, dtp.claim_id) == (
        "I6", "Segment the implementation guide requires in this situation is missing",
        "PT1001")
    assert (ref.loop_id, ref.code, ref.claim_id) == ("", "I4", "PT1002")
    assert ref.words == "Segment marked 'not used' in the implementation guide is present"
    assert bad.claim_ids == ("PT1001", "PT1002") and ack.claim_ids == ("PT1001", "PT1002")


def test_a_rejected_group_with_group_error_codes() -> None:
    body = ["AK1*HC*1237*005010X222A1", "AK2*837*0001", "IK5*R*4", "AK9*R*1*1*0*5*4"]
    ack = only(wrap(body))
    assert (ack.status, ack.accepted, ack.errors) == ("R", False, ("5", "4"))
    assert ack.error_words == (
        "Transaction count in GE does not match the transactions sent",
        "Group control numbers in GS and GE do not agree")
    (tx,) = ack.transactions
    assert (tx.convention, tx.status, tx.error_words) == (
        "", "R", ("Segment count in SE does not match the segments sent",))


def test_a_group_answered_without_transaction_loops() -> None:
    ack = only(wrap(["AK1*HC*1238*005010X222A1", "AK9*R*1*0*0*1"]))
    assert ack.transactions == () and ack.error_words == ("Functional group not supported",)


def test_several_interchanges_groups_and_transactions_in_one_file() -> None:
    first = wrap(ACCEPTED, WITH_ERRORS, control="000000601", group="81")
    second = wrap(REJECTED, control="000000602", group="82")
    acks = read_999((first + second).encode("ascii"), "day.999")
    assert [(a.group_control, a.status, a.interchange_control, a.control) for a in acks] == [
        ("1234", "A", "000000601", "0001"), ("1235", "E", "000000601", "0002"),
        ("1236", "P", "000000602", "0001")]


def test_other_delimiters_wrapped_lines_and_a_byte_order_mark() -> None:
    text = wrap(WITH_ERRORS, end="~")
    text = text.replace("*", "|").replace(":", ">").replace("|^|", "|!|")
    wrapped = "\r\n".join(text[i:i + 80] for i in range(0, len(text), 80))
    (ack,) = read_999(b"\xef\xbb\xbf" + wrapped.encode("ascii"), "wrapped.999")
    (tx,) = ack.transactions
    assert tx.segment_errors[0].claim_ids == ("CLAIM-0042",) and ack.status == "E"


def test_a_999_answering_an_834_reads_the_same() -> None:
    ack = only(wrap(["AK1*BE*146*005010X220A1", "AK2*834*146001*005010X220A1", "IK5*A",
                     "AK9*A*1*1*1"], version="005010X231"))
    assert (ack.functional_id_words, ack.accepted) == ("benefit enrollment (834)", True)


def test_every_code_has_words_and_unknown_codes_say_so() -> None:
    assert set(ack_codes.SEGMENT_ERRORS) == {"1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6",
                                             "I7", "I8", "I9"}
    assert {str(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13)} | {
        "I6", "I9", "I10", "I11", "I12", "I13"} == set(ack_codes.ELEMENT_ERRORS)
    assert {str(n) for n in range(1, 28) if n not in (14, 20, 21, 22)} | {"I5", "I6"} == set(
        ack_codes.TRANSACTION_ERRORS)
    assert set(ack_codes.GROUP_STATUS) == {"A", "E", "M", "P", "R", "W", "X"}
    body = ["AK1*HC*9*005010X222A1", "AK2*837*0001", "IK3*NM1*3**Z9", "IK4*1**Z8",
            "IK5*R*Z7", "AK9*R*1*1*0*Z6"]
    ack = only(wrap(body))
    (tx,) = ack.transactions
    assert tx.segment_errors[0].words == "segment error code Z9"
    assert tx.segment_errors[0].element_errors[0].words == "element error code Z8"
    assert tx.error_words == ("transaction error code Z7",)
    assert ack.error_words == ("group error code Z6",)


# --- refused --------------------------------------------------------------------------------------
PATIENT = "ROSALIND PARKER"
CLAIM = "PARKER-ROSALIND-0001"


def leaks(err: X12Error) -> bool:
    text = str(err) + " ".join(p.message for p in err.problems)
    return any(secret in text for secret in (PATIENT, CLAIM, "PARKER", "ROSALIND"))


def test_missing_ak9_is_refused_without_patient_data() -> None:
    body = ["AK1*HC*1234*005010X222A1", "AK2*837*0001", "IK3*NM1*8*2010BA*8",
            f"CTX*CLM01:{CLAIM}", f"IK4*3*1035*6*{PATIENT}", "IK5*R*5"]
    err = refused(wrap(body))
    assert [(p.segment_no, p.segment_id) for p in err.problems] == [(3, "ST")]
    assert "ends without AK9" in str(err) and "batch.999, segment 3 (ST)" in str(err)
    assert not leaks(err)


def test_missing_ak1_and_an_ak2_without_ik5() -> None:
    err = refused(wrap(["AK2*837*0001", "AK9*R*1*1*0"]))
    messages = [p.message for p in err.problems]
    assert any("before AK1" in m for m in messages)
    assert any("no AK1" in m for m in messages)
    err = refused(wrap(["AK1*HC*1*005010X222A1", f"AK2*837*{CLAIM}", "IK3*NM1*4**8",
                        "AK9*R*1*1*0"]))
    assert [(p.segment_no, p.segment_id, p.message) for p in err.problems] == [
        (5, "AK2", "This AK2 loop has no IK5 giving the transaction's status.")]
    assert not leaks(err)


def test_broken_envelope_counts_are_refused() -> None:
    err = refused(wrap(WITH_ERRORS, se_count=99))
    assert any("SE01 gives 99 segments" in p.message for p in err.problems)
    text = wrap(ACCEPTED).replace("GE*1*77", "GE*3*77").replace("IEA*1*000000501",
                                                                "IEA*1*000000999")
    messages = [p.message for p in refused(text).problems]
    assert any("GE01 gives 3 transactions" in m for m in messages)
    assert any("IEA02 does not match" in m for m in messages)


def test_loops_out_of_order_are_refused_segment_by_segment() -> None:
    body = ["AK1*HC*1234*005010X222A1", "IK3*NM1*8**8", f"IK4*3*1035*6*{PATIENT}",
            "AK2*837*0001", f"CTX*CLM01:{CLAIM}", "IK5*A", "IK3*CLM*9**8", "IK5*A",
            "AK9*A*1*1*1", "AK2*837*0002"]
    err = refused(wrap(body))
    got = [(p.segment_no, p.segment_id) for p in err.problems]
    assert got == [(5, "IK3"), (6, "IK4"), (8, "CTX"), (10, "IK3"), (11, "IK5"), (13, "AK2")]
    messages = [p.message for p in err.problems]
    assert "outside an AK2 loop" in messages[0] and "does not follow an IK3" in messages[1]
    assert "after AK9" in messages[-1]
    assert not leaks(err)


def test_bad_numbers_and_codes_are_refused() -> None:
    body = ["AK1*HC*1234*005010X222A1", "AK2*837*0001", "IK3*NM1*EIGHT**8", "IK4*X:2*67*7",
            "IK5*Q", "AK9*Z*1*one*1", "AK9*A*1*1*1"]
    err = refused(wrap(body))
    messages = [p.message for p in err.problems]
    assert "IK302, the segment position, is not a whole number." in messages
    assert "IK401, the element position, is not a whole number." in messages
    assert any(m.startswith("IK501 is not") for m in messages)
    assert any(m.startswith("AK901 is not") for m in messages)
    assert any("after AK9" in m for m in messages)


def test_an_unknown_segment_is_refused() -> None:
    err = refused(wrap(["AK1*HC*1*005010X222A1", "AK3*NM1*8**8", "AK9*A*0*0*0"]))
    assert [(p.segment_id, p.message) for p in err.problems] == [
        ("AK3", "This is not a segment a 999 uses.")]


def test_a_277ca_handed_over_is_named() -> None:
    body = ["BHT*0085*08*1*20261201*0815*TH", "HL*1**20*1", "NM1*PR*2*ACME*****PI*A1"]
    err = refused(wrap(body, code="277", version="005010X214", functional_id="HN"))
    (p,) = err.problems
    assert (p.segment_no, p.segment_id) == (3, "ST")
    assert "277CA claim acknowledgment" in p.message and "not a 999" in p.message


def test_a_997_and_another_version_are_named() -> None:
    (p,) = refused(wrap(ACCEPTED, code="997", version="004010")).problems
    assert "997 functional acknowledgment" in p.message
    (p,) = refused(wrap(ACCEPTED, version="005010X230")).problems
    assert "not the 005010X231A1" in p.message


def test_no_transaction_and_not_x12_are_refused() -> None:
    empty = (ISA.format(control="000000501") + "~GS*FA*A*B*20261201*0815*1*X*005010X231A1~"
             "GE*0*1~IEA*1*000000501~")
    (p,) = refused(empty).problems
    assert p.message == "The file holds no 999 transaction (ST…SE)."
    (p,) = refused("hello").problems
    assert "not an X12 file" in p.message
