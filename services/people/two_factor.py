"""Two-step sign-in of staff (两步验证): after the password, a 6-digit code from an
authenticator app (TOTP, RFC 6238), or one of ten single-use recovery codes kept on paper.

Enrolled at the first sign-in; an administrator's reset (services.people.staff) sends the
member through enrolment again. A code is good once: the step it came from is kept,
so a code seen over a shoulder cannot be typed again. Codes typed wrong are slowed like
passwords (throttle), counted per account."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import DateTime, ForeignKey, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.audit import record
from services.clock import utcnow
from services.errors import DomainError
from services.people import throttle

ISSUER = "镇原县一网通办"
RECOVERY_CODES = 10
AREA = "staff"


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def enrolled(user) -> bool:
    return user.two_factor_since is not None


def pending_secret(user) -> str:
    """The secret being enrolled: made once and kept until confirmed, so reloading the page
    shows the same QR code the member may already have scanned."""
    if user.totp_secret is None or enrolled(user):
        if enrolled(user):
            raise DomainError("已经开通两步验证")
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    return user.totp_secret


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
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(staff_id=user.id, code_hash=_hash_code(_normalised_recovery(c))) for c in codes)
    return codes


def enrol(user, code, ip: str = "") -> list[str]:
    """Confirm the pending secret with a code from the app; the recovery codes, shown once."""
    if enrolled(user) or user.totp_secret is None:
        raise DomainError("请重新登录后再开通两步验证")
    keys = [throttle.code_key(AREA, user.id)]
    _not_slowed(keys)
    step = _totp_step(user.totp_secret, _digits(code), None)
    if step is None:
        throttle.failed(keys)
        raise DomainError("验证码不对：请输入验证器 App 里这个账号当前显示的 6 位数字", field="code")
    user.totp_last_step, user.two_factor_since = step, utcnow()
    codes = _new_recovery_codes(user)
    throttle.forget(keys)
    record("staff", user.id, user.name, "two_factor_enrolled", f"staff:{user.id}", ip=ip, commit=False)
    db.session.commit()
    return codes


def verify(user, code, ip: str = "") -> None:
    """The second step of a sign-in: a fresh TOTP code, or an unused recovery code (used up)."""
    keys = [throttle.code_key(AREA, user.id)]
    _not_slowed(keys)
    typed = _digits(code)
    step = _totp_step(user.totp_secret, typed, user.totp_last_step) if enrolled(user) else None
    if step is not None:
        user.totp_last_step = step
    elif not _use_recovery_code(user, typed, ip):
        throttle.failed(keys)
        record("staff", user.id, user.name, "two_factor_failed", ip=ip)
        raise DomainError("验证码不对或已经用过：请输入验证器 App 里现在显示的 6 位数字，或一个没用过的恢复码", field="code")
    throttle.forget(keys)
    db.session.commit()


def _use_recovery_code(user, typed: str, ip: str) -> bool:
    if not re.fullmatch(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{8}", typed):
        return False
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.staff_id == user.id, RecoveryCode.code_hash == _hash_code(_normalised_recovery(typed)),
        RecoveryCode.used_at.is_(None)).with_for_update())
    if row is None:
        return False
    row.used_at = utcnow()
    record("staff", user.id, user.name, "recovery_code_used", f"staff:{user.id}",
           {"left": recovery_codes_left(user) - 1}, ip=ip, commit=False)
    return True


def _not_slowed(keys: list[str]) -> None:
    pause = throttle.wait(keys)
    if pause:
        raise DomainError(throttle.message(pause), field="code")


def recovery_codes_left(user) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.staff_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def renew_recovery_codes(user, ip: str = "") -> list[str]:
    """New codes for the member's own use (the old ones stop working)."""
    codes = _new_recovery_codes(user)
    record("staff", user.id, user.name, "recovery_codes_renewed", f"staff:{user.id}", ip=ip, commit=False)
    db.session.commit()
    return codes


def forget_enrolment(user) -> None:
    """The secret and the recovery codes go (an administrator's reset: services.people.staff)."""
    user.totp_secret, user.totp_last_step, user.two_factor_since = None, None, None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))


def demo_enrol(user, secret: str) -> None:
    """Demo accounts come enrolled with the secret printed by `make run` (never in production)."""
    user.totp_secret, user.two_factor_since = secret, utcnow()
