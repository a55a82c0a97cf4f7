"""The money ledger (DESIGN.md §3): append-only entries; balances are sums of entries.

Rows are never changed or deleted: database triggers (migration 0004) refuse it, except
for `patient_id`, which a patient merge moves like every other child row. A correction is
a new entry of kind "reversal" whose `reverses_id` points at the entry it undoes and
whose amount is that entry's amount negated."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import Cents, UTCDateTime, utcnow

CHARGE = "charge"
REVERSAL = "reversal"
# Later issues add: insurance_payment, patient_payment, adjustment, transfer, refund,
# write_off.
LEDGER_KINDS = (CHARGE, REVERSAL)

# The columns a merge may move; every other column is frozen once written.
MOVABLE_COLUMNS = ("patient_id",)


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Cents())
    entry_date: Mapped[date] = mapped_column(Date)
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id"), nullable=True)
    charge_line_id: Mapped[int | None] = mapped_column(ForeignKey("charge_line.id"),
                                                      nullable=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"),
                                                   nullable=True, unique=True)
    memo: Mapped[str] = mapped_column(String(200), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    posted_by: Mapped[str] = mapped_column(String(40), default="")

    __table_args__ = (
        Index("ix_ledger_entry_patient", "patient_id", "entry_date"),
        Index("ix_ledger_entry_encounter", "encounter_id"),
        Index("ix_ledger_entry_charge_line", "charge_line_id"),
    )
