import re

import pytest
from sqlalchemy import func, select

from extensions import db
from services.feedback import GuideFeedback
from tests.conftest import csrf_token_from

PAGES = ["/", "/s/convenience", "/items/621027-BM-004", "/search?q=低保", "/places", "/offline",
         "/items/621027-BM-004/feedback?useful=1", "/nope", "/healthz", "/api/v1/services",
         "/manifest.webmanifest", "/sw.js"]
HTML_PAGES = [p for p in PAGES if not p.startswith(("/healthz", "/api", "/manifest", "/sw"))]
FEEDBACK = "/items/621027-BM-004/feedback"


@pytest.mark.parametrize("url", PAGES)
def test_every_response_carries_the_security_headers(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", HTML_PAGES)
def test_pages_have_no_inline_script_or_handlers(client, url):
    body = client.get(url).get_data(as_text=True)
    for tag in re.findall(r"<script[^>]*>", body):
        assert 'src="/static/' in tag
    assert not re.search(r"<script[^>]*>[^<]+</script>", body)
    assert not re.search(r"\son[a-z]+=", body)
    assert not re.search(r'(src|href)="https?://', body)  # nothing from another site


def count_feedback(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(GuideFeedback))


def test_post_without_csrf_token_is_refused_in_chinese(app, client):
    response = client.post(FEEDBACK, data={"useful": "1", "token": "abc"})
    assert response.status_code == 400
    assert "页面已过期或来源不明" in response.get_data(as_text=True)
    assert count_feedback(app) == 0


def form_fields(client):
    body = client.get(FEEDBACK + "?useful=1").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    return {"csrf_token": csrf_token_from(body), "token": token}


def test_feedback_with_token_is_stored_once_even_when_posted_twice(app, client):
    data = form_fields(client) | {"useful": "0", "comment": "材料写得不清楚"}
    first = client.post(FEEDBACK, data=data)
    second = client.post(FEEDBACK, data=data)
    assert first.status_code == second.status_code == 303
    assert count_feedback(app) == 1
    assert "谢谢您的意见" in client.get(first.headers["Location"]).get_data(as_text=True)


def test_feedback_errors_show_next_to_the_field_and_keep_what_was_typed(app, client):
    data = form_fields(client) | {"comment": "我没看懂要带什么"}
    response = client.post(FEEDBACK, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请选择“有用”或“没用”" in body
    assert "我没看懂要带什么" in body
    assert count_feedback(app) == 0


def test_feedback_too_long_is_refused_with_a_count(app, client):
    data = form_fields(client) | {"useful": "1", "comment": "长" * 201}
    body = client.post(FEEDBACK, data=data).get_data(as_text=True)
    assert "最多 200 个字，现在是 201 个字" in body
    assert count_feedback(app) == 0


def test_feedback_by_htmx_answers_with_a_fragment(app, client):
    data = form_fields(client) | {"useful": "1"}
    response = client.post(FEEDBACK, data=data, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "谢谢您的意见" in body and "<html" not in body


def test_session_cookie_is_httponly(client):
    form_fields(client)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only


def test_a_remember_me_cookie_signs_nobody_in(app, client):
    """Nothing here issues one; one made elsewhere with the right key still opens no account."""
    from flask_login.utils import encode_cookie

    from tests import factories

    with app.app_context():
        person_id = factories.person().id
        db.session.commit()
    with app.test_request_context():
        cookie = encode_cookie(f"p:{person_id}")
    client.set_cookie("remember_token", cookie)
    answer = client.get("/my")
    assert answer.status_code in (302, 303) and "/signin" in answer.headers["Location"]
