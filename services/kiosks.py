"""Self-service kiosks (自助终端) in township halls. Only registered kiosks work: an administrator
registers one, bound to a township, and gets a one-time setup link; opening it on the kiosk's
browser binds that browser by a device secret kept in a cookie. Only hashes of the link and
the secret are stored. A disabled kiosk stops at its next request. Each kiosk reports when it
was last seen and its printer, reader and camera errors, which the console shows."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    String,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.audit import record
from services.clock import aware, utcnow
from services.errors import DomainError, NotFound
from services.people.actors import Actor
from services.people.cards import Card
from services.sealing import Sealed, SealedJSON

SETUP_TTL = timedelta(hours=24)
SEEN_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
DEVICES = {"printer": "打印机", "reader": "身份证阅读器", "camera": "高拍仪", "scanner": "扫码器"}
# The vendor protocols the kiosk page speaks to its ID-card reader (a local service on the kiosk PC).
READERS = {"huashi": "华视（本机读卡服务）", "simulated": "模拟读卡（演示）"}
HUASHI_URL = "http://127.0.0.1:19196/readcard"
# What the demo's simulated reader "reads": the cards of the demo villagers (data/demo_people.toml).
SIMULATED_CARD = {"name": "张桂兰", "id_number": "622827195803150023", "born": "19580315", "sex": "女",
                  "valid_until": "长期"}
SIMULATED_MAN = {"name": "王建国", "id_number": "622827196508201136", "born": "19650820", "sex": "男",
                 "valid_until": "20351231"}


def simulated_card(sex: str | None = None) -> dict:
    """The demo card for a question that wants a man's or a woman's card."""
    return SIMULATED_MAN if sex == "male" else SIMULATED_CARD


class Kiosk(db.Model):
    __tablename__ = "kiosks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    reader: Mapped[str] = mapped_column(String(20), default="huashi")
    reader_url: Mapped[str] = mapped_column(String(200), default=HUASHI_URL)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    setup_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    device_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    bound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    health: Mapped[dict] = mapped_column(JSON, default=dict)  # device -> {"ok", "message", "at"}
    registered_by: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def state(self) -> str:
        """What the console shows: 已停用 / 待绑定 / 设备故障 / 离线 / 正常."""
        if not self.active:
            return "已停用"
        if self.device_hash is None:
            return "待绑定"
        if any(not h.get("ok", True) for h in (self.health or {}).values()):
            return "设备故障"
        if self.last_seen_at is None or utcnow() - aware(self.last_seen_at) > timedelta(minutes=10):
            return "离线"
        return "正常"

    @property
    def simulated_reader(self) -> bool:
        return self.reader == "simulated"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _looks_like_secret(value) -> bool:
    """A device or visit secret as it comes back in a cookie: anything else is not looked up."""
    return isinstance(value, str) and 20 <= len(value) <= 100


def _require_admin(actor: Actor) -> None:
    if actor.kind != "staff" or actor.role != "admin":
        raise DomainError("只有管理员可以登记和管理自助终端")


def register(actor: Actor, name, township_id: int, reader: str, reader_url, ip: str = "") -> tuple[Kiosk, str]:
    """A new kiosk and its one-time setup token."""
    from services.places import is_township
    from services.registry import registry

    _require_admin(actor)
    name = inputs.text(name, 40, field="name", required=True, label="终端名称")
    if not is_township(township_id):
        raise inputs.InvalidInput("请选择乡镇", field="township_id")
    reader = inputs.choice(reader, list(READERS), field="reader")
    if reader == "simulated" and registry().production:
        raise inputs.InvalidInput("正式环境不能使用模拟读卡，请选择实际的读卡器", field="reader")
    url = _reader_url(reader_url)
    kiosk = Kiosk(name=name, township_id=township_id, reader=reader, reader_url=url, registered_by=actor.name)
    db.session.add(kiosk)
    db.session.flush()
    token = _new_setup(kiosk)
    record(actor.kind, actor.id, actor.name, "register_kiosk", f"kiosk:{kiosk.id}",
           {"name": name, "township_id": township_id}, ip=ip, commit=False)
    db.session.commit()
    return kiosk, token


def _reader_url(raw) -> str:
    """The reader service runs on the kiosk PC itself: only a loopback http address is accepted,
    rebuilt from its parts (it goes into the kiosk pages' CSP)."""
    url = inputs.text(raw, 200, field="reader_url") or HUASHI_URL
    wrong = inputs.InvalidInput("读卡服务地址应是本机地址，如 " + HUASHI_URL, field="reader_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise wrong from None
    path = parts.path or "/"
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or parts.username \
            or parts.password or not re.fullmatch(r"[A-Za-z0-9/_.-]*", path) or ".." in path:
        raise wrong
    return f"http://{parts.hostname}{f':{port}' if port else ''}{path}"


def setup_link(token: str) -> str:
    """The one-time link an administrator opens on the kiosk's browser."""
    from services.registry import registry

    return f"{registry().public_base_url}/kiosk/setup/{token}"


def _new_setup(kiosk: Kiosk) -> str:
    token = secrets.token_urlsafe(24)
    kiosk.setup_hash, kiosk.setup_expires_at = _hash(token), utcnow() + SETUP_TTL
    return token


def new_setup_link(actor: Actor, kiosk_id: int, ip: str = "") -> tuple[Kiosk, str]:
    """A fresh one-time token (the old one stops working); the bound browser keeps working until
    another browser opens the new link."""
    _require_admin(actor)
    kiosk = get(kiosk_id)
    token = _new_setup(kiosk)
    record(actor.kind, actor.id, actor.name, "kiosk_setup_link", f"kiosk:{kiosk.id}", ip=ip, commit=False)
    db.session.commit()
    return kiosk, token


def pending(token) -> Kiosk:
    """The kiosk a setup token would bind, if the token is still good."""
    if not inputs.is_key(token, 64, "-_"):
        raise NotFound(EXPIRED)
    kiosk = db.session.scalar(select(Kiosk).where(Kiosk.setup_hash == _hash(token)))
    if kiosk is None or kiosk.setup_expires_at is None or aware(kiosk.setup_expires_at) < utcnow():
        raise NotFound(EXPIRED)
    return kiosk


EXPIRED = "这个登记链接已用过或已过期，请管理员在工作台重新生成"


def bind(token, ip: str = "") -> tuple[Kiosk, str]:
    """Bind the browser opening a setup link: returns the device secret for its cookie. The
    link works once; a browser bound before (another PC) stops working."""
    kiosk = pending(token)
    secret, now = secrets.token_urlsafe(32), utcnow()
    # One conditional UPDATE: of two taps (or two browsers) on the same link, exactly one binds.
    bound = db.session.execute(
        update(Kiosk).where(Kiosk.id == kiosk.id, Kiosk.setup_hash == _hash(token), Kiosk.setup_expires_at > now)
        .values(device_hash=_hash(secret), bound_at=now, setup_hash=None, setup_expires_at=None,
                last_seen_at=now, health={}).execution_options(synchronize_session=False))
    if bound.rowcount != 1:
        db.session.rollback()
        raise NotFound(EXPIRED)
    record("kiosk", kiosk.id, kiosk.name, "bind_kiosk", f"kiosk:{kiosk.id}", ip=ip, commit=False)
    db.session.commit()  # expires `kiosk`: read again as bound
    return kiosk, secret


def by_device(secret) -> Kiosk | None:
    """The kiosk a device secret belongs to (active or not), marked as seen."""
    if not _looks_like_secret(secret):
        return None
    kiosk = db.session.scalar(select(Kiosk).where(Kiosk.device_hash == _hash(secret)))
    if kiosk is not None and kiosk.active:
        now = utcnow()
        if kiosk.last_seen_at is None or now - aware(kiosk.last_seen_at) > SEEN_EVERY:
            kiosk.last_seen_at = now
            db.session.commit()
    return kiosk


def set_active(actor: Actor, kiosk_id: int, active: bool, ip: str = "") -> Kiosk:
    _require_admin(actor)
    kiosk = get(kiosk_id)
    kiosk.active = active
    record(actor.kind, actor.id, actor.name, "enable_kiosk" if active else "disable_kiosk",
           f"kiosk:{kiosk.id}", ip=ip, commit=False)
    db.session.commit()
    return kiosk


def report(kiosk: Kiosk, device, ok: bool, message="") -> None:
    """A device's state as the kiosk page saw it (a reader that did not answer, paper out…)."""
    device = inputs.choice(device, list(DEVICES), field="device")
    message = inputs.text(message, 100, field="message") if not ok else ""
    health = dict(kiosk.health or {})
    health[device] = {"ok": ok, "message": message, "at": utcnow().isoformat(timespec="seconds")}
    kiosk.health = health
    db.session.commit()


def get(kiosk_id: int) -> Kiosk:
    kiosk = db.session.get(Kiosk, kiosk_id) if inputs.is_row_id(kiosk_id) else None
    if kiosk is None:
        raise NotFound("没有这台自助终端")
    return kiosk


def all_kiosks() -> list[Kiosk]:
    return list(db.session.scalars(select(Kiosk).order_by(Kiosk.township_id, Kiosk.id)))


def actor_at(kiosk: Kiosk, person) -> Actor:
    """The kiosk acting for the person identified at it: it sees that person's cases only."""
    return Actor("kiosk", kiosk.id, kiosk.name, township_id=kiosk.township_id,
                 on_behalf_of=person.id if person is not None else None)


def demo_kiosk(township_id: int) -> tuple[Kiosk, str]:
    """The demo kiosk `make run` registers (simulated reader), with a fresh setup token."""
    kiosk = db.session.scalar(select(Kiosk).where(Kiosk.township_id == township_id, Kiosk.name == DEMO_NAME))
    if kiosk is None:
        kiosk = Kiosk(name=DEMO_NAME, township_id=township_id, reader="simulated", reader_url=HUASHI_URL,
                      registered_by="演示数据")
        db.session.add(kiosk)
        db.session.flush()
    token = _new_setup(kiosk)
    db.session.commit()
    return kiosk, token


DEMO_NAME = "大厅 1 号机"


# --- A person's visit: who is identified at a kiosk, from the card to 退出 -----------------------
# The card read and the phone typed are held here, on the server, not in the kiosk's cookie;
# the cookie holds only the visit's secret. Leaving ends the visit and wipes them.
# The page asks "还在使用吗？" after PAGE_IDLE_SECONDS untouched and resets COUNTDOWN_SECONDS
# later; while touched it tells the server at most every ALIVE_EVERY_SECONDS. The server ends a
# visit not heard of for VISIT_IDLE itself, never trusting the page to.
PAGE_IDLE_SECONDS, COUNTDOWN_SECONDS, ALIVE_EVERY_SECONDS = 60, 10, 30
VISIT_IDLE = timedelta(seconds=PAGE_IDLE_SECONDS + COUNTDOWN_SECONDS + 2 * ALIVE_EVERY_SECONDS + 60)


class KioskVisit(db.Model):
    __tablename__ = "kiosk_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    card: Mapped[dict | None] = mapped_column(SealedJSON("kiosk_visits.card"))  # name, id_number, valid_until, via
    phone: Mapped[str | None] = mapped_column(Sealed("kiosk_visits.phone"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


def start_visit(kiosk: Kiosk) -> tuple[KioskVisit, str]:
    secret = secrets.token_urlsafe(24)
    visit = KioskVisit(kiosk_id=kiosk.id, secret_hash=_hash(secret))
    db.session.add(visit)
    db.session.commit()
    return visit, secret


def visit_of(kiosk: Kiosk, secret) -> KioskVisit | None:
    """The visit going on at this kiosk, or None once it ended or went idle (then it is ended)."""
    if not _looks_like_secret(secret):
        return None
    visit = db.session.scalar(select(KioskVisit).where(KioskVisit.secret_hash == _hash(secret),
                                                       KioskVisit.kiosk_id == kiosk.id))
    if visit is None or visit.ended_at is not None:
        return None
    now = utcnow()
    if now - aware(visit.seen_at) > VISIT_IDLE:
        end_visit(kiosk, visit)
        return None
    if now - aware(visit.seen_at) > timedelta(seconds=5):
        visit.seen_at = now
        db.session.commit()
    return visit


def held_card(visit: KioskVisit | None) -> Card | None:
    """The card read (or ID number typed) in this visit."""
    card = visit.card if visit is not None else None
    if not card:
        return None
    until = date.fromisoformat(card["valid_until"]) if card.get("valid_until") else None
    return Card(card["name"], card["id_number"], until, card["via"])


def hold(visit: KioskVisit, card=None, phone: str | None = None, person_id: int | None = None) -> None:
    if card is not None:
        visit.card = {"name": card.name, "id_number": card.id_number, "via": card.via,
                      "valid_until": card.valid_until.isoformat() if card.valid_until else None}
    if phone is not None:
        visit.phone = phone
    if person_id is not None:
        visit.person_id = person_id
    db.session.commit()


def asks_about_drafts(kiosk: Kiosk, visit: KioskVisit | None) -> bool:
    """Whether leaving should first ask the person to keep their unsubmitted applications."""
    from services.cases.drafts import unsent

    return visit is not None and visit.person_id is not None and bool(unsent(actor_at(kiosk, None), visit.person_id))


def end_visit(kiosk: Kiosk, visit: KioskVisit | None, keep_drafts: bool = False) -> None:
    """Everything of the person's held by the kiosk goes: the card, the phone, and the drafts
    (kept only if they chose to, for their phone)."""
    from services.cases.drafts import leave_drafts
    from services.registry import registry

    if visit is None:
        return
    if visit.person_id is not None:
        leave_drafts(registry().storage, actor_at(kiosk, None), visit.person_id, keep_drafts)
    visit.card = visit.phone = None
    visit.ended_at = utcnow()
    db.session.commit()


def end_idle_visits(now: datetime | None = None) -> int:
    """The worker's sweep: visits nobody ended (power cut, a closed tab) end after VISIT_IDLE."""
    now = now or utcnow()
    stale = list(db.session.scalars(select(KioskVisit).where(KioskVisit.ended_at.is_(None),
                                                             KioskVisit.seen_at < now - VISIT_IDLE)))
    for visit in stale:
        end_visit(get(visit.kiosk_id), visit)
    # Ended visits hold no card or phone; which person used which kiosk is kept a year for audit.
    db.session.execute(delete(KioskVisit).where(KioskVisit.ended_at < now - timedelta(days=366)))
    db.session.commit()
    return len(stale)
