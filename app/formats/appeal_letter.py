"""Appeal and reconsideration letters to a payer: templates, their checking and filling, and
the letter as a PDF.

A template is plain text with `{placeholder}` fields named as in `TEMPLATE_FIELDS` (the
names of Python's str.format, but substituted here: no attribute or index access, no
conversions or format specs, so an admin's template can never reach into the program).
`{{` and `}}` print a literal brace. `check_template` lists every problem in words, for the
admin editing a template in the app; `fill` refuses a template with problems.

The default templates follow the usual sequence of a denied professional claim: a request for
reconsideration (reopening) first, a formal written appeal once a reconsideration was upheld,
and the timely-filing appeal with proof that the claim was first sent in time. Each is addressed
to the payer's appeals department with a RE: block (patient, member ID, claim numbers, dates of
service, amounts), says what is asked, gives the payer's reasons (CARC/RARC codes and wording),
lists the enclosures and ends with a signature block.

The PDF: US letter, 1-inch margins, Times 11 pt; the clinic's letterhead and the date on the
first page, then the text: a blank line starts a new paragraph, a single line break is kept
(addresses, the RE: block, lists), long lines wrap and the text flows over as many pages as it
needs, each numbered "Page N of M" beside the letter's title. No database, no Qt.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
)

from app.errors import UserError
from app.formats.estimate import money
from app.formats.pdf_common import GRID, INK, draw_footer, fit, numbered_canvas

TEMPLATE_FIELDS: dict[str, str] = {
    "clinic_name": "The clinic's name (the billing provider)",
    "clinic_address": "The clinic's address, over several lines",
    "clinic_phone": "The clinic's phone number",
    "clinic_npi": "The clinic's NPI (billing provider)",
    "clinic_tax_id": "The clinic's tax ID (EIN)",
    "payer_name": "The payer's name",
    "payer_address": "The payer's appeals address, over several lines",
    "today": "Today's date, e.g. June 2, 2026",
    "patient_name": "The patient's name",
    "patient_dob": "The patient's date of birth (MM/DD/YYYY)",
    "member_id": "The patient's member ID with this payer",
    "claim_number": "Our claim number (the patient control number sent on the claim)",
    "payer_claim_number": "The payer's claim number (ICN/DCN) from the remittance",
    "dates_of_service": "The claim's dates of service",
    "total_charge": "The claim's total charge, e.g. $1,250.00",
    "amount_paid": "What the payer paid on the claim",
    "amount_in_dispute": "The amount this letter asks the payer to pay",
    "denial_reasons": "The payer's reasons: one line per CARC/RARC code with its wording",
    "services": "The services in dispute: one line per service with code, date and charge",
    "provider_name": "The rendering provider's name",
    "provider_npi": "The rendering provider's NPI",
    "signer_name": "The name of the person signing the letter",
    "signer_title": "The signer's title, e.g. Billing Manager",
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class TemplateError(UserError, ValueError):
    """A template cannot be filled; the message lists its problems in words."""


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    body: str


# --- checking and filling --------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    text: str  # literal text, or a placeholder's name
    field: bool
    line: int


def _scan(body: str) -> tuple[list[_Piece], list[str]]:
    """The template cut into literal text and placeholders, and the brace problems found."""
    pieces: list[_Piece] = []
    problems: list[str] = []
    i, line = 0, 1
    while i < len(body):
        brace = _next_brace(body, i)
        if brace > i:
            pieces.append(_Piece(body[i:brace], False, line))
            line += body.count("\n", i, brace)
            i = brace
            continue
        i = _brace(body, i, line, pieces, problems)
    return pieces, problems


def _next_brace(body: str, start: int) -> int:
    found = [p for p in (body.find("{", start), body.find("}", start)) if p >= 0]
    return min(found) if found else len(body)


def _brace(body: str, i: int, line: int, pieces: list[_Piece], problems: list[str]) -> int:
    """Read the brace at `i`; returns where to go on."""
    if body.startswith(("{{", "}}"), i):
        pieces.append(_Piece(body[i], False, line))
        return i + 2
    if body[i] == "}":
        problems.append(f"Line {line}: a '}}' closes nothing. Write '}}}}' to print a brace.")
        return i + 1
    end = body.find("}", i + 1)
    inner = body[i + 1:end] if end >= 0 else ""
    if end < 0 or "{" in inner or "\n" in inner:
        problems.append(f"Line {line}: a '{{' is not closed by a '}}' on the same line. "
                        "Write '{{{{' to print a brace.")
        return i + 1
    if not _NAME.fullmatch(inner):
        problems.append(f"Line {line}: {{{inner}}} is not a placeholder name. Use a plain "
                        "name such as {claim_number}: letters, digits and _ only.")
    else:
        pieces.append(_Piece(inner, True, line))
    return end + 1


def check_template(body: str) -> list[str]:
    """Every problem with a template, in words; an empty list when it can be filled."""
    if not body.strip():
        return ["The template is empty."]
    pieces, problems = _scan(body)
    unknown: dict[str, int] = {}
    for p in pieces:
        if p.field and p.text not in TEMPLATE_FIELDS:
            unknown.setdefault(p.text, p.line)
    if unknown:
        problems.append(_unknown_message(unknown))
    return problems


def _unknown_message(unknown: dict[str, int]) -> str:
    named = []
    for name, line in unknown.items():
        close = difflib.get_close_matches(name.lower(), TEMPLATE_FIELDS, n=1)
        hint = f" (did you mean {{{close[0]}}}?)" if close else ""
        named.append(f"{{{name}}} on line {line}{hint}")
    word = "placeholder" if len(named) == 1 else "placeholders"
    allowed = ", ".join(f"{{{k}}}" for k in TEMPLATE_FIELDS)
    return f"Unknown {word} {'; '.join(named)}. The placeholders you can use are: {allowed}."


def fill(template_body: str, values: Mapping[str, str]) -> str:
    """The template with each placeholder replaced by its value, taken literally (braces in a
    value stay as they are). TemplateError (a ValueError) when the template has problems or a
    placeholder it uses has no value."""
    problems = check_template(template_body)
    if problems:
        raise TemplateError("The letter template cannot be used:\n" + "\n".join(problems))
    pieces, _ = _scan(template_body)
    missing = sorted({p.text for p in pieces if p.field and p.text not in values})
    if missing:
        raise TemplateError("No value for " + ", ".join(f"{{{m}}}" for m in missing) + ".")
    return "".join(str(values[p.text]) if p.field else p.text for p in pieces)


# --- the values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DenialReason:
    code: str  # as the payer grouped it: "CO-50", or a remark code "N115"
    text: str  # the code's wording


@dataclass(frozen=True)
class ServiceRow:
    code: str  # procedure code with modifiers, e.g. "99214-25"
    dos: date
    charge: Decimal
    description: str = ""


@dataclass(frozen=True)
class Letterhead:
    clinic_name: str
    address_lines: tuple[str, ...]
    phone: str
    fax: str = ""


@dataclass(frozen=True)
class AppealLetterData:
    """Everything a letter may say; `values()` gives the template's placeholders."""

    clinic_name: str
    clinic_address: tuple[str, ...]  # lines
    clinic_phone: str
    clinic_npi: str
    clinic_tax_id: str
    payer_name: str
    payer_address: tuple[str, ...]  # lines of the appeals address
    today: date
    patient_name: str
    patient_dob: date | None
    member_id: str
    claim_number: str
    payer_claim_number: str
    total_charge: Decimal
    amount_paid: Decimal
    amount_in_dispute: Decimal
    denial_reasons: tuple[DenialReason, ...]
    services: tuple[ServiceRow, ...]
    provider_name: str
    provider_npi: str
    signer_name: str
    signer_title: str
    dates_of_service: tuple[date, ...] = ()  # empty: the services' dates
    clinic_fax: str = ""

    @property
    def letterhead(self) -> Letterhead:
        return Letterhead(self.clinic_name, self.clinic_address, self.clinic_phone,
                          self.clinic_fax)

    def values(self) -> dict[str, str]:
        """Every field of TEMPLATE_FIELDS as the letter prints it."""
        return {
            "clinic_name": self.clinic_name, "clinic_address": "\n".join(self.clinic_address),
            "clinic_phone": self.clinic_phone, "clinic_npi": self.clinic_npi,
            "clinic_tax_id": self.clinic_tax_id, "payer_name": self.payer_name,
            "payer_address": "\n".join(self.payer_address), "today": long_date(self.today),
            "patient_name": self.patient_name,
            "patient_dob": f"{self.patient_dob:%m/%d/%Y}" if self.patient_dob else "",
            "member_id": self.member_id, "claim_number": self.claim_number,
            "payer_claim_number": self.payer_claim_number,
            "dates_of_service": self._dates(), "total_charge": dollars(self.total_charge),
            "amount_paid": dollars(self.amount_paid),
            "amount_in_dispute": dollars(self.amount_in_dispute),
            "denial_reasons": "\n".join(f"- {r.code}: {r.text}" for r in self.denial_reasons),
            "services": "\n".join(_service_line(s) for s in self.services),
            "provider_name": self.provider_name, "provider_npi": self.provider_npi,
            "signer_name": self.signer_name, "signer_title": self.signer_title,
        }

    def _dates(self) -> str:
        days = sorted(set(self.dates_of_service or (s.dos for s in self.services)))
        if len(days) > 1 and (days[-1] - days[0]).days == len(days) - 1:
            return f"{days[0]:%m/%d/%Y} - {days[-1]:%m/%d/%Y}"  # consecutive days: a range
        return ", ".join(f"{d:%m/%d/%Y}" for d in days)


def _service_line(s: ServiceRow) -> str:
    what = f" {s.description}," if s.description else ""
    return f"- {s.code},{what} date of service {s.dos:%m/%d/%Y}, charge {dollars(s.charge)}"


def dollars(amount: Decimal) -> str:
    return f"{'-' if amount < 0 else ''}${money(abs(amount))}"


def long_date(day: date) -> str:
    """June 2, 2026: the date as a US business letter writes it."""
    return f"{day:%B} {day.day}, {day:%Y}"


# --- the default templates -------------------------------------------------------------------


def _body(*blocks: str) -> str:
    return "\n\n".join(blocks) + "\n"


_ADDRESS = "{{payer_name}}\nAttn: {attn}\n{{payer_address}}"
_RE = ("RE: {what}\nPatient: {{patient_name}}, date of birth {{patient_dob}}\n"
       "Member ID: {{member_id}}\n"
       "Payer claim number: {{payer_claim_number}} (our claim number {{claim_number}})\n"
       "Dates of service: {{dates_of_service}}\n"
       "Rendering provider: {{provider_name}}, NPI {{provider_npi}}\n"
       "Amounts: billed {{total_charge}}, paid {{amount_paid}}, "
       "in dispute {{amount_in_dispute}}")
# Blank lines beyond the first are kept as space: room to sign.
_SIGNATURE = ("Sincerely,\n\n\n\n{signer_name}\n{signer_title}\n{clinic_name}\n"
              "NPI {clinic_npi}, Tax ID {clinic_tax_id}")
_CONTACT = ("If you need anything more to decide this request, please call our billing office "
            "at {clinic_phone}, and quote the payer claim number above in any reply.")


def _head(attn: str, what: str) -> tuple[str, str, str]:
    return _ADDRESS.format(attn=attn), _RE.format(what=what), "Dear Appeals Reviewer:"


RECONSIDERATION = _body(
    *_head("Claims Reconsideration / Appeals Department",
           "Request for reconsideration (reopening) of a claim"),
    "On behalf of {provider_name} and {clinic_name}, we ask you to reconsider the claim above "
    "and to reprocess it for payment of {amount_in_dispute}. The claim was processed with the "
    "following reasons:",
    "{denial_reasons}",
    "We believe the claim was processed in error. The services were provided as billed, were "
    "medically necessary for this patient, and are documented in the enclosed records. The "
    "services in question are:",
    "{services}",
    "Please review the claim with the enclosed documentation and issue payment or a written "
    "explanation of your decision. " + _CONTACT,
    "Enclosures:\n- Copy of the claim (CMS-1500)\n- Copy of the remittance advice / explanation "
    "of benefits showing the denial\n- Medical records for the dates of service",
    _SIGNATURE,
)

APPEAL = _body(
    *_head("Appeals Department", "Formal written appeal of an upheld claim decision"),
    "We formally appeal your decision on the claim above. We asked you to reconsider the "
    "claim, and the original decision was upheld. We ask you to overturn it and pay "
    "{amount_in_dispute}. The reasons you gave were:",
    "{denial_reasons}",
    "We disagree with this decision. The services below were medically necessary, were "
    "provided and documented as billed, and are covered under the patient's plan. The "
    "enclosed records support each of them:",
    "{services}",
    "Please have this appeal reviewed by someone who was not involved in the earlier decisions "
    "and, where medical necessity is in question, by a clinician of the same or a similar "
    "specialty. Please send us your decision in writing, with the specific reasons and the "
    "plan provisions or guidelines it relies on, and tell us of any further level of appeal "
    "open to us. " + _CONTACT,
    "Enclosures:\n- Copy of the claim (CMS-1500)\n- Remittance advice / explanation of "
    "benefits for the original decision\n- Our request for reconsideration and your decision "
    "upholding the denial\n- Medical records and any letter of medical necessity for the "
    "dates of service",
    _SIGNATURE,
)

TIMELY_FILING = _body(
    *_head("Appeals Department", "Appeal of a timely filing denial"),
    "We appeal the denial of the claim above for timely filing, and ask you to reprocess it "
    "for payment of {amount_in_dispute}. The claim was processed with the following reasons:",
    "{denial_reasons}",
    "The claim was first submitted within your filing limit. The enclosed proof shows the date "
    "it was sent and the date it was accepted: the clearinghouse's acceptance report and "
    "claim acknowledgment (X12 999 and 277CA) for the original electronic submission, or "
    "the earlier remittance or correspondence about this claim. Any later submission was a "
    "correction or resubmission of that timely original claim. The services are:",
    "{services}",
    "Please accept the enclosed proof of timely filing, reverse the denial and process the "
    "claim on its merits. " + _CONTACT,
    "Enclosures:\n- Copy of the claim (CMS-1500)\n- Proof of timely filing: clearinghouse "
    "acceptance report and claim acknowledgment showing the original submission date\n"
    "- Remittance advice / explanation of benefits showing the timely filing denial",
    _SIGNATURE,
)

DEFAULT_TEMPLATES: dict[str, Template] = {
    "reconsideration": Template("reconsideration", "Request for reconsideration",
                                RECONSIDERATION),
    "appeal": Template("appeal", "Formal written appeal", APPEAL),
    "timely_filing": Template("timely_filing", "Timely filing appeal", TIMELY_FILING),
}


# --- the PDF ---------------------------------------------------------------------------------

MARGIN = 1.0 * inch
PAGE_WIDTH, PAGE_HEIGHT = letter
_TEXT = ParagraphStyle("text", fontName="Times-Roman", fontSize=11, leading=13.5,
                       textColor=INK)
_ITEM = ParagraphStyle("item", parent=_TEXT, leftIndent=10, firstLineIndent=-10)
_CLINIC = ParagraphStyle("clinic", parent=_TEXT, fontName="Times-Bold", fontSize=15,
                         leading=18, spaceAfter=1)
_HEAD = ParagraphStyle("head", parent=_TEXT, fontSize=9.5, leading=12)
PARAGRAPH_GAP = 8  # points between paragraphs


def appeal_letter_pdf(title: str, text: str, letterhead: Letterhead, dated: date) -> bytes:
    """The filled letter `text` as PDF bytes, on the clinic's letterhead, dated `dated`;
    `title` is the document's title and is printed beside the page numbers."""
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=MARGIN, bottomMargin=MARGIN, title=title,
                          author=letterhead.clinic_name)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    running = f"{letterhead.clinic_name}, {long_date(dated)}"
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame],
                                       onPage=lambda c, d: _continuation(c, d.page, running))])
    # The footer sits in the bottom margin, half an inch from the edge, within the sides.
    doc.build(_story(text, letterhead, dated), canvasmaker=numbered_canvas(
        lambda c, page, total: draw_footer(c, title, page, total, margin=MARGIN,
                                           bottom=0.5 * inch)))
    return out.getvalue()


def _continuation(c: Canvas, page: int, running: str) -> None:
    """Pages after the first say whose letter of which day they continue (the letterhead
    is on the first page only)."""
    if page > 1:
        c.saveState()
        c.setFont("Times-Italic", 9.5)
        c.setFillColor(INK)
        c.drawString(MARGIN, PAGE_HEIGHT - 0.6 * inch,
                     fit(running, "Times-Italic", 9.5, PAGE_WIDTH - 2 * MARGIN))
        c.restoreState()


def _story(text: str, head: Letterhead, dated: date) -> list[Flowable]:
    contact = " · ".join(x for x in (f"Phone {head.phone}" if head.phone else "",
                                      f"Fax {head.fax}" if head.fax else "") if x)
    story: list[Flowable] = [Paragraph(escape(head.clinic_name), _CLINIC)]
    story += [Paragraph(escape(x), _HEAD) for x in (*head.address_lines, contact) if x]
    story += [Spacer(1, 4), HRFlowable(width="100%", thickness=0.6, color=GRID),
              Spacer(1, 0.2 * inch), Paragraph(escape(long_date(dated)), _TEXT),
              Spacer(1, 10)]
    return story + _body_flowables(text)


def _body_flowables(text: str) -> list[Flowable]:
    groups: list[list[Flowable]] = []  # one per paragraph, with the gap after it
    for block, extra_blank_lines in _blocks(text):
        lines: list[Flowable] = [_line(x) for x in block.split("\n")]
        if extra_blank_lines and groups:
            # Space kept on purpose (room to sign) never breaks, and the closing before it
            # ("Sincerely,") and the paragraph before that go with it: no lone signature.
            kept = [f for g in groups[-2:] for f in g]
            del groups[-2:]
            space = Spacer(1, extra_blank_lines * _TEXT.leading)
            lines = [KeepTogether([*kept, space, *lines])]
        groups.append([*lines, Spacer(1, PARAGRAPH_GAP)])
    return [f for g in groups for f in g]


def _blocks(text: str) -> list[tuple[str, int]]:
    """Paragraphs (runs of lines between blank lines), each with the number of blank lines
    before it beyond the one that separates paragraphs."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[tuple[str, int]] = []
    run: list[str] = []
    blanks = 0
    for line in [*lines, ""]:
        if line.strip():
            run.append(line)
            continue
        if run:
            out.append(("\n".join(run), max(blanks - 1, 0) if out else 0))
            run, blanks = [], 0
        blanks += 1
    return out


def _line(line: str) -> Paragraph:
    """One line of the text: it wraps within the margins; a "- " item wraps under its own
    text; leading spaces are kept. Everything is escaped: markup in a letter is not markup."""
    text = line.rstrip()
    indent = len(text) - len(text.lstrip(" "))
    body = escape(text.lstrip(" "))
    style = _ITEM if body.startswith("- ") else _TEXT
    return Paragraph("&nbsp;" * indent + body, style)
