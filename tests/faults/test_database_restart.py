"""PostgreSQL restarted under load: while it is down, every page that needs it refuses with the
app's own 503 page in Chinese (never a 500), and once it is back the same app answers again,
without being restarted. The cluster is this module's own, on SQLite runs of the suite too."""
import threading
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from extensions import db
from tests import factories
from tests.conftest import sign_in
from wsgi import create_app

SOON_BACK = "数据库暂时连不上，请稍等一两分钟再试"


@pytest.fixture(scope="module")
def pg_app(postgres, tmp_path_factory):
    app = create_app({"SECRET_KEY": "faults-test-secret-key", "SQLALCHEMY_DATABASE_URI": postgres.url,
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("pg-uploads")), "PUBLIC_BASE_URL": "http://localhost"})
    with app.app_context():
        upgrade()

    @app.get("/faults/read-then-lose-the-database")
    def read_then_lose_the_database():
        db.session.execute(text("SELECT 1"))  # a transaction is open...
        postgres.stop("fast")  # ...when the server goes: it is ended after the page is made
        return "读到了"

    return app


@pytest.fixture(scope="module")
def citizen(pg_app):
    client = pg_app.test_client()
    sign_in(client, "13900000007", "刘玉梅", factories.id_number("19700707", "224"))
    assert client.get("/my").status_code == 200
    return client


def assert_refused_in_chinese(response, fragment: bool = False):
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert response.headers["Retry-After"] == "60"
    assert SOON_BACK in body and "错误代码 503" in body
    if not fragment:
        assert "系统正在维护" in body and "/static/css/app.css" in body  # the app's own page, in its layout
    assert "OperationalError" not in body and "psycopg" not in body


def test_a_restart_between_requests_is_not_noticed(pg_app, postgres, citizen):
    visitor = pg_app.test_client()
    assert visitor.get("/public-cases").status_code == 200  # the pool now holds a connection
    postgres.stop("fast")
    postgres.start()
    # Every pooled connection died with the old server; each is tested before use and replaced.
    assert visitor.get("/public-cases").status_code == 200
    assert citizen.get("/my").status_code == 200


def test_while_it_is_down_pages_refuse_with_a_503_in_chinese_then_answer_again(pg_app, postgres, citizen):
    visitor = pg_app.test_client()
    postgres.stop("immediate")  # as if it crashed
    try:
        assert_refused_in_chinese(visitor.get("/public-cases"))
        assert_refused_in_chinese(citizen.get("/my"))  # signed in: who they are is the first read
        assert_refused_in_chinese(visitor.get("/public-cases?township=1", headers={"HX-Request": "true"}), fragment=True)
        assert_refused_in_chinese(visitor.get("/t/ZY260101000001?k=abc"))  # the driver's own read (hot_reads)
        answer = visitor.get("/api/v1/exchange/wjj/cases")
        assert answer.status_code == 503 and SOON_BACK in answer.get_json()["error"]["message"]
        assert visitor.get("/healthz").status_code == 503
    finally:
        postgres.start()
    assert visitor.get("/public-cases").status_code == 200
    assert visitor.get("/healthz").get_json()["database"] == "ok"
    assert citizen.get("/my").status_code == 200  # still signed in: a visitor is sent to sign in


def test_a_server_gone_after_the_page_was_made_does_not_undo_the_answer(pg_app, postgres):
    try:
        response = pg_app.test_client().get("/faults/read-then-lose-the-database")
    finally:
        postgres.start()
    assert response.status_code == 200 and response.get_data(as_text=True) == "读到了"
    assert pg_app.test_client().get("/public-cases").status_code == 200


def test_under_load_every_answer_is_a_page_or_a_503_never_a_500(pg_app, postgres, citizen):
    answers: list = []
    done = threading.Event()

    def browse(client, url):
        while not done.is_set():
            try:
                answers.append(client.get(url).status_code)
            except Exception as exc:  # escaped the app: gunicorn would answer a bare 500
                answers.append(repr(exc))

    browsers = [threading.Thread(target=browse, args=(pg_app.test_client(), "/public-cases")) for _ in range(3)]
    browsers.append(threading.Thread(target=browse, args=(citizen, "/my")))
    browsers.append(threading.Thread(target=browse, args=(pg_app.test_client(), "/t/ZY260101000001?k=abc")))
    for browser in browsers:
        browser.start()
    try:
        time.sleep(0.3)
        postgres.stop("fast")  # queries in flight are cut off
        time.sleep(0.3)
        postgres.start()
        time.sleep(0.3)
    finally:
        done.set()
        for browser in browsers:
            browser.join()
    assert set(answers) == {200, 404, 503}, sorted(set(answers), key=str)  # 404: no such case (tracking)
    assert all(pg_app.test_client().get("/public-cases").status_code == 200 for _ in range(10))
    assert citizen.get("/my").status_code == 200
