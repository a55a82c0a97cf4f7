"""The estimate arithmetic (app.formats.estimate) on worked examples computed by hand, bad
input, and a property test: every line splits exactly into the patient's share, the insurer's
and the write-off, in cents, under the out-of-pocket cap."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.formats.estimate import BenefitFigures, EstimateInputError, PlannedLine, estimate

VISIT = PlannedLine("99213", "Office visit", D(1), D("150.00"), D("100.00"))
LAB = PlannedLine("36415", "Blood draw", D(1), D("20.00"), D("10.00"))


def plan(**kw: object) -> BenefitFigures:
    return BenefitFigures(active=True, **kw)  # type: ignore[arg-type]


def split(e, attr: str) -> list[D]:  # noqa: ANN001
    return [getattr(ln, attr) for ln in e.lines]


def test_deductible_partly_met_then_coinsurance() -> None:
    # 50.00 of deductible left goes all to the visit (allowed 100.00); 20% of the other
    # 50.00 is 10.00 → visit 60.00. The lab's 10.00 allowed: 20% = 2.00. Insurer 40 + 8.
    e = estimate([VISIT, LAB], plan(deductible_total=D("500.00"), deductible_met=D("450.00"),
                                    coinsurance_percent=D(20), oop_total=D("3000.00"),
                                    oop_met=D("500.00"), copay_waives_deductible=False))
    assert split(e, "deductible") == [D("50.00"), D("0.00")]
    assert split(e, "coinsurance") == [D("10.00"), D("2.00")]
    assert split(e, "patient") == [D("60.00"), D("2.00")]
    assert split(e, "insurer") == [D("40.00"), D("8.00")]
    assert split(e, "write_off") == [D("50.00"), D("10.00")]
    assert (e.total_charge, e.total_allowed, e.patient_total, e.insurer_total,
            e.write_off_total) == (D("170.00"), D("110.00"), D("62.00"), D("48.00"), D("60.00"))
    assert "Deductible: 50.00 left to meet (individual)." in e.steps
    assert "Coinsurance 20% of 50.00 for 99213 = 10.00." in e.steps


def test_an_office_visit_copay_is_all_the_patient_owes() -> None:
    # Copay 25.00 of the 100.00 allowed; the deductible (500 unmet) does not apply.
    e = estimate([VISIT], plan(copay=D("25.00"), deductible_total=D("500.00"),
                               deductible_met=D(0), coinsurance_percent=D(20)))
    assert (split(e, "copay"), split(e, "deductible"), e.patient_total, e.insurer_total) == (
        [D("25.00")], [D("0.00")], D("25.00"), D("75.00"))
    assert e.steps[-1] == "The copay covers the visit: no deductible or coinsurance applies."


def test_a_copay_before_the_deductible_when_the_plan_says_so() -> None:
    # 25.00 copay, then 75.00 left of the allowed: all to the deductible (1000 unmet).
    e = estimate([VISIT], plan(copay=D("25.00"), copay_waives_deductible=False,
                               deductible_total=D("1000.00"), deductible_met=D(0),
                               coinsurance_percent=D(20)))
    assert (split(e, "copay"), split(e, "deductible"), split(e, "coinsurance")) == (
        [D("25.00")], [D("75.00")], [D("0.00")])
    assert (e.patient_total, e.insurer_total) == (D("100.00"), D("0.00"))


def test_the_out_of_pocket_maximum_caps_the_share() -> None:
    # 100.00 deductible left, then 20% of 700.00 = 140.00 → 240.00, but only 50.00 of the
    # out-of-pocket maximum is left: coinsurance is taken back first, then 50 of deductible.
    line = PlannedLine("20610", "Joint injection", D(1), D("1000.00"), D("800.00"))
    e = estimate([line], plan(deductible_total=D("1000.00"), deductible_met=D("900.00"),
                              coinsurance_percent=D(20), oop_total=D("2000.00"),
                              oop_met=D("1950.00")))
    assert (split(e, "deductible"), split(e, "coinsurance"), e.patient_total,
            e.insurer_total) == ([D("50.00")], [D("0.00")], D("50.00"), D("750.00"))
    assert any("capped from 240.00 to 50.00" in s for s in e.steps)


@pytest.mark.parametrize(("benefits", "why"), [
    (None, "No insurance on file"),
    (BenefitFigures(active=False, coinsurance_percent=D(20)),
     "The payer reports the coverage inactive"),
])
def test_no_coverage_is_self_pay(benefits: BenefitFigures | None, why: str) -> None:
    e = estimate([VISIT, LAB], benefits)
    assert (e.patient_total, e.insurer_total, e.write_off_total) == (D("170.00"), 0, 0)
    assert e.steps == (f"{why}: the patient pays the full charge, 170.00.",)


def test_the_smaller_of_individual_and_family_deductible_left_applies() -> None:
    # Individual 800 left, family 100 left → 100 applies; 20% of the other 200 = 40.00.
    line = PlannedLine("99214", "Visit", D(1), D("300.00"), D("300.00"))
    e = estimate([line], plan(deductible_total=D("1000.00"), deductible_met=D("200.00"),
                              family_deductible_total=D("2000.00"),
                              family_deductible_met=D("1900.00"), coinsurance_percent=D(20)))
    assert (split(e, "deductible"), split(e, "coinsurance"), e.patient_total) == (
        [D("100.00")], [D("40.00")], D("140.00"))
    assert "Deductible: 100.00 left to meet (family)." in e.steps


def test_out_of_network_the_patient_is_billed_above_the_allowed() -> None:
    # Deductible met; 40% of 120.00 = 48.00, plus the 80.00 above the allowed.
    line = PlannedLine("99213", "Visit", D(1), D("200.00"), D("120.00"))
    e = estimate([line], plan(deductible_total=D("500.00"), deductible_met=D("500.00"),
                              coinsurance_percent=D(40), in_network=False))
    assert (e.patient_total, e.insurer_total, e.write_off_total) == (
        D("128.00"), D("72.00"), D("0.00"))
    assert any("billed to the patient" in n for n in e.notes)


def test_no_contract_rate_takes_the_charge_as_allowed() -> None:
    line = PlannedLine("J1100", "Dexamethasone", D(2), D("8.00"), None)
    e = estimate([line], plan(coinsurance_percent=D(20)))
    assert (split(e, "allowed"), e.patient_total, e.insurer_total) == (
        [D("8.00")], D("1.60"), D("6.40"))
    assert e.steps[0].startswith("J1100: no contract rate")


def test_coinsurance_rounds_half_up_per_line_and_lines_add_up() -> None:
    # 50% of 0.05, 1.01 and 2.33 = 0.025, 0.505, 1.165 → 0.03, 0.51, 1.17 (total 1.71).
    lines = [PlannedLine(c, "", D(1), a, a) for c, a in
             (("A", D("0.05")), ("B", D("1.01")), ("C", D("2.33")))]
    e = estimate(lines, plan(coinsurance_percent=D(50)))
    assert split(e, "patient") == [D("0.03"), D("0.51"), D("1.17")]
    assert (e.patient_total, e.insurer_total) == (D("1.71"), D("1.68"))
    assert e.patient_total + e.insurer_total == e.total_allowed


@pytest.mark.parametrize(("lines", "benefits", "message"), [
    ([], None, "at least one"),
    ([VISIT], plan(coinsurance_percent=D(120)), "0 to 100"),
    ([VISIT], plan(deductible_total=D(100), deductible_met=D(150)), "more than its total"),
    ([VISIT], plan(oop_total=D(100), oop_met=D(150)), "out-of-pocket maximum"),
    ([PlannedLine("X", "", D(1), D(-5), None)], None, "charge of line 1"),
    ([VISIT], plan(copay=D(-1)), "Copay"),
])
def test_bad_figures_say_what_to_fix(lines: list[PlannedLine], benefits: BenefitFigures | None,
                                     message: str) -> None:
    with pytest.raises(EstimateInputError, match=message):
        estimate(lines, benefits)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        estimate([PlannedLine("X", "", D(1), 10.0, None)], None)  # type: ignore[arg-type]


cents = st.integers(min_value=0, max_value=500_000).map(lambda n: D(n) / 100)
maybe = st.one_of(st.none(), cents)


@st.composite
def scenario(draw):  # noqa: ANN001, ANN201 - hypothesis' own types
    lines = []
    for n in range(draw(st.integers(1, 6))):
        charge = draw(cents)
        allowed = draw(st.one_of(st.none(), cents.filter(lambda a, c=charge: a <= c)))
        lines.append(PlannedLine(f"L{n}", "", D(1), charge, allowed))
    ded, oop = draw(maybe), draw(maybe)
    return lines, BenefitFigures(
        active=True, deductible_total=ded,
        deductible_met=None if ded is None else draw(cents.filter(lambda m: m <= ded)),
        coinsurance_percent=draw(st.one_of(st.none(), st.integers(0, 100).map(D))),
        copay=draw(maybe), copay_waives_deductible=draw(st.booleans()), oop_total=oop,
        oop_met=None if oop is None else draw(cents.filter(lambda m: m <= oop)),
        in_network=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_every_line_splits_exactly_and_the_cap_holds(case) -> None:  # noqa: ANN001
    lines, b = case
    e = estimate(lines, b)
    for ln in e.lines:
        assert ln.patient + ln.insurer + ln.write_off == ln.charge
        for v in (ln.patient, ln.insurer, ln.write_off, ln.deductible, ln.coinsurance,
                  ln.copay):
            assert v >= 0 and v == v.quantize(D("0.01"))
    assert e.patient_total == sum(ln.patient for ln in e.lines)
    if b.oop_total is not None:
        balance = sum(ln.charge - ln.allowed for ln in e.lines) if not b.in_network else 0
        assert e.patient_total - balance <= b.oop_total - (b.oop_met or 0)
