"""Appeal letters (app.formats.appeal_letter): the default templates pass their own check and
fill with every field; check_template names each problem (unknown placeholders with the allowed
ones, unbalanced braces, attribute/index access, an empty body); fill substitutes safely; the
letter PDF read back with pdfplumber carries the letterhead, the date, the claim number and
denial reasons, within 1-inch margins, over numbered pages."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from typing import Any

import pdfplumber
import pytest

from app.errors import UserError
from app.formats.appeal_letter import (
    DEFAULT_TEMPLATES,
    TEMPLATE_FIELDS,
    AppealLetterData,
    DenialReason,
    ServiceRow,
    TemplateError,
    appeal_letter_pdf,
    check_template,
    fill,
)

FIELDS = ("clinic_name", "clinic_address", "clinic_phone", "clinic_npi", "clinic_tax_id",
          "payer_name", "payer_address", "today", "patient_name", "patient_dob", "member_id",
          "claim_number", "payer_claim_number", "dates_of_service", "total_charge",
          "amount_paid", "amount_in_dispute", "denial_reasons", "services", "provider_name",
          "provider_npi", "signer_name", "signer_title")

DATA = AppealLetterData(
    clinic_name="Maple Family Practice",
    clinic_address=("100 Elm Street, Suite 2", "Springfield, IL 62701-1234"),
    clinic_phone="(217) 555-0100", clinic_npi="1234567893", clinic_tax_id="12-3456789",
    payer_name="Acme Health Plan", payer_address=("PO Box 4000", "Metropolis, NY 10001"),
    today=date(2026, 6, 2), patient_name="Testperson, Pat Q.", patient_dob=date(1970, 1, 2),
    member_id="XJ123456789", claim_number="C000123", payer_claim_number="2026150000123",
    total_charge=D("1250.00"), amount_paid=D("0.00"), amount_in_dispute=D("1250.00"),
    denial_reasons=(DenialReason("CO-29", "The time limit for filing has expired."),
                    DenialReason("N211", "Alert: You may not appeal this decision.")),
    services=(ServiceRow("99214-25", date(2026, 5, 4), D("250.00"), "Office visit"),
              ServiceRow("20610", date(2026, 5, 5), D("1000.00"))),
    provider_name="Dr. Robin Example", provider_npi="1098765432",
    signer_name="Carla Clerk", signer_title="Billing Manager")


def read(pdf_bytes: bytes) -> tuple[list[str], list[Any]]:
    pages = list(pdfplumber.open(io.BytesIO(pdf_bytes)).pages)
    return ["\n".join(str(x["text"]) for x in p.extract_text_lines()) for p in pages], pages


def letter_for(key: str, data: AppealLetterData = DATA) -> bytes:
    template = DEFAULT_TEMPLATES[key]
    return appeal_letter_pdf(f"{template.title}, claim {data.claim_number}",
                             fill(template.body, data.values()), data.letterhead, data.today)


def test_the_fields_are_the_documented_ones_each_described() -> None:
    assert set(TEMPLATE_FIELDS) == set(FIELDS)
    assert all(len(text) > 10 for text in TEMPLATE_FIELDS.values())
    assert set(DATA.values()) == set(FIELDS)


def test_the_default_templates_pass_their_check_and_fill_with_every_field() -> None:
    assert {"reconsideration", "appeal", "timely_filing"} <= set(DEFAULT_TEMPLATES)
    everything = {name: f"<{name}>" for name in TEMPLATE_FIELDS}
    for key, template in DEFAULT_TEMPLATES.items():
        assert template.key == key and template.title
        assert check_template(template.body) == [], key
        text = fill(template.body, everything)
        assert "{" not in text and "}" not in text
        for name in ("payer_name", "payer_address", "patient_name", "member_id",
                     "claim_number", "payer_claim_number", "dates_of_service",
                     "amount_in_dispute", "denial_reasons", "services", "signer_name"):
            assert f"<{name}>" in text, (key, name)
        assert "Enclosures:" in text and "Sincerely," in text and "RE: " in text


def test_the_values_are_formatted_for_a_letter() -> None:
    v = DATA.values()
    assert v["today"] == "June 2, 2026" and v["patient_dob"] == "01/02/1970"
    assert v["total_charge"] == "$1,250.00" and v["amount_paid"] == "$0.00"
    assert v["payer_address"] == "PO Box 4000\nMetropolis, NY 10001"
    assert v["denial_reasons"] == ("- CO-29: The time limit for filing has expired.\n"
                                   "- N211: Alert: You may not appeal this decision.")
    assert v["services"].splitlines() == [
        "- 99214-25, Office visit, date of service 05/04/2026, charge $250.00",
        "- 20610, date of service 05/05/2026, charge $1,000.00"]
    assert v["dates_of_service"] == "05/04/2026 - 05/05/2026"  # consecutive days: a range
    apart = replace(DATA, dates_of_service=(date(2026, 5, 9), date(2026, 5, 4)))
    assert apart.values()["dates_of_service"] == "05/04/2026, 05/09/2026"


def test_unknown_placeholders_are_named_with_the_allowed_ones() -> None:
    problems = check_template("Dear {payer},\nRE: {Claim_Number} and {claim_number}\n{ssn}")
    assert len(problems) == 1
    [problem] = problems
    assert "{payer} on line 1" in problem and "{ssn} on line 3" in problem
    assert "{Claim_Number} on line 2 (did you mean {claim_number}?)" in problem
    assert all(f"{{{name}}}" in problem.split("can use are:")[1] for name in FIELDS)


@pytest.mark.parametrize(("body", "expected"), [
    ("Claim {claim_number", "Line 1: a '{' is not closed"),
    ("Claim {claim_number\n}", "Line 1: a '{' is not closed"),
    ("line one\nClaim claim_number}", "Line 2: a '}' closes nothing"),
    ("{claim_number.__class__}", "is not a placeholder name"),
    ("{services[0]}", "is not a placeholder name"),
    ("{claim_number!r}", "is not a placeholder name"),
    ("{amount_paid:>10}", "is not a placeholder name"),
    ("{}", "{} is not a placeholder name"),
    ("{ claim_number }", "is not a placeholder name"),
    ("", "The template is empty."),
    (" \n\t\n", "The template is empty."),
])
def test_template_problems_are_named(body: str, expected: str) -> None:
    problems = check_template(body)
    assert any(expected in p for p in problems), problems
    with pytest.raises(ValueError, match="cannot be used"):
        fill(body, DATA.values())


def test_doubled_braces_print_braces_and_values_are_taken_literally() -> None:
    body = "{{claim_number}} is {claim_number}; {{{member_id}}}"
    assert check_template(body) == []
    values = {"claim_number": "{payer_name} {0.__class__}", "member_id": "M1"}
    assert fill(body, values) == "{claim_number} is {payer_name} {0.__class__}; {M1}"


def test_filling_needs_a_value_for_every_placeholder_used() -> None:
    with pytest.raises(TemplateError, match=r"No value for \{member_id\}, \{patient_name\}"):
        fill("{patient_name} {member_id} {claim_number}", {"claim_number": "C1"})
    assert issubclass(TemplateError, UserError) and issubclass(TemplateError, ValueError)
    assert fill("Claim {claim_number}", {"claim_number": "C1", "extra": "ignored"}) == \
        "Claim C1"


def test_the_letter_carries_the_letterhead_date_claim_and_denial_reasons() -> None:
    texts, pages = read(letter_for("timely_filing"))
    text = "\n".join(texts)
    for expected in ("Maple Family Practice", "100 Elm Street, Suite 2",
                     "Phone (217) 555-0100", "June 2, 2026", "Acme Health Plan",
                     "Attn: Appeals Department", "PO Box 4000",
                     "RE: Appeal of a timely filing denial",
                     "Patient: Testperson, Pat Q., date of birth 01/02/1970",
                     "Member ID: XJ123456789",
                     "Payer claim number: 2026150000123 (our claim number C000123)",
                     "- CO-29: The time limit for filing has expired.",
                     "- N211: Alert: You may not appeal this decision.",
                     "- 20610, date of service 05/05/2026, charge $1,000.00",
                     "in dispute $1,250.00", "Carla Clerk", "Billing Manager",
                     "NPI 1234567893, Tax ID 12-3456789"):
        assert expected in text, expected
    count = len(pages)
    for n, page_text in enumerate(texts, start=1):
        assert f"Timely filing appeal, claim C000123 Page {n} of {count}" in page_text


def test_the_text_keeps_one_inch_margins_and_flows_over_numbered_pages() -> None:
    reasons = tuple(DenialReason(f"N{n:03d}", "A remark the payer sent, long enough to wrap "
                                 "onto a second line within the margins of the letter. " * 2)
                    for n in range(60))
    texts, pages = read(letter_for("appeal", replace(DATA, denial_reasons=reasons)))
    assert len(pages) >= 3
    assert "N000:" in texts[0] and "N059:" in "\n".join(texts)
    for n, page in enumerate(pages, start=1):
        body = [c for c in page.chars if c["fontname"].endswith("Times-Roman")]
        assert body and min(float(c["x0"]) for c in body) >= 72 - 0.5
        assert max(float(c["x1"]) for c in body) <= 612 - 72 + 0.5
        assert min(float(c["top"]) for c in body) >= 72 - 12  # the first line's ascent
        assert max(float(c["bottom"]) for c in body) <= 792 - 72 + 0.5
        assert f"Page {n} of {len(pages)}" in texts[n - 1]
        if n > 1:
            assert texts[n - 1].startswith("Maple Family Practice, June 2, 2026")
    # The closing, the room to sign and the signature stay on one page.
    closing = next(t for t in texts if "Sincerely," in t)
    assert "Carla Clerk" in closing and "Billing Manager" in closing


def test_markup_in_the_text_prints_as_written() -> None:
    text = "Dear <b>Reviewer</b> & team,\n\n  indented line\n\n\n\nAfter a gap"
    texts, _ = read(appeal_letter_pdf("Letter", text, DATA.letterhead, DATA.today))
    assert "Dear <b>Reviewer</b> & team," in texts[0] and "indented line" in texts[0]
