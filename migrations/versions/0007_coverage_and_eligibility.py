"""coverage and eligibility

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

Benefits verification: coverages with their dated order (primary/secondary/tertiary),
eligibility checks by phone, portal or 271 with their benefit lines, 270 inquiries and the
X12 files sent and received (kept whole), control numbers for files the clinic sends,
differences a 271 shows in a subscriber's details, and follow-up work items.
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('control_number',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_control_number'))
    )
    op.create_table('x12_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('control_number', sa.String(length=9), nullable=False),
    sa.Column('transactions', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_x12_file'))
    )
    with op.batch_alter_table('x12_file', schema=None) as batch_op:
        batch_op.create_index('ix_x12_file_kind_sha', ['kind', 'sha256'], unique=False)

    op.create_table('coverage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.String(length=80), nullable=False),
    sa.Column('group_number', sa.String(length=50), nullable=False),
    sa.Column('group_name', sa.String(length=60), nullable=False),
    sa.Column('plan_name', sa.String(length=60), nullable=False),
    sa.Column('relationship', sa.String(length=2), nullable=False),
    sa.Column('subscriber_last_name', sa.String(length=60), nullable=False),
    sa.Column('subscriber_first_name', sa.String(length=35), nullable=False),
    sa.Column('subscriber_middle_name', sa.String(length=25), nullable=False),
    sa.Column('subscriber_dob', sa.Date(), nullable=True),
    sa.Column('subscriber_sex', sa.String(length=1), nullable=False),
    sa.Column('subscriber_address1', sa.String(length=55), nullable=False),
    sa.Column('subscriber_address2', sa.String(length=55), nullable=False),
    sa.Column('subscriber_city', sa.String(length=30), nullable=False),
    sa.Column('subscriber_state', sa.String(length=2), nullable=False),
    sa.Column('subscriber_zip', sa.String(length=9), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('copay', app.models.types.Cents(), nullable=True),
    sa.Column('msp_type', sa.String(length=2), nullable=False),
    sa.Column('assignment_on_file', sa.Boolean(), nullable=False),
    sa.Column('assignment_signed_on', sa.Date(), nullable=True),
    sa.Column('release_on_file', sa.Boolean(), nullable=False),
    sa.Column('release_signed_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_coverage_patient_id_patient')),
    sa.ForeignKeyConstraint(['payer_id'], ['payer.id'], name=op.f('fk_coverage_payer_id_payer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage'))
    )
    with op.batch_alter_table('coverage', schema=None) as batch_op:
        batch_op.create_index('ix_coverage_patient', ['patient_id', 'effective_from'], unique=False)
        batch_op.create_index('ix_coverage_payer', ['payer_id'], unique=False)

    op.create_table('coverage_rank',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('set_by', sa.String(length=40), nullable=False),
    sa.Column('set_at', app.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverage.id'], name=op.f('fk_coverage_rank_coverage_id_coverage')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_coverage_rank_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_rank'))
    )
    with op.batch_alter_table('coverage_rank', schema=None) as batch_op:
        batch_op.create_index('ix_coverage_rank_coverage', ['coverage_id'], unique=False)
        batch_op.create_index('ix_coverage_rank_patient', ['patient_id', 'valid_from'], unique=False)

    op.create_table('eligibility_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=6), nullable=False),
    sa.Column('representative', sa.String(length=60), nullable=False),
    sa.Column('reference', sa.String(length=50), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=True),
    sa.Column('plan_begin', sa.Date(), nullable=True),
    sa.Column('plan_end', sa.Date(), nullable=True),
    sa.Column('deductible_total', app.models.types.Cents(), nullable=True),
    sa.Column('deductible_met', app.models.types.Cents(), nullable=True),
    sa.Column('family_deductible_total', app.models.types.Cents(), nullable=True),
    sa.Column('family_deductible_met', app.models.types.Cents(), nullable=True),
    sa.Column('oop_total', app.models.types.Cents(), nullable=True),
    sa.Column('oop_met', app.models.types.Cents(), nullable=True),
    sa.Column('family_oop_total', app.models.types.Cents(), nullable=True),
    sa.Column('family_oop_met', app.models.types.Cents(), nullable=True),
    sa.Column('prior_auth_required', sa.Boolean(), nullable=True),
    sa.Column('visit_limit', sa.Integer(), nullable=True),
    sa.Column('visits_used', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('rejected', sa.Boolean(), nullable=False),
    sa.Column('rejections', sa.Text(), nullable=False),
    sa.Column('checked_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverage.id'], name=op.f('fk_eligibility_check_coverage_id_coverage')),
    sa.ForeignKeyConstraint(['file_id'], ['x12_file.id'], name=op.f('fk_eligibility_check_file_id_x12_file')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_eligibility_check_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_check'))
    )
    with op.batch_alter_table('eligibility_check', schema=None) as batch_op:
        batch_op.create_index('ix_eligibility_check_coverage', ['coverage_id', 'checked_on'], unique=False)
        batch_op.create_index('ix_eligibility_check_patient', ['patient_id', 'checked_on'], unique=False)

    op.create_table('work_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('coverage_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('assignee', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('closed_by', sa.String(length=40), nullable=False),
    sa.Column('closed_at', app.models.types.UTCDateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverage.id'], name=op.f('fk_work_item_coverage_id_coverage')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_work_item_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_item'))
    )
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.create_index('ix_work_item_patient', ['patient_id'], unique=False)
        batch_op.create_index('ix_work_item_source', ['source', 'source_id'], unique=False)
        batch_op.create_index('ix_work_item_state', ['state', 'due_on'], unique=False)

    op.create_table('benefit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('coverage_level', sa.String(length=3), nullable=False),
    sa.Column('service_type', sa.String(length=2), nullable=False),
    sa.Column('insurance_type', sa.String(length=3), nullable=False),
    sa.Column('plan_description', sa.String(length=50), nullable=False),
    sa.Column('time_period', sa.String(length=2), nullable=False),
    sa.Column('amount', app.models.types.Cents(), nullable=True),
    sa.Column('percent', app.models.types.ScaledDecimal(), nullable=True),
    sa.Column('quantity_qualifier', sa.String(length=2), nullable=False),
    sa.Column('quantity', app.models.types.ScaledDecimal(), nullable=True),
    sa.Column('auth_required', sa.String(length=1), nullable=False),
    sa.Column('in_network', sa.String(length=1), nullable=False),
    sa.Column('procedure', sa.String(length=60), nullable=False),
    sa.Column('messages', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['eligibility_check.id'], name=op.f('fk_benefit_check_id_eligibility_check')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit')),
    sa.UniqueConstraint('check_id', 'position', name='uq_benefit_position')
    )
    op.create_table('demographic_difference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('clinic_value', sa.String(length=120), nullable=False),
    sa.Column('payer_value', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('decided_by', sa.String(length=40), nullable=False),
    sa.Column('decided_at', app.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['check_id'], ['eligibility_check.id'], name=op.f('fk_demographic_difference_check_id_eligibility_check')),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverage.id'], name=op.f('fk_demographic_difference_coverage_id_coverage')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_demographic_difference_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demographic_difference'))
    )
    with op.batch_alter_table('demographic_difference', schema=None) as batch_op:
        batch_op.create_index('ix_demographic_difference_state', ['state', 'patient_id'], unique=False)

    op.create_table('eligibility_inquiry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('trace', sa.String(length=50), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['eligibility_check.id'], name=op.f('fk_eligibility_inquiry_answered_by_id_eligibility_check')),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverage.id'], name=op.f('fk_eligibility_inquiry_coverage_id_coverage')),
    sa.ForeignKeyConstraint(['file_id'], ['x12_file.id'], name=op.f('fk_eligibility_inquiry_file_id_x12_file')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_eligibility_inquiry_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_inquiry')),
    sa.UniqueConstraint('trace', name=op.f('uq_eligibility_inquiry_trace'))
    )
    with op.batch_alter_table('eligibility_inquiry', schema=None) as batch_op:
        batch_op.create_index('ix_eligibility_inquiry_patient', ['patient_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('eligibility_inquiry', schema=None) as batch_op:
        batch_op.drop_index('ix_eligibility_inquiry_patient')

    op.drop_table('eligibility_inquiry')
    with op.batch_alter_table('demographic_difference', schema=None) as batch_op:
        batch_op.drop_index('ix_demographic_difference_state')

    op.drop_table('demographic_difference')
    op.drop_table('benefit')
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_state')
        batch_op.drop_index('ix_work_item_source')
        batch_op.drop_index('ix_work_item_patient')

    op.drop_table('work_item')
    with op.batch_alter_table('eligibility_check', schema=None) as batch_op:
        batch_op.drop_index('ix_eligibility_check_patient')
        batch_op.drop_index('ix_eligibility_check_coverage')

    op.drop_table('eligibility_check')
    with op.batch_alter_table('coverage_rank', schema=None) as batch_op:
        batch_op.drop_index('ix_coverage_rank_patient')
        batch_op.drop_index('ix_coverage_rank_coverage')

    op.drop_table('coverage_rank')
    with op.batch_alter_table('coverage', schema=None) as batch_op:
        batch_op.drop_index('ix_coverage_payer')
        batch_op.drop_index('ix_coverage_patient')

    op.drop_table('coverage')
    with op.batch_alter_table('x12_file', schema=None) as batch_op:
        batch_op.drop_index('ix_x12_file_kind_sha')

    op.drop_table('x12_file')
    op.drop_table('control_number')
