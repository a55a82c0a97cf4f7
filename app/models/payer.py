"""The payers directory."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Payer(Base):
    """An insurance payer: electronic payer ID (837P loop 2010BB NM109) and claim filing
    indicator (SBR09), how long it allows to file, and how to reach it."""

    __tablename__ = "payer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    payer_id: Mapped[str] = mapped_column(String(80), unique=True)
    claim_filing_indicator: Mapped[str] = mapped_column(String(2))
    timely_filing_days: Mapped[int] = mapped_column(Integer, default=365)
    phone: Mapped[str] = mapped_column(String(10), default="")
    portal: Mapped[str] = mapped_column(String(200), default="")
    address1: Mapped[str] = mapped_column(String(55), default="")
    address2: Mapped[str] = mapped_column(String(55), default="")
    city: Mapped[str] = mapped_column(String(30), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip: Mapped[str] = mapped_column(String(9), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
