"""Configuration: one class reading the environment, a test class beside it."""
import os
import secrets
import time
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
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # exclusive create: gunicorn workers starting together must agree on one key
        with open(path, "x") as f:
            path.chmod(0o600)
            f.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    for _ in range(50):  # another worker may be between create and write
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} 为空，请删除后重启")


class Config:
    APP_ENV = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Keys the audit log's hash chain (services/audit.py). Kept apart from SECRET_KEY, which may be
    # rotated: a new AUDIT_KEY would make every sealed row fail `flask audit-verify`.
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
    # Personal data at rest (services/sealing.py): "2:<32 hex>,1:<32 hex>", the first seals, all open;
    # and the blind index's key (64 hex). Unset outside production: derived from SECRET_KEY.
    PERSONAL_DATA_KEYS = os.environ.get("PERSONAL_DATA_KEYS", "")
    BLIND_INDEX_KEY = os.environ.get("BLIND_INDEX_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default set in create_app
    CATALOG_DIR = os.environ.get("CATALOG_DIR", str(Path(__file__).parent / "catalog"))
    POWERS_DIR = os.environ.get("POWERS_DIR", str(Path(__file__).parent / "powers"))  # 权责清单
    SITE_NAME = "镇原县一网通办·乡村便民"
    # Printed in SMS and QR codes: the address villagers' phones reach the site at.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", f"http://localhost:{os.environ.get('PORT', '8000')}")
    SMS_SENDER = os.environ.get("SMS_SENDER", "sandbox")  # sandbox | aliyun | tencent
    # A real gateway's account and the template code of every message kind (services/sms.TEMPLATES).
    SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
    SMS_TEMPLATES = os.environ.get("SMS_TEMPLATES", "")  # JSON {"signin_code": "SMS_123456", …}
    SMS_ENDPOINT = os.environ.get("SMS_ENDPOINT", "")
    SMS_RECEIPT_TOKEN = os.environ.get("SMS_RECEIPT_TOKEN", "")  # in the receipt push URL the gateway is given
    ALIYUN_ACCESS_KEY_ID = os.environ.get("ALIYUN_ACCESS_KEY_ID", "")
    ALIYUN_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_ACCESS_KEY_SECRET", "")
    TENCENT_SECRET_ID = os.environ.get("TENCENT_SECRET_ID", "")
    TENCENT_SECRET_KEY = os.environ.get("TENCENT_SECRET_KEY", "")
    TENCENT_SMS_APP_ID = os.environ.get("TENCENT_SMS_APP_ID", "")
    TENCENT_SMS_REGION = os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou")
    EXCHANGE = os.environ.get("EXCHANGE", "")  # JSON: {"gjj": {"kind": "http", "url": …, "secret_env": …}}
    EXCHANGE_SANDBOX_DIR = str(Path(__file__).parent / "data" / "exchange")
    PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "sandbox")  # sandbox | wechat
    TAX_CHANNEL = os.environ.get("TAX_CHANNEL", "sandbox")  # sandbox | none: 税务-collected contributions
    WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID", "")
    WECHATPAY_APPID = os.environ.get("WECHATPAY_APPID", "")
    WECHATPAY_PRIVATE_KEY_FILE = os.environ.get("WECHATPAY_PRIVATE_KEY_FILE", "")  # apiclient_key.pem
    WECHATPAY_CERT_SERIAL = os.environ.get("WECHATPAY_CERT_SERIAL", "")  # the merchant certificate's serial
    WECHATPAY_PUBLIC_KEY_FILE = os.environ.get("WECHATPAY_PUBLIC_KEY_FILE", "")  # 微信支付公钥 pub_key.pem
    WECHATPAY_PUBLIC_KEY_ID = os.environ.get("WECHATPAY_PUBLIC_KEY_ID", "")  # PUB_KEY_ID_…
    WECHATPAY_APIV3_KEY = os.environ.get("WECHATPAY_APIV3_KEY", "")
    CARRIER = os.environ.get("CARRIER", "sandbox")  # sandbox | kuaidi100
    KUAIDI100_KEY = os.environ.get("KUAIDI100_KEY", "")  # 授权 key
    KUAIDI100_SECRET = os.environ.get("KUAIDI100_SECRET", "")
    KUAIDI100_CUSTOMER = os.environ.get("KUAIDI100_CUSTOMER", "")
    KUAIDI100_SALT = os.environ.get("KUAIDI100_SALT", "")  # signs the tracking pushes to us
    KUAIDI100_SENDER = os.environ.get("KUAIDI100_SENDER", "")  # JSON {"name", "mobile", "printAddr"} of the window
    KUAIDI100_LABEL = os.environ.get("KUAIDI100_LABEL", "")  # JSON: the EMS account's partnerId, tempId …
    KUAIDI100_COMPANY = os.environ.get("KUAIDI100_COMPANY", "ems")
    BUSINESS_REGISTRY = os.environ.get("BUSINESS_REGISTRY", "sandbox")  # 市场主体登记信息
    BUSINESS_REGISTRY_SANDBOX = str(Path(__file__).parent / "data" / "business_registry.toml")
    # 统一身份认证 (一点登录): the province's OpenID provider; unset, people sign in by phone only.
    IDENTITY_PROVIDER = os.environ.get("IDENTITY_PROVIDER", "")  # "" | oidc
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_SCOPE = os.environ.get("OIDC_SCOPE", "openid profile phone")
    OIDC_CLAIM_NAME = os.environ.get("OIDC_CLAIM_NAME", "name")
    OIDC_CLAIM_ID_NUMBER = os.environ.get("OIDC_CLAIM_ID_NUMBER", "id_number")
    OIDC_CLAIM_PHONE = os.environ.get("OIDC_CLAIM_PHONE", "phone_number")
    OIDC_TRUST_PHONE = os.environ.get("OIDC_TRUST_PHONE", "") == "1"  # phones without phone_number_verified
    OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "甘肃政务服务网")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")  # redis://host:6379/0
    # Redis unreachable: count in memory meanwhile rather than refuse every sign-in with a 500.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # How many reverse proxies (nginx, a load balancer) stand in front: their X-Forwarded-For is trusted.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR")  # default: instance/uploads
    STORAGE = os.environ.get("STORAGE", "local")  # local | s3
    MATERIALS_RETENTION_DAYS = int(os.environ.get("MATERIALS_RETENTION_DAYS", "1095"))  # after a case closes: services/retention.py
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # MinIO or a cloud's S3-compatible address
    S3_REGION = os.environ.get("S3_REGION", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    S3_ENCRYPTION = os.environ.get("S3_ENCRYPTION", "AES256")  # the store's encryption at rest (SSE)
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024  # a few photos at once; each is also capped at 10 MB
    PERMANENT_SESSION_LIFETIME = 30 * 24 * 3600  # villagers stay signed in on their own phone
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: villagers fill forms slowly
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
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
