"""The 835 Health Care Claim Payment/Advice, ASC X12 005010X221A1, read into frozen dataclasses.

An 835 is one payment (a check or an EFT) and the claims it pays. Its shape (the 005010X221A1
transaction set listing):

    ST*835 · BPR (handling, BPR02 total paid, BPR03 credit/debit, BPR04 method, BPR16 date)
      NTE · TRN (TRN02 check or EFT trace number, TRN03 payer's '1' + EIN) · CUR · REF*EV/F2
      DTM*405 production date
    loop 1000A  N1*PR the payer · N3 · N4 · REF*2U/EO/HI/NF · PER*CX/BL/IC contacts
    loop 1000B  N1*PE the payee (N103 XX NPI, FI tax ID, XV plan ID) · N3 · N4 · REF*TJ/PQ · RDM
    loop 2000   LX header number · TS3 · TS2 provider summaries (read, not kept)
      loop 2100  CLP one claim · CAS claim adjustments · NM1*QC patient, *IL insured, *74
                 corrected insured, *82 rendering, *TT crossover carrier, *PR corrected priority
                 payer, *GB other subscriber · MIA · MOA · REF · DTM*232/233/036/050 · PER · AMT
                 · QTY
        loop 2110  SVC one service line · DTM*472/150/151 · CAS · REF (REF*6R line item control
                   number) · AMT (AMT*B6 allowed) · QTY · LQ*HE/RX remark codes
    PLB provider adjustments (up to six reason/amount pairs each) · SE

Each ST…SE becomes a `Remittance` with its `ClaimPayment`s (2100), their `ServicePayment`s
(2110) and `Adjustment`s (one per CAS reason triplet), and its `ProviderAdjustment`s (one per
PLB pair). What is kept where it is not obvious:

- `Remittance.payer_id`: REF*2U in 1000A when present; else N1*PR N104 when N103 is XV (the CMS
  plan ID); else TRN03, with the leading '1' dropped when TRN03 is the usual 10 characters
  '1' + 9-digit EIN. `payer_phone`: the TE number of PER*CX, else of PER*BL, digits only.
  `payee_tax_id`: N1*PE N104 when N103 is FI, else REF*TJ in 1000B; `payee_npi`: N104 when N103
  is XX (an XV payee ID is not kept).
- `ClaimPayment.member_id` is NM1*QC NM109 (the patient's ID, whatever NM108 says);
  `insured_member_id` is NM1*IL NM109 (the subscriber's, sent when the patient is a dependent
  or has an ID of their own); `coverage_member_id` gives the insured's when there is one.
  `corrected_member_id` is NM1*74 NM109. `remarks` are the claim's remark codes (MIA05, MIA20–23
  then MOA03–07, in file order). Of the claim amounts (AMT) we keep AU, the coverage amount, and
  I, the interest included in CLP04; the others are information only and not kept.
- `ServicePayment.dos_from`/`dos_to`: DTM*472 sets both to its one date; DTM*150/151 set one
  each. `remarks` are LQ*HE codes (RARC), `pharmacy_remarks` LQ*RX codes (NCPDP reject and
  payment codes), kept apart so the qualifier is never lost.
- CAS01 takes CO, OA, PI and PR, and CR too (the 4010 group a few payers still send).

Amounts are Decimal as written (a positive adjustment reduces the payment, a negative one adds
to it; a reversal, CLP02 22, carries negative amounts), dates datetime.date.

Structural problems — an envelope mismatch, a transaction that is not an 835, BPR, TRN, N1*PR
or N1*PE missing, a segment in a loop where it does not belong (a CLP before LX, an NM1 after
the claim's first SVC, anything after PLB), a CLP without CLP01–CLP07, an amount that is not a
number, a bad date, an SVC01 that is not a qualifier:code composite, a CAS reason without its
amount — are collected and raised together as one X12Error naming file, segment number and
segment ID, never values (names, member IDs). PER*BL and BPR16, required by the TR3, are not
insisted on: posting needs neither. Balancing (BPR02 against the claims and PLB, each claim and
service line against its CAS) is not raised: `Remittance.balance_problems()` lists it, because
an admin may post an unbalanced check with a written reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from app.formats.x12.segments import (
    FunctionalGroup,
    Interchange,
    Segment,
    SegmentProblem,
    Transaction,
    X12Error,
    check_interchanges,
)
from app.gc_pause import paused_gc

VERSION = "005010X221A1"
FUNCTIONAL_ID = "HP"
HANDLING_CODES = frozenset({"C", "D", "H", "I", "P", "U", "X"})
PAYMENT_METHODS = frozenset({"ACH", "BOP", "CHK", "FWT", "NON"})
CLAIM_STATUSES = frozenset({"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"})
ADJUSTMENT_GROUPS = frozenset({"CO", "OA", "PI", "PR", "CR"})
SERVICE_QUALIFIERS = frozenset({"AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"})
CLAIM_NAMES = ("QC", "IL", "74", "82", "TT", "PR", "GB")
REVERSAL = "22"
DENIED = "4"
_PROCESSED_AS = {"1": "primary", "19": "primary", "2": "secondary", "20": "secondary",
                 "3": "tertiary", "21": "tertiary"}
_FORWARDED = frozenset({"19", "20", "21"})
_KNOWN_ID = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


# --- what an 835 says ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Adjustment:
    """One reason triplet of a CAS segment: CAS01 group (CO contractual, PR patient
    responsibility, OA other, PI payer initiated, CR 4010 correction), CARC reason, amount and
    quantity. A positive amount reduces the payment."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class ServicePayment:
    """A service line (loop 2110): SVC01 the procedure as adjudicated, SVC06 as submitted when
    the payer changed it (else the submitted_* fields are empty)."""

    qualifier: str  # SVC01-1: HC, AD, ER, HP, IV, N4, WK, …
    code: str  # SVC01-2
    modifiers: tuple[str, ...] = ()  # SVC01-3 … SVC01-6
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    revenue_code: str = ""  # SVC04 (NUBC)
    units_paid: Decimal | None = None  # SVC05
    submitted_qualifier: str = ""  # SVC06-1
    submitted_code: str = ""  # SVC06-2
    submitted_modifiers: tuple[str, ...] = ()  # SVC06-3 … SVC06-6
    units_submitted: Decimal | None = None  # SVC07
    dos_from: date | None = None  # DTM*472 (both) or DTM*150
    dos_to: date | None = None  # DTM*472 (both) or DTM*151
    control_number: str = ""  # REF*6R: the line item control number we sent
    allowed: Decimal | None = None  # AMT*B6
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # LQ*HE: remittance advice remark codes (RARC)
    pharmacy_remarks: tuple[str, ...] = ()  # LQ*RX: NCPDP reject/payment codes
    segment_no: int = field(default=0, compare=False)  # the SVC's position in the file

    @property
    def adjusted(self) -> Decimal:
        """The sum of this line's CAS amounts."""
        return sum((a.amount for a in self.adjustments), Decimal(0))

    @property
    def patient_responsibility(self) -> Decimal:
        """The sum of this line's PR (patient responsibility) adjustments."""
        return sum((a.amount for a in self.adjustments if a.group == "PR"), Decimal(0))


@dataclass(frozen=True, kw_only=True)
class ClaimPayment:
    """One claim paid, denied or reversed (loop 2100)."""

    claim_id: str  # CLP01: the patient control number = our claim number (CLM01)
    status: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None = None  # CLP05
    filing_indicator: str = ""  # CLP06
    payer_claim_number: str = ""  # CLP07
    facility_code: str = ""  # CLP08 (place of service for a professional claim)
    frequency: str = ""  # CLP09
    patient_last: str = field(default="", repr=False)  # NM1*QC NM103
    patient_first: str = field(default="", repr=False)  # NM1*QC NM104
    member_id: str = field(default="", repr=False)  # NM1*QC NM109
    insured_member_id: str = field(default="", repr=False)  # NM1*IL NM109
    corrected_member_id: str = field(default="", repr=False)  # NM1*74 NM109
    crossover_name: str = ""  # NM1*TT NM103: the payer the claim was forwarded to
    crossover_id: str = ""  # NM1*TT NM109
    priority_payer_name: str = ""  # NM1*PR NM103: the payer that should have been billed first
    priority_payer_id: str = ""  # NM1*PR NM109
    received_on: date | None = None  # DTM*050
    service_from: date | None = None  # DTM*232
    service_to: date | None = None  # DTM*233
    coverage_amount: Decimal | None = None  # AMT*AU
    interest: Decimal | None = None  # AMT*I (included in CLP04)
    adjustments: tuple[Adjustment, ...] = ()  # claim-level CAS
    remarks: tuple[str, ...] = ()  # MIA05, MIA20–23, MOA03–07
    services: tuple[ServicePayment, ...] = ()
    segment_no: int = field(default=0, compare=False)  # the CLP's position in the file

    @property
    def is_reversal(self) -> bool:
        return self.status == REVERSAL

    @property
    def is_denied(self) -> bool:
        return self.status == DENIED

    @property
    def processed_as(self) -> str:
        """'primary', 'secondary', 'tertiary' (CLP02 1/19, 2/20, 3/21), else ''."""
        return _PROCESSED_AS.get(self.status, "")

    @property
    def forwarded(self) -> bool:
        """The payer sent the claim on to another payer (CLP02 19/20/21 or an NM1*TT)."""
        return self.status in _FORWARDED or bool(self.crossover_name or self.crossover_id)

    @property
    def coverage_member_id(self) -> str:
        """The subscriber's member ID: NM1*IL's when sent, else the patient's (NM1*QC)."""
        return self.insured_member_id or self.member_id

    @property
    def all_adjustments(self) -> tuple[Adjustment, ...]:
        """Claim-level adjustments, then each service line's, in file order."""
        return self.adjustments + tuple(a for s in self.services for a in s.adjustments)

    @property
    def adjusted(self) -> Decimal:
        """The sum of every CAS amount of the claim, claim level and service lines."""
        return sum((a.amount for a in self.all_adjustments), Decimal(0))


@dataclass(frozen=True)
class ProviderAdjustment:
    """One reason/amount pair of a PLB segment. A positive amount reduces the payment (a
    recoupment, WO overpayment recovery), a negative one adds to it (L6 interest, a refund)."""

    provider_id: str  # PLB01
    fiscal_period_end: date | None  # PLB02
    reason: str  # PLB03-1: WO, L6, FB, 72, CS, J1, …
    reference: str  # PLB03-2
    amount: Decimal  # PLB04
    segment_no: int = field(default=0, compare=False)


@dataclass(frozen=True, kw_only=True)
class Remittance:
    """One 835 transaction set (ST…SE): one payment and what it pays."""

    filename: str = ""
    interchange_control: str = ""  # ISA13
    group_control: str = ""  # GS06
    transaction_control: str = ""  # ST02
    sender_id: str = ""  # ISA06
    receiver_id: str = ""  # ISA08
    handling: str  # BPR01: C payment and advice, I advice only, H notification only, …
    total_paid: Decimal  # BPR02
    credit_debit: str  # BPR03: C credit, D debit
    method: str  # BPR04: ACH, CHK, BOP, FWT, NON
    paid_on: date | None = None  # BPR16
    trace_number: str  # TRN02: the check or EFT number
    trace_payer_id: str  # TRN03
    payer_name: str  # N1*PR N102
    payer_id: str = ""  # see the module docstring for the rule
    payer_street: str = ""  # N301
    payer_street2: str = ""  # N302
    payer_city: str = ""  # N401
    payer_state: str = ""  # N402
    payer_zip: str = ""  # N403
    payer_phone: str = ""  # PER*CX, else PER*BL, TE number, digits only
    payee_name: str  # N1*PE N102
    payee_npi: str = ""  # N1*PE N104 when N103 is XX
    payee_tax_id: str = ""  # N1*PE N104 when N103 is FI, else REF*TJ
    production_date: date | None = None  # DTM*405
    claims: tuple[ClaimPayment, ...] = ()
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    segment_no: int = field(default=0, compare=False)  # the ST's position in the file

    @property
    def claims_paid(self) -> Decimal:
        """The sum of CLP04 over the claims."""
        return sum((c.paid for c in self.claims), Decimal(0))

    @property
    def provider_adjusted(self) -> Decimal:
        """The sum of the PLB amounts (positive ones reduce the payment)."""
        return sum((p.amount for p in self.provider_adjustments), Decimal(0))

    @property
    def signed_total(self) -> Decimal:
        """BPR02 with its sign: negative when BPR03 says the payer debits (D)."""
        return -self.total_paid if self.credit_debit == "D" else self.total_paid

    def balance_problems(self) -> list[str]:
        """Where the figures do not add up (005010X221A1 section 1.10.2.1), in plain words
        with amounts; [] when the remittance balances:
        - BPR02 (negative when BPR03 is D) = sum of CLP04 − sum of PLB amounts;
        - each claim with service lines or claim-level CAS: CLP03 − CLP04 = the sum of every
          CAS amount of the claim, claim level and service lines;
        - each service line: SVC02 − SVC03 = the sum of its CAS amounts.
        Reversals (CLP02 22) follow the same rules with negative amounts. Claims are named by
        position, CLP01 (our own claim number) and segment number, never by patient."""
        out: list[str] = []
        paid, plb = self.claims_paid, self.provider_adjusted
        if paid - plb != self.signed_total:
            out.append(f"The check total is {money(self.signed_total)} but its claims pay "
                       f"{money(paid)} less provider adjustments of {money(plb)} = "
                       f"{money(paid - plb)}.")
        for n, claim in enumerate(self.claims, start=1):
            # A claim with neither lines nor CAS carries no adjustment detail to check.
            if (claim.services or claim.adjustments) and \
                    claim.charge - claim.paid != claim.adjusted:
                out.append(f"Claim {n} ({claim.claim_id}, segment {claim.segment_no}) does not "
                           f"balance: {_difference(claim.charge, claim.paid, claim.adjusted)}")
            for k, line in enumerate(claim.services, start=1):
                if line.charge - line.paid != line.adjusted:
                    out.append(f"Service line {k} of claim {n} ({claim.claim_id}, segment "
                               f"{line.segment_no}) does not balance: "
                               f"{_difference(line.charge, line.paid, line.adjusted)}")
        return out


def _difference(charge: Decimal, paid: Decimal, adjusted: Decimal) -> str:
    return (f"charged {money(charge)}, paid {money(paid)}, a difference of "
            f"{money(charge - paid)}, but its adjustments (CAS) add up to {money(adjusted)}.")


def money(value: Decimal) -> str:
    """'$1,234.50', '-$9.00': amounts in balancing messages."""
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


# --- values ------------------------------------------------------------------------------------
def _decimal(value: str) -> Decimal | None:
    """An X12 R (decimal) value: optional minus, digits, optional point; None when it is not.
    Checked with str methods rather than a regex or Decimal alone (which also takes exponents,
    NaN, '+' and '_'): this runs on every amount of a 5,000-claim file."""
    digits = value.replace(".", "", 1)
    if digits[:1] == "-":
        digits = digits[1:]
    if digits.isdigit() and digits.isascii():
        return Decimal(value)
    return None


def _d8(value: str) -> date | None:
    """A CCYYMMDD date; None when it is not one."""
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _digits(value: str) -> str:
    return "".join(c for c in value if "0" <= c <= "9")


def _phone(s: Segment) -> str:
    """The first TE (telephone) number of a PER segment, digits only."""
    for n in (3, 5, 7):
        if s.el(n).strip() == "TE":
            return _digits(s.el(n + 1))
    return ""


def wrong_kind(tx: Transaction) -> str:
    """What to tell the clerk when a transaction is not an 835 of 005010X221A1, '' when it is."""
    code, version = tx.code.strip(), tx.version.strip()
    if code == "835":
        if not version or version.startswith("005010X221"):
            return ""
        if version.startswith("004010"):
            return ("This 835 is the older 4010 version (004010X091A1); ClinicClerk reads the "
                    "005010X221A1 remittance advice only. Ask the payer for a 5010 835.")
        return "This 835 is not the 005010X221A1 remittance advice (ST03/GS08 names another " \
               "version)."
    if code == "999":
        return ("This is a 999 implementation acknowledgment, not an 835 remittance advice; "
                "import it as a 999.")
    if code == "277":
        return ("This is a 277 claim acknowledgment or status response, not an 835 remittance "
                "advice.")
    if code == "837":
        return "This is an 837 claim, not an 835 remittance advice."
    known = 2 <= len(code) <= 3 and all(c in _KNOWN_ID for c in code)
    shown = code if known else "blank or unreadable"
    return f"This is a {shown} transaction, not an 835 remittance advice."


# --- reading -----------------------------------------------------------------------------------
_T = TypeVar("_T")


def _build(cls: type[_T], **values: object) -> _T:
    """An instance of the frozen dataclass `cls` with `values` for every one of its fields,
    made without calling its __init__. Why: a frozen dataclass's __init__ sets each field
    through object.__setattr__, about 8 µs for ServicePayment on a slow machine, and a
    5,000-claim file makes some 40,000 of these objects; filling __dict__ in one call takes a
    tenth of that. The result is the same frozen dataclass (equality, hash and immutability
    unchanged); every field must be given (a test rebuilds each one through __init__)."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


# The loop the reader is in.
_HEADER, _PAYER, _PAYEE, _LX, _CLAIM, _LINE, _PLB = (
    "header", "1000A", "1000B", "2000", "2100", "2110", "PLB")
_PLACE = {
    _HEADER: "in the header, before the payer (N1*PR)",
    _PAYER: "in the payer loop (1000A, N1*PR)",
    _PAYEE: "in the payee loop (1000B, N1*PE)",
    _LX: "straight after LX (loop 2000): a claim (CLP) must come first",
    _CLAIM: "in a claim (loop 2100)",
    _LINE: "in a service line (loop 2110): claim-level segments come before the first SVC",
    _PLB: "after PLB: only more PLB segments may end an 835",
}
# Segments that belong to loops without opening one, and the loops they may sit in.
_WHERE = {
    "NTE": {_HEADER}, "TRN": {_HEADER}, "CUR": {_HEADER},
    "REF": {_HEADER, _PAYER, _PAYEE, _CLAIM, _LINE}, "DTM": {_HEADER, _CLAIM, _LINE},
    "N3": {_PAYER, _PAYEE}, "N4": {_PAYER, _PAYEE}, "PER": {_PAYER, _CLAIM}, "RDM": {_PAYEE},
    "TS3": {_LX}, "TS2": {_LX}, "CAS": {_CLAIM, _LINE}, "NM1": {_CLAIM}, "MIA": {_CLAIM},
    "MOA": {_CLAIM}, "AMT": {_CLAIM, _LINE}, "QTY": {_CLAIM, _LINE}, "LQ": {_LINE},
}
_DATES = {_HEADER: ("405",), _CLAIM: ("232", "233", "036", "050"), _LINE: ("472", "150", "151")}


@dataclass(slots=True)
class _Line:
    seg: Segment
    qualifier: str
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal | None
    paid: Decimal | None
    units: Decimal | None
    submitted: tuple[str, ...]
    units_submitted: Decimal | None
    dos_from: date | None = None
    dos_to: date | None = None
    control: str = ""
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    rx: list[str] = field(default_factory=list)

    def freeze(self) -> ServicePayment:
        s, sub = self.seg, self.submitted
        return _build(
            ServicePayment, qualifier=self.qualifier, code=self.code, modifiers=self.modifiers,
            charge=self.charge if self.charge is not None else Decimal(0),
            paid=self.paid if self.paid is not None else Decimal(0),
            revenue_code=s.el(4).strip(), units_paid=self.units,
            submitted_qualifier=sub[0] if sub else "",
            submitted_code=sub[1] if len(sub) > 1 else "",
            submitted_modifiers=tuple(m for m in sub[2:6] if m) if len(sub) > 2 else (),
            units_submitted=self.units_submitted, dos_from=self.dos_from, dos_to=self.dos_to,
            control_number=self.control, allowed=self.allowed,
            adjustments=tuple(self.adjustments),
            remarks=tuple(self.remarks) if self.remarks else (),
            pharmacy_remarks=tuple(self.rx) if self.rx else (), segment_no=s.position)


@dataclass(slots=True)
class _Claim:
    seg: Segment
    charge: Decimal | None
    paid: Decimal | None
    responsibility: Decimal | None
    names: dict[str, Segment] = field(default_factory=dict)
    dates: dict[str, date] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)

    def freeze(self) -> ClaimPayment:
        s, names = self.seg, self.names
        qc, il, corrected = names.get("QC"), names.get("IL"), names.get("74")
        tt, pr = names.get("TT"), names.get("PR")
        return _build(
            ClaimPayment, claim_id=s.el(1).strip(), status=s.el(2).strip(),
            charge=self.charge if self.charge is not None else Decimal(0),
            paid=self.paid if self.paid is not None else Decimal(0),
            patient_responsibility=self.responsibility, filing_indicator=s.el(6).strip(),
            payer_claim_number=s.el(7).strip(), facility_code=s.el(8).strip(),
            frequency=s.el(9).strip(),
            patient_last=qc.el(3).strip() if qc else "",
            patient_first=qc.el(4).strip() if qc else "",
            member_id=qc.el(9).strip() if qc else "",
            insured_member_id=il.el(9).strip() if il else "",
            corrected_member_id=corrected.el(9).strip() if corrected else "",
            crossover_name=tt.el(3).strip() if tt else "",
            crossover_id=tt.el(9).strip() if tt else "",
            priority_payer_name=pr.el(3).strip() if pr else "",
            priority_payer_id=pr.el(9).strip() if pr else "",
            received_on=self.dates.get("050"), service_from=self.dates.get("232"),
            service_to=self.dates.get("233"), coverage_amount=self.amounts.get("AU"),
            interest=self.amounts.get("I"), adjustments=tuple(self.adjustments),
            remarks=tuple(self.remarks), services=tuple(ln.freeze() for ln in self.lines),
            segment_no=s.position)


class _Reader:
    """Reads one 835 transaction set segment by segment, in one pass."""

    def __init__(self, filename: str, tx: Transaction) -> None:
        self.f = filename
        self.tx = tx
        self.problems: list[SegmentProblem] = []
        self.loop = _HEADER
        self.bpr: Segment | None = None
        self.total: Decimal | None = None
        self.paid_on: date | None = None
        self.trn: Segment | None = None
        self.production: date | None = None
        self.payer: Segment | None = None
        self.payee: Segment | None = None
        self.payer_ref = ""  # REF*2U
        self.payee_tax_ref = ""  # REF*TJ
        self.payer_address: list[str] = ["", "", "", "", ""]
        self.phones: dict[str, str] = {}
        self.lx: Segment | None = None
        self.lx_claims = 0
        # BPR must open the 835; a missing one is reported once, at the end.
        self.bpr_late = bool(tx.segments) and tx.segments[0].id != "BPR"
        self.claims: list[_Claim] = []
        self.claim: _Claim | None = None
        self.line: _Line | None = None
        self.plb: list[ProviderAdjustment] = []
        # Values repeat (dates of service, units, common amounts): parse each text once.
        self.numbers: dict[str, Decimal] = {}
        self.days: dict[str, date] = {}
        handlers: dict[str, Callable[[Segment], None]] = {
            "BPR": self.on_bpr, "TRN": self.on_trn, "REF": self.on_ref, "DTM": self.on_dtm,
            "N1": self.on_n1, "N3": self.on_n3, "N4": self.on_n4, "PER": self.on_per,
            "LX": self.on_lx, "CLP": self.on_clp, "CAS": self.on_cas, "NM1": self.on_nm1,
            "MIA": self.on_mia, "MOA": self.on_moa, "AMT": self.on_amt, "QTY": self.on_qty,
            "SVC": self.on_svc, "LQ": self.on_lq, "PLB": self.on_plb,
            "NTE": self.skip, "CUR": self.skip, "RDM": self.skip, "TS3": self.skip,
            "TS2": self.skip}
        # One lookup per segment: its handler and the loops it may sit in (None: it opens or
        # checks its own loop).
        self.dispatch = {k: (h, _WHERE.get(k)) for k, h in handlers.items()}

    def bad(self, s: Segment, message: str) -> None:
        self.problems.append(SegmentProblem(self.f, s.position, s.id, message))

    # values ------------------------------------------------------------------------------------
    def _parsed(self, s: Segment, n: int, what: str, required: bool, cache: dict[str, Any],
                parse: Callable[[str], Any], kind: str) -> Any:
        """Element `n` of `s` read with `parse` (cached per distinct text: an ERA repeats the
        same amounts and dates thousands of times), or None with the problem recorded."""
        els = s.elements
        value = els[n - 1].strip() if len(els) >= n else ""
        if not value:
            if required:
                self.bad(s, f"{s.id}{n:02d}, {what}, is missing.")
            return None
        found = cache.get(value)
        if found is None:
            found = parse(value)
            if found is None:
                self.bad(s, f"{s.id}{n:02d}, {what}, is not {kind}.")
                return None
            cache[value] = found
        return found

    def amount(self, s: Segment, n: int, what: str, *, required: bool = True
               ) -> Decimal | None:
        return cast("Decimal | None", self._parsed(s, n, what, required, self.numbers,
                                                   _decimal, "a number"))

    def day(self, s: Segment, n: int, what: str, *, required: bool = True) -> date | None:
        return cast("date | None", self._parsed(s, n, what, required, self.days, _d8,
                                                "a valid date (CCYYMMDD)"))

    def required(self, s: Segment, n: int, what: str) -> str:
        els = s.elements
        value = els[n - 1].strip() if len(els) >= n else ""
        if not value:
            self.bad(s, f"{s.id}{n:02d}, {what}, is missing.")
        return value

    # dispatch ----------------------------------------------------------------------------------
    def read(self, segments: Sequence[Segment]) -> None:
        """Hand each segment to its handler, once its loop has been checked."""
        get = self.dispatch.get
        for s in segments:
            entry = get(s.id)
            if entry is None:
                if s.id != "?":  # split_segments has already reported an unreadable segment
                    self.bad(s, "This is not a segment an 835 uses.")
            elif entry[1] is not None and self.loop not in entry[1]:
                self.bad(s, f"{s.id} cannot come {_PLACE[self.loop]}.")
            else:
                entry[0](s)

    def skip(self, s: Segment) -> None:
        """Segments read for their place only (NTE, CUR, RDM, TS3, TS2)."""

    # header ------------------------------------------------------------------------------------
    def on_bpr(self, s: Segment) -> None:
        if self.bpr is not None:
            self.bad(s, "A second BPR: an 835 pays one check or EFT.")
            return
        if self.bpr_late:
            self.bad(s, "BPR must be the first segment after ST.")
        self.bpr = s
        if s.el(1).strip() not in HANDLING_CODES:
            self.bad(s, "BPR01 is not a transaction handling code (C, D, H, I, P, U or X).")
        self.total = self.amount(s, 2, "the total actual provider payment")
        if s.el(3).strip() not in ("C", "D"):
            self.bad(s, "BPR03 must be C (credit) or D (debit).")
        if s.el(4).strip() not in PAYMENT_METHODS:
            self.bad(s, "BPR04 is not a payment method (ACH, BOP, CHK, FWT or NON).")
        self.paid_on = self.day(s, 16, "the check issue or EFT effective date", required=False)

    def on_trn(self, s: Segment) -> None:
        if self.trn is not None:
            self.bad(s, "A second TRN: an 835 has one reassociation trace number.")
            return
        self.trn = s
        if s.el(1).strip() != "1":
            self.bad(s, "TRN01 must be 1 (current transaction trace numbers).")
        self.required(s, 2, "the check or EFT trace number")
        self.required(s, 3, "the payer identifier")

    def on_ref(self, s: Segment) -> None:
        els = s.elements
        qualifier = els[0].strip() if els else ""
        value = els[1].strip() if len(els) > 1 else ""
        if not qualifier or not value:
            self.bad(s, "REF01 (the qualifier) or REF02 (the reference) is missing.")
        elif self.loop == _PAYER and qualifier == "2U" and not self.payer_ref:
            self.payer_ref = value
        elif self.loop == _PAYEE and qualifier == "TJ" and not self.payee_tax_ref:
            self.payee_tax_ref = value
        elif self.loop == _LINE and qualifier == "6R" and self.line is not None:
            self.line.control = value

    def on_dtm(self, s: Segment) -> None:
        qualifier = s.elements[0].strip() if s.elements else ""
        allowed = _DATES[self.loop]
        if qualifier not in allowed:
            self.bad(s, f"DTM01 is not a date qualifier used {_PLACE[self.loop]} "
                        f"({', '.join(allowed)}).")
            return
        when = self.day(s, 2, "the date")
        if when is None:
            return
        if self.loop == _HEADER:
            self.production = when
        elif self.loop == _CLAIM and self.claim is not None:
            self.claim.dates[qualifier] = when
        elif self.line is not None:
            if qualifier in ("472", "150"):
                self.line.dos_from = when
            if qualifier in ("472", "151"):
                self.line.dos_to = when

    # 1000A, 1000B --------------------------------------------------------------------------------
    def on_n1(self, s: Segment) -> None:
        entity = s.el(1).strip()
        if entity == "PR":
            if self.payer is not None:
                self.bad(s, "A second N1*PR: an 835 has one payer (loop 1000A).")
            elif self.loop != _HEADER:
                self.bad(s, "N1*PR (the payer, loop 1000A) must follow the header (BPR, TRN, "
                            "DTM*405).")
            self.payer = self.payer or s
            self.loop = _PAYER
        elif entity == "PE":
            if self.payee is not None:
                self.bad(s, "A second N1*PE: an 835 has one payee (loop 1000B).")
            elif self.loop != _PAYER:
                self.bad(s, "N1*PE (the payee, loop 1000B) must follow the payer loop (N1*PR, "
                            "1000A).")
            self.payee = self.payee or s
            self.loop = _PAYEE
            if s.el(3).strip() not in ("FI", "XV", "XX"):
                self.bad(s, "N103 must be FI (tax ID), XV (CMS plan ID) or XX (NPI).")
            self.required(s, 4, "the payee identifier")
        else:
            self.bad(s, "N101 must be PR (the payer) or PE (the payee) in an 835.")
            return
        self.required(s, 2, "the name")

    def on_n3(self, s: Segment) -> None:
        self.required(s, 1, "the address")
        if self.loop == _PAYER:
            self.payer_address[0:2] = [s.el(1).strip(), s.el(2).strip()]

    def on_n4(self, s: Segment) -> None:
        if self.loop == _PAYER:
            self.payer_address[2:5] = [s.el(1).strip(), s.el(2).strip(), s.el(3).strip()]

    def on_per(self, s: Segment) -> None:
        function = s.el(1).strip()
        if self.loop == _PAYER:
            if function not in ("CX", "BL", "IC"):
                self.bad(s, "PER01 must be CX (business contact), BL (technical contact) or IC "
                            "(web site) in the payer loop.")
            elif function not in self.phones:
                self.phones[function] = _phone(s)

    # 2000 ----------------------------------------------------------------------------------------
    def on_lx(self, s: Segment) -> None:
        if self.loop in (_HEADER, _PAYER):
            self.bad(s, "LX (loop 2000) must follow the payee loop (N1*PE, 1000B).")
        elif self.loop == _PLB:
            self.bad(s, f"LX cannot come {_PLACE[_PLB]}.")
            return
        self.close_lx()
        value = s.el(1).strip()
        if not value.isascii() or not value.isdigit():
            self.bad(s, "LX01, the header number, is not a whole number.")
        self.lx, self.lx_claims = s, 0
        self.claim, self.line = None, None
        self.loop = _LX

    def close_lx(self) -> None:
        if self.lx is not None and not self.lx_claims:
            self.bad(self.lx, "This LX (loop 2000) has no claim (CLP) in it.")
        self.lx = None

    # 2100 ----------------------------------------------------------------------------------------
    def on_clp(self, s: Segment) -> None:
        if self.loop not in (_LX, _CLAIM, _LINE):
            self.bad(s, "CLP (a claim, loop 2100) must come after LX (loop 2000)."
                     if self.loop != _PLB else f"CLP cannot come {_PLACE[_PLB]}.")
        count = len(s.elements)
        if count < 7:
            self.bad(s, f"CLP has {count} elements; CLP01 to CLP07 are required.")
        elif count > 14:
            self.bad(s, f"CLP has {count} elements; the most an 835 allows is 14.")
        self.required(s, 1, "the patient control number")
        if s.el(2).strip() not in CLAIM_STATUSES:
            self.bad(s, "CLP02 is not a claim status code an 835 uses (1, 2, 3, 4, 19, 20, 21, "
                        "22, 23 or 25).")
        claim = _Claim(s, self.amount(s, 3, "the total claim charge"),
                       self.amount(s, 4, "the claim payment"),
                       self.amount(s, 5, "the patient responsibility", required=False))
        if count >= 7:
            self.required(s, 6, "the claim filing indicator")
            self.required(s, 7, "the payer claim control number")
        self.claims.append(claim)
        self.claim, self.line = claim, None
        self.lx_claims += 1
        self.loop = _CLAIM

    def on_cas(self, s: Segment) -> None:
        found = self.cas(s)
        if self.loop == _LINE and self.line is not None:
            self.line.adjustments += found
        elif self.claim is not None:
            self.claim.adjustments += found

    def cas(self, s: Segment) -> list[Adjustment]:
        """One Adjustment per reason triplet. The common well-formed CAS takes the short way;
        anything odd goes through `cas_checked`, which finds and words every problem."""
        els = s.elements
        count = len(els)
        group = els[0] if els else ""
        if group not in ADJUSTMENT_GROUPS or not 3 <= count <= 19:
            return self.cas_checked(s)
        numbers, out = self.numbers, []
        for n in range(1, count, 3):  # the reasons: CAS02, 05, 08, 11, 14, 17
            reason = els[n].strip()
            text = els[n + 1].strip() if n + 1 < count else ""
            value = numbers.get(text)
            if value is None:
                value = _decimal(text)
            if not reason or value is None:
                return self.cas_checked(s)
            numbers[text] = value
            quantity = None
            if n + 2 < count and els[n + 2]:
                quantity = numbers.get(els[n + 2])
                if quantity is None:
                    quantity = _decimal(els[n + 2])
                if quantity is None:
                    return self.cas_checked(s)
            out.append(_build(Adjustment, group=group, reason=reason, amount=value,
                              quantity=quantity))
        return out

    def cas_checked(self, s: Segment) -> list[Adjustment]:
        els = s.elements
        count = len(els)
        group = els[0].strip() if els else ""
        if group not in ADJUSTMENT_GROUPS:
            self.bad(s, "CAS01 is not a claim adjustment group code (CO, OA, PI or PR).")
        if count > 19:
            self.bad(s, "CAS has more than 19 elements (six reason, amount, quantity triplets).")
        if count < 2 or not els[1].strip():
            self.bad(s, "CAS02, the first adjustment reason code, is missing.")
        out: list[Adjustment] = []
        for n in range(2, min(count, 17) + 1, 3):  # CAS02, 05, 08, 11, 14, 17
            reason = els[n - 1].strip()
            if not reason:
                if s.el(n + 1).strip() or s.el(n + 2).strip():
                    self.bad(s, f"CAS{n + 1:02d} or CAS{n + 2:02d} is given without a reason "
                                f"code in CAS{n:02d}.")
                continue
            amount = self.amount(s, n + 1, f"the amount for the reason in CAS{n:02d}")
            quantity = None
            if count > n + 1 and els[n + 1]:
                quantity = self.amount(s, n + 2, f"the quantity for the reason in CAS{n:02d}",
                                       required=False)
            if amount is not None:
                out.append(Adjustment(group, reason, amount, quantity))
        return out

    def on_nm1(self, s: Segment) -> None:
        entity = s.el(1).strip()
        claim = self.claim
        if entity not in CLAIM_NAMES:
            self.bad(s, "NM101 is not a party an 835 claim names (QC, IL, 74, 82, TT, PR or "
                        "GB).")
        elif claim is not None:
            if entity in claim.names:
                self.bad(s, f"A second NM1*{entity} in one claim.")
            else:
                claim.names[entity] = s

    def on_mia(self, s: Segment) -> None:
        if self.claim is not None:
            self.claim.remarks += [c for c in (s.el(n).strip() for n in (5, 20, 21, 22, 23))
                                   if c]

    def on_moa(self, s: Segment) -> None:
        if self.claim is not None:
            self.claim.remarks += [c for c in (s.el(n).strip() for n in range(3, 8)) if c]

    def on_amt(self, s: Segment) -> None:
        value = self.amount(s, 2, "the amount")
        qualifier = self.required(s, 1, "the amount qualifier")
        if value is None:
            return
        if self.loop == _CLAIM and self.claim is not None:
            self.claim.amounts.setdefault(qualifier, value)
        elif self.loop == _LINE and self.line is not None and qualifier == "B6":
            self.line.allowed = value

    def on_qty(self, s: Segment) -> None:
        self.required(s, 1, "the quantity qualifier")
        self.amount(s, 2, "the quantity")

    # 2110 ----------------------------------------------------------------------------------------
    def on_svc(self, s: Segment) -> None:
        if self.loop not in (_CLAIM, _LINE) or self.claim is None:
            self.bad(s, "SVC (a service line, loop 2110) must be inside a claim, after its CLP."
                     if self.loop != _PLB else f"SVC cannot come {_PLACE[_PLB]}.")
        els, sep = s.elements, s.delimiters.component
        procedure = [p.strip() for p in els[0].split(sep)] if els else []
        if len(procedure) < 2 or not procedure[0] or not procedure[1]:
            self.bad(s, "SVC01 must be a composite: a product or service ID qualifier (HC, AD, "
                        f"…) and the procedure code, joined by '{sep}' (the component "
                        "separator in ISA16).")
            procedure += ["", ""]
        elif procedure[0] not in SERVICE_QUALIFIERS:
            self.bad(s, "SVC01-1 is not a product or service ID qualifier an 835 uses (AD, ER, "
                        "HC, HP, IV, N4, N6, NU, UI or WK).")
        submitted: tuple[str, ...] = ()
        if len(els) >= 6 and els[5]:
            submitted = tuple(p.strip() for p in els[5].split(sep))
            if len(submitted) < 2 or not submitted[0] or not submitted[1]:
                self.bad(s, "SVC06, the procedure as submitted, must be a qualifier and a code "
                            f"joined by '{sep}'.")
        line = _Line(s, procedure[0], procedure[1],
                     tuple(m for m in procedure[2:6] if m) if len(procedure) > 2 else (),
                     self.amount(s, 2, "the line item charge"),
                     self.amount(s, 3, "the line item provider payment"),
                     self.amount(s, 5, "the units of service paid", required=False)
                     if len(els) >= 5 else None,
                     submitted,
                     self.amount(s, 7, "the original units of service", required=False)
                     if len(els) >= 7 else None)
        if self.claim is not None and self.loop != _PLB:
            self.claim.lines.append(line)
            self.loop = _LINE
        self.line = line

    def on_lq(self, s: Segment) -> None:
        qualifier = s.el(1).strip()
        code = self.required(s, 2, "the remark code")
        if qualifier not in ("HE", "RX"):
            self.bad(s, "LQ01 must be HE (remittance advice remark code) or RX (NCPDP reject "
                        "or payment code).")
        elif code and self.line is not None:
            (self.line.remarks if qualifier == "HE" else self.line.rx).append(code)

    # PLB -----------------------------------------------------------------------------------------
    def on_plb(self, s: Segment) -> None:
        if self.loop in (_HEADER, _PAYER):
            self.bad(s, "PLB (provider adjustments) must come after the payee loop (N1*PE, "
                        "1000B) and the claims.")
        self.close_lx()
        self.loop = _PLB
        provider = self.required(s, 1, "the provider identifier")
        fiscal = self.day(s, 2, "the fiscal period date")
        els = s.elements
        if len(els) > 14:
            self.bad(s, "PLB has more than 14 elements (six reason and amount pairs).")
        if not s.el(3).strip():
            self.bad(s, "PLB03, the first adjustment identifier, is missing.")
        for n in range(3, min(len(els), 13) + 1, 2):  # PLB03, 05, 07, 09, 11, 13
            parts = s.components(n)
            reason = parts[0].strip() if parts else ""
            if not reason:
                if s.el(n + 1).strip():
                    self.bad(s, f"PLB{n + 1:02d} is given without a reason code in "
                                f"PLB{n:02d}-1.")
                continue
            amount = self.amount(s, n + 1, f"the amount for PLB{n:02d}")
            if amount is not None:
                reference = parts[1].strip() if len(parts) > 1 else ""
                self.plb.append(ProviderAdjustment(provider, fiscal, reason, reference, amount,
                                                   s.position))

    # the end -------------------------------------------------------------------------------------
    def finish(self, ic: Interchange, group: FunctionalGroup) -> Remittance | None:
        """The Remittance, or None when a problem was found (the caller raises)."""
        st = Segment("ST", (), self.tx.position)
        self.close_lx()
        if self.bpr is None:
            self.bad(st, "The 835 has no BPR (the financial information: the check or EFT "
                         "total).")
        if self.trn is None:
            self.bad(st, "The 835 has no TRN (the check or EFT trace number).")
        if self.payer is None:
            self.bad(st, "The 835 has no N1*PR naming the payer (loop 1000A).")
        if self.payee is None:
            self.bad(st, "The 835 has no N1*PE naming the payee (loop 1000B).")
        for claim in self.claims:
            if "QC" not in claim.names:
                self.bad(claim.seg, "This claim (CLP) has no NM1*QC naming the patient.")
        if self.problems or self.bpr is None or self.trn is None or self.payer is None \
                or self.payee is None or self.total is None:
            return None
        return self.remittance(ic, group, self.bpr, self.trn, self.payer, self.payee,
                               self.total)

    def remittance(self, ic: Interchange, group: FunctionalGroup, bpr: Segment, trn: Segment,
                   payer: Segment, payee: Segment, total: Decimal) -> Remittance:
        payee_qualifier, payee_id = payee.el(3).strip(), payee.el(4).strip()
        street, street2, city, state, zip_code = self.payer_address
        return Remittance(
            filename=self.f, interchange_control=ic.control, group_control=group.control,
            transaction_control=self.tx.control, sender_id=ic.sender_id,
            receiver_id=ic.receiver_id, handling=bpr.el(1).strip(), total_paid=total,
            credit_debit=bpr.el(3).strip(), method=bpr.el(4).strip(), paid_on=self.paid_on,
            trace_number=trn.el(2).strip(), trace_payer_id=trn.el(3).strip(),
            payer_name=payer.el(2).strip(), payer_id=self.payer_id(payer, trn),
            payer_street=street, payer_street2=street2, payer_city=city, payer_state=state,
            payer_zip=zip_code,
            payer_phone=self.phones.get("CX") or self.phones.get("BL") or "",
            payee_name=payee.el(2).strip(),
            payee_npi=payee_id if payee_qualifier == "XX" else "",
            payee_tax_id=payee_id if payee_qualifier == "FI" else self.payee_tax_ref,
            production_date=self.production, claims=tuple(c.freeze() for c in self.claims),
            provider_adjustments=tuple(self.plb), segment_no=self.tx.position)

    def payer_id(self, payer: Segment, trn: Segment) -> str:
        """REF*2U; else N1*PR N104 when N103 is XV; else TRN03 without the '1' before the
        payer's 9-digit EIN."""
        if self.payer_ref:
            return self.payer_ref
        if payer.el(3).strip() == "XV" and payer.el(4).strip():
            return payer.el(4).strip()
        trace_payer = trn.el(3).strip()
        if len(trace_payer) == 10 and trace_payer.startswith("1"):
            return trace_payer[1:]
        return trace_payer


def read_835(data: bytes | str, filename: str) -> list[Remittance]:
    """Every 835 transaction in the file, one `Remittance` per ST…SE (several interchanges,
    groups and transactions allowed). X12Error listing every structural problem when anything
    is wrong; nothing is returned half-read. Balancing is not checked here: see
    `Remittance.balance_problems`."""
    with paused_gc():
        found, problems = check_interchanges(data, filename)
        out: list[Remittance] = []
        for ic in found:
            for group in ic.groups:
                for tx in group.transactions:
                    if message := wrong_kind(tx):
                        problems.append(SegmentProblem(filename, tx.position, "ST", message))
                        continue
                    reader = _Reader(filename, tx)
                    reader.read(tx.segments)
                    remittance = reader.finish(ic, group)
                    problems += reader.problems
                    if remittance is not None:
                        out.append(remittance)
    if not problems and not out:
        problems.append(SegmentProblem(filename, 0, "", "The file holds no 835 transaction "
                                                        "(ST…SE)."))
    if problems:
        raise X12Error(sorted(problems, key=lambda p: p.segment_no))
    return out
