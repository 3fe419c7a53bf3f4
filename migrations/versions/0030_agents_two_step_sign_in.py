"""Two-step sign-in for village agents, as for staff: an agent reads and submits the personal
data of every resident who consents to them.

agents.totp_secret/_last_step, two_factor_since, enrolment_code_hash/_until
(services/people/two_factor.py TwoStepAccount); recovery codes are a staff member's or an
agent's (exactly one of staff_id, agent_id). An agent enrols at their next sign-in with the
enrolment code the township administrator hands over (工作台 → 代办员 → 重置两步验证): every
agent signed in now is signed out, not left working without a second step for up to 12 hours.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-26 20:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('two_factor_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('enrolment_code_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('enrolment_code_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.alter_column('staff_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_recovery_codes_agent_id'), ['agent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_recovery_codes_agent_id_agents'), 'agents', ['agent_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_recovery_codes_one_owner'), '(staff_id IS NULL) <> (agent_id IS NULL)')
    op.execute(sa.text("UPDATE account_sessions SET ended_at = :now, ended_why = 'two_factor_reset' "
                       "WHERE account_kind = 'agent' AND ended_at IS NULL").bindparams(now=datetime.now(UTC)))


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # a table rebuilt must not check the foreign keys of rows referring to it (see 0014)
        op.execute("PRAGMA foreign_keys=OFF")
    op.execute("DELETE FROM recovery_codes WHERE agent_id IS NOT NULL")
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_recovery_codes_one_owner'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_recovery_codes_agent_id_agents'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_recovery_codes_agent_id'))
        batch_op.drop_column('agent_id')
        batch_op.alter_column('staff_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('agents', schema=None) as batch_op:
        for column in ('enrolment_code_until', 'enrolment_code_hash', 'two_factor_since', 'totp_last_step',
                       'totp_secret'):
            batch_op.drop_column(column)
    if sqlite:
        op.get_bind().connection.dbapi_connection.commit()
        op.execute("PRAGMA foreign_keys=ON")
