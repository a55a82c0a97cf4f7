"""coding indexes and modifier text

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

Three changes first made by editing 0004 after it had shipped; they live here so that a clinic
that already ran the original 0004 gets them too. Each step is safe to run on a database that
ran the edited 0004 (the indexes are created only if missing, the column type is the same):

- ix_ncci_edit_column2: a code edit looks a pair up from either side, so column 2 is indexed
  on its own as well as (column 1, column 2).
- ix_encounter_coding gains patient_id: the coding queue filtered by patient reads the index
  alone instead of every encounter of a status.
- modifier.description becomes Text: CMS long descriptions of some modifiers pass 250
  characters. SQLite stores both the same way; the model and the schema agree again.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_ncci_edit_column2 ON ncci_edit (column2)")
    op.execute("DROP INDEX IF EXISTS ix_encounter_coding")
    op.execute("CREATE INDEX ix_encounter_coding ON encounter (coding_status, date, patient_id)")
    with op.batch_alter_table('modifier', schema=None) as batch_op:
        batch_op.alter_column('description', existing_type=sa.String(length=250),
                              type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('modifier', schema=None) as batch_op:
        batch_op.alter_column('description', existing_type=sa.Text(),
                              type_=sa.String(length=250), existing_nullable=False)
    op.execute("DROP INDEX IF EXISTS ix_encounter_coding")
    op.execute("CREATE INDEX ix_encounter_coding ON encounter (coding_status, date)")
    op.execute("DROP INDEX IF EXISTS ix_ncci_edit_column2")
