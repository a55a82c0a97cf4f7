"""Follow-up work: something a clerk must do about an account or (later) a claim, with a
reason, who has it, when it is due and whether it is done. Other parts of the app raise
work items (a 271 rejection, later a denial or a missed installment) and close them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import UTCDateTime, utcnow

OPEN = "open"
WAITING = "waiting"  # the clerk did the next action and waits for the payer
DONE = "done"
WORK_STATES = (OPEN, WAITING, DONE)


class WorkItem(Base):
    """`source`/`source_id` name what raised it (e.g. "eligibility_check" 12) so the same
    cause does not raise it twice; `reason` is a short code, `detail` the plain message."""

    __tablename__ = "work_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), nullable=True)
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverage.id"), nullable=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(8), default=OPEN)
    assignee: Mapped[str] = mapped_column(String(40), default="")
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    next_action: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(40), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_work_item_state", "state", "due_on"),
        Index("ix_work_item_patient", "patient_id"),
        Index("ix_work_item_source", "source", "source_id"),
        Index("ix_work_item_claim", "claim_id"),
    )
