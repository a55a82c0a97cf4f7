"""The 837P (005010X222A1) as built by app.formats.x12.x837p and checked by pyx12 through
app.formats.x12.validate: each kind of claim is checked for the segments the guide asks of it
and validates clean; broken files give problems naming the segment, the loop and the claim,
without quoting patient data; bad input is refused before anything is written."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from app.errors import ValidationError
from app.formats.claim_data import (
    Address,
    BillingProvider,
    ClaimDocument,
    Facility,
    PayerInfo,
    Person,
    PersonName,
    Provider,
    ServiceLine,
    Submitter,
)
from app.formats.x12.segments import BASIC_PUNCTUATION, Envelope, interchanges, read_segments
from app.formats.x12.validate import X12Problem, validate_837p
from app.formats.x12.x837p import (
    MAX_CLAIMS_PER_HL,
    build_837p,
    check_837p,
    x12_amount,
    x12_decimal,
)

NPI = "1234567893"  # valid check digits
NPI2 = "1245319599"
NPI3 = "1679576722"
ENV = Envelope("ZZ", "SUBMITTER1", "ZZ", "CLEARINGHOUSE", 42, 7, 1, usage="T",
               created=datetime(2026, 11, 28, 9, 30))
SUBMITTER = Submitter("Maple Grove Family Medicine", "SUBM01", "Pat Biller", "217-555-0100",
                      "Clear House", "CLEAR01")
PRACTICE = BillingProvider("Maple Grove Family Medicine", NPI, "12-3456789", "207Q00000X",
                           Address("1 Main St", "Springfield", "IL", "62701-1234"),
                           "2175550100", "Pat Biller")
ACME = PayerInfo("Acme Health", "ACME1", "CI")
BRAVO = PayerInfo("Bravo Care", "BRAVO", "MB", Address("PO Box 9", "Chicago", "IL", "60601"))
HOME = Address("5 Elm St", "Springfield", "IL", "62702", "Apt 2")
ZOE = Person(PersonName("O'Néil", "Zoë", "Q"), date(1980, 3, 4), "F", HOME, "2175550111")
JAN = Person(PersonName("Doe", "Jan"), date(1975, 5, 5), "M", HOME)
KIM = Person(PersonName("Doe", "Kim"), date(2015, 1, 2), "F", HOME)
LEE = Person(PersonName("Doe", "Lee", suffix="Jr"), date(2017, 6, 7), "M", HOME)
DOS = date(2026, 11, 2)
DR_RIVERA = Provider(PersonName("Rivera", "Ana"), NPI2, "207R00000X")
DR_OKAFOR = Provider(PersonName("Okafor", "Ben", "C"), NPI3)


def line(n: int = 1, **kw: object) -> ServiceLine:
    values: dict[str, object] = dict(
        line_no=n, dos_from=DOS, dos_to=DOS, pos="11", code="99213", modifiers=(),
        pointers=(1,), units=Decimal("1"), charge=Decimal("125.00"), control_number=f"LC{n}")
    values.update(kw)
    return ServiceLine(**values)  # type: ignore[arg-type]


def claim(claim_id: str = "1001", **kw: object) -> ClaimDocument:
    values: dict[str, object] = dict(
        claim_id=claim_id, account_number="MRN1", frequency="1", billing=PRACTICE, payer=ACME,
        subscriber=ZOE, member_id="W123", group_number="G-100", plan_name="Gold",
        relationship="18", patient=ZOE, sequence="P", diagnoses=("J06.9", "R05.9"),
        lines=(line(),), rendering=None)
    values.update(kw)
    return ClaimDocument(**values)  # type: ignore[arg-type]


def dependent(claim_id: str, patient: Person = KIM, relationship: str = "19",
              **kw: object) -> ClaimDocument:
    return claim(claim_id, subscriber=JAN, member_id="D999", patient=patient,
                 relationship=relationship, **kw)


def rows(data: bytes) -> list[list[str]]:
    return [[s.id, *s.elements] for s in read_segments(data, "out.837")]


def body(data: bytes) -> list[list[str]]:
    tx = interchanges(data, "out.837")[0].transactions[0]
    return [[s.id, *s.elements] for s in tx.segments]


def with_id(segs: list[list[str]], seg_id: str, first: str | None = None) -> list[list[str]]:
    return [s for s in segs if s[0] == seg_id and (first is None or s[1] == first)]


def claim_block(segs: list[list[str]], claim_id: str) -> list[list[str]]:
    """The segments from the claim's CLM up to the next CLM or HL."""
    start = next(i for i, s in enumerate(segs) if s[0] == "CLM" and s[1] == claim_id)
    end = next((i for i in range(start + 1, len(segs)) if segs[i][0] in ("CLM", "HL")),
               len(segs))
    return segs[start:end]


def assert_clean(data: bytes) -> None:
    problems = validate_837p(data)
    assert problems == [], "\n".join(str(p) for p in problems)


# --- building -----------------------------------------------------------------------------------
def test_a_single_line_claim_segment_by_segment() -> None:
    data = build_837p([claim()], SUBMITTER, ENV)
    segs = rows(data)
    assert segs[1] == ["GS", "HC", "SUBMITTER1", "CLEARINGHOUSE", "20261128", "0930", "7", "X",
                       "005010X222A1"]
    assert body(data) == [
        ["BHT", "0019", "00", "0000000420001", "20261128", "0930", "CH"],
        ["NM1", "41", "2", "MAPLE GROVE FAMILY MEDICINE", "", "", "", "", "46", "SUBM01"],
        ["PER", "IC", "PAT BILLER", "TE", "2175550100"],
        ["NM1", "40", "2", "CLEAR HOUSE", "", "", "", "", "46", "CLEAR01"],
        ["HL", "1", "", "20", "1"],
        ["PRV", "BI", "PXC", "207Q00000X"],
        ["NM1", "85", "2", "MAPLE GROVE FAMILY MEDICINE", "", "", "", "", "XX", NPI],
        ["N3", "1 MAIN ST"],
        ["N4", "SPRINGFIELD", "IL", "627011234"],
        ["REF", "EI", "123456789"],
        ["PER", "IC", "PAT BILLER", "TE", "2175550100"],
        ["HL", "2", "1", "22", "0"],
        ["SBR", "P", "18", "G-100", "", "", "", "", "", "CI"],
        ["NM1", "IL", "1", "O'NEIL", "ZOE", "Q", "", "", "MI", "W123"],
        ["N3", "5 ELM ST", "APT 2"],
        ["N4", "SPRINGFIELD", "IL", "62702"],
        ["DMG", "D8", "19800304", "F"],
        ["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME1"],
        ["CLM", "1001", "125", "", "", "11:B:1", "Y", "A", "Y", "Y"],
        ["HI", "ABK:J069", "ABF:R059"],
        ["LX", "1"],
        ["SV1", "HC:99213", "125", "UN", "1", "", "", "1"],
        ["DTP", "472", "D8", "20261102"],
        ["REF", "6R", "LC1"],
    ]
    assert_clean(data)


def test_envelope_counts_and_control_numbers() -> None:
    data = build_837p([claim("1001"), claim("1002", lines=(line(1), line(2)))], SUBMITTER, ENV)
    segs = rows(data)
    st = segs.index(next(s for s in segs if s[0] == "ST"))
    se = segs.index(next(s for s in segs if s[0] == "SE"))
    assert segs[st] == ["ST", "837", "0001", "005010X222A1"]
    assert segs[se] == ["SE", str(se - st + 1), "0001"]
    assert segs[-2:] == [["GE", "1", "7"], ["IEA", "1", "000000042"]]
    assert segs[0][13] == "000000042" and segs[0][15] == "T"
    assert len(data.decode("ascii").splitlines()[0]) == 106
    assert_clean(data)


def test_a_multi_line_claim() -> None:
    lines = (
        line(1, modifiers=("25",), pointers=(1, 2)),
        line(2, code="97110", modifiers=("GP", "59", "KX", "XU"), units=Decimal("1.5"),
             charge=Decimal("80.50"), pointers=(2, 3, 4, 1), emergency=True),
        line(3, code="36415", dos_to=date(2026, 11, 4), pos="22", charge=Decimal("0.75"),
             note="Drawn twice"),
    )
    c = claim(diagnoses=("J06.9", "R05.9", "E11.9", "I10"), lines=lines)
    data = build_837p([c], SUBMITTER, ENV)
    block = claim_block(body(data), "1001")
    assert block[0] == ["CLM", "1001", "206.25", "", "", "11:B:1", "Y", "A", "Y", "Y"]
    assert block[1] == ["HI", "ABK:J069", "ABF:R059", "ABF:E119", "ABF:I10"]
    assert with_id(block, "LX") == [["LX", "1"], ["LX", "2"], ["LX", "3"]]
    assert with_id(block, "SV1") == [
        ["SV1", "HC:99213:25", "125", "UN", "1", "", "", "1:2"],
        ["SV1", "HC:97110:GP:59:KX:XU", "80.5", "UN", "1.5", "", "", "2:3:4:1", "", "Y"],
        ["SV1", "HC:36415", "0.75", "UN", "1", "22", "", "1"],  # POS only where it differs
    ]
    assert with_id(block, "DTP") == [["DTP", "472", "D8", "20261102"]] * 2 + [
        ["DTP", "472", "RD8", "20261102-20261104"]]
    assert with_id(block, "REF") == [["REF", "6R", "LC1"], ["REF", "6R", "LC2"],
                                     ["REF", "6R", "LC3"]]
    assert with_id(block, "NTE") == [["NTE", "ADD", "DRAWN TWICE"]]
    assert_clean(data)


def test_several_patients_and_payers_share_hls_where_they_can() -> None:
    roe = Person(PersonName("Roe", "Ann"), date(1990, 1, 1), "F", HOME)
    claims = [
        claim("A1"),
        claim("B1", subscriber=roe, patient=roe, member_id="R1", payer=BRAVO,
              group_number="", plan_name="Medicare Part B"),
        claim("A2"),  # Zoë again, same payer: joins A1's subscriber loop
        claim("A3", payer=BRAVO, member_id="Z-MB", sequence="S", group_number="",
              insurance_type="12"),  # Medicare, not primary: SBR05 says why
    ]
    data = build_837p(claims, SUBMITTER, ENV)
    segs = body(data)
    assert with_id(segs, "HL") == [["HL", "1", "", "20", "1"], ["HL", "2", "1", "22", "0"],
                                   ["HL", "3", "1", "22", "0"], ["HL", "4", "1", "22", "0"]]
    assert [s[1] for s in with_id(segs, "CLM")] == ["A1", "A2", "B1", "A3"]
    assert with_id(segs, "NM1", "PR") == [
        ["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME1"],
        ["NM1", "PR", "2", "BRAVO CARE", "", "", "", "", "PI", "BRAVO"],
        ["NM1", "PR", "2", "BRAVO CARE", "", "", "", "", "PI", "BRAVO"],
    ]
    # SBR04 plan name only when there is no group number; SBR09 from the payer.
    assert with_id(segs, "SBR") == [
        ["SBR", "P", "18", "G-100", "", "", "", "", "", "CI"],
        ["SBR", "P", "18", "", "MEDICARE PART B", "", "", "", "", "MB"],
        ["SBR", "S", "18", "", "GOLD", "12", "", "", "", "MB"],
    ]
    payer_address = segs.index(with_id(segs, "NM1", "PR")[1]) + 1
    assert segs[payer_address:payer_address + 2] == [["N3", "PO BOX 9"],
                                                     ["N4", "CHICAGO", "IL", "60601"]]
    assert_clean(data)


def test_a_dependent_gets_a_patient_loop_under_a_subscriber_loop_of_its_own() -> None:
    claims = [dependent("K1"), claim("J1", subscriber=JAN, patient=JAN, member_id="D999"),
              dependent("L1", patient=LEE), dependent("K2")]
    data = build_837p(claims, SUBMITTER, ENV)
    segs = body(data)
    assert with_id(segs, "HL") == [  # first-seen order
        ["HL", "1", "", "20", "1"],
        ["HL", "2", "1", "22", "1"],  # Jan as subscriber of his children
        ["HL", "3", "2", "23", "0"],  # Kim, two claims
        ["HL", "4", "2", "23", "0"],  # Lee
        ["HL", "5", "1", "22", "0"],  # Jan as his own patient
    ]
    hl2 = segs.index(["HL", "2", "1", "22", "1"])
    assert segs[hl2 + 1:hl2 + 7] == [
        ["SBR", "P", "", "G-100", "", "", "", "", "", "CI"],  # SBR02 empty: not the patient
        ["NM1", "IL", "1", "DOE", "JAN", "", "", "", "MI", "D999"],  # no N3/N4/DMG here
        ["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME1"],
        ["HL", "3", "2", "23", "0"],
        ["PAT", "19"],
        ["NM1", "QC", "1", "DOE", "KIM"],
    ]
    assert segs[hl2 + 7:hl2 + 10] == [["N3", "5 ELM ST", "APT 2"],
                                      ["N4", "SPRINGFIELD", "IL", "62702"],
                                      ["DMG", "D8", "20150102", "F"]]
    assert [s[1] for s in with_id(segs, "CLM")] == ["K1", "K2", "L1", "J1"]
    hl5 = segs.index(["HL", "5", "1", "22", "0"])
    assert segs[hl5 + 1][:3] == ["SBR", "P", "18"] and segs[hl5 + 5] == [
        "DMG", "D8", "19750505", "M"]
    assert ["NM1", "QC", "1", "DOE", "LEE", "", "", "JR"] in segs
    assert_clean(data)


def test_a_spouse_with_relationship_01() -> None:
    data = build_837p([dependent("S1", patient=ZOE, relationship="01")], SUBMITTER, ENV)
    assert ["PAT", "01"] in body(data)
    assert_clean(data)


def test_more_than_100_claims_of_one_subscriber_start_another_hl() -> None:
    claims = [claim(f"C{n}") for n in range(MAX_CLAIMS_PER_HL + 1)]
    data = build_837p(claims, SUBMITTER, ENV)
    segs = body(data)
    assert with_id(segs, "HL")[1:] == [["HL", "2", "1", "22", "0"], ["HL", "3", "1", "22", "0"]]
    assert segs.index(["HL", "3", "1", "22", "0"]) > segs.index(with_id(segs, "CLM")[99])
    assert_clean(data)


@pytest.mark.parametrize("frequency", ["7", "8"])
def test_replacement_and_void_carry_the_payers_claim_number(frequency: str) -> None:
    c = claim(frequency=frequency, original_claim_number="2026110500123", prior_authorization="")
    data = build_837p([c], SUBMITTER, ENV)
    block = claim_block(body(data), "1001")
    assert block[0][5] == f"11:B:{frequency}"
    assert with_id(block, "REF", "F8") == [["REF", "F8", "2026110500123"]]
    assert_clean(data)


def test_an_original_has_no_payer_claim_number() -> None:
    data = build_837p([claim(original_claim_number="999")], SUBMITTER, ENV)
    assert with_id(body(data), "REF", "F8") == []


def test_a_drug_line_carries_its_ndc_in_2410() -> None:
    drug = line(2, code="J1100", charge=Decimal("12.40"), ndc="00641-0367-21", ndc_unit="ML",
                ndc_quantity=Decimal("1.000"))
    data = build_837p([claim(lines=(line(1), drug))], SUBMITTER, ENV)
    block = claim_block(body(data), "1001")
    lx2 = block.index(["LX", "2"])
    assert block[lx2:] == [
        ["LX", "2"],
        ["SV1", "HC:J1100", "12.4", "UN", "1", "", "", "1"],
        ["DTP", "472", "D8", "20261102"],
        ["REF", "6R", "LC2"],
        ["LIN", "", "N4", "00641036721"],
        ["CTP", "", "", "", "1", "ML"],
    ]
    assert_clean(data)


def test_referring_facility_accident_onset_authorization_and_patient_paid() -> None:
    site = Facility("Northside Urgent Care", Address("9 North Rd", "Springfield", "IL",
                                                     "627031111"), NPI3)
    c = claim(referring=DR_OKAFOR, rendering=DR_RIVERA, facility=site, auto_accident=True,
              auto_accident_state="mo", employment_related=True,
              accident_date=date(2026, 10, 30), onset_date=date(2026, 10, 31),
              other_date_qualifier="454", other_date=date(2026, 11, 1),
              unable_to_work_from=date(2026, 10, 31), unable_to_work_to=date(2026, 11, 15),
              hospitalized_from=date(2026, 10, 30), hospitalized_to=date(2026, 10, 31),
              prior_authorization="PA-7788", patient_paid=Decimal("20.00"),
              note="Seen after MVA", accept_assignment=False, benefits_assigned=False,
              release_of_information=False)
    data = build_837p([c], SUBMITTER, ENV)
    block = claim_block(body(data), "1001")
    assert block[:17] == [
        ["CLM", "1001", "125", "", "", "11:B:1", "Y", "C", "N", "I", "", "EM:AA::MO"],
        ["DTP", "431", "D8", "20261031"],
        ["DTP", "454", "D8", "20261101"],
        ["DTP", "439", "D8", "20261030"],
        ["DTP", "314", "RD8", "20261031-20261115"],
        ["DTP", "435", "D8", "20261030"],
        ["DTP", "096", "D8", "20261031"],
        ["AMT", "F5", "20"],
        ["REF", "G1", "PA-7788"],
        ["NTE", "ADD", "SEEN AFTER MVA"],
        ["HI", "ABK:J069", "ABF:R059"],
        ["NM1", "DN", "1", "OKAFOR", "BEN", "C", "", "", "XX", NPI3],
        ["NM1", "82", "1", "RIVERA", "ANA", "", "", "", "XX", NPI2],
        ["PRV", "PE", "PXC", "207R00000X"],
        ["NM1", "77", "2", "NORTHSIDE URGENT CARE", "", "", "", "", "XX", NPI3],
        ["N3", "9 NORTH RD"],
        ["N4", "SPRINGFIELD", "IL", "627031111"],
    ]
    assert_clean(data)


@pytest.mark.parametrize(("start", "end", "dtp"), [
    (date(2026, 10, 31), None, ["DTP", "360", "D8", "20261031"]),
    (None, date(2026, 11, 15), ["DTP", "361", "D8", "20261115"]),
])
def test_one_disability_date_alone(start: date | None, end: date | None,
                                   dtp: list[str]) -> None:
    c = claim(unable_to_work_from=start, unable_to_work_to=end)
    data = build_837p([c], SUBMITTER, ENV)
    assert with_id(body(data), "DTP", dtp[1]) == [dtp]
    assert_clean(data)


def test_an_accident_date_needs_an_accident_marked() -> None:
    data = build_837p([claim(accident_date=date(2026, 10, 30))], SUBMITTER, ENV)
    assert with_id(body(data), "DTP", "439") == []
    other = build_837p([claim(other_accident=True, accident_date=date(2026, 10, 30))],
                       SUBMITTER, ENV)
    assert with_id(body(other), "DTP", "439") == [["DTP", "439", "D8", "20261030"]]
    assert with_id(body(other), "CLM")[0][11] == "OA"
    assert_clean(other)


def test_line_level_rendering_provider_in_2420a() -> None:
    c = claim(rendering=DR_RIVERA, lines=(line(1), line(2, rendering=DR_OKAFOR)))
    data = build_837p([c], SUBMITTER, ENV)
    block = claim_block(body(data), "1001")
    assert block[-1] == ["NM1", "82", "1", "OKAFOR", "BEN", "C", "", "", "XX", NPI3]
    assert block[-2] == ["REF", "6R", "LC2"]
    assert len(with_id(block, "NM1", "82")) == 2  # 2310B and the one 2420A
    assert_clean(data)


def test_pay_to_address_in_2010ab() -> None:
    practice = replace(PRACTICE, pay_to=Address("PO Box 77", "Springfield", "IL", "62705"))
    data = build_837p([claim(billing=practice)], SUBMITTER, ENV)
    segs = body(data)
    i = segs.index(["NM1", "87", "2"])
    assert segs[i + 1:i + 3] == [["N3", "PO BOX 77"], ["N4", "SPRINGFIELD", "IL", "62705"]]
    assert_clean(data)


def test_two_practices_get_two_billing_hls() -> None:
    other = replace(PRACTICE, name="Second Site", npi=NPI2)
    data = build_837p([claim("1"), claim("2", billing=other)], SUBMITTER, ENV)
    assert [h for h in with_id(body(data), "HL") if h[3] == "20"] == [
        ["HL", "1", "", "20", "1"], ["HL", "3", "", "20", "1"]]
    assert_clean(data)


def test_text_is_folded_into_the_x12_basic_character_set() -> None:
    who = Person(PersonName("Żółć-Müller", "Renée", "Æ"), date(1970, 1, 1), "F",
                 Address("12 Rue de l’Église", "Saint-Étienne", "il", "62701"))
    c = claim(subscriber=who, patient=who, note="Café visit; ½ dose")
    data = build_837p([c], SUBMITTER, ENV)
    segs = body(data)
    assert with_id(segs, "NM1", "IL")[0][3:6] == ["ZOLC-MULLER", "RENEE", "AE"]
    assert ["N3", "12 RUE DE L'EGLISE"] in segs
    assert ["N4", "SAINT-ETIENNE", "IL", "62701"] in segs
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 " + BASIC_PUNCTUATION + "*:^~\n")
    assert set(data.decode("ascii")) <= allowed
    assert_clean(data)


def test_batch_id_goes_to_bht03() -> None:
    data = build_837p([claim()], SUBMITTER, ENV, batch_id="b-2026-11-28")
    assert body(data)[0][3] == "B-2026-11-28"


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("125.00"), "125"), (Decimal("125.50"), "125.5"), (Decimal("0.75"), "0.75"),
    (Decimal("0"), "0"), (Decimal("1E+2"), "100"), (Decimal("10.005"), "10.01"),
])
def test_amounts_have_no_trailing_zeros(value: Decimal, text: str) -> None:
    assert x12_amount(value) == text


def test_units_are_decimals() -> None:
    assert [x12_decimal(Decimal(v)) for v in ("1", "1.500", "0.25", "12")] == [
        "1", "1.5", "0.25", "12"]


# --- refused before writing ---------------------------------------------------------------------
@pytest.mark.parametrize(("change", "words"), [
    (dict(diagnoses=tuple(f"A0{n}" for n in range(10)) + ("B01", "B02", "B03")),
     "1 to 12 diagnosis"),
    (dict(lines=tuple(line(n) for n in range(1, 52))), "1 to 50 service lines"),
    (dict(frequency="7"), "original claim number"),
    (dict(billing=replace(PRACTICE, npi="")), "NPI"),
    (dict(billing=replace(PRACTICE, address=replace(PRACTICE.address, zip="62701"))),
     "ZIP+4"),
    (dict(lines=(line(pointers=(3,)),)), "point to 1 to 4"),
    (dict(patient=replace(ZOE, dob=None)), "date of birth"),
    (dict(auto_accident=True), "state"),
    (dict(lines=(line(ndc="123"),)), "NDC"),
])
def test_bad_claims_are_refused_with_every_problem_and_no_patient_data(
        change: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError) as err:
        build_837p([claim("77", **change)], SUBMITTER, ENV)
    text = str(err.value)
    assert words in text
    for secret in ("O'N", "ZOE", "Zoë", "W123", "1980", "Elm"):
        assert secret not in text


def test_check_lists_problems_per_claim() -> None:
    problems = check_837p([claim("1", sequence="X"), claim("2"), claim("1")], SUBMITTER)
    assert set(problems) == {"claim 1 (1)", "claim 3 (1)"}
    assert "payer sequence" in problems["claim 1 (1)"]
    assert "twice" in problems["claim 3 (1)"]
    assert check_837p([], SUBMITTER) == {"claims": "Choose at least one claim to send."}


# --- the validator ------------------------------------------------------------------------------
def _batch() -> bytes:
    return build_837p([claim("A1"), dependent("K1", lines=(line(1), line(2))), claim("A2")],
                      SUBMITTER, ENV)


def test_a_missing_required_segment_names_segment_loop_and_claim() -> None:
    text = _batch().decode("ascii")
    k1 = text.index("CLM*K1")
    second_dtp = text.index("DTP*472", text.index("LX*2", k1))
    broken = text[:second_dtp] + text[text.index("\n", second_dtp) + 1:]
    problems = validate_837p(broken.encode("ascii"))
    missing = [p for p in problems if p.level == "segment"]
    assert len(missing) == 1
    p = missing[0]
    assert (p.segment_id, p.loop_id, p.code, p.claim_id) == ("DTP", "2400", "3", "K1")
    assert "Service Date" in p.message and "missing" in p.message
    se = [p for p in problems if p.segment_id == "SE"]  # and SE01 no longer counts right
    assert [(p.level, p.code, p.claim_id) for p in se] == [("transaction", "4", None)]


def test_a_missing_segment_at_the_end_of_a_claim_is_charged_to_that_claim() -> None:
    text = _batch().decode("ascii")
    start = text.index("DTP*472", text.index("CLM*A2"))
    end = text.index("REF*6R", start)  # A2's last line loses its date and control number
    broken = text[:start] + text[text.index("\n", end) + 1:]
    problems = [p for p in validate_837p(broken.encode("ascii")) if p.level == "segment"]
    # pyx12 notices the gap only at the next HL, which belongs to another subscriber
    assert [(p.segment_id, p.claim_id) for p in problems] == [("DTP", "A2")]
    assert rows(broken.encode("ascii"))[problems[0].segment_no - 1][0] == "HL"


def test_a_corrupt_element_is_reported_without_its_value() -> None:
    data = _batch().replace(b"DMG*D8*20150102*F", b"DMG*D8*20151302*F")
    problems = validate_837p(data)
    assert len(problems) == 1
    p = problems[0]
    assert (p.level, p.segment_id, p.element, p.code, p.loop_id) == (
        "element", "DMG", "DMG02", "8", "2010CA")
    assert p.claim_id == "K1" and p.claim_ids == ("K1",)
    assert "20151302" not in str(p) and "Birth Date" in p.message
    assert p.segment_no == rows(data).index(["DMG", "D8", "20151302", "F"]) + 1


def test_a_problem_in_a_subscriber_loop_names_every_claim_under_it() -> None:
    data = _batch().replace(b"NM1*IL*1*DOE*JAN", b"NM1*IL*7*DOE*JAN")
    problems = validate_837p(data)
    assert [(p.segment_id, p.element, p.code) for p in problems] == [("NM1", "NM102", "7")]
    assert problems[0].claim_ids == ("K1",)
    data = _batch().replace(b"SBR*P*18*G-100", b"SBR*Q*18*G-100", 1)
    problems = validate_837p(data)  # SBR01 is how pyx12 knows the SBR: not found, missing
    assert [(p.segment_id, p.code, p.loop_id) for p in problems] == [
        ("SBR", "1", "2000B"), ("SBR", "3", "2000B")]
    assert all(p.claim_ids == ("A1", "A2") and p.claim_id == "A1" for p in problems)


def test_an_unexpected_segment_does_not_quote_patient_data() -> None:
    data = _batch().replace(b"N3*5 ELM ST*APT 2~", b"N9*5 ELM ST*APT 2~", 1)
    problems = validate_837p(data)
    assert problems and all(p.claim_ids == ("A1", "A2") for p in problems)
    assert any(p.segment_id == "N9" and p.code == "1" for p in problems)
    for p in problems:
        assert "ELM" not in str(p) and "APT" not in str(p)


def test_too_long_names_are_reported_by_element_not_by_value() -> None:
    data = _batch().replace(b"NM1*QC*1*DOE*KIM", b"NM1*QC*1*DOE*KIM" + b"X" * 40)
    (p,) = validate_837p(data)
    assert (p.element, p.code) == ("NM104", "5")
    assert "KIM" not in p.message and "too long" in p.message


def test_envelope_problems_belong_to_no_claim() -> None:
    data = _batch().replace(b"GE*1*7~", b"GE*2*7~")
    (p,) = validate_837p(data)
    assert (p.level, p.segment_id, p.code, p.claim_id) == ("group", "GE", "5", None)
    assert p.segment_no == len(rows(data)) - 1


def test_another_version_is_one_clear_problem() -> None:
    data = _batch().replace(b"005010X222A1", b"005010X222A2")
    (p,) = validate_837p(data)
    assert (p.segment_id, p.code, p.segment_no) == ("GS", "version", 2)
    assert "005010X222A1" in p.message


@pytest.mark.parametrize("data", [b"", b"hello", b"GS*HC*X~", "ISA*00*ÿ".encode()])
def test_what_is_not_x12_is_one_problem_not_an_exception(data: bytes) -> None:
    problems = validate_837p(data)
    assert len(problems) == 1 and problems[0].claim_id is None
    assert isinstance(problems[0], X12Problem)


def test_a_byte_order_mark_and_crlf_line_ends_are_fine() -> None:
    data = _batch()
    assert_clean(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    assert_clean(build_837p([claim()], SUBMITTER, ENV, newline=False))


def test_the_maps_cached_between_files_do_not_carry_state() -> None:
    broken = _batch().replace(b"LX*2", b"LX*3")
    first = validate_837p(broken)
    assert [(p.segment_id, p.code) for p in first] == [("LX", "LX")]
    assert_clean(_batch())
    assert validate_837p(broken) == first
