"""SMS adapters. The sandbox (the default) keeps messages in a table anyone running the demo
can read; a real gateway adapter plugs in beside it. Production refuses the sandbox."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class SandboxSms(db.Model):
    __tablename__ = "sandbox_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # the outbox dedupe key
    phone: Mapped[str] = mapped_column(String(11), index=True)
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                              default=lambda: datetime.now(timezone.utc))


class SandboxSmsSender:
    name = "sandbox"
    is_sandbox = True

    def send(self, phone: str, payload: dict, key: str) -> None:
        # The key makes a resend after a crash a no-op, as a real gateway's request id would.
        if db.session.scalar(select(SandboxSms.id).where(SandboxSms.key == key)) is None:
            db.session.add(SandboxSms(key=key, phone=phone, text=payload["text"]))
            db.session.flush()


SENDERS = {"sandbox": SandboxSmsSender}


def make_sms_sender(name: str, production: bool):
    if name not in SENDERS:
        raise RuntimeError(f"未知的短信通道 SMS_SENDER={name}")
    sender = SENDERS[name]()
    if production and sender.is_sandbox:
        raise RuntimeError("APP_ENV=production 不能使用演示短信通道（SMS_SENDER=sandbox），请配置真实短信网关")
    return sender


def messages_to(phone: str) -> list[str]:
    return list(db.session.scalars(select(SandboxSms.text).where(SandboxSms.phone == phone)
                                   .order_by(SandboxSms.id)))
