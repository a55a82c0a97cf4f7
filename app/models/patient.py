"""Patients: demographics for claims and statements, the responsible party, and the folded
name keys that make search-as-you-type an index range scan."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import UTCDateTime, utcnow


class Patient(Base):
    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mrn: Mapped[str] = mapped_column(String(20), unique=True)
    last_name: Mapped[str] = mapped_column(String(60))
    first_name: Mapped[str] = mapped_column(String(35))
    middle_name: Mapped[str] = mapped_column(String(25), default="")
    preferred_name: Mapped[str] = mapped_column(String(35), default="")
    dob: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    address1: Mapped[str] = mapped_column(String(55), default="")
    address2: Mapped[str] = mapped_column(String(55), default="")
    city: Mapped[str] = mapped_column(String(30), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip: Mapped[str] = mapped_column(String(9), default="")
    phone: Mapped[str] = mapped_column(String(10), default="")
    mobile_phone: Mapped[str] = mapped_column(String(10), default="")
    work_phone: Mapped[str] = mapped_column(String(10), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    ssn: Mapped[str] = mapped_column(String(9), default="")
    language: Mapped[str] = mapped_column(String(40), default="")
    # Responsible party (1500 box 11 / statements). "self" uses the patient's own details.
    guarantor_relationship: Mapped[str] = mapped_column(String(20), default="self")
    guarantor_last_name: Mapped[str] = mapped_column(String(60), default="")
    guarantor_first_name: Mapped[str] = mapped_column(String(35), default="")
    guarantor_dob: Mapped[date | None] = mapped_column(Date, nullable=True)
    guarantor_address1: Mapped[str] = mapped_column(String(55), default="")
    guarantor_address2: Mapped[str] = mapped_column(String(55), default="")
    guarantor_city: Mapped[str] = mapped_column(String(30), default="")
    guarantor_state: Mapped[str] = mapped_column(String(2), default="")
    guarantor_zip: Mapped[str] = mapped_column(String(9), default="")
    guarantor_phone: Mapped[str] = mapped_column(String(10), default="")
    emergency_name: Mapped[str] = mapped_column(String(80), default="")
    emergency_relationship: Mapped[str] = mapped_column(String(40), default="")
    emergency_phone: Mapped[str] = mapped_column(String(10), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Lower-case ASCII letters and digits only (app.formats.names.fold), kept by the services.
    last_key: Mapped[str] = mapped_column(String(60), default="")
    first_key: Mapped[str] = mapped_column(String(35), default="")
    preferred_key: Mapped[str] = mapped_column(String(35), default="")
    # Set when merged into another record (no foreign key: SQLite would rebuild the table).
    merged_into_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_patient_name", "last_name", "first_name"),
        Index("ix_patient_last_key", "last_key", "first_key", "dob"),
        # The whole list in name order, skipping merged records, without touching the rows.
        Index("ix_patient_active_name", "merged_into_id", "last_key", "first_key", "dob"),
        Index("ix_patient_first_key", "first_key", "last_key"),
        Index("ix_patient_preferred_key", "preferred_key", "last_key"),
        Index("ix_patient_dob", "dob"),
        Index("ix_patient_phone", "phone"),
        Index("ix_patient_mobile_phone", "mobile_phone"),
        Index("ix_patient_work_phone", "work_phone"),
        Index("ix_patient_ssn", "ssn"),
    )
