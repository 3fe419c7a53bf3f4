"""Webhooks: a department registers a URL through the signed API; case events reach it from the
outbox, signed, retried after a failure, and replayed from the console with the same idempotency
key — a receiver that honours the key applies each event exactly once."""
import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update

from extensions import db
from services.cases.lifecycle import act, submit_case
from services.clock import utcnow
from services.exchange.http import verify
from services.outbox import OutboxMessage, drain
from services.people.actors import Actor
from tests import factories
from tests.conftest import form_post
from tests.web.test_api_keys import keyed, make_key
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

pytestmark = pytest.mark.usefixtures("staff")


class Department(BaseHTTPRequestHandler):
    """A department's receiver: fails while told to; applies each idempotency key once."""
    failures, secret = 0, ""
    seen: list = []
    applied: dict = {}

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Department.seen.append(dict(self.headers))
        if Department.failures:
            Department.failures -= 1
            self.send_response(503)
            self.end_headers()
            return
        assert verify(Department.secret, self.headers["X-Timestamp"], self.headers["X-Signature"], body)
        key = self.headers["X-Idempotency-Key"]
        Department.applied.setdefault(key, json.loads(body))  # exactly once, whatever comes again
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Department)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Department.failures, Department.seen, Department.applied = 0, [], {}
    yield f"http://127.0.0.1:{server.server_port}/hooks/cases"
    server.shutdown()
    server.server_close()


def _deliver(app):
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(available_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        return drain(app.extensions["senders"])


def test_events_are_delivered_signed_retried_and_replayed_once(app, client, receiver):
    admin = login(app, "admin")
    key_id, secret = make_key(admin)
    Department.secret = secret
    response = keyed(client, key_id, secret, path="/api/v1/exchange/wjj/webhook", method="PUT",
                     payload={"url": receiver})
    assert response.status_code == 200 and response.get_json()["url"] == receiver
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(status="sent"))  # what came before the hook
        db.session.commit()
        case = submit_case(app.extensions["catalog"].get("621027-BM-004"), factories.person(), {}, factories.key())
        act(case, "accept", Actor("staff", 1, "李娜", role="admin"))
    Department.failures = 1  # the department is down for the first try
    _deliver(app)
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "department",
                                                              OutboxMessage.status != "sent")).all()
        assert rows and all(r.attempts >= 1 for r in rows) and any("503" in r.last_error for r in rows)
    _deliver(app)  # the retry
    assert {p["action"] for p in Department.applied.values()} == {"submit", "accept"}
    assert all(h["X-Key-Id"] == key_id for h in Department.seen)
    # Replayed from the console: delivered again with the same key, applied once.
    page = admin.get("/office/webhooks?system=wjj").get_data(as_text=True)
    assert receiver in page and "已送达" in page
    message_id = re.search(r"/office/webhooks/deliveries/(\d+)/replay", page).group(1)
    assert form_post(admin, "/office/webhooks?system=wjj", {},
                     post_url=f"/office/webhooks/deliveries/{message_id}/replay").status_code == 303
    before = len(Department.seen)
    _deliver(app)
    keys = [h["X-Idempotency-Key"] for h in Department.seen]
    assert len(Department.seen) == before + 1 and len(set(keys)) == 2 and len(Department.applied) == 2


def test_an_address_is_checked_and_only_the_administrator_sees_deliveries(app, client):
    admin = login(app, "admin")
    key_id, secret = make_key(admin)
    for bad in ("ftp://x.example", "https://", "https://user:pw@x.example/", "javascript:alert(1)", "http://例子.中国/"):
        response = keyed(client, key_id, secret, path="/api/v1/exchange/wjj/webhook", method="PUT", payload={"url": bad})
        assert response.status_code in (400, 422) and response.get_json()["error"]["message"], bad
    response = form_post(admin, "/office/webhooks?system=wjj", {"url": "not a url"})
    assert response.status_code == 422 and "not a url" in response.get_data(as_text=True)
    assert login(app, "chengguan").get("/office/webhooks").status_code == 403
    from services.exchange.webhooks import check_url
    from services.errors import DomainError

    for internal in ("http://gjj.example.gov.cn/hook", "https://127.0.0.1/hook", "https://10.0.0.8/hook"):
        with pytest.raises(DomainError):
            check_url(internal, production=True)
    assert check_url("https://gjj.example.gov.cn/hook", production=True)
