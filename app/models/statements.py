"""Patient statements and the collections hand-off (issue 8): statement runs with the PDF as
printed, one statement per account per run, account holds and collections, and the
statement settings with their dunning levels.

Statements never store a balance that screens read back as the truth: balances are sums of
ledger entries (app.models.ledger). A `Statement` keeps the figures *as printed* (so a
re-print and a collections export show what was sent), and its run keeps the ledger
watermark it read up to (`through_entry_id`), so the next statement's previous balance is
exactly this one's balance due.
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.types import Cents, UTCDateTime, utcnow

STANDARD = "standard"  # the patient's whole balance
REMAINDER = "remainder"  # only visits insurance has finished with
STATEMENT_KINDS = (STANDARD, REMAINDER)

ON_HOLD = "hold"
IN_COLLECTIONS = "collections"
ACCOUNT_STATUSES = (ON_HOLD, IN_COLLECTIONS)


class StatementRun(Base):
    """One batch of statements as it was printed: who ran it, when, with which settings, and
    the PDF exactly as it came out (a re-print of the batch returns these bytes)."""

    __tablename__ = "statement_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    statement_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    run_on: Mapped[date] = mapped_column(Date)  # the clerk's local day
    # The highest ledger entry id the run read: entries after it belong to the next statement.
    through_entry_id: Mapped[int] = mapped_column(Integer)
    accounts: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Cents())
    parameters: Mapped[str] = mapped_column(Text)  # JSON: the settings used, no patient data
    clinic: Mapped[str] = mapped_column(Text)  # JSON: the clinic block as printed
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_statement_run_date", "statement_date"),)


class Statement(Base):
    """One account's statement in a run: the figures as printed and the document they were
    printed from (zlib-compressed JSON of the statement), so one patient's statement can be
    printed again as it was sent.

    `sequence` counts the statements of the account's current unpaid run of statements, this
    one included (0: on a payment plan in good standing, not counted); `dunning_level` is the
    threshold of the level whose message was printed (NULL: none)."""

    __tablename__ = "statement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("statement_run.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    number: Mapped[str] = mapped_column(String(20))
    account_number: Mapped[str] = mapped_column(String(20))
    previous_balance: Mapped[Decimal] = mapped_column(Cents())
    charges: Mapped[Decimal] = mapped_column(Cents())
    insurance_payments: Mapped[Decimal] = mapped_column(Cents())
    adjustments: Mapped[Decimal] = mapped_column(Cents())
    patient_payments: Mapped[Decimal] = mapped_column(Cents())
    balance_due: Mapped[Decimal] = mapped_column(Cents())
    amount_due: Mapped[Decimal] = mapped_column(Cents())
    sequence: Mapped[int] = mapped_column(Integer)
    dunning_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    final_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    plan_installment: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    plan_due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)

    # Not unique: a patient merge moves statements between accounts (app.services.patients),
    # and two merged accounts may both have one in the same run.
    __table_args__ = (
        Index("ix_statement_run", "run_id"),
        Index("ix_statement_patient", "patient_id", "run_id"),
    )


class AccountStatus(Base):
    """An account taken out of statement runs: on hold (a dispute, a hardship; until a day or
    until released) or sent to a collection agency (with the balance handed over). Rows are
    history: a release or recall ends a row (`ended_at`), it is never deleted.

    In collections is a status, not a ledger movement: the patient still owes the balance,
    so the ledger (and A/R) keeps it; `amount` records what was handed to the agency."""

    __tablename__ = "account_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(200), default="")
    hold_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    agency: Mapped[str] = mapped_column(String(60), default="")
    amount: Mapped[Decimal | None] = mapped_column(Cents(), nullable=True)
    started_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str] = mapped_column(String(40), default="")
    end_note: Mapped[str] = mapped_column(String(200), default="")

    # A statement run asks "which accounts are excluded?" once: the live rows only, in
    # patient order, without touching the ended history. Not unique, so a patient merge
    # can move rows (the service keeps one live status per account).
    __table_args__ = (
        Index("ix_account_status_live", "patient_id", "status", "hold_until",
              sqlite_where=text("ended_at IS NULL")),
        Index("ix_account_status_patient", "patient_id"),
    )


class StatementSettings(Base):
    """The statement settings (one row, id 1; the service's defaults when there is none)."""

    __tablename__ = "statement_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minimum_balance: Mapped[Decimal] = mapped_column(Cents())
    days_between: Mapped[int] = mapped_column(Integer)
    due_days: Mapped[int] = mapped_column(Integer)
    collections_after_days: Mapped[int] = mapped_column(Integer)
    default_kind: Mapped[str] = mapped_column(String(10))
    billing_phone: Mapped[str] = mapped_column(String(10), default="")
    how_to_pay: Mapped[str] = mapped_column(Text, default="")  # one line per way to pay
    updated_by: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DunningLevel(Base):
    """A dunning message, printed once the account has been sent `threshold` statements
    already (in its current unpaid run); the level with the highest threshold is the final
    notice, after which the account may go to collections."""

    __tablename__ = "statement_dunning_level"

    threshold: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    message: Mapped[str] = mapped_column(Text, default="")
