"""The keys department systems sign their requests to us with, kept by the county's administrator
in the console: created (the secret shown once), rotated — two valid keys per system while the
department changes over — and revoked. A request names its key (X-Key-Id) and carries a nonce
(X-Nonce) that is remembered, so a captured request cannot be sent again inside the 5 minutes
its timestamp is good for."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import DateTime, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import audit
from services.clock import utcnow
from services.errors import DomainError, NotFound
from services.exchange.http import REPLAY_WINDOW
from services.people.actors import Actor

MAX_ACTIVE = 2  # the old key and the new one, while a department changes over
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}", re.ASCII)


class ApiKey(db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(12), index=True)
    key_id: Mapped[str] = mapped_column(String(24), unique=True)
    # The shared secret itself: HMAC needs it on both sides. Stored as it is for now; encrypting
    # it at rest comes with the personal data's keys (issue 14).
    secret: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class UsedNonce(db.Model):
    __tablename__ = "api_nonces"
    __table_args__ = (UniqueConstraint("system", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(12))
    nonce: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


def keys_of(system: str) -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).where(ApiKey.system == system).order_by(ApiKey.id.desc())))


def create_key(actor: Actor, system: str, systems: list[str], ip: str = "") -> tuple[ApiKey, str]:
    """A new key for a department system: (the key, its secret — shown this once)."""
    if system not in systems:
        raise DomainError("没有这个部门系统", field="system")
    if sum(1 for k in keys_of(system) if k.active) >= MAX_ACTIVE:
        raise DomainError("这个部门系统已有两把有效密钥：请部门换用新密钥后，先停用旧的，再生成新的", field="system")
    secret = secrets.token_urlsafe(32)
    key = ApiKey(system=system, key_id="zk_" + secrets.token_hex(8), secret=secret, created_by=actor.name[:60])
    db.session.add(key)
    audit.record(actor.kind, actor.id, actor.name, "api_key_created", f"system:{system}", {"key_id": key.key_id},
                 ip=ip, commit=False)
    db.session.commit()
    return key, secret


def revoke_key(actor: Actor, key_id, ip: str = "") -> ApiKey:
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_id == key_id)) if isinstance(key_id, str) else None
    if key is None:
        raise NotFound("没有这把密钥")
    if key.active:
        key.revoked_at = utcnow()
        audit.record(actor.kind, actor.id, actor.name, "api_key_revoked", f"system:{key.system}",
                     {"key_id": key.key_id}, ip=ip, commit=False)
        db.session.commit()
    return key


KEY_ID = re.compile(r"zk_[0-9a-f]{16}", re.ASCII)


def secret_of(system: str, key_id: str | None) -> str | None:
    """The secret of a valid key of this system, or None."""
    if not key_id or not KEY_ID.fullmatch(key_id):
        return None
    return db.session.scalar(select(ApiKey.secret).where(ApiKey.system == system, ApiKey.key_id == key_id,
                                                         ApiKey.revoked_at.is_(None)))


def remember_nonce(system: str, nonce: str | None) -> bool:
    """False if the nonce is malformed or was seen before (a replay); remembered otherwise."""
    if not nonce or not NONCE.fullmatch(nonce):
        return False
    db.session.add(UsedNonce(system=system, nonce=nonce))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def forget_old_nonces() -> int:
    """Nonces older than the timestamp window can never be replayed: dropped (by the worker)."""
    cutoff = utcnow() - timedelta(seconds=2 * REPLAY_WINDOW)
    gone = db.session.execute(delete(UsedNonce).where(UsedNonce.at < cutoff)).rowcount
    db.session.commit()
    return gone


def keyed(system: str) -> bool:
    """Once a system has had a key from the console, only such keys sign its requests: the
    configured secret (and its requests without a nonce) no longer opens anything."""
    return db.session.scalar(select(ApiKey.id).where(ApiKey.system == system).limit(1)) is not None


def signing_key(system: str) -> tuple[str, str] | None:
    """(key id, secret) of the system's newest valid key: what our deliveries to it are signed with."""
    row = db.session.execute(select(ApiKey.key_id, ApiKey.secret).where(
        ApiKey.system == system, ApiKey.revoked_at.is_(None)).order_by(ApiKey.id.desc()).limit(1)).first()
    return tuple(row) if row else None
