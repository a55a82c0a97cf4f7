"""A professional claim as plain data: what both the CMS-1500 (02/12) form and the 837P
(005010X222A1) need, with no database behind it. The claims service fills these from the
database; `formats.cms1500` prints them on the NUCC grid and `formats.x12.x837p` writes them
as X12. Values are as the clerk entered them (mixed case, ZIP with or without the +4);
each codec upper-cases and trims for its own medium.

Field names follow the 837P where the two media differ; the 1500 box is named in comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# SBR09 claim filing indicator → 1500 box 1 insurance type.
BOX1_TYPES = {"MB": "medicare", "MA": "medicare", "MC": "medicaid", "CH": "tricare",
              "VA": "champva", "FI": "feca"}
GROUP_FILING_CODES = frozenset({"BL", "CI", "HM", "PO", "PR", "DS", "EP", "LM", "OF", "11",
                                "12", "13", "14", "15", "16", "17", "AM", "WC", "ZZ"})

# SBR02 / PAT01 individual relationship code → 1500 box 6.
BOX6_RELATIONSHIPS = {"18": "self", "01": "spouse", "19": "child"}  # anything else: other


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    zip: str  # 5 or 9 digits
    line2: str = ""


@dataclass(frozen=True)
class PersonName:
    last: str
    first: str = ""
    middle: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Person:
    """The insured (subscriber, 837P 2010BA; 1500 boxes 1a, 4, 7, 11) or the patient
    (2010CA; boxes 2, 3, 5)."""

    name: PersonName
    dob: date | None
    sex: str  # M, F or U
    address: Address | None
    phone: str = ""  # 10 digits or empty


@dataclass(frozen=True)
class Provider:
    """A rendering (2310B, box 24J) or referring (2310A, box 17) provider, a person."""

    name: PersonName
    npi: str
    taxonomy: str = ""
    credential: str = ""


@dataclass(frozen=True)
class BillingProvider:
    """The practice (2010AA, box 33; its EIN is box 25)."""

    name: str
    npi: str
    ein: str  # 9 digits
    taxonomy: str
    address: Address  # street address, ZIP+4 (no PO box on 2010AA)
    phone: str  # 10 digits
    contact_name: str = ""
    pay_to: Address | None = None  # 2010AB when payments go elsewhere


@dataclass(frozen=True)
class Facility:
    """Service location (2310C, box 32), sent when it is not the billing address."""

    name: str
    address: Address
    npi: str = ""


@dataclass(frozen=True)
class PayerInfo:
    """The payer (2010BB, carrier block at the top right of the 1500)."""

    name: str
    payer_id: str
    claim_filing_indicator: str  # SBR09: MB, MC, CI, BL, HM, ...
    address: Address | None = None

    @property
    def box1(self) -> str:
        """1500 box 1: medicare, medicaid, tricare, champva, group, feca or other."""
        code = self.claim_filing_indicator
        if code in BOX1_TYPES:
            return BOX1_TYPES[code]
        return "group" if code in GROUP_FILING_CODES else "other"


@dataclass(frozen=True)
class OtherCoverage:
    """Another plan the patient has, for paper only (1500 boxes 9, 9a, 9d and 11d = YES): the
    other insured's name, policy or group number and plan name. What the 837P carries about
    other payers is `OtherPayer` (loops 2320/2330A/2330B/2430)."""

    insured_name: PersonName
    policy_number: str
    plan_name: str
    payer_name: str = ""


@dataclass(frozen=True)
class PriorAdjustment:
    """One adjustment another payer made (a CAS reason/amount/quantity triplet, as its 835 gave
    it): 837P 2320 CAS at claim level, 2430 CAS at line level."""

    group: str  # CAS01: CO, CR, OA, PI, PR
    reason: str  # CAS02: claim adjustment reason code (CARC)
    amount: Decimal  # CAS03
    quantity: Decimal | None = None  # CAS04


@dataclass(frozen=True)
class PriorLinePayment:
    """How another payer adjudicated one of our service lines (837P loop 2430)."""

    line_no: int  # ServiceLine.line_no it adjudicates
    paid: Decimal  # SVD02
    code: str  # SVD03 procedure as the payer adjudicated it (usually ours)
    modifiers: tuple[str, ...]
    units: Decimal  # SVD05 paid units (the billed units when the payer gave none)
    adjustments: tuple[PriorAdjustment, ...]
    paid_on: date  # DTP*573
    remaining_patient_liability: Decimal | None = None  # AMT*EAF

    @property
    def adjusted(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), Decimal("0.00"))


@dataclass(frozen=True)
class OtherPayer:
    """Another payer of this claim and what it did with it: one 837P loop 2320 with its
    2330A (the other insured) and 2330B (the other payer), plus a 2430 for each line it
    adjudicated line by line. The first one also fills 1500 boxes 9, 9a, 9d when the claim has
    no `other_coverage`; the payments go into box 29."""

    sequence: str  # SBR01 of the other payer: P, S, T…
    relationship: str  # SBR02: the patient's relationship to that plan's insured (18 self…)
    group_number: str  # SBR03
    plan_name: str  # SBR04 (when no group number)
    filing_indicator: str  # SBR09
    insured: PersonName  # 2330A NM1*IL
    member_id: str
    insured_address: Address | None  # 2330A N3/N4
    payer_name: str  # 2330B NM1*PR
    payer_id: str  # 2330B NM109, and SVD01 of its 2430 loops
    paid: Decimal | None  # 2320 AMT*D; None when the other payer has not adjudicated
    claim_adjustments: tuple[PriorAdjustment, ...]  # 2320 CAS
    lines: tuple[PriorLinePayment, ...]  # 2430, per line of ours
    paid_on: date | None  # 2330B DTP*573 (required when there are no 2430 loops)
    payer_claim_number: str = ""  # 2330B REF*F8
    remaining_patient_liability: Decimal | None = None  # 2320 AMT*EAF
    benefits_assigned: bool = True  # OI03 Y/N
    release_of_information: bool = True  # OI06 Y/I
    insurance_type: str = ""  # 2320 SBR05 (Medicare secondary payer type) when needed

    @property
    def adjusted(self) -> Decimal:
        """Every adjustment of this payer, claim level (2320) and line level (2430)."""
        claim = sum((a.amount for a in self.claim_adjustments), Decimal("0.00"))
        return claim + sum((ln.adjusted for ln in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class ServiceLine:
    """One 2400 loop / one row of box 24."""

    line_no: int  # LX01, 1-based in the claim
    dos_from: date
    dos_to: date
    pos: str  # 2 digits
    code: str  # CPT/HCPCS
    modifiers: tuple[str, ...]  # up to 4
    pointers: tuple[int, ...]  # 1-based positions in ClaimDocument.diagnoses, up to 4
    units: Decimal
    charge: Decimal
    control_number: str  # REF*6R line item control number (835 matching)
    emergency: bool = False  # SV109 / 24C
    ndc: str = ""  # 11 digits, 2410 LIN / shaded top half of 24
    ndc_unit: str = ""  # F2, GR, ME, ML, UN
    ndc_quantity: Decimal | None = None
    rendering: Provider | None = None  # only when not the claim's rendering provider
    note: str = ""  # NTE*ADD / shaded line text


@dataclass(frozen=True)
class ClaimDocument:
    """One claim as it goes out (2300 loop and everything it hangs from; one 1500)."""

    claim_id: str  # CLM01 patient control number (the 835 echoes it in CLP01)
    account_number: str  # 1500 box 26 (the MRN)
    frequency: str  # CLM05-3: 1 original, 7 replacement, 8 void
    billing: BillingProvider
    payer: PayerInfo
    subscriber: Person
    member_id: str  # NM109 of 2010BA, box 1a
    group_number: str  # SBR03, box 11
    plan_name: str  # SBR04 (when no group number), box 11c
    relationship: str  # SBR02 / PAT01: 18 self, 01 spouse, 19 child, G8 other
    patient: Person  # same person as subscriber when relationship is 18
    sequence: str  # SBR01: P, S, T
    diagnoses: tuple[str, ...]  # ICD-10-CM without the dot, first is principal (ABK)
    lines: tuple[ServiceLine, ...]
    rendering: Provider | None
    facility: Facility | None = None
    referring: Provider | None = None
    referring_qualifier: str = "DN"  # box 17: DN referring, DK ordering, DQ supervising
    original_claim_number: str = ""  # payer's claim number for 7/8 (REF*F8, box 22)
    prior_authorization: str = ""  # REF*G1, box 23
    onset_date: date | None = None  # DTP*431, box 14 qualifier 431
    other_date_qualifier: str = ""  # box 15 qualifier (454 initial treatment, 304 last seen…)
    other_date: date | None = None
    employment_related: bool = False  # CLM11-1 EM, box 10a
    auto_accident: bool = False  # CLM11 AA, box 10b
    auto_accident_state: str = ""  # CLM11-4, box 10b place
    other_accident: bool = False  # CLM11 OA, box 10c
    accident_date: date | None = None  # DTP*439 when an accident is marked
    unable_to_work_from: date | None = None  # box 16, DTP*360/361
    unable_to_work_to: date | None = None
    hospitalized_from: date | None = None  # box 18, DTP*435/096
    hospitalized_to: date | None = None
    note: str = ""  # box 19, NTE*ADD
    patient_paid: Decimal = Decimal("0.00")  # AMT*F5, box 29
    accept_assignment: bool = True  # CLM07 A/C, box 27
    benefits_assigned: bool = True  # CLM08 Y/N, box 13 "SIGNATURE ON FILE"
    release_of_information: bool = True  # CLM09 Y/I, box 12 "SIGNATURE ON FILE"
    provider_signature_on_file: bool = True  # CLM06, box 31
    outside_lab: bool = False  # box 20
    signed_on: date | None = None  # box 31 date (the print date when empty)
    other_coverage: OtherCoverage | None = None
    other_payers: tuple[OtherPayer, ...] = ()  # 2320 loops, in the order given
    # 2000B SBR05: why Medicare is not primary, when the claim goes to Medicare as secondary
    # or later (12, 13, 14, 15, 16, 41, 42, 43, 47).
    insurance_type: str = ""

    @property
    def total_charge(self) -> Decimal:
        return sum((ln.charge for ln in self.lines), Decimal("0.00"))

    @property
    def prior_paid(self) -> Decimal:
        """What the other payers paid (the sum of their 2320 AMT*D)."""
        return sum((p.paid for p in self.other_payers if p.paid is not None), Decimal("0.00"))

    @property
    def amount_paid(self) -> Decimal:
        """1500 box 29: what the patient and the other payers paid (NUCC item 29)."""
        return self.patient_paid + self.prior_paid

    @property
    def resubmission_code(self) -> str:
        """Box 22: the frequency code for a replacement or void, empty for an original."""
        return self.frequency if self.frequency in ("7", "8") else ""


@dataclass(frozen=True)
class Submitter:
    """837P loop 1000A (who sends the file) and 1000B (the clearinghouse receiving it)."""

    name: str
    submitter_id: str  # NM109 of 1000A (the ID the clearinghouse gave the clinic)
    contact_name: str
    contact_phone: str  # 10 digits
    receiver_name: str
    receiver_id: str  # NM109 of 1000B
    contact_email: str = ""


@dataclass(frozen=True)
class Printing:
    """Where a printer puts the grid: offsets in tenths of an inch (positive = right/down)."""

    offset_x_tenths: int = 0
    offset_y_tenths: int = 0
