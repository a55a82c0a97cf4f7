"""A professional claim on the NUCC 1500 Health Insurance Claim Form (02/12), as a character grid.

What goes in each box follows the NUCC 1500 Claim Form Reference Instruction Manual for the
02/12 form ("NUCC manual" below); where on the page it goes is the 10 characters-per-inch ×
6 lines-per-inch grid that OpenEMR and LibreHealth print onto the pre-printed red OCR form, with
each box's width re-measured against the 02/12 form so that no field runs over a printed line.
`layout` turns a `ClaimDocument` into pages of `Placed` fields (1-based line and column); the
PDF writer (app.formats.cms1500_pdf) puts column c at x = 24 + 7.2·(c − 1) pt and the baseline
of line r at 20 + 12·r pt from the top of a Letter page, in Courier 12 pt. No database, no Qt.

Rules applied everywhere (NUCC manual, "general instructions" and the items named):
- Upper case; names and addresses without punctuation (NUCC items 2, 5, 32, 33: no periods,
  commas or "#" in addresses; hyphens may stay), accents folded to plain letters. Person names
  are "LAST SUFFIX, FIRST, M" (items 2, 4, 9); provider names are "FIRST M LAST CREDENTIAL"
  (item 17). ZIP codes and phone numbers are digits only (no hyphen).
- Dates: MM DD YYYY (8-digit) in every box except 24A, which has room for MM DD YY only.
- Money: no dollar sign and no decimal point: the dollars right-aligned to the dollar column
  and the cents after one space ("125 00"), as the form's dollar|cents divider expects. An
  amount with more dollars than the box holds is refused (`ClaimFormError`): a cut amount
  would be a wrong amount.
- Every field is cut to its box's width (`FIELDS`, `LINE_FIELDS`): nothing crosses a printed
  line. Identifiers that may be long (1a, 11, 26, 23) get the whole width of their box.

Pages: box 24 holds 6 service lines. A claim with more lines continues on further pages;
every page repeats all the header boxes (1–23, 25–27, 31–33) and carries its own total of the
lines printed on it in box 28 (what the issue asks, and what payers that key each page as a
claim need). Box 29 is "the total amount the patient and/or other payers paid on the covered
services" (NUCC item 29): the patient's payment plus what each other payer paid (its 837P
AMT*D). It is split by page the way box 28 is, as far as the payments allow: what another
payer paid line by line (its 2430 SVD02) goes on the page of that line; the patient's payment
and what other payers paid for the claim as a whole go on the first page. So no payment is
counted twice and the pages add up to the claim's box 29. Each page of a multi-page claim says
"PAGE n OF m" in the top right corner (above the carrier block), as payers ask for multi-page
paper claims.

Choices where the NUCC manual leaves one:
- 11: the group number; for Medicare with no group number "NONE" (Medicare's item 11 rule).
- 11d: always marked: YES when another plan is on the claim (`other_coverage`, or any of the
  837P's `other_payers`), NO otherwise (NUCC: "only one box can be marked"). 9, 9a, 9d then
  show `other_coverage`, else the first other payer: its insured, its group number (the
  member ID when it has none; NUCC 9a "policy or group number") and its plan name (the payer
  name when it has none).
- 12 and 13: "SIGNATURE ON FILE" when the release (CLM09) or the assignment of benefits (CLM08)
  is on file; otherwise left blank for a signature in ink. No date is printed in 12: the date
  the patient signed is not on the claim.
- 10a–10c, 20 and 27 are always answered YES or NO. 20's charges are left blank (not on the
  claim). 24C carries "Y" for an emergency (NUCC: "Y" or blank). 24H, 10d, 11b, 17a, 32b are
  left blank (nothing on the claim for them).
- 24 shaded line: supplemental information from the start of 24A (NUCC item 24): the NDC as
  "N4" + 11 digits, three spaces, the unit qualifier and the quantity; the line's note follows
  (after three spaces) as information without a qualifier, which NUCC says starts with two
  blank spaces.
- 24I/24J shaded and 33b: "ZZ" + taxonomy only for Medicaid, as OpenEMR does; other payers get
  the NPI alone.
- 31: "SIGNATURE ON FILE" when the provider's signature is on file (CLM06), else blank for a
  signature in ink; the date is `signed_on`, else the day printed.
- 32: the service facility; with none on the claim, the billing address (services at the
  practice), except when every line is in the patient's home (place of service 12). 32a only
  when the facility's NPI differs from the billing NPI (NUCC item 32a).

Error messages name boxes and line numbers, never patient data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.errors import UserError
from app.formats.claim_data import (
    BOX6_RELATIONSHIPS,
    Address,
    ClaimDocument,
    OtherCoverage,
    Person,
    PersonName,
    Provider,
    ServiceLine,
)

LINES_PER_PAGE = 6
MAX_DIAGNOSES = 12  # box 21 A–L
POINTER_LETTERS = "ABCDEFGHIJKL"
ICD10_INDICATOR = "0"  # box 21 "ICD Ind.": 0 = ICD-10-CM
SIGNATURE_ON_FILE = "SIGNATURE ON FILE"
ONSET_QUALIFIER = "431"  # box 14: onset of current symptoms or illness
REFERRING_QUALIFIER = "DN"  # box 17: referring provider
TAXONOMY_QUALIFIER = "ZZ"  # 24I, 33b: provider taxonomy on the 1500
NDC_QUALIFIER = "N4"  # 24 shaded: National Drug Code in 5-4-2 format
HOME = "12"  # place of service: the patient's home

# Grid geometry, used by the PDF writer too.
LEFT_PT = 24.0  # x of column 1
TOP_PT = 20.0  # baseline of line r is TOP_PT + r·LINE_PT from the top of the page
CHAR_PT = 7.2  # 10 characters per inch
LINE_PT = 12.0  # 6 lines per inch


@dataclass(frozen=True)
class Placed:
    """One field on one page: `text` starts at `col` (1-based) on `line` (1-based)."""

    box: str
    line: int
    col: int
    text: str


@dataclass(frozen=True)
class Field:
    """Where a box's text starts and how many characters fit in it."""

    line: int
    col: int
    width: int


class ClaimFormError(UserError, ValueError):
    """A claim that cannot be printed on the 1500 as it is; the message says what to fix."""


# Header boxes: (line, column, width). Widths are the characters that fit before the next
# printed line of the 02/12 form (measured), which for some boxes is more than OpenEMR uses.
FIELDS: dict[str, Field] = {
    "page": Field(1, 62, 13),
    "carrier.1": Field(2, 41, 31),
    "carrier.2": Field(3, 41, 31),
    "carrier.3": Field(4, 41, 31),
    "carrier.4": Field(5, 41, 31),
    "1a": Field(8, 50, 29),
    "2": Field(10, 1, 28),
    "3": Field(10, 31, 10),
    "4": Field(10, 50, 29),
    "5": Field(12, 1, 28),
    "7": Field(12, 50, 29),
    "5.city": Field(14, 1, 24),
    "5.state": Field(14, 26, 2),
    "7.city": Field(14, 50, 23),
    "7.state": Field(14, 74, 2),
    "5.zip": Field(16, 1, 10),
    "5.area": Field(16, 15, 3),
    "5.phone": Field(16, 19, 7),
    "7.zip": Field(16, 50, 10),
    "7.area": Field(16, 65, 3),
    "7.phone": Field(16, 69, 7),
    "9": Field(18, 1, 28),
    "11": Field(18, 50, 29),
    "9a": Field(20, 1, 28),
    "11a": Field(20, 53, 10),
    "10b.state": Field(22, 45, 2),
    "11c": Field(24, 50, 29),
    "9d": Field(26, 1, 28),
    "12": Field(29, 7, 17),
    "13": Field(29, 55, 17),
    "14": Field(32, 2, 10),
    "14.qual": Field(32, 16, 3),
    "15.qual": Field(32, 31, 3),
    "15": Field(32, 37, 10),
    "16.from": Field(32, 54, 10),
    "16.to": Field(32, 68, 10),
    "17.qual": Field(34, 1, 2),
    "17": Field(34, 4, 23),
    "17b": Field(34, 33, 15),
    "18.from": Field(34, 54, 10),
    "18.to": Field(34, 68, 10),
    "19": Field(36, 1, 48),
    "21.ind": Field(37, 42, 1),
    "22": Field(38, 50, 11),
    "22.original": Field(38, 62, 17),
    "23": Field(40, 50, 29),
    "25": Field(56, 1, 15),
    "26": Field(56, 23, 14),
    "28": Field(56, 52, 8),
    "29": Field(56, 62, 8),
    "33.area": Field(57, 66, 3),
    "33.phone": Field(57, 70, 7),
    "32": Field(58, 23, 26),
    "33": Field(58, 50, 29),
    "32.street": Field(59, 23, 26),
    "33.street": Field(59, 50, 29),
    "31": Field(60, 1, 21),
    "32.city": Field(60, 23, 26),
    "33.city": Field(60, 50, 29),
    "31.date": Field(61, 6, 10),
    "32a": Field(61, 24, 10),  # one column right of the printed "a."
    "33a": Field(61, 51, 10),
    "33b": Field(61, 63, 16),
}

# Box 21 A–L: 4 codes a line on lines 38–40, at columns 3, 16, 29, 42 (ICD-10-CM: 7 characters).
FIELDS.update({f"21{letter}": Field(38 + i // 4, 3 + 13 * (i % 4), 7)
               for i, letter in enumerate(POINTER_LETTERS)})

# Check boxes: an "X" at (line, column) for each answer.
CHECKS: dict[str, tuple[int, dict[str, int]]] = {
    "1": (8, {"medicare": 1, "medicaid": 8, "tricare": 15, "champva": 24, "group": 31,
              "feca": 39, "other": 45}),
    "3.sex": (10, {"M": 42, "F": 47}),
    "6": (12, {"self": 33, "spouse": 38, "child": 42, "other": 47}),
    "10a": (20, {"yes": 35, "no": 41}),
    "11a.sex": (20, {"M": 68, "F": 75}),
    "10b": (22, {"yes": 35, "no": 41}),
    "10c": (24, {"yes": 35, "no": 41}),
    "11d": (26, {"yes": 52, "no": 57}),
    "20": (36, {"yes": 52, "no": 57}),
    "25.type": (56, {"ssn": 17, "ein": 19}),
    "27": (56, {"yes": 38, "no": 43}),
}

# Box 24, service line k (1–6): the shaded half on line 41 + 2k, the main line on 42 + 2k.
# (shaded?, column, width); the box names are "24A.k", "24A.k.to", "24.k.shaded", ...
LINE_FIELDS: dict[str, tuple[bool, int, int]] = {
    "24.shaded": (True, 1, 61),  # supplemental information, 24A through 24G
    "24I.shaded": (True, 65, 2),
    "24J.shaded": (True, 68, 11),
    "24A": (False, 1, 8),
    "24A.to": (False, 10, 8),
    "24B": (False, 19, 2),
    "24C": (False, 22, 1),
    "24D": (False, 25, 6),
    "24D.mod": (False, 33, 11),
    "24E": (False, 45, 4),
    "24F": (False, 50, 8),
    "24G": (False, 59, 3),
    "24J": (False, 68, 10),
}

_KEEP = re.compile(r"[^A-Z0-9 &/-]")


def line_field(name: str, k: int) -> tuple[str, Field]:
    """The box name and field of `name` (a LINE_FIELDS key) on service line k (1–6)."""
    shaded, col, width = LINE_FIELDS[name]
    head, _, tail = name.partition(".")
    box = f"{head}.{k}.{tail}" if tail else f"{head}.{k}"
    return box, Field(41 + 2 * k if shaded else 42 + 2 * k, col, width)


# --- values -------------------------------------------------------------------------------------
def clean(text: str) -> str:
    """Upper case, accents folded, punctuation dropped (commas become spaces), spaces collapsed:
    what the NUCC manual allows in names and addresses."""
    folded = unicodedata.normalize("NFKD", text.replace(",", " ")).upper()
    kept = _KEEP.sub("", "".join(c for c in folded if not unicodedata.combining(c)))
    return " ".join(kept.split())


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def date8(day: date) -> str:
    """MM DD YYYY, each part under its printed caption."""
    return f"{day:%m %d %Y}"


def date6(day: date) -> str:
    """MM DD YY (box 24A)."""
    return f"{day:%m %d %y}"


def money(amount: Decimal, box: str) -> str:
    """8 characters: dollars right-aligned in 5, a space for the point, 2 cents ("  125 00")."""
    text = f"{amount.quantize(Decimal('0.01')):8.2f}"
    if len(text) > 8 or amount < 0:
        raise ClaimFormError(f"The amount in box {box} does not fit the 1500 form (0.00 to "
                             "99999.99 a box); split the claim.")
    return text.replace(".", " ")


def units(value: Decimal) -> str:
    """24G: whole units without a point, fractions with one (NUCC item 24G), left-justified."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def person_name(name: PersonName) -> str:
    """LAST SUFFIX, FIRST, M (NUCC items 2, 4, 9)."""
    last = " ".join(p for p in (clean(name.last), clean(name.suffix)) if p)
    parts = [last, clean(name.first), clean(name.middle)[:1]]
    while parts and not parts[-1]:
        parts.pop()
    return ", ".join(parts)


def provider_name(p: Provider) -> str:
    """FIRST M LAST CREDENTIAL (NUCC item 17)."""
    n = p.name
    return " ".join(x for x in (clean(n.first), clean(n.middle)[:1], clean(n.last),
                                clean(n.suffix), clean(p.credential)) if x)


def street(a: Address) -> str:
    return clean(f"{a.line1} {a.line2}")


def city_line(a: Address) -> str:
    """CITY ST ZIP (NUCC items 32, 33: a space, no comma, between town and state)."""
    return " ".join(x for x in (clean(a.city), clean(a.state)[:2], digits(a.zip)) if x)


# --- layout -------------------------------------------------------------------------------------
class _Page:
    """Fields of one page, cut to their boxes."""

    def __init__(self) -> None:
        self.fields: list[Placed] = []

    def put(self, box: str, text: str, field: Field | None = None) -> None:
        f = field or FIELDS[box]
        cut = text[:f.width]
        body = cut.lstrip(" ")
        if body.strip():
            self.fields.append(Placed(box, f.line, f.col + len(cut) - len(body), body.rstrip()))

    def check(self, box: str, answer: str) -> None:
        line, cols = CHECKS[box]
        self.fields.append(Placed(box, line, cols[answer], "X"))

    def yes_no(self, box: str, yes: bool) -> None:
        self.check(box, "yes" if yes else "no")

    def date(self, box: str, day: date | None) -> None:
        if day is not None:
            self.put(box, date8(day))


def layout(claim: ClaimDocument, *, printed_on: date) -> list[list[Placed]]:
    """The pages of `claim`: each a list of fields, header boxes repeated on every page, six
    service lines a page, box 28 the total of the page's lines, box 29 what was paid for them
    (payments for the claim as a whole on the first page)."""
    if not claim.lines:
        raise ClaimFormError(f"Claim {claim.claim_id} has no service lines to print.")
    chunks = [claim.lines[i:i + LINES_PER_PAGE]
              for i in range(0, len(claim.lines), LINES_PER_PAGE)]
    pages = []
    for n, chunk in enumerate(chunks, start=1):
        page = _Page()
        if len(chunks) > 1:
            page.put("page", f"PAGE {n} OF {len(chunks)}")
        _header(page, claim, printed_on)
        for k, ln in enumerate(chunk, start=1):
            _service_line(page, claim, ln, k)
        page.put("28", money(sum((ln.charge for ln in chunk), Decimal("0.00")), "28"))
        paid = page_paid(claim, chunk, first=n == 1)
        if paid < 0:  # NUCC: no negative amounts; a recoupment is not a payment to print
            raise ClaimFormError(f"Claim {claim.claim_id}: the amounts paid (box 29) add up to "
                                 "less than zero; check the payments entered.")
        if paid > 0:  # blank rather than 0 00
            page.put("29", money(paid, "29"))
        pages.append(page.fields)
    return pages


def page_paid(claim: ClaimDocument, chunk: Iterable[ServiceLine], *, first: bool) -> Decimal:
    """Box 29 of one page: what other payers paid line by line for the page's lines, plus, on
    the first page, the patient's payment and the rest of the other payers' payments (what
    they paid for the claim as a whole: AMT*D less their line payments)."""
    on_page = {ln.line_no for ln in chunk}
    on_claim = {ln.line_no for ln in claim.lines}
    total = claim.patient_paid if first else Decimal("0.00")
    for other in claim.other_payers:
        if other.paid is None:
            continue
        by_line = [lp for lp in other.lines if lp.line_no in on_claim]
        total += sum((lp.paid for lp in by_line if lp.line_no in on_page), Decimal("0.00"))
        if first:
            total += other.paid - sum((lp.paid for lp in by_line), Decimal("0.00"))
    return total


def _header(page: _Page, c: ClaimDocument, printed_on: date) -> None:
    _carrier(page, c)
    _patient_and_insured(page, c)
    _claim_information(page, c)
    _billing(page, c, printed_on)


def _carrier(page: _Page, c: ClaimDocument) -> None:
    a = c.payer.address
    rows = [clean(c.payer.name)]
    if a is not None:
        rows += [clean(a.line1), clean(a.line2), city_line(a)]
    for i, text in enumerate([r for r in rows if r][:4], start=1):
        page.put(f"carrier.{i}", text)


def _patient_and_insured(page: _Page, c: ClaimDocument) -> None:
    """Boxes 1–13: who is covered, by what."""
    page.check("1", c.payer.box1)
    page.put("1a", clean(c.member_id))
    page.put("2", person_name(c.patient.name))
    _dob_sex(page, "3", "3.sex", c.patient)
    page.put("4", person_name(c.subscriber.name))
    _address(page, "5", c.patient)
    page.check("6", BOX6_RELATIONSHIPS.get(c.relationship, "other"))
    insured = c.subscriber
    if insured.address is None and c.relationship == "18":
        insured = c.patient
    _address(page, "7", insured)
    other = other_plan(c)
    if other is not None:
        page.put("9", person_name(other.insured_name))
        page.put("9a", clean(other.policy_number))
        page.put("9d", clean(other.plan_name or other.payer_name))
    page.yes_no("10a", c.employment_related)
    page.yes_no("10b", c.auto_accident)
    if c.auto_accident:
        page.put("10b.state", clean(c.auto_accident_state))
    page.yes_no("10c", c.other_accident)
    group = clean(c.group_number)
    page.put("11", group or ("NONE" if c.payer.box1 == "medicare" else ""))
    _dob_sex(page, "11a", "11a.sex", c.subscriber)
    page.put("11c", clean(c.plan_name))
    page.yes_no("11d", other is not None)
    if c.release_of_information:
        page.put("12", SIGNATURE_ON_FILE)
    if c.benefits_assigned:
        page.put("13", SIGNATURE_ON_FILE)


def other_plan(c: ClaimDocument) -> OtherCoverage | None:
    """Boxes 9, 9a, 9d: the claim's other coverage, else its first other payer (837P 2320)."""
    if c.other_coverage is not None or not c.other_payers:
        return c.other_coverage
    first = c.other_payers[0]
    return OtherCoverage(first.insured, first.group_number or first.member_id,
                         first.plan_name or first.payer_name, first.payer_name)


def _dob_sex(page: _Page, box: str, sex_box: str, who: Person) -> None:
    page.date(box, who.dob)
    if who.sex in ("M", "F"):
        page.check(sex_box, who.sex)


def _address(page: _Page, box: str, who: Person) -> None:
    a = who.address
    if a is not None:
        page.put(box, street(a))
        page.put(f"{box}.city", clean(a.city))
        page.put(f"{box}.state", clean(a.state))
        page.put(f"{box}.zip", digits(a.zip))
    phone = digits(who.phone)
    if len(phone) == 10:
        page.put(f"{box}.area", phone[:3])
        page.put(f"{box}.phone", phone[3:])


def _claim_information(page: _Page, c: ClaimDocument) -> None:
    """Boxes 14–23: dates, referring provider, diagnoses, resubmission, authorization."""
    if c.onset_date is not None:
        page.date("14", c.onset_date)
        page.put("14.qual", ONSET_QUALIFIER)
    if c.other_date is not None and c.other_date_qualifier:
        page.put("15.qual", clean(c.other_date_qualifier))
        page.date("15", c.other_date)
    page.date("16.from", c.unable_to_work_from)
    page.date("16.to", c.unable_to_work_to)
    if c.referring is not None:
        page.put("17.qual", c.referring_qualifier or REFERRING_QUALIFIER)
        page.put("17", provider_name(c.referring))
        page.put("17b", digits(c.referring.npi))
    page.date("18.from", c.hospitalized_from)
    page.date("18.to", c.hospitalized_to)
    page.put("19", clean(c.note))
    page.yes_no("20", c.outside_lab)
    page.put("21.ind", ICD10_INDICATOR)
    for letter, code in zip(POINTER_LETTERS, c.diagnoses[:MAX_DIAGNOSES], strict=False):
        page.put(f"21{letter}", clean(code).replace(" ", ""))
    if c.resubmission_code:
        page.put("22", c.resubmission_code)
        page.put("22.original", clean(c.original_claim_number).replace(" ", ""))
    page.put("23", clean(c.prior_authorization).replace(" ", ""))


def _service_line(page: _Page, c: ClaimDocument, ln: ServiceLine, k: int) -> None:
    """One row of box 24: the shaded supplemental half and the service itself."""
    def put(name: str, text: str) -> None:
        box, field = line_field(name, k)
        page.put(box, text, field)

    put("24.shaded", _supplemental(ln))
    put("24A", date6(ln.dos_from))
    put("24A.to", date6(ln.dos_to))
    put("24B", digits(ln.pos))
    if ln.emergency:
        put("24C", "Y")
    put("24D", clean(ln.code).replace(" ", ""))
    put("24D.mod", " ".join(f"{clean(m)[:2]:<2}" for m in ln.modifiers[:4]))
    put("24E", _pointers(ln, len(c.diagnoses)))
    put("24F", money(ln.charge, f"24F (line {ln.line_no})"))
    put("24G", units(ln.units))
    rendering = ln.rendering or c.rendering
    if rendering is not None:
        put("24J", digits(rendering.npi))
        if c.payer.box1 == "medicaid" and rendering.taxonomy:
            put("24I.shaded", TAXONOMY_QUALIFIER)
            put("24J.shaded", clean(rendering.taxonomy))


def _pointers(ln: ServiceLine, diagnoses: int) -> str:
    """24E: letters A–L, primary first, no commas (NUCC item 24E)."""
    bad = [p for p in ln.pointers if not 1 <= p <= min(diagnoses, MAX_DIAGNOSES)]
    if bad:
        raise ClaimFormError(f"Service line {ln.line_no} points at a diagnosis that is not in "
                             "box 21 (A to L); fix its diagnosis pointers.")
    return "".join(POINTER_LETTERS[p - 1] for p in ln.pointers[:4])


def _supplemental(ln: ServiceLine) -> str:
    """The shaded half of a 24 row (NUCC item 24): NDC, then the line's note."""
    items: list[str] = []
    if ln.ndc:
        ndc = f"{NDC_QUALIFIER}{digits(ln.ndc)}"
        if ln.ndc_unit and ln.ndc_quantity is not None:
            ndc += f"   {clean(ln.ndc_unit)}{units(ln.ndc_quantity)}"
        items.append(ndc)
    note = clean(ln.note)
    if note:
        items.append(f"  {note}")  # information without a qualifier: two blank spaces first
    return "   ".join(items)


def _billing(page: _Page, c: ClaimDocument, printed_on: date) -> None:
    """Boxes 25–33: tax ID, account, assignment, signature, facility, billing provider."""
    b = c.billing
    page.put("25", digits(b.ein))
    page.check("25.type", "ein")
    page.put("26", clean(c.account_number).replace(" ", ""))
    page.yes_no("27", c.accept_assignment)
    if c.provider_signature_on_file:
        page.put("31", SIGNATURE_ON_FILE)
    page.date("31.date", c.signed_on or printed_on)
    _facility(page, c)
    phone = digits(b.phone)
    if len(phone) == 10:
        page.put("33.area", phone[:3])
        page.put("33.phone", phone[3:])
    page.put("33", clean(b.name))
    page.put("33.street", street(b.address))
    page.put("33.city", city_line(b.address))
    page.put("33a", digits(b.npi))
    if c.payer.box1 == "medicaid" and b.taxonomy:
        page.put("33b", TAXONOMY_QUALIFIER + clean(b.taxonomy))


def _facility(page: _Page, c: ClaimDocument) -> None:
    f = c.facility
    if f is None:
        if all(ln.pos == HOME for ln in c.lines):
            return
        name, address, npi = c.billing.name, c.billing.address, ""
    else:
        name, address = f.name, f.address
        npi = digits(f.npi) if digits(f.npi) != digits(c.billing.npi) else ""
    page.put("32", clean(name))
    page.put("32.street", street(address))
    page.put("32.city", city_line(address))
    page.put("32a", npi)


def boxes(page: Iterable[Placed]) -> dict[str, Placed]:
    """A page's fields by box name (for look-ups in tests and previews)."""
    return {p.box: p for p in page}
