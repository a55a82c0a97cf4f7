"""The clinical history a clerk reviews: problems, medications, allergies, encounters and
observations. Every row points at its patient (merging moves these rows)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import ScaledDecimal, UTCDateTime, utcnow


class Problem(Base):
    """An ICD-10-CM coded condition on the problem list."""

    __tablename__ = "problem"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    code: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(250))
    onset: Mapped[date | None] = mapped_column(Date, nullable=True)
    resolved: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_problem_code", "code"),)


class Medication(Base):
    __tablename__ = "medication"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    dose: Mapped[str] = mapped_column(String(120), default="")
    started: Mapped[date | None] = mapped_column(Date, nullable=True)
    stopped: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Allergy(Base):
    __tablename__ = "allergy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    substance: Mapped[str] = mapped_column(String(120))
    reaction: Mapped[str] = mapped_column(String(120), default="")
    severity: Mapped[str] = mapped_column(String(10), default="")
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Encounter(Base):
    """A visit: the thing the coding issue turns into charges."""

    __tablename__ = "encounter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    date: Mapped[date] = mapped_column(Date)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), nullable=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), nullable=True)
    pos: Mapped[str] = mapped_column(String(2), default="11")
    reason: Mapped[str] = mapped_column(String(250), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Coding (app.models.coding): uncoded, review (blocking code edits left) or coded.
    coding_status: Mapped[str] = mapped_column(String(8), default="uncoded",
                                               server_default="uncoded")
    coded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    coded_by: Mapped[str] = mapped_column(String(40), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Covering for the coding queue's pages and counts (status, oldest first, whose).
        Index("ix_encounter_coding", "coding_status", "date", "patient_id"),
        Index("ix_encounter_patient_date", "patient_id", "date"),
        # The visits of a period and whose they are, read by the quality measures (issue 9)
        # without touching the table; it also serves every look-up by date alone.
        Index("ix_encounter_quality", "date", "patient_id", "provider_id"),
    )


class Observation(Base):
    """A vital sign or lab value. `code` is LOINC where one exists (app.formats.observations);
    numeric values are exact decimals, text values (smoking status) go in `value_text`."""

    __tablename__ = "observation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"), nullable=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    value: Mapped[Decimal | None] = mapped_column(ScaledDecimal(), nullable=True)
    value_text: Mapped[str] = mapped_column(String(80), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    observed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_observation_patient_date", "patient_id", "observed_on"),
        Index("ix_observation_encounter", "encounter_id"),
        # One observation code over a period with the values the quality measures compare
        # (issue 9), read without touching the table; it also serves look-ups by code and
        # date alone.
        Index("ix_observation_quality", "code", "observed_on", "patient_id", "value",
              "value_text"),
    )


class Document(Base):
    """A scanned PDF or image. The bytes live in `document_blob` (encrypted with the rest of
    the database) so that listing documents never reads them."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    document_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    added_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentBlob(Base):
    __tablename__ = "document_blob"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
