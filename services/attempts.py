"""Counting tries (a wrong last-4 digits, a wrong SMS code, a code sent) in the database, so
every gunicorn worker and every host sees the same count — a limit of 5 stays 5 however many
processes serve. Keys name the requester, never only the target: whoever guesses at a
villager's case uses up their own tries, not the villager's."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, String, delete, func, insert, select, text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.clock import utcnow


class Attempt(db.Model):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


def _count(conn, key: str, since: datetime) -> int:
    return conn.execute(select(func.count()).select_from(Attempt)
                        .where(Attempt.key == key[:120], Attempt.at > since)).scalar() or 0


def count(key: str, window: timedelta, now: datetime | None = None) -> int:
    return _count(db.session, key, (now or utcnow()) - window)


# A kiosk serves a hall's queue, one person after another: a limit counted per requester allows
# it this many times more. Each person is still held to the limits counted per phone or case.
KIOSK_FACTOR = 8


def for_requester(limit: tuple[int, timedelta], requester: str) -> tuple[int, timedelta]:
    """A per-requester limit as it applies to this requester (a kiosk's is larger)."""
    count, window = limit
    return (count * KIOSK_FACTOR if requester.startswith("kiosk:") else count), window


def take(limits: list[tuple[str, int, timedelta]]) -> list[int] | None:
    """Count this try under every (key, limit, window), then look: None when a limit would be
    passed (the try is not kept: it was not made), else the ids to give back should the try
    turn out right."""
    ids, passed = take_unless([key for key, _, _ in limits], lambda conn, ids, now: any(
        _count(conn, key, now - window) > limit for key, limit, window in limits))
    return None if passed else ids


def take_unless(keys: list[str], refusal):
    """Count this try under every key, then ask `refusal(conn, ids, now)` — in one transaction of
    its own in which tries on the same keys take turns (written first, then looked at: SQLite's
    one writer; an advisory lock per key on PostgreSQL), so tries sent all at once each see the
    ones before them. (ids, None) to go on; ([], what refusal said) when it said something: the
    try is not kept."""
    now = utcnow()
    keys = list(dict.fromkeys(key[:120] for key in keys))
    with db.engine.begin() as conn:  # its own connection: never commits a caller's half-done work
        if conn.dialect.name == "postgresql":  # SQLite's single writer already takes turns
            for key in sorted(keys):
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        ids = [conn.execute(insert(Attempt).values(key=key, at=now).returning(Attempt.id)).scalar_one()
               for key in keys]
        refused = refusal(conn, ids, now)
        if refused:
            conn.execute(delete(Attempt).where(Attempt.id.in_(ids)))
            return [], refused
    return ids, None


def give_back(ids: list[int]) -> None:
    """A try that turned out right, uncounted at once, whatever becomes of the caller's transaction."""
    with db.engine.begin() as conn:
        conn.execute(delete(Attempt).where(Attempt.id.in_(ids)))


def forget(keys: list[str]) -> None:
    """Every count under these keys gone at once, whatever becomes of the caller's transaction."""
    with db.engine.begin() as conn:
        conn.execute(delete(Attempt).where(Attempt.key.in_([key[:120] for key in keys])))


def prune(older_than: timedelta = timedelta(days=1)) -> int:
    """The worker drops counts no window looks at any more."""
    done = db.session.execute(delete(Attempt).where(Attempt.at < utcnow() - older_than))
    db.session.commit()
    return done.rowcount
