"""claims and submissions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Claims as their own objects (lines copied from charge lines, status history), the paper print
jobs and 837P batches that submit them with an immutable snapshot of each claim sent, and
work items that can point at a claim (clearinghouse rejections).
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('x12_file_id', sa.Integer(), nullable=True),
    sa.Column('interchange_control', sa.String(length=9), nullable=False),
    sa.Column('group_control', sa.String(length=9), nullable=False),
    sa.Column('print_mode', sa.String(length=4), nullable=False),
    sa.Column('claims', sa.Integer(), nullable=False),
    sa.Column('total_charge', app.models.types.Cents(), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['x12_file_id'], ['x12_file.id'], name=op.f('fk_submission_x12_file_id_x12_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_group', ['group_control'], unique=False)

    op.create_table('claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.String(length=1), nullable=False),
    sa.Column('frequency', sa.String(length=1), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('replaces_claim_id', sa.Integer(), nullable=True),
    sa.Column('original_claim_number', sa.String(length=50), nullable=False),
    sa.Column('payer_claim_number', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('diagnoses', sa.String(length=100), nullable=False),
    sa.Column('rendering_provider_id', sa.Integer(), nullable=True),
    sa.Column('referring_provider_id', sa.Integer(), nullable=True),
    sa.Column('referring_qualifier', sa.String(length=2), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('prior_authorization', sa.String(length=50), nullable=False),
    sa.Column('onset_date', sa.Date(), nullable=True),
    sa.Column('other_date_qualifier', sa.String(length=3), nullable=False),
    sa.Column('other_date', sa.Date(), nullable=True),
    sa.Column('employment_related', sa.Boolean(), nullable=False),
    sa.Column('auto_accident', sa.Boolean(), nullable=False),
    sa.Column('auto_accident_state', sa.String(length=2), nullable=False),
    sa.Column('other_accident', sa.Boolean(), nullable=False),
    sa.Column('accident_date', sa.Date(), nullable=True),
    sa.Column('unable_to_work_from', sa.Date(), nullable=True),
    sa.Column('unable_to_work_to', sa.Date(), nullable=True),
    sa.Column('hospitalized_from', sa.Date(), nullable=True),
    sa.Column('hospitalized_to', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=80), nullable=False),
    sa.Column('patient_paid', app.models.types.Cents(), nullable=False),
    sa.Column('accept_assignment', sa.Boolean(), nullable=False),
    sa.Column('benefits_assigned', sa.Boolean(), nullable=False),
    sa.Column('release_of_information', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverage.id'], name=op.f('fk_claim_coverage_id_coverage')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_claim_encounter_id_encounter')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_claim_facility_id_facility')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_claim_patient_id_patient')),
    sa.ForeignKeyConstraint(['payer_id'], ['payer.id'], name=op.f('fk_claim_payer_id_payer')),
    sa.ForeignKeyConstraint(['referring_provider_id'], ['provider.id'], name=op.f('fk_claim_referring_provider_id_provider')),
    sa.ForeignKeyConstraint(['rendering_provider_id'], ['provider.id'], name=op.f('fk_claim_rendering_provider_id_provider')),
    sa.ForeignKeyConstraint(['replaces_claim_id'], ['claim.id'], name=op.f('fk_claim_replaces_claim_id_claim')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim'))
    )
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.create_index('ix_claim_encounter', ['encounter_id'], unique=False)
        batch_op.create_index('ix_claim_patient', ['patient_id'], unique=False)
        batch_op.create_index('ix_claim_replaces', ['replaces_claim_id'], unique=False)
        batch_op.create_index('ix_claim_status', ['status', 'method'], unique=False)

    op.create_table('service_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('charge_line_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('dos', sa.Date(), nullable=False),
    sa.Column('pos', sa.String(length=2), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('modifiers', sa.String(length=8), nullable=False),
    sa.Column('pointers', sa.String(length=4), nullable=False),
    sa.Column('units', app.models.types.ScaledDecimal(), nullable=False),
    sa.Column('charge', app.models.types.Cents(), nullable=False),
    sa.Column('ndc', sa.String(length=11), nullable=False),
    sa.Column('ndc_unit', sa.String(length=2), nullable=False),
    sa.Column('ndc_quantity', app.models.types.ScaledDecimal(), nullable=True),
    sa.Column('control_number', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['charge_line_id'], ['charge_line.id'], name=op.f('fk_service_line_charge_line_id_charge_line')),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_service_line_claim_id_claim')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_line'))
    )
    with op.batch_alter_table('service_line', schema=None) as batch_op:
        batch_op.create_index('ix_service_line_charge', ['charge_line_id'], unique=False)
        batch_op.create_index('ix_service_line_claim', ['claim_id'], unique=False)

    op.create_table('claim_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('claim_number', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_snapshot_claim_id_claim')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_claim_snapshot_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_snapshot')),
    sa.UniqueConstraint('claim_id', 'submission_id', name='uq_claim_snapshot')
    )
    with op.batch_alter_table('claim_snapshot', schema=None) as batch_op:
        batch_op.create_index('ix_claim_snapshot_number', ['claim_number'], unique=False)

    op.create_table('claim_status_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('by', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_status_event_claim_id_claim')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_claim_status_event_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_status_event'))
    )
    with op.batch_alter_table('claim_status_event', schema=None) as batch_op:
        batch_op.create_index('ix_claim_status_event_claim', ['claim_id'], unique=False)

    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_work_item_claim', ['claim_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_work_item_claim_id_claim'), 'claim', ['claim_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_work_item_claim_id_claim'), type_='foreignkey')
        batch_op.drop_index('ix_work_item_claim')
        batch_op.drop_column('claim_id')

    with op.batch_alter_table('claim_status_event', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_status_event_claim')

    op.drop_table('claim_status_event')
    with op.batch_alter_table('claim_snapshot', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_snapshot_number')

    op.drop_table('claim_snapshot')
    with op.batch_alter_table('service_line', schema=None) as batch_op:
        batch_op.drop_index('ix_service_line_claim')
        batch_op.drop_index('ix_service_line_charge')

    op.drop_table('service_line')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_status')
        batch_op.drop_index('ix_claim_replaces')
        batch_op.drop_index('ix_claim_patient')
        batch_op.drop_index('ix_claim_encounter')

    op.drop_table('claim')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_group')

    op.drop_table('submission')
