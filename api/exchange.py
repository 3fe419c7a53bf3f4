"""/api/v1/exchange/<system>/…: signed requests from department systems.

Requests and answers carry X-Timestamp and X-Signature = hex HMAC-SHA256(secret,
timestamp + "\\n" + METHOD + " " + path-with-query + "\\n" + body); 5-minute window."""
import json
import time

from flask import current_app, g, jsonify, request

from extensions import db
from services import audit
from services.department_api import new_cases, push_event
from services.errors import DomainError
from services.exchange.http import sign, verify

from . import bp


def _message(method: str, path: str, body: bytes) -> bytes:
    return f"{method} {path}\n".encode() + body


@bp.before_request
def _check_signature():
    if not request.path.startswith("/api/v1/exchange/"):
        return None
    system = request.view_args.get("system") if request.view_args else None
    secret = current_app.extensions["exchange_secrets"].get(system or "")
    body = _message(request.method, request.full_path.rstrip("?"), request.get_data())
    if not secret or not verify(secret, request.headers.get("X-Timestamp"), request.headers.get("X-Signature"), body):
        audit.record("department", None, system or "?", "exchange_refused", f"system:{system}",
                     {"path": request.path}, ip=request.remote_addr or "")
        return jsonify({"error": {"status": 401, "message": "签名无效或已过期"}}), 401
    g.exchange_secret = secret
    return None


def _signed(data: dict, status: int = 200):
    body = json.dumps(data, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.headers["X-Timestamp"] = timestamp
    response.headers["X-Signature"] = sign(g.exchange_secret, timestamp, body)
    return response


@bp.get("/exchange/<system>/cases")
def exchange_cases(system: str):
    after = request.args.get("after", "0")
    cases, last = new_cases(current_app.extensions["catalog"], system, int(after) if after.isdigit() else 0)
    return _signed({"cases": cases, "next_after": last})


@bp.post("/exchange/<system>/cases/<number>/events")
def exchange_event(system: str, number: str):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _signed({"error": {"status": 400, "message": "请求体须为 JSON 对象"}}, 400)
    try:
        answer = push_event(current_app.extensions["catalog"], system, number, payload)
    except DomainError as exc:
        db.session.rollback()
        return _signed({"error": {"status": exc.status, "message": exc.message}}, exc.status)
    return _signed(answer)

