"""patient statements and collections

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 13:00:00

Statement runs (the PDF as printed, the ledger watermark read up to, the settings used) and
one statement per account per run with its figures and document; account holds and
collections (history rows, the live ones indexed for the run's exclusion check); the
statement settings and their dunning levels. No rows are written: the service's defaults
stand until an administrator saves settings.
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("statement_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("through_entry_id", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("total", app.models.types.Cents(), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("clinic", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_run")),
    )
    op.create_index("ix_statement_run_date", "statement_run", ["statement_date"])
    op.create_table(
        "statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("account_number", sa.String(length=20), nullable=False),
        sa.Column("previous_balance", app.models.types.Cents(), nullable=False),
        sa.Column("charges", app.models.types.Cents(), nullable=False),
        sa.Column("insurance_payments", app.models.types.Cents(), nullable=False),
        sa.Column("adjustments", app.models.types.Cents(), nullable=False),
        sa.Column("patient_payments", app.models.types.Cents(), nullable=False),
        sa.Column("balance_due", app.models.types.Cents(), nullable=False),
        sa.Column("amount_due", app.models.types.Cents(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("dunning_level", sa.Integer(), nullable=True),
        sa.Column("final_notice", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("plan_installment", app.models.types.Cents(), nullable=True),
        sa.Column("plan_due_date", sa.Date(), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_statement_patient_id_patient")),
        sa.ForeignKeyConstraint(["run_id"], ["statement_run.id"],
                                name=op.f("fk_statement_run_id_statement_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
    )
    op.create_index("ix_statement_run", "statement", ["run_id"])
    op.create_index("ix_statement_patient", "statement", ["patient_id", "run_id"])
    op.create_table(
        "account_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("hold_until", sa.Date(), nullable=True),
        sa.Column("agency", sa.String(length=60), nullable=False),
        sa.Column("amount", app.models.types.Cents(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", app.models.types.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=40), nullable=False),
        sa.Column("end_note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_account_status_patient_id_patient")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_status")),
    )
    op.create_index("ix_account_status_live", "account_status",
                    ["patient_id", "status", "hold_until"],
                    sqlite_where=sa.text("ended_at IS NULL"))
    op.create_index("ix_account_status_patient", "account_status", ["patient_id"])
    op.create_table(
        "statement_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minimum_balance", app.models.types.Cents(), nullable=False),
        sa.Column("days_between", sa.Integer(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("collections_after_days", sa.Integer(), nullable=False),
        sa.Column("default_kind", sa.String(length=10), nullable=False),
        sa.Column("billing_phone", sa.String(length=10), nullable=False),
        sa.Column("how_to_pay", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", app.models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_settings")),
    )
    op.create_table(
        "statement_dunning_level",
        sa.Column("threshold", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("threshold", name=op.f("pk_statement_dunning_level")),
    )


def downgrade() -> None:
    op.drop_table("statement_dunning_level")
    op.drop_table("statement_settings")
    op.drop_index("ix_account_status_patient", table_name="account_status")
    op.drop_index("ix_account_status_live", table_name="account_status")
    op.drop_table("account_status")
    op.drop_index("ix_statement_patient", table_name="statement")
    op.drop_index("ix_statement_run", table_name="statement")
    op.drop_table("statement")
    op.drop_index("ix_statement_run_date", table_name="statement_run")
    op.drop_table("statement_run")
