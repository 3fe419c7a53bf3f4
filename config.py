"""Configuration: one class reading the environment, a test class beside it."""
import os
import secrets
from pathlib import Path


def normalise_database_url(url: str) -> str:
    """Let people paste the usual postgres:// URLs; we drive PostgreSQL with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret_key(instance_path: str) -> str:
    """A generated key kept in instance/ so sessions survive restarts outside production."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    APP_ENV = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default set in create_app
    CATALOG_DIR = os.environ.get("CATALOG_DIR", str(Path(__file__).parent / "catalog"))
    SITE_NAME = "镇原县一网通办·乡村便民"
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: villagers fill forms slowly
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = APP_ENV == "production"
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 500
    COMPRESS_MIMETYPES = [
        "text/html", "text/css", "application/javascript", "text/javascript",
        "application/json", "application/manifest+json", "image/svg+xml",
    ]
    SEND_FILE_MAX_AGE_DEFAULT = 3600  # static URLs carry a content hash; see web.assets


class TestConfig(Config):
    TESTING = True
    APP_ENV = "test"
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = True
