"""Township service centres (乡镇便民服务中心), where villagers go in person, and the villages (村)
of each township, where village agents work."""
from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import Boolean, ForeignKey, String, func, select
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


class Village(db.Model):
    """A village (村) of a township: where a village agent works. `demo` marks names made up
    for the demo, shown as such wherever a person sees them."""
    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def shown_name(self) -> str:
        return f"{self.name}（演示）" if self.demo else self.name


def load_villages(path: Path) -> int:
    """Insert the villages the file lists that are not there yet (by code). Returns how many."""
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["villages"]
    have = set(db.session.scalars(select(Village.code)))
    added = 0
    for row in rows:
        if row["code"] in have:
            continue
        township_id = township_id_by_name(row["township"])
        if township_id is None:
            raise ValueError(f"{path.name}: 没有乡镇“{row['township']}”")
        db.session.add(Village(township_id=township_id, code=row["code"], name=row["name"],
                               demo=row.get("demo", False)))
        added += 1
    db.session.commit()
    return added


def villages_of(township_id: int | None = None) -> list[Village]:
    """A township's villages, or all of them (None), in code order."""
    query = select(Village).order_by(Village.code)
    if township_id is not None:
        query = query.where(Village.township_id == township_id)
    return list(db.session.scalars(query))


def get_village(village_id) -> Village | None:
    return db.session.get(Village, village_id) if isinstance(village_id, int) and 0 < village_id < 2**31 else None
