"""Slowing down password and code guessing without letting anyone lock a colleague out.

A hard lock after 5 wrong passwords let anybody lock any staff member out, the administrator
too, by typing their user name. Instead each wrong try makes the next one wait longer (30 s,
1, 2, 4, then 5 minutes at most), counted separately:
- per user name typed from a browser that has not signed in to it before (known or not: an
  unknown name is slowed exactly like a real one, so the answer tells nothing);
- per source address, across names (one address trying many names);
- per browser that has signed in to this name before (its device mark): the owner's own
  browser is slowed only by its own mistakes, never by a stranger's.
Counts live in the attempts table, so every worker and host sees the same ones; an
administrator sees them and can clear them (office/security.py)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from extensions import db
from services.attempts import Attempt, forget, give_back, take_unless
from services.audit import record
from services.clock import aware, utcnow

WINDOW = timedelta(hours=1)
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=5)
PREFIX = "slow:"
# Free tries before any wait, by what is counted. A township hall's staff share one address.
FREE = {"name": 5, "from": 20, "device": 10, "code": 5, "current": 5}
KIND_NAMES = {"name": "用户名", "from": "来源地址", "device": "已登录过的浏览器", "code": "动态验证码",
              "current": "修改前核对的当前密码"}


def name_key(area: str, username: str) -> str:
    """The typed name, hashed when it is odd (it is the attacker's text, and keys are short)."""
    printable = username.isascii() and username.isprintable() and len(username) <= 40
    shown = username if printable else "#" + hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()[:16]
    return f"{PREFIX}{area}:name:{shown}"


def source_key(area: str, requester: str) -> str:
    return f"{PREFIX}{area}:from:{requester[:60]}"


def device_key(area: str, device: str) -> str:
    return f"{PREFIX}{area}:device:{device[:32]}"


def code_key(area: str, account_id: int) -> str:
    return f"{PREFIX}{area}:code:{account_id}"


def current_key(area: str, account_id: int) -> str:
    return f"{PREFIX}{area}:current:{account_id}"


def _kind(key: str) -> str:
    return key.removeprefix(PREFIX).split(":")[1]


def _wait_after(failures: int, last: datetime | None, free: int, now: datetime) -> timedelta:
    if failures < free or last is None:
        return timedelta(0)
    wait = min(FIRST_WAIT * 2 ** (failures - free), MAX_WAIT)
    return max(aware(last) + wait - now, timedelta(0))


def _counts(conn, keys: list[str], now: datetime, leaving_out: list[int] = ()) -> dict[str, tuple[int, datetime]]:
    rows = conn.execute(
        select(Attempt.key, func.count(), func.max(Attempt.at))
        .where(Attempt.key.in_(keys), Attempt.at > now - WINDOW, Attempt.id.not_in(leaving_out)).group_by(Attempt.key))
    return {key: (count, last) for key, count, last in rows}


def _longest_wait(counts: dict, keys: list[str], now: datetime) -> timedelta:
    return max((_wait_after(*counts.get(key, (0, None)), FREE[_kind(key)], now) for key in keys),
               default=timedelta(0))


def take(keys: list[str]) -> tuple[list[int], timedelta]:
    """Count this try on every key before its password or code is looked at, in turns with tries
    on the same keys (attempts.take_unless): guesses sent all at once each see the ones before
    them. The ids to give back should the try be right; or, when the keys are slowed, no ids and
    how long to wait (a slowed try is not counted: it was not made)."""
    ids, pause = take_unless(keys, lambda conn, ids, now: _longest_wait(_counts(conn, keys, now, ids), keys, now))
    return ids, pause or timedelta(0)


def right(tried: list[int], own_keys: list[str]) -> None:
    """A right try: its counts given back, and the failures before it on `own_keys` forgotten
    (never the source's: signing in to one's own account must not wash away guesses at others
    from the same place). At once, in transactions of their own: a sign-in's second step is
    another request, and its first must not stay counted as a failure."""
    give_back(tried)
    forget(own_keys)


def message(wait_for: timedelta) -> str:
    seconds = max(int(wait_for.total_seconds() + 0.999), 1)
    shown = f"{seconds} 秒" if seconds < 60 else f"{(seconds + 59) // 60} 分钟"
    return f"尝试次数较多，为保护账号，请 {shown}后再试"


@dataclass(frozen=True)
class Slowed:
    key: str
    area: str
    kind: str
    subject: str
    failures: int
    last: datetime
    wait: timedelta

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)


def current() -> list[Slowed]:
    """Every count with a failure in the window, the most recent first: what an administrator sees."""
    now = utcnow()
    rows = db.session.execute(
        select(Attempt.key, func.count(), func.max(Attempt.at))
        .where(Attempt.key.startswith(PREFIX), Attempt.at > now - WINDOW)
        .group_by(Attempt.key).order_by(func.max(Attempt.at).desc(), Attempt.key))
    found = []
    for key, count, last in rows:
        area, kind, subject = key.removeprefix(PREFIX).split(":", 2)
        found.append(Slowed(key, area, kind, subject, count, aware(last),
                            _wait_after(count, last, FREE.get(kind, 5), now)))
    return found


def clear(actor, key: str, ip: str = "") -> int:
    """An administrator lets a slowed name, address or browser try again at once (audit-logged)."""
    if not key.startswith(PREFIX):
        return 0
    done = db.session.execute(delete(Attempt).where(Attempt.key == key[:120])).rowcount
    if done:
        record(actor.kind, actor.id, actor.name, "clear_throttle", key[:60], {"failures": done}, ip=ip, commit=False)
    db.session.commit()
    return done
