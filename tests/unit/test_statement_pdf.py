"""Patient statements (app.formats.statement_pdf): read back with pdfplumber, a statement shows
the clinic, the guarantor's address, the account summary, aging, visit detail, the plan
installment only when on a plan, the dunning message and how to pay; a remainder statement says
insurance has processed its visits; a batch numbers each statement's pages on its own; a long
visit history continues on further pages; figures that do not add up never print; nothing is
drawn outside the printable area. All names and numbers are made up."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import pdfplumber
import pytest

from app.formats.statement_pdf import (
    REMAINDER_HEADING,
    StatementAging,
    StatementClinic,
    StatementData,
    StatementLine,
    StatementPlanInstallment,
    StatementVisit,
    statement_pdf,
)

CLINIC = StatementClinic(
    name="Maple Family Practice",
    address_lines=("100 Elm Street, Suite 2", "Springfield, IL 62701-1234"),
    phone="(217) 555-0100", billing_phone="(217) 555-0199",
    how_to_pay=("Online: pay.maplefamily.example (have your account number ready)",
                "By phone: (217) 555-0199, Monday to Friday, 8 am to 5 pm",
                "By mail: send the stub below with your check"),
    payable_to=("Maple Family Practice", "Billing Office", "PO Box 4410",
                "Springfield, IL 62708-4410"),
    tax_id="12-3456789")
DAY = date(2026, 6, 2)
DUNNING = ("This is your second statement. Please pay the balance due or call us by "
           "06/30/2026 to set up a payment plan.")


def visit(day: date, code: str = "99213", charge: str = "150.00", insurance: str = "88.17",
          adjustment: str = "21.83", paid: str = "10.00") -> StatementVisit:
    amounts = [D(charge), D(insurance), D(adjustment), D(paid)]
    balance = amounts[0] - sum(amounts[1:], D("0.00"))
    return StatementVisit(day, "Office visit, Dr. Rivera", (
        StatementLine(day, f"{code} Office visit, established patient", *amounts, balance),))


def statement(visits: tuple[StatementVisit, ...], previous: str = "45.00",
              **changes: Any) -> StatementData:
    """The summary worked out from the visits (all activity this period), aged as current."""
    charges = sum((v.charges for v in visits), D("0.00"))
    ins = sum((v.insurance_paid for v in visits), D("0.00"))
    adj = sum((v.adjustments for v in visits), D("0.00"))
    paid = sum((v.patient_paid for v in visits), D("0.00"))
    balance = D(previous) + charges - ins - adj - paid
    aging = StatementAging(balance - D(previous), D("0.00"), D(previous), D("0.00"), D("0.00"))
    data = StatementData(
        account_number="M0001042", guarantor_name="Pat Q. Testperson",
        mailing_address=("742 Birch Lane, Apt 3", "Springfield, IL 62704-5678"),
        statement_date=DAY, due_date=DAY + timedelta(days=28), previous_balance=D(previous),
        charges=charges, insurance_payments=ins, adjustments=adj, patient_payments=paid,
        balance_due=balance, aging=aging, visits=visits, statement_number="S-000123")
    return replace(data, **changes)


LAB = StatementLine(date(2026, 5, 18), "36415 Blood draw", D("25.00"), D("15.00"), D("5.00"),
                    D("0.00"), D("5.00"))
SECOND = visit(date(2026, 5, 18), "99214", "210.00", "120.00", "30.00", "0.00")
VISITS = (visit(date(2026, 5, 4)), replace(SECOND, lines=(*SECOND.lines, LAB)))
STANDARD = statement(VISITS)
PLAN = StatementPlanInstallment(D("75.00"), date(2026, 7, 1), D("225.00"), "P-0042")
REMAINDER = statement(VISITS[1:], previous="0.00", kind="remainder",
                      guarantor_name="Alex Sampleton", account_number="M0002001",
                      statement_number="S-000124")


def long_statement(count: int = 40) -> StatementData:
    return statement(tuple(visit(date(2025, 1, 6) + timedelta(days=7 * n)) for n in range(count)),
                     guarantor_name="Jordan Exampleson", account_number="M0003003",
                     statement_number="S-000125")


def read(pdf: bytes) -> list[Any]:
    return list(pdfplumber.open(io.BytesIO(pdf)).pages)


def text_of(page: Any) -> str:
    return "\n".join(str(x["text"]) for x in page.extract_text_lines())


def all_text(pdf: bytes) -> str:
    return "\n".join(text_of(p) for p in read(pdf))


def test_a_statement_shows_the_account_and_what_is_owed() -> None:
    pages = read(statement_pdf([STANDARD], CLINIC))
    text = "\n".join(text_of(p) for p in pages)
    assert STANDARD.balance_due == D("140.00")
    for expected in ("Maple Family Practice", "100 Elm Street, Suite 2", "STATEMENT",
                     "Statement date 06/02/2026", "Account number M0001042",
                     "Statement no. S-000123", "Billing questions (217) 555-0199",
                     "Page 1 of 2", "Page 2 of 2", "Amount due", "$140.00",
                     "Please pay by 06/30/2026",
                     "Pat Q. Testperson", "742 Birch Lane, Apt 3",
                     "Springfield, IL 62704-5678",
                     "Previous balance $45.00", "New charges $385.00",
                     "Insurance payments -$223.17", "Adjustments -$56.83",
                     "Your payments -$10.00", "Balance due $140.00",
                     "Current 31-60 days 61-90 days 91-120 days Over 120 days Total",
                     "$95.00 $0.00 $45.00 $0.00 $0.00 $140.00",
                     "Visit detail",
                     "05/04/2026 99213 Office visit, established patient $150.00 -$88.17 -$21.83 "
                     "-$10.00 $30.00",
                     "Visit total $235.00 -$135.00 -$35.00 $0.00 $65.00",
                     "How to pay", "Online: pay.maplefamily.example",
                     "Questions about this statement? Call (217) 555-0199.",
                     "Please detach and return this portion with your payment.",
                     "Make checks payable to and mail to:", "PO Box 4410",
                     "Amount enclosed", "Please write your account number on your check."):
        assert expected in text, expected
    assert REMAINDER_HEADING not in text and "Payment plan" not in text
    assert "12-3456789" not in text  # the tax ID is not printed


def test_amounts_are_right_aligned_in_their_columns() -> None:
    page = read(statement_pdf([STANDARD], CLINIC))[-1]
    words = page.extract_words()
    heading = next(w for w in words if w["text"] == "Charges")
    charges = [w for w in words if w["text"] in ("$25.00", "$210.00", "$235.00")
               and w["top"] > heading["top"] and w["x0"] > heading["x0"] - 20]
    assert len(charges) >= 3
    assert len({round(float(w["x1"]), 1) for w in charges}) == 1


def test_the_remittance_stub_is_below_the_fold_and_the_address_in_the_window() -> None:
    page = read(statement_pdf([STANDARD], CLINIC))[0]
    height = float(page.height)
    words = page.extract_words()
    tear = height * 2 / 3  # pdfplumber measures down from the top
    enclosed = next(w for w in words if w["text"] == "enclosed")
    assert float(enclosed["top"]) > tear
    # The guarantor's address: 2.042" to 2.917" from the top, starting 1" from the left.
    lane = [w for w in words if w["text"] == "Birch"]
    window = [w for w in lane if 2.042 * 72 <= float(w["top"]) <= 2.917 * 72]
    assert window and all(0.5 * 72 <= float(w["x0"]) <= 4.0 * 72 for w in window)
    assert any(float(w["top"]) > tear for w in lane)  # and again on the stub


def test_a_remainder_statement_says_insurance_has_processed_its_visits() -> None:
    text = all_text(statement_pdf([REMAINDER], CLINIC))
    assert REMAINDER_HEADING in text and "Alex Sampleton" in text
    assert "05/18/2026" in text and "05/04/2026" not in text


def test_the_plan_box_only_when_on_a_plan() -> None:
    on_plan = replace(STANDARD, plan=PLAN)
    text = all_text(statement_pdf([on_plan], CLINIC))
    for expected in ("Payment plan P-0042", "Installment due $75.00", "Due date 07/01/2026",
                     "Plan balance $225.00", "Please pay by 07/01/2026"):
        assert expected in text, expected
    assert on_plan.amount_due == D("75.00")
    plain = all_text(statement_pdf([STANDARD], CLINIC))
    assert "Payment plan" not in plain and "Installment due" not in plain


def test_the_dunning_message_prints_when_given() -> None:
    with_message = all_text(statement_pdf([replace(STANDARD, dunning_message=DUNNING)], CLINIC))
    assert "This is your second statement." in with_message
    assert "to set up a payment plan." in with_message
    assert "second statement" not in all_text(statement_pdf([STANDARD], CLINIC))


def test_a_credit_balance_asks_for_nothing() -> None:
    credit = statement((visit(date(2026, 5, 4), paid="70.00"),), previous="0.00")
    assert credit.balance_due == D("-30.00")
    text = all_text(statement_pdf([credit], CLINIC))
    assert "Credit balance" in text and "No payment is due." in text
    assert "Balance due -$30.00" in text and credit.amount_due == D("0.00")


def test_a_batch_numbers_each_statements_pages_on_its_own() -> None:
    batch = [STANDARD, long_statement(), REMAINDER]
    pages = read(statement_pdf(batch, CLINIC))
    texts = [text_of(p) for p in pages]
    firsts = [n for n, t in enumerate(texts) if "Please detach and return" in t]
    # Two pages for the first (its detail does not fit above the stub), then the long one.
    assert firsts == [0, 2, firsts[2]] and len(pages) == firsts[2] + 2
    assert "Pat Q. Testperson" in texts[0] and "Page 1 of 2" in texts[0]
    assert "Page 2 of 2" in texts[1]
    long_pages = firsts[2] - firsts[1]
    assert long_pages >= 2
    for n in range(long_pages):
        assert f"Page {n + 1} of {long_pages}" in texts[firsts[1] + n], n
        assert "Jordan Exampleson" in texts[firsts[1] + n]
    assert "Alex Sampleton" in texts[-2] and "Page 1 of 2" in texts[-2]
    assert "Page 2 of 2" in texts[-1] and "Alex Sampleton, account M0002001" in texts[-1]


def test_forty_visits_continue_on_further_pages() -> None:
    data = long_statement()
    pages = read(statement_pdf([data], CLINIC))
    texts = [text_of(p) for p in pages]
    count = len(texts)
    assert count >= 2
    assert "Continued on page 2" in texts[0]
    for n, text in enumerate(texts[1:], start=2):
        assert "STATEMENT (continued)" in text and f"Page {n} of {count}" in text
        assert "Jordan Exampleson, account M0003003" in text
        # The column headings repeat on every page of the detail.
        assert "Date Description Charges" in text, n
    assert all("Continued on page" in t for t in texts[1:-1])
    dates = [m for t in texts for m in re.findall(r"^(\d\d/\d\d/\d{4}) Office visit, Dr",
                                                  t, re.M)]
    assert len(dates) == 40  # every visit, once


def test_figures_that_do_not_add_up_never_print() -> None:
    with pytest.raises(ValueError, match="do not add up"):
        replace(STANDARD, balance_due=STANDARD.balance_due + D("0.01"))
    with pytest.raises(ValueError, match="do not add up") as caught:
        replace(STANDARD, insurance_payments=D("100.00"))
    message = str(caught.value)
    assert "Testperson" not in message and "M0001042" not in message
    wrong_aging = StatementAging(D("1.00"), D("0"), D("0"), D("0"), D("0"))
    with pytest.raises(ValueError, match="aging"):
        replace(STANDARD, aging=wrong_aging)


def test_floats_and_unknown_kinds_are_refused() -> None:
    with pytest.raises(TypeError):
        replace(STANDARD, charges=360.0)
    with pytest.raises(ValueError, match="standard"):
        replace(STANDARD, kind="final")
    with pytest.raises(ValueError):
        statement_pdf([], CLINIC)


def test_aging_from_the_aging_reports_buckets() -> None:
    aging = StatementAging.from_buckets([D("1.00"), D("2.00"), D("3.00"), D("4.00"), D("5.00")])
    assert aging.over_120 == D("5.00") and aging.total == D("15.00")


def test_nothing_is_drawn_outside_the_printable_area() -> None:
    batch = [replace(STANDARD, plan=PLAN, dunning_message=DUNNING * 2), REMAINDER,
             long_statement(),
             replace(STANDARD, guarantor_name="A" * 200, account_number="9" * 60,
                     mailing_address=("B" * 200, "C" * 200, "D " * 150, "E" * 80))]
    limit = 0.25 * 72  # what an office laser printer leaves unprinted at each edge
    for page in read(statement_pdf(batch, CLINIC)):
        width, height = float(page.width), float(page.height)
        for ch in page.chars:
            assert limit <= float(ch["x0"]) and float(ch["x1"]) <= width - limit, ch["text"]
            assert limit <= float(ch["top"]) and float(ch["bottom"]) <= height - limit
        for item in (*page.rects, *page.lines):
            assert limit <= float(item["x0"]) and float(item["x1"]) <= width - limit
            assert limit <= float(item["top"]) and float(item["bottom"]) <= height - limit


def test_long_names_stay_inside_their_windows() -> None:
    data = replace(STANDARD, guarantor_name="W" * 120)
    page = read(statement_pdf([data], CLINIC))[0]
    in_window = [c for c in page.chars if 2.042 * 72 <= float(c["top"]) <= 2.917 * 72
                 and c["text"] == "W"]
    assert in_window and max(float(c["x1"]) for c in in_window) <= 4.0 * 72
