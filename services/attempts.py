"""Counting wrong tries (a wrong last-4 digits, a wrong SMS code, a code sent) in the database,
so every gunicorn worker and every host sees the same count — a limit of 5 stays 5 however
many processes serve. Keys name the requester, never only the target: whoever guesses at a
villager's case uses up their own tries, not the villager's."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.clock import utcnow


class Attempt(db.Model):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


def count(key: str, window: timedelta, now: datetime | None = None) -> int:
    since = (now or utcnow()) - window
    return db.session.scalar(select(func.count()).select_from(Attempt)
                             .where(Attempt.key == key[:120], Attempt.at > since)) or 0


def take(limits: list[tuple[str, int, timedelta]]) -> list[int] | None:
    """Count this attempt under every (key, limit, window) first, then look: None when a limit is
    exceeded (the attempt is given back: it was not tried), else the ids to give back should
    the attempt turn out right. Counting before looking keeps simultaneous tries honest."""
    now = utcnow()
    rows = [Attempt(key=key[:120], at=now) for key in dict.fromkeys(key for key, _, _ in limits)]
    db.session.add_all(rows)
    db.session.commit()
    ids = [row.id for row in rows]
    if any(count(key, window, now) > limit for key, limit, window in limits):
        give_back(ids)
        return None
    return ids


def give_back(ids: list[int]) -> None:
    db.session.execute(delete(Attempt).where(Attempt.id.in_(ids)))
    db.session.commit()


def prune(older_than: timedelta = timedelta(days=1)) -> int:
    """The worker drops counts no window looks at any more."""
    done = db.session.execute(delete(Attempt).where(Attempt.at < utcnow() - older_than))
    db.session.commit()
    return done.rowcount
