"""coding, fees and ledger

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Code sets (ICD-10-CM releases, HCPCS/CPT, modifiers, favourites), the fee schedule and
payer contract rates, NCCI/MUE edits, coded encounters (diagnoses and charge lines) and the
append-only money ledger. Triggers make ledger rows unchangeable except for the patient a
merge moves them to, and undeletable.
"""

import sqlalchemy as sa
from alembic import op

import app.models.types
from app.models.ledger import MOVABLE_COLUMNS

LEDGER_COLUMNS = ("kind", "amount", "entry_date", "encounter_id", "charge_line_id",
                  "reverses_id", "memo", "posted_at", "posted_by", "id")

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('code_set_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=10), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('codes', sa.Integer(), nullable=False),
    sa.Column('loaded_by', sa.String(length=40), nullable=False),
    sa.Column('loaded_at', app.models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_set_release')),
    sa.UniqueConstraint('system', 'version', name='uq_code_set_release')
    )
    op.create_table('fee_schedule_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('modifier', sa.String(length=2), nullable=False),
    sa.Column('charge', app.models.types.Cents(), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_schedule_entry')),
    sa.UniqueConstraint('code', 'modifier', name='uq_fee_schedule_code_mod')
    )
    op.create_table('modifier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('description', sa.String(length=250), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modifier')),
    sa.UniqueConstraint('code', name=op.f('uq_modifier_code'))
    )
    op.create_table('contract_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('modifier', sa.String(length=2), nullable=False),
    sa.Column('allowed', app.models.types.Cents(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('updated_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['payer_id'], ['payer.id'], name=op.f('fk_contract_rate_payer_id_payer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_rate')),
    sa.UniqueConstraint('payer_id', 'code', 'modifier', 'effective_from', name='uq_contract_rate')
    )
    with op.batch_alter_table('contract_rate', schema=None) as batch_op:
        batch_op.create_index('ix_contract_rate_code', ['code'], unique=False)

    op.create_table('diagnosis_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('billable', sa.Boolean(), nullable=False),
    sa.Column('parent', sa.String(length=10), nullable=False),
    sa.Column('chapter', sa.String(length=3), nullable=False),
    sa.Column('block', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('age_min', sa.Integer(), nullable=True),
    sa.Column('age_max', sa.Integer(), nullable=True),
    sa.Column('edit_rule', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['code_set_release.id'], name=op.f('fk_diagnosis_code_release_id_code_set_release')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnosis_code')),
    sa.UniqueConstraint('release_id', 'code', name='uq_diagnosis_code_release_code')
    )
    with op.batch_alter_table('diagnosis_code', schema=None) as batch_op:
        batch_op.create_index('ix_diagnosis_code_code', ['code'], unique=False)
        batch_op.create_index('ix_diagnosis_code_parent', ['release_id', 'parent'], unique=False)

    op.create_table('favorite_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_favorite_code_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_favorite_code')),
    sa.UniqueConstraint('provider_id', 'system', 'code', name='uq_favorite_code')
    )
    with op.batch_alter_table('favorite_code', schema=None) as batch_op:
        batch_op.create_index('ix_favorite_code_provider', ['provider_id', 'system', 'position'], unique=False)

    op.create_table('mue_limit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('max_units', sa.Integer(), nullable=False),
    sa.Column('adjudication_indicator', sa.String(length=80), nullable=False),
    sa.Column('rationale', sa.String(length=120), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['import_log.id'], name=op.f('fk_mue_limit_import_id_import_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mue_limit'))
    )
    with op.batch_alter_table('mue_limit', schema=None) as batch_op:
        batch_op.create_index('ix_mue_limit_code', ['code'], unique=False)

    op.create_table('ncci_edit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('column1', sa.String(length=5), nullable=False),
    sa.Column('column2', sa.String(length=5), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('modifier_indicator', sa.String(length=1), nullable=False),
    sa.Column('rationale', sa.String(length=200), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['import_log.id'], name=op.f('fk_ncci_edit_import_id_import_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ncci_edit'))
    )
    with op.batch_alter_table('ncci_edit', schema=None) as batch_op:
        batch_op.create_index('ix_ncci_edit_pair', ['column1', 'column2'], unique=False)

    op.create_table('procedure_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=5), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('short_description', sa.String(length=60), nullable=False),
    sa.Column('long_description', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('release_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('is_drug', sa.Boolean(), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['code_set_release.id'], name=op.f('fk_procedure_code_release_id_code_set_release')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_code')),
    sa.UniqueConstraint('system', 'code', name='uq_procedure_code_system_code')
    )
    with op.batch_alter_table('procedure_code', schema=None) as batch_op:
        batch_op.create_index('ix_procedure_code_code', ['code'], unique=False)

    op.create_table('charge_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('dos', sa.Date(), nullable=False),
    sa.Column('system', sa.String(length=5), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('modifiers', sa.String(length=8), nullable=False),
    sa.Column('units', app.models.types.ScaledDecimal(), nullable=False),
    sa.Column('pointers', sa.String(length=4), nullable=False),
    sa.Column('ndc', sa.String(length=11), nullable=False),
    sa.Column('ndc_unit', sa.String(length=2), nullable=False),
    sa.Column('ndc_quantity', app.models.types.ScaledDecimal(), nullable=True),
    sa.Column('charge', app.models.types.Cents(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('voided_at', app.models.types.UTCDateTime(), nullable=True),
    sa.Column('voided_by', sa.String(length=40), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_charge_line_encounter_id_encounter')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_charge_line_patient_id_patient')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['charge_line.id'], name=op.f('fk_charge_line_replaced_by_id_charge_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charge_line'))
    )
    with op.batch_alter_table('charge_line', schema=None) as batch_op:
        batch_op.create_index('ix_charge_line_encounter', ['encounter_id'], unique=False)
        batch_op.create_index('ix_charge_line_patient', ['patient_id'], unique=False)

    op.create_table('encounter_diagnosis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_encounter_diagnosis_encounter_id_encounter')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encounter_diagnosis')),
    sa.UniqueConstraint('encounter_id', 'position', name='uq_encounter_diagnosis_position')
    )
    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', app.models.types.Cents(), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('charge_line_id', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('memo', sa.String(length=200), nullable=False),
    sa.Column('posted_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('posted_by', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['charge_line_id'], ['charge_line.id'], name=op.f('fk_ledger_entry_charge_line_id_charge_line')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounter.id'], name=op.f('fk_ledger_entry_encounter_id_encounter')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_ledger_entry_patient_id_patient')),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_entry.id'], name=op.f('fk_ledger_entry_reverses_id_ledger_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entry')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_ledger_entry_reverses_id'))
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entry_charge_line', ['charge_line_id'], unique=False)
        batch_op.create_index('ix_ledger_entry_encounter', ['encounter_id'], unique=False)
        batch_op.create_index('ix_ledger_entry_patient', ['patient_id', 'entry_date'], unique=False)

    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coding_status', sa.String(length=8), server_default='uncoded', nullable=False))
        batch_op.add_column(sa.Column('coded_at', app.models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('coded_by', sa.String(length=40), server_default='', nullable=False))
        batch_op.create_index('ix_encounter_coding', ['coding_status', 'date'], unique=False)

    frozen = ", ".join(c for c in LEDGER_COLUMNS if c not in MOVABLE_COLUMNS)
    op.execute(f"CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE OF {frozen} "
               "ON ledger_entry BEGIN "
               "SELECT RAISE(ABORT, 'ledger entries are append-only'); END")
    op.execute("CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry BEGIN "
               "SELECT RAISE(ABORT, 'ledger entries are append-only'); END")



def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_delete")
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update")
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.drop_index('ix_encounter_coding')
        batch_op.drop_column('coded_by')
        batch_op.drop_column('coded_at')
        batch_op.drop_column('coding_status')

    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entry_patient')
        batch_op.drop_index('ix_ledger_entry_encounter')
        batch_op.drop_index('ix_ledger_entry_charge_line')

    op.drop_table('ledger_entry')
    op.drop_table('encounter_diagnosis')
    with op.batch_alter_table('charge_line', schema=None) as batch_op:
        batch_op.drop_index('ix_charge_line_patient')
        batch_op.drop_index('ix_charge_line_encounter')

    op.drop_table('charge_line')
    with op.batch_alter_table('procedure_code', schema=None) as batch_op:
        batch_op.drop_index('ix_procedure_code_code')

    op.drop_table('procedure_code')
    with op.batch_alter_table('ncci_edit', schema=None) as batch_op:
        batch_op.drop_index('ix_ncci_edit_pair')

    op.drop_table('ncci_edit')
    with op.batch_alter_table('mue_limit', schema=None) as batch_op:
        batch_op.drop_index('ix_mue_limit_code')

    op.drop_table('mue_limit')
    with op.batch_alter_table('favorite_code', schema=None) as batch_op:
        batch_op.drop_index('ix_favorite_code_provider')

    op.drop_table('favorite_code')
    with op.batch_alter_table('diagnosis_code', schema=None) as batch_op:
        batch_op.drop_index('ix_diagnosis_code_parent')
        batch_op.drop_index('ix_diagnosis_code_code')

    op.drop_table('diagnosis_code')
    with op.batch_alter_table('contract_rate', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_rate_code')

    op.drop_table('contract_rate')
    op.drop_table('modifier')
    op.drop_table('fee_schedule_entry')
    op.drop_table('code_set_release')
