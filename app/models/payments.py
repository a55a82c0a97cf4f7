"""Money in and the chase for money that did not come (DESIGN.md §3): payer remittances
(835 checks/EFTs and paper EOBs) with their claim and line payments, adjustments and
provider-level adjustments; patient payments at the desk; denials; exceptions a remittance
could not place; payer calls; appeals; closed days; imported CARC/RARC lists.

What a remittance posted is in the ledger (`LedgerEntry.remittance_id`); these rows keep what
the payer said, as it said it, so a later look shows the adjudication and not only money."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import Cents, ScaledDecimal, UTCDateTime, utcnow

ERA = "835"
PAPER_EOB = "eob"


class Remittance(Base):
    """One check or EFT from a payer (835 BPR/TRN, or a paper EOB typed in). The same check
    is never posted twice: `payer_key` (TRN03, else our payer ID) with `trace_number`
    (TRN02) is unique. `unbalanced_reason` is the admin's written reason when a check that
    does not balance was posted anyway."""

    __tablename__ = "remittance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(4))  # 835, eob
    x12_file_id: Mapped[int | None] = mapped_column(ForeignKey("x12_file.id"), nullable=True)
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payer.id"), nullable=True)
    payer_key: Mapped[str] = mapped_column(String(80))
    payer_name: Mapped[str] = mapped_column(String(60), default="")
    trace_number: Mapped[str] = mapped_column(String(50))
    method: Mapped[str] = mapped_column(String(3), default="")  # ACH, CHK, NON…
    total_paid: Mapped[Decimal] = mapped_column(Cents())
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    claims: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    unbalanced_reason: Mapped[str] = mapped_column(Text, default="")
    posted_by: Mapped[str] = mapped_column(String(40))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("payer_key", "trace_number", name="uq_remittance_check"),
        Index("ix_remittance_payer", "payer_id", "paid_on"),
    )


class ClaimPayment(Base):
    """One claim's adjudication in a remittance (835 loop 2100 CLP). `claim_id` is NULL when
    CLP01 matched none of our claims (it is then an exception). `reverses_id` points at the
    earlier payment a CLP02 22 reversal took back."""

    __tablename__ = "claim_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittance.id"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), nullable=True)
    claim_number: Mapped[str] = mapped_column(String(38))  # CLP01 as the payer sent it
    status_code: Mapped[str] = mapped_column(String(2))  # CLP02
    charge: Mapped[Decimal] = mapped_column(Cents())
    paid: Mapped[Decimal] = mapped_column(Cents())
    patient_responsibility: Mapped[Decimal] = mapped_column(Cents(), default=Decimal("0.00"))
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")  # CLP07
    crossover_name: Mapped[str] = mapped_column(String(60), default="")  # NM1*TT
    crossover_id: Mapped[str] = mapped_column(String(80), default="")
    remarks: Mapped[str] = mapped_column(String(200), default="")  # MOA/MIA codes, comma-joined
    match: Mapped[str] = mapped_column(String(12), default="")  # how CLP01 was matched
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("claim_payment.id"),
                                                   nullable=True)
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    secondary_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"),
                                                          nullable=True)

    __table_args__ = (
        Index("ix_claim_payment_remittance", "remittance_id"),
        Index("ix_claim_payment_claim", "claim_id"),
    )


class LinePayment(Base):
    """One service line's adjudication (835 loop 2110 SVC; for a paper EOB, one grid row).
    `match` says how it was placed on our line: control (REF*6R), code+modifiers+DOS,
    code+DOS (modifier dropped by the payer), single (the claim's only line), or empty when
    it matched none (an exception)."""

    __tablename__ = "line_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_payment_id: Mapped[int] = mapped_column(ForeignKey("claim_payment.id"))
    service_line_id: Mapped[int | None] = mapped_column(ForeignKey("service_line.id"),
                                                       nullable=True)
    code: Mapped[str] = mapped_column(String(48))
    modifiers: Mapped[str] = mapped_column(String(8), default="")
    dos: Mapped[date | None] = mapped_column(Date, nullable=True)
    charge: Mapped[Decimal] = mapped_column(Cents())
    allowed: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    paid: Mapped[Decimal] = mapped_column(Cents())
    units: Mapped[Decimal | None] = mapped_column(ScaledDecimal(), nullable=True)
    control_number: Mapped[str] = mapped_column(String(50), default="")
    remarks: Mapped[str] = mapped_column(String(200), default="")  # LQ*HE codes
    match: Mapped[str] = mapped_column(String(12), default="")

    __table_args__ = (
        Index("ix_line_payment_claim_payment", "claim_payment_id"),
        Index("ix_line_payment_service_line", "service_line_id"),
    )


class RemitAdjustment(Base):
    """One CAS reason of a claim (`line_payment_id` NULL) or a line, as the payer sent it."""

    __tablename__ = "remit_adjustment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_payment_id: Mapped[int] = mapped_column(ForeignKey("claim_payment.id"))
    line_payment_id: Mapped[int | None] = mapped_column(ForeignKey("line_payment.id"),
                                                       nullable=True)
    group_code: Mapped[str] = mapped_column(String(2))
    reason_code: Mapped[str] = mapped_column(String(5))
    amount: Mapped[Decimal] = mapped_column(Cents())
    quantity: Mapped[Decimal | None] = mapped_column(ScaledDecimal(), nullable=True)

    __table_args__ = (Index("ix_remit_adjustment_claim_payment", "claim_payment_id"),)


class ProviderAdjustment(Base):
    """A provider-level adjustment (835 PLB) tied to its check: the ledger of its own for
    money that belongs to no claim (interest, recoupments, forwarding balances). Append-only.
    A positive amount reduced the check, as in the 835."""

    __tablename__ = "provider_adjustment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittance.id"))
    provider_ref: Mapped[str] = mapped_column(String(50), default="")  # PLB01
    fiscal_period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason_code: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str] = mapped_column(String(50), default="")
    amount: Mapped[Decimal] = mapped_column(Cents())

    __table_args__ = (Index("ix_provider_adjustment_remittance", "remittance_id"),)


class RemitException(Base):
    """Something in a remittance that could not be placed (a claim or a line matching none
    of ours, a reversal of a payment we never posted), with the reason in words. Resolved by
    a clerk, never silently dropped."""

    __tablename__ = "remit_exception"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittance.id"))
    claim_payment_id: Mapped[int | None] = mapped_column(ForeignKey("claim_payment.id"),
                                                        nullable=True)
    line_payment_id: Mapped[int | None] = mapped_column(ForeignKey("line_payment.id"),
                                                       nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Cents(), default=Decimal("0.00"))
    state: Mapped[str] = mapped_column(String(8), default="open")
    resolved_by: Mapped[str] = mapped_column(String(40), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_remit_exception_state", "state"),)


class Denial(Base):
    """A line the payer denied (CLP02 4, or a line paid nothing for a reason that is not
    contractual): its reasons and category. Its balance stays with the payer until the clerk
    appeals, corrects or writes it off (`outcome`)."""

    __tablename__ = "denial"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"))
    service_line_id: Mapped[int | None] = mapped_column(ForeignKey("service_line.id"),
                                                       nullable=True)
    claim_payment_id: Mapped[int] = mapped_column(ForeignKey("claim_payment.id"))
    group_code: Mapped[str] = mapped_column(String(2))
    reason_code: Mapped[str] = mapped_column(String(5))
    remarks: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Cents())
    outcome: Mapped[str] = mapped_column(String(12), default="")  # appealed, written_off…
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_denial_claim", "claim_id"),
        Index("ix_denial_category", "category", "outcome"),
    )


class PatientPayment(Base):
    """Money a patient paid at the desk (cash, check, or card — the last 4 digits only; no
    card is processed here). Its ledger entries say which visits it paid."""

    __tablename__ = "patient_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    received_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(5))  # cash, check, card
    reference: Mapped[str] = mapped_column(String(20), default="")  # check no. / card last 4
    amount: Mapped[Decimal] = mapped_column(Cents())
    note: Mapped[str] = mapped_column(String(200), default="")
    received_by: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_patient_payment_patient", "patient_id"),)


class PayerCall(Base):
    """A phone call to a payer about claims: who answered, the call reference, what was
    said, the outcome and what the payer promised by when (an open promise past its date
    comes back as a work item)."""

    __tablename__ = "payer_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    phone: Mapped[str] = mapped_column(String(20), default="")
    representative: Mapped[str] = mapped_column(String(60), default="")
    reference: Mapped[str] = mapped_column(String(50), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(20), default="")
    promised_action: Mapped[str] = mapped_column(String(200), default="")
    promised_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    promise_kept: Mapped[bool] = mapped_column(Boolean, default=False)
    called_by: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_payer_call_payer", "payer_id", "called_at"),
                      Index("ix_payer_call_promise", "promised_on"))


class PayerCallClaim(Base):
    """Which claims a call was about."""

    __tablename__ = "payer_call_claim"

    call_id: Mapped[int] = mapped_column(ForeignKey("payer_call.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), primary_key=True)

    __table_args__ = (Index("ix_payer_call_claim_claim", "claim_id"),)


class Appeal(Base):
    """A reconsideration or appeal letter sent for a claim: the text exactly as printed
    (the template may change later), and the work item that tracks the answer."""

    __tablename__ = "appeal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"))
    template: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Cents(), default=Decimal("0.00"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_item.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_appeal_claim", "claim_id"),)


class DayClose(Base):
    """A closed business day: its day sheet as printed. Entries dated on a closed day can no
    longer be posted; a correction goes into the next open day."""

    __tablename__ = "day_close"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Cents())
    sheet: Mapped[bytes] = mapped_column(LargeBinary)
    closed_by: Mapped[str] = mapped_column(String(40))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdjustmentCode(Base):
    """A CARC or RARC from the lists X12 publishes, imported by an admin, so that any code a
    payer sends can be shown in words (the app's own short wording covers the common ones)."""

    __tablename__ = "adjustment_code"

    kind: Mapped[str] = mapped_column(String(4), primary_key=True)  # carc, rarc
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    start: Mapped[date | None] = mapped_column(Date, nullable=True)
    stop: Mapped[date | None] = mapped_column(Date, nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
