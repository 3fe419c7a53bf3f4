"""ID numbers, phones and the documents holding them sealed at rest (services/sealing.py): the
columns widen for the sealed text, blind-index columns take over the lookups and uniqueness,
and every existing row is sealed in place, in batches, under the current key.

Runs inside the app (flask db upgrade): the keys are the app's (PERSONAL_DATA_KEYS,
BLIND_INDEX_KEY; derived from SECRET_KEY outside production). Downgrade opens every row again.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-26 15:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

SEALED = sa.String(length=120)
# table -> {column: blind-index kind or None (sealed, never looked up)}
VALUES = {
    "persons": {"phone": "phone", "id_number": "id_number"},
    "sms_codes": {"phone": "phone"},
    "bookings": {"patient_id_number": "id_number"},
    "organisations": {"legal_rep_id_number": "id_number", "contact_phone": None},
    "organisation_authorisations": {"id_number": "id_number", "granted_by_id_number": "id_number"},
    "cases": {"applicant_id_number": None, "applicant_phone": None},
    "mandates": {"phone": None},
    "kiosk_visits": {"phone": None},
    "outbox": {"recipient": "phone"},  # a department system's key is indexed as a phone would be: one kind per column
}
DOCUMENTS = {"cases": ["answers"], "drafts": ["answers"], "kiosk_visits": ["card"], "shipments": ["address"],
             "outbox": ["payload"]}
BATCH = 2000


def _schema_up():
    with op.batch_alter_table('persons') as batch_op:
        batch_op.drop_constraint('uq_persons_phone', type_='unique')
        batch_op.drop_constraint('uq_persons_id_number', type_='unique')
    with op.batch_alter_table('sms_codes') as batch_op:
        batch_op.drop_index('ix_sms_codes_phone')
    with op.batch_alter_table('bookings') as batch_op:
        batch_op.drop_index('uq_bookings_active_patient')
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.drop_index('ix_organisations_legal_rep_id_number')
    with op.batch_alter_table('organisation_authorisations') as batch_op:
        batch_op.drop_index('ix_organisation_authorisations_id_number')
        batch_op.drop_index('uq_organisation_authorisations_live')
    for table, columns in VALUES.items():
        with op.batch_alter_table(table) as batch_op:
            for column, kind in columns.items():
                batch_op.alter_column(column, type_=SEALED)
                if kind:
                    batch_op.add_column(sa.Column(f"{column}_index", sa.String(length=64), nullable=True))
    for table, columns in DOCUMENTS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.alter_column(column, type_=sa.Text(), postgresql_using=f"{column}::text")


def _indexes_up():
    with op.batch_alter_table('persons') as batch_op:
        batch_op.create_unique_constraint('uq_persons_phone_index', ['phone_index'])
        batch_op.create_unique_constraint('uq_persons_id_number_index', ['id_number_index'])
    with op.batch_alter_table('sms_codes') as batch_op:
        batch_op.alter_column('phone_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_sms_codes_phone_index', ['phone_index'])
    with op.batch_alter_table('bookings') as batch_op:
        batch_op.alter_column('patient_id_number_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('uq_bookings_active_patient', ['session_id', 'patient_id_number_index'], unique=True,
                              sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.alter_column('legal_rep_id_number_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_organisations_legal_rep_id_number_index', ['legal_rep_id_number_index'])
    with op.batch_alter_table('organisation_authorisations') as batch_op:
        batch_op.alter_column('id_number_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('granted_by_id_number_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_organisation_authorisations_id_number_index', ['id_number_index'])
        batch_op.create_index('uq_organisation_authorisations_live', ['organisation_id', 'id_number_index'],
                              unique=True, sqlite_where=sa.text("ended_at IS NULL"),
                              postgresql_where=sa.text("ended_at IS NULL"))
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.alter_column('recipient_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_outbox_recipient_index', ['recipient_index'])


def _convert(table: str, columns: dict, documents: list, seal_it: bool) -> None:
    """Every row of the table sealed (or opened, going down), BATCH rows at a time."""
    from services.sealing import blind, open_sealed, seal

    conn = op.get_bind()
    names = list(columns) + documents
    last = 0
    while True:
        rows = conn.execute(sa.text(f"SELECT id, {', '.join(names)} FROM {table} WHERE id > :last "
                                    f"ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        for row in rows:
            values = {}
            for name, value in zip(names, row[1:]):
                if value is None:
                    continue
                purpose = f"{table}.{name}"
                values[name] = seal(value, purpose) if seal_it else open_sealed(value, purpose)
                kind = columns.get(name)
                if seal_it and kind:
                    values[f"{name}_index"] = blind(value, kind)
            if values:
                conn.execute(sa.text(f"UPDATE {table} SET {', '.join(f'{k} = :{k}' for k in values)} WHERE id = :id"),
                             {**values, "id": row[0]})
        if len(rows) < BATCH:
            return
        last = rows[-1][0]


def foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to alter it, and its DROP must not check the foreign keys of the
    rows pointing at it (same rows, same ids afterwards): see 0014. Only outside a transaction."""
    if op.get_bind().dialect.name == "sqlite":
        op.get_bind().connection.dbapi_connection.commit()
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    foreign_keys(False)
    # Who looked at a person's data is read by target (a person's copy, services/people/my_data.py).
    op.create_index('ix_audit_log_target', 'audit_log', ['target'])
    _schema_up()
    for table in dict.fromkeys(list(VALUES) + list(DOCUMENTS)):
        _convert(table, VALUES.get(table, {}), DOCUMENTS.get(table, []), seal_it=True)
    _indexes_up()
    foreign_keys(True)


def downgrade():
    foreign_keys(False)
    op.drop_index('ix_audit_log_target', table_name='audit_log')
    for table in dict.fromkeys(list(VALUES) + list(DOCUMENTS)):
        _convert(table, VALUES.get(table, {}), DOCUMENTS.get(table, []), seal_it=False)
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_index('ix_outbox_recipient_index')
    with op.batch_alter_table('organisation_authorisations') as batch_op:
        batch_op.drop_index('uq_organisation_authorisations_live')
        batch_op.drop_index('ix_organisation_authorisations_id_number_index')
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.drop_index('ix_organisations_legal_rep_id_number_index')
    with op.batch_alter_table('bookings') as batch_op:
        batch_op.drop_index('uq_bookings_active_patient')
    with op.batch_alter_table('sms_codes') as batch_op:
        batch_op.drop_index('ix_sms_codes_phone_index')
    with op.batch_alter_table('persons') as batch_op:
        batch_op.drop_constraint('uq_persons_phone_index', type_='unique')
        batch_op.drop_constraint('uq_persons_id_number_index', type_='unique')
    for table, columns in VALUES.items():
        with op.batch_alter_table(table) as batch_op:
            for column, kind in columns.items():
                if kind:
                    batch_op.drop_column(f"{column}_index")
    for table, columns in DOCUMENTS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.alter_column(column, type_=sa.JSON(), postgresql_using=f"{column}::json")
    with op.batch_alter_table('persons') as batch_op:
        batch_op.create_unique_constraint('uq_persons_phone', ['phone'])
        batch_op.create_unique_constraint('uq_persons_id_number', ['id_number'])
    with op.batch_alter_table('sms_codes') as batch_op:
        batch_op.create_index('ix_sms_codes_phone', ['phone'])
    with op.batch_alter_table('bookings') as batch_op:
        batch_op.create_index('uq_bookings_active_patient', ['session_id', 'patient_id_number'], unique=True,
                              sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.create_index('ix_organisations_legal_rep_id_number', ['legal_rep_id_number'])
    with op.batch_alter_table('organisation_authorisations') as batch_op:
        batch_op.create_index('ix_organisation_authorisations_id_number', ['id_number'])
        batch_op.create_index('uq_organisation_authorisations_live', ['organisation_id', 'id_number'], unique=True,
                              sqlite_where=sa.text("ended_at IS NULL"), postgresql_where=sa.text("ended_at IS NULL"))
    foreign_keys(True)
