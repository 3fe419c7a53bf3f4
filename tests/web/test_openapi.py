"""The published contract holds: schemathesis generates requests for every operation of
/api/v1/openapi.json — valid ones (answers conform to the document) and invalid ones (refused with
a 4xx JSON error carrying a message, never a 5xx). Exchange requests are signed with a key made
the way the console makes it."""
import json
import secrets
import time
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from extensions import db
from services.cases.lifecycle import submit_case
from services.exchange.http import sign
from services.exchange.keys import create_key
from services.people.actors import Actor
from tests import factories

EXAMPLES = 30


@pytest.fixture
def world(app):
    with app.app_context():
        key, secret = create_key(Actor("staff", 1, "管理员", role="admin"), "wjj", app.config["EXCHANGE_SYSTEMS"])
        case = submit_case(app.extensions["catalog"].get("621027-BM-004"), factories.person(), {}, factories.key())
        return {"key_id": key.key_id, "secret": secret, "number": case.number}


def _send(client, case, world):
    query = {k: v for k, v in (case.query or {}).items()}
    path = case.formatted_path + ("?" + urlencode(query, doseq=True) if query else "")
    body = (b"" if isinstance(case.body, NotSet) else case.body if isinstance(case.body, bytes)  # raw, not JSON
            else json.dumps(case.body, ensure_ascii=False).encode())
    headers = {}
    if path.startswith("/api/v1/exchange/"):
        timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(16)
        headers = {"X-Key-Id": world["key_id"], "X-Timestamp": timestamp, "X-Nonce": nonce,
                   "X-Signature": sign(world["secret"], timestamp, f"{nonce}\n{case.method} {path}\n".encode() + body)}
    return client.open(path, method=case.method, data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_the_contract(app, client, world, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} == {
        "GET /api/v1/services", "GET /api/v1/services/{code}", "GET /api/v1/exchange/{system}/cases",
        "POST /api/v1/exchange/{system}/cases/{number}/events", "PUT /api/v1/exchange/{system}/webhook",
        "DELETE /api/v1/exchange/{system}/webhook"}
    seen = set()
    for operation in operations:
        fixed = {k: v for k, v in {"system": "wjj", "number": world["number"], "code": "621027-BM-004"}.items()
                 if k in operation.path}
        raw = operation.definition.raw
        free = [p for p in raw.get("parameters", []) if p["in"] != "path" or p["name"] not in fixed]
        if mode == GenerationMode.NEGATIVE and not free and "requestBody" not in raw:
            continue  # nothing of its input is left to get wrong

        @given(operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = _send(client, case, world)
            seen.add((operation.path, response.status_code))
            assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.get_data(as_text=True))
            assert response.mimetype == "application/json"
            if response.status_code >= 400:
                assert response.get_json()["error"]["message"], response.get_data(as_text=True)
            elif mode == GenerationMode.POSITIVE:
                case.validate_response(response)

        with app.app_context():
            check()
            db.session.remove()
    if mode == GenerationMode.POSITIVE:  # signed as documented, valid requests get through
        assert ("/api/v1/exchange/{system}/cases", 200) in seen
        assert any(path.endswith("/events") and status in (200, 409) for path, status in seen)


def test_the_docs_are_served_by_the_app_itself(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for operation in ("GET /api/v1/services", "GET /api/v1/exchange/{system}/cases",
                      "POST /api/v1/exchange/{system}/cases/{number}/events"):
        assert operation in page
    assert "X-Nonce" in page and "HMAC-SHA256" in page and "<script" not in page.split("</head>")[1]
    assert client.get("/api/v1/openapi.json").get_json()["openapi"] == "3.1.0"
