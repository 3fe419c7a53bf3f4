"""Outbox: messages written in the same transaction as the change that causes them, sent
later by `flask worker`. A message is claimed before sending, so no two workers send it,
and a dedupe key makes writing the same message twice store it once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.clock import aware
from services.sealing import Sealed, SealedJSON, sealed_value

# A gateway or a department system down for hours, or over a long weekend, loses nothing: its
# messages are tried again and again for KEEP_TRYING, at most MAX_PAUSE apart, so once it is back
# everything waiting goes within minutes. Only then, and after MAX_ATTEMPTS tries at least (a
# delivery replayed from the console gets its tries again), is a message given up as failed.
KEEP_TRYING = timedelta(days=3)
MAX_PAUSE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=5)  # a worker that died mid-send gives its claim back


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def pause_after(attempts: int) -> timedelta:
    """1, 2, 4, 8 minutes, then every 10: a blip costs a minute, an outage no busy loop."""
    return min(timedelta(seconds=30 * 2 ** min(attempts, 10)), MAX_PAUSE)


class OutboxMessage(db.Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # sms | department
    # A phone or a department system's key, sealed like every phone (services.sealing); and what
    # is sent, sealed too: an SMS's words carry sign-in codes and names.
    _recipient: Mapped[str] = mapped_column("recipient", Sealed("outbox.recipient"))
    recipient_index: Mapped[str] = mapped_column(String(64), index=True)
    recipient = sealed_value("recipient", "phone")
    payload: Mapped[dict] = mapped_column(SealedJSON("outbox.payload"))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Late-bound, so the outbox keeps one clock (utcnow above) that a test can move.
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: utcnow())
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    # What the gateway said when it took the message, and its delivery receipt (状态报告) later.
    gateway_id: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery: Mapped[str | None] = mapped_column(String(12))  # delivered | undelivered
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivery_note: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: utcnow())


def gives_up(message: OutboxMessage, now: datetime) -> bool:
    return message.attempts >= MAX_ATTEMPTS and now - aware(message.created_at) >= KEEP_TRYING


def enqueue(channel: str, recipient: str | None, payload: dict, dedupe_key: str) -> None:
    """Add to the caller's transaction; a second message with the same key is dropped, and one
    to nobody (a resident with no phone) is not written."""
    if not recipient:
        return
    exists = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
    if exists is None:
        db.session.add(OutboxMessage(channel=channel, recipient=recipient, payload=payload,
                                     dedupe_key=dedupe_key))


def claim_batch(limit: int = 20) -> list[int]:
    """Claim pending messages. On PostgreSQL, SKIP LOCKED lets many workers share the queue;
    the status-guarded UPDATE makes the claim exclusive on SQLite too."""
    now = utcnow()
    query = (select(OutboxMessage.id)
             .where(((OutboxMessage.status == "pending") & (OutboxMessage.available_at <= now))
                    | ((OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)))
             .order_by(OutboxMessage.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for message_id in db.session.scalars(query).all():
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id,
                   (OutboxMessage.status == "pending") | (OutboxMessage.claimed_at < now - CLAIM_TIMEOUT))
            .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1))
        if result.rowcount == 1:
            claimed.append(message_id)
    db.session.commit()
    return claimed


def deliver_claimed(message_ids: list[int], senders: dict) -> tuple[int, int]:
    """Send each claimed message with the sender for its channel. Returns (sent, failed)."""
    sent = failed = 0
    for message_id in message_ids:
        message = db.session.get(OutboxMessage, message_id)
        try:
            answer = senders[message.channel].send(message.recipient, message.payload, message.dedupe_key)
        except Exception as exc:  # the adapter failed: retry later, with a growing pause
            now = utcnow()
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.status = "failed" if gives_up(message, now) else "pending"
            message.available_at = now + pause_after(message.attempts)
            failed += 1
        else:
            message.status, message.sent_at = "sent", utcnow()
            if isinstance(answer, dict) and answer.get("id"):  # a gateway's message id: its receipt will name it
                message.gateway_id = str(answer["id"])[:64]
            sent += 1
        db.session.commit()
    return sent, failed


def drain(senders: dict, limit: int = 20) -> tuple[int, int]:
    return deliver_claimed(claim_batch(limit), senders)


def record_receipts(reports: list[tuple[str, bool, str]]) -> int:
    """A gateway's delivery receipts (状态报告): (its message id, delivered?, note) each, kept on the
    message it took with that id. Returns how many matched a message."""
    matched = 0
    for gateway_id, delivered, note in reports:
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.gateway_id == gateway_id[:64])) \
            if gateway_id else None
        if message is not None:
            message.delivery = "delivered" if delivered else "undelivered"
            message.delivered_at, message.delivery_note = utcnow(), note[:100]
            matched += 1
    db.session.commit()
    return matched
