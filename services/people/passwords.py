"""Accounts that sign in with a user name and a password (staff, village agents): the password
rules, hashing, and checking a password under services.people.throttle's slowdown — one set of
rules for every such account."""
from __future__ import annotations

import functools
import re
import secrets

from sqlalchemy import Boolean, String, false, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from extensions import db
from services import inputs
from services.audit import record
from services.errors import DomainError
from services.people import sessions, throttle

MIN_PASSWORD = 12
# What guessers try first here and zxcvbn's English lists do not hold: the county, the
# province, the portal, pinyin of love and luck, the commonest surnames.
LOCAL_WORDS = ("zhenyuan", "qingyang", "gansu", "zhengwu", "zwfw", "yiwangtongban", "bianmin",
               "woaini", "aini", "wojiaini", "woaiwojia", "zhongguo", "china", "beijing",
               "wang", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "sun", "ma")


class PasswordAccount:
    """What a table of such accounts has (a mixin of its model): the name and password, whether
    it is enabled — and flask-login's user protocol, one definition for all of them."""
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set while the password is one someone else chose or knows (an administrator made the
    # account or reset the password): the holder changes it before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active


def check_password_rules(password: str, *about: str) -> None:
    """Length, and not guessable: no common password, keyboard walk, date or repeat, and not
    built from the account's own name (`about`). No rules of character classes: a long
    phrase is stronger than "Passw0rd!" and easier to remember."""
    if len(password or "") < MIN_PASSWORD:
        raise DomainError(f"密码至少 {MIN_PASSWORD} 位", field="password")
    words = [w for w in about if w] + list(LOCAL_WORDS)
    if zxcvbn(password[:72], user_inputs=words)["score"] < 3:  # zxcvbn takes 72 at most
        raise DomainError("这个密码太常见或太好猜（常用密码、键盘顺序、日期、姓名拼音等），"
                          "请换一个更长、不常见的，比如几个词连在一起", field="password")


def check_username(username) -> str:
    username = inputs.text_of(username, "username").strip().lower()
    if not re.fullmatch(r"[a-z0-9_.]{3,40}", username):
        raise DomainError("用户名用 3–40 位字母、数字", field="username")
    return username


def hashed(password: str, *about: str) -> str:
    check_password_rules(password, *about)
    return generate_password_hash(password)


@functools.cache
def _dummy_hash() -> str:
    """Made on the first unknown name rather than at every start-up: it costs one scrypt run."""
    return generate_password_hash("not-a-password-anyone-has")


def authenticate(model, kind: str, username, password, requester: str, device: str | None = None,
                 ip: str = ""):
    """The account of `model` whose name and password these are, or one refusal for an unknown
    name, a disabled account and a wrong password alike. Tries are slowed (throttle): by the
    browser's own count when `device` is its mark for this name, else by name and by source.
    `kind` is the actor kind the audit log records. The caller records the sign-in itself."""
    name = username.strip().lower() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    keys = ([throttle.device_key(kind, device)] if device
            else [throttle.name_key(kind, name), throttle.source_key(kind, requester)])
    tried, pause = throttle.take(keys)
    if pause:
        record(kind, None, name[:40], "login_slowed", ip=ip)
        raise DomainError(throttle.message(pause), field="password")
    user = db.session.scalar(select(model).where(model.username == name)) if name.isascii() and \
        name.isprintable() and len(name) <= 40 else None
    right = check_password_hash(user.password_hash if user else _dummy_hash(), password)  # as slow either way
    if user is None or not user.active or not right:
        reason = "unknown" if user is None else ("disabled" if not user.active else "password")
        record(kind, user.id if user else None, user.name if user else name[:40], "login_failed",
               detail={"reason": reason}, ip=ip)
        raise DomainError("用户名或密码不对", field="password")
    throttle.right(tried, keys[:1])
    return user


def check_current(account, kind: str, typed, ip: str = "") -> None:
    """The account holder's password again, before a change that would lock them out if made
    by someone at their unlocked computer: slowed and logged like a sign-in."""
    keys = [throttle.current_key(kind, account.id)]
    tried, pause = throttle.take(keys)
    if pause:
        raise DomainError(throttle.message(pause), field="current")
    if not check_password_hash(account.password_hash, typed if isinstance(typed, str) else ""):
        record(kind, account.id, account.name, "login_failed", detail={"reason": "current_password"}, ip=ip)
        raise DomainError("当前密码不对", field="current")
    throttle.right(tried, keys)


def change_password(account, kind: str, current: str, new: str, keep_token: str | None, ip: str = "") -> None:
    """The account holder's own change: the current password first; every other session of the
    account ends (services.people.sessions), the one `keep_token` names goes on."""
    check_current(account, kind, current, ip)
    if current == new:
        raise DomainError("新密码不能和当前密码相同", field="password")
    account.password_hash = hashed(new, account.username, account.name)
    account.must_change_password = False
    ended = sessions.end_all(kind, account.id, "password", keep_token=keep_token)
    record(kind, account.id, account.name, "change_password", f"{kind}:{account.id}", {"ended": ended}, ip=ip,
           commit=False)
    db.session.commit()


TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # none of 0/o, 1/l/i to misread on paper


def temporary_password(account, kind: str) -> str:
    """An administrator's reset: a random password to hand over (shown once), to be changed at the
    next sign-in; every session of the account ends. The caller records and commits."""
    password = "-".join("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))
    account.password_hash = generate_password_hash(password)
    account.must_change_password = True
    sessions.end_all(kind, account.id, "password_reset")
    return password
