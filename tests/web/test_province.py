"""一点登录 through a real OpenID provider running locally (oidc-provider-mock, in a thread): the
authorization code flow with PKCE, the ID token's signature checked against the provider's keys,
the verified name and ID number mapped to our real-name record; a replayed or forged callback is
refused and audit-logged."""
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from extensions import db
from services.audit import AuditEntry
from services.people.identity import Person
from wsgi import create_app

ZHANG = {"name": "张桂兰", "id_number": "622827195803150023", "phone_number": "13900000001"}


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub="gs-0001", claims=ZHANG),
             User(sub="gs-0002", claims={"name": "阿卜杜·热合曼", "id_number": "622827198009182021"})]
    with run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def province_app(app, provider, database_url):
    """The same database as every test, with the province's sign-in configured."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": database_url,
                       "UPLOAD_DIR": app.config["UPLOAD_DIR"], "PUBLIC_BASE_URL": "http://localhost",
                       "IDENTITY_PROVIDER": "oidc", "OIDC_ISSUER": provider, "OIDC_CLIENT_ID": "zhenyuan-portal",
                       "OIDC_CLIENT_SECRET": "s3cret"})


def _sign_in_there(client, subject: str, next_url: str = "/my"):
    """Our redirect to the provider, the person choosing who they are there, the provider's
    redirect back: the callback's path and query, not yet followed."""
    start = client.get(f"/signin/province?next={next_url}")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert "code_challenge=" in authorize and "code_challenge_method=S256" in authorize  # PKCE
    back = requests.post(authorize, data={"sub": subject}, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["Location"])
    return f"{parts.path}?{parts.query}"


def test_a_villager_signed_in_at_the_province_is_signed_in_here_with_a_verified_name(province_app):
    client = province_app.test_client()
    assert "用甘肃政务服务网账号登录" in client.get("/signin").get_data(as_text=True)
    done = client.get(_sign_in_there(client, "gs-0001"))
    assert done.status_code == 303 and done.headers["Location"] == "/my"
    assert client.get("/my").status_code == 200
    with province_app.app_context():
        person = db.session.scalar(select(Person).where(Person.id_number == ZHANG["id_number"]))
        assert (person.name, person.phone, person.verified_via) == ("张桂兰", "13900000001", "province")
        assert "provider_sign_in" in db.session.scalars(select(AuditEntry.action)).all()


def test_the_providers_name_is_the_records_and_a_name_with_a_middle_dot_is_fine(province_app):
    with province_app.app_context():
        db.session.add(Person(phone="13900000009", name="阿卜杜热合曼", id_number="622827198009182021"))
        db.session.commit()
    client = province_app.test_client()
    assert client.get(_sign_in_there(client, "gs-0002")).status_code == 303
    with province_app.app_context():
        person = db.session.scalar(select(Person).where(Person.id_number == "622827198009182021"))
        assert (person.name, person.phone, person.verified_via) == ("阿卜杜·热合曼", "13900000009", "province")


def test_a_replayed_or_forged_callback_is_refused_and_logged(province_app):
    client = province_app.test_client()
    callback = _sign_in_there(client, "gs-0001")
    assert client.get(callback).status_code == 303
    other = province_app.test_client()
    replayed = other.get(callback)  # another browser, the same code and state
    assert replayed.status_code in (400, 409, 422) and "登录没有成功" in replayed.get_data(as_text=True)
    forged = client.get(callback.replace("state=", "state=x"))
    assert forged.status_code in (400, 409, 422)
    with province_app.app_context():
        refused = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "provider_sign_in_refused")).all()
    assert len(refused) == 2
