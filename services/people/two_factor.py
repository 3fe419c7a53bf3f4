"""Two-step sign-in of staff and village agents (两步验证): after the password, a 6-digit code from an
authenticator app (TOTP, RFC 6238), or one of ten single-use recovery codes kept on paper.

Enrolled at the first sign-in, with the enrolment code (开通码) an administrator handed the
member in person: the first password alone, which others may have seen, enrols nobody. An
administrator's reset (reset, new_password) sends the member through enrolment again, with a
new code. A code is good once: the step it came from is kept,
so a code seen over a shoulder cannot be typed again. Codes typed wrong are slowed like
passwords (throttle), counted per account."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from services.audit import record
from services.clock import aware, utcnow
from services.errors import DomainError
from services.people import passwords, sessions, throttle

ISSUER = "镇原县一网通办"
RECOVERY_CODES = 10
ENROLMENT_DAYS = 7  # long enough to meet in person; a code never used goes stale
# Who hands an account its enrolment code, and how they make a new one: by kind of account, and
# the server's command for an account whose second step the console never resets.
ISSUED_BY = {"staff": ("县政务服务中心系统管理员", "管理员在“账号”页点“重置两步验证”"),
             "agent": ("乡镇便民服务中心的管理员", "乡镇管理员在工作台“代办员”页点“重置两步验证”"),
             "server": ("服务器管理人员", "服务器管理人员运行 flask reset-two-factor ")}


def issued_by(user) -> tuple[str, str]:
    return ISSUED_BY["server" if user.reset_at_server else user.account_kind]


def no_code(user) -> str:
    who, how = issued_by(user)
    return f"开通两步验证需要{who}当面交给您的 8 位开通码。没有、或已超过 7 天：请{how}重新生成"


class TwoStepAccount:
    """What an account with two-step sign-in has (a mixin of its model, beside PasswordAccount):
    the authenticator's secret, the last code's time step (a code is good once), and since when
    it is confirmed (None: enrol at the next sign-in); the enrolment code (开通码) an
    administrator handed over in person, hashed, and until when it works."""
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    two_factor_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enrolment_code_hash: Mapped[str | None] = mapped_column(String(200))
    enrolment_code_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Whose second step only the server's command resets, never the console (StaffUser: administrators).
    reset_at_server = False


@dataclass(frozen=True)
class Handover:
    """What an administrator hands a member or an agent in person, never kept in clear: the
    enrolment code of two-step sign-in (and until when it works), or a temporary password."""
    user: TwoStepAccount
    enrolment_code: str | None = None
    until: datetime | None = None
    password: str | None = None


class RecoveryCode(db.Model):
    """A staff member's or an agent's: exactly one of the two is set."""
    __tablename__ = "recovery_codes"
    __table_args__ = (CheckConstraint("(staff_id IS NULL) <> (agent_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


_OWNER = {"staff": "staff_id", "agent": "agent_id"}  # a recovery code's column of its account, by kind


def _codes_of(user):
    """The account's recovery codes: a clause on its own column."""
    return getattr(RecoveryCode, _OWNER[user.account_kind]) == user.id


def _owner(user) -> dict:
    return {_OWNER[user.account_kind]: user.id}


def _target(user) -> str:
    return f"{user.account_kind}:{user.id}"


def enrolled(user) -> bool:
    return user.two_factor_since is not None


def new_secret() -> str:
    """A secret for one enrolment, kept by the browser enrolling (its session) until confirmed:
    another browser past the password step gets a secret of its own, never this one."""
    return pyotp.random_base32()


def provisioning_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _digits(code) -> str:
    return re.sub(r"\s", "", code) if isinstance(code, str) else ""


def _totp_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step (this one, or one either side for a slow hand or a clock adrift) whose
    code this is — never one at or before `after`, the last step used."""
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp, now = pyotp.TOTP(secret), utcnow()
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if (after is None or candidate > after) and secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised_recovery(code: str) -> str:
    return code.replace("-", "").lower()


def _new_recovery_codes(user) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(_codes_of(user)))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(**_owner(user), code_hash=_hash_code(_normalised_recovery(c))) for c in codes)
    return codes


def issue_enrolment_code(user) -> tuple[str, datetime]:
    """A new enrolment code for the member (the old one stops working), and until when it works:
    shown once to the administrator, kept only hashed. The caller commits."""
    code = f"{secrets.randbelow(10 ** 8):08d}"
    user.enrolment_code_hash = generate_password_hash(code)
    user.enrolment_code_until = utcnow() + timedelta(days=ENROLMENT_DAYS)
    return f"{code[:4]} {code[4:]}", user.enrolment_code_until


def enrolment_open(user) -> bool:
    """An enrolment code is out for the account and still good: enrolling can succeed."""
    return bool(user.enrolment_code_hash) and aware(user.enrolment_code_until) >= utcnow()


def _check_enrolment_code(user, typed) -> None:
    digits = re.sub(r"[\s-]", "", typed) if isinstance(typed, str) else ""
    if not enrolment_open(user):
        raise DomainError(no_code(user), field="enrolment_code")
    if not (re.fullmatch(r"\d{8}", digits) and check_password_hash(user.enrolment_code_hash, digits)):
        raise DomainError("开通码不对：请核对管理员交给您的 8 位数字", field="enrolment_code")


def enrol(user, secret: str, enrolment_code, code, ip: str = "") -> list[str]:
    """Confirm this browser's secret with the administrator's enrolment code and a code from the
    app; the recovery codes, shown once. Both are slowed like passwords when typed wrong."""
    if enrolled(user):
        raise DomainError("这个账号已经开通两步验证，请重新登录")
    tried = _taken(user, "enrolment_code")
    try:
        _check_enrolment_code(user, enrolment_code)
    except DomainError:
        record(user.account_kind, user.id, user.name, "two_factor_failed", detail={"reason": "enrolment_code"}, ip=ip)
        raise
    step = _totp_step(secret, _digits(code), None)
    if step is None:
        raise DomainError("验证码不对：请输入验证器 App 里这个账号当前显示的 6 位数字", field="code")
    # Confirmed only if nobody confirmed another secret meanwhile (two browsers at once), with
    # the code checked above: it is used up.
    cls = user.__class__  # (current_user is a proxy: its class is the model's)
    if not db.session.execute(update(cls).where(cls.id == user.id, cls.two_factor_since.is_(None),
                                                cls.enrolment_code_hash == user.enrolment_code_hash)
                              .values(totp_secret=secret, totp_last_step=step, two_factor_since=utcnow(),
                                      enrolment_code_hash=None, enrolment_code_until=None)).rowcount:
        db.session.rollback()
        raise DomainError("这个账号已经开通两步验证，请重新登录")
    codes = _new_recovery_codes(user)
    record(user.account_kind, user.id, user.name, "two_factor_enrolled", _target(user), ip=ip, commit=False)
    db.session.commit()
    throttle.right(tried, [])  # after the commit: its own connection must not wait on ours (SQLite)
    db.session.refresh(user)
    return codes


def verify(user, code, ip: str = "") -> None:
    """The second step of a sign-in: a fresh TOTP code, or an unused recovery code (used up).
    Each is taken by one guarded UPDATE: two browsers sending the same code at once, one wins."""
    tried = _taken(user)
    typed = _digits(code)
    step = _totp_step(user.totp_secret, typed, user.totp_last_step) if enrolled(user) else None
    cls = user.__class__
    took_step = step is not None and db.session.execute(
        update(cls).where(cls.id == user.id, or_(cls.totp_last_step.is_(None), cls.totp_last_step < step))
        .values(totp_last_step=step)).rowcount == 1
    if not took_step and not _use_recovery_code(user, typed, ip):
        db.session.rollback()
        record(user.account_kind, user.id, user.name, "two_factor_failed", ip=ip)
        raise DomainError("验证码不对或已经用过：请输入验证器 App 里现在显示的 6 位数字，或一个没用过的恢复码", field="code")
    db.session.commit()
    throttle.right(tried, [throttle.code_key(user.account_kind, user.id)])  # after the commit, as in enrol


def _use_recovery_code(user, typed: str, ip: str) -> bool:
    if not re.fullmatch(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{8}", typed):
        return False
    used = db.session.execute(update(RecoveryCode).where(
        _codes_of(user), RecoveryCode.code_hash == _hash_code(_normalised_recovery(typed)),
        RecoveryCode.used_at.is_(None)).values(used_at=utcnow())).rowcount
    if not used:
        return False
    record(user.account_kind, user.id, user.name, "recovery_code_used", _target(user),
           {"left": recovery_codes_left(user)}, ip=ip, commit=False)
    return True


def _taken(user, field: str = "code") -> list[int]:
    """This try counted against the account's codes before it is looked at (throttle.take)."""
    tried, pause = throttle.take([throttle.code_key(user.account_kind, user.id)])
    if pause:
        raise DomainError(throttle.message(pause), field=field)
    return tried


def recovery_codes_left(user) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        _codes_of(user), RecoveryCode.used_at.is_(None))) or 0


def renew_recovery_codes(user, code, ip: str = "") -> list[str]:
    """New codes for the member's own use (the old ones stop working) — after a fresh code from
    their authenticator: whoever finds their computer unlocked cannot mint codes of their own."""
    verify(user, code, ip)
    codes = _new_recovery_codes(user)
    record(user.account_kind, user.id, user.name, "recovery_codes_renewed", _target(user), ip=ip, commit=False)
    db.session.commit()
    return codes


def reset(user) -> Handover:
    """重置两步验证 (an administrator's, or the server's command): the secret and the recovery
    codes go, every session of the account ends; the new enrolment code to hand over. The caller
    records and commits."""
    user.totp_secret, user.totp_last_step, user.two_factor_since = None, None, None
    db.session.execute(delete(RecoveryCode).where(_codes_of(user)))
    sessions.end_all(user.account_kind, user.id, "two_factor_reset")
    return Handover(user, *issue_enrolment_code(user))


def new_password(user) -> Handover:
    """重置密码 by an administrator: a temporary password to hand over (every session ends). Not
    yet enrolled, a new enrolment code with it, the first may have gone stale — but never for an
    account reset at the server only: a password and a code together would open it. The caller
    records and commits."""
    password = passwords.temporary_password(user, user.account_kind)
    due = not enrolled(user) and not user.reset_at_server
    code, until = issue_enrolment_code(user) if due else (None, None)
    return Handover(user, code, until, password)


def demo_enrol(user, secret: str) -> None:
    """Demo accounts come enrolled with the secret printed by `make run` (never in production)."""
    user.totp_secret, user.two_factor_since = secret, utcnow()
