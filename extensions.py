"""Extension objects, created unbound and initialised in create_app()."""
from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so later migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
htmx = HTMX()
compress = Compress()
login_manager = LoginManager()


def _requester() -> str:
    """Flood limits count per requester as the attempts table does (web.access.requester): a
    kiosk by itself, an agent by account, others by address (an IPv6 /64)."""
    from web.access import requester

    return requester()


# Counts live in Redis when RATELIMIT_STORAGE_URI points at one: every worker and host then sees
# one count. The memory:// default counts per process — right for one process only (make run's
# two workers each allow the limit; the limits people meet are in the database anyway).
limiter = Limiter(key_func=_requester, default_limits=[], headers_enabled=False)
