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

ZHANG = {"name": "张桂兰", "id_number": "622827195803150023", "phone_number": "13900000001",
         "phone_number_verified": True}


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub="gs-0001", claims=ZHANG),
             User(sub="gs-0003", claims={"name": "王𠈌", "id_number": "622827197511023013",
                                         "phone_number": "13900000003", "phone_number_verified": False}),
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
        from services.clock import utcnow

        # read from the chip of the card at a kiosk, the name once typed without its dot
        db.session.add(Person(phone="13900000009", name="阿卜杜热合曼", id_number="622827198009182021",
                              verified_at=utcnow(), verified_via="id_card"))
        db.session.commit()
    client = province_app.test_client()
    assert client.get(_sign_in_there(client, "gs-0002")).status_code == 303
    with province_app.app_context():
        person = db.session.scalar(select(Person).where(Person.id_number == "622827198009182021"))
        assert (person.name, person.phone, person.verified_via) == ("阿卜杜·热合曼", "13900000009", "id_card")


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


def test_a_number_typed_on_another_phone_does_not_hand_that_phone_the_provider_s_person(province_app):
    """Someone typed 张桂兰's ID number on their own phone before she ever came: her province sign-in
    takes the number back from that record (told by SMS, audit-logged) instead of signing her into
    a record whose phone is someone else's."""
    from services.outbox import OutboxMessage
    from tests.conftest import sign_in

    squatter = province_app.test_client()
    sign_in(squatter, "13700000007", "李四", ZHANG["id_number"])  # typed: only the checksum was checked
    client = province_app.test_client()
    assert client.get(_sign_in_there(client, "gs-0001")).status_code == 303
    with province_app.app_context():
        theirs = db.session.scalar(select(Person).where(Person.phone == "13700000007"))
        hers = db.session.scalar(select(Person).where(Person.id_number == ZHANG["id_number"]))
        assert theirs.id_number is None and not theirs.is_verified
        assert (hers.phone, hers.name, hers.verified_via) == ("13900000001", "张桂兰", "province") and hers.id != theirs.id
        told = db.session.scalars(select(OutboxMessage.payload).where(OutboxMessage.recipient == "13700000007")).all()
        assert any(m.get("kind") == "real_name_released" for m in told)
        assert "real_name_released" in db.session.scalars(select(AuditEntry.action)).all()
    assert "张桂兰" not in squatter.get("/my").get_data(as_text=True)


def test_an_id_token_that_fails_its_checks_is_a_refusal_not_a_500(province_app, monkeypatch):
    from joserfc.errors import InvalidClaimError

    client = province_app.test_client()
    callback = _sign_in_there(client, "gs-0001")
    provider = province_app.extensions["identity_provider"]

    def foreign(*args, **kwargs):
        raise InvalidClaimError("iss")  # an ID token from another issuer

    monkeypatch.setattr(provider.client, "authorize_access_token", foreign)
    refused = client.get(callback)
    assert refused.status_code in (400, 409, 422) and "登录没有成功" in refused.get_data(as_text=True)
    with province_app.app_context():
        assert db.session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "provider_sign_in_refused")).all() == [{"error": "InvalidClaimError"}]


def test_a_phone_the_provider_has_not_checked_is_not_taken(province_app):
    client = province_app.test_client()
    assert client.get(_sign_in_there(client, "gs-0003")).status_code == 303
    with province_app.app_context():
        person = db.session.scalar(select(Person).where(Person.id_number == "622827197511023013"))
        assert (person.name, person.phone, person.verified_via) == ("王𠈌", None, "province")
