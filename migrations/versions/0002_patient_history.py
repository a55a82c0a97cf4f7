"""patient history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

New patient columns are added in place (ALTER TABLE ADD COLUMN with defaults); the folded
name keys of existing patients are filled from their names so search finds them at once.
"""

import sqlalchemy as sa
from alembic import op

from app.formats.names import fold

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_log'))
    )
    with op.batch_alter_table('import_log', schema=None) as batch_op:
        batch_op.create_index('ix_import_log_kind_sha', ['kind', 'sha256'], unique=False)

    op.create_table('allergy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('substance', sa.String(length=120), nullable=False),
    sa.Column('reaction', sa.String(length=120), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_allergy_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allergy'))
    )
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allergy_patient_id'), ['patient_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('mime', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=True),
    sa.Column('added_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_document_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_patient_id'), ['patient_id'], unique=False)

    op.create_table('encounter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('pos', sa.String(length=2), nullable=False),
    sa.Column('reason', sa.String(length=250), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_encounter_facility_id_facility')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_encounter_patient_id_patient')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_encounter_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encounter'))
    )
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.create_index('ix_encounter_date', ['date'], unique=False)
        batch_op.create_index('ix_encounter_patient_date', ['patient_id', 'date'], unique=False)

    op.create_table('medication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('dose', sa.String(length=120), nullable=False),
    sa.Column('started', sa.Date(), nullable=True),
    sa.Column('stopped', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_medication_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication'))
    )
    with op.batch_alter_table('medication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medication_patient_id'), ['patient_id'], unique=False)

    op.create_table('problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('description', sa.String(length=250), nullable=False),
    sa.Column('onset', sa.Date(), nullable=True),
    sa.Column('resolved', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_problem_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem'))
    )
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.create_index('ix_problem_code', ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_problem_patient_id'), ['patient_id'], unique=False)

    op.create_table('document_blob',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_blob_document_id_document')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_document_blob'))
    )
    op.create_table('observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('value_text', sa.String(length=80), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_observation_encounter_id_encounter')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_observation_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation'))
    )
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.create_index('ix_observation_code_date', ['code', 'observed_on'], unique=False)
        batch_op.create_index('ix_observation_patient_date', ['patient_id', 'observed_on'], unique=False)

    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_name', sa.String(length=35), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('mobile_phone', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('work_phone', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('language', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('guarantor_relationship', sa.String(length=20), nullable=False, server_default='self'))
        batch_op.add_column(sa.Column('guarantor_last_name', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('guarantor_first_name', sa.String(length=35), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('guarantor_dob', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('guarantor_address1', sa.String(length=55), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('guarantor_address2', sa.String(length=55), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('guarantor_city', sa.String(length=30), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('guarantor_state', sa.String(length=2), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('guarantor_zip', sa.String(length=9), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('guarantor_phone', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('emergency_name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('emergency_relationship', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('emergency_phone', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('last_key', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('first_key', sa.String(length=35), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('preferred_key', sa.String(length=35), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_patient_dob', ['dob'], unique=False)
        batch_op.create_index('ix_patient_first_key', ['first_key', 'last_key'], unique=False)
        batch_op.create_index('ix_patient_last_key', ['last_key', 'first_key', 'dob'], unique=False)
        batch_op.create_index('ix_patient_active_name', ['merged_into_id', 'last_key', 'first_key', 'dob'], unique=False)
        batch_op.create_index('ix_patient_mobile_phone', ['mobile_phone'], unique=False)
        batch_op.create_index('ix_patient_phone', ['phone'], unique=False)
        batch_op.create_index('ix_patient_preferred_key', ['preferred_key', 'last_key'], unique=False)
        batch_op.create_index('ix_patient_ssn', ['ssn'], unique=False)
        batch_op.create_index('ix_patient_work_phone', ['work_phone'], unique=False)

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, last_name, first_name FROM patient")).all()
    if rows:
        conn.execute(
            sa.text("UPDATE patient SET last_key = :lk, first_key = :fk WHERE id = :id"),
            [{"lk": fold(r.last_name), "fk": fold(r.first_name), "id": r.id} for r in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_index('ix_patient_work_phone')
        batch_op.drop_index('ix_patient_ssn')
        batch_op.drop_index('ix_patient_preferred_key')
        batch_op.drop_index('ix_patient_phone')
        batch_op.drop_index('ix_patient_mobile_phone')
        batch_op.drop_index('ix_patient_last_key')
        batch_op.drop_index('ix_patient_active_name')
        batch_op.drop_index('ix_patient_first_key')
        batch_op.drop_index('ix_patient_dob')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('preferred_key')
        batch_op.drop_column('first_key')
        batch_op.drop_column('last_key')
        batch_op.drop_column('notes')
        batch_op.drop_column('emergency_phone')
        batch_op.drop_column('emergency_relationship')
        batch_op.drop_column('emergency_name')
        batch_op.drop_column('guarantor_phone')
        batch_op.drop_column('guarantor_zip')
        batch_op.drop_column('guarantor_state')
        batch_op.drop_column('guarantor_city')
        batch_op.drop_column('guarantor_address2')
        batch_op.drop_column('guarantor_address1')
        batch_op.drop_column('guarantor_dob')
        batch_op.drop_column('guarantor_first_name')
        batch_op.drop_column('guarantor_last_name')
        batch_op.drop_column('guarantor_relationship')
        batch_op.drop_column('language')
        batch_op.drop_column('work_phone')
        batch_op.drop_column('mobile_phone')
        batch_op.drop_column('preferred_name')

    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_index('ix_observation_patient_date')
        batch_op.drop_index('ix_observation_code_date')

    op.drop_table('observation')
    op.drop_table('document_blob')
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_patient_id'))
        batch_op.drop_index('ix_problem_code')

    op.drop_table('problem')
    with op.batch_alter_table('medication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medication_patient_id'))

    op.drop_table('medication')
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.drop_index('ix_encounter_patient_date')
        batch_op.drop_index('ix_encounter_date')

    op.drop_table('encounter')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_patient_id'))

    op.drop_table('document')
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allergy_patient_id'))

    op.drop_table('allergy')
    op.drop_table('import_log')
