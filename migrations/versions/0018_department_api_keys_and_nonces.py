"""department systems' API keys kept in the console, and the nonces they have used

api_keys (services/exchange/keys.py): per department system, at most two valid at once (a
rotation), revocable; api_nonces: every nonce a signed request carried, kept past the 5-minute
window so that no captured request is accepted twice.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 10:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=12), nullable=False),
    sa.Column('key_id', sa.String(length=24), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_api_keys_key_id'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_system'), ['system'], unique=False)
    op.create_table('api_nonces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=12), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_nonces')),
    sa.UniqueConstraint('system', 'nonce', name=op.f('uq_api_nonces_system'))
    )
    with op.batch_alter_table('api_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_nonces_at'), ['at'], unique=False)


def downgrade():
    op.drop_table('api_nonces')
    op.drop_table('api_keys')
