"""What the practice charges, what each payer has agreed to allow, and the CMS NCCI
procedure-to-procedure and MUE unit edits the clinic has imported."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import Cents, UTCDateTime, utcnow


class FeeScheduleEntry(Base):
    """The practice's charge for a code, optionally for the code with one modifier
    (`modifier` "" is the charge for the code whatever its modifiers)."""

    __tablename__ = "fee_schedule_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str] = mapped_column(String(2), default="")
    charge: Mapped[Decimal] = mapped_column(Cents())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(40), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("code", "modifier", name="uq_fee_schedule_code_mod"),)


class ContractRate(Base):
    """A payer's expected allowed amount for a code (and modifier) from a date."""

    __tablename__ = "contract_rate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payer.id"))
    code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str] = mapped_column(String(2), default="")
    allowed: Mapped[Decimal] = mapped_column(Cents())
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(40), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("payer_id", "code", "modifier", "effective_from",
                         name="uq_contract_rate"),
        Index("ix_contract_rate_code", "code"),
    )


class NcciEdit(Base):
    """A CMS NCCI procedure-to-procedure pair: `column2` is not paid with `column1` on the
    same day unless the modifier indicator is 1 and a bypass modifier is on the claim."""

    __tablename__ = "ncci_edit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    column1: Mapped[str] = mapped_column(String(5))
    column2: Mapped[str] = mapped_column(String(5))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    modifier_indicator: Mapped[str] = mapped_column(String(1))
    rationale: Mapped[str] = mapped_column(String(200), default="")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_log.id"), nullable=True)

    __table_args__ = (
        Index("ix_ncci_edit_pair", "column1", "column2"),
        Index("ix_ncci_edit_column2", "column2"),  # "every edit with this code" reads both sides
    )


class MueLimit(Base):
    """A CMS Medically Unlikely Edit: the most units of a code per patient per day."""

    __tablename__ = "mue_limit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(5))
    max_units: Mapped[int] = mapped_column(Integer)
    adjudication_indicator: Mapped[str] = mapped_column(String(80), default="")
    rationale: Mapped[str] = mapped_column(String(120), default="")
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_log.id"), nullable=True)

    __table_args__ = (Index("ix_mue_limit_code", "code"),)
