"""The printed patient summary: a US-letter PDF drawn with reportlab's platypus.

Input is plain dataclasses (no database, no Qt): the clinic's header lines, the patient's
demographics as label/value pairs, and titled sections of table rows. Every page repeats the
clinic and the patient's name, MRN and DOB at the top (a loose page still says whose it is) and
"Page N of M" with the printed date at the bottom. Tables split across pages and repeat their
column headings; cell text wraps (long words are broken) so nothing runs off the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
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
    Table,
    TableStyle,
)

from app.formats.pdf_common import numbered_canvas

PAGE_WIDTH, PAGE_HEIGHT = letter
MARGIN = 0.6 * inch
HEADER_HEIGHT = 0.85 * inch
FOOTER_HEIGHT = 0.45 * inch
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
GRID = colors.HexColor("#b8b8b8")
SHADE = colors.HexColor("#e8edf3")
INK = colors.HexColor("#222222")

_CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=8.5, leading=10.5,
                       textColor=INK)
_HEAD = ParagraphStyle("head", parent=_CELL, fontName="Helvetica-Bold")
_RIGHT = ParagraphStyle("right", parent=_CELL, alignment=TA_RIGHT)
_HEAD_RIGHT = ParagraphStyle("head_right", parent=_HEAD, alignment=TA_RIGHT)
_LABEL = ParagraphStyle("label", parent=_CELL, fontName="Helvetica-Bold",
                        textColor=colors.HexColor("#444444"))
_TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=15, leading=19,
                        spaceAfter=6, textColor=INK)
_SECTION = ParagraphStyle("section", fontName="Helvetica-Bold", fontSize=11, leading=14,
                          spaceBefore=10, spaceAfter=4, textColor=INK)
KEEP_WHOLE_ROWS = 12  # shorter tables move whole to the next page rather than split

_EMPTY = ParagraphStyle("empty", parent=_CELL, fontName="Helvetica-Oblique")


@dataclass(frozen=True)
class Section:
    """A titled table. `widths` are fractions of the body width, one per column."""

    title: str
    columns: tuple[str, ...]
    widths: tuple[float, ...]
    rows: Sequence[tuple[str, ...]] = ()
    empty_text: str = "None recorded."
    note: str = ""  # a line under the title, e.g. "The last 10 of 200."
    right: tuple[int, ...] = ()  # columns of amounts, right-aligned


@dataclass(frozen=True)
class PatientSummary:
    practice_name: str
    practice_lines: tuple[str, ...]  # address, phone
    printed_on: str  # already formatted, e.g. "03/14/2025 10:42"
    patient_name: str
    patient_ids: str  # "MRN M0000042 · DOB 01/02/1970"
    demographics: tuple[tuple[str, str], ...]  # (label, value); empty values are skipped
    sections: tuple[Section, ...]
    title: str = "Patient summary"  # the estimate prints through the same layout


@dataclass(frozen=True)
class RenderResult:
    path: Path
    pages: int
    rows: dict[str, int]  # section title -> rows printed


def render_summary(summary: PatientSummary, out: Path) -> RenderResult:
    """Write the summary to `out` as a PDF; returns how many pages and rows were printed."""
    pages: list[int] = []
    doc = BaseDocTemplate(str(out), pagesize=letter, title=summary.title,
                          author=summary.practice_name, leftMargin=MARGIN,
                          rightMargin=MARGIN, topMargin=MARGIN + HEADER_HEIGHT,
                          bottomMargin=MARGIN + FOOTER_HEIGHT)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame],
                                       onPage=lambda c, _d: _draw_header(c, summary))])
    doc.build(_story(summary), canvasmaker=numbered_canvas(
        lambda c, page, total: _draw_footer(c, summary, page, total), pages))
    return RenderResult(out, pages[0] if pages else 0,
                        {s.title: len(s.rows) for s in summary.sections})


def _story(summary: PatientSummary) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(escape(summary.title), _TITLE),
                             _demographics(summary.demographics)]
    for section in summary.sections:
        # A title never sits alone at the bottom of a page.
        story += [CondPageBreak(1.2 * inch), *_section(section)]
    return story


def _p(text: str, style: ParagraphStyle = _CELL) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _demographics(pairs: tuple[tuple[str, str], ...]) -> Table:
    """Label/value pairs in two independent columns, filled down then across."""
    shown = [(k, v) for k, v in pairs if v]
    half = (len(shown) + 1) // 2
    column = BODY_WIDTH / 2
    outer = Table([[_pairs(shown[:half], column), _pairs(shown[half:], column)]],
                  colWidths=[column, column])
    outer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return outer


def _pairs(pairs: list[tuple[str, str]], width: float) -> Table | str:
    if not pairs:
        return ""
    table = Table([[_p(k, _LABEL), _p(v)] for k, v in pairs],
                  colWidths=[width * 0.32, width * 0.68])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                               ("LEFTPADDING", (0, 0), (-1, -1), 2)]))
    return table


def _section(section: Section) -> list[Flowable]:
    title = _p(section.title, _SECTION)
    lead: list[Flowable] = [title]
    if section.note:
        lead.append(_p(section.note, _EMPTY))
    if not section.rows:
        return [KeepTogether([*lead, _p(section.empty_text, _EMPTY)])]
    widths = [BODY_WIDTH * f for f in section.widths]
    data = [[_p(c, _HEAD_RIGHT if i in section.right else _HEAD)
             for i, c in enumerate(section.columns)]]
    data += [[_p(c, _RIGHT if i in section.right else _CELL) for i, c in enumerate(row)]
             for row in section.rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(_table_style())
    if len(section.rows) <= KEEP_WHOLE_ROWS:
        return [KeepTogether([*lead, table])]
    # A long table starts where it is (after the CondPageBreak) and splits across pages.
    return [*lead, table]


def _table_style() -> TableStyle:
    return TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, GRID),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ])


def _fit(c: Canvas, text: str, font: str, size: float, width: float) -> str:
    """Shorten a header line with an ellipsis rather than let it run off the page."""
    if c.stringWidth(text, font, size) <= width:
        return text
    while text and c.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_header(c: Canvas, s: PatientSummary) -> None:
    top = PAGE_HEIGHT - MARGIN
    half = BODY_WIDTH / 2 - 6
    c.saveState()
    c.setFillColor(INK)
    c.setFont("Helvetica-Bold", 12)
    c.drawString(MARGIN, top - 12, _fit(c, s.practice_name, "Helvetica-Bold", 12, half))
    c.setFont("Helvetica", 8.5)
    for i, line in enumerate(s.practice_lines[:3]):
        c.drawString(MARGIN, top - 25 - 11 * i, _fit(c, line, "Helvetica", 8.5, half))
    right = PAGE_WIDTH - MARGIN
    c.setFont("Helvetica-Bold", 11)
    c.drawRightString(right, top - 12, _fit(c, s.patient_name, "Helvetica-Bold", 11, half))
    c.setFont("Helvetica", 8.5)
    c.drawRightString(right, top - 25, _fit(c, s.patient_ids, "Helvetica", 8.5, half))
    c.setStrokeColor(GRID)
    c.setLineWidth(0.8)
    c.line(MARGIN, top - HEADER_HEIGHT + 6, right, top - HEADER_HEIGHT + 6)
    c.restoreState()


def _draw_footer(c: Canvas, s: PatientSummary, page: int, total: int) -> None:
    y = MARGIN
    c.saveState()
    c.setStrokeColor(GRID)
    c.setLineWidth(0.5)
    c.line(MARGIN, y + 14, PAGE_WIDTH - MARGIN, y + 14)
    c.setFont("Helvetica", 7.5)
    c.setFillColor(INK)
    c.drawString(MARGIN, y, f"Printed {s.printed_on}. Confidential: protected health "
                            "information.")
    c.drawRightString(PAGE_WIDTH - MARGIN, y, f"Page {page} of {total}")
    c.restoreState()
