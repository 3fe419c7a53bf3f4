from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_database_connection_is_configured_for_its_engine(app):
    with app.app_context():
        dialect = db.engine.dialect.name
        if dialect == "sqlite":
            run = lambda sql: db.session.execute(text(sql)).scalar()  # noqa: E731
            assert run("PRAGMA journal_mode") == "wal"
            assert run("PRAGMA foreign_keys") == 1
            assert run("PRAGMA busy_timeout") == 15000
        else:
            assert dialect == "postgresql" and db.engine.driver == "psycopg"
            assert db.session.execute(text("SHOW server_encoding")).scalar() == "UTF8"


def test_migrations_are_applied_to_the_head(app):
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    with app.app_context():
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == head


def test_models_and_migrations_agree(app):
    """A model changed without a migration shows up here as a difference."""
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
