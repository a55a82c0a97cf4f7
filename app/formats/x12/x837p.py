"""The professional claim, ASC X12 005010X222A1 (837P), written as a batch file for the
clearinghouse portal from `ClaimDocument`s (app.formats.claim_data).

One interchange, one functional group (GS01 HC, GS08 005010X222A1) and one transaction set per
5,000 claims (the guide's recommended limit; a clinic batch is one transaction set). Inside it:

    BHT*0019*00*<reference>*CCYYMMDD*HHMM*CH
    1000A NM1*41*2*<submitter>*****46*<ID>  PER*IC*<contact>*TE*<phone>
    1000B NM1*40*2*<receiver>*****46*<ID>
    2000A HL*n**20*1  [PRV*BI*PXC*<taxonomy>]
          2010AA NM1*85*2*<practice>*****XX*<NPI> N3 N4 (ZIP+4) REF*EI*<EIN> [PER*IC]
          2010AB NM1*87*2 N3 N4                          (when payments go elsewhere)
    2000B HL*n*<2000A>*22*0|1  SBR*<P|S|T>*[18]*<group>*[plan]*[MSP type]****<filing ind.>
          2010BA NM1*IL*1*<name>****MI*<member ID>  [N3 N4 DMG]   (N3/N4/DMG: self only)
          2010BB NM1*PR*2*<payer>*****PI*<payer ID> [N3 N4]
    2000C HL*n*<2000B>*23*0  PAT*<relationship>              (patient is not the subscriber)
          2010CA NM1*QC*1*<name>  N3 N4 DMG
    2300  CLM DTP… AMT*F5 REF*G1 REF*F8 NTE*ADD HI   2310A/B/C referring, rendering, facility
    2320  SBR CAS… AMT*D [AMT*EAF] OI   (one per other payer)
          2330A NM1*IL*1*<name>****MI*<member ID> [N3 N4]
          2330B NM1*PR*2*<payer>*****PI*<payer ID> [DTP*573] [REF*F8]
    2400  LX SV1 DTP*472 REF*6R NTE*ADD  2410 LIN*N4/CTP  2420A NM1*82  2420E NM1*DK
          2430 SVD*<payer ID>*<paid>*HC:<code>**<units> CAS… DTP*573 [AMT*EAF]

Grouping (005010X222A1 2000B HL04 note): claims share a subscriber HL when they have the same
billing provider, payer, subscriber, member ID, group, plan, payer sequence and both are (or
both are not) for the subscriber as the patient; a subscriber with claims of their own and for
dependents gets two 2000B loops, because SBR02 and 2010BA N3/N4/DMG differ between the cases
(X12 RFI 1496). Dependents' claims hang from a 2000C per patient under the second one. At most
100 claims hang from one HL (the 2300 repeat); more start another HL with the same content.

Choices where the guide leaves one:
- BHT03 is the `batch_id` argument when given, else ISA13 (9 digits) + ST02 (as the 270 does).
- LX01 counts the lines of the claim 1, 2, 3… in the order given (pyx12 checks that); the line's
  own `control_number` is what comes back in the 835 (REF*6R).
- CLM05-1 is the first line's place of service; SV105 is sent only on lines whose place differs
  (2400 SV105: "required when different than CLM05-1").
- Disability dates use one DTP (max use 1): 314 RD8 for from-to, 360 D8 for only a start, 361 D8
  for only an end. DTP*439 is sent when an accident date is given and CLM11 carries AA, OA or EM.
- PER in 1000A carries the phone only: an e-mail needs '@', outside the X12 basic character set
  this module writes.
- Amounts: 2 decimals at most, no trailing zeros ("125", "125.5", "0.75"); units as decimals.

Other payers (coordination of benefits, 005010X222A1 loops 2320–2430 and section 1.4.4):
- One 2320 per `OtherPayer` in the order given (at most 10); its SBR01 may not repeat this
  claim's SBR01 (2000B) nor another 2320's (U, unknown, excepted). SBR04 only without SBR03, as
  in 2000B.
- CAS: one segment per group code (CO, CR, OA, PI, PR) in first-seen order, up to 6
  reason/amount/quantity triplets each, in 2320 for claim-level and 2430 for line-level
  adjustments. AMT*D is sent when the payer adjudicated the claim (0 for a denial); without it
  no CAS, 2430 or DTP*573 is sent for that payer (the claim goes to it later).
- 2330B DTP*573 only when the payer adjudicated the claim and no 2430 loop is sent for it
  (the guide's situational rule); each 2430 carries its own DTP*573 (required).
- 2430 for every line the payer adjudicated, after the line's 2420 loops; SVD01 repeats the
  payer's 2330B NM109 so a reader can tell which payer it belongs to (so two other payers
  with one payer ID are refused when either has line payments: our rule, not the guide's).
- Balancing (1.4.4): for each adjudicating payer, CLM02 − AMT*D = the sum of its CAS amounts
  in 2320 and all its 2430 loops; for each line it adjudicated, SV102 − the sum of its SVD02
  = the sum of those 2430 CAS amounts (several 2430 for one line are an unbundled line).
- SBR05 (Medicare secondary payer type) is required in 2000B when the claim goes to Medicare
  (SBR09 MA/MB) and Medicare is not primary, and in a 2320 whose payer is Medicare and not
  primary; it is refused on a primary payer.

`build_837p` checks every claim first (`check_837p`) and raises a ValidationError listing every
problem by claim ID (ours, not patient data); messages never quote names, member IDs or dates
of birth. The real gate is pyx12 (app.formats.x12.validate), run over the bytes written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.errors import ValidationError
from app.formats.claim_data import (
    Address,
    BillingProvider,
    ClaimDocument,
    OtherPayer,
    PayerInfo,
    Person,
    PersonName,
    PriorAdjustment,
    PriorLinePayment,
    Provider,
    ServiceLine,
    Submitter,
)
from app.formats.identifiers import check_npi, check_taxonomy, digits
from app.formats.x12.segments import (
    Envelope,
    HlBody,
    X12Writer,
    check_envelope,
    x12_text,
)

VERSION = "005010X222A1"
MAX_DIAGNOSES = 12  # HI01…HI12
MAX_LINES = 50  # 2400 repeat
MAX_POINTERS = 4  # SV107
MAX_MODIFIERS = 4  # SV101-3…6
MAX_CLAIMS_PER_HL = 100  # 2300 repeat under one 2000B/2000C
MAX_CLAIMS_PER_TRANSACTION = 5000  # 005010X222A1 1.4.1: recommended CLMs per ST-SE

FREQUENCIES = frozenset({"1", "7", "8"})  # original, replacement, void
PAYER_SEQUENCES = frozenset("PSTABCDEFGHU")  # SBR01
PATIENT_RELATIONSHIPS = frozenset({"01", "19", "20", "21", "39", "40", "53", "G8"})  # PAT01
FILING_INDICATORS = frozenset({"11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI",
                               "DS", "FI", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC",
                               "ZZ"})  # SBR09 in 005010X222A1
NDC_UNITS = frozenset({"F2", "GR", "ME", "ML", "UN"})  # CTP05-1
OTHER_RELATIONSHIPS = PATIENT_RELATIONSHIPS | {"18"}  # 2320 SBR02
MSP_TYPES = frozenset({"12", "13", "14", "15", "16", "41", "42", "43", "47"})  # SBR05
MEDICARE = frozenset({"MA", "MB"})  # SBR09 of a Medicare claim
CAS_GROUPS = frozenset({"CO", "CR", "OA", "PI", "PR"})  # CAS01 in 2320 and 2430
MAX_OTHER_PAYERS = 10  # 2320 repeat
MAX_TRIPLETS = 6  # reason/amount/quantity triplets in one CAS
MAX_LINE_ADJUDICATIONS = 15  # 2430 repeat under one 2400
# 2300 DTP qualifiers a 1500 box 15 date may carry, in the guide's segment order.
OTHER_DATE_QUALIFIERS = ("454", "304", "453", "439", "455", "471", "090", "091", "444")
_DTP_ORDER = ("431", *OTHER_DATE_QUALIFIERS[:4], "484", *OTHER_DATE_QUALIFIERS[4:6], "314",
              "360", "361", "297", "296", "435", "096", *OTHER_DATE_QUALIFIERS[6:])
_CENT = Decimal("0.01")


# --- values -------------------------------------------------------------------------------------
def x12_decimal(value: Decimal) -> str:
    """An X12 R (decimal) value: no exponent, no trailing zeros after the point, no point when
    whole ("125", "125.5", "0.75", "0")."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def x12_amount(value: Decimal) -> str:
    """Money rounded to cents, written as `x12_decimal`."""
    return x12_decimal(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _d8(day: date) -> str:
    return f"{day:%Y%m%d}"


def _t(value: str, longest: int) -> str:
    return x12_text(value)[:longest]


def _zip(value: str) -> str:
    return digits(value)


def _diagnosis(code: str) -> str:
    return x12_text(code).replace(".", "").replace(" ", "")


def _causes(c: ClaimDocument) -> list[str]:
    """CLM11-1/-2 related causes in a fixed order."""
    return [code for code, on in (("EM", c.employment_related), ("AA", c.auto_accident),
                                  ("OA", c.other_accident)) if on]


def _place(c: ClaimDocument) -> str:
    """CLM05-1: the place of service of the first line."""
    return c.lines[0].pos if c.lines else ""


# --- checks -------------------------------------------------------------------------------------
def _name_problems(name: PersonName, role: str) -> list[str]:
    return [] if x12_text(name.last) else [f"The {role}'s last name is missing."]


def _address_problems(a: Address | None, role: str, *, plus4: bool = False) -> list[str]:
    if a is None:
        return [f"The {role} address is missing."] if plus4 else []
    out = []
    if not x12_text(a.line1) or not x12_text(a.city) or len(x12_text(a.city)) < 2:
        out.append(f"The {role} address needs a street and a city.")
    if len(x12_text(a.state)) != 2:
        out.append(f"The {role} address needs the 2-letter state.")
    zip_code = _zip(a.zip)
    if plus4 and len(zip_code) != 9:
        out.append(f"The {role} address needs the full ZIP+4 (9 digits).")
    elif len(zip_code) not in (5, 9):
        out.append(f"The {role} ZIP code must be 5 or 9 digits.")
    return out


def _provider_problems(p: Provider | None, role: str) -> list[str]:
    if p is None:
        return []
    out = _name_problems(p.name, role)
    if msg := check_npi(p.npi):
        out.append(f"The {role}'s NPI: {msg}")
    if p.taxonomy and (msg := check_taxonomy(p.taxonomy)):
        out.append(f"The {role}'s taxonomy: {msg}")
    return out


def _person_problems(who: Person, role: str) -> list[str]:
    out = _name_problems(who.name, role)
    if who.dob is None:
        out.append(f"The {role}'s date of birth is missing.")
    if who.sex not in ("M", "F", "U"):
        out.append(f"The {role}'s sex must be M, F or U.")
    return out + _address_problems(who.address, role)


def _billing_problems(b: BillingProvider) -> list[str]:
    out = []
    if not x12_text(b.name):
        out.append("The billing provider (practice) needs a name.")
    if msg := check_npi(b.npi):
        out.append(f"The billing provider's NPI: {msg}")
    if len(digits(b.ein)) != 9:
        out.append("The billing provider's EIN (tax ID) must be 9 digits.")
    if b.taxonomy and (msg := check_taxonomy(b.taxonomy)):
        out.append(f"The billing provider's taxonomy: {msg}")
    if b.phone and len(digits(b.phone)) != 10:
        out.append("The billing provider's phone must be 10 digits.")
    out += _address_problems(b.address, "billing provider", plus4=True)
    return out + _address_problems(b.pay_to, "pay-to")


def _payer_problems(p: PayerInfo) -> list[str]:
    out = []
    if not x12_text(p.name) or not x12_text(p.payer_id) or len(x12_text(p.payer_id)) < 2:
        out.append("The payer needs a name and a payer ID in the payer directory.")
    if p.claim_filing_indicator not in FILING_INDICATORS:
        out.append("The payer's claim filing indicator is not one the 837P allows.")
    return out + _address_problems(p.address, "payer")


def _line_problems(ln: ServiceLine, n: int, diagnoses: int) -> list[str]:
    out = []
    where = f"Line {n}:"
    if not x12_text(ln.code):
        out.append(f"{where} the procedure code is missing.")
    if len(ln.modifiers) > MAX_MODIFIERS or any(len(x12_text(m)) != 2 for m in ln.modifiers):
        out.append(f"{where} use up to {MAX_MODIFIERS} modifiers of 2 characters.")
    if not 1 <= len(ln.pointers) <= MAX_POINTERS or any(
            not 1 <= p <= diagnoses for p in ln.pointers):
        out.append(f"{where} point to 1 to {MAX_POINTERS} of the claim's diagnoses.")
    if ln.units <= 0 or ln.charge < 0:
        out.append(f"{where} units must be above zero and the charge not negative.")
    if not (len(ln.pos) == 2 and ln.pos.isdigit()):
        out.append(f"{where} the place of service is 2 digits.")
    if ln.dos_to < ln.dos_from:
        out.append(f"{where} the service ends before it starts.")
    if ln.ndc and (len(digits(ln.ndc)) != 11 or ln.ndc_unit not in NDC_UNITS
                   or ln.ndc_quantity is None or ln.ndc_quantity <= 0):
        out.append(f"{where} an NDC needs 11 digits, a quantity and a unit (F2, GR, ME, ML, UN).")
    return out + [f"{where} {m}" for m in _provider_problems(ln.rendering, "line's rendering "
                                                                              "provider")]


def _claim_problems(c: ClaimDocument) -> list[str]:
    out = []
    if not x12_text(c.claim_id) or len(x12_text(c.claim_id)) > 38:
        out.append("The claim ID (CLM01) must be 1 to 38 characters.")
    if c.frequency not in FREQUENCIES:
        out.append("The frequency must be 1 (original), 7 (replacement) or 8 (void).")
    elif c.frequency in ("7", "8") and not x12_text(c.original_claim_number):
        out.append("A replacement or void needs the payer's original claim number.")
    if c.sequence not in PAYER_SEQUENCES:
        out.append("The payer sequence must be P, S or T.")
    if c.relationship != "18" and c.relationship not in PATIENT_RELATIONSHIPS:
        out.append("The patient's relationship to the subscriber is not an 837P code.")
    if not x12_text(c.member_id) or len(x12_text(c.member_id)) < 2:
        out.append("The coverage has no member ID.")
    out += _person_problems(c.patient, "patient")
    out += _name_problems(c.subscriber.name, "subscriber")
    codes = [_diagnosis(d) for d in c.diagnoses]
    if not 1 <= len(codes) <= MAX_DIAGNOSES or not all(codes):
        out.append(f"A claim has 1 to {MAX_DIAGNOSES} diagnosis codes.")
    if not 1 <= len(c.lines) <= MAX_LINES:
        out.append(f"A claim has 1 to {MAX_LINES} service lines.")
    for n, ln in enumerate(c.lines, start=1):
        out += _line_problems(ln, n, len(codes))
    return out + _claim_extra_problems(c)


def _claim_extra_problems(c: ClaimDocument) -> list[str]:
    out = []
    if len(_causes(c)) > 2:
        out.append("Mark at most two of employment, auto accident and other accident.")
    if c.auto_accident and len(x12_text(c.auto_accident_state)) != 2:
        out.append("An auto accident needs the 2-letter state where it happened.")
    if c.patient_paid < 0:
        out.append("The amount the patient paid cannot be negative.")
    if c.other_date is not None and c.other_date_qualifier not in OTHER_DATE_QUALIFIERS:
        out.append("The other date (box 15) needs a qualifier the 837P allows.")
    out += _provider_problems(c.rendering, "rendering provider")
    out += _provider_problems(c.referring, "referring provider")
    if c.facility is not None:
        if not x12_text(c.facility.name):
            out.append("The service facility needs a name.")
        if c.facility.npi and (msg := check_npi(c.facility.npi)):
            out.append(f"The service facility's NPI: {msg}")
        out += _address_problems(c.facility.address, "service facility")
    out += _msp_problems(c.payer.claim_filing_indicator, c.sequence, c.insurance_type,
                         "The claim")
    return out + _other_payers_problems(c)


# --- checks: other payers (2320–2430) -----------------------------------------------------------
def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _msp_problems(filing: str, sequence: str, insurance_type: str, who: str) -> list[str]:
    """SBR05 of 2000B or 2320: needed when that payer is Medicare and not primary."""
    if insurance_type and insurance_type not in MSP_TYPES:
        return [f"{who}: the Medicare secondary payer type (SBR05) is not an 837P code."]
    if insurance_type and sequence == "P":
        return [f"{who}: a Medicare secondary payer type (SBR05) is only for a payer that is "
                "not primary."]
    if filing in MEDICARE and sequence != "P" and not insurance_type:
        return [f"{who}: Medicare is not primary, so choose why (the Medicare secondary payer "
                "type, SBR05: 12, 13, 14, 15, 16, 41, 42, 43 or 47)."]
    return []


def _adjustment_problems(adjustments: Sequence[PriorAdjustment], where: str) -> list[str]:
    """CAS: a known group code, a reason code, at most 6 triplets a group."""
    out = []
    if any(a.group not in CAS_GROUPS for a in adjustments):
        out.append(f"{where} an adjustment group must be CO, CR, OA, PI or PR.")
    if any(not 1 <= len(x12_text(a.reason)) <= 5 for a in adjustments):
        out.append(f"{where} every adjustment needs its reason code (CARC).")
    groups = [a.group for a in adjustments]
    if any(groups.count(g) > MAX_TRIPLETS for g in set(groups)):
        out.append(f"{where} at most {MAX_TRIPLETS} adjustments per group code.")
    return out


def _other_payers_problems(c: ClaimDocument) -> list[str]:
    out = []
    if len(c.other_payers) > MAX_OTHER_PAYERS:
        out.append(f"A claim lists at most {MAX_OTHER_PAYERS} other payers.")
    sequences = [op.sequence for op in c.other_payers if op.sequence != "U"]
    if len(sequences) != len(set(sequences)):
        out.append("Two other payers have the same payer sequence (SBR01).")
    # SVD01 names the payer of a 2430 by its 2330B NM109: with two payers of one ID and line
    # payments, nobody could tell whose they are.
    ids = [x12_text(op.payer_id) for op in c.other_payers]
    if any(op.lines and ids.count(x12_text(op.payer_id)) > 1 for op in c.other_payers):
        out.append("Two other payers have the same payer ID; their line payments (SVD01) "
                   "could not be told apart.")
    for n, op in enumerate(c.other_payers, start=1):
        out += _other_payer_problems(c, op, f"Other payer {n}:")
    return out


def _other_payer_problems(c: ClaimDocument, op: OtherPayer, where: str) -> list[str]:
    """One 2320/2330A/2330B and its 2430 loops."""
    out = []
    if op.sequence not in PAYER_SEQUENCES:
        out.append(f"{where} the payer sequence must be P, S, T (or A to H).")
    elif op.sequence == c.sequence:
        out.append(f"{where} its payer sequence (SBR01) is the same as this claim's.")
    if op.relationship not in OTHER_RELATIONSHIPS:
        out.append(f"{where} the patient's relationship to its insured is not an 837P code.")
    if op.filing_indicator not in FILING_INDICATORS:
        out.append(f"{where} the claim filing indicator is not one the 837P allows.")
    if len(x12_text(op.member_id)) < 2:
        out.append(f"{where} the member ID is missing.")
    if not x12_text(op.payer_name) or len(x12_text(op.payer_id)) < 2:
        out.append(f"{where} it needs a name and a payer ID.")
    out += [f"{where} {m}" for m in _name_problems(op.insured, "other insured")]
    out += [f"{where} {m}" for m in _address_problems(op.insured_address, "other insured")]
    out += _msp_problems(op.filing_indicator, op.sequence, op.insurance_type, where[:-1])
    out += _adjustment_problems(op.claim_adjustments, where)
    return out + _adjudication_problems(c, op, where)


def _adjudication_problems(c: ClaimDocument, op: OtherPayer, where: str) -> list[str]:
    """What the other payer did: complete, on our lines, and balanced."""
    if op.paid is None:
        if op.claim_adjustments or op.lines or op.remaining_patient_liability is not None:
            return [f"{where} adjustments and line payments need the amount it paid "
                    "(0 for a denial)."]
        return []
    out = []
    if not op.lines and op.paid_on is None:
        out.append(f"{where} enter the date it paid or denied the claim (2330B DTP*573).")
    ours = {ln.line_no: ln for ln in c.lines}
    for lp in op.lines:
        out += _line_payment_problems(lp, ours, where)
    counts = [lp.line_no for lp in op.lines]
    if any(counts.count(n) > MAX_LINE_ADJUDICATIONS for n in set(counts)):
        out.append(f"{where} at most {MAX_LINE_ADJUDICATIONS} payments for one line.")
    return out + _balance_problems(c, op, where)


def _line_payment_problems(lp: PriorLinePayment, ours: dict[int, ServiceLine],
                           where: str) -> list[str]:
    if lp.line_no not in ours:
        return [f"{where} a line payment is for line {lp.line_no}, which is not on the claim."]
    at = f"{where} line {lp.line_no}:"
    out = []
    if not x12_text(lp.code):
        out.append(f"{at} the procedure code it paid is missing.")
    if len(lp.modifiers) > MAX_MODIFIERS or any(len(x12_text(m)) != 2 for m in lp.modifiers):
        out.append(f"{at} use up to {MAX_MODIFIERS} modifiers of 2 characters.")
    if lp.units < 0:
        out.append(f"{at} the paid units cannot be negative.")
    return out + _adjustment_problems(lp.adjustments, at)


def _balance_problems(c: ClaimDocument, op: OtherPayer, where: str) -> list[str]:
    """005010X222A1 1.4.4: the charge minus the payment equals the adjustments, for the claim
    (2320 AMT*D against every CAS of the payer) and for each line (SV102 against its 2430s)."""
    assert op.paid is not None
    out = []
    charges = {ln.line_no: ln.charge for ln in c.lines}
    for line_no in dict.fromkeys(lp.line_no for lp in op.lines):
        mine = [lp for lp in op.lines if lp.line_no == line_no]
        if line_no not in charges:
            continue  # reported as a payment for a line that is not on the claim
        rest = _cents(charges[line_no]) - _cents(sum((lp.paid for lp in mine), Decimal(0)))
        adjusted = _cents(sum((lp.adjusted for lp in mine), Decimal(0)))
        if rest != adjusted:
            out.append(f"{where} line {line_no} does not balance: the charge minus the payment "
                       f"is {rest}, its adjustments add up to {adjusted}.")
    rest = _cents(c.total_charge) - _cents(op.paid)
    if rest != _cents(op.adjusted):
        out.append(f"{where} the claim does not balance: the total charge minus the payment is "
                   f"{rest}, its claim and line adjustments add up to {_cents(op.adjusted)}.")
    return out


def _submitter_problems(s: Submitter) -> dict[str, str]:
    p = {}
    if not x12_text(s.name) or len(x12_text(s.submitter_id)) < 2:
        p["submitter"] = "The submitter needs a name and the ID the clearinghouse gave."
    if len(digits(s.contact_phone)) != 10:
        p["submitter phone"] = "The submitter contact phone must be 10 digits."
    if not x12_text(s.receiver_name) or len(x12_text(s.receiver_id)) < 2:
        p["receiver"] = "The receiver (clearinghouse) needs a name and an ID."
    return p


def check_837p(claims: Sequence[ClaimDocument], submitter: Submitter) -> dict[str, str]:
    """Every problem that would make an invalid 837P, as "claim <n> (<ID>)" or a header part →
    what to fix, all of a claim's problems on its one line. No patient data in the messages;
    the claim ID is the practice's own number."""
    if not claims:
        return {"claims": "Choose at least one claim to send."}
    p = _submitter_problems(submitter)
    seen: set[str] = set()
    billing: dict[BillingProvider, list[str]] = {}
    for n, c in enumerate(claims, start=1):
        found = _claim_problems(c) + _payer_problems(c.payer)
        key = x12_text(c.claim_id)
        if key in seen:
            found.append("The claim ID appears twice in the batch.")
        seen.add(key)
        if c.billing not in billing:
            billing[c.billing] = _billing_problems(c.billing)
        if found:
            p[f"claim {n} ({key or 'no ID'})"] = " ".join(found)
    for i, found in enumerate(billing.values(), start=1):
        if found:
            p["billing provider" if len(billing) == 1 else f"billing provider {i}"] = \
                " ".join(found)
    return p


# --- grouping -----------------------------------------------------------------------------------
@dataclass
class _Subscriber:
    """One 2000B: its claims go straight under it (self) or under its patients' 2000C."""

    first: ClaimDocument
    own: list[ClaimDocument] = field(default_factory=list)
    patients: dict[tuple[Person, str], list[ClaimDocument]] = field(default_factory=dict)


def _subscriber_key(c: ClaimDocument) -> tuple[object, ...]:
    self_ = c.relationship == "18"
    return (c.payer, c.subscriber, x12_text(c.member_id), x12_text(c.group_number),
            x12_text(c.plan_name), c.sequence, c.insurance_type, self_,
            c.patient if self_ else None)


def _chunks(items: Sequence[ClaimDocument], size: int) -> Iterable[list[ClaimDocument]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _group(claims: Sequence[ClaimDocument]
           ) -> dict[BillingProvider, list[_Subscriber]]:
    """Billing provider → its subscriber loops (first-seen order), each with ≤100 claims per
    HL enforced later by chunking."""
    by_billing: dict[BillingProvider, dict[tuple[object, ...], _Subscriber]] = {}
    for c in claims:
        subs = by_billing.setdefault(c.billing, {})
        sub = subs.setdefault(_subscriber_key(c), _Subscriber(c))
        if c.relationship == "18":
            sub.own.append(c)
        else:
            sub.patients.setdefault((c.patient, c.relationship), []).append(c)
    return {b: list(subs.values()) for b, subs in by_billing.items()}


# --- writing ------------------------------------------------------------------------------------
class _Body(HlBody):
    """The segments of one 837P transaction set."""

    # header -------------------------------------------------------------------------------------
    def header(self, submitter: Submitter, env: Envelope, reference: str) -> None:
        """BHT, 1000A submitter, 1000B receiver (005010X222A1 Table 1)."""
        self.add("BHT", "0019", "00", reference, f"{env.created:%Y%m%d}",
                 f"{env.created:%H%M}", "CH")
        self.add("NM1", "41", "2", _t(submitter.name, 60), "", "", "", "", "46",
                 _t(submitter.submitter_id, 80))
        self.add("PER", "IC", _t(submitter.contact_name, 60), "TE",
                 digits(submitter.contact_phone))
        self.add("NM1", "40", "2", _t(submitter.receiver_name, 60), "", "", "", "", "46",
                 _t(submitter.receiver_id, 80))

    def address(self, a: Address) -> None:
        """N3/N4 of any name loop."""
        self.add("N3", _t(a.line1, 55), _t(a.line2, 55))
        self.add("N4", _t(a.city, 30), _t(a.state, 2), _zip(a.zip))

    def person_name(self, entity: str, name: PersonName, qualifier: str = "",
                    ident: str = "") -> None:
        self.add("NM1", entity, "1", _t(name.last, 60), _t(name.first, 35),
                 _t(name.middle, 25), "", _t(name.suffix, 10), qualifier, ident)

    def demographics(self, who: Person) -> None:
        if who.dob is not None:
            self.add("DMG", "D8", _d8(who.dob), who.sex)

    # 2000A --------------------------------------------------------------------------------------
    def billing(self, b: BillingProvider, subscribers: list[_Subscriber]) -> None:
        """2000A billing provider HL with 2010AA (and 2010AB when paid elsewhere)."""
        hl = self.level(0, "20", True)
        if b.taxonomy:
            self.add("PRV", "BI", "PXC", _t(b.taxonomy, 50))
        self.add("NM1", "85", "2", _t(b.name, 60), "", "", "", "", "XX", b.npi)
        self.address(b.address)
        self.add("REF", "EI", digits(b.ein))
        if b.phone:
            self.add("PER", "IC", _t(b.contact_name, 60), "TE", digits(b.phone))
        if b.pay_to is not None:
            self.add("NM1", "87", "2")
            self.address(b.pay_to)
        for sub in subscribers:
            self.subscriber(hl, sub)

    # 2000B / 2000C ------------------------------------------------------------------------------
    def subscriber(self, parent: int, sub: _Subscriber) -> None:
        """2000B (one per ≤100 own claims, or one for all the dependents' 2000C loops)."""
        for chunk in _chunks(sub.own, MAX_CLAIMS_PER_HL):
            self.subscriber_level(parent, sub.first, children=False)
            for c in chunk:
                self.claim(c)
        if sub.patients:
            hl = self.subscriber_level(parent, sub.first, children=True)
            for claims in sub.patients.values():
                for chunk in _chunks(claims, MAX_CLAIMS_PER_HL):
                    self.patient(hl, chunk)

    def subscriber_level(self, parent: int, c: ClaimDocument, *, children: bool) -> int:
        hl = self.level(parent, "22", children)
        group = _t(c.group_number, 50)
        self.add("SBR", c.sequence, "18" if c.relationship == "18" else "", group,
                 "" if group else _t(c.plan_name, 60), c.insurance_type, "", "", "",
                 c.payer.claim_filing_indicator)
        self.person_name("IL", c.subscriber.name, "MI", _t(c.member_id, 80))
        if c.relationship == "18":  # 2010BA N3/N4/DMG: only when the patient is the subscriber
            if c.patient.address is not None:
                self.address(c.patient.address)
            self.demographics(c.patient)
        self.add("NM1", "PR", "2", _t(c.payer.name, 60), "", "", "", "", "PI",
                 _t(c.payer.payer_id, 80))
        if c.payer.address is not None:
            self.address(c.payer.address)
        return hl

    def patient(self, parent: int, claims: list[ClaimDocument]) -> None:
        """2000C patient HL and 2010CA, then the patient's claims."""
        first = claims[0]
        self.level(parent, "23", False)
        self.add("PAT", first.relationship)
        self.person_name("QC", first.patient.name)
        if first.patient.address is not None:
            self.address(first.patient.address)
        self.demographics(first.patient)
        for c in claims:
            self.claim(c)

    # 2300 ---------------------------------------------------------------------------------------
    def claim(self, c: ClaimDocument) -> None:
        """2300 claim information, its 2310 providers and 2400 lines."""
        causes: list[str] = _causes(c)
        clm11: list[str] = []
        if causes:  # CLM11-1, -2 causes; -3 not used; -4 the auto accident's state
            clm11 = [*(causes + ["", ""])[:2], "",
                     _t(c.auto_accident_state, 2) if c.auto_accident else ""]
        self.add("CLM", x12_text(c.claim_id), x12_amount(c.total_charge), "", "",
                 [_place(c), "B", c.frequency], "Y" if c.provider_signature_on_file else "N",
                 "A" if c.accept_assignment else "C", "Y" if c.benefits_assigned else "N",
                 "Y" if c.release_of_information else "I", "", clm11)
        for qualifier, fmt, value in sorted(self.claim_dates(c),
                                            key=lambda d: _DTP_ORDER.index(d[0])):
            self.add("DTP", qualifier, fmt, value)
        if c.patient_paid > 0:
            self.add("AMT", "F5", x12_amount(c.patient_paid))
        if x12_text(c.prior_authorization):
            self.add("REF", "G1", _t(c.prior_authorization, 50))
        if c.frequency in ("7", "8"):
            self.add("REF", "F8", _t(c.original_claim_number, 50))
        if x12_text(c.note):
            self.add("NTE", "ADD", _t(c.note, 80))
        codes = [_diagnosis(d) for d in c.diagnoses[:MAX_DIAGNOSES]]
        self.add("HI", *[["ABK" if i == 0 else "ABF", code] for i, code in enumerate(codes)])
        self.providers(c)
        for other in c.other_payers:
            self.other_payer(other)
        place = _place(c)
        ordering = c.referring if c.referring_qualifier == "DK" else None
        for n, ln in enumerate(c.lines, start=1):
            self.line(n, ln, place, ordering)
            self.line_adjudications(ln, c.other_payers)

    @staticmethod
    def claim_dates(c: ClaimDocument) -> list[tuple[str, str, str]]:
        """The 2300 DTP segments as (qualifier, format, value)."""
        out = []
        if c.onset_date is not None:
            out.append(("431", "D8", _d8(c.onset_date)))
        accident = {"AA", "OA", "EM"} & set(_causes(c))
        if c.accident_date is not None and accident:
            out.append(("439", "D8", _d8(c.accident_date)))
        if (c.other_date is not None and c.other_date_qualifier in OTHER_DATE_QUALIFIERS
                and all(q != c.other_date_qualifier for q, _f, _v in out)):
            out.append((c.other_date_qualifier, "D8", _d8(c.other_date)))
        start, end = c.unable_to_work_from, c.unable_to_work_to
        if start is not None and end is not None:
            out.append(("314", "RD8", f"{_d8(start)}-{_d8(end)}"))
        elif start is not None:
            out.append(("360", "D8", _d8(start)))
        elif end is not None:
            out.append(("361", "D8", _d8(end)))
        if c.hospitalized_from is not None:
            out.append(("435", "D8", _d8(c.hospitalized_from)))
        if c.hospitalized_to is not None:
            out.append(("096", "D8", _d8(c.hospitalized_to)))
        return out

    def providers(self, c: ClaimDocument) -> None:
        """2310A referring, 2310B rendering, 2310C service facility, 2310D supervising (an
        ordering provider goes with each line, 2420E)."""
        if c.referring is not None and c.referring_qualifier in ("", "DN"):
            self.person_name("DN", c.referring.name, "XX", c.referring.npi)
        if c.rendering is not None:
            self.person_name("82", c.rendering.name, "XX", c.rendering.npi)
            if c.rendering.taxonomy:
                self.add("PRV", "PE", "PXC", _t(c.rendering.taxonomy, 50))
        if c.facility is not None:
            npi = c.facility.npi
            self.add("NM1", "77", "2", _t(c.facility.name, 60), "", "", "", "",
                     "XX" if npi else "", npi)
            self.address(c.facility.address)
        if c.referring is not None and c.referring_qualifier == "DQ":
            self.person_name("DQ", c.referring.name, "XX", c.referring.npi)

    # 2320 / 2330A / 2330B -----------------------------------------------------------------------
    def other_payer(self, op: OtherPayer) -> None:
        """2320 other subscriber information, 2330A other subscriber, 2330B other payer."""
        group = _t(op.group_number, 50)
        self.add("SBR", op.sequence, op.relationship, group,
                 "" if group else _t(op.plan_name, 60), op.insurance_type, "", "", "",
                 op.filing_indicator)
        if op.paid is not None:  # adjudicated: what it paid and why not the rest
            self.adjustments(op.claim_adjustments)
            self.add("AMT", "D", x12_amount(op.paid))
            if op.remaining_patient_liability is not None:
                self.add("AMT", "EAF", x12_amount(op.remaining_patient_liability))
        self.add("OI", "", "", "Y" if op.benefits_assigned else "N", "", "",
                 "Y" if op.release_of_information else "I")
        self.person_name("IL", op.insured, "MI", _t(op.member_id, 80))
        if op.insured_address is not None:
            self.address(op.insured_address)
        self.add("NM1", "PR", "2", _t(op.payer_name, 60), "", "", "", "", "PI",
                 _t(op.payer_id, 80))
        # 2330B DTP*573: "required when [the payer] has adjudicated the claim and Loop ID-2430
        # is not used"; with 2430 loops each carries its own date.
        if op.paid is not None and not op.lines and op.paid_on is not None:
            self.add("DTP", "573", "D8", _d8(op.paid_on))
        if x12_text(op.payer_claim_number):
            self.add("REF", "F8", _t(op.payer_claim_number, 50))

    def adjustments(self, adjustments: Sequence[PriorAdjustment]) -> None:
        """CAS (2320 or 2430): one per group code, first-seen order, ≤6 triplets each."""
        groups: dict[str, list[PriorAdjustment]] = {}
        for a in adjustments:
            groups.setdefault(a.group, []).append(a)
        for group, items in groups.items():
            triplets: list[str] = []
            for a in items[:MAX_TRIPLETS]:
                quantity = "" if a.quantity is None else x12_decimal(a.quantity)
                triplets += [_t(a.reason, 5), x12_amount(a.amount), quantity]
            self.add("CAS", group, *triplets)

    # 2400 ---------------------------------------------------------------------------------------
    def line(self, n: int, ln: ServiceLine, place: str, ordering: Provider | None = None
             ) -> None:
        """2400 service line, 2410 drug, 2420A line rendering provider, 2420E ordering."""
        self.add("LX", str(n))
        procedure = ["HC", x12_text(ln.code), *[x12_text(m) for m in ln.modifiers]]
        self.add("SV1", procedure, x12_amount(ln.charge), "UN", x12_decimal(ln.units),
                 ln.pos if ln.pos != place else "", "", [str(p) for p in ln.pointers], "",
                 "Y" if ln.emergency else "")
        if ln.dos_to != ln.dos_from:
            self.add("DTP", "472", "RD8", f"{_d8(ln.dos_from)}-{_d8(ln.dos_to)}")
        else:
            self.add("DTP", "472", "D8", _d8(ln.dos_from))
        if x12_text(ln.control_number):
            self.add("REF", "6R", _t(ln.control_number, 50))
        if x12_text(ln.note):
            self.add("NTE", "ADD", _t(ln.note, 80))
        if ln.ndc and ln.ndc_quantity is not None:
            self.add("LIN", "", "N4", digits(ln.ndc))
            self.add("CTP", "", "", "", x12_decimal(ln.ndc_quantity), ln.ndc_unit)
        if ln.rendering is not None:
            self.person_name("82", ln.rendering.name, "XX", ln.rendering.npi)
            if ln.rendering.taxonomy:
                self.add("PRV", "PE", "PXC", _t(ln.rendering.taxonomy, 50))
        if ordering is not None:
            self.person_name("DK", ordering.name, "XX", ordering.npi)

    def line_adjudications(self, ln: ServiceLine, payers: Sequence[OtherPayer]) -> None:
        """2430: each other payer's adjudication of this line, in the payers' order."""
        for op in payers:
            if op.paid is None:
                continue
            for lp in op.lines:
                if lp.line_no != ln.line_no:
                    continue
                procedure = ["HC", x12_text(lp.code), *[x12_text(m) for m in lp.modifiers]]
                self.add("SVD", _t(op.payer_id, 80), x12_amount(lp.paid), procedure, "",
                         x12_decimal(lp.units))
                self.adjustments(lp.adjustments)
                self.add("DTP", "573", "D8", _d8(lp.paid_on))
                if lp.remaining_patient_liability is not None:
                    self.add("AMT", "EAF", x12_amount(lp.remaining_patient_liability))

    def write(self, claims: Sequence[ClaimDocument], submitter: Submitter, env: Envelope,
              reference: str) -> list[str]:
        self.header(submitter, env, reference)
        for billing, subscribers in _group(claims).items():
            self.billing(billing, subscribers)
        return self.lines


def build_837p(claims: Sequence[ClaimDocument], submitter: Submitter, env: Envelope, *,
               batch_id: str = "", newline: bool = True) -> bytes:
    """The whole 837P file (ISA…IEA; GS01 HC; one ST 837 per 5,000 claims). BHT03 is
    `batch_id` (upper-cased, up to 50 characters) when given, else ISA13 + ST02. Raises
    ValidationError (nothing written) listing every problem when a claim or the envelope is
    wrong; messages carry claim IDs, never patient data."""
    batches = [list(chunk) for chunk in _chunks(claims, MAX_CLAIMS_PER_TRANSACTION)]
    problems = check_837p(claims, submitter)
    problems |= {f"envelope {k}": v for k, v in check_envelope(env, len(batches)).items()}
    if batch_id and not x12_text(batch_id):
        problems["batch ID"] = "Use capital letters, digits or basic punctuation."
    if problems:
        raise ValidationError(problems, "837P file")
    w = X12Writer(newline=newline)
    bodies = []
    for n, batch in enumerate(batches):
        reference = _t(batch_id, 50) if batch_id else (
            f"{env.interchange_control:09d}{env.transaction_control + n:04d}")
        bodies.append(_Body(w).write(batch, submitter, env, reference))
    return w.interchange(env, "HC", VERSION, "837", bodies)
