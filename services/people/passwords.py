"""Accounts that sign in with a user name and a password (staff, village agents): the password
rules, hashing, and a lock after repeated failures — one set of rules for every such account."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from sqlalchemy import Boolean, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from services import inputs
from services.audit import record
from services.clock import to_china, utcnow
from services.errors import DomainError

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10


class PasswordAccount:
    """What a table of such accounts has (a mixin of its model): the name and password, the lock,
    whether it is enabled — and flask-login's user protocol, one definition for all of them."""
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(f"密码至少 {MIN_PASSWORD} 位", field="password")
    if password.isdigit() or password.isalpha():
        raise DomainError("密码要同时包含字母和数字", field="password")


def check_username(username) -> str:
    username = inputs.text_of(username, "username").strip().lower()
    if not re.fullmatch(r"[a-z0-9_.]{3,40}", username):
        raise DomainError("用户名用 3–40 位字母、数字", field="username")
    return username


def hashed(password: str) -> str:
    check_password_rules(password)
    return generate_password_hash(password)


@functools.cache
def _dummy_hash() -> str:
    """Made on the first unknown name rather than at every start-up: it costs one scrypt run."""
    return generate_password_hash("not-a-password-anyone-has")


def authenticate(model, kind: str, username, password, ip: str = ""):
    """The account of `model` (a table with username, password_hash, active, failed_logins,
    locked_until) — the same message for an unknown name and a wrong password; a lock after 5
    failures. `kind` is the actor kind the audit log records."""
    name = username.strip().lower() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    user = db.session.scalar(select(model).where(model.username == name)) if name.isascii() and \
        name.isprintable() and len(name) <= 40 else None
    now = utcnow()
    wrong = DomainError("用户名或密码不对", field="password")
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)  # as slow as a real check: names stay secret
        record(kind, None, name[:40], "login_failed", detail={"reason": "unknown"}, ip=ip)
        raise wrong
    if user.locked_until and to_china(user.locked_until) > to_china(now):
        record(kind, user.id, user.name, "login_failed", detail={"reason": "locked"}, ip=ip)
        raise DomainError(f"密码错误次数太多，账号已锁定，请 {to_china(user.locked_until):%H:%M} 后再试，"
                          "或请管理员解锁", field="password")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCK_FOR, 0
            record(kind, user.id, user.name, "locked", ip=ip, commit=False)
        record(kind, user.id, user.name, "login_failed", detail={"reason": "password"}, ip=ip)
        raise wrong
    user.failed_logins, user.locked_until = 0, None
    record(kind, user.id, user.name, "login", ip=ip)
    return user
