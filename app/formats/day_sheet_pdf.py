"""The day sheet printed at day close: every ledger entry posted on one day, with totals.

A US-letter PDF drawn with reportlab's platypus. Every page carries the clinic, the day and
who printed it at the top and "Page N of M" at the bottom. The body: totals by kind of entry
(count and amount, and the net change in balances), totals by user and kind, then the detail
listing (time, user, kind, account, description, amount) in posting order, whose column
headings repeat on every page, and a "Closed by ____ Date ____" line at the end.

Signs are the ledger's (app.models.ledger): what raises a balance is positive (charges,
refunds), what lowers it negative (payments, adjustments, write-offs), so the sum of the day
is the day's net change in what is owed. Totals are exact `Decimal` sums of the entries.

Times are printed as given (`%H:%M`): the caller converts the ledger's UTC timestamps to the
clinic's local time first. Detail cells are plain strings wrapped here (not Paragraphs) so that
a busy day of thousands of entries still prints in a few seconds. No database, no Qt.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.formats.estimate import money
from app.formats.pdf_common import (
    GRID,
    INK,
    SHADE,
    STRIPE,
    draw_footer,
    fit,
    numbered_canvas,
    wrap,
)

# The ledger's kinds (app.models.ledger.LEDGER_KINDS), repeated here because formats do not
# import the models; a test checks that the two agree.
KINDS = ("charge", "insurance_payment", "patient_payment", "adjustment", "transfer", "refund",
         "write_off", "reversal")
KIND_LABELS = {"charge": "Charge", "insurance_payment": "Insurance payment",
               "patient_payment": "Patient payment", "adjustment": "Adjustment",
               "transfer": "Transfer", "refund": "Refund", "write_off": "Write-off",
               "reversal": "Reversal"}
ZERO = Decimal("0.00")
NO_ENTRIES = "No entries were posted on this day."

PAGE_WIDTH, PAGE_HEIGHT = letter
MARGIN = 0.6 * inch
HEADER_HEIGHT = 0.7 * inch
FOOTER_HEIGHT = 0.4 * inch
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
FONT, BOLD, SIZE, LEADING = "Helvetica", "Helvetica-Bold", 8, 9.6
PAD, TOP, BOTTOM = 3, 1.5, 2.5  # cell paddings

DETAIL_COLUMNS = ("Time", "User", "Kind", "Account", "Description", "Amount")
DETAIL_WIDTHS = (0.07, 0.14, 0.16, 0.12, 0.37, 0.14)
_SECTION = ParagraphStyle("section", fontName=BOLD, fontSize=11, leading=14, spaceBefore=10,
                          spaceAfter=4, textColor=INK)
_NOTE = ParagraphStyle("note", fontName="Helvetica-Oblique", fontSize=9, leading=12,
                       textColor=INK)
_SIGN = ParagraphStyle("sign", fontName=FONT, fontSize=10, leading=14, textColor=INK)


@dataclass(frozen=True)
class DaySheetEntry:
    """One ledger entry as the day sheet shows it."""

    posted_at: datetime  # local time, as it should print
    user: str
    kind: str  # one of KINDS
    patient_account: str  # the MRN
    description: str
    amount: Decimal

    def __post_init__(self) -> None:
        if self.kind not in KIND_LABELS:
            raise ValueError(f"Unknown kind of entry {self.kind!r}; expected one of "
                             f"{', '.join(KINDS)}.")
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"amount must be a Decimal, not {type(self.amount).__name__}")


@dataclass(frozen=True)
class DaySheetData:
    clinic_name: str
    day: date
    printed_at: datetime  # local time
    printed_by: str
    entries: tuple[DaySheetEntry, ...] = ()

    @property
    def totals_by_kind(self) -> dict[str, Decimal]:
        return totals_by_kind(self.entries)

    @property
    def totals_by_user_and_kind(self) -> dict[str, dict[str, Decimal]]:
        return totals_by_user_and_kind(self.entries)

    @property
    def net_total(self) -> Decimal:
        return sum((e.amount for e in self.entries), ZERO)


def totals_by_kind(entries: Iterable[DaySheetEntry]) -> dict[str, Decimal]:
    """Every kind, in KINDS order, with the exact sum of its entries (0.00 when none)."""
    totals = dict.fromkeys(KINDS, ZERO)
    for e in entries:
        totals[e.kind] += e.amount
    return totals


def totals_by_user_and_kind(entries: Iterable[DaySheetEntry]) -> dict[str, dict[str, Decimal]]:
    """user → kind → exact sum, users in alphabetical order and, for each, only the kinds the
    user posted, in KINDS order."""
    sums: dict[tuple[str, str], Decimal] = {}
    for e in entries:
        sums[(e.user, e.kind)] = sums.get((e.user, e.kind), ZERO) + e.amount
    out: dict[str, dict[str, Decimal]] = {}
    for user in sorted({u for u, _ in sums}, key=lambda u: (u.casefold(), u)):
        out[user] = {k: sums[(user, k)] for k in KINDS if (user, k) in sums}
    return out


def counts_by_kind(entries: Iterable[DaySheetEntry]) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for e in entries:
        counts[e.kind] += 1
    return counts


def posting_order(entries: Iterable[DaySheetEntry]) -> list[DaySheetEntry]:
    """By time posted; entries posted at the same moment keep the order they were given."""
    return sorted(entries, key=lambda e: e.posted_at)


# --- the document ------------------------------------------------------------------------


def day_sheet_pdf(data: DaySheetData) -> bytes:
    """The day sheet as PDF bytes."""
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=letter, title=f"Day sheet {data.day:%m/%d/%Y}",
                          author=data.clinic_name, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=MARGIN + HEADER_HEIGHT,
                          bottomMargin=MARGIN + FOOTER_HEIGHT)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame],
                                       onPage=lambda c, _d: _draw_header(c, data))])
    footer = f"Day sheet for {data.day:%m/%d/%Y}. Confidential: protected health information."
    doc.build(_story(data), canvasmaker=numbered_canvas(
        lambda c, page, total: draw_footer(c, footer, page, total)))
    return out.getvalue()


def _story(data: DaySheetData) -> list[Flowable]:
    if not data.entries:
        return [Paragraph(NO_ENTRIES, _NOTE), *_signature()]
    return [*_kind_summary(data), CondPageBreak(1.5 * inch), *_user_summary(data),
            CondPageBreak(1.5 * inch), *_detail(data), *_signature()]


def _kind_summary(data: DaySheetData) -> list[Flowable]:
    counts, totals = counts_by_kind(data.entries), data.totals_by_kind
    rows = [[KIND_LABELS[k], str(counts[k]), money(totals[k])] for k in KINDS]
    rows.append(["Net change in balances", str(len(data.entries)), money(data.net_total)])
    table = _table([["Kind", "Entries", "Amount"], *rows], (0.45, 0.2, 0.35), BODY_WIDTH * 0.55,
                   right=(1, 2))
    table.setStyle(TableStyle([("FONTNAME", (0, -1), (-1, -1), BOLD),
                               ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK)]))
    return [KeepTogether([Paragraph("Totals by kind", _SECTION), table])]


def _user_summary(data: DaySheetData) -> list[Flowable]:
    rows: list[list[str]] = []
    subtotals: list[int] = []
    for user, kinds in data.totals_by_user_and_kind.items():
        rows += [[user if i == 0 else "", KIND_LABELS[k], money(v)]
                 for i, (k, v) in enumerate(kinds.items())]
        rows.append(["", f"Total for {user}", money(sum(kinds.values(), ZERO))])
        subtotals.append(len(rows))  # table row index of the subtotal (heading is row 0)
    table = _table([["User", "Kind", "Amount"], *rows], (0.4, 0.35, 0.25), BODY_WIDTH * 0.75,
                   right=(2,))
    table.setStyle(TableStyle([s for r in subtotals for s in (
        ("FONTNAME", (1, r), (-1, r), BOLD), ("LINEBELOW", (0, r), (-1, r), 0.8, INK))]))
    return [Paragraph("Totals by user and kind", _SECTION), table]


def _detail(data: DaySheetData) -> list[Flowable]:
    rows = [[f"{e.posted_at:%H:%M}", e.user, KIND_LABELS[e.kind], e.patient_account,
             e.description, money(e.amount)] for e in posting_order(data.entries)]
    note = Paragraph(f"{len(rows)} entries, in the order they were posted.", _NOTE)
    table = _table([list(DETAIL_COLUMNS), *rows], DETAIL_WIDTHS, BODY_WIDTH, right=(5,))
    table.setStyle(TableStyle([("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE])]))
    return [Paragraph("Entries", _SECTION), note, Spacer(1, 3), table]


def _signature() -> list[Flowable]:
    line = ("Closed by ________________________________ &nbsp;&nbsp;&nbsp; "
            "Date ____________________")
    return [KeepTogether([Spacer(1, 0.5 * inch), Paragraph(line, _SIGN)])]


def _table(rows: list[list[str]], fractions: tuple[float, ...], width: float,
           right: tuple[int, ...] = ()) -> Table:
    """A table of plain-string cells wrapped to their columns, headings repeated per page."""
    widths = [width * f for f in fractions]
    cells = [[wrap(text, BOLD if r == 0 else FONT, SIZE, w - 2 * PAD)
              for text, w in zip(row, widths, strict=True)] for r, row in enumerate(rows)]
    # Heights known up front spare reportlab measuring the rest of a long table at every
    # page break (quadratic in the number of rows).
    heights = [max(c.count("\n") for c in row) * LEADING + LEADING + TOP + BOTTOM
               for row in cells]
    table = Table(cells, colWidths=widths, rowHeights=heights, repeatRows=1, hAlign="LEFT")
    table.setStyle(_table_style(right))
    return table


def _table_style(right: tuple[int, ...]) -> TableStyle:
    return TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, SIZE, LEADING),
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, GRID),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), TOP),
        ("BOTTOMPADDING", (0, 0), (-1, -1), BOTTOM),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        *[("ALIGN", (c, 0), (c, -1), "RIGHT") for c in right],
    ])


def _draw_header(c: Canvas, data: DaySheetData) -> None:
    top = PAGE_HEIGHT - MARGIN
    right = PAGE_WIDTH - MARGIN
    c.saveState()
    c.setFillColor(INK)
    c.setFont(BOLD, 12)
    c.drawString(MARGIN, top - 12, fit(data.clinic_name, BOLD, 12, BODY_WIDTH / 2 - 6))
    c.drawRightString(right, top - 12, f"Day sheet for {data.day:%A, %B} {data.day.day}, "
                                       f"{data.day:%Y}")
    c.setFont(FONT, 8.5)
    printed = f"Printed {data.printed_at:%m/%d/%Y %H:%M} by {data.printed_by}"
    c.drawRightString(right, top - 25, fit(printed, FONT, 8.5, BODY_WIDTH / 2 - 6))
    c.setStrokeColor(GRID)
    c.setLineWidth(0.8)
    c.line(MARGIN, top - HEADER_HEIGHT + 8, right, top - HEADER_HEIGHT + 8)
    c.restoreState()
