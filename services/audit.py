"""Audit log (审计日志): every read of personal data and every staff action — append-only and
tamper-evident.

Append-only: the database refuses to delete a row or change what it says (triggers, migration
0025). Tamper-evident: the worker seals new rows into a chain, each carrying a keyed hash
(HMAC-SM3, AUDIT_KEY) of itself and of the row before; `flask audit-verify` recomputes the
chain and names the first row that was changed, removed or slipped in. Sealing is after the
fact, not in the writer's transaction: a chain written as rows are made would make every
audited request in the county take its turn on one lock."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from sqlalchemy import JSON, DateTime, Integer, String, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services.clock import aware, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(60), default="", index=True)  # e.g. case:ZY26112500001X
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")
    # The chain: this row's place in it, the hash of the row before, its own. None: not sealed yet.
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


ACTION_NAMES = {
    "login": "登录", "login_failed": "登录失败", "login_slowed": "登录被限速", "logout": "退出",
    "change_password": "修改密码", "two_factor_enrolled": "开通两步验证", "two_factor_failed": "两步验证码错误",
    "recovery_code_used": "使用恢复码", "recovery_codes_renewed": "重新生成恢复码", "reset_two_factor": "重置两步验证",
    "reset_password": "重置密码", "reset_agent_password": "重置代办员密码",
    "reset_agent_two_factor": "重置代办员两步验证",
    "enable_staff": "启用工作人员账号", "disable_staff": "停用工作人员账号", "sign_out_everywhere": "全部退出",
    "clear_throttle": "清除登录限速",
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
    "purge_materials": "按保存期限删除材料", "export_personal_data": "下载个人信息副本",
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


GENESIS = "0" * 64
SEAL_BATCH = 2000


def audit_key() -> bytes:
    from services.registry import registry

    reg = registry()
    return (reg.audit_key or hashlib.sha256(("audit:" + reg.secret_key).encode()).hexdigest()).encode()


def _content(entry: AuditEntry) -> bytes:
    at = aware(entry.at).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    fields = [entry.seq, at, entry.actor_kind, entry.actor_id, entry.actor_name, entry.action, entry.target,
              json.dumps(entry.detail or {}, sort_keys=True, ensure_ascii=False), entry.ip]
    return json.dumps(fields, ensure_ascii=False).encode()


def _hash(key: bytes, prev: str, entry: AuditEntry) -> str:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(prev.encode() + b"|" + _content(entry))
    return mac.finalize().hex()


def seal(limit: int = SEAL_BATCH) -> tuple[int, int, str]:
    """Chain the rows not sealed yet, oldest first, after the last sealed one (the worker calls
    this every few seconds). One sealer at a time: a lock on PostgreSQL, SQLite's one writer.
    How many were sealed, and the chain's head (its number and hash) — which the worker writes
    to the system log, outside the database: cutting rows off the end then shows too."""
    key = audit_key()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('audit_log.seal'))"))
    last = db.session.execute(select(AuditEntry.seq, AuditEntry.row_hash).where(AuditEntry.seq.is_not(None))
                              .order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last.seq, last.row_hash) if last else (0, GENESIS)
    rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.seq.is_(None))
                                   .order_by(AuditEntry.id).limit(limit)))
    for entry in rows:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.row_hash = prev = _hash(key, prev, entry)
    db.session.commit()
    return len(rows), seq, prev


@dataclass
class Verdict:
    checked: int
    unsealed: int
    broken_at: int | None = None  # the seq of the first row that does not check out
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(head: tuple[int, str] | None = None, batch: int = 5000) -> Verdict:
    """Walk the chain from its start: each row's hash recomputed, each linked to the one before,
    no number missing; and, given a head the worker wrote to the system log (number, hash), that
    row still there as it was — rows cut off the end, or the whole log emptied, show. Reads only."""
    key, prev, expected, checked, seen = audit_key(), GENESIS, 1, 0, None
    while True:
        rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.seq >= expected)
                                       .order_by(AuditEntry.seq).limit(batch)))
        for entry in rows:
            problem = ("缺少第 {} 条".format(expected) if entry.seq != expected else
                       "与上一条不衔接" if entry.prev_hash != prev else
                       "内容被改动" if not hmac.compare_digest(entry.row_hash or "", _hash(key, prev, entry)) else "")
            if problem:
                return Verdict(checked, _unsealed(), expected, problem)
            if head and entry.seq == head[0]:
                seen = entry.row_hash
            prev, expected, checked = entry.row_hash, expected + 1, checked + 1
        db.session.expunge_all()
        if len(rows) < batch:
            break
    if head and seen != head[1]:
        return Verdict(checked, _unsealed(), head[0], "系统日志记下的链头不在了" if seen is None else "链头与系统日志记下的不同")
    return Verdict(checked, _unsealed())


def _unsealed() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None))) or 0
