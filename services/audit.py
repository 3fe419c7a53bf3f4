"""Audit log (审计日志): every read of personal data and every staff action, append-only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.clock import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(60), default="")  # e.g. case:ZY26112500001X
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")


ACTION_NAMES = {
    "login": "登录", "login_failed": "登录失败", "locked": "账号锁定", "logout": "退出",
    "view_case": "查看办件", "reveal_id": "查看完整身份证号", "view_file": "查看材料",
    "case_action": "办件操作", "create_account": "创建账号", "load_calendar": "导入节假日安排",
    "view_audit": "查看审计日志", "query": "查询个人数据", "correct_real_name": "更正实名信息", "view_person": "查看群众信息",
    "exchange_pull": "部门系统取件", "payment_refused": "支付通知被拒", "check_in": "预约取号", "exchange_refused": "部门系统请求被拒（签名无效）",
    "register_kiosk": "登记自助终端", "kiosk_setup_link": "生成终端登记链接", "bind_kiosk": "终端完成登记",
    "enable_kiosk": "启用自助终端", "disable_kiosk": "停用自助终端", "kiosk_identify": "自助终端核验身份",
    "card_corrected_name": "读卡更正姓名", "reveal_phone": "回访查看申请人电话",
    "api_key_created": "生成部门接口密钥", "api_key_revoked": "停用部门接口密钥",
    "webhook_registered": "登记部门接收地址", "webhook_removed": "删除部门接收地址", "webhook_replayed": "重新投递",
    "create_agent": "开通代办员账号", "enable_agent": "启用代办员账号", "disable_agent": "停用代办员账号",
    "agent_lookup": "代办员登记群众", "agent_read": "代办员查看群众信息", "agent_desk": "代办员查看工作台",
    "consent_start": "代办员请求委托", "consent_granted": "委托生效", "consent_evidence": "提交纸质委托凭证",
    "consent_review": "第二人查看纸质委托", "consent_refused": "纸质委托未通过", "consent_withdrawn": "撤销委托",
    "agent_collect": "记录收件清单", "agent_return": "记录回交", "cancel_booking": "代为取消预约",
    "cancel_order": "代为取消缴费订单", "claim_record": "读卡认领代办员登记的记录",
}


def record(actor_kind: str, actor_id: int | None, actor_name: str, action: str, target: str = "",
           detail: dict | None = None, ip: str = "", commit: bool = True) -> None:
    db.session.add(AuditEntry(actor_kind=actor_kind, actor_id=actor_id, actor_name=_printable(actor_name, 60),
                              action=action, target=_printable(target, 60), detail=detail or {},
                              ip=_printable(ip, 45)))
    if commit:
        db.session.commit()


def _printable(value, limit: int) -> str:
    """Names and targets come from requests too (a failed login's user name): keep them readable."""
    return "".join(ch for ch in str(value or "") if ch.isprintable())[:limit]


def read_log(actor, action=None, target=None, ip: str = "", limit: int = 300) -> list[AuditEntry]:
    """The log as an administrator reads it; reading it is itself logged."""
    action = action if action in ACTION_NAMES else None
    target = target[:60] if isinstance(target, str) and target.isprintable() and target else None
    entries = recent(limit, action=action, target=target)
    record(actor.kind, actor.id, actor.name, "view_audit", ip=ip)
    return entries


def recent(limit: int = 200, action: str | None = None, target: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    return list(db.session.scalars(query))
