"""The receipt a patient is handed at the desk for a payment: one US-letter page.

Drawn with reportlab's platypus in the house style of the other printed documents (summary,
estimate, day sheet): the clinic's letterhead and the receipt number and time, who paid (name
and account number, the MRN), the amount and how it was paid, the visits it was applied to,
what is left unapplied (a credit on the account), the account balance after the payment, who
took it, and "Page N of M" at the bottom (a receipt applied to very many visits flows on).

Card payments: only the last four digits of the card are ever taken, and anything else is
refused with ValueError (PCI DSS 3.4: a full card number must not be stored or printed), and
the error message does not repeat what was given. No database, no Qt.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple
from xml.sax.saxutils import escape

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
    Spacer,
    Table,
    TableStyle,
)

from app.formats.estimate import money
from app.formats.pdf_common import (
    GRID,
    INK,
    SHADE,
    draw_footer,
    fit,
    numbered_canvas,
    plain_table,
    rule,
)

METHODS = ("cash", "check", "card")
ZERO = Decimal("0.00")
MARGIN = 0.75 * inch
BODY_WIDTH = letter[0] - 2 * MARGIN
KEEP_WHOLE_ROWS = 12  # a shorter table moves whole to the next page rather than split
FOOTER = "Thank you for your payment. Please keep this receipt for your records."
_LAST4 = re.compile(r"[0-9]{4}")

_TEXT = ParagraphStyle("text", fontName="Helvetica", fontSize=10, leading=13, textColor=INK)
_SMALL = ParagraphStyle("small", parent=_TEXT, fontSize=9, leading=11.5)
_BOLD = ParagraphStyle("bold", parent=_TEXT, fontName="Helvetica-Bold")
_RIGHT = ParagraphStyle("right", parent=_TEXT, alignment=TA_RIGHT)
_BOLD_RIGHT = ParagraphStyle("bold_right", parent=_BOLD, alignment=TA_RIGHT)
_CLINIC = ParagraphStyle("clinic", parent=_BOLD, fontSize=14, leading=18)
_TITLE = ParagraphStyle("title", parent=_BOLD_RIGHT, fontSize=16, leading=20)
_SECTION = ParagraphStyle("section", parent=_BOLD, fontSize=11, leading=14, spaceBefore=14,
                          spaceAfter=4)
_LABEL = ParagraphStyle("label", parent=_SMALL, textColor=INK, fontName="Helvetica-Bold")
_AMOUNT = ParagraphStyle("amount", parent=_BOLD_RIGHT, fontSize=18, leading=22)


class AppliedLine(NamedTuple):
    """A visit the payment was applied to; a plain (date, description, amount) tuple works."""

    visit_date: date
    description: str
    amount: Decimal


@dataclass(frozen=True)
class ReceiptData:
    clinic_name: str
    clinic_address: tuple[str, ...]  # street, city/state/ZIP
    clinic_phone: str
    receipt_number: str
    received_at: datetime  # printed as given: the caller passes local time
    patient_name: str
    account_number: str  # the MRN
    amount: Decimal
    method: str  # cash, check, card
    balance_after: Decimal  # negative: a credit on the account
    received_by: str
    check_number: str = ""  # for a check
    card_last4: str = ""  # for a card: the last 4 digits and nothing more
    applied_to: tuple[tuple[date, str, Decimal], ...] = ()
    note: str = ""
    clinic_ein: str = ""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"Payment method must be one of {', '.join(METHODS)}.")
        _check_card(self.method, self.card_last4)
        if self.check_number and self.method != "check":
            raise ValueError("A check number is only for a payment by check.")
        for value in (self.amount, self.balance_after, *(a[2] for a in self.applied_to)):
            _decimal(value)
        if self.amount <= 0:
            raise ValueError("The amount received must be more than zero.")
        if self.applied_total > self.amount:
            raise ValueError("More was applied to visits than the amount received.")

    @property
    def applied_total(self) -> Decimal:
        return sum((a[2] for a in self.applied_to), ZERO)

    @property
    def unapplied(self) -> Decimal:
        """What was received but not applied to a visit: a credit on the account."""
        return self.amount - self.applied_total


def _check_card(method: str, last4: str) -> None:
    # Never echo the value: a clerk may have typed the whole card number.
    if last4 and method != "card":
        raise ValueError("Card digits are only for a payment by card.")
    if last4 and not _LAST4.fullmatch(last4):
        raise ValueError("Only the last 4 digits of a card may be recorded, and nothing else.")


def _decimal(value: object) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"Amounts must be Decimal, not {type(value).__name__}")


def dollars(amount: Decimal) -> str:
    """Decimal('-1234.5') → '-$1,234.50'."""
    return f"{'-' if amount < 0 else ''}${money(abs(amount))}"


def method_text(data: ReceiptData) -> str:
    if data.method == "check":
        return f"Check no. {data.check_number}" if data.check_number else "Check"
    if data.method == "card":
        return f"Card ending in {data.card_last4}" if data.card_last4 else "Card"
    return "Cash"


# --- the document ------------------------------------------------------------------------


def receipt_pdf(data: ReceiptData) -> bytes:
    """The receipt as PDF bytes."""
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=MARGIN, bottomMargin=MARGIN + 0.3 * inch,
                          title=f"Receipt {data.receipt_number}", author=data.clinic_name)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame],
                                       onPage=lambda c, d: _continuation(c, d.page, data))])
    doc.build(_story(data), canvasmaker=numbered_canvas(
        lambda c, page, total: draw_footer(c, FOOTER, page, total, margin=MARGIN)))
    return out.getvalue()


def _continuation(c: Canvas, page: int, data: ReceiptData) -> None:
    """Pages after the first say which receipt, and whose, they continue."""
    if page > 1:
        line = (f"Receipt {data.receipt_number}, {data.patient_name}, account no. "
                f"{data.account_number} (continued)")
        c.saveState()
        c.setFont("Helvetica", 8.5)
        c.setFillColor(INK)
        c.drawString(MARGIN, letter[1] - MARGIN + 14, fit(line, "Helvetica", 8.5, BODY_WIDTH))
        c.restoreState()


def _p(text: str, style: ParagraphStyle = _TEXT) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _story(data: ReceiptData) -> list[Flowable]:
    story: list[Flowable] = [_letterhead(data), Spacer(1, 10), rule(BODY_WIDTH), Spacer(1, 8),
                             _payment(data), *_applied(data), Spacer(1, 10), _balance(data)]
    if data.note:
        story += [Spacer(1, 10), _p(f"Note: {data.note}", _SMALL)]
    story += [Spacer(1, 14), _p(f"Received by {data.received_by}", _SMALL)]
    return story


def _letterhead(data: ReceiptData) -> Table:
    lines = [*data.clinic_address, f"Phone {data.clinic_phone}" if data.clinic_phone else ""]
    if data.clinic_ein:
        lines.append(f"Tax ID (EIN) {data.clinic_ein}")
    left = [_p(data.clinic_name, _CLINIC), *(_p(x, _SMALL) for x in lines if x)]
    right = [_p("Payment receipt", _TITLE),
             _p(f"Receipt no. {data.receipt_number}", _RIGHT),
             _p(f"{data.received_at:%m/%d/%Y %I:%M %p}", _RIGHT)]
    return plain_table([[left, right]], (0.6, 0.4), BODY_WIDTH)


def _payment(data: ReceiptData) -> Table:
    """Who paid on the left; the amount and the method, boxed, on the right."""
    who = [_p("Received from", _LABEL), _p(data.patient_name, _BOLD),
           _p(f"Account no. (MRN) {data.account_number}", _SMALL)]
    paid = [_p("Amount received", _LABEL), _p(dollars(data.amount), _AMOUNT),
            _p(method_text(data), _RIGHT)]
    table = plain_table([[who, paid]], (0.55, 0.45), BODY_WIDTH)
    table.setStyle(TableStyle([("BOX", (1, 0), (1, 0), 0.8, INK),
                               ("BACKGROUND", (1, 0), (1, 0), SHADE),
                               ("LEFTPADDING", (1, 0), (1, 0), 8),
                               ("RIGHTPADDING", (1, 0), (1, 0), 8),
                               ("TOPPADDING", (1, 0), (1, 0), 6),
                               ("BOTTOMPADDING", (1, 0), (1, 0), 8)]))
    return table


def _applied(data: ReceiptData) -> list[Flowable]:
    rows = [[_p("Visit date", _BOLD), _p("Applied to", _BOLD), _p("Amount", _BOLD_RIGHT)]]
    rows += [[_p(f"{d:%m/%d/%Y}"), _p(what), _p(money(amt), _RIGHT)]
             for d, what, amt in data.applied_to]
    if data.unapplied:
        rows.append([_p(""), _p("Not applied to a visit: credit on your account"),
                     _p(money(data.unapplied), _RIGHT)])
    rows.append([_p(""), _p("Total received", _BOLD), _p(money(data.amount), _BOLD_RIGHT)])
    table = Table(rows, colWidths=[BODY_WIDTH * f for f in (0.18, 0.57, 0.25)], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, -2), 0.25, GRID),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    title = _p("How the payment was applied", _SECTION)
    if len(rows) <= KEEP_WHOLE_ROWS:
        return [KeepTogether([title, table])]
    # A long table starts on this page (a title never alone at its foot) and splits.
    return [CondPageBreak(1.5 * inch), title, table]


def _balance(data: ReceiptData) -> Table:
    if data.balance_after < 0:
        label, amount = "Credit on your account after this payment", -data.balance_after
    else:
        label, amount = "Balance on your account after this payment", data.balance_after
    table = Table([[_p(label, _BOLD), _p(dollars(amount), _BOLD_RIGHT)]],
                  colWidths=[BODY_WIDTH * 0.75, BODY_WIDTH * 0.25])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, INK),
                               ("TOPPADDING", (0, 0), (-1, -1), 5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 7)]))
    return table


