"""005010X279A1 codecs (app.formats.x12): segments and envelopes with any delimiters, the 270
checked segment by segment and read back, and 271s of several shapes; malformed files name
the segment."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from app.errors import ValidationError
from app.formats.x12.segments import Envelope, X12Error, interchanges, read_segments, x12_text
from app.formats.x12.x270 import EligibilityRequest, Person, Receiver, build_270
from app.formats.x12.x271 import parse_271, summary_lines, to_json

NPI = "1234567893"
ENV = Envelope("ZZ", "991234567", "ZZ", "CLEARINGHOUSE", 42, 7, 1,
               created=datetime(2026, 11, 28, 9, 30))
RECEIVER = Receiver("Maple Grove Family Medicine", NPI, "991234567")
SELF_REQ = EligibilityRequest("000000042001", "Acme Health", "ACME1",
                              Person("O'Neil", "Zoë", "", date(1980, 3, 4), "F"), "w123",
                              date(2026, 12, 1), "G-100")
CHILD_REQ = EligibilityRequest("000000042002", "Acme Health", "ACME1",
                               Person("Doe", "Jan", "", date(1975, 5, 5), "M"), "D999",
                               date(2026, 12, 1), "", Person("Doe", "Kim", "",
                                                              date(2015, 1, 2), "F"), "19")


def segments_of(data: bytes) -> list[list[str]]:
    _d, segs = read_segments(data, "t.270")
    return [[s.id, *s.elements] for s in segs]


# --- the 270 -------------------------------------------------------------------------------------
def test_270_for_a_subscriber_segment_by_segment() -> None:
    data = build_270([SELF_REQ], RECEIVER, ENV)
    text = data.decode()
    assert len(text.split("\n")[0]) == 106 and text.startswith("ISA*00*")
    segs = segments_of(data)
    isa = segs[0]
    assert (isa[5], isa[6].strip(), isa[7], isa[8].strip(), isa[12], isa[13], isa[15],
            isa[16]) == ("ZZ", "991234567", "ZZ", "CLEARINGHOUSE", "00501", "000000042",
                         "P", ":")
    assert segs[1] == ["GS", "HS", "991234567", "CLEARINGHOUSE", "20261128", "0930", "7", "X",
                       "005010X279A1"]
    body = segs[2:-2]
    assert body == [
        ["ST", "270", "0001", "005010X279A1"],
        ["BHT", "0022", "13", "000000042", "20261128", "0930"],
        ["HL", "1", "", "20", "1"],
        ["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME1"],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "1P", "2", "MAPLE GROVE FAMILY MEDICINE", "", "", "", "", "XX", NPI],
        ["HL", "3", "2", "22", "0"],
        ["TRN", "1", "000000042001", "991234567"],
        ["NM1", "IL", "1", "O'NEIL", "ZOE", "", "", "", "MI", "W123"],
        ["REF", "6P", "G-100"],
        ["DMG", "D8", "19800304", "F"],
        ["DTP", "291", "D8", "20261201"],
        ["EQ", "30"],
        ["SE", "14", "0001"]]
    assert segs[-2:] == [["GE", "1", "7"], ["IEA", "1", "000000042"]]
    (ic,) = interchanges(data, "t.270")  # our own envelope checks pass
    assert [t.code for t in ic.transactions] == ["270"]


def test_270_for_a_dependent_and_one_transaction_per_payer() -> None:
    other = EligibilityRequest("000000042003", "Bravo Care", "BRAVO",
                               Person("Roe", "Ann", "", date(1990, 1, 1), "F"), "B1",
                               date(2026, 12, 2))
    data = build_270([SELF_REQ, CHILD_REQ, other], RECEIVER, ENV)
    (ic,) = interchanges(data, "t.270")
    assert [len(t.segments) for t in ic.transactions] == [22, 11]
    acme = [[s.id, *s.elements] for s in ic.transactions[0].segments]
    dependent = acme[acme.index(["HL", "4", "2", "22", "1"]):]
    assert dependent == [
        ["HL", "4", "2", "22", "1"],
        ["NM1", "IL", "1", "DOE", "JAN", "", "", "", "MI", "D999"],
        ["DMG", "D8", "19750505", "M"],
        ["HL", "5", "4", "23", "0"],
        ["TRN", "1", "000000042002", "991234567"],
        ["NM1", "03", "1", "DOE", "KIM"],
        ["DMG", "D8", "20150102", "F"],
        ["INS", "N", "19"],
        ["DTP", "291", "D8", "20261201"],
        ["EQ", "30"]]
    assert segments_of(data)[-2] == ["GE", "2", "7"]


@pytest.mark.parametrize(("requests", "receiver", "key"), [
    ([SELF_REQ], Receiver("Clinic", "1234567890", "X"), "practice NPI"),
    ([SELF_REQ.__class__(**{**SELF_REQ.__dict__, "member_id": " "})], RECEIVER, "inquiry 1"),
    ([SELF_REQ.__class__(**{**SELF_REQ.__dict__, "payer_id": ""})], RECEIVER, "inquiry 1"),
    ([SELF_REQ, SELF_REQ], RECEIVER, "trace numbers"),
    ([], RECEIVER, "inquiries"),
])
def test_a_bad_270_request_writes_nothing(requests: list[EligibilityRequest],
                                          receiver: Receiver, key: str) -> None:
    with pytest.raises(ValidationError) as err:
        build_270(requests, receiver, ENV)
    assert key in err.value.problems


def test_x12_text_keeps_to_the_basic_character_set() -> None:
    assert x12_text("Zoë O'Neil-Smith #2 ~*") == "ZOE O'NEIL-SMITH 2"


# --- 271s ----------------------------------------------------------------------------------------
def wrap(*subscribers: list[str], el: str = "*", seg: str = "~", rep: str = "^",
         se_count: int | None = None, breaks: str = "") -> str:
    """A 271 around the given subscriber loops, with its counts right (unless told)."""
    body = ["BHT*0022*11*000000042*20261128*0931", "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH*****PI*ACME1", "HL*2*1*21*1",
            "NM1*1P*2*MAPLE GROVE*****XX*1234567893"]
    for loop in subscribers:
        body += loop
    count = se_count if se_count is not None else len(body) + 2
    isa = (f"ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*991234567      *261128*0931*"
           f"{rep}*00501*000000099*0*P*:")
    lines = [isa, "GS*HB*CLEARINGHOUSE*991234567*20261128*0931*9*X*005010X279A1",
             "ST*271*0001*005010X279A1", *body, f"SE*{count}*0001", "GE*1*9", "IEA*1*000000099"]
    text = (seg + breaks).join(x.replace("*", el) for x in lines) + seg
    return text.replace("^", rep) if rep != "^" else text


def subscriber(hl: int, trace: str, *, last: str = "ONEIL", member: str = "W123",
               extra: tuple[str, ...] = ()) -> list[str]:
    return [f"HL*{hl}*2*22*0", f"TRN*2*{trace}*991234567", f"NM1*IL*1*{last}*ZOE****MI*{member}",
            "N3*12 ELM ST", "N4*BROOKHAVEN*NY*117191234", "DMG*D8*19800304*F", *extra]


ACTIVE = ("DTP*346*D8*20260101", "EB*1*IND*30^98**GOLD PLAN",
          "EB*C*IND*30***23*1500", "EB*C*IND*30***29*1200", "EB*C*FAM*30***23*3000",
          "EB*G*IND*30***23*5000", "EB*G*IND*30***29*4200",
          "EB*B*IND*98***27*25*****Y", "MSG*PRIMARY CARE OFFICE VISIT",
          "EB*A*IND*30*****.2****Y", "EB*A*IND*30*****.4****N",
          "LS*2120", "NM1*P3*1*WELBY*MARCUS****XX*1234567893", "LE*2120")


def test_an_active_plan_with_deductible_copays_and_coinsurance() -> None:
    f = parse_271(wrap(subscriber(3, "000000042001", extra=ACTIVE)), "a.271")
    (r,) = f.responses
    assert (r.level, r.active, r.our_traces, r.member_id, r.dob, r.sex, r.zip) == (
        "subscriber", True, ["000000042001"], "W123", date(1980, 3, 4), "F", "117191234")
    assert (r.payer_name, r.payer_id, r.receiver_id) == ("ACME HEALTH", "ACME1", NPI)
    eb = r.benefits
    assert eb[0].service_types == ("30", "98") and eb[0].plan_description == "GOLD PLAN"
    assert [(b.code, b.coverage_level, b.time_period, b.amount) for b in eb[1:3]] == [
        ("C", "IND", "23", Decimal(1500)), ("C", "IND", "29", Decimal(1200))]
    assert (eb[6].code, eb[6].amount, eb[6].in_network, eb[6].messages) == (
        "B", Decimal(25), "Y", ["PRIMARY CARE OFFICE VISIT"])
    assert [(b.percent, b.in_network) for b in eb[7:9]] == [(Decimal(20), "Y"),
                                                            (Decimal(40), "N")]
    assert eb[8].entities[0].code == "P3" and eb[8].entities[0].id == "1234567893"
    assert r.dates[0].qualifier == "346" and r.dates[0].start == date(2026, 1, 1)
    lines = summary_lines(r)
    assert "ACME HEALTH: coverage active" in lines
    assert "Deductible, Health benefit plan coverage, individual: 1,200.00 remaining" in lines
    assert ("Copay, Professional (physician) visit – office, individual, in network: 25.00 "
            "per visit") in lines
    js = to_json(f)
    assert js[0]["benefits"][1]["amount"] == "1500" and js[0]["benefits"][7]["percent"] == "20.0"


def test_inactive_rejected_and_several_subscribers_in_one_file() -> None:
    text = wrap(subscriber(3, "T1", extra=("EB*6**30",)),
                subscriber(4, "T2", member="BAD1", extra=("AAA*N**72*C",)),
                subscriber(5, "T3", extra=("AAA*N**ZZ*N",)))
    f = parse_271(text, "b.271")
    assert [r.active for r in f.responses] == [False, None, None]
    rej = f.responses[1].rejections[0]
    assert (rej.code, rej.follow_up, rej.level) == ("72", "C", "subscriber")
    assert "does not recognise the member ID" in rej.message
    assert "reason code ZZ" in f.responses[2].rejections[0].message
    assert to_json(f)[1]["rejections"][0]["code"] == "72"


def test_a_dependent_answer_and_a_rejection_of_the_whole_inquiry() -> None:
    loops = ["HL*3*2*22*1", "NM1*IL*1*DOE*JAN****MI*D999", "HL*4*3*23*0",
             "TRN*2*T9*991234567", "NM1*03*1*DOE*KIM", "DMG*D8*20150102*F", "INS*N*19",
             "EB*1**30"]
    f = parse_271(wrap(loops), "c.271")
    assert [(r.level, r.our_traces, r.relationship) for r in f.responses] == [
        ("subscriber", [], ""), ("dependent", ["T9"], "19")]
    whole = wrap(["AAA*N**50*N"])
    (r,) = parse_271(whole, "d.271").responses
    assert r.level == "source" and r.rejections[0].code == "50"


def test_other_delimiters_a_bom_and_line_breaks() -> None:
    text = wrap(subscriber(3, "T1", extra=("EB|1||30}98",)), el="|", seg="\n", rep="}")
    text = text.replace("*", "|")
    f = parse_271(("\ufeff" + text).encode(), "e.271")
    assert f.responses[0].benefits[0].service_types == ("30", "98")
    wrapped = wrap(subscriber(3, "T1", extra=("EB*1**30",)), breaks="\r\n")
    assert parse_271(wrapped, "f.271").responses[0].active is True


@pytest.mark.parametrize(("text", "where"), [
    (wrap(subscriber(3, "T1", extra=("DTP*346*D8*20261340",))), "(DTP)"),
    (wrap(subscriber(3, "T1"), se_count=4), "(SE): SE01 says 4"),
    (wrap(["EB*1**30", *subscriber(3, "T1")]), "(EB): A benefit (EB) comes before"),
    (wrap(["HL*3*9*22*0"]), "(HL): This HL points to a parent"),
    (wrap(subscriber(3, "T1", extra=("EB*C*IND*30***23*12X",))), "(EB): Element 7"),
    ("GS*HB*X~", "not an X12 file"),
])
def test_malformed_271s_name_the_segment(text: str, where: str) -> None:
    with pytest.raises(X12Error) as err:
        parse_271(text, "bad.271")
    assert "bad.271" in str(err.value) and where in str(err.value)
    assert "ONEIL" not in str(err.value)  # no patient data in the message


def test_a_270_is_not_a_271() -> None:
    with pytest.raises(X12Error, match="not a 271"):
        parse_271(build_270([SELF_REQ], RECEIVER, ENV), "sent.270")
