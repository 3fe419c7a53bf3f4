"""Department systems' keys, kept in the console: made (the secret shown once), two valid during a
change-over, revoked at once; each request signed over its timestamp, nonce, method, path and
body, refused when wrong, too old, or sent again."""
import json
import re
import secrets
import time

import pytest
from sqlalchemy import select

from extensions import db
from services.audit import AuditEntry
from services.exchange.http import sign
from tests.conftest import form_post
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

pytestmark = pytest.mark.usefixtures("staff")
PULL = "/api/v1/exchange/wjj/cases?after=0"


def keyed(client, key_id: str, secret: str, path: str = PULL, nonce: str | None = None, timestamp: str | None = None,
          method: str = "GET", payload=None):
    body = json.dumps(payload).encode() if payload is not None else b""
    nonce = nonce or secrets.token_urlsafe(16)
    timestamp = timestamp or str(int(time.time()))
    signature = sign(secret, timestamp, f"{nonce}\n{method} {path}\n".encode() + body)
    return client.open(path, method=method, data=body, content_type="application/json", headers={
        "X-Key-Id": key_id, "X-Nonce": nonce, "X-Timestamp": timestamp, "X-Signature": signature})


def post_key_form(admin, system: str):
    """The 生成 form as a browser posts it: with its one-time form token."""
    token = re.search(r'name="form_token" value="([^"]+)"', admin.get("/office/api-keys").get_data(as_text=True))
    return form_post(admin, "/office/api-keys", {"system": system, "form_token": token.group(1)})


def make_key(admin, system: str = "wjj") -> tuple[str, str]:
    page = post_key_form(admin, system).get_data(as_text=True)
    key_id = re.search(r"生成密钥 <span class=\"code\">(zk_[0-9a-f]+)</span>", page).group(1)
    secret = re.search(r'<p class="code secret">([A-Za-z0-9_-]+)</p>', page).group(1)
    return key_id, secret


def test_a_key_made_in_the_console_signs_requests_and_its_secret_is_shown_once(app, client):
    admin = login(app, "admin")
    key_id, secret = make_key(admin)
    assert keyed(client, key_id, secret).status_code == 200
    assert secret not in admin.get("/office/api-keys").get_data(as_text=True)  # once, never again
    assert keyed(client, key_id, "not-the-secret").status_code == 401
    assert keyed(client, key_id, secret, path="/api/v1/exchange/gjj/cases?after=0").status_code == 401  # wjj's key
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "api_key_created" in actions and "exchange_refused" in actions


def test_reloading_the_page_that_made_a_key_makes_no_second_key(app):
    admin = login(app, "admin")
    token = re.search(r'name="form_token" value="([^"]+)"', admin.get("/office/api-keys").get_data(as_text=True))
    sent = {"system": "wjj", "form_token": token.group(1)}
    first = form_post(admin, "/office/api-keys", sent)
    again = form_post(admin, "/office/api-keys", sent)  # the browser's 重新提交 on reload, or a double tap
    assert first.status_code == 200 and again.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(AuditEntry.action)).all().count("api_key_created") == 1


def test_a_request_sent_again_or_too_late_is_refused(app, client):
    key_id, secret = make_key(login(app, "admin"))
    nonce = secrets.token_urlsafe(16)
    assert keyed(client, key_id, secret, nonce=nonce).status_code == 200
    assert keyed(client, key_id, secret, nonce=nonce).status_code == 401  # replayed
    assert keyed(client, key_id, secret, nonce="short").status_code == 401  # not a nonce
    assert keyed(client, key_id, secret, timestamp=str(int(time.time()) - 302)).status_code == 401  # expired
    assert keyed(client, key_id, secret, timestamp=str(int(time.time()) + 302)).status_code == 401  # (302: int() rounds the second down)
    # A bad signature spends no nonce: the genuine request still goes through.
    fresh = secrets.token_urlsafe(16)
    assert keyed(client, key_id, "wrong", nonce=fresh).status_code == 401
    assert keyed(client, key_id, secret, nonce=fresh).status_code == 200


def test_rotation_keeps_two_keys_valid_then_the_old_one_is_revoked(app, client):
    admin = login(app, "admin")
    old_id, old_secret = make_key(admin)
    new_id, new_secret = make_key(admin)
    assert keyed(client, old_id, old_secret).status_code == 200 and keyed(client, new_id, new_secret).status_code == 200
    third = post_key_form(admin, "wjj")
    assert third.status_code == 422 and "已有两把有效密钥" in third.get_data(as_text=True)
    assert post_key_form(admin, "nosuch").status_code == 422
    response = form_post(admin, "/office/api-keys", {}, post_url=f"/office/api-keys/{old_id}/revoke")
    assert response.status_code == 303
    assert keyed(client, old_id, old_secret).status_code == 401  # revoked: at once
    assert keyed(client, new_id, new_secret).status_code == 200
    assert "已停用" in admin.get("/office/api-keys").get_data(as_text=True)


def test_only_the_administrator_keeps_keys(app):
    for username in ("chengguan", "minzheng", "ducha"):
        assert login(app, username).get("/office/api-keys").status_code == 403
    assert app.test_client().get("/office/api-keys").status_code == 302


def test_once_a_system_has_a_key_the_configured_secret_opens_nothing(app, client):
    from tests.web.test_exchange_api import signed

    assert signed(client, "GET", PULL).status_code == 200  # the sandbox secret, before any key
    make_key(login(app, "admin"))
    assert signed(client, "GET", PULL).status_code == 401
    for headers in ({"X-Signature": "é" * 64}, {"X-Key-Id": "zk_" + "é" * 16}, {"X-Nonce": "\u202e" * 20}):
        response = client.get(PULL, headers={"X-Key-Id": "zk_0000000000000000", "X-Timestamp": str(int(time.time())),
                                             "X-Nonce": secrets.token_urlsafe(16), "X-Signature": "0" * 64, **headers})
        assert response.status_code == 401 and response.get_json()["error"]["message"]
