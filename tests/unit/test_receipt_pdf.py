"""The payment receipt (app.formats.receipt_pdf): read back with pdfplumber it shows the clinic,
the receipt number and time, who paid, the amount and method, the visits it was applied to
with right-aligned amounts, any credit left unapplied and the balance after; only ever the last
four digits of a card, and anything else is refused."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D
from typing import Any

import pdfplumber
import pytest

from app.formats.receipt_pdf import AppliedLine, ReceiptData, receipt_pdf

RECEIPT = ReceiptData(
    clinic_name="Maple Family Practice",
    clinic_address=("100 Elm Street, Suite 2", "Springfield, IL 62701-1234"),
    clinic_phone="(217) 555-0100", clinic_ein="12-3456789",
    receipt_number="R-000123", received_at=datetime(2026, 6, 2, 14, 42),
    patient_name="Testperson, Pat Q.", account_number="M0001042",
    amount=D("1150.00"), method="check", check_number="1042",
    applied_to=(AppliedLine(date(2026, 5, 4), "Office visit 99213, copay", D("40.00")),
                AppliedLine(date(2026, 5, 18), "Knee injection 20610", D("1085.00"))),
    balance_after=D("35.50"), received_by="Carla Clerk", note="Paid at check-out.")


def read(data: ReceiptData) -> tuple[str, Any, int]:
    pdf = pdfplumber.open(io.BytesIO(receipt_pdf(data)))
    page = pdf.pages[0]
    return "\n".join(str(x["text"]) for x in page.extract_text_lines()), page, len(pdf.pages)


def test_the_receipt_shows_the_payment_and_where_it_went() -> None:
    text, _, count = read(RECEIPT)
    for expected in ("Maple Family Practice", "100 Elm Street, Suite 2", "Phone (217) 555-0100",
                     "Tax ID (EIN) 12-3456789", "Payment receipt", "Receipt no. R-000123",
                     "06/02/2026 02:42 PM", "Testperson, Pat Q.", "Account no. (MRN) M0001042",
                     "$1,150.00", "Check no. 1042",
                     "05/04/2026 Office visit 99213, copay 40.00",
                     "05/18/2026 Knee injection 20610 1,085.00",
                     "credit on your account 25.00", "Total received 1,150.00",
                     "Balance on your account after this payment $35.50",
                     "Note: Paid at check-out.", "Received by Carla Clerk", "Page 1 of 1"):
        assert expected in text, expected
    assert count == 1


def test_applied_amounts_are_right_aligned() -> None:
    _, page, _ = read(RECEIPT)
    words = [w for w in page.extract_words() if w["text"] in ("40.00", "1,085.00", "25.00",
                                                              "1,150.00")]
    assert len(words) == 4
    assert len({round(float(w["x1"]), 1) for w in words}) == 1


def test_a_fully_applied_payment_has_no_credit_line_and_a_credit_balance_says_so() -> None:
    data = replace(RECEIPT, amount=D("1125.00"), balance_after=D("-10.00"))
    text, _, _ = read(data)
    assert "credit on your account 25.00" not in text
    assert "Credit on your account after this payment $10.00" in text
    assert data.unapplied == D("0.00") and data.applied_total == D("1125.00")


def test_cash_and_card_payments() -> None:
    cash, _, _ = read(replace(RECEIPT, method="cash", check_number=""))
    assert "Cash" in cash and "Check" not in cash
    card = replace(RECEIPT, method="card", check_number="", card_last4="4242")
    text, page, _ = read(card)
    assert "Card ending in 4242" in text
    # No digits lead up to the last four, however they might be spaced or masked.
    runs = re.findall(r"[\d\s*•-]*4242", page.extract_text())
    assert runs and all(re.sub(r"\D", "", run) == "4242" for run in runs)


@pytest.mark.parametrize("last4", ["4111111111111111", "4111 1111 1111 4242", "12345", "123",
                                   "42a2", " 4242", "４２４２"])
def test_anything_but_four_card_digits_is_refused_without_repeating_it(last4: str) -> None:
    with pytest.raises(ValueError, match="last 4 digits") as caught:
        replace(RECEIPT, method="card", check_number="", card_last4=last4)
    assert last4.strip() not in str(caught.value)


def test_inconsistent_payments_are_refused() -> None:
    with pytest.raises(ValueError, match="only for a payment by card"):
        replace(RECEIPT, card_last4="4242")  # a check with card digits
    with pytest.raises(ValueError, match="check number"):
        replace(RECEIPT, method="cash")  # cash with a check number
    with pytest.raises(ValueError, match="method"):
        replace(RECEIPT, method="bitcoin")
    with pytest.raises(ValueError, match="More was applied"):
        replace(RECEIPT, amount=D("100.00"))
    with pytest.raises(ValueError, match="more than zero"):
        replace(RECEIPT, amount=D("0.00"), applied_to=())
    with pytest.raises(TypeError):
        replace(RECEIPT, amount=1150.0)  # type: ignore[arg-type]


def test_a_payment_applied_to_many_visits_flows_onto_numbered_pages() -> None:
    rows = tuple(AppliedLine(date(2026, 1, 1 + n % 28), f"Visit {n:02d}", D("1.00"))
                 for n in range(60))
    data = replace(RECEIPT, amount=D("60.00"), applied_to=rows)
    pdf = pdfplumber.open(io.BytesIO(receipt_pdf(data)))
    count = len(pdf.pages)
    assert count > 1
    last = pdf.pages[-1].extract_text()
    assert f"Page {count} of {count}" in last and "Visit 59" in last
    assert "Total received 60.00" in last
    assert "Visit date Applied to Amount" in last  # the heading row again
    assert "Receipt R-000123, Testperson, Pat Q., account no. M0001042 (continued)" in last
