import stat

import pytest

from config import instance_secret_key, normalise_database_url
from services.catalog import load_catalog
from services.logistics import CARRIERS
from services.payment_provider import PROVIDERS
from services.people.business_registry import REGISTRIES
from services.sms import SENDERS
from tests.services.test_catalog import CATALOG
from wsgi import create_app


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"APP_ENV": "production", "SECRET_KEY": None, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


class GatewaySender:
    is_sandbox = False

    def __init__(self, config=None):
        self.config = config

    def send(self, phone, payload, key):
        raise AssertionError("not used here")


def test_production_refuses_to_start_on_the_sandbox_sms_sender():
    with pytest.raises(RuntimeError, match="演示短信通道"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMS_SENDER": "sandbox"})


SYSTEMS = {i.system for i in load_catalog(CATALOG).items if i.system}
REAL_DEPARTMENTS = {s: {"kind": "http", "url": "https://dept.example/api", "secret": "s3cret"} for s in SYSTEMS}


def test_production_refuses_to_start_on_a_sandbox_department(monkeypatch):
    monkeypatch.setitem(SENDERS, "gateway", GatewaySender)
    config = {"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn", "SQLALCHEMY_DATABASE_URI": "sqlite://",
              "SMS_SENDER": "gateway", "EXCHANGE": {"gjj": REAL_DEPARTMENTS["gjj"]}}
    with pytest.raises(RuntimeError, match=r"部门系统 [a-z]+ 的演示接口"):
        create_app(config)


class BankProvider:
    is_sandbox = False

    def __init__(self, secret, config=None):
        self.secret = secret


def test_production_refuses_to_start_on_the_sandbox_payment_provider(monkeypatch):
    monkeypatch.setitem(SENDERS, "gateway", GatewaySender)
    with pytest.raises(RuntimeError, match="演示支付通道"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn", "EXCHANGE": REAL_DEPARTMENTS,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMS_SENDER": "gateway", "PAYMENT_PROVIDER": "sandbox"})


def test_production_sends_cookies_only_over_https(monkeypatch):
    monkeypatch.setitem(SENDERS, "gateway", GatewaySender)
    monkeypatch.setitem(PROVIDERS, "bank", BankProvider)
    monkeypatch.setitem(CARRIERS, "ems", lambda config: type("Ems", (), {"is_sandbox": False})())
    monkeypatch.setitem(REGISTRIES, "shared", lambda _: type("Shared", (), {"is_sandbox": False})())
    with pytest.raises(RuntimeError, match="演示物流"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn", "EXCHANGE": REAL_DEPARTMENTS,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMS_SENDER": "gateway", "PAYMENT_PROVIDER": "bank",
                    "TAX_CHANNEL": "none"})
    with pytest.raises(RuntimeError, match="演示的市场主体登记信息"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn", "EXCHANGE": REAL_DEPARTMENTS,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMS_SENDER": "gateway", "PAYMENT_PROVIDER": "bank",
                    "CARRIER": "ems", "TAX_CHANNEL": "none"})
    with pytest.raises(RuntimeError, match="演示的税务缴费渠道"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn", "EXCHANGE": REAL_DEPARTMENTS,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMS_SENDER": "gateway", "PAYMENT_PROVIDER": "bank",
                    "CARRIER": "ems", "BUSINESS_REGISTRY": "shared"})
    app = create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn", "EXCHANGE": REAL_DEPARTMENTS,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMS_SENDER": "gateway", "PAYMENT_PROVIDER": "bank",
                      "CARRIER": "ems", "BUSINESS_REGISTRY": "shared", "TAX_CHANNEL": "none", "AUDIT_KEY": "a" * 32,
                      "PERSONAL_DATA_KEYS": "1:" + "ab" * 16, "BLIND_INDEX_KEY": "cd" * 32})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    # Keys with no safe default: the audit chain's, and personal data's
    for missing, named in (({"AUDIT_KEY": "short"}, "AUDIT_KEY"), ({"BLIND_INDEX_KEY": ""}, "BLIND_INDEX_KEY"),
                           ({"PERSONAL_DATA_KEYS": "1:abcd"}, "PERSONAL_DATA_KEYS")):
        with pytest.raises(RuntimeError, match=named):
            create_app({**app.config, **missing})
    response = app.test_client().get("/elder?on=1&next=/")
    assert "Secure" in response.headers["Set-Cookie"]


def test_outside_production_a_secret_key_is_generated_once_and_kept(tmp_path):
    first = instance_secret_key(str(tmp_path))
    assert len(first) == 64 and instance_secret_key(str(tmp_path)) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


@pytest.mark.parametrize("given,expected", [
    ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql://u@h:5433/db", "postgresql+psycopg://u@h:5433/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
])
def test_database_urls_are_driven_by_psycopg_3(given, expected):
    assert normalise_database_url(given) == expected


@pytest.mark.parametrize("changes,message", [
    ({"PUBLIC_BASE_URL": "http://localhost:8000"}, "PUBLIC_BASE_URL"),
    ({"SECRET_KEY": "change-me-64-random-characters-change-me-64-random"}, "示例值"),
    ({"SECRET_KEY": "short"}, "太短"),
])
def test_production_refuses_a_plain_address_or_a_placeholder_key(changes, message):
    with pytest.raises(RuntimeError, match=message):
        create_app({"APP_ENV": "production", "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": "https://zwfw.example.gov.cn",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", **changes})

