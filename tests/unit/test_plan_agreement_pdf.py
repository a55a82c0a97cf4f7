"""The payment plan agreement (app.formats.plan_agreement_pdf): read back with pdfplumber it
shows the clinic and the parties, the Truth in Lending box (APR, finance charge, amount
financed, total of payments), the schedule in brief, the terms, every installment of the
schedule (headings repeated on every page), the signature and date lines and "Page N of M";
figures that do not agree never print. All names and numbers are made up."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from typing import Any

import pdfplumber
import pytest

from app.formats.plan_agreement_pdf import (
    DEFAULT_TERMS,
    AgreementData,
    AgreementRow,
    payment_groups,
    plan_agreement_pdf,
)

CENT = D("0.01")


def month_after(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1)


def amortized(financed: D, apr: D, count: int, first: date) -> tuple[D, tuple[AgreementRow, ...]]:
    """A level monthly installment and its schedule; the last installment takes the rounding."""
    rate = apr / 1200
    if rate:
        payment = (financed * rate / (1 - (1 + rate) ** -count)).quantize(CENT, ROUND_HALF_UP)
    else:
        payment = (financed / count).quantize(CENT, ROUND_HALF_UP)
    rows, left = [], financed
    for n in range(1, count + 1):
        interest = (left * rate).quantize(CENT, ROUND_HALF_UP)
        principal = left if n == count else payment - interest
        left -= principal
        rows.append(AgreementRow(n, month_after(first, n - 1), principal + interest, principal,
                                 interest, left))
    return payment, tuple(rows)


def agreement(count: int = 36, apr: str = "6.00", **changes: Any) -> AgreementData:
    total, down = D("3250.00"), D("250.00")
    payment, rows = amortized(total - down, D(apr), count, date(2026, 7, 1))
    interest = sum((r.interest for r in rows), D("0.00"))
    data = AgreementData(
        clinic_name="Maple Family Practice",
        clinic_address=("100 Elm Street, Suite 2", "Springfield, IL 62701-1234"),
        clinic_phone="(217) 555-0100", patient_name="Robin Testchild",
        account_number="M0001042", guarantor_name="Pat Q. Testperson", plan_number="P-0042",
        created_on=date(2026, 6, 2), total=total, down_payment=down,
        amount_financed=total - down, apr=D(apr), installment_count=count,
        installment_amount=payment, frequency="monthly", first_due_date=date(2026, 7, 1),
        total_interest=interest, total_of_payments=total - down + interest, grace_days=10,
        late_policy="A late fee of $15.00 is charged for each late installment.",
        schedule=rows)
    return replace(data, **changes)


def pages(data: AgreementData) -> list[Any]:
    return list(pdfplumber.open(io.BytesIO(plan_agreement_pdf(data))).pages)


def text_of(page: Any) -> str:
    return "\n".join(str(x["text"]) for x in page.extract_text_lines())


def test_the_agreement_shows_the_parties_the_disclosure_and_the_terms() -> None:
    data = agreement()
    assert data.total_interest == D("285.56") and data.installment_amount == D("91.27")
    texts = [text_of(p) for p in pages(data)]
    text = "\n".join(texts)
    for expected in ("Maple Family Practice", "100 Elm Street, Suite 2", "Phone (217) 555-0100",
                     "Payment Plan Agreement", "Plan no. P-0042", "Date 06/02/2026",
                     "Robin Testchild", "M0001042", "Pat Q. Testperson",
                     "ANNUAL PERCENTAGE", "FINANCE CHARGE", "Amount Financed",
                     "Total of Payments", "6.00% $285.56 $3,000.00 $3,285.56",
                     "Your payment schedule will be:",
                     "35 $91.27 Monthly, beginning 07/01/2026",
                     "balance put on the plan $3,250.00, less down payment $250.00",
                     "within 10 days after its due date. A late fee of $15.00",
                     "Terms", "1. You agree to pay the amount financed",
                     "Payment schedule", "Signatures", "Printed name", "Date"):
        assert expected in text, expected
    last = data.schedule[-1]
    assert f"1 ${last.amount} {last.due_date:%m/%d/%Y}" in text
    assert "Signature: patient or responsible party (guarantor)" in texts[-1]
    assert "Signature: for Maple Family Practice" in texts[-1]


def test_a_schedule_of_60_runs_over_pages_with_its_headings_repeated() -> None:
    data = agreement(60)
    doc = pages(data)
    texts = [text_of(p) for p in doc]
    count = len(texts)
    assert count >= 2
    heading = "No. Due date Payment Principal Interest Remaining balance"
    with_rows = [n for n, t in enumerate(texts) if re.search(r"^\d+ \d\d/\d\d/\d{4} \$", t, re.M)]
    assert len(with_rows) >= 2
    for n in with_rows:
        assert heading in texts[n], n
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {count}" in text and "Initials" in text
        if n > 1:
            assert "Payment Plan Agreement P-0042, Robin Testchild" in text
            assert "(continued)" in text
    # Every installment appears, once, in order.
    whole = "\n".join(texts)
    found = [whole.index(f"\n{r.number} {r.due_date:%m/%d/%Y} ") for r in data.schedule]
    assert found == sorted(found)
    assert (f"Total ${data.total_of_payments:,} ${data.amount_financed:,} "
            f"${data.total_interest:,}") in whole


def test_schedule_amounts_are_right_aligned() -> None:
    data = agreement(12)
    wanted = {f"${r.amount:,}" for r in data.schedule}
    column: list[Any] = []
    for page in pages(data):
        words = page.extract_words()
        due = next((w for w in words if w["text"] == "Due"), None)
        if due is None:
            continue
        heading = next(w for w in words if w["text"] == "Payment" and w["top"] == due["top"])
        column += [w for w in words if w["text"] in wanted and w["top"] > heading["top"]
                   and abs(float(w["x1"]) - float(heading["x1"])) < 30]
    assert len(column) >= 12
    assert len({round(float(w["x1"]), 1) for w in column}) == 1


def test_an_interest_free_plan_and_its_groups() -> None:
    data = agreement(24, apr="0")
    assert data.total_interest == D("0.00") and data.total_of_payments == D("3000.00")
    assert payment_groups(data) == [(24, D("125.00"), "Monthly, beginning 07/01/2026")]
    text = "\n".join(text_of(p) for p in pages(data))
    assert "0.00% $0.00 $3,000.00 $3,000.00" in text
    assert "24 $125.00 Monthly, beginning 07/01/2026" in text


def test_a_recorded_signature_date_prints() -> None:
    text = "\n".join(text_of(p) for p in pages(agreement(6, signed_on=date(2026, 6, 3))))
    assert "06/03/2026" in text


def test_the_clinics_own_terms_replace_the_default() -> None:
    data = agreement(6, terms=("Pay on time.", "Call us if you cannot."))
    text = "\n".join(text_of(p) for p in pages(data))
    assert "1. Pay on time." in text and "2. Call us if you cannot." in text
    assert DEFAULT_TERMS[0][:30] not in text


@pytest.mark.parametrize("change", [
    {"amount_financed": D("2999.99")},
    {"total_of_payments": D("3285.43")},
    {"total_interest": D("285.00")},
    {"installment_count": 35},
])
def test_figures_that_do_not_agree_never_print(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as caught:
        agreement(36, **change)
    assert "Testperson" not in str(caught.value) and "M0001042" not in str(caught.value)


def test_a_schedule_that_does_not_add_up_is_refused() -> None:
    data = agreement(6)
    rows = list(data.schedule)
    rows[2] = replace(rows[2], number=7)
    with pytest.raises(ValueError, match="numbered"):
        replace(data, schedule=tuple(rows))
    with pytest.raises(ValueError, match="principal plus interest"):
        replace(rows[0], amount=rows[0].amount + D("0.01"))
    with pytest.raises(TypeError):
        replace(data, apr=6.0)


def test_nothing_is_drawn_outside_the_margins() -> None:
    data = agreement(36, patient_name="N" * 150, clinic_name="Clinic " * 20)
    side, edge = 0.75 * 72, 0.25 * 72  # the side margins; what a printer leaves at the edge
    for page in pages(data):
        width, height = float(page.width), float(page.height)
        for ch in page.chars:
            assert side - 0.5 <= float(ch["x0"]) and float(ch["x1"]) <= width - side + 0.5, \
                ch["text"]
            assert edge <= float(ch["top"]) and float(ch["bottom"]) <= height - edge
