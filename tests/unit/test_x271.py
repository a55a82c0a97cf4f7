"""The 271 response (005010X279A1) as read by app.formats.x12.x271: active coverage with
individual and family deductibles (total and remaining), co-insurance and co-pays per service
type, inactive coverage, AAA rejections with plain messages, several subscribers, a dependent,
payer- and receiver-level rejections, other delimiters, the JSON and the clerk's summary; and
malformed files refused with every bad segment named and no patient data in the message."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from app.formats.x12 import codes
from app.formats.x12.segments import X12Error
from app.formats.x12.x271 import (
    EligibilityResponse,
    parse_271,
    summary_lines,
    to_json,
)

ISA = ("ISA*00*          *00*          *ZZ*PAYERSUBMIT    *ZZ*SUBMITTER1     *261128*1015*^*"
       "00501*000000777*0*P*:")
TOP = ["BHT*0022*11*RESP1*20261128*1015", "HL*1**20*1",
       "NM1*PR*2*ACME HEALTH*****PI*ACME1",
       "PER*IC*PROVIDER SERVICES*TE*8005550100*UR*ACME.EXAMPLE",
       "HL*2*1*21*1", "NM1*1P*2*MAPLE GROVE FAMILY MEDICINE*****XX*1234567893"]

ACTIVE = [
    "HL*3*2*22*0", "TRN*2*000000042001*1123456789", "TRN*1*PAYER-77*9ACMEHEALT",
    "NM1*IL*1*PARKER*ROSALIND*Q***MI*W12345", "REF*6P*G-100*GOLD GROUP", "REF*18*PLAN9",
    "N3*12 ELM ST*APT 4", "N4*SPRINGFIELD*IL*627011234", "DMG*D8*19800304*F", "INS*Y*18*001*25",
    "DTP*346*D8*20260101", "DTP*291*RD8*20260101-20261231",
    "EB*1*IND*30*C1*GOLD PPO",
    "EB*C*IND*30***23*1500*****Y", "EB*C*IND*30***29*1200*****Y",
    "EB*C*FAM*30***23*3000*****Y", "EB*C*FAM*30***29*2750.50*****Y",
    "EB*G*IND*30***23*6000*****Y", "EB*G*IND*30***24*450*****Y",
    "EB*A*IND*98***27**0.2****Y", "EB*A*IND*98***27**.4****N",
    "EB*B*IND*98***27*25*****Y", "MSG*PRIMARY CARE VISITS ONLY",
    "EB*B*IND*UC^86***27*75*****Y",
    "EB*F*IND*PT***23***VS*20*Y", "HSD*VS*20***23", "DTP*348*D8*20260101",
    "EB*B*IND*30***27*40******HC:99213:25", "AAA*Y**AG*C",
    "EB*R**30*MB", "LS*2120", "NM1*PRP*2*MEDICARE PART B*****PI*CMSB",
    "PER*IC**TE*8005550199", "LE*2120",
]


def wrap(*bodies: list[str], isa: str = ISA, control: str = "000000777",
         code: str = "271", end: str = "~\n") -> str:
    """An interchange around hand-written transaction bodies, counts right."""
    segs = [isa, "GS*HB*PAYERSUBMIT*SUBMITTER1*20261128*1015*55*X*005010X279A1"]
    for n, body in enumerate(bodies, start=1):
        segs += [f"ST*{code}*{n:04d}*005010X279A1", *body, f"SE*{len(body) + 2}*{n:04d}"]
    segs += [f"GE*{len(bodies)}*55", f"IEA*1*{control}"]
    return end.join(segs) + end


def only(data: str) -> EligibilityResponse:
    (r,) = parse_271(data.encode("ascii"), "a.271").responses
    return r


# --- shapes ------------------------------------------------------------------------------------
def test_an_active_subscriber_with_every_field() -> None:
    r = only(wrap(TOP + ACTIVE))
    assert (r.level, r.position, r.payer_name, r.payer_id) == ("subscriber", 10, "ACME HEALTH",
                                                               "ACME1")
    assert (r.receiver_name, r.receiver_id) == ("MAPLE GROVE FAMILY MEDICINE", "1234567893")
    assert r.our_traces == ("000000042001",)
    assert r.echoed_traces == (("000000042001", "1123456789"),)
    assert r.payer_traces == (("PAYER-77", "9ACMEHEALT"),)
    assert (r.last_name, r.first_name, r.middle_name, r.member_id) == ("PARKER", "ROSALIND", "Q",
                                                                      "W12345")
    assert r.subscriber_member_id == "W12345" and r.group_number == "G-100"
    assert [(x.qualifier, x.value, x.description) for x in r.refs] == [
        ("6P", "G-100", "GOLD GROUP"), ("18", "PLAN9", "")]
    assert (r.address1, r.address2, r.city, r.state, r.zip) == ("12 ELM ST", "APT 4",
                                                               "SPRINGFIELD", "IL", "627011234")
    assert (r.dob, r.sex, r.relationship, r.identity_corrected) == (date(1980, 3, 4), "F", "18",
                                                                    True)
    assert [(d.qualifier, d.start, d.end) for d in r.dates] == [
        ("346", date(2026, 1, 1), None), ("291", date(2026, 1, 1), date(2026, 12, 31))]
    assert r.active is True and r.rejections == ()
    assert r.payer_contacts[0].numbers == (("TE", "8005550100"), ("UR", "ACME.EXAMPLE"))
    assert len(r.benefits) == 14


def test_deductibles_individual_and_family_total_and_remaining() -> None:
    r = only(wrap(TOP + ACTIVE))
    ded = [(b.coverage_level, b.time_period, b.amount, b.in_network) for b in r.benefits
           if b.code == "C"]
    assert ded == [("IND", "23", Decimal("1500"), "Y"), ("IND", "29", Decimal("1200"), "Y"),
                   ("FAM", "23", Decimal("3000"), "Y"), ("FAM", "29", Decimal("2750.50"), "Y")]
    assert all(isinstance(b.amount, Decimal) for b in r.benefits if b.amount is not None)
    summary = summary_lines(r)
    assert ("Deductible, health benefit plan coverage (30), individual, in network: 1,500.00 per "
            "calendar year; remaining 1,200.00") in summary
    assert ("Deductible, health benefit plan coverage (30), family, in network: 3,000.00 per "
            "calendar year; remaining 2,750.50") in summary
    assert ("Out of pocket (stop loss), health benefit plan coverage (30), individual, in "
            "network: 6,000.00 per calendar year; met 450.00 so far this year") in summary


def test_coinsurance_and_copays_per_service_type() -> None:
    r = only(wrap(TOP + ACTIVE))
    coins = [b for b in r.benefits if b.code == "A"]
    assert [(b.percent_decimal, b.percent, b.in_network) for b in coins] == [
        (Decimal("0.2"), Decimal("20"), "Y"), (Decimal(".4"), Decimal("40"), "N")]
    copays = [(b.service_types, b.amount, b.messages) for b in r.benefits if b.code == "B"]
    assert copays == [(("98",), Decimal("25"), ("PRIMARY CARE VISITS ONLY",)),
                      (("UC", "86"), Decimal("75"), ()), (("30",), Decimal("40"), ())]
    summary = summary_lines(r)
    assert ("Co-insurance, physician visit - office (98), individual, in network: 20% per "
            "visit") in summary
    assert ("Co-payment, physician visit - office (98), individual, in network: 25.00 per "
            "visit") in summary
    assert ("Co-payment, urgent care (UC), emergency services (86), individual, in network: "
            "75.00 per visit") in summary
    assert "  Note: PRIMARY CARE VISITS ONLY" in summary


def test_limitations_procedures_benefit_rejections_and_related_entities() -> None:
    r = only(wrap(TOP + ACTIVE))
    limit = next(b for b in r.benefits if b.code == "F")
    assert (limit.quantity_qualifier, limit.quantity, limit.auth_required) == ("VS",
                                                                               Decimal("20"),
                                                                               "Y")
    (hsd,) = limit.deliveries
    assert (hsd.quantity_qualifier, hsd.quantity, hsd.time_period) == ("VS", Decimal("20"), "23")
    assert [(d.qualifier, d.start) for d in limit.dates] == [("348", date(2026, 1, 1))]
    proc = next(b for b in r.benefits if b.procedure)
    assert (proc.procedure, proc.procedure_parts) == ("HC:99213:25", ("HC", "99213", "25"))
    (rej,) = proc.rejections
    assert (rej.level, rej.reason_code, rej.follow_up) == ("benefit", "AG", "C")
    other = r.benefits[-1]
    assert (other.code, other.insurance_type) == ("R", "MB")
    (entity,) = other.entities
    assert (entity.code, entity.name, entity.id_qualifier, entity.id) == (
        "PRP", "MEDICARE PART B", "PI", "CMSB")
    assert entity.contacts[0].numbers == (("TE", "8005550199"),)
    summary = summary_lines(r)
    assert "Limitations, physical therapy (PT), individual: 20 visits per calendar year; " \
           "authorization required" in summary
    assert "  Primary payer: MEDICARE PART B" in summary
    assert "Active coverage — Health benefit plan coverage (30), individual, Commercial, " \
           "GOLD PPO" in summary


def test_inactive_coverage() -> None:
    body = ["HL*3*2*22*0", "TRN*2*T9*1123456789", "NM1*IL*1*PARKER*ROSALIND****MI*W12345",
            "DTP*357*D8*20251231", "EB*6**30"]
    r = only(wrap(TOP + body))
    assert r.active is False
    assert [(b.code, b.service_types) for b in r.benefits] == [("6", ("30",))]
    assert summary_lines(r) == ["Eligibility end: 12/31/2025",
                                "Inactive — Health benefit plan coverage (30)"]


def test_subscriber_rejections_carry_plain_messages() -> None:
    body = ["HL*3*2*22*0", "TRN*2*T1*1123456789", "NM1*IL*1*PARKER*ROSALIND****MI*W12345",
            "AAA*Y**72*C", "HL*4*2*22*0", "TRN*2*T2*1123456789", "NM1*IL*1*GRANT*ADA",
            "AAA*N**75*C", "DMG*D8*19700101"]
    first, second = parse_271(wrap(TOP + body), "r.271").responses
    (r72,) = first.rejections
    assert (r72.level, r72.valid_request, r72.reason_code, r72.follow_up) == (
        "subscriber", "Y", "72", "C")
    assert r72.message == ("The payer does not recognise the member ID. Check the insurance card "
                           "and correct the member ID on the coverage.")
    assert r72.reason == "Invalid/missing subscriber/insured ID"
    (r75,) = second.rejections
    assert r75.reason_code == "75" and "cannot find the subscriber" in r75.message
    assert first.active is None and second.benefits == ()
    assert summary_lines(first) == [
        "Rejected by the payer (code 72): " + r72.message +
        " Payer's advice: Please correct and resubmit."]


def test_an_unknown_reject_code_shows_the_code() -> None:
    body = ["HL*3*2*22*0", "NM1*IL*1*PARKER", "AAA*N**Q9*C"]
    (x,) = only(wrap(TOP + body)).rejections
    assert "code Q9" in x.message and x.reason == "code Q9"


def test_several_subscribers_transactions_and_interchanges() -> None:
    one = ["HL*3*2*22*0", "TRN*2*T1*1123456789", "NM1*IL*1*A*B****MI*M1", "EB*1**30",
           "HL*4*2*22*0", "TRN*2*T2*1123456789", "NM1*IL*1*C*D****MI*M2", "EB*6**30"]
    two = ["HL*3*2*22*0", "TRN*2*T3*1123456789", "NM1*IL*1*E*F****MI*M3", "EB*1**30"]
    second_isa = ISA.replace("000000777", "000000778")
    data = wrap(TOP + one, TOP + two) + wrap(TOP + two, isa=second_isa, control="000000778")
    parsed = parse_271(data.encode("ascii"), "many.271")
    assert parsed.controls == ("000000777", "000000778")
    assert [(r.our_traces, r.member_id, r.active) for r in parsed.responses] == [
        (("T1",), "M1", True), (("T2",), "M2", False), (("T3",), "M3", True),
        (("T3",), "M3", True)]


def test_a_dependent_answer() -> None:
    body = ["HL*3*2*22*1", "NM1*IL*1*DOE*JAN****MI*D999", "HL*4*3*23*0",
            "TRN*2*000000042002*1123456789", "NM1*03*1*DOE*KIM", "DMG*D8*20150102*F",
            "INS*N*19", "DTP*346*D8*20260101", "EB*1*FAM*30", "EB*B*FAM*98***27*20*****Y"]
    subscriber, dependent = parse_271(wrap(TOP + body), "dep.271").responses
    assert (subscriber.level, subscriber.has_dependents, subscriber.benefits) == (
        "subscriber", True, ())
    assert (dependent.level, dependent.relationship, dependent.dob) == ("dependent", "19",
                                                                      date(2015, 1, 2))
    assert (dependent.member_id, dependent.subscriber_member_id) == ("", "D999")
    assert dependent.our_traces == ("000000042002",) and dependent.active is True
    assert dependent.payer_id == "ACME1" and dependent.receiver_id == "1234567893"
    assert summary_lines(subscriber) == [
        "The subscriber of the dependent(s) below; the answer is given for them."]


def test_payer_and_receiver_rejections_with_nobody_under_them() -> None:
    receiver_only = TOP[:-2] + ["HL*2*1*21*0", TOP[-1], "AAA*Y**50*N"]
    (r,) = parse_271(wrap(receiver_only), "p.271").responses
    assert (r.level, r.is_person) == ("receiver", False)
    assert [(x.level, x.reason_code) for x in r.rejections] == [("receiver", "50")]
    source_only = ["BHT*0022*11*R*20261128*1015", "HL*1**20*0", "AAA*Y**42*R",
                   "NM1*PR*2*ACME HEALTH*****PI*ACME1", "AAA*Y**80*P"]
    (s,) = parse_271(wrap(source_only), "s.271").responses
    assert s.level == "source" and [x.reason_code for x in s.rejections] == ["42", "80"]


def test_payer_rejection_above_subscribers_reaches_each_of_them() -> None:
    body = TOP[:3] + ["AAA*Y**42*R"] + TOP[3:] + ["HL*3*2*22*0", "NM1*IL*1*A"]
    (r,) = parse_271(wrap(body), "q.271").responses
    assert [(x.level, x.reason_code) for x in r.rejections] == [("source", "42")]


def test_other_delimiters_and_repetition_separator() -> None:
    isa = ISA.replace("*", "|").replace("|^|", "|>|").replace("|:", "|<")
    body = [s.replace("*", "|").replace("^", ">").replace(":", "<") for s in TOP + ACTIVE]
    raw = wrap(body, isa=isa, end="\n").replace("*", "|")
    r = only(raw)
    assert next(b for b in r.benefits if b.amount == Decimal("75")).service_types == ("UC", "86")
    assert next(b for b in r.benefits if b.procedure).procedure == "HC:99213:25"
    assert r.our_traces == ("000000042001",)


def test_json_is_complete_and_serialisable() -> None:
    parsed = parse_271(wrap(TOP + ACTIVE).encode("ascii"), "j.271")
    out = json.loads(json.dumps(to_json(parsed)))
    assert out["file"] == "j.271" and out["interchanges"][0]["control"] == "000000777"
    (resp,) = out["responses"]
    assert resp["name"] == {"last": "PARKER", "first": "ROSALIND", "middle": "Q", "suffix": ""}
    assert (resp["member_id"], resp["dob"], resp["active"]) == ("W12345", "1980-03-04", True)
    assert resp["traces"][0] == {"type": "2", "trace": "000000042001",
                                 "company_id": "1123456789", "reference": ""}
    coins = next(b for b in resp["benefits"] if b["code"] == "A")
    assert (coins["percent_decimal"], coins["percent"], coins["meaning"]) == ("0.2", "20",
                                                                              "Co-insurance")
    deductible = resp["benefits"][1]
    assert deductible["amount"] == "1500" and deductible["time_period_words"] == \
        "per calendar year"
    assert deductible["service_types"] == [{"code": "30",
                                            "meaning": "Health benefit plan coverage"}]
    proc = next(b for b in resp["benefits"] if b["procedure"])
    assert proc["rejections"][0]["code"] == "AG" and proc["rejections"][0]["message"]
    assert resp["dates"][1] == {"qualifier": "291", "meaning": "plan", "start": "2026-01-01",
                                "end": "2026-12-31"}
    assert resp["summary"] == summary_lines(parsed.responses[0])
    keys = set(deductible)
    assert {"coverage_level", "insurance_type", "plan_description", "quantity_qualifier",
            "quantity", "authorization_required", "in_network", "deliveries", "refs",
            "messages", "entities"} <= keys


def test_codes_cover_the_lists_the_brief_names() -> None:
    for code in ("1", "6", "A", "B", "C", "G", "F", "D", "I", "CB", "N"):
        assert code in codes.ELIGIBILITY_CODES
    for st in ("1", "30", "33", "35", "47", "48", "50", "86", "88", "98", "AL", "BZ", "MH", "UC"):
        assert st in codes.SERVICE_TYPES
    assert len(codes.SERVICE_TYPES) == 187  # the whole 005010 list, no more
    assert set(codes.REJECT_MESSAGES) == set(codes.REJECT_REASONS)
    assert codes.words(codes.TIME_PERIODS, "99") == "code 99"


# --- malformed files ---------------------------------------------------------------------------
PRIVATE = ("PARKER", "ROSALIND", "W12345", "19800304", "12 ELM")


def problems_of(raw: str) -> list[tuple[int, str, str]]:
    with pytest.raises(X12Error) as caught:
        parse_271(raw.encode("ascii"), "bad.271")
    for private in PRIVATE:
        assert private not in str(caught.value)
    return [(p.segment_no, p.segment_id, p.message) for p in caught.value.problems]


def test_a_bad_date_names_its_segment() -> None:
    body = ACTIVE.copy()
    body[body.index("DTP*346*D8*20260101")] = "DTP*346*D8*20261301"
    ((no, seg_id, message),) = problems_of(wrap(TOP + body))
    assert (no, seg_id) == (20, "DTP") and "not a valid date" in message


def test_a_bad_date_of_birth_and_number_are_named() -> None:
    body = ACTIVE.copy()
    body[body.index("DMG*D8*19800304*F")] = "DMG*D8*1980-03-04*F"
    body[body.index("EB*C*IND*30***23*1500*****Y")] = "EB*C*IND*30***23*1,500*****Y"
    found = problems_of(wrap(TOP + body))
    assert [(no, seg_id) for no, seg_id, _ in found] == [(18, "DMG"), (23, "EB")]
    assert "DMG02" in found[0][2] and "EB07 is not a number" in found[1][2]


def test_an_se_count_that_is_wrong() -> None:
    raw = wrap(TOP + ACTIVE).replace(f"SE*{len(TOP + ACTIVE) + 2}*0001",
                                     f"SE*{len(TOP + ACTIVE)}*0001")
    ((no, seg_id, message),) = problems_of(raw)
    assert (no, seg_id) == (len(TOP + ACTIVE) + 4, "SE") and "SE01" in message


def test_an_eb_before_any_subscriber() -> None:
    ((no, seg_id, message),) = problems_of(wrap(TOP + ["EB*1**30"]))
    assert (no, seg_id) == (10, "EB") and "before any subscriber" in message


def test_an_hl_whose_parent_does_not_exist() -> None:
    ((no, seg_id, message),) = problems_of(wrap(TOP + ["HL*3*9*22*0", "NM1*IL*1*PARKER"]))
    assert (no, seg_id) == (10, "HL") and "parent HL that does not exist" in message


def test_a_270_is_not_a_271() -> None:
    ((no, seg_id, message),) = problems_of(wrap(TOP, code="270"))
    assert (no, seg_id) == (3, "ST") and "not a 271" in message


def test_ls_without_le() -> None:
    body = ["HL*3*2*22*0", "NM1*IL*1*PARKER", "EB*L", "LS*2120", "NM1*P3*1*LEE*ADA",
            "EB*1**30"]
    ((no, seg_id, message),) = problems_of(wrap(TOP + body))
    assert (no, seg_id) == (13, "LS") and "no LE" in message


def test_every_problem_is_listed_in_one_error() -> None:
    body = ["EB*1**30", "HL*3*2*22*0", "NM1*IL*1*PARKER", "DTP*346*D8*2026", "HL*4*8*22*0"]
    raw = wrap(TOP + body).replace("GE*1*55", "GE*1*56")
    found = [(no, seg_id) for no, seg_id, _ in problems_of(raw)]
    assert found == [(10, "EB"), (13, "DTP"), (14, "HL"), (16, "GE")]


def test_a_file_without_transactions() -> None:
    raw = "~\n".join([ISA, "GS*HB*P*S*20261128*1015*55*X*005010X279A1", "GE*0*55",
                      "IEA*1*000000777"]) + "~"
    ((no, _seg_id, message),) = problems_of(raw)
    assert no == 0 and "no transaction" in message
