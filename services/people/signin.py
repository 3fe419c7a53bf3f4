"""Sign-in by SMS code (短信验证码): 6 digits, valid 5 minutes, used once, few wrong tries."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import attempts, inputs
from services.clock import aware, utcnow
from services.errors import DomainError, TooManyTries
from services.outbox import enqueue
from services.people.identity import Person, find_or_create_person
from services.registry import registry
from services.sealing import Sealed, sealed_value
from services.sms import message

CODE_TTL = timedelta(minutes=5)
MAX_WRONG_TRIES = 5
# Codes sent to one phone, and asked for by one requester (a phone, a kiosk, a village's shared
# address): counted in the database, so every worker agrees. Only codes actually sent count:
# a mistyped number costs nobody anything.
# Per phone and requester, and per phone overall against SMS bombing from many addresses. A
# phone-level limit never locks the owner out: while a code sent to the phone is still good,
# asking again goes on to typing it in (CodeAlreadySent) — whoever asked, the code is on the
# owner's phone, and a stranger gains nothing.
PER_PHONE = ((1, timedelta(minutes=1), "请 1 分钟后再获取"), (5, timedelta(hours=1), "一小时内最多获取 5 次"))
PER_PHONE_ALL = 10
PER_REQUESTER = (30, timedelta(hours=1))
WRONG_CODES_PER_REQUESTER = (20, timedelta(minutes=10))


class SmsCode(db.Model):
    __tablename__ = "sms_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    _phone: Mapped[str] = mapped_column("phone", Sealed("sms_codes.phone"))
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    phone = sealed_value("phone", "phone")
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _hash(phone: str, code: str) -> str:
    key = registry().secret_key.encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(raw_phone, requester: str = "") -> tuple[str, str]:
    """Issue a code and queue its SMS. Returns (phone, code); only a sandbox shows the code."""
    phone = inputs.phone(raw_phone)
    limit, window = attempts.for_requester(PER_REQUESTER, requester)
    sent_here = attempts.take([(f"signin-send:{requester}", limit, window)])
    if sent_here is None:
        raise TooManyTries("这台设备获取验证码太频繁，请一小时后再试", field="phone")
    mine = [(f"signin-phone:{requester}:{phone}", n, w) for n, w, _ in PER_PHONE]
    taken = attempts.take(mine + [(f"signin-phone:{phone}", PER_PHONE_ALL, timedelta(hours=1))])
    if taken is None:
        attempts.give_back(sent_here)  # no code went out: the device's count stays as it was
        if live_code(phone):
            raise CodeAlreadySent("验证码刚刚已发到这个手机，请查看短信后输入", field="phone")
        advice = next((a for (key, n, w), (_, _, a) in zip(mine, PER_PHONE) if attempts.count(key, w) >= n),
                      "请稍后再试")
        raise TooManyTries(f"这个手机号获取验证码太频繁，{advice}", field="phone")
    code = f"{secrets.randbelow(10**6):06d}"
    now = utcnow()
    # A new code replaces older unused ones: only the latest SMS works.
    db.session.execute(update(SmsCode).where(SmsCode.phone == phone, SmsCode.used_at.is_(None))
                       .values(used_at=now))
    row = SmsCode(phone=phone, code_hash=_hash(phone, code), expires_at=now + CODE_TTL)
    db.session.add(row)
    db.session.flush()
    enqueue("sms", phone, message("signin_code", code=code),
            dedupe_key=f"signin:{row.id}")
    db.session.commit()
    return phone, code


class CodeAlreadySent(TooManyTries):
    """No new code now, but the last one is still good: go on and type it in."""


def live_code(phone: str) -> bool:
    return db.session.scalar(select(SmsCode.id).where(SmsCode.phone == phone, SmsCode.used_at.is_(None),
                                                      SmsCode.expires_at > utcnow()).limit(1)) is not None


def verify_code(raw_phone, raw_code, requester: str = "") -> Person:
    phone = inputs.phone(raw_phone)
    code = inputs.sms_code(raw_code)
    limit, window = attempts.for_requester(WRONG_CODES_PER_REQUESTER, requester)
    taken = attempts.take([(f"signin-wrong:{requester}", limit, window)])
    if taken is None:
        raise TooManyTries("验证码输错太多次，请 10 分钟后再试", field="code")
    now = utcnow()
    row = db.session.scalar(select(SmsCode).where(SmsCode.phone == phone, SmsCode.used_at.is_(None))
                            .order_by(SmsCode.id.desc()).limit(1))
    if row is None or aware(row.expires_at) < now:
        attempts.give_back(taken)  # nothing was guessed: a late tap on 登录 costs no try
        raise DomainError("验证码已过期或已使用，请重新获取", field="code")
    if not hmac.compare_digest(row.code_hash, _hash(phone, code)):
        # One UPDATE, so simultaneous wrong tries all count; the fifth spends the code.
        db.session.execute(update(SmsCode).where(SmsCode.id == row.id)
                           .values(wrong_tries=SmsCode.wrong_tries + 1))
        db.session.execute(update(SmsCode).where(SmsCode.id == row.id, SmsCode.wrong_tries >= MAX_WRONG_TRIES,
                                                 SmsCode.used_at.is_(None)).values(used_at=now))
        db.session.commit()
        raise DomainError("验证码不对，请核对短信后重新输入", field="code")  # the try stays counted
    attempts.give_back(taken)
    # Single use even when two requests race: only one UPDATE finds it unused.
    spent = db.session.execute(update(SmsCode).where(SmsCode.id == row.id, SmsCode.used_at.is_(None))
                               .values(used_at=now))
    if spent.rowcount != 1:
        db.session.rollback()
        raise DomainError("验证码已过期或已使用，请重新获取", field="code")
    person = find_or_create_person(phone)
    db.session.commit()
    return person

