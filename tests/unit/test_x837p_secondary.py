"""Secondary and tertiary 837P claims (005010X222A1 loops 2320, 2330A, 2330B and 2430): the
earlier payers' adjudication is written where the guide puts it, balances (section 1.4.4) and
validates clean with pyx12; claims whose other-payer data is wrong are refused before writing,
with messages that carry no patient data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.errors import ValidationError
from app.formats.claim_data import (
    Address,
    ClaimDocument,
    OtherPayer,
    PayerInfo,
    PersonName,
    PriorAdjustment,
    PriorLinePayment,
)
from app.formats.x12.x837p import build_837p, check_837p
from tests.unit.test_x837p import (
    BRAVO,
    DR_OKAFOR,
    ENV,
    HOME,
    JAN,
    KIM,
    SUBMITTER,
    ZOE,
    assert_clean,
    body,
    claim,
    claim_block,
    line,
    with_id,
)

DELTA = PayerInfo("Delta Mutual", "DELTA7", "CI")
PAID_ON = date(2026, 11, 20)
MEDICARE_PAID_ON = date(2026, 12, 4)


def adj(group: str, reason: str, amount: str, quantity: str | None = None) -> PriorAdjustment:
    return PriorAdjustment(group, reason, Decimal(amount),
                           None if quantity is None else Decimal(quantity))


def paid_line(n: int, paid: str, *adjustments: PriorAdjustment, code: str = "99213",
              modifiers: tuple[str, ...] = (), units: str = "1", on: date = PAID_ON,
              remaining: str | None = None) -> PriorLinePayment:
    return PriorLinePayment(n, Decimal(paid), code, modifiers, Decimal(units), adjustments, on,
                            None if remaining is None else Decimal(remaining))


def acme(**kw: object) -> OtherPayer:
    """Acme, primary, as the patient's own plan; adjudicated at line level by default."""
    values: dict[str, object] = dict(
        sequence="P", relationship="18", group_number="G-100", plan_name="Gold",
        filing_indicator="CI", insured=ZOE.name, member_id="W123", insured_address=HOME,
        payer_name="Acme Health", payer_id="ACME1", paid=Decimal("116.00"),
        claim_adjustments=(), lines=ACME_LINES, paid_on=None, payer_claim_number="AC-77",
        remaining_patient_liability=Decimal("54.00"))
    values.update(kw)
    return OtherPayer(**values)  # type: ignore[arg-type]


def medicare(**kw: object) -> OtherPayer:
    """Medicare as the secondary payer of a tertiary claim (spouse's plan is not involved)."""
    values: dict[str, object] = dict(
        sequence="S", relationship="18", group_number="", plan_name="Medicare Part B",
        filing_indicator="MB", insured=ZOE.name, member_id="1EG4TE5MK73", insured_address=None,
        payer_name="Bravo Care", payer_id="BRAVO", paid=Decimal("30.00"),
        claim_adjustments=(), lines=(), paid_on=MEDICARE_PAID_ON, insurance_type="12")
    values.update(kw)
    return OtherPayer(**values)  # type: ignore[arg-type]


# Line 1: 125.00 charged, 100.00 allowed (CO-45 25.00), paid 60.00, the patient owes a
# deductible, coinsurance and a copay (PR-1/2/3). Line 2: 80.50 charged, 70.00 allowed,
# paid 56.00, PR-2 14.00. Claim: 205.50 − 116.00 = 89.50 = every adjustment.
ACME_LINES = (
    paid_line(1, "60.00", adj("CO", "45", "25.00"), adj("PR", "1", "20.00"),
              adj("PR", "2", "10.00"), adj("PR", "3", "10.00"), remaining="40.00"),
    paid_line(2, "56.00", adj("CO", "45", "10.50"), adj("PR", "2", "14.00"), code="97110",
              modifiers=("GP",), units="2"),
)
TWO_LINES = (line(1), line(2, code="97110", modifiers=("GP",), units=Decimal("2"),
                          charge=Decimal("80.50")))


def secondary(**kw: object) -> ClaimDocument:
    """Zoë's claim to Delta (secondary) after Acme (primary) paid it line by line."""
    values: dict[str, object] = dict(payer=DELTA, member_id="D-555", group_number="DM-9",
                                     sequence="S", lines=TWO_LINES, other_payers=(acme(),))
    values.update(kw)
    return claim("2001", **values)


def refused(c: ClaimDocument) -> str:
    problems = check_837p([c], SUBMITTER)
    with pytest.raises(ValidationError):
        build_837p([c], SUBMITTER, ENV)
    assert list(problems) == [f"claim 1 ({c.claim_id})"]
    text = problems[f"claim 1 ({c.claim_id})"]
    for secret in ("O'N", "ONEIL", "ZOE", "ZOË", "W123", "1EG4", "D999", "1980", "ELM"):
        assert secret not in text.upper()
    return text


# --- building -----------------------------------------------------------------------------------
def test_a_secondary_claim_with_line_adjudication() -> None:
    data = build_837p([secondary()], SUBMITTER, ENV)
    segs = body(data)
    assert with_id(segs, "SBR")[0] == ["SBR", "S", "18", "DM-9", "", "", "", "", "", "CI"]
    block = claim_block(segs, "2001")
    hi = block.index(with_id(block, "HI")[0])
    assert block[hi + 1:hi + 11] == [  # 2320, 2330A, 2330B right after the claim's HI
        ["SBR", "P", "18", "G-100", "", "", "", "", "", "CI"],
        ["AMT", "D", "116"],
        ["AMT", "EAF", "54"],
        ["OI", "", "", "Y", "", "", "Y"],
        ["NM1", "IL", "1", "O'NEIL", "ZOE", "Q", "", "", "MI", "W123"],
        ["N3", "5 ELM ST", "APT 2"],
        ["N4", "SPRINGFIELD", "IL", "62702"],
        ["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME1"],
        ["REF", "F8", "AC-77"],  # no DTP*573 here: each 2430 has its own
        ["LX", "1"],
    ]
    lx2 = block.index(["LX", "2"])
    assert block[lx2 - 5:lx2] == [  # 2430 after the line's REF*6R
        ["SVD", "ACME1", "60", "HC:99213", "", "1"],
        ["CAS", "CO", "45", "25"],
        ["CAS", "PR", "1", "20", "", "2", "10", "", "3", "10"],  # one CAS per group
        ["DTP", "573", "D8", "20261120"],
        ["AMT", "EAF", "40"],
    ]
    assert block[-4:] == [["SVD", "ACME1", "56", "HC:97110:GP", "", "2"],
                          ["CAS", "CO", "45", "10.5"], ["CAS", "PR", "2", "14"],
                          ["DTP", "573", "D8", "20261120"]]
    text = data.decode("ascii")
    assert "SVD*ACME1*60*HC:99213**1~" in text and "CAS*PR*1*20**2*10**3*10~" in text
    assert_clean(data)


def test_a_claim_level_only_adjudication_dates_the_payment_in_2330b() -> None:
    acme_claim_level = acme(paid=Decimal("80.00"), lines=(), paid_on=PAID_ON,
                            claim_adjustments=(adj("CO", "45", "25.00"),
                                               adj("PR", "3", "20.00", "1")),
                            payer_claim_number="", remaining_patient_liability=None)
    c = secondary(lines=(line(1),), other_payers=(acme_claim_level,))
    data = build_837p([c], SUBMITTER, ENV)
    block = claim_block(body(data), "2001")
    sbr = block.index(with_id(block, "SBR")[0])
    assert block[sbr:sbr + 4] == [["SBR", "P", "18", "G-100", "", "", "", "", "", "CI"],
                                  ["CAS", "CO", "45", "25"], ["CAS", "PR", "3", "20", "1"],
                                  ["AMT", "D", "80"]]
    payer = block.index(["NM1", "PR", "2", "ACME HEALTH", "", "", "", "", "PI", "ACME1"])
    assert block[payer + 1] == ["DTP", "573", "D8", "20261120"]
    assert with_id(block, "SVD") == [] and with_id(block, "REF", "F8") == []
    assert_clean(data)


def test_a_claim_to_medicare_as_secondary_carries_sbr05() -> None:
    acme_claim_level = acme(paid=Decimal("80.00"), lines=(), paid_on=PAID_ON,
                            claim_adjustments=(adj("CO", "45", "25.00"), adj("PR", "3", "20")))
    c = secondary(payer=BRAVO, group_number="", plan_name="Medicare Part B", member_id="1EG4",
                  insurance_type="12", lines=(line(1),), other_payers=(acme_claim_level,))
    data = build_837p([c], SUBMITTER, ENV)
    assert with_id(body(data), "SBR")[0] == ["SBR", "S", "18", "", "MEDICARE PART B", "12", "",
                                             "", "", "MB"]
    assert_clean(data)


def test_a_tertiary_claim_with_two_other_payers() -> None:
    # Medicare paid 30.00 of the 205.50 after Acme: 175.50 adjusted, at claim level.
    bravo = medicare(claim_adjustments=(adj("CO", "45", "55.50"), adj("OA", "23", "116.00"),
                                        adj("PR", "2", "4.00")))
    c = secondary(sequence="T", other_payers=(acme(), bravo))
    data = build_837p([c], SUBMITTER, ENV)
    block = claim_block(body(data), "2001")
    assert with_id(block, "SBR") == [
        ["SBR", "P", "18", "G-100", "", "", "", "", "", "CI"],
        ["SBR", "S", "18", "", "MEDICARE PART B", "12", "", "", "", "MB"],
    ]
    assert with_id(block, "AMT", "D") == [["AMT", "D", "116"], ["AMT", "D", "30"]]
    second = block.index(with_id(block, "SBR")[1])
    assert block[second + 1:second + 8] == [
        ["CAS", "CO", "45", "55.5"], ["CAS", "OA", "23", "116"], ["CAS", "PR", "2", "4"],
        ["AMT", "D", "30"], ["OI", "", "", "Y", "", "", "Y"],
        ["NM1", "IL", "1", "O'NEIL", "ZOE", "Q", "", "", "MI", "1EG4TE5MK73"],
        ["NM1", "PR", "2", "BRAVO CARE", "", "", "", "", "PI", "BRAVO"]]
    assert block[second + 8] == ["DTP", "573", "D8", "20261204"]
    assert [s[1] for s in with_id(block, "SVD")] == ["ACME1", "ACME1"]
    assert_clean(data)


def test_a_tertiary_claim_with_both_payers_at_line_level() -> None:
    bravo = medicare(paid=Decimal("30.00"), paid_on=None, lines=(
        paid_line(1, "20.00", adj("CO", "45", "45.00"), adj("OA", "23", "60.00"),
                  on=MEDICARE_PAID_ON),
        paid_line(2, "10.00", adj("CO", "45", "14.50"), adj("OA", "23", "56.00"),
                  code="97110", modifiers=("GP",), units="2", on=MEDICARE_PAID_ON),
    ))
    c = secondary(sequence="T", other_payers=(acme(), bravo), rendering=DR_OKAFOR,
                  referring=DR_OKAFOR, referring_qualifier="DK")
    data = build_837p([c], SUBMITTER, ENV)
    block = claim_block(body(data), "2001")
    lx2 = block.index(["LX", "2"])
    first_line = block[block.index(["LX", "1"]):lx2]
    assert [s[1:3] for s in with_id(first_line, "SVD")] == [["ACME1", "60"], ["BRAVO", "20"]]
    ordering = first_line.index(with_id(first_line, "NM1", "DK")[0])
    assert first_line[ordering + 1][0] == "SVD"  # 2430 after 2420E
    assert with_id(first_line, "DTP", "573") == [["DTP", "573", "D8", "20261120"],
                                                 ["DTP", "573", "D8", "20261204"]]
    assert with_id(block, "DTP", "573")[-1] == ["DTP", "573", "D8", "20261204"]
    assert len(with_id(block, "DTP", "573")) == 4  # none in 2330B
    assert_clean(data)


def test_a_line_the_primary_denied() -> None:
    acme_denied = acme(paid=Decimal("60.00"), remaining_patient_liability=None, lines=(
        ACME_LINES[0],
        paid_line(2, "0", adj("CO", "50", "80.50"), code="97110", modifiers=("GP",), units="0"),
    ))
    data = build_837p([secondary(other_payers=(acme_denied,))], SUBMITTER, ENV)
    text = data.decode("ascii")
    assert "SVD*ACME1*0*HC:97110:GP**0~\nCAS*CO*50*80.5~\nDTP*573*D8*20261120~" in text
    assert "AMT*D*60~" in text
    assert_clean(data)


def test_a_claim_wholly_denied_by_the_primary() -> None:
    denied = acme(paid=Decimal("0"), lines=(), paid_on=PAID_ON, remaining_patient_liability=None,
                  claim_adjustments=(adj("CO", "29", "125.00"),))
    data = build_837p([secondary(lines=(line(1),), other_payers=(denied,))], SUBMITTER, ENV)
    text = data.decode("ascii")
    assert "CAS*CO*29*125~\nAMT*D*0~\nOI***Y***Y~" in text
    assert_clean(data)


def test_a_primary_claim_names_the_secondary_that_has_not_paid_yet() -> None:
    later = medicare(paid=None, paid_on=None, insurance_type="", plan_name="Delta Silver",
                     filing_indicator="CI", payer_name="Delta Mutual", payer_id="DELTA7",
                     relationship="01", insured=PersonName("Doe", "Jan"), member_id="D-555",
                     insured_address=HOME, benefits_assigned=False,
                     release_of_information=False)
    data = build_837p([claim("1001", other_payers=(later,))], SUBMITTER, ENV)
    block = claim_block(body(data), "1001")
    hi = block.index(with_id(block, "HI")[0])
    assert block[hi + 1:hi + 8] == [
        ["SBR", "S", "01", "", "DELTA SILVER", "", "", "", "", "CI"],
        ["OI", "", "", "N", "", "", "I"],
        ["NM1", "IL", "1", "DOE", "JAN", "", "", "", "MI", "D-555"],
        ["N3", "5 ELM ST", "APT 2"],
        ["N4", "SPRINGFIELD", "IL", "62702"],
        ["NM1", "PR", "2", "DELTA MUTUAL", "", "", "", "", "PI", "DELTA7"],
        ["LX", "1"],
    ]
    assert with_id(block, "AMT") == [] and with_id(block, "SVD") == []
    assert_clean(data)


def test_claims_with_different_sbr05_do_not_share_a_subscriber_loop() -> None:
    base = secondary(payer=BRAVO, group_number="", lines=(line(1),),
                     other_payers=(acme(lines=(), paid_on=PAID_ON, paid=Decimal("125"),
                                        remaining_patient_liability=None),))
    data = build_837p([replace(base, insurance_type="12"),
                       replace(base, claim_id="2002", insurance_type="43")], SUBMITTER, ENV)
    assert [s[5] for s in with_id(body(data), "SBR") if s[1] == "S"] == ["12", "43"]
    assert len([h for h in with_id(body(data), "HL") if h[3] == "22"]) == 2
    assert_clean(data)


def test_a_dependent_secondary_claim_validates() -> None:
    # Kim's claim to Delta (her mother's plan, secondary) after her father's Acme plan paid.
    kim_acme = acme(relationship="19", insured=JAN.name, member_id="D999",
                    insured_address=Address("5 Elm St", "Springfield", "IL", "62702"))
    c = secondary(subscriber=ZOE, patient=KIM, relationship="19", other_payers=(kim_acme,))
    data = build_837p([c], SUBMITTER, ENV)
    assert [s[:3] for s in with_id(body(data), "SBR")] == [["SBR", "S", ""], ["SBR", "P", "19"]]
    assert_clean(data)


# --- refused before writing ---------------------------------------------------------------------
def test_a_claim_that_does_not_balance_for_the_other_payer() -> None:
    text = refused(secondary(other_payers=(acme(paid=Decimal("120.00")),)))
    assert "Other payer 1: the claim does not balance" in text
    assert "85.50" in text and "89.50" in text and "line 1" not in text


def test_a_line_that_does_not_balance() -> None:
    short = paid_line(2, "56.00", adj("CO", "45", "10.50"), code="97110", modifiers=("GP",))
    text = refused(secondary(other_payers=(acme(lines=(ACME_LINES[0], short),
                                                claim_adjustments=(adj("PR", "2", "14"),)),)))
    assert "Other payer 1: line 2 does not balance" in text
    assert "24.50" in text and "10.50" in text
    assert "the claim does not balance" not in text  # the 14.00 is at claim level instead


def test_a_line_payment_for_a_line_that_is_not_on_the_claim() -> None:
    stray = replace(ACME_LINES[1], line_no=7)
    text = refused(secondary(other_payers=(acme(lines=(ACME_LINES[0], stray)),)))
    assert "a line payment is for line 7, which is not on the claim" in text


@pytest.mark.parametrize(("change", "words"), [
    (dict(member_id=""), "Other payer 1: the member ID is missing."),
    (dict(payer_id=""), "Other payer 1: it needs a name and a payer ID."),
    (dict(payer_name=" "), "Other payer 1: it needs a name and a payer ID."),
    (dict(sequence="S"), "its payer sequence (SBR01) is the same as this claim's"),
    (dict(lines=(), paid_on=None), "the date it paid or denied the claim (2330B DTP*573)"),
    (dict(paid=None), "need the amount it paid"),
    (dict(relationship="99"), "relationship to its insured"),
    (dict(claim_adjustments=(adj("XX", "45", "0"),)), "CO, CR, OA, PI or PR"),
    (dict(claim_adjustments=tuple(adj("PR", str(n), "0") for n in range(7))),
     "at most 6 adjustments per group"),
])
def test_other_payer_problems(change: dict[str, object], words: str) -> None:
    assert words in refused(secondary(other_payers=(acme(**change),)))


def test_two_other_payers_with_one_sequence_or_one_payer_id() -> None:
    twin = medicare(sequence="P", insurance_type="")
    text = refused(secondary(sequence="T", other_payers=(acme(), twin)))
    assert "Two other payers have the same payer sequence" in text
    same_id = medicare(payer_id="ACME1")
    text = refused(secondary(sequence="T", other_payers=(acme(), same_id)))
    assert "same payer ID" in text
    claim_level = acme(paid=Decimal("116.00"), lines=(), paid_on=PAID_ON,
                       claim_adjustments=(adj("CO", "45", "89.50"),))
    text = refused(secondary(sequence="T", other_payers=(claim_level, same_id)))
    assert "same payer ID" not in text  # nothing to tell apart without 2430 loops


def test_medicare_secondary_needs_sbr05() -> None:
    c = secondary(payer=BRAVO, group_number="", lines=(line(1),),
                  other_payers=(acme(lines=(), paid_on=PAID_ON, paid=Decimal("125"),
                                     remaining_patient_liability=None),))
    assert "The claim: Medicare is not primary" in refused(c)
    assert "not an 837P code" in refused(replace(c, insurance_type="99"))
    primary = claim("1001", payer=BRAVO, insurance_type="12")
    assert "only for a payer that is not primary" in refused(primary)
    tertiary = secondary(sequence="T", other_payers=(acme(), medicare(insurance_type="")))
    assert "Other payer 2: Medicare is not primary" in refused(tertiary)


def test_a_primary_claim_with_no_other_payers_is_unchanged() -> None:
    assert check_837p([claim()], SUBMITTER) == {}
    assert claim().prior_paid == Decimal("0.00")
    c = secondary(sequence="T", other_payers=(acme(), medicare(
        claim_adjustments=(adj("CO", "45", "175.50"),))))
    assert c.prior_paid == Decimal("146.00")
    assert c.amount_paid == Decimal("146.00")
