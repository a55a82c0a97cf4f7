"""The CMS-1500 (02/12) grid: what each box holds for a known claim (NUCC manual), fields cut to
their boxes, and claims of more than 6 lines continued on further pages with per-page totals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.formats.claim_data import (
    Address,
    BillingProvider,
    ClaimDocument,
    Facility,
    OtherCoverage,
    OtherPayer,
    PayerInfo,
    Person,
    PersonName,
    PriorAdjustment,
    PriorLinePayment,
    Provider,
    ServiceLine,
)
from app.formats.cms1500 import (
    CHECKS,
    FIELDS,
    LINE_FIELDS,
    ClaimFormError,
    Field,
    Placed,
    boxes,
    clean,
    layout,
    line_field,
    money,
)

PRINTED = date(2026, 3, 10)
DOS = date(2026, 3, 2)
NPI_BILLING = "1234567893"
NPI_RENDERING = "1245319599"
NPI_REFERRING = "1003000126"
NPI_FACILITY = "1497758544"


def service_line(n: int, charge: str = "125.00", **changes: object) -> ServiceLine:
    ln = ServiceLine(n, DOS, DOS, "11", "99213", (), (1,), Decimal("1"), Decimal(charge),
                     f"L{n}")
    return replace(ln, **changes)  # type: ignore[arg-type]


def sample_claim(n_lines: int = 1, **changes: object) -> ClaimDocument:
    """A self-insured commercial claim with every header box that has data on the claim."""
    home = Address("12 Elm St., Apt #4", "Springfield", "IL", "627041234")
    patient = Person(PersonName("Doe", "Jane", "Marie"), date(1980, 5, 17), "F", home,
                     "(217) 555-0199")
    billing = BillingProvider("Maple Family Practice", NPI_BILLING, "12-3456789", "207Q00000X",
                              Address("100 Main St", "Springfield", "IL", "627011234"),
                              "2175550100")
    claim = ClaimDocument(
        claim_id="C0000123", account_number="M0000042", frequency="1", billing=billing,
        payer=PayerInfo("Acme Health", "ACME1", "CI",
                        Address("PO Box 100", "Chicago", "IL", "606011000")),
        subscriber=patient, member_id="w123456789", group_number="GRP42", plan_name="",
        relationship="18", patient=patient, sequence="P", diagnoses=("E11.9", "I10"),
        lines=tuple(service_line(n, pointers=(1, 2)) for n in range(1, n_lines + 1)),
        rendering=Provider(PersonName("Smith", "Anna"), NPI_RENDERING, "207Q00000X", "MD"),
        referring=Provider(PersonName("Jones", "Ray", "Thomas"), NPI_REFERRING, "", "MD"),
        onset_date=date(2026, 2, 20), patient_paid=Decimal("40.00"))
    return replace(claim, **changes)  # type: ignore[arg-type]


def one_page(claim: ClaimDocument) -> dict[str, Placed]:
    pages = layout(claim, printed_on=PRINTED)
    assert len(pages) == 1
    return boxes(pages[0])


def text(page: dict[str, Placed], box: str) -> str:
    return page[box].text


def field_of(box: str) -> Field:
    """The grid field a placed box belongs to (header, check box or service-line field)."""
    if box in FIELDS:
        return FIELDS[box]
    if box in CHECKS:
        return Field(CHECKS[box][0], 1, 80)  # the X's column is checked separately
    parts = box.split(".")
    name = ".".join([parts[0], *parts[2:]])
    assert name in LINE_FIELDS, box
    return line_field(name, int(parts[1]))[1]


# --- the boxes of a known claim ------------------------------------------------------------------
def test_patient_and_insured_boxes() -> None:
    p = one_page(sample_claim())
    assert p["1a"] == Placed("1a", 8, 50, "W123456789")
    assert p["2"] == Placed("2", 10, 1, "DOE, JANE, M")
    assert p["3"] == Placed("3", 10, 31, "05 17 1980")  # MM DD YYYY under MM | DD | YY
    assert p["4"].text == "DOE, JANE, M"
    assert p["5"] == Placed("5", 12, 1, "12 ELM ST APT 4")  # no periods, commas or "#"
    assert (text(p, "5.city"), text(p, "5.state"), text(p, "5.zip")) == (
        "SPRINGFIELD", "IL", "627041234")
    assert (p["5.area"].col, text(p, "5.area"), text(p, "5.phone")) == (15, "217", "5550199")
    assert text(p, "7") == "12 ELM ST APT 4"  # self: the insured's address is the patient's
    assert text(p, "11") == "GRP42"
    assert p["11a"] == Placed("11a", 20, 53, "05 17 1980")
    assert "9" not in p and "9a" not in p and "9d" not in p
    assert (text(p, "12"), text(p, "13")) == ("SIGNATURE ON FILE", "SIGNATURE ON FILE")


def test_x_marks_sit_in_the_column_of_the_answer() -> None:
    p = one_page(sample_claim())
    assert p["1"] == Placed("1", 8, 31, "X")  # CI → group health plan
    assert p["3.sex"] == Placed("3.sex", 10, 47, "X")  # F
    assert p["11a.sex"] == Placed("11a.sex", 20, 75, "X")
    assert p["6"] == Placed("6", 12, 33, "X")  # 18 → self
    assert (p["10a"].col, p["10b"].col, p["10c"].col) == (41, 41, 41)  # NO, NO, NO
    assert p["11d"] == Placed("11d", 26, 57, "X")  # NO: no other plan
    assert p["20"] == Placed("20", 36, 57, "X")  # NO
    assert p["25.type"] == Placed("25.type", 56, 19, "X")  # EIN
    assert p["27"] == Placed("27", 56, 38, "X")  # YES


@pytest.mark.parametrize(("indicator", "col"), [("MB", 1), ("MC", 8), ("CH", 15), ("VA", 24),
                                                ("BL", 31), ("FI", 39), ("TV", 45)])
def test_box_1_insurance_type(indicator: str, col: int) -> None:
    claim = sample_claim(payer=PayerInfo("Payer", "P1", indicator))
    assert one_page(claim)["1"] == Placed("1", 8, col, "X")


@pytest.mark.parametrize(("code", "col"), [("18", 33), ("01", 38), ("19", 42), ("G8", 47)])
def test_box_6_relationship(code: str, col: int) -> None:
    assert one_page(sample_claim(relationship=code))["6"].col == col


def test_box_3_sex_and_unknown_sex() -> None:
    male = replace(sample_claim().patient, sex="M")
    assert one_page(sample_claim(patient=male))["3.sex"].col == 42
    unknown = replace(sample_claim().patient, sex="U")
    assert "3.sex" not in one_page(sample_claim(patient=unknown, subscriber=unknown))


def test_claim_information_boxes() -> None:
    p = one_page(sample_claim(frequency="7", original_claim_number="ABC-123 9",
                              prior_authorization="pa 77", note="Seen twice; see notes.",
                              other_date_qualifier="454", other_date=date(2026, 2, 21)))
    assert (p["14"], text(p, "14.qual")) == (Placed("14", 32, 2, "02 20 2026"), "431")
    assert (text(p, "15.qual"), p["15"].col, text(p, "15")) == ("454", 37, "02 21 2026")
    assert (p["17.qual"], p["17"]) == (Placed("17.qual", 34, 1, "DN"),
                                       Placed("17", 34, 4, "RAY T JONES MD"))
    assert p["17b"] == Placed("17b", 34, 33, NPI_REFERRING)
    assert text(p, "19") == "SEEN TWICE SEE NOTES"
    assert p["21.ind"] == Placed("21.ind", 37, 42, "0")  # ICD-10
    assert p["21A"] == Placed("21A", 38, 3, "E119")  # no decimal point
    assert p["21B"] == Placed("21B", 38, 16, "I10")
    assert (p["22"], p["22.original"]) == (Placed("22", 38, 50, "7"),
                                           Placed("22.original", 38, 62, "ABC-1239"))
    assert text(p, "23") == "PA77"


def test_diagnoses_a_to_l_four_a_line() -> None:
    codes = tuple(f"A{n:02d}.{n}" for n in range(1, 14))  # 13: the 13th has no box
    p = one_page(sample_claim(diagnoses=codes))
    assert p["21D"] == Placed("21D", 38, 42, "A044")
    assert p["21E"] == Placed("21E", 39, 3, "A055")
    assert p["21L"] == Placed("21L", 40, 42, "A1212")
    assert not any("A1313" in f.text for f in p.values())


def test_service_line_boxes() -> None:
    ln = service_line(1, "125.00", dos_to=date(2026, 3, 4), code="j1885",
                      modifiers=("25", "59"), pointers=(2, 1), units=Decimal("2.5"),
                      emergency=True, ndc="00409-1234-01", ndc_unit="ML",
                      ndc_quantity=Decimal("2.500"))
    p = one_page(sample_claim(lines=(ln,)))
    assert p["24A.1"] == Placed("24A.1", 44, 1, "03 02 26")  # MM DD YY
    assert p["24A.1.to"] == Placed("24A.1.to", 44, 10, "03 04 26")
    assert p["24B.1"] == Placed("24B.1", 44, 19, "11")
    assert p["24C.1"] == Placed("24C.1", 44, 22, "Y")
    assert p["24D.1"] == Placed("24D.1", 44, 25, "J1885")
    assert p["24D.1.mod"] == Placed("24D.1.mod", 44, 33, "25 59")
    assert p["24E.1"] == Placed("24E.1", 44, 45, "BA")  # pointer letters, primary first
    assert p["24F.1"] == Placed("24F.1", 44, 52, "125 00")  # dollars end at column 54
    assert p["24G.1"] == Placed("24G.1", 44, 59, "2.5")
    assert p["24J.1"] == Placed("24J.1", 44, 68, NPI_RENDERING)
    assert p["24.1.shaded"] == Placed("24.1.shaded", 43, 1, "N400409123401   ML2.5")
    assert "24I.1.shaded" not in p  # taxonomy only for Medicaid


def test_service_lines_use_their_own_rendering_provider_and_notes() -> None:
    other = Provider(PersonName("Lee", "Kim"), "1588667638")
    lines = (service_line(1), service_line(2, rendering=other, note="Left knee"))
    pages = layout(sample_claim(lines=lines), printed_on=PRINTED)
    p = boxes(pages[0])
    assert (text(p, "24J.1"), text(p, "24J.2")) == (NPI_RENDERING, "1588667638")
    assert p["24.2.shaded"] == Placed("24.2.shaded", 45, 3, "LEFT KNEE")  # 2 blanks first


def test_billing_boxes() -> None:
    fac = Facility("Maple Annex", Address("200 Oak Ave", "Springfield", "IL", "627021111"),
                   NPI_FACILITY)
    p = one_page(sample_claim(facility=fac))
    assert p["25"] == Placed("25", 56, 1, "123456789")  # EIN without the hyphen
    assert p["26"] == Placed("26", 56, 23, "M0000042")
    assert p["28"] == Placed("28", 56, 54, "125 00")
    assert p["29"] == Placed("29", 56, 65, "40 00")
    assert p["31"] == Placed("31", 60, 1, "SIGNATURE ON FILE")
    assert p["31.date"] == Placed("31.date", 61, 6, "03 10 2026")  # the day printed
    assert [text(p, b) for b in ("32", "32.street", "32.city", "32a")] == [
        "MAPLE ANNEX", "200 OAK AVE", "SPRINGFIELD IL 627021111", NPI_FACILITY]
    assert [text(p, b) for b in ("33", "33.street", "33.city", "33a")] == [
        "MAPLE FAMILY PRACTICE", "100 MAIN ST", "SPRINGFIELD IL 627011234", NPI_BILLING]
    assert (p["33.area"].col, text(p, "33.area"), text(p, "33.phone")) == (66, "217", "5550100")
    assert (p["32a"].col, p["33a"].col) == (24, 51)  # right of the printed "a."
    assert [text(p, f"carrier.{i}") for i in (1, 2, 3)] == [
        "ACME HEALTH", "PO BOX 100", "CHICAGO IL 606011000"]
    assert "carrier.4" not in p and "33b" not in p


def test_everything_printed_is_upper_case() -> None:
    p = one_page(sample_claim(note="lower case note", plan_name="gold ppo"))
    assert all(f.text == f.text.upper() for f in p.values())
    assert text(p, "11c") == "GOLD PPO"


def test_names_and_addresses_lose_their_punctuation_and_accents() -> None:
    assert clean("  José  O'Brien-Núñez, Jr. ") == "JOSE OBRIEN-NUNEZ JR"
    person = Person(PersonName("de la Cruz", "Zoë", "ann", "Jr."), None, "U", None)
    p = one_page(sample_claim(patient=person, relationship="19"))
    assert text(p, "2") == "DE LA CRUZ JR, ZOE, A"
    assert "3" not in p and "5" not in p


@pytest.mark.parametrize("amount", ["125.00", "0.5", "99999.99", "12.345"])
def test_money_has_no_point_and_the_cents_after_a_space(amount: str) -> None:
    printed = money(Decimal(amount), "28")
    value = Decimal(amount).quantize(Decimal("0.01"))
    assert len(printed) == 8 and printed[5] == " " and "." not in printed
    assert Decimal(printed[:5]) + Decimal(printed[6:]) / 100 == value


@pytest.mark.parametrize("amount", ["100000.00", "-1.00"])
def test_money_that_does_not_fit_is_refused(amount: str) -> None:
    with pytest.raises(ClaimFormError, match="box 28"):
        money(Decimal(amount), "28")


# --- choices ------------------------------------------------------------------------------------
def test_other_coverage_fills_9_and_marks_11d_yes() -> None:
    other = OtherCoverage(PersonName("Doe", "Richard", "A"), "XYZ987", "Bravo Silver")
    p = one_page(sample_claim(other_coverage=other))
    assert [text(p, b) for b in ("9", "9a", "9d")] == ["DOE, RICHARD, A", "XYZ987",
                                                        "BRAVO SILVER"]
    assert p["11d"].col == 52


def other_payer(paid: str | None = "60.00", *lines: PriorLinePayment,
                **changes: object) -> OtherPayer:
    """The spouse's plan, primary, that paid `paid` (claim level unless `lines`)."""
    payer = OtherPayer(
        "P", "01", "G-77 A", "Bravo Silver", "CI", PersonName("Doe", "Richard", "A"), "XYZ987",
        None, "Bravo Care", "BRAVO", None if paid is None else Decimal(paid),
        (PriorAdjustment("CO", "45", Decimal("65.00")),), lines, date(2026, 3, 20))
    return replace(payer, **changes)  # type: ignore[arg-type]


def line_paid(n: int, paid: str) -> PriorLinePayment:
    return PriorLinePayment(n, Decimal(paid), "99213", (), Decimal("1"), (), date(2026, 3, 20))


def test_other_payers_fill_9_and_mark_11d_yes() -> None:
    p = one_page(sample_claim(sequence="S", other_payers=(other_payer(),
                                                          other_payer(sequence="T"))))
    assert [p[b] for b in ("9", "9a", "9d")] == [Placed("9", 18, 1, "DOE, RICHARD, A"),
                                                  Placed("9a", 20, 1, "G-77 A"),
                                                  Placed("9d", 26, 1, "BRAVO SILVER")]
    assert p["11d"] == Placed("11d", 26, 52, "X")
    bare = other_payer(group_number="", plan_name="")
    p = one_page(sample_claim(other_payers=(bare,)))
    assert (text(p, "9a"), text(p, "9d")) == ("XYZ987", "BRAVO CARE")  # member ID, payer


def test_other_coverage_comes_before_other_payers_in_9() -> None:
    other = OtherCoverage(PersonName("Roe", "Ann"), "ABC1", "Delta Gold")
    p = one_page(sample_claim(other_coverage=other, other_payers=(other_payer(),)))
    assert [text(p, b) for b in ("9", "9a", "9d")] == ["ROE, ANN", "ABC1", "DELTA GOLD"]


def test_box_29_adds_what_other_payers_paid_to_what_the_patient_paid() -> None:
    claim = sample_claim(sequence="S", other_payers=(other_payer(), other_payer(
        "12.50", sequence="T", payer_id="DELTA")))
    assert claim.prior_paid == Decimal("72.50") and claim.amount_paid == Decimal("112.50")
    assert one_page(claim)["29"] == Placed("29", 56, 64, "112 50")
    not_yet = sample_claim(other_payers=(other_payer(None, claim_adjustments=()),))
    p = one_page(not_yet)  # named on the claim, not paid yet: YES in 11d, nothing in 29
    assert p["11d"].col == 52 and text(p, "29") == "40 00"
    assert "29" not in one_page(replace(not_yet, patient_paid=Decimal("0")))


def test_box_29_follows_line_payments_to_their_pages() -> None:
    lines = tuple(service_line(n) for n in range(1, 9))
    paid = other_payer("370.00", *(line_paid(n, f"{40 + n}.00") for n in range(1, 9)))
    claim = sample_claim(lines=lines, sequence="S", other_payers=(paid,))
    pages = [boxes(p) for p in layout(claim, printed_on=PRINTED)]
    amounts = [Decimal(p["29"].text.replace(" ", ".")) for p in pages]
    # page 1: the patient's 40.00, lines 1-6 (261.00) and the 14.00 paid for the claim as a
    # whole (370.00 less the 356.00 paid by line); page 2: lines 7 and 8
    assert amounts == [Decimal("315.00"), Decimal("95.00")]
    assert sum(amounts) == claim.amount_paid
    assert pages[1]["29"] == Placed("29", 56, 65, "95 00")


def test_box_29_below_zero_is_refused() -> None:
    clawed = sample_claim(patient_paid=Decimal("0"), other_payers=(other_payer("-5.00"),))
    with pytest.raises(ClaimFormError, match="box 29"):
        layout(clawed, printed_on=PRINTED)


def test_other_payer_boxes_land_in_their_cells_of_the_pdf() -> None:
    # imported here: test_cms1500_pdf imports this module at its top
    from app.formats.cms1500_pdf import render_claims
    from tests.unit.test_cms1500_pdf import assert_on_grid, courier, pdf_pages
    claim = sample_claim(sequence="S", other_payers=(other_payer(),))
    (page,) = pdf_pages(render_claims([claim], mode="form", printed_on=PRINTED))
    (fields,) = layout(claim, printed_on=PRINTED)
    assert_on_grid(page, fields)  # every character at its cell, and nothing else printed
    wanted = {b: f for b, f in boxes(fields).items() if b in ("9", "9a", "9d", "11d", "29")}
    assert len(wanted) == 5
    for box, f in wanted.items():  # and each of these boxes reads back whole from its cells
        row = sorted((c for c in courier(page) if abs(page.height - c["matrix"][5]
                                                      - (20 + 12 * f.line)) < 0.5
                      and 24 + 7.2 * (f.col - 1) - 1 <= c["x0"]
                      < 24 + 7.2 * (f.col + len(f.text) - 1) - 1), key=lambda c: c["x0"])
        assert "".join(c["text"] for c in row) == f.text.replace(" ", ""), box


def test_no_assignment_leaves_13_blank_and_27_no() -> None:
    p = one_page(sample_claim(benefits_assigned=False, accept_assignment=False,
                              release_of_information=False, provider_signature_on_file=False,
                              signed_on=date(2026, 3, 9)))
    assert "12" not in p and "13" not in p and "31" not in p
    assert p["27"].col == 43
    assert text(p, "31.date") == "03 09 2026"


def test_medicare_without_a_group_number_says_none() -> None:
    p = one_page(sample_claim(payer=PayerInfo("Medicare", "MCR", "MB"), group_number=""))
    assert text(p, "11") == "NONE"
    assert "11" not in one_page(sample_claim(group_number=""))


def test_accidents_and_outside_lab_are_marked_yes() -> None:
    p = one_page(sample_claim(auto_accident=True, auto_accident_state="in",
                              employment_related=True, other_accident=True, outside_lab=True))
    assert (p["10a"].col, p["10b"].col, p["10c"].col, p["20"].col) == (35, 35, 35, 52)
    assert p["10b.state"] == Placed("10b.state", 22, 45, "IN")


def test_medicaid_gets_the_taxonomy_with_zz() -> None:
    p = one_page(sample_claim(payer=PayerInfo("State Medicaid", "MCD", "MC")))
    assert (text(p, "24I.1.shaded"), text(p, "24J.1.shaded")) == ("ZZ", "207Q00000X")
    assert p["33b"] == Placed("33b", 61, 63, "ZZ207Q00000X")


def test_facility_box_without_a_facility() -> None:
    p = one_page(sample_claim())
    assert text(p, "32") == "MAPLE FAMILY PRACTICE" and "32a" not in p  # at the practice
    home = tuple(service_line(n, pos="12") for n in (1, 2))
    assert "32" not in one_page(sample_claim(lines=home))
    same = Facility("Annex", Address("1 A St", "B", "IL", "62701"), NPI_BILLING)
    assert "32a" not in one_page(sample_claim(facility=same))


def test_box_29_zero_is_left_blank() -> None:
    assert "29" not in one_page(sample_claim(patient_paid=Decimal("0.00")))


# --- the grid's limits --------------------------------------------------------------------------
def overfull_claim() -> ClaimDocument:
    """Every text longer than its box."""
    long = "ABCDEFGHIJ" * 8
    addr = Address(long, long, "ILLINOIS", "62704123456", long)
    person = Person(PersonName(long, long, long, long), date(1970, 1, 1), "M", addr,
                    "21755501991")
    lines = tuple(service_line(n, "9999.99", code="ABCDEFGHIJK", modifiers=("AAA",) * 4,
                               pointers=(1, 2, 3, 4), units=Decimal("1234.5"),
                               ndc="12345678901234", ndc_unit="UN",
                               ndc_quantity=Decimal("123456.789"), note=long)
                  for n in range(1, 7))
    billing = BillingProvider(long, "12345678901", "1234567890", "207Q00000XX", addr,
                              "2175550100", long)
    return replace(
        sample_claim(), payer=PayerInfo(long, "P", "MC", addr), patient=person,
        subscriber=person, billing=billing, member_id=long, group_number=long, plan_name=long,
        account_number=long, lines=lines, diagnoses=("ABCDEFGHIJ",) * 12,
        other_coverage=OtherCoverage(PersonName(long, long), long, long), frequency="8",
        original_claim_number=long, prior_authorization=long, note=long,
        referring=Provider(PersonName(long, long, long), "123456789012345678", "", long),
        facility=Facility(long, addr, "9999999999"), other_date_qualifier="4545",
        other_date=date(2026, 1, 1), auto_accident=True, auto_accident_state="ILLINOIS",
        patient_paid=Decimal("99999.99"))


def test_every_field_is_cut_to_its_box() -> None:
    (page,) = layout(overfull_claim(), printed_on=PRINTED)
    for f in page:
        field = field_of(f.box)
        assert f.line == field.line, f.box
        if f.box in CHECKS:
            assert f.text == "X" and f.col in CHECKS[f.box][1].values()
            continue
        assert field.col <= f.col and f.col + len(f.text) <= field.col + field.width, f.box
    p = boxes(page)
    assert text(p, "2") == "ABCDEFGHIJABCDEFGHIJABCDEFGH"  # 28 characters, from the left
    assert len(text(p, "1a")) == 29 and len(text(p, "19")) == 48 and len(text(p, "26")) == 14
    assert text(p, "24D.1") == "ABCDEF" and text(p, "24D.1.mod") == "AA AA AA AA"
    assert text(p, "24G.1") == "123" and text(p, "10b.state") == "IL"
    assert len(text(p, "24.1.shaded")) == 61


def test_no_field_passes_the_right_edge_of_the_grid() -> None:
    for name, (_shaded, col, width) in LINE_FIELDS.items():
        assert col + width - 1 <= 78, name
    for name, f in FIELDS.items():
        assert f.col + f.width - 1 <= 78, name


# --- pages --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lines", "pages"), [(1, 1), (6, 1), (7, 2), (12, 2), (13, 3)])
def test_six_service_lines_a_page(lines: int, pages: int) -> None:
    claim = sample_claim(lines=tuple(service_line(n, f"{100 + n}.25")
                                     for n in range(1, lines + 1)))
    out = layout(claim, printed_on=PRINTED)
    assert len(out) == pages
    printed = [[f for f in page if f.box.startswith("24A.") and f.box.count(".") == 1]
               for page in out]
    assert [len(p) for p in printed] == [min(6, lines - 6 * i) for i in range(pages)]
    assert [f.line for f in printed[-1]] == [44 + 2 * k for k in range(len(printed[-1]))]


def test_every_page_repeats_the_header_and_totals_its_own_lines() -> None:
    charges = [f"{10 * n}.{n:02d}" for n in range(1, 14)]
    claim = sample_claim(lines=tuple(service_line(n, c)
                                     for n, c in enumerate(charges, start=1)))
    pages = [boxes(p) for p in layout(claim, printed_on=PRINTED)]
    totals = [Decimal(p["28"].text.replace(" ", ".")) for p in pages]
    assert totals == [sum(Decimal(c) for c in charges[i:i + 6]) for i in (0, 6, 12)]
    assert sum(totals) == claim.total_charge
    assert [p["page"].text for p in pages] == ["PAGE 1 OF 3", "PAGE 2 OF 3", "PAGE 3 OF 3"]
    header = {b: f for b, f in pages[0].items()
              if not b.startswith("24") and b not in ("28", "29", "page")}
    for p in pages[1:]:
        assert {b: p[b] for b in header} == header
    assert "29" in pages[0] and "29" not in pages[1] and "29" not in pages[2]


def test_a_one_page_claim_has_no_page_number() -> None:
    assert "page" not in one_page(sample_claim())


def test_claims_that_cannot_be_printed_say_why_without_patient_data() -> None:
    with pytest.raises(ClaimFormError, match="no service lines") as empty:
        layout(sample_claim(lines=()), printed_on=PRINTED)
    bad = sample_claim(lines=(service_line(1, pointers=(3,)),))
    with pytest.raises(ClaimFormError, match="line 1") as pointer:
        layout(bad, printed_on=PRINTED)
    big = sample_claim(lines=(service_line(1, "100000.00"),))
    with pytest.raises(ClaimFormError, match="24F") as amount:
        layout(big, printed_on=PRINTED)
    for err in (empty, pointer, amount):
        assert "JANE" not in str(err.value).upper() and "W123456789" not in str(err.value)
