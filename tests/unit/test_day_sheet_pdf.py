"""The day sheet (app.formats.day_sheet_pdf): totals by kind and by user and kind are exact
Decimal sums; the PDF read back with pdfplumber shows them, lists the entries in posting order
with right-aligned amounts, repeats its heading row and "Page N of M" on every page, ends with
the "Closed by" line, and copes with an empty day and with 5,000 entries."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pdfplumber
import pytest

from app.formats.day_sheet_pdf import (
    KINDS,
    NO_ENTRIES,
    DaySheetData,
    DaySheetEntry,
    day_sheet_pdf,
    totals_by_kind,
    totals_by_user_and_kind,
)

DAY = date(2026, 6, 2)
PRINTED = datetime(2026, 6, 2, 17, 5)


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 6, 2, hour, minute)


# A made-up day: two clerks, signs as in the ledger (payments and adjustments negative).
ENTRIES = (
    DaySheetEntry(at(9, 15), "bea", "charge", "M0002", "99213 office visit", D("150.00")),
    DaySheetEntry(at(8, 30), "alex", "charge", "M0001", "99214 office visit", D("210.00")),
    DaySheetEntry(at(10, 2), "alex", "patient_payment", "M0001", "Copay, cash", D("-25.00")),
    DaySheetEntry(at(11, 40), "bea", "insurance_payment", "M0003", "Acme check 100234",
                  D("-88.17")),
    DaySheetEntry(at(11, 40), "bea", "adjustment", "M0003", "CO-45 contractual",
                  D("-61.83")),
    DaySheetEntry(at(13, 5), "alex", "write_off", "M0004", "Small balance", D("-0.10")),
    DaySheetEntry(at(13, 6), "alex", "write_off", "M0005", "Small balance", D("-0.20")),
    DaySheetEntry(at(14, 0), "bea", "transfer", "M0003", "To patient", D("-20.00")),
    DaySheetEntry(at(14, 0), "bea", "transfer", "M0003", "From Acme", D("20.00")),
    DaySheetEntry(at(15, 30), "alex", "refund", "M0006", "Overpayment refund", D("12.34")),
    DaySheetEntry(at(16, 45), "alex", "reversal", "M0001", "Reverses copay posted twice",
                  D("25.00")),
)


def sheet(entries: tuple[DaySheetEntry, ...] = ENTRIES) -> DaySheetData:
    return DaySheetData("Maple Family Practice", DAY, PRINTED, "Carla Clerk", entries)


def pages(data: bytes) -> list[Any]:
    return list(pdfplumber.open(io.BytesIO(data)).pages)


def lines(page: Any) -> list[str]:
    return [str(x["text"]) for x in page.extract_text_lines()]


def text_of(page: Any) -> str:
    return "\n".join(lines(page))


def test_totals_are_exact_decimal_sums() -> None:
    by_kind = totals_by_kind(ENTRIES)
    assert list(by_kind) == list(KINDS)
    assert by_kind == {"charge": D("360.00"), "insurance_payment": D("-88.17"),
                       "patient_payment": D("-25.00"), "adjustment": D("-61.83"),
                       "transfer": D("0.00"), "refund": D("12.34"), "write_off": D("-0.30"),
                       "reversal": D("25.00")}
    assert all(isinstance(v, D) for v in by_kind.values())
    assert totals_by_user_and_kind(ENTRIES) == {
        "alex": {"charge": D("210.00"), "patient_payment": D("-25.00"), "refund": D("12.34"),
                 "write_off": D("-0.30"), "reversal": D("25.00")},
        "bea": {"charge": D("150.00"), "insurance_payment": D("-88.17"),
                "adjustment": D("-61.83"), "transfer": D("0.00")}}
    data = sheet()
    assert data.totals_by_kind == by_kind and data.net_total == D("222.04")


def test_the_ledger_kinds_are_the_ones_the_sheet_knows() -> None:
    from app.models.ledger import LEDGER_KINDS

    assert set(KINDS) == set(LEDGER_KINDS)


def test_an_entry_of_an_unknown_kind_or_a_float_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="payment"):
        DaySheetEntry(at(9, 0), "alex", "payment", "M1", "x", D(1))
    with pytest.raises(TypeError):
        DaySheetEntry(at(9, 0), "alex", "charge", "M1", "x", 1.5)  # type: ignore[arg-type]


def test_the_sheet_shows_the_totals_the_detail_and_the_closing_line() -> None:
    [page] = pages(day_sheet_pdf(sheet()))
    text = text_of(page)
    for expected in ("Maple Family Practice", "Day sheet for Tuesday, June 2, 2026",
                     "Printed 06/02/2026 17:05 by Carla Clerk",
                     "Charge 2 360.00", "Insurance payment 1 -88.17",
                     "Patient payment 1 -25.00", "Adjustment 1 -61.83", "Transfer 2 0.00",
                     "Refund 1 12.34", "Write-off 2 -0.30", "Reversal 1 25.00",
                     "Net change in balances 11 222.04",
                     "Total for alex 222.04", "Total for bea 0.00",
                     "Time User Kind Account Description Amount", "Page 1 of 1"):
        assert expected in text, expected
    assert "Closed by ____" in text and "Date ____" in text


def test_the_detail_is_in_posting_order_with_amounts_right_aligned() -> None:
    [page] = pages(day_sheet_pdf(sheet()))
    text = lines(page)
    detail = [t for t in text if t[:2].isdigit() and t[2] == ":"]
    assert [t[:5] for t in detail] == ["08:30", "09:15", "10:02", "11:40", "11:40", "13:05",
                                       "13:06", "14:00", "14:00", "15:30", "16:45"]
    # Same minute: the order given is kept (payment before its adjustment).
    assert "Acme check 100234" in detail[3] and "CO-45" in detail[4]
    words = page.extract_words()
    heading = next(w for w in words if w["text"] == "Time")
    amounts = [w for w in words if w["text"] in ("210.00", "-0.10", "12.34", "-88.17")
               and w["top"] > heading["top"]]
    right_edges = {round(float(w["x1"]), 1) for w in amounts}
    assert len(amounts) == 4 and len(right_edges) == 1


def test_a_long_description_wraps_inside_the_page() -> None:
    words = " ".join(f"word{n}" for n in range(60))
    entry = DaySheetEntry(at(9, 0), "alex", "charge", "M0001",
                          "A" * 120 + " " + words, D("1.00"))
    [page] = pages(day_sheet_pdf(sheet((entry,))))
    assert max(float(c["x1"]) for c in page.chars) <= float(page.width) - 0.6 * 72 + 0.5
    text = page.extract_text()
    assert "word59" in text and "A" * 20 in text


def test_an_empty_day_says_so_on_one_page() -> None:
    [page] = pages(day_sheet_pdf(sheet(())))
    text = text_of(page)
    assert NO_ENTRIES in text and "Page 1 of 1" in text and "Closed by ____" in text
    assert "Totals by kind" not in text and "Time User Kind" not in text


def test_five_thousand_entries_run_over_many_numbered_pages() -> None:
    kinds = KINDS
    entries = tuple(
        DaySheetEntry(at(8, 0) + timedelta(seconds=7 * n), f"user{n % 4}", kinds[n % 8],
                      f"M{n:06d}", f"Entry {n:04d} office visit", D(n % 300) + D("0.25"))
        for n in range(5000))
    data = day_sheet_pdf(sheet(entries))
    doc = pages(data)
    count = len(doc)
    # One line per entry is about 46 entries a page, after a first page of totals.
    assert 100 <= count <= 125
    first, last = text_of(doc[0]), text_of(doc[-1])
    assert f"Page 1 of {count}" in first and f"Page {count} of {count}" in last
    assert "Net change in balances 5000 738,750.00" in first
    assert "Entry 4999" in last and "Closed by ____" in last
    # Pages through the listing (reading all of them back is slow): the heading row again,
    # their own page number, and the entries carrying on from the page before.
    for n in (2, 3, count // 2, count):
        text = text_of(doc[n - 1])
        assert "Time User Kind Account Description Amount" in text and \
            f"Page {n} of {count}" in text, n
    numbers = [[int(m) for m in re.findall(r"Entry (\d{4})", text_of(doc[n]))] for n in (1, 2)]
    assert numbers[1][0] == numbers[0][-1] + 1
    assert numbers[0] == list(range(numbers[0][0], numbers[0][-1] + 1))
