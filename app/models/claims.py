"""Claims: the billing object built from coded encounters, its service lines, its status
history, and the submissions (paper print jobs and 837P batches) that carried it out.

A claim is separate from the encounter: its lines are copied from charge lines when it is
built and can be moved to another claim of the same patient. Once submitted, what went out is
kept as an immutable snapshot (`ClaimSnapshot`); a later change to a claim that a payer
accepted is a new claim (frequency 7 replacement or 8 void) that points at the old one.
"""

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

# Claim statuses, in the order a claim normally moves through them.
DRAFT = "draft"
READY = "ready"
SUBMITTED = "submitted"
ACCEPTED = "accepted"  # accepted by the clearinghouse / payer front end (999, 277CA)
REJECTED = "rejected"  # rejected there: fix and submit again
REPLACED = "replaced"  # a frequency 7 claim took its place
VOIDED = "voided"  # a frequency 8 claim cancelled it
PAID = "paid"  # the payer adjudicated it and paid something (an 835 or a paper EOB)
DENIED = "denied"  # the payer adjudicated it and paid nothing (CLP02 4)
CLAIM_STATUSES = (DRAFT, READY, SUBMITTED, ACCEPTED, REJECTED, REPLACED, VOIDED, PAID, DENIED)
OPEN_STATUSES = (DRAFT, READY, REJECTED)  # a clerk may still change these

PAPER = "paper"
ELECTRONIC = "electronic"


class Claim(Base):
    """One claim to one payer for one patient (837P loop 2300, one 1500 form set).

    `diagnoses` holds up to 12 ICD-10-CM codes without dots, comma-joined, in claim order
    (A–L); line pointers are letters into it."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"), nullable=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverage.id"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    sequence: Mapped[str] = mapped_column(String(1), default="P")  # SBR01 P/S/T
    frequency: Mapped[str] = mapped_column(String(1), default="1")  # 1, 7, 8
    revision: Mapped[int] = mapped_column(Integer, default=1)
    replaces_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), nullable=True)
    original_claim_number: Mapped[str] = mapped_column(String(50), default="")
    payer_claim_number: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    method: Mapped[str] = mapped_column(String(10), default=ELECTRONIC)
    diagnoses: Mapped[str] = mapped_column(String(100), default="")
    rendering_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"),
                                                              nullable=True)
    referring_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"),
                                                              nullable=True)
    referring_qualifier: Mapped[str] = mapped_column(String(2), default="DN")  # box 17
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), nullable=True)
    prior_authorization: Mapped[str] = mapped_column(String(50), default="")
    onset_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    other_date_qualifier: Mapped[str] = mapped_column(String(3), default="")
    other_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    employment_related: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_accident: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_accident_state: Mapped[str] = mapped_column(String(2), default="")
    other_accident: Mapped[bool] = mapped_column(Boolean, default=False)
    accident_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    unable_to_work_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    unable_to_work_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    hospitalized_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    hospitalized_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(String(80), default="")  # box 19
    patient_paid: Mapped[Decimal] = mapped_column(Cents(), default=Decimal("0.00"))
    accept_assignment: Mapped[bool] = mapped_column(Boolean, default=True)
    benefits_assigned: Mapped[bool] = mapped_column(Boolean, default=True)
    release_of_information: Mapped[bool] = mapped_column(Boolean, default=True)
    submitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # first sent
    adjudicated_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # last remit
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_claim_patient", "patient_id"),
        Index("ix_claim_payer_submitted", "payer_id", "submitted_on"),
        Index("ix_claim_status", "status", "method"),
        Index("ix_claim_encounter", "encounter_id"),
        Index("ix_claim_replaces", "replaces_claim_id"),
    )


class ServiceLine(Base):
    """A service line of a claim (837P loop 2400, one row of box 24), copied from the charge
    line it bills. `control_number` is the REF*6R line item control number the 835 returns."""

    __tablename__ = "service_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"))
    charge_line_id: Mapped[int] = mapped_column(ForeignKey("charge_line.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    dos: Mapped[date] = mapped_column(Date)
    pos: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(8), default="")
    pointers: Mapped[str] = mapped_column(String(4), default="")
    units: Mapped[Decimal] = mapped_column(ScaledDecimal())
    charge: Mapped[Decimal] = mapped_column(Cents())
    ndc: Mapped[str] = mapped_column(String(11), default="")
    ndc_unit: Mapped[str] = mapped_column(String(2), default="")
    ndc_quantity: Mapped[Decimal | None] = mapped_column(ScaledDecimal(), nullable=True)
    control_number: Mapped[str] = mapped_column(String(30), default="")

    __table_args__ = (
        Index("ix_service_line_claim", "claim_id"),
        Index("ix_service_line_charge", "charge_line_id"),
    )


class ClaimStatusEvent(Base):
    """One step of a claim's status history; never changed. `detail` is plain words (a
    rejection's reasons), `submission_id` the print job or batch that carried it out."""

    __tablename__ = "claim_status_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"))
    status: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text, default="")
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"),
                                                      nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_claim_status_event_claim", "claim_id"),)


class Submission(Base):
    """A paper print job or an 837P batch. An 837P's file is kept whole in `x12_file`;
    `group_control` (GS06) is what a 999 acknowledges."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    method: Mapped[str] = mapped_column(String(10))  # paper, electronic
    x12_file_id: Mapped[int | None] = mapped_column(ForeignKey("x12_file.id"), nullable=True)
    interchange_control: Mapped[str] = mapped_column(String(9), default="")
    group_control: Mapped[str] = mapped_column(String(9), default="")
    print_mode: Mapped[str] = mapped_column(String(4), default="")  # data, form
    claims: Mapped[int] = mapped_column(Integer, default=0)
    total_charge: Mapped[Decimal] = mapped_column(Cents(), default=Decimal("0.00"))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_submission_group", "group_control"),)


class ClaimSnapshot(Base):
    """Exactly what a submission sent for one claim (the claim document as JSON), kept so a
    later edit never changes the record of what went out."""

    __tablename__ = "claim_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    claim_number: Mapped[str] = mapped_column(String(20))  # CLM01 as sent
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        UniqueConstraint("claim_id", "submission_id", name="uq_claim_snapshot"),
        Index("ix_claim_snapshot_number", "claim_number"),
    )
