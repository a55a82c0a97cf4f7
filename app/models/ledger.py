"""The money ledger (DESIGN.md §3): append-only entries; balances are sums of entries.

Rows are never changed or deleted: database triggers (migration 0004) refuse it, except
for `patient_id`, which a patient merge moves like every other child row. A correction is
a new entry of kind "reversal" whose `reverses_id` points at the entry it undoes and
whose amount is that entry's amount negated.

Signs: what raises the balance is positive (charge, refund), what lowers it negative
(payments, adjustments, write-offs); a transfer is a pair of entries summing to zero.

Who owes an entry's amount is `coverage_id` (and its `payer_id`): NULL means the patient.
So the balance of a visit "with the payer" and "with the patient" are both sums of entries,
and moving patient responsibility from a remittance is a transfer pair (−X with the
payer, +X with the patient or the next coverage). `service_date` is the line's date of
service, copied so that A/R aging is one scan of this table."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import Cents, UTCDateTime, utcnow

CHARGE = "charge"
INSURANCE_PAYMENT = "insurance_payment"
PATIENT_PAYMENT = "patient_payment"
ADJUSTMENT = "adjustment"  # a payer's CO/OA/PI/CR adjustment, with group and CARC
TRANSFER = "transfer"  # moves an amount between who owes it (payer → patient, visit → visit)
REFUND = "refund"
WRITE_OFF = "write_off"  # the clinic gives up an amount (small balances, denials it accepts)
REVERSAL = "reversal"
LEDGER_KINDS = (CHARGE, INSURANCE_PAYMENT, PATIENT_PAYMENT, ADJUSTMENT, TRANSFER, REFUND,
                WRITE_OFF, REVERSAL)

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
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverage.id"), nullable=True)
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("payer.id"), nullable=True)
    service_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), nullable=True)
    service_line_id: Mapped[int | None] = mapped_column(ForeignKey("service_line.id"),
                                                       nullable=True)
    remittance_id: Mapped[int | None] = mapped_column(ForeignKey("remittance.id"),
                                                     nullable=True)
    claim_payment_id: Mapped[int | None] = mapped_column(ForeignKey("claim_payment.id"),
                                                        nullable=True)
    patient_payment_id: Mapped[int | None] = mapped_column(ForeignKey("patient_payment.id"),
                                                          nullable=True)
    group_code: Mapped[str] = mapped_column(String(2), default="")  # CAS group
    reason_code: Mapped[str] = mapped_column(String(5), default="")  # CARC
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    posted_by: Mapped[str] = mapped_column(String(40), default="")

    __table_args__ = (
        Index("ix_ledger_entry_patient", "patient_id", "entry_date"),
        Index("ix_ledger_entry_encounter", "encounter_id"),
        Index("ix_ledger_entry_charge_line", "charge_line_id"),
        # A/R aging reads only these columns: covering indexes keep it one narrow scan, in
        # the order it groups by (payer then date of service; patient then date of service).
        Index("ix_ledger_entry_aging", "payer_id", "service_date", "entry_date", "amount"),
        Index("ix_ledger_entry_patient_aging", "patient_id", "service_date", "entry_date",
              "amount", "payer_id", sqlite_where=text("payer_id IS NULL")),
        Index("ix_ledger_entry_day", "entry_date"),
    )


NO_SERVICE_DATE = date(9999, 12, 31)  # ledger_day_total's key for entries with no service date
PATIENT_KEY = 0  # ledger_day_total's payer_key for what the patient owes


class LedgerDayTotal(Base):
    """Derived from the ledger, never written by the application: the sum of the entries
    per (who owes it, date of service, entry date), kept by the trigger
    `ledger_entry_day_total` (migration 0010) as each entry is inserted. A/R aging reads
    these few hundred thousand rows instead of millions of entries; as the ledger is
    append-only, the sums never need recomputing. Checked against the entries by
    `app.services.aging.day_total_problems`."""

    __tablename__ = "ledger_day_total"

    payer_key: Mapped[int] = mapped_column(Integer, primary_key=True)  # payer id; 0: patient
    service_date: Mapped[date] = mapped_column(Date, primary_key=True)  # NO_SERVICE_DATE: none
    entry_date: Mapped[date] = mapped_column(Date, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Cents())

    __table_args__ = {"sqlite_with_rowid": False}
