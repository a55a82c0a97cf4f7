"""quality measures

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:00:00

Quality measures (issue 9): the measure definitions the clinic evaluates (JSON; the app's own
ones are copied in from resources/measures on first use, not here, so a newer build's
definitions reach older databases without a migration), and the runs of an evaluation with
their counts per measure and provider. Runs and results are append-only (triggers refuse
updates and deletes), so a comparison always reads what was reported at the time.

Two covering indexes let the measures read observations by code and date window, and visits
by date, without a random table read per row (app.models.quality says why).
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

APPEND_ONLY = tuple(
    f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} BEGIN "
    f"SELECT RAISE(ABORT, 'quality measure runs are append-only'); END"
    for table in ("measure_run", "measure_result") for verb in ("update", "delete"))


def upgrade() -> None:
    op.create_table(
        "quality_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("shipped", sa.Boolean(), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", app.models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_measure")),
        sa.UniqueConstraint("slug", name=op.f("uq_quality_measure_slug")),
    )
    op.create_table(
        "measure_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("by_provider", sa.Boolean(), nullable=False),
        sa.Column("run_by", sa.String(length=40), nullable=False),
        sa.Column("run_at", app.models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_run")),
    )
    op.create_index("ix_measure_run_period", "measure_run", ["period_start", "period_end"])
    op.create_table(
        "measure_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("measure_slug", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("definition_sha256", sa.String(length=64), nullable=False),
        sa.Column("inverse", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("initial_population", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("exclusions", sa.Integer(), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=False),
        sa.Column("data_gaps", sa.Integer(), nullable=False),
        sa.Column("rate", app.models.types.ScaledDecimal(), nullable=True),
        sa.ForeignKeyConstraint(["provider_id"], ["provider.id"],
                                name=op.f("fk_measure_result_provider_id_provider")),
        sa.ForeignKeyConstraint(["run_id"], ["measure_run.id"],
                                name=op.f("fk_measure_result_run_id_measure_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_result")),
    )
    op.create_index("ix_measure_result_run", "measure_result", ["run_id", "measure_slug"])
    op.create_index("ix_measure_result_measure", "measure_result", ["measure_slug", "run_id"])
    for statement in APPEND_ONLY:
        op.execute(statement)
    # Covering indexes for the measures; each starts with the columns of an older index,
    # which it replaces (one index fewer to keep up on every visit and observation saved).
    op.create_index("ix_observation_quality", "observation",
                    ["code", "observed_on", "patient_id", "value", "value_text"])
    op.drop_index("ix_observation_code_date", table_name="observation")
    op.create_index("ix_encounter_quality", "encounter", ["date", "patient_id", "provider_id"])
    op.drop_index("ix_encounter_date", table_name="encounter")


def downgrade() -> None:
    op.create_index("ix_encounter_date", "encounter", ["date"])
    op.drop_index("ix_encounter_quality", table_name="encounter")
    op.create_index("ix_observation_code_date", "observation", ["code", "observed_on"])
    op.drop_index("ix_observation_quality", table_name="observation")
    for table in ("measure_result", "measure_run"):
        for verb in ("delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    op.drop_index("ix_measure_result_measure", table_name="measure_result")
    op.drop_index("ix_measure_result_run", table_name="measure_result")
    op.drop_table("measure_result")
    op.drop_index("ix_measure_run_period", table_name="measure_run")
    op.drop_table("measure_run")
    op.drop_table("quality_measure")
