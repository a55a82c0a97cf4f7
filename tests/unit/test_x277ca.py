"""The 277CA claim acknowledgment (005010X214) as read by app.formats.x12.x277ca: accepted and
rejected claims in one file with the payer's claim number and the clearinghouse trace, a
rejected service line, the payer, receiver and provider levels with their counts, a batch
rejected at the receiver level, words for categories, status codes and entities; and malformed
files (a 999 handed over, HL levels out of order, a claim without its TRN) refused with every
bad segment named and no patient data in the message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.formats.x12 import ack_codes
from app.formats.x12.segments import X12Error
from app.formats.x12.x277ca import ClaimStatusReport, read_277ca

ISA = ("ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*991234567      *261202*0900*^*"
       "00501*{control}*0*P*:")


def wrap(*bodies: list[str], control: str = "000000701", group: str = "91",
         se_count: int | None = None, code: str = "277", version: str = "005010X214",
         functional_id: str = "HN", end: str = "~\n") -> str:
    """One interchange, one group, a transaction per body; counts right unless told."""
    segs = [ISA.format(control=control),
            f"GS*{functional_id}*CLEARINGHOUSE*991234567*20261202*0900*{group}*X*{version}"]
    for n, body in enumerate(bodies, start=1):
        count = se_count if se_count is not None else len(body) + 2
        segs += [f"ST*{code}*{n:04d}*{version}", *body, f"SE*{count}*{n:04d}"]
    segs += [f"GE*{len(bodies)}*{group}", f"IEA*1*{control}"]
    return end.join(segs) + end


TOP = [
    "BHT*0085*08*BATCH-0042*20261202*0900*TH",
    "HL*1**20*1", "NM1*PR*2*ACME HEALTH*****PI*ACME1", "TRN*1*CH-TRACE-9",
    "DTP*050*D8*20261201", "DTP*009*D8*20261202",
    "HL*2*1*21*1", "NM1*41*2*MAPLE GROVE FAMILY MEDICINE*****46*SUB123", "TRN*2*BATCH-0042",
    "STC*A1:19:PR*20261202*WQ*500", "QTY*90*2", "QTY*AA*2", "AMT*YU*200", "AMT*YY*300",
    "HL*3*2*19*1", "NM1*85*2*MAPLE GROVE FAMILY MEDICINE*****XX*1234567893",
    "TRN*1*PROV-TRACE-1", "REF*TJ*991234567", "QTY*QA*2", "QTY*QC*2", "AMT*YU*200",
    "AMT*YY*300",
]
ACCEPTED = [
    "HL*4*3*PT", "NM1*QC*1*PARKER*ROSALIND****MI*W12345", "TRN*2*CLM-1001",
    "STC*A2:20*20261202*WQ*125.50", "REF*1K*PAYER-CCN-77", "REF*D9*CH-0001",
    "DTP*472*D8*20261115",
]
REJECTED = [
    "HL*5*3*PT", "NM1*QC*1*ONEIL*ZOE****MI*W67890", "TRN*2*CLM-1002",
    "STC*A7:562:85*20261202*U*74.50", "REF*D9*CH-0002", "DTP*472*RD8*20261110-20261112",
]
LINE_REJECTED = [
    "HL*6*3*PT", "NM1*QC*1*DOE*JANE****MI*W55555", "TRN*2*CLM-1003",
    "STC*A3:21*20261202*U*225.50******A7:454*A6:503:77*PROCEDURE CODE INVALID",
    "REF*1K*PAYER-CCN-78", "DTP*472*D8*20261116",
    "SVC*HC:99213:25*100*****1", "STC*A7:454*20261202*U",
    "REF*FJ*LINE-2", "DTP*472*D8*20261116",
    "SVC*HC:J1100*125.50*****2", "STC*A7:476*20261202*U", "REF*FJ*LINE-3",
]


def only(data: str) -> ClaimStatusReport:
    (report,) = read_277ca(data.encode("ascii"), "ack.277")
    return report


def refused(data: str | bytes, name: str = "ack.277") -> X12Error:
    with pytest.raises(X12Error) as caught:
        read_277ca(data, name)
    assert all(p.filename == name for p in caught.value.problems)
    return caught.value


# --- shapes ---------------------------------------------------------------------------------------
def test_the_levels_above_the_claims() -> None:
    r = only(wrap(TOP + ACCEPTED + REJECTED))
    assert (r.control, r.reference, r.created, r.position) == ("0001", "BATCH-0042",
                                                               date(2026, 12, 2), 3)
    assert r.interchange_control == "000000701"
    source, receiver, (provider,) = r.source, r.receiver, r.providers
    assert source is not None and receiver is not None
    assert (source.level, source.entity, source.entity_words, source.name) == (
        "source", "PR", "payer", "ACME HEALTH")
    assert (source.id_qualifier, source.id, source.trace) == ("PI", "ACME1", "CH-TRACE-9")
    assert (source.date_of("050"), source.date_of("009")) == (date(2026, 12, 1),
                                                              date(2026, 12, 2))
    assert (receiver.entity_words, receiver.trace, receiver.accepted) == ("submitter",
                                                                          "BATCH-0042", True)
    (st,) = receiver.statuses
    assert (st.category, st.code, st.action, st.action_words, st.amount) == (
        "A1", "19", "WQ", "accepted", Decimal("500"))
    assert st.words == ("Received (not yet accepted for adjudication): Received by the entity "
                        "(payer)")
    assert (receiver.accepted_count, receiver.rejected_count) == (Decimal(2), Decimal(2))
    assert (receiver.accepted_amount, receiver.rejected_amount) == (Decimal(200), Decimal(300))
    assert (provider.entity, provider.id, provider.trace, provider.refs) == (
        "85", "1234567893", "PROV-TRACE-1", (("TJ", "991234567"),))
    assert (provider.accepted_count, provider.rejected_count) == (Decimal(2), Decimal(2))
    assert provider.statuses == () and not provider.accepted and not provider.rejected
    assert not r.batch_rejected


def test_accepted_and_rejected_claims_in_one_file() -> None:
    r = only(wrap(TOP + ACCEPTED + REJECTED + LINE_REJECTED))
    ok, bad, line_bad = r.claims
    assert (ok.patient_control_number, ok.payer_claim_number, ok.clearinghouse_trace) == (
        "CLM-1001", "PAYER-CCN-77", "CH-0001")
    assert (ok.accepted, ok.rejected, ok.charge) == (True, False, Decimal("125.50"))
    assert (ok.service_from, ok.service_to, ok.position) == (date(2026, 11, 15), None, 26)
    assert (ok.provider_id, ok.source_name, ok.source_id) == ("1234567893", "ACME HEALTH",
                                                              "ACME1")
    assert (ok.patient_last_name, ok.patient_first_name, ok.member_id) == ("PARKER", "ROSALIND",
                                                                          "W12345")
    assert ok.status_lines() == ["Accepted into the adjudication system: Accepted for processing"]
    (st,) = ok.statuses
    assert (st.date, st.accepted, st.rejected) == (date(2026, 12, 2), True, False)

    assert (bad.patient_control_number, bad.payer_claim_number, bad.accepted, bad.rejected) == (
        "CLM-1002", "", False, True)
    assert (bad.service_from, bad.service_to) == (date(2026, 11, 10), date(2026, 11, 12))
    (code,) = bad.statuses[0].codes
    assert (code.category, code.code, code.entity) == ("A7", "562", "85")
    assert code.words == ("Rejected for invalid information: Entity's National Provider "
                          "Identifier (NPI) (billing provider)")
    assert [c.patient_control_number for c in r.accepted_claims] == ["CLM-1001"]
    assert [c.patient_control_number for c in r.rejected_claims] == ["CLM-1002", "CLM-1003"]
    assert "PARKER" not in repr(ok) and "W12345" not in repr(ok)


def test_further_composites_a_message_and_line_level_statuses() -> None:
    r = only(wrap(TOP + LINE_REJECTED))
    (claim,) = r.claims
    (st,) = claim.statuses
    assert [(c.category, c.code, c.entity) for c in st.codes] == [
        ("A3", "21", ""), ("A7", "454", ""), ("A6", "503", "77")]
    assert st.message == "PROCEDURE CODE INVALID"
    assert st.words == (
        "Rejected: returned as unprocessable: Missing or invalid information (the other codes "
        "say which); Rejected for invalid information: Procedure code for the services "
        "rendered; Rejected for missing information: Entity's street address (service "
        "location)")
    assert (claim.rejected, claim.payer_claim_number) == (True, "PAYER-CCN-78")
    first, second = claim.lines
    assert (first.procedure, first.procedure_code, first.charge, first.units) == (
        "HC:99213:25", "99213", Decimal("100"), Decimal("1"))
    assert (first.line_control_number, first.service_from, first.rejected) == (
        "LINE-2", date(2026, 11, 16), True)
    assert first.statuses[0].words == ("Rejected for invalid information: Procedure code for "
                                       "the services rendered")
    assert (second.procedure_code, second.line_control_number, second.units) == (
        "J1100", "LINE-3", Decimal("2"))
    assert second.statuses[0].codes[0].code_words == "Units of service missing or invalid"
    assert claim.status_lines()[1:] == [
        "Line LINE-2: Rejected for invalid information: Procedure code for the services "
        "rendered",
        "Line LINE-3: Rejected for invalid information: Units of service missing or invalid"]


def test_a_rejected_line_rejects_its_claim_and_action_u_rejects() -> None:
    body = ["HL*4*3*PT", "NM1*QC*1*PARKER*ROSALIND", "TRN*2*CLM-2001", "STC*A2:20**WQ*50",
            "SVC*HC:99213*50****1", "STC*A7:454**U", "REF*FJ*L1",
            "HL*5*3*PT", "NM1*QC*1*PARKER*ROSALIND", "TRN*2*CLM-2002", "STC*ZZ:20**U"]
    line_bad, action_u = only(wrap(TOP + body)).claims
    assert (line_bad.accepted, line_bad.rejected) == (False, True)
    assert line_bad.statuses[0].date is None
    assert (action_u.accepted, action_u.rejected) == (False, True)
    assert action_u.statuses[0].codes[0].category_words == "claim status category ZZ"


def test_forwarded_is_accepted_and_error_categories_are_neither() -> None:
    body = ["HL*4*3*PT", "NM1*QC*1*PARKER*ROSALIND", "TRN*2*CLM-3001", "STC*A0:16:PR*20261202*WQ",
            "HL*5*3*PT", "NM1*QC*1*PARKER*ROSALIND", "TRN*2*CLM-3002", "STC*E1:484"]
    forwarded, error = only(wrap(TOP + body)).claims
    assert (forwarded.accepted, forwarded.rejected) == (True, False)
    assert forwarded.statuses[0].words == ("Forwarded to another entity: Forwarded to the "
                                           "entity (payer)")
    assert (error.accepted, error.rejected) == (False, False)
    assert error.statuses[0].words == ("No response possible: system status: claim status "
                                       "code 484")


def test_a_batch_rejected_at_the_receiver_level() -> None:
    top = [s if not s.startswith("STC") else "STC*A3:24:41*20261202*U*500" for s in TOP]
    r = only(wrap(top))
    assert r.claims == () and r.batch_rejected
    assert r.receiver is not None and r.receiver.rejected
    assert r.receiver.statuses[0].words == ("Rejected: returned as unprocessable: Entity not "
                                            "approved to submit electronically (submitter)")


def test_several_interchanges_and_transactions_in_one_file() -> None:
    first = wrap(TOP + ACCEPTED, TOP + REJECTED, control="000000801", group="1")
    second = wrap(TOP + LINE_REJECTED, control="000000802", group="2")
    reports = read_277ca((first + second).encode("ascii"), "day.277")
    assert [(r.interchange_control, r.control) for r in reports] == [
        ("000000801", "0001"), ("000000801", "0002"), ("000000802", "0001")]
    assert [c.accepted for r in reports for c in r.claims] == [True, False, False]


def test_other_delimiters_and_wrapped_lines() -> None:
    text = wrap(TOP + LINE_REJECTED, end="~")
    text = text.replace("*", "|").replace(":", ">").replace("|^|", "|!|")
    wrapped = "\n".join(text[i:i + 80] for i in range(0, len(text), 80))
    (report,) = read_277ca(wrapped, "wrapped.277")
    (claim,) = report.claims
    assert claim.lines[0].procedure == "HC:99213:25"  # components joined with ':' whatever sent
    assert [c.code for c in claim.statuses[0].codes] == ["21", "454", "503"]


def test_the_category_list_and_the_mapping() -> None:
    assert {"A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "E0", "E1", "E2", "E3",
            "E4", "P0", "F0", "R0"} <= set(ack_codes.CATEGORIES)
    assert ack_codes.ACCEPTED_CATEGORIES == {"A0", "A1", "A2", "A5"}
    assert ack_codes.REJECTED_CATEGORIES == {"A3", "A4", "A6", "A7", "A8"}
    assert len(ack_codes.STATUS_CODES) >= 60
    assert ack_codes.status_words("9999") == "claim status code 9999"
    assert ack_codes.status_words("") == ""


# --- refused --------------------------------------------------------------------------------------
SECRETS = ("PARKER", "ROSALIND", "W12345", "CLM-1001", "ONEIL", "W67890")


def leaks(err: X12Error) -> bool:
    text = str(err) + " ".join(p.message for p in err.problems)
    return any(secret in text for secret in SECRETS)


def test_a_999_handed_over_is_named() -> None:
    body = ["AK1*HC*1234*005010X222A1", "AK2*837*0001", "IK5*A", "AK9*A*1*1*1"]
    err = refused(wrap(body, code="999", version="005010X231A1", functional_id="FA"))
    (p,) = err.problems
    assert (p.segment_no, p.segment_id) == (3, "ST")
    assert "This is a 999 implementation acknowledgment, not a 277CA" in p.message


def test_a_claim_status_response_and_other_transactions_are_named() -> None:
    (p,) = refused(wrap(TOP + ACCEPTED, version="005010X212")).problems
    assert "277 claim status response (005010X212)" in p.message
    (p,) = refused(wrap(TOP + ACCEPTED, code="271", version="005010X279A1")).problems
    assert p.message == "This is a 271 transaction, not a 277CA claim acknowledgment."


def test_levels_out_of_order_are_refused_without_patient_data() -> None:
    body = ["BHT*0085*08*BATCH-0042*20261202*0900*TH", "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH*****PI*ACME1", "HL*2*1*PT",
            "NM1*QC*1*PARKER*ROSALIND****MI*W12345", "TRN*2*CLM-1001", "STC*A2:20",
            "HL*3*9*19*1", "NM1*85*2*MAPLE*****XX*1234567893", "HL*3*1*22*0"]
    err = refused(wrap(body))
    got = [(p.segment_no, p.segment_id, p.message) for p in err.problems]
    assert got[0] == (7, "HL", "A claim level (HL03 PT) must sit under a provider level.")
    assert (11, "HL") == got[1][:2] and "HL02 names a parent" in got[1][2]
    assert (13, "HL") == got[2][:2] and "HL03 is not a level a 277CA uses" in got[2][2]
    assert any("repeats an earlier HL number" in m for _n, _s, m in got)
    assert not leaks(err)


def test_a_claim_without_trn_or_stc_and_bad_values_are_refused() -> None:
    body = ["HL*4*3*PT", "NM1*QC*1*PARKER*ROSALIND****MI*W12345", "REF*1K*PAYER-CCN-77",
            "HL*5*3*PT", "NM1*QC*1*ONEIL*ZOE****MI*W67890", "TRN*2*CLM-1002",
            "STC*A7:562:85*2026-12-02*U*7O.5O", "DTP*472*D8*20261345",
            "STC*A7*20261202*U", "SVC*HC:99213*1OO****1"]
    err = refused(wrap(TOP + body))
    messages = [(p.segment_id, p.message) for p in err.problems]
    assert ("HL", "This claim (HL03 PT) has no TRN with the patient control number "
                  "(TRN02).") in messages
    assert ("HL", "This claim (HL03 PT) has no STC giving its status.") in messages
    assert ("STC", "STC02 is not a valid date (CCYYMMDD).") in messages
    assert ("STC", "STC04 is not an amount.") in messages
    assert ("DTP", "DTP03 is not a valid date in the D8 format (CCYYMMDD).") in messages
    assert ("STC", "STC01 needs a status category code and a status code.") in messages
    assert ("SVC", "SVC02 is not an amount.") in messages
    assert ("SVC", "This service line (2220D) has no STC giving its status.") in messages
    assert not leaks(err)


def test_segments_outside_their_place_are_refused() -> None:
    body = ["STC*A1:20", "BHT*0085*08*X*20261202*0900*TH", "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH*****PI*ACME1", "SVC*HC:99213*50", "BHT*0085"]
    err = refused(wrap(body))
    got = [(p.segment_no, p.segment_id) for p in err.problems]
    assert got == [(4, "STC"), (8, "SVC"), (9, "BHT")]
    assert "before the first HL" in err.problems[0].message
    assert "must be inside a claim" in err.problems[1].message


def test_missing_bht_and_no_levels() -> None:
    err = refused(wrap(["NM1*PR*2*ACME"]))
    messages = [p.message for p in err.problems]
    assert "The 277CA has no BHT (beginning of hierarchical transaction)." in messages
    assert "The 277CA has no HL levels: nothing is acknowledged." in messages


def test_broken_envelope_counts_are_refused_without_patient_data() -> None:
    err = refused(wrap(TOP + ACCEPTED, se_count=12))
    assert any("SE01 gives 12 segments" in p.message for p in err.problems)
    assert not leaks(err)
    text = wrap(TOP + ACCEPTED).replace("ST*277*0001", "ST*277*0009")
    assert any("SE02 does not match" in p.message for p in refused(text).problems)
