"""observation encounter index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Observations are read by their encounter (coding a visit, deleting or merging one); without an
index each such read scanned every observation of the clinic.
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_observation_encounter', 'observation', ['encounter_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_observation_encounter', table_name='observation')
