"""Township service centres (乡镇便民服务中心): where villagers go in person."""
from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class Township(db.Model):
    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    center_address: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    hours: Mapped[str] = mapped_column(String(80))


def list_townships() -> list[dict]:
    """Only the columns the page shows, in one query."""
    rows = db.session.execute(
        select(Township.name, Township.center_address, Township.phone, Township.hours)
        .order_by(Township.code)
    ).mappings()
    return [dict(r) for r in rows]


def township_choices() -> list[tuple[int, str]]:
    return [tuple(r) for r in db.session.execute(select(Township.id, Township.name).order_by(Township.code))]


def township_name(township_id: int | None) -> str:
    return db.session.scalar(select(Township.name).where(Township.id == township_id)) or ""


def load_townships(path: Path) -> int:
    """Insert the county's townships when none are there yet. Returns how many were added."""
    if db.session.scalar(select(func.count()).select_from(Township)):
        return 0
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["townships"]
    db.session.add_all(Township(**row) for row in rows)
    db.session.commit()
    return len(rows)


def township_id_by_name(name: str) -> int | None:
    return db.session.scalar(select(Township.id).where(Township.name == name))


def is_township(township_id) -> bool:
    return isinstance(township_id, int) and township_id in {tid for tid, _ in township_choices()}
