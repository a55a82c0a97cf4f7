"""ledger day totals for A/R aging

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 12:40:00

`ledger_day_total` holds the ledger summed per (who owes it, date of service, entry date),
kept by an AFTER INSERT trigger on `ledger_entry`. The aging report reads it instead of
scanning every entry (a busy clinic's ten years are millions of entries). The ledger is
append-only (its triggers refuse updates of these columns and deletes), so an insert is the
only change the totals must follow. Existing entries are summed in once here. The unused
indexes of entries by remittance and by claim go.
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRIGGER = (
    "CREATE TRIGGER ledger_entry_day_total AFTER INSERT ON ledger_entry BEGIN "
    "INSERT INTO ledger_day_total (payer_key, service_date, entry_date, amount) VALUES "
    "(COALESCE(NEW.payer_id, 0), COALESCE(NEW.service_date, '9999-12-31'), NEW.entry_date, "
    "NEW.amount) ON CONFLICT (payer_key, service_date, entry_date) "
    "DO UPDATE SET amount = amount + excluded.amount; END")

FILL = (
    "INSERT INTO ledger_day_total (payer_key, service_date, entry_date, amount) "
    "SELECT COALESCE(payer_id, 0), COALESCE(service_date, '9999-12-31'), entry_date, "
    "SUM(amount) FROM ledger_entry GROUP BY 1, 2, 3")


def upgrade() -> None:
    op.create_table(
        "ledger_day_total",
        sa.Column("payer_key", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("amount", app.models.types.Cents(), nullable=False),
        sa.PrimaryKeyConstraint("payer_key", "service_date", "entry_date",
                                name=op.f("pk_ledger_day_total")),
        sqlite_with_rowid=False,
    )
    op.execute(FILL)
    op.execute(TRIGGER)
    # Nothing looks entries up by remittance or claim (a reversal finds them by its claim's
    # charge lines, a remittance's detail reads its own tables): two indexes fewer to keep
    # up on every insert.
    op.drop_index("ix_ledger_entry_remittance", table_name="ledger_entry")
    op.drop_index("ix_ledger_entry_claim", table_name="ledger_entry")


def downgrade() -> None:
    op.create_index("ix_ledger_entry_claim", "ledger_entry", ["claim_id"])
    op.create_index("ix_ledger_entry_remittance", "ledger_entry", ["remittance_id"])
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_day_total")
    op.drop_table("ledger_day_total")
