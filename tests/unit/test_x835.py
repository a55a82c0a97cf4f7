"""The 835 remittance advice (005010X221A1) as read by app.formats.x12.x835 and written by
app.formats.x12.x835_write: the payer and payee loops (1000A/1000B) with the payer ID rule, a
paid claim with its service lines, adjustments, remarks and allowed amounts (2100/2110), a
denial, a reversal, a claim forwarded to another payer, provider adjustments (PLB); balancing
as plain-English messages with figures; malformed files refused with every bad segment named
and no patient data in the message; and the writer's output read back equal and validated
clean by pyx12."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import FrozenInstanceError, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationError
from app.formats.x12.segments import Envelope, Transaction, X12Error
from app.formats.x12.x835 import (
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    read_835,
    wrong_kind,
)
from app.formats.x12.x835_write import amount, build_835

ISA = ("ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*MAPLEGROVE     *261105*0900*^*"
       "00501*{control}*0*P*:")


def wrap(*bodies: list[str], control: str = "000000835", group: str = "55",
         code: str = "835", version: str = "005010X221A1", se_count: int | None = None) -> str:
    """One interchange, one group, a transaction per body; counts right unless told."""
    segs = [ISA.format(control=control),
            f"GS*HP*ACMEHEALTH*MAPLEGROVE*20261105*0900*{group}*X*{version}"]
    for n, body in enumerate(bodies, start=1):
        count = se_count if se_count is not None else len(body) + 2
        segs += [f"ST*{code}*{n:04d}", *body, f"SE*{count}*{n:04d}"]
    segs += [f"GE*{len(bodies)}*{group}", f"IEA*1*{control}"]
    return "~\n".join(segs) + "~\n"


HEADER = [
    "BPR*I*380*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20261105",
    "TRN*1*EFT0001234*1512345678",
    "REF*EV*CLINIC01",
    "DTM*405*20261103",
    "N1*PR*ACME HEALTH PLAN",
    "N3*100 MAIN ST*SUITE 5",
    "N4*SPRINGFIELD*IL*62701",
    "REF*2U*ACME1",
    "PER*CX*CLAIMS*TE*(800) 555-1212",
    "PER*BL*EDI*TE*8005559999*EM*EDI@ACME.COM",
    "N1*PE*MAPLE GROVE FAMILY MEDICINE*XX*1234567893",
    "REF*TJ*991234567",
]
PAID = [  # two lines; 300 - 200 = (40 + 15 + 5) + (20 + 20)
    "LX*1",
    "CLP*CLM-1001*1*300*200*40*12*PCN0001*11*1",
    "NM1*QC*1*PARKER*ROSALIND****MI*W12345",
    "NM1*IL*1*PARKER*JOHN****MI*W12300",
    "DTM*232*20261001", "DTM*233*20261002", "DTM*050*20261015",
    "AMT*AU*300",
    "SVC*HC:99213:25*180*120**1",
    "DTM*472*20261001",
    "CAS*CO*45*40",
    "CAS*PR*1*15**2*5",
    "REF*6R*LINE-1",
    "AMT*B6*140",
    "LQ*HE*N130", "LQ*HE*M15",
    "SVC*HC:93000*120*80*0300*1*HC:93010:26*2",
    "DTM*150*20261001", "DTM*151*20261002",
    "CAS*CO*45*20*1",
    "CAS*PR*3*20",
    "REF*6R*LINE-2",
    "LQ*RX*70",
]
DENIED = [
    "CLP*CLM-1002*4*150*0*0*12*PCN0002*11*1",
    "CAS*CO*29*150",
    "NM1*QC*1*ONEIL*ZOE****MI*W67890",
    "MOA***MA130*N211",
    "DTM*050*20261016",
]
REVERSED = [  # a take-back of an earlier payment: negative amounts that still balance
    "CLP*CLM-0999*22*-100*-80*-20*12*PCN0003*11*7",
    "NM1*QC*1*DOE*JANE****MI*W55555",
    "SVC*HC:99212*-100*-80**-1",
    "DTM*472*20260901",
    "CAS*PR*2*-20",
]
FORWARDED = [
    "CLP*CLM-1003*19*500*355.5**12*PCN0004*11*1",
    "CAS*CO*45*144.5",
    "NM1*QC*1*SMITH*ALEX****MI*W11111",
    "NM1*74*1******C*W11112",
    "NM1*TT*2*STATE MEDICAID*****PI*MCD01",
    "NM1*PR*2*OTHER PLAN*****PI*OTH01",
    "MIA*0***100*N1",
    "AMT*I*5.5",
]
PLB = ["PLB*1234567893*20261231*L6:INT01*-4.5*WO:OVP123*100"]
BODY = HEADER + PAID + DENIED + REVERSED + FORWARDED + PLB
PATIENT_DATA = ["PARKER", "ROSALIND", "W12345", "W12300", "ONEIL", "W67890", "DOE", "W55555",
                "SMITH", "W11111", "W11112"]


def only(data: str) -> Remittance:
    (remittance,) = read_835(data.encode("ascii"), "era.835")
    return remittance


def position(data: str, prefix: str, nth: int = 1) -> int:
    """The segment number (1-based, ISA = 1) of the nth segment starting with `prefix`."""
    segs = [s.strip() for s in data.split("~") if s.strip()]
    hits = [n for n, s in enumerate(segs, start=1) if s.startswith(prefix)]
    return hits[nth - 1]


def refused(data: str, name: str = "era.835") -> X12Error:
    with pytest.raises(X12Error) as caught:
        read_835(data, name)
    assert all(p.filename == name for p in caught.value.problems)
    for word in PATIENT_DATA:  # never a patient's name or member ID in what the clerk sees
        assert word not in str(caught.value)
    return caught.value


def problems(error: X12Error) -> list[tuple[int, str, str]]:
    return [(p.segment_no, p.segment_id, p.message) for p in error.problems]


# --- reading --------------------------------------------------------------------------------------
def test_the_payment_the_payer_and_the_payee() -> None:
    r = only(wrap(BODY))
    assert (r.filename, r.interchange_control, r.group_control, r.transaction_control,
            r.sender_id, r.receiver_id) == ("era.835", "000000835", "55", "0001", "ACMEHEALTH",
                                            "MAPLEGROVE")
    assert (r.handling, r.total_paid, r.credit_debit, r.method, r.paid_on) == (
        "I", Decimal("380"), "C", "ACH", date(2026, 11, 5))
    assert (r.trace_number, r.trace_payer_id, r.production_date) == ("EFT0001234", "1512345678",
                                                                     date(2026, 11, 3))
    assert (r.payer_name, r.payer_id, r.payer_phone) == ("ACME HEALTH PLAN", "ACME1",
                                                         "8005551212")
    assert (r.payer_street, r.payer_street2, r.payer_city, r.payer_state, r.payer_zip) == (
        "100 MAIN ST", "SUITE 5", "SPRINGFIELD", "IL", "62701")
    assert (r.payee_name, r.payee_npi, r.payee_tax_id) == ("MAPLE GROVE FAMILY MEDICINE",
                                                           "1234567893", "991234567")
    assert [c.claim_id for c in r.claims] == ["CLM-1001", "CLM-1002", "CLM-0999", "CLM-1003"]
    assert r.segment_no == 3
    assert (r.claims_paid, r.provider_adjusted) == (Decimal("475.5"), Decimal("95.5"))


def test_a_paid_claim_with_its_service_lines() -> None:
    data = wrap(BODY)
    claim = only(data).claims[0]
    assert (claim.status, claim.charge, claim.paid, claim.patient_responsibility,
            claim.filing_indicator, claim.payer_claim_number, claim.facility_code,
            claim.frequency) == ("1", Decimal(300), Decimal(200), Decimal(40), "12", "PCN0001",
                                 "11", "1")
    assert (claim.patient_last, claim.patient_first, claim.member_id) == ("PARKER", "ROSALIND",
                                                                          "W12345")
    assert (claim.insured_member_id, claim.coverage_member_id) == ("W12300", "W12300")
    assert (claim.service_from, claim.service_to, claim.received_on) == (
        date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 15))
    assert (claim.coverage_amount, claim.interest, claim.adjustments) == (Decimal(300), None, ())
    assert claim.segment_no == position(data, "CLP*CLM-1001")
    first, second = claim.services
    assert (first.qualifier, first.code, first.modifiers, first.charge, first.paid,
            first.revenue_code, first.units_paid) == ("HC", "99213", ("25",), Decimal(180),
                                                      Decimal(120), "", Decimal(1))
    assert (first.dos_from, first.dos_to) == (date(2026, 10, 1), date(2026, 10, 1))
    assert first.adjustments == (Adjustment("CO", "45", Decimal(40)),
                                 Adjustment("PR", "1", Decimal(15)),
                                 Adjustment("PR", "2", Decimal(5)))
    assert (first.adjusted, first.patient_responsibility) == (Decimal(60), Decimal(20))
    assert (first.control_number, first.allowed, first.remarks, first.pharmacy_remarks) == (
        "LINE-1", Decimal(140), ("N130", "M15"), ())
    assert (first.submitted_qualifier, first.submitted_code, first.units_submitted) == (
        "", "", None)
    assert first.segment_no == position(data, "SVC*HC:99213")
    assert (second.revenue_code, second.submitted_qualifier, second.submitted_code,
            second.submitted_modifiers, second.units_submitted) == ("0300", "HC", "93010",
                                                                    ("26",), Decimal(2))
    assert (second.dos_from, second.dos_to) == (date(2026, 10, 1), date(2026, 10, 2))
    assert second.adjustments[0] == Adjustment("CO", "45", Decimal(20), Decimal(1))
    assert (second.allowed, second.pharmacy_remarks) == (None, ("70",))
    assert claim.adjusted == Decimal(100)
    assert (claim.processed_as, claim.forwarded, claim.is_denied, claim.is_reversal) == (
        "primary", False, False, False)


def test_a_denial_with_claim_level_adjustments_and_remarks() -> None:
    claim = only(wrap(BODY)).claims[1]
    assert (claim.is_denied, claim.processed_as, claim.paid, claim.services) == (
        True, "", Decimal(0), ())
    assert claim.adjustments == (Adjustment("CO", "29", Decimal(150)),)
    assert claim.remarks == ("MA130", "N211")
    assert claim.received_on == date(2026, 10, 16)
    assert claim.coverage_member_id == "W67890"  # no NM1*IL: the patient's own ID


def test_a_reversal_carries_negative_amounts() -> None:
    claim = only(wrap(BODY)).claims[2]
    assert (claim.is_reversal, claim.charge, claim.paid, claim.patient_responsibility) == (
        True, Decimal(-100), Decimal(-80), Decimal(-20))
    (line,) = claim.services
    assert (line.units_paid, line.adjusted, line.patient_responsibility) == (
        Decimal(-1), Decimal(-20), Decimal(-20))


def test_a_claim_forwarded_to_another_payer() -> None:
    claim = only(wrap(BODY)).claims[3]
    assert (claim.status, claim.processed_as, claim.forwarded) == ("19", "primary", True)
    assert (claim.crossover_name, claim.crossover_id) == ("STATE MEDICAID", "MCD01")
    assert (claim.priority_payer_name, claim.priority_payer_id) == ("OTHER PLAN", "OTH01")
    assert claim.corrected_member_id == "W11112"
    assert (claim.remarks, claim.interest, claim.patient_responsibility) == (
        ("N1",), Decimal("5.5"), None)


@pytest.mark.parametrize(("status", "processed_as", "forwarded"), [
    ("1", "primary", False), ("2", "secondary", False), ("3", "tertiary", False),
    ("19", "primary", True), ("20", "secondary", True), ("21", "tertiary", True),
    ("4", "", False), ("22", "", False), ("23", "", False), ("25", "", False)])
def test_claim_status_codes(status: str, processed_as: str, forwarded: bool) -> None:
    claim = ClaimPayment(claim_id="C1", status=status, charge=Decimal(1), paid=Decimal(1))
    assert (claim.processed_as, claim.forwarded) == (processed_as, forwarded)
    assert replace(claim, crossover_name="STATE MEDICAID").forwarded


def test_provider_adjustments_one_per_pair() -> None:
    data = wrap(BODY)
    assert only(data).provider_adjustments == (
        ProviderAdjustment("1234567893", date(2026, 12, 31), "L6", "INT01", Decimal("-4.5")),
        ProviderAdjustment("1234567893", date(2026, 12, 31), "WO", "OVP123", Decimal(100)))
    assert only(data).provider_adjustments[1].segment_no == position(data, "PLB")


@pytest.mark.parametrize(("payer_lines", "expected"), [
    (["N1*PR*ACME HEALTH PLAN*XV*CMSPLAN1", "REF*2U*ACME1"], "ACME1"),  # REF*2U first
    (["N1*PR*ACME HEALTH PLAN*XV*CMSPLAN1"], "CMSPLAN1"),  # then N104 when N103 is XV
    (["N1*PR*ACME HEALTH PLAN"], "512345678"),  # then TRN03 without its leading '1'
])
def test_the_payer_id_rule(payer_lines: list[str], expected: str) -> None:
    header = HEADER[:4] + payer_lines + HEADER[8:]
    assert only(wrap(header + PAID)).payer_id == expected


def test_the_phone_comes_from_the_technical_contact_without_a_business_one() -> None:
    no_cx = [h for h in HEADER if not h.startswith("PER*CX")]
    assert only(wrap(no_cx + PAID)).payer_phone == "8005559999"
    no_per = [h for h in no_cx if not h.startswith("PER*")]
    assert only(wrap(no_per + PAID)).payer_phone == ""


def test_a_payee_named_by_its_tax_id() -> None:
    header = HEADER[:-2] + ["N1*PE*MAPLE GROVE FAMILY MEDICINE*FI*991234567"]
    r = only(wrap(header + PAID))
    assert (r.payee_npi, r.payee_tax_id) == ("", "991234567")


def test_several_transactions_and_interchanges_in_one_file() -> None:
    second = wrap(HEADER + PAID, control="000000836", group="56")
    data = wrap(BODY, HEADER + PAID) + second
    found = read_835(data, "era.835")
    assert [(r.interchange_control, r.group_control, r.transaction_control, len(r.claims))
            for r in found] == [("000000835", "55", "0001", 4), ("000000835", "55", "0002", 1),
                                ("000000836", "56", "0001", 1)]


def test_an_835_of_provider_adjustments_only() -> None:
    body = [h.replace("BPR*I*380", "BPR*I*95.5") for h in HEADER] + [
        "PLB*1234567893*20261231*72:REFUND1*-95.5"]
    r = only(wrap(body))
    assert (r.claims, r.provider_adjusted, r.balance_problems()) == ((), Decimal("-95.5"), [])


# --- balancing ------------------------------------------------------------------------------------
def test_a_balanced_remittance_has_no_balance_problems() -> None:
    assert only(wrap(BODY)).balance_problems() == []


def test_the_check_total_must_match_the_claims_less_the_provider_adjustments() -> None:
    body = [BODY[0].replace("BPR*I*380*", "BPR*I*390*")] + BODY[1:]
    assert only(wrap(body)).balance_problems() == [
        "The check total is $390.00 but its claims pay $475.50 less provider adjustments of "
        "$95.50 = $380.00."]


def test_a_debit_total_counts_as_negative() -> None:
    body = [BODY[0].replace("BPR*I*380*C*", "BPR*I*380*D*")] + BODY[1:]
    assert only(wrap(body)).balance_problems()[0].startswith("The check total is -$380.00 ")


def test_unbalanced_claims_and_lines_are_named_by_position_and_figures() -> None:
    data = wrap([BODY[0].replace("BPR*I*380*", "BPR*I*390*")] + BODY[1:]).replace(
        "CAS*PR*3*20", "CAS*PR*3*25")
    r = only(data)
    clp, svc = position(data, "CLP*CLM-1001"), position(data, "SVC*HC:93000")
    assert r.balance_problems()[1:] == [
        f"Claim 1 (CLM-1001, segment {clp}) does not balance: charged $300.00, paid $200.00, a "
        "difference of $100.00, but its adjustments (CAS) add up to $105.00.",
        f"Service line 2 of claim 1 (CLM-1001, segment {svc}) does not balance: charged "
        "$120.00, paid $80.00, a difference of $40.00, but its adjustments (CAS) add up to "
        "$45.00."]
    assert not any(word in p for p in r.balance_problems() for word in PATIENT_DATA)


def test_a_claim_without_lines_or_adjustments_is_not_checked_against_its_charge() -> None:
    body = HEADER + ["LX*1", "CLP*CLM-2*1*300*250**12*PCN9*11*1",
                     "NM1*QC*1*PARKER*ROSALIND****MI*W12345"]
    r = only(wrap([body[0].replace("BPR*I*380", "BPR*I*250")] + body[1:]))
    assert r.balance_problems() == []


def test_an_unbalanced_reversal_is_reported_in_negative_figures() -> None:
    body = HEADER + ["LX*1"] + [s.replace("CAS*PR*2*-20", "CAS*PR*2*-30") for s in REVERSED]
    r = only(wrap([body[0].replace("BPR*I*380", "BPR*I*0")] + body[1:]))
    assert r.balance_problems()[0] == "The check total is $0.00 but its claims pay -$80.00 " \
                                      "less provider adjustments of $0.00 = -$80.00."
    assert "a difference of -$20.00, but its adjustments (CAS) add up to -$30.00." in \
        r.balance_problems()[1]


# --- refusing -------------------------------------------------------------------------------------
def _without(prefix: str) -> list[str]:
    return [s for s in BODY if not s.startswith(prefix)]


def _replacing(old: str, new: str) -> list[str]:
    assert old in BODY
    return [new if s == old else s for s in BODY]


BROKEN: list[tuple[str, list[str], str, str]] = [
    ("no BPR", _without("BPR"), "ST", "The 835 has no BPR"),
    ("BPR late", [BODY[1], BODY[0], *BODY[2:]], "BPR", "BPR must be the first segment after ST."),
    ("no TRN", _without("TRN"), "ST", "The 835 has no TRN"),
    ("no payee", _without("N1*PE"), "ST", "The 835 has no N1*PE"),
    ("bad BPR date", _replacing(BODY[0], BODY[0].replace("20261105", "20261131")), "BPR",
     "BPR16, the check issue or EFT effective date, is not a valid date (CCYYMMDD)."),
    ("BPR04", _replacing(BODY[0], BODY[0].replace("*ACH*", "*WIRE*")), "BPR",
     "BPR04 is not a payment method"),
    ("short CLP", _replacing("CLP*CLM-1002*4*150*0*0*12*PCN0002*11*1", "CLP*CLM-1002*4*150*0"),
     "CLP", "CLP has 4 elements; CLP01 to CLP07 are required."),
    ("CLP amount", _replacing("CLP*CLM-1002*4*150*0*0*12*PCN0002*11*1",
                              "CLP*CLM-1002*4*150*0.0.0*0*12*PCN0002*11*1"),
     "CLP", "CLP04, the claim payment, is not a number."),
    ("CLP status", _replacing("CLP*CLM-1002*4*150*0*0*12*PCN0002*11*1",
                              "CLP*CLM-1002*9*150*0*0*12*PCN0002*11*1"),
     "CLP", "CLP02 is not a claim status code"),
    ("bad DOS", _replacing("DTM*472*20261001", "DTM*472*20261341"), "DTM",
     "DTM02, the date, is not a valid date (CCYYMMDD)."),
    ("DTM qualifier", _replacing("DTM*472*20261001", "DTM*232*20261001"), "DTM",
     "DTM01 is not a date qualifier used in a service line"),
    ("SVC01 plain", _replacing("SVC*HC:99213:25*180*120**1", "SVC*99213*180*120**1"), "SVC",
     "SVC01 must be a composite"),
    ("SVC01 qualifier", _replacing("SVC*HC:99213:25*180*120**1", "SVC*ZZ:99213*180*120**1"),
     "SVC", "SVC01-1 is not a product or service ID qualifier"),
    ("SVC amount", _replacing("SVC*HC:99213:25*180*120**1", "SVC*HC:99213:25*180*"), "SVC",
     "SVC03, the line item provider payment, is missing."),
    ("CAS amount", _replacing("CAS*PR*1*15**2*5", "CAS*PR*1*15**2"), "CAS",
     "CAS06, the amount for the reason in CAS05, is missing."),
    ("CAS reason", _replacing("CAS*PR*1*15**2*5", "CAS*PR*1*15***5"), "CAS",
     "CAS06 or CAS07 is given without a reason code in CAS05."),
    ("CAS group", _replacing("CAS*CO*45*40", "CAS*XX*45*40"), "CAS",
     "CAS01 is not a claim adjustment group code"),
    ("CLP before LX", _without("LX"), "CLP",
     "CLP (a claim, loop 2100) must come after LX (loop 2000)."),
    ("SVC before CLP", _without("CLP*CLM-1001"), "SVC",
     "SVC (a service line, loop 2110) must be inside a claim, after its CLP."),
    ("NM1 after SVC", [*BODY[:21], "NM1*QC*1*PARKER*ROSALIND****MI*W12345", *BODY[21:]], "NM1",
     "NM1 cannot come in a service line (loop 2110)"),
    ("claim after PLB", HEADER + PAID + DENIED + REVERSED + PLB + FORWARDED, "CLP",
     "CLP cannot come after PLB"),
    ("unknown segment", [*BODY[:15], "HL*1**20*1", *BODY[15:]], "HL",
     "This is not a segment an 835 uses."),
    ("no patient", _without("NM1*QC*1*ONEIL"), "CLP", "This claim (CLP) has no NM1*QC"),
    ("empty LX", [*BODY[:12], "LX*1", *BODY[12:]], "LX", "This LX (loop 2000) has no claim"),
    ("PLB amount", _replacing(PLB[0], "PLB*1234567893*20261231*L6:INT01*-4.5*WO:OVP123"),
     "PLB", "PLB06, the amount for PLB05, is missing."),
    ("PLB date", _replacing(PLB[0], "PLB*1234567893**L6:INT01*-4.5"), "PLB",
     "PLB02, the fiscal period date, is missing."),
    ("LQ qualifier", _replacing("LQ*HE*M15", "LQ*XX*M15"), "LQ", "LQ01 must be HE"),
    ("second NM1*QC", [*BODY[:15], "NM1*QC*1*DOE*JANE****MI*W55555", *BODY[15:]], "NM1",
     "A second NM1*QC in one claim."),
]


@pytest.mark.parametrize(("label", "body", "segment_id", "message"), BROKEN,
                         ids=[b[0] for b in BROKEN])
def test_structural_problems_are_refused_with_the_segment_named(
        label: str, body: list[str], segment_id: str, message: str) -> None:
    data = wrap(body)
    found = problems(refused(data))
    assert any(sid == segment_id and message in text for _n, sid, text in found), found
    n = next(n for n, sid, text in found if sid == segment_id and message in text)
    if segment_id == "ST":
        assert n == 3
    else:
        assert data.split("~")[n - 1].strip().startswith(segment_id)


def test_every_problem_is_collected_in_file_order() -> None:
    body = _replacing("DTM*472*20261001", "DTM*472*2026")
    body = [s if s != "CAS*CO*45*40" else "CAS*CO*45*FORTY" for s in body]
    data = wrap(body)
    found = problems(refused(data))
    assert [(n, sid) for n, sid, _m in found] == [(position(data, "DTM*472*2026"), "DTM"),
                                                  (position(data, "CAS*CO*45*FORTY"), "CAS")]
    assert found[1][2] == "CAS03, the amount for the reason in CAS02, is not a number."


def test_envelope_problems_are_refused() -> None:
    found = problems(refused(wrap(BODY, se_count=12)))
    assert found[0][1:] == ("SE", f"SE01 gives 12 segments; there are {len(BODY) + 2}.")


@pytest.mark.parametrize(("code", "version", "words"), [
    ("837", "005010X222A1", "This is an 837 claim, not an 835 remittance advice."),
    ("999", "005010X231A1", "import it as a 999"),
    ("835", "004010X091A1", "older 4010 version"),
    ("835", "005010X999", "not the 005010X221A1 remittance advice"),
    ("27*", "005010X221A1", "blank or unreadable"),
])
def test_a_transaction_that_is_not_a_5010_835_is_refused(code: str, version: str,
                                                         words: str) -> None:
    tx = Transaction(code, "0001", version, (), 3)
    assert words in wrong_kind(tx)
    if code != "27*":
        found = problems(refused(wrap(BODY, code=code, version=version)))
        assert found[0][:2] == (3, "ST") and words in found[0][2]


def test_the_5010_835_is_its_own_kind() -> None:
    for version in ("005010X221A1", "005010X221", ""):
        assert wrong_kind(Transaction("835", "0001", version, (), 3)) == ""


def test_a_file_without_transactions_is_refused() -> None:
    data = "~\n".join([ISA.format(control="000000835"), "IEA*0*000000835"]) + "~\n"
    assert "holds no 835 transaction" in str(refused(data))


def test_every_object_read_is_a_whole_frozen_dataclass() -> None:
    """The reader builds its objects without __init__ (for speed): each must have every field
    and equal the same object built through __init__, and stay immutable."""
    r = only(wrap(BODY))
    built: list[Any] = [r, *r.provider_adjustments]
    for claim in r.claims:
        built += [claim, *claim.adjustments]
        for line in claim.services:
            built += [line, *line.adjustments]
    for obj in built:
        assert set(vars(obj)) == {f.name for f in fields(obj)}
        assert replace(obj) == obj and hash(replace(obj)) == hash(obj)
    with pytest.raises(FrozenInstanceError):
        r.claims[0].services[0].paid = Decimal(0)  # type: ignore[misc]


def test_patient_data_stays_out_of_reprs() -> None:
    claim = only(wrap(BODY)).claims[0]
    assert not any(word in repr(claim) for word in ("PARKER", "ROSALIND", "W12345", "W12300"))


# --- writing --------------------------------------------------------------------------------------
ENV = Envelope("ZZ", "ACMEHEALTH", "ZZ", "MAPLEGROVE", 835, 55, 1, usage="T",
               created=datetime(2026, 11, 5, 9, 0))


def as_written(remittances: list[Remittance], env: Envelope = ENV,
               name: str = "out.835") -> list[Remittance]:
    """What reading `build_835(remittances, env)` must give: the same remittances with the
    envelope's values."""
    return [replace(r, filename=name, interchange_control=f"{env.interchange_control:09d}",
                    group_control=str(env.group_control),
                    transaction_control=f"{env.transaction_control + n:04d}",
                    sender_id=env.sender_id, receiver_id=env.receiver_id)
            for n, r in enumerate(remittances)]


def pyx12_problems(text: str) -> list[str]:
    """Every error pyx12 reports for the file (codes and its own words), [] when clean."""
    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # it logs each error with the value
    valid = pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), io.StringIO(text),
                                              None, None, fd_json=out)
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(f"{e['err_cde']}: {e['err_str']}" for e in node.get("errors") or [])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(out.getvalue()))
    return found or ([] if valid else ["pyx12 found the file invalid"])


def test_what_the_writer_writes_reads_back_equal() -> None:
    original = only(wrap(BODY))
    text = build_835([original], ENV)
    assert read_835(text, "out.835") == as_written([original])


def test_the_writer_output_validates_with_pyx12() -> None:
    original = only(wrap(BODY))
    many = tuple(Adjustment("CO", str(n), Decimal(n)) for n in range(1, 8))
    # Six pairs, one PLB: pyx12's map wraps PLB in a FOOTER loop that may occur once, so it
    # refuses a second PLB segment although 005010X221A1 lets PLB repeat (checked by the
    # round trip below instead).
    plb = tuple(ProviderAdjustment("1234567893", date(2026, 12, 31), "WO", f"OVP{n}",
                                   Decimal(n)) for n in range(1, 7))
    claim = replace(original.claims[1], adjustments=many)
    crowded = replace(original, claims=(claim, *original.claims[2:]), provider_adjustments=plb)
    assert pyx12_problems(build_835([original, crowded], ENV)) == []


def test_the_writer_lays_out_the_envelope_and_the_loops() -> None:
    original = only(wrap(BODY))
    lines = build_835([original, original], ENV).split("~\n")
    assert lines[1] == "GS*HP*ACMEHEALTH*MAPLEGROVE*20261105*0900*55*X*005010X221A1"
    sts = [ln for ln in lines if ln.startswith(("ST*", "SE*", "GE*", "IEA*"))]
    body = lines.index("ST*835*0002") - lines.index("ST*835*0001") - 2
    assert sts == ["ST*835*0001", f"SE*{body + 2}*0001", "ST*835*0002", f"SE*{body + 2}*0002",
                   "GE*2*55", "IEA*1*000000835"]
    assert lines[3:5] == ["BPR*I*380*C*ACH************20261105",
                          "TRN*1*EFT0001234*1512345678"]
    assert "CAS*PR*1*15**2*5" in lines and "SVC*HC:93000*120*80*0300*1*HC:93010:26*2" in lines
    assert "PLB*1234567893*20261231*L6:INT01*-4.5*WO:OVP123*100" in lines
    assert "NM1*TT*2*STATE MEDICAID*****PI*MCD01" in lines and "MOA***MA130*N211" in lines


def test_more_than_six_adjustments_take_more_cas_and_plb_segments() -> None:
    original = only(wrap(BODY))
    many = tuple(Adjustment("CO", str(n), Decimal(n)) for n in range(1, 8))
    claim = replace(original.claims[1], adjustments=many, charge=Decimal(28))
    plb = tuple(ProviderAdjustment("1234567893", date(2026, 12, 31), "WO", f"OVP{n}",
                                   Decimal(n)) for n in range(1, 8))
    plb += (ProviderAdjustment("1234567893", date(2025, 12, 31), "FB", "", Decimal(-1)),)
    changed = replace(original, claims=(claim,), provider_adjustments=plb,
                      total_paid=Decimal(-27))
    text = build_835([changed], ENV)
    assert "CAS*CO*1*1**2*2**3*3**4*4**5*5**6*6~" in text and "CAS*CO*7*7~" in text
    assert [ln for ln in text.split("~\n") if ln.startswith("PLB")] == [
        "PLB*1234567893*20261231*WO:OVP1*1*WO:OVP2*2*WO:OVP3*3*WO:OVP4*4*WO:OVP5*5*WO:OVP6*6",
        "PLB*1234567893*20261231*WO:OVP7*7", "PLB*1234567893*20251231*FB*-1"]
    back = read_835(text, "out.835")
    assert back == as_written([changed]) and back[0].balance_problems() == []


def test_amounts_are_written_without_exponents_or_trailing_zeros() -> None:
    assert [amount(Decimal(v)) for v in ("12.50", "1E+2", "-0.00", "0", "-9", "0.05")] == [
        "12.5", "100", "0", "0", "-9", "0.05"]
    with pytest.raises(TypeError):
        amount(12.5)  # type: ignore[arg-type]


def test_the_writer_refuses_what_cannot_make_a_valid_835() -> None:
    original = only(wrap(BODY))
    with pytest.raises(ValidationError):
        build_835([original], replace(ENV, sender_id=""))
    with pytest.raises(ValueError, match=r"needs N3 \(payer street\), PER\*BL \(payer phone\)"):
        build_835([replace(original, payer_street="", payer_phone="")], ENV)
    with pytest.raises(ValueError, match="payee needs an NPI or a tax ID"):
        build_835([replace(original, payee_npi="", payee_tax_id="")], ENV)
    with pytest.raises(ValueError, match="at most five remark codes"):
        claim = replace(original.claims[0], remarks=("M1", "M2", "M3", "M4", "M5", "M6"))
        build_835([replace(original, claims=(claim,))], ENV)
    with pytest.raises(ValueError, match="fiscal period date"):
        plb = replace(original.provider_adjustments[0], fiscal_period_end=None)
        build_835([replace(original, provider_adjustments=(plb,))], ENV)
    with pytest.raises(ValueError, match="at least one remittance"):
        build_835([], ENV)


# A property: any remittance the strategies below can make is written and read back equal.
_WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
_TEXT = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)
_ID = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)
_CODE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=5)
_MONEY = st.decimals(min_value=-99999, max_value=99999, places=2, allow_nan=False)
_UNITS = st.none() | st.decimals(min_value=0, max_value=999, places=1, allow_nan=False)
_DAY = st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
_ADJUSTMENT = st.builds(Adjustment, st.sampled_from(["CO", "PR", "OA", "PI"]), _CODE, _MONEY,
                        _UNITS)
_ADJUSTMENTS = st.lists(_ADJUSTMENT, max_size=8).map(tuple)


@st.composite
def _services(draw: st.DrawFn) -> ServicePayment:
    submitted = draw(st.booleans())
    return ServicePayment(
        qualifier=draw(st.sampled_from(["HC", "AD", "N4"])), code=draw(_CODE),
        modifiers=tuple(draw(st.lists(_CODE, max_size=4))), charge=draw(_MONEY),
        paid=draw(_MONEY), revenue_code=draw(st.sampled_from(["", "0300"])),
        units_paid=draw(_UNITS), submitted_qualifier="HC" if submitted else "",
        submitted_code=draw(_CODE) if submitted else "",
        submitted_modifiers=tuple(draw(st.lists(_CODE, max_size=4))) if submitted else (),
        units_submitted=draw(_UNITS), dos_from=draw(_DAY), dos_to=draw(_DAY),
        control_number=draw(st.sampled_from(["", "L1"])), allowed=draw(st.none() | _MONEY),
        adjustments=draw(_ADJUSTMENTS), remarks=tuple(draw(st.lists(_CODE, max_size=3))),
        pharmacy_remarks=tuple(draw(st.lists(_CODE, max_size=2))))


@st.composite
def _claims(draw: st.DrawFn) -> ClaimPayment:
    crossover = draw(st.booleans())
    return ClaimPayment(
        claim_id=draw(_ID), status=draw(st.sampled_from(sorted(
            ["1", "2", "3", "4", "19", "20", "21", "22", "23", "25"]))),
        charge=draw(_MONEY), paid=draw(_MONEY), patient_responsibility=draw(st.none() | _MONEY),
        filing_indicator=draw(st.sampled_from(["12", "MB", "CI"])), payer_claim_number=draw(_ID),
        facility_code=draw(st.sampled_from(["", "11"])),
        frequency=draw(st.sampled_from(["", "1", "7"])), patient_last=draw(_TEXT),
        patient_first=draw(st.just("") | _TEXT), member_id=draw(st.just("") | _ID),
        insured_member_id=draw(st.just("") | _ID), corrected_member_id=draw(st.just("") | _ID),
        crossover_name=draw(_TEXT) if crossover else "",
        crossover_id=draw(_ID) if crossover else "",
        priority_payer_name="OTHER PLAN" if draw(st.booleans()) else "",
        priority_payer_id="", received_on=draw(_DAY), service_from=draw(_DAY),
        service_to=draw(_DAY), coverage_amount=draw(st.none() | _MONEY),
        interest=draw(st.none() | _MONEY), adjustments=draw(_ADJUSTMENTS),
        remarks=tuple(draw(st.lists(_CODE, max_size=5))),
        services=tuple(draw(st.lists(_services(), max_size=3))))


@st.composite
def _remittances(draw: st.DrawFn) -> Remittance:
    npi = draw(st.just("") | st.just("1234567893"))
    return Remittance(
        handling=draw(st.sampled_from(["I", "C", "H"])), total_paid=draw(_MONEY),
        credit_debit=draw(st.sampled_from(["C", "D"])),
        method=draw(st.sampled_from(["CHK", "ACH", "NON"])), paid_on=draw(_DAY),
        trace_number=draw(_ID), trace_payer_id="1512345678", payer_name=draw(_TEXT),
        payer_id=draw(_ID), payer_street=draw(_TEXT), payer_street2=draw(st.just("") | _TEXT),
        payer_city=draw(_TEXT), payer_state="IL", payer_zip="62701",
        payer_phone=draw(st.sampled_from(["8005551212", "9005555555"])), payee_name=draw(_TEXT),
        payee_npi=npi, payee_tax_id=draw(st.just("991234567") if not npi else
                                         st.just("") | st.just("991234567")),
        production_date=draw(_DAY), claims=tuple(draw(st.lists(_claims(), max_size=3))),
        provider_adjustments=tuple(draw(st.lists(st.builds(
            ProviderAdjustment, st.just("1234567893"),
            st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
            st.sampled_from(["WO", "L6", "FB", "72", "CS", "J1"]), st.just("") | _ID, _MONEY),
            max_size=8))))


@settings(max_examples=60, deadline=None)
@given(st.lists(_remittances(), min_size=1, max_size=2))
def test_any_remittance_reads_back_equal(remittances: list[Remittance]) -> None:
    text = build_835(remittances, ENV)
    assert read_835(text, "out.835") == as_written(remittances)
