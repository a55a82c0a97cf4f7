"""The 835 Health Care Claim Payment/Advice, ASC X12 005010X221A1, written from the dataclasses
`x835.read_835` returns: for tests, the demo clinic and benchmarks (a clinic never sends an 835;
it receives them).

`build_835` writes one interchange (ISA/GS/…/GE/IEA, GS01 HP, GS08 005010X221A1) with one ST…SE
per `Remittance` (no ST03: the 005010X221A1 guide marks it "not used", and pyx12's maps refuse
it), in the order of the 005010X221A1 transaction set listing:

    BPR (BPR01–04, BPR16) · TRN*1 · DTM*405
    1000A  N1*PR · N3 · N4 · REF*2U (payer_id, when given) · PER*BL (payer_phone as TE)
    1000B  N1*PE (XX NPI, else FI tax ID) · REF*TJ (the tax ID when N1*PE carries the NPI)
    2000   LX*1 once, when there are claims
      2100  CLP · CAS · NM1*QC · NM1*IL · NM1*74 · NM1*TT · NM1*PR · MOA (remarks in MOA03–07)
            · DTM*232/233/050 · AMT*AU/I
        2110  SVC · DTM*472 (one date) or DTM*150/151 · CAS · REF*6R · AMT*B6 · LQ*HE · LQ*RX
    PLB (consecutive adjustments of one provider and fiscal date, six pairs a segment)

Adjustments are written as they come, consecutive ones of a group sharing a CAS (six triplets
at most), so reading the file back gives the same tuples in the same order. What is written
reads back equal (`read_835`) when its free text is already X12 text (upper case, single
spaces) and `payer_id` is given (an empty one reads back as the ID derived from TRN03); the
envelope fields come from the `Envelope`, the remittance's own (filename, controls,
sender/receiver) are ignored.

Free text (names, addresses) goes through `x12_text`; identifiers and codes are written as they
are, and a delimiter inside one is a bug (ValueError from the segment writer). Bank routing
details (BPR05–BPR15) are not written: ClinicClerk keeps none. A remittance that cannot make a
valid 835 — no trace number, payer address or phone (N3, N4 and PER*BL are required in 1000A),
no payee identifier, more than five claim remarks, more than four modifiers, a PLB without its
fiscal period date — is a ValueError: callers build these from their own data, so it is a bug,
not a clerk's mistake.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import TypeVar

from app.errors import ValidationError
from app.formats.x12.segments import Element, Envelope, X12Writer, check_envelope, x12_text
from app.formats.x12.x835 import (
    FUNCTIONAL_ID,
    VERSION,
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)

_MOST_CLAIM_REMARKS = 5  # MOA03–MOA07
_MOST_MODIFIERS = 4  # SVC01-3 … SVC01-6
_PAIRS = 6  # reason triplets in a CAS, reason pairs in a PLB
_T = TypeVar("_T")


def amount(value: Decimal) -> str:
    """An X12 R value: no exponent, no trailing zeros after the point ('12.5', '-9', '0')."""
    if not isinstance(value, Decimal):
        raise TypeError("835 amounts are Decimal")
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _maybe(value: Decimal | None) -> str:
    return amount(value) if value is not None else ""


def _d8(value: date) -> str:
    return f"{value:%Y%m%d}"


class _Body:
    """The segments of one transaction set being written."""

    def __init__(self, w: X12Writer) -> None:
        self.w = w
        self.lines: list[str] = []

    def add(self, seg_id: str, *elements: Element) -> None:
        self.lines.append(self.w.segment(seg_id, *elements))

    def text(self, value: str) -> str:
        return x12_text(value, self.w.d)

    # header, 1000A, 1000B ------------------------------------------------------------------------
    def header(self, r: Remittance) -> None:
        missing = [label for label, value in (
            ("TRN02 (trace number)", r.trace_number), ("TRN03 (payer identifier)",
                                                       r.trace_payer_id),
            ("N1*PR (payer name)", r.payer_name), ("N3 (payer street)", r.payer_street),
            ("N4 (payer city, state and ZIP)", r.payer_city and r.payer_state and r.payer_zip),
            ("PER*BL (payer phone)", r.payer_phone), ("N1*PE (payee name)", r.payee_name))
            if not value]
        if missing:
            raise ValueError(f"an 835 needs {', '.join(missing)}")
        self.add("BPR", r.handling, amount(r.total_paid), r.credit_debit, r.method,
                 *([""] * 11), _d8(r.paid_on) if r.paid_on else "")
        self.add("TRN", "1", r.trace_number, r.trace_payer_id)
        if r.production_date:
            self.add("DTM", "405", _d8(r.production_date))
        self.add("N1", "PR", self.text(r.payer_name))
        self.add("N3", self.text(r.payer_street), self.text(r.payer_street2))
        self.add("N4", self.text(r.payer_city), r.payer_state, r.payer_zip)
        if r.payer_id:
            self.add("REF", "2U", r.payer_id)
        self.add("PER", "BL", "", "TE", r.payer_phone)
        if r.payee_npi:
            self.add("N1", "PE", self.text(r.payee_name), "XX", r.payee_npi)
            if r.payee_tax_id:
                self.add("REF", "TJ", r.payee_tax_id)
        elif r.payee_tax_id:
            self.add("N1", "PE", self.text(r.payee_name), "FI", r.payee_tax_id)
        else:
            raise ValueError("an 835 payee needs an NPI or a tax ID (N1*PE N103/N104)")

    # 2100 ----------------------------------------------------------------------------------------
    def claim(self, c: ClaimPayment) -> None:
        self.add("CLP", c.claim_id, c.status, amount(c.charge), amount(c.paid),
                 _maybe(c.patient_responsibility), c.filing_indicator, c.payer_claim_number,
                 c.facility_code, c.frequency)
        self.cas(c.adjustments)
        self.add("NM1", "QC", "1", self.text(c.patient_last), self.text(c.patient_first), "", "",
                 "", "MI" if c.member_id else "", c.member_id)
        if c.insured_member_id:
            self.add("NM1", "IL", "1", "", "", "", "", "", "MI", c.insured_member_id)
        if c.corrected_member_id:
            self.add("NM1", "74", "1", "", "", "", "", "", "C", c.corrected_member_id)
        if c.crossover_name or c.crossover_id:
            self.add("NM1", "TT", "2", self.text(c.crossover_name), "", "", "", "", "PI",
                     c.crossover_id)
        if c.priority_payer_name or c.priority_payer_id:
            self.add("NM1", "PR", "2", self.text(c.priority_payer_name), "", "", "", "", "PI",
                     c.priority_payer_id)
        if len(c.remarks) > _MOST_CLAIM_REMARKS:
            raise ValueError("an 835 claim carries at most five remark codes (MOA03–MOA07)")
        if c.remarks:
            self.add("MOA", "", "", *c.remarks)
        for qualifier, when in (("232", c.service_from), ("233", c.service_to),
                                ("050", c.received_on)):
            if when:
                self.add("DTM", qualifier, _d8(when))
        for qualifier, value in (("AU", c.coverage_amount), ("I", c.interest)):
            if value is not None:
                self.add("AMT", qualifier, amount(value))
        for line in c.services:
            self.service(line)

    # 2110 ----------------------------------------------------------------------------------------
    def service(self, s: ServicePayment) -> None:
        if len(s.modifiers) > _MOST_MODIFIERS or len(s.submitted_modifiers) > _MOST_MODIFIERS:
            raise ValueError("an 835 service line carries at most four modifiers")
        submitted: Element = ""
        if s.submitted_qualifier or s.submitted_code:
            submitted = [s.submitted_qualifier, s.submitted_code, *s.submitted_modifiers]
        self.add("SVC", [s.qualifier, s.code, *s.modifiers], amount(s.charge), amount(s.paid),
                 s.revenue_code, _maybe(s.units_paid), submitted, _maybe(s.units_submitted))
        if s.dos_from and s.dos_from == s.dos_to:
            self.add("DTM", "472", _d8(s.dos_from))
        else:
            if s.dos_from:
                self.add("DTM", "150", _d8(s.dos_from))
            if s.dos_to:
                self.add("DTM", "151", _d8(s.dos_to))
        self.cas(s.adjustments)
        if s.control_number:
            self.add("REF", "6R", s.control_number)
        if s.allowed is not None:
            self.add("AMT", "B6", amount(s.allowed))
        for qualifier, codes in (("HE", s.remarks), ("RX", s.pharmacy_remarks)):
            for code in codes:
                self.add("LQ", qualifier, code)

    def cas(self, adjustments: Sequence[Adjustment]) -> None:
        for group, same in groupby(adjustments, key=lambda a: a.group):
            for chunk in _chunks(list(same)):
                triplets: list[str] = []
                for a in chunk:
                    triplets += [a.reason, amount(a.amount), _maybe(a.quantity)]
                self.add("CAS", group, *triplets)

    # PLB -----------------------------------------------------------------------------------------
    def plb(self, adjustments: Sequence[ProviderAdjustment]) -> None:
        for (provider, fiscal), same in groupby(
                adjustments, key=lambda p: (p.provider_id, p.fiscal_period_end)):
            if fiscal is None or not provider:
                raise ValueError("a PLB needs PLB01 (provider) and PLB02 (fiscal period date)")
            for chunk in _chunks(list(same)):
                pairs: list[Element] = []
                for p in chunk:
                    pairs += [[p.reason, p.reference], amount(p.amount)]
                self.add("PLB", provider, _d8(fiscal), *pairs)


def _chunks(items: list[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(items), _PAIRS):
        yield items[start:start + _PAIRS]


def transaction_body(r: Remittance, w: X12Writer | None = None) -> list[str]:
    """The segments of one 835 transaction set, ST and SE excluded."""
    body = _Body(w or X12Writer())
    body.header(r)
    if r.claims:
        body.add("LX", "1")
        for claim in r.claims:
            body.claim(claim)
    body.plb(r.provider_adjustments)
    return body.lines


def build_835(remittances: Sequence[Remittance], env: Envelope) -> str:
    """One interchange holding one 835 transaction set per remittance (ST02 counting up from
    `env.transaction_control`). ValidationError when the envelope values are bad; ValueError
    when a remittance cannot make a valid 835 (see the module docstring)."""
    if not remittances:
        raise ValueError("an 835 interchange needs at least one remittance")
    if problems := check_envelope(env, len(remittances)):
        raise ValidationError(problems, "X12 file")
    w = X12Writer()
    lines = [w.isa(env), w.gs(env, FUNCTIONAL_ID, VERSION)]
    for n, remittance in enumerate(remittances):
        body = transaction_body(remittance, w)
        control = f"{env.transaction_control + n:04d}"
        # Not X12Writer.interchange: ST03 is "not used" in 005010X221A1 (unlike the 837P's
        # X222A1), so only GS08 names the guide here.
        lines += [w.segment("ST", "835", control), *body,
                  w.segment("SE", str(len(body) + 2), control)]
    lines += [w.segment("GE", str(len(remittances)), str(env.group_control)),
              w.segment("IEA", "1", f"{env.interchange_control:09d}")]
    end = w.d.segment + "\n"
    return end.join(lines) + end
