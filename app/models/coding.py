"""An encounter coded into billable lines: its ordered diagnoses (A–L on the claim) and
its charge lines. A posted charge line is never edited: a correction voids it (a reversing
ledger entry) and posts a new line that points back at it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import Cents, ScaledDecimal, UTCDateTime, utcnow

UNCODED = "uncoded"
CODED = "coded"  # coded, no blocking edits: ready to bill
NEEDS_REVIEW = "review"  # coded, but blocking code edits remain
CODING_STATUSES = (UNCODED, NEEDS_REVIEW, CODED)


class EncounterDiagnosis(Base):
    """Diagnosis `position` 1–12 of an encounter (letter A–L as on the 1500, box 21)."""

    __tablename__ = "encounter_diagnosis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(10))

    __table_args__ = (
        UniqueConstraint("encounter_id", "position", name="uq_encounter_diagnosis_position"),
    )


class ChargeLine(Base):
    """One procedure line of a coded encounter (a claim service line is built from it).

    `modifiers` holds up to four two-character modifiers joined ("25XS"); `pointers` the
    diagnosis letters in order ("ABD"). A voided line keeps its row and gets `voided_at`,
    `voided_by` and, when corrected, `replaced_by_id`."""

    __tablename__ = "charge_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    dos: Mapped[date] = mapped_column(Date)
    system: Mapped[str] = mapped_column(String(5))
    code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(8), default="")
    units: Mapped[Decimal] = mapped_column(ScaledDecimal())
    pointers: Mapped[str] = mapped_column(String(4), default="")
    ndc: Mapped[str] = mapped_column(String(11), default="")
    ndc_unit: Mapped[str] = mapped_column(String(2), default="")
    ndc_quantity: Mapped[Decimal | None] = mapped_column(ScaledDecimal(), nullable=True)
    charge: Mapped[Decimal] = mapped_column(Cents())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(40), default="")
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    voided_by: Mapped[str] = mapped_column(String(40), default="")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("charge_line.id"),
                                                      nullable=True)

    __table_args__ = (
        Index("ix_charge_line_encounter", "encounter_id"),
        Index("ix_charge_line_patient", "patient_id"),
    )
