"""Patient statements (issue 8): a batch of statements as one US-letter PDF, each starting on a
new page and numbered "Page N of M" on its own.

The first page of a statement is laid out to be tri-folded into a #10 double-window envelope
and to carry a tear-off remittance stub for a #9 reply envelope:

- top left, in the envelope's upper (return address) window: the clinic's name and address;
- top right: "STATEMENT", the statement date, account number (the MRN), billing phone, page,
  and the amount due in a box;
- in the lower (recipient) window: the guarantor's name and mailing address;
- the body: for a remainder statement the heading "Your insurance has processed these visits";
  the account summary (previous balance, new charges, insurance payments, adjustments, the
  patient's payments, balance due); beside it the payment plan installment when on a plan, the
  dunning message in a highlighted box, and how to pay; the aging of the balance; the visit
  detail, which continues on further pages (headed "continued", column headings repeated);
- below the lower fold, the remittance stub: the guarantor's address for the reply envelope's
  return window, the payable-to address for its address window, the account number, statement
  and due dates, the amount due and an "amount enclosed" box.

Amounts are Decimal and print as "$1,234.50"; what lowers a balance (payments, adjustments)
prints with a leading minus, "-$12.00", in the summary and the visit detail alike, so every row
and the summary read as sums. A statement whose figures do not add up (previous balance +
charges - insurance payments - adjustments - patient payments must equal the balance due, and
the aging must add up to the balance due) is refused with ValueError when it is built and never
prints. Helvetica only (reportlab's core fonts); no database, no Qt.

What every statement of a batch prints alike (the first page's return address, title and
stub furniture, the "How to pay" box, the headings) is laid out and drawn once per batch,
into PDF form XObjects (PDF 32000-1:2008 §8.10) that each statement places: a batch of
thousands of statements takes about two fifths less time, and looks exactly the same.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

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
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.formats.pdf_common import GRID, INK, SHADE, STRIPE, draw_footer, fit, numbered_canvas, wrap
from app.formats.receipt_pdf import dollars

KINDS = ("standard", "remainder")
ZERO = Decimal("0.00")
REMAINDER_HEADING = "Your insurance has processed these visits"
REMAINDER_TEXT = ("This statement lists only visits your insurance has finished with. "
                  "The balance shown is what is left for you to pay.")
AGING_LABELS = ("Current", "31-60 days", "61-90 days", "91-120 days", "Over 120 days", "Total")
DETAIL_COLUMNS = ("Date", "Description", "Charges", "Insurance paid", "Adjustments",
                  "Patient paid", "Balance")

PAGE_WIDTH, PAGE_HEIGHT = letter
MARGIN = 0.6 * inch
RIGHT = PAGE_WIDTH - MARGIN
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN
FONT, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
HIGHLIGHT = colors.HexColor("#fff1c2")
HIGHLIGHT_EDGE = colors.HexColor("#b8860b")


def _from_top(inches: float) -> float:
    """reportlab measures up from the bottom edge; envelope specs measure down from the top."""
    return PAGE_HEIGHT - inches * inch


# Where the two windows of a #10 double-window envelope fall on a tri-folded letter page,
# from the PostalMethods developer guide, "How to place content in the document"
# (http://www.postalmethods.com/resources/developers-guide/127): the return address inside a
# box 0.5" from the left and 0.5" from the top, at most 3.5" wide and 0.792" tall; the
# recipient's address inside a box 0.5" from the left and 2.042" from the top, at most 3.5"
# wide and 0.875" tall. That agrees with Lob's #10 double-window envelope (help.lob.com,
# "Letter envelopes": windows 0.625" from the envelope's left edge; the address window 1" x 4").
# The guarantor's address is set in 1.0" from the left, not at the box's edge, because the
# 8.5" sheet can slide sideways by up to 1" in the 9.5" envelope.
RETURN_WINDOW_TOP, RETURN_WINDOW_HEIGHT = _from_top(0.5), 0.792 * inch
ADDRESS_WINDOW_TOP, ADDRESS_WINDOW_HEIGHT = _from_top(2.042), 0.875 * inch
ADDRESS_LEFT = 1.0 * inch
WINDOW_WIDTH = 3.5 * inch
# The stub is the lower third of the sheet, torn off at the lower fold, and goes back in a #9
# double-window reply envelope. Lee Coursey, "Designing invoices or statements on letter size
# for a #9 double window envelope" (leecoursey.net, 2009): the return window 0.7875" from the
# top and 0.5625" from the left, 1" x 3.125"; the address window 2.2125" from the top and
# 0.5625" from the left, 0.8" x 3.625". The stub is the same 8.5" x 3.67" as that letter's
# folded top panel, so the same offsets are measured down from the tear line.
TEAR_Y = PAGE_HEIGHT / 3
STUB_LEFT = 0.75 * inch
STUB_RETURN_TOP, STUB_RETURN_HEIGHT = TEAR_Y - 0.7875 * inch, 1.0 * inch
STUB_ADDRESS_TOP, STUB_ADDRESS_HEIGHT = TEAR_Y - 2.2125 * inch, 0.8 * inch
STUB_WINDOW_WIDTH = 3.125 * inch
HEADER_LEFT = 4.75 * inch  # right of where either window can show, however the sheet slides

FIRST_BODY_TOP = _from_top(2.98)
FIRST_BODY_BOTTOM = TEAR_Y + 0.28 * inch
LATER_BODY_TOP = PAGE_HEIGHT - MARGIN - 0.5 * inch
LATER_BODY_BOTTOM = MARGIN + 0.35 * inch

MAX_CLINIC_LINES = 3  # under the name, in the return window
MAX_ADDRESS_LINES = 4  # under the name, in the recipient window
MAX_PAYABLE_LINES = 4  # payee name and address, in the reply envelope's window
NOSPLIT_ROWS = 14  # a visit of at most this many rows is never split across pages

SIZE, LEADING, PAD = 8, 9.6, 3
_TEXT = ParagraphStyle("text", fontName=FONT, fontSize=8.5, leading=10.5, textColor=INK)
_TITLE = ParagraphStyle("title", parent=_TEXT, fontName=BOLD, fontSize=9.5, leading=12)
_SECTION = ParagraphStyle("section", parent=_TEXT, fontName=BOLD, fontSize=10.5, leading=13,
                          spaceBefore=8, spaceAfter=3)
_BANNER = ParagraphStyle("banner", parent=_TEXT, fontName=BOLD, fontSize=11, leading=14)
_DUNNING = ParagraphStyle("dunning", parent=_TEXT, fontName=BOLD, fontSize=9, leading=11.5)
_NOTE = ParagraphStyle("note", parent=_TEXT, fontName=ITALIC, fontSize=7.5, leading=9.5)


# --- the data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementClinic:
    """The clinic as it prints on every statement of a batch."""

    name: str
    address_lines: tuple[str, ...]  # street, city/state/ZIP: at most 3 lines
    phone: str
    billing_phone: str
    how_to_pay: tuple[str, ...]  # e.g. "Online: pay.example.org", "By phone: ..."
    payable_to: tuple[str, ...]  # payee name, then the remittance address: at most 4 lines
    tax_id: str = ""  # kept with the clinic's details, not printed on a statement

    def __post_init__(self) -> None:
        if len(self.address_lines) > MAX_CLINIC_LINES:
            raise ValueError(f"The clinic's address has at most {MAX_CLINIC_LINES} lines "
                             "to show in the envelope window.")
        if not 1 <= len(self.payable_to) <= MAX_PAYABLE_LINES:
            raise ValueError(f"Payable-to takes 1 to {MAX_PAYABLE_LINES} lines (payee name, "
                             "then the remittance address).")


@dataclass(frozen=True)
class StatementLine:
    """One line of a visit: a service, or a payment or adjustment posted to it. Payments and
    adjustments are positive when they lower the balance (a refund is a negative payment)."""

    date: dt.date
    description: str  # e.g. "99213 Office visit, established patient"
    charges: Decimal
    insurance_paid: Decimal
    adjustments: Decimal
    patient_paid: Decimal
    balance: Decimal

    def __post_init__(self) -> None:
        _require_decimal((self.charges, self.insurance_paid, self.adjustments,
                          self.patient_paid, self.balance))


@dataclass(frozen=True)
class StatementVisit:
    """A visit (date of service) with its lines; the visit totals are the sums of its lines."""

    date_of_service: dt.date
    description: str  # e.g. "Office visit, Dr. Rivera"
    lines: tuple[StatementLine, ...]

    @property
    def charges(self) -> Decimal:
        return sum((x.charges for x in self.lines), ZERO)

    @property
    def insurance_paid(self) -> Decimal:
        return sum((x.insurance_paid for x in self.lines), ZERO)

    @property
    def adjustments(self) -> Decimal:
        return sum((x.adjustments for x in self.lines), ZERO)

    @property
    def patient_paid(self) -> Decimal:
        return sum((x.patient_paid for x in self.lines), ZERO)

    @property
    def balance(self) -> Decimal:
        return sum((x.balance for x in self.lines), ZERO)


@dataclass(frozen=True)
class StatementAging:
    """The balance due by age (days since the date of service), in the aging report's buckets
    (app.services.aging.BUCKETS: 0-30 is "current")."""

    current: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_91_120: Decimal
    over_120: Decimal

    def __post_init__(self) -> None:
        _require_decimal(self.buckets)

    @classmethod
    def from_buckets(cls, buckets: Sequence[Decimal]) -> StatementAging:
        """From the five bucket amounts of app.services.aging, youngest first."""
        if len(buckets) != 5:
            raise ValueError("Aging takes exactly five buckets.")
        return cls(*buckets)

    @property
    def buckets(self) -> tuple[Decimal, ...]:
        return (self.current, self.days_31_60, self.days_61_90, self.days_91_120,
                self.over_120)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO)


@dataclass(frozen=True)
class StatementPlanInstallment:
    """The payment plan installment due, for a guarantor on a plan."""

    amount_due: Decimal  # what is due now (a missed installment included)
    due_date: dt.date
    plan_balance: Decimal  # what is left on the plan, this installment included
    plan_number: str = ""

    def __post_init__(self) -> None:
        _require_decimal((self.amount_due, self.plan_balance))


@dataclass(frozen=True)
class StatementData:
    """One statement. Payments and adjustments are positive when they lower the balance, so
    that previous_balance + charges - insurance_payments - adjustments - patient_payments
    == balance_due; built only if that holds (and the aging adds up to the balance due)."""

    account_number: str  # the MRN
    guarantor_name: str  # to whom the statement is mailed
    mailing_address: tuple[str, ...]  # street, city/state/ZIP: at most 4 lines
    statement_date: dt.date
    due_date: dt.date
    previous_balance: Decimal
    charges: Decimal
    insurance_payments: Decimal
    adjustments: Decimal
    patient_payments: Decimal
    balance_due: Decimal
    aging: StatementAging
    visits: tuple[StatementVisit, ...] = ()
    kind: str = "standard"  # or "remainder": only what insurance has finished with
    patient_name: str = ""  # printed when the patient is not the guarantor
    plan: StatementPlanInstallment | None = None
    dunning_message: str = ""  # chosen by the caller from the number of statements sent
    statement_number: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"A statement is one of {', '.join(KINDS)}.")
        if len(self.mailing_address) > MAX_ADDRESS_LINES:
            raise ValueError(f"A mailing address has at most {MAX_ADDRESS_LINES} lines "
                             "to show in the envelope window.")
        _require_decimal((self.previous_balance, self.charges, self.insurance_payments,
                          self.adjustments, self.patient_payments, self.balance_due))
        self.check()

    @property
    def computed_balance(self) -> Decimal:
        return (self.previous_balance + self.charges - self.insurance_payments
                - self.adjustments - self.patient_payments)

    def check(self) -> None:
        """ValueError unless the summary adds up to the balance due and so does the aging: a
        statement whose figures disagree must never reach a patient. The message names the
        difference only, no patient or account."""
        if self.computed_balance != self.balance_due:
            raise ValueError(
                "The statement's figures do not add up: previous balance + charges - insurance "
                "payments - adjustments - patient payments differs from the balance due by "
                f"{self.computed_balance - self.balance_due:,.2f}.")
        if self.aging.total != self.balance_due:
            raise ValueError("The statement's aging does not add up to the balance due "
                             f"(off by {self.aging.total - self.balance_due:,.2f}).")

    @property
    def amount_due(self) -> Decimal:
        """What to pay now: the installment when on a plan, else the balance; nothing when the
        account is in credit."""
        if self.plan is not None:
            return min(self.plan.amount_due, max(self.balance_due, ZERO))
        return max(self.balance_due, ZERO)

    @property
    def pay_by(self) -> dt.date:
        return self.plan.due_date if self.plan is not None else self.due_date


def _require_decimal(values: Iterable[object]) -> None:
    for value in values:
        if not isinstance(value, Decimal):
            raise TypeError(f"Amounts must be Decimal, not {type(value).__name__}")


# --- the document ------------------------------------------------------------------------


def statement_pdf(statements: Sequence[StatementData], clinic: StatementClinic) -> bytes:
    """The statements as one PDF: each starts on a new page, its pages numbered on their own."""
    if not statements:
        raise ValueError("There are no statements to print.")
    for data in statements:
        data.check()
    out = io.BytesIO()
    owners: dict[int, int] = {}  # page number in the PDF → index of its statement
    first_pages = iter(range(len(statements)))

    def first(c: Canvas, _doc: BaseDocTemplate) -> None:
        index = next(first_pages)  # a "first" page opens each statement, in order
        owners[c.getPageNumber()] = index
        _draw_first_page(c, statements[index], clinic)

    def later(c: Canvas, _doc: BaseDocTemplate) -> None:
        owners[c.getPageNumber()] = owners[c.getPageNumber() - 1]
        _draw_later_header(c, statements[owners[c.getPageNumber()]], clinic)

    doc = BaseDocTemplate(out, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=MARGIN, bottomMargin=MARGIN, author=clinic.name,
                          title=f"Statements {statements[0].statement_date:%m/%d/%Y}")
    doc.addPageTemplates([
        PageTemplate(id="first", onPage=first, frames=[
            _frame("first", FIRST_BODY_BOTTOM, FIRST_BODY_TOP)]),
        PageTemplate(id="later", onPage=later, frames=[
            _frame("later", LATER_BODY_BOTTOM, LATER_BODY_TOP)])])
    story: list[Flowable] = []
    shared = _Shared(clinic)
    for n, data in enumerate(statements):
        if n:
            story += [NextPageTemplate("first"), PageBreak()]
        story += [NextPageTemplate("later"), *_body(data, shared)]
    numbers = _PageNumbers(owners)
    doc.build(story, canvasmaker=numbered_canvas(
        lambda c, page, _total: _draw_numbers(c, statements, clinic, *numbers(page))))
    return out.getvalue()


def _frame(name: str, bottom: float, top: float) -> Frame:
    return Frame(MARGIN, bottom, BODY_WIDTH, top - bottom, id=name, leftPadding=0,
                 rightPadding=0, topPadding=0, bottomPadding=0)


class _PageNumbers:
    """PDF page number → (statement index, page within the statement, its page count), worked
    out once every page is laid out (which it is by the time the first page is numbered)."""

    def __init__(self, owners: dict[int, int]) -> None:
        self._owners = owners
        self._numbers: dict[int, tuple[int, int, int]] = {}

    def __call__(self, page: int) -> tuple[int, int, int]:
        if not self._numbers:
            counts = Counter(self._owners.values())
            seen: Counter[int] = Counter()
            for p in sorted(self._owners):
                owner = self._owners[p]
                seen[owner] += 1
                self._numbers[p] = (owner, seen[owner], counts[owner])
        return self._numbers[page]


def _draw_numbers(c: Canvas, statements: Sequence[StatementData], clinic: StatementClinic,
                  index: int, page: int, total: int) -> None:
    """What needs the statement's page count: "Page N of M" and where it continues."""
    c.saveState()
    c.setFillColor(INK)
    if page == 1:
        row = len(_header_rows(statements[index], clinic))
        _label_value(c, _HEADER_ROWS_TOP - row * _HEADER_ROW, "Page", f"{page} of {total}")
        if total > 1:
            c.setFont(ITALIC, 8)
            c.drawRightString(RIGHT, TEAR_Y + 0.14 * inch, "Continued on page 2")
    else:
        note = f"Continued on page {page + 1}. " if page < total else ""
        draw_footer(c, f"{note}Questions about this statement? Call {clinic.billing_phone}.",
                    page, total, margin=MARGIN)
    c.restoreState()


# --- page furniture: the first page -------------------------------------------------------

_HEADER_ROWS_TOP = PAGE_HEIGHT - 0.5 * inch - 34
_HEADER_ROW = 11.5


FIRST_PAGE_FORM = "statementFirstPage"


def _draw_first_page(c: Canvas, data: StatementData, clinic: StatementClinic) -> None:
    """What is the same on every first page of the batch is drawn once, into a PDF form that
    each first page places (a batch of thousands of statements writes it once); then what is
    the statement's own."""
    if not c.hasForm(FIRST_PAGE_FORM):
        c.beginForm(FIRST_PAGE_FORM, 0, 0, PAGE_WIDTH, PAGE_HEIGHT)
        c.setFillColor(INK)
        _draw_return_address(c, clinic)
        c.setFont(BOLD, 20)
        c.drawRightString(RIGHT, PAGE_HEIGHT - 0.5 * inch - 16, "STATEMENT")
        _draw_stub_furniture(c, clinic)
        c.endForm()
    c.doForm(FIRST_PAGE_FORM)
    c.saveState()
    c.setFillColor(INK)
    _draw_header_block(c, data, clinic)
    _draw_amount_box(c, data)
    _lines(c, ADDRESS_LEFT, ADDRESS_WINDOW_TOP - 12, WINDOW_WIDTH - (ADDRESS_LEFT - 0.5 * inch),
           (data.guarantor_name, *data.mailing_address), size=10, leading=12)
    _draw_stub(c, data)
    c.restoreState()


def _draw_return_address(c: Canvas, clinic: StatementClinic) -> None:
    width = WINDOW_WIDTH - (MARGIN - 0.5 * inch)
    c.setFont(BOLD, 12)
    c.drawString(MARGIN, RETURN_WINDOW_TOP - 13, fit(clinic.name, BOLD, 12, width))
    _lines(c, MARGIN, RETURN_WINDOW_TOP - 26, width, clinic.address_lines, size=9, leading=11,
           bold_first=False)


def _draw_header_block(c: Canvas, data: StatementData, clinic: StatementClinic) -> None:
    for n, (label, value) in enumerate(_header_rows(data, clinic)):
        _label_value(c, _HEADER_ROWS_TOP - n * _HEADER_ROW, label, value)


def _header_rows(data: StatementData, clinic: StatementClinic) -> list[tuple[str, str]]:
    """The label/value rows under "STATEMENT"; "Page N of M" follows them once it is known."""
    rows = [("Statement date", f"{data.statement_date:%m/%d/%Y}"),
            ("Account number", data.account_number),
            ("Statement no.", data.statement_number),
            ("Patient", data.patient_name if data.patient_name != data.guarantor_name else ""),
            ("Billing questions", clinic.billing_phone)]
    return [(label, value) for label, value in rows if value]


def _label_value(c: Canvas, y: float, label: str, value: str) -> None:
    c.setFont(FONT, 8)
    c.drawString(HEADER_LEFT, y, label)
    c.setFont(BOLD, 8.5)
    c.drawRightString(RIGHT, y, fit(value, BOLD, 8.5, RIGHT - HEADER_LEFT - 80))


def _draw_amount_box(c: Canvas, data: StatementData) -> None:
    top, height = _HEADER_ROWS_TOP - 5 * _HEADER_ROW - 9, 0.82 * inch
    c.setFillColor(SHADE)
    c.setStrokeColor(INK)
    c.setLineWidth(0.8)
    c.rect(HEADER_LEFT, top - height, RIGHT - HEADER_LEFT, height, stroke=1, fill=1)
    c.setFillColor(INK)
    label, note = _amount_words(data)
    c.setFont(BOLD, 9)
    c.drawString(HEADER_LEFT + 8, top - 14, label)
    c.setFont(BOLD, 20)
    c.drawRightString(RIGHT - 8, top - 38, dollars(_box_amount(data)))
    c.setFont(FONT, 8.5)
    c.drawString(HEADER_LEFT + 8, top - height + 8, note)


def _amount_words(data: StatementData) -> tuple[str, str]:
    if data.balance_due < 0:
        return "Credit balance", "No payment is due."
    if data.balance_due == 0:
        return "Amount due", "No payment is due."
    if data.plan is not None:
        return "Installment due", f"Please pay by {data.pay_by:%m/%d/%Y}"
    return "Amount due", f"Please pay by {data.pay_by:%m/%d/%Y}"


def _box_amount(data: StatementData) -> Decimal:
    return -data.balance_due if data.balance_due < 0 else data.amount_due


def _lines(c: Canvas, x: float, y: float, width: float, lines: Sequence[str], *, size: float,
           leading: float, bold_first: bool = True) -> None:
    """Lines from baseline `y` down, each shortened to `width`; the first bold if asked."""
    for n, line in enumerate(lines):
        font = BOLD if bold_first and n == 0 else FONT
        c.setFont(font, size)
        c.drawString(x, y - n * leading, fit(line, font, size, width))


def _draw_stub_furniture(c: Canvas, clinic: StatementClinic) -> None:
    """The stub's tear line, notes, payee and the remittance boxes with their labels: the
    same on every statement."""
    c.setStrokeColor(INK)
    c.setLineWidth(0.6)
    c.setDash(4, 3)
    c.line(0.3 * inch, TEAR_Y, PAGE_WIDTH - 0.3 * inch, TEAR_Y)
    c.setDash()
    c.setFont(ITALIC, 7.5)
    c.drawCentredString(PAGE_WIDTH / 2, TEAR_Y - 11,
                        "Please detach and return this portion with your payment.")
    _draw_address_change(c, STUB_RETURN_TOP - STUB_RETURN_HEIGHT - 6)
    c.setFont(FONT, 7.5)
    c.drawString(STUB_LEFT, STUB_ADDRESS_TOP + 5, "Make checks payable to and mail to:")
    _lines(c, STUB_LEFT, STUB_ADDRESS_TOP - 12, _STUB_TEXT_WIDTH, clinic.payable_to, size=10,
           leading=12)
    _draw_remittance_boxes(c)


_STUB_TEXT_WIDTH = STUB_WINDOW_WIDTH - (STUB_LEFT - 0.5625 * inch)


def _draw_stub(c: Canvas, data: StatementData) -> None:
    """The statement's own part of the stub: the guarantor's address and the remittance
    figures."""
    _lines(c, STUB_LEFT, STUB_RETURN_TOP - 11, _STUB_TEXT_WIDTH,
           (data.guarantor_name, *data.mailing_address), size=9, leading=11)
    _draw_remittance_values(c, data)


def _draw_address_change(c: Canvas, y: float) -> None:
    c.setLineWidth(0.6)
    c.rect(STUB_LEFT, y - 1, 7, 7, stroke=1, fill=0)
    c.setFont(FONT, 7.5)
    c.drawString(STUB_LEFT + 11, y,
                 "Address or insurance changed? Tick here and write it on the back.")


_REMIT_LEFT, _REMIT_TOP, _REMIT_ROW = 4.5 * inch, TEAR_Y - 0.42 * inch, 0.38 * inch
_REMIT_HALF = (RIGHT - _REMIT_LEFT) / 2
_REMIT_CELLS = ((_REMIT_LEFT, _REMIT_TOP, "Account number"),
                (_REMIT_LEFT + _REMIT_HALF, _REMIT_TOP, "Statement date"),
                (_REMIT_LEFT, _REMIT_TOP - _REMIT_ROW, "Please pay by"),
                (_REMIT_LEFT + _REMIT_HALF, _REMIT_TOP - _REMIT_ROW, "Amount due"))


def _draw_remittance_boxes(c: Canvas) -> None:
    left, top, row, half = _REMIT_LEFT, _REMIT_TOP, _REMIT_ROW, _REMIT_HALF
    width = RIGHT - left
    c.setFont(BOLD, 9)
    c.drawString(left, top + 6, "Remittance")
    c.setLineWidth(0.6)
    for x, y, label in _REMIT_CELLS:
        c.rect(x, y - row, half, row, stroke=1, fill=0)
        c.setFont(FONT, 7)
        c.drawString(x + 4, y - 9, label)
    y = top - 2 * row
    c.setLineWidth(1.2)
    c.rect(left, y - 1.4 * row, width, 1.4 * row, stroke=1, fill=0)
    c.setFont(BOLD, 8)
    c.drawString(left + 4, y - 11, "Amount enclosed")
    c.setFont(BOLD, 16)
    c.drawString(left + half - 14, y - 1.4 * row + 10, "$")
    c.setLineWidth(0.6)
    c.line(left + half, y - 1.4 * row + 9, RIGHT - 8, y - 1.4 * row + 9)
    c.setFont(FONT, 7.5)
    c.drawString(left, y - 1.4 * row - 12, "Please write your account number on your check.")


def _draw_remittance_values(c: Canvas, data: StatementData) -> None:
    values = (data.account_number, f"{data.statement_date:%m/%d/%Y}",
              f"{data.pay_by:%m/%d/%Y}", dollars(data.amount_due))
    c.setFont(BOLD, 10.5)
    for (x, y, _label), value in zip(_REMIT_CELLS, values, strict=True):
        c.drawRightString(x + _REMIT_HALF - 5, y - _REMIT_ROW + 6,
                          fit(value, BOLD, 10.5, _REMIT_HALF - 10))


def _draw_later_header(c: Canvas, data: StatementData, clinic: StatementClinic) -> None:
    """Pages after the first say whose statement they continue (their number is added later)."""
    top = PAGE_HEIGHT - MARGIN
    c.saveState()
    c.setFillColor(INK)
    c.setFont(BOLD, 10)
    c.drawString(MARGIN, top - 10, fit(clinic.name, BOLD, 10, BODY_WIDTH / 2 - 6))
    c.drawRightString(RIGHT, top - 10, "STATEMENT (continued)")
    c.setFont(FONT, 8.5)
    who = f"{data.guarantor_name}, account {data.account_number}"
    c.drawString(MARGIN, top - 23, fit(who, FONT, 8.5, BODY_WIDTH / 2 - 6))
    c.drawRightString(RIGHT, top - 23, f"Statement date {data.statement_date:%m/%d/%Y}")
    c.setStrokeColor(GRID)
    c.setLineWidth(0.8)
    c.line(MARGIN, top - 30, RIGHT, top - 30)
    c.restoreState()


# --- the body ----------------------------------------------------------------------------


def _p(text: str, style: ParagraphStyle = _TEXT) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _Stamp:
    """Something every statement of a batch prints alike (the "How to pay" box, headings):
    laid out once and drawn once, into a PDF form that each statement then places, so a batch
    of thousands of statements does not lay out and write the same paragraphs thousands of
    times. It always stands in the same column, so one width is all it is laid out for.
    Each place it stands gets its own `_Placed` flowable: platypus marks the flowables it
    moves to the next page, and that mark must not follow a stamp into later statements."""

    def __init__(self, inner: Flowable, name: str) -> None:
        self.inner, self.name = inner, name
        self.size: tuple[float, float] | None = None

    def place(self) -> Flowable:
        return _Placed(self)


class _Placed(Flowable):
    """One place a `_Stamp` stands."""

    def __init__(self, stamp: _Stamp) -> None:
        super().__init__()
        self._stamp = stamp
        self.width: float = 0.0
        self.height: float = 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        stamp = self._stamp
        if stamp.size is None:
            stamp.size = stamp.inner.wrap(availWidth, availHeight)
        self.width, self.height = stamp.size
        return stamp.size

    def getSpaceBefore(self) -> float:  # noqa: N802 - reportlab's name
        return float(self._stamp.inner.getSpaceBefore())

    def getSpaceAfter(self) -> float:  # noqa: N802 - reportlab's name
        return float(self._stamp.inner.getSpaceAfter())

    def draw(self) -> None:
        c, stamp = self.canv, self._stamp
        if not c.hasForm(stamp.name):
            # a little beyond the box, so the form's clip leaves the outline's stroke whole
            c.beginForm(stamp.name, -2, -2, self.width + 2, self.height + 2)
            stamp.inner.drawOn(c, 0, 0)
            c.endForm()
        c.doForm(stamp.name)


class _Shared:
    """The parts every statement of one batch prints alike, each laid out and drawn once."""

    def __init__(self, clinic: StatementClinic) -> None:
        self.how_to_pay = _Stamp(_how_to_pay(clinic), "statementHowToPay")
        self.aging_title = _Stamp(_p(AGING_TITLE, _TITLE), "statementAgingTitle")
        self.detail_heading = _Stamp(_p("Visit detail", _SECTION), "statementDetailHeading")
        self.detail_note = _Stamp(_p(DETAIL_NOTE, _NOTE), "statementDetailNote")


def _body(data: StatementData, shared: _Shared) -> list[Flowable]:
    story: list[Flowable] = []
    if data.kind == "remainder":
        story += [_banner(), Spacer(1, 6)]
    story += [_summary_and_notices(data, shared.how_to_pay.place()), Spacer(1, 6),
              _aging(data.aging, shared.aging_title.place())]
    story += _visit_detail(data.visits, shared)
    return story


def _banner() -> Table:
    table = Table([[[_p(REMAINDER_HEADING, _BANNER), _p(REMAINDER_TEXT)]]],
                  colWidths=[BODY_WIDTH])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), SHADE),
                               ("LINEBEFORE", (0, 0), (0, -1), 3, INK),
                               ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8)]))
    return table


SUMMARY_WIDTH = 3.35 * inch
GUTTER = 0.2 * inch
SIDE_WIDTH = BODY_WIDTH - SUMMARY_WIDTH - GUTTER


def _summary_and_notices(data: StatementData, how_to_pay: Flowable) -> Table:
    side: list[Flowable] = []
    if data.plan is not None:
        side += [_plan_box(data.plan), Spacer(1, 6)]
    if data.dunning_message.strip():
        side += [_dunning_box(data.dunning_message), Spacer(1, 6)]
    side.append(how_to_pay)
    table = Table([[_summary(data), "", side]], colWidths=[SUMMARY_WIDTH, GUTTER, SIDE_WIDTH])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _summary(data: StatementData) -> Table:
    rows = [["Account summary", ""],
            ["Previous balance", dollars(data.previous_balance)],
            ["New charges", dollars(data.charges)],
            ["Insurance payments", dollars(-data.insurance_payments)],
            ["Adjustments", dollars(-data.adjustments)],
            ["Your payments", dollars(-data.patient_payments)],
            ["Balance due", dollars(data.balance_due)]]
    table = Table(rows, colWidths=[SUMMARY_WIDTH * 0.62, SUMMARY_WIDTH * 0.38])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 9, 11), ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("FONTNAME", (0, 0), (-1, 0), BOLD), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("SPAN", (0, 0), (-1, 0)), ("ALIGN", (1, 1), (1, -1), "RIGHT"),
        ("LINEBELOW", (0, 1), (-1, -3), 0.25, GRID),
        ("FONT", (0, -1), (-1, -1), BOLD, 10.5, 13), ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _boxed(rows: list[list[object]], style: list[tuple[object, ...]]) -> Table:
    table = Table(rows, colWidths=[SIDE_WIDTH * 0.62, SIDE_WIDTH * 0.38])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8.5, 10.5), ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("BOX", (0, 0), (-1, -1), 0.8, INK), *style]))
    return table


def _plan_box(plan: StatementPlanInstallment) -> Table:
    title = f"Payment plan {plan.plan_number}".strip()
    rows: list[list[object]] = [
        [title, ""],
        ["Installment due", dollars(plan.amount_due)],
        ["Due date", f"{plan.due_date:%m/%d/%Y}"],
        ["Plan balance", dollars(plan.plan_balance)],
        [_p("Pay the installment by its due date to keep your plan in good standing.", _NOTE),
         ""]]
    return _boxed(rows, [("SPAN", (0, 0), (-1, 0)), ("SPAN", (0, -1), (-1, -1)),
                         ("FONTNAME", (0, 0), (-1, 1), BOLD),
                         ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                         ("LINEBELOW", (0, 0), (-1, 0), 0.6, GRID)])


def _dunning_box(message: str) -> Table:
    table = Table([[_p(message.strip(), _DUNNING)]], colWidths=[SIDE_WIDTH])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), HIGHLIGHT),
                               ("BOX", (0, 0), (-1, -1), 1.2, HIGHLIGHT_EDGE),
                               ("TOPPADDING", (0, 0), (-1, -1), 5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                               ("LEFTPADDING", (0, 0), (-1, -1), 7),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 7)]))
    return table


def _how_to_pay(clinic: StatementClinic) -> Table:
    lines = [*clinic.how_to_pay, f"Questions about this statement? Call {clinic.billing_phone}."]
    if clinic.phone and clinic.phone != clinic.billing_phone:
        lines.append(f"Clinic: {clinic.phone}")
    cell = [_p("How to pay", _TITLE), *(_p(x) for x in lines)]
    table = Table([[cell]], colWidths=[SIDE_WIDTH])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, GRID),
                               ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                               ("LEFTPADDING", (0, 0), (-1, -1), 6),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 6)]))
    return table


AGING_TITLE = "Your balance by age (days since the date of service)"
DETAIL_NOTE = "Payments and adjustments lower your balance and are shown with a minus sign."


def _aging(aging: StatementAging, title: Flowable) -> Flowable:
    table = Table([list(AGING_LABELS), [dollars(v) for v in (*aging.buckets, aging.total)]],
                  colWidths=[BODY_WIDTH / 6] * 6)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8.5, 10.5), ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("FONTNAME", (0, 0), (-1, 0), BOLD), ("FONTNAME", (-1, 1), (-1, 1), BOLD),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE), ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 5), ("RIGHTPADDING", (0, 0), (-1, -1), 5)]))
    return KeepTogether([title, Spacer(1, 2), table])


DETAIL_WIDTHS = (0.095, 0.295, 0.122, 0.122, 0.122, 0.122, 0.122)


def _visit_detail(visits: Sequence[StatementVisit], shared: _Shared) -> list[Flowable]:
    if not visits:
        return []
    widths = [BODY_WIDTH * f for f in DETAIL_WIDTHS]
    rows: list[list[str]] = [list(DETAIL_COLUMNS)]
    style: list[tuple[object, ...]] = []
    headings: set[int] = set()
    for visit in visits:
        first = len(rows)
        headings.add(first)
        rows.append([f"{visit.date_of_service:%m/%d/%Y}", visit.description, *[""] * 5])
        style += [("SPAN", (1, first), (-1, first)), ("FONTNAME", (0, first), (-1, first), BOLD),
                  ("BACKGROUND", (0, first), (-1, first), STRIPE),
                  ("LINEABOVE", (0, first), (-1, first), 0.6, GRID)]
        rows += [[f"{x.date:%m/%d/%Y}", x.description, _amount(x.charges),
                  _credit(x.insurance_paid), _credit(x.adjustments), _credit(x.patient_paid),
                  dollars(x.balance)] for x in visit.lines]
        if len(visit.lines) > 1:  # a visit of one line: that line is its total
            rows.append(["", "Visit total", dollars(visit.charges),
                         dollars(-visit.insurance_paid), dollars(-visit.adjustments),
                         dollars(-visit.patient_paid), dollars(visit.balance)])
            total = len(rows) - 1
            style += [("FONTNAME", (1, total), (-1, total), BOLD),
                      ("LINEABOVE", (2, total), (-1, total), 0.5, GRID)]
        last = len(rows) - 1
        if last - first < NOSPLIT_ROWS:
            style.append(("NOSPLIT", (0, first), (-1, last)))
    table, heights = _detail_table(rows, widths, headings, style)
    # The heading never stands alone at the foot of a page: it moves on unless the column
    # headings and the whole first visit fit under it.
    first_visit = min(headings - {1}, default=len(rows))
    needed = _DETAIL_HEADING_HEIGHT + sum(heights[:first_visit])
    return [CondPageBreak(needed), shared.detail_heading.place(), shared.detail_note.place(),
            Spacer(1, 3), table]


_DETAIL_HEADING_HEIGHT = 40  # "Visit detail" (with the space above it), the note, a spacer


def _amount(value: Decimal) -> str:
    return dollars(value) if value else ""


def _credit(value: Decimal) -> str:
    return dollars(-value) if value else ""


def _detail_table(rows: list[list[str]], widths: list[float], headings: set[int],
                  style: list[tuple[object, ...]]) -> tuple[Table, list[float]]:
    """Plain-string cells wrapped to their columns (a visit's heading to the width it spans),
    with heights known up front, so a long history lays out quickly."""
    cells: list[list[str]] = []
    for r, row in enumerate(rows):
        if r in headings:
            cells.append([row[0], wrap(row[1], BOLD, SIZE, sum(widths[1:]) - 2 * PAD),
                          *row[2:]])
        else:
            font = BOLD if r == 0 else FONT
            cells.append([wrap(t, font, SIZE, w - 2 * PAD)
                          for t, w in zip(row, widths, strict=True)])
    heights = [max(c.count("\n") for c in row) * LEADING + LEADING + 4 for row in cells]
    table = Table(cells, colWidths=widths, rowHeights=heights, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, SIZE, LEADING), ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("FONTNAME", (0, 0), (-1, 0), BOLD), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        *style]))
    return table, heights
