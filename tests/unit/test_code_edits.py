"""The pure code edits (app.formats.code_edits): each edit firing and not firing, NCCI pairs
with and without bypass modifiers, MUE limits, NDC normalisation and age on a date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from app.formats import code_edits as ce
from app.formats.code_edits import (
    CodingDraft,
    DiagnosisFact,
    Facts,
    LineDraft,
    MueFact,
    NcciFact,
    ProcedureFact,
)

DOS = date(2024, 3, 1)
E119 = DiagnosisFact("E119", "E11.9", description="Type 2 diabetes mellitus without "
                     "complications")
I10 = DiagnosisFact("I10", "I10", description="Essential (primary) hypertension")
PROCS = {c: ProcedureFact(c) for c in ("99213", "20610", "96372", "36415", "11055")}


def facts(**kw: Any) -> Facts:
    values: dict[str, Any] = dict(dos=DOS, patient_sex="F", patient_age=40,
                                  icd_release="FY2024", diagnoses={"E119": E119, "I10": I10},
                                  procedures=PROCS)
    values.update(kw)
    return Facts(**values)


def line(code: str = "99213", **kw: Any) -> LineDraft:
    values: dict[str, Any] = dict(pointers="A", units=Decimal(1), charge=Decimal("100.00"))
    values.update(kw)
    return LineDraft(code, **values)


def draft(*lines: LineDraft, dx: tuple[str, ...] = ("E119", "I10")) -> CodingDraft:
    return CodingDraft(dx, lines or (line(),))


def found(edits: list[ce.CodeEdit]) -> set[tuple[str, str, str]]:
    return {(e.rule, e.severity, e.where) for e in edits}


def rules(edits: list[ce.CodeEdit]) -> set[str]:
    return {e.rule for e in edits}


def test_a_clean_encounter_has_no_edits() -> None:
    assert ce.check(draft(line(), line("36415", pointers="AB")), facts()) == []


# --- diagnoses ---------------------------------------------------------------------------------
def test_header_code_is_an_error_naming_the_code_and_the_guideline() -> None:
    e11 = DiagnosisFact("E11", "E11", billable=False, description="Type 2 diabetes mellitus")
    edits = ce.check(draft(dx=("E11",)), facts(diagnoses={"E11": e11}))
    assert found(edits) == {("diagnosis-header", "error", "diagnosis A")}
    assert "E11 is a category heading" in edits[0].message
    assert "more specific" in edits[0].message
    assert "I.A.3" in edits[0].source
    assert ce.check(draft(dx=("E11",)), facts(diagnoses={"E11": replace(e11, billable=True)})
                    ) == []


def test_code_not_in_the_release_in_force_on_the_dos_is_an_error() -> None:
    gone = replace(I10, valid_on_dos=False)
    edits = ce.check(draft(dx=("E119", "I10")), facts(diagnoses={"E119": E119, "I10": gone}))
    assert found(edits) == {("diagnosis-not-valid-on-dos", "error", "diagnosis B")}
    assert "FY2024" in edits[0].message and "2024-03-01" in edits[0].message


def test_without_a_release_for_the_dos_a_warning_names_the_release_used() -> None:
    edits = ce.check(draft(), facts(icd_release_covers_dos=False, icd_release="FY2026"))
    assert found(edits) == {("icd-release-missing", "warning", "diagnoses")}
    assert "FY2026" in edits[0].message and "2024-03-01" in edits[0].message
    no_dx = CodingDraft((), (line(pointers=""),))
    assert "icd-release-missing" not in rules(ce.check(no_dx, facts(
        icd_release_covers_dos=False)))


def test_unknown_diagnosis_is_an_error() -> None:
    bad = DiagnosisFact("E999", "E99.9", known=False, valid_on_dos=False, billable=False)
    edits = ce.check(draft(dx=("E999",)), facts(diagnoses={"E999": bad}))
    assert found(edits) == {("diagnosis-unknown", "error", "diagnosis A")}


MALE_ONLY = DiagnosisFact("N400", "N40.0", sex="M", edit_rule="male-only")


@pytest.mark.parametrize(("patient_sex", "expected"), [
    ("F", {("diagnosis-sex", "error", "diagnosis A")}),
    ("U", {("diagnosis-sex", "warning", "diagnosis A")}),
    ("M", set()),
])
def test_sex_conflict(patient_sex: str, expected: set[tuple[str, str, str]]) -> None:
    edits = ce.check(draft(dx=("N400",)), facts(patient_sex=patient_sex,
                                                diagnoses={"N400": MALE_ONLY}))
    assert found(edits) == expected
    if expected:
        assert "N40.0 is for male patients only" in edits[0].message


def test_a_code_for_either_sex_never_raises_a_sex_edit() -> None:
    for sex in "MFU":
        assert ce.check(draft(), facts(patient_sex=sex)) == []


MATERNITY = DiagnosisFact("O80", "O80", sex="F", age_min=12, age_max=55, edit_rule="maternity")
NEWBORN = DiagnosisFact("Z3800", "Z38.00", age_min=0, age_max=0, edit_rule="newborn")
PERINATAL = DiagnosisFact("P073", "P07.3", edit_rule="perinatal")


@pytest.mark.parametrize(("fact", "age", "expected"), [
    (MATERNITY, 30, set()),
    (MATERNITY, 12, set()),
    (MATERNITY, 55, set()),
    (MATERNITY, 11, {("diagnosis-age", "error", "diagnosis A")}),
    (MATERNITY, 60, {("diagnosis-age", "error", "diagnosis A")}),
    (NEWBORN, 0, set()),
    (NEWBORN, 1, {("diagnosis-age", "error", "diagnosis A")}),
    (PERINATAL, 0, set()),
    (PERINATAL, 7, {("diagnosis-age", "warning", "diagnosis A")}),
])
def test_age_conflicts(fact: DiagnosisFact, age: int, expected: set[Any]) -> None:
    edits = ce.check(draft(dx=(fact.code,)), facts(patient_age=age,
                                                  diagnoses={fact.code: fact}))
    assert found(edits) == expected


def test_age_messages_say_the_range_and_cite_their_source() -> None:
    [mat] = ce.check(draft(dx=("O80",)), facts(patient_age=60, diagnoses={"O80": MATERNITY}))
    assert "ages 12–55" in mat.message and "maternity" in mat.message
    assert "chapter 15" in mat.source
    [peri] = ce.check(draft(dx=("P073",)), facts(patient_age=7, diagnoses={"P073": PERINATAL}))
    assert peri.source.endswith("I.C.16.a.4")
    assert "perinatal period" in peri.message


def test_male_patient_with_a_maternity_code_gets_the_sex_error_only_when_age_fits() -> None:
    edits = ce.check(draft(dx=("O80",)), facts(patient_sex="M", patient_age=30,
                                               diagnoses={"O80": MATERNITY}))
    assert rules(edits) == {"diagnosis-sex"}


# --- lines -------------------------------------------------------------------------------------
def test_line_without_a_pointer() -> None:
    edits = ce.check(draft(line(), line("36415", pointers="")), facts())
    assert found(edits) == {("pointer-missing", "error", "line 2")}


def test_pointer_to_a_missing_diagnosis_names_the_letter() -> None:
    edits = ce.check(draft(line(pointers="AC")), facts())
    assert found(edits) == {("pointer-to-missing-diagnosis", "error", "line 1")}
    assert "diagnosis C" in edits[0].message
    assert ce.check(draft(line(pointers="BA")), facts()) == []


def test_pointers_with_no_diagnoses_at_all_are_missing() -> None:
    edits = ce.check(CodingDraft((), (line(pointers="A"),)), facts())
    assert rules(edits) == {"pointer-to-missing-diagnosis"}


def test_zero_units() -> None:
    assert found(ce.check(draft(line(units=Decimal(0))), facts())) == {
        ("units-zero", "error", "line 1")}
    assert ce.check(draft(line(units=Decimal("0.5"))), facts()) == []


@pytest.mark.parametrize("charge", [Decimal(0), Decimal("0.00"), None])
def test_zero_charge(charge: Decimal | None) -> None:
    edits = ce.check(draft(line(charge=charge)), facts())
    assert found(edits) == {("charge-zero", "error", "line 1")}
    assert "fee schedule" in edits[0].message


def test_duplicate_lines_warn_and_say_why() -> None:
    edits = ce.check(draft(line(modifiers=("25", "XS")), line("36415"),
                           line(modifiers=("XS", "25"))), facts())
    assert found(edits) == {("duplicate-line", "warning", "lines 1, 3")}
    assert "76/77" in edits[0].message and "91" in edits[0].message


def test_same_code_with_different_modifiers_is_not_a_duplicate() -> None:
    assert ce.check(draft(line(modifiers=("RT",)), line(modifiers=("LT",))), facts()) == []


def test_unknown_procedure_and_one_out_of_force_on_the_dos() -> None:
    procs = dict(PROCS)
    procs["0001F"] = ProcedureFact("0001F", known=False)
    procs["G0101"] = ProcedureFact("G0101", effective_to=date(2023, 12, 31))
    procs["G0102"] = ProcedureFact("G0102", effective_from=date(2024, 4, 1))
    procs["G0103"] = ProcedureFact("G0103", effective_from=date(2024, 3, 1),
                                   effective_to=date(2024, 3, 1))
    edits = ce.check(draft(line("0001F"), line("G0101"), line("G0102"), line("G0103")),
                     facts(procedures=procs))
    assert found(edits) == {("procedure-unknown", "error", "line 1"),
                            ("procedure-not-valid-on-dos", "error", "line 2"),
                            ("procedure-not-valid-on-dos", "error", "line 3")}
    by_where = {e.where: e.message for e in edits}
    assert "until 2023-12-31" in by_where["line 2"]
    assert "from 2024-04-01" in by_where["line 3"]


def test_drug_code_without_an_ndc_is_a_warning() -> None:
    procs = {"J1100": ProcedureFact("J1100", is_drug=True)}
    edits = ce.check(draft(line("J1100")), facts(procedures=procs))
    assert found(edits) == {("ndc-missing", "warning", "line 1")}
    with_ndc = line("J1100", ndc="00409472301", ndc_unit="ML", ndc_quantity=Decimal(1))
    assert ce.check(draft(with_ndc), facts(procedures=procs)) == []


# --- NCCI and MUE ------------------------------------------------------------------------------
def pair(indicator: str, one: str = "20610", two: str = "99213") -> NcciFact:
    return NcciFact(one, two, indicator, date(2024, 1, 1), "Standards of medical practice")


@pytest.mark.parametrize(("indicator", "mods_one", "mods_two", "fires"), [
    ("0", (), (), True),
    ("0", ("59",), ("59",), True),  # indicator 0: no modifier allows the pair
    ("1", (), (), True),
    ("1", (), ("59",), False),
    ("1", ("XS",), (), False),  # the modifier may sit on either code of the pair
    ("1", (), ("XE",), False),
    ("1", (), ("XP",), False),
    ("1", (), ("XU",), False),
    ("1", (), ("25",), False),  # 25 on the E/M code of the pair
    ("1", ("25",), (), True),  # 25 on the procedure is not a bypass
    ("1", (), ("RT",), True),
    ("9", (), (), False),
])
def test_ncci_pair_and_bypass_modifiers(indicator: str, mods_one: tuple[str, ...],
                                        mods_two: tuple[str, ...], fires: bool) -> None:
    d = draft(line("20610", modifiers=mods_one), line("99213", modifiers=mods_two))
    edits = ce.check(d, facts(ncci=(pair(indicator),)))
    assert found(edits) == ({("ncci-ptp", "error", "line 2")} if fires else set())
    if fires:
        assert edits[0].source == "CMS NCCI PTP edits, effective 2024-01-01"
        assert "99213 (line 2) is bundled into 20610 (line 1)" in edits[0].message


def test_25_bypasses_when_the_em_code_is_column_one() -> None:
    d = draft(line("99213", modifiers=("25",)), line("36415"))
    edits = ce.check(d, facts(ncci=(pair("1", "99213", "36415"),)))
    assert edits == []
    d = draft(line("99213"), line("36415"))
    assert rules(ce.check(d, facts(ncci=(pair("1", "99213", "36415"),)))) == {"ncci-ptp"}


def test_ncci_pair_needs_both_codes_on_the_encounter() -> None:
    assert ce.check(draft(line("20610")), facts(ncci=(pair("0"),))) == []


def test_mue_counts_units_of_a_code_across_lines() -> None:
    mue = {"96372": MueFact("96372", 4, date(2024, 1, 1), "3 Date of Service Edit: Clinical")}
    over = draft(line("96372", units=Decimal(3), modifiers=("RT",)),
                 line("96372", units=Decimal(2), modifiers=("LT",)))
    edits = ce.check(over, facts(mue=mue))
    assert found(edits) == {("mue", "error", "lines 1, 2")}
    assert "5 units" in edits[0].message and "at most 4" in edits[0].message
    assert edits[0].source == "CMS MUE, practitioner, effective 2024-01-01"
    at_limit = draft(line("96372", units=Decimal(4)))
    assert ce.check(at_limit, facts(mue=mue)) == []


# --- helpers -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "ndc"), [
    ("00409-4723-01", "00409472301"),  # 5-4-2 as printed
    ("00409472301", "00409472301"),
    ("0409-4723-01", "00409472301"),  # 4-4-2 → leading zero on the labeler
    ("12345-678-90", "12345067890"),  # 5-3-2 → leading zero on the product
    ("12345-6789-1", "12345678901"),  # 5-4-1 → leading zero on the package
    (" 12345-6789-01 ", "12345678901"),
    ("1234567890", None),  # 10 digits without hyphens: the short segment is unknown
    ("1234-567-89", None),
    ("12345-6789-012", None),
    ("abcde-fghi-jk", None),
    ("", None),
])
def test_ndc_normalisation_follows_the_837_11_digit_rule(typed: str, ndc: str | None) -> None:
    assert ce.normalize_ndc(typed) == ndc


def test_format_ndc() -> None:
    assert ce.format_ndc("00409472301") == "00409-4723-01"


@pytest.mark.parametrize(("dob", "on", "age"), [
    (date(2000, 3, 1), date(2024, 3, 1), 24),
    (date(2000, 3, 2), date(2024, 3, 1), 23),
    (date(2000, 2, 29), date(2023, 2, 28), 22),
    (date(2024, 1, 1), date(2024, 12, 31), 0),
])
def test_age_on(dob: date, on: date, age: int) -> None:
    assert ce.age_on(dob, on) == age


def test_letters() -> None:
    assert [ce.letter(i) for i in (1, 2, 12)] == ["A", "B", "L"]
