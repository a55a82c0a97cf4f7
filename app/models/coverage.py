"""Insurance coverages and their verification: who pays for a patient's visit, in which order,
and what the payer said the plan covers (by phone, on a portal, or in a 271 file).

A coverage's place in the order (primary, secondary, tertiary) is kept as dated rows
(`CoverageRank`) so a change of order keeps the old one: the claim for a date of service uses
the coverages, in the order, in force on that date.
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


class Coverage(Base):
    """A patient's plan with one payer (005010X222A1 loop 2000B/2010BA; X279A1 2100C).

    The subscriber is the patient when `relationship` is "18" (self); otherwise the
    subscriber's own name, DOB, sex and address are kept here. `msp_type` is the Medicare
    secondary payer type (SBR05) for a plan that pays before Medicare."""

    __tablename__ = "coverage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    member_id: Mapped[str] = mapped_column(String(80))
    group_number: Mapped[str] = mapped_column(String(50), default="")
    group_name: Mapped[str] = mapped_column(String(60), default="")
    plan_name: Mapped[str] = mapped_column(String(60), default="")
    relationship: Mapped[str] = mapped_column(String(2), default="18")
    subscriber_last_name: Mapped[str] = mapped_column(String(60), default="")
    subscriber_first_name: Mapped[str] = mapped_column(String(35), default="")
    subscriber_middle_name: Mapped[str] = mapped_column(String(25), default="")
    subscriber_dob: Mapped[date | None] = mapped_column(Date, nullable=True)
    subscriber_sex: Mapped[str] = mapped_column(String(1), default="")
    subscriber_address1: Mapped[str] = mapped_column(String(55), default="")
    subscriber_address2: Mapped[str] = mapped_column(String(55), default="")
    subscriber_city: Mapped[str] = mapped_column(String(30), default="")
    subscriber_state: Mapped[str] = mapped_column(String(2), default="")
    subscriber_zip: Mapped[str] = mapped_column(String(9), default="")
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    copay: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    msp_type: Mapped[str] = mapped_column(String(2), default="")
    assignment_on_file: Mapped[bool] = mapped_column(Boolean, default=False)
    assignment_signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    release_on_file: Mapped[bool] = mapped_column(Boolean, default=False)
    release_signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_coverage_patient", "patient_id", "effective_from"),
        Index("ix_coverage_payer", "payer_id"),
    )


class CoverageRank(Base):
    """Coverage `coverage_id` is number `rank` (1 primary, 2 secondary, 3 tertiary) from
    `valid_from` to `valid_to` (inclusive; open when None). Rows are closed, not changed,
    when the order changes, so the order on any past date can be read back."""

    __tablename__ = "coverage_rank"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverage.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    rank: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    set_by: Mapped[str] = mapped_column(String(40), default="")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_coverage_rank_patient", "patient_id", "valid_from"),
        Index("ix_coverage_rank_coverage", "coverage_id"),
    )


class X12File(Base):
    """An X12 file the clinic sent (270) or received (271): kept whole, as it was, with its
    interchange control number and who handled it."""

    __tablename__ = "x12_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))  # "270", "271"
    direction: Mapped[str] = mapped_column(String(3))  # "out", "in"
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    control_number: Mapped[str] = mapped_column(String(9), default="")
    transactions: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_x12_file_kind_sha", "kind", "sha256"),)


class ControlNumber(Base):
    """The last interchange (ISA13), group (GS06) or transaction (ST02) control number used
    for files the clinic sends; each new file takes the next one."""

    __tablename__ = "control_number"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class EligibilityInquiry(Base):
    """One subscriber asked about in a 270 file; its `trace` (TRN02) comes back in the 271
    and ties the answer to this patient and coverage."""

    __tablename__ = "eligibility_inquiry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("x12_file.id"))
    trace: Mapped[str] = mapped_column(String(50), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverage.id"))
    service_date: Mapped[date] = mapped_column(Date)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("eligibility_check.id"),
                                                       nullable=True)

    __table_args__ = (Index("ix_eligibility_inquiry_patient", "patient_id"),)


class EligibilityCheck(Base):
    """A verification of one coverage: by phone, on the payer's portal, or from a 271.
    Every check is kept. The headline figures (deductible, out-of-pocket) are on the row for
    estimates and warnings; the benefit lines hold everything the payer said."""

    __tablename__ = "eligibility_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverage.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    checked_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(6))  # phone, portal, 271
    representative: Mapped[str] = mapped_column(String(60), default="")
    reference: Mapped[str] = mapped_column(String(50), default="")
    active: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    plan_begin: Mapped[date | None] = mapped_column(Date, nullable=True)
    plan_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    deductible_total: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    deductible_met: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    family_deductible_total: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    family_deductible_met: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    oop_total: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    oop_met: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    family_oop_total: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    family_oop_met: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    prior_auth_required: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    visit_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    visits_used: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("x12_file.id"), nullable=True)
    rejected: Mapped[bool] = mapped_column(Boolean, default=False)
    rejections: Mapped[str] = mapped_column(Text, default="")  # JSON: AAA code, message
    checked_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_eligibility_check_coverage", "coverage_id", "checked_on"),
        Index("ix_eligibility_check_patient", "patient_id", "checked_on"),
    )


class Benefit(Base):
    """One benefit line of a check, in the 271's terms (X279A1 loop 2110C/D, EB segment):
    eligibility or benefit code (EB01), coverage level (EB02), service type (EB03), insurance
    type (EB04), plan description (EB05), time period (EB06), amount (EB07), percent (EB08,
    kept as the patient's share in percent: 20 for 20%), quantity (EB09/EB10), authorisation
    (EB11) and network (EB12) indicators, procedure (EB13) and the MSG texts. A phone or
    portal check writes its copays and coinsurance as the same kind of line."""

    __tablename__ = "benefit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("eligibility_check.id"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(2))
    coverage_level: Mapped[str] = mapped_column(String(3), default="")
    service_type: Mapped[str] = mapped_column(String(2), default="")
    insurance_type: Mapped[str] = mapped_column(String(3), default="")
    plan_description: Mapped[str] = mapped_column(String(50), default="")
    time_period: Mapped[str] = mapped_column(String(2), default="")
    amount: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    percent: Mapped[Decimal | None] = mapped_column(ScaledDecimal(), nullable=True)
    quantity_qualifier: Mapped[str] = mapped_column(String(2), default="")
    quantity: Mapped[Decimal | None] = mapped_column(ScaledDecimal(), nullable=True)
    auth_required: Mapped[str] = mapped_column(String(1), default="")
    in_network: Mapped[str] = mapped_column(String(1), default="")
    procedure: Mapped[str] = mapped_column(String(60), default="")
    messages: Mapped[str] = mapped_column(Text, default="")  # JSON list of MSG texts

    __table_args__ = (
        UniqueConstraint("check_id", "position", name="uq_benefit_position"),
    )


class DemographicDifference(Base):
    """What a 271 says about the subscriber or patient that differs from the clinic's record
    (name, DOB, sex, address, member ID), waiting for the clerk to accept or reject it."""

    __tablename__ = "demographic_difference"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("eligibility_check.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverage.id"))
    field: Mapped[str] = mapped_column(String(30))
    clinic_value: Mapped[str] = mapped_column(String(120), default="")
    payer_value: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[str] = mapped_column(String(8), default="pending")  # accepted, rejected
    decided_by: Mapped[str] = mapped_column(String(40), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_demographic_difference_state", "state", "patient_id"),)
