"""organisations (法人) that apply online, the persons their legal representative authorised,
and the organisation a case or a draft is for

organisations and organisation_authorisations (services/people/organisations.py); cases and
drafts get organisation_id (NULL: a person's own, as every case before this revision), and a
case keeps the organisation's name and 统一社会信用代码 as they were when it applied.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 12:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds cases and drafts to add a foreign key: see 0014."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        if on:
            bind.connection.dbapi_connection.commit()
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _foreign_keys(False)
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('legal_rep_name', sa.String(length=40), nullable=False),
    sa.Column('legal_rep_id_number', sa.String(length=18), nullable=False),
    sa.Column('registered_address', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('address', sa.String(length=120), nullable=False),
    sa.Column('contact_name', sa.String(length=40), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('uscc', name=op.f('uq_organisations_uscc'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_legal_rep_id_number'), ['legal_rep_id_number'], unique=False)

    op.create_table('organisation_authorisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('granted_by', sa.String(length=40), nullable=False),
    sa.Column('granted_by_id_number', sa.String(length=18), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_authorisations_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_authorisations'))
    )
    with op.batch_alter_table('organisation_authorisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_authorisations_id_number'), ['id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_authorisations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_organisation_authorisations_live', ['organisation_id', 'id_number'], unique=True,
                              sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('organisation_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('organisation_uscc', sa.String(length=18), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'])

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_drafts_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'])
    _foreign_keys(True)


def downgrade():
    _foreign_keys(False)
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_drafts_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_column('organisation_id')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_organisation_id'))
        batch_op.drop_column('organisation_uscc')
        batch_op.drop_column('organisation_name')
        batch_op.drop_column('organisation_id')

    with op.batch_alter_table('organisation_authorisations', schema=None) as batch_op:
        batch_op.drop_index('uq_organisation_authorisations_live')
        batch_op.drop_index(batch_op.f('ix_organisation_authorisations_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_organisation_authorisations_id_number'))

    op.drop_table('organisation_authorisations')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_legal_rep_id_number'))

    op.drop_table('organisations')
    _foreign_keys(True)
