"""clinical registries

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 16:00:00

Clinical registries (issue 9): each registry's rule and tracked fields (JSON), and its
memberships, one row per stay in the registry (at most one open per patient), with the
follow-up date copied out of the tracked values for the overdue list. No rows are written:
registries are made by an administrator (or the demo) from the service's templates.
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("refreshed_at", app.models.types.UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", app.models.types.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "registry_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=4), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.String(length=40), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removed_by", sa.String(length=40), nullable=False),
        sa.Column("removed_reason", sa.String(length=300), nullable=False),
        sa.Column("removed_source", sa.String(length=4), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", app.models.types.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["registry_id"], ["registry.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_registry_member_open", "registry_member", ["registry_id", "patient_id"],
                    unique=True, sqlite_where=sa.text("removed_on IS NULL"))
    op.create_index("ix_registry_member_patient", "registry_member", ["patient_id"])
    op.create_index("ix_registry_member_follow_up", "registry_member",
                    ["registry_id", "follow_up_on"])


def downgrade() -> None:
    op.drop_index("ix_registry_member_follow_up", table_name="registry_member")
    op.drop_index("ix_registry_member_patient", table_name="registry_member")
    op.drop_index("ux_registry_member_open", table_name="registry_member")
    op.drop_table("registry_member")
    op.drop_table("registry")
