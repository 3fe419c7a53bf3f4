"""SMS: every message is one of the kinds below — the text the sandbox shows, and the template
the county registers with each gateway (its code in configuration, SMS_TEMPLATES), filled with the
same parameters. The sandbox (the default) keeps messages in a table anyone running the demo can
read; the gateways (services/sms_gateways.py) send the template. Production refuses the sandbox."""
from __future__ import annotations

import string
from datetime import datetime, timezone

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db

SIGN = "【镇原县政务服务】"
_CASE_BY = "{by}"  # "（村代办员X代办）" when an agent acted, else empty
TEMPLATES: dict[str, str] = {
    "signin_code": "验证码 {code}，5 分钟内有效。工作人员不会向您索要验证码，请勿告诉他人。",
    "consent_code": "{village}代办员{agent}申请代您办理“{scope}”，至{until}。同意请把验证码 {code} 告诉代办员，"
                    "10 分钟内有效；不同意请勿告诉任何人。",
    "consent_granted": "您已委托{village}代办员{agent}代办“{scope}”，至{until}。可随时撤销：{link}",
    "real_name_released": "您账号上登记的身份证号已由本人通过甘肃政务服务网实名登录认领，本账号不再绑定该身份证。"
                          "如有疑问，请带身份证到乡镇便民服务中心办理。",
    "consent_withdrawn": "您对代办员{agent}的委托（{scope}）已撤销，代办员不能再查看或办理您的事项。",
    "agent_collect": "代办员{agent}已收取您办理{item}的材料：{materials}。",
    "agent_return": "代办员{agent}已将{item}（{number}）的{materials}交回{receiver}。",
    "booking": "已为{name}预约{hospital}{department} {session}，请带身份证按时就诊。如需取消，请在前一天 17:00 前操作。",
    "paid": "{item}已缴费 {amount} 元，电子票据号 {receipt}。",
    "rating_by_agent": "村代办员{agent}为您的{item}（{number}）代为评价：{level}。如与您的意见不同，{days}天内可自己评价：{link}",
    "rating_received": "您对{item}（{number}）的评价已收到，承办部门将在{due}前核实整改并答复您。",
    "rectification_answered": "您对{item}（{number}）的评价，承办部门已答复整改情况，请查看：{link}",
    "case_submit": "您的{item}申请已提交，办件编号{number}，请等待受理。查进度：{link}" + _CASE_BY,
    "case_accept": "您的{item}（{number}）已受理，预计{due}前办结。查进度：{link}" + _CASE_BY,
    "case_reject": "您的{item}（{number}）不予受理，原因：{note}。详情：{link}" + _CASE_BY,
    "case_withdraw": "您的{item}（{number}）已撤回。" + _CASE_BY,
    "case_review": "您的{item}（{number}）已进入审查。" + _CASE_BY,
    "case_forward": "您的{item}（{number}）乡镇已初审，报送{department}审批。" + _CASE_BY,
    "case_opinion": "您的{item}（{number}）并联审查：{note}。" + _CASE_BY,
    "case_supplement": "您的{item}（{number}）需要补正材料，请在手机上查看缺少的材料并上传：{link}" + _CASE_BY,
    "case_resubmit": "您的{item}（{number}）补正材料已收到，继续办理。" + _CASE_BY,
    "case_complete": "您的{item}（{number}）已办结：{decision}。详情和评价：{link}" + _CASE_BY,
    "case_deliver": "您的{item}（{number}）结果已送达：{note}。" + _CASE_BY,
    "case_logistics": "您的{item}（{number}）邮件{note}。" + _CASE_BY,
}
PARAMETERS = {kind: tuple(name for _, name, _, _ in string.Formatter().parse(text) if name)
              for kind, text in TEMPLATES.items()}


def message(kind: str, case: str | None = None, **params) -> dict:
    """An SMS to put in the outbox: its kind and parameters (what a gateway's template takes) and
    the text they make (what the sandbox shows). `case` names the case it is about, if any."""
    params = {name: str(params[name]) for name in PARAMETERS[kind]}  # exactly the template's, as text
    payload = {"kind": kind, "params": params, "text": SIGN + TEMPLATES[kind].format(**params)}
    return {**payload, "case": case} if case else payload


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


SENDERS = {"sandbox": lambda config: SandboxSmsSender()}  # name -> factory(config); the gateways join below


def make_sms_sender(name: str, production: bool, config: dict | None = None):
    from services.sms_gateways import GATEWAYS

    factories = {**GATEWAYS, **SENDERS}
    if name not in factories:
        raise RuntimeError(f"未知的短信通道 SMS_SENDER={name}")
    sender = factories[name](config or {})
    if production and sender.is_sandbox:
        raise RuntimeError("APP_ENV=production 不能使用演示短信通道（SMS_SENDER=sandbox），请配置真实短信网关")
    return sender


def messages_to(phone: str) -> list[str]:
    return list(db.session.scalars(select(SandboxSms.text).where(SandboxSms.phone == phone)
                                   .order_by(SandboxSms.id)))
