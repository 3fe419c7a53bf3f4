"""/api/v1/exchange/<system>/…: signed requests from department systems.

A request names its key (X-Key-Id, made in the console at 部门接口密钥) and carries X-Timestamp,
X-Nonce (16–64 of A–Z a–z 0–9 _ -, never used twice) and X-Signature = hex HMAC-SHA256(secret,
timestamp + "\\n" + nonce + "\\n" + METHOD + " " + path-with-query + "\\n" + body); 5-minute
window. Without X-Key-Id, the secret in the configuration signs timestamp + "\\n" + METHOD + " " +
path + "\\n" + body (the sandbox's, and a department's first connection) — until the system's
first key is made in the console; from then on only keys are accepted. Answers carry
X-Timestamp and X-Signature over timestamp + "\\n" + body with the same secret."""
import base64
import binascii
import json
import time
from typing import Any

from flask import current_app, g, jsonify, request

from services import audit
from services.department_api import new_cases, push_event
from services.department_api import system_actor as department_actor
from services.errors import DomainError
from services.exchange import keys, webhooks
from services.exchange.http import sign, verify
from services.registry import registry
from web.inputs import Input, Integer, OptionalInteger, Text, Token, json_body, parse

from . import bp


def _message(method: str, path: str, body: bytes) -> bytes:
    return f"{method} {path}\n".encode() + body


@bp.before_request
def _check_signature():
    if not request.path.startswith("/api/v1/exchange/"):
        return None
    system = request.view_args.get("system") if request.view_args else None
    body = _message(request.method, request.full_path.rstrip("?"), request.get_data())
    key_id, nonce = request.headers.get("X-Key-Id"), request.headers.get("X-Nonce")
    if key_id:  # a key from the console: the nonce is signed too, and spent
        secret = keys.secret_of(system or "", key_id)
        body = f"{nonce}\n".encode() + body
    elif not keys.keyed(system or ""):  # a system's first connection, and the sandbox's
        secret = current_app.extensions["exchange_secrets"].get(system or "")
    else:
        secret = None
    timestamp, signature = request.headers.get("X-Timestamp"), request.headers.get("X-Signature")
    if not secret or not verify(secret, timestamp, signature, body) or (
            key_id and not keys.remember_nonce(system, nonce)):
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


class CasesQuery(Input):
    after: Integer(0, 2**31 - 1, message="after 须为不小于 0 的整数")
    limit: OptionalInteger(1, 200)


PUSH_MAX = 15 * 1024 * 1024  # a result file of up to 10 MB, in base64


def _result_file(raw) -> tuple[str, bytes] | None:
    """The result a department sends with an electronic 送达, as (name, bytes); 400 if malformed."""
    if raw is None or raw == "":  # absent
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not isinstance(raw.get("base64"), str):
        raise DomainError("result 须为 {\"name\": 文件名, \"base64\": 文件内容}", field="result")
    try:
        return raw["name"][:120], base64.b64decode(raw["base64"], validate=True)
    except (binascii.Error, ValueError):
        raise DomainError("result.base64 不是有效的 Base64", field="result")


class PushInput(Input):
    request_id: Token
    action: Text(20, required=True, label="action")
    note: Text(500, multiline=True)
    decision: Text(10)
    method: Text(20)
    tracking_number: Text(30)
    materials: Any = None  # a list of material keys; checked by the same rule as a clerk's 补正
    result: Any = None  # an electronic result: {"name": "…pdf", "base64": "…"}, checked as any upload


def _error(status: int, message: str, errors: dict | None = None):
    return _signed({"error": {"status": status, "message": message, **({"fields": errors} if errors else {})}},
                   status)


@bp.get("/exchange/<system>/cases")
def exchange_cases(system: str):
    query = parse(CasesQuery, {"after": request.args.get("after", "0"), "limit": request.args.get("limit", "")})
    if not query.ok:
        return _error(400, next(iter(query.errors.values())), query.errors)
    cases, last = new_cases(system, query.data.after, query.data.limit or 50)
    return _signed({"cases": cases, "next_after": last})


@bp.post("/exchange/<system>/cases/<number>/events")
def exchange_event(system: str, number: str):
    try:
        body = json_body(request, PUSH_MAX)
    except DomainError as exc:
        return _error(exc.status, exc.message)
    push = parse(PushInput, body)
    if not push.ok:
        return _error(400, "; ".join(f"{k}: {v}" if k else v for k, v in push.errors.items()), push.errors)
    data = push.data
    fields = {"decision": data.decision, "method": data.method, "tracking_number": data.tracking_number}
    try:
        answer = push_event(system, number, data.request_id, data.action, data.note,
                            {**{k: v for k, v in fields.items() if v}, "materials": data.materials},
                            _result_file(data.result))
    except DomainError as exc:
        return _error(exc.status, exc.message)
    return _signed(answer)


class WebhookInput(Input):
    url: Text(300, required=True, label="url")


@bp.put("/exchange/<system>/webhook")
def exchange_webhook(system: str):
    """The department registers (or moves) the address its case events are delivered to."""
    try:
        body = json_body(request)
    except DomainError as exc:
        return _error(exc.status, exc.message)
    form = parse(WebhookInput, body)
    if not form.ok:
        return _error(400, next(iter(form.errors.values())), form.errors)
    try:
        hook = webhooks.register(department_actor(system), system, form.data.url,
                                 current_app.config["EXCHANGE_SYSTEMS"], registry().production,
                                 request.remote_addr or "")
    except DomainError as exc:
        return _error(exc.status if exc.status != 400 else 422, exc.message, {exc.field: exc.message} if exc.field else None)
    return _signed({"system": system, "url": hook.url})


@bp.delete("/exchange/<system>/webhook")
def exchange_webhook_remove(system: str):
    webhooks.remove(department_actor(system), system, request.remote_addr or "")
    return _signed({"system": system, "url": None})
