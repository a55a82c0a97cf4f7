"""The estimate arithmetic (app.formats.estimate) on worked examples computed by hand, the
steps written for the clerk, bad input, and a property test: every line splits exactly into the
patient's share, the insurer's payment and the write-off, in cents, under the out-of-pocket cap.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import UserError
from app.formats.estimate import (
    BenefitFigures,
    Estimate,
    EstimateInputError,
    PlannedLine,
    estimate,
)

VISIT = PlannedLine("99213", "Office visit", D(1), D("150.00"), D("100.00"))
PANEL = PlannedLine("80053", "Metabolic panel", D(1), D("60.00"), D("40.00"))
NO_FIGURES: dict[str, Any] = dict(
    deductible_total=None, deductible_met=None, family_deductible_total=None,
    family_deductible_met=None, coinsurance_percent=None, copay=None,
    copay_waives_deductible=False, oop_total=None, oop_met=None)


def plan(**figures: Any) -> BenefitFigures:
    """Active coverage; every figure not given is unreported (and no copay waiver)."""
    return BenefitFigures(active=True, **{**NO_FIGURES, **figures})


def split(e: Estimate, attr: str) -> list[D]:
    return [getattr(ln, attr) for ln in e.lines]


def totals(e: Estimate) -> tuple[D, D, D, D, D]:
    return (e.total_charge, e.total_allowed, e.patient_total, e.insurer_total,
            e.write_off_total)


# (1) ----------------------------------------------------------------------------------------

def test_deductible_partly_met_then_coinsurance_on_two_contract_lines() -> None:
    # Deductible 500.00 − 420.00 met = 80.00 remaining.
    # 99213: allowed 100.00 → 80.00 to the deductible (0.00 left); 20% of 20.00 = 4.00;
    #        patient 84.00, insurer 100 − 84 = 16.00, write-off 150 − 100 = 50.00.
    # 80053: allowed 40.00 → no deductible left; 20% of 40.00 = 8.00;
    #        patient 8.00, insurer 32.00, write-off 60 − 40 = 20.00.
    # Totals: charge 210.00, allowed 140.00, patient 92.00, insurer 48.00, write-off 70.00;
    # out-of-pocket 3,000 − 1,000 = 2,000.00 remaining, not reached.
    e = estimate([VISIT, PANEL], plan(deductible_total=D("500.00"), deductible_met=D("420.00"),
                                      coinsurance_percent=D(20), oop_total=D("3000.00"),
                                      oop_met=D("1000.00")))
    assert split(e, "deductible") == [D("80.00"), D("0.00")]
    assert split(e, "coinsurance") == [D("4.00"), D("8.00")]
    assert split(e, "patient") == [D("84.00"), D("8.00")]
    assert split(e, "insurer") == [D("16.00"), D("32.00")]
    assert split(e, "write_off") == [D("50.00"), D("20.00")]
    assert totals(e) == (D("210.00"), D("140.00"), D("92.00"), D("48.00"), D("70.00"))
    assert e.steps == (
        "Deductible: 80.00 remaining; 80.00 applied to 99213 → 0.00 remaining",
        "Coinsurance 20% of 20.00 = 4.00 (99213)",
        "Coinsurance 20% of 40.00 = 8.00 (80053)",
        "Out-of-pocket maximum: 2,000.00 remaining; not reached.",
        "In network: 70.00 above the allowed amounts is written off by the practice under its "
        "contract.")


def test_thousands_are_separated_in_the_steps() -> None:
    # 1,500.00 − 300.00 = 1,200.00 remaining; 150.00 allowed all goes to it → 1,050.00 left.
    line = PlannedLine("99213", "Office visit", D(1), D("150.00"), D("150.00"))
    e = estimate([line], plan(deductible_total=D("1500.00"), deductible_met=D("300.00")))
    assert "Deductible: 1,200.00 remaining; 150.00 applied to 99213 → 1,050.00 remaining" \
        in e.steps
    assert (e.patient_total, e.insurer_total) == (D("150.00"), D("0.00"))


# (2) ----------------------------------------------------------------------------------------

def test_a_copay_only_office_visit() -> None:
    # copay_waives_deductible: the 25.00 copay is all the patient owes, although 1,000.00 of
    # deductible is unmet and coinsurance is 20%. Insurer 100 − 25 = 75.00; write-off 50.00.
    e = estimate([VISIT], plan(copay=D("25.00"), copay_waives_deductible=True,
                               deductible_total=D("1000.00"), deductible_met=D("0.00"),
                               coinsurance_percent=D(20)))
    assert (split(e, "copay"), split(e, "deductible"), split(e, "coinsurance")) == (
        [D("25.00")], [D("0.00")], [D("0.00")])
    assert totals(e) == (D("150.00"), D("100.00"), D("25.00"), D("75.00"), D("50.00"))
    assert e.steps[:2] == ("Copay for the visit: 25.00",
                           "The copay covers the visit: no deductible or coinsurance applies.")


def test_a_zero_copay_that_waives_the_deductible_leaves_nothing_to_pay() -> None:
    # A reported $0 copay is a copay (None is "not reported"): the visit costs the patient 0.
    e = estimate([VISIT], plan(copay=D("0.00"), copay_waives_deductible=True,
                               deductible_total=D("1000.00"), deductible_met=D("0.00")))
    assert (e.patient_total, e.insurer_total) == (D("0.00"), D("100.00"))


def test_a_copay_that_does_not_waive_the_deductible_comes_first() -> None:
    # 25.00 copay; the other 75.00 of the allowed all goes to the 1,000.00 deductible; nothing
    # left for coinsurance. Patient 100.00, insurer 0.00.
    e = estimate([VISIT], plan(copay=D("25.00"), copay_waives_deductible=False,
                               deductible_total=D("1000.00"), deductible_met=D("0.00"),
                               coinsurance_percent=D(20)))
    assert (split(e, "copay"), split(e, "deductible"), split(e, "coinsurance")) == (
        [D("25.00")], [D("75.00")], [D("0.00")])
    assert (e.patient_total, e.insurer_total) == (D("100.00"), D("0.00"))


def test_a_copay_above_the_allowed_is_limited_to_it() -> None:
    # Copay 40.00 over a visit allowed at 30.00 in all: the patient owes 30.00.
    line = PlannedLine("99211", "Nurse visit", D(1), D("50.00"), D("30.00"))
    e = estimate([line], plan(copay=D("40.00"), copay_waives_deductible=True))
    assert (e.patient_total, e.insurer_total) == (D("30.00"), D("0.00"))
    assert e.steps[0] == "Copay for the visit: 40.00 (limited to the allowed amount, 30.00)"


# (3) ----------------------------------------------------------------------------------------

def test_the_out_of_pocket_maximum_caps_the_share() -> None:
    # Out-of-pocket 6,000 − 5,700 met = 300.00 remaining; deductible 250.00 remaining.
    # 29881: allowed 1,000.00 → 250.00 deductible; 20% of 750.00 = 150.00 → 400.00.
    # 99213: allowed 50.00 → 20% = 10.00. Share 410.00 > 300.00: 110.00 is taken back from
    # the last lines first: 99213's 10.00 coinsurance, then 100.00 of 29881's 150.00.
    # Patient 300.00 + 0.00; insurer 1,000 − 300 = 700.00 and 50.00; write-off 300 + 50.
    lines = [PlannedLine("29881", "Knee arthroscopy", D(1), D("1300.00"), D("1000.00")),
             PlannedLine("99213", "Office visit", D(1), D("100.00"), D("50.00"))]
    e = estimate(lines, plan(deductible_total=D("1000.00"), deductible_met=D("750.00"),
                             coinsurance_percent=D(20), oop_total=D("6000.00"),
                             oop_met=D("5700.00")))
    assert (split(e, "deductible"), split(e, "coinsurance")) == (
        [D("250.00"), D("0.00")], [D("50.00"), D("0.00")])
    assert split(e, "patient") == [D("300.00"), D("0.00")]
    assert totals(e) == (D("1400.00"), D("1050.00"), D("300.00"), D("750.00"), D("350.00"))
    assert "Out-of-pocket maximum: 300.00 remaining; patient share capped from 410.00 to " \
        "300.00" in e.steps


def test_an_out_of_pocket_maximum_already_met_leaves_nothing() -> None:
    e = estimate([VISIT], plan(copay=D("25.00"), copay_waives_deductible=True,
                               oop_total=D("2000.00"), oop_met=D("2000.00")))
    assert (e.patient_total, e.insurer_total) == (D("0.00"), D("100.00"))


# (4) ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("benefits", "why"), [
    (None, "No insurance on file"),
    (BenefitFigures(active=False, **{**NO_FIGURES, "coinsurance_percent": D(20)}),
     "The payer reports the coverage inactive"),
])
def test_no_coverage_or_inactive_coverage_is_self_pay(benefits: BenefitFigures | None,
                                                      why: str) -> None:
    # Every charge is the patient's: 150.00 + 60.00 = 210.00; nothing from insurance.
    e = estimate([VISIT, PANEL], benefits)
    assert split(e, "patient") == [D("150.00"), D("60.00")]
    assert totals(e) == (D("210.00"), D("210.00"), D("210.00"), D("0.00"), D("0.00"))
    assert e.steps == (f"{why}: self-pay; the patient pays the full charge, 210.00.",)


# (5) ----------------------------------------------------------------------------------------

def test_the_family_deductible_when_less_is_left_of_it() -> None:
    # Individual 1,000 − 200 = 800.00 left; family 2,000 − 1,900 = 100.00 left → 100.00.
    # 99214 allowed 250.00: 100.00 deductible; 20% of 150.00 = 30.00 → patient 130.00,
    # insurer 120.00, write-off 300 − 250 = 50.00.
    line = PlannedLine("99214", "Office visit", D(1), D("300.00"), D("250.00"))
    e = estimate([line], plan(deductible_total=D("1000.00"), deductible_met=D("200.00"),
                              family_deductible_total=D("2000.00"),
                              family_deductible_met=D("1900.00"), coinsurance_percent=D(20)))
    assert (split(e, "deductible"), split(e, "coinsurance")) == ([D("100.00")], [D("30.00")])
    assert totals(e) == (D("300.00"), D("250.00"), D("130.00"), D("120.00"), D("50.00"))
    assert e.steps[:3] == (
        "Deductible remaining: individual 800.00, family 100.00; the smaller (family) applies.",
        "Deductible: 100.00 remaining; 100.00 applied to 99214 → 0.00 remaining",
        "Coinsurance 20% of 150.00 = 30.00 (99214)")


# (6) ----------------------------------------------------------------------------------------

def test_out_of_network_the_patient_may_be_billed_above_the_allowed() -> None:
    # Deductible met; 40% of the 120.00 allowed = 48.00, plus the 200 − 120 = 80.00 above it
    # → patient 128.00; insurer 120 − 48 = 72.00; nothing written off.
    line = PlannedLine("99213", "Office visit", D(1), D("200.00"), D("120.00"))
    e = estimate([line], plan(deductible_total=D("500.00"), deductible_met=D("500.00"),
                              coinsurance_percent=D(40), in_network=False))
    assert totals(e) == (D("200.00"), D("120.00"), D("128.00"), D("72.00"), D("0.00"))
    assert "Out of network: 80.00 above the allowed amounts may be billed to the patient, " \
        "and is added to the patient's share (outside the out-of-pocket maximum)." in e.steps
    assert e.notes == ("Out of network: the patient may be billed the amount above the "
                       "allowed.",)


def test_the_balance_out_of_network_is_outside_the_out_of_pocket_cap() -> None:
    # As above, but only 30.00 of the out-of-pocket maximum is left: 48.00 → 30.00, plus the
    # 80.00 balance = 110.00; insurer 120 − 30 = 90.00.
    line = PlannedLine("99213", "Office visit", D(1), D("200.00"), D("120.00"))
    e = estimate([line], plan(coinsurance_percent=D(40), oop_total=D("1000.00"),
                              oop_met=D("970.00"), in_network=False))
    assert (e.patient_total, e.insurer_total, e.write_off_total) == (
        D("110.00"), D("90.00"), D("0.00"))


# (7) ----------------------------------------------------------------------------------------

def test_coinsurance_rounds_half_up_on_each_line_and_the_lines_make_the_total() -> None:
    # 20% of a whole-cent amount is a multiple of 0.002, never exactly half a cent, so the
    # half-cent ties are shown at 10%: 10% of 0.05, 10.05 and 0.25 = 0.005, 1.005, 0.025 →
    # 0.01, 1.01, 0.03 half up (half-even would give 0.00, 1.00, 0.02). Patient 1.05 — the sum
    # of the lines, not the 1.035 → 1.04 a rounded total would give. Insurer 0.04 + 9.04 +
    # 0.22 = 9.30; 1.05 + 9.30 = 10.35 allowed.
    lines = [PlannedLine(c, "", D(1), a, a) for c, a in
             (("A", D("0.05")), ("B", D("10.05")), ("C", D("0.25")))]
    e = estimate(lines, plan(coinsurance_percent=D(10)))
    assert split(e, "coinsurance") == [D("0.01"), D("1.01"), D("0.03")]
    assert split(e, "insurer") == [D("0.04"), D("9.04"), D("0.22")]
    assert (e.patient_total, e.insurer_total, e.total_allowed) == (
        D("1.05"), D("9.30"), D("10.35"))
    assert "Coinsurance 10% of 10.05 = 1.01 (B)" in e.steps


def test_twenty_percent_rounds_on_each_line() -> None:
    # 20% of 10.03 = 2.006 → 2.01 on each of three lines; patient 6.03 (not 6.018 → 6.02),
    # insurer 3 × 8.02 = 24.06; 6.03 + 24.06 = 30.09.
    lines = [PlannedLine(c, "", D(1), D("10.03"), D("10.03")) for c in "ABC"]
    e = estimate(lines, plan(coinsurance_percent=D(20)))
    assert split(e, "patient") == [D("2.01")] * 3
    assert (e.patient_total, e.insurer_total, e.total_allowed) == (
        D("6.03"), D("24.06"), D("30.09"))


# rules about the allowed amount -------------------------------------------------------------

def test_without_a_contract_rate_the_charge_is_allowed() -> None:
    # J1100 × 2: charge 8.00, no rate → allowed 8.00; 20% = 1.60; insurer 6.40.
    line = PlannedLine("J1100", "Dexamethasone 1 mg", D(2), D("8.00"), None)
    e = estimate([line], plan(coinsurance_percent=D(20)))
    assert (split(e, "allowed"), e.patient_total, e.insurer_total) == (
        [D("8.00")], D("1.60"), D("6.40"))
    assert e.steps[0] == "J1100: no contract rate; the allowed amount is the charge, 8.00."


def test_a_contract_rate_above_the_charge_allows_the_charge() -> None:
    line = PlannedLine("99213", "Office visit", D(1), D("90.00"), D("100.00"))
    e = estimate([line], plan())
    assert (split(e, "allowed"), e.write_off_total) == ([D("90.00")], D("0.00"))
    assert e.steps[0].startswith("99213: the contract rate 100.00 is more than the charge")


def test_unreported_figures_are_said_and_the_source_is_noted() -> None:
    e = estimate([VISIT], plan(deductible_total=D("500.00"), oop_total=D("3000.00"),
                               as_of=date(2026, 5, 20), source="verification of 05/20/2026"))
    # Nothing met reported → all 500.00 remaining; the 100.00 allowed goes to it.
    assert e.patient_total == D("100.00")
    assert "The amount met of the deductible was not reported; taken as 0.00." in e.steps
    assert "No coinsurance reported: the plan pays the rest of the allowed amount." in e.steps
    assert e.notes == ("Benefits from the verification of 05/20/2026.",)
    assert e.benefits_as_of == date(2026, 5, 20)


# (8) ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lines", "benefits", "message"), [
    ([], None, "Add at least one planned service."),
    ([VISIT], plan(coinsurance_percent=D(120)), "The coinsurance is a percent from 0 to 100."),
    ([VISIT], plan(coinsurance_percent=D(-1)), "The coinsurance is a percent from 0 to 100."),
    ([VISIT], plan(deductible_total=D(100), deductible_met=D(150)),
     "The amount met of the deductible is more than its total."),
    ([VISIT], plan(family_deductible_total=D(100), family_deductible_met=D(150)),
     "The amount met of the family deductible is more than its total."),
    ([VISIT], plan(oop_total=D(100), oop_met=D(150)),
     "The amount met of the out-of-pocket maximum is more than its total."),
    ([PlannedLine("X", "", D(1), D("-5.00"), None)], None,
     "The charge of line 1 must be 0.00 or more."),
    ([VISIT, PlannedLine("X", "", D(1), D("5.00"), D("-1.00"))], None,
     "The allowed amount of line 2 must be 0.00 or more."),
    ([PlannedLine("X", "", D(0), D("5.00"), None)], None,
     "The units of line 1 must be more than 0."),
    ([PlannedLine("X", "", D(1), D("5.005"), None)], None,
     "The charge of line 1 has fractions of a cent; use dollars and cents."),
    ([PlannedLine("X", "", D(1), D("NaN"), None)], None, "The charge of line 1 is not a number."),
    ([VISIT], plan(copay=D("-1.00")), "The copay must be 0.00 or more."),
    ([VISIT], plan(oop_met=D("-1.00")), "The out-of-pocket maximum met must be 0.00 or more."),
])
def test_bad_figures_say_what_to_fix(lines: list[PlannedLine], benefits: BenefitFigures | None,
                                     message: str) -> None:
    with pytest.raises(EstimateInputError) as err:
        estimate(lines, benefits)
    assert str(err.value) == message
    assert isinstance(err.value, UserError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize(("lines", "benefits"), [
    ([PlannedLine("X", "", D(1), 10.0, None)], None),  # type: ignore[arg-type]
    ([PlannedLine("X", "", 1.0, D("10.00"), None)], None),  # type: ignore[arg-type]
    ([VISIT], plan(copay=25.0)),
    ([VISIT], plan(coinsurance_percent=20.0)),
    ([PlannedLine("X", "", D(1), 10, None)], None),  # type: ignore[arg-type]
])
def test_floats_and_other_non_decimals_are_refused(lines: list[PlannedLine],
                                                   benefits: BenefitFigures | None) -> None:
    with pytest.raises(TypeError):
        estimate(lines, benefits)


# property -----------------------------------------------------------------------------------

CENT = D("0.01")
cents = st.integers(min_value=0, max_value=500_000).map(lambda n: D(n) / 100)
maybe = st.one_of(st.none(), cents)


@st.composite
def total_and_met(draw: st.DrawFn) -> tuple[D | None, D | None]:
    total = draw(maybe)
    if total is None:
        return None, None
    return total, draw(st.one_of(st.none(), cents.filter(lambda m: m <= total)))


@st.composite
def scenario(draw: st.DrawFn) -> tuple[list[PlannedLine], BenefitFigures]:
    lines = []
    for n in range(draw(st.integers(1, 6))):
        charge = draw(cents)
        allowed = draw(st.one_of(st.none(), cents))  # above the charge too: allowed = charge
        units = draw(st.integers(1, 10).map(D))
        lines.append(PlannedLine(f"L{n}", "", units, charge, allowed))
    ded, fam, oop = draw(total_and_met()), draw(total_and_met()), draw(total_and_met())
    return lines, BenefitFigures(
        active=True, deductible_total=ded[0], deductible_met=ded[1],
        family_deductible_total=fam[0], family_deductible_met=fam[1],
        coinsurance_percent=draw(st.one_of(st.none(), st.integers(0, 1000).map(
            lambda n: D(n) / 10))),
        copay=draw(maybe), copay_waives_deductible=draw(st.booleans()), oop_total=oop[0],
        oop_met=oop[1], in_network=draw(st.booleans()))


def in_cents(value: D) -> bool:
    return value >= 0 and value == value.quantize(CENT) and value.as_tuple().exponent == -2


@settings(max_examples=400, deadline=None)
@given(scenario())
def test_every_line_splits_exactly_and_the_cap_holds(
        case: tuple[list[PlannedLine], BenefitFigures]) -> None:
    lines, b = case
    e = estimate(lines, b)
    for ln in e.lines:
        assert ln.patient + ln.insurer + ln.write_off == ln.charge
        assert ln.allowed <= ln.charge
        for v in (ln.charge, ln.allowed, ln.patient, ln.insurer, ln.write_off, ln.deductible,
                  ln.coinsurance, ln.copay):
            assert in_cents(v)
    for total, attr in ((e.total_charge, "charge"), (e.total_allowed, "allowed"),
                        (e.patient_total, "patient"), (e.insurer_total, "insurer"),
                        (e.write_off_total, "write_off")):
        assert total == sum(split(e, attr), D(0)) and in_cents(total)
    assert e.patient_total + e.insurer_total + e.write_off_total == e.total_charge
    if b.oop_total is not None:
        # Out of network the balance above the allowed is billed outside the cap.
        balance = D(0) if b.in_network else e.total_charge - e.total_allowed
        assert e.patient_total - balance <= b.oop_total - (b.oop_met or 0)
