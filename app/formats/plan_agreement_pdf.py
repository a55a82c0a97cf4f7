"""The payment plan agreement (issue 8) as a US-letter PDF, for the patient or guarantor and the
clinic to sign.

Drawn with reportlab's platypus in the house style of the receipt and the day sheet: the
clinic's letterhead, the title, plan number and date; who the plan is for (patient, account
number (the MRN), the responsible party); a disclosure box laid out like the Truth in Lending
box of Regulation Z (12 CFR 1026.18, model form H-2): the annual percentage rate, the finance
charge, the amount financed and the total of payments, the APR and finance charge set off more
heavily as 1026.17(a)(2) asks; the payment schedule in brief (number, amount, when due), how the
balance was worked out (total less down payment), the late payment and grace policy; the terms
(paragraphs the clinic can edit; DEFAULT_TERMS otherwise); the full schedule (number, due date,
payment, principal, interest, remaining balance), whose headings repeat on every page; then the
signature and date lines for the patient or guarantor and for the clinic. Every page after the
first says which plan it continues, and every page has "Page N of M" and a place for initials.

Whether a clinic's plan falls under Regulation Z at all (more than four installments, or a
finance charge) is for the clinic to decide; the box is printed either way because it is the
clearest summary of what the patient agrees to pay. AgreementData refuses figures that do not
agree with each other or with the schedule (ValueError), so an agreement that does not add up
never prints. Amounts print as "$1,234.50". No database, no Qt.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
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
    ListFlowable,
    ListItem,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.formats.pdf_common import (
    GRID,
    INK,
    SHADE,
    STRIPE,
    draw_footer,
    fit,
    numbered_canvas,
    plain_table,
    rule,
)
from app.formats.receipt_pdf import dollars

ZERO = Decimal("0.00")
TITLE = "Payment Plan Agreement"
SCHEDULE_COLUMNS = ("No.", "Due date", "Payment", "Principal", "Interest", "Remaining balance")
DEFAULT_TERMS = (
    "You agree to pay the amount financed in the installments shown in the payment schedule, "
    "each on or before its due date.",
    "You may pay more than an installment, or pay off the whole balance, at any time and "
    "without penalty. The finance charge shown above is set when the plan is made; paying "
    "early does not excuse the next installment unless the clinic agrees in writing.",
    "Each payment is applied first to interest due and then to the balance.",
    "If insurance later pays for the services on this plan, the clinic will set up the plan "
    "again for the lower balance. Charges for later visits are not part of this plan and are "
    "billed separately.",
    "If an installment is not received by the end of the grace period, the clinic may end this "
    "plan after writing to you. The whole remaining balance is then due.",
    "Please tell the clinic promptly if your address, phone number or insurance changes.",
)

MARGIN = 0.75 * inch
PAGE_WIDTH, PAGE_HEIGHT = letter
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
FONT, BOLD = "Helvetica", "Helvetica-Bold"

_TEXT = ParagraphStyle("text", fontName=FONT, fontSize=9.5, leading=12.5, textColor=INK)
_SMALL = ParagraphStyle("small", parent=_TEXT, fontSize=8, leading=10)
_BOLD = ParagraphStyle("bold", parent=_TEXT, fontName=BOLD)
_RIGHT = ParagraphStyle("right", parent=_TEXT, alignment=TA_RIGHT)
_CLINIC = ParagraphStyle("clinic", parent=_BOLD, fontSize=14, leading=18)
_TITLE = ParagraphStyle("title", parent=_BOLD, fontSize=16, leading=20, alignment=TA_RIGHT)
_SECTION = ParagraphStyle("section", parent=_BOLD, fontSize=11, leading=14, spaceBefore=12,
                          spaceAfter=5)
_TERM = ParagraphStyle("term", parent=_TEXT, spaceAfter=4)
_BOX_HEAD = ParagraphStyle("box_head", parent=_BOLD, fontSize=8.5, leading=10.5)
_BOX_NOTE = ParagraphStyle("box_note", parent=_SMALL, fontSize=7.5, leading=9)
_BOX_VALUE = ParagraphStyle("box_value", parent=_BOLD, fontSize=14, leading=18)
_SIGN = ParagraphStyle("sign", parent=_TEXT, fontSize=9, leading=12)


@dataclass(frozen=True)
class AgreementRow:
    """One installment of the schedule; payment == principal + interest."""

    number: int
    due_date: dt.date
    amount: Decimal
    principal: Decimal
    interest: Decimal
    remaining: Decimal  # the balance left after this installment

    def __post_init__(self) -> None:
        _require_decimal((self.amount, self.principal, self.interest, self.remaining))
        if self.amount != self.principal + self.interest:
            raise ValueError(f"Installment {self.number}: the payment is not principal plus "
                             "interest.")


@dataclass(frozen=True)
class AgreementData:
    """A payment plan as agreed. total - down_payment == amount_financed; amount_financed +
    total_interest == total_of_payments; the schedule has installment_count rows numbered from
    1, whose payments, principal and interest add up to those figures and which ends at 0."""

    clinic_name: str
    clinic_address: tuple[str, ...]  # street, city/state/ZIP
    clinic_phone: str
    patient_name: str
    account_number: str  # the MRN
    guarantor_name: str  # the responsible party; may be the patient
    plan_number: str
    created_on: dt.date
    total: Decimal  # the balance put on the plan
    down_payment: Decimal
    amount_financed: Decimal
    apr: Decimal  # annual percentage rate, in percent: Decimal("0") or Decimal("5.25")
    installment_count: int
    installment_amount: Decimal  # the regular installment (the last may differ by rounding)
    frequency: str  # in words: "monthly", "every two weeks"
    first_due_date: dt.date
    total_interest: Decimal  # the finance charge
    total_of_payments: Decimal
    grace_days: int
    late_policy: str  # e.g. "No late fee is charged."
    schedule: tuple[AgreementRow, ...]
    terms: tuple[str, ...] = DEFAULT_TERMS
    signed_on: dt.date | None = None  # once the signed agreement is recorded

    def __post_init__(self) -> None:
        _require_decimal((self.total, self.down_payment, self.amount_financed, self.apr,
                          self.installment_amount, self.total_interest,
                          self.total_of_payments))
        self.check()

    def check(self) -> None:
        """ValueError unless the figures agree with each other and with the schedule. The
        message names the figure, never the patient."""
        if self.total - self.down_payment != self.amount_financed:
            raise ValueError("The amount financed is not the total less the down payment.")
        if self.amount_financed + self.total_interest != self.total_of_payments:
            raise ValueError("The total of payments is not the amount financed plus interest.")
        if len(self.schedule) != self.installment_count or self.installment_count < 1:
            raise ValueError("The schedule does not have one row per installment.")
        if [r.number for r in self.schedule] != list(range(1, self.installment_count + 1)):
            raise ValueError("The schedule's installments are not numbered 1, 2, 3 ...")
        sums = [sum((getattr(r, k) for r in self.schedule), ZERO)
                for k in ("amount", "principal", "interest")]
        if sums != [self.total_of_payments, self.amount_financed, self.total_interest]:
            raise ValueError("The schedule does not add up to the plan's figures.")
        if self.schedule[-1].remaining != ZERO:
            raise ValueError("The schedule does not end with nothing left to pay.")
        if self.grace_days < 0:
            raise ValueError("The grace period cannot be negative.")


def _require_decimal(values: Iterable[object]) -> None:
    for value in values:
        if not isinstance(value, Decimal):
            raise TypeError(f"Amounts must be Decimal, not {type(value).__name__}")


def payment_groups(data: AgreementData) -> list[tuple[int, Decimal, str]]:
    """The schedule in brief, as the disclosure states it: runs of equal payments as (number of
    payments, amount, when due), e.g. (23, 104.17, "Monthly, beginning 07/01/2026") and
    (1, 104.09, "06/01/2028")."""
    groups: list[tuple[int, Decimal, dt.date]] = []
    for row in data.schedule:
        if groups and groups[-1][1] == row.amount:
            count, amount, start = groups[-1]
            groups[-1] = (count + 1, amount, start)
        else:
            groups.append((1, row.amount, row.due_date))
    words = data.frequency.strip().capitalize() or "Each"
    return [(n, amount, f"{words}, beginning {start:%m/%d/%Y}" if n > 1 else
             f"{start:%m/%d/%Y}") for n, amount, start in groups]


# --- the document ------------------------------------------------------------------------


def plan_agreement_pdf(data: AgreementData) -> bytes:
    """The agreement as PDF bytes."""
    data.check()
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=MARGIN, bottomMargin=MARGIN + 0.3 * inch,
                          title=f"{TITLE} {data.plan_number}", author=data.clinic_name)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame],
                                       onPage=lambda c, d: _continuation(c, d.page, data))])
    footer = f"{TITLE} {data.plan_number}, {data.clinic_name}.   Initials: ________"
    doc.build(_story(data), canvasmaker=numbered_canvas(
        lambda c, page, total: draw_footer(c, footer, page, total, margin=MARGIN)))
    return out.getvalue()


def _continuation(c: Canvas, page: int, data: AgreementData) -> None:
    """Pages after the first say which agreement, and whose, they continue."""
    if page > 1:
        line = (f"{TITLE} {data.plan_number}, {data.patient_name}, account no. "
                f"{data.account_number} (continued)")
        c.saveState()
        c.setFont(FONT, 8.5)
        c.setFillColor(INK)
        c.drawString(MARGIN, PAGE_HEIGHT - MARGIN + 14, fit(line, FONT, 8.5, BODY_WIDTH))
        c.restoreState()


def _p(text: str, style: ParagraphStyle = _TEXT) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _story(data: AgreementData) -> list[Flowable]:
    return [_letterhead(data), Spacer(1, 8), rule(BODY_WIDTH), Spacer(1, 8), _parties(data),
            KeepTogether([_p("Truth in Lending disclosure", _SECTION), _disclosure(data),
                          Spacer(1, 8), _schedule_in_brief(data), Spacer(1, 6),
                          *_itemization(data)]),
            *_terms(data), *_schedule(data), _signatures(data)]


def _letterhead(data: AgreementData) -> Table:
    lines = [*data.clinic_address, f"Phone {data.clinic_phone}" if data.clinic_phone else ""]
    left = [_p(data.clinic_name, _CLINIC), *(_p(x, _SMALL) for x in lines if x)]
    right = [_p(TITLE, _TITLE), _p(f"Plan no. {data.plan_number}", _RIGHT),
             _p(f"Date {data.created_on:%m/%d/%Y}", _RIGHT)]
    return plain_table([[left, right]], (0.55, 0.45), BODY_WIDTH)


def _parties(data: AgreementData) -> Table:
    rows = [[_p("Patient", _SMALL), _p(data.patient_name, _BOLD),
             _p("Account no. (MRN)", _SMALL), _p(data.account_number, _BOLD)],
            [_p("Responsible party (guarantor)", _SMALL), _p(data.guarantor_name, _BOLD),
             _p("Clinic", _SMALL), _p(data.clinic_name, _BOLD)]]
    table = Table(rows, colWidths=[BODY_WIDTH * f for f in (0.2, 0.32, 0.16, 0.32)])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("BOX", (0, 0), (-1, -1), 0.5, GRID),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.25, GRID),
                               ("BACKGROUND", (0, 0), (0, -1), STRIPE),
                               ("BACKGROUND", (2, 0), (2, -1), STRIPE),
                               ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    return table


def _disclosure(data: AgreementData) -> Table:
    cells = [("ANNUAL PERCENTAGE RATE", "The cost of your credit as a yearly rate.",
              f"{data.apr:.2f}%"),
             ("FINANCE CHARGE", "The dollar amount the credit will cost you.",
              dollars(data.total_interest)),
             ("Amount Financed", "The amount of credit provided to you or on your behalf.",
              dollars(data.amount_financed)),
             ("Total of Payments", "The amount you will have paid after you have made all "
              "payments as scheduled.", dollars(data.total_of_payments))]
    # Heading, explanation and figure in rows of their own, so the four figures line up
    # however the headings wrap.
    rows = [[_p(head, _BOX_HEAD) for head, _, _ in cells],
            [_p(note, _BOX_NOTE) for _, note, _ in cells],
            [_p(value, _BOX_VALUE) for _, _, value in cells]]
    table = Table(rows, colWidths=[BODY_WIDTH / 4] * 4)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("VALIGN", (0, -1), (-1, -1), "BOTTOM"),
        ("BOX", (0, 0), (-1, -1), 0.8, INK), ("LINEAFTER", (0, 0), (-2, -1), 0.8, INK),
        # Regulation Z 1026.17(a)(2): the APR and the finance charge more conspicuous.
        ("BOX", (0, 0), (1, -1), 2, INK), ("BACKGROUND", (0, 0), (1, -1), SHADE),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, 0), 6), ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
        ("TOPPADDING", (0, -1), (-1, -1), 6),
        ("LEFTPADDING", (0, 0), (-1, -1), 7), ("RIGHTPADDING", (0, 0), (-1, -1), 7)]))
    return table


def _schedule_in_brief(data: AgreementData) -> Table:
    rows: list[list[object]] = [[_p("Your payment schedule will be:", _BOLD), "", ""],
                                ["Number of payments", "Amount of payments",
                                 "When payments are due"]]
    rows += [[str(n), dollars(amount), when] for n, amount, when in payment_groups(data)]
    table = Table(rows, colWidths=[BODY_WIDTH * f for f in (0.25, 0.25, 0.5)])
    table.setStyle(TableStyle([
        ("FONT", (0, 1), (-1, -1), FONT, 9, 11.5), ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("FONTNAME", (0, 1), (-1, 1), BOLD), ("SPAN", (0, 0), (-1, 0)),
        ("BACKGROUND", (0, 1), (-1, 1), SHADE), ("BOX", (0, 1), (-1, -1), 0.8, INK),
        ("INNERGRID", (0, 1), (-1, -1), 0.5, GRID),
        ("ALIGN", (0, 1), (1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    return table


def _itemization(data: AgreementData) -> list[Flowable]:
    days = "day" if data.grace_days == 1 else "days"
    return [
        _p(f"Itemization: balance put on the plan {dollars(data.total)}, less down payment "
           f"{dollars(data.down_payment)}, gives the amount financed "
           f"{dollars(data.amount_financed)}."),
        Spacer(1, 3),
        _p(f"Late payment: a payment is late if it is not received within {data.grace_days} "
           f"{days} after its due date. {data.late_policy}".strip()),
        Spacer(1, 3),
        _p("Prepayment: if you pay off early, you will not have to pay a penalty."),
    ]


def _terms(data: AgreementData) -> list[Flowable]:
    if not data.terms:
        return []
    items = ListFlowable([ListItem(_p(text, _TERM)) for text in data.terms], bulletType="1",
                         bulletFormat="%s.", leftIndent=16, bulletFontName=FONT,
                         bulletFontSize=9.5)
    return [CondPageBreak(1.2 * inch), _p("Terms", _SECTION), items]


def _schedule(data: AgreementData) -> list[Flowable]:
    rows: list[list[str]] = [list(SCHEDULE_COLUMNS)]
    rows += [[str(r.number), f"{r.due_date:%m/%d/%Y}", dollars(r.amount), dollars(r.principal),
              dollars(r.interest), dollars(r.remaining)] for r in data.schedule]
    rows.append(["", "Total", dollars(data.total_of_payments), dollars(data.amount_financed),
                 dollars(data.total_interest), ""])
    table = Table(rows, colWidths=[BODY_WIDTH * f for f in (0.08, 0.16, 0.19, 0.19, 0.17, 0.21)],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8.5, 10.5), ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("FONTNAME", (0, 0), (-1, 0), BOLD), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("ROWBACKGROUNDS", (0, 1), (-1, -2), [None, STRIPE]),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK), ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("ALIGN", (0, 0), (0, -1), "RIGHT"),
        ("FONTNAME", (0, -1), (-1, -1), BOLD), ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 5), ("RIGHTPADDING", (0, 0), (-1, -1), 5)]))
    return [CondPageBreak(1.2 * inch), _p("Payment schedule", _SECTION), table]


def _signatures(data: AgreementData) -> Flowable:
    signed = f"{data.signed_on:%m/%d/%Y}" if data.signed_on else ""
    intro = _p("By signing, you agree to pay as set out in this agreement, including the terms "
               "and the payment schedule above, and you confirm that you have received a copy.")

    def block(who: str, name: str, title: str, on: str) -> list[Flowable]:
        return [Spacer(1, 30), _field("", f"Signature: {who}"), Spacer(1, 16),
                _field(name, title), Spacer(1, 16), _field(on, "Date", 0.5)]

    # The recorded date is the patient's (or guarantor's) signature; the clinic dates its own.
    table = plain_table([[block("patient or responsible party (guarantor)",
                                data.guarantor_name, "Printed name", signed), "",
                          block(f"for {data.clinic_name}", "", "Printed name and title", "")]],
                        (0.47, 0.06, 0.47), BODY_WIDTH)
    return KeepTogether([_p("Signatures", _SECTION), intro, table])


def _field(value: str, caption: str, fraction: float = 1.0) -> Table:
    """A line to write on, `value` printed on it when known, `caption` under it."""
    table = Table([[_p(value, _SIGN)], [_p(caption, _SMALL)]],
                  colWidths=[BODY_WIDTH * 0.47 * fraction], hAlign="LEFT")
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (0, 0), 0.8, INK),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return table


