"""Webhooks: a department system registers a URL (through the signed API, or the administrator
for it in the console), and every case event of its items is POSTed there from the outbox —
signed, retried with a growing pause when the department does not answer 2xx, each with an
idempotency key (X-Idempotency-Key) that stays the same across retries and replays, so the
department applies each event once. The outbox rows are the delivery log; a delivery can be
sent again from the console."""
from __future__ import annotations

import ipaddress
import json
import time
import urllib.error
import urllib.request
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import audit, inputs
from services.clock import utcnow
from services.errors import DomainError, NotFound
from services.exchange.http import sign
from services.outbox import OutboxMessage
from services.people.actors import Actor

TIMEOUT = 5.0
LOG_SIZE = 50


class Webhook(db.Model):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(12), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    registered_by: Mapped[str] = mapped_column(String(60))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def check_url(raw, production: bool) -> str:
    """An http(s) address with a host; https only in production, and never a loopback or private
    address there (the county's own network is not a department's endpoint)."""
    url = raw.strip() if isinstance(raw, str) else ""
    parts = urlsplit(url)
    if len(url) > 300 or parts.scheme not in ("https", "http") or not parts.hostname or parts.username \
            or not url.isascii() or any(c.isspace() for c in url):
        raise DomainError("请填写完整的接收地址，如 https://mzj.example.gov.cn/hooks/cases", field="url")
    if production:
        if parts.scheme != "https":
            raise DomainError("正式环境的接收地址必须是 https", field="url")
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            address = None
        if address is not None and (address.is_private or address.is_loopback or address.is_link_local):
            raise DomainError("接收地址不能是内网或本机地址", field="url")
    return url


def register(actor: Actor, system: str, url, systems: list[str], production: bool, ip: str = "") -> Webhook:
    if system not in systems:
        raise NotFound("没有这个部门系统")
    url = check_url(url, production)
    hook = db.session.scalar(select(Webhook).where(Webhook.system == system)) or Webhook(system=system)
    hook.url, hook.registered_by, hook.registered_at = url, actor.name[:60], utcnow()
    db.session.add(hook)
    audit.record(actor.kind, actor.id, actor.name, "webhook_registered", f"system:{system}", {"url": url},
                 ip=ip, commit=False)
    db.session.commit()
    return hook


def remove(actor: Actor, system: str, ip: str = "") -> None:
    hook = db.session.scalar(select(Webhook).where(Webhook.system == system))
    if hook is not None:
        db.session.delete(hook)
        audit.record(actor.kind, actor.id, actor.name, "webhook_removed", f"system:{system}", ip=ip, commit=False)
        db.session.commit()


def webhook_of(system: str) -> Webhook | None:
    return db.session.scalar(select(Webhook).where(Webhook.system == system))


def deliveries(system: str) -> list[OutboxMessage]:
    """The delivery log: the latest case events sent (or to be sent) to this system."""
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "department", OutboxMessage.recipient == system)
        .order_by(OutboxMessage.id.desc()).limit(LOG_SIZE)))


def replay(actor: Actor, message_id, ip: str = "") -> OutboxMessage:
    """Send a delivery again, now, with the same idempotency key."""
    message = db.session.get(OutboxMessage, message_id) if inputs.is_row_id(message_id) else None
    if message is None or message.channel != "department":
        raise NotFound("没有这条投递记录")
    message.status, message.attempts, message.available_at, message.last_error = "pending", 0, utcnow(), ""
    audit.record(actor.kind, actor.id, actor.name, "webhook_replayed", f"system:{message.recipient}",
                 {"key": message.dedupe_key}, ip=ip, commit=False)
    db.session.commit()
    return message


def post(url: str, key_id: str | None, secret: str, payload: dict, idempotency_key: str) -> None:
    """One signed delivery; anything but a 2xx answer raises, and the outbox tries again later."""
    body = json.dumps({**payload, "idempotency_key": idempotency_key}, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Timestamp": timestamp, "X-Idempotency-Key": idempotency_key,
               "X-Signature": sign(secret, timestamp, body)}
    if key_id:
        headers["X-Key-Id"] = key_id
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"HTTP {exc.code}") from None
