"""Page furniture shared by the reportlab documents (day sheet, receipt, appeal letter,
patient summary, plan agreement): colours, one-line fitting and wrapping by measured width,
the footer with "Page N of M", a canvas that holds pages until it knows how many there are,
and two plain flowables (a borderless layout table, a horizontal rule)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Table, TableStyle

PAGE_WIDTH, PAGE_HEIGHT = letter
MARGIN = 0.6 * inch
FONT = "Helvetica"
GRID = colors.HexColor("#b8b8b8")
SHADE = colors.HexColor("#e8edf3")
STRIPE = colors.HexColor("#f6f7f9")
INK = colors.HexColor("#222222")


def wrap(text: str, font: str, size: float, width: float) -> str:
    """`text` broken into lines no wider than `width` (a cell's newlines); a word too long for
    one line is broken inside, so nothing runs into the next column."""
    if "\n" not in text and stringWidth(text, font, size) <= width:
        return text  # the usual case, measured once
    lines: list[str] = []
    for part in text.splitlines() or [""]:
        for line in simpleSplit(part, font, size, width) or [""]:
            lines += _break_word(line, font, size, width)
    return "\n".join(lines)


def _break_word(line: str, font: str, size: float, width: float) -> list[str]:
    out: list[str] = []
    while stringWidth(line, font, size) > width and len(line) > 1:
        cut = len(line) - 1
        while cut > 1 and stringWidth(line[:cut], font, size) > width:
            cut -= 1
        out.append(line[:cut])
        line = line[cut:]
    return [*out, line]


def fit(text: str, font: str, size: float, width: float) -> str:
    """Shorten a one-line text with an ellipsis rather than let it run off the page."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def draw_footer(c: Canvas, text: str, page: int, total: int, *, margin: float = MARGIN,
                bottom: float | None = None, width: float = PAGE_WIDTH) -> None:
    """A rule, `text` on the left and "Page N of M" on the right, within `margin` of the
    sides of a page `width` wide and `bottom` (else `margin`) from its bottom edge."""
    y = margin if bottom is None else bottom
    c.saveState()
    c.setStrokeColor(GRID)
    c.setLineWidth(0.5)
    c.line(margin, y + 12, width - margin, y + 12)
    c.setFont(FONT, 7.5)
    c.setFillColor(INK)
    c.drawString(margin, y, fit(text, FONT, 7.5, width - 2 * margin - 70))
    c.drawRightString(width - margin, y, f"Page {page} of {total}")
    c.restoreState()


def numbered_canvas(footer: Callable[[Canvas, int, int], None],
                    pages: list[int] | None = None) -> type[Canvas]:
    """A canvas class that holds each page until the end, so that `footer(canvas, page,
    total)` can print "Page N of M" on every page; the page count is appended to `pages`."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            if pages is not None:
                pages.append(total)
            for state in self._saved:
                self.__dict__.update(state)
                footer(self, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def plain_table(rows: list[list[object]], fractions: tuple[float, ...], width: float) -> Table:
    """A borderless table that lays blocks side by side: columns as fractions of `width`,
    tops aligned, no side padding."""
    table = Table(rows, colWidths=[width * f for f in fractions])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def rule(width: float) -> Table:
    """A thin grey line across `width`."""
    table = Table([[""]], colWidths=[width], rowHeights=[1])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.8, GRID)]))
    return table
