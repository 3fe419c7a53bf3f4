"""actors beside applicants; materials by catalog key; attempts; every event bumps the case

Uploads and 补正 requests referred to a material by its position in the catalog file, so
re-ordering a file would relabel stored uploads. They now carry the material's key; existing
rows are mapped with the catalog's materials as they stood at this release (a snapshot below:
a catalog file re-ordered later must not change what old rows mean). Cases, drafts
and uploads record who acted, apart from the applicant; the citizen acting for themself is
`citizen` (was `applicant`) on events.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

RESULT = "_result"
UNKNOWN = -2  # what a key no old position matches becomes on the way down (-1 is the result)
# Each item's materials, in the order of its catalog file when positions were stored.
KEYS_AT_0011 = {
    "621027-BM-001": ["id_card"], "621027-BM-002": ["id_or_social_card"], "621027-BM-003": ["id_card"],
    "621027-BM-004": ["couple_id_cards", "marriage_certificate", "household_register", "pregnancy_proof"],
    "621027-BM-005": ["elder_id_card", "household_register", "bank_account", "authorisation"],
    "621027-BM-006": ["id_and_household_register", "income_check_authorisation", "hardship_proof"],
    "621027-BM-007": ["id_and_household_register", "photo", "medical_records"],
    "621027-BM-008": ["id_card", "supporting_documents"],
    "621027-BM-009": ["id_and_household_register", "hardship_proof"],
    "621027-BM-010": ["id_or_social_card"], "621027-BM-011": ["id_card"], "621027-BM-012": ["id_and_household_register"],
    "621027-SP-001": ["project_documents", "land_and_site_opinion", "stability_assessment", "funding_proof",
                      "business_licence"],
    "621027-SP-002": ["investor_ids", "name_commitment"],
    "621027-SP-003": ["application_form", "business_licence", "registered_staff_certificates",
                      "technical_lead_documents", "net_assets_proof", "safety_licence"],
}


def _keys_by_item() -> dict[str, list[str]]:
    """The snapshot, plus items added to the catalog since (their files carry keys already)."""
    catalog = current_app.extensions["catalog"]
    return {**{item.code: [m.key for m in item.materials] for item in catalog.items}, **KEYS_AT_0011}


def _key(keys: list[str], index) -> str | None:
    """A stored position (an int, or digits as text from an unchecked department push) as a key."""
    if isinstance(index, str) and index.isascii() and index.isdigit():
        index = int(index)
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(keys):
        return keys[index]
    return None


def upgrade():
    with op.batch_alter_table('uploads') as batch:
        batch.add_column(sa.Column('material_key', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('actor_kind', sa.String(length=12), nullable=False, server_default='citizen'))
        batch.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('drafts') as batch:
        batch.add_column(sa.Column('actor_kind', sa.String(length=12), nullable=False, server_default='citizen'))
        batch.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('actor_kind', sa.String(length=12), nullable=False, server_default='citizen'))
        batch.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('attempts',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('key', sa.String(length=120), nullable=False),
                    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')))
    op.create_index(op.f('ix_attempts_key'), 'attempts', ['key'], unique=False)
    op.create_index(op.f('ix_attempts_at'), 'attempts', ['at'], unique=False)

    conn = op.get_bind()
    keys = _keys_by_item()
    # Who did it: the people themselves, until now.
    conn.execute(sa.text("UPDATE drafts SET actor_id = person_id"))
    conn.execute(sa.text("UPDATE cases SET actor_id = applicant_id"))
    conn.execute(sa.text("UPDATE uploads SET actor_id = owner_id"))
    conn.execute(sa.text("UPDATE case_events SET actor_kind = 'citizen' WHERE actor_kind = 'applicant'"))
    # Uploads: position -> key, through the draft's or the case's item.
    rows = conn.execute(sa.text(
        "SELECT u.id, u.material_index, COALESCE(c.item_code, d.item_code) FROM uploads u "
        "LEFT JOIN cases c ON c.id = u.case_id LEFT JOIN drafts d ON d.id = u.draft_id")).all()
    for upload_id, index, item_code in rows:
        key = RESULT if index == -1 else _key(keys.get(item_code, []), index) or f"unknown_{index}"
        conn.execute(sa.text("UPDATE uploads SET material_key = :k WHERE id = :i"), {"k": key[:40], "i": upload_id})
    # 补正 requests: the list of positions in the event's data -> keys.
    events = sa.table('case_events', sa.column('id', sa.Integer), sa.column('data', sa.JSON))
    for event_id, data, item_code in conn.execute(sa.text(
            "SELECT e.id, e.data, c.item_code FROM case_events e JOIN cases c ON c.id = e.case_id "
            "WHERE e.action = 'supplement'")).all():
        data = data if isinstance(data, dict) else __import__("json").loads(data or "{}")
        materials = data.get("materials")
        materials = materials if isinstance(materials, list) else []
        mapped = [_key(keys.get(item_code, []), i) for i in materials]
        data["materials"] = [k for k in mapped if k]
        conn.execute(events.update().where(events.c.id == event_id).values(data=data))
    with op.batch_alter_table('uploads') as batch:
        batch.alter_column('material_key', existing_type=sa.String(length=40), nullable=False)
        batch.drop_column('material_index')


def downgrade():
    keys = _keys_by_item()
    with op.batch_alter_table('uploads') as batch:
        batch.add_column(sa.Column('material_index', sa.Integer(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT u.id, u.material_key, COALESCE(c.item_code, d.item_code) FROM uploads u "
        "LEFT JOIN cases c ON c.id = u.case_id LEFT JOIN drafts d ON d.id = u.draft_id")).all()
    for upload_id, key, item_code in rows:
        order = keys.get(item_code, [])
        if key == RESULT:
            index = -1
        elif key in order:
            index = order.index(key)
        elif key.startswith("unknown_") and key[8:].isdigit():  # a position no key matched on the way up
            index = int(key[8:])
        else:
            index = UNKNOWN
        conn.execute(sa.text("UPDATE uploads SET material_index = :n WHERE id = :i"), {"n": index, "i": upload_id})
    conn.execute(sa.text("UPDATE case_events SET actor_kind = 'applicant' WHERE actor_kind = 'citizen'"))
    events = sa.table('case_events', sa.column('id', sa.Integer), sa.column('data', sa.JSON))
    for event_id, data, item_code in conn.execute(sa.text(
            "SELECT e.id, e.data, c.item_code FROM case_events e JOIN cases c ON c.id = e.case_id "
            "WHERE e.action = 'supplement'")).all():
        data = data if isinstance(data, dict) else __import__("json").loads(data or "{}")
        order = keys.get(item_code, [])
        data["materials"] = [order.index(k) for k in data.get("materials") or [] if k in order]
        conn.execute(events.update().where(events.c.id == event_id).values(data=data))
    with op.batch_alter_table('uploads') as batch:
        batch.alter_column('material_index', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('material_key')
        batch.drop_column('actor_id')
        batch.drop_column('actor_kind')
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): rebuilding a table others refer to would
    # trip their foreign keys.
    with op.batch_alter_table('drafts', recreate='never') as batch:
        batch.drop_column('actor_id')
        batch.drop_column('actor_kind')
    with op.batch_alter_table('cases', recreate='never') as batch:
        batch.drop_column('last_event_at')
        batch.drop_column('actor_id')
        batch.drop_column('actor_kind')
    op.drop_index(op.f('ix_attempts_at'), table_name='attempts')
    op.drop_index(op.f('ix_attempts_key'), table_name='attempts')
    op.drop_table('attempts')
