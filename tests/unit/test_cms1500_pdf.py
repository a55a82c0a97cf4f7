"""The CMS-1500 PDF read back with pdfplumber: every character of every field at its cell of the
10 × 6 grid (column c at x = 24 + 7.2·(c − 1), line r's baseline 20 + 12·r pt from the top),
in both modes and with printer offsets; the drawn form in red with no line through the data; the
alignment test page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
import reportlab
from pypdf import PdfReader

from app.formats.claim_data import ClaimDocument, Printing
from app.formats.cms1500 import CHECKS, Placed, layout
from app.formats.cms1500_pdf import (
    CHECK_BOXES,
    H_LINES,
    V_LINES,
    alignment_page,
    render_claims,
)
from tests.unit.test_cms1500 import PRINTED, overfull_claim, sample_claim, service_line

HALF_CHAR = 3.6  # half of 1/10 inch
Char = dict[str, Any]


def pdf_pages(data: bytes) -> list[Any]:
    return list(pdfplumber.open(io.BytesIO(data)).pages)


def courier(page: Any) -> list[Char]:
    return [c for c in page.chars if c["fontname"] == "Courier" and c["text"] != " "]


def baseline(page: Any, c: Char) -> float:
    """The char's baseline in points from the top of the page."""
    return float(page.height - c["matrix"][5])


def expected_cells(fields: Iterable[Placed], dx: float = 0.0,
                   dy: float = 0.0) -> list[tuple[str, float, float]]:
    """(character, x, baseline from the top) of every printed character of `fields`."""
    return [(ch, 24 + 7.2 * (f.col + i - 1) + dx, 20 + 12 * f.line + dy)
            for f in fields for i, ch in enumerate(f.text) if ch != " "]


def assert_on_grid(page: Any, fields: Sequence[Placed], dx: float = 0.0,
                   dy: float = 0.0) -> None:
    """Every character of the fields is printed at its grid cell (within half a character)
    and nothing else is printed in Courier."""
    chars = [(c["text"], float(c["x0"]), baseline(page, c)) for c in courier(page)]
    want = expected_cells(fields, dx, dy)
    assert len(chars) == len(want)
    for ch, x, y in want:
        near = [c for c in chars if c[0] == ch and abs(c[1] - x) < HALF_CHAR
                and abs(c[2] - y) < 0.5]
        assert near, f"{ch!r} expected at x={x:.1f}, baseline {y:.1f}"


def is_red(color: Any) -> bool:
    return isinstance(color, tuple) and len(color) == 3 and color[0] > 0.8 and color[1] < 0.5


def red_segments(page: Any) -> list[tuple[float, float, float, float]]:
    """Stroked red lines, and the edges of stroked red rectangles, as (x0, top, x1, bottom)
    widened by half their stroke."""
    out = []
    for ln in page.lines:
        if ln["stroke"] and is_red(ln["stroking_color"]):
            w = float(ln["linewidth"]) / 2
            out.append((float(ln["x0"]) - w, float(ln["top"]) - w, float(ln["x1"]) + w,
                        float(ln["bottom"]) + w))
    for r in page.rects:
        if r["stroke"] and is_red(r["stroking_color"]):
            w = float(r["linewidth"]) / 2
            x0, top, x1, bottom = (float(r[k]) for k in ("x0", "top", "x1", "bottom"))
            out += [(x0 - w, top - w, x1 + w, top + w), (x0 - w, bottom - w, x1 + w, bottom + w),
                    (x0 - w, top - w, x0 + w, bottom + w), (x1 - w, top - w, x1 + w, bottom + w)]
    return out


def courier_ink() -> dict[str, tuple[float, float, float, float]]:
    """Each Courier glyph's ink box at 12 pt (left, right from the origin; below, above the
    baseline), from the font metrics reportlab ships; a cautious box when they are missing."""
    afm = Path(reportlab.__file__).parent / "fonts" / "com_____.afm"
    boxes: dict[str, tuple[float, float, float, float]] = {}
    if afm.exists():
        for m in re.finditer(r"^C (\d+) ;.*?; B (-?\d+) (-?\d+) (-?\d+) (-?\d+)",
                             afm.read_text(encoding="latin-1"), re.MULTILINE):
            code, llx, lly, urx, ury = (int(g) for g in m.groups())
            if 32 < code < 127:
                boxes[chr(code)] = (llx * 0.012, urx * 0.012, lly * 0.012, ury * 0.012)
    return boxes


@pytest.fixture(scope="module")
def eight_lines() -> ClaimDocument:
    lines = tuple(service_line(n, f"{100 + 10 * n}.50", modifiers=("25",), pointers=(1, 2))
                  for n in range(1, 9))
    return sample_claim(lines=lines)


# --- the data on the grid -----------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["data", "form"])
def test_every_character_lands_on_its_grid_cell(eight_lines: ClaimDocument, mode: str) -> None:
    data = render_claims([eight_lines], mode=mode, printed_on=PRINTED)
    pages = pdf_pages(data)
    fields = layout(eight_lines, printed_on=PRINTED)
    assert len(pages) == len(fields) == 2
    for page, page_fields in zip(pages, fields, strict=True):
        assert (page.width, page.height) == (612, 792)
        assert_on_grid(page, page_fields)
        assert {c["size"] for c in courier(page)} == {12}


def test_known_boxes_at_their_grid_positions(eight_lines: ClaimDocument) -> None:
    page = pdf_pages(render_claims([eight_lines], mode="data", printed_on=PRINTED))[0]
    words = page.extract_words()
    for text, col, line in (("W123456789", 50, 8), ("E119", 3, 38), ("110", 52, 44),
                            ("50", 56, 44), ("1234567893", 51, 61), ("123456789", 1, 56),
                            ("X", 19, 56), ("X", 31, 8), ("X", 47, 10)):
        x, bottom = 24 + 7.2 * (col - 1), 20 + 12 * line
        # a word's bottom is its baseline plus Courier's descent (about 2.5 pt at 12 pt)
        assert [w for w in words if w["text"] == text and abs(w["x0"] - x) < HALF_CHAR
                and 0 <= w["bottom"] - bottom < 3.5], text


@pytest.mark.parametrize("mode", ["data", "form"])
def test_offsets_move_everything_by_tenths_of_an_inch(eight_lines: ClaimDocument,
                                                      mode: str) -> None:
    plain = pdf_pages(render_claims([eight_lines], mode=mode, printed_on=PRINTED))[0]
    moved = pdf_pages(render_claims([eight_lines], mode=mode, printing=Printing(3, -2),
                                    printed_on=PRINTED))[0]
    fields = layout(eight_lines, printed_on=PRINTED)[0]
    assert_on_grid(moved, fields, dx=21.6, dy=-14.4)
    for a, b in zip(courier(plain), courier(moved), strict=True):
        assert a["text"] == b["text"]
        assert b["x0"] - a["x0"] == pytest.approx(21.6, abs=0.01)
        assert baseline(moved, b) - baseline(plain, a) == pytest.approx(-14.4, abs=0.01)
    if mode == "form":  # the drawn form moves with the data
        top_plain = min(ln["top"] for ln in plain.lines if ln["linewidth"] > 2)
        top_moved = min(ln["top"] for ln in moved.lines if ln["linewidth"] > 2)
        assert top_moved - top_plain == pytest.approx(-14.4, abs=0.01)


def test_data_mode_prints_only_the_data(eight_lines: ClaimDocument) -> None:
    page = pdf_pages(render_claims([eight_lines], mode="data", printed_on=PRINTED))[0]
    assert not page.lines and not page.rects and not page.curves
    assert {c["fontname"] for c in page.chars} == {"Courier"}
    assert {c["non_stroking_color"] for c in page.chars} in ({(0,)}, {(0.0, 0.0, 0.0)})


# --- the drawn form -----------------------------------------------------------------------------
def test_form_mode_draws_the_form_in_red(eight_lines: ClaimDocument) -> None:
    page = pdf_pages(render_claims([eight_lines], mode="form", printed_on=PRINTED))[0]
    red_lines = [ln for ln in page.lines if is_red(ln["stroking_color"])]
    assert len(red_lines) >= len(H_LINES) + len(V_LINES)
    boxes = [r for r in page.rects if r["stroke"] and is_red(r["stroking_color"])]
    assert len(boxes) == len(CHECK_BOXES)
    text = page.extract_text()
    for caption in ("HEALTH INSURANCE CLAIM FORM", "(NUCC) 02/12", "1a. INSURED'S I.D. NUMBER",
                    "24. A.", "28. TOTAL CHARGE", "33. BILLING PROVIDER INFO & PH #"):
        assert caption in text
    helvetica = [c for c in page.chars if c["fontname"].startswith("Helvetica")]
    assert helvetica and all(c["non_stroking_color"][0] > 0.9 > c["non_stroking_color"][1]
                             for c in helvetica)  # red or the light red of a watermark
    assert sum(is_red(c["non_stroking_color"]) for c in helvetica) > 1000
    shaded = [r for r in page.rects if r["fill"] and not r["stroke"]
              and r["x0"] <= 21 and r["x1"] >= 591 and 11 < r["height"] < 13]
    assert len(shaded) == 6  # the shaded half of each service line


def test_the_outer_frame_is_where_the_printed_form_has_it(eight_lines: ClaimDocument) -> None:
    page = pdf_pages(render_claims([eight_lines], mode="form", printed_on=PRINTED))[0]
    red = [ln for ln in page.lines if is_red(ln["stroking_color"])]
    verticals = [ln for ln in red if ln["x0"] == ln["x1"] and ln["height"] > 600]
    horizontals = [ln for ln in red if ln["top"] == ln["bottom"] and ln["width"] > 570]
    assert sorted(round(ln["x0"], 1) for ln in verticals) == [20.6, 591.7]
    assert min(ln["top"] for ln in horizontals) == pytest.approx(94.7)
    assert max(ln["top"] for ln in horizontals) == pytest.approx(755.9)


def test_no_drawn_line_crosses_the_data() -> None:
    """An over-full claim: every character's ink stays clear of every red line of the form (the
    X of a check box may touch its box: the grid puts some a little off centre)."""
    claim = overfull_claim()
    page = pdf_pages(render_claims([claim], mode="form", printed_on=PRINTED))[0]
    segments = red_segments(page)
    ink = courier_ink()
    checks = {(round(24 + 7.2 * (col - 1), 1), 20 + 12 * line)
              for line, answers in CHECKS.values() for col in answers.values()}
    crossed = []
    for c in courier(page):
        if (round(float(c["x0"]), 1), round(baseline(page, c))) in checks:
            continue
        left, right, below, above = ink.get(c["text"], (0.2, 7.0, -2.5, 7.0))
        x0, x1 = float(c["x0"]) + left, float(c["x0"]) + right
        top, bottom = baseline(page, c) - above, baseline(page, c) - below
        for sx0, stop, sx1, sbottom in segments:
            if sx0 < x1 and sx1 > x0 and stop < bottom and sbottom > top:
                crossed.append((c["text"], round(float(c["x0"]), 1), round(bottom, 1)))
    assert not crossed


def test_every_check_mark_has_a_drawn_box_around_it() -> None:
    for box, (line, answers) in CHECKS.items():
        for answer, col in answers.items():
            x, y = 24 + 7.2 * (col - 1), 20 + 12 * line
            around = [b for b in CHECK_BOXES
                      if b[0] <= x + 0.6 and x + 6.6 <= b[2] and b[1] <= y - 6.6 and y <= b[3]]
            assert around, f"box {box} {answer}"


# --- pages and files ----------------------------------------------------------------------------
def test_a_13_line_claim_is_3_pages_and_claims_follow_one_another() -> None:
    thirteen = sample_claim(lines=tuple(service_line(n) for n in range(1, 14)))
    assert len(pdf_pages(render_claims([thirteen], mode="data", printed_on=PRINTED))) == 3
    two = render_claims([thirteen, sample_claim(2)], mode="form", printed_on=PRINTED)
    pages = pdf_pages(two)
    assert len(pages) == 4
    assert "PAGE 3 OF 3" in pages[2].extract_text()
    assert "PAGE" not in "".join(c["text"] for c in courier(pages[3]))


def test_page_totals_read_back_from_the_pdf() -> None:
    claim = sample_claim(lines=tuple(service_line(n, f"{n}00.{n:02d}") for n in range(1, 14)))
    pages = pdf_pages(render_claims([claim], mode="data", printed_on=PRINTED))
    totals = []
    for page in pages:
        row = sorted((c for c in courier(page) if abs(baseline(page, c) - 692) < 0.5
                      and 380 < c["x0"] < 450), key=lambda c: c["x0"])
        dollars = "".join(c["text"] for c in row if c["x0"] < 430)
        cents = "".join(c["text"] for c in row if c["x0"] > 430)
        totals.append(Decimal(f"{dollars}.{cents}"))
    assert sum(totals) == claim.total_charge
    assert totals[2] == Decimal("1300.13")


def test_output_is_reproducible_and_carries_no_patient_data_in_its_metadata() -> None:
    claim = sample_claim()
    one = render_claims([claim], mode="form", printed_on=PRINTED)
    assert one == render_claims([claim], mode="form", printed_on=PRINTED)
    meta = PdfReader(io.BytesIO(one)).metadata
    assert meta is not None and meta.title == "CMS-1500 claims"
    assert "DOE" not in str(dict(meta)).upper()


def test_bad_mode_and_no_claims_are_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        render_claims([sample_claim()], mode="draft", printed_on=PRINTED)
    with pytest.raises(ValueError, match="no claims"):
        render_claims([], mode="data", printed_on=PRINTED)


def test_a_claim_with_an_amount_too_large_is_refused() -> None:
    big = sample_claim(lines=(service_line(1, "123456.00"),))
    with pytest.raises(ValueError, match="24F"):
        render_claims([big], mode="data", printed_on=PRINTED)


# --- the alignment test page --------------------------------------------------------------------
def x_marks(page: Any) -> list[tuple[float, float]]:
    return sorted((round(float(c["x0"]), 2), round(baseline(page, c), 2))
                  for c in courier(page) if c["text"] == "X")


def test_alignment_page_marks_known_boxes_and_explains_itself() -> None:
    (page,) = pdf_pages(alignment_page(Printing()))
    marks = x_marks(page)
    for col, line in ((1, 8), (45, 8), (50, 8), (1, 44), (1, 54), (19, 56), (50, 58)):
        assert (round(24 + 7.2 * (col - 1), 2), round(20 + 12.0 * line, 2)) in marks
    text = page.extract_text()
    assert "tenths of an inch" in text and "ALIGNMENT TEST PAGE" in text
    assert "across +0, down +0" in text
    assert len([ln for ln in page.lines if ln["x0"] == ln["x1"]]) > 60  # ruler and scales


def test_alignment_page_moves_with_the_offsets() -> None:
    (plain,) = pdf_pages(alignment_page(Printing()))
    (moved,) = pdf_pages(alignment_page(Printing(3, -2)))
    for (x0, y0), (x1, y1) in zip(x_marks(plain), x_marks(moved), strict=True):
        assert (x1 - x0, y1 - y0) == (pytest.approx(21.6), pytest.approx(-14.4))
    assert "across +3, down -2" in moved.extract_text()


def test_offsets_are_whole_tenths() -> None:
    claim = replace(sample_claim(), patient_paid=Decimal("0"))
    (page,) = pdf_pages(render_claims([claim], mode="data", printing=Printing(-20, 20),
                                      printed_on=PRINTED))
    assert_on_grid(page, layout(claim, printed_on=PRINTED)[0], dx=-144.0, dy=144.0)
