"""Server-side sessions of staff and village agents: the browser holds only a random token, the
session lives here, so ending it here ends it everywhere at once — 退出, a password change,
a disabled account, an administrator's 全部退出, or 30 idle minutes. A cookie copied before
退出 is worth nothing after it."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.audit import record
from services.clock import aware, utcnow

IDLE = timedelta(minutes=30)
LONGEST = timedelta(hours=12)  # a working day: signed in again the next morning whatever happens
TOUCH_EVERY = timedelta(minutes=1)  # how stale seen_at may be: one write a minute, not one a request
END_REASONS = {"logout": "退出", "idle": "30 分钟无操作", "expired": "超过 12 小时", "password": "修改了密码",
               "disabled": "账号停用", "everywhere": "管理员全部退出", "two_factor_reset": "重置两步验证",
               "password_reset": "管理员重置密码"}


class AccountSession(db.Model):
    __tablename__ = "account_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_kind: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_why: Mapped[str] = mapped_column(String(20), default="")

    @property
    def ended_name(self) -> str:
        return END_REASONS.get(self.ended_why, self.ended_why)


def hash_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(account, kind: str, ip: str = "", user_agent: str = "") -> str:
    """A new session for an account that has just proved who it is; the token goes in the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(AccountSession(token_hash=hash_of(token), account_kind=kind, account_id=account.id,
                                  ip=ip[:45], user_agent="".join(c for c in user_agent if c.isprintable())[:120]))
    record(kind, account.id, account.name, "login", ip=ip, commit=False)
    db.session.commit()
    return token


def check(token, kind: str, account_id: int) -> str | None:
    """None while the session is good (and marks it seen), else why it is not: "idle",
    "expired", an ending reason, or "unknown"."""
    if not isinstance(token, str) or not token:
        return "unknown"
    row = db.session.scalar(select(AccountSession).where(AccountSession.token_hash == hash_of(token)))
    if row is None or row.account_kind != kind or row.account_id != account_id:
        return "unknown"
    if row.ended_at is not None:
        return row.ended_why
    now = utcnow()
    if now - aware(row.seen_at) > IDLE or now - aware(row.started_at) > LONGEST:
        why = "idle" if now - aware(row.seen_at) > IDLE else "expired"
        row.ended_at, row.ended_why = now, why
        db.session.commit()
        return why
    if now - aware(row.seen_at) > TOUCH_EVERY:
        row.seen_at = now
        db.session.commit()
    return None


def end(token, why: str = "logout") -> None:
    if isinstance(token, str) and token:
        db.session.execute(update(AccountSession).where(AccountSession.token_hash == hash_of(token),
                                                        AccountSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), ended_why=why))
        db.session.commit()


def end_all(kind: str, account_id: int, why: str, keep_token: str | None = None) -> int:
    """End every live session of an account (but the one `keep_token` names); the caller commits."""
    query = update(AccountSession).where(AccountSession.account_kind == kind, AccountSession.account_id == account_id,
                                         AccountSession.ended_at.is_(None))
    if keep_token:
        query = query.where(AccountSession.token_hash != hash_of(keep_token))
    return db.session.execute(query.values(ended_at=utcnow(), ended_why=why)).rowcount


def live(kind: str, account_id: int) -> list[AccountSession]:
    since = utcnow() - IDLE
    return list(db.session.scalars(
        select(AccountSession).where(AccountSession.account_kind == kind, AccountSession.account_id == account_id,
                                     AccountSession.ended_at.is_(None), AccountSession.seen_at > since)
        .order_by(AccountSession.seen_at.desc(), AccountSession.id.desc())))


def live_counts(kind: str) -> dict[int, int]:
    since = utcnow() - IDLE
    rows = db.session.execute(
        select(AccountSession.account_id, func.count()).where(
            AccountSession.account_kind == kind, AccountSession.ended_at.is_(None), AccountSession.seen_at > since)
        .group_by(AccountSession.account_id))
    return dict(rows.all())
